/**
 * OD matrix estimation from counts with a prior matrix: generalised least squares (GLS), the Bayesian / GLS
 * estimator of transport planning practice (Cascetta 1984; Maher 1983; Bell 1991 for the non-negativity), the
 * counterpart of SUMO's `routeSampler` (which fits route flows to counted edges and turns, optimising a linear
 * program without a prior variance and without intervals).
 *
 * Unknowns: the trips t of a set of OD cells. Information:
 * - a prior t₀ with independent variances V₀ (diagonal): the probe matrix expanded by its detection rates, or a
 *   weak gravity prior for cells no probe can see;
 * - counts c = A t + ε, ε ~ (0, R) with R diagonal: each count is a linear combination of cells (a zone's origin
 *   margin: the sum of its row; a destination margin: its column; a counted line or turning movement: the cells
 *   whose routes use it, with their route shares as coefficients).
 *
 * Estimate (the posterior mean for normal errors, the GLS solution otherwise):
 *   S = A V₀ Aᵀ + R,  K = V₀ Aᵀ S⁻¹,  t̂ = t₀ + K (c − A t₀),  Cov(t̂) = V₀ − K A V₀.
 * Non-negativity (Bell's iterative active set): cells estimated below 0 are fixed at 0 (prior 0, variance 0) and
 * the rest re-estimated, until none is negative. A fixed cell keeps the variance of its last free estimate, so
 * its interval is [0, 1.96 sd] rather than a point.
 *
 * Intervals: t̂ ± z·sd (z = 1.96 for 95 %), the lower bound clipped at 0. They are as good as V₀ and R: a prior
 * variance that leaves out a source of error (a probe that credits trips to the wrong zone) gives intervals that
 * cover less than stated; `dispersionFromCounts` estimates the missing part from the counts' misfit.
 *
 * Pure arithmetic: no I/O. Sizes up to a few hundred cells and counts (dense m × m solve, m = number of counts).
 */
import { PassageError } from '../errors.ts';

export interface GlsCell {
  /** Prior trips t₀ (≥ 0). */
  prior: number;
  /** Prior variance (≥ 0; 0 = the cell is fixed at its prior). */
  variance: number;
}

export interface GlsCount {
  /** Cells (indices) the count sums, with their coefficients (default 1 each). */
  cells: readonly number[];
  coefficients?: readonly number[];
  value: number;
  /** Variance of the count's error (> 0: a count is never exact). */
  variance: number;
}

export interface GlsOptions {
  /** Normal quantile of the intervals. @default 1.959964 (95 %) */
  z?: number;
  /** Fix negative estimates at 0 and re-estimate the rest. @default true */
  nonNegative?: boolean;
  /** @default 50 */
  maxIterations?: number;
}

export interface GlsResult {
  estimate: number[];
  /** Posterior standard deviation per cell. */
  sd: number[];
  lower: number[];
  upper: number[];
  /** Fitted value A t̂ of each count. */
  fitted: number[];
  /** Cells fixed at 0 by the non-negativity rule. */
  zeroed: number[];
  iterations: number;
  /**
   * Normalised misfit of the counts to the prior, rᵀ S⁻¹ r / m with r = c − A t₀ and S = A V₀ Aᵀ + R of the last
   * iteration (cells fixed at 0 left out): about 1 when the prior and count variances are right, above 1 when they
   * leave out a source of error (a χ²/m, the Birge ratio).
   */
  misfit: number;
}

function estimateError(message: string): PassageError {
  return new PassageError('PASSAGE_OD_ESTIMATE', message);
}

/** Cholesky factor L (lower) of a symmetric positive-definite matrix, in place of a copy. */
function cholesky(a: number[][]): number[][] {
  const n = a.length;
  const l = a.map(() => new Array<number>(n).fill(0));
  for (let i = 0; i < n; i++) {
    for (let j = 0; j <= i; j++) {
      let s = a[i][j];
      for (let k = 0; k < j; k++) s -= l[i][k] * l[j][k];
      if (i === j) {
        if (!(s > 0)) throw estimateError('the count covariance is not positive definite (a count variance ≤ 0?).');
        l[i][i] = Math.sqrt(s);
      } else l[i][j] = s / l[j][j];
    }
  }
  return l;
}

