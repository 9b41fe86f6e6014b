/**
 * The data officer's open-data routes beside the exports (system.ts): a preview with row counts, a per-file
 * disclosure report (cells suppressed below k and gaps, told apart), the metadata of each dataset (licence,
 * producer, schema version, update frequency) and a DCAT-style catalogue (JSON-LD). The tables are the exports' own
 * (`exportTable`), so the preview and the report count exactly what a download holds.
 */
import {
  type Cell,
  countingTables,
  footfallTable,
  LICENCE,
  odSuppressedCells,
  odTable,
  sitesGeoJson,
  sqlTableRows,
  suppressionRule,
} from '@passage/store';
import { type Static, Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { errorResponses } from '../errors.ts';
import { parseRange, RangeQuery } from '../schemas.ts';
import type { ApiContext } from './context.ts';

export const PRODUCER = 'Passage (open-source mobility-flow analytics), operated by the publishing authority';
export const PRODUCER_FR = 'Passage (analyse libre des flux de mobilité), exploité par l’autorité qui publie';
export const COUNTING_SCHEMA_VERSION = '0.2.5';

/** Metadata of each open dataset (also the list of names the export route accepts). */
export const DATASETS = {
  'counting-sites': {
    formats: ['csv'],
    title: { en: 'Counting sites (national schema, sites.csv)', fr: 'Sites de comptage (schéma national, sites.csv)' },
    schema: 'schema-comptage-mobilites-site',
    schemaVersion: COUNTING_SCHEMA_VERSION,
    frequency: 'irregular',
  },
  'counting-channels': {
    formats: ['csv'],
    title: { en: 'Counting channels (national schema, channels.csv)', fr: 'Canaux de comptage (schéma national)' },
    schema: 'schema-comptage-mobilites-channel',
    schemaVersion: COUNTING_SCHEMA_VERSION,
    frequency: 'irregular',
  },
  'counting-measures': {
    formats: ['csv'],
    title: { en: 'Hourly counts (national schema, measures.csv)', fr: 'Comptages horaires (schéma national)' },
    schema: 'schema-comptage-mobilites-measure',
    schemaVersion: COUNTING_SCHEMA_VERSION,
    frequency: 'hourly',
  },
  od: {
    formats: ['csv', 'parquet'],
    title: {
      en: 'OD flows between zones, hourly, k-anonymous',
      fr: 'Flux origine–destination entre zones, horaires, k-anonymes',
    },
    schema: 'passage-od',
    schemaVersion: '1.0.0',
    frequency: 'hourly',
  },
  footfall: {
    formats: ['csv', 'parquet'],
    title: {
      en: 'Pedestrian footfall by site, hourly, k-anonymous',
      fr: 'Fréquentation piétonne par site, horaire, k-anonyme',
    },
    schema: 'passage-footfall',
    schemaVersion: '1.0.0',
    frequency: 'hourly',
  },
  sites: {
    formats: ['geojson'],
    title: {
      en: 'Sites (junctions, counters, zones) as GeoJSON',
      fr: 'Sites (carrefours, compteurs, zones) en GeoJSON',
    },
    schema: 'geojson',
    schemaVersion: 'RFC 7946',
    frequency: 'irregular',
  },
} as const;
export type DatasetName = keyof typeof DATASETS;

export interface ExportTable {
  columns: string[];
  rows: Cell[][];
  /** Cells (rows or count cells) withheld because they rest on fewer than k. */
  suppressed: number;
  /** Expected rows or count cells with no data (a gap: nothing was measured), told apart from the suppressed. */
  gaps: number;
}

const HOUR = 3_600_000;

/** The table a CSV export of `dataset` holds for a range (the same rows, in the same order). */
export async function exportTable(
  ctx: ApiContext,
  dataset: DatasetName,
  range: { from: number; to: number },
  interval: '1h' | '1d' = '1h',
): Promise<ExportTable> {
  const client = ctx.store.client;
  const k = ctx.config.privacy.k;
  const stepMs = interval === '1d' ? 24 * HOUR : HOUR;
  const steps = Math.max(0, Math.ceil((range.to - range.from) / stepMs));
  if (dataset === 'sites') {
    const g = await sitesGeoJson(client);
    const columns = ['id', 'name', 'kind', 'lon', 'lat'];
    const rows = g.features.map((f) => {
      const p = (f.properties ?? {}) as Record<string, Cell>;
      const c = (f.geometry as { coordinates?: [number, number] } | null)?.coordinates;
      return [p.id ?? p.site_id, p.name, p.kind, c?.[0] ?? null, c?.[1] ?? null];
    });
    return { columns, rows, suppressed: 0, gaps: 0 };
  }
  if (dataset === 'od') {
    const table = odTable({ ...range, k, interval });
    const rows = await sqlTableRows(client, table);
    // Hidden cells of the file's grid (per stored mode: suppressed at the matcher, or below k once aggregated), as
    // the CLI export and GET /api/v1/od count them (odFlows hides per mode before summing modes).
    const suppressed = await odSuppressedCells(client, { ...range, interval, k });
    const withRows = new Set(rows.map((r) => r[0])).size;
    return { columns: table.schema.fields.map((f) => f.name), rows, suppressed, gaps: Math.max(0, steps - withRows) };
  }
  if (dataset === 'footfall') {
    const table = footfallTable({ ...range, k, interval });
    const rows = await sqlTableRows(client, table);
    const columns = table.schema.fields.map((f) => f.name);
    const sup = columns.indexOf('suppressed');
    const suppressed = rows.filter((r) => r[sup] === true || r[sup] === 1 || r[sup] === 'true').length;
    const sites = new Set(rows.map((r) => r[2])).size;
    return { columns, rows, suppressed, gaps: Math.max(0, sites * steps - rows.length) };
  }
  const t = await countingTables(client, { ...range, k });
  const part = dataset === 'counting-sites' ? t.sites : dataset === 'counting-channels' ? t.channels : t.measures;
  if (dataset !== 'counting-measures') return { columns: part.columns, rows: part.rows, suppressed: 0, gaps: 0 };
  const ci = part.columns.indexOf('count');
  const empty = part.rows.filter((r) => r[ci] === null || r[ci] === undefined || r[ci] === '').length;
  return { columns: part.columns, rows: part.rows, suppressed: t.suppressedCells, gaps: empty - t.suppressedCells };
}

/**
 * CSV of a table: RFC 4180 with `,` and a decimal point by default; with `sep=';'` the decimal separator is a comma
 * (what a French spreadsheet reads); `bom` starts the file with a UTF-8 byte-order mark (Excel then reads UTF-8).
 */
export function csvText(
  columns: readonly string[],
  rows: readonly Cell[][],
  opts: { sep?: ',' | ';'; bom?: boolean } = {},
) {
  const sep = opts.sep ?? ',';
  const cell = (v: Cell): string => {
    if (v === null || v === undefined) return '';
    if (typeof v === 'number') return sep === ';' ? String(v).replace('.', ',') : String(v);
    const s = String(v);
    return s.includes(sep) || /["\n\r]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s;
  };
  const lines = [columns.map(cell).join(sep), ...rows.map((r) => r.map(cell).join(sep))];
  return `${opts.bom ? '\ufeff' : ''}${lines.join('\n')}\n`;
}

export function openDataRoutes(app: FastifyInstance, ctx: ApiContext): void {
  const k = ctx.config.privacy.k;
  const names = Object.keys(DATASETS) as DatasetName[];
  const Query = Type.Object(
    {
      ...RangeQuery,
      interval: Type.Optional(Type.Union([Type.Literal('1h'), Type.Literal('1d')])),
      limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 200, default: 20 })),
    },
    { additionalProperties: false },
  );
  const Params = Type.Object(
    { dataset: Type.Union(names.map((n) => Type.Literal(n))) },
    { additionalProperties: false },
  );
  const Report = Type.Object({
    dataset: Type.String(),
    file: Type.String(),
    rows: Type.Integer(),
    suppressedCells: Type.Integer({ description: 'cells withheld: below k' }),
    gapCells: Type.Integer({ description: 'cells or rows with no data: nothing was measured' }),
  });

  app.get(
    '/api/v1/exports/:dataset/preview',
    {
      config: { access: { roles: [], public: true } },
      schema: {
        tags: ['exports'],
        summary: 'First rows of an export for a period, with its row count and its suppressed and gap cells',
        params: Params,
        querystring: Query,
        response: {
          200: Type.Object({
            ...Report.properties,
            columns: Type.Array(Type.String()),
            preview: Type.Array(Type.Array(Type.Union([Type.String(), Type.Number(), Type.Boolean(), Type.Null()]))),
          }),
          ...errorResponses,
        },
      },
    },
    async (req) => {
      const { dataset } = req.params as { dataset: DatasetName };
      const query = req.query as Static<typeof Query>;
      const tbl = await exportTable(ctx, dataset, parseRange(query, '1d'), query.interval);
      return {
        dataset,
        file: `passage-${dataset}.${DATASETS[dataset].formats[0]}`,
        rows: tbl.rows.length,
        suppressedCells: tbl.suppressed,
        gapCells: tbl.gaps,
        columns: tbl.columns,
        preview: tbl.rows.slice(0, query.limit ?? 20).map((r) => r.map((c) => (c === undefined ? null : c))),
      };
    },
  );

  app.get(
    '/api/v1/exports/report',
    {
      config: { access: { roles: [], public: true } },
      schema: {
        tags: ['exports'],
        summary: 'Disclosure report of a period: per export file, rows, cells suppressed below k, gaps; the rule',
        querystring: Query,
        response: {
          200: Type.Object({
            from: Type.Number(),
            to: Type.Number(),
            k: Type.Integer(),
            rule: Type.String(),
            files: Type.Array(Report),
          }),
          ...errorResponses,
        },
      },
    },
    async (req) => {
      const query = req.query as Static<typeof Query>;
      const range = parseRange(query, '1d');
      const files = [];
      for (const dataset of names) {
        const tbl = await exportTable(ctx, dataset, range, query.interval);
        files.push({
          dataset,
          file: `passage-${dataset}.${DATASETS[dataset].formats[0]}`,
          rows: tbl.rows.length,
          suppressedCells: tbl.suppressed,
          gapCells: tbl.gaps,
        });
      }
      return { from: range.from, to: range.to, k, rule: suppressionRule(k), files };
    },
  );

  app.get(
    '/api/v1/catalog',
    {
      config: { access: { roles: [], public: true } },
      schema: {
        tags: ['exports'],
        summary: 'DCAT-style catalogue (JSON-LD) of the open datasets: licence, publisher, schema, frequency',
        response: { 200: Type.Object({}, { additionalProperties: true }) },
      },
    },
    async (req, reply) => {
      const base = `${req.protocol}://${req.headers.host ?? 'localhost'}`;
      const FREQ: Record<string, string> = {
        hourly: 'http://publications.europa.eu/resource/authority/frequency/CONT',
        irregular: 'http://publications.europa.eu/resource/authority/frequency/IRREG',
      };
      return reply.header('cache-control', 'no-cache').send({
        '@context': {
          dcat: 'http://www.w3.org/ns/dcat#',
          dct: 'http://purl.org/dc/terms/',
          foaf: 'http://xmlns.com/foaf/0.1/',
        },
        '@type': 'dcat:Catalog',
        'dct:title': 'Passage open data',
        'dct:publisher': { '@type': 'foaf:Agent', 'foaf:name': PRODUCER },
        'dct:license': LICENCE.path,
        'dcat:dataset': names.map((name) => {
          const d = DATASETS[name];
          return {
            '@type': 'dcat:Dataset',
            'dct:identifier': name,
            'dct:title': [
              { '@language': 'en', '@value': d.title.en },
              { '@language': 'fr', '@value': d.title.fr },
            ],
            'dct:license': LICENCE.path,
            'dct:publisher': { '@type': 'foaf:Agent', 'foaf:name': PRODUCER },
            'dct:conformsTo': { 'dct:identifier': d.schema, 'dct:hasVersion': d.schemaVersion },
            'dct:accrualPeriodicity': FREQ[d.frequency],
            'dct:description': `${suppressionRule(k)}`,
            'dcat:distribution': d.formats.map((format) => ({
              '@type': 'dcat:Distribution',
              'dct:format': format,
              'dcat:accessURL': `${base}/api/v1/exports/${name}?format=${format}`,
              'dct:license': LICENCE.path,
            })),
          };
        }),
      });
    },
  );
}
