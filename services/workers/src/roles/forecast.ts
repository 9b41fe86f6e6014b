import type { Config } from '@passage/config';
import { PassageError } from '@passage/config';
import { ZoneClock } from '@passage/core';
import {
  buildRows,
  Calendar,
  calendarDays,
  dayKey,
  ForecastRunner,
  type HourlyGrid,
  toCounts,
} from '@passage/footfall';
import { jsonCodec, type Operator, type OperatorContext, type ProcessorRole, type SinkRole } from '@passage/stream';
import { type Static, Type } from '@sinclair/typebox';
import { NormalisedCountRow } from './counts.ts';

/**
 * Role `forecast` (docs/FOOTFALL.md): hourly bins of `counts.norm.v1` → day-ahead hourly forecasts with an 80 % interval
 * per sensor (`forecasts.v1` → sink-forecasts → footfall_forecasts), with the ONNX model of
 * `footfall.modelPath` on onnxruntime-node (trained with TF.js: `passage forecast train`); idle when it is empty.
 *
 * Each sensor keeps its last 36 local days of hourly counts (partial rows summed like `counts_bins`). When the
 * watermark reaches a local midnight, the day that starts is forecast for every sensor with 7+ days of data in
 * the 28 before, from those days only (the same features as `passage forecast backtest`), in one `session.run`
 * (issued 2 h of event time after that midnight, so that the last bins of the day before are in).
 * Intraday refresh: every `footfall.refreshHours` local hours the remaining hours of the day are issued again,
 * scaled by what the day has counted so far against its forecast (bounded to ×0.5…×2); rows with a later `issued`
 * supersede earlier ones (view footfall_forecasts_latest). At end of input, the day after the last data is issued.
 */

export const ForecastRow = Type.Object(
  {
    sensorId: Type.String({ minLength: 1, maxLength: 128 }),
    start: Type.Number({ minimum: 0 }),
    date: Type.String({ pattern: '^\\d{4}-\\d{2}-\\d{2}$' }),
    hour: Type.Integer({ minimum: 0, maximum: 23 }),
    forecast: Type.Number({ minimum: 0 }),
    lo80: Type.Number({ minimum: 0 }),
    hi80: Type.Number({ minimum: 0 }),
    origin: Type.Number({ minimum: 0 }),
    issued: Type.Number({ minimum: 0 }),
    model: Type.String({ maxLength: 128 }),
  },
  { additionalProperties: false },
);
export type ForecastRow = Static<typeof ForecastRow>;

const KEEP_DAYS = 36;
const ISSUE_DELAY_H = 2;

interface Cells {
  raw: Float64Array;
  obs: Float64Array;
}

export interface ForecastOperatorOptions {
  timeZone: string;
  calendar: Calendar;
  modelPath: string;
  refreshHours: number;
  intraOpNumThreads: number;
}

export class ForecastOperator implements Operator<NormalisedCountRow> {
  readonly name = 'forecast';
  private runner: ForecastRunner | null = null;
  private readonly clock: ZoneClock;
  /** sensor → local day number → 24 hourly sums. */
  private readonly data = new Map<string, Map<number, Cells>>();
  private nextDay = Number.NaN;
  private maxDay = Number.NEGATIVE_INFINITY;
  /** Forecasts of the current day, for the intraday refresh: sensor → 24 values. */
  private current: { day: number; bySensor: Map<string, ForecastRow[]>; refreshed: number } | null = null;
  private issuedRows = 0;

  constructor(private readonly o: ForecastOperatorOptions) {
    this.clock = new ZoneClock(o.timeZone);
  }

  /** Without `footfall.modelPath` the role stays idle (it keeps no data). */
  async onStart(): Promise<void> {
    if (!this.o.modelPath) return;
    try {
      this.runner = await ForecastRunner.load(this.o.modelPath, this.o.intraOpNumThreads);
    } catch (e) {
      throw new PassageError(
        'PASSAGE_FORECAST_MODEL',
        `The forecast model ${this.o.modelPath} cannot be loaded: ${(e as Error).message}. Train one with \`passage forecast train --out <file.onnx>\`.`,
        { cause: e },
      );
    }
  }

  processBatch(rows: readonly NormalisedCountRow[]): void {
    if (!this.runner) return;
    for (const r of rows) {
      if (r.interval !== '1h' || r.observedCount === null || r.observedS <= 0) continue;
      const { day, hour } = this.clock.local(r.start);
      let days = this.data.get(r.sensorId);
      if (days === undefined) {
        days = new Map();
        this.data.set(r.sensorId, days);
      }
      let c = days.get(day);
      if (c === undefined) {
        c = { raw: new Float64Array(24), obs: new Float64Array(24) };
        days.set(day, c);
      }
      c.raw[hour] += r.observedCount;
      c.obs[hour] += r.observedS;
      if (day > this.maxDay) this.maxDay = day;
      if (Number.isNaN(this.nextDay) || day + 1 < this.nextDay) this.nextDay = day + 1;
    }
  }

  async onWatermark(wm: number, ctx: OperatorContext): Promise<void> {
    if (Number.isNaN(this.nextDay)) return;
    const now = Number.isFinite(wm) ? this.clock.local(wm) : null;
    // a day is issued once the watermark is ISSUE_DELAY_H past its midnight: the last hour's bins (partial rows
    // of the counts role, possibly behind its watermark) are in by then
    const upTo = now ? this.clock.local(wm - ISSUE_DELAY_H * 3_600_000).day : this.maxDay + 1;
    while (this.nextDay <= upTo) {
      await this.issueDay(this.nextDay, ctx);
      this.nextDay++;
    }
    const cur = this.current;
    if (now && cur && this.o.refreshHours > 0 && cur.day === now.day) {
      const slot = Math.floor(now.hour / this.o.refreshHours) * this.o.refreshHours;
      if (slot > cur.refreshed && now.hour >= ISSUE_DELAY_H) {
        this.refresh(now.day, slot, wm, ctx);
        cur.refreshed = slot;
      }
    }
    this.prune(upTo - KEEP_DAYS);
  }

