import { MODES } from '@passage/stream';
import { type Static, type TSchema, Type } from '@sinclair/typebox';
import { apiError } from './errors.ts';

/** ISO 8601 date or date-time; a value without a zone is UTC. */
export const Time = Type.String({
  pattern: '^\\d{4}-\\d{2}-\\d{2}(T\\d{2}:\\d{2}(:\\d{2}(\\.\\d{1,3})?)?(Z|[+-]\\d{2}:\\d{2})?)?$',
  maxLength: 40,
  description: 'ISO 8601 date or date-time (UTC unless a zone is given), e.g. 2026-03-10T06:30:00Z',
  examples: ['2026-03-10T06:30:00Z'],
});

/** Free-text identifier: any value is accepted and bound as a query parameter (an unknown one matches nothing). */
export const Id = Type.String({ minLength: 1, maxLength: 128 });

const modeAlt = MODES.join('|');
/** Comma-separated modes, e.g. `car,bicycle`. */
export const Modes = Type.String({
  pattern: `^(${modeAlt})(,(${modeAlt}))*$`,
  maxLength: 200,
  description: `comma-separated modes among ${MODES.join(', ')}`,
});

export const Interval = Type.Union([Type.Literal('1m'), Type.Literal('15m'), Type.Literal('1h'), Type.Literal('1d')], {
  description: 'bucket size',
});
export const CoarseInterval = Type.Union([
  Type.Literal('15m'),
  Type.Literal('1h'),
  Type.Literal('1d'),
  Type.Literal('total'),
]);

export const RangeQuery = { from: Time, to: Time };

export const Nullable = <T extends TSchema>(t: T) => Type.Union([t, Type.Null()]);

export const EpochMs = Type.Number({ description: 'epoch milliseconds, UTC' });

export function parseTime(s: string, name: string): number {
  const v = /^\d{4}-\d{2}-\d{2}$/.test(s) ? `${s}T00:00:00Z` : /(Z|[+-]\d{2}:\d{2})$/.test(s) ? s : `${s}Z`;
  const t = Date.parse(v);
  if (Number.isNaN(t))
    throw apiError('PASSAGE_BAD_REQUEST', `querystring/${name} ${JSON.stringify(s)} is not a valid date.`);
  return t;
}

const MAX_RANGE_MS: Record<string, number> = {
  '1m': 2 * 86_400_000,
  '15m': 62 * 86_400_000,
  '1h': 400 * 86_400_000,
  '1d': 5 * 366 * 86_400_000,
  total: 5 * 366 * 86_400_000,
};

/** Parses and checks a range: `to` after `from`, and not longer than the interval allows. */
export function parseRange(q: { from: string; to: string }, interval = '1h'): { from: number; to: number } {
  const from = parseTime(q.from, 'from');
  const to = parseTime(q.to, 'to');
  if (!(to > from)) throw apiError('PASSAGE_BAD_RANGE', 'querystring/to must be after querystring/from.');
  const max = MAX_RANGE_MS[interval] ?? MAX_RANGE_MS['1h'];
  if (to - from > max) {
    throw apiError(
      'PASSAGE_BAD_RANGE',
      `The range is too long for interval ${interval} (at most ${Math.round(max / 86_400_000)} days): use a coarser interval.`,
    );
  }
  return { from, to };
}

export const splitModes = (m: string | undefined): string[] | undefined => (m ? [...new Set(m.split(','))] : undefined);

export type Q<T extends TSchema> = Static<T>;
