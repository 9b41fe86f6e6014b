/**
 * Counter synthesiser: what the scenario's counters (induction loops, pedestrian and bike counters, Telraam)
 * report per interval, by mode and direction, as `CountRecord`s (`counts.v1`).
 *
 * A counter counts the road users of its modes whose path crosses its line (direction as in geo.ts:
 * 'in' = left of a→b to right). Sensor behaviour, seeded:
 * - loops miss `loopMiss` (1.5 %) of vehicles; bike counters `bikeMiss` (3 %); Telraam `telraamMiss`
 *   (5 % motor vehicles, 10 % pedestrians and bicycles);
 * - pedestrian counters (and Telraam for pedestrians) undercount groups: a pedestrian crossing within
 *   `groupWindowS` (0.7 s) of another one in the same direction is missed with probability `groupMiss` (20 %);
 * - declared faults: 'gap' → no data (count null, uptime 0; a partly covered interval reports the crossings
 *   outside the gap with uptime < 1); 'stuck-zero' → the sensor reports 0 with uptime 1 for the affected part.
 * One record per counter × interval × class × direction, zeros included. The class is the mode, except for
 * Telraam, which reports its own classes (as the Telraam adapter in @passage/ingest does): pedestrian, bicycle,
 * car (cars, vans, motorcycles) and heavy (trucks, buses).
 */
import type { CountRecord, Mode } from '@passage/stream/contracts';
import { Rng } from '../prng.ts';
import { type CrossingEvent, lineCrossings } from '../truth/events.ts';
import type { CounterKind, CounterSpec, SimContext } from './scenario.ts';

export interface CounterNoise {
  loopMiss: number;
  bikeMiss: number;
  telraamMotorMiss: number;
  telraamSoftMiss: number;
  groupWindowS: number;
  groupMiss: number;
}

export const DEFAULT_COUNTER_NOISE: CounterNoise = {
  loopMiss: 0.015,
  bikeMiss: 0.03,
  telraamMotorMiss: 0.05,
  telraamSoftMiss: 0.1,
  groupWindowS: 0.7,
  groupMiss: 0.2,
};

export interface CounterSynthOptions {
  seed?: number;
  /** Interval length, seconds (60 or 900 are what real feeds use). @default 900 */
  intervalS?: number;
  noise?: Partial<CounterNoise>;
}

const DIRECTIONS = ['in', 'out'] as const;

const TELRAAM_CLASS: Record<Mode, string> = {
  pedestrian: 'pedestrian',
  bicycle: 'bicycle',
  motorcycle: 'car',
  car: 'car',
  van: 'car',
  truck: 'heavy',
  bus: 'heavy',
};

/** The class a counter of this kind reports a road user of this mode as. */
export function counterClass(kind: CounterKind, mode: Mode): string {
  return kind === 'telraam' ? TELRAAM_CLASS[mode] : mode;
}

/** The classes a counter reports, in order. */
export function counterClasses(spec: Pick<CounterSpec, 'kind' | 'modes'>): string[] {
  return [...new Set(spec.modes.map((m) => counterClass(spec.kind, m)))];
}

/** Crossings a counter registers (before faults): the true crossings thinned by the sensor's misses. */
export function registeredCrossings(
  ctx: SimContext,
  counterIndex: number,
  options: Pick<CounterSynthOptions, 'seed' | 'noise'> = {},
): CrossingEvent[] {
  const noise = { ...DEFAULT_COUNTER_NOISE, ...options.noise };
  const c = ctx.counters[counterIndex];
  const rng = Rng.keyed(options.seed ?? ctx.scenario.seed, 20, c.spec.id);
  const events = lineCrossings(ctx, c.seg, new Set(c.spec.modes));
  const lastSoft: Record<string, number> = { in: Number.NEGATIVE_INFINITY, out: Number.NEGATIVE_INFINITY };
  const kept: CrossingEvent[] = [];
  for (const e of events) {
    const soft = e.mode === 'pedestrian' || e.mode === 'bicycle';
    let miss = 0;
    switch (c.spec.kind) {
      case 'loop':
        miss = noise.loopMiss;
        break;
      case 'bike':
        miss = noise.bikeMiss;
        break;
      case 'telraam':
        miss = soft ? noise.telraamSoftMiss : noise.telraamMotorMiss;
        break;
      case 'pedestrian':
        miss = 0;
        break;
    }
    if (e.mode === 'pedestrian' && (c.spec.kind === 'pedestrian' || c.spec.kind === 'telraam')) {
      if (e.t - lastSoft[e.direction] <= noise.groupWindowS) miss = 1 - (1 - miss) * (1 - noise.groupMiss);
      lastSoft[e.direction] = e.t;
    }
    if (rng.next() < miss) continue;
    kept.push(e);
  }
  return kept;
}

/** Seconds of [t0, t1) covered by the fault. */
function faultOverlap(spec: CounterSpec, t0: number, t1: number): number {
  if (!spec.faulty) return 0;
  return Math.max(0, Math.min(t1, spec.faulty.toS) - Math.max(t0, spec.faulty.fromS));
}

function inFault(spec: CounterSpec, t: number): boolean {
  return spec.faulty !== undefined && t >= spec.faulty.fromS && t < spec.faulty.toS;
}

/** All counter records of the scenario for one interval length, sorted by (start, sensorId, mode, direction). */
export function synthesizeCounts(ctx: SimContext, options: CounterSynthOptions = {}): CountRecord[] {
  const intervalS = options.intervalS ?? 900;
  const { scenario } = ctx;
  const nIntervals = Math.ceil(scenario.durationS / intervalS);
  const out: CountRecord[] = [];
  ctx.counters.forEach((c, ci) => {
    const spec = c.spec;
    const events = registeredCrossings(ctx, ci, options);
    // counts[interval][mode][direction]
    const counts = new Map<string, number>();
    for (const e of events) {
      if (inFault(spec, e.t)) continue;
      const k = `${Math.floor(e.t / intervalS)}|${counterClass(spec.kind, e.mode)}|${e.direction}`;
      counts.set(k, (counts.get(k) ?? 0) + 1);
    }
    for (let i = 0; i < nIntervals; i++) {
      const t0 = i * intervalS;
      const t1 = Math.min(scenario.durationS, t0 + intervalS);
      const down = faultOverlap(spec, t0, t1);
      const gap = spec.faulty?.type === 'gap';
      const uptime = gap ? Math.round((1 - down / (t1 - t0)) * 1000) / 1000 : 1;
      for (const mode of counterClasses(spec)) {
        for (const direction of DIRECTIONS) {
          const n = counts.get(`${i}|${mode}|${direction}`) ?? 0;
          const rec: CountRecord = {
            sensorId: spec.id,
            start: scenario.start + t0 * 1000,
            end: scenario.start + t1 * 1000,
            direction,
            mode,
            count: gap && down >= t1 - t0 ? null : n,
            uptime,
          };
          out.push(rec);
        }
      }
    }
  });
  out.sort(
    (p, q) =>
      p.start - q.start ||
      cmp(p.sensorId, q.sensorId) ||
      cmp(p.mode ?? '', q.mode ?? '') ||
      cmp(p.direction ?? '', q.direction ?? ''),
  );
  return out;
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
