import type { Static, TSchema } from '@sinclair/typebox';
import { TypeCompiler } from '@sinclair/typebox/compiler';
import { DetectionFrame } from './contracts.ts';

/** Reason codes of dead letters (documented in docs/ERRORS.md). */
export type DeadLetterReason =
  | 'BAD_JSON'
  | 'SCHEMA'
  | 'TOO_LARGE'
  | 'UNKNOWN_VERSION'
  | 'EMPTY'
  | 'BAD_VALUE'
  | 'PROCESSING_ERROR';

export type Decoded<T> = { ok: true; value: T } | { ok: false; reason: DeadLetterReason; detail: string };

export interface Codec<T> {
  decode(bytes: Buffer | Uint8Array | string | null): Decoded<T>;
  encode(value: T): Buffer;
}

export interface JsonCodecOptions {
  maxBytes?: number;
  /** Accepted values of a top-level `v`/`version` field, if the payload carries one. */
  versions?: readonly (string | number)[];
}

/**
 * JSON codec validated by a compiled TypeBox schema. Never throws on bad input.
 *
 * Hot schemas (see {@link fastCheckFor}) are first checked by a hand-written validator that accepts a subset of
 * what the schema accepts (in practice: exactly the valid payloads) without allocating; whatever it does not
 * accept goes through TypeBox, which decides and explains. Results are the same as with TypeBox alone.
 */
export function jsonCodec<S extends TSchema>(schema: S, options: JsonCodecOptions = {}): Codec<Static<S>> {
  const check = TypeCompiler.Compile(schema);
  const fast = fastCheckFor(schema);
  const maxBytes = options.maxBytes ?? 1048576;
  const versions = options.versions ?? [1, '1', 'v1'];
  return {
    decode(bytes) {
      if (bytes === null || bytes.length === 0) return { ok: false, reason: 'EMPTY', detail: 'empty message' };
      if (bytes.length > maxBytes) {
        return { ok: false, reason: 'TOO_LARGE', detail: `${bytes.length} bytes > limit ${maxBytes}` };
      }
      let parsed: unknown;
      try {
        parsed = JSON.parse(
          typeof bytes === 'string'
            ? bytes
            : Buffer.isBuffer(bytes)
              ? bytes.toString('utf8')
              : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8'),
        );
      } catch (e) {
        return { ok: false, reason: 'BAD_JSON', detail: (e as Error).message.slice(0, 200) };
      }
      if (parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed)) {
        const o = parsed as Record<string, unknown>;
        const v = o.v ?? o.version;
        if (v !== undefined) {
          if (!versions.includes(v as string | number)) {
            return { ok: false, reason: 'UNKNOWN_VERSION', detail: `version ${JSON.stringify(v).slice(0, 20)}` };
          }
          delete o.v;
          delete o.version;
        }
      }
      if (!fast?.(parsed) && !check.Check(parsed)) {
        const first = check.Errors(parsed).First();
        return {
          ok: false,
          reason: 'SCHEMA',
          detail: first ? `${first.path || '/'}: ${first.message}` : 'does not match the schema',
        };
      }
      return { ok: true, value: parsed as Static<S> };
    },
    encode(value) {
      return Buffer.from(JSON.stringify(value));
    },
  };
}

/**
 * Hand-written validator for a schema of a hot topic, or undefined. A fast check must never accept a value the
 * schema rejects (a test compares it with TypeBox on valid and broken payloads); it may reject valid values,
 * which then go through TypeBox.
 */
export function fastCheckFor(schema: TSchema): ((value: unknown) => boolean) | undefined {
  return schema === DetectionFrame ? isDetectionFrame : undefined;
}

/**
 * `DetectionFrame` (detections.v1) as TypeBox's compiled check decides it, written out for JSON.parse output
 * (no allocation: keys are checked with `for…in`, which JSON objects' own keys all show; any key it does not
 * know, own or inherited, sends the value to TypeBox).
 */
function isDetectionFrame(value: unknown): boolean {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const f = value as Record<string, unknown>;
  for (const k in f) {
    if (k !== 'cameraId' && k !== 'ts' && k !== 'frame' && k !== 'width' && k !== 'height' && k !== 'objects') {
      return false;
    }
  }
  const cameraId = f.cameraId;
  if (typeof cameraId !== 'string' || cameraId.length > 128 || cameraId.length < 1) return false;
  const ts = f.ts;
  if (!Number.isFinite(ts) || (ts as number) < 0) return false;
  if (f.frame !== undefined && !(Number.isInteger(f.frame) && (f.frame as number) >= 0)) return false;
  if (f.width !== undefined && !(Number.isInteger(f.width) && (f.width as number) >= 1)) return false;
  if (f.height !== undefined && !(Number.isInteger(f.height) && (f.height as number) >= 1)) return false;
  const objects = f.objects;
  if (!Array.isArray(objects) || objects.length > 4096) return false;
  for (let i = 0; i < objects.length; i++) if (!isDetectedObject(objects[i])) return false;
  return true;
}

function isDetectedObject(value: unknown): boolean {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const o = value as Record<string, unknown>;
  for (const k in o) {
    if (k !== 'bbox' && k !== 'cls' && k !== 'score' && k !== 'edgeTrackId' && k !== 'plate' && k !== 'emb') {
      return false;
    }
  }
  const b = o.bbox;
  if (!Array.isArray(b) || b.length !== 4) return false;
  if (!Number.isFinite(b[0]) || !Number.isFinite(b[1])) return false;
  if (!Number.isFinite(b[2]) || b[2] < 0 || !Number.isFinite(b[3]) || b[3] < 0) return false;
  const cls = o.cls;
  if (typeof cls !== 'string' || cls.length > 64 || cls.length < 1) return false;
  const score = o.score;
  if (!Number.isFinite(score) || (score as number) > 1 || (score as number) < 0) return false;
  const e = o.edgeTrackId;
  if (e !== undefined && !((typeof e === 'string' && e.length <= 128) || Number.isFinite(e))) return false;
  const plate = o.plate;
  if (plate !== undefined && !(typeof plate === 'string' && plate.length <= 32)) return false;
  const emb = o.emb;
  if (emb !== undefined) {
    if (!Array.isArray(emb) || emb.length > 2048) return false;
    for (let i = 0; i < emb.length; i++) if (!Number.isFinite(emb[i])) return false;
  }
  return true;
}

const SENSITIVE_KEY = /"(id|plate|token|edgeTrackId|emb|mac|device)"\s*:\s*("(?:[^"\\]|\\.)*"|\[[^\]]*\]|[0-9.eE+-]+)/g;
const MAC = /\b[0-9a-fA-F]{2}(?:[:-][0-9a-fA-F]{2}){5}\b/g;

/**
 * A short excerpt of a bad payload for the dead-letter topic, with identifiers masked:
 * values of id/plate/token/edgeTrackId/emb/mac/device keys and MAC-like strings never leave the worker.
 */
export function redactedExcerpt(bytes: Buffer | Uint8Array | string | null, max = 256): string {
  if (bytes === null) return '';
  const text = (typeof bytes === 'string' ? bytes : Buffer.from(bytes.subarray(0, 4 * max)).toString('utf8')).slice(
    0,
    4 * max,
  );
  return text.replace(SENSITIVE_KEY, '"$1":"[redacted]"').replace(MAC, '[redacted]').slice(0, max);
}
