/**
 * Open-data exports (docs/OD-AND-PRIVACY.md, docs/COUNTS-CSV.md): the national counting schema (CSV), OD flows and footfall (CSV or Parquet,
 * hourly by default), sites (GeoJSON), and a `datapackage.json` with licence, period, methodology and the k rule.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { ClickHouseClient } from '@clickhouse/client';
import { PassageError } from '@passage/config';
import { isoSecond, type TimeRange } from '../queries/common.ts';
import { countingSchema, countingTables } from './counting.ts';
import {
  footfallTable,
  type OpenInterval,
  odSuppressedCells,
  odTable,
  type SqlTable,
  sitesGeoJson,
  sqlTableParquet,
  sqlTableRows,
} from './datasets.ts';
import { type Cell, type TableSchema, toCsv } from './tableschema.ts';

export * from './communes.ts';
export * from './counting.ts';
export * from './datasets.ts';
export * from './tableschema.ts';

export const DATASETS = ['counting', 'od', 'footfall', 'sites'] as const;
export type Dataset = (typeof DATASETS)[number];
export type ExportFormat = 'csv' | 'parquet' | 'geojson';

const FORMATS: Record<Dataset, ExportFormat[]> = {
  counting: ['csv'],
  od: ['csv', 'parquet'],
  footfall: ['csv', 'parquet'],
  sites: ['geojson'],
};

export interface ExportOptions {
  store: { client: ClickHouseClient };
  dataset: Dataset;
  /** Epoch ms or a date string (UTC unless it carries a zone). */
  from: number | string;
  to: number | string;
  format: ExportFormat;
  outDir: string;
  /** Minimum count of a published cell (privacy.k). */
  k: number;
  /** Time resolution of OD and footfall: hourly (default) or daily. Open data is never finer than hourly. */
  interval?: OpenInterval;
  now?: number;
}

export interface ExportedFile {
  path: string;
  rows: number;
  bytes: number;
}
export interface ExportResult {
  dataset: Dataset;
  files: ExportedFile[];
  suppressedCells: number;
  datapackage: string;
}

export const LICENCE = {
  name: 'etalab-2.0',
  title: 'Licence Ouverte / Open Licence version 2.0',
  path: 'https://www.etalab.gouv.fr/licence-ouverte-open-licence',
};

export function suppressionRule(k: number): string {
  return (
    `k-anonymity with k = ${k}: an OD cell (origin, destination, mode, interval) resting on fewer than ${k} ` +
    `distinct travellers is removed (cells suppressed by the matcher are never read); a count c with 0 < c < ${k} ` +
    `(footfall, counting measures) is published empty, with suppressed = true where the table has that column. ` +
    `Zero counts are published. Time is never finer than one hour.`
  );
}

export function parseTime(v: number | string, name: string): number {
  if (typeof v === 'number') return v;
  const s = /^\d{4}-\d{2}-\d{2}$/.test(v) ? `${v}T00:00:00Z` : /[zZ]|[+-]\d{2}:?\d{2}$/.test(v) ? v : `${v}Z`;
  const t = Date.parse(s);
  if (Number.isNaN(t)) {
    throw new PassageError(
      'PASSAGE_BAD_TIME',
      `--${name} ${JSON.stringify(v)} is not a date: use e.g. 2026-03-10 or 2026-03-10T07:30:00Z.`,
    );
  }
  return t;
}

const METHODOLOGY =
  'Counts come from video analytics at junctions (tracks reduced on the device to line crossings and zone-to-zone ' +
  'movements per minute; no image is kept), from counters (loops, pedestrian and bike counters, Telraam), ' +
  'normalised to fixed intervals with gaps kept as missing values; a count is what the counters reported for the ' +
  'time they covered, never scaled to time they did not (an hour reported for 30 minutes holds those 30 minutes). ' +
  'OD flows come from Wi-Fi / BLE / ANPR sightings ' +
  'replaced at the first stage by keyed hashes under a key that rotates daily and is destroyed; trips are matched ' +
  'between zones within a maximum travel time, then expanded to all travellers with reference counts (standard ' +
  'error and 95 % interval given), per hour from the cells where k was applied: mode `all` (Wi-Fi / BLE, every ' +
  'traveller) and `motor` (ANPR) are two measurements of overlapping populations, never to be added. Published ' +
  'aggregates are k-anonymous (see privacy.rule).';

interface DpResource {
  name: string;
  path: string;
  format: string;
  mediatype: string;
  encoding?: string;
  profile?: string;
  schema?: TableSchema | string;
  description?: string;
}

function writeDatapackage(
  outDir: string,
  opts: {
    from: number;
    to: number;
    k: number;
    now: number;
    resources: DpResource[];
    suppressed: Record<string, number>;
  },
): string {
  const path = join(outDir, 'datapackage.json');
  let prev: { resources?: DpResource[]; privacy?: { suppressedCells?: Record<string, number> } } = {};
  if (existsSync(path)) {
    try {
      prev = JSON.parse(readFileSync(path, 'utf8'));
    } catch {
      prev = {};
    }
  }
  const names = new Set(opts.resources.map((r) => r.name));
  const resources = [...(prev.resources ?? []).filter((r) => !names.has(r.name)), ...opts.resources];
  const dp = {
    profile: 'tabular-data-package',
    name: 'passage-open-data',
    title: 'Passage — anonymous mobility flows (open data)',
    licenses: [LICENCE],
    created: isoSecond(opts.now),
    temporal: { start: isoSecond(opts.from), end: isoSecond(opts.to) },
    description: METHODOLOGY,
    methodology: METHODOLOGY,
    privacy: {
      k: opts.k,
      rule: suppressionRule(opts.k),
      suppressedCells: { ...(prev.privacy?.suppressedCells ?? {}), ...opts.suppressed },
    },
    resources,
  };
  writeFileSync(path, `${JSON.stringify(dp, null, 2)}\n`);
  return path;
}

