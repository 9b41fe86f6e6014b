import type { Static, TSchema } from '@sinclair/typebox';
import { TypeCompiler } from '@sinclair/typebox/compiler';

/** Reason codes of dead letters (documented in README § Dead letters). */
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

/** JSON codec validated by a compiled TypeBox schema. Never throws on bad input. */
export function jsonCodec<S extends TSchema>(schema: S, options: JsonCodecOptions = {}): Codec<Static<S>> {
  const check = TypeCompiler.Compile(schema);
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
        parsed = JSON.parse(typeof bytes === 'string' ? bytes : Buffer.from(bytes).toString('utf8'));
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
      if (!check.Check(parsed)) {
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
