/**
 * Mergeable speed distribution: fixed 1 km/h bins over 0–150 km/h (the last bin holds ≥ 150), plus the exact
 * sum and count. Two histograms of the same layout merge by adding bins, so 1-minute aggregates combine into
 * 15-minute or hourly ones without the raw speeds. Quantiles (V85) interpolate linearly inside a bin, so they
 * are exact to better than 1 km/h.
 */
export const SPEED_BINS = 151;
export const SPEED_BIN_KMH = 1;

export class SpeedHistogram {
  readonly bins: Uint32Array;
  count = 0;
  sum = 0;

  constructor(bins?: ArrayLike<number>, sum = 0) {
    this.bins = new Uint32Array(SPEED_BINS);
    if (bins) {
      if (bins.length !== SPEED_BINS) throw new RangeError(`a speed histogram has ${SPEED_BINS} bins`);
      for (let i = 0; i < SPEED_BINS; i++) {
        this.bins[i] = bins[i];
        this.count += bins[i];
      }
      this.sum = sum;
    }
  }

  /** Adds one speed (km/h). Negative or non-finite values are ignored. */
  add(kmh: number): void {
    if (!(kmh >= 0) || !Number.isFinite(kmh)) return;
    const b = Math.min(SPEED_BINS - 1, Math.floor(kmh / SPEED_BIN_KMH));
    this.bins[b]++;
    this.count++;
    this.sum += kmh;
  }

  merge(other: SpeedHistogram): this {
    for (let i = 0; i < SPEED_BINS; i++) this.bins[i] += other.bins[i];
    this.count += other.count;
    this.sum += other.sum;
    return this;
  }

  mean(): number {
    return this.count > 0 ? this.sum / this.count : Number.NaN;
  }

  /** q-quantile (0 ≤ q ≤ 1) in km/h, linear inside the bin; NaN when empty. */
  quantile(q: number): number {
    if (this.count === 0) return Number.NaN;
    const target = Math.min(1, Math.max(0, q)) * this.count;
    let cum = 0;
    for (let i = 0; i < SPEED_BINS; i++) {
      const c = this.bins[i];
      if (c > 0 && cum + c >= target) {
        return (i + (target - cum) / c) * SPEED_BIN_KMH;
      }
      cum += c;
    }
    return (SPEED_BINS - 1) * SPEED_BIN_KMH;
  }

  /** 85th-percentile speed, km/h. */
  v85(): number {
    return this.quantile(0.85);
  }

  clone(): SpeedHistogram {
    return new SpeedHistogram(this.bins, this.sum);
  }
}
