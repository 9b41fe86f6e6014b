import type { ClickHouseClient } from '@clickhouse/client';
import { armOf, ms, rangeParams, rangeWhere, rows, type TimeRange } from './common.ts';

export interface PeakHour {
  /** Start of the peak hour (epoch ms) and its end (start + 1 h). */
  start: number;
  end: number;
  /** V_hour: volume of the four consecutive 15-minute intervals with the largest sum. */
  volume: number;
  /** V_peak15: the largest 15-minute volume within that hour. */
  peak15Volume: number;
  /** Peak-hour factor PHF = V_hour / (4 × V_peak15), in (0.25, 1]. */
  phf: number;
}

/**
 * Peak hour of a series of 15-minute volumes: the four consecutive intervals (gaps count as zero) with the
 * largest sum; ties go to the earliest. Null when the series is empty or all zero.
 */
export function peakHour(intervals: readonly { start: number; volume: number }[]): PeakHour | null {
  if (intervals.length === 0) return null;
  const step = 900_000;
  const sorted = [...intervals].sort((a, b) => a.start - b.start);
  const t0 = sorted[0].start;
  const n = Math.round((sorted[sorted.length - 1].start - t0) / step) + 1;
  const v = new Float64Array(n);
  for (const x of sorted) v[Math.round((x.start - t0) / step)] += x.volume;
  const win = Math.min(4, n);
  let best = -1;
  let bestI = 0;
  for (let i = 0; i + win <= n; i++) {
    let s = 0;
    for (let j = i; j < i + win; j++) s += v[j];
    if (s > best) {
      best = s;
      bestI = i;
    }
  }
  if (best <= 0) return null;
  let p15 = 0;
  for (let j = bestI; j < bestI + win; j++) p15 = Math.max(p15, v[j]);
  const start = t0 + bestI * step;
  return { start, end: start + 3_600_000, volume: best, peak15Volume: p15, phf: best / (4 * p15) };
}

export interface MovementInfo {
  id: string;
  cameraId: string;
  fromZone: string;
  toZone: string;
  /** Compass arm of the zones (`n`, `ne`, …) as in the zone ids `<camera>:z-<arm>`. */
  fromArm: string;
  toArm: string;
  total: number;
  peakHourVolume: number;
}
export interface TurningMovements {
  site: string;
  from: number;
  to: number;
  movements: MovementInfo[];
  /** One row per 15-minute interval between the first and the last with data; `counts[i]` ↔ `movements[i]`. */
  intervals: { start: number; end: number; counts: number[]; total: number }[];
  peakHour: PeakHour | null;
  total: number;
}

export async function turningMovements(
  client: ClickHouseClient,
  opts: TimeRange & { site: string; modes?: string[] },
): Promise<TurningMovements> {
  const modeWhere = opts.modes?.length ? 'AND mode IN {modes:Array(String)}' : '';
  const r = await rows<{ t: number; camera_id: string; from_zone: string; to_zone: string; c: number }>(
    client,
    `SELECT toUInt32(toUnixTimestamp(window_start)) AS t, camera_id, from_zone, to_zone, toFloat64(sum(count)) AS c
     FROM movements_15m WHERE site_id = {site:String} AND ${rangeWhere('window_start')} ${modeWhere}
     GROUP BY t, camera_id, from_zone, to_zone ORDER BY t, camera_id, from_zone, to_zone`,
    { ...rangeParams(opts), site: opts.site, modes: opts.modes ?? [] },
  );
  const index = new Map<string, number>();
  const movements: MovementInfo[] = [];
  const byT = new Map<number, Map<number, number>>();
  for (const x of r) {
    const id = `${x.from_zone}>${x.to_zone}`;
    let i = index.get(id);
    if (i === undefined) {
      i = movements.length;
      index.set(id, i);
      movements.push({
        id,
        cameraId: x.camera_id,
        fromZone: x.from_zone,
        toZone: x.to_zone,
        fromArm: armOf(x.from_zone),
        toArm: armOf(x.to_zone),
        total: 0,
        peakHourVolume: 0,
      });
    }
    const t = ms(x.t);
    const m = byT.get(t) ?? new Map<number, number>();
    m.set(i, (m.get(i) ?? 0) + Number(x.c));
    byT.set(t, m);
  }
  const times = [...byT.keys()].sort((a, b) => a - b);
  const intervals: TurningMovements['intervals'] = [];
  if (times.length) {
    for (let t = times[0]; t <= times[times.length - 1]; t += 900_000) {
      const m = byT.get(t);
      const counts = movements.map((_, i) => m?.get(i) ?? 0);
      intervals.push({ start: t, end: t + 900_000, counts, total: counts.reduce((a, b) => a + b, 0) });
    }
  }
  for (const iv of intervals) {
    for (let i = 0; i < iv.counts.length; i++) movements[i].total += iv.counts[i];
  }
  const ph = peakHour(intervals.map((iv) => ({ start: iv.start, volume: iv.total })));
  if (ph) {
    for (const iv of intervals) {
      if (iv.start < ph.start || iv.start >= ph.end) continue;
      for (let i = 0; i < iv.counts.length; i++) movements[i].peakHourVolume += iv.counts[i];
    }
  }
  return {
    site: opts.site,
    from: opts.from,
    to: opts.to,
    movements,
    intervals,
    peakHour: ph,
    total: movements.reduce((a, m) => a + m.total, 0),
  };
}

/** The 15-minute table as CSV: one row per interval, one column per movement, plus the total. */
export function turningMovementsCsv(tm: TurningMovements): string {
  const head = ['interval_start', 'interval_end', ...tm.movements.map((m) => `${m.fromArm}>${m.toArm}`), 'total'];
  const lines = [head.join(',')];
  for (const iv of tm.intervals) {
    lines.push(
      [
        new Date(iv.start).toISOString(),
        new Date(iv.end).toISOString(),
        ...iv.counts.map(String),
        String(iv.total),
      ].join(','),
    );
  }
  return `${lines.join('\n')}\n`;
}
