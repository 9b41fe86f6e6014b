/** Query routes: sites, base map, line counts, turning movements, OD, footfall, sensors. */
import {
  basemap,
  dataExtent,
  footfall,
  getSite,
  lineCounts,
  listScenarios,
  listSites,
  odExtent,
  odFlows,
  publicCells,
  sensorCounts,
  sensorHealth,
  sitesByStreet,
  siteVolumes,
  storedOdModes,
  turningMovements,
  turningMovementsCsv,
} from '@passage/store';
import { type Static, Type } from '@sinclair/typebox';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Access } from '../auth.ts';
import { apiError, errorResponses } from '../errors.ts';
import { HOUR_MS, kCount, publicFootfallHourly, publicRows, publicTotal, publicVolumes } from '../public-view.ts';
import {
  CoarseInterval,
  EpochMs,
  Id,
  Interval,
  Modes,
  Nullable,
  parseRange,
  RangeQuery,
  splitModes,
  Time,
} from '../schemas.ts';
import type { ApiContext } from './context.ts';

const coarse = (i: string | undefined) => i === '1h' || i === '1d' || i === 'total';
const q = (req: FastifyRequest) => req.query as Record<string, string | undefined>;

export { kCount };

const Point = Type.Tuple([Type.Number(), Type.Number()]);
const SiteSummary = Type.Object({
  id: Type.String(),
  name: Type.String(),
  kind: Type.String(),
  lon: Type.Number(),
  lat: Type.Number(),
  scenario: Type.String(),
  volume: Type.Optional(Nullable(Type.Number())),
});
const Feature = Type.Object({
  type: Type.Literal('Feature'),
  properties: Type.Record(Type.String(), Type.Union([Type.String(), Type.Number(), Type.Null()])),
  geometry: Type.Unknown(),
});
const FeatureCollection = Type.Object({ type: Type.Literal('FeatureCollection'), features: Type.Array(Feature) });

