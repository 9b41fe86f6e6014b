/**
 * Generic JSON frames: the `detections.v1` contract itself (one message per frame), validated with TypeBox
 * (compiled checker; the first error's JSON pointer is the reason detail).
 */

import { DetectionFrame } from '@passage/stream/contracts';
import { TypeCompiler } from '@sinclair/typebox/compiler';
import { DEFAULT_MAX_BYTES, type DetectionsResult, fail, isRecord, MAX_OBJECTS, readJson } from './result.ts';

const checker = TypeCompiler.Compile(DetectionFrame);

export interface GenericOptions {
  /** Byte limit of one payload. @default 1 MiB */
  maxBytes?: number;
}

/** Parses and validates one `detections.v1` frame (text, bytes or an already parsed value). */
export function parseDetectionFrame(input: unknown, options: GenericOptions = {}): DetectionsResult<DetectionFrame> {
  const read = readJson(input, options.maxBytes ?? DEFAULT_MAX_BYTES);
  if (!read.ok) return read;
  const v = read.value;
  if (isRecord(v) && Array.isArray(v.objects) && v.objects.length > MAX_OBJECTS) {
    return fail('PASSAGE_DETECTIONS_TOO_LARGE', `/objects has ${v.objects.length} objects, more than ${MAX_OBJECTS}`);
  }
  if (!checker.Check(v)) {
    const first = checker.Errors(v).First();
    const path = first?.path || '/';
    return fail('PASSAGE_DETECTIONS_SCHEMA', first ? `${path}: ${first.message}` : 'does not match detections.v1');
  }
  const objects = v.objects;
  for (let i = 0; i < objects.length; i++) {
    const b = objects[i].bbox;
    if (!b.every(Number.isFinite) || !(b[2] > 0) || !(b[3] > 0)) {
      return fail('PASSAGE_DETECTIONS_BAD_BBOX', `/objects/${i}/bbox: zero-area or non-finite box`);
    }
  }
  return { ok: true, value: v };
}
