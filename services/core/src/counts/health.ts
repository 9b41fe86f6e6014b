/**
 * Sensor health on normalised series (regular bins, gaps as null). Each finding is a
 * `{sensorId, kind, from, to}` record (plus mode/direction and a short detail), `to` exclusive.
 *
 * - `gap`: ≥ `gapMinIntervals` consecutive null bins.
 * - `stuck-at-zero`: a run of zeros that is implausible: either ≥ `stuckZeroMinIntervals` bins where the
 *   expectation says traffic should have been seen (Σ expected over the run ≥ `stuckZeroMinExpected`), or
 *   a run lasting ≥ `stuckZeroDaytimeMinutes` (default 60) entirely in daytime. The expectation comes from
 *   `expected(series, binStart)` when given (neighbour sensors, a historic profile), otherwise from the
 *   series' own profile: the median of the same hour-of-week bins over the series, zero runs excluded.
 * - `flat-line`: the same non-zero value repeated ≥ `flatMinIntervals` times (a frozen feed).
 * - `impossible-jump`: a non-zero value whose ratio to the centred rolling median of its `jumpWindow`
 *   non-null neighbours is > `jumpRatio` or < 1/`jumpRatio`, with |value − median| ≥ `jumpMinAbs` so that
 *   quiet night bins do not trigger. The rolling median is taken on both sides (jumpWindow/2 values before,
 *   jumpWindow/2 after) and both must agree, so the morning ramp of a daily profile (far from the night
 *   before, close to the rush hour after) is not a jump while a lone spike is; in a stream this delays the
 *   verdict by jumpWindow/2 bins, and the first/last bins of a series (one side only) are not judged.
 */
import { median } from '../features/track-features.ts';
import { type NormalisedCount, seriesKey } from './normalise.ts';

export type HealthKind = 'gap' | 'stuck-at-zero' | 'flat-line' | 'impossible-jump';

export interface HealthFlag {
  sensorId: string;
  mode?: string;
  direction?: string;
  kind: HealthKind;
  from: number;
  to: number;
  detail?: string;
}

export interface HealthOptions {
  /** @default 1 */
  gapMinIntervals?: number;
  /** @default 4 */
  stuckZeroMinIntervals?: number;
  /**
   * Total expected count over a zero run that makes it implausible. Counts are Poisson at best (bursty behind
   * traffic lights), and a day offers hundreds of places for a run to start: P(0 | λ = 10) = 4.5e-5 keeps
   * low-volume sensors (a bike counter at 40/h) from being flagged for ordinary quiet minutes. @default 10
   */
  stuckZeroMinExpected?: number;
  /** @default 60 */
  stuckZeroDaytimeMinutes?: number;
  /** Local daytime [start, end) hours. @default [7, 20] */
  daytimeHours?: [number, number];
  /** Local time = UTC + this offset (minutes), for daytime and the hour-of-week profile. @default 0 */
  utcOffsetMinutes?: number;
  /** @default 4 */
  flatMinIntervals?: number;
  /** @default 8 */
  jumpWindow?: number;
  /** @default 5 */
  jumpRatio?: number;
  /** @default 20 */
  jumpMinAbs?: number;
  /** Expected count of a bin (neighbours, historic profile). Default: the series' own hour-of-week median. */
  expected?: (series: Pick<NormalisedCount, 'sensorId' | 'mode' | 'direction'>, binStart: number) => number | undefined;
}

const WEEK_MS = 7 * 86_400_000;
const HOUR_MS = 3_600_000;

/** Hour-of-week (0..167, Monday 00:00 local = 0) of a UTC timestamp. */
export function hourOfWeek(ts: number, utcOffsetMinutes = 0): number {
  // 1970-01-01 was a Thursday: shift so that Monday is 0.
  const local = ts + utcOffsetMinutes * 60_000 + 3 * 86_400_000;
  return Math.floor((((local % WEEK_MS) + WEEK_MS) % WEEK_MS) / HOUR_MS);
}

/** Median count per hour-of-week over non-null bins, zero runs of ≥ `excludeZeroRuns` bins left out. */
export function hourOfWeekProfile(
  series: readonly NormalisedCount[],
  utcOffsetMinutes = 0,
  excludeZeroRuns = 4,
): Map<number, number> {
  const skip = new Set<number>();
  let runStart = -1;
  for (let i = 0; i <= series.length; i++) {
    const zero = i < series.length && series[i].count === 0;
    if (zero && runStart < 0) runStart = i;
    if (!zero && runStart >= 0) {
      if (i - runStart >= excludeZeroRuns) for (let k = runStart; k < i; k++) skip.add(k);
      runStart = -1;
    }
  }
  const by = new Map<number, number[]>();
  series.forEach((b, i) => {
    if (b.count === null || skip.has(i)) return;
    const h = hourOfWeek(b.start, utcOffsetMinutes);
    let arr = by.get(h);
    if (arr === undefined) {
      arr = [];
      by.set(h, arr);
    }
    arr.push(b.count);
  });
  const out = new Map<number, number>();
  for (const [h, arr] of by) out.set(h, median(arr));
  return out;
}

