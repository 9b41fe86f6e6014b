/**
 * Shared pieces of the typed read queries. Every value coming from a caller is bound through `query_params`;
 * table names and bucket expressions come from the fixed maps below, never from input.
 */
import type { ClickHouseClient } from '@clickhouse/client';

export type Interval = '1m' | '15m' | '1h' | '1d';

export const INTERVAL_MS: Record<Interval | 'total', number> = {
  '1m': 60_000,
  '15m': 900_000,
  '1h': 3_600_000,
  '1d': 86_400_000,
  total: 0,
};

/** A half-open time range [from, to) in epoch milliseconds (UTC). */
export interface TimeRange {
  from: number;
  to: number;
}

/** Bucket expression over a DateTime column, by interval (column name is one of ours). */
export function bucketExpr(column: string, interval: Interval | 'total'): string {
  switch (interval) {
    case '1m':
      return column;
    case '15m':
      return `toStartOfFifteenMinutes(${column})`;
    case '1h':
      return `toStartOfHour(${column})`;
    case '1d':
      return `toStartOfDay(${column})`;
    case 'total':
      return `toDateTime({from:UInt32}, 'UTC')`;
  }
}

/**
 * Which bins of `counts_bins` feed a bucket: the counts role writes every series at 1m, 15m and 1h (only the
 * intervals at least as long as the sensor's own), so a query reads exactly one of them, never their sum.
 */
export function countsInterval(interval: Interval | 'total'): '1m' | '15m' | '1h' {
  return interval === '1m' ? '1m' : interval === '15m' ? '15m' : '1h';
}

/** Bound parameters of a time range: whole seconds. */
export function rangeParams(r: TimeRange): { from: number; to: number } {
  return { from: Math.floor(r.from / 1000), to: Math.ceil(r.to / 1000) };
}

/** `col` within the bound range. */
export function rangeWhere(column: string): string {
  return `${column} >= toDateTime({from:UInt32}, 'UTC') AND ${column} < toDateTime({to:UInt32}, 'UTC')`;
}

export async function rows<T>(
  client: ClickHouseClient,
  query: string,
  params: Record<string, unknown> = {},
): Promise<T[]> {
  // No `readonly` setting here: on chDB, settings of one query stick to the shared session and would block the
  // writers of the same process. These queries are SELECTs built from fixed text with bound parameters.
  const rs = await client.query({ query, query_params: params, format: 'JSONEachRow' });
  return rs.json<T>();
}

/** Epoch ms of a `toUInt32(toUnixTimestamp(x))` column. */
export const ms = (s: number | string): number => Number(s) * 1000;

/** 'YYYY-MM-DDThh:mm:ssZ' (UTC, no milliseconds). */
export function isoSecond(t: number): string {
  return new Date(t).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** Equirectangular-free helper: arm letters of a camera zone or line id (`cam:z-ne` → `ne`). */
export function armOf(id: string): string {
  const m = /:(?:z|l)-([a-z]+)$/.exec(id);
  return m ? m[1] : id;
}
