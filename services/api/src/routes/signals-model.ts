/**
 * Pure pieces of the signals routes: a registry signal controller (groups serving camera-arm movements, plans as
 * group greens within the cycle) turned into the `SignalController` of `@passage/core` (links and phases) that
 * `planJunction` evaluates, phases turned back into group greens for the stage diagram, and the turning-movement
 * analysis of classified 15-minute movements (passenger-car units, approach totals, heavy share, PHF per approach,
 * peak windows).
 */
import {
  DEFAULT_PCU,
  HEAVY_MODES,
  type SignalController,
  type SignalLink,
  type SignalPhase,
  type Turn,
} from '@passage/core';
import type { ClassifiedMovement } from '@passage/store';

export interface RegistryMovement {
  from: string;
  to: string;
  /** Lanes of the entry arm serving it (0 = kerb side); unset: one lane group per (group, arm). */
  lanes?: number[];
  turn?: 'r' | 's' | 'l' | 't';
  /** Yields to opposing traffic (SUMO's `g`): a permitted turn. */
  permitted?: boolean;
}
export interface RegistryGroup {
  id: string;
  movements?: RegistryMovement[];
  kind?: 'vehicle' | 'pedestrian' | 'bicycle';
  minGreenS?: number;
  /** Amber after each green, seconds. */
  amberS?: number;
}
export interface RegistryApproach {
  arm: string;
  laneStorageM?: number[];
  fedByJunction?: boolean;
}
export interface RegistryPlan {
  id: string;
  cycleS: number;
  offsetS?: number;
  /** `yields`: the group's turns give way during this green (unset: as its movements' `permitted` says). */
  greens: { group: string; startS: number; endS: number; yields?: boolean }[];
  days?: number[];
  from?: string;
  to?: string;
}
export interface RegistryController {
  id: string;
  siteId: string;
  name: string;
  cameraIds: string[];
  signalGroups: RegistryGroup[];
  approaches?: RegistryApproach[];
  intergreens: { from: string; to: string; s: number }[];
  plans: RegistryPlan[];
}

export type LonLat = readonly [number, number];

const norm180 = (a: number): number => {
  let x = a % 360;
  if (x > 180) x -= 360;
  if (x <= -180) x += 360;
  return x;
};

/** Compass bearing (degrees clockwise from north) of each arm's centroid seen from the junction centre. */
export function armBearings(arms: ReadonlyMap<string, LonLat>): Map<string, number> {
  const pts = [...arms.values()];
  const lon0 = pts.reduce((a, p) => a + p[0], 0) / Math.max(1, pts.length);
  const lat0 = pts.reduce((a, p) => a + p[1], 0) / Math.max(1, pts.length);
  const k = Math.cos((lat0 * Math.PI) / 180);
  const out = new Map<string, number>();
  for (const [id, p] of arms) out.set(id, (Math.atan2((p[0] - lon0) * k, p[1] - lat0) * 180) / Math.PI);
  return out;
}

/**
 * Turn of a movement from its entry arm to its exit arm: the vehicle heads towards the centre (entry bearing +
 * 180°) and leaves along the exit arm's bearing; a clockwise change of heading is a right turn.
 */
export function turnOf(bearings: ReadonlyMap<string, number>, from: string, to: string): Turn {
  const a = bearings.get(from);
  const b = bearings.get(to);
  if (a === undefined || b === undefined || from === to) return from === to ? 't' : 's';
  const d = norm180(b - (a + 180));
  if (Math.abs(d) < 45) return 's';
  if (d >= 45 && d <= 135) return 'r';
  if (d <= -45 && d >= -135) return 'l';
  return 't';
}

/** Whether local time `s` (seconds in the cycle) is within a green [start, end) that may wrap past the cycle end. */
function inGreen(t: number, g: { startS: number; endS: number }, cycle: number): boolean {
  const s = ((g.startS % cycle) + cycle) % cycle;
  const e = g.endS >= cycle ? g.endS - cycle : g.endS;
  if (g.endS - g.startS >= cycle) return true;
  return s <= e ? t >= s && t < e : t >= s || t < e;
}

/**
 * The links of a controller in state-string order, each with its group: one per (vehicle group, movement, lane)
 * — a movement without `lanes` is one link on the lane group `group|arm` (opposing approaches of a group are
 * separate lane groups), with `lanes` one link per lane on the shared lane `arm#k`, with the approach's storage —
 * one per pedestrian group, and one empty link for a vehicle group that serves no camera arm (an approach no
 * camera sees: it keeps its stage in the plan, with no measured flow).
 */
