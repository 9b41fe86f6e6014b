/**
 * nogent-spider — a SECOND HELD-OUT world: never used to train or tune anything; figures on it are reported as
 * they come (measured once, at the end).
 *
 * A spider-web town (`netgenerate --spider`: 6 arms, 4 circles 95 m apart, no centre node, junctions perturbed by
 * netgenerate's own seeded noise) at Nogent-le-Rotrou's coordinates on a Thursday lunchtime (12:00–12:40). Three
 * ring links are missing (a web with holes, so routes are not symmetric); the inner ring is a slow right-before-left
 * loop around a centre with no junction; the east–west arms are 2-lane avenues with fixed-time signals where they
 * cross the third ring; no signal is guessed. Access roads of 140 m leave the outer ring along the arms: four gates,
 * the station and a car park.
 *
 * Sensors (a medium-to-sparse layout): 5 high-mast, wide-lens cameras (7–9.5 m, 88–108°, 900p or 1080p, 6–24 fps)
 * calibrated by hand (4 × 3 points, σ 2 px, ±0.25 m off the ground); plates at three of the four gates and on a
 * cordon around the core; 3 Wi-Fi sniffers and 1 BLE; 3 counters, one faulty. 95 % (Wi-Fi) / 98 % (BLE) of phones
 * randomise their addresses every 1–5 minutes. Its cameras' edge detector draws riders and two-wheelers as two
 * boxes, with its own confusion table (vans mostly `car`) and a stretched score distribution (`synth.detector`).
 */
import type { BusLine, BusStop } from '../demand.ts';
import type { Origin } from '../geo.ts';
import { type NetEdge, type NetNode, type RoadClass, type StreetNet, streetNet } from '../network.ts';
import { createRng } from '../prng.ts';
import { buildCamera, type CalibrationSpec, type CameraSpec, type CounterSpec, type SightingUnit } from '../sensors.ts';
import type { Mode } from '../vtypes.ts';
import type { ZoneDef } from '../zones.ts';
import {
  accessZone,
  areaZone,
  builtFromNetXml,
  circle,
  netconvertPlain,
  netgenerate,
  round2,
  shortestBusLine,
  twoWay,
  type WorldRecipe,
} from './common.ts';

type V2 = [number, number];

const ORIGIN: Origin = { lon: 0.8218, lat: 48.3217 };
const ARMS = 6;
const CIRCLES = ['B', 'C', 'D', 'E'];
const STUB_M = 140;
/** Ring links left out of netgenerate's web (node pairs). */
const MISSING = new Set(['C3|C4', 'D5|D6', 'E2|E3']);

/** Access roads at the outer ring (E) along arm `arm` (1 = east, counter-clockwise by 60°). */
const ACCESS = [
  { outer: 'gE', arm: 1, id: 'gate-e', name: 'Porte Est (route de Chartres)', kind: 'gate', cls: 'gate' },
  { outer: 'gNE', arm: 2, id: 'gate-ne', name: 'Porte Nord-Est (route de Brou)', kind: 'gate', cls: 'gate' },
  { outer: 'stn', arm: 3, id: 'station', name: 'Gare de Nogent', kind: 'station', cls: 'stub' },
  { outer: 'gW', arm: 4, id: 'gate-w', name: 'Porte Ouest (route du Mans)', kind: 'gate', cls: 'gate' },
  { outer: 'gSW', arm: 5, id: 'gate-sw', name: 'Porte Sud-Ouest (route de Bellême)', kind: 'gate', cls: 'gate' },
  { outer: 'pk', arm: 6, id: 'parking', name: 'Parking du Château', kind: 'parking', cls: 'stub' },
] as const satisfies readonly {
  outer: string;
  arm: number;
  id: string;
  name: string;
  kind: ZoneDef['kind'];
  cls: RoadClass;
}[];

const ringOf = (id: string): number => CIRCLES.indexOf(id[0]);
const armOf = (id: string): number => Number(id.slice(1));

/** Road class of a street between two web nodes. */
function streetClass(a: string, b: string): RoadClass {
  if (ringOf(a) === ringOf(b)) return ringOf(a) === 0 ? 'shared' : 'street';
  const arm = armOf(a);
  const inner = Math.min(ringOf(a), ringOf(b));
  if (arm === 1 || arm === 4) return inner === 0 ? 'street' : 'avenue';
  if (arm === 2 || arm === 5) return 'street';
  return 'lane';
}