function flag(b: NormalisedCount, kind: HealthKind, from: number, to: number, detail?: string): HealthFlag {
  const f: HealthFlag = { sensorId: b.sensorId, kind, from, to };
  if (b.mode !== undefined) f.mode = b.mode;
  if (b.direction !== undefined) f.direction = b.direction;
  if (detail !== undefined) f.detail = detail;
  return f;
}

/** Health flags for normalised bins of any number of series. */
export function detectSensorHealth(bins: readonly NormalisedCount[], options: HealthOptions = {}): HealthFlag[] {
  const o = {
    gapMinIntervals: options.gapMinIntervals ?? 1,
    stuckZeroMinIntervals: options.stuckZeroMinIntervals ?? 4,
    stuckZeroMinExpected: options.stuckZeroMinExpected ?? 10,
    stuckZeroDaytimeMinutes: options.stuckZeroDaytimeMinutes ?? 60,
    daytimeHours: options.daytimeHours ?? [7, 20],
    utcOffsetMinutes: options.utcOffsetMinutes ?? 0,
    flatMinIntervals: options.flatMinIntervals ?? 4,
    jumpWindow: options.jumpWindow ?? 8,
    jumpRatio: options.jumpRatio ?? 5,
    jumpMinAbs: options.jumpMinAbs ?? 20,
  };
  const groups = new Map<string, NormalisedCount[]>();
  for (const b of bins) {
    const k = seriesKey(b);
    let g = groups.get(k);
    if (g === undefined) {
      g = [];
      groups.set(k, g);
    }
    g.push(b);
  }
  const out: HealthFlag[] = [];
  for (const g of groups.values()) {
    g.sort((a, b) => a.start - b.start);
    const profile = options.expected ? null : hourOfWeekProfile(g, o.utcOffsetMinutes, o.stuckZeroMinIntervals);
    const expectedAt = (b: NormalisedCount): number =>
      options.expected
        ? (options.expected(b, b.start) ?? 0)
        : ((profile as Map<number, number>).get(hourOfWeek(b.start, o.utcOffsetMinutes)) ?? 0);
    const isDay = (t: number): boolean => {
      const h = Math.floor(((((t + o.utcOffsetMinutes * 60_000) % 86_400_000) + 86_400_000) % 86_400_000) / HOUR_MS);
      return h >= o.daytimeHours[0] && h < o.daytimeHours[1];
    };
    // Runs of equal "state": null, zero, or the same non-zero value.
    const stuck = new Set<number>();
    let i = 0;
    while (i < g.length) {
      const v = g[i].count;
      let j = i + 1;
      while (j < g.length && g[j].count === v && g[j].start === g[j - 1].end) j++;
      const run = g.slice(i, j);
      const from = g[i].start;
      const to = g[j - 1].end;
      if (v === null) {
        if (run.length >= o.gapMinIntervals) out.push(flag(g[i], 'gap', from, to));
      } else if (v === 0) {
        const expected = run.reduce((a, b) => a + expectedAt(b), 0);
        const allDay = run.every((b) => isDay(b.start) && isDay(b.end - 1));
        const minutes = (to - from) / 60_000;
        if (run.length >= o.stuckZeroMinIntervals && expected >= o.stuckZeroMinExpected) {
          out.push(flag(g[i], 'stuck-at-zero', from, to, `expected ${expected.toFixed(1)}`));
          for (let k = i; k < j; k++) stuck.add(k);
        } else if (allDay && minutes >= o.stuckZeroDaytimeMinutes) {
          out.push(flag(g[i], 'stuck-at-zero', from, to, `${minutes} min of zeros in daytime`));
          for (let k = i; k < j; k++) stuck.add(k);
        }
      } else if (run.length >= o.flatMinIntervals) {
        out.push(flag(g[i], 'flat-line', from, to, `${run.length} × ${v}`));
      }
      i = j;
    }
    // Impossible jumps: far from the rolling median on both sides (stuck runs are no reference).
    const vals: number[] = [];
    const idx: number[] = [];
    g.forEach((b, k) => {
      if (b.count !== null && !stuck.has(k)) {
        vals.push(b.count);
        idx.push(k);
      }
    });
    const half = Math.max(2, Math.floor(o.jumpWindow / 2));
    // +1: far above, −1: far below, 0: plausible, null: too few neighbours to judge.
    const side = (v: number, around: number[]): number | null => {
      if (around.length < 2) return null;
      const med = median(around);
      if (Math.abs(v - med) < o.jumpMinAbs) return 0;
      const ratio = med > 0 ? v / med : Number.POSITIVE_INFINITY;
      return ratio > o.jumpRatio ? 1 : ratio < 1 / o.jumpRatio ? -1 : 0;
    };
    for (let k = 0; k < vals.length; k++) {
      const v = vals[k];
      if (v <= 0) continue;
      const left = side(v, vals.slice(Math.max(0, k - half), k));
      const right = side(v, vals.slice(k + 1, k + 1 + half));
      const verdict = left !== null && left === right ? left : 0; // both sides needed: no verdict at the edges
      if (verdict === 1 || verdict === -1) {
        const b = g[idx[k]];
        const med = median([...vals.slice(Math.max(0, k - half), k), ...vals.slice(k + 1, k + 1 + half)]);
        out.push(flag(b, 'impossible-jump', b.start, b.end, `${v} vs median ${med}`));
      }
    }
  }
  return out;
}
