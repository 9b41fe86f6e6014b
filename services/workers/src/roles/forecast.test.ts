import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildGrid, Calendar, dayOf, exportForecastOnnx, mean4Weeks } from '@passage/footfall';
import type { OperatorContext } from '@passage/stream';
import { describe, expect, it } from 'vitest';
import type { NormalisedCountRow } from './counts.ts';
import { ForecastOperator, type ForecastRow } from './forecast.ts';
import { fixtureRows, fourWeekMeanModel } from './forecast-fixtures.ts';

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
    const ctx = {
      emit: (_s: string, _k: string, v: unknown) => out.push(v as ForecastRow),
    } as unknown as OperatorContext;
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
