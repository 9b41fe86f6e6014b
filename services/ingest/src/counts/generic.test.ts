import { describe, expect, it } from 'vitest';
import { parseGenericCounts } from './generic.ts';

describe('parseGenericCounts', () => {
  it('accepts counts.v1 records, one or many', () => {
    const r = {
      sensorId: 'loop-7',
      start: 1_759_302_000_000,
      end: 1_759_302_060_000,
      mode: 'car',
      count: 12,
      uptime: 1,
    };
    expect(parseGenericCounts(r)).toEqual({ ok: true, value: [r] });
    expect(parseGenericCounts(JSON.stringify([r, { ...r, count: null }]))).toMatchObject({ ok: true });
  });

  it('names the wrong field and never throws', () => {
    const r = { sensorId: 'loop-7', start: 1000, end: 2000, count: 1 };
    expect(parseGenericCounts('{')).toMatchObject({ reason: 'PASSAGE_COUNTS_MALFORMED' });
    expect(parseGenericCounts([])).toMatchObject({ reason: 'PASSAGE_COUNTS_EMPTY' });
    const bad = parseGenericCounts([r, { ...r, count: -1 }]);
    expect(bad).toMatchObject({ ok: false, reason: 'PASSAGE_COUNTS_SCHEMA' });
    expect(!bad.ok && bad.detail).toMatch(/^record 1: \/count/);
    expect(parseGenericCounts({ ...r, extra: 1 })).toMatchObject({ reason: 'PASSAGE_COUNTS_SCHEMA' });
    expect(parseGenericCounts({ ...r, end: 1000 })).toMatchObject({ reason: 'PASSAGE_COUNTS_TIME' });
  });
});
