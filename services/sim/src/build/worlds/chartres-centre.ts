/**
 * chartres-centre: the radial-concentric town built in TypeScript (network.ts, zones.ts), the dense sensor layout of
 * sensors.ts and the weekday-morning demand of demand.ts. Its output is the committed scenario, unchanged.
 */
import { DEFAULTS } from '../defaults.ts';
import { BUS_STOPS } from '../demand.ts';
import { buildNetwork } from '../network.ts';
import { CHARTRES_LAYOUT } from '../sensors.ts';
import { buildZones } from '../zones.ts';
import { netconvertPlain, type WorldRecipe } from './common.ts';

export const chartresCentre: WorldRecipe = {
  name: 'chartres-centre',
  heldOut: false,
  description: 'synthetic radial-concentric street network in the image of Chartres old town (not the real streets)',
  defaults: DEFAULTS,
  async network(env) {
    const net = buildNetwork();
    return { net, netXml: await netconvertPlain(env, net) };
  },
  zones: () => buildZones(buildNetwork()),
  layout: () => CHARTRES_LAYOUT,
  demand: () => ({}),
  busStops: () => BUS_STOPS,
};