/** Solves L Lᵀ x = b. */
function cholSolve(l: number[][], b: readonly number[]): number[] {
  const n = l.length;
  const y = new Array<number>(n);
  for (let i = 0; i < n; i++) {
    let s = b[i];
    for (let k = 0; k < i; k++) s -= l[i][k] * y[k];
    y[i] = s / l[i][i];
  }
  const x = new Array<number>(n);
  for (let i = n - 1; i >= 0; i--) {
    let s = y[i];
    for (let k = i + 1; k < n; k++) s -= l[k][i] * x[k];
    x[i] = s / l[i][i];
  }
  return x;
}

/** GLS estimate of the cells from their prior and the counts (see the module comment). */
export function estimateOdGls(
  cells: readonly GlsCell[],
  counts: readonly GlsCount[],
  options: GlsOptions = {},
): GlsResult {
  const z = options.z ?? 1.959964;
  const n = cells.length;
  const m = counts.length;
  for (const c of cells) {
    if (!(c.prior >= 0) || !(c.variance >= 0)) throw estimateError('priors and prior variances must be ≥ 0.');
  }
  const rows = counts.map((c) => {
    if (!(c.variance > 0) || !Number.isFinite(c.value)) {
      throw estimateError('every count needs a finite value and a variance > 0.');
    }
    if (c.coefficients !== undefined && c.coefficients.length !== c.cells.length) {
      throw estimateError('coefficients must match cells one to one.');
    }
    for (const i of c.cells) if (!(Number.isInteger(i) && i >= 0 && i < n)) throw estimateError(`no cell ${i}.`);
    return { idx: c.cells, coef: c.coefficients ?? c.cells.map(() => 1) };
  });
  // Each count as cell → coefficient (a cell listed twice adds up).
  const pa: Map<number, number>[] = rows.map((r) => {
    const mp = new Map<number, number>();
    r.idx.forEach((i, k) => {
      mp.set(i, (mp.get(i) ?? 0) + r.coef[k]);
    });
    return mp;
  });
  const t0 = cells.map((c) => c.prior);
  const v0 = cells.map((c) => c.variance);
  const fixed = new Set<number>();
  let est = t0.slice();
  let sd = v0.map(Math.sqrt);
  let iterations = 0;
  let misfit = 1;
  const maxIt = options.maxIterations ?? 50;
  for (; iterations < maxIt; ) {
    iterations++;
    const p = v0.map((v, i) => (fixed.has(i) ? 0 : v));
    const prior = t0.map((t, i) => (fixed.has(i) ? 0 : t));
    // S = A P Aᵀ + R
    const s: number[][] = counts.map(() => new Array<number>(m).fill(0));
    for (let a = 0; a < m; a++) {
      for (let b = a; b < m; b++) {
        let v = 0;
        const [small, large] = pa[a].size <= pa[b].size ? [pa[a], pa[b]] : [pa[b], pa[a]];
        for (const [i, ca] of small) {
          const cb = large.get(i);
          if (cb !== undefined) v += ca * cb * p[i];
        }
        s[a][b] = v;
        s[b][a] = v;
      }
      s[a][a] += counts[a].variance;
    }
    const l = m > 0 ? cholesky(s) : [];
    const resid = counts.map((c, a) => {
      let f = 0;
      for (const [i, ca] of pa[a]) f += ca * prior[i];
      return c.value - f;
    });
    const w = m > 0 ? cholSolve(l, resid) : [];
    // Normalised misfit of the counts at the prior: rᵀ S⁻¹ r / m (1 in expectation when V₀ and R are right).
    misfit = m > 0 ? resid.reduce((a, v, k) => a + v * w[k], 0) / m : 1;
    est = prior.slice();
    for (let a = 0; a < m; a++) for (const [i, ca] of pa[a]) est[i] += p[i] * ca * w[a];
    // Posterior variance: p_i − p_i² (aᵢᵀ S⁻¹ aᵢ), aᵢ = column i of A.
    const colOf = new Map<number, { a: number; c: number }[]>();
    pa.forEach((mp, a) => {
      for (const [i, c] of mp) {
        const list = colOf.get(i) ?? [];
        list.push({ a, c });
        colOf.set(i, list);
      }
    });
    const nextSd = v0.map(Math.sqrt);
    for (let i = 0; i < n; i++) {
      const col = colOf.get(i);
      if (fixed.has(i) || col === undefined) continue;
      const e = new Array<number>(m).fill(0);
      for (const { a, c } of col) e[a] = c;
      const x = cholSolve(l, e);
      let q = 0;
      for (const { a, c } of col) q += c * x[a];
      nextSd[i] = Math.sqrt(Math.max(0, p[i] - p[i] * p[i] * q));
    }
    for (const i of fixed) nextSd[i] = sd[i];
    sd = nextSd;
    if (options.nonNegative === false) break;
    const neg = est.map((v, i) => (v < -1e-9 && !fixed.has(i) ? i : -1)).filter((i) => i >= 0);
    if (neg.length === 0) break;
    for (const i of neg) fixed.add(i);
  }
  for (const i of fixed) est[i] = 0;
  if (options.nonNegative !== false) est = est.map((v) => Math.max(0, v));
  const fitted = rows.map((r) => r.idx.reduce((a, i, k) => a + r.coef[k] * est[i], 0));
  return {
    estimate: est,
    sd,
    lower: est.map((v, i) => Math.max(0, v - z * sd[i])),
    upper: est.map((v, i) => v + z * sd[i]),
    fitted,
    zeroed: [...fixed].sort((a, b) => a - b),
    iterations,
    misfit,
  };
}

