import { loadConfig } from '@passage/config';
import { migrate, openStore, type Store } from '@passage/store';
import type { OperatorContext } from '@passage/stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expandOd, OdMatcherOperator } from './od-matcher.ts';

let store: Store;
beforeAll(async () => {
  store = openStore({ dataDir: ':memory:' });
  await migrate(store.client);
});
afterAll(async () => {
  await store.close();
});

const H0 = Date.parse('2025-10-01T08:00:00Z');
const HOUR = 3_600_000;
const s = (ms: number) => Math.floor(ms / 1000);

/** One hourly bin of a counter (count for the whole hour, fully observed). */
const bin = (sensor: string, count: number, h = H0) => ({
  sensor_id: sensor,
  interval: '1h',
  start: s(h),
  end: s(h + HOUR),
  direction: 'in',
  mode: 'car',
  count,
  raw_count: count,
  uptime: 1,
  observed_s: 3600,
});
const config = loadConfig({
  env: {},
  overrides: {
    od: {
      reference: [
        { zone: 'A', margin: 'origin', sensorId: 'loop-a', odMode: 'motor', factor: 1 },
        { zone: 'B', margin: 'origin', sensorId: 'loop-b', odMode: 'motor', factor: 1 },
      ],
    },
  },
});
const od = (origin: string, destination: string, trips: number, h = H0) => ({
  kind: 'od',
  origin,
  destination,
  mode: 'motor',
  window_start: s(h),
  trips,
  tt_p50_s: 300,
  tt_p85_s: 400,
  suppressed: 0,
  rule: '',
});

describe('expandOd: a reference below the observed probe trips is left out', () => {
  it('drops the counter (below-observed), uses the ratio estimator for its zone instead', async () => {
    // Observed (ANPR, one hour): A → C 30, A → D 10, B → C 30, B → D 10; origin margins A = 40, B = 40.
    // Counters: gate A counts 120 leaving (≥ 40, usable); gate B counts 25 leaving (< 40 probe trips observed
    // leaving B: impossible, left out). No destination counter.
    await store.client.insert({
      table: 'od_1h',
      values: [od('A', 'C', 30), od('A', 'D', 10), od('B', 'C', 30), od('B', 'D', 10)],
      format: 'JSONEachRow',
    });
    await store.client.insert({
      table: 'counts_1m',
      values: [bin('loop-a', 120), bin('loop-b', 25)],
      format: 'JSONEachRow',
    });
    // method 'ipf': these tests pin the biproportional expansion (still available; GLS is the default).
    const res = await expandOd(store.client, config, { from: H0, to: H0 + HOUR, method: 'ipf' });

    expect(res.excludedSensors).toEqual([{ periodStart: H0, sensorId: 'loop-b', kind: 'below-observed' }]);
    // Origin targets: A = 120 (its counter); B = 40 × R with R = 120 / 40 = 3 (ratio over the zones with a usable
    // reference), i.e. 120, not the counter's 25. Destinations have no reference: observed (C = 60, D = 20).
    const margin = (zone: string) => res.margins.find((m) => m.zone === zone);
    expect(margin('A')).toMatchObject({ margin: 'origin', total: 120, source: 'counters' });
    expect(margin('B')).toMatchObject({ margin: 'origin', total: 120, source: 'ratio' });
    expect(margin('C')).toMatchObject({ margin: 'destination', total: 60, source: 'observed' });
    expect(margin('D')).toMatchObject({ margin: 'destination', total: 20, source: 'observed' });
    // IPF: both rows 30 : 10 scaled to 120 → 90 and 30 (the destination targets 60 : 20 balanced to the row total
    // 240 give 180 : 60, already matched). se = expanded / √observed.
    const cell = (o: string, d: string) => res.cells.find((c) => c.origin === o && c.destination === d);
    for (const o of ['A', 'B']) {
      expect(cell(o, 'C')?.expanded).toBeCloseTo(90, 6);
      expect(cell(o, 'D')?.expanded).toBeCloseTo(30, 6);
      expect(cell(o, 'C')?.expandedStdErr).toBeCloseTo(90 / Math.sqrt(30), 6);
      expect(cell(o, 'D')?.expandedStdErr).toBeCloseTo(30 / Math.sqrt(10), 6);
      expect(cell(o, 'C')?.periodStart).toBe(H0);
    }
  });

  it('GLS (default): the same hour fitted to the usable count, with 95 % intervals, statuses and coverage', async () => {
    const res = await expandOd(store.client, config, { from: H0, to: H0 + HOUR });
    expect(res.excludedSensors).toEqual([{ periodStart: H0, sensorId: 'loop-b', kind: 'below-observed' }]);
    const cell = (o: string, d: string) => res.cells.find((c) => c.origin === o && c.destination === d);
    // A's row is fitted to its counter (120, variance 120 + (3 %)²): prior 90 : 30 (ratio 3) already sums to 120.
    expect((cell('A', 'C')?.expanded ?? 0) + (cell('A', 'D')?.expanded ?? 0)).toBeCloseTo(120, 0);
    for (const c of res.cells) {
      expect(c.status).toBe('observed');
      expect(c.lower95).toBeLessThanOrEqual(c.expanded ?? 0);
      expect(c.upper95).toBeGreaterThan(c.expanded ?? 0);
    }
    // Every zone of the matrix is observed (no sites file: zones are those of the observed cells).
    expect(res.coverage.map((z) => [z.zone, z.status])).toEqual([
      ['A', 'observed'],
      ['B', 'observed'],
      ['C', 'observed'],
      ['D', 'observed'],
    ]);
    expect(res.coverage.find((z) => z.zone === 'A')?.matchedShare).toBeCloseTo(40 / 120, 6);
  });

  it('keeps a counter that reports exactly the observed probe trips (the limit is strict)', async () => {
    // Next hour: A → C 12, B → C 8; loop-a 48, loop-b 8 (= observed leaving B): both references used.
    const H1 = H0 + HOUR;
    await store.client.insert({
      table: 'od_1h',
      values: [od('A', 'C', 12, H1), od('B', 'C', 8, H1)],
      format: 'JSONEachRow',
    });
    await store.client.insert({
      table: 'counts_1m',
      values: [bin('loop-a', 48, H1), bin('loop-b', 8, H1)],
      format: 'JSONEachRow',
    });
    const res = await expandOd(store.client, config, { from: H1, to: H1 + HOUR, method: 'ipf' });
    expect(res.excludedSensors).toEqual([]);
    expect(res.margins.filter((m) => m.margin === 'origin').map((m) => [m.zone, m.total, m.source])).toEqual([
      ['A', 48, 'counters'],
      ['B', 8, 'counters'],
    ]);
    const cell = (o: string) => res.cells.find((c) => c.origin === o);
    expect(cell('A')?.expanded).toBeCloseTo(48, 6);
    expect(cell('B')?.expanded).toBeCloseTo(8, 6);
  });
});