export function registryLinks(
  c: RegistryController,
  bearings: ReadonlyMap<string, number>,
): { link: SignalLink; group: string; permitted: boolean }[] {
  const approach = new Map((c.approaches ?? []).map((a) => [a.arm, a]));
  const out: { link: SignalLink; group: string; permitted: boolean }[] = [];
  const add = (link: Omit<SignalLink, 'index'>, group: string, permitted = false) =>
    out.push({ link: { index: out.length, ...link }, group, permitted });
  for (const g of c.signalGroups) {
    if (g.kind === 'pedestrian') {
      add({ from: g.id, to: g.id, lane: g.id, turn: 's', pedestrian: true }, g.id);
      continue;
    }
    const ms = g.movements ?? [];
    if (ms.length === 0) add({ from: g.id, to: g.id, lane: g.id, turn: 's' }, g.id);
    for (const m of ms) {
      const a = approach.get(m.from);
      const turn = m.turn ?? turnOf(bearings, m.from, m.to);
      const upstream = a?.fedByJunction === undefined ? {} : { fedByJunction: a.fedByJunction };
      if (!m.lanes) add({ from: m.from, to: m.to, lane: `${g.id}|${m.from}`, turn, ...upstream }, g.id, m.permitted);
      for (const k of m.lanes ?? []) {
        const storageM = a?.laneStorageM?.[k];
        add(
          {
            from: m.from,
            to: m.to,
            lane: `${m.from}#${k}`,
            turn,
            ...upstream,
            ...(storageM === undefined ? {} : { storageM }),
          },
          g.id,
          m.permitted,
        );
      }
    }
  }
  return out;
}

/**
 * The `SignalController` of one plan (links of `registryLinks`): phases cut at every green start and end and at
 * every amber end, each showing `G` to the groups green in it (`g` where they give way: the green's `yields`, else
 * the movement's `permitted`) and `y` to those in their amber.
 */
export function toCoreController(
  c: RegistryController,
  plan: RegistryPlan,
  bearings: ReadonlyMap<string, number>,
): SignalController {
  const rl = registryLinks(c, bearings);
  const amberOf = new Map(c.signalGroups.map((g) => [g.id, g.kind === 'pedestrian' ? 0 : (g.amberS ?? 0)]));
  const cycle = plan.cycleS;
  const wrap = (v: number) => ((v % cycle) + cycle) % cycle;
  const ambers = plan.greens
    .filter((g) => (amberOf.get(g.group) ?? 0) > 0)
    .map((g) => ({ group: g.group, startS: g.endS, endS: g.endS + (amberOf.get(g.group) ?? 0) }));
  const cuts = new Set<number>([0, cycle]);
  for (const g of [...plan.greens, ...ambers]) {
    for (const v of [g.startS, g.endS]) {
      const x = wrap(v);
      if (x > 0 && x < cycle) cuts.add(x);
    }
  }
  const times = [...cuts].sort((a, b) => a - b);
  const phases: SignalPhase[] = [];
  for (let i = 0; i + 1 < times.length; i++) {
    const mid = (times[i] + times[i + 1]) / 2;
    const green = new Map(plan.greens.filter((g) => inGreen(mid, g, cycle)).map((g) => [g.group, g.yields]));
    const amber = new Set(ambers.filter((g) => inGreen(mid, g, cycle)).map((g) => g.group));
    const aspect = (l: (typeof rl)[number]): string => {
      if (green.has(l.group)) return (green.get(l.group) ?? l.permitted) ? 'g' : 'G';
      return amber.has(l.group) ? 'y' : 'r';
    };
    phases.push({ durationS: times[i + 1] - times[i], state: rl.map(aspect).join('') });
  }
  // Merge consecutive phases with the same state (a cut that changes nothing).
  const merged: SignalPhase[] = [];
  for (const p of phases) {
    const last = merged[merged.length - 1];
    if (last && last.state === p.state) last.durationS += p.durationS;
    else merged.push({ ...p });
  }
  return { id: c.id, links: rl.map((l) => l.link), phases: merged, offsetS: plan.offsetS };
}