/**
 * Re-fits with each count's variance taken at the previous fit's value of that count (Pearson's χ²) instead of at
 * the observed count (Neyman's, the first fit, with the counts as given): `passes` re-fits. With the observed count
 * as its own variance a count that happened to come out low gets the largest weight and pulls every cell it holds
 * down, so fitted totals come out low (docs/OD-AND-PRIVACY.md). `fit` solves for a set of counts, `fitted` reads a
 * solution's fitted counts, `varianceAt` (count index, fitted value ≥ 0) gives the variance; the counts of the last
 * fit are returned with its solution.
 */
export function refitAtFittedVariances<C extends GlsCount, R>(
  counts: readonly C[],
  fit: (counts: readonly C[]) => R,
  fitted: (solution: R) => readonly number[],
  varianceAt: (a: number, f: number) => number,
  passes: number,
): { solution: R; counts: readonly C[] } {
  let solution = fit(counts);
  let used = counts;
  for (let k = 0; k < passes; k++) {
    const f = fitted(solution);
    used = counts.map((c, a) => ({ ...c, variance: varianceAt(a, Math.max(0, f[a])) }));
    solution = fit(used);
  }
  return { solution, counts: used };
}

/**
 * Extra relative variance φ² of the prior cells (model error: structure the prior's variance leaves out), by the
 * method of moments on the counts: E[(c − A t₀)²] = A V₀ Aᵀ + R + φ² Σ (aᵢ t₀ᵢ)². Returns max(0, φ²) over the
 * counts given (use only counts whose every cell has an informative prior).
 */
export function dispersionFromCounts(cells: readonly GlsCell[], counts: readonly GlsCount[]): number {
  let num = 0;
  let den = 0;
  for (const c of counts) {
    const coef = c.coefficients ?? c.cells.map(() => 1);
    let fit = 0;
    let vPrior = 0;
    let sq = 0;
    c.cells.forEach((i, k) => {
      fit += coef[k] * cells[i].prior;
      vPrior += coef[k] * coef[k] * cells[i].variance;
      sq += (coef[k] * cells[i].prior) ** 2;
    });
    num += (c.value - fit) ** 2 - vPrior - c.variance;
    den += sq;
  }
  return den > 0 ? Math.max(0, num / den) : 0;
}

