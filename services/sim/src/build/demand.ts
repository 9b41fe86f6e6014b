/**
 * Weekday-morning demand between the named zones, all from the seeded PRNG: trips for duarouter, pedestrian walk
 * plans, two bus lines on fixed routes, plus each agent's identity (plate, device MAC).
 */

import { localPolygon, pointInPolygon } from '../geo.ts';
import { createRng, type Rng } from './prng.ts';
import { MODES, type Mode, vtypesByMode } from './vtypes.ts';
import type { ZoneDef } from './zones.ts';

export interface DemandOptions {
  /** Length of the demand period (seconds from t=0). */
  durationS: number;
  /** Agents per hour by mode (buses come from the timetable). */
  perHour?: Partial<Record<Exclude<Mode, 'bus'>, number>>;
  /** Peak of the departure profile (seconds from t=0) and its spread (s). */
  peakS?: number;
  peakSdS?: number;
  /** Relative OD weight of a trip of `mode` from zone o to zone d (default: chartres-centre's weekday morning). */
  odWeight?: (mode: Exclude<Mode, 'bus'>, o: ZoneDef, d: ZoneDef) => number;
  /** Trips may start and end in the same zone for this mode and zone (default: pedestrians in the core). */
  selfTrips?: (mode: Exclude<Mode, 'bus'>, zone: ZoneDef) => boolean;
  /** Bus lines (default: chartres-centre's L1 and L2). */
  busLines?: readonly BusLine[];
  /** Share of agents carrying a device, by mode (default `DEVICE_SHARE`). */
  deviceShare?: Record<Mode, number>;
}

/** A bus line on a fixed route (edges `<from>-<to>`; the return runs the reversed edges) with its stops. */
export interface BusLine {
  id: string;
  name: string;
  origin: string;
  destination: string;
  edges: readonly string[];
  stops: readonly string[];
  returnStops: readonly string[];
  firstS: number;
  returnFirstS: number;
  /** Default `BUS_HEADWAY_S`. */
  headwayS?: number;
}

/** A bus stop on the first vehicle lane of an edge (lane 0 is the sidewalk). */
export interface BusStop {
  id: string;
  name: string;
  edge: string;
  at: 'start' | 'mid' | 'end';
}

export const DEFAULT_PER_HOUR: Record<Exclude<Mode, 'bus'>, number> = {
  car: 2700,
  van: 380,
  truck: 90,
  motorcycle: 170,
  bicycle: 380,
  pedestrian: 2300,
};

/** Share of agents carrying a device seen by Wi-Fi/BLE sensors, by mode. */
export const DEVICE_SHARE: Record<Mode, number> = {
  pedestrian: 0.5,
  bicycle: 0.3,
  car: 0.5,
  van: 0.5,
  truck: 0.5,
  motorcycle: 0.3,
  bus: 0,
};

export interface AgentPlan {
  id: string;
  mode: Mode;
  vtype: string;
  /** Planned departure (s from t=0). */
  depart: number;
  origin: string;
  destination: string;
  fromEdge: string;
  toEdge: string;
  departPos?: number;
  arrivalPos?: number;
  /** Bus only: named route and bus stops. */
  route?: string;
  stops?: string[];
  plate: string;
  device: string;
}

/** Bus lines on fixed routes (edge lists in the network of network.ts) and their stops. */
export const BUS_LINES: readonly BusLine[] = [
  {
    id: 'L1',
    name: 'Ligne 1 Gare ↔ Porte Sud',
    origin: 'station',
    destination: 'gate-s',
    edges: ['stn-r3a7', 'r3a7-r2a7', 'r2a7-r2a6', 'r2a6-r2a5', 'r2a5-r2a4', 'r2a4-r3a4', 'r3a4-gS'],
    stops: ['bs_gare_out', 'bs_marche_out'],
    returnStops: ['bs_marche_back', 'bs_gare_back'],
    firstS: 120,
    returnFirstS: 420,
  },
  {
    id: 'L2',
    name: 'Ligne 2 Porte Est ↔ Porte Ouest',
    origin: 'gate-e',
    destination: 'gate-w',
    edges: ['gE-r3a2', 'r3a2-r2a2', 'r2a2-r2a1', 'r2a1-r2a0', 'r2a0-r2a7', 'r2a7-r2a6', 'r2a6-r3a6', 'r3a6-gW'],
    stops: ['bs_cathedrale_out'],
    returnStops: ['bs_cathedrale_back'],
    firstS: 240,
    returnFirstS: 540,
  },
];
export const BUS_HEADWAY_S = 600;
export const BUS_DWELL_S = 20;

