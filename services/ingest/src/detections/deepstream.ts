/**
 * NVIDIA DeepStream `nvmsgconv` payloads → `detections.v1` frames.
 *
 * Full schema (`payload-type=0`, DeepStream's default): one message per object,
 *   { messageid, mdsversion: "1.0", "@timestamp": RFC 3339, sensor: { id, … }, object: { id, bbox: { topleftx,
 *     toplefty, bottomrightx, bottomrighty }, vehicle | person | face | bicycle | bag | roadsign | <label>: { …,
 *     confidence? }, … }, event, … }
 *   (NvDsEventMsgMeta path: the class key is vehicle/person/…; NvDsFrameMeta "new API" path: the key is the
 *   detector label, e.g. "car": { confidence }). Messages are grouped into frames by (sensor id, timestamp)
 *   with {@link FrameGrouper}.
 * Minimal schema (`payload-type=1`): one message per frame,
 *   { version: "4.0", id: frame number, "@timestamp", sensorId, objects: ["trackingId|left|top|right|bottom|label
 *     [|#|attribute…|confidence]", …] }.
 *
 * Edge tracking ids become `edgeTrackId` (kept inside the worker; "-1" means untracked and is dropped).
 * Licence plates and other attributes are not carried over. DeepStream writes -0.1 (or omits the field) when
 * it has no confidence: the score is then 1, since DeepStream only publishes objects past its own threshold.
 */
import { normaliseClassLabel } from '@passage/core';
import type { DetectedObject, DetectionFrame } from '@passage/stream/contracts';
import {
  DEFAULT_MAX_BYTES,
  type DetectionsResult,
  fail,
  isRecord,
  MAX_OBJECTS,
  parseRfc3339,
  readJson,
} from './result.ts';

/** One full-schema message: a single object of one sensor's frame. */
export interface DeepStreamObjectMessage {
  sensorId: string;
  ts: number;
  object: DetectedObject;
}

export interface DeepStreamOptions {
  /** Byte limit of one payload. @default 1 MiB */
  maxBytes?: number;
}

const FULL_CLASS_KEYS = ['vehicle', 'person', 'bicycle', 'face', 'bag', 'roadsign'];
const FULL_STRUCTURAL_KEYS = new Set([
  'id',
  'speed',
  'direction',
  'orientation',
  'bbox',
  'location',
  'coordinate',
  'pose',
  'embedding',
  'signature',
  'mask',
  'tracking',
  'confidence',
  'info',
]);

function scoreOf(c: unknown): number {
  return typeof c === 'number' && c >= 0 && c <= 1 ? c : 1;
}

function edgeIdOf(id: unknown): string | number | undefined {
  if (typeof id === 'number') return Number.isInteger(id) && id >= 0 ? id : undefined;
  if (typeof id !== 'string' || id === '' || id === '-1' || id.length > 128) return undefined;
  if (/^\d{1,15}$/.test(id)) return Number(id);
  return id;
}

function bboxFromCorners(l: number, t: number, r: number, b: number): [number, number, number, number] | null {
  if (!Number.isFinite(l) || !Number.isFinite(t) || !Number.isFinite(r) || !Number.isFinite(b)) return null;
  if (!(r > l) || !(b > t)) return null;
  return [l, t, r - l, b - t];
}

/** Parses one full-schema message (text, bytes or an already parsed value). */
export function parseDeepStreamFull(
  input: unknown,
  options: DeepStreamOptions = {},
): DetectionsResult<DeepStreamObjectMessage> {
  const read = readJson(input, options.maxBytes ?? DEFAULT_MAX_BYTES);
  if (!read.ok) return read;
  const m = read.value;
  if (!isRecord(m)) return fail('PASSAGE_DETECTIONS_SCHEMA', '/: expected an object');
  if (m.mdsversion !== undefined && (typeof m.mdsversion !== 'string' || !/^1\./.test(m.mdsversion))) {
    return fail('PASSAGE_DETECTIONS_UNKNOWN_VERSION', '/mdsversion: only 1.x is known');
  }
  const rawTs = m['@timestamp'] ?? m.timestamp;
  const ts = parseRfc3339(rawTs);
  if (ts === null) return fail('PASSAGE_DETECTIONS_BAD_TIMESTAMP', '/@timestamp: expected an RFC 3339 instant');
  const sensor = m.sensor;
  if (!isRecord(sensor)) return fail('PASSAGE_DETECTIONS_SCHEMA', '/sensor: expected an object');
  const sensorId = sensor.id;
  if (typeof sensorId !== 'string' || sensorId.length === 0 || sensorId.length > 128) {
    return fail('PASSAGE_DETECTIONS_SCHEMA', '/sensor/id: expected a non-empty string of ≤ 128 characters');
  }
  const obj = m.object;
  if (!isRecord(obj)) return fail('PASSAGE_DETECTIONS_SCHEMA', '/object: expected an object');
  const bb = obj.bbox;
  if (!isRecord(bb)) return fail('PASSAGE_DETECTIONS_SCHEMA', '/object/bbox: expected an object');
  for (const k of ['topleftx', 'toplefty', 'bottomrightx', 'bottomrighty']) {
    if (typeof bb[k] !== 'number') return fail('PASSAGE_DETECTIONS_SCHEMA', `/object/bbox/${k}: expected a number`);
  }
  const bbox = bboxFromCorners(
    bb.topleftx as number,
    bb.toplefty as number,
    bb.bottomrightx as number,
    bb.bottomrighty as number,
  );
  if (!bbox) return fail('PASSAGE_DETECTIONS_BAD_BBOX', '/object/bbox: needs bottomright > topleft');

  // class: a known class key (event-message path) or the detector label key (frame-meta path)
  let key: string | undefined = FULL_CLASS_KEYS.find((k) => isRecord(obj[k]));
  if (!key) key = Object.keys(obj).find((k) => !FULL_STRUCTURAL_KEYS.has(k) && isRecord(obj[k]));
  let cls = 'unknown';
  let score = scoreOf(obj.confidence);
  if (key) {
    const attrs = obj[key] as Record<string, unknown>;
    cls = normaliseClassLabel(key);
    if (key === 'vehicle' && typeof attrs.type === 'string' && attrs.type.trim() !== '') {
      const t = normaliseClassLabel(attrs.type);
      if (t in REVERSE_MODES) cls = t;
    }
    if (attrs.confidence !== undefined) score = scoreOf(attrs.confidence);
  }
  const object: DetectedObject = { bbox, cls, score };
  const edge = edgeIdOf(obj.id);
  if (edge !== undefined) object.edgeTrackId = edge;
  return { ok: true, value: { sensorId, ts, object } };
}

