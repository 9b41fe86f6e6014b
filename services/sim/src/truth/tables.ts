/**
 * Ground-truth tables of a scenario (never read by the pipeline): what the evaluation compares Passage's
 * outputs with. All rows are anonymous aggregates; cells with zero count are omitted (a missing cell = 0).
 *
 * - line counts per camera line, direction ('in' = left of a→b to right, map north up), mode, minute of the
 *   crossing;
 * - turning movements per camera: first camera zone entered → last camera zone left, bucketed by the time the
 *   road user leaves its last zone; visits that touch a single zone are not movements;
 * - OD by mode from agents.csv origin/destination, bucketed by departure time;
 * - counter truth: every crossing of the counter's line by a road user of the counter's modes (no sensor
 *   misses, no faults), by the classes the counter reports (Telraam: pedestrian, bicycle, car, heavy);
 * - zone-to-zone travel times from trajectories (`truthZoneTrips`): for each agent, from leaving its origin zone's
 *   polygon to entering its destination's (round trips: from leaving to coming back), bucketed by that departure;
 *   independent of sensor placement and of the OD matcher's rule (`truthSiteTrips`, what a matcher with perfect
 *   sensors would measure, is kept as a diagnostic only);
 * - agents per mode.
 */
import type { Mode } from '@passage/stream/contracts';
import { median } from '../eval/metrics.ts';
import { type LocalPolygon, pointInPolygon, toLocalPolygon } from '../geo.ts';
import { counterClass } from '../synth/counters.ts';
import type { SimContext } from '../synth/scenario.ts';
import { MOTOR_MODES } from '../synth/sightings.ts';
import { lineCrossings, type MovementEvent, type SitePass, sitePasses, zoneMovements } from './events.ts';

export type Direction = 'in' | 'out';

export interface LineCountRow {
  cameraId: string;
  lineId: string;
  direction: Direction;
  mode: string;
  /** Epoch ms of the minute. */
  minute: number;
  count: number;
}
export interface MovementRow {
  cameraId: string;
  fromZone: string;
  toZone: string;
  mode: string;
  /** Epoch ms of the window start (any bucket; the evaluation re-buckets). */
  windowStart: number;
  count: number;
}
export interface OdRow {
  origin: string;
  destination: string;
  mode: string;
  windowStart: number;
  trips: number;
}
export interface CounterRow {
  sensorId: string;
  direction: string;
  mode: string;
  /** Epoch ms of the interval start. */
  start: number;
  /** null = no data (output side only). */
  count: number | null;
}
export interface TravelTimeRow {
  origin: string;
  destination: string;
  windowStart: number;
  trips: number;
  travelTimeP50S: number;
}
export interface AgentModeRow {
  mode: string;
  agents: number;
  withDevice: number;
  withPlate: number;
}

export interface TruthTables {
  lineCounts: LineCountRow[];
  movements: MovementRow[];
  od: OdRow[];
  counters: CounterRow[];
  travelTimes: TravelTimeRow[];
  agentModes: AgentModeRow[];
}

export interface TruthOptions {
  /** Bucket of movements, OD, counters and travel times, seconds. @default 900 */
  intervalS?: number;
}

const cmpStr = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/** Group-count helper: key → count, keeping one exemplar row per key. */
function tally<R>(rows: Iterable<{ key: string; row: R }>): { row: R; n: number }[] {
  const m = new Map<string, { row: R; n: number }>();
  for (const { key, row } of rows) {
    const e = m.get(key);
    if (e) e.n++;
    else m.set(key, { row, n: 1 });
  }
  return [...m.values()];
}

function bucket(ctx: SimContext, tS: number, intervalS: number): number {
  return ctx.scenario.start + Math.floor(tS / intervalS) * intervalS * 1000;
}

export function truthLineCounts(ctx: SimContext): LineCountRow[] {
  const rows: LineCountRow[] = [];
  for (const cam of ctx.cameras) {
    for (const line of cam.lines) {
      const events = lineCrossings(ctx, line.seg);
      const groups = tally(
        events.map((e) => {
          const minute = bucket(ctx, e.t, 60);
          return { key: `${minute}|${e.direction}|${e.mode}`, row: { minute, direction: e.direction, mode: e.mode } };
        }),
      );
      for (const g of groups) {
        rows.push({ cameraId: cam.spec.id, lineId: line.id, ...g.row, count: g.n });
      }
    }
  }
  return rows.sort(
    (p, q) =>
      p.minute - q.minute ||
      cmpStr(p.cameraId, q.cameraId) ||
      cmpStr(p.lineId, q.lineId) ||
      cmpStr(p.direction, q.direction) ||
      cmpStr(p.mode, q.mode),
  );
}