/** Bus stops: lane (index 1 = first vehicle lane; lane 0 is the sidewalk), start and end offsets from the lane end. */
export const BUS_STOPS: readonly BusStop[] = [
  { id: 'bs_gare_out', name: 'Gare', edge: 'stn-r3a7', at: 'start' },
  { id: 'bs_gare_back', name: 'Gare', edge: 'r3a7-stn', at: 'end' },
  { id: 'bs_marche_out', name: 'Marché', edge: 'r2a6-r2a5', at: 'mid' },
  { id: 'bs_marche_back', name: 'Marché', edge: 'r2a5-r2a6', at: 'mid' },
  { id: 'bs_cathedrale_out', name: 'Cathédrale', edge: 'r2a1-r2a0', at: 'mid' },
  { id: 'bs_cathedrale_back', name: 'Cathédrale', edge: 'r2a0-r2a1', at: 'mid' },
];

export function busStopsXml(
  laneLength: (edge: string) => number,
  stops: readonly BusStop[] = BUS_STOPS,
  lineIds = 'L1 L2',
): string {
  const lines = ['<?xml version="1.0" encoding="UTF-8"?>', '<additional>'];
  for (const s of stops) {
    const len = laneLength(s.edge);
    const span = 20;
    const start = s.at === 'start' ? 5 : s.at === 'end' ? len - 5 - span : len / 2 - span / 2;
    lines.push(
      `  <busStop id="${s.id}" name="${s.name}" lane="${s.edge}_1" startPos="${start.toFixed(2)}" endPos="${(start + span).toFixed(2)}" lines="${lineIds}"/>`,
    );
  }
  lines.push('</additional>', '');
  return lines.join('\n');
}

const opposite = (o: ZoneDef, d: ZoneDef): boolean =>
  `${o.id}|${d.id}`.match(/gate-n\|gate-s|gate-s\|gate-n|gate-e\|gate-w|gate-w\|gate-e/) !== null;

/**
 * Relative OD weights per mode and pair of zone kinds (`origin>destination`) for a weekday morning: inbound
 * commuting, deliveries, station and school trips. Car gate>gate: 1.6 between opposite gates, 1.1 otherwise.
 */
const OD: Record<Exclude<Mode, 'bus'>, Record<string, number>> = {
  car: {
    'gate>parking': 2.2,
    'gate>station': 1.0,
    'gate>square': 0.6,
    'gate>core': 0.35,
    'parking>gate': 0.3,
    'station>gate': 0.9,
    'core>gate': 0.8,
    'square>gate': 0.4,
    'core>station': 0.3,
    'station>core': 0.1,
    'parking>station': 0.1,
    'district>gate': 1.3,
    'gate>district': 0.45,
    'district>station': 0.5,
    'district>parking': 0.1,
    'district>district': 0.2,
    'district>core': 0.15,
  },
  van: {
    'gate>square': 3,
    'gate>core': 1.5,
    'square>gate': 1,
    'core>gate': 1.2,
    'gate>gate': 0.4,
    'gate>parking': 0.2,
    'gate>station': 0.5,
    'square>core': 0.5,
    'gate>district': 1.0,
    'district>gate': 0.4,
  },
  truck: { 'gate>gate': 1.5, 'gate>square': 1.5, 'square>gate': 0.6 },
  motorcycle: {
    'gate>gate': 0.8,
    'gate>station': 0.5,
    'gate>core': 0.5,
    'gate>square': 0.5,
    'gate>parking': 0.5,
    'core>gate': 0.3,
    'district>gate': 0.5,
    'district>station': 0.2,
  },
  bicycle: {
    'station>core': 3,
    'gate>core': 2,
    'gate>station': 1.5,
    'core>station': 1,
    'gate>square': 1,
    'square>core': 0.5,
    'core>square': 0.5,
    'gate>gate': 0.4,
    'core>gate': 0.6,
    'district>station': 1.2,
    'district>core': 1,
    'district>gate': 0.6,
    'district>square': 0.4,
  },
  pedestrian: {
    'station>core': 4,
    'station>square': 2,
    'parking>core': 3,
    'parking>square': 1.5,
    'gate>core': 1,
    'core>station': 1.5,
    'square>core': 1,
    'core>square': 1,
    'gate>station': 0.5,
    'core>parking': 0.4,
    'square>station': 0.5,
    'core>core': 0.8,
    'district>core': 1.5,
    'district>station': 1.2,
    'district>square': 1,
    'core>district': 0.4,
    'parking>district': 0.4,
  },
};

