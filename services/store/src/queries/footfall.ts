/** Footfall reads and calendar events (migration 0010). */
import type { ClickHouseClient } from '@clickhouse/client';
import { rows } from './common.ts';

export interface StoredHour {
  sensorId: string;
  /** ms since epoch */
  start: number;
  /** null = gap */
  count: number | null;
}

/** Hourly counts per sensor (summed over modes and directions; null when nothing was observed). */
export async function hourlySensorCounts(
  client: ClickHouseClient,
  o: { from?: number; to?: number; sensors?: string[] } = {},
): Promise<StoredHour[]> {
  const where = ["interval = '1h'"];
  const p: Record<string, unknown> = {};
  if (o.from !== undefined) {
    where.push('start >= fromUnixTimestamp({from:UInt32})');
    p.from = Math.floor(o.from / 1000);
  }
  if (o.to !== undefined) {
    where.push('start < fromUnixTimestamp({to:UInt32})');
    p.to = Math.floor(o.to / 1000);
  }
  if (o.sensors?.length) {
    where.push('sensor_id IN {sensors:Array(String)}');
    p.sensors = o.sensors;
  }
  const r = await rows<{ sensor_id: string; t: number; c: number | null }>(
    client,
    `SELECT sensor_id, toUInt32(toUnixTimestamp(start)) AS t,
       if(countIf(count IS NOT NULL) = 0, NULL, toFloat64(sum(count))) AS c
     FROM counts_bins WHERE ${where.join(' AND ')} GROUP BY sensor_id, t ORDER BY sensor_id, t`,
    p,
  );
  return r.map((x) => ({ sensorId: x.sensor_id, start: Number(x.t) * 1000, count: x.c === null ? null : Number(x.c) }));
}

export interface StoredEvent {
  id: string;
  kind: string;
  name: string;
  from: string;
  to: string;
  region: string;
  sensors: string[];
}

export async function insertCalendarEvents(client: ClickHouseClient, events: readonly StoredEvent[]): Promise<void> {
  if (events.length === 0) return;
  await client.insert({
    table: 'calendar_events',
    format: 'JSONEachRow',
    values: events.map((e) => ({
      id: e.id,
      kind: e.kind,
      name: e.name,
      from_date: e.from,
      to_date: e.to,
      region: e.region,
      sensors: e.sensors,
    })),
  });
}

/** Events overlapping [from, to] (local dates, inclusive), latest version of each id. */
export async function listCalendarEvents(
  client: ClickHouseClient,
  o: { from?: string; to?: string } = {},
): Promise<StoredEvent[]> {
  const r = await rows<{
    id: string;
    kind: string;
    name: string;
    f: string;
    t: string;
    region: string;
    sensors: string[];
  }>(
    client,
    `SELECT id, kind, name, toString(from_date) AS f, toString(to_date) AS t, region, sensors
     FROM calendar_events FINAL
     WHERE calendar_events.to_date >= toDate({from:String}) AND calendar_events.from_date <= toDate({to:String})
     ORDER BY f, id`,
    { from: o.from ?? '1970-01-01', to: o.to ?? '2149-06-06' },
  );
  return r.map((x) => ({
    id: x.id,
    kind: x.kind,
    name: x.name,
    from: x.f,
    to: x.t,
    region: x.region,
    sensors: x.sensors,
  }));
}
