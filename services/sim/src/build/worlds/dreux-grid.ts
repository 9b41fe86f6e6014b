/**
 * dreux-grid: a grid town (`netgenerate --grid`, 5 × 4 junctions, 130 m × 115 m blocks) at Dreux's coordinates on a
 * Saturday morning (10:00–10:45). Two 2-lane avenues (the row "rue de Paris" W–E and the column "Grande Rue" N–S),
 * 1-lane 30 km/h streets elsewhere, sidewalks everywhere, crossings and traffic lights guessed by netconvert
 * (`--tls.guess`: the avenue junctions). Access roads of netgenerate's attached streets make four gates, a station
 * and a car park; the other attached streets are dropped. A market block, a core block and two districts.
 *
 * Sensors (a medium layout): 7 cameras of mixed models (4–10 m masts, 60–110° lenses, 5–30 fps, 720p to 1440p)
 * calibrated by hand (click error σ 2.5 px, points ±0.15 m off the ground plane); ANPR at the gates, the station and
 * around the market; Wi-Fi at 5 places, BLE at 2; 4 counters, one faulty. Over 90 % of phones randomise their
 * addresses every 2–10 minutes (`synth.sightings`).
 */
import type { BusLine, BusStop } from '../demand.ts';
import { type NetEdge, type NetNode, type RoadClass, streetNet } from '../network.ts';
import type { CalibrationSpec, CameraSpec, CounterSpec, SensorLayout, SightingUnit } from '../sensors.ts';
import type { Mode } from '../vtypes.ts';
import type { ZoneDef } from '../zones.ts';
import {
  accessZone,
  areaZone,
  builtFromNetXml,
  edgeMid,
  netconvertPlain,
  netgenerate,
  rect,
  twoWay,
  type WorldRecipe,
} from './common.ts';

const COLS = ['A', 'B', 'C', 'D', 'E'];
const DX = 130;
const DY = 115;
/** Local x of column i, y of row j (the grid is centred on the origin). */
const gx = (i: number): number => (i - 2) * DX;
const gy = (j: number): number => (j - 1.5) * DY;

/** netgenerate's attached streets kept as access roads: outer node → zone. */
const ACCESS: Record<string, { id: string; name: string; kind: ZoneDef['kind']; cls: RoadClass }> = {
  left1: { id: 'gate-w', name: 'Porte Ouest (route de Paris)', kind: 'gate', cls: 'gate' },
  right1: { id: 'gate-e', name: 'Porte Est (route d’Évreux)', kind: 'gate', cls: 'gate' },
  top2: { id: 'gate-n', name: 'Porte Nord (route de Rouen)', kind: 'gate', cls: 'gate' },
  bottom2: { id: 'gate-s', name: 'Porte Sud (route de Chartres)', kind: 'gate', cls: 'gate' },
  bottom0: { id: 'station', name: 'Gare de Dreux', kind: 'station', cls: 'stub' },
  top4: { id: 'parking', name: 'Parking des Halles', kind: 'parking', cls: 'stub' },
};

/** Avenues: row 1 (W–E) and column C (N–S). */
function streetClass(a: string, b: string): RoadClass {
  const row = (n: string): string => n.slice(1);
  const col = (n: string): string => n[0];
  if (row(a) === '1' && row(b) === '1') return 'avenue';
  if (col(a) === 'C' && col(b) === 'C') return 'avenue';
  return 'street';
}

const MOTOR: Mode[] = ['car', 'van', 'truck', 'bus', 'motorcycle'];
const ALL: Mode[] = ['pedestrian', 'bicycle', 'motorcycle', 'car', 'van', 'truck', 'bus'];

/** The installer's calibration: 5 × 3 points within 70 m, clicked to σ 2.5 px, ±0.15 m off the ground plane. */
const CLICKED: CalibrationSpec = {
  us: [0.1, 0.3, 0.5, 0.7, 0.9],
  vs: [0.58, 0.76, 0.93],
  maxRangeM: 70,
  pixelSigma: 2.5,
  groundZErrM: 0.15,
};
const MASTS = [16, 20, 25, 30, 36, 42];