/** The spider web: netgenerate's net, centred, with holes, access roads, classes and junction types. */
async function generate(env: Parameters<WorldRecipe['network']>[0]): Promise<StreetNet> {
  const gen = await netgenerate(env, [
    '--spider',
    '--spider.arm-number',
    String(ARMS),
    '--spider.circle-number',
    String(CIRCLES.length),
    '--spider.space-radius',
    '95',
    '--spider.omit-center',
    'true',
    '--perturb-x',
    '8',
    '--perturb-y',
    '8',
  ]);
  const xs = [...gen.nodes.values()].map((p) => p[0]);
  const ys = [...gen.nodes.values()].map((p) => p[1]);
  const cx = (Math.min(...xs) + Math.max(...xs)) / 2;
  const cy = (Math.min(...ys) + Math.max(...ys)) / 2;
  // Fixed-time signals where the avenues cross the third ring; the inner ring is right-before-left.
  const typeOf = (id: string): NetNode['type'] =>
    id === 'D1' || id === 'D4' ? 'traffic_light' : ringOf(id) === 0 ? 'right_before_left' : 'priority';
  const nodes: NetNode[] = [...gen.nodes].map(([id, [x, y]]) => ({
    id,
    x: round2(x - cx),
    y: round2(y - cy),
    type: typeOf(id),
  }));
  const byId = new Map(nodes.map((n) => [n.id, n]));
  const edges: NetEdge[] = [];
  for (const [a, b] of gen.streets) {
    if (MISSING.has(`${a}|${b}`) || MISSING.has(`${b}|${a}`)) continue;
    edges.push(...twoWay(byId.get(a)!, byId.get(b)!, streetClass(a, b)));
  }
  for (const a of ACCESS) {
    const inner = byId.get(`E${a.arm}`)!;
    const r = Math.hypot(inner.x, inner.y);
    const outer: NetNode = {
      id: a.outer,
      x: round2(inner.x + (STUB_M * inner.x) / r),
      y: round2(inner.y + (STUB_M * inner.y) / r),
      type: 'priority',
    };
    nodes.push(outer);
    edges.push(...twoWay(outer, inner, a.cls));
  }
  nodes.sort((p, q) => (p.id < q.id ? -1 : p.id > q.id ? 1 : 0));
  edges.sort((p, q) => (p.id < q.id ? -1 : p.id > q.id ? 1 : 0));
  return streetNet(nodes, edges);
}

const centroid = (net: StreetNet, ids: string[]): V2 => {
  const ps = ids.map((id) => net.node(id));
  return [round2(ps.reduce((s, p) => s + p.x, 0) / ps.length), round2(ps.reduce((s, p) => s + p.y, 0) / ps.length)];
};

/** The inner ring's hexagon pushed 14 m outwards (its streets inside, the radials' first metres only). */
function coreHexagon(net: StreetNet): V2[] {
  const out: V2[] = [];
  for (let arm = 1; arm <= ARMS; arm++) {
    const n = net.node(`B${arm}`);
    const r = Math.hypot(n.x, n.y);
    out.push([round2(n.x * (1 + 14 / r)), round2(n.y * (1 + 14 / r))]);
  }
  return out;
}

function zonesOf(net: StreetNet): ZoneDef[] {
  const zones: ZoneDef[] = ACCESS.map((a) =>
    accessZone(net, { id: a.id, name: a.name, kind: a.kind, inner: `E${a.arm}`, outer: a.outer }),
  );
  zones.push(
    areaZone(net, { id: 'core', name: 'Centre – Saint-Hilaire', kind: 'core', polygon: coreHexagon(net) }),
    areaZone(net, {
      id: 'market',
      name: 'Place du Marché (sud-ouest)',
      kind: 'square',
      polygon: circle([net.node('C5').x, net.node('C5').y], 50),
      centre: [net.node('C5').x, net.node('C5').y],
    }),
    areaZone(net, {
      id: 'district-north',
      name: 'Quartier du Château (nord)',
      kind: 'district',
      polygon: circle(centroid(net, ['C2', 'C3', 'D2', 'D3']), 90),
    }),
    areaZone(net, {
      id: 'district-east',
      name: 'Quartier de l’Huisne (est)',
      kind: 'district',
      polygon: circle(centroid(net, ['C6', 'C1', 'D6', 'D1']), 85),
    }),
  );
  return zones;
}