describe('expandOd: suppressed cells enter the seed at k / 2', () => {
  it('a suppressed cell gets its share of the margin, with trips 0, seeded, and a wider se', async () => {
    // Hour H0 + 3 h, k = 5 (default): A → C 20 observed, A → D suppressed (1 … 4 devices). Counter: A leaves 90.
    const h = H0 + 3 * HOUR;
    await store.client.insert({
      table: 'od_1h',
      values: [od('A', 'C', 20, h), { ...od('A', 'D', 0, h), suppressed: 1, rule: 'k5:suppress' }],
      format: 'JSONEachRow',
    });
    await store.client.insert({ table: 'counts_1m', values: [bin('loop-a', 90, h)], format: 'JSONEachRow' });
    const res = await expandOd(store.client, config, { from: h, to: h + HOUR, method: 'ipf' });
    const cell = (d: string) => res.cells.find((c) => c.origin === 'A' && c.destination === d);
    // Seed row A: 20 + 2.5 = 22.5 → scaled to 90: C = 80, D = 10.
    expect(cell('C')).toMatchObject({ trips: 20 });
    expect(cell('C')?.expanded).toBeCloseTo(80, 6);
    expect(cell('C')?.seeded).toBeUndefined();
    expect(cell('D')).toMatchObject({ trips: 0, seeded: true });
    expect(cell('D')?.expanded).toBeCloseTo(10, 6);
    // se² = (expanded/√seed)² + (expanded × relative sd of a uniform 1…4 around 2.5)².
    const relSd = Math.sqrt((4 ** 2 - 1) / 12) / 2.5;
    expect(cell('D')?.expandedStdErr).toBeCloseTo(Math.sqrt((10 / Math.sqrt(2.5)) ** 2 + (10 * relSd) ** 2), 6);
    // No travel time comes from a suppressed cell.
    expect(cell('D')?.travelTimeP50S).toBeUndefined();
  });
});

describe('expandOd: the below-observed guard counts published trips only', () => {
  it('keeps a counter above the published trips even when the seeds of suppressed cells exceed it', async () => {
    // Hour H0 + 5 h: A → C 20 published, A → D suppressed (seed 2.5); loop-a counts 21 ≥ 20 (< 22.5 with the seed).
    const h = H0 + 5 * HOUR;
    await store.client.insert({
      table: 'od_1h',
      values: [od('A', 'C', 20, h), { ...od('A', 'D', 0, h), suppressed: 1, rule: 'k5:suppress' }],
      format: 'JSONEachRow',
    });
    await store.client.insert({ table: 'counts_1m', values: [bin('loop-a', 21, h)], format: 'JSONEachRow' });
    const res = await expandOd(store.client, config, { from: h, to: h + HOUR, method: 'ipf' });
    expect(res.excludedSensors).toEqual([]);
    expect(res.margins.find((m) => m.zone === 'A')).toMatchObject({ total: 21, source: 'counters' });
  });
});

describe('od-matcher role: a fleet of randomised addresses', () => {
  it('warns once, with a share and what to do, when most sightings are randomised and skipped', () => {
    const op = new OdMatcherOperator(loadConfig({ env: {}, overrides: { od: { siteZones: { A: 'Z1', B: 'Z2' } } } }));
    const warnings: { obj: Record<string, unknown>; msg: string }[] = [];
    const log = { warn: (obj: Record<string, unknown>, msg: string) => warnings.push({ obj, msg }), debug: () => {} };
    const ctx = {
      emit: () => {},
      watermark: 0,
      log,
      metrics: undefined,
      role: 'od-matcher',
    } as unknown as OperatorContext;
    const batch = (from: number, randomised: boolean) =>
      Array.from({ length: 600 }, (_, i) => ({
        siteId: i % 2 ? 'A' : 'B',
        ts: H0 + (from + i) * 1000,
        kind: 'wifi' as const,
        token: `tok${String(from + i).padStart(19, '0')}`,
        randomised,
      }));
    op.processBatch(batch(0, false));
    op.onWatermark(H0 + 600_000, ctx);
    expect(warnings).toEqual([]); // 600 sightings, none randomised
    op.processBatch(batch(600, true));
    op.processBatch(batch(1200, true));
    op.onWatermark(H0 + 1_800_000, ctx);
    op.onWatermark(H0 + 1_900_000, ctx);
    expect(warnings.length).toBe(1);
    expect(warnings[0].obj).toEqual({ randomised: 1200, sightings: 1800, share: 67 });
    expect(warnings[0].msg).toContain('od.randomisedAddresses = keep');
  });
});
