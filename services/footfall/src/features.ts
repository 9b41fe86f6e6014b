/**
 * Features of the day-ahead footfall model, computed for (sensor, local day D, local hour h) from data strictly
 * before D's local midnight (the forecast origin) and from the calendar (known in advance).
 *
 * Counts are divided by the sensor's level L (mean hourly count over the 28 days before D), so one model serves
 * every sensor whatever its volume; the model predicts y / L and the forecast is multiplied back by L.
 * A missing lag is replaced by the 4-week mean of the same weekday-hour (its flag says so).
 */
import type { Calendar } from './calendar.ts';
import { cell, dayKey, type HourlyGrid, weekdayOf } from './grid.ts';

export const FEATURE_NAMES: readonly string[] = [
  'lag7',
  'lag14',
  'lag21',
  'lag28',
  'mean4w',
  'lag1',
  'lag2',
  'yesterday',
  'week',
  'lag7_missing',
  'lags_present',
  'median4w',
  'clean4w',
  'recent_hour',
  'lag7_day',
  'yesterday_vs_week_before',
  'hour_profile',
  'cv_days',
  'weekend_ratio',
  'holiday',
  'holiday_prev',
  'holiday_next',
  'holiday_lag7',
  'holidays_in_lags',
  'school',
  'event',
  'doy_sin',
  'doy_cos',
  ...Array.from({ length: 7 }, (_, i) => `dow${i}`),
  ...Array.from({ length: 24 }, (_, i) => `h${i}`),
];
export const N_FEATURES = FEATURE_NAMES.length;

/** Per sensor-day context shared by its 24 hours (null when the sensor has too little history). */
export interface DayContext {
  level: number;
  yesterday: number;
  week: number;
  /** Day total of d − 7 / (24 · level). */
  lag7Day: number;
  /** Yesterday's total / the total of the same weekday one week before (1 when unknown). */
  yesterdayVsWeekBefore: number;
  /** Mean of each hour over the 28 days / level (NaN when never seen). */
  hourProfile: Float64Array;
  /** Coefficient of variation of the daily totals over 28 days (event venues vary a lot). */
  cvDays: number;
  /** Mean weekend hour / mean weekday hour over 28 days. */
  weekendRatio: number;
}

function dayTotal(v: Float64Array, d: number): number {
  if (d < 0) return Number.NaN;
  let sum = 0;
  let n = 0;
  for (let h = 0; h < 24; h++) {
    const x = v[d * 24 + h];
    if (!Number.isNaN(x)) {
      sum += x;
      n++;
    }
  }
  return n >= 20 ? (sum * 24) / n : Number.NaN;
}

const MIN_HOURS_LEVEL = 24 * 7;

