/**
 * MOTChallenge text (det.txt / gt.txt / tracker output) → `detections.v1` frames, for evaluation.
 * One row per box: `frame, id, bb_left, bb_top, bb_width, bb_height, conf, x, y, z` (MOT15; MOT16+ put
 * class and visibility in columns 8–9), comma or whitespace separated, frames numbered from 1.
 * Frame f gets ts = startTs + (f − 1) · 1000 / fps. Frames without rows are emitted empty (a sequence is
 * dense: the tracker must see time pass). An id ≥ 0 becomes `edgeTrackId`; conf −1 ("not given") or outside
 * [0, 1] becomes score 1 / clamped. With `groundTruth`, rows whose conf flag is 0 (ignore) are skipped.
 */
import type { DetectedObject, DetectionFrame } from '@passage/stream/contracts';
import { type DetectionsResult, fail, MAX_OBJECTS } from './result.ts';

export interface MotOptions {
  cameraId: string;
  /** Frame rate of the sequence (TUD-Campus: 25). */
  fps: number;
  /** Epoch ms of frame 1. @default 0 */
  startTs?: number;
  width?: number;
  height?: number;
  /** Class label of every box (MOTChallenge is about pedestrians). @default 'person' */
  cls?: string;
  /** Treat column 7 as the gt "consider" flag: skip rows with 0, score 1. @default false */
  groundTruth?: boolean;
  /** Character limit of the text. @default 64 MiB */
  maxChars?: number;
}

export function parseMotChallenge(text: string, options: MotOptions): DetectionsResult<DetectionFrame[]> {
  const maxChars = options.maxChars ?? 64 * 1024 * 1024;
  if (typeof text !== 'string') return fail('PASSAGE_DETECTIONS_SCHEMA', 'expected MOTChallenge text');
  if (text.length > maxChars) return fail('PASSAGE_DETECTIONS_TOO_LARGE', `text exceeds ${maxChars} characters`);
  if (!(options.fps > 0)) return fail('PASSAGE_DETECTIONS_SCHEMA', 'options.fps must be > 0');
  const cls = options.cls ?? 'person';
  const startTs = options.startTs ?? 0;
  const byFrame = new Map<number, DetectedObject[]>();
  let maxFrame = 0;
  const lines = text.split(/\r?\n/);
  for (let ln = 0; ln < lines.length; ln++) {
    const line = lines[ln].trim();
    if (line === '' || line.startsWith('#')) continue;
    const f = line.split(/\s*,\s*|\s+/);
    const where = `line ${ln + 1}`;
    if (f.length < 6) return fail('PASSAGE_DETECTIONS_SCHEMA', `${where}: expected at least 6 columns`);
    const frame = Number(f[0]);
    const id = Number(f[1]);
    if (!Number.isInteger(frame) || frame < 1) {
      return fail('PASSAGE_DETECTIONS_SCHEMA', `${where}: frame must be an integer ≥ 1`);
    }
    if (!Number.isFinite(id)) return fail('PASSAGE_DETECTIONS_SCHEMA', `${where}: id must be a number`);
    const l = Number(f[2]);
    const t = Number(f[3]);
    const w = Number(f[4]);
    const h = Number(f[5]);
    if (!Number.isFinite(l) || !Number.isFinite(t) || !(w > 0) || !(h > 0) || !Number.isFinite(w + h)) {
      return fail('PASSAGE_DETECTIONS_BAD_BBOX', `${where}: needs finite left, top and width, height > 0`);
    }
    if (frame > maxFrame) maxFrame = frame;
    const conf = f.length > 6 ? Number(f[6]) : -1;
    if (options.groundTruth && conf === 0) continue;
    const score = options.groundTruth || !(conf >= 0) ? 1 : Math.min(1, conf);
    const o: DetectedObject = { bbox: [l, t, w, h], cls, score };
    if (Number.isInteger(id) && id >= 0) o.edgeTrackId = id;
    let list = byFrame.get(frame);
    if (!list) {
      list = [];
      byFrame.set(frame, list);
    }
    if (list.length >= MAX_OBJECTS) {
      return fail('PASSAGE_DETECTIONS_TOO_LARGE', `${where}: frame has more than ${MAX_OBJECTS} boxes`);
    }
    list.push(o);
  }
  const frames: DetectionFrame[] = [];
  const dt = 1000 / options.fps;
  for (let fr = 1; fr <= maxFrame; fr++) {
    const df: DetectionFrame = {
      cameraId: options.cameraId,
      ts: Math.round(startTs + (fr - 1) * dt),
      frame: fr,
      objects: byFrame.get(fr) ?? [],
    };
    if (options.width !== undefined) df.width = options.width;
    if (options.height !== undefined) df.height = options.height;
    frames.push(df);
  }
  return { ok: true, value: frames };
}
