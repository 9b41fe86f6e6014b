/**
 * Typed reads of the counts and OD tables (written by the counts and od-matcher roles, services/workers).
 * Times in and out are epoch ms (UTC). Every query binds its parameters (`query_params`), never interpolates.
 */
import type { ClickHouseClient } from '@clickhouse/client';

export interface CountBin {
  sensorId: string;
  interval: string;
  start: number;
  end: number;
  direction: string;
  mode: string;
  /**
   * Estimate for the whole bin (what was reported, scaled to the bin's full length when reports cover only part of
   * it: `counts_bins.count_extrapolated`, migration 0008); null = gap (nothing observed). An estimator's input,
   * never a published count: publish `reported`.
   */
  count: number | null;
  /** What the counters reported for the part of the bin they covered (the published count); null = gap. */
  reported: number | null;
  /** Share of the bin covered by reports, 0..1. */
  coverage: number;
  uptime: number;
  observedS: number;
}

/**
 * Bins of `counts_1m` with their partial rows summed (view `counts_bins`, migration 0003), for bins starting in
 * [from, to). `sensorIds` empty = every sensor.
 */
export async function countBins(
  client: ClickHouseClient,
  q: { from: number; to: number; interval?: '1m' | '15m' | '1h'; sensorIds?: readonly string[] },
): Promise<CountBin[]> {
  const rs = await client.query({
    query: `SELECT sensor_id, interval, toUnixTimestamp(start) AS s, toUnixTimestamp(end) AS e, direction, mode,
              count AS reported, count_extrapolated AS estimate, coverage, uptime, observed_s
            FROM counts_bins
            WHERE start >= fromUnixTimestamp({from:Int64}) AND start < fromUnixTimestamp({to:Int64})
              AND ({interval:String} = '' OR interval = {interval:String})
              AND (length({sensors:Array(String)}) = 0 OR has({sensors:Array(String)}, sensor_id))
            ORDER BY sensor_id, interval, direction, mode, start`,
    query_params: {
      from: Math.floor(q.from / 1000),
      to: Math.ceil(q.to / 1000),
      interval: q.interval ?? '',
      sensors: [...(q.sensorIds ?? [])],
    },
    format: 'JSONEachRow',
  });
  const rows = await rs.json<{
    sensor_id: string;
    interval: string;
    s: number | string;
    e: number | string;
    direction: string;
    mode: string;
    estimate: number | null;
    reported: number | null;
    coverage: number;
    uptime: number;
    observed_s: number;
  }>();
  return rows.map((r) => ({
    sensorId: r.sensor_id,
    interval: r.interval,
    start: Number(r.s) * 1000,
    end: Number(r.e) * 1000,
    direction: r.direction,
    mode: r.mode,
    count: r.estimate === null ? null : Number(r.estimate),
    reported: r.reported === null ? null : Number(r.reported),
    coverage: Number(r.coverage),
    uptime: Number(r.uptime),
    observedS: Number(r.observed_s),
  }));
}

export interface HealthRow {
  sensorId: string;
  mode: string;
  direction: string;
  kind: string;
  from: number;
  to: number;
  detail: string;
}

/** Sensor health findings overlapping [from, to). */
export async function sensorHealth(
  client: ClickHouseClient,
  q: { from: number; to: number; sensorIds?: readonly string[] },
): Promise<HealthRow[]> {
  const rs = await client.query({
    query: `SELECT DISTINCT sensor_id, mode, direction, kind, toUnixTimestamp(from) AS f, toUnixTimestamp(to) AS t, detail
            FROM sensor_health
            WHERE to > fromUnixTimestamp({from:Int64}) AND from < fromUnixTimestamp({to:Int64})
              AND (length({sensors:Array(String)}) = 0 OR has({sensors:Array(String)}, sensor_id))
            ORDER BY sensor_id, f, kind`,
    query_params: { from: Math.floor(q.from / 1000), to: Math.ceil(q.to / 1000), sensors: [...(q.sensorIds ?? [])] },
    format: 'JSONEachRow',
  });
  const rows = await rs.json<{
    sensor_id: string;
    mode: string;
    direction: string;
    kind: string;
    f: number | string;
    t: number | string;
    detail: string;
  }>();
  return rows.map((r) => ({
    sensorId: r.sensor_id,
    mode: r.mode,
    direction: r.direction,
    kind: r.kind,
    from: Number(r.f) * 1000,
    to: Number(r.t) * 1000,
    detail: r.detail,
  }));
}

export interface StoredOdCell {
  origin: string;
  destination: string;
  mode: string;
  windowStart: number;
  /** Distinct tokens (sum over the cell's rows: one row per matcher instance lifetime). */
  trips: number;
  /** Travel-time quantiles of the cell's largest row. */
  travelTimeP50S?: number;
  travelTimeP85S?: number;
  suppressed: boolean;
  rule: string;
}