const cam = (
  id: string,
  name: string,
  node: string,
  heightM: number,
  hfovDeg: number,
  res: 720 | 1080 | 1440,
  fps: number,
): CameraSpec => ({
  id,
  name,
  node,
  heightM,
  hfovDeg,
  width: { 720: 1280, 1080: 1920, 1440: 2560 }[res],
  height: res,
  fps,
  mastDistancesM: MASTS,
  calibration: CLICKED,
});

const CAMERAS: CameraSpec[] = [
  cam('cam-porte-ouest', 'Route de Paris × rue Rotrou (porte Ouest)', 'A1', 9.5, 95, 1080, 25),
  cam('cam-halles', 'Rue de Paris × rue des Halles (marché)', 'B1', 6, 110, 720, 12.5),
  cam('cam-grande-rue', 'Rue de Paris × Grande Rue', 'C1', 8, 85, 1440, 15),
  cam('cam-grande-rue-nord', 'Grande Rue × rue Parisis', 'C2', 5, 105, 1080, 5),
  cam('cam-rotrou-nord', 'Rue des Halles × rue Parisis', 'B2', 4.2, 100, 720, 30),
  cam('cam-porte-est', 'Rue de Paris × route d’Évreux (porte Est)', 'E1', 10, 70, 1440, 25),
  cam('cam-porte-sud', 'Grande Rue × route de Chartres (porte Sud)', 'C0', 7, 60, 1080, 12.5),
];

const COUNTERS: CounterSpec[] = [
  {
    id: 'loop-porte-est',
    name: 'Boucle route d’Évreux (2 sens)',
    kind: 'loop',
    modes: MOTOR,
    edge: 'right1-E1',
    at: 0.5,
    span: 'carriageway',
    faulty: { type: 'gap', fromS: 900, toS: 1500 },
  },
  {
    id: 'loop-porte-nord-in',
    name: 'Boucle route de Rouen (entrant)',
    kind: 'loop',
    modes: MOTOR,
    edge: 'top2-C3',
    at: 0.5,
    span: 'inbound',
  },
  {
    id: 'ped-halles',
    name: 'Compteur piétons rue des Halles',
    kind: 'pedestrian',
    modes: ['pedestrian'],
    edge: 'A2-B2',
    at: 0.5,
    span: 'full',
  },
  {
    id: 'telraam-grande-rue',
    name: 'Telraam Grande Rue nord',
    kind: 'telraam',
    modes: ALL,
    edge: 'C2-C3',
    at: 0.5,
    span: 'full',
  },
];

const SITES: Record<string, readonly SightingUnit[]> = {
  'gate-w': [
    { kind: 'anpr', radiusM: 15, where: 'entry' },
    { kind: 'wifi', radiusM: 40, where: 'entry' },
  ],
  'gate-e': [
    { kind: 'anpr', radiusM: 15, where: 'entry' },
    { kind: 'wifi', radiusM: 40, where: 'entry' },
  ],
  'gate-n': [{ kind: 'anpr', radiusM: 15, where: 'entry' }],
  'gate-s': [{ kind: 'anpr', radiusM: 15, where: 'entry' }],
  station: [
    { kind: 'anpr', radiusM: 15, where: 'entry' },
    { kind: 'wifi', radiusM: 50, where: 'centre' },
    { kind: 'ble', radiusM: 25, where: 'centre' },
  ],
  market: [{ kind: 'wifi', radiusM: 45, where: 'centre' }],
  core: [
    { kind: 'wifi', radiusM: 45, where: 'centre' },
    { kind: 'ble', radiusM: 25, where: 'centre' },
  ],
};

const LAYOUT: SensorLayout = {
  cameras: CAMERAS,
  counters: COUNTERS,
  sites: (z) => SITES[z.id] ?? [],
  cordon: (z) => (z.id === 'market' ? ['anpr'] : []),
};

