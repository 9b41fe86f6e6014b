/**
 * Speed from a ground track, robust to per-frame jitter: least-squares slopes of x(t) and y(t) over a
 * window of samples (the estimate of a constant velocity with the smallest variance under white position
 * noise: σ_v = σ_pos / √Σ(t − t̄)²), speed = ‖(ẋ, ẏ)‖.
 */

export const MS_TO_KMH = 3.6;

/**
 * Least-squares velocity over samples [start, end) of (ts ms, xs m, ys m); returns the speed in m/s, or NaN
 * when fewer than 2 samples or a time span below `minSpanMs`. Times are taken relative to the first sample
 * (seconds) so epoch milliseconds lose no precision. No allocation.
 */
export function lsSpeed(
  ts: ArrayLike<number>,
  xs: ArrayLike<number>,
  ys: ArrayLike<number>,
  start: number,
  end: number,
  minSpanMs = 1,
): number {
  const n = end - start;
  if (n < 2 || !(ts[end - 1] - ts[start] >= minSpanMs)) return Number.NaN;
  const t0 = ts[start];
  let st = 0;
  let sx = 0;
  let sy = 0;
  for (let i = start; i < end; i++) {
    st += (ts[i] - t0) / 1000;
    sx += xs[i];
    sy += ys[i];
  }
  const mt = st / n;
  const mx = sx / n;
  const my = sy / n;
  let stt = 0;
  let stx = 0;
  let sty = 0;
  for (let i = start; i < end; i++) {
    const dt = (ts[i] - t0) / 1000 - mt;
    stt += dt * dt;
    stx += dt * (xs[i] - mx);
    sty += dt * (ys[i] - my);
  }
  if (!(stt > 0)) return Number.NaN;
  return Math.hypot(stx / stt, sty / stt);
}

export interface SpeedEstimatorOptions {
  /** Window length (ms) of each least-squares fit. @default 2000 */
  windowMs?: number;
  /** Minimum time span (ms) of a window for its estimate to count. @default 500 */
  minSpanMs?: number;
  /** Ring capacity in samples (bounds the window at high frame rates). @default 64 */
  capacity?: number;
}

/**
 * Streaming speed of one track: push (ts, x, y) samples; `current()` is the least-squares speed over the
 * last `windowMs`; `mean()` is the average of window estimates taken every half window (hop), i.e. a
 * smoothed mean speed of the whole track. Allocation-free after construction.
 */
export class SpeedEstimator {
  private readonly t: Float64Array;
  private readonly x: Float64Array;
  private readonly y: Float64Array;
  private readonly cap: number;
  private readonly windowMs: number;
  private readonly minSpanMs: number;
  private head = 0;
  private size = 0;
  private lastHopTs = Number.NEGATIVE_INFINITY;
  private sum = 0;
  private count = 0;
  // scratch for ordered window copies
  private readonly wt: Float64Array;
  private readonly wx: Float64Array;
  private readonly wy: Float64Array;

  constructor(options: SpeedEstimatorOptions = {}) {
    this.cap = options.capacity ?? 64;
    this.windowMs = options.windowMs ?? 2000;
    this.minSpanMs = options.minSpanMs ?? 500;
    this.t = new Float64Array(this.cap);
    this.x = new Float64Array(this.cap);
    this.y = new Float64Array(this.cap);
    this.wt = new Float64Array(this.cap);
    this.wx = new Float64Array(this.cap);
    this.wy = new Float64Array(this.cap);
  }

  reset(): void {
    this.head = 0;
    this.size = 0;
    this.lastHopTs = Number.NEGATIVE_INFINITY;
    this.sum = 0;
    this.count = 0;
  }

  push(ts: number, x: number, y: number): void {
    if (!Number.isFinite(x) || !Number.isFinite(y)) return;
    this.t[this.head] = ts;
    this.x[this.head] = x;
    this.y[this.head] = y;
    this.head = (this.head + 1) % this.cap;
    if (this.size < this.cap) this.size++;
    if (ts - this.lastHopTs >= this.windowMs / 2) {
      const v = this.current();
      if (Number.isFinite(v)) {
        this.sum += v;
        this.count++;
        this.lastHopTs = ts;
      }
    }
  }

  /** Least-squares speed (m/s) over the last window; NaN when the window spans less than `minSpanMs`. */
  current(): number {
    const n = this.gather(this.windowMs);
    return lsSpeed(this.wt, this.wx, this.wy, 0, n, this.minSpanMs);
  }

  /** Mean of the window estimates so far (m/s); falls back to one fit over all samples for short tracks. */
  mean(): number {
    if (this.count > 0) return this.sum / this.count;
    const n = this.gather(Number.POSITIVE_INFINITY);
    return lsSpeed(this.wt, this.wx, this.wy, 0, n, Math.min(this.minSpanMs, 200));
  }

  private gather(spanMs: number): number {
    if (this.size === 0) return 0;
    const newest = (this.head - 1 + this.cap) % this.cap;
    const tEnd = this.t[newest];
    let k = 0;
    while (k < this.size) {
      const idx = (newest - k + this.cap) % this.cap;
      if (tEnd - this.t[idx] > spanMs) break;
      k++;
    }
    for (let j = 0; j < k; j++) {
      const idx = (newest - (k - 1 - j) + this.cap) % this.cap;
      this.wt[j] = this.t[idx];
      this.wx[j] = this.x[idx];
      this.wy[j] = this.y[idx];
    }
    return k;
  }
}
