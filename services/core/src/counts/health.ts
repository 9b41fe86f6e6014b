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
 * - `impossible-jump`: a value whose ratio to the rolling median of the previous `jumpWindow` non-null
 *   values is > `jumpRatio` or < 1/`jumpRatio`, with |value − median| ≥ `jumpMinAbs` so that quiet night
 *   bins do not trigger.
 */
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
  /** Total expected count over a zero run that makes it implausible. @default 5 */
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

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const n = s.length;
  return n % 2 === 1 ? s[(n - 1) / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
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
export function hourOfWeekProfile(series: readonly NormalisedCount[], utcOffsetMinutes = 0, excludeZeroRuns = 4): Map<number, number> {
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
    stuckZeroMinExpected: options.stuckZeroMinExpected ?? 5,
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
        } else if (allDay && minutes >= o.stuckZeroDaytimeMinutes) {
          out.push(flag(g[i], 'stuck-at-zero', from, to, `${minutes} min of zeros in daytime`));
        }
      } else if (run.length >= o.flatMinIntervals) {
        out.push(flag(g[i], 'flat-line', from, to, `${run.length} × ${v}`));
      }
      i = j;
    }
    // Impossible jumps against a rolling median of previous non-null values.
    const window: number[] = [];
    for (const b of g) {
      if (b.count === null) continue;
      if (window.length >= Math.min(3, o.jumpWindow)) {
        const med = median(window);
        const v = b.count;
        const diff = Math.abs(v - med);
        const ratio = med > 0 ? v / med : Number.POSITIVE_INFINITY;
        if (diff >= o.jumpMinAbs && (ratio > o.jumpRatio || ratio < 1 / o.jumpRatio) && v > 0) {
          out.push(flag(b, 'impossible-jump', b.start, b.end, `${v} vs median ${med}`));
        }
      }
      window.push(b.count);
      if (window.length > o.jumpWindow) window.shift();
    }
  }
  return out;
}
