import { loadConfig } from '@passage/config';
import { migrate, openStore, type Store } from '@passage/store';
import type { OperatorContext } from '@passage/stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expandOd, materialiseExpandedOd, OdMatcherOperator, storedCountsExtent } from './od-matcher.ts';

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
    // The maths are tested in core (population.test.ts); here: the rows read back from the store reach them.
    const res = await expandOd(store.client, config, { from: H0, to: H0 + HOUR, method: 'ipf' });
    expect(res.excludedSensors).toEqual([{ periodStart: H0, sensorId: 'loop-b', kind: 'below-observed' }]);
    expect(res.margins.find((m) => m.zone === 'A')).toMatchObject({ margin: 'origin', total: 120 });
    const cell = res.cells.find((c) => c.origin === 'B' && c.destination === 'C');
    expect(cell?.expanded).toBeCloseTo(90, 6);
    expect(cell?.travelTimeP50S).toBe(300);
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

describe('materialiseExpandedOd: nothing derived from a suppressed cell is stored (issue 11)', () => {
  it("stores no row for the cell observed only as a suppressed marker, only the period's withheld total", async () => {
    // Hour H0 + 3 h, k = 5 (default): A → C 20 published, A → D suppressed (1 … 4 devices). Counter: A leaves 90.
    const h = H0 + 3 * HOUR;
    await store.client.insert({
      table: 'od_1h',
      values: [od('A', 'C', 20, h), { ...od('A', 'D', 0, h), suppressed: 1, rule: 'k5:suppress' }],
      format: 'JSONEachRow',
    });
    await store.client.insert({ table: 'counts_1m', values: [bin('loop-a', 90, h)], format: 'JSONEachRow' });
    // What an earlier computation stored for the suppressed cell (the previous code did): it must not survive.
    await store.client.insert({
      table: 'od_expanded_1h',
      values: [{ origin: 'A', destination: 'D', mode: 'motor', window_start: s(h), observed: 0, expanded: 10 }],
      format: 'JSONEachRow',
    });
    const written = await materialiseExpandedOd(store.client, config, { from: h, to: h + HOUR });
    const rs = await store.client.query({
      query: `SELECT origin, destination, observed, status FROM od_expanded_1h FINAL
              WHERE window_start = fromUnixTimestamp({h:Int64}) AND expanded > 0 ORDER BY origin, destination`,
      query_params: { h: s(h) },
      format: 'JSONEachRow',
    });
    const rows = await rs.json<{ origin: string; destination: string; observed: number; status: string }>();
    // A → D has no row of its own: its estimated trips are only part of the period's '(below k)' total.
    expect(written).toBe(2);
    expect(rows).toEqual([
      { origin: '(below k)', destination: '(below k)', observed: 0, status: 'withheld' },
      { origin: 'A', destination: 'C', observed: 20, status: 'observed' },
    ]);
    const stale = await store.client.query({
      query: `SELECT status, expanded FROM od_expanded_1h FINAL WHERE origin = 'A' AND destination = 'D'`,
      format: 'JSONEachRow',
    });
    expect(await stale.json()).toEqual([{ status: 'retracted', expanded: 0 }]);
    // The estimation still used the seed (the withheld share of A's counted 90 is reported, not stored).
    const res = await expandOd(store.client, config, { from: h, to: h + HOUR });
    expect(res.withheld).toHaveLength(1);
    expect(res.withheld[0].cells).toBe(1);
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

describe("storedCountsExtent: the period the stored reference counts cover (the workers' expansion extent)", () => {
  it('spans the earliest counter bin start to the latest camera line minute + 60 s', async () => {
    // Far before and after every other test's data (hours around H0): a counter bin 100 h before, a line minute
    // 100 h after.
    const early = H0 - 100 * HOUR;
    const late = H0 + 100 * HOUR;
    await store.client.insert({ table: 'counts_1m', values: [bin('loop-x', 5, early)], format: 'JSONEachRow' });
    await store.client.insert({
      table: 'line_counts_1m',
      values: [{ site_id: 's', camera_id: 'c', line_id: 'l', direction: 'in', mode: 'car', minute: s(late), count: 3 }],
      format: 'JSONEachRow',
    });
    expect(await storedCountsExtent(store.client)).toEqual({ from: early, to: late + 60_000 });
  });
});
