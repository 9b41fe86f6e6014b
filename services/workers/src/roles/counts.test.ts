import { readFileSync } from 'node:fs';
import { loadConfig } from '@passage/config';
import { normaliseCounts } from '@passage/core';
import { parseTelraamReport } from '@passage/ingest';
import { migrate, openStore, type Store } from '@passage/store';
import { countBins, sensorHealth } from '@passage/store/queries/od-counts';
import { type CountRecord, createLogger, type OperatorContext } from '@passage/stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmbedded } from '../runtime.ts';
import { CountsOperator, type NormalisedCountRow, type SensorHealthFlag } from './counts.ts';

const FIXTURE = new URL('../../../ingest/src/counts/fixtures/segment-9000008311-2025-10-hourly.json', import.meta.url);
const log = createLogger({ level: 'silent' });
let store: Store;

beforeAll(async () => {
  store = openStore({ dataDir: ':memory:' });
  await migrate(store.client);
});
afterAll(async () => {
  await store.close();
});

function fakeCtx() {
  const out: { stream: string; value: unknown }[] = [];
  const ctx: OperatorContext = {
    emit: (stream, _key, value) => void out.push({ stream, value }),
    watermark: Number.NEGATIVE_INFINITY,
    log,
    metrics: undefined as never,
    role: 'counts',
  };
  return { out, ctx };
}

describe('counts role on the real Telraam October 2025 file, embedded into chDB', () => {
  it('hourly totals per mode in counts_1m equal the file, gaps explicit, uptime kept', async () => {
    const text = readFileSync(FIXTURE, 'utf8');
    const file = JSON.parse(text) as { data: Record<string, number | string | null>[] };
    const res = parseTelraamReport(text);
    if (!res.ok) throw new Error(res.detail);
    const config = loadConfig({ env: {} });
    const emb = await startEmbedded(config, store, log, undefined, {
      roles: ['counts', 'sink-counts', 'sink-sensor-health'],
    });
    // Chunks of 1000 records: bins of one hour are fed across several publishes.
    for (let i = 0; i < res.value.length; i += 1000) {
      await emb.bus.publish(
        config.topics.counts,
        res.value.slice(i, i + 1000).map((r) => ({ key: r.sensorId, value: Buffer.from(JSON.stringify(r)) })),
      );
    }
    await emb.close();

    const from = Date.parse('2025-10-01T00:00:00Z');
    const to = Date.parse('2025-11-01T00:00:00Z');
    const bins = await countBins(store.client, { from, to, interval: '1h', sensorIds: ['telraam:9000008311'] });
    expect(bins.length).toBe(744 * 8); // every hour of October × 4 modes × 2 directions, the missing hour included
    const missing = bins.filter((b) => b.start === Date.parse('2025-10-25T23:00:00Z'));
    expect(missing.length).toBe(8);
    expect(missing.every((b) => b.count === null && b.uptime === 0)).toBe(true);
    expect(bins.filter((b) => b.count === null).length).toBe((744 - 362) * 8);
    // No 1m/15m rows for an hourly feed (no invented detail).
    const rs = await store.client.query({ query: 'SELECT DISTINCT interval FROM counts_1m', format: 'JSONEachRow' });
    expect(await rs.json()).toEqual([{ interval: '1h' }]);

    const hourly = new Map<string, number>();
    for (const b of bins) {
      if (b.count === null) continue;
      const k = `${b.start}|${b.mode}`;
      hourly.set(k, (hourly.get(k) ?? 0) + b.count);
    }
    const MODES = { car: 'car', heavy: 'heavy', bike: 'bicycle', pedestrian: 'pedestrian' } as const;
    let compared = 0;
    let maxErr = 0;
    const month: Record<string, number> = {};
    for (const row of file.data) {
      if (row.uptime === 0) continue;
      const t = Date.parse(row.date as string);
      for (const [field, mode] of Object.entries(MODES)) {
        const total = hourly.get(`${t}|${mode}`) as number;
        maxErr = Math.max(maxErr, Math.abs(total - (row[field] as number)));
        compared++;
        month[mode] = (month[mode] ?? 0) + total;
      }
      const b = bins.find((x) => x.start === t && x.mode === 'car' && x.direction === 'lft');
      expect(b?.uptime).toBeCloseTo(row.uptime as number, 12);
    }
    expect(compared).toBe(362 * 4);
    // The file rounds every value to 10 decimals, lft + rgt and the total separately: ≤ 1.5e-10 apart.
    expect(maxErr).toBeLessThanOrEqual(1.5e-10);
    expect(month.car).toBeCloseTo(38933.27897646078, 6);
    expect(month.heavy).toBeCloseTo(5545.365990044408, 6);
    expect(month.bicycle).toBeCloseTo(31749.908778513305, 6);
    expect(month.pedestrian).toBeCloseTo(5581.274702367103, 6);

    // Health: the 382 uncounted hours are gap findings, each run reported once.
    const flags = await sensorHealth(store.client, { from, to, sensorIds: ['telraam:9000008311'] });
    const gaps = flags.filter((f) => f.kind === 'gap' && f.direction === 'lft');
    expect(flags.every((f) => f.mode === '')).toBe(true); // judged on the total over modes
    const gapHours = gaps.reduce((a, f) => a + (f.to - f.from) / 3_600_000, 0);
    expect(gapHours).toBe(744 - 362);
    const raw = await store.client.query({
      query:
        "SELECT count() AS n, uniqExact(kind, from, to, mode, direction) AS u FROM sensor_health WHERE kind = 'gap'",
      format: 'JSONEachRow',
    });
    const [nu] = await raw.json<{ n: string; u: string }>();
    expect(Number(nu.n)).toBe(Number(nu.u));
  });
});

