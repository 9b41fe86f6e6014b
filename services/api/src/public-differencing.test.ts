/**
 * A differencing attack on the public (keyless) API: subtract two overlapping public answers and look for a count
 * between 1 and k − 1, i.e. a cell the public view withholds. The truth (what was withheld) comes from a keyed
 * request. Public answers are on whole, closed clock hours and coarse values are sums of k-anonymous hourly cells
 * (public-view.ts), so nothing is recovered.
 */
import { type Config, loadConfig } from '@passage/config';
import { migrate, openStore, readScenarioFile, type Store } from '@passage/store';
import { createLogger } from '@passage/stream';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from './app.ts';
import { FIXTURE_SCENARIO, type FixtureInfo, fillFixture } from './fixtures/aggregates.ts';

const K = 5;
const KEY = 'traffic-key-0123456789abcdef';
const PLANNER = 'planner-key-0123456789abcdef';
const H = 3_600_000;
const Q = 900_000;
let store: Store;
let app: FastifyInstance;
let fx: FixtureInfo;
/**
 * A quiet period (a day before the fixture) with two hours of small counts at site-r3a0 (buses: 3, then 6; in the
 * first hour also cars 7 and pedestrians 8 and 1 on two lines) and at a pedestrian counter (3, then 6); k = 5.
 */
let quiet: number;
let counterSite: string;

beforeAll(async () => {
  store = openStore({ dataDir: ':memory:' });
  await migrate(store.client);
  fx = await fillFixture(store.client, { hours: 3 });
  quiet = Math.floor(fx.start / H) * H - 24 * H;
  const scenario = readScenarioFile(FIXTURE_SCENARIO);
  const cam = scenario.cameras.find((c) => c.siteId === 'site-r3a0') ?? scenario.cameras[0];
  const counter = scenario.counters.find((c) => c.kind === 'pedestrian') ?? scenario.counters[0];
  counterSite = counter.siteId;
  const s = (t: number) => Math.floor(t / 1000);
  const hours = [3, 6].map((count, h) => ({ t: quiet + h * H, count }));
  const lineCells = [
    ...hours.map(({ t, count }) => ({ t, count, line: 0, mode: 'bus' })),
    { t: quiet, count: 7, line: 0, mode: 'car' },
    { t: quiet, count: 8, line: 1, mode: 'pedestrian' },
    { t: quiet, count: 1, line: 2, mode: 'pedestrian' },
  ];
  await store.client.insert({
    table: 'line_counts_1m',
    format: 'JSONEachRow',
    values: lineCells.map(({ t, count, line, mode }, i) => ({
      site_id: cam.siteId,
      camera_id: cam.id,
      line_id: cam.lines[line].id,
      direction: 'in',
      mode,
      minute: s(t + 600_000),
      count,
      speed_sum: 8 * count,
      speed_count: count,
      _src: 'quiet',
      _offset: i,
    })),
  });
  await store.client.insert({
    table: 'counts_1m',
    format: 'JSONEachRow',
    values: hours.map(({ t, count }, i) => ({
      sensor_id: counter.id,
      interval: '1h',
      start: s(t),
      end: s(t + H),
      direction: 'in',
      mode: '',
      count,
      raw_count: count,
      uptime: 1,
      observed_s: 3600,
      _src: 'quiet',
      _offset: 10 + i,
    })),
  });
  const config = loadConfig({
    env: {},
    overrides: {
      api: { keys: [`traffic:${KEY}`, `planner:${PLANNER}`], rateLimitPerMinute: 100000 },
      privacy: { k: K },
    },
  }) as Config;
  app = await buildApp({ config, store, log: createLogger({ level: 'silent' }), dashboardDir: false });
  await app.ready();
});
afterAll(async () => {
  await app?.close();
  await store?.close();
});

const iso = (t: number) => new Date(t).toISOString();
async function get<T>(path: string, q: Record<string, string | number>, key?: string): Promise<T> {
  const url = `${path}?${new URLSearchParams(Object.entries(q).map(([a, b]) => [a, String(b)]))}`;
  const r = await app.inject({ url, headers: key ? { 'x-api-key': key } : {} });
  expect(r.statusCode, `${url}: ${r.body}`).toBe(200);
  return r.json() as T;
}

