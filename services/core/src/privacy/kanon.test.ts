import { describe, expect, it } from 'vitest';
import { type KCellInput, quantileSorted, suppressBelowK } from './kanon.ts';

const W = Date.parse('2025-10-01T07:00:00Z');
const tokens = (prefix: string, n: number) => new Set(Array.from({ length: n }, (_, i) => `${prefix}${i}`));
const cell = (origin: string, destination: string, tk: Set<string>, tt?: number[]): KCellInput => ({
  origin,
  destination,
  mode: 'all',
  windowStart: W,
  trips: tk.size,
  tokens: tk,
  travelTimesS: tt,
});

describe('suppressBelowK', () => {
  it('suppress: cells below k become markers without measures, the rule is recorded on every cell', () => {
    const out = suppressBelowK(
      [
        { ...cell('A', 'B', tokens('t', 7)), travelTimeP50S: 300, travelTimeP85S: 420 },
        { ...cell('A', 'C', tokens('u', 4)), travelTimeP50S: 200, expanded: 40 },
      ],
      5,
      'suppress',
    );
    expect(out).toEqual([
      {
        origin: 'A',
        destination: 'B',
        mode: 'all',
        windowStart: W,
        trips: 7,
        travelTimeP50S: 300,
        travelTimeP85S: 420,
        rule: 'k5:pass',
      },
      { origin: 'A', destination: 'C', mode: 'all', windowStart: W, trips: 0, suppressed: true, rule: 'k5:suppress' },
    ]);
  });

  it('merge-to-other: small cells merge per origin, then into other→other; distinct tokens by union', () => {
    const shared = new Set(['s1', 's2']);
    const out = suppressBelowK(
      [
        cell('A', 'B', tokens('a', 9), [60]),
        cell('A', 'C', new Set([...tokens('c', 2), ...shared]), [100, 200, 300, 400]), // 4
        cell('A', 'D', new Set([...tokens('d', 1), ...shared]), [500, 600, 700]), // 3, shares 2 tokens with A→C
        cell('B', 'C', tokens('e', 2), [10, 20]),
        cell('C', 'A', tokens('f', 2), [30, 40]),
      ],
      5,
      'merge-to-other',
    );
    const byKey = Object.fromEntries(out.map((c) => [`${c.origin}>${c.destination}`, c]));
    expect(byKey['A>B']).toMatchObject({ trips: 9, rule: 'k5:pass' });
    // A→C ∪ A→D = 5 distinct tokens (a sum would say 7).
    expect(byKey['A>other']).toMatchObject({ trips: 5, rule: 'k5:merge-to-other', travelTimeP50S: 400 });
    expect(byKey['A>other'].travelTimeP85S).toBeCloseTo(610, 9);
    // B→C (2) + C→A (2) = 4 < 5: suppressed even after the second merge.
    expect(byKey['other>other']).toEqual({
      origin: 'other',
      destination: 'other',
      mode: 'all',
      windowStart: W,
      trips: 0,
      suppressed: true,
      rule: 'k5:merge-to-other:suppress',
    });
    expect(out.every((c) => c.suppressed || c.trips >= 5)).toBe(true);
    expect(out.every((c) => !('tokens' in c) && !('travelTimesS' in c))).toBe(true);
  });

  it('without token sets the merged count is the sum of trips', () => {
    const out = suppressBelowK(
      [
        { origin: 'A', destination: 'B', mode: 'motor', windowStart: W, trips: 3 },
        { origin: 'A', destination: 'C', mode: 'motor', windowStart: W, trips: 2 },
      ],
      5,
      'merge-to-other',
    );
    expect(out).toEqual([
      { origin: 'A', destination: 'other', mode: 'motor', windowStart: W, trips: 5, rule: 'k5:merge-to-other' },
    ]);
  });

  it('quantiles follow R type 7', () => {
    expect(quantileSorted([], 0.5)).toBeUndefined();
    expect(quantileSorted([10, 20, 30, 40], 0.5)).toBe(25);
    expect(quantileSorted([10, 20, 30, 40], 0.85)).toBeCloseTo(35.5, 12);
    expect(() => suppressBelowK([], 0, 'suppress')).toThrow(
      expect.objectContaining({ code: 'PASSAGE_PRIVACY_CONFIG' }),
    );
  });
});