/**
 * Every camera-line crossing as an anonymous event (for track-level mode evaluation with `matchModeEvents`):
 * key = `${cameraId}|${lineId}|${direction}`, t in seconds from scenario start.
 */
export function truthLineCrossingEvents(ctx: SimContext): { key: string; t: number; mode: string }[] {
  const out: { key: string; t: number; mode: string }[] = [];
  for (const cam of ctx.cameras) {
    for (const line of cam.lines) {
      for (const e of lineCrossings(ctx, line.seg)) {
        out.push({ key: `${cam.spec.id}|${line.id}|${e.direction}`, t: e.t, mode: e.mode });
      }
    }
  }
  return out.sort((p, q) => p.t - q.t || cmpStr(p.key, q.key));
}

/** Movement events of every camera, with their camera id. */
export function truthMovementEvents(ctx: SimContext): (MovementEvent & { cameraId: string })[] {
  return ctx.cameras.flatMap((cam) => zoneMovements(ctx, cam.zones).map((e) => ({ ...e, cameraId: cam.spec.id })));
}

export function truthMovements(ctx: SimContext, options: TruthOptions = {}): MovementRow[] {
  const intervalS = options.intervalS ?? 900;
  const groups = tally(
    truthMovementEvents(ctx).map((e) => {
      const windowStart = bucket(ctx, e.tExit, intervalS);
      return {
        key: `${e.cameraId}|${e.fromZone}|${e.toZone}|${e.mode}|${windowStart}`,
        row: { cameraId: e.cameraId, fromZone: e.fromZone, toZone: e.toZone, mode: e.mode, windowStart },
      };
    }),
  );
  return groups
    .map((g) => ({ ...g.row, count: g.n }))
    .sort(
      (p, q) =>
        p.windowStart - q.windowStart ||
        cmpStr(p.cameraId, q.cameraId) ||
        cmpStr(p.fromZone, q.fromZone) ||
        cmpStr(p.toZone, q.toZone) ||
        cmpStr(p.mode, q.mode),
    );
}

export function truthOd(ctx: SimContext, options: TruthOptions = {}): OdRow[] {
  const intervalS = options.intervalS ?? 900;
  const groups = tally(
    ctx.agents
      .filter((a) => a.origin !== '' && a.destination !== '' && a.depart >= 0 && a.depart < ctx.scenario.durationS)
      .map((a) => {
        const windowStart = bucket(ctx, a.depart, intervalS);
        return {
          key: `${a.origin}|${a.destination}|${a.mode}|${windowStart}`,
          row: { origin: a.origin, destination: a.destination, mode: a.mode, windowStart },
        };
      }),
  );
  return groups
    .map((g) => ({ ...g.row, trips: g.n }))
    .sort(
      (p, q) =>
        p.windowStart - q.windowStart ||
        cmpStr(p.origin, q.origin) ||
        cmpStr(p.destination, q.destination) ||
        cmpStr(p.mode, q.mode),
    );
}

export function truthCounters(ctx: SimContext, options: TruthOptions = {}): CounterRow[] {
  const intervalS = options.intervalS ?? 900;
  const rows: CounterRow[] = [];
  for (const c of ctx.counters) {
    const events = lineCrossings(ctx, c.seg, new Set<Mode>(c.spec.modes));
    const groups = tally(
      events.map((e) => {
        const start = bucket(ctx, e.t, intervalS);
        const mode = counterClass(c.spec.kind, e.mode);
        return { key: `${start}|${e.direction}|${mode}`, row: { start, direction: e.direction, mode } };
      }),
    );
    for (const g of groups) rows.push({ sensorId: c.spec.id, ...g.row, count: g.n });
  }
  return rows.sort(
    (p, q) =>
      p.start - q.start || cmpStr(p.sensorId, q.sensorId) || cmpStr(p.direction, q.direction) || cmpStr(p.mode, q.mode),
  );
}

export interface SiteVisit {
  siteId: string;
  zoneId: string;
  /** Closest approach, seconds from scenario start. */
  t: number;
  via: 'device' | 'plate';
}