export function dataRoutes(app: FastifyInstance, ctx: ApiContext): void {
  const k = ctx.config.privacy.k;
  const open: Access = { roles: ['planner', 'traffic', 'data-officer'], public: true };

  const SitesQuery = Type.Object(
    {
      kind: Type.Optional(Type.Union([Type.Literal('intersection'), Type.Literal('counter'), Type.Literal('zone')])),
      from: Type.Optional(Time),
      to: Type.Optional(Time),
    },
    { additionalProperties: false },
  );
  app.get(
    '/api/v1/sites',
    {
      config: { access: open },
      schema: {
        tags: ['sites'],
        summary: 'Sites (junctions, counters, OD zones); with from/to, the volume per site over that range',
        querystring: SitesQuery,
        response: { 200: Type.Object({ sites: Type.Array(SiteSummary) }), ...errorResponses },
      },
    },
    async (req) => {
      const query = req.query as Static<typeof SitesQuery>;
      const sites = await listSites(ctx.store.client, { kind: query.kind });
      if ((query.from && !query.to) || (!query.from && query.to)) {
        throw apiError('PASSAGE_BAD_REQUEST', 'querystring/from and querystring/to go together.');
      }
      if (query.from && query.to) {
        const range = parseRange({ from: query.from, to: query.to }, '1d');
        // Public: each site's volume is the sum of its k-anonymous hourly volumes (docs/OD-AND-PRIVACY.md).
        const vols: Map<string, number | null> =
          req.principal.role === 'public'
            ? publicVolumes(await publicCells(ctx.store.client, range), k)
            : await siteVolumes(ctx.store.client, range);
        const volume = (id: string) => (vols.has(id) ? (vols.get(id) ?? null) : 0);
        return { sites: sites.map((s) => ({ ...s, volume: s.kind === 'zone' ? null : volume(s.id) })) };
      }
      return { sites };
    },
  );

  const CameraSchema = Type.Object({
    id: Type.String(),
    name: Type.String(),
    lon: Type.Number(),
    lat: Type.Number(),
    headingDeg: Nullable(Type.Number()),
    lines: Type.Array(
      Type.Object({ id: Type.String(), name: Type.String(), a: Point, b: Point, inDirection: Type.String() }),
    ),
    zones: Type.Array(Type.Object({ id: Type.String(), name: Type.String(), polygon: Type.Array(Point) })),
  });
  const SensorSchema = Type.Object({
    id: Type.String(),
    name: Type.String(),
    kind: Type.String(),
    lon: Type.Number(),
    lat: Type.Number(),
    modes: Type.Array(Type.String()),
    line: Nullable(Type.Object({ a: Point, b: Point })),
    inDirection: Type.String(),
    radiusM: Nullable(Type.Number()),
  });
  app.get(
    '/api/v1/sites/:id',
    {
      config: { access: open },
      schema: {
        tags: ['sites'],
        summary: 'One site with its cameras (lines, zones) and sensors',
        params: Type.Object({ id: Id }, { additionalProperties: false }),
        response: {
          200: Type.Intersect([
            SiteSummary,
            Type.Object({
              geometry: Type.Unknown(),
              cameras: Type.Array(CameraSchema),
              sensors: Type.Array(SensorSchema),
            }),
          ]),
          ...errorResponses,
        },
      },
    },
    async (req) => {
      const { id } = req.params as { id: string };
      const site = await getSite(ctx.store.client, id);
      if (!site) throw apiError('PASSAGE_SITE_NOT_FOUND', 'No site with this id: list them with GET /api/v1/sites.');
      return site;
    },
  );

  app.get(
    '/api/v1/basemap',
    {
      config: { access: open },
      schema: {
        tags: ['sites'],
        summary: 'Offline base map of the scenario: streets and OD zones (GeoJSON)',
        querystring: Type.Object({ scenario: Type.Optional(Id) }, { additionalProperties: false }),
        response: { 200: FeatureCollection, ...errorResponses },
      },
    },
    async (req) => basemap(ctx.store.client, { scenario: q(req).scenario }),
  );

  app.get(
    '/api/v1/whoami',
    {
      config: { access: { roles: [], public: true } },
      schema: {
        tags: ['system'],
        summary: 'The role of the presented API key (public without one); a wrong key is a 401 PASSAGE_BAD_KEY',
        response: { 200: Type.Object({ role: Type.String() }), ...errorResponses },
      },
    },
    async (req, reply) => reply.header('cache-control', 'no-store').send({ role: req.principal.role }),
  );

  app.get(
    '/api/v1/extent',
    {
      config: { access: open },
      schema: {
        tags: ['sites'],
        summary: 'Time extent of the stored data and the loaded scenarios',
        response: {
          200: Type.Object({
            from: Nullable(EpochMs),
            to: Nullable(EpochMs),
            od: Nullable(Type.Object({ from: EpochMs, to: EpochMs })),
            odModes: Type.Array(Type.String(), {
              description: 'stored OD modes: mode groups (all, motor) or single modes; what the OD view can offer',
            }),
            k: Type.Integer(),
            scenarios: Type.Array(
              Type.Object({
                name: Type.String(),
                timezone: Type.String(),
                origin: Type.Object({ lon: Type.Number(), lat: Type.Number() }),
                start: EpochMs,
                durationS: Type.Number(),
              }),
            ),
          }),
          ...errorResponses,
        },
      },
    },
    async (req) => {
      const e = await dataExtent(ctx.store.client);
      const od = await odExtent(ctx.store.client);
      // The public view is served by whole clock hours (public-view.ts): so is its extent (the dashboard's buckets).
      const pub = req.principal.role === 'public';
      const floor = (t: number) => (pub ? Math.floor(t / HOUR_MS) * HOUR_MS : t);
      const ceil = (t: number) => (pub ? Math.ceil(t / HOUR_MS) * HOUR_MS : t);
      return {
        from: e ? floor(e.from) : null,
        to: e ? ceil(e.to) : null,
        od: od ? { from: floor(od.from), to: ceil(od.to) } : null,
        odModes: od ? await storedOdModes(ctx.store.client, od) : [],
        k,
        scenarios: await listScenarios(ctx.store.client),
      };
    },
  );

  const LineCountsQuery = Type.Object(
    { site: Id, ...RangeQuery, interval: Type.Optional(Interval), mode: Type.Optional(Modes) },
    { additionalProperties: false },
  );
  app.get(
    '/api/v1/line-counts',
    {
      config: {
        access: { roles: ['planner', 'traffic'], public: (req: FastifyRequest) => coarse(q(req).interval ?? '15m') },
      },
      schema: {
        tags: ['counts'],
        summary:
          'Directed line crossings of a site by line, direction and mode (public: hourly or coarser, k-anonymous)',
        querystring: LineCountsQuery,
        response: {
          200: Type.Object({
            site: Type.String(),
            interval: Type.String(),
            rows: Type.Array(
              Type.Object({
                t: EpochMs,
                cameraId: Type.String(),
                lineId: Type.String(),
                direction: Type.String(),
                mode: Type.String(),
                count: Nullable(Type.Number()),
                meanSpeed: Nullable(Type.Number()),
              }),
            ),
          }),
          ...errorResponses,
        },
      },
    },
    async (req) => {
      const query = req.query as Static<typeof LineCountsQuery>;
      const interval = query.interval ?? '15m';
      const range = parseRange(query, interval);
      const r = await lineCounts(ctx.store.client, {
        ...range,
        site: query.site,
        interval,
        modes: splitModes(query.mode),
      });
      if (req.principal.role !== 'public') return { site: query.site, interval, rows: r };
      // Public: coarse buckets are sums of the k-anonymous hourly cells (docs/OD-AND-PRIVACY.md).
      const hourly =
        interval === '1h'
          ? r
          : await lineCounts(ctx.store.client, {
              ...range,
              site: query.site,
              interval: '1h',
              modes: splitModes(query.mode),
            });
      const key = (x: (typeof r)[number]) => `${x.cameraId}|${x.lineId}|${x.direction}|${x.mode}`;
      return {
        site: query.site,
        interval,
        rows: publicRows(r, hourly, key, k).map((x) => ({ ...x, meanSpeed: null })),
      };
    },
  );

  const TmQuery = Type.Object(
    {
      site: Id,
      ...RangeQuery,
      mode: Type.Optional(Modes),
      format: Type.Optional(Type.Union([Type.Literal('json'), Type.Literal('csv')])),
    },
    { additionalProperties: false },
  );
  app.get(
    '/api/v1/turning-movements',
    {
      config: { access: { roles: ['planner', 'traffic'] } },
      schema: {
        tags: ['counts'],
        summary: 'Turning movements of a junction: 15-minute table per movement, peak hour and PHF',
        description:
          'PHF = V_hour / (4 × V_peak15), over the four consecutive 15-minute intervals with the largest sum.',
        querystring: TmQuery,
        response: {
          200: Type.Object({
            site: Type.String(),
            from: EpochMs,
            to: EpochMs,
            total: Type.Number(),
            movements: Type.Array(
              Type.Object({
                id: Type.String(),
                cameraId: Type.String(),
                fromZone: Type.String(),
                toZone: Type.String(),
                fromArm: Type.String(),
                toArm: Type.String(),
                total: Type.Number(),
                peakHourVolume: Type.Number(),
              }),
            ),
            intervals: Type.Array(
              Type.Object({ start: EpochMs, end: EpochMs, counts: Type.Array(Type.Number()), total: Type.Number() }),
            ),
            peakHour: Nullable(
              Type.Object({
                start: EpochMs,
                end: EpochMs,
                volume: Type.Number(),
                peak15Volume: Type.Number(),
                phf: Type.Number(),
              }),
            ),
          }),
          ...errorResponses,
        },
      },
    },
    async (req, reply) => {
      const query = req.query as Static<typeof TmQuery>;
      const range = parseRange(query, '15m');
      const tm = await turningMovements(ctx.store.client, {
        ...range,
        site: query.site,
        modes: splitModes(query.mode),
      });
      if (query.format === 'csv') {
        return reply
          .type('text/csv; charset=utf-8')
          .header('content-disposition', 'attachment; filename="turning-movements.csv"')
          .send(turningMovementsCsv(tm));
      }
      return tm;
    },
  );

  const OdQuery = Type.Object(
    {
      ...RangeQuery,
      interval: Type.Optional(CoarseInterval),
      modes: Type.Optional(Modes),
      minFlow: Type.Optional(Type.Number({ minimum: 0, maximum: 1e9 })),
    },
    { additionalProperties: false },
  );
  app.get(
    '/api/v1/od',
    {
      config: {
        access: {
          roles: ['planner', 'traffic', 'data-officer'],
          public: (req: FastifyRequest) => coarse(q(req).interval ?? '1h'),
        },
      },
      schema: {
        tags: ['od'],
        summary:
          'Origin–destination flows between zones: observed and expanded, with uncertainty; cells below k hidden',
        querystring: OdQuery,
        response: {
          200: Type.Object({
            from: EpochMs,
            to: EpochMs,
            interval: Type.String(),
            modes: Type.Array(Type.String()),
            odModes: Type.Array(Type.String(), {
              description: 'stored OD modes read: the modes asked, or the mode group (all, motor) they map to',
            }),
            k: Type.Integer(),
            minFlow: Type.Number(),
            suppressedCells: Type.Integer(),
            totals: Type.Object({ observed: Type.Number(), expanded: Type.Number() }),
            flows: Type.Array(
              Type.Object({
                t: EpochMs,
                origin: Type.String(),
                destination: Type.String(),
                observed: Type.Number(),
                expanded: Type.Number(),
                stdErr: Type.Number(),
                ci95: Type.Tuple([Type.Number(), Type.Unsafe<number | null>({ type: ['number', 'null'] })], {
                  description:
                    '95 % interval as stored with the hourly cell (od_expanded_1h lower95/upper95); for a bucket of ' +
                    'several cells, expanded ± 1.959964 stdErr clipped at 0; upper null = no upper bound (unexpanded)',
                }),
                travelTimeP50S: Nullable(Type.Number()),
                travelTimeP85S: Nullable(Type.Number()),
                method: Type.Union(
                  [
                    Type.Literal('probe-expanded'),
                    Type.Literal('count-estimated'),
                    Type.Literal('mode-composed'),
                    Type.Literal('mixed'),
                  ],
                  {
                    description:
                      'probe-expanded = matched probe trips (>= k) expanded to the population; count-estimated = ' +
                      "observed 0: a zone the group's probes do not see, estimated from counted totals and camera " +
                      'lines (wide interval); mode-composed = all modes composed by mode (motor estimate + ' +
                      'pedestrians and bicycles from the lines and counters that count them); mixed = a bucket ' +
                      'summing several',
                  },
                ),
              }),
            ),
            coverage: Type.Array(
              Type.Object({
                zone: Type.String(),
                odMode: Type.String(),
                status: Type.Union([Type.Literal('observed'), Type.Literal('estimated'), Type.Literal('unobserved')]),
                hours: Type.Object({ observed: Type.Integer(), estimated: Type.Integer(), unobserved: Type.Integer() }),
                reasons: Type.Array(Type.String(), {
                  description:
                    'why it was unobserved: no-probe-no-count, counts-do-not-identify, and for all modes composed ' +
                    'by mode motor-unobserved, pedestrian-not-identified, bicycle-not-identified',
                }),
              }),
              {
                description:
                  "per zone and mode group, the least observed status over the range's hours: 'unobserved' = no " +
                  'probe and no count, its flows are unknown (not 0); estimated = from counts only',
              },
            ),
          }),
          ...errorResponses,
        },
      },
    },
    async (req) => {
      const query = req.query as Static<typeof OdQuery>;
      const interval = query.interval ?? '1h';
      const range = parseRange(query, interval);
      return odFlows(ctx.store.client, {
        ...range,
        interval,
        modes: splitModes(query.modes),
        minFlow: query.minFlow,
        k,
      });
    },
  );

  const FootfallQuery = Type.Object(
    {
      site: Type.Optional(Id),
      street: Type.Optional(Id),
      ...RangeQuery,
      compareFrom: Type.Optional(Time),
      compareTo: Type.Optional(Time),
      interval: Type.Optional(Type.Union([Type.Literal('15m'), Type.Literal('1h'), Type.Literal('1d')])),
    },
    { additionalProperties: false },
  );
  const Period = Type.Object({
    from: EpochMs,
    to: EpochMs,
    total: Nullable(Type.Number()),
    series: Type.Array(Type.Object({ t: EpochMs, count: Nullable(Type.Number()) })),
  });
  app.get(
    '/api/v1/footfall',
    {
      config: {
        access: {
          roles: ['planner', 'data-officer'],
          public: (req: FastifyRequest) => coarse(q(req).interval ?? '1h'),
        },
      },
      schema: {
        tags: ['counts'],
        summary: 'Pedestrian counts of a site or a street, compared with a previous period',
        querystring: FootfallQuery,
        response: {
          200: Type.Object({
            sites: Type.Array(Type.String()),
            interval: Type.String(),
            current: Period,
            previous: Period,
            change: Type.Object({ absolute: Nullable(Type.Number()), percent: Nullable(Type.Number()) }),
          }),
          ...errorResponses,
        },
      },
    },
    async (req) => {
      const query = req.query as Static<typeof FootfallQuery>;
      if (!query.site === !query.street) {
        throw apiError('PASSAGE_BAD_REQUEST', 'Give exactly one of querystring/site or querystring/street.');
      }
      if (!query.compareFrom !== !query.compareTo) {
        throw apiError('PASSAGE_BAD_REQUEST', 'querystring/compareFrom and querystring/compareTo go together.');
      }
      const interval = query.interval ?? '1h';
      const range = parseRange(query, interval);
      const compare = query.compareFrom
        ? parseRange({ from: query.compareFrom, to: query.compareTo as string }, interval)
        : undefined;
      const sites = query.site ? [query.site] : await sitesByStreet(ctx.store.client, query.street as string);
      const f = await footfall(ctx.store.client, { ...range, sites, interval, compare });
      if (req.principal.role !== 'public') return f;
      // Public: every value is a sum of published cells of the finest grid, one camera line or counter series and
      // one hour (public-view.ts, docs/OD-AND-PRIVACY.md).
      const hide = async (p: typeof f.current) => {
        const h = publicFootfallHourly(await publicCells(ctx.store.client, { from: p.from, to: p.to, sites }), k);
        return { ...p, total: publicTotal(h, k), series: publicRows(p.series, h, () => '', k) };
      };
      const cur = await hide(f.current);
      const prev = await hide(f.previous);
      const absolute = cur.total !== null && prev.total !== null ? cur.total - prev.total : null;
      const percent = absolute !== null && prev.total ? (100 * absolute) / prev.total : null;
      return { ...f, current: cur, previous: prev, change: { absolute, percent } };
    },
  );

  const SensorCountsQuery = Type.Object(
    {
      sensor: Type.Optional(Id),
      site: Type.Optional(Id),
      ...RangeQuery,
      interval: Type.Optional(Interval),
      mode: Type.Optional(Modes),
      extrapolate: Type.Optional(
        Type.Boolean({
          description:
            'Scale each bin to its full length when reports cover only part of it (rows flagged `extrapolated`). ' +
            'Default: what was reported, with its coverage.',
        }),
      ),
    },
    { additionalProperties: false },
  );
  app.get(
    '/api/v1/sensors/counts',
    {
      config: {
        access: {
          roles: ['planner', 'traffic', 'data-officer'],
          public: (req: FastifyRequest) => coarse(q(req).interval ?? '15m'),
        },
      },
      schema: {
        tags: ['sensors'],
        summary: 'Counter reports (loops, pedestrian, bike, Telraam) by sensor or site; gaps are null, never zero',
        querystring: SensorCountsQuery,
        response: {
          200: Type.Object({
            interval: Type.String(),
            rows: Type.Array(
              Type.Object({
                t: EpochMs,
                sensorId: Type.String(),
                direction: Type.String(),
                mode: Type.String(),
                count: Nullable(Type.Number()),
                intervals: Type.Integer(),
                gaps: Type.Integer(),
                uptime: Type.Number(),
                observedS: Type.Number(),
                coverage: Type.Number(),
                extrapolated: Type.Boolean(),
              }),
            ),
          }),
          ...errorResponses,
        },
      },
    },
    async (req) => {
      const query = req.query as Static<typeof SensorCountsQuery>;
      if (!query.sensor && !query.site) {
        throw apiError('PASSAGE_BAD_REQUEST', 'Give querystring/sensor or querystring/site.');
      }
      const interval = query.interval ?? '15m';
      const range = parseRange(query, interval);
      const rows = await sensorCounts(ctx.store.client, {
        ...range,
        sensor: query.sensor,
        site: query.site,
        interval,
        modes: splitModes(query.mode),
        extrapolate: query.extrapolate === true,
      });
      if (req.principal.role !== 'public') return { interval, rows };
      // Public: daily buckets are sums of the k-anonymous hourly cells (docs/OD-AND-PRIVACY.md).
      const hourly =
        interval === '1h'
          ? rows
          : await sensorCounts(ctx.store.client, {
              ...range,
              sensor: query.sensor,
              site: query.site,
              interval: '1h',
              modes: splitModes(query.mode),
              extrapolate: query.extrapolate === true,
            });
      const key = (r: (typeof rows)[number]) => `${r.sensorId}|${r.direction}|${r.mode}`;
      return { interval, rows: publicRows(rows, hourly, key, k) };
    },
  );

  const HealthQuery = Type.Object({ ...RangeQuery, sensor: Type.Optional(Id) }, { additionalProperties: false });
  app.get(
    '/api/v1/sensors/health',
    {
      config: { access: { roles: ['traffic'] } },
      schema: {
        tags: ['sensors'],
        summary: 'Health of every counter: reports, gaps, zeros, flagged faults',
        querystring: HealthQuery,
        response: {
          200: Type.Object({
            sensors: Type.Array(
              Type.Object({
                sensorId: Type.String(),
                siteId: Type.String(),
                name: Type.String(),
                kind: Type.String(),
                lastSeen: Nullable(EpochMs),
                intervals: Type.Integer(),
                gapIntervals: Type.Integer(),
                zeroIntervals: Type.Integer(),
                meanUptime: Nullable(Type.Number()),
                status: Type.String(),
                events: Type.Array(
                  Type.Object({ kind: Type.String(), from: EpochMs, to: EpochMs, detail: Type.String() }),
                ),
              }),
            ),
          }),
          ...errorResponses,
        },
      },
    },
    async (req) => {
      const query = req.query as Static<typeof HealthQuery>;
      const range = parseRange(query, '1d');
      return { sensors: await sensorHealth(ctx.store.client, { ...range, sensor: query.sensor }) };
    },
  );
}
