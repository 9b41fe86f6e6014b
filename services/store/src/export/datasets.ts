/**
 * Open-data tables computed in ClickHouse (so that the same SELECT gives CSV rows or a Parquet file):
 * OD flows and footfall, hourly (or daily), with k-anonymity applied in the query.
 */
import type { ClickHouseClient } from '@clickhouse/client';
import { bucketExpr, rangeParams, rangeWhere, rows, type TimeRange } from '../queries/common.ts';
import { ci95Sql, odCellsSql } from '../queries/od.ts';
import type { FeatureCollection } from '../queries/sites.ts';
import type { Cell, TableSchema } from './tableschema.ts';

export type OpenInterval = '1h' | '1d';

export interface SqlTable {
  schema: TableSchema;
  sql: string;
  params: Record<string, unknown>;
}

const ISO = (expr: string) => `formatDateTime(${expr}, '%Y-%m-%dT%H:%i:%SZ', 'UTC')`;
const STEP: Record<OpenInterval, number> = { '1h': 3600, '1d': 86400 };

export const OD_SCHEMA: TableSchema = {
  name: 'passage-od',
  title: 'Origin–destination flows between zones',
  fields: [
    { name: 'window_start', type: 'datetime', constraints: { required: true } },
    { name: 'window_end', type: 'datetime', constraints: { required: true } },
    { name: 'origin', type: 'string', description: 'origin zone id', constraints: { required: true } },
    { name: 'destination', type: 'string', description: 'destination zone id', constraints: { required: true } },
    {
      name: 'mode',
      type: 'string',
      description: 'mode, or mode group: all (Wi-Fi/BLE, every traveller) or motor (ANPR); never add the two groups',
      constraints: { required: true },
    },
    {
      name: 'trips',
      type: 'integer',
      description:
        'observed trips (distinct tokens matched between the two zones), k-anonymous per hour as stored, always >= k ' +
        '(0 for a count-estimated row)',
      constraints: { required: true, minimum: 0 },
    },
    {
      name: 'expanded',
      type: 'number',
      description: 'flow expanded to all travellers with reference counts (equals trips where no expansion exists)',
    },
    { name: 'expanded_se', type: 'number', description: 'standard error of expanded (0 where not expanded)' },
    {
      name: 'ci95_low',
      type: 'number',
      description:
        'lower bound of the 95 % interval of expanded, as stored with the cell (GLS posterior, clipped at 0; trips ' +
        'where not expanded; for a daily row: expanded - 1.959964 se, clipped at 0)',
    },
    {
      name: 'ci95_high',
      type: 'number',
      description:
        'upper bound of the 95 % interval (as stored; daily rows: expanded + 1.959964 se); empty = no upper bound ' +
        '(trips that could not be expanded: a lower bound)',
    },
    { name: 'travel_time_p50_s', type: 'number' },
    { name: 'travel_time_p85_s', type: 'number' },
    {
      name: 'method',
      type: 'string',
      description:
        'probe-expanded = observed trips (>= k) expanded to the population; count-estimated = no probe trip: a zone ' +
        "the group's probes do not see, estimated from counted totals and camera lines (trips 0, wide interval); " +
        'mode-composed = all modes composed by mode (motor estimate + pedestrians and bicycles from the lines and ' +
        'counters that count them; trips = Wi-Fi/BLE trips matched above k, if any)',
      constraints: { required: true, enum: ['probe-expanded', 'count-estimated', 'mode-composed'] },
    },
  ],
  primaryKey: ['window_start', 'origin', 'destination', 'mode'],
};

/**
 * OD flows as published by the API (`GET /api/v1/od`, the same SQL: odCellsSql): hourly cells where the matcher
 * applied k, expanded to the population from `od_expanded_1h` with its standard error and 95 % interval; one row per
 * stored mode (or mode group: `all` from Wi-Fi/BLE, `motor` from ANPR — never add the two).
 */
export function odTable(opts: TimeRange & { k: number; interval?: OpenInterval }): SqlTable {
  const iv = opts.interval ?? '1h';
  return {
    schema: OD_SCHEMA,
    sql: `SELECT ${ISO('toDateTime(t)')} AS window_start, ${ISO('addSeconds(toDateTime(t), {step:UInt32})')} AS window_end,
        origin, destination, mode, toUInt32(obs) AS trips, round(ex, 3) AS expanded, round(sqrt(v), 3) AS expanded_se,
        round(lo95, 3) AS ci95_low, round(hi95, 3) AS ci95_high,
        round(t50, 1) AS travel_time_p50_s, round(t85, 1) AS travel_time_p85_s,
        if(comp > 0, 'mode-composed', if(est > 0, 'count-estimated', 'probe-expanded')) AS method
      FROM (SELECT *, ${ci95Sql({ ex: 'ex', v: 'v', lo: 'lo', hi: 'hi', cells: 'cells', open: 'open' })}
        FROM (${odCellsSql({ interval: iv, modes: false, hourly: true })}))
      WHERE obs >= {k:UInt32} OR est > 0
      ORDER BY window_start, origin, destination, mode`,
    params: { ...rangeParams(opts), k: opts.k, step: STEP[iv], modes: [] },
  };
}

