import { describe, expect, it } from 'vitest';
import {
  bucketStart,
  classScores,
  compareCells,
  confusionMatrix,
  coverageTest,
  geh,
  matchModeEvents,
  median,
  modeGroupOf,
  summarizeGeh,
  totalErrorPct,
  totalsByGroup,
} from './metrics.ts';

describe('GEH', () => {
  it('is 0 for equal flows and when both are 0', () => {
    expect(geh(0, 0)).toBe(0);
    expect(geh(100, 100)).toBe(0);
  });

  it('matches hand-computed values', () => {
    expect(geh(110, 100)).toBeCloseTo(Math.sqrt(200 / 210), 12); // 0.9759…
    expect(geh(110, 100)).toBeCloseTo(0.9759, 5);
    expect(geh(0, 10)).toBeCloseTo(Math.sqrt(20), 12);
    expect(geh(1000, 850)).toBeCloseTo(4.93197, 5); // sqrt(2·150²/1850)
    expect(geh(100, 110)).toBe(geh(110, 100));
  });
});

describe('cell comparison', () => {
  const key = (r: { k: string }) => r.k;
  const val = (r: { v: number }) => r.v;

  it('takes the union of keys, sums duplicates and treats missing cells as 0', () => {
    const cells = compareCells(
      [
        { k: 'a', v: 100 },
        { k: 'b', v: 5 },
        { k: 'b', v: 5 },
      ],
      [
        { k: 'a', v: 110 },
        { k: 'c', v: 4 },
      ],
      key,
      val,
      key,
      val,
    );
    expect(cells.map((c) => [c.key, c.truth, c.output])).toEqual([
      ['a', 100, 110],
      ['b', 10, 0],
      ['c', 0, 4],
    ]);
    const s = summarizeGeh(cells);
    expect(s.cells).toBe(3);
    // GEH(110,100) = 0.98, GEH(0,10) = 4.47, GEH(4,0) = 2.83: all below 5.
    expect(s.shareBelow).toBe(1);
    expect(summarizeGeh(cells, 4).shareBelow).toBeCloseTo(2 / 3, 12);
  });

  it('computes share below threshold, totals and total error', () => {
    const cells = [
      { key: 'x', truth: 100, output: 110, geh: geh(110, 100) },
      { key: 'y', truth: 0, output: 40, geh: geh(40, 0) },
    ];
    const s = summarizeGeh(cells);
    expect(s.shareBelow).toBe(0.5);
    expect(s.maxGeh).toBeCloseTo(Math.sqrt(80), 12);
    expect(s.totalErrorPct).toBeCloseTo(50, 12);
    expect(totalErrorPct(0, 0)).toBe(0);
    expect(totalErrorPct(0, 1)).toBe(Number.POSITIVE_INFINITY);
  });

  it('groups modes into pedestrians, bicycles and motor vehicles', () => {
    expect(modeGroupOf('van')).toBe('motorVehicles');
    expect(modeGroupOf('pedestrian')).toBe('pedestrians');
    expect(modeGroupOf('scooter')).toBeUndefined();
    const g = totalsByGroup(
      [
        { m: 'car', v: 90 },
        { m: 'van', v: 10 },
        { m: 'bicycle', v: 20 },
      ],
      [
        { m: 'car', v: 105 },
        { m: 'bicycle', v: 19 },
      ],
      (r) => r.m,
      (r) => r.v,
      (r) => r.m,
      (r) => r.v,
    );
    expect(g.motorVehicles).toEqual({ truth: 100, output: 105, errorPct: 5 });
    expect(g.bicycles.errorPct).toBeCloseTo(-5, 12);
    expect(g.pedestrians).toEqual({ truth: 0, output: 0, errorPct: 0 });
  });
});