  snapshot(): Record<string, number> {
    return { sensors: this.data.size, issuedRows: this.issuedRows };
  }

  async onClose(): Promise<void> {
    await this.runner?.close();
    this.runner = null;
  }

  /** The grid of the 35 days before `day` (and `day` itself, empty): what the features may read. */
  private gridBefore(day: number): HourlyGrid {
    const firstDay = day - KEEP_DAYS + 1;
    const sensors = [...this.data.keys()].sort();
    const values = sensors.map((s) => {
      const v = new Float64Array(KEEP_DAYS * 24).fill(Number.NaN);
      const days = this.data.get(s) as Map<number, Cells>;
      for (let d = firstDay; d < day; d++) {
        const c = days.get(d);
        if (!c) continue;
        for (let h = 0; h < 24; h++) if (c.obs[h] > 0) v[(d - firstDay) * 24 + h] = (c.raw[h] * 3600) / c.obs[h];
      }
      return v;
    });
    return { timeZone: this.o.timeZone, firstDay, days: KEEP_DAYS, sensors, values };
  }

  private async issueDay(day: number, ctx: OperatorContext): Promise<void> {
    const runner = this.runner;
    if (!runner || this.data.size === 0) return;
    const g = this.gridBefore(day);
    const rows = buildRows(g, [KEEP_DAYS - 1], (s) => calendarDays(g, this.o.calendar, s));
    const origin = this.clock.instants(day * 86_400_000)[0] ?? day * 86_400_000;
    const bySensor = new Map<string, ForecastRow[]>();
    if (rows.n > 0) {
      const c = toCounts(runner, await runner.run(rows.x, rows.n), rows.level, rows.n);
      for (let i = 0; i < rows.n; i++) {
        const start = this.clock.instants(day * 86_400_000 + rows.hour[i] * 3_600_000)[0];
        if (start === undefined) continue; // a local hour that does not exist (clocks going forward)
        const out: ForecastRow = {
          sensorId: g.sensors[rows.sensor[i]],
          start,
          date: dayKey(day),
          hour: rows.hour[i],
          forecast: c.forecast[i],
          lo80: c.lo80[i],
          hi80: c.hi80[i],
          origin,
          issued: origin,
          model: 'footfall-v1',
        };
        ctx.emit('forecasts', out.sensorId, out);
        this.issuedRows++;
        const list = bySensor.get(out.sensorId) ?? [];
        list.push(out);
        bySensor.set(out.sensorId, list);
      }
    }
    this.current = { day, bySensor, refreshed: 0 };
  }

  /** Re-issues the hours ≥ `hour` of `day`, scaled by counted / forecast over the hours before. */
  private refresh(day: number, hour: number, wm: number, ctx: OperatorContext): void {
    for (const [sensor, list] of this.current?.bySensor ?? []) {
      const c = this.data.get(sensor)?.get(day);
      if (!c) continue;
      let actual = 0;
      let expected = 0;
      for (const f of list) {
        if (f.hour >= hour || c.obs[f.hour] <= 0) continue;
        actual += (c.raw[f.hour] * 3600) / c.obs[f.hour];
        expected += f.forecast;
      }
      if (expected <= 0) continue;
      const k = Math.min(2, Math.max(0.5, actual / expected));
      for (const f of list) {
        if (f.hour < hour) continue;
        const out: ForecastRow = {
          ...f,
          forecast: f.forecast * k,
          lo80: f.lo80 * k,
          hi80: f.hi80 * k,
          issued: Math.max(f.issued, wm),
          model: 'footfall-v1+intraday',
        };
        ctx.emit('forecasts', sensor, out);
        this.issuedRows++;
      }
    }
  }

  private prune(before: number): void {
    for (const days of this.data.values()) for (const d of days.keys()) if (d < before) days.delete(d);
  }
}

export function forecastRole(config: Config): ProcessorRole<NormalisedCountRow> {
  const f = config.footfall;
  return {
    name: 'forecast',
    input: config.topics.countsNorm,
    codec: jsonCodec(NormalisedCountRow, { maxBytes: config.stream.maxMessageBytes }),
    eventTime: (r) => r.start,
    outputs: { forecasts: config.topics.forecasts },
    create: () =>
      new ForecastOperator({
        timeZone: f.timeZone,
        calendar: new Calendar({ country: f.country, state: f.region || undefined, schoolZone: f.schoolZone }),
        modelPath: f.modelPath,
        refreshHours: f.refreshHours,
        intraOpNumThreads: config.classifier.intraOpNumThreads,
      }),
  };
}

const sec = (ms: number) => Math.floor(ms / 1000);

export function forecastsSink(config: Config): SinkRole<ForecastRow> {
  return {
    name: 'sink-forecasts',
    input: config.topics.forecasts,
    codec: jsonCodec(ForecastRow),
    table: 'footfall_forecasts',
    toRow: (v) => ({
      sensor_id: v.sensorId,
      start: sec(v.start),
      date: v.date,
      hour: v.hour,
      forecast: v.forecast,
      lo80: v.lo80,
      hi80: v.hi80,
      origin: sec(v.origin),
      issued: sec(v.issued),
      model: v.model,
    }),
  };
}