/** Number of OD cells (after aggregation to the interval) hidden by the k rule. */
export async function odSuppressedCells(
  client: ClickHouseClient,
  opts: TimeRange & { k: number; interval?: OpenInterval },
): Promise<number> {
  const r = await rows<{ n: number }>(
    client,
    `SELECT toUInt32(count()) AS n FROM (${odCellsSql({ interval: opts.interval ?? '1h', modes: false, hourly: true })})
     WHERE obs < {k:UInt32} AND est = 0`,
    { ...rangeParams(opts), k: opts.k, modes: [] },
  );
  return Number(r[0]?.n ?? 0);
}

export const FOOTFALL_SCHEMA: TableSchema = {
  name: 'passage-footfall',
  title: 'Pedestrian footfall by site',
  fields: [
    { name: 'window_start', type: 'datetime', constraints: { required: true } },
    { name: 'window_end', type: 'datetime', constraints: { required: true } },
    { name: 'site_id', type: 'string', constraints: { required: true } },
    { name: 'site_name', type: 'string' },
    {
      name: 'count',
      type: 'integer',
      description:
        'pedestrians counted in the hourly cells (camera line or counter series) that pass the k rule; empty when ' +
        'every non-zero cell was below k (suppressed)',
      constraints: { minimum: 0 },
    },
    { name: 'suppressed', type: 'boolean', constraints: { required: true } },
  ],
  primaryKey: ['window_start', 'site_id'],
};

/**
 * Footfall per site and hour (or day), as the public API gives it (services/api/src/public-view.ts): the sum of the
 * cells of the finest grid (one camera line's pedestrians towards the junction, or one counter series, one hour)
 * that pass the k rule; empty and `suppressed` when every non-zero cell was withheld. So no footfall row minus
 * published line counts or counter reports is a withheld cell.
 */
export function footfallTable(opts: TimeRange & { k: number; interval?: OpenInterval }): SqlTable {
  const iv = opts.interval ?? '1h';
  return {
    schema: FOOTFALL_SCHEMA,
    sql: `SELECT ${ISO('b')} AS window_start, ${ISO(`addSeconds(b, {step:UInt32})`)} AS window_end, f.site_id AS site_id,
        s.name AS site_name, if(f.pub = 0 AND f.held > 0, NULL, toNullable(toUInt32(round(f.c)))) AS count,
        toBool(f.pub = 0 AND f.held > 0) AS suppressed
      FROM (
        SELECT ${bucketExpr('h', iv)} AS b, site_id, sumIf(x, x >= {k:UInt32}) AS c,
          countIf(x >= {k:UInt32}) AS pub, countIf(x > 0 AND x < {k:UInt32}) AS held
        FROM (
          SELECT toStartOfHour(window_start) AS h, site_id, toFloat64(sum(count)) AS x FROM line_counts_15m
          WHERE mode = 'pedestrian' AND direction = 'in' AND ${rangeWhere('window_start')}
          GROUP BY h, site_id, camera_id, line_id
          UNION ALL
          SELECT toStartOfHour(cb.start) AS h, d.site_id AS site_id, toFloat64(sum(assumeNotNull(cb.count))) AS x
          FROM counts_bins AS cb INNER JOIN (SELECT device_id, site_id, kind FROM devices FINAL) AS d ON d.device_id = cb.sensor_id
          WHERE cb.count IS NOT NULL AND cb.interval = {civ:String} AND ${rangeWhere('cb.start')}
            AND (cb.mode = 'pedestrian' OR (cb.mode IN ('', 'all') AND d.kind = 'pedestrian'))
          GROUP BY h, site_id, cb.sensor_id, cb.direction, cb.mode
        ) GROUP BY b, site_id
      ) AS f LEFT JOIN (SELECT site_id, name FROM sites FINAL) AS s ON s.site_id = f.site_id
      ORDER BY window_start, site_id`,
    params: { ...rangeParams(opts), k: opts.k, step: STEP[iv], civ: '1h' },
  };
}

/** Rows of a SQL table in schema column order (CSV-ready). */
export async function sqlTableRows(client: ClickHouseClient, t: SqlTable): Promise<Cell[][]> {
  const r = await rows<Record<string, Cell>>(client, t.sql, t.params);
  const cols = t.schema.fields.map((f) => f.name);
  return r.map((x) => cols.map((c) => (typeof x[c] === 'boolean' ? (x[c] ? 'true' : 'false') : x[c])));
}

/** The same table as a Parquet file, written by ClickHouse. */
export async function sqlTableParquet(client: ClickHouseClient, t: SqlTable): Promise<Buffer> {
  const r = await client.exec({ query: `${t.sql} FORMAT Parquet`, query_params: t.params });
  const chunks: Buffer[] = [];
  for await (const c of r.stream as AsyncIterable<Buffer>) chunks.push(Buffer.from(c));
  return Buffer.concat(chunks);
}

/** Sites (junctions, counters, OD zones) as GeoJSON. */
export async function sitesGeoJson(client: ClickHouseClient): Promise<FeatureCollection> {
  const r = await rows<{ site_id: string; name: string; kind: string; scenario: string; geometry: string }>(
    client,
    'SELECT site_id, name, kind, scenario, geometry FROM sites FINAL ORDER BY kind, site_id',
  );
  return {
    type: 'FeatureCollection',
    features: r.map((s) => ({
      type: 'Feature',
      properties: { site_id: s.site_id, name: s.name, kind: s.kind, scenario: s.scenario },
      // A counter registered from a feed that does not say where it is has no geometry (GeoJSON: null).
      geometry: s.geometry ? JSON.parse(s.geometry) : null,
    })),
  };
}