describe('classification', () => {
  it('builds a confusion matrix and macro-F1', () => {
    const pairs = [
      ...Array.from({ length: 8 }, () => ({ truth: 'car', predicted: 'car' })),
      ...Array.from({ length: 2 }, () => ({ truth: 'car', predicted: 'van' })),
      ...Array.from({ length: 3 }, () => ({ truth: 'van', predicted: 'van' })),
      { truth: 'van', predicted: 'car' },
    ];
    const cm = confusionMatrix(pairs);
    expect(cm.labels).toEqual(['car', 'van']);
    expect(cm.matrix).toEqual([
      [8, 2],
      [1, 3],
    ]);
    const s = classScores(cm);
    // car: P = 8/9, R = 8/10 → F1 = 0.842105…; van: P = 3/5, R = 3/4 → F1 = 0.666…
    expect(s.perClass.car.f1).toBeCloseTo(16 / 19, 12);
    expect(s.perClass.van.f1).toBeCloseTo(2 / 3, 12);
    expect(s.macroF1).toBeCloseTo((16 / 19 + 2 / 3) / 2, 12);
    expect(s.accuracy).toBeCloseTo(11 / 14, 12);
  });

  it('gives macro-F1 = 1 for a perfect classifier and ignores classes without support', () => {
    const cm = confusionMatrix(
      [
        { truth: 'bus', predicted: 'bus' },
        { truth: 'car', predicted: 'car' },
      ],
      ['bus', 'car', 'truck'],
    );
    expect(classScores(cm).macroF1).toBe(1);
  });
});

describe('event matching', () => {
  it('pairs crossings of the same line and direction within the tolerance', () => {
    const truth = [
      { key: 'l|in', t: 10, mode: 'van' },
      { key: 'l|in', t: 20, mode: 'car' },
      { key: 'l|out', t: 30, mode: 'bicycle' },
      { key: 'l|in', t: 40, mode: 'pedestrian' },
    ];
    const output = [
      { key: 'l|in', t: 10.4, mode: 'car' },
      { key: 'l|in', t: 19.2, mode: 'car' },
      { key: 'l|in', t: 30, mode: 'bicycle' }, // wrong direction: no match
      { key: 'l|in', t: 43, mode: 'pedestrian' }, // too late
    ];
    const m = matchModeEvents(truth, output, 1.5);
    expect(m.pairs).toEqual([
      { truth: 'van', predicted: 'car' },
      { truth: 'car', predicted: 'car' },
    ]);
    expect(m.unmatchedTruth).toBe(2);
    expect(m.unmatchedOutput).toBe(2);
  });
});

describe('helpers', () => {
  it('computes medians and epoch-aligned buckets', () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 2, 3])).toBe(2.5);
    expect(median([])).toBeNaN();
    expect(bucketStart(Date.UTC(2026, 2, 10, 6, 44, 59), 900)).toBe(Date.UTC(2026, 2, 10, 6, 30));
  });
});

describe('coverageTest (binomial check of interval coverage)', () => {
  it('16 of 16 is the most likely outcome of calibrated 95 % intervals; only 15 of 16 is inside 90–98 %', () => {
    const t = coverageTest(16, 16);
    expect(t.p).toBeCloseTo(1, 10);
    // P(15 of 16) = 16 · 0.95^15 · 0.05 = 0.37063.
    expect(t.chanceInBand).toBeCloseTo(0.370633, 5);
  });

  it('24 of 24: p = 1 − P(23) (the only more likely outcome), band 22–23 of 24', () => {
    const t = coverageTest(24, 24);
    // P(23) = 24 · 0.95^23 · 0.05 = 0.36883; P(22) = 276 · 0.95^22 · 0.05² = 0.22324.
    expect(t.p).toBeCloseTo(0.631172, 5);
    expect(t.chanceInBand).toBeCloseTo(0.592066, 5);
  });

  it('12 of 20 is far below 95 %: p = P(≤ 12 of 20) ≈ 2.9e-6', () => {
    expect(coverageTest(12, 20).p).toBeCloseTo(2.857e-6, 8);
    expect(coverageTest(0, 0).p).toBeNaN();
  });
});
