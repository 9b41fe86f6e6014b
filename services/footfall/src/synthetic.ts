/**
 * Synthetic control weights: non-negative least squares with an optional ridge penalty,
 *   min ‖y − X·w‖² + λ·n·‖w‖²  subject to  w ≥ 0,
 * solved by cyclic coordinate descent on the Gram matrix (X has a few tens of columns: control sensors).
 * Non-negative weights keep the counterfactual a weighted sum of real sensors (no extrapolation through
 * negative weights), and most weights come out exactly 0 (the fit picks the few controls that track the site).
 */

/** Weights of the columns `x` (each of length n, the rows) that best reproduce `y` with w ≥ 0. */
export function nnls(x: readonly Float64Array[], y: Float64Array, ridge = 0, sweeps = 1000): Float64Array {
  const k = x.length;
  const n = y.length;
  const gram = new Float64Array(k * k);
  const b = new Float64Array(k);
  for (let i = 0; i < k; i++) {
    const xi = x[i];
    let s = 0;
    for (let r = 0; r < n; r++) s += xi[r] * y[r];
    b[i] = s;
    for (let j = i; j < k; j++) {
      const xj = x[j];
      let t = 0;
      for (let r = 0; r < n; r++) t += xi[r] * xj[r];
      gram[i * k + j] = t;
      gram[j * k + i] = t;
    }
  }
  const w = new Float64Array(k);
  const pen = ridge * n;
  for (let sweep = 0; sweep < sweeps; sweep++) {
    let change = 0;
    for (let i = 0; i < k; i++) {
      const d = gram[i * k + i] + pen;
      if (d <= 0) continue;
      let g = b[i];
      for (let j = 0; j < k; j++) if (j !== i) g -= gram[i * k + j] * w[j];
      const v = Math.max(0, g / d);
      change = Math.max(change, Math.abs(v - w[i]));
      w[i] = v;
    }
    if (change < 1e-12) break;
  }
  return w;
}
