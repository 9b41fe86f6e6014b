/**
 * The French national counting schema (schema-comptage-mobilites v0.2.5, copied beside this file): `sites.csv`,
 * `channels.csv`, `measures.csv` for every counting site — camera junctions (one channel per counting line ×
 * direction × mode) and counters (one channel per direction × reported mode).
 *
 * Measures are hourly. Privacy rule: a count c with 0 < c < k is written empty (suppressed); 0 is written as 0.
 * Counter gaps (no report) are written empty too, as the schema asks for intervals without a count.
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ClickHouseClient } from '@clickhouse/client';
import { isoSecond, rangeParams, rangeWhere, rows, type TimeRange } from '../queries/common.ts';
import { inseeCodeAt } from './communes.ts';
import type { Cell, TableSchema } from './tableschema.ts';

export const COUNTING_SCHEMA_DIR = join(dirname(fileURLToPath(import.meta.url)), 'schema-comptage-mobilites');

export function countingSchema(table: 'site' | 'channel' | 'measure'): TableSchema {
  return JSON.parse(readFileSync(join(COUNTING_SCHEMA_DIR, table, 'schema.json'), 'utf8')) as TableSchema;
}

/** Passage modes → the schema's `mobility_type` values. */
export const MOBILITY_TYPE: Record<string, string> = {
  pedestrian: 'PEDESTRIAN',
  bicycle: 'BIKE',
  motorcycle: 'TWO WHEELS MOTORIZED',
  car: 'CAR',
  van: 'VAN',
  truck: 'TRUCK',
  bus: 'BUS',
  /** Telraam's heavy class: trucks and buses. */
  heavy: 'TRUCK,BUS',
};
const CAMERA_MODES = ['pedestrian', 'bicycle', 'motorcycle', 'car', 'van', 'truck', 'bus'];

const COUNTER_TYPE: Record<string, string> = {
  camera: 'VIDEO SENSOR',
  telraam: 'VIDEO SENSOR',
  loop: 'INDUCTIVE LOOP',
  bike: 'INDUCTIVE LOOP',
  pedestrian: 'PASSIVE INFRARED',
};

const COMPASS = ['N', 'NE', 'E', 'SE', 'S', 'SW', 'W', 'NW'];

/**
 * Compass direction of travel of a crossing of segment a→b: 'in' = left-to-right (the right-hand normal of a→b
 * in the east/north frame), 'out' = the opposite.
 */
export function crossingCompass(a: [number, number], b: [number, number], direction: 'in' | 'out'): string {
  const cos = Math.cos(((a[1] + b[1]) / 2) * (Math.PI / 180));
  const dx = (b[0] - a[0]) * cos;
  const dy = b[1] - a[1];
  let nx = dy;
  let ny = -dx;
  if (direction === 'out') {
    nx = -nx;
    ny = -ny;
  }
  const bearing = ((Math.atan2(nx, ny) * 180) / Math.PI + 360) % 360;
  return COMPASS[Math.round(bearing / 45) % 8];
}

export interface CountingTables {
  sites: { columns: string[]; rows: Cell[][] };
  channels: { columns: string[]; rows: Cell[][] };
  measures: { columns: string[]; rows: Cell[][] };
  suppressedCells: number;
}

interface Channel {
  id: string;
  siteId: string;
  counterId: string;
  source: 'line' | 'sensor';
  /** line id or sensor id, direction and mode as stored in the aggregates ('' = all modes of the sensor). */
  key: string;
  direction: 'in' | 'out';
  mode: string;
  row: Cell[];
}

const key = (id: string, dir: string, mode: string) => `${id}\u0000${dir}\u0000${mode}`;

