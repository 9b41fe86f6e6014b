import type { ClickHouseClient } from '@clickhouse/client';
import { ms, rows } from './common.ts';

export interface LiveMinute {
  /** Minute start, epoch ms. */
  minute: number;
  /** Per site: crossings towards the junction (cameras) or counter reports, by mode. */
  sites: { siteId: string; count: number; byMode: Record<string, number> }[];
}

/** Latest minute with 1-minute aggregates (line counts or counter reports), epoch ms; null when empty. */
export async function latestMinute(client: ClickHouseClient): Promise<number | null> {
  const r = await rows<{ m: number; n: string }>(
    client,
    `SELECT toUInt32(max(m)) AS m, toString(sum(n)) AS n FROM (
       SELECT toUnixTimestamp(max(minute)) AS m, count() AS n FROM line_counts_1m
       UNION ALL SELECT toUnixTimestamp(max(start)), count() FROM counts_bins)`,
  );
  return r.length && Number(r[0].n) > 0 ? ms(r[0].m) : null;
}

/** Aggregates of the minutes after `since` (exclusive, epoch ms), at most `maxMinutes` of them, oldest first. */
export async function liveSince(client: ClickHouseClient, since: number, maxMinutes = 15): Promise<LiveMinute[]> {
  const r = await rows<{ t: number; site_id: string; mode: string; total: number }>(
    client,
    `SELECT t, site_id, mode, sum(c) AS total FROM (
       SELECT toUInt32(toUnixTimestamp(minute)) AS t, site_id, mode, toFloat64(sum(count)) AS c FROM line_counts_1m
       WHERE minute > toDateTime({since:UInt32}, 'UTC') AND direction = 'in' GROUP BY t, site_id, mode
       UNION ALL
       SELECT toUInt32(toUnixTimestamp(toStartOfMinute(cb.start))) AS t, d.site_id AS site_id, cb.mode AS mode,
         toFloat64(sum(assumeNotNull(cb.count))) AS c
       FROM counts_bins AS cb INNER JOIN (SELECT device_id, site_id FROM devices FINAL) AS d ON d.device_id = cb.sensor_id
       WHERE cb.start > toDateTime({since:UInt32}, 'UTC') AND cb.interval = '1m' AND cb.count IS NOT NULL GROUP BY t, site_id, mode
     ) GROUP BY t, site_id, mode ORDER BY t, site_id, mode`,
    { since: Math.floor(since / 1000) },
  );
  const byMinute = new Map<number, Map<string, LiveMinute['sites'][number]>>();
  for (const x of r) {
    const t = ms(x.t);
    const m = byMinute.get(t) ?? new Map();
    const s = m.get(x.site_id) ?? { siteId: x.site_id, count: 0, byMode: {} };
    const c = Number(x.total);
    s.count += c;
    s.byMode[x.mode || 'all'] = (s.byMode[x.mode || 'all'] ?? 0) + c;
    m.set(x.site_id, s);
    byMinute.set(t, m);
  }
  return [...byMinute.entries()]
    .sort((a, b) => a[0] - b[0])
    .slice(-maxMinutes)
    .map(([minute, m]) => ({ minute, sites: [...m.values()] }));
}
