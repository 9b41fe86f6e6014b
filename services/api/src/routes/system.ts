/** Exports, live updates (SSE), health, metrics, communes base map, dashboard settings. */
import { createReadStream } from 'node:fs';
import type { ServerResponse } from 'node:http';
import {
  type Cell,
  COMMUNES_GEOJSON_PATH,
  countingTables,
  footfallTable,
  LICENCE,
  type LiveMinute,
  odTable,
  sitesGeoJson,
  sqlTableParquet,
  sqlTableRows,
  suppressionRule,
  toCsv,
} from '@passage/store';
import { type Static, Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { apiError, ErrorBody, errorResponses } from '../errors.ts';
import { parseRange, RangeQuery } from '../schemas.ts';
import type { ApiContext } from './context.ts';
import { csvText, DATASETS, openDataRoutes, PRODUCER, PRODUCER_FR } from './opendata.ts';

/** The open datasets and their metadata (routes/opendata.ts). */
export const EXPORTS = DATASETS;
type ExportName = keyof typeof EXPORTS;

export function systemRoutes(app: FastifyInstance, ctx: ApiContext): void {
  const k = ctx.config.privacy.k;
  openDataRoutes(app, ctx);
  const liveResponses = new Set<ServerResponse>();

  app.get(
    '/healthz',
    {
      config: { access: { roles: [], public: true } },
      schema: {
        tags: ['system'],
        summary: 'Liveness and store reachability',
        response: {
          200: Type.Object({ status: Type.Literal('ok'), store: Type.String() }),
          503: ErrorBody,
        },
      },
    },
    async () => {
      try {
        await ctx.store.client.query({ query: 'SELECT 1', format: 'JSONEachRow' }).then((r) => r.json());
      } catch {
        throw apiError(
          'PASSAGE_STORE_UNAVAILABLE',
          'The store does not answer: check CLICKHOUSE_URL or the data directory.',
        );
      }
      return { status: 'ok' as const, store: ctx.store.kind ?? 'clickhouse' };
    },
  );

  app.get(
    '/metrics',
    {
      config: { access: { roles: ['admin'] } },
      schema: {
        tags: ['system'],
        summary: 'Prometheus metrics (admin)',
        response: { 200: Type.String(), ...errorResponses },
      },
    },
    async (_req, reply) => reply.type('text/plain; version=0.0.4').send(ctx.metrics.render()),
  );

  app.get(
    '/api/v1/ui-config',
    {
      config: { access: { roles: [], public: true } },
      schema: {
        tags: ['system'],
        summary: 'Dashboard settings: the MapLibre style drawn under the flow map (null = offline GeoJSON base map)',
        response: { 200: Type.Object({ mapStyleUrl: Type.Union([Type.String(), Type.Null()]) }) },
      },
    },
    async (_req, reply) =>
      reply.header('cache-control', 'no-cache').send({ mapStyleUrl: ctx.config.api.mapStyleUrl || null }),
  );

  app.get(
    '/api/v1/basemap/communes',
    {
      config: { access: { roles: [], public: true } },
      schema: {
        tags: ['sites'],
        summary: 'Communes of Eure-et-Loir (IGN Admin Express 2018 simplified, Licence Ouverte / Etalab)',
      },
    },
    async (_req, reply) =>
      reply
        .type('application/geo+json')
        .header('cache-control', 'public, max-age=86400')
        .send(createReadStream(COMMUNES_GEOJSON_PATH)),
  );

  app.get(
    '/api/v1/exports',
    {
      config: { access: { roles: [], public: true } },
      schema: {
        tags: ['exports'],
        summary: 'Open-data datasets and their formats',
        response: {
          200: Type.Object({
            k: Type.Integer(),
            rule: Type.String(),
            licence: Type.String(),
            licenceUrl: Type.String(),
            producer: Type.String(),
            producerFr: Type.String(),
            datasets: Type.Array(
              Type.Object({
                name: Type.String(),
                title: Type.String(),
                titleFr: Type.String(),
                formats: Type.Array(Type.String()),
                schema: Type.String(),
                schemaVersion: Type.String(),
                updateFrequency: Type.String(),
              }),
            ),
          }),
        },
      },
    },
    async () => ({
      k,
      rule: suppressionRule(k),
      licence: 'Licence Ouverte / Open Licence 2.0 (Etalab)',
      licenceUrl: LICENCE.path,
      producer: PRODUCER,
      producerFr: PRODUCER_FR,
      datasets: Object.entries(EXPORTS).map(([name, d]) => ({
        name,
        title: d.title.en,
        titleFr: d.title.fr,
        formats: [...d.formats],
        schema: d.schema,
        schemaVersion: d.schemaVersion,
        updateFrequency: d.frequency,
      })),
    }),
  );

  const ExportParams = Type.Object(
    { dataset: Type.Union(Object.keys(EXPORTS).map((n) => Type.Literal(n))) },
    { additionalProperties: false },
  );
  const ExportQuery = Type.Object(
    {
      ...RangeQuery,
      format: Type.Optional(Type.Union([Type.Literal('csv'), Type.Literal('geojson'), Type.Literal('parquet')])),
      interval: Type.Optional(Type.Union([Type.Literal('1h'), Type.Literal('1d')])),
      sep: Type.Optional(
        Type.Union([Type.Literal(','), Type.Literal(';')], {
          description: 'CSV separator; with ; numbers get a decimal comma (French spreadsheets)',
        }),
      ),
      bom: Type.Optional(Type.Boolean({ description: 'start the CSV with a UTF-8 byte-order mark (Excel)' })),
    },
    { additionalProperties: false },
  );
  app.get(
    '/api/v1/exports/:dataset',
    {
      config: { access: { roles: [], public: true } },
      schema: {
        tags: ['exports'],
        summary: 'Open-data export (k-anonymous, hourly or coarser): CSV (national counting schema), GeoJSON, Parquet',
        params: ExportParams,
        querystring: ExportQuery,
        response: { ...errorResponses },
      },
    },
    async (req, reply) => {
      const { dataset } = req.params as { dataset: ExportName };
      const query = req.query as Static<typeof ExportQuery>;
      const def = EXPORTS[dataset];
      const format = query.format ?? def.formats[0];
      if (!(def.formats as readonly string[]).includes(format)) {
        throw apiError('PASSAGE_EXPORT_FORMAT', `Dataset ${dataset} is available as ${def.formats.join(' or ')}.`);
      }
      const range = parseRange(query, '1d');
      const client = ctx.store.client;
      // Default: the RFC 4180 text as before; `sep`/`bom` give the spreadsheet-friendly variant.
      const csv = (columns: string[], rows: Cell[][]) =>
        query.sep || query.bom ? csvText(columns, rows, { sep: query.sep, bom: query.bom }) : toCsv(columns, rows);
      const attach = (ext: string) =>
        reply.header('content-disposition', `attachment; filename="passage-${dataset}.${ext}"`);
      if (dataset === 'sites') {
        return attach('geojson')
          .type('application/geo+json')
          .send(JSON.stringify(await sitesGeoJson(client)));
      }
      if (dataset === 'od' || dataset === 'footfall') {
        const table = (dataset === 'od' ? odTable : footfallTable)({ ...range, k, interval: query.interval });
        if (format === 'parquet') {
          return attach('parquet')
            .type('application/vnd.apache.parquet')
            .send(await sqlTableParquet(client, table));
        }
        const rows = await sqlTableRows(client, table);
        return attach('csv')
          .type('text/csv; charset=utf-8')
          .send(
            csv(
              table.schema.fields.map((f) => f.name),
              rows,
            ),
          );
      }
      const t = await countingTables(client, { ...range, k });
      const part = dataset === 'counting-sites' ? t.sites : dataset === 'counting-channels' ? t.channels : t.measures;
      return attach('csv').type('text/csv; charset=utf-8').send(csv(part.columns, part.rows));
    },
  );

  const LiveQuery = Type.Object(
    { recent: Type.Optional(Type.Integer({ minimum: 0, maximum: 60, default: 5 })) },
    { additionalProperties: false },
  );
  app.get(
    '/api/v1/live',
    {
      config: { access: { roles: ['planner', 'traffic'] } },
      schema: {
        tags: ['live'],
        summary: 'Server-sent events: one `minute` event per new minute of aggregates (per site, by mode)',
        description:
          'Event stream (text/event-stream). Starts with the `recent` latest minutes, then pushes each new minute as ' +
          'it is stored. Browsers: read it with fetch() to send the x-api-key header.',
        querystring: LiveQuery,
        response: { ...errorResponses },
      },
    },
    async (req, reply) => {
      const query = req.query as Static<typeof LiveQuery>;
      const recent = await ctx.live.recent(query.recent ?? 5);
      reply.hijack();
      const res = reply.raw;
      res.writeHead(200, {
        ...(reply.getHeaders() as Record<string, string>),
        'content-type': 'text/event-stream; charset=utf-8',
        'cache-control': 'no-cache, no-transform',
        connection: 'keep-alive',
        'x-accel-buffering': 'no',
      });
      const send = (m: LiveMinute) => res.write(`event: minute\nid: ${m.minute}\ndata: ${JSON.stringify(m)}\n\n`);
      res.write(`retry: 3000\nevent: hello\ndata: ${JSON.stringify({ k, recent: recent.length })}\n\n`);
      for (const m of recent) send(m);
      ctx.metrics.liveClients++;
      const off = ctx.live.subscribe(send);
      const beat = setInterval(() => res.write(': keep-alive\n\n'), 15_000);
      beat.unref();
      const done = () => {
        clearInterval(beat);
        off();
        ctx.metrics.liveClients--;
      };
      liveResponses.add(res);
      res.once('close', () => {
        done();
        liveResponses.delete(res);
      });
    },
  );
  app.addHook('preClose', async () => {
    ctx.live.close();
    for (const r of liveResponses) r.end();
    liveResponses.clear();
  });
}