type Row = { t: number; cameraId: string; lineId: string; direction: string; mode: string; count: number | null };
const cell = (r: Row) => `${r.cameraId}|${r.lineId}|${r.direction}|${r.mode}`;
async function lineCounts(site: string, from: number, to: number, interval: string, key?: string): Promise<Row[]> {
  return (await get<{ rows: Row[] }>('/api/v1/line-counts', { site, from: iso(from), to: iso(to), interval }, key))
    .rows;
}
/** Sum of counts per cell (over the rows' times). */
function byCell(rows: Row[]): Map<string, number | null> {
  const m = new Map<string, number | null>();
  for (const r of rows) {
    const prev = m.has(cell(r)) ? m.get(cell(r)) : 0;
    m.set(cell(r), prev === null || r.count === null ? null : (prev ?? 0) + r.count);
  }
  return m;
}
/** Cells where a − b is a count the public view would withhold: 0 < a − b < k. */
function recovered(a: Map<string, number | null>, b: Map<string, number | null>): string[] {
  const out: string[] = [];
  for (const [c, va] of a) {
    const vb = b.has(c) ? b.get(c) : 0;
    if (va === null || vb === null || vb === undefined) continue;
    const d = va - vb;
    if (d > 0 && d < K) out.push(`${c}: ${d}`);
  }
  return out;
}

