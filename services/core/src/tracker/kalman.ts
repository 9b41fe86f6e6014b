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
  private readonly s = new Float64Array(16);
  private readonly l = new Float64Array(16);
  private readonly hp = new Float64Array(32);
  private readonly x = new Float64Array(32);
  private readonly innov = new Float64Array(4);

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

  /** One time step: x ← F x, P ← F P Fᵀ + Q, with F = [[I, I], [0, I]]. */
  predict(mean: Float64Array, cov: Float64Array, slot: number): void {
    const mo = slot * KF_MEAN_STRIDE;
    const co = slot * KF_COV_STRIDE;
    const h = mean[mo + 3];
    for (let k = 0; k < 4; k++) mean[mo + k] += mean[mo + 4 + k];
    // F P: rows 0..3 += rows 4..7.
    for (let r = 0; r < 4; r++) {
      const a = co + r * 8;
      const b = co + (r + 4) * 8;
      for (let c = 0; c < 8; c++) cov[a + c] += cov[b + c];
    }
    // (F P) Fᵀ: cols 0..3 += cols 4..7.
    for (let r = 0; r < 8; r++) {
      const a = co + r * 8;
      for (let c = 0; c < 4; c++) cov[a + c] += cov[a + c + 4];
    }
    const sp = this.wp * h;
    const sv = this.wv * h;
    cov[co + 0] += sp * sp;
    cov[co + 9] += sp * sp;
    cov[co + 18] += 1e-2 * 1e-2;
    cov[co + 27] += sp * sp;
    cov[co + 36] += sv * sv;
    cov[co + 45] += sv * sv;
    cov[co + 54] += 1e-5 * 1e-5;
    cov[co + 63] += sv * sv;
  }

  /** Measurement update with z = (cx, cy, a, h); R = diag(h/20, h/20, 0.1, h/20)². */
  update(mean: Float64Array, cov: Float64Array, slot: number, cx: number, cy: number, a: number, h: number): void {
    const mo = slot * KF_MEAN_STRIDE;
    const co = slot * KF_COV_STRIDE;
    const { s, l, hp, x, innov } = this;
    const sp = this.wp * mean[mo + 3];
    // S = H P Hᵀ + R (top-left 4×4 of P); HP = rows 0..3 of P.
    for (let r = 0; r < 4; r++) {
      for (let c = 0; c < 8; c++) hp[r * 8 + c] = cov[co + r * 8 + c];
      for (let c = 0; c < 4; c++) s[r * 4 + c] = cov[co + r * 8 + c];
    }
    s[0] += sp * sp;
    s[5] += sp * sp;
    s[10] += 1e-1 * 1e-1;
    s[15] += sp * sp;
    // Cholesky S = L Lᵀ.
    for (let i = 0; i < 4; i++) {
      for (let j = 0; j <= i; j++) {
        let sum = s[i * 4 + j];
        for (let k = 0; k < j; k++) sum -= l[i * 4 + k] * l[j * 4 + k];
        l[i * 4 + j] = i === j ? Math.sqrt(Math.max(sum, 1e-300)) : sum / l[j * 4 + j];
      }
    }
    // X = S⁻¹ (H P)  (4×8) = Kᵀ.
    for (let c = 0; c < 8; c++) {
      for (let i = 0; i < 4; i++) {
        let sum = hp[i * 8 + c];
        for (let k = 0; k < i; k++) sum -= l[i * 4 + k] * x[k * 8 + c];
        x[i * 8 + c] = sum / l[i * 4 + i];
      }
      for (let i = 3; i >= 0; i--) {
        let sum = x[i * 8 + c];
        for (let k = i + 1; k < 4; k++) sum -= l[k * 4 + i] * x[k * 8 + c];
        x[i * 8 + c] = sum / l[i * 4 + i];
      }
    }
    innov[0] = cx - mean[mo];
    innov[1] = cy - mean[mo + 1];
    innov[2] = a - mean[mo + 2];
    innov[3] = h - mean[mo + 3];
    for (let i = 0; i < 8; i++) {
      mean[mo + i] += x[i] * innov[0] + x[8 + i] * innov[1] + x[16 + i] * innov[2] + x[24 + i] * innov[3];
    }
    // P ← P − K (H P) = P − Xᵀ (H P).
    for (let i = 0; i < 8; i++) {
      const x0 = x[i];
      const x1 = x[8 + i];
      const x2 = x[16 + i];
      const x3 = x[24 + i];
      const row = co + i * 8;
      for (let j = 0; j < 8; j++) cov[row + j] -= x0 * hp[j] + x1 * hp[8 + j] + x2 * hp[16 + j] + x3 * hp[24 + j];
    }
  }
}