export async function countingTables(
  client: ClickHouseClient,
  opts: TimeRange & { k: number; providerName?: string; now?: number },
): Promise<CountingTables> {
  const p = rangeParams(opts);
  const siteRows = await rows<{ site_id: string; name: string; kind: string; lon: number; lat: number }>(
    client,
    `SELECT site_id, name, kind, lon, lat FROM sites FINAL WHERE kind IN ('intersection', 'counter') ORDER BY site_id`,
  );
  const devRows = await rows<{ device_id: string; site_id: string; kind: string; name: string; config: string }>(
    client,
    `SELECT device_id, site_id, kind, name, config FROM devices FINAL
     WHERE kind NOT IN ('wifi', 'ble', 'anpr') ORDER BY device_id`,
  );
  const sensorModes = await rows<{ sensor_id: string; direction: string; mode: string }>(
    client,
    `SELECT DISTINCT sensor_id, direction, mode FROM counts_bins WHERE interval = '1h' AND ${rangeWhere('start')}
     ORDER BY sensor_id, direction, mode`,
    p,
  );
  const startedAt = isoSecond(opts.from);
  const updatedAt = isoSecond(opts.now ?? Date.now());
  const provider = opts.providerName ?? 'Passage';
  const channelCols = countingSchema('channel').fields.map((f) => f.name);
  const channels: Channel[] = [];
  const mkRow = (c: {
    id: string;
    siteId: string;
    mobility: string;
    counterType: string;
    compass: string;
    dir: 'in' | 'out';
    /** The feed's own direction code when it is not in/out (Telraam lft/rgt). */
    dirCode?: string;
    dirName: string;
  }): Cell[] => {
    const v: Record<string, Cell> = {
      channel_id: c.id,
      site_id: c.siteId,
      mobility_type: c.mobility,
      counter_transmission_type: 'REMOTE TRANSMISSION',
      publication_transmission_type: 'API',
      counter_type: c.counterType,
      direction: c.compass,
      provider_direction_code: (c.dirCode || c.dir).toUpperCase(),
      provider_direction_name: c.dirName,
      data_provider_name: provider,
      temporality: 'PERMANENT',
      started_at: startedAt,
      last_updated_at: updatedAt,
      time_step: 3600,
    };
    return channelCols.map((n) => v[n] ?? null);
  };
  const sensorSeen = new Map<string, { direction: string; mode: string }[]>();
  for (const s of sensorModes) {
    const l = sensorSeen.get(s.sensor_id) ?? [];
    l.push({ direction: s.direction, mode: s.mode });
    sensorSeen.set(s.sensor_id, l);
  }
  for (const d of devRows) {
    const cfg = JSON.parse(d.config || '{}') as {
      lines?: { id: string; name: string; a: [number, number]; b: [number, number] }[];
      modes?: string[];
      line?: { a: [number, number]; b: [number, number] };
      inDirection?: string;
    };
    if (d.kind === 'camera') {
      for (const line of cfg.lines ?? []) {
        for (const dir of ['in', 'out'] as const) {
          for (const mode of CAMERA_MODES) {
            const id = `${line.id}/${dir}/${mode}`;
            channels.push({
              id,
              siteId: d.site_id,
              counterId: d.device_id,
              source: 'line',
              key: key(line.id, dir, mode),
              direction: dir,
              mode,
              row: mkRow({
                id,
                siteId: d.site_id,
                mobility: MOBILITY_TYPE[mode],
                counterType: COUNTER_TYPE.camera,
                compass: crossingCompass(line.a, line.b, dir),
                dir,
                dirName: `${line.name}: ${dir === 'in' ? 'towards the junction' : 'away from the junction'}`,
              }),
            });
          }
        }
      }
    } else {
      const seen = sensorSeen.get(d.device_id) ?? [
        { direction: 'in', mode: '' },
        { direction: 'out', mode: '' },
      ];
      for (const s of seen) {
        const dir = s.direction === 'out' ? 'out' : 'in';
        const modes = s.mode && s.mode !== 'all' ? [s.mode] : (cfg.modes ?? []);
        const mobility = [...new Set(modes.map((m) => MOBILITY_TYPE[m] ?? 'UNDEFINED'))].join(',') || 'UNDEFINED';
        const id = `${d.device_id}/${s.direction || 'in'}/${s.mode || 'all'}`;
        channels.push({
          id,
          siteId: d.site_id,
          counterId: d.device_id,
          source: 'sensor',
          key: key(d.device_id, s.direction, s.mode),
          direction: dir,
          mode: s.mode,
          row: mkRow({
            id,
            siteId: d.site_id,
            mobility,
            counterType: COUNTER_TYPE[d.kind] ?? 'OTHER',
            compass: cfg.line ? crossingCompass(cfg.line.a, cfg.line.b, dir) : '',
            dir,
            dirCode: s.direction,
            dirName: cfg.inDirection ? `${dir === 'in' ? 'in' : 'opposite of in'}: ${cfg.inDirection}` : '',
          }),
        });
      }
    }
  }
  // Hourly sums: camera lines from the 15-minute roll-up, counters from their reports (gaps stay null).
  const lineHours = await rows<{ t: number; line_id: string; direction: string; mode: string; c: number }>(
    client,
    `SELECT toUInt32(toUnixTimestamp(toStartOfHour(window_start))) AS t, line_id, direction, mode,
       toFloat64(sum(count)) AS c FROM line_counts_15m WHERE ${rangeWhere('window_start')}
     GROUP BY t, line_id, direction, mode`,
    p,
  );
  const sensorHours = await rows<{ t: number; sensor_id: string; direction: string; mode: string; c: number | null }>(
    client,
    `SELECT toUInt32(toUnixTimestamp(toStartOfHour(start))) AS t, sensor_id, direction, mode,
       if(countIf(count IS NOT NULL) = 0, NULL, toFloat64(sum(count))) AS c
     FROM counts_bins WHERE interval = '1h' AND ${rangeWhere('start')} GROUP BY t, sensor_id, direction, mode`,
    p,
  );
  const values = new Map<string, number | null>();
  let lo = Number.POSITIVE_INFINITY;
  let hi = Number.NEGATIVE_INFINITY;
  for (const x of lineHours) {
    const t = Number(x.t) * 1000;
    values.set(`${key(x.line_id, x.direction, x.mode)}\u0000${t}`, Number(x.c));
    lo = Math.min(lo, t);
    hi = Math.max(hi, t);
  }
  for (const x of sensorHours) {
    const t = Number(x.t) * 1000;
    values.set(`${key(x.sensor_id, x.direction, x.mode)}\u0000${t}`, x.c === null ? null : Number(x.c));
    lo = Math.min(lo, t);
    hi = Math.max(hi, t);
  }
  const measureCols = countingSchema('measure').fields.map((f) => f.name);
  const measures: Cell[][] = [];
  let suppressedCells = 0;
  // Every channel gets a row for every hour with data anywhere (the schema wants empty intervals present).
  if (Number.isFinite(lo)) {
    for (let t = lo; t <= hi; t += 3_600_000) {
      for (const c of channels) {
        const raw = values.get(`${c.key}\u0000${t}`);
        let count: number | null = raw === undefined ? (c.source === 'line' ? 0 : null) : raw;
        if (count !== null && count > 0 && count < opts.k) {
          count = null;
          suppressedCells++;
        }
        const v: Record<string, Cell> = {
          channel_id: c.id,
          counter_id: c.counterId,
          start_datetime: isoSecond(t),
          end_datetime: isoSecond(t + 3_600_000),
          count: count === null ? null : Math.round(count * 100) / 100,
        };
        measures.push(measureCols.map((n) => v[n] ?? null));
      }
    }
  }
  const usedSites = new Set(channels.map((c) => c.siteId));
  const siteCols = countingSchema('site').fields.map((f) => f.name);
  const sites: Cell[][] = siteRows
    .filter((s) => usedSites.has(s.site_id))
    .map((s) => {
      const v: Record<string, Cell> = {
        site_id: s.site_id,
        site_name: s.name,
        fr_insee_code: inseeCodeAt(s.lon, s.lat),
        xlong: s.lon.toFixed(7),
        ylat: s.lat.toFixed(7),
        infrastructure_type: 'MUNICIPAL ROAD',
      };
      return siteCols.map((n) => v[n] ?? null);
    });
  return {
    sites: { columns: siteCols, rows: sites },
    channels: { columns: channelCols, rows: channels.map((c) => c.row) },
    measures: { columns: measureCols, rows: measures },
    suppressedCells,
  };
}
