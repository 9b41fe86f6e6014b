/**
 * Result of a detection adapter: adapters never throw on bad input; they say why, with a stable reason code,
 * and where (a JSON pointer, an object index or a line number). `detail` never carries payload values (no
 * identifiers, plates or excerpts), so it is safe for logs and the dead-letter topic.
 *
 * - PASSAGE_DETECTIONS_BAD_JSON: the payload is not JSON (or not UTF-8 text).
 * - PASSAGE_DETECTIONS_SCHEMA: a required field is missing or has the wrong type or range.
 * - PASSAGE_DETECTIONS_BAD_BBOX: a bounding box is not finite, has right < left / bottom < top, or zero area.
 * - PASSAGE_DETECTIONS_BAD_TIMESTAMP: the timestamp is missing or not an RFC 3339 instant with a zone.
 * - PASSAGE_DETECTIONS_UNKNOWN_VERSION: a schema version this adapter does not know (e.g. minimal ≠ 4.x).
 * - PASSAGE_DETECTIONS_TOO_LARGE: the payload exceeds the byte limit, or a frame has more than 4096 objects.
 */
export type DetectionsReason =
  | 'PASSAGE_DETECTIONS_BAD_JSON'
  | 'PASSAGE_DETECTIONS_SCHEMA'
  | 'PASSAGE_DETECTIONS_BAD_BBOX'
  | 'PASSAGE_DETECTIONS_BAD_TIMESTAMP'
  | 'PASSAGE_DETECTIONS_UNKNOWN_VERSION'
  | 'PASSAGE_DETECTIONS_TOO_LARGE';

export type DetectionsFailure = { ok: false; reason: DetectionsReason; detail: string };
export type DetectionsResult<T> = { ok: true; value: T } | DetectionsFailure;

/** Objects per frame allowed by the `detections.v1` contract. */
export const MAX_OBJECTS = 4096;
/** Default byte limit of one JSON payload. */
export const DEFAULT_MAX_BYTES = 1 << 20;

export function fail(reason: DetectionsReason, detail: string): DetectionsFailure {
  return { ok: false, reason, detail };
}

export function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

const decoder = new TextDecoder('utf-8', { fatal: true });

/**
 * Reads a payload: JSON text or bytes are size-checked and parsed; any other value is taken as already parsed.
 * The parse error detail keeps only the position (V8 messages quote the input).
 */
export function readJson(input: unknown, maxBytes = DEFAULT_MAX_BYTES): DetectionsResult<unknown> {
  let text: string;
  if (input instanceof Uint8Array) {
    if (input.byteLength > maxBytes) {
      return fail('PASSAGE_DETECTIONS_TOO_LARGE', `payload of ${input.byteLength} bytes exceeds ${maxBytes}`);
    }
    try {
      text = decoder.decode(input);
    } catch {
      return fail('PASSAGE_DETECTIONS_BAD_JSON', 'payload is not valid UTF-8');
    }
  } else if (typeof input === 'string') {
    // UTF-16 length ≤ UTF-8 bytes ≤ 3 × length: only compute the exact size near the limit
    if (input.length > maxBytes || (input.length * 3 > maxBytes && Buffer.byteLength(input) > maxBytes)) {
      return fail('PASSAGE_DETECTIONS_TOO_LARGE', `payload exceeds ${maxBytes} bytes`);
    }
    text = input;
  } else {
    return { ok: true, value: input };
  }
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch (e) {
    const m = /position (\d+)/.exec((e as Error).message);
    return fail('PASSAGE_DETECTIONS_BAD_JSON', m ? `invalid JSON at position ${m[1]}` : 'invalid JSON');
  }
}

const RFC3339 = /^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/;

/** RFC 3339 instant (DeepStream `@timestamp`, e.g. 2021-03-31T20:11:07.742Z) → epoch ms, or null. */
export function parseRfc3339(s: unknown): number | null {
  if (typeof s !== 'string' || !RFC3339.test(s)) return null;
  const t = Date.parse(s);
  return Number.isFinite(t) && t >= 0 ? t : null;
}
