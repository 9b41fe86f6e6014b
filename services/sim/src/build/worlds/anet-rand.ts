/**
 * anet-rand — the HELD-OUT world: never used to train or tune anything; figures on it are reported as they come.
 *
 * An irregular town (`netgenerate --rand`, fixed seed) near Anet's coordinates on a Wednesday evening
 * (17:00–17:40). Access roads of 150 m are attached outwards at the network's northernmost, easternmost,
 * southernmost and westernmost junctions (gates) and at its north-western one (the station); the shortest W–E and
 * N–S routes become 2-lane avenues (traffic lights guessed by netconvert), every other street is 1 lane at 30 km/h.
 * Zones are found on the network: the core around the most central junction, a market square and a district at
 * junctions picked by distance and bearing from it.
 *
 * Sensors (a sparse layout): 5 low-mast, narrow-lens cameras (4–6 m, 62–78°, 720p or 1440p, 5–15 fps) calibrated
 * by hand (σ 3 px, ±0.15 m off the ground); plates at the gates only; 3 Wi-Fi sniffers, no BLE; 2 counters. Every
 * phone randomises its addresses. Its cameras' edge detector draws riders in one box with their two-wheeler and
 * has its own confusion table and score distribution (`synth.detector`).
 */

import { localPolygon, pointInPolygon } from '../../geo.ts';
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
  shortestBusLine,
  shortestRoute,
  twoWay,
  type WorldRecipe,
} from './common.ts';

type V2 = [number, number];

const ORIGIN: Origin = { lon: 1.4395, lat: 48.8575 };
const STUB_M = 150;

/** Access roads: id of the outer node, the zone, and the direction in which its junction is extreme. */
const ACCESS = [
  { outer: 'gN', id: 'gate-n', name: 'Porte Nord (route de Dreux)', kind: 'gate', dir: [0, 1] },
  { outer: 'gE', id: 'gate-e', name: 'Porte Est (route de Paris)', kind: 'gate', dir: [1, 0] },
  { outer: 'gS', id: 'gate-s', name: 'Porte Sud (route d’Ivry)', kind: 'gate', dir: [0, -1] },
  { outer: 'gW', id: 'gate-w', name: 'Porte Ouest (route d’Évreux)', kind: 'gate', dir: [-1, 0] },
  { outer: 'stn', id: 'station', name: 'Halte ferroviaire', kind: 'station', dir: [-Math.SQRT1_2, Math.SQRT1_2] },
] as const satisfies readonly {
  outer: string;
  id: string;
  name: string;
  kind: ZoneDef['kind'];
  dir: readonly [number, number];
}[];

/** The irregular network: netgenerate's random net, centred, with access roads and avenues. */
async function generate(env: Parameters<WorldRecipe['network']>[0]): Promise<StreetNet> {
  const gen = await netgenerate(env, [
    '--rand',
    '--rand.iterations',
    '48',
    '--rand.min-distance',
    '85',
    '--rand.max-distance',
    '170',
    '--rand.min-angle',
    '40',
    '--rand.connectivity',
    '0.95',
    '--rand.neighbor-dist1',
    '0',
    '--rand.neighbor-dist2',
    '0.2',
    '--rand.neighbor-dist3',
    '0.5',
    '--rand.neighbor-dist4',
    '0.3',
    '--rand.neighbor-dist5',
    '0',
    '--rand.neighbor-dist6',
    '0',
  ]);
  const xs = [...gen.nodes.values()].map((p) => p[0]);
  const ys = [...gen.nodes.values()].map((p) => p[1]);
  const cx = (Math.min(...xs) + Math.max(...xs)) / 2;
  const cy = (Math.min(...ys) + Math.max(...ys)) / 2;
  const nodes: NetNode[] = [...gen.nodes].map(([id, [x, y]]) => ({
    id: `n${id}`,
    x: Math.round((x - cx) * 100) / 100,
    y: Math.round((y - cy) * 100) / 100,
    type: 'priority',
  }));
  nodes.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  const streets: [string, string][] = gen.streets.map(([a, b]) => [`n${a}`, `n${b}`]);
  const used = new Set<string>();
  const access: [string, string][] = [];
  for (const a of ACCESS) {
    const inner = nodes
      .filter((n) => !used.has(n.id))
      .reduce((best, n) => (n.x * a.dir[0] + n.y * a.dir[1] > best.x * a.dir[0] + best.y * a.dir[1] ? n : best));
    used.add(inner.id);
    nodes.push({
      id: a.outer,
      x: Math.round((inner.x + STUB_M * a.dir[0]) * 100) / 100,
      y: Math.round((inner.y + STUB_M * a.dir[1]) * 100) / 100,
      type: 'priority',
    });
    access.push([inner.id, a.outer]);
  }
  const byId = new Map(nodes.map((n) => [n.id, n]));
  const plain = (cls: (a: string, b: string) => RoadClass): NetEdge[] => {
    const edges: NetEdge[] = [];
    for (const [a, b] of streets) edges.push(...twoWay(byId.get(a)!, byId.get(b)!, cls(a, b)));
    for (const [inner, outer] of access)
      edges.push(...twoWay(byId.get(outer)!, byId.get(inner)!, outer === 'stn' ? 'stub' : 'gate'));
    return edges.sort((p, q) => (p.id < q.id ? -1 : p.id > q.id ? 1 : 0));
  };
  // Avenues: the shortest W–E and N–S routes across the town.
  const draft = streetNet(
    nodes,
    plain(() => 'street'),
  );
  const avenue = new Set<string>();
  for (const [from, to] of [
    ['gW', 'gE'],
    ['gN', 'gS'],
  ]) {
    const first = draft.edges.find((e) => e.from === from)!.id;
    const last = draft.edges.find((e) => e.to === to)!.id;
    for (const id of shortestRoute(draft, first, last)) {
      const e = draft.edge(id);
      avenue.add(`${e.from}|${e.to}`).add(`${e.to}|${e.from}`);
    }
  }
  return streetNet(
    nodes,
    plain((a, b) => (avenue.has(`${a}|${b}`) ? 'avenue' : 'street')),
  );
}