/**
 * Variance scale of a GLS fit from its own counts: the posterior variances are multiplied by
 * s² = (m · misfit + priorDof) / (m + priorDof), the Birge ratio `misfit` (rᵀS⁻¹r / m, a χ²/m with m degrees of
 * freedom when V₀ and R are right) shrunk towards 1 by `priorDof` pseudo-counts (its sampling spread is √(2/m):
 * with few counts it says little). Below 1 the counts agree with the prior better than the stated variances allow
 * (a layout whose counts the model fits well: narrower intervals), above 1 worse (wider). The caller bounds the
 * result below by the sampling error.
 */
export function fitVarianceScale(misfit: number, m: number, priorDof = 20): number {
  if (!(m > 0) || !Number.isFinite(misfit) || misfit < 0) return 1;
  return (m * misfit + priorDof) / (m + priorDof);
}

/**
 * Error variance of a GLS fit's estimates when the cells' true spread about the prior is `truthVariance` rather
 * than the prior variances the fit used (the sandwich): t̂ − t = (I − KA)(t₀ − t) + K ε with K = P Aᵀ S⁻¹ of the
 * fit's last iteration (P the prior variances, 0 for the cells fixed at 0, S = A P Aᵀ + R), so
 * Var(t̂ᵢ − tᵢ) = Σⱼ ((I − KA)ᵢⱼ)² Uⱼ + Σₐ Kᵢₐ² Rₐ (U = `truthVariance`, the true cells taken as independent). A cell
 * fixed at 0 (`zeroed`) has error −tᵢ: its mean square Uᵢ + t₀ᵢ². The estimates stay those of the fit; only what is
 * known of the truth's spread changes (a prior whose variance is kept wide so that the counts decide, while the
 * cells' plausible spread is narrower).
 */
export function glsErrorVariance(
  cells: readonly GlsCell[],
  counts: readonly GlsCount[],
  zeroed: readonly number[],
  truthVariance: readonly number[],
): number[] {
  const n = cells.length;
  const m = counts.length;
  const fixed = new Set(zeroed);
  const p = cells.map((c, i) => (fixed.has(i) ? 0 : c.variance));
  const out = cells.map((c, i) => (fixed.has(i) ? truthVariance[i] + c.prior * c.prior : truthVariance[i]));
  if (m === 0) return out;
  const pa = counts.map((c) => {
    const mp = new Map<number, number>();
    c.cells.forEach((i, k) => {
      mp.set(i, (mp.get(i) ?? 0) + (c.coefficients?.[k] ?? 1));
    });
    return mp;
  });
  const s: number[][] = counts.map(() => new Array<number>(m).fill(0));
  for (let a = 0; a < m; a++) {
    for (let b = a; b < m; b++) {
      let v = 0;
      for (const [i, ca] of pa[a]) {
        const cb = pa[b].get(i);
        if (cb !== undefined) v += ca * cb * p[i];
      }
      s[a][b] = v;
      s[b][a] = v;
    }
    s[a][a] += counts[a].variance;
  }
  const l = cholesky(s);
  const colOf: { a: number; c: number }[][] = cells.map(() => []);
  pa.forEach((mp, a) => {
    for (const [i, c] of mp) colOf[i].push({ a, c });
  });
  for (let i = 0; i < n; i++) {
    if (fixed.has(i) || p[i] === 0) continue;
    const e = new Array<number>(m).fill(0);
    for (const { a, c } of colOf[i]) e[a] = c;
    // Row i of K: p_i (S⁻¹ aᵢ)ᵀ.
    const x = cholSolve(l, e).map((v) => p[i] * v);
    let v = 0;
    for (let j = 0; j < n; j++) {
      let ka = 0;
      for (const { a, c } of colOf[j]) ka += x[a] * c;
      const g = (i === j ? 1 : 0) - ka;
      v += g * g * truthVariance[j];
    }
    for (let a = 0; a < m; a++) v += x[a] * x[a] * counts[a].variance;
    out[i] = v;
  }
  return out;
}
