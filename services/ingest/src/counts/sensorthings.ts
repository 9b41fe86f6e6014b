/**
 * OGC SensorThings API (v1.0 / v1.1) Observations → CountRecord. Accepts a collection
 * `{"value": [Observation, ...], "@iot.nextLink"?: ...}`, a bare array, or a single Observation.
 *
 * - sensorId: `sta:<datastream id>`, the id taken from `Datastream@iot.navigationLink` ending in
 *   `Datastreams(<id>)` or `Datastreams('<id>')`, from an expanded `Datastream: {"@iot.id": …}`, or from
 *   `options.datastreamId` (needed for links like `Observations(1)/Datastream` that do not name it).
 * - phenomenonTime: an ISO 8601 interval `start/end` gives the counting interval. An instant needs
 *   `options.instantIntervalMs` and `options.instantIs` ('end' by default: counters stamp the end of the
 *   interval they report) — otherwise PASSAGE_COUNTS_NO_PERIOD.
 * - result: a number ≥ 0 is the count; null is a gap. Anything else is rejected.
 * - mode/direction: from options (a Datastream's ObservedProperty says what is counted; map it there).
 */
import type { CountRecord } from '@passage/stream/contracts';
import { type CountsResult, fail, isRecord, ok, parseIsoInstant, readJson } from './result.ts';

export interface SensorThingsOptions {
  datastreamId?: string;
  instantIntervalMs?: number;
  /** @default 'end' */
  instantIs?: 'start' | 'end';
  mode?: string | ((datastreamId: string) => string | undefined);
  direction?: string | ((datastreamId: string) => string | undefined);
}

const DS_RE = /Datastreams\(\s*'?([^')]+)'?\s*\)/;

function datastreamOf(o: Record<string, unknown>, options: SensorThingsOptions): string | null {
  const ds = o.Datastream;
  if (isRecord(ds) && (typeof ds['@iot.id'] === 'number' || typeof ds['@iot.id'] === 'string')) {
    return String(ds['@iot.id']);
  }
  const link = o['Datastream@iot.navigationLink'];
  if (typeof link === 'string') {
    const m = DS_RE.exec(link);
    if (m) return m[1];
  }
  return options.datastreamId ?? null;
}

function pick(v: SensorThingsOptions['mode'], ds: string): string | undefined {
  return typeof v === 'function' ? v(ds) : v;
}

export function parseSensorThingsObservations(input: unknown, options: SensorThingsOptions = {}): CountsResult {
  const parsed = readJson(input);
  if (!parsed.ok) return fail('PASSAGE_COUNTS_MALFORMED', parsed.detail);
  const doc = parsed.value;
  let list: unknown[];
  if (Array.isArray(doc)) list = doc;
  else if (isRecord(doc) && Array.isArray(doc.value)) list = doc.value;
  else if (isRecord(doc) && 'phenomenonTime' in doc) list = [doc];
  else return fail('PASSAGE_COUNTS_SCHEMA', 'expected {"value": [Observation…]}, an array or one Observation');
  if (list.length === 0) return fail('PASSAGE_COUNTS_EMPTY', 'no observation');
  const out: CountRecord[] = [];
  for (let i = 0; i < list.length; i++) {
    const o = list[i];
    const at = `observation ${i}`;
    if (!isRecord(o)) return fail('PASSAGE_COUNTS_SCHEMA', `${at}: not an object`);
    const ds = datastreamOf(o, options);
    if (ds === null) {
      return fail('PASSAGE_COUNTS_SCHEMA', `${at}: no Datastream id in the observation; pass options.datastreamId`);
    }
    const pt = o.phenomenonTime;
    if (typeof pt !== 'string') return fail('PASSAGE_COUNTS_TIME', `${at}: phenomenonTime missing`);
    let start: number | null;
    let end: number | null;
    const slash = pt.indexOf('/');
    if (slash >= 0) {
      start = parseIsoInstant(pt.slice(0, slash));
      end = parseIsoInstant(pt.slice(slash + 1));
      if (start === null || end === null || end <= start) {
        return fail(
          'PASSAGE_COUNTS_TIME',
          `${at}: phenomenonTime interval must be start/end instants with end > start`,
        );
      }
    } else {
      const t = parseIsoInstant(pt);
      if (t === null) return fail('PASSAGE_COUNTS_TIME', `${at}: phenomenonTime is not an ISO 8601 instant with zone`);
      const len = options.instantIntervalMs;
      if (len === undefined || !(len > 0)) {
        return fail(
          'PASSAGE_COUNTS_NO_PERIOD',
          `${at}: phenomenonTime is an instant; set options.instantIntervalMs to the counting interval`,
        );
      }
      if ((options.instantIs ?? 'end') === 'end') {
        start = t - len;
        end = t;
      } else {
        start = t;
        end = t + len;
      }
      if (start < 0) return fail('PASSAGE_COUNTS_TIME', `${at}: interval starts before 1970`);
    }
    const result = o.result;
    if (result !== null && (typeof result !== 'number' || !Number.isFinite(result) || result < 0)) {
      return fail('PASSAGE_COUNTS_SCHEMA', `${at}: result must be a number ≥ 0 or null`);
    }
    const rec: CountRecord = { sensorId: `sta:${ds}`, start, end, count: result };
    const mode = pick(options.mode, ds);
    const direction = pick(options.direction, ds);
    if (mode !== undefined) rec.mode = mode;
    if (direction !== undefined) rec.direction = direction;
    out.push(rec);
  }
  return ok(out);
}
