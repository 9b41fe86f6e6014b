/**
 * Saturation headways from queue discharge seen by a camera (issue 13, item 2), the HCM field method: a road user
 * that stood still (ground speed below `stoppedSpeedMs`) within `queueWindowS` before it left the approach arm of its
 * turning movement was queued (an arm zone is short: a queue reaches back beyond it, still in the picture), and so
 * was one that came into the picture within that time slower than `entrySpeedMs` (it started from a queue beyond
 * the picture: on chartres-centre the cameras see the first 2–3 cars of a queue, the others come in at 3–6 m/s
 * where free arrivals come in at 10–14 m/s);
 * the times the queued road users leave that arm into the junction, in order, are the discharge; a run of queued
 * departures ends at a road user of the same group that never stopped (the queue has cleared) or at a gap longer
 * than `maxHeadwayS` (the red of the next cycle); the headways from the `(skipVehicles + 1)`-th queued road user of a
 * run on are saturated (the first ones carry the start-up lost time). Groups: each approach (all its movements,
 * `toZone` `'*'`) and each movement (approach → exit zone).
 *
 * Only aggregates leave: per approach × movement × 15 minutes (the quarter hour of the departure that closes the
 * headway), the number of saturated headways, their sum (seconds) and the passenger-car units of the road users
 * that close them (`pcu`), so a saturation flow is 3,600 × pcuSum / headwaySumS PCU per hour of green. Departures
 * wait in memory until no earlier one can still arrive (tracks end after they leave the arm: `horizonMs`); their
 * times never leave this class.
 */
import type { Mode, TrackSummary } from '../counting/types.ts';

export interface DischargeOptions {
  /** Below this ground speed (m/s) a road user is standing in the queue. @default 1.5 */
  stoppedSpeedMs?: number;
  /** A stop this long (s) before leaving the arm makes the road user queued. @default 60 */
  queueWindowS?: number;
  /** A road user first seen slower than this (m/s) within `queueWindowS` before leaving the arm was queued. @default 6 */
  entrySpeedMs?: number;
  /** Queued departures skipped at the start of a run (start-up lost time): HCM's 4. @default 4 */
  skipVehicles?: number;
  /** A gap between queued departures longer than this (s) ends the run (next cycle, or not saturated). @default 10 */
  maxHeadwayS?: number;
  /** A departure is final this long (ms of event time) after it happened: tracks end after leaving the arm. @default 120000 */
  horizonMs?: number;
  /** Aggregation period (ms). @default 900000 */
  bucketMs?: number;
  /** PCU per mode (the planner's factors); a mode with 0 (pedestrians) takes no part. */
  pcu: Readonly<Record<Mode, number>>;
  /** Modes that queue in the carriageway. @default car, van, truck, bus, motorcycle */
  modes?: readonly Mode[];
}

/** One aggregate row: saturated headways of an approach (toZone `'*'`) or movement in a quarter hour. */
export interface DischargeRow {
  fromZone: string;
  /** Exit zone of the movement, or `'*'` for every movement of the approach. */
  toZone: string;
  /** Start of the period (epoch ms). */
  start: number;
  headways: number;
  headwaySumS: number;
  pcuSum: number;
}

/** Every movement of an approach (the approach's row). */
export const ALL_MOVEMENTS = '*';

interface Departure {
  fromZone: string;
  toZone: string;
  ts: number;
  queued: boolean;
  pcu: number;
}

interface RunState {
  n: number;
  lastTs: number;
}

const DEFAULT_MODES: readonly Mode[] = ['car', 'van', 'truck', 'bus', 'motorcycle'];

/** Saturation flow (PCU per hour of green) of summed rows; NaN without headways. */
export function saturationFlowOf(rows: Iterable<Pick<DischargeRow, 'headwaySumS' | 'pcuSum'>>): number {
  let h = 0;
  let p = 0;
  for (const r of rows) {
    h += r.headwaySumS;
    p += r.pcuSum;
  }
  return h > 0 ? (3600 * p) / h : Number.NaN;
}

export class DischargeMeter {
  private readonly stoppedKmh: number;
  private readonly skip: number;
  private readonly windowMs: number;
  private readonly entryKmh: number;
  private readonly maxGapMs: number;
  private readonly horizonMs: number;
  private readonly bucketMs: number;
  private readonly pcu: Readonly<Record<Mode, number>>;
  private readonly modes: ReadonlySet<Mode>;
  /** Departures not yet final, unsorted. */
  private waiting: Departure[] = [];
  /** Departures up to this time (ms) are applied; later ones wait. */
  private appliedUpTo = Number.NEGATIVE_INFINITY;
  private readonly runs = new Map<string, RunState>();
  private readonly cells = new Map<string, DischargeRow>();

  constructor(options: DischargeOptions) {
    this.stoppedKmh = (options.stoppedSpeedMs ?? 1.5) * 3.6;
    this.skip = options.skipVehicles ?? 4;
    this.windowMs = (options.queueWindowS ?? 60) * 1000;
    this.entryKmh = (options.entrySpeedMs ?? 6) * 3.6;
    this.maxGapMs = (options.maxHeadwayS ?? 10) * 1000;
    this.horizonMs = options.horizonMs ?? 120_000;
    this.bucketMs = options.bucketMs ?? 900_000;
    this.pcu = options.pcu;
    this.modes = new Set(options.modes ?? DEFAULT_MODES);
  }