const dist = (a: NetNode, b: NetNode | V2): number =>
  Array.isArray(b) ? Math.hypot(a.x - b[0], a.y - b[1]) : Math.hypot(a.x - b.x, a.y - b.y);

/** Bearing (0 = north, clockwise) from a to b, degrees. */
const bearingTo = (a: NetNode, b: NetNode): number => (Math.atan2(b.x - a.x, b.y - a.y) * 180) / Math.PI;
const angleOff = (a: number, b: number): number => Math.abs(((a - b + 540) % 360) - 180);

/** Junctions where streets meet (3 or more streets, not access roads' outer ends). */
function junctions(net: StreetNet): NetNode[] {
  const degree = new Map<string, number>();
  for (const e of net.edges) degree.set(e.from, (degree.get(e.from) ?? 0) + 1);
  return net.nodes.filter((n) => (degree.get(n.id) ?? 0) >= 3);
}

function overlaps(a: V2[], b: V2[]): boolean {
  const la = localPolygon(a);
  const lb = localPolygon(b);
  return a.some(([x, y]) => pointInPolygon(lb, x, y)) || b.some(([x, y]) => pointInPolygon(la, x, y));
}

/** Zones of the irregular town, found on its network. */
function zonesOf(net: StreetNet): ZoneDef[] {
  const zones: ZoneDef[] = ACCESS.map((a) => {
    const inner = net.edges.find((e) => e.from === a.outer)!.to;
    return accessZone(net, { id: a.id, name: a.name, kind: a.kind, inner, outer: a.outer });
  });
  const js = junctions(net);
  const core = js.reduce((best, n) => (dist(n, [0, 0]) < dist(best, [0, 0]) ? n : best));
  const area = (
    id: string,
    name: string,
    kind: ZoneDef['kind'],
    r: number,
    pick: (n: NetNode) => number,
    ok: (n: NetNode) => boolean,
  ): ZoneDef => {
    const candidates = js.filter(ok).sort((a, b) => pick(a) - pick(b) || (a.id < b.id ? -1 : 1));
    for (const n of candidates) {
      const polygon = circle([n.x, n.y], r);
      if (zones.some((z) => overlaps(z.polygon, polygon))) continue;
      try {
        return areaZone(net, { id, name, kind, polygon, centre: [n.x, n.y] });
      } catch {}
    }
    throw new Error(`anet-rand: no junction fits zone ${id}`);
  };
  zones.push(
    area(
      'core',
      'Centre – Château',
      'core',
      75,
      (n) => dist(n, core),
      () => true,
    ),
  );
  zones.push(
    area(
      'market',
      'Place du Marché',
      'square',
      55,
      (n) => angleOff(bearingTo(core, n), 135),
      (n) => dist(n, core) >= 200 && dist(n, core) <= 420,
    ),
  );
  zones.push(
    area(
      'district-west',
      'Quartier de la Vesgre (ouest)',
      'district',
      130,
      (n) => angleOff(bearingTo(core, n), 290),
      (n) => dist(n, core) >= 300,
    ),
  );
  return zones;
}