describe('differencing public answers recovers nothing withheld', () => {
  const site = 'site-r3a0';

  it('a daily bucket minus the same day one hour shorter (the first hour)', async () => {
    const start = Math.ceil(fx.start / H) * H; // first whole hour of the fixture
    const a = byCell(await lineCounts(site, start, start + 2 * H, '1d'));
    const b = byCell(await lineCounts(site, start + H, start + 2 * H, '1d'));
    // What the difference would be: the first hour, which the public hourly view partly withholds.
    const truth = await lineCounts(site, start, start + H, '1h', KEY);
    expect(truth.some((r) => r.count !== null && r.count > 0 && r.count < K)).toBe(true);
    expect(recovered(a, b)).toEqual([]);
  });

  it('an hour minus the same hour started 15 minutes later (a quarter hour)', async () => {
    const start = Math.ceil(fx.start / H) * H;
    const a = byCell(await lineCounts(site, start, start + H, '1h'));
    const b = byCell(await lineCounts(site, start + Q, start + H, '1h'));
    const truth = await lineCounts(site, start, start + Q, '1h', KEY);
    expect(truth.some((r) => r.count !== null && r.count > 0 && r.count < K)).toBe(true);
    expect(recovered(a, b)).toEqual([]);
  });

  it('a quiet day: daily line counts over ranges one hour apart', async () => {
    const a = byCell(await lineCounts(site, quiet, quiet + 2 * H, '1d'));
    const b = byCell(await lineCounts(site, quiet + H, quiet + 2 * H, '1d'));
    expect(recovered(a, b)).toEqual([]);
  });

  it('a quiet day: counter reports, site volumes and footfall totals over ranges one hour apart', async () => {
    type S = { rows: { sensorId: string; direction: string; mode: string; count: number | null }[] };
    const sensors = async (from: number) => {
      const q = { site: counterSite, from: iso(from), to: iso(quiet + 2 * H), interval: '1d' };
      const r = await get<S>('/api/v1/sensors/counts', q);
      return new Map(r.rows.map((x) => [`${x.sensorId}|${x.direction}|${x.mode}`, x.count]));
    };
    expect(recovered(await sensors(quiet), await sensors(quiet + H))).toEqual([]);

    type Sites = { sites: { id: string; volume: number | null }[] };
    const volumes = async (from: number) => {
      const r = await get<Sites>('/api/v1/sites', { from: iso(from), to: iso(quiet + 2 * H) });
      return new Map(r.sites.map((x) => [x.id, x.volume]));
    };
    expect(recovered(await volumes(quiet), await volumes(quiet + H))).toEqual([]);

    for (const interval of ['1h', '1d']) {
      const total = async (from: number) => {
        const q = { site: counterSite, from: iso(from), to: iso(quiet + 2 * H), interval };
        const f = await get<{ current: { total: number | null } }>('/api/v1/footfall', q);
        return new Map([[counterSite, f.current.total]]);
      };
      expect(recovered(await total(quiet), await total(quiet + H)), interval).toEqual([]);
    }
  });

  it('a quiet hour: a site volume or its footfall minus the published line counts of the site', async () => {
    const lines = await lineCounts(site, quiet, quiet + H, '1h');
    const published = (rows: Row[]) => rows.reduce((a, r) => a + (r.count ?? 0), 0);
    const lineIn = published(lines.filter((r) => r.direction === 'in'));
    const linePed = published(lines.filter((r) => r.direction === 'in' && r.mode === 'pedestrian'));
    expect(lines.some((r) => r.count === null)).toBe(true); // cells withheld in this hour
    type Sites = { sites: { id: string; volume: number | null }[] };
    const r = await get<Sites>('/api/v1/sites', { from: iso(quiet), to: iso(quiet + H) });
    const volume = r.sites.find((x) => x.id === site)?.volume ?? null;
    expect(recovered(new Map([[site, volume]]), new Map([[site, lineIn]]))).toEqual([]);
    const q = { site, from: iso(quiet), to: iso(quiet + H), interval: '1h' };
    const foot = (await get<{ current: { total: number | null } }>('/api/v1/footfall', q)).current.total;
    expect(recovered(new Map([[site, foot]]), new Map([[site, linePed]]))).toEqual([]);
    // The open-data export gives the same footfall as the public API (same cells, same k rule).
    const csv = await app.inject({ url: `/api/v1/exports/footfall?from=${iso(quiet)}&to=${iso(quiet + H)}` });
    const [head, ...lines2] = csv.body.trim().split('\n');
    const row = lines2.map((l) => l.split(',')).find((v) => v[head.split(',').indexOf('site_id')] === site);
    const exported = row ? Number(row[head.split(',').indexOf('count')]) : null;
    expect(exported).toBe(foot);
    expect(recovered(new Map([[site, exported]]), new Map([[site, linePed]]))).toEqual([]);
  });

  it('a quiet day: the daily footfall export over ranges one hour apart', async () => {
    const csv = async (from: number) => {
      const url = `/api/v1/exports/footfall?from=${iso(from)}&to=${iso(quiet + 2 * H)}&interval=1d`;
      const r = await app.inject({ url });
      expect(r.statusCode, r.body).toBe(200);
      const [head, ...lines] = r.body.trim().split('\n');
      const cols = head.split(',');
      const m = new Map<string, number | null>();
      for (const line of lines) {
        const v = line.split(',');
        const count = v[cols.indexOf('count')];
        m.set(v[cols.indexOf('site_id')], count === '' ? null : Number(count));
      }
      return m;
    };
    expect(recovered(await csv(quiet), await csv(quiet + H))).toEqual([]);
  });

  it('widens public ranges to whole clock hours that have ended', async () => {
    const start = Math.ceil(fx.start / H) * H;
    const od = await get<{ from: number; to: number }>('/api/v1/od', { from: iso(start + Q), to: iso(start + H + Q) });
    expect([od.from, od.to]).toEqual([start, start + 2 * H]);
    const keyed = await get<{ from: number; to: number }>(
      '/api/v1/od',
      { from: iso(start + Q), to: iso(start + H + Q) },
      PLANNER,
    );
    expect([keyed.from, keyed.to]).toEqual([start + Q, start + H + Q]);
    type Extent = { from: number; to: number; od: { from: number; to: number } };
    const pub = await get<Extent>('/api/v1/extent', {});
    for (const t of [pub.from, pub.to, pub.od.from, pub.od.to]) expect(t % H).toBe(0);
    expect((await get<Extent>('/api/v1/extent', {}, PLANNER)).od.from).toBe(fx.start); // 06:30, as stored
    const now = Date.now();
    const open = await get<{ to: number }>('/api/v1/od', { from: iso(now - 3 * H), to: iso(now + H) });
    expect(open.to).toBe(Math.floor(now / H) * H);
    const r = await app.inject({ url: `/api/v1/od?from=${iso(now + Q)}&to=${iso(now + 2 * H)}` });
    expect(r.statusCode).toBe(400);
    expect(r.json().code).toBe('PASSAGE_BAD_RANGE');
  });
});