function odWeight(mode: Exclude<Mode, 'bus'>, o: ZoneDef, d: ZoneDef): number {
  const key = `${o.kind}>${d.kind}`;
  if (mode === 'car' && key === 'gate>gate') return opposite(o, d) ? 1.6 : 1.1;
  return OD[mode][key] ?? 0;
}

const MODE_PREFIX: Record<Mode, string> = {
  pedestrian: 'ped',
  bicycle: 'bike',
  motorcycle: 'moto',
  car: 'car',
  van: 'van',
  truck: 'truck',
  bus: 'bus',
};

/** Departure-time sampler: flat base plus a Gaussian peak, cumulative over 1 s bins. */
function departSampler(durationS: number, peakS: number, sdS: number): (rng: Rng) => number {
  const cdf = new Float64Array(durationS);
  let acc = 0;
  for (let t = 0; t < durationS; t++) {
    acc += 0.55 + Math.exp(-0.5 * ((t + 0.5 - peakS) / sdS) ** 2);
    cdf[t] = acc;
  }
  return (rng) => {
    const r = rng.next() * acc;
    let lo = 0;
    let hi = durationS - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (cdf[mid] < r) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  };
}

const PLATE_LETTERS = 'ABCDEFGHJKLMNPQRSTVWXYZ';

/**
 * Stretches [s0, s1] (metres along the polyline) of `shape` that lie inside `poly` (even-odd rule).
 */
export function insideStretches(
  shape: readonly [number, number][],
  poly: readonly [number, number][],
): [number, number][] {
  const out: [number, number][] = [];
  const lp = localPolygon(poly);
  let s = 0;
  let open: number | null = null;
  const STEP = 1;
  for (let i = 1; i < shape.length; i++) {
    const [x0, y0] = shape[i - 1];
    const [x1, y1] = shape[i];
    const len = Math.hypot(x1 - x0, y1 - y0);
    const n = Math.max(1, Math.ceil(len / STEP));
    for (let k = i === 1 ? 0 : 1; k <= n; k++) {
      const f = k / n;
      const inside = pointInPolygon(lp, x0 + (x1 - x0) * f, y0 + (y1 - y0) * f);
      const at = s + len * f;
      if (inside && open === null) open = at;
      if (!inside && open !== null) {
        out.push([open, at]);
        open = null;
      }
    }
    s += len;
  }
  if (open !== null) out.push([open, s]);
  return out;
}

/**
 * @param edgeShape centre line of an edge (local metres): when given, trips of squares, districts and the core
 *   start and end on the part of their edge inside the zone's polygon (a trip "to the market" ends at the
 *   market), else anywhere along the edge.
 */
