import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  countingSchema,
  exportDataset,
  FOOTFALL_SCHEMA,
  migrate,
  OD_SCHEMA,
  openStore,
  parseCsv,
  type Store,
  validateCsv,
} from '@passage/store';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FixtureInfo, fillFixture } from './fixtures/aggregates.ts';

let store: Store;
let fx: FixtureInfo;
let out: string;
const K = 5;

beforeAll(async () => {
  store = openStore({ dataDir: ':memory:' });
  await migrate(store.client);
  fx = await fillFixture(store.client, { hours: 2 });
  out = mkdtempSync(join(tmpdir(), 'passage-export-'));
});
afterAll(async () => {
  await store?.close();
  if (out) rmSync(out, { recursive: true, force: true });
});

const read = (f: string) => readFileSync(join(out, f), 'utf8');

describe('open-data exports', () => {
  it('counting: sites.csv, channels.csv, measures.csv validate against the national TableSchema files', async () => {
    const r = await exportDataset({
      store,
      dataset: 'counting',
      from: fx.start,
      to: fx.end,
      format: 'csv',
      outDir: out,
      k: K,
    });
    expect(r.files.map((f) => f.path.split('/').pop())).toEqual(['sites.csv', 'channels.csv', 'measures.csv']);
    for (const [file, schema] of [
      ['sites.csv', 'site'],
      ['channels.csv', 'channel'],
      ['measures.csv', 'measure'],
    ] as const) {
      expect(validateCsv(countingSchema(schema), read(file)), file).toEqual([]);
    }
    const sites = parseCsv(read('sites.csv'));
    // 11 camera junctions + 9 counters, all in Chartres (INSEE 28085).
    expect(sites.length - 1).toBe(20);
    expect(new Set(sites.slice(1).map((s) => s[3]))).toEqual(new Set(['28085']));
    const channels = parseCsv(read('channels.csv')).slice(1);
    // Camera lines: 48 lines × 2 directions × 7 modes; counters: one channel per direction and reported mode.
    const cameraChannels = channels.filter((c) => c[8] === 'VIDEO SENSOR' && c[0].includes(':l-'));
    expect(cameraChannels.length).toBe(48 * 2 * 7);
    const channelIds = new Set(channels.map((c) => c[0]));
    const measures = parseCsv(read('measures.csv')).slice(1);
    expect(measures.length).toBe(channels.length * 3);
    for (const m of measures) expect(channelIds.has(m[0])).toBe(true);
    // No published count below k: empty (suppressed or gap), 0, or >= k.
    for (const m of measures) if (m[4] !== '') expect(Number(m[4]) === 0 || Number(m[4]) >= K).toBe(true);
    expect(r.suppressedCells).toBeGreaterThan(0);
    expect(measures.filter((m) => m[4] === '').length).toBeGreaterThanOrEqual(r.suppressedCells);
  });

  it('od and footfall: CSV valid against their schemas, no cell below k; Parquet readable by ClickHouse', async () => {
    const od = await exportDataset({
      store,
      dataset: 'od',
      from: fx.start,
      to: fx.end,
      format: 'csv',
      outDir: out,
      k: K,
    });
    expect(validateCsv(OD_SCHEMA, read('od.csv'))).toEqual([]);
    const odRows = parseCsv(read('od.csv')).slice(1);
    expect(odRows.length).toBe(od.files[0].rows);
    for (const r of odRows) expect(Number(r[5])).toBeGreaterThanOrEqual(K);
    expect(od.suppressedCells).toBeGreaterThan(0);
    // Hourly: every window is one hour.
    for (const r of odRows) expect(Date.parse(r[1]) - Date.parse(r[0])).toBe(3_600_000);

    await exportDataset({ store, dataset: 'footfall', from: fx.start, to: fx.end, format: 'csv', outDir: out, k: K });
    expect(validateCsv(FOOTFALL_SCHEMA, read('footfall.csv'))).toEqual([]);
    for (const r of parseCsv(read('footfall.csv')).slice(1)) {
      if (r[4] !== '') expect(Number(r[4]) === 0 || Number(r[4]) >= K).toBe(true);
      else expect(r[5]).toBe('true');
    }

    const pq = await exportDataset({
      store,
      dataset: 'od',
      from: fx.start,
      to: fx.end,
      format: 'parquet',
      outDir: out,
      k: K,
    });
    expect(pq.files[0].rows).toBe(odRows.length);
    const rs = await store.client.query({
      query: `SELECT count() AS n, min(trips) AS m FROM file({p:String}, Parquet)`,
      query_params: { p: join(out, 'od.parquet') },
      format: 'JSONEachRow',
    });
    const [row] = await rs.json<{ n: string; m: string }>();
    expect(Number(row.n)).toBe(odRows.length);
    expect(Number(row.m)).toBeGreaterThanOrEqual(K);
  });

  it('sites GeoJSON and a datapackage.json with licence, period, methodology and the k rule', async () => {
    await exportDataset({ store, dataset: 'sites', from: fx.start, to: fx.end, format: 'geojson', outDir: out, k: K });
    const gj = JSON.parse(read('sites.geojson'));
    expect(gj.features).toHaveLength(29);
    const dp = JSON.parse(read('datapackage.json'));
    expect(dp.licenses[0].name).toBe('etalab-2.0');
    expect(dp.temporal).toEqual({ start: '2026-03-10T06:30:00Z', end: '2026-03-10T08:30:00Z' });
    expect(dp.methodology).toMatch(/keyed hashes/);
    expect(dp.privacy.k).toBe(K);
    expect(dp.privacy.rule).toMatch(/fewer than 5/);
    const names = dp.resources.map((r: { name: string }) => r.name);
    for (const n of ['comptage-site', 'comptage-channel', 'comptage-measure', 'od', 'footfall', 'sites']) {
      expect(names).toContain(n);
    }
  });

  it('refuses unknown datasets, wrong formats and bad ranges with stable codes', async () => {
    const base = { store, from: fx.start, to: fx.end, outDir: out, k: K };
    await expect(exportDataset({ ...base, dataset: 'counting', format: 'parquet' })).rejects.toMatchObject({
      code: 'PASSAGE_EXPORT_FORMAT',
    });
    await expect(exportDataset({ ...base, dataset: 'nope' as 'od', format: 'csv' })).rejects.toMatchObject({
      code: 'PASSAGE_EXPORT_DATASET',
    });
    await expect(
      exportDataset({ ...base, dataset: 'od', format: 'csv', from: '2026-03-11', to: '2026-03-10' }),
    ).rejects.toMatchObject({
      code: 'PASSAGE_BAD_RANGE',
    });
    await expect(exportDataset({ ...base, dataset: 'od', format: 'csv', from: 'soon' })).rejects.toMatchObject({
      code: 'PASSAGE_BAD_TIME',
    });
  });
});
