import type { ClickHouseClient } from '@clickhouse/client';
import {
  bucketExpr,
  countsInterval,
  type Interval,
  ms,
  rangeParams,
  rangeWhere,
  rows,
  type TimeRange,
} from './common.ts';

export interface LineCountRow {
  t: number;
  cameraId: string;
  lineId: string;
  direction: string;
  mode: string;
  count: number;
  /** Mean speed of the crossings with a speed, m/s; null when none. */
  meanSpeed: number | null;
}

/** Line counts of one site: 1-minute rows from `line_counts_1m`, coarser from the 15-minute roll-up. */
export async function lineCounts(
  client: ClickHouseClient,
  opts: TimeRange & { site: string; interval: Interval; modes?: string[] },
): Promise<LineCountRow[]> {
  const fine = opts.interval === '1m';
  const table = fine ? 'line_counts_1m' : 'line_counts_15m';
  const col = fine ? 'minute' : 'window_start';
  const modeWhere = opts.modes?.length ? 'AND mode IN {modes:Array(String)}' : '';
  const r = await rows<{
    t: number;
    camera_id: string;
    line_id: string;
    direction: string;
    mode: string;
    c: number;
    ss: number;
    sc: number;
  }>(
    client,
    `SELECT toUInt32(toUnixTimestamp(${bucketExpr(col, opts.interval)})) AS t, camera_id, line_id, direction, mode,
       toFloat64(sum(count)) AS c, toFloat64(sum(speed_sum)) AS ss, toFloat64(sum(speed_count)) AS sc
     FROM ${table} WHERE site_id = {site:String} AND ${rangeWhere(col)} ${modeWhere}
     GROUP BY t, camera_id, line_id, direction, mode ORDER BY t, camera_id, line_id, direction, mode`,
    { ...rangeParams(opts), site: opts.site, modes: opts.modes ?? [] },
  );
  return r.map((x) => ({
    t: ms(x.t),
    cameraId: x.camera_id,
    lineId: x.line_id,
    direction: x.direction,
    mode: x.mode,
    count: Number(x.c),
    meanSpeed: Number(x.sc) > 0 ? Number(x.ss) / Number(x.sc) : null,
  }));
}

export interface SensorCountRow {
  t: number;
  sensorId: string;
  direction: string;
  mode: string;
  /**
   * Sum of what the counters reported for the time they covered (never scaled to uncovered time); null when every
   * interval of the bucket was a gap. With `extrapolate`, each bin scaled to its full length instead (flagged).
   */
  count: number | null;
  intervals: number;
  gaps: number;
  uptime: number;
  /** Seconds the counters were counting in the bucket (Σ uptime × bin length). */
  observedS: number;
  /** Share of the bucket covered by reports, 0..1. */
  coverage: number;
  /** True when `count` includes extrapolation to uncovered time (only with `extrapolate`). */
  extrapolated: boolean;
}

/** Counter reports (bins of `counts_1m`, view `counts_bins`) by sensor or by site, bucketed. Gaps (null) are never summed as zero. */
export async function sensorCounts(
  client: ClickHouseClient,
  opts: TimeRange & { sensor?: string; site?: string; interval: Interval; modes?: string[]; extrapolate?: boolean },
): Promise<SensorCountRow[]> {
  const col = opts.extrapolate ? 'count_extrapolated' : 'count';
  const where: string[] = [rangeWhere('start'), 'interval = {civ:String}'];
  if (opts.sensor) where.push('sensor_id = {sensor:String}');
  if (opts.site) where.push('sensor_id IN (SELECT device_id FROM devices FINAL WHERE site_id = {site:String})');
  if (opts.modes?.length) where.push('mode IN {modes:Array(String)}');
  const r = await rows<{
    t: number;
    sensor_id: string;
    direction: string;
    mode: string;
    c: number | null;
    n: number;
    g: number;
    u: number;
    o: number;
    cv: number;
    x: number;
  }>(
    client,
    `SELECT toUInt32(toUnixTimestamp(${bucketExpr('start', opts.interval)})) AS t, sensor_id, direction, mode,
       if(countIf(count IS NOT NULL) = 0, NULL, toFloat64(sum(${col}))) AS c, toUInt32(count()) AS n,
       toUInt32(countIf(count IS NULL)) AS g, toFloat64(avg(uptime)) AS u, toFloat64(sum(observed_s)) AS o,
       toFloat64(sum(covered_s) / sum(dateDiff('second', start, end))) AS cv,
       toUInt8(${opts.extrapolate ? 'countIf(count IS NOT NULL AND coverage < 1) > 0' : '0'}) AS x
     FROM counts_bins WHERE ${where.join(' AND ')}
     GROUP BY t, sensor_id, direction, mode ORDER BY t, sensor_id, direction, mode`,
    {
      ...rangeParams(opts),
      civ: countsInterval(opts.interval),
      sensor: opts.sensor ?? '',
      site: opts.site ?? '',
      modes: opts.modes ?? [],
    },
  );
  return r.map((x) => ({
    t: ms(x.t),
    sensorId: x.sensor_id,
    direction: x.direction,
    mode: x.mode,
    count: x.c === null ? null : Number(x.c),
    intervals: Number(x.n),
    gaps: Number(x.g),
    uptime: Number(x.u),
    observedS: Number(x.o),
    coverage: Math.min(1, Number(x.cv)),
    extrapolated: Number(x.x) === 1,
  }));
}