/** Green intervals [start, end) of each signal group within the cycle of a list of phases (stage diagram). */
export function groupGreens(
  c: RegistryController,
  phases: readonly SignalPhase[],
): { group: string; kind: string; greens: [number, number][]; maxGreenS: number | null }[] {
  const linksOf = new Map<string, number[]>();
  registryLinks(c, new Map()).forEach((l, i) => {
    linksOf.set(l.group, [...(linksOf.get(l.group) ?? []), i]);
  });
  return c.signalGroups.map((g) => {
    const idx = linksOf.get(g.id) ?? [];
    const greens: [number, number][] = [];
    let t = 0;
    // green per cycle when every vehicle-actuated phase of the group runs to its maximum (null: none is actuated)
    let maxGreen = 0;
    let actuated = false;
    for (const p of phases) {
      const on = idx.length > 0 && idx.some((k) => p.state[k] === 'G' || p.state[k] === 'g');
      if (on) {
        const last = greens[greens.length - 1];
        if (last && last[1] === t) last[1] = t + p.durationS;
        else greens.push([t, t + p.durationS]);
        maxGreen += p.maxDurS ?? p.durationS;
        actuated ||= p.maxDurS !== undefined;
      }
      t += p.durationS;
    }
    return { group: g.id, kind: g.kind ?? 'vehicle', greens, maxGreenS: actuated ? maxGreen : null };
  });
}

/** Minutes since local midnight of `HH:MM`. */
export const minutesOf = (hhmm: string): number => Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3, 5));

/** The plan in effect at a local time (minutes since midnight) and ISO weekday, else the first plan. */
export function planAt(plans: readonly RegistryPlan[], minute: number, isoWeekday: number): RegistryPlan | null {
  for (const p of plans) {
    if (p.days && p.days.length > 0 && !p.days.includes(isoWeekday)) continue;
    if (!p.from || !p.to) continue;
    const f = minutesOf(p.from);
    const t = minutesOf(p.to);
    if (f <= t ? minute >= f && minute < t : minute >= f || minute < t) return p;
  }
  return plans.find((p) => !p.from || !p.to) ?? plans[0] ?? null;
}

export type PcuFactors = Readonly<Record<string, number>>;
export const pcuFactors = (over: Partial<Record<string, number>> = {}): PcuFactors =>
  ({ ...DEFAULT_PCU, ...over }) as PcuFactors;
const HEAVY = new Set<string>(HEAVY_MODES);

export interface MovementTable {
  /** Movement keys `from>to`, in a stable order (approach, then exit). */
  keys: string[];
  modes: string[];
  /** Interval starts (epoch ms), every 15 minutes from the first to the last with data. */
  starts: number[];
  /** counts[interval][movement][mode] — vehicles (or pedestrians) per class. */
  counts: number[][][];
}

/** Classified 15-minute movements as a dense table over [from, to) (intervals without rows are zeros). */
export function movementTable(rows: readonly ClassifiedMovement[], from: number, to: number): MovementTable {
  const keys = [...new Set(rows.map((r) => `${r.fromZone}>${r.toZone}`))].sort();
  const modes = [...new Set(rows.map((r) => r.mode))].sort();
  const first = Math.floor(from / 900_000) * 900_000;
  const starts: number[] = [];
  for (let t = first; t < to; t += 900_000) starts.push(t);
  const ki = new Map(keys.map((k, i) => [k, i]));
  const mi = new Map(modes.map((m, i) => [m, i]));
  const counts = starts.map(() => keys.map(() => modes.map(() => 0)));
  for (const r of rows) {
    const i = Math.floor((r.start - first) / 900_000);
    if (i < 0 || i >= starts.length) continue;
    counts[i][ki.get(`${r.fromZone}>${r.toZone}`) as number][mi.get(r.mode) as number] += r.count;
  }
  return { keys, modes, starts, counts };
}

/** Passenger-car units of one cell (movement × modes). */
export const pcuOf = (byMode: readonly number[], modes: readonly string[], f: PcuFactors): number =>
  byMode.reduce((a, c, j) => a + c * (f[modes[j]] ?? 0), 0);
/** Vehicles (modes with a PCU factor > 0) of one cell. */
export const vehiclesOf = (byMode: readonly number[], modes: readonly string[], f: PcuFactors): number =>
  byMode.reduce((a, c, j) => a + ((f[modes[j]] ?? 0) > 0 ? c : 0), 0);

/**
 * Peak hour of a series of 15-minute volumes: the four consecutive intervals with the largest sum, and
 * PHF = V_hour / (4 × V_peak15) within that hour (null with fewer than four intervals or no volume).
 */
export function peakHour(v: readonly number[]): { index: number; volume: number; peak15: number; phf: number } | null {
  let best = -1;
  let bestV = -1;
  for (let i = 0; i + 4 <= v.length; i++) {
    const s = v[i] + v[i + 1] + v[i + 2] + v[i + 3];
    if (s > bestV) {
      bestV = s;
      best = i;
    }
  }
  if (best < 0 || bestV <= 0) return null;
  const peak15 = Math.max(v[best], v[best + 1], v[best + 2], v[best + 3]);
  return { index: best, volume: bestV, peak15, phf: bestV / (4 * peak15) };
}

export const isHeavy = (mode: string): boolean => HEAVY.has(mode);