/** Level and recent totals of sensor `s` before day index `d`, or null with less than 7 days of data in 28. */
export function dayContext(g: HourlyGrid, s: number, d: number): DayContext | null {
  const v = g.values[s];
  let sum = 0;
  let n = 0;
  let ySum = 0;
  let yN = 0;
  let wSum = 0;
  let wN = 0;
  for (let k = 1; k <= 28; k++) {
    const dd = d - k;
    if (dd < 0) break;
    for (let h = 0; h < 24; h++) {
      const x = v[dd * 24 + h];
      if (Number.isNaN(x)) continue;
      sum += x;
      n++;
      if (k === 1) {
        ySum += x;
        yN++;
      }
      if (k <= 7) {
        wSum += x;
        wN++;
      }
    }
  }
  if (n < MIN_HOURS_LEVEL) return null;
  const level = Math.max(1, sum / n);
  const hs = new Float64Array(24);
  const hn = new Float64Array(24);
  const totals: number[] = [];
  let we = 0;
  let weN = 0;
  let wd = 0;
  let wdN = 0;
  for (let k = 1; k <= 28 && d - k >= 0; k++) {
    const dd = d - k;
    const weekend = weekdayOf(g.firstDay + dd) >= 5;
    for (let h = 0; h < 24; h++) {
      const x = v[dd * 24 + h];
      if (Number.isNaN(x)) continue;
      hs[h] += x;
      hn[h]++;
      if (weekend) {
        we += x;
        weN++;
      } else {
        wd += x;
        wdN++;
      }
    }
    const t = dayTotal(v, dd);
    if (!Number.isNaN(t)) totals.push(t);
  }
  const hourProfile = new Float64Array(24);
  for (let h = 0; h < 24; h++) hourProfile[h] = hn[h] ? hs[h] / hn[h] / level : Number.NaN;
  const tm = totals.reduce((a, b) => a + b, 0) / Math.max(1, totals.length);
  const tv = totals.reduce((a, b) => a + (b - tm) ** 2, 0) / Math.max(1, totals.length);
  const l7 = dayTotal(v, d - 7);
  const y1 = dayTotal(v, d - 1);
  const y8 = dayTotal(v, d - 8);
  return {
    level,
    yesterday: yN >= 12 ? ySum / yN / level : 1,
    week: wN >= 48 ? wSum / wN / level : 1,
    lag7Day: Number.isNaN(l7) ? 1 : l7 / (24 * level),
    yesterdayVsWeekBefore: Number.isNaN(y1) || Number.isNaN(y8) || y8 <= 0 ? 1 : Math.min(5, y1 / y8),
    hourProfile,
    cvDays: tm > 0 ? Math.min(3, Math.sqrt(tv) / tm) : 0,
    weekendRatio: weN && wdN && wd > 0 ? Math.min(5, we / weN / (wd / wdN)) : 1,
  };
}

export interface CalendarDay {
  holiday: boolean;
  school: boolean;
  event: boolean;
}

/** Calendar flags per day index of the grid (plus 35 days before and 1 after, for lags and "next day"). */
export function calendarDays(g: HourlyGrid, cal: Calendar | null, sensor?: string): (d: number) => CalendarDay {
  const cache = new Map<number, CalendarDay>();
  return (d) => {
    let c = cache.get(d);
    if (c === undefined) {
      const key = dayKey(g.firstDay + d);
      c = cal
        ? {
            holiday: cal.publicHoliday(key) !== null,
            school: cal.schoolHoliday(key),
            event: cal.eventsOn(key, sensor).some((e) => e.kind !== 'school-holidays' && e.kind !== 'not-holiday'),
          }
        : { holiday: false, school: false, event: false };
      cache.set(d, c);
    }
    return c;
  };
}

/**
 * Writes the features of (s, d, h) at row `row` of `out` (N_FEATURES columns). Returns false (row untouched)
 * when no same-weekday lag of the 4 previous weeks is known.
 */