/**
 * True site sequences: for each road user with a device or a plate, its passes at the sites that can see it
 * (Wi-Fi/BLE for devices, ANPR for plates of motor vehicles), in time order. Keyed by agent index (no
 * identifiers).
 */
export function truthSiteSequences(ctx: SimContext): Map<number, SiteVisit[]> {
  const { agents } = ctx;
  const seq = new Map<number, SiteVisit[]>();
  const add = (p: SitePass, via: 'device' | 'plate'): void => {
    const site = ctx.sites[p.siteIndex].spec;
    const list = seq.get(p.agent) ?? [];
    list.push({ siteId: site.id, zoneId: site.zoneId, t: p.tClosest, via });
    seq.set(p.agent, list);
  };
  ctx.sites.forEach((s, si) => {
    if (s.spec.kind === 'anpr') {
      for (const p of sitePasses(ctx, si, (a) => agents[a].plate !== '' && MOTOR_MODES.has(agents[a].mode))) {
        add(p, 'plate');
      }
    } else {
      for (const p of sitePasses(ctx, si, (a) => agents[a].device !== '')) add(p, 'device');
    }
  });
  for (const list of seq.values()) list.sort((p, q) => p.t - q.t || cmpStr(p.siteId, q.siteId));
  return seq;
}

/** A road user's trip between sighting zones as perfect sensors see it (see the module comment). */
export interface TruthSiteTrip {
  via: 'device' | 'plate';
  origin: string;
  destination: string;
  /** Departure: closest approach at the last site of the origin run, s from the scenario start. */
  departS: number;
  travelS: number;
}

/** One trip per road user and identity (device, plate) seen in at least two zones. */
export function truthSiteTrips(ctx: SimContext): TruthSiteTrip[] {
  const out: TruthSiteTrip[] = [];
  for (const visits of truthSiteSequences(ctx).values()) {
    for (const via of ['device', 'plate'] as const) {
      const v = visits.filter((x) => x.via === via);
      if (v.length < 2) continue;
      let j = 1;
      while (j < v.length && v[j].zoneId === v[0].zoneId) j++;
      if (j >= v.length) continue;
      const last = v[v.length - 1].zoneId;
      let k = v.length - 1;
      while (k - 1 >= 0 && v[k - 1].zoneId === last) k--;
      out.push({ via, origin: v[0].zoneId, destination: last, departS: v[j - 1].t, travelS: v[k].t - v[j - 1].t });
    }
  }
  return out;
}

/** One road user's trip between its OD zones as its trajectory shows it (see `truthTravelTimes`). */
export interface TruthZoneTrip {
  agent: number;
  origin: string;
  destination: string;
  /** Leaving the origin zone's polygon, s from the scenario start. */
  departS: number;
  travelS: number;
}

/**
 * Trips between OD zones from trajectories, independent of where sensors stand: for each agent (agents.csv origin
 * and destination), departure = when its trajectory leaves the origin zone's polygon for the last time before it
 * enters the destination's, arrival = when it enters the destination's polygon; for a round trip (origin =
 * destination) departure = the end of its first stay in the zone, arrival = its return. A boundary crossing
 * between two trajectory rows is timed on the chord between them (bisection); with no row inside the origin
 * (destination) polygon, the agent's `depart` (`arrive`) is used: trips start and end inside their zones. Agents
 * without both times (still travelling, no trajectory, a round trip never seen leaving) have none.
 */