export interface SensorHealth {
  sensorId: string;
  siteId: string;
  name: string;
  kind: string;
  /** End of the last report (epoch ms), null if none in the range. */
  lastSeen: number | null;
  intervals: number;
  gapIntervals: number;
  zeroIntervals: number;
  meanUptime: number | null;
  status: 'ok' | 'gaps' | 'silent' | 'faulty';
  events: { kind: string; from: number; to: number; detail: string }[];
}

/** Health of every counter over a range: reports, gaps, zeros, and the events flagged by the counts worker. */
export async function sensorHealth(
  client: ClickHouseClient,
  opts: TimeRange & { sensor?: string },
): Promise<SensorHealth[]> {
  const p = { ...rangeParams(opts), sensor: opts.sensor ?? '' };
  const sensorWhere = opts.sensor ? 'AND device_id = {sensor:String}' : '';
  const devs = await rows<{ device_id: string; site_id: string; name: string; kind: string }>(
    client,
    `SELECT device_id, site_id, name, kind FROM devices FINAL
     WHERE kind NOT IN ('camera', 'wifi', 'ble', 'anpr') ${sensorWhere} ORDER BY device_id`,
    p,
  );
  // Each series is binned at several intervals: health is read at the sensor's shortest (its native one).
  const stats = await rows<{ sensor_id: string; last: number; n: number; g: number; z: number; u: number }>(
    client,
    `SELECT sensor_id, argMin(last0, len) AS last, argMin(n0, len) AS n, argMin(g0, len) AS g, argMin(z0, len) AS z,
       argMin(u0, len) AS u FROM (
     SELECT sensor_id, interval, min(dateDiff('second', start, end)) AS len,
       toUInt32(toUnixTimestamp(max(end))) AS last0, toUInt32(count()) AS n0,
       toUInt32(countIf(count IS NULL)) AS g0, toUInt32(countIf(count = 0)) AS z0, toFloat64(avg(uptime)) AS u0
     FROM counts_bins WHERE ${rangeWhere('start')} ${opts.sensor ? 'AND sensor_id = {sensor:String}' : ''}
     GROUP BY sensor_id, interval) GROUP BY sensor_id`,
    p,
  );
  const events = await rows<{ sensor_id: string; kind: string; f: number; t: number; detail: string }>(
    client,
    `SELECT sensor_id, kind, toUInt32(toUnixTimestamp(from)) AS f, toUInt32(toUnixTimestamp(to)) AS t, detail
     FROM sensor_health WHERE from < toDateTime({to:UInt32}, 'UTC') AND to > toDateTime({from:UInt32}, 'UTC')
       ${opts.sensor ? 'AND sensor_id = {sensor:String}' : ''}
     ORDER BY sensor_id, f`,
    p,
  );
  const st = new Map(stats.map((s) => [s.sensor_id, s]));
  const ev = new Map<string, SensorHealth['events']>();
  for (const e of events) {
    const list = ev.get(e.sensor_id) ?? [];
    list.push({ kind: e.kind, from: ms(e.f), to: ms(e.t), detail: e.detail });
    ev.set(e.sensor_id, list);
  }
  const ids = new Set([...devs.map((d) => d.device_id), ...st.keys(), ...ev.keys()]);
  const meta = new Map(devs.map((d) => [d.device_id, d]));
  return [...ids].sort().map((id) => {
    const s = st.get(id);
    const d = meta.get(id);
    const e = ev.get(id) ?? [];
    const n = s ? Number(s.n) : 0;
    const g = s ? Number(s.g) : 0;
    const status: SensorHealth['status'] = e.length ? 'faulty' : n === 0 ? 'silent' : g > 0 ? 'gaps' : 'ok';
    return {
      sensorId: id,
      siteId: d?.site_id ?? '',
      name: d?.name ?? '',
      kind: d?.kind ?? '',
      lastSeen: s && n > 0 ? ms(s.last) : null,
      intervals: n,
      gapIntervals: g,
      zeroIntervals: s ? Number(s.z) : 0,
      meanUptime: s && n > 0 ? Number(s.u) : null,
      status,
      events: e,
    };
  });
}

