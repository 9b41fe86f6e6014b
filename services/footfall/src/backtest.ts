/**
 * Day-ahead forecasts over a range of days and their scoring against simple references on the SAME cells.
 * For day D every feature reads only cells of days < D (the forecast origin is D's local midnight) and the
 * calendar; the model is trained once on days before `trainUntil`.
 */
import type { CalendarDay, FeatureRows } from './features.ts';
import { buildRows, N_FEATURES } from './features.ts';
import { cell, dayKey, type HourlyGrid } from './grid.ts';
import { toCounts } from './model.ts';

export interface ForecastRow {
  sensorId: string;
  /** Local date `YYYY-MM-DD`. */
  date: string;
  hour: number;
  forecast: number;
  lo80: number;
  hi80: number;
}

/** Anything that turns feature rows into raw quantiles (onnxruntime-node in production, a reference in tests). */
export interface QuantileModel {
  kLo: number;
  kHi: number;
  run(x: Float32Array, n: number): Promise<Float32Array>;
}

/** Forecasts of every sensor-hour of day indices `days` (rows without enough history are left out). */
export async function forecastDays(
  g: HourlyGrid,
  model: QuantileModel,
  calFor: (sensor: string) => (d: number) => CalendarDay,
  days: readonly number[],
): Promise<ForecastRow[]> {
  const out: ForecastRow[] = [];
  const chunk = 28;
  for (let i = 0; i < days.length; i += chunk) {
    const rows: FeatureRows = buildRows(g, days.slice(i, i + chunk), calFor);
    const q = await model.run(rows.x, rows.n);
    const c = toCounts(model, q, rows.level, rows.n);
    for (let r = 0; r < rows.n; r++) {
      out.push({
        sensorId: g.sensors[rows.sensor[r]],
        date: dayKey(g.firstDay + rows.day[r]),
        hour: rows.hour[r],
        forecast: c.forecast[r],
        lo80: c.lo80[r],
        hi80: c.hi80[r],
      });
    }
  }
  return out;
}

/** Same hour one week earlier (NaN when missing). */
export const sameHourLastWeek = (g: HourlyGrid, s: number, d: number, h: number): number => cell(g, s, d - 7, h);

/** Mean of the same weekday and hour over the 4 preceding weeks, over the weeks with data (NaN when none). */
export function mean4Weeks(g: HourlyGrid, s: number, d: number, h: number): number {
  let sum = 0;
  let n = 0;
  for (let k = 1; k <= 4; k++) {
    const x = cell(g, s, d - 7 * k, h);
    if (!Number.isNaN(x)) {
      sum += x;
      n++;
    }
  }
  return n ? sum / n : Number.NaN;
}

export interface BacktestScore {
  /** Sensor-hours scored: actual, model forecast and both references all present. */
  cells: number;
  sensors: number;
  days: number;
  actualTotal: number;
  wape: { model: number; lastWeek: number; mean4Weeks: number };
  /** 1 − WAPE(model) / WAPE(4-week mean). */
  gainVs4Weeks: number;
  /** Share of scored cells inside [lo80, hi80]. */
  coverage80: number;
  /** Share below lo80 and above hi80. */
  below80: number;
  above80: number;
}

/** Scores forecasts against the grid's actuals and the two references, on the cells where all exist. */
export function scoreForecasts(g: HourlyGrid, rows: readonly ForecastRow[]): BacktestScore {
  const sIndex = new Map(g.sensors.map((s, i) => [s, i]));
  const dayNum = new Map<string, number>();
  let absM = 0;
  let absW = 0;
  let abs4 = 0;
  let tot = 0;
  let n = 0;
  let inside = 0;
  let below = 0;
  let above = 0;
  const sensors = new Set<string>();
  const days = new Set<string>();
  for (const r of rows) {
    const s = sIndex.get(r.sensorId);
    if (s === undefined) continue;
    let dn = dayNum.get(r.date);
    if (dn === undefined) {
      dn = Math.round(Date.parse(`${r.date}T00:00:00Z`) / 86_400_000) - g.firstDay;
      dayNum.set(r.date, dn);
    }
    const y = cell(g, s, dn, r.hour);
    const w = sameHourLastWeek(g, s, dn, r.hour);
    const m4 = mean4Weeks(g, s, dn, r.hour);
    if (Number.isNaN(y) || Number.isNaN(w) || Number.isNaN(m4)) continue;
    n++;
    tot += y;
    absM += Math.abs(r.forecast - y);
    absW += Math.abs(w - y);
    abs4 += Math.abs(m4 - y);
    if (y < r.lo80) below++;
    else if (y > r.hi80) above++;
    else inside++;
    sensors.add(r.sensorId);
    days.add(r.date);
  }
  const wape = { model: absM / tot, lastWeek: absW / tot, mean4Weeks: abs4 / tot };
  return {
    cells: n,
    sensors: sensors.size,
    days: days.size,
    actualTotal: tot,
    wape,
    gainVs4Weeks: 1 - wape.model / wape.mean4Weeks,
    coverage80: inside / n,
    below80: below / n,
    above80: above / n,
  };
}

/** `sensor_id,date,hour,forecast,lo80,hi80` (counts rounded to 0.1). */
export function forecastsCsv(rows: readonly ForecastRow[]): string {
  const f = (v: number) => (Math.round(v * 10) / 10).toString();
  const lines = ['sensor_id,date,hour,forecast,lo80,hi80'];
  for (const r of rows) lines.push(`${r.sensorId},${r.date},${r.hour},${f(r.forecast)},${f(r.lo80)},${f(r.hi80)}`);
  return `${lines.join('\n')}\n`;
}

export { N_FEATURES };