  /**
   * A finished road user: its movement, mode, and its ground speeds (km/h) at times `t` (ms), `n` samples. Counts
   * only a road user of a queuing mode with a movement whose approach visit is closed (it left the arm).
   */
  add(
    summary: TrackSummary,
    mode: Mode | undefined,
    t: ArrayLike<number>,
    speedKmh: ArrayLike<number>,
    n: number,
  ): void {
    const m = summary.movement;
    if (!m || mode === undefined || !this.modes.has(mode)) return;
    const pcu = this.pcu[mode] ?? 0;
    if (!(pcu > 0)) return;
    let visit: TrackSummary['zones'][number] | undefined;
    for (const z of summary.zones) if (z.zoneId === m.fromZone && z.closed && z.exitTs <= m.exitTs) visit = z;
    if (!visit) return;
    // came into the picture slowly, shortly before leaving the arm: from a queue beyond the picture
    let queued = n > 1 && t[0] >= visit.exitTs - this.windowMs && speedKmh[0] < this.entryKmh;
    for (let i = 0; i < n && !queued; i++) {
      if (t[i] >= visit.exitTs - this.windowMs && t[i] <= visit.exitTs && speedKmh[i] < this.stoppedKmh) queued = true;
    }
    // A departure older than what is applied comes too late to be ordered: dropped (tracks far longer than horizon).
    if (visit.exitTs <= this.appliedUpTo) return;
    this.waiting.push({ fromZone: m.fromZone, toZone: m.toZone, ts: visit.exitTs, queued, pcu });
  }

  /** Event time reached `ts`: departures older than `ts − horizonMs` are final and applied in time order. */
  advance(ts: number): void {
    this.apply(ts - this.horizonMs);
  }

  /** Every waiting departure is applied (end of input, or the camera fell silent: its tracks all ended). */
  flushAll(): void {
    this.apply(Number.POSITIVE_INFINITY);
  }

  /**
   * Returns and forgets the rows of the periods that no departure can still change (ending at or before the applied
   * time, or all with `all`), ordered by period, approach and movement.
   */
  take(all = false): DischargeRow[] {
    const out: DischargeRow[] = [];
    for (const [k, r] of this.cells) {
      if (all || r.start + this.bucketMs <= this.appliedUpTo) {
        out.push(r);
        this.cells.delete(k);
      }
    }
    return out.sort((a, b) => a.start - b.start || cmp(a.fromZone, b.fromZone) || cmp(a.toZone, b.toZone));
  }

  /** Departures waiting plus open rows (memory held). */
  get pending(): number {
    return this.waiting.length + this.cells.size;
  }

  /** Forgets everything (a camera handed over). */
  clear(): void {
    this.waiting = [];
    this.runs.clear();
    this.cells.clear();
    this.appliedUpTo = Number.NEGATIVE_INFINITY;
  }

  private apply(upTo: number): void {
    if (!(upTo > this.appliedUpTo)) return;
    const due: Departure[] = [];
    const keep: Departure[] = [];
    for (const d of this.waiting) (d.ts <= upTo ? due : keep).push(d);
    this.waiting = keep;
    due.sort((a, b) => a.ts - b.ts || cmp(a.fromZone, b.fromZone) || cmp(a.toZone, b.toZone));
    for (const d of due) {
      this.step(d, ALL_MOVEMENTS);
      this.step(d, d.toZone);
    }
    // flushAll: later departures (frames after a silence) still come in order after the last one applied.
    this.appliedUpTo = Number.isFinite(upTo) ? upTo : Math.max(this.appliedUpTo, due.at(-1)?.ts ?? this.appliedUpTo);
  }

  private step(d: Departure, toZone: string): void {
    const key = `${d.fromZone}\u0000${toZone}`;
    let run = this.runs.get(key);
    if (!run) {
      run = { n: 0, lastTs: Number.NEGATIVE_INFINITY };
      this.runs.set(key, run);
    }
    if (!d.queued) {
      run.n = 0; // the queue has cleared: a road user arrived without stopping
      return;
    }
    const gap = d.ts - run.lastTs;
    if (run.n > 0 && gap <= this.maxGapMs) run.n++;
    else run.n = 1;
    run.lastTs = d.ts;
    if (run.n <= this.skip) return;
    const start = Math.floor(d.ts / this.bucketMs) * this.bucketMs;
    const ck = `${key}\u0000${start}`;
    let c = this.cells.get(ck);
    if (!c) {
      c = { fromZone: d.fromZone, toZone, start, headways: 0, headwaySumS: 0, pcuSum: 0 };
      this.cells.set(ck, c);
    }
    c.headways++;
    c.headwaySumS += gap / 1000;
    c.pcuSum += d.pcu;
  }
}

const cmp = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);
