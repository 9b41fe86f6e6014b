import type { ClickHouseClient } from '@clickhouse/client';
import type { BasemapRow } from '../metadata.ts';
import { rangeParams, rangeWhere, rows, type TimeRange } from './common.ts';

export type SiteKind = 'intersection' | 'counter' | 'zone';

export interface SiteSummary {
  id: string;
  name: string;
  kind: string;
  lon: number;
  lat: number;
  scenario: string;
}

export interface CameraInfo {
  id: string;
  name: string;
  lon: number;
  lat: number;
  headingDeg: number | null;
  lines: { id: string; name: string; a: [number, number]; b: [number, number]; inDirection: string }[];
  zones: { id: string; name: string; polygon: [number, number][] }[];
}
export interface SensorInfo {
  id: string;
  name: string;
  kind: string;
  lon: number;
  lat: number;
  modes: string[];
  line: { a: [number, number]; b: [number, number] } | null;
  inDirection: string;
  radiusM: number | null;
}
export interface SiteDetail extends SiteSummary {
  geometry: unknown;
  cameras: CameraInfo[];
  sensors: SensorInfo[];
}

type SiteRow = { site_id: string; name: string; kind: string; lon: number; lat: number; scenario: string };

const toSummary = (r: SiteRow): SiteSummary => ({
  id: r.site_id,
  name: r.name,
  kind: r.kind,
  lon: r.lon,
  lat: r.lat,
  scenario: r.scenario,
});

export async function listSites(client: ClickHouseClient, opts: { kind?: string } = {}): Promise<SiteSummary[]> {
  const where = opts.kind ? 'WHERE kind = {kind:String}' : '';
  const r = await rows<SiteRow>(
    client,
    `SELECT site_id, name, kind, lon, lat, scenario FROM sites FINAL ${where} ORDER BY kind, site_id`,
    opts.kind ? { kind: opts.kind } : {},
  );
  return r.map(toSummary);
}

/**
 * Volume per site over a range: crossings towards the junction ('in') of every camera line of an
 * intersection, and the sum of both directions of a counter's reports (null intervals ignored).
 */
export async function siteVolumes(client: ClickHouseClient, range: TimeRange): Promise<Map<string, number>> {
  const r = await rows<{ site_id: string; v: number }>(
    client,
    `SELECT site_id, toFloat64(sum(count)) AS v FROM line_counts_15m
       WHERE direction = 'in' AND ${rangeWhere('window_start')} GROUP BY site_id
     UNION ALL
     SELECT d.site_id AS site_id, sum(cs.sv) AS v FROM (
       SELECT sensor_id, toFloat64(sum(assumeNotNull(count))) AS sv FROM counts_bins
       WHERE count IS NOT NULL AND interval = '1h' AND ${rangeWhere('start')} GROUP BY sensor_id
     ) AS cs INNER JOIN (SELECT device_id, site_id FROM devices FINAL) AS d ON d.device_id = cs.sensor_id
     GROUP BY d.site_id`,
    rangeParams(range),
  );
  const out = new Map<string, number>();
  for (const x of r) out.set(x.site_id, (out.get(x.site_id) ?? 0) + Number(x.v));
  return out;
}

/**
 * One cell of the finest public grid: an hour of one camera line (direction, mode), as `GET /api/v1/line-counts`
 * gives it, or an hour of one counter series (direction, mode), as `GET /api/v1/sensors/counts` gives it.
 */
export interface PublicCell {
  siteId: string;
  t: number;
  source: 'line' | 'sensor';
  /** camera|line|direction|mode, or sensor|direction|mode */
  cell: string;
  direction: string;
  mode: string;
  /** Kind of the counter (`pedestrian`, `loop`…); empty for a line. */
  kind: string;
  count: number;
}

/**
 * Hourly cells of the finest public grid over a range (optionally of some sites only): the public view builds every
 * coarser number (a site's volume, footfall) from these cells after the k rule, so that no two public numbers can
 * be subtracted to give a withheld cell.
 */
export async function publicCells(
  client: ClickHouseClient,
  opts: TimeRange & { sites?: string[] },
): Promise<PublicCell[]> {
  const only = opts.sites ? 'AND site_id IN {sites:Array(String)}' : '';
  // Column names are the fields of PublicCell; only t (seconds) and count (a string for big numbers) are converted.
  const r = await rows<PublicCell>(
    client,
    `SELECT site_id AS siteId, toUInt32(toUnixTimestamp(toStartOfHour(window_start))) AS t, 'line' AS source,
       concat(camera_id, '|', line_id, '|', direction, '|', mode) AS cell, direction, mode, '' AS kind,
       toFloat64(sum(count)) AS count
     FROM line_counts_15m WHERE ${rangeWhere('window_start')} ${only}
     GROUP BY site_id, t, camera_id, line_id, direction, mode
     UNION ALL
     SELECT d.site_id AS siteId, cs.t AS t, 'sensor' AS source, concat(cs.sensor_id, '|', cs.direction, '|', cs.mode) AS cell,
       cs.direction AS direction, cs.mode AS mode, d.kind AS kind, cs.v AS count
     FROM (
       SELECT sensor_id, toUInt32(toUnixTimestamp(toStartOfHour(start))) AS t, direction, mode,
         toFloat64(sum(assumeNotNull(count))) AS v
       FROM counts_bins WHERE count IS NOT NULL AND interval = '1h' AND ${rangeWhere('start')}
       GROUP BY sensor_id, t, direction, mode
     ) AS cs INNER JOIN (SELECT device_id, site_id, kind FROM devices FINAL) AS d ON d.device_id = cs.sensor_id
     WHERE 1 ${only.replace('site_id', 'd.site_id')}`,
    { ...rangeParams(opts), sites: opts.sites ?? [] },
  );
  return r.map((x) => ({ ...x, t: Number(x.t) * 1000, count: Number(x.count) }));
}