export function truthZoneTrips(ctx: SimContext, options: { modes?: ReadonlySet<string> } = {}): TruthZoneTrip[] {
  const polys = new Map(ctx.scenario.zones.map((z) => [z.id, toLocalPolygon(ctx.frame, z.polygon)]));
  const { traj } = ctx;
  const out: TruthZoneTrip[] = [];
  for (const a of ctx.agents) {
    if (options.modes && !options.modes.has(a.mode)) continue;
    const po = polys.get(a.origin);
    const pd = polys.get(a.destination);
    if (!po || !pd || !(a.depart >= 0 && a.depart < ctx.scenario.durationS)) continue;
    const rows: number[] = [];
    for (let k = traj.agentStart[a.index]; k < traj.agentStart[a.index + 1]; k++) rows.push(traj.byAgent[k]);
    const inside = (poly: LocalPolygon) => rows.map((r) => pointInPolygon(poly, traj.x[r], traj.y[r]));
    // Time the boundary of `poly` is crossed between rows i and i + 1 (on the chord between their positions).
    const cross = (poly: LocalPolygon, i: number): number => {
      const r0 = rows[i];
      const r1 = rows[i + 1];
      const start = pointInPolygon(poly, traj.x[r0], traj.y[r0]);
      let lo = 0;
      let hi = 1;
      for (let it = 0; it < 20; it++) {
        const m = (lo + hi) / 2;
        const x = traj.x[r0] + m * (traj.x[r1] - traj.x[r0]);
        const y = traj.y[r0] + m * (traj.y[r1] - traj.y[r0]);
        if (pointInPolygon(poly, x, y) === start) lo = m;
        else hi = m;
      }
      const f = (lo + hi) / 2;
      return traj.t[r0] + f * (traj.t[r1] - traj.t[r0]);
    };
    const inO = inside(po);
    let departS: number;
    let arriveS: number;
    if (a.origin !== a.destination) {
      const inD = inside(pd);
      const iArr = inD.indexOf(true);
      if (iArr >= 0) arriveS = iArr > 0 ? cross(pd, iArr - 1) : traj.t[rows[iArr]];
      else if (Number.isFinite(a.arrive)) arriveS = a.arrive;
      else continue;
      let iDep = -1;
      for (let i = (iArr >= 0 ? iArr : rows.length) - 1; i >= 0; i--) {
        if (inO[i]) {
          iDep = i;
          break;
        }
      }
      departS = iDep < 0 ? a.depart : iDep + 1 < rows.length && !inO[iDep + 1] ? cross(po, iDep) : traj.t[rows[iDep]];
    } else {
      const first = inO.indexOf(true);
      const outIdx = first < 0 ? -1 : inO.indexOf(false, first);
      const back = outIdx < 0 ? -1 : inO.indexOf(true, outIdx);
      if (back < 0) continue;
      departS = cross(po, outIdx - 1);
      arriveS = cross(po, back - 1);
    }
    if (!(arriveS > departS)) continue;
    out.push({ agent: a.index, origin: a.origin, destination: a.destination, departS, travelS: arriveS - departS });
  }
  return out;
}

/**
 * Truth travel times per (origin, destination, window of the departure from the origin zone): the median of the
 * trajectory-based zone-to-zone times (`truthZoneTrips`, every mode, or `modes`). Never the matcher's rule.
 */
export function truthTravelTimes(
  ctx: SimContext,
  options: TruthOptions & { modes?: ReadonlySet<string> } = {},
): TravelTimeRow[] {
  const intervalS = options.intervalS ?? 900;
  const cells = new Map<string, { origin: string; destination: string; windowStart: number; times: number[] }>();
  for (const t of truthZoneTrips(ctx, options.modes ? { modes: options.modes } : {})) {
    const windowStart = bucket(ctx, t.departS, intervalS);
    const key = `${t.origin}|${t.destination}|${windowStart}`;
    const cell = cells.get(key) ?? { origin: t.origin, destination: t.destination, windowStart, times: [] };
    cell.times.push(t.travelS);
    cells.set(key, cell);
  }
  return [...cells.values()]
    .map((c) => ({
      origin: c.origin,
      destination: c.destination,
      windowStart: c.windowStart,
      trips: c.times.length,
      travelTimeP50S: Math.round(median(c.times) * 10) / 10,
    }))
    .sort(
      (p, q) => p.windowStart - q.windowStart || cmpStr(p.origin, q.origin) || cmpStr(p.destination, q.destination),
    );
}

export function truthAgentModes(ctx: SimContext): AgentModeRow[] {
  const m = new Map<string, AgentModeRow>();
  for (const a of ctx.agents) {
    const r = m.get(a.mode) ?? { mode: a.mode, agents: 0, withDevice: 0, withPlate: 0 };
    r.agents++;
    if (a.device !== '') r.withDevice++;
    if (a.plate !== '') r.withPlate++;
    m.set(a.mode, r);
  }
  return [...m.values()].sort((p, q) => cmpStr(p.mode, q.mode));
}

/** All truth tables of a scenario. */
export function buildTruth(ctx: SimContext, options: TruthOptions = {}): TruthTables {
  return {
    lineCounts: truthLineCounts(ctx),
    movements: truthMovements(ctx, options),
    od: truthOd(ctx, options),
    counters: truthCounters(ctx, options),
    travelTimes: truthTravelTimes(ctx, options),
    agentModes: truthAgentModes(ctx),
  };
}
