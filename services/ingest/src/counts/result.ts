/**
 * Result of a counts adapter: adapters never throw on bad input, they say why (stable reason codes,
 * documented here) and where. `detail` never contains payload values beyond field names and positions.
 *
 * - PASSAGE_COUNTS_MALFORMED: not parseable JSON / XML.
 * - PASSAGE_COUNTS_SCHEMA: a required field is missing or has the wrong type or range.
 * - PASSAGE_COUNTS_TIME: a timestamp or interval cannot be read, or end ≤ start.
 * - PASSAGE_COUNTS_NO_PERIOD: a rate (veh/h) or an instant cannot be turned into a count for an interval
 *   because the period is unknown: pass it in the adapter options.
 * - PASSAGE_COUNTS_EMPTY: the document holds no count at all.
 */
import type { CountRecord } from '@passage/stream/contracts';

export type CountsReason =
  | 'PASSAGE_COUNTS_MALFORMED'
  | 'PASSAGE_COUNTS_SCHEMA'
  | 'PASSAGE_COUNTS_TIME'
  | 'PASSAGE_COUNTS_NO_PERIOD'
  | 'PASSAGE_COUNTS_EMPTY';

export type CountsResult = { ok: true; value: CountRecord[] } | { ok: false; reason: CountsReason; detail: string };

export function fail(reason: CountsReason, detail: string): CountsResult {
  return { ok: false, reason, detail };
}

export function ok(value: CountRecord[]): CountsResult {
  return { ok: true, value };
}

/** ISO 8601 date-time with zone → ms, or null. Requires a date and a time with an explicit zone or 'Z'. */
export function parseIsoInstant(s: unknown): number | null {
  if (typeof s !== 'string') return null;
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})$/.test(s.trim())) return null;
  const t = Date.parse(s.trim());
  return Number.isFinite(t) && t >= 0 ? t : null;
}

export function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Parse JSON text or pass an already parsed value through. */
export function readJson(input: unknown): { ok: true; value: unknown } | { ok: false; detail: string } {
  if (typeof input !== 'string') return { ok: true, value: input };
  try {
    return { ok: true, value: JSON.parse(input) };
  } catch (e) {
    return { ok: false, detail: `invalid JSON: ${(e as Error).message.slice(0, 120)}` };
  }
}
