import { describe, expect, it } from 'vitest';
import { ByteTracker, type TrackerBox } from './byte-tracker.ts';
import { SCORE_ADAPT_DEFAULTS, ScoreDistribution } from './score-distribution.ts';

/** Deterministic scores: `n` values evenly spread over [lo, hi]. */
const spread = (n: number, lo: number, hi: number): number[] =>
  Array.from({ length: n }, (_, i) => lo + ((hi - lo) * ((i * 7919) % n)) / (n - 1));

describe('ScoreDistribution', () => {
  it('reads quantiles of the window from the 1/100 histogram', () => {
    const d = new ScoreDistribution();
    for (const s of spread(1000, 0.1, 0.9)) d.add(s);
    expect(d.count).toBe(1000);
    expect(d.quantile(0.5)).toBeCloseTo(0.5, 2);
    expect(d.quantile(0.9)).toBeCloseTo(0.82, 2);
    // Scores outside [0, 1] or NaN are ignored.
    d.add(Number.NaN);
    d.add(-0.2);
    d.add(1.5);
    expect(d.count).toBe(1000);
  });

  it('keeps factor 1 for a detector like the default one (90th percentile 0.82–0.90 on the training cameras)', () => {
    for (const [lo, hi] of [
      [0.3, 0.86], // p90 ≈ 0.804: the lowest training camera still at 1
      [0.4, 0.95], // p90 ≈ 0.895
    ]) {
      const d = new ScoreDistribution();
      for (const s of spread(5000, lo, hi)) d.add(s);
      expect(d.factor()).toBe(1);
    }
  });

  it('scales down for a detector whose scores are shifted down (low-score convention: s × 0.85 − 0.08)', () => {
    const d = new ScoreDistribution();
    for (const s of spread(5000, 0.4, 0.95)) d.add(s * 0.85 - 0.08);
    // p90 = 0.895 × 0.85 − 0.08 ≈ 0.681 → 0.681 / 0.8.
    expect(d.quantile(0.9)).toBeCloseTo(0.681, 2);
    expect(d.factor()).toBeCloseTo(0.851, 2);
    // Clamped: a detector scoring everything 0.2 gets minFactor.
    const e = new ScoreDistribution();
    for (let i = 0; i < 2000; i++) e.add(0.2);
    expect(e.factor()).toBe(SCORE_ADAPT_DEFAULTS.minFactor);
  });

  it('with a reference median, maps the threshold affinely: s × 0.7 − 0.12 moves the new-track 0.6 to 0.30', () => {
    // The reference detector: scores spread over [0.4, 0.95] (median 0.675, p90 0.895).
    const reference = { referenceMedian: 0.675, reference: 0.895 };
    const same = new ScoreDistribution({ ...reference, minFactor: 0.3 });
    for (const s of spread(5000, 0.4, 0.95)) same.add(s);
    expect(same.factor()).toBeCloseTo(1, 1);
    const d = new ScoreDistribution({ ...reference, minFactor: 0.3 });
    const ratio = new ScoreDistribution({ reference: 0.895, minFactor: 0.3 });
    for (const s of spread(5000, 0.4, 0.95)) {
      d.add(s * 0.7 - 0.12);
      ratio.add(s * 0.7 - 0.12);
    }
    // The same road users' boxes now score 0.6 × 0.7 − 0.12 = 0.30: factor 0.5 (1/100 bins: ±0.02).
    expect(Math.abs(d.factor() - 0.5)).toBeLessThan(0.02);
    // The ratio of upper quantiles leaves the threshold at 0.6 × 0.566 ≈ 0.34, above those boxes.
    expect(ratio.factor()).toBeGreaterThan(0.55);
    expect(() => new ScoreDistribution({ referenceMedian: 0.9, reference: 0.8 })).toThrow(RangeError);
  });

  it('waits for the warm-up and forgets scores older than the window', () => {
    const d = new ScoreDistribution({ window: 1000, warmup: 500 });
    for (let i = 0; i < 499; i++) d.add(0.4);
    expect(d.factor()).toBe(1);
    d.add(0.4);
    expect(d.factor()).toBeCloseTo(0.51125, 6); // p90 interpolated in bin [0.40, 0.41): 0.409 / 0.8
    // 1000 confident boxes push every low one out of the window.
    for (let i = 0; i < 1000; i++) d.add(0.9);
    expect(d.quantile(0.1)).toBeGreaterThanOrEqual(0.9);
    expect(d.factor()).toBe(1);
  });

  it('refuses nonsensical options', () => {
    expect(() => new ScoreDistribution({ quantile: 1 })).toThrow(RangeError);
    expect(() => new ScoreDistribution({ window: 0 })).toThrow(RangeError);
    expect(() => new ScoreDistribution({ minFactor: 1.2, maxFactor: 1 })).toThrow(RangeError);
  });
});

describe('ByteTracker.scaleScoreThresholds', () => {
  const box = (x: number, score: number): TrackerBox => ({ bbox: [x, 50, 40, 100], score, cls: 'person' });

  it('starts tracks from boxes the fixed thresholds would leave out', () => {
    const fixed = new ByteTracker({ minHits: 1 });
    const scaled = new ByteTracker({ minHits: 1 });
    expect(scaled.scoreThresholds).toEqual({ trackHigh: 0.6, trackLow: 0.1, newTrackThresh: 0.7 });
    scaled.scaleScoreThresholds(0.7);
    expect(scaled.scoreThresholds.trackHigh).toBeCloseTo(0.42, 9);
    expect(scaled.scoreThresholds.newTrackThresh).toBeCloseTo(0.49, 9);
    expect(scaled.scoreThresholds.trackLow).toBeCloseTo(0.07, 9);
    let nFixed = 0;
    let nScaled = 0;
    for (let f = 0; f < 10; f++) {
      nFixed += fixed.update(f, [box(100 + 4 * f, 0.55)]).count;
      nScaled += scaled.update(f, [box(100 + 4 * f, 0.55)]).count;
    }
    expect(nFixed).toBe(0);
    expect(nScaled).toBe(10);
    // Factor 1 restores the options' thresholds; thresholds never exceed 1.
    scaled.scaleScoreThresholds(1);
    expect(scaled.scoreThresholds).toEqual({ trackHigh: 0.6, trackLow: 0.1, newTrackThresh: 0.7 });
    scaled.scaleScoreThresholds(2);
    expect(scaled.scoreThresholds).toEqual({ trackHigh: 1, trackLow: 0.2, newTrackThresh: 1 });
    expect(() => scaled.scaleScoreThresholds(0)).toThrow(RangeError);
  });
});