/** The installer's calibration: 4 × 3 points within 80 m, clicked to σ 2 px, ±0.25 m off the ground plane. */
const CLICKED: CalibrationSpec = {
  us: [0.15, 0.38, 0.62, 0.85],
  vs: [0.6, 0.75, 0.9],
  maxRangeM: 80,
  pixelSigma: 2,
  groundZErrM: 0.25,
};
/** The camera model of this town: high masts, wide lenses, 900p or 1080p, 6–24 fps. */
const MODELS: Pick<CameraSpec, 'heightM' | 'hfovDeg' | 'width' | 'height' | 'fps'>[] = [
  { heightM: 9.5, hfovDeg: 88, width: 1920, height: 1080, fps: 20 },
  { heightM: 7, hfovDeg: 108, width: 1600, height: 900, fps: 8 },
  { heightM: 8.5, hfovDeg: 96, width: 1920, height: 1080, fps: 24 },
  { heightM: 7.5, hfovDeg: 102, width: 1600, height: 900, fps: 6 },
  { heightM: 9, hfovDeg: 92, width: 1920, height: 1080, fps: 20 },
];
/** Junctions wanted, in order: the core's east junction, the market, the west signal, the east gate, the north. */
const CAMERA_NODES = ['B1', 'C5', 'D4', 'E1', 'C2', 'B4', 'D6', 'E5', 'C3'];

function camerasOf(net: StreetNet): CameraSpec[] {
  const out: CameraSpec[] = [];
  for (const node of CAMERA_NODES) {
    if (out.length === MODELS.length) break;
    const n = net.node(node);
    if (out.some((c) => Math.hypot(net.node(c.node).x - n.x, net.node(c.node).y - n.y) < 120)) continue;
    const spec: CameraSpec = {
      id: `cam-${node.toLowerCase()}`,
      name: `Carrefour ${node}`,
      node,
      ...MODELS[out.length],
      mastDistancesM: [22, 28, 34, 40, 46],
      calibration: CLICKED,
    };
    try {
      buildCamera(net, ORIGIN, spec, createRng(0, 'probe'));
    } catch {
      continue;
    }
    out.push(spec);
  }
  return out;
}

const MOTOR: Mode[] = ['car', 'van', 'truck', 'bus', 'motorcycle'];

const SITES: Record<string, readonly SightingUnit[]> = {
  'gate-e': [
    { kind: 'anpr', radiusM: 15, where: 'entry' },
    { kind: 'wifi', radiusM: 35, where: 'entry' },
  ],
  'gate-ne': [{ kind: 'anpr', radiusM: 15, where: 'entry' }],
  'gate-w': [{ kind: 'anpr', radiusM: 15, where: 'entry' }],
  station: [{ kind: 'wifi', radiusM: 45, where: 'centre' }],
  market: [{ kind: 'wifi', radiusM: 40, where: 'centre' }],
  core: [{ kind: 'ble', radiusM: 30, where: 'centre' }],
};

/** Thursday lunchtime: out of the core and the districts to the market, deliveries, some through traffic. */
const OD: Record<Exclude<Mode, 'bus'>, Record<string, number>> = {
  car: {
    'core>gate': 1.0,
    'district>square': 1.2,
    'gate>parking': 1.0,
    'gate>gate': 1.1,
    'district>gate': 0.7,
    'gate>district': 0.8,
    'parking>gate': 0.6,
    'square>district': 0.5,
    'station>district': 0.4,
    'gate>core': 0.4,
    'district>district': 0.3,
  },
  van: { 'gate>core': 1.2, 'gate>square': 1.2, 'core>gate': 0.8, 'gate>district': 0.8, 'square>gate': 0.6 },
  truck: { 'gate>gate': 1.5, 'gate>square': 0.8, 'square>gate': 0.4 },
  motorcycle: { 'district>square': 0.8, 'gate>gate': 0.6, 'core>gate': 0.6, 'gate>district': 0.5 },
  bicycle: {
    'district>core': 1.5,
    'district>square': 1.5,
    'core>district': 1,
    'station>core': 0.8,
    'square>district': 0.8,
    'core>square': 0.5,
  },
  pedestrian: {
    'core>square': 2,
    'square>core': 1.5,
    'district>square': 1.5,
    'parking>core': 1.2,
    'core>parking': 0.6,
    'station>core': 1,
    'district>core': 0.8,
    'square>square': 0.6,
    'core>core': 0.5,
  },
};

/** One bus line, station → east gate on the shortest route; stops at a third and two thirds of it. */
const busOf = (net: StreetNet): { line: BusLine; stops: BusStop[] } =>
  shortestBusLine(net, {
    id: 'L1',
    name: 'Ligne 1 Gare ↔ Porte Est',
    origin: 'station',
    destination: 'gate-e',
    from: 'stn',
    to: 'gE',
    firstS: 240,
    returnFirstS: 600,
    headwayS: 720,
  });