/** Reads OD cells of one table (`od_15m`, or `od_1h` rows of kind 'od'), summing the rows of one cell. */
async function readOdCells(
  client: ClickHouseClient,
  table: 'od_15m' | 'od_1h',
  q: { from: number; to: number; mode?: string },
): Promise<StoredOdCell[]> {
  const rs = await client.query({
    query: `SELECT origin, destination, mode, toUnixTimestamp(window_start) AS w, sum(trips) AS n,
              argMax(tt_p50_s, trips) AS p50, argMax(tt_p85_s, trips) AS p85, min(suppressed) AS suppressed,
              any(rule) AS rule
            FROM ${table}
            WHERE ${table === 'od_1h' ? "kind = 'od' AND " : ''}window_start >= fromUnixTimestamp({from:Int64})
              AND window_start < fromUnixTimestamp({to:Int64})
              AND ({mode:String} = '' OR mode = {mode:String})
            GROUP BY origin, destination, mode, window_start
            ORDER BY w, origin, destination, mode`,
    query_params: { from: Math.floor(q.from / 1000), to: Math.ceil(q.to / 1000), mode: q.mode ?? '' },
    format: 'JSONEachRow',
  });
  const rows = await rs.json<{
    origin: string;
    destination: string;
    mode: string;
    w: number | string;
    n: number | string;
    p50: number;
    p85: number;
    suppressed: number;
    rule: string;
  }>();
  return rows.map((r) => {
    const c: StoredOdCell = {
      origin: r.origin,
      destination: r.destination,
      mode: r.mode,
      windowStart: Number(r.w) * 1000,
      trips: Number(r.n),
      suppressed: Number(r.suppressed) === 1,
      rule: r.rule,
    };
    if (!c.suppressed && Number(r.n) > 0) {
      c.travelTimeP50S = Number(r.p50);
      c.travelTimeP85S = Number(r.p85);
    }
    return c;
  });
}

/** OD cells of `od_15m` with windows starting in [from, to). */
export function odCells(
  client: ClickHouseClient,
  q: { from: number; to: number; mode?: string },
): Promise<StoredOdCell[]> {
  return readOdCells(client, 'od_15m', q);
}

/**
 * Hourly OD cells of `od_1h` (kind 'od', migration 0005: k-anonymity applied by the matcher per hour) with hours
 * starting in [from, to). Several rows of one cell (a matcher restart) are summed, each k-anonymous on its own.
 */
export function odHourlyCells(
  client: ClickHouseClient,
  q: { from: number; to: number; mode?: string },
): Promise<StoredOdCell[]> {
  return readOdCells(client, 'od_1h', q);
}

export interface SiteDevicesRow {
  siteId: string;
  zone: string;
  /** Radio: wifi | ble | anpr. */
  kind: string;
  windowStart: number;
  /** Distinct tokens sighted at the site in the hour (0 when suppressed below k). */
  devices: number;
  suppressed: boolean;
}

/** Per-site hourly distinct-token counts of `od_1h` (kind 'site', migration 0005), hours starting in [from, to). */
export async function siteDevices(
  client: ClickHouseClient,
  q: { from: number; to: number },
): Promise<SiteDevicesRow[]> {
  const rs = await client.query({
    query: `SELECT origin AS site, destination AS zone, mode AS radio, toUnixTimestamp(window_start) AS w,
              sum(trips) AS n, min(suppressed) AS suppressed
            FROM od_1h
            WHERE kind = 'site'
              AND window_start >= fromUnixTimestamp({from:Int64}) AND window_start < fromUnixTimestamp({to:Int64})
            GROUP BY origin, destination, mode, window_start
            ORDER BY w, site`,
    query_params: { from: Math.floor(q.from / 1000), to: Math.ceil(q.to / 1000) },
    format: 'JSONEachRow',
  });
  const rows = await rs.json<{
    site: string;
    zone: string;
    radio: string;
    w: number | string;
    n: number | string;
    suppressed: number;
  }>();
  return rows.map((r) => ({
    siteId: r.site,
    zone: r.zone,
    kind: r.radio,
    windowStart: Number(r.w) * 1000,
    devices: Number(r.n),
    suppressed: Number(r.suppressed) === 1,
  }));
}

/** A 15-minute bin of a camera counting line (shaped like a counter's bin; `sensorId` = the line id). */
export interface LineCountBin {
  sensorId: string;
  start: number;
  end: number;
  direction: string;
  mode: string;
  count: number;
}

/**
 * 15-minute bins of camera counting lines (`line_counts_15m`) for bins starting in [from, to), the OD expansion's
 * camera-arm margins. A camera stores no row for a bin without crossings: every (line, direction, mode) seen in the
 * range gets a 0 bin where none is stored, so a quiet bin is a 0, not a gap to impute.
 */
export async function lineCountBins(
  client: ClickHouseClient,
  q: { from: number; to: number; lineIds: readonly string[] },
): Promise<LineCountBin[]> {
  if (q.lineIds.length === 0) return [];
  const rs = await client.query({
    query: `SELECT line_id, toUnixTimestamp(window_start) AS s, direction, mode, sum(count) AS n
            FROM line_counts_15m
            WHERE window_start >= fromUnixTimestamp({from:Int64}) AND window_start < fromUnixTimestamp({to:Int64})
              AND has({lines:Array(String)}, line_id)
            GROUP BY line_id, s, direction, mode`,
    query_params: { from: Math.floor(q.from / 1000), to: Math.ceil(q.to / 1000), lines: [...q.lineIds] },
    format: 'JSONEachRow',
  });
  const rows = await rs.json<{
    line_id: string;
    s: number | string;
    direction: string;
    mode: string;
    n: number | string;
  }>();
  const step = 900_000;
  const stored = new Map<string, number>();
  const series = new Set<string>();
  for (const r of rows) {
    const key = `${r.line_id}\u0000${r.direction}\u0000${r.mode}`;
    series.add(key);
    stored.set(`${key}\u0000${Number(r.s) * 1000}`, Number(r.n));
  }
  const first = Math.ceil(q.from / step) * step;
  const out: LineCountBin[] = [];
  for (const key of [...series].sort()) {
    const [sensorId, direction, mode] = key.split('\u0000');
    for (let t = first; t < q.to; t += step) {
      out.push({ sensorId, start: t, end: t + step, direction, mode, count: stored.get(`${key}\u0000${t}`) ?? 0 });
    }
  }
  return out;
}