export async function getSite(client: ClickHouseClient, id: string): Promise<SiteDetail | null> {
  const s = await rows<SiteRow & { geometry: string }>(
    client,
    'SELECT site_id, name, kind, lon, lat, scenario, geometry FROM sites FINAL WHERE site_id = {id:String} LIMIT 1',
    { id },
  );
  if (s.length === 0) return null;
  const devs = await rows<{ device_id: string; kind: string; name: string; lon: number; lat: number; config: string }>(
    client,
    'SELECT device_id, kind, name, lon, lat, config FROM devices FINAL WHERE site_id = {id:String} ORDER BY device_id',
    { id },
  );
  const cameras: CameraInfo[] = [];
  const sensors: SensorInfo[] = [];
  for (const d of devs) {
    const cfg = JSON.parse(d.config || '{}') as Record<string, unknown>;
    if (d.kind === 'camera') {
      cameras.push({
        id: d.device_id,
        name: d.name,
        lon: d.lon,
        lat: d.lat,
        headingDeg: typeof cfg.headingDeg === 'number' ? cfg.headingDeg : null,
        lines: ((cfg.lines as CameraInfo['lines']) ?? []).map((l) => ({ ...l, inDirection: l.inDirection ?? '' })),
        zones: (cfg.zones as CameraInfo['zones']) ?? [],
      });
    } else {
      sensors.push({
        id: d.device_id,
        name: d.name,
        kind: d.kind,
        lon: d.lon,
        lat: d.lat,
        modes: (cfg.modes as string[]) ?? [],
        line: (cfg.line as SensorInfo['line']) ?? null,
        inDirection: (cfg.inDirection as string) ?? '',
        radiusM: typeof cfg.radiusM === 'number' ? cfg.radiusM : null,
      });
    }
  }
  return { ...toSummary(s[0]), geometry: JSON.parse(s[0].geometry || 'null'), cameras, sensors };
}

export interface GeoFeature {
  type: 'Feature';
  properties: Record<string, string | number | null>;
  geometry: unknown;
}
export interface FeatureCollection {
  type: 'FeatureCollection';
  features: GeoFeature[];
}

/** Streets and OD zones of the loaded scenario(s), for the dashboard's offline base map. */
export async function basemap(client: ClickHouseClient, opts: { scenario?: string } = {}): Promise<FeatureCollection> {
  const where = opts.scenario ? 'WHERE scenario = {scenario:String}' : '';
  const r = await rows<BasemapRow>(
    client,
    `SELECT scenario, layer, feature_id, name, kind, geometry FROM basemap_features FINAL ${where}
     ORDER BY layer, feature_id`,
    opts.scenario ? { scenario: opts.scenario } : {},
  );
  return {
    type: 'FeatureCollection',
    features: r.map((f) => ({
      type: 'Feature',
      properties: { id: f.feature_id, layer: f.layer, name: f.name, kind: f.kind, scenario: f.scenario },
      geometry: JSON.parse(f.geometry),
    })),
  };
}

export interface ScenarioInfo {
  name: string;
  timezone: string;
  origin: { lon: number; lat: number };
  start: number;
  durationS: number;
}

export async function listScenarios(client: ClickHouseClient): Promise<ScenarioInfo[]> {
  const r = await rows<{ name: string; timezone: string; lon: number; lat: number; start: number; d: number }>(
    client,
    `SELECT name, timezone, origin_lon AS lon, origin_lat AS lat, toUInt32(toUnixTimestamp(start)) AS start,
       duration_s AS d FROM scenarios FINAL ORDER BY name`,
  );
  return r.map((x) => ({
    name: x.name,
    timezone: x.timezone,
    origin: { lon: x.lon, lat: x.lat },
    start: Number(x.start) * 1000,
    durationS: Number(x.d),
  }));
}

/** First and last time of the OD windows; null when there are none. */
export async function odExtent(client: ClickHouseClient): Promise<{ from: number; to: number } | null> {
  const r = await rows<{ lo: number; hi: number; n: string }>(
    client,
    `SELECT toUInt32(toUnixTimestamp(min(window_start))) AS lo, toUInt32(toUnixTimestamp(max(window_start)) + 900) AS hi,
       toString(count()) AS n FROM od_15m`,
  );
  if (!r.length || Number(r[0].n) === 0) return null;
  return { from: Number(r[0].lo) * 1000, to: Number(r[0].hi) * 1000 };
}

/** First and last time with data (OD windows, line counts, counter reports); null when the store is empty. */
export async function dataExtent(client: ClickHouseClient): Promise<{ from: number; to: number } | null> {
  const r = await rows<{ lo: number; hi: number; n: string }>(
    client,
    `SELECT toUInt32(min(lo)) AS lo, toUInt32(max(hi)) AS hi, toString(sum(n)) AS n FROM (
       SELECT toUnixTimestamp(min(window_start)) AS lo, toUnixTimestamp(max(window_start)) + 900 AS hi, count() AS n
         FROM od_15m HAVING n > 0
       UNION ALL SELECT toUnixTimestamp(min(minute)), toUnixTimestamp(max(minute)) + 60, count() FROM line_counts_1m HAVING count() > 0
       UNION ALL SELECT toUnixTimestamp(min(start)), toUnixTimestamp(max(end)), count() FROM counts_bins HAVING count() > 0
     )`,
  );
  if (!r.length || Number(r[0].n) === 0) return null;
  return { from: Number(r[0].lo) * 1000, to: Number(r[0].hi) * 1000 };
}
