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
        return { ok: false, reason: 'BAD_JSON', detail: redactedMessage((e as Error).message).slice(0, 200) };
      }
      if (parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed)) {
        const o = parsed as Record<string, unknown>;
        const v = o.v ?? o.version;
        if (v !== undefined) {
          if (!versions.includes(v as string | number)) {
            return {
              ok: false,
              reason: 'UNKNOWN_VERSION',
              detail: redactedMessage(`version ${JSON.stringify(v).slice(0, 20)}`),
            };
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
          detail: first ? redactedMessage(`${first.path || '/'}: ${first.message}`) : 'does not match the schema',
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

/**
 * Key names whose values are identifiers, compared without case, `_`, `-`, `.` or spaces (`Plate`, `PLATE`,
 * `licensePlate`, `license_plate`, `MAC_address`, `ID`, `deviceId`, `edgeTrackId`, `emb` …).
 */
const SENSITIVE_KEY =
  /^(ids?|uuids?|uids?|tokens?|devices?|deviceids?|edgetrackids?|trackids?|embs?|embeddings?|reid|features?|imsis?|imeis?|bssids?|vins?|vrms?|registrations?|addr|address(es)?|hash(es)?)$|plate|^mac|mac(addr|address)?(es|s)?$/;
/** MAC addresses: colon/dash pairs, Cisco dotted quads, 12 bare hex digits. */
const MAC_VALUE = /\b[0-9a-f]{2}(?:[:-][0-9a-f]{2}){5}\b|\b[0-9a-f]{4}\.[0-9a-f]{4}\.[0-9a-f]{4}\b|\b[0-9a-f]{12}\b/gi;
/** Two or more colon/dash hex pairs at the very end of a cut text: a MAC cut by a length limit. */
const MAC_TAIL = /[0-9a-f]{1,2}(?:[:-][0-9a-f]{0,2}){1,5}$/i;
/** A plate-shaped word: upper-case letters and digits (both), optional `-` or space separators, 4–12 signs. */
const PLATE_VALUE = /^(?=[^a-z]*\d)(?=[^a-z]*[A-Z])[A-Z0-9]+(?:[- ][A-Z0-9]+)*$/;
const DATE_TIME = /^\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)?$/;
const REDACTED = '[redacted]';

const normKey = (raw: string): string => {
  let k = raw;
  if (raw.includes('\\')) {
    try {
      k = JSON.parse(`"${raw}"`) as string;
    } catch {
      // keep the raw spelling
    }
  }
  return k.toLowerCase().replace(/[\s_.-]/g, '');
};

const isPlateLike = (w: string): boolean => {
  const signs = w.replace(/[- ]/g, '').length;
  return signs >= 4 && signs <= 12 && PLATE_VALUE.test(w) && !DATE_TIME.test(w);
};

/** Masks identifier-shaped words (MACs, plates) in free text: a string value under any key, or non-JSON input. */
function maskWords(text: string): string {
  if (isPlateLike(text.trim())) return REDACTED;
  return text
    .replace(MAC_VALUE, REDACTED)
    .replace(/[A-Za-z0-9][A-Za-z0-9:.-]*/g, (w) => (isPlateLike(w.replace(/[.:]+$/, '')) ? REDACTED : w))
    .replace(/[A-Z0-9]+(?: [A-Z0-9]+){1,3}/g, (w) => (isPlateLike(w) ? REDACTED : w));
}

/**
 * Redacts JSON-like text that may be cut anywhere: a small tolerant scanner (no parse, so truncated or broken
 * payloads work too) replaces the value of every identifier key (string, number, bare word, array or object) with
 * `[redacted]`, masks MAC- and plate-shaped words under any key, and masks a string or word cut by the end of the
 * text (it may be the start of an identifier).
 */
function redactJsonish(text: string): string {
  let out = '';
  let i = 0;
  let sensitive = false; // the next value belongs to an identifier key
  const n = text.length;
  while (i < n) {
    const c = text[i];
    if (c === '"') {
      let j = i + 1;
      while (j < n && text[j] !== '"') j += text[j] === '\\' ? 2 : 1;
      const closed = j < n;
      const body = text.slice(i + 1, Math.min(j, n));
      let k = j + 1;
      while (k < n && /\s/.test(text[k])) k++;
      if (closed && text[k] === ':') {
        out += `"${maskWords(body)}"`;
        sensitive = SENSITIVE_KEY.test(normKey(body));
      } else if (!closed) {
        out += `"${REDACTED}`;
      } else {
        out += sensitive ? `"${REDACTED}"` : `"${maskWords(body)}"`;
        sensitive = false;
      }
      i = closed ? j + 1 : n;
    } else if ((c === '[' || c === '{') && sensitive) {
      // Skip the whole container, strings included, to its matching bracket (or the end of a cut text).
      let depth = 0;
      let j = i;
      for (; j < n; j++) {
        const d = text[j];
        if (d === '"') {
          j++;
          while (j < n && text[j] !== '"') j += text[j] === '\\' ? 2 : 1;
        } else if (d === '[' || d === '{') depth++;
        else if ((d === ']' || d === '}') && --depth === 0) break;
      }
      out += `"${REDACTED}"`;
      sensitive = false;
      i = j + 1;
    } else if (/[\s,:[\]{}]/.test(c)) {
      if (c === ',' || c === '}' || c === ']' || c === '{' || c === '[') sensitive = false;
      out += c;
      i++;
    } else {
      let j = i;
      while (j < n && !/[\s,:[\]{}"]/.test(text[j])) j++;
      // A bare word: number, literal, or the start of something broken. MAC pairs (a:b:…) are joined back.
      while (j < n && text[j] === ':' && /[0-9a-f]/i.test(text[j + 1] ?? '') && /[0-9a-f]$/i.test(text.slice(i, j))) {
        j++;
        while (j < n && !/[\s,:[\]{}"]/.test(text[j])) j++;
      }
      const word = text.slice(i, j);
      const cut = j >= n;
      out += sensitive || (cut && /[0-9A-Z]/.test(word)) ? REDACTED : maskWords(word);
      if (sensitive && !/^(true|false|null)$/.test(word)) sensitive = false;
      i = j;
    }
  }
  return out.replace(MAC_TAIL, REDACTED);
}

/**
 * A short excerpt of a bad payload for the dead-letter topic, with identifiers masked whatever the key's
 * spelling (`id`, `plate`, `Plate`, `licensePlate`, `mac`, `deviceId`, `token`, `emb` …) and wherever the text is
 * cut: plate- and MAC-shaped values under any key, and a value cut by the end of the excerpt, become `[redacted]`.
 */
export function redactedExcerpt(bytes: Buffer | Uint8Array | string | null, max = 256): string {
  if (bytes === null) return '';
  const text = (typeof bytes === 'string' ? bytes : Buffer.from(bytes.subarray(0, 4 * max)).toString('utf8')).slice(
    0,
    4 * max,
  );
  // Redact the window, then cut it to `max` and redact again: the cut may end inside a value that was kept whole.
  return redactJsonish(redactJsonish(text).slice(0, max));
}

/**
 * A dead letter's message with identifiers masked: the input V8 quotes in JSON.parse errors
 * (`Unexpected token 'A', "{"plate": AB-1"... is not valid JSON`) is dropped, MAC/plate-shaped words are masked.
 */
export function redactedMessage(message: string): string {
  const m = message
    .replace(/(?:\.\.\.)?"[\s\S]*"(?:\.\.\.)? is not valid JSON/, 'the input is not valid JSON')
    .replace(/^(Unexpected token) '.'/, '$1');
  return maskWords(m);
}
