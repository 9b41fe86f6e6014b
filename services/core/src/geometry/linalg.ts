/**
 * Small dense linear algebra for calibration: one-sided Jacobi SVD (Hestenes) and 3×3 helpers.
 * Matrices are row-major Float64Arrays. Sizes here are tiny (≤ 2n × 9), so clarity beats blocking.
 */

export interface Svd {
  /** Singular values, descending. Length n. */
  s: Float64Array;
  /** Right singular vectors as columns of an n×n row-major matrix, in the order of `s`. */
  v: Float64Array;
}

/**
 * Singular value decomposition of the m×n matrix `a` (row-major) by one-sided Jacobi rotations.
 * Converges quadratically; accurate to machine precision relative to the largest singular value.
 * Works for any m, n (columns beyond rank end as zero-norm columns with singular value 0).
 */
export function svdJacobi(a: ArrayLike<number>, m: number, n: number, maxSweeps = 60): Svd {
  const u = Float64Array.from(a as ArrayLike<number>);
  const v = new Float64Array(n * n);
  for (let i = 0; i < n; i++) v[i * n + i] = 1;
  const eps = 1e-15;
  for (let sweep = 0; sweep < maxSweeps; sweep++) {
    let rotated = false;
    for (let p = 0; p < n - 1; p++) {
      for (let q = p + 1; q < n; q++) {
        let alpha = 0;
        let beta = 0;
        let gamma = 0;
        for (let i = 0; i < m; i++) {
          const up = u[i * n + p];
          const uq = u[i * n + q];
          alpha += up * up;
          beta += uq * uq;
          gamma += up * uq;
        }
        if (gamma === 0 || Math.abs(gamma) <= eps * Math.sqrt(alpha * beta)) continue;
        rotated = true;
        const zeta = (beta - alpha) / (2 * gamma);
        const t = (zeta >= 0 ? 1 : -1) / (Math.abs(zeta) + Math.sqrt(1 + zeta * zeta));
        const c = 1 / Math.sqrt(1 + t * t);
        const s = c * t;
        for (let i = 0; i < m; i++) {
          const up = u[i * n + p];
          const uq = u[i * n + q];
          u[i * n + p] = c * up - s * uq;
          u[i * n + q] = s * up + c * uq;
        }
        for (let i = 0; i < n; i++) {
          const vp = v[i * n + p];
          const vq = v[i * n + q];
          v[i * n + p] = c * vp - s * vq;
          v[i * n + q] = s * vp + c * vq;
        }
      }
    }
    if (!rotated) break;
  }
  const norms = new Float64Array(n);
  for (let j = 0; j < n; j++) {
    let ss = 0;
    for (let i = 0; i < m; i++) ss += u[i * n + j] * u[i * n + j];
    norms[j] = Math.sqrt(ss);
  }
  const order = Array.from({ length: n }, (_, j) => j).sort((x, y) => norms[y] - norms[x]);
  const s = new Float64Array(n);
  const vs = new Float64Array(n * n);
  for (let k = 0; k < n; k++) {
    const j = order[k];
    s[k] = norms[j];
    for (let i = 0; i < n; i++) vs[i * n + k] = v[i * n + j];
  }
  return { s, v: vs };
}

/** 3×3 row-major product a·b. */
export function mul3(a: ArrayLike<number>, b: ArrayLike<number>): Float64Array {
  const r = new Float64Array(9);
  for (let i = 0; i < 3; i++) {
    for (let j = 0; j < 3; j++) {
      r[i * 3 + j] = a[i * 3] * b[j] + a[i * 3 + 1] * b[3 + j] + a[i * 3 + 2] * b[6 + j];
    }
  }
  return r;
}

export function det3(a: ArrayLike<number>): number {
  return a[0] * (a[4] * a[8] - a[5] * a[7]) - a[1] * (a[3] * a[8] - a[5] * a[6]) + a[2] * (a[3] * a[7] - a[4] * a[6]);
}

/** Inverse of a 3×3 matrix (adjugate / determinant). Returns null when singular. */
export function inv3(a: ArrayLike<number>): Float64Array | null {
  const d = det3(a);
  if (!Number.isFinite(d) || d === 0) return null;
  const r = new Float64Array(9);
  r[0] = (a[4] * a[8] - a[5] * a[7]) / d;
  r[1] = (a[2] * a[7] - a[1] * a[8]) / d;
  r[2] = (a[1] * a[5] - a[2] * a[4]) / d;
  r[3] = (a[5] * a[6] - a[3] * a[8]) / d;
  r[4] = (a[0] * a[8] - a[2] * a[6]) / d;
  r[5] = (a[2] * a[3] - a[0] * a[5]) / d;
  r[6] = (a[3] * a[7] - a[4] * a[6]) / d;
  r[7] = (a[1] * a[6] - a[0] * a[7]) / d;
  r[8] = (a[0] * a[4] - a[1] * a[3]) / d;
  return r;
}

/**
 * Eigenvalues of the 2×2 covariance of a point set (ascending), from closed form.
 * Used to test collinearity: λmin / λmax ≈ 0 ⇔ the points lie on one line.
 */
export function covarianceEigen2(
  xs: ArrayLike<number>,
  ys: ArrayLike<number>,
  idx: ArrayLike<number>,
): [number, number] {
  const n = idx.length;
  let mx = 0;
  let my = 0;
  for (let k = 0; k < n; k++) {
    mx += xs[idx[k]];
    my += ys[idx[k]];
  }
  mx /= n;
  my /= n;
  let sxx = 0;
  let syy = 0;
  let sxy = 0;
  for (let k = 0; k < n; k++) {
    const dx = xs[idx[k]] - mx;
    const dy = ys[idx[k]] - my;
    sxx += dx * dx;
    syy += dy * dy;
    sxy += dx * dy;
  }
  const tr = sxx + syy;
  const disc = Math.sqrt(Math.max(0, (sxx - syy) * (sxx - syy) + 4 * sxy * sxy));
  return [(tr - disc) / 2, (tr + disc) / 2];
}
