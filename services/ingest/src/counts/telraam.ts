/**
 * Telraam reports (`POST /v1/reports/traffic`, `level: segments`, `format: per-hour`) → CountRecord.
 * Accepts the API response `{report: [...]}`, the archive form `{device_id, month, data: [...]}` or a bare
 * array of report rows.
 *
 * One record per segment × interval × mode × direction:
 * - sensorId `telraam:<segment_id>` (or `telraam:instance:<instance_id>` for instance-level reports);
 * - mode: car → 'car', heavy → 'heavy' (Telraam: "anything larger than a car": vans, trucks, buses),
 *   bike → 'bicycle' (Telraam: two-wheelers, mainly cyclists and motorbikes), pedestrian → 'pedestrian';
 * - direction 'lft' / 'rgt' (Telraam's left/right of the segment; `car` = `car_lft` + `car_rgt`);
 * - start = `date` (UTC start of the interval), end = start + 1 h (`hourly`) or + 24 h (`daily`);
 * - count = Telraam's value AS PUBLISHED: Telraam already extrapolates counts to the whole interval using
 *   the uptime (see @passage/core counts/normalise.ts), so Passage's `count` has exactly Telraam's meaning;
 *   uptime = Telraam's `uptime` (share of the interval actively counting).
 * - uptime 0 means Telraam counted nothing in that interval and reports zeros: Passage records a GAP
 *   (count null, uptime 0), never a zero. Hours missing from the report are gaps for the normaliser.
 * A per-mode value that is null is a gap for that mode only.
 */
import type { CountRecord } from '@passage/stream/contracts';
import { type CountsResult, fail, isRecord, ok, parseIsoInstant, readJson } from './result.ts';

export const TELRAAM_MODES = { car: 'car', heavy: 'heavy', bike: 'bicycle', pedestrian: 'pedestrian' } as const;
const DIRECTIONS = ['lft', 'rgt'] as const;
const INTERVAL_MS: Record<string, number> = { hourly: 3_600_000, daily: 86_400_000 };

export interface TelraamOptions {
  /** Overrides the sensor id (default `telraam:<segment_id>`). */
  sensorId?: (row: { segmentId: number; instanceId: number }) => string;
}

export function parseTelraamReport(input: unknown, options: TelraamOptions = {}): CountsResult {
  const parsed = readJson(input);
  if (!parsed.ok) return fail('PASSAGE_COUNTS_MALFORMED', parsed.detail);
  const doc = parsed.value;
  const rows: unknown = Array.isArray(doc) ? doc : isRecord(doc) ? (doc.report ?? doc.data) : undefined;
  if (!Array.isArray(rows)) {
    return fail('PASSAGE_COUNTS_SCHEMA', 'expected {report: [...]}, {data: [...]} or an array of report rows');
  }
  if (rows.length === 0) return fail('PASSAGE_COUNTS_EMPTY', 'the report holds no rows');
  const out: CountRecord[] = [];
  for (let i = 0; i < rows.length; i++) {
    const r = rows[i];
    const at = `row ${i}`;
    if (!isRecord(r)) return fail('PASSAGE_COUNTS_SCHEMA', `${at}: not an object`);
    const start = parseIsoInstant(r.date);
    if (start === null) return fail('PASSAGE_COUNTS_TIME', `${at}: date must be an ISO 8601 instant with zone`);
    const len = INTERVAL_MS[String(r.interval)];
    if (len === undefined) return fail('PASSAGE_COUNTS_TIME', `${at}: interval must be "hourly" or "daily"`);
    const uptime = r.uptime;
    if (typeof uptime !== 'number' || !(uptime >= 0 && uptime <= 1)) {
      return fail('PASSAGE_COUNTS_SCHEMA', `${at}: uptime must be a number within 0..1`);
    }
    const segmentId = typeof r.segment_id === 'number' ? r.segment_id : -1;
    const instanceId = typeof r.instance_id === 'number' ? r.instance_id : -1;
    if (segmentId < 0 && instanceId < 0)
      return fail('PASSAGE_COUNTS_SCHEMA', `${at}: segment_id or instance_id required`);
    const sensorId = options.sensorId
      ? options.sensorId({ segmentId, instanceId })
      : segmentId >= 0
        ? `telraam:${segmentId}`
        : `telraam:instance:${instanceId}`;
    for (const [field, mode] of Object.entries(TELRAAM_MODES)) {
      for (const dir of DIRECTIONS) {
        const v = r[`${field}_${dir}`];
        if (v !== null && v !== undefined && (typeof v !== 'number' || !Number.isFinite(v) || v < 0)) {
          return fail('PASSAGE_COUNTS_SCHEMA', `${at}: ${field}_${dir} must be a number ≥ 0 or null`);
        }
        const gap = uptime === 0 || v === null || v === undefined;
        out.push({
          sensorId,
          start,
          end: start + len,
          direction: dir,
          mode,
          count: gap ? null : (v as number),
          uptime,
        });
      }
    }
  }
  return ok(out);
}
