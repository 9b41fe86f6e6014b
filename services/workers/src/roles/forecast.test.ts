import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  buildGrid,
  Calendar,
  dayOf,
  exportForecastOnnx,
  FEATURE_NAMES,
  type ForecastModel,
  mean4Weeks,
  N_FEATURES,
} from '@passage/footfall';
import { melbourneFixtureCsv } from '@passage/footfall/fixtures';
import { parseMappedCsv } from '@passage/ingest';
import type { OperatorContext } from '@passage/stream';
import { describe, expect, it } from 'vitest';
import type { NormalisedCountRow } from './counts.ts';
import { ForecastOperator, type ForecastRow } from './forecast.ts';

/**
 * A hand-built ONNX model whose median is the feature `mean4w` (the 4-week same weekday-hour mean / level) and
 * whose 10/90 % quantiles are ×0.9 / ×1.1 of it: the role's forecasts must then equal the project's 4-week
 * reference exactly, which checks the role's history, local hours, features and scaling end to end.
 */
export function fourWeekMeanModel(): ForecastModel {
  const j = FEATURE_NAMES.indexOf('mean4w');
  const kernel = new Float32Array(N_FEATURES * 3);
  kernel[j * 3] = 0.9;
  kernel[j * 3 + 1] = 1;
  kernel[j * 3 + 2] = 1.1;
  return {
    format: 'passage-footfall-v1',
    featureNames: [...FEATURE_NAMES],
    quantiles: [0.1, 0.5, 0.9],
    mean: new Float32Array(N_FEATURES),
    std: new Float32Array(N_FEATURES).fill(1),
    layers: [{ inSize: N_FEATURES, outSize: 3, relu: false, kernel, bias: new Float32Array(3) }],
    kLo: 1,
    kHi: 1,
    trainedOn: { from: '', until: '', rows: 0, sensors: 0 },
  };
}

/** Real hourly counts (City of Melbourne, sensors 1, 2, 4, Mar–Oct 2012) as counts.norm rows. */
export function fixtureRows(): NormalisedCountRow[] {
  const text = melbourneFixtureCsv();
  const r = parseMappedCsv(text, {
    timezone: 'Australia/Melbourne',
    columns: { date: 'Date', dateFormat: 'dd-MMM-yyyy', hour: 'Hour', sensor: 'SensorID', count: 'PedestrianCount' },
  });
  if (!r.ok) throw new Error(r.detail);
  return r.value.map((x) => ({
    sensorId: x.sensorId,
    interval: '1h',
    start: x.start,
    end: x.end,
    count: x.count,
    observedCount: x.count,
    observedS: x.count === null ? 0 : 3600,
    uptime: x.count === null ? 0 : 1,
  }));
}

describe('forecast role', () => {
  it('issues each day at local midnight from the days before, equal to the 4-week mean with this model', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ff-role-'));
    const modelPath = join(dir, 'm.onnx');
    writeFileSync(modelPath, exportForecastOnnx(fourWeekMeanModel()));
    const op = new ForecastOperator({
      timeZone: 'Australia/Melbourne',
      calendar: new Calendar({ country: 'AU', state: 'VIC' }),
      modelPath,
      refreshHours: 6,
      intraOpNumThreads: 1,
    });
    const out: ForecastRow[] = [];
    const ctx = { emit: (_s: string, _k: string, v: unknown) => out.push(v as ForecastRow) } as OperatorContext;
    await op.onStart();
    const rows = fixtureRows().filter((r) => r.start < Date.parse('2012-06-01T00:00:00Z'));
    // one day at a time, the watermark following the data
    const byDay = new Map<number, NormalisedCountRow[]>();
    for (const r of rows) {
      const k = Math.floor(r.start / 86_400_000);
      byDay.set(k, [...(byDay.get(k) ?? []), r]);
    }
    for (const batch of byDay.values()) {
      op.processBatch(batch);
      await op.onWatermark(batch[batch.length - 1].end, ctx);
    }
    await op.onClose();
    const grid = buildGrid(rows, 'Australia/Melbourne');
    const day = (date: string) => out.filter((f) => f.date === date && f.model === 'footfall-v1');
    const may21 = day('2012-05-21');
    expect(may21.length).toBe(72); // 3 sensors × 24 h
    for (const f of may21) {
      const s = grid.sensors.indexOf(f.sensorId);
      const want = mean4Weeks(grid, s, dayOf(f.date) - grid.firstDay, f.hour);
      expect(f.forecast).toBeCloseTo(want, 2);
      expect(f.lo80).toBeCloseTo(0.9 * want, 2);
      expect(f.hi80).toBeCloseTo(1.1 * want, 2);
      expect(f.origin).toBe(Date.parse('2012-05-20T14:00:00Z')); // local midnight, AEST (+10)
    }
    // no forecast before 7 days of history; intraday refreshes re-issue later hours with a later `issued`
    expect(out.some((f) => f.date < '2012-03-08')).toBe(false);
    const refreshed = out.filter((f) => f.model === 'footfall-v1+intraday' && f.date === '2012-05-21');
    expect(refreshed.length).toBeGreaterThan(0);
    expect(refreshed.every((f) => f.hour >= 6 && f.issued > f.origin)).toBe(true);
  });

  it('stays idle without a model path', async () => {
    const op = new ForecastOperator({
      timeZone: 'Europe/Paris',
      calendar: new Calendar({ country: 'FR' }),
      modelPath: '',
      refreshHours: 0,
      intraOpNumThreads: 1,
    });
    await op.onStart();
    op.processBatch(fixtureRows().slice(0, 100));
    expect(op.snapshot()).toEqual({ sensors: 0, issuedRows: 0 });
  });
});