const CLICKED: CalibrationSpec = {
  us: [0.2, 0.5, 0.8],
  vs: [0.62, 0.8, 0.95],
  maxRangeM: 60,
  pixelSigma: 3,
  groundZErrM: 0.15,
};
/** The camera model of this town: low masts, narrow lenses, 720p or 1440p, low frame rates. */
const MODELS: Pick<CameraSpec, 'heightM' | 'hfovDeg' | 'width' | 'height' | 'fps'>[] = [
  { heightM: 4.5, hfovDeg: 62, width: 2560, height: 1440, fps: 12.5 },
  { heightM: 5.5, hfovDeg: 75, width: 1280, height: 720, fps: 5 },
  { heightM: 4, hfovDeg: 70, width: 2560, height: 1440, fps: 15 },
  { heightM: 5, hfovDeg: 78, width: 1280, height: 720, fps: 12.5 },
  { heightM: 6, hfovDeg: 66, width: 2560, height: 1440, fps: 5 },
];
const CAMERA_COUNT = 5;

/** Cameras at the core junction, the gates' junctions, the market, then the busiest other junctions. */
function camerasOf(net: StreetNet, zones: ZoneDef[]): CameraSpec[] {
  const js = junctions(net);
  const near = (p: V2): NetNode => js.reduce((best, n) => (dist(n, p) < dist(best, p) ? n : best));
  const core = zones.find((z) => z.id === 'core')!.centre!;
  const market = zones.find((z) => z.id === 'market')!.centre!;
  const gateJunctions = ACCESS.filter((a) => a.kind === 'gate').map((a) =>
    net.node(net.edges.find((e) => e.from === a.outer)!.to),
  );
  const degree = (n: NetNode): number => net.edges.filter((e) => e.from === n.id).length;
  const rest = [...js].sort((a, b) => degree(b) - degree(a) || dist(a, [0, 0]) - dist(b, [0, 0]));
  const order = [near(core), gateJunctions[3], gateJunctions[1], near(market), gateJunctions[0], ...rest];
  const out: CameraSpec[] = [];
  for (const n of order) {
    if (out.length === CAMERA_COUNT) break;
    if (out.some((c) => dist(net.node(c.node), n) < 120)) continue;
    const spec: CameraSpec = {
      id: `cam-${n.id}`,
      name: `Carrefour ${n.id}`,
      node: n.id,
      ...MODELS[out.length],
      mastDistancesM: [20, 26, 32, 40, 48, 56],
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
const ALL: Mode[] = ['pedestrian', 'bicycle', 'motorcycle', 'car', 'van', 'truck', 'bus'];

const SITES: Record<string, readonly SightingUnit[]> = {
  'gate-n': [{ kind: 'anpr', radiusM: 15, where: 'entry' }],
  'gate-s': [{ kind: 'anpr', radiusM: 15, where: 'entry' }],
  'gate-w': [{ kind: 'anpr', radiusM: 15, where: 'entry' }],
  'gate-e': [
    { kind: 'anpr', radiusM: 15, where: 'entry' },
    { kind: 'wifi', radiusM: 40, where: 'entry' },
  ],
  station: [{ kind: 'wifi', radiusM: 50, where: 'centre' }],
  core: [{ kind: 'wifi', radiusM: 40, where: 'centre' }],
};

/** Wednesday evening: leaving work and the centre, coming home, through traffic on the avenues. */
const OD: Record<Exclude<Mode, 'bus'>, Record<string, number>> = {
  car: {
    'core>gate': 1.5,
    'gate>district': 1.4,
    'gate>gate': 1.0,
    'square>gate': 0.6,
    'district>gate': 0.4,
    'station>district': 0.8,
    'core>station': 0.4,
    'square>district': 0.5,
    'gate>core': 0.4,
    'gate>square': 0.3,
  },
  van: { 'core>gate': 1.5, 'square>gate': 1, 'gate>gate': 0.5, 'district>gate': 0.4 },
  truck: { 'gate>gate': 2, 'square>gate': 0.5 },
  motorcycle: { 'core>gate': 1, 'gate>district': 0.8, 'gate>gate': 0.6, 'station>district': 0.3 },
  bicycle: {
    'core>district': 2,
    'station>district': 1,
    'core>station': 1,
    'square>district': 0.5,
    'gate>district': 0.4,
  },
  pedestrian: {
    'core>station': 2,
    'station>core': 1,
    'core>square': 1,
    'square>core': 1,
    'district>square': 1,
    'core>district': 1,
    'station>district': 0.6,
    'core>core': 0.6,
  },
};

/** One bus line, station → east gate, on the shortest route; stops at a third and two thirds of it. */
const busOf = (net: StreetNet): { line: BusLine; stops: BusStop[] } =>
  shortestBusLine(net, {
    id: 'L1',
    name: 'Ligne 1 Halte ↔ Porte Est',
    origin: 'station',
    destination: 'gate-e',
    from: 'stn',
    to: 'gE',
    firstS: 150,
    returnFirstS: 450,
    headwayS: 600,
  });

export const anetRand: WorldRecipe = {
  name: 'anet-rand',
  heldOut: true,
  description:
    'synthetic irregular town (netgenerate --rand, fixed seed) near Anet’s coordinates (not the real streets); held out of all training and tuning',
  defaults: {
    seed: 20260318,
    durationS: 2400,
    stepS: 0.5,
    /** Wednesday 2026-03-18 17:00 Europe/Paris (CET, UTC+1). */
    start: Date.UTC(2026, 2, 18, 16, 0, 0),
    origin: ORIGIN,
    timezone: 'Europe/Paris',
  },
  async network(env) {
    const net = await generate(env);
    return builtFromNetXml(await netconvertPlain(env, net, ['--tls.guess', 'true']));
  },
  zones: zonesOf,
  layout(net, zones) {
    const gateW = net.edges.find((e) => e.from === 'gW')!;
    const core = zones.find((z) => z.id === 'core')!.centre!;
    const coreNode = junctions(net).reduce((b, n) => (dist(n, core) < dist(b, core) ? n : b));
    const telraamEdge =
      net.edges.find((e) => e.from === coreNode.id && e.cls !== 'pedestrian' && (e.geom?.lanes ?? 1) > 1) ??
      net.edges.find((e) => e.from === coreNode.id)!;
    const counters: CounterSpec[] = [
      {
        id: 'loop-porte-ouest-in',
        name: 'Boucle route d’Évreux (entrant)',
        kind: 'loop',
        modes: MOTOR,
        edge: gateW.id,
        at: 0.5,
        span: 'inbound',
      },
      {
        id: 'telraam-centre',
        name: 'Telraam centre',
        kind: 'telraam',
        modes: ALL,
        edge: telraamEdge.id,
        at: 0.6,
        span: 'full',
        faulty: { type: 'stuck-zero', fromS: 1500, toS: 1800 },
      },
    ];
    return {
      cameras: camerasOf(net, zones),
      counters,
      sites: (z) => SITES[z.id] ?? [],
      cordon: () => [],
    };
  },
  demand: (net) => ({
    perHour: { car: 1000, van: 140, truck: 40, motorcycle: 120, bicycle: 200, pedestrian: 900 },
    peakS: 1300,
    peakSdS: 600,
    odWeight: (mode, o, d) => OD[mode][`${o.kind}>${d.kind}`] ?? 0,
    selfTrips: (mode, z) => mode === 'pedestrian' && z.kind === 'core',
    busLines: [busOf(net).line],
    deviceShare: { pedestrian: 0.6, bicycle: 0.4, motorcycle: 0.35, car: 0.55, van: 0.5, truck: 0.5, bus: 0 },
  }),
  busStops: (net) => busOf(net).stops,
  synth: {
    // Every phone randomises (Wi-Fi only here: no BLE sniffers), every 3–8 minutes.
    sightings: { wifiRandomShare: 1, bleRandomShare: 1, rotateMinS: 180, rotateMaxS: 480 },
    // The town's edge detector (held out: its tables are this world's own, used nowhere else).
    detector: {
      riders: 'merged',
      labels: {
        pedestrian: { labels: ['person'], weights: [1], flicker: 0, baseMiss: 0.05, baseScore: 0.78 },
        'bicycle:bike': {
          labels: ['bicycle', 'person', 'motorcycle'],
          weights: [0.78, 0.14, 0.08],
          flicker: 0.07,
          baseMiss: 0.07,
          baseScore: 0.7,
        },
        'motorcycle:bike': {
          labels: ['motorcycle', 'bicycle', 'person'],
          weights: [0.82, 0.12, 0.06],
          flicker: 0.06,
          baseMiss: 0.05,
          baseScore: 0.74,
        },
        car: { labels: ['car', 'truck'], weights: [0.97, 0.03], flicker: 0.02, baseMiss: 0.03, baseScore: 0.86 },
        van: { labels: ['truck', 'car'], weights: [0.68, 0.32], flicker: 0.09, baseMiss: 0.03, baseScore: 0.82 },
        truck: {
          labels: ['truck', 'bus', 'car'],
          weights: [0.9, 0.06, 0.04],
          flicker: 0.05,
          baseMiss: 0.03,
          baseScore: 0.84,
        },
        bus: { labels: ['bus', 'truck'], weights: [0.78, 0.22], flicker: 0.05, baseMiss: 0.02, baseScore: 0.86 },
      },
      scoreShift: -0.08,
      scoreScale: 0.9,
    },
  },
};
