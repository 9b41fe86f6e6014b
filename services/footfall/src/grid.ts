/**
 * Hourly counts on a LOCAL calendar grid: one row of 24 local hours per local day and sensor, NaN = no data.
 * Forecasts, baselines and before/after all reason in local days and hours (what planners read), so the grid is
 * built once from UTC records with the site's IANA zone. A local hour that occurs twice (clocks going back) keeps
 * its first observed value; an hour that does not exist (clocks going forward) stays NaN.
 */
import { ZoneClock } from '@passage/core';

const DAY_MS = 86_400_000;

export interface HourlyCount {
  sensorId: string;
  /** Start of the hour, ms since epoch (UTC). */
  start: number;
  /** null = gap. */
  count: number | null;
}

export interface HourlyGrid {
  timeZone: string;
  /** Day number (days since 1970-01-01 of the local date) of day index 0. */
  firstDay: number;
  days: number;
  sensors: string[];
  /** Per sensor (same order as `sensors`), `days × 24` values, NaN = missing. */
  values: Float64Array[];
}

/** `YYYY-MM-DD` of a day number. */
export const dayKey = (day: number): string => new Date(day * DAY_MS).toISOString().slice(0, 10);
/** Day number of `YYYY-MM-DD`. */
export const dayOf = (key: string): number => Math.floor(Date.parse(`${key}T00:00:00Z`) / DAY_MS);
/** 0 = Monday … 6 = Sunday. */
export const weekdayOf = (day: number): number => (new Date(day * DAY_MS).getUTCDay() + 6) % 7;

/** Builds the local grid of hourly records (sensor ids sorted). */
export function buildGrid(records: Iterable<HourlyCount>, timeZone: string): HourlyGrid {
  const z = new ZoneClock(timeZone);
  const cells: { s: string; d: number; h: number; c: number | null }[] = [];
  let lo = Number.POSITIVE_INFINITY;
  let hi = Number.NEGATIVE_INFINITY;
  const ids = new Set<string>();
  for (const r of records) {
    const { day, hour } = z.local(r.start);
    cells.push({ s: r.sensorId, d: day, h: hour, c: r.count });
    ids.add(r.sensorId);
    if (day < lo) lo = day;
    if (day > hi) hi = day;
  }
  const sensors = [...ids].sort((a, b) => a.length - b.length || a.localeCompare(b));
  const days = Number.isFinite(lo) ? hi - lo + 1 : 0;
  const index = new Map(sensors.map((s, i) => [s, i]));
  const values = sensors.map(() => new Float64Array(days * 24).fill(Number.NaN));
  for (const c of cells) {
    if (c.c === null) continue;
    const v = values[index.get(c.s) as number];
    const j = (c.d - lo) * 24 + c.h;
    if (Number.isNaN(v[j])) v[j] = c.c;
  }
  return { timeZone, firstDay: Number.isFinite(lo) ? lo : 0, days, sensors, values };
}

/** Value of sensor index `s` on day index `d`, hour `h` (NaN outside the grid). */
export function cell(g: HourlyGrid, s: number, d: number, h: number): number {
  if (d < 0 || d >= g.days) return Number.NaN;
  return g.values[s][d * 24 + h];
}