export function generateDemand(
  zones: ZoneDef[],
  laneLength: (edge: string) => number,
  seed: number,
  opts: DemandOptions,
  edgeShape?: (edge: string) => [number, number][],
): AgentPlan[] {
  const durationS = opts.durationS;
  const weightOf = opts.odWeight ?? odWeight;
  const selfTrips = opts.selfTrips ?? ((mode, z) => mode === 'pedestrian' && z.kind === 'core');
  const deviceShare = opts.deviceShare ?? DEVICE_SHARE;
  const perHour = { ...DEFAULT_PER_HOUR, ...opts.perHour };
  const sample = departSampler(durationS, opts.peakS ?? 2250, opts.peakSdS ?? 480);
  const raw: Omit<AgentPlan, 'id' | 'plate' | 'device'>[] = [];
  const posRng = createRng(seed, 'positions');
  const stretches = new Map<string, { parts: [number, number][]; total: number; scale: number }>();
  const randomPos = (edge: string, zone: ZoneDef): number | undefined => {
    const len = laneLength(edge);
    if (zone.kind === 'gate' || zone.kind === 'parking' || zone.kind === 'station') return undefined;
    const lo = Math.min(5, len / 4);
    const hi = Math.max(len - 5, (3 * len) / 4);
    if (edgeShape !== undefined) {
      const key = `${zone.id}|${edge}`;
      let st = stretches.get(key);
      if (st === undefined) {
        const shape = edgeShape(edge);
        let shapeLen = 0;
        for (let i = 1; i < shape.length; i++)
          shapeLen += Math.hypot(shape[i][0] - shape[i - 1][0], shape[i][1] - shape[i - 1][1]);
        const scale = shapeLen > 0 ? len / shapeLen : 1;
        const parts = insideStretches(shape, zone.polygon)
          .map(([a, b]): [number, number] => [Math.max(lo, a * scale), Math.min(hi, b * scale)])
          .filter(([a, b]) => b - a >= 1);
        st = { parts, total: parts.reduce((acc, [a, b]) => acc + b - a, 0), scale };
        stretches.set(key, st);
      }
      if (st.total >= 5) {
        let u = posRng.range(0, st.total);
        for (const [a, b] of st.parts) {
          if (u <= b - a) return Math.round((a + u) * 10) / 10;
          u -= b - a;
        }
      }
    }
    return Math.round(posRng.range(lo, hi) * 10) / 10;
  };
  for (const mode of MODES) {
    if (mode === 'bus') continue;
    const rng = createRng(seed, `demand:${mode}`);
    const pairs: [ZoneDef, ZoneDef][] = [];
    const weights: number[] = [];
    for (const o of zones)
      for (const d of zones) {
        if (o === d && !selfTrips(mode, o)) continue;
        const w = weightOf(mode, o, d);
        if (w > 0) {
          pairs.push([o, d]);
          weights.push(w);
        }
      }
    const types = vtypesByMode(mode);
    const n = Math.round((perHour[mode] * durationS) / 3600);
    const walkLike = mode === 'pedestrian';
    for (let i = 0; i < n; i++) {
      const [o, d] = pairs[rng.weighted(weights)];
      const fromList = walkLike ? o.walkFrom : o.vehicleFrom;
      const toList = walkLike ? d.walkTo : d.vehicleTo;
      let fromEdge = rng.pick(fromList);
      let toEdge = rng.pick(toList);
      for (let tries = 0; tries < 10 && (toEdge === fromEdge || sameStreet(fromEdge, toEdge)); tries++) {
        fromEdge = rng.pick(fromList);
        toEdge = rng.pick(toList);
      }
      if (toEdge === fromEdge) continue;
      const vtype = types[rng.weighted(types.map((t) => t.share))].id;
      raw.push({
        mode,
        vtype,
        depart: sample(rng),
        origin: o.id,
        destination: d.id,
        fromEdge,
        toEdge,
        departPos: randomPos(fromEdge, o),
        arrivalPos: randomPos(toEdge, d),
      });
    }
  }
  for (const line of opts.busLines ?? BUS_LINES) {
    const back = [...line.edges].reverse().map((e) => e.split('-').reverse().join('-'));
    const headway = line.headwayS ?? BUS_HEADWAY_S;
    for (let t = line.firstS; t < durationS; t += headway)
      raw.push({
        mode: 'bus',
        vtype: 'bus_standard',
        depart: t,
        origin: line.origin,
        destination: line.destination,
        fromEdge: line.edges[0],
        toEdge: line.edges[line.edges.length - 1],
        route: `${line.id}_out`,
        stops: [...line.stops],
      });
    for (let t = line.returnFirstS; t < durationS; t += headway)
      raw.push({
        mode: 'bus',
        vtype: 'bus_standard',
        depart: t,
        origin: line.destination,
        destination: line.origin,
        fromEdge: back[0],
        toEdge: back[back.length - 1],
        route: `${line.id}_back`,
        stops: [...line.returnStops],
      });
  }
  // Stable order: departure, then mode order, then generation order.
  const modeRank = new Map(MODES.map((m, i) => [m, i]));
  const order = raw.map((_, i) => i);
  order.sort(
    (a, b) => raw[a].depart - raw[b].depart || modeRank.get(raw[a].mode)! - modeRank.get(raw[b].mode)! || a - b,
  );
  const counters = new Map<Mode, number>();
  const idRng = createRng(seed, 'identities');
  const plates = new Set<string>();
  const devices = new Set<string>();
  return order.map((i) => {
    const p = raw[i];
    const n = (counters.get(p.mode) ?? 0) + 1;
    counters.set(p.mode, n);
    const motor = p.mode !== 'pedestrian' && p.mode !== 'bicycle';
    let plate = '';
    if (motor) {
      do plate = makePlate(idRng);
      while (plates.has(plate));
      plates.add(plate);
    }
    let device = '';
    if (idRng.chance(deviceShare[p.mode])) {
      do device = makeMac(idRng);
      while (devices.has(device));
      devices.add(device);
    }
    return { id: `${MODE_PREFIX[p.mode]}${String(n).padStart(4, '0')}`, ...p, plate, device };
  });
}

