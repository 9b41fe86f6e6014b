/**
 * Per-camera detection-score distribution, for score thresholds that follow the camera's own detector.
 *
 * The tracker's fixed thresholds (`trackHigh`, `newTrackThresh`, `trackLow`) suit a detector whose clear, near
 * objects score about 0.8–0.9. A weaker detector (a small model on an edge box) scores the same road users lower,
 * so many never reach the new-track threshold and are never counted. `ScoreDistribution` keeps the scores of the
 * camera's most recent boxes in a sliding window (a ring of 1/100 bins and a 100-bin histogram: O(1) per box, no
 * allocation after construction), reads an upper quantile of it (default the 90th percentile: clear objects, not
 * the occluded, distant or spurious boxes) and turns it into a factor for the fixed thresholds:
 *
 *     factor = clamp(quantile / reference, minFactor, maxFactor)
 *
 * `reference` is that quantile for the detector the fixed thresholds were set for, taken at the low end of the
 * training cameras (0.82–0.90 with the synthesiser's default detector), so such cameras keep factor 1 (today's
 * thresholds); a detector whose 90th percentile is 0.62 gets factor ≈ 0.77. Until `warmup` boxes are seen the
 * factor is 1. Deterministic: the factor depends only on the sequence of scores.
 *
 * With `referenceMedian` (the reference detector's median) the map is affine instead of a ratio, so a detector
 * that both shifts and compresses its scores (`s × a + b`) is matched: the threshold `threshold` sits as far from
 * the camera's median, in units of its median-to-upper-quantile spread, as it sits from the reference median in
 * the reference spread,
 *
 *     threshold' = m + (threshold − m_ref) × (q − m) / (reference − m_ref),   factor = threshold' / threshold
 *
 * (m, q: the camera's median and upper quantile). For `s × 0.7 − 0.12` this puts the new-track threshold where
 * the same road users' boxes now score, where the ratio would leave it above most of them.
 */

export interface ScoreAdaptOptions {
  /** Boxes in the sliding window (the camera's most recent ones). @default 16384 */
  window: number;
  /** Boxes seen before the factor leaves 1. @default 1000 */
  warmup: number;
  /** Quantile of the window compared with `reference`, in (0, 1). @default 0.9 */
  quantile: number;
  /** Value of that quantile for the detector the fixed thresholds were set for. @default 0.8 */
  reference: number;
  /** Median of the scores of the reference detector; set → affine map (module comment). @default undefined */
  referenceMedian?: number;
  /** The score threshold the affine map is read at (the pipeline's new-track threshold). @default 0.6 */
  threshold: number;
  /** Lowest factor (thresholds never drop below this share of the fixed ones). @default 0.5 */
  minFactor: number;
  /** Highest factor (1: thresholds are only ever lowered). @default 1 */
  maxFactor: number;
}

export const SCORE_ADAPT_DEFAULTS: Readonly<ScoreAdaptOptions> = Object.freeze({
  window: 16384,
  warmup: 1000,
  quantile: 0.9,
  reference: 0.8,
  threshold: 0.6,
  minFactor: 0.5,
  maxFactor: 1,
});

const BINS = 100;

export class ScoreDistribution {
  readonly options: Readonly<ScoreAdaptOptions>;
  private readonly ring: Uint8Array;
  private readonly hist = new Int32Array(BINS);
  private head = 0;
  private filled = 0;
  private seen = 0;

  constructor(options: Partial<ScoreAdaptOptions> = {}) {
    const o = { ...SCORE_ADAPT_DEFAULTS, ...options };
    const ok =
      Number.isInteger(o.window) &&
      o.window >= 1 &&
      o.warmup >= 0 &&
      o.quantile > 0 &&
      o.quantile < 1 &&
      o.reference > 0 &&
      o.reference <= 1 &&
      (o.referenceMedian === undefined || (o.referenceMedian >= 0 && o.referenceMedian < o.reference)) &&
      o.threshold > 0 &&
      o.threshold <= 1 &&
      o.minFactor > 0 &&
      o.minFactor <= o.maxFactor;
    if (!ok) {
      throw new RangeError(
        `Score adaptation needs an integer window ≥ 1, warmup ≥ 0, 0 < quantile < 1, 0 < reference ≤ 1, 0 ≤ referenceMedian < reference, 0 < threshold ≤ 1, 0 < minFactor ≤ maxFactor (got ${JSON.stringify(o)}).`,
      );
    }
    this.options = Object.freeze(o);
    this.ring = new Uint8Array(o.window);
  }

  /** Boxes added so far (scores outside [0, 1] or not finite are ignored). */
  get count(): number {
    return this.seen;
  }

  /** Adds one box's score. */
  add(score: number): void {
    if (!(score >= 0 && score <= 1)) return;
    const bin = score >= 1 ? BINS - 1 : Math.floor(score * BINS);
    if (this.filled === this.ring.length) this.hist[this.ring[this.head]]--;
    else this.filled++;
    this.ring[this.head] = bin;
    this.hist[bin]++;
    this.head = this.head + 1 === this.ring.length ? 0 : this.head + 1;
    this.seen++;
  }

  /** Quantile `p` of the window, linearly interpolated inside its bin; NaN when empty. */
  quantile(p: number): number {
    const n = this.filled;
    if (n === 0) return Number.NaN;
    const target = p * n;
    let cum = 0;
    for (let b = 0; b < BINS; b++) {
      const c = this.hist[b];
      if (c > 0 && cum + c >= target) return (b + (target - cum) / c) / BINS;
      cum += c;
    }
    return 1;
  }

  /** Factor for the fixed score thresholds (1 during warm-up). */
  factor(): number {
    const o = this.options;
    if (this.seen < o.warmup || this.filled === 0) return 1;
    const q = this.quantile(o.quantile);
    let f: number;
    if (o.referenceMedian === undefined) f = q / o.reference;
    else {
      const m = this.quantile(0.5);
      const t = m + ((o.threshold - o.referenceMedian) * (q - m)) / (o.reference - o.referenceMedian);
      f = t / o.threshold;
    }
    return Math.min(o.maxFactor, Math.max(o.minFactor, f));
  }
}