describe('CountsOperator: additive partial rows across checkpoints', () => {
  const T0 = Date.parse('2026-03-10T06:30:00Z');
  // One loop, 1-minute records for 2 hours; minute 30..39 missing (gap), minutes 60..79 reporting zeros.
  const records: CountRecord[] = [];
  for (let m = 0; m < 120; m++) {
    if (m >= 30 && m < 40) continue;
    const count = m >= 60 && m < 80 ? 0 : 5 + ((m * 7) % 11);
    records.push({
      sensorId: 'loop-1',
      start: T0 + m * 60_000,
      end: T0 + (m + 1) * 60_000,
      direction: 'in',
      mode: 'car',
      count,
      uptime: m % 13 === 0 ? 0.5 : 1,
    });
  }

  function run(batch: number): { rows: NormalisedCountRow[]; health: SensorHealthFlag[] } {
    const op = new CountsOperator({ intervals: ['1m', '15m', '1h'], utcOffsetMinutes: 60, historyBins: 1440 });
    const { out, ctx } = fakeCtx();
    let maxTs = 0;
    for (let i = 0; i < records.length; i += batch) {
      const b = records.slice(i, i + batch);
      op.processBatch(b);
      for (const r of b) maxTs = Math.max(maxTs, r.start);
      op.onWatermark(maxTs - 120_000, ctx);
      op.checkpoint(ctx);
    }
    op.onWatermark(Number.POSITIVE_INFINITY, ctx);
    op.checkpoint(ctx);
    return {
      rows: out.filter((o) => o.stream === 'norm').map((o) => o.value as NormalisedCountRow),
      health: out.filter((o) => o.stream === 'health').map((o) => o.value as SensorHealthFlag),
    };
  }

  function sumBins(rows: NormalisedCountRow[], interval: string) {
    const m = new Map<number, { obs: number; observedS: number; parts: number }>();
    for (const r of rows) {
      if (r.interval !== interval) continue;
      const a = m.get(r.start) ?? { obs: 0, observedS: 0, parts: 0 };
      a.obs += r.observedCount ?? 0;
      a.observedS += r.observedS;
      a.parts++;
      m.set(r.start, a);
    }
    return new Map(
      [...m].map(([s, a]) => [
        s,
        a.observedS > 0 ? (a.obs * (interval === '15m' ? 900 : interval === '1h' ? 3600 : 60)) / a.observedS : null,
      ]),
    );
  }

  it('any batch/checkpoint cadence gives the bins of normaliseCounts', () => {
    for (const interval of ['1m', '15m', '1h'] as const) {
      const expected = normaliseCounts(records, { interval });
      for (const batch of [1, 7, 45, 1000]) {
        const { rows } = run(batch);
        const got = sumBins(rows, interval);
        expect(got.size, `${interval} batch ${batch}`).toBe(expected.length);
        for (const e of expected) {
          const g = got.get(e.start);
          if (e.count === null) expect(g).toBeNull();
          else expect(g as number).toBeCloseTo(e.count, 9);
        }
      }
    }
  });

  it('explicit gap rows for the missing minutes, health flags once each', () => {
    const a = run(7);
    const gapRows = a.rows.filter((r) => r.interval === '1m' && r.count === null);
    expect(gapRows.map((r) => (r.start - T0) / 60_000)).toEqual([30, 31, 32, 33, 34, 35, 36, 37, 38, 39]);
    const b = run(1000);
    const key = (f: SensorHealthFlag) => `${f.kind}|${f.from}|${f.to}`;
    expect(a.health.map(key).sort()).toEqual(b.health.map(key).sort());
    expect(a.health.find((f) => f.kind === 'gap')).toMatchObject({ from: T0 + 30 * 60_000, to: T0 + 40 * 60_000 });
    expect(a.health.find((f) => f.kind === 'stuck-at-zero')).toMatchObject({
      from: T0 + 60 * 60_000,
      to: T0 + 80 * 60_000,
    });
    expect(new Set(a.health.map(key)).size).toBe(a.health.length);
  });
});
