/**
 * Issue 11, item 3: counts publish what was reported with its coverage; extrapolation to uncovered time only on
 * request, and flagged. Before migration 0008 an hourly bin fed by 30 minutes of 15-minute reports was scaled to 60
 * minutes silently (hourly ≈ 2 × the sum of its 15-minute bins on a replay starting at :30).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '@passage/config';
import { migrate, openStore, type Store } from '@passage/store';
import { sensorCounts } from '@passage/store/queries/counts';
import { countBins } from '@passage/store/queries/od-counts';
import { type CountRecord, createLogger } from '@passage/stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmbedded } from '../runtime.ts';

const log = createLogger({ level: 'silent' });
let store: Store;
let dir: string;
const T0 = Date.parse('2026-03-10T07:30:00Z');
const Q = 900_000;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'one-coverage-'));
  store = openStore({ dataDir: dir });
  await migrate(store.client);
  const config = loadConfig({ env: {} });
  const emb = await startEmbedded(config, store, log, undefined, { roles: ['counts', 'sink-counts'] });
  const recs: CountRecord[] = [
    // 15-minute loop reports from 07:30: two of the hour's four quarters.
    { sensorId: 'loop-a', start: T0, end: T0 + Q, direction: 'in', mode: 'car', count: 40, uptime: 1 },
    { sensorId: 'loop-a', start: T0 + Q, end: T0 + 2 * Q, direction: 'in', mode: 'car', count: 60, uptime: 1 },
    // 1-minute reports with a 5-minute gap inside one quarter (minutes 08:00–08:09 reported, 08:10–08:14 absent).
    ...Array.from({ length: 10 }, (_, i) => ({
      sensorId: 'loop-b',
      start: T0 + 2 * Q + i * 60_000,
      end: T0 + 2 * Q + (i + 1) * 60_000,
      direction: 'in',
      mode: 'car',
      count: 3,
      uptime: 1,
    })),
  ];
  await emb.bus.publish(
    config.topics.counts,
    recs.map((r) => ({ key: r.sensorId, value: Buffer.from(JSON.stringify(r)) })),
  );
  await emb.close();
});
afterAll(async () => {
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('counts: observed with coverage, extrapolation only when asked', () => {
  it('an hourly bin half covered holds the sum of its 15-minute bins, with coverage 0.5', async () => {
    const hour = Date.parse('2026-03-10T07:00:00Z');
    const bins = await countBins(store.client, { from: hour, to: hour + 3_600_000, sensorIds: ['loop-a'] });
    const h = bins.find((b) => b.interval === '1h');
    const quarters = bins.filter((b) => b.interval === '15m' && b.reported !== null);
    expect(quarters.map((b) => b.reported)).toEqual([40, 60]);
    expect(h?.reported).toBe(100);
    expect(h?.coverage).toBe(0.5);
    // The estimator's input (OD expansion) keeps the explicit extrapolation.
    expect(h?.count).toBe(200);
  });

  it('the API query publishes 100 with coverage; extrapolate=true gives 200, flagged', async () => {
    const range = { from: Date.parse('2026-03-10T07:00:00Z'), to: Date.parse('2026-03-10T08:00:00Z') };
    const [plain] = await sensorCounts(store.client, { ...range, sensor: 'loop-a', interval: '1h' });
    expect(plain).toMatchObject({ count: 100, coverage: 0.5, observedS: 1800, extrapolated: false });
    const [ex] = await sensorCounts(store.client, { ...range, sensor: 'loop-a', interval: '1h', extrapolate: true });
    expect(ex).toMatchObject({ count: 200, coverage: 0.5, extrapolated: true });
  });

  it('1-minute reports with a gap: every interval sums to the 30 counted, none scaled', async () => {
    const from = Date.parse('2026-03-10T08:00:00Z');
    for (const interval of ['1m', '15m', '1h'] as const) {
      const rows = await sensorCounts(store.client, { from, to: from + 3_600_000, sensor: 'loop-b', interval });
      const sum = rows.reduce((a, r) => a + (r.count ?? 0), 0);
      expect(sum, interval).toBeCloseTo(30, 9);
    }
    const [q] = await sensorCounts(store.client, { from, to: from + Q, sensor: 'loop-b', interval: '15m' });
    expect(q.coverage).toBeCloseTo(10 / 15, 9);
    expect(q.observedS).toBe(600);
  });
});