export const nogentSpider: WorldRecipe = {
  name: 'nogent-spider',
  heldOut: true,
  description:
    'synthetic spider-web town (netgenerate --spider, 6 arms, 4 circles, no centre node, 3 ring links missing) at Nogent-le-Rotrou’s coordinates (not the real streets); held out of all training and tuning',
  defaults: {
    seed: 20260326,
    durationS: 2400,
    stepS: 0.5,
    /** Thursday 2026-03-26 12:00 Europe/Paris (CET, UTC+1). */
    start: Date.UTC(2026, 2, 26, 11, 0, 0),
    origin: ORIGIN,
    timezone: 'Europe/Paris',
  },
  async network(env) {
    return builtFromNetXml(await netconvertPlain(env, await generate(env)));
  },
  zones: zonesOf,
  layout(net) {
    const counters: CounterSpec[] = [
      {
        id: 'loop-porte-ouest',
        name: 'Boucle route du Mans (2 sens)',
        kind: 'loop',
        modes: MOTOR,
        edge: 'gW-E4',
        at: 0.5,
        span: 'carriageway',
      },
      {
        id: 'velo-nord-est',
        name: 'Compteur vélos route de Brou',
        kind: 'bike',
        modes: ['bicycle'],
        edge: 'C2-D2',
        at: 0.5,
        span: 'full',
      },
      {
        id: 'ped-centre',
        name: 'Compteur piétons centre',
        kind: 'pedestrian',
        modes: ['pedestrian'],
        edge: 'B2-B3',
        at: 0.5,
        span: 'full',
        faulty: { type: 'gap', fromS: 600, toS: 1080 },
      },
    ];
    return {
      cameras: camerasOf(net),
      counters,
      sites: (z) => SITES[z.id] ?? [],
      cordon: (z) => (z.id === 'core' ? ['anpr'] : []),
    };
  },
  demand: (net) => ({
    perHour: { car: 1100, van: 170, truck: 45, motorcycle: 140, bicycle: 260, pedestrian: 1100 },
    peakS: 1500,
    peakSdS: 700,
    odWeight: (mode, o, d) => OD[mode][`${o.kind}>${d.kind}`] ?? 0,
    selfTrips: (mode, z) => mode === 'pedestrian' && (z.kind === 'square' || z.kind === 'core'),
    busLines: [busOf(net).line],
    deviceShare: { pedestrian: 0.7, bicycle: 0.45, motorcycle: 0.4, car: 0.65, van: 0.55, truck: 0.45, bus: 0 },
  }),
  busStops: (net) => busOf(net).stops,
  synth: {
    // 95 % (Wi-Fi) / 98 % (BLE) of phones randomise their addresses, every 1–5 minutes.
    sightings: { wifiRandomShare: 0.95, bleRandomShare: 0.98, rotateMinS: 60, rotateMaxS: 300 },
    // The town's edge detector (held out: its tables are this world's own, used nowhere else). Riders and their
    // two-wheelers as two boxes, vans mostly `car`, a stretched score distribution (more boxes in the low band).
    detector: {
      riders: 'separate',
      labels: {
        pedestrian: { labels: ['person'], weights: [1], flicker: 0, baseMiss: 0.04, baseScore: 0.8 },
        'bicycle:rider': {
          labels: ['person', 'bicycle'],
          weights: [0.95, 0.05],
          flicker: 0.02,
          baseMiss: 0.06,
          baseScore: 0.76,
        },
        'bicycle:bike': {
          labels: ['bicycle', 'motorcycle', 'person'],
          weights: [0.88, 0.09, 0.03],
          flicker: 0.05,
          baseMiss: 0.1,
          baseScore: 0.68,
        },
        'motorcycle:bike': {
          labels: ['motorcycle', 'bicycle', 'car'],
          weights: [0.86, 0.1, 0.04],
          flicker: 0.05,
          baseMiss: 0.04,
          baseScore: 0.8,
        },
        'motorcycle:rider': { labels: ['person'], weights: [1], flicker: 0, baseMiss: 0.2, baseScore: 0.66 },
        car: { labels: ['car', 'truck'], weights: [0.985, 0.015], flicker: 0.02, baseMiss: 0.025, baseScore: 0.88 },
        van: { labels: ['car', 'truck'], weights: [0.86, 0.14], flicker: 0.07, baseMiss: 0.025, baseScore: 0.84 },
        truck: {
          labels: ['truck', 'car', 'bus'],
          weights: [0.82, 0.13, 0.05],
          flicker: 0.06,
          baseMiss: 0.03,
          baseScore: 0.83,
        },
        bus: {
          labels: ['bus', 'truck', 'car'],
          weights: [0.9, 0.08, 0.02],
          flicker: 0.04,
          baseMiss: 0.02,
          baseScore: 0.88,
        },
      },
      scoreShift: -0.12,
      scoreScale: 1.15,
    },
  },
};
