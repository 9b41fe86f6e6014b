import type { ClickHouseClient } from '@clickhouse/client';
import { ms, rangeParams, rangeWhere, rows, type TimeRange } from './common.ts';

export interface ClassifiedMovement {
  /** Start of the 15-min interval, epoch ms. */
  start: number;
  cameraId: string;
  fromZone: string;
  toZone: string;
  mode: string;
  count: number;
}

/**
 * Turning movements by class and 15-min interval for some cameras (the signals analysis converts them to
 * passenger-car units). Same table as the turning-movement view (`movements_15m`), so the numbers are equal.
 */
export async function classifiedMovements(
  client: ClickHouseClient,
  opts: Partial<TimeRange> & { cameras: readonly string[] },
): Promise<ClassifiedMovement[]> {
  // A store nothing was written to has no tables yet: that is "no movements", not an error.
  const exists = await rows<{ result: number }>(client, 'EXISTS TABLE movements_15m');
  if (!Number(exists[0]?.result)) return [];
  const range = opts.from !== undefined && opts.to !== undefined;
  const r = await rows<{ t: number; camera_id: string; from_zone: string; to_zone: string; mode: string; c: number }>(
    client,
    `SELECT toUInt32(toUnixTimestamp(window_start)) AS t, camera_id, from_zone, to_zone, mode, toFloat64(sum(count)) AS c
     FROM movements_15m WHERE camera_id IN {cameras:Array(String)} ${range ? `AND ${rangeWhere('window_start')}` : ''}
     GROUP BY t, camera_id, from_zone, to_zone, mode ORDER BY t, camera_id, from_zone, to_zone, mode`,
    { ...(range ? rangeParams(opts as TimeRange) : {}), cameras: [...opts.cameras] },
  );
  return r.map((x) => ({
    start: ms(x.t),
    cameraId: x.camera_id,
    fromZone: x.from_zone,
    toZone: x.to_zone,
    mode: x.mode,
    count: Number(x.c),
  }));
}

/** First and last time of the stored turning movements of some cameras, epoch ms; null when there are none. */
export async function movementsExtent(
  client: ClickHouseClient,
  cameras: readonly string[],
): Promise<{ from: number; to: number } | null> {
  const exists = await rows<{ result: number }>(client, 'EXISTS TABLE movements_15m');
  if (!Number(exists[0]?.result)) return null;
  const r = await rows<{ lo: number; hi: number; n: string }>(
    client,
    `SELECT toUInt32(toUnixTimestamp(min(window_start))) AS lo, toUInt32(toUnixTimestamp(max(window_start)) + 900) AS hi,
       toString(count()) AS n FROM movements_15m WHERE camera_id IN {cameras:Array(String)}`,
    { cameras: [...cameras] },
  );
  if (!r.length || Number(r[0].n) === 0) return null;
  return { from: Number(r[0].lo) * 1000, to: Number(r[0].hi) * 1000 };
}

export interface QueueDischarge {
  cameraId: string;
  fromZone: string;
  /** Exit zone of the movement, `'*'` for the whole approach. */
  toZone: string;
  headways: number;
  headwaySumS: number;
  pcuSum: number;
}

/**
 * Saturated headways from queue discharge (`queue_discharge_15m`, the video-flows role's `DischargeMeter`) summed
 * over a period, per camera, approach and movement. Empty when the store has no such table or rows.
 */
export async function queueDischarge(
  client: ClickHouseClient,
  opts: Partial<TimeRange> & { cameras: readonly string[] },
): Promise<QueueDischarge[]> {
  const exists = await rows<{ result: number }>(client, 'EXISTS TABLE queue_discharge_15m');
  if (!Number(exists[0]?.result)) return [];
  const range = opts.from !== undefined && opts.to !== undefined;
  const r = await rows<{ camera_id: string; from_zone: string; to_zone: string; n: string; h: number; p: number }>(
    client,
    `SELECT camera_id, from_zone, to_zone, toString(sum(headways)) AS n, toFloat64(sum(headway_sum_s)) AS h,
       toFloat64(sum(pcu_sum)) AS p
     FROM queue_discharge_15m WHERE camera_id IN {cameras:Array(String)} ${range ? `AND ${rangeWhere('window_start')}` : ''}
     GROUP BY camera_id, from_zone, to_zone ORDER BY camera_id, from_zone, to_zone`,
    { ...(range ? rangeParams(opts as TimeRange) : {}), cameras: [...opts.cameras] },
  );
  return r.map((x) => ({
    cameraId: x.camera_id,
    fromZone: x.from_zone,
    toZone: x.to_zone,
    headways: Number(x.n),
    headwaySumS: Number(x.h),
    pcuSum: Number(x.p),
  }));
}