export function writeFeatures(
  g: HourlyGrid,
  s: number,
  d: number,
  h: number,
  ctx: DayContext,
  calDay: (d: number) => CalendarDay,
  out: Float32Array,
  row: number,
): boolean {
  const L = ctx.level;
  const lags = [cell(g, s, d - 7, h), cell(g, s, d - 14, h), cell(g, s, d - 21, h), cell(g, s, d - 28, h)];
  const present: number[] = [];
  let clean = 0;
  let nClean = 0;
  for (let k = 0; k < 4; k++) {
    const x = lags[k];
    if (Number.isNaN(x)) continue;
    present.push(x);
    if (!calDay(d - 7 * (k + 1)).holiday) {
      clean += x;
      nClean++;
    }
  }
  const n = present.length;
  if (n === 0) return false;
  const m4 = present.reduce((a, b) => a + b, 0) / n / L;
  present.sort((a, b) => a - b);
  const med = (n % 2 ? present[(n - 1) / 2] : (present[n / 2 - 1] + present[n / 2]) / 2) / L;
  let recent = 0;
  let nRecent = 0;
  for (let k = 1; k <= 7; k++) {
    const x = cell(g, s, d - k, h);
    if (!Number.isNaN(x)) {
      recent += x;
      nRecent++;
    }
  }
  const o = row * N_FEATURES;
  for (let k = 0; k < 4; k++) out[o + k] = Number.isNaN(lags[k]) ? m4 : lags[k] / L;
  out[o + 4] = m4;
  const l1 = cell(g, s, d - 1, h);
  const l2 = cell(g, s, d - 2, h);
  out[o + 5] = Number.isNaN(l1) ? m4 : l1 / L;
  out[o + 6] = Number.isNaN(l2) ? m4 : l2 / L;
  out[o + 7] = ctx.yesterday;
  out[o + 8] = ctx.week;
  out[o + 9] = Number.isNaN(lags[0]) ? 1 : 0;
  out[o + 10] = n / 4;
  out[o + 11] = med;
  out[o + 12] = nClean ? clean / nClean / L : m4;
  out[o + 13] = nRecent ? recent / nRecent / L : m4;
  out[o + 14] = ctx.lag7Day;
  out[o + 15] = ctx.yesterdayVsWeekBefore;
  out[o + 16] = Number.isNaN(ctx.hourProfile[h]) ? m4 : ctx.hourProfile[h];
  out[o + 17] = ctx.cvDays;
  out[o + 18] = ctx.weekendRatio;
  const b = o + 8;
  const c0 = calDay(d);
  out[b + 11] = c0.holiday ? 1 : 0;
  out[b + 12] = calDay(d - 1).holiday ? 1 : 0;
  out[b + 13] = calDay(d + 1).holiday ? 1 : 0;
  out[b + 14] = calDay(d - 7).holiday ? 1 : 0;
  out[b + 15] =
    ((calDay(d - 7).holiday ? 1 : 0) +
      (calDay(d - 14).holiday ? 1 : 0) +
      (calDay(d - 21).holiday ? 1 : 0) +
      (calDay(d - 28).holiday ? 1 : 0)) /
    4;
  out[b + 16] = c0.school ? 1 : 0;
  out[b + 17] = c0.event ? 1 : 0;
  const day = g.firstDay + d;
  const doy = (2 * Math.PI * (((day % 365.25) + 365.25) % 365.25)) / 365.25;
  out[b + 18] = Math.sin(doy);
  out[b + 19] = Math.cos(doy);
  for (let k = 0; k < 31; k++) out[b + 20 + k] = 0;
  out[b + 20 + weekdayOf(day)] = 1;
  out[b + 27 + h] = 1;
  return true;
}

/** Rows of a set of (sensor, day) pairs: features, level and target (NaN when the actual is missing). */
export interface FeatureRows {
  n: number;
  x: Float32Array;
  level: Float32Array;
  /** Actual / level (NaN = missing). */
  y: Float32Array;
  sensor: Int32Array;
  day: Int32Array;
  hour: Int8Array;
}

/** Feature rows of every hour of every (sensor, day) in `days` that has enough history. */
export function buildRows(
  g: HourlyGrid,
  days: Iterable<number>,
  calFor: (sensor: string) => (d: number) => CalendarDay,
  opts: { requireActual?: boolean } = {},
): FeatureRows {
  const dayList = [...days];
  const cap = dayList.length * g.sensors.length * 24;
  const x = new Float32Array(cap * N_FEATURES);
  const level = new Float32Array(cap);
  const y = new Float32Array(cap);
  const sensor = new Int32Array(cap);
  const day = new Int32Array(cap);
  const hour = new Int8Array(cap);
  let n = 0;
  const cals = g.sensors.map((id) => calFor(id));
  for (let s = 0; s < g.sensors.length; s++) {
    for (const d of dayList) {
      const ctx = dayContext(g, s, d);
      if (ctx === null) continue;
      for (let h = 0; h < 24; h++) {
        const actual = cell(g, s, d, h);
        if (opts.requireActual && Number.isNaN(actual)) continue;
        if (!writeFeatures(g, s, d, h, ctx, cals[s], x, n)) continue;
        level[n] = ctx.level;
        y[n] = actual / ctx.level;
        sensor[n] = s;
        day[n] = d;
        hour[n] = h;
        n++;
      }
    }
  }
  return {
    n,
    x: x.subarray(0, n * N_FEATURES),
    level: level.subarray(0, n),
    y: y.subarray(0, n),
    sensor: sensor.subarray(0, n),
    day: day.subarray(0, n),
    hour: hour.subarray(0, n),
  };
}
