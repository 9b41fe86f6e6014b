/**
 * The same number on every path (issue 11, item 3). One replay of the committed scenario's first 15 minutes (every
 * role, embedded), then, for the clock hour it starts in, the totals of each dataset as read from
 *  - the store (SQL written here, on the tables the roles write),
 *  - the API (`app.inject`),
 *  - the open-data exports (CSV, and Parquet read back by ClickHouse),
 *  - the requests the dashboard makes (dashboards/src/main.ts: its extent, then `/sensors/counts?site=…&interval=15m`
 *    for a counter's chart, `/turning-movements?site=…` for the junction view, `/od?interval=1h` over the period;
 *    the data officer's export preview and disclosure report),
 * must be equal: counter counts (no silent extrapolation: the hour, covered for 15 minutes, holds the sum of its
 * 15-minute bins), camera line counts (`/line-counts`, the junction chart's request), turning movements, and OD (the expanded flows, standard errors and intervals of the hourly cells
 * where k was applied; nothing derived from suppressed cells).
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildApp } from '@passage/api';
import { loadConfig } from '@passage/config';
import { openStore, type Store } from '@passage/store';
import { exportDataset } from '@passage/store/export/index';
import { parseCsv } from '@passage/store/export/tableschema';
import { createLogger } from '@passage/stream';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { run as replayRun } from './replay.ts';

const SCENARIO = resolve(fileURLToPath(new URL('.', import.meta.url)), '../../../../infra/scenarios/chartres-centre');
const KEY = 'admin-key-0123456789abcdef00';
const K = 5;
let dir: string;
let store: Store;
let app: FastifyInstance;
let from: number;
let to: number;
const iso = (t: number) => new Date(t).toISOString();

async function q<T>(sql: string, params: Record<string, unknown> = {}): Promise<T[]> {
  const rs = await store.client.query({ query: sql, query_params: params, format: 'JSONEachRow' });
  return rs.json<T>();
}
async function get<T>(url: string, key: string | null = KEY): Promise<T> {
  const r = await app.inject({ method: 'GET', url, headers: key ? { 'x-api-key': key } : {} });
  expect(r.statusCode, `${url}: ${r.body.slice(0, 200)}`).toBe(200);
  return (url.includes('format=csv') ? r.body : r.json()) as T;
}
const range = () => ({ from: Math.floor(from / 1000), to: Math.floor(to / 1000) });
const close = (a: number, b: number, tol = 1e-6) => expect(Math.abs(a - b), `${a} vs ${b}`).toBeLessThanOrEqual(tol);

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'one-cross-'));
  const log = vi.spyOn(console, 'log').mockImplementation(() => undefined);
  const err = vi.spyOn(console, 'error').mockImplementation(() => undefined);
  try {
    expect(await replayRun([SCENARIO, '--until', '900', '--data', dir])).toBe(0);
  } finally {
    log.mockRestore();
    err.mockRestore();
  }
  const scenario = JSON.parse(readFileSync(join(SCENARIO, 'scenario.json'), 'utf8')) as { start: number };
  from = Math.floor(scenario.start / 3_600_000) * 3_600_000;
  to = from + 3_600_000;
  store = openStore({ dataDir: dir });
  const config = loadConfig({ env: {}, overrides: { api: { keys: [`admin:${KEY}`] }, privacy: { k: K } } });
  app = await buildApp({ config, store, log: createLogger({ level: 'silent' }), dashboardDir: false });
  await app.ready();
}, 600_000);
afterAll(async () => {
  await app?.close();
  await store?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('one period, every path, the same totals', () => {
  it('counter counts: store (1h = Σ 15 min), API, dashboard chart requests, national-schema measures', async () => {
    const [s15] = await q<{ c: number }>(
      `SELECT sum(count) AS c FROM counts_bins WHERE interval = '15m'
       AND start >= toDateTime({from:UInt32}) AND start < toDateTime({to:UInt32})`,
      range(),
    );
    const [s1h] = await q<{ c: number; cov: number }>(
      `SELECT sum(count) AS c, max(coverage) AS cov FROM counts_bins WHERE interval = '1h'
       AND start >= toDateTime({from:UInt32}) AND start < toDateTime({to:UInt32})`,
      range(),
    );
    const store15 = Number(s15.c);
    expect(store15).toBeGreaterThan(500);
    close(Number(s1h.c), store15); // the hour was covered 15 minutes: not scaled ×4
    expect(Number(s1h.cov)).toBe(0.25);
    const sites = (
      await q<{ s: string }>(
        `SELECT DISTINCT site_id AS s FROM devices FINAL WHERE kind NOT IN ('camera', 'wifi', 'ble', 'anpr') ORDER BY s`,
      )
    ).map((x) => x.s);
    expect(sites.length).toBeGreaterThan(5);
    const apiSum = async (interval: string, f: number, t: number, key: string | null = KEY) => {
      let sum = 0;
      for (const site of sites) {
        const r = await get<{ rows: { count: number | null }[] }>(
          `/api/v1/sensors/counts?site=${site}&from=${iso(f)}&to=${iso(t)}&interval=${interval}`,
          key,
        );
        for (const x of r.rows) sum += x.count ?? 0;
      }
      return sum;
    };
    close(await apiSum('1h', from, to), store15);
    close(await apiSum('15m', from, to), store15);
    // The dashboard: extent, then each counter's chart at 15 minutes (with a key) over it.
    const ext = await get<{ from: number; to: number }>('/api/v1/extent');
    close(await apiSum('15m', ext.from, ext.to), store15);
    // National schema: counter channels' hourly measures; cells 0 < c < k are published empty.
    const out = join(dir, 'counting');
    await exportDataset({ store, dataset: 'counting', format: 'csv', from, to, outDir: out, k: K });
    const ch = new Map(
      parseCsv(readFileSync(join(out, 'channels.csv'), 'utf8'))
        .slice(1)
        .map((r) => [r[0], r]),
    );
    const measures = parseCsv(readFileSync(join(out, 'measures.csv'), 'utf8')).slice(1);
    const cams = new Set(
      (await q<{ d: string }>(`SELECT device_id AS d FROM devices FINAL WHERE kind = 'camera'`)).map((x) => x.d),
    );
    let published = 0;
    for (const m of measures) if (!cams.has(m[1]) && ch.has(m[0]) && m[4] !== '') published += Number(m[4]);
    const [kept] = await q<{ c: number }>(
      `SELECT sum(cell) AS c FROM (SELECT sum(count) AS cell FROM counts_bins WHERE interval = '1h'
         AND start >= toDateTime({from:UInt32}) AND start < toDateTime({to:UInt32}) AND count IS NOT NULL
         GROUP BY sensor_id, direction, mode, start) WHERE cell = 0 OR cell >= {k:UInt32}`,
      { ...range(), k: K },
    );
    close(published, Number(kept.c), 0.01 * measures.length);
    expect(Number(kept.c)).toBeGreaterThan(0.9 * store15);
  });

  it('camera line counts: store, API (what the junction chart fetches, 15 min and 1 h), national-schema measures', async () => {
    const [s] = await q<{ c: number }>(
      `SELECT sum(count) AS c FROM line_counts_1m WHERE minute >= toDateTime({from:UInt32}) AND minute < toDateTime({to:UInt32})`,
      range(),
    );
    const storeTotal = Number(s.c);
    expect(storeTotal).toBeGreaterThan(1000);
    const sites = (await q<{ s: string }>(`SELECT DISTINCT site_id AS s FROM line_counts_1m ORDER BY s`)).map(
      (x) => x.s,
    );
    const apiSum = async (interval: string) => {
      let sum = 0;
      for (const site of sites) {
        const r = await get<{ rows: { count: number | null }[] }>(
          `/api/v1/line-counts?site=${site}&from=${iso(from)}&to=${iso(to)}&interval=${interval}`,
        );
        for (const x of r.rows) sum += x.count ?? 0;
      }
      return sum;
    };
    expect(await apiSum('15m')).toBe(storeTotal);
    expect(await apiSum('1h')).toBe(storeTotal);
    // National schema: the camera channels' hourly measures; cells 0 < c < k are published empty.
    const out = join(dir, 'counting-cams');
    await exportDataset({ store, dataset: 'counting', format: 'csv', from, to, outDir: out, k: K });
    const cams = new Set(
      (await q<{ d: string }>(`SELECT device_id AS d FROM devices FINAL WHERE kind = 'camera'`)).map((x) => x.d),
    );
    const measures = parseCsv(readFileSync(join(out, 'measures.csv'), 'utf8'));
    const h = measures[0];
    let published = 0;
    for (const m of measures.slice(1)) {
      const c = m[h.indexOf('count')];
      if (cams.has(m[h.indexOf('counter_id')]) && c !== '') published += Number(c);
    }
    const [kept] = await q<{ c: number }>(
      `SELECT sum(cell) AS c FROM (SELECT sum(count) AS cell FROM line_counts_1m
         WHERE minute >= toDateTime({from:UInt32}) AND minute < toDateTime({to:UInt32})
         GROUP BY camera_id, line_id, direction, mode, toStartOfHour(minute)) WHERE cell >= {k:UInt32}`,
      { ...range(), k: K },
    );
    expect(published).toBe(Number(kept.c));
    expect(published).toBeGreaterThan(0.85 * storeTotal); // 3,041 of 3,423: the rest in cells 0 < c < k
  });

  it('turning movements: store, API (JSON and the 15-minute CSV), dashboard junction view', async () => {
    const [s] = await q<{ c: number }>(
      `SELECT sum(count) AS c FROM movements_1m WHERE minute >= toDateTime({from:UInt32}) AND minute < toDateTime({to:UInt32})`,
      range(),
    );
    const storeTotal = Number(s.c);
    expect(storeTotal).toBeGreaterThan(100);
    const sites = (await q<{ s: string }>(`SELECT DISTINCT site_id AS s FROM movements_1m ORDER BY s`)).map((x) => x.s);
    const ext = await get<{ from: number; to: number }>('/api/v1/extent');
    let json = 0;
    let csv = 0;
    let dash = 0;
    for (const site of sites) {
      json += (await get<{ total: number }>(`/api/v1/turning-movements?site=${site}&from=${iso(from)}&to=${iso(to)}`))
        .total;
      const rows = parseCsv(
        await get<string>(`/api/v1/turning-movements?site=${site}&from=${iso(from)}&to=${iso(to)}&format=csv`),
      );
      const t = rows[0].indexOf('total');
      for (const r of rows.slice(1)) csv += Number(r[t]);
      dash += (
        await get<{ total: number }>(`/api/v1/turning-movements?site=${site}&from=${iso(ext.from)}&to=${iso(ext.to)}`)
      ).total;
    }
    expect(json).toBe(storeTotal);
    expect(csv).toBe(storeTotal);
    expect(dash).toBe(storeTotal);
  });

  it('OD: store, API, CSV and Parquet exports, dashboard buckets: same expanded flows, SEs and intervals', async () => {
    // Store: published hourly cells (k applied by the matcher per hour) of the `all` group, expanded where the
    // expansion (latest computation) is at least the observed trips; expansion rows of unpublished cells ignored.
    // The interval is the one stored with the cell (lower95, upper95: the GLS posterior), [n, n] where not expanded.
    const cells = await q<{ o: string; d: string; n: number; ex: number; v: number; lo: number; hi: number }>(
      `SELECT o.origin AS o, o.destination AS d, o.n AS n, e.ex > 0 AND e.ex >= o.n AS x,
         if(x, e.ex, toFloat64(o.n)) AS ex, if(x, e.v, 0) AS v, if(x, e.lo, toFloat64(o.n)) AS lo,
         if(x, e.hi, toFloat64(o.n)) AS hi
       FROM (SELECT origin, destination, window_start, sumIf(trips, suppressed = 0) AS n FROM od_1h
             WHERE kind = 'od' AND mode = 'all' AND window_start >= toDateTime({from:UInt32})
               AND window_start < toDateTime({to:UInt32}) GROUP BY origin, destination, window_start) AS o
       LEFT JOIN (SELECT origin, destination, window_start, expanded AS ex, expanded_se * expanded_se AS v,
               lower95 AS lo, upper95 AS hi
             FROM od_expanded_1h FINAL WHERE mode = 'all' AND observed > 0) AS e
       ON e.origin = o.origin AND e.destination = o.destination AND e.window_start = o.window_start
       WHERE o.n >= {k:UInt32}`,
      { ...range(), k: K },
    );
    // And the count-estimated cells (no published probe trip: observed 0, status estimated, residual or composed:
    // the all group composed by mode where the counts identify cells the Wi-Fi/BLE probes did not match above k).
    cells.push(
      ...(await q<{ o: string; d: string; n: number; ex: number; v: number; lo: number; hi: number }>(
        `SELECT origin AS o, destination AS d, 0 AS n, expanded AS ex, expanded_se * expanded_se AS v, lower95 AS lo,
           upper95 AS hi
         FROM od_expanded_1h FINAL
         WHERE mode = 'all' AND observed = 0 AND status IN ('estimated', 'residual', 'composed') AND expanded > 0
           AND window_start >= toDateTime({from:UInt32}) AND window_start < toDateTime({to:UInt32})
           AND (window_start, origin, destination) NOT IN (
             SELECT window_start, origin, destination FROM od_1h WHERE kind = 'od' AND mode = 'all'
               AND suppressed = 0 AND trips > 0)`,
        range(),
      )),
    );
    expect(cells.length).toBeGreaterThan(5);
    const storeObs = cells.reduce((a, c) => a + Number(c.n), 0);
    const storeEx = cells.reduce((a, c) => a + Number(c.ex), 0);
    expect(storeEx).toBeGreaterThan(storeObs); // expanded for real, not a copy of the observed trips
    const byCell = new Map(cells.map((c) => [`${c.o}>${c.d}`, c]));
    // Stored intervals are the GLS posterior's (clipped at 0), not the observed-floored ±1.96 se of a reader: some
    // lie below the observed trips, and the API and exports must show them as stored.
    expect(cells.some((c) => Number(c.lo) < Number(c.n) && Number(c.v) > 0)).toBe(true);
    const api = await get<{
      odModes: string[];
      totals: { observed: number; expanded: number };
      flows: {
        origin: string;
        destination: string;
        expanded: number;
        stdErr: number;
        ci95: [number, number];
        method: string;
      }[];
    }>(`/api/v1/od?from=${iso(from)}&to=${iso(to)}&interval=1h`);
    expect(api.odModes).toEqual(['all']);
    expect(api.totals.observed).toBe(storeObs);
    close(api.totals.expanded, storeEx, 1e-6);
    // Per cell, the API's expanded value, standard error and interval are the stored row's.
    expect(api.flows.length).toBe(cells.length);
    // The all group here is composed by mode (motor + pedestrians + bicycles from the counts): labelled so.
    expect(api.flows.filter((f) => f.method === 'mode-composed').length).toBeGreaterThan(5);
    for (const f of api.flows) {
      const c = byCell.get(`${f.origin}>${f.destination}`);
      expect(c, `${f.origin}>${f.destination}`).toBeDefined();
      close(f.expanded, Number(c?.ex), 1e-9);
      close(f.stdErr, Math.sqrt(Number(c?.v)), 1e-9);
      close(f.ci95[0], Number(c?.lo), 1e-9);
      close(f.ci95[1], Number(c?.hi), 1e-9);
    }
    // CSV export: the same cells, expanded values, standard errors and intervals (rounded to 0.001).
    const out = join(dir, 'od');
    await exportDataset({ store, dataset: 'od', format: 'csv', from, to, outDir: out, k: K });
    const rows = parseCsv(readFileSync(join(out, 'od.csv'), 'utf8'));
    const h = rows[0];
    const col = (r: string[], n: string) => Number(r[h.indexOf(n)]);
    const all = rows.slice(1).filter((r) => r[h.indexOf('mode')] === 'all');
    expect(all.length).toBe(api.flows.length);
    expect(all.reduce((a, r) => a + col(r, 'trips'), 0)).toBe(storeObs);
    close(
      all.reduce((a, r) => a + col(r, 'expanded'), 0),
      storeEx,
      0.0005 * all.length,
    );
    const byOd = new Map(all.map((r) => [`${r[h.indexOf('origin')]}>${r[h.indexOf('destination')]}`, r]));
    for (const c of cells) {
      const r = byOd.get(`${c.o}>${c.d}`) as string[];
      expect(r, `${c.o}>${c.d}`).toBeDefined();
      expect(col(r, 'trips')).toBe(Number(c.n));
      // The same label as the API's flow of the cell.
      expect(r[h.indexOf('method')]).toBe(
        api.flows.find((f) => `${f.origin}>${f.destination}` === `${c.o}>${c.d}`)?.method,
      );
      close(col(r, 'expanded'), Number(c.ex), 0.0005);
      close(col(r, 'expanded_se'), Math.sqrt(Number(c.v)), 0.0005);
      close(col(r, 'ci95_low'), Number(c.lo), 0.0005);
      close(col(r, 'ci95_high'), Number(c.hi), 0.0005);
    }
    // Parquet export, read back by ClickHouse: the same cells, values, standard errors and intervals.
    const pq = join(dir, 'od-parquet');
    await exportDataset({ store, dataset: 'od', format: 'parquet', from, to, outDir: pq, k: K });
    const pRows = await q<{ o: string; d: string; n: number; ex: number; se: number; lo: number; hi: number }>(
      `SELECT origin AS o, destination AS d, trips AS n, expanded AS ex, expanded_se AS se, ci95_low AS lo,
         ci95_high AS hi FROM file('${join(pq, 'od.parquet')}', Parquet) WHERE mode = 'all'`,
    );
    expect(pRows.length).toBe(cells.length);
    for (const p of pRows) {
      const c = byCell.get(`${p.o}>${p.d}`);
      expect(c, `${p.o}>${p.d}`).toBeDefined();
      expect(Number(p.n)).toBe(Number(c?.n));
      close(Number(p.ex), Number(c?.ex), 0.0005);
      close(Number(p.se), Math.sqrt(Number(c?.v)), 0.0005);
      close(Number(p.lo), Number(c?.lo), 0.0005);
      close(Number(p.hi), Number(c?.hi), 0.0005);
    }
    // The dashboard's OD view (dashboards/src/main.ts): one hourly request over the chosen period (by default the OD
    // extent), every stored mode; the view's total is the sum of the flows it was sent; public and keyed agree.
    const ext = await get<{ od: { from: number; to: number } }>('/api/v1/extent', null);
    const period = `from=${iso(ext.od.from)}&to=${iso(ext.od.to)}&interval=1h`;
    for (const key of [null, KEY]) {
      const view = await get<{ flows: { t: number; observed: number; expanded: number }[] }>(
        `/api/v1/od?${period}`,
        key,
      );
      const hour = view.flows.filter((f) => f.t >= from && f.t < to);
      expect(hour.reduce((a, f) => a + f.observed, 0)).toBe(storeObs);
      close(
        hour.reduce((a, f) => a + f.expanded, 0),
        storeEx,
        1e-6,
      );
    }
    // The data officer's preview and disclosure report count the rows the download holds.
    const csv = await get<string>(`/api/v1/exports/od?from=${iso(from)}&to=${iso(to)}&format=csv`);
    const preview = await get<{ rows: number; suppressedCells: number }>(
      `/api/v1/exports/od/preview?from=${iso(from)}&to=${iso(to)}`,
    );
    expect(preview.rows).toBe(parseCsv(csv).length - 1);
    const report = await get<{ files: { dataset: string; rows: number; suppressedCells: number }[] }>(
      `/api/v1/exports/report?from=${iso(from)}&to=${iso(to)}`,
    );
    expect(report.files.find((f) => f.dataset === 'od')).toMatchObject({
      rows: preview.rows,
      suppressedCells: preview.suppressedCells,
    });
    // Nothing derived from suppressed cells reaches a reader: every published cell has observed trips ≥ k.
    for (const f of api.flows) expect(cells.some((c) => c.o === f.origin && c.d === f.destination)).toBe(true);
  });
});