/** Saturday morning: shopping at the market and in the core, residents going out, little through traffic. */
const OD: Record<Exclude<Mode, 'bus'>, Record<string, number>> = {
  car: {
    'gate>parking': 1.6,
    'gate>square': 1.2,
    'gate>core': 0.6,
    'gate>gate': 0.8,
    'gate>district': 0.5,
    'gate>station': 0.4,
    'district>square': 1.0,
    'district>gate': 0.9,
    'district>core': 0.3,
    'district>parking': 0.3,
    'square>gate': 0.6,
    'square>district': 0.4,
    'core>gate': 0.4,
    'parking>gate': 0.5,
    'station>gate': 0.3,
  },
  van: {
    'gate>square': 2,
    'gate>core': 1.2,
    'square>gate': 0.8,
    'core>gate': 0.8,
    'gate>district': 0.6,
    'gate>gate': 0.3,
  },
  truck: { 'gate>gate': 1, 'gate>square': 1, 'square>gate': 0.5 },
  motorcycle: {
    'gate>square': 0.6,
    'gate>gate': 0.6,
    'district>gate': 0.5,
    'gate>core': 0.4,
    'district>square': 0.4,
  },
  bicycle: {
    'district>square': 2,
    'district>core': 1.5,
    'station>core': 1,
    'square>district': 1,
    'core>district': 0.8,
    'gate>square': 0.6,
    'district>station': 0.5,
    'district>district': 0.4,
  },
  pedestrian: {
    'parking>square': 3,
    'parking>core': 2,
    'district>square': 2.5,
    'district>core': 1,
    'station>core': 1.5,
    'station>square': 1,
    'square>core': 1.5,
    'core>square': 1.5,
    'square>parking': 1,
    'core>parking': 0.8,
    'square>district': 1,
    'core>district': 0.6,
    'square>square': 0.5,
  },
};

/** Bus line along the rue de Paris, gate to gate, stopping at the market and the Grande Rue. */
const BUS_LINE: BusLine = {
  id: 'L1',
  name: 'Ligne 1 Porte Ouest ↔ Porte Est',
  origin: 'gate-w',
  destination: 'gate-e',
  edges: ['left1-A1', 'A1-B1', 'B1-C1', 'C1-D1', 'D1-E1', 'E1-right1'],
  stops: ['bs_halles_out', 'bs_grande_rue_out'],
  returnStops: ['bs_grande_rue_back', 'bs_halles_back'],
  firstS: 180,
  returnFirstS: 480,
  headwayS: 900,
};
const BUS_STOPS: BusStop[] = [
  { id: 'bs_halles_out', name: 'Halles', edge: 'A1-B1', at: 'mid' },
  { id: 'bs_halles_back', name: 'Halles', edge: 'B1-A1', at: 'mid' },
  { id: 'bs_grande_rue_out', name: 'Grande Rue', edge: 'C1-D1', at: 'mid' },
  { id: 'bs_grande_rue_back', name: 'Grande Rue', edge: 'D1-C1', at: 'mid' },
];

