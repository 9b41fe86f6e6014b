/**
 * The generic JSON contract: `counts.v1` CountRecord objects as documented in @passage/stream contracts,
 * one object or an array. Validated with the contract's TypeBox schema; the first error is reported with
 * its path (never with the value).
 */
import { CountRecord } from '@passage/stream/contracts';
import { Value } from '@sinclair/typebox/value';
import { type CountsResult, fail, ok, readJson } from './result.ts';

export function parseGenericCounts(input: unknown): CountsResult {
  const parsed = readJson(input);
  if (!parsed.ok) return fail('PASSAGE_COUNTS_MALFORMED', parsed.detail);
  const list = Array.isArray(parsed.value) ? parsed.value : [parsed.value];
  if (list.length === 0) return fail('PASSAGE_COUNTS_EMPTY', 'no count record');
  for (let i = 0; i < list.length; i++) {
    if (!Value.Check(CountRecord, list[i])) {
      const e = Value.Errors(CountRecord, list[i]).First();
      return fail('PASSAGE_COUNTS_SCHEMA', `record ${i}: ${e ? `${e.path || '/'} ${e.message}` : 'invalid'}`);
    }
    const r = list[i] as CountRecord;
    if (r.end <= r.start) return fail('PASSAGE_COUNTS_TIME', `record ${i}: end must be after start`);
  }
  return ok(list as CountRecord[]);
}
