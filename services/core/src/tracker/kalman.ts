/**
 * Constant-velocity Kalman filter on (cx, cy, a, h) — box centre, aspect ratio w/h, height — with
 * velocities (8-dim state), exactly as in DeepSORT / ByteTrack (`kalman_filter.py`): noise scales
 * with the box height (σ_pos = h/20, σ_vel = h/160), aspect ratio noise is fixed.
 *
 * Struct-of-arrays: states live in caller-owned `Float64Array`s — means with stride 8 and
 * covariances (row-major 8×8) with stride 64 — addressed by slot. No allocation per call.
 */

export const KF_MEAN_STRIDE = 8;
export const KF_COV_STRIDE = 64;

export interface KalmanNoise {
  /** Position noise relative to box height. @default 1/20 */
  stdWeightPosition: number;
  /** Velocity noise relative to box height. @default 1/160 */
  stdWeightVelocity: number;
}

export class KalmanBoxFilter {
  readonly wp: number;
  readonly wv: number;

  constructor(noise: Partial<KalmanNoise> = {}) {
    this.wp = noise.stdWeightPosition ?? 1 / 20;
    this.wv = noise.stdWeightVelocity ?? 1 / 160;
  }

  /** Starts a track at measurement (cx, cy, a, h) with zero velocity. */
  initiate(mean: Float64Array, cov: Float64Array, slot: number, cx: number, cy: number, a: number, h: number): void {
    const mo = slot * KF_MEAN_STRIDE;
    const co = slot * KF_COV_STRIDE;
    mean[mo] = cx;
    mean[mo + 1] = cy;
    mean[mo + 2] = a;
    mean[mo + 3] = h;
    mean[mo + 4] = 0;
    mean[mo + 5] = 0;
    mean[mo + 6] = 0;
    mean[mo + 7] = 0;
    cov.fill(0, co, co + KF_COV_STRIDE);
    const p = 2 * this.wp * h;
    const v = 10 * this.wv * h;
    cov[co + 0] = p * p;
    cov[co + 9] = p * p;
    cov[co + 18] = 1e-2 * 1e-2;
    cov[co + 27] = p * p;
    cov[co + 36] = v * v;
    cov[co + 45] = v * v;
    cov[co + 54] = 1e-5 * 1e-5;
    cov[co + 63] = v * v;
  }

  /**
   * One time step: x ← F x, P ← F P Fᵀ + Q, with F = [[I, I], [0, I]].
   *
   * P is block-structured by construction: `initiate` makes it diagonal, and F, Q, H = [I 0] and R only ever
   * couple a coordinate k with its own velocity k + 4, so every entry outside the four 2×2 blocks
   * {k, k + 4} × {k, k + 4} is exactly 0 and stays 0. Only the 16 block entries are computed, with the same
   * floating-point operations, in the same order, as the dense 8×8 product (the dropped terms are exact zeros),
   * so results are bit-identical to the dense form.
   */
  predict(mean: Float64Array, cov: Float64Array, slot: number): void {
    const mo = slot * KF_MEAN_STRIDE;
    const co = slot * KF_COV_STRIDE;
    const h = mean[mo + 3];
    mean[mo] += mean[mo + 4];
    mean[mo + 1] += mean[mo + 5];
    mean[mo + 2] += mean[mo + 6];
    mean[mo + 3] += mean[mo + 7];
    const sp = this.wp * h;
    const sv = this.wv * h;
    const qp = sp * sp;
    const qv = sv * sv;
    for (let k = 0; k < 4; k++) {
      // Block [[a, b], [c, d]] = P[{k, k+4}, {k, k+4}]: rows k += rows k+4, then cols k += cols k+4.
      const ia = co + k * 9;
      const ib = ia + 4;
      const ic = ia + 32;
      const id = ia + 36;
      const c = cov[ic];
      const d = cov[id];
      const b = cov[ib] + d;
      cov[ia] = cov[ia] + c + b + (k === 2 ? 1e-2 * 1e-2 : qp);
      cov[ib] = b;
      cov[ic] = c + d;
      cov[id] = d + (k === 2 ? 1e-5 * 1e-5 : qv);
    }
  }

  /**
   * Measurement update with z = (cx, cy, a, h); R = diag(h/20, h/20, 0.1, h/20)². With P block-structured
   * (see `predict`) S = H P Hᵀ + R is diagonal, its Cholesky factor is diag(√Sₖₖ) and the gain of coordinate k
   * only involves block k: K·row = P[·, k] / √Sₖₖ / √Sₖₖ, the exact operations of the dense Cholesky solve.
   */
  update(mean: Float64Array, cov: Float64Array, slot: number, cx: number, cy: number, a: number, h: number): void {
    const mo = slot * KF_MEAN_STRIDE;
    const co = slot * KF_COV_STRIDE;
    const sp = this.wp * mean[mo + 3];
    const rp = sp * sp;
    for (let k = 0; k < 4; k++) {
      const ia = co + k * 9;
      const ib = ia + 4;
      const ic = ia + 32;
      const id = ia + 36;
      const pa = cov[ia];
      const pb = cov[ib];
      const l = Math.sqrt(Math.max(pa + (k === 2 ? 1e-1 * 1e-1 : rp), 1e-300));
      const xa = pa / l / l;
      const xb = pb / l / l;
      const z = k === 0 ? cx : k === 1 ? cy : k === 2 ? a : h;
      const innov = z - mean[mo + k];
      mean[mo + k] += xa * innov;
      mean[mo + k + 4] += xb * innov;
      cov[ia] = pa - xa * pa;
      cov[ib] = pb - xa * pb;
      cov[ic] -= xb * pa;
      cov[id] -= xb * pb;
    }
  }
}