export const dreuxGrid: WorldRecipe = {
  name: 'dreux-grid',
  heldOut: false,
  description:
    'synthetic grid town (netgenerate --grid, 5 × 4 junctions, 130 m × 115 m blocks) at Dreux’s coordinates (not the real streets)',
  defaults: {
    seed: 20260314,
    durationS: 2700,
    stepS: 0.5,
    /** Saturday 2026-03-14 10:00 Europe/Paris (CET, UTC+1). */
    start: Date.UTC(2026, 2, 14, 9, 0, 0),
    origin: { lon: 1.3656, lat: 48.7366 },
    timezone: 'Europe/Paris',
  },
  async network(env) {
    const gen = await netgenerate(env, [
      '--grid',
      '--grid.x-number',
      '5',
      '--grid.y-number',
      '4',
      '--grid.x-length',
      String(DX),
      '--grid.y-length',
      String(DY),
      '--grid.attach-length',
      '160',
    ]);
    // netgenerate puts junction A0 at (attach-length, attach-length): centre the grid on the origin.
    const [ax, ay] = gen.nodes.get('A0') ?? [0, 0];
    const ox = ax - gx(0);
    const oy = ay - gy(0);
    const nodes: NetNode[] = [];
    for (const [id, [x, y]] of gen.nodes) {
      const inner = COLS.includes(id[0]) && /^[A-E]\d$/.test(id);
      if (!inner && !ACCESS[id]) continue;
      nodes.push({ id, x: Math.round((x - ox) * 100) / 100, y: Math.round((y - oy) * 100) / 100, type: 'priority' });
    }
    const byId = new Map(nodes.map((n) => [n.id, n]));
    const edges: NetEdge[] = [];
    for (const [a, b] of gen.streets) {
      const na = byId.get(a);
      const nb = byId.get(b);
      if (!na || !nb) continue;
      const access = ACCESS[a] ?? ACCESS[b];
      edges.push(...twoWay(na, nb, access ? access.cls : streetClass(a, b)));
    }
    edges.sort((p, q) => (p.id < q.id ? -1 : p.id > q.id ? 1 : 0));
    const netXml = await netconvertPlain(env, streetNet(nodes, edges), ['--tls.guess', 'true']);
    return builtFromNetXml(netXml);
  },
  zones(net) {
    const zones: ZoneDef[] = [];
    for (const [outer, z] of Object.entries(ACCESS)) {
      const inner = net.edges.find((e) => e.from === outer)?.to;
      if (!inner) throw new Error(`dreux-grid: access road ${outer} missing`);
      zones.push(accessZone(net, { ...z, inner, outer }));
    }
    // Market: block A1–B2 with its four streets; core: block C1–D2. Districts keep 12 m off their borders.
    zones.push(
      areaZone(net, {
        id: 'market',
        name: 'Place Métézeau – Halles',
        kind: 'square',
        polygon: rect(gx(0) - 10, gy(1) - 10, gx(1) + 10, gy(2) + 10),
        centre: edgeMid(net, 'A1-B1'),
      }),
      areaZone(net, {
        id: 'core',
        name: 'Centre – Grande Rue',
        kind: 'core',
        polygon: rect(gx(2) - 10, gy(1) - 10, gx(3) + 10, gy(2) + 10),
        centre: edgeMid(net, 'C2-D2'),
      }),
      areaZone(net, {
        id: 'district-north',
        name: 'Quartier Saint-Jean (nord)',
        kind: 'district',
        polygon: rect(gx(1) - 10, gy(2) + 12, gx(3) + 10, gy(3) + 10),
      }),
      areaZone(net, {
        id: 'district-south',
        name: 'Quartier des Rochelles (sud)',
        kind: 'district',
        polygon: rect(gx(1) - 10, gy(0) - 10, gx(4) + 10, gy(1) - 12),
      }),
    );
    return zones;
  },
  layout: () => LAYOUT,
  demand: () => ({
    perHour: { car: 1500, van: 120, truck: 30, motorcycle: 120, bicycle: 320, pedestrian: 1800 },
    peakS: 1800,
    peakSdS: 900,
    odWeight: (mode, o, d) => OD[mode][`${o.kind}>${d.kind}`] ?? 0,
    selfTrips: (mode, z) => mode === 'pedestrian' && z.kind === 'square',
    busLines: [BUS_LINE],
    deviceShare: { pedestrian: 0.75, bicycle: 0.5, motorcycle: 0.4, car: 0.6, van: 0.6, truck: 0.5, bus: 0 },
  }),
  busStops: () => BUS_STOPS,
  synth: {
    // Phones of 2026: nearly all randomise their Wi-Fi and BLE addresses, every 2–10 minutes.
    sightings: { wifiRandomShare: 0.93, bleRandomShare: 0.96, rotateMinS: 120, rotateMaxS: 600 },
  },
};
