/**
 * The data officer's and the dashboard shell's routes over the fixture store: the preview and the disclosure report
 * count exactly what the CSV downloads hold (rows, suppressed and gap cells), the spreadsheet CSV variant, the DCAT
 * catalogue, dataset metadata, whoami, the stored OD modes, and roles that see what their dashboard shows.
 */
import { parseCsv } from '@passage/store';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FixtureApp, fixtureApp } from './fixtures/fixture-app.ts';

const KEYS = { planner: 'planner-key-0123456789abcdef', traffic: 'traffic-key-0123456789abcdef' };
let fixture: FixtureApp;
let app: FastifyInstance;
let range: string;

const get = (url: string, key?: string) => app.inject({ method: 'GET', url, headers: key ? { 'x-api-key': key } : {} });

beforeAll(async () => {
  fixture = await fixtureApp({ keys: [`planner:${KEYS.planner}`, `traffic:${KEYS.traffic}`], k: 5 });
  ({ app } = fixture);
  range = `from=${new Date(fixture.fx.start).toISOString()}&to=${new Date(fixture.fx.end).toISOString()}`;
});
afterAll(async () => {
  await fixture?.close();
});

const csvOf = async (dataset: string, extra = '') => {
  const r = await get(`/api/v1/exports/${dataset}?${range}&format=csv${extra}`);
  expect(r.statusCode).toBe(200);
  return r.body;
};

describe('open-data preview, disclosure report, catalogue', () => {
  it('the report counts what each CSV holds; suppressed and gap cells are told apart', async () => {
    const r = await get(`/api/v1/exports/report?${range}`);
    expect(r.statusCode).toBe(200);
    const rep = r.json() as {
      k: number;
      rule: string;
      files: { dataset: string; file: string; rows: number; suppressedCells: number; gapCells: number }[];
    };
    expect(rep.k).toBe(5);
    expect(rep.rule).toContain('k = 5');
    expect(rep.files.map((f) => f.dataset)).toEqual([
      'counting-sites',
      'counting-channels',
      'counting-measures',
      'od',
      'footfall',
      'sites',
    ]);
    for (const f of rep.files.filter((x) => x.dataset !== 'sites')) {
      const rows = parseCsv(await csvOf(f.dataset)).slice(1);
      expect(f.rows, f.dataset).toBe(rows.length);
      expect(f.rows, f.dataset).toBeGreaterThan(0);
    }
    // Measures: every empty count cell is either suppressed (0 < c < k) or a gap (no report).
    const measures = parseCsv(await csvOf('counting-measures'));
    const ci = measures[0].indexOf('count');
    const empty = measures.slice(1).filter((x) => x[ci] === '').length;
    const m = rep.files.find((x) => x.dataset === 'counting-measures');
    expect(m?.suppressedCells).toBeGreaterThan(0);
    expect((m?.suppressedCells ?? 0) + (m?.gapCells ?? 0)).toBe(empty);
    // OD: suppressed cells are the ones the OD route reports as hidden for the same hours.
    const od = (await get(`/api/v1/od?${range}&interval=1h`)).json() as { suppressedCells: number };
    expect(rep.files.find((x) => x.dataset === 'od')?.suppressedCells).toBe(od.suppressedCells);
  });

  it('previews the first rows with the row count of the download', async () => {
    const r = await get(`/api/v1/exports/footfall/preview?${range}&limit=5`);
    expect(r.statusCode).toBe(200);
    const p = r.json() as { rows: number; columns: string[]; preview: unknown[][]; suppressedCells: number };
    const csv = parseCsv(await csvOf('footfall'));
    expect(p.columns).toEqual(csv[0]);
    expect(p.rows).toBe(csv.length - 1);
    expect(p.preview).toHaveLength(5);
    expect(p.preview[0].map((c) => (c === null ? '' : String(c)))).toEqual(csv[1]);
    const sup = csv[0].indexOf('suppressed');
    expect(p.suppressedCells).toBe(csv.slice(1).filter((x) => x[sup] === 'true').length);
  });

  it('CSV for French spreadsheets: UTF-8 BOM, ; separator, decimal comma; same values', async () => {
    const plain = parseCsv(await csvOf('od'));
    const excel = await csvOf('od', '&sep=;&bom=true');
    expect(excel.charCodeAt(0)).toBe(0xfeff);
    const lines = excel.slice(1).trim().split('\n');
    expect(lines[0].split(';')).toEqual(plain[0]);
    expect(lines).toHaveLength(plain.length);
    const ex = plain[0].indexOf('expanded');
    const decimal = plain.findIndex((r, i) => i > 0 && r[ex].includes('.'));
    expect(decimal).toBeGreaterThan(0);
    expect(lines[decimal].split(';')[ex]).toBe(plain[decimal][ex].replace('.', ','));
  });

  it('lists dataset metadata and a DCAT catalogue', async () => {
    const list = (await get('/api/v1/exports')).json() as {
      producer: string;
      licenceUrl: string;
      datasets: { name: string; titleFr: string; schemaVersion: string; updateFrequency: string }[];
    };
    expect(list.producer).toMatch(/Passage/);
    expect(list.licenceUrl).toMatch(/etalab/);
    const measures = list.datasets.find((d) => d.name === 'counting-measures');
    expect(measures).toMatchObject({ schemaVersion: '0.2.5', updateFrequency: 'hourly' });
    expect(measures?.titleFr).toMatch(/Comptages horaires/);
    const cat = (await get('/api/v1/catalog')).json() as Record<string, unknown>;
    expect(cat['@type']).toBe('dcat:Catalog');
    const ds = cat['dcat:dataset'] as {
      'dct:identifier': string;
      'dcat:distribution': { 'dcat:accessURL': string }[];
    }[];
    expect(ds).toHaveLength(6);
    const od = ds.find((d) => d['dct:identifier'] === 'od');
    expect(od?.['dcat:distribution'].map((d) => d['dcat:accessURL'].replace(/^.*\/api/, '/api'))).toEqual([
      '/api/v1/exports/od?format=csv',
      '/api/v1/exports/od?format=parquet',
    ]);
  });
});

describe('dashboard shell routes', () => {
  it('whoami tells the role; a wrong key is refused', async () => {
    expect((await get('/api/v1/whoami')).json()).toEqual({ role: 'public' });
    expect((await get('/api/v1/whoami', KEYS.planner)).json()).toEqual({ role: 'planner' });
    const bad = await get('/api/v1/whoami', 'planner-key-0123456789abcdeX');
    expect(bad.statusCode).toBe(401);
    expect(bad.json().code).toBe('PASSAGE_BAD_KEY');
  });

  it('the extent lists the stored OD modes; planners see counter charts and traffic engineers the OD map', async () => {
    expect(((await get('/api/v1/extent')).json() as { odModes: string[] }).odModes).toEqual([
      'bicycle',
      'car',
      'pedestrian',
    ]);
    const sites = (await get('/api/v1/sites?kind=counter')).json() as { sites: { id: string }[] };
    const counts = await get(`/api/v1/sensors/counts?site=${sites.sites[0].id}&${range}&interval=15m`, KEYS.planner);
    expect(counts.statusCode).toBe(200);
    expect((await get(`/api/v1/od?${range}&interval=15m`, KEYS.traffic)).statusCode).toBe(200);
  });
});