function writeCsv(path: string, columns: string[], rows: Cell[][]): ExportedFile {
  const text = toCsv(columns, rows);
  writeFileSync(path, text);
  return { path, rows: rows.length, bytes: Buffer.byteLength(text) };
}

export function sqlTableFor(
  dataset: 'od' | 'footfall',
  opts: TimeRange & { k: number; interval?: OpenInterval },
): SqlTable {
  return dataset === 'od' ? odTable(opts) : footfallTable(opts);
}

/**
 * Writes one dataset into `outDir` (created if needed) and adds its resources to `outDir/datapackage.json`.
 * `counting` writes the three files of the national schema (sites.csv, channels.csv, measures.csv).
 */
export async function exportDataset(o: ExportOptions): Promise<ExportResult> {
  if (!(DATASETS as readonly string[]).includes(o.dataset)) {
    throw new PassageError(
      'PASSAGE_EXPORT_DATASET',
      `Unknown dataset ${JSON.stringify(o.dataset)}: use one of ${DATASETS.join(', ')}.`,
    );
  }
  if (!FORMATS[o.dataset].includes(o.format)) {
    throw new PassageError(
      'PASSAGE_EXPORT_FORMAT',
      `Dataset ${o.dataset} is exported as ${FORMATS[o.dataset].join(' or ')}, not ${o.format}.`,
    );
  }
  const from = parseTime(o.from, 'from');
  const to = parseTime(o.to, 'to');
  if (!(to > from)) throw new PassageError('PASSAGE_BAD_RANGE', '--to must be after --from.');
  if (!Number.isInteger(o.k) || o.k < 2) throw new PassageError('PASSAGE_BAD_K', 'k must be an integer >= 2.');
  const outDir = resolve(o.outDir);
  mkdirSync(outDir, { recursive: true });
  const now = o.now ?? Date.now();
  const client = o.store.client;
  const files: ExportedFile[] = [];
  const resources: DpResource[] = [];
  let suppressedCells = 0;
  if (o.dataset === 'counting') {
    const t = await countingTables(client, { from, to, k: o.k, now });
    suppressedCells = t.suppressedCells;
    for (const [file, table, name] of [
      ['sites.csv', t.sites, 'site'],
      ['channels.csv', t.channels, 'channel'],
      ['measures.csv', t.measures, 'measure'],
    ] as const) {
      files.push(writeCsv(join(outDir, file), table.columns, table.rows));
      resources.push({
        name: `comptage-${name}`,
        path: file,
        format: 'csv',
        mediatype: 'text/csv',
        encoding: 'utf-8',
        profile: 'tabular-data-resource',
        schema: countingSchema(name),
        description: `Schéma national de comptage des mobilités v0.2.5 (${name}), transport.data.gouv.fr`,
      });
    }
  } else if (o.dataset === 'od' || o.dataset === 'footfall') {
    const opts = { from, to, k: o.k, interval: o.interval };
    const table = sqlTableFor(o.dataset, opts);
    const file = `${o.dataset}.${o.format}`;
    const path = join(outDir, file);
    if (o.format === 'parquet') {
      const buf = await sqlTableParquet(client, table);
      writeFileSync(path, buf);
      const n = (await sqlTableRows(client, table)).length;
      files.push({ path, rows: n, bytes: buf.length });
    } else {
      const r = await sqlTableRows(client, table);
      files.push(
        writeCsv(
          path,
          table.schema.fields.map((f) => f.name),
          r,
        ),
      );
      if (o.dataset === 'footfall') suppressedCells = r.filter((x) => x[x.length - 1] === 'true').length;
    }
    if (o.dataset === 'od') suppressedCells = await odSuppressedCells(client, opts);
    else if (o.format === 'parquet') {
      suppressedCells = (await sqlTableRows(client, table)).filter((x) => x[x.length - 1] === 'true').length;
    }
    resources.push({
      name: o.dataset,
      path: file,
      format: o.format,
      mediatype: o.format === 'csv' ? 'text/csv' : 'application/vnd.apache.parquet',
      ...(o.format === 'csv' ? { encoding: 'utf-8', profile: 'tabular-data-resource' } : {}),
      schema: table.schema,
    });
  } else {
    const fc = await sitesGeoJson(client);
    const path = join(outDir, 'sites.geojson');
    const text = `${JSON.stringify(fc)}\n`;
    writeFileSync(path, text);
    files.push({ path, rows: fc.features.length, bytes: Buffer.byteLength(text) });
    resources.push({ name: 'sites', path: 'sites.geojson', format: 'geojson', mediatype: 'application/geo+json' });
  }
  const datapackage = writeDatapackage(outDir, {
    from,
    to,
    k: o.k,
    now,
    resources,
    suppressed: { [o.dataset]: suppressedCells },
  });
  return { dataset: o.dataset, files, suppressedCells, datapackage };
}
