import { describe, expect, it } from 'vitest';
import { TumblingSums } from './windows.ts';

describe('TumblingSums', () => {
  it('buckets by event time and drains closed windows only', () => {
    const w = new TumblingSums(60_000, () => ({ n: 0, s: 0 }));
    w.add(59_999, 'a', { n: 1, s: 2 });
    w.add(60_000, 'a', { n: 1, s: 3 });
    w.add(61_000, 'a', { n: 1, s: 4 });
    w.add(-1, 'b', { n: 1, s: 1 });
    expect(w.windowStart(-1)).toBe(-60_000);
    const closed = w.drain(60_000);
    expect(closed).toEqual([
      { windowStart: -60_000, key: 'b', sums: { n: 1, s: 1 } },
      { windowStart: 0, key: 'a', sums: { n: 1, s: 2 } },
    ]);
    expect(w.size).toBe(1);
    expect(w.drain()).toEqual([{ windowStart: 60_000, key: 'a', sums: { n: 2, s: 7 } }]);
    expect(w.size).toBe(0);
  });
});
