/**
 * One truth for OD across modes (issue 15): k is applied to the published grid, bucket × origin × destination ×
 * stored mode (the export's rows), BEFORE modes are summed. Over the fixture store (per-mode 15-minute cells, some
 * below k and not suppressed upstream, as a store without the matcher's groups may hold), for the dashboard's hourly
 * request and a daily one: GET /api/v1/od for all modes = Σ of the export's rows (API CSV and the CLI export) = Σ
 * of the per-mode API answers; each all-modes flow is the sum of its published per-mode flows, so no all-modes flow
 * minus published per-mode flows reveals a hidden cell; hidden cells are counted alike by the API, the disclosure
 * report and the CLI export.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { exportDataset, type OdFlow, parseCsv, type Store } from '@passage/store';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FixtureInfo } from './fixtures/aggregates.ts';
import { type FixtureApp, fixtureApp } from './fixtures/fixture-app.ts';

const KEY = 'planner-key-0123456789abcdef';
const K = 5;
const MODES = ['bicycle', 'car', 'pedestrian'];
let fixture: FixtureApp;
let store: Store;
let app: FastifyInstance;
let fx: FixtureInfo;
let out: string;

interface OdAnswer {
  odModes: string[];
  suppressedCells: number;
  totals: { observed: number; expanded: number };
  flows: OdFlow[];
}

const iso = (t: number) => new Date(t).toISOString();
async function get<T>(url: string, key: string | null = KEY): Promise<T> {
  const r = await app.inject({ method: 'GET', url, headers: key ? { 'x-api-key': key } : {} });
  expect(r.statusCode, `${url}: ${r.body.slice(0, 200)}`).toBe(200);
  return (url.includes('format=csv') ? r.body : r.json()) as T;
}
const close = (a: number, b: number, tol: number) => expect(Math.abs(a - b), `${a} vs ${b}`).toBeLessThanOrEqual(tol);

beforeAll(async () => {
  fixture = await fixtureApp({ keys: [`planner:${KEY}`], k: K });
  ({ store, app, fx } = fixture);
  out = mkdtempSync(join(tmpdir(), 'passage-od-truth-'));
});
afterAll(async () => {
  await fixture?.close();
  if (out) rmSync(out, { recursive: true, force: true });
});

describe('OD: one number for a period and mode group on every path', () => {
  for (const interval of ['1h', '1d'] as const) {
    it(`interval ${interval}: all modes = Σ published per-mode cells = the export's rows; hidden cells counted alike`, async () => {
      const range = `from=${iso(fx.start)}&to=${iso(fx.end)}&interval=${interval}`;
      const all = await get<OdAnswer>(`/api/v1/od?${range}`);
      expect(all.odModes).toEqual([]);
      // The store, independently: per bucket × origin × destination × mode, the published trips; cells below k
      // hidden there, then summed.
      const bucket = interval === '1h' ? 'toStartOfHour(window_start)' : 'toStartOfDay(window_start)';
      const rs = await store.client.query({
        query: `SELECT sumIf(n, n >= {k:UInt32}) AS pub, sumIf(n, n > 0 AND n < {k:UInt32}) AS low,
                  countIf(n < {k:UInt32}) AS hidden
                FROM (SELECT ${bucket} AS b, origin, destination, mode, sumIf(trips, suppressed = 0) AS n
                      FROM od_15m GROUP BY b, origin, destination, mode)`,
        query_params: { k: K },
        format: 'JSONEachRow',
      });
      const [s] = await rs.json<{ pub: string; low: string; hidden: string }>();
      expect(all.totals.observed).toBe(Number(s.pub));
      // The case of the issue: per-mode cells of 1 … k−1 published trips exist; summing modes first would publish
      // them inside all-modes flows (the export never does).
      expect(Number(s.low)).toBeGreaterThan(20); // 254 trips hourly, 43 daily
      expect(all.suppressedCells).toBe(Number(s.hidden));

      // The export's rows (API CSV download and the CLI export): the same totals and hidden-cell count.
      const csv = parseCsv(await get<string>(`/api/v1/exports/od?${range}&format=csv`));
      const h = csv[0];
      const rows = csv.slice(1);
      const sum = (rs: string[][], col: string) => rs.reduce((a, r) => a + Number(r[h.indexOf(col)]), 0);
      expect(sum(rows, 'trips')).toBe(all.totals.observed);
      close(sum(rows, 'expanded'), all.totals.expanded, 0.0005 * rows.length);
      const cli = await exportDataset({
        store,
        dataset: 'od',
        format: 'csv',
        from: fx.start,
        to: fx.end,
        outDir: join(out, interval),
        k: K,
        interval,
      });
      expect(cli.files[0].rows).toBe(rows.length);
      expect(cli.suppressedCells).toBe(all.suppressedCells);
      const cliRows = parseCsv(readFileSync(join(out, interval, 'od.csv'), 'utf8')).slice(1);
      close(sum(cliRows, 'expanded'), all.totals.expanded, 0.0005 * rows.length);
      const report = await get<{ files: { dataset: string; rows: number; suppressedCells: number }[] }>(
        `/api/v1/exports/report?${range}`,
      );
      expect(report.files.find((f) => f.dataset === 'od')).toMatchObject({
        rows: rows.length,
        suppressedCells: all.suppressedCells,
      });

      // Per mode: the API answer = the export's rows of that mode; the modes add up to the all-modes answer, cell by
      // cell (an all-modes flow minus the published per-mode flows is 0: nothing hidden can be read by differencing).
      const perCell = new Map<string, { obs: number; ex: number; v: number }>();
      let hidden = 0;
      for (const m of MODES) {
        const one = await get<OdAnswer>(`/api/v1/od?${range}&modes=${m}`);
        hidden += one.suppressedCells;
        const mine = rows.filter((r) => r[h.indexOf('mode')] === m);
        expect(one.flows.length).toBe(mine.length);
        expect(sum(mine, 'trips')).toBe(one.totals.observed);
        close(sum(mine, 'expanded'), one.totals.expanded, 0.0005 * mine.length);
        for (const f of one.flows) {
          const key = `${f.t}|${f.origin}|${f.destination}`;
          const c = perCell.get(key) ?? { obs: 0, ex: 0, v: 0 };
          perCell.set(key, { obs: c.obs + f.observed, ex: c.ex + f.expanded, v: c.v + f.stdErr ** 2 });
        }
      }
      expect(hidden).toBe(all.suppressedCells);
      expect(all.flows.length).toBe(perCell.size);
      for (const f of all.flows) {
        const c = perCell.get(`${f.t}|${f.origin}|${f.destination}`);
        expect(c, `${f.origin}>${f.destination}`).toBeDefined();
        expect(f.observed).toBe(c?.obs);
        close(f.expanded, c?.ex ?? Number.NaN, 1e-6);
        close(f.stdErr, Math.sqrt(c?.v ?? Number.NaN), 1e-6);
      }
      // The public view (no key) of whole hours gives the same numbers.
      const pub = await get<OdAnswer>(`/api/v1/od?${range}`, null);
      expect(pub.totals).toEqual(all.totals);
      console.log(
        `OD ${interval}: all modes ${all.totals.expanded.toFixed(1)} expanded (${all.totals.observed} trips) = export ` +
          `${sum(rows, 'expanded').toFixed(1)}; per-mode cells of 1..${K - 1} trips left out: ${s.low} trips; ` +
          `${all.suppressedCells} cells hidden`,
      );
    });
  }
});