const REVERSE_MODES: Record<string, true> = { car: true, van: true, truck: true, bus: true, motorcycle: true };

/** Parses one minimal-schema message into a frame. */
export function parseDeepStreamMinimal(
  input: unknown,
  options: DeepStreamOptions = {},
): DetectionsResult<DetectionFrame> {
  const read = readJson(input, options.maxBytes ?? DEFAULT_MAX_BYTES);
  if (!read.ok) return read;
  const m = read.value;
  if (!isRecord(m)) return fail('PASSAGE_DETECTIONS_SCHEMA', '/: expected an object');
  if (typeof m.version !== 'string') return fail('PASSAGE_DETECTIONS_SCHEMA', '/version: expected a string');
  if (!/^4\./.test(m.version)) return fail('PASSAGE_DETECTIONS_UNKNOWN_VERSION', '/version: only 4.x is known');
  const ts = parseRfc3339(m['@timestamp']);
  if (ts === null) return fail('PASSAGE_DETECTIONS_BAD_TIMESTAMP', '/@timestamp: expected an RFC 3339 instant');
  const sensorId = typeof m.sensorId === 'string' ? m.sensorId : m.sensor;
  if (typeof sensorId !== 'string' || sensorId.length === 0 || sensorId.length > 128) {
    return fail('PASSAGE_DETECTIONS_SCHEMA', '/sensorId: expected a non-empty string of ≤ 128 characters');
  }
  const list = m.objects;
  if (!Array.isArray(list)) return fail('PASSAGE_DETECTIONS_SCHEMA', '/objects: expected an array');
  if (list.length > MAX_OBJECTS) {
    return fail('PASSAGE_DETECTIONS_TOO_LARGE', `/objects has ${list.length} objects, more than ${MAX_OBJECTS}`);
  }
  const objects: DetectedObject[] = new Array(list.length);
  for (let i = 0; i < list.length; i++) {
    const s = list[i];
    if (typeof s !== 'string') return fail('PASSAGE_DETECTIONS_SCHEMA', `/objects/${i}: expected a string`);
    const f = s.split('|');
    if (f.length < 6) {
      return fail('PASSAGE_DETECTIONS_SCHEMA', `/objects/${i}: expected trackingId|left|top|right|bottom|label`);
    }
    const bbox = bboxFromCorners(num(f[1]), num(f[2]), num(f[3]), num(f[4]));
    if (!bbox) return fail('PASSAGE_DETECTIONS_BAD_BBOX', `/objects/${i}: needs numeric right > left, bottom > top`);
    let cls = normaliseClassLabel(f[5]);
    let score = 1;
    if (f.length > 6 && f[6] === '#') {
      score = scoreOf(num(f[f.length - 1]));
      // Vehicle attributes: type|make|model|color|license|licenseState|confidence
      if (cls === 'vehicle' && f.length > 7) {
        const t = normaliseClassLabel(f[7]);
        if (t in REVERSE_MODES) cls = t;
      }
    }
    const o: DetectedObject = { bbox, cls, score };
    const edge = edgeIdOf(f[0]);
    if (edge !== undefined) o.edgeTrackId = edge;
    objects[i] = o;
  }
  const frame: DetectionFrame = { cameraId: sensorId, ts, objects };
  const id = typeof m.id === 'string' && /^\d{1,15}$/.test(m.id) ? Number(m.id) : m.id;
  if (typeof id === 'number' && Number.isSafeInteger(id) && id >= 0) frame.frame = id;
  return { ok: true, value: frame };
}