/** True when both edges are the two directions of the same street (a U-turn trip). */
function sameStreet(a: string, b: string): boolean {
  return a.split('-').reverse().join('-') === b;
}

function makePlate(rng: Rng): string {
  const l = (): string => PLATE_LETTERS[rng.int(PLATE_LETTERS.length)];
  return `${l()}${l()}-${String(1 + rng.int(999)).padStart(3, '0')}-${l()}${l()}`;
}

/** Locally administered, unicast MAC address. */
/** A universal (globally administered, bit 0x02 clear) unicast MAC: the device's own address. */
function makeMac(rng: Rng): string {
  const bytes = [rng.int(256) & 0xfc];
  for (let i = 0; i < 5; i++) bytes.push(rng.int(256));
  return bytes.map((b) => b.toString(16).padStart(2, '0')).join(':');
}

const f1 = (v: number): string => v.toFixed(1);

/** The trips and persons file for duarouter (sorted by departure); buses go to `busesXml`. */
export function tripsXml(plans: AgentPlan[], vtypes: string[] = []): string {
  const lines = ['<?xml version="1.0" encoding="UTF-8"?>', '<routes>', ...vtypes];
  for (const p of plans) {
    const dp = p.departPos === undefined ? '' : ` departPos="${f1(p.departPos)}"`;
    const ap = p.arrivalPos === undefined ? '' : ` arrivalPos="${f1(p.arrivalPos)}"`;
    if (p.mode === 'bus') continue;
    if (p.mode === 'pedestrian') {
      lines.push(`  <person id="${p.id}" type="${p.vtype}" depart="${p.depart}.00"${dp}>`);
      lines.push(`    <walk from="${p.fromEdge}" to="${p.toEdge}"${ap}/>`);
      lines.push('  </person>');
    } else {
      const fromGate = p.departPos === undefined && p.origin.startsWith('gate-');
      const speed = fromGate ? ' departSpeed="max"' : '';
      lines.push(
        `  <trip id="${p.id}" type="${p.vtype}" depart="${p.depart}.00" departLane="best"${speed}${dp} from="${p.fromEdge}" to="${p.toEdge}"${ap}/>`,
      );
    }
  }
  lines.push('</routes>', '');
  return lines.join('\n');
}

/** Buses on their fixed routes with their stops, read by sumo directly (duarouter drops `line` vehicles). */
export function busesXml(plans: AgentPlan[], vtypes: string[] = [], busLines: readonly BusLine[] = BUS_LINES): string {
  const lines = ['<?xml version="1.0" encoding="UTF-8"?>', '<routes>', ...vtypes];
  for (const line of busLines) {
    const back = [...line.edges].reverse().map((e) => e.split('-').reverse().join('-'));
    lines.push(`  <route id="${line.id}_out" edges="${line.edges.join(' ')}"/>`);
    lines.push(`  <route id="${line.id}_back" edges="${back.join(' ')}"/>`);
  }
  for (const p of plans) {
    if (p.mode !== 'bus') continue;
    lines.push(
      `  <vehicle id="${p.id}" type="${p.vtype}" route="${p.route}" depart="${p.depart}.00" departLane="best" line="${p.route?.split('_')[0]}">`,
    );
    for (const s of p.stops ?? []) lines.push(`    <stop busStop="${s}" duration="${BUS_DWELL_S}"/>`);
    lines.push('  </vehicle>');
  }
  lines.push('</routes>', '');
  return lines.join('\n');
}