export interface FootfallPeriod {
  from: number;
  to: number;
  total: number;
  series: { t: number; count: number }[];
}
export interface Footfall {
  sites: string[];
  interval: Interval;
  current: FootfallPeriod;
  previous: FootfallPeriod;
  /** current − previous, and its ratio to previous (null when previous is 0). */
  change: { absolute: number; percent: number | null };
}

/** Site ids matching a street name (case-insensitive substring of the site name; zones excluded). */
export async function sitesByStreet(client: ClickHouseClient, street: string): Promise<string[]> {
  const r = await rows<{ site_id: string }>(
    client,
    `SELECT site_id FROM sites FINAL WHERE kind != 'zone' AND positionCaseInsensitiveUTF8(name, {street:String}) > 0
     ORDER BY site_id`,
    { street },
  );
  return r.map((x) => x.site_id);
}

async function footfallSeries(
  client: ClickHouseClient,
  sites: string[],
  range: TimeRange,
  interval: Interval,
): Promise<FootfallPeriod> {
  const b15 = bucketExpr('window_start', interval === '1m' ? '15m' : interval);
  const bc = bucketExpr('start', interval === '1m' ? '15m' : interval);
  const r = await rows<{ t: number; total: number }>(
    client,
    `SELECT t, sum(c) AS total FROM (
       SELECT toUInt32(toUnixTimestamp(${b15})) AS t, toFloat64(sum(count)) AS c FROM line_counts_15m
       WHERE site_id IN {sites:Array(String)} AND mode = 'pedestrian' AND direction = 'in' AND ${rangeWhere('window_start')}
       GROUP BY t
       UNION ALL
       SELECT toUInt32(toUnixTimestamp(${bc})) AS t, toFloat64(sum(assumeNotNull(count))) AS c FROM counts_bins
       WHERE count IS NOT NULL AND interval = {civ:String} AND ${rangeWhere('start')}
         AND sensor_id IN (SELECT device_id FROM devices FINAL WHERE site_id IN {sites:Array(String)})
         AND (mode = 'pedestrian' OR (mode IN ('', 'all')
              AND sensor_id IN (SELECT device_id FROM devices FINAL WHERE kind = 'pedestrian')))
       GROUP BY t
     ) GROUP BY t ORDER BY t`,
    { ...rangeParams(range), sites, civ: countsInterval(interval === '1m' ? '15m' : interval) },
  );
  const series = r.map((x) => ({ t: ms(x.t), count: Number(x.total) }));
  return { from: range.from, to: range.to, total: series.reduce((a, s) => a + s.count, 0), series };
}

/**
 * Pedestrian counts (camera crossings towards the junction + pedestrian counters) of a set of sites, with the
 * same measure over a comparison period (default: the period of equal length just before).
 */
export async function footfall(
  client: ClickHouseClient,
  opts: TimeRange & { sites: string[]; interval: Interval; compare?: TimeRange },
): Promise<Footfall> {
  const len = opts.to - opts.from;
  const compare = opts.compare ?? { from: opts.from - len, to: opts.from };
  const current = await footfallSeries(client, opts.sites, opts, opts.interval);
  const previous = await footfallSeries(client, opts.sites, compare, opts.interval);
  const absolute = current.total - previous.total;
  return {
    sites: opts.sites,
    interval: opts.interval === '1m' ? '15m' : opts.interval,
    current,
    previous,
    change: { absolute, percent: previous.total > 0 ? (100 * absolute) / previous.total : null },
  };
}