function num(s: string | undefined): number {
  return s === undefined || s.trim() === '' ? Number.NaN : Number(s);
}

/**
 * Either schema, told apart by shape: `objects` array → minimal (a frame); `object` → full (one object, to be
 * grouped). Unknown shapes are SCHEMA failures.
 */
export function parseDeepStream(
  input: unknown,
  options: DeepStreamOptions = {},
): DetectionsResult<{ kind: 'frame'; frame: DetectionFrame } | { kind: 'object'; message: DeepStreamObjectMessage }> {
  const read = readJson(input, options.maxBytes ?? DEFAULT_MAX_BYTES);
  if (!read.ok) return read;
  const v = read.value;
  if (isRecord(v) && Array.isArray(v.objects)) {
    const r = parseDeepStreamMinimal(v, options);
    return r.ok ? { ok: true, value: { kind: 'frame', frame: r.value } } : r;
  }
  if (isRecord(v) && v.object !== undefined) {
    const r = parseDeepStreamFull(v, options);
    return r.ok ? { ok: true, value: { kind: 'object', message: r.value } } : r;
  }
  return fail('PASSAGE_DETECTIONS_SCHEMA', '/: neither a DeepStream full (object) nor minimal (objects) payload');
}

export interface FrameGrouperOptions {
  /** A pending frame is emitted this long (arrival clock, ms) after its first message at the latest. @default 100 */
  maxDelayMs?: number;
  /** Messages whose timestamps differ by at most this join the same frame. @default 0 */
  tsToleranceMs?: number;
  /**
   * A message repeating an edge track id already in the pending frame starts a new frame (the same object
   * cannot be twice in one frame; helps when per-object timestamps jitter). @default true
   */
  splitOnRepeatedTrackId?: boolean;
}

interface Pending {
  ts: number;
  firstArrival: number;
  objects: DetectedObject[];
  ids: Set<string | number>;
}

/**
 * Groups full-schema messages (one object each) into frames per sensor. A frame is emitted when a message
 * with a later timestamp arrives for that sensor, when it reaches {@link MAX_OBJECTS}, or by {@link poll}
 * `maxDelayMs` after its first message. Messages older than the sensor's pending or last emitted frame are
 * late: dropped and counted in `late`.
 */
export class FrameGrouper {
  private readonly maxDelayMs: number;
  private readonly tol: number;
  private readonly splitOnRepeat: boolean;
  private readonly pending = new Map<string, Pending>();
  private readonly lastEmitted = new Map<string, number>();
  /** Messages dropped because their frame was already emitted or a newer one is pending. */
  late = 0;

  constructor(options: FrameGrouperOptions = {}) {
    this.maxDelayMs = options.maxDelayMs ?? 100;
    this.tol = options.tsToleranceMs ?? 0;
    this.splitOnRepeat = options.splitOnRepeatedTrackId ?? true;
  }

  /** Adds a message; returns the frames it completed (usually none or one). */
  push(msg: DeepStreamObjectMessage, arrivalMs: number = Date.now()): DetectionFrame[] {
    const out: DetectionFrame[] = [];
    const sensor = msg.sensorId;
    let p = this.pending.get(sensor);
    if (!p) {
      const last = this.lastEmitted.get(sensor);
      if (last !== undefined && msg.ts <= last + this.tol) {
        this.late++;
        return out;
      }
    } else {
      const edge = msg.object.edgeTrackId;
      const repeated = this.splitOnRepeat && edge !== undefined && p.ids.has(edge);
      if (msg.ts < p.ts - this.tol) {
        this.late++;
        return out;
      }
      if (msg.ts > p.ts + this.tol || repeated || p.objects.length >= MAX_OBJECTS) {
        out.push(this.emit(sensor, p));
        p = undefined;
      }
    }
    if (!p) {
      p = { ts: msg.ts, firstArrival: arrivalMs, objects: [], ids: new Set() };
      this.pending.set(sensor, p);
    }
    p.objects.push(msg.object);
    if (msg.object.edgeTrackId !== undefined) p.ids.add(msg.object.edgeTrackId);
    return out;
  }

  /** Emits the frames waiting longer than `maxDelayMs`. Call on a timer or per poll of the consumer. */
  poll(nowMs: number = Date.now()): DetectionFrame[] {
    const out: DetectionFrame[] = [];
    for (const [sensor, p] of this.pending) {
      if (nowMs - p.firstArrival >= this.maxDelayMs) out.push(this.emit(sensor, p));
    }
    return out;
  }

  /** Emits everything pending (end of input, shutdown). */
  flushAll(): DetectionFrame[] {
    const out: DetectionFrame[] = [];
    for (const [sensor, p] of this.pending) out.push(this.emit(sensor, p));
    return out;
  }

  /** Frames waiting. */
  get pendingFrames(): number {
    return this.pending.size;
  }

  private emit(sensor: string, p: Pending): DetectionFrame {
    this.pending.delete(sensor);
    this.lastEmitted.set(sensor, p.ts);
    return { cameraId: sensor, ts: p.ts, objects: p.objects };
  }
}
