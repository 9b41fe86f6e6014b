/**
 * Expansion of an observed OD matrix to population flows. Probes (Wi-Fi/BLE/ANPR) see only a share of
 * the people or vehicles; reference counts (counters, loops, cameras) give how many really leave each
 * origin and reach each destination. The observed matrix is the seed of an iterative proportional fitting
 * (IPF, "Furness" / biproportional balancing): rows and columns are scaled alternately until both margins
 * match the reference totals. The result keeps the seed's zeros and its cross-product ratios
 * (x_ij·x_kl / x_il·x_kj), i.e. the observed structure, while matching the counts.
 *
 * Convergence criterion: after each iteration (rows scaled, then columns scaled: columns then match exactly)
 * the largest relative row error max_i |Σ_j x_ij − R_i| / R_i over matchable rows is ≤ `tolerance`
 * (default 1e-6). Stops after `maxIterations` (default 100) with `converged: false` otherwise.
 *
 * Margins that cannot be matched:
 * - a target of 0 zeroes its row/column;
 * - a row (column) whose seed is all zero but whose target is > 0 cannot be matched by scaling: it stays
 *   zero, is listed in `unmatchedRows` (`unmatchedCols`) and its target is left out before balancing;
 * - Σ rows ≠ Σ columns (counts are never perfectly consistent): targets are balanced first, by default the
 *   column targets are scaled to the row total (`balance: 'rows'`); 'columns' does the reverse, 'mean'
 *   scales both to their mean. The factor is reported.
 *
 * Uncertainty per cell (Poisson): the observed trips N of a cell are a Poisson count; with the expansion
 * factor f = expanded / N treated as known, Var(f·N) = f²·N, so se = f·√N = expanded / √N. Cells observed
 * as 0 have no estimate (se undefined). This ignores the error of the reference counts themselves.
 */
import { PassageError } from '../errors.ts';
import type { OdCellLike } from '../privacy/kanon.ts';

export interface IpfOptions {
  /** @default 100 */
  maxIterations?: number;
  /** Largest relative margin error accepted. @default 1e-6 */
  tolerance?: number;
  /** Which margin wins when Σ rows ≠ Σ columns. @default 'rows' */
  balance?: 'rows' | 'columns' | 'mean';
}

export interface IpfResult {
  matrix: number[][];
  iterations: number;
  converged: boolean;
  /** Largest relative error over matchable rows and columns at the end. */
  maxRelError: number;
  unmatchedRows: number[];
  unmatchedCols: number[];
  /** Factor applied to the column targets (rows: 1/factor for 'columns'; see `balance`). */
  balanceFactor: number;
}

function configError(message: string): PassageError {
  return new PassageError('PASSAGE_OD_EXPAND', message);
}

function relErrors(
  x: number[][],
  rows: number[],
  cols: number[],
  skipR: Set<number>,
  skipC: Set<number>,
): [number, number] {
  let er = 0;
  let ec = 0;
  const m = cols.length;
  for (let i = 0; i < rows.length; i++) {
    if (skipR.has(i) || rows[i] === 0) continue;
    let s = 0;
    for (let j = 0; j < m; j++) s += x[i][j];
    er = Math.max(er, Math.abs(s - rows[i]) / rows[i]);
  }
  for (let j = 0; j < m; j++) {
    if (skipC.has(j) || cols[j] === 0) continue;
    let s = 0;
    for (let i = 0; i < rows.length; i++) s += x[i][j];
    ec = Math.max(ec, Math.abs(s - cols[j]) / cols[j]);
  }
  return [er, ec];
}

/** Iterative proportional fitting of `seed` (n×m, ≥ 0) to row targets (n) and column targets (m). */
export function ipf(
  seed: readonly (readonly number[])[],
  rowTargets: readonly number[],
  colTargets: readonly number[],
  options: IpfOptions = {},
): IpfResult {
  const maxIterations = options.maxIterations ?? 100;
  const tolerance = options.tolerance ?? 1e-6;
  const balance = options.balance ?? 'rows';
  const n = rowTargets.length;
  const m = colTargets.length;
  if (seed.length !== n || seed.some((r) => r.length !== m)) {
    throw configError(`seed must be ${n}×${m} to match ${n} row targets and ${m} column targets.`);
  }
  for (const v of [...rowTargets, ...colTargets, ...seed.flat()]) {
    if (!(Number.isFinite(v) && v >= 0)) throw configError('seed and targets must be finite numbers ≥ 0.');
  }
  const x = seed.map((r) => [...r]);
  const rowSeed = x.map((r) => r.reduce((a, b) => a + b, 0));
  const colSeed = Array.from({ length: m }, (_, j) => x.reduce((a, r) => a + r[j], 0));
  const unmatchedRows: number[] = [];
  const unmatchedCols: number[] = [];
  const rows = [...rowTargets];
  const cols = [...colTargets];
  for (let i = 0; i < n; i++) if (rowSeed[i] === 0 && rows[i] > 0) unmatchedRows.push(i);
  for (let j = 0; j < m; j++) if (colSeed[j] === 0 && cols[j] > 0) unmatchedCols.push(j);
  const skipR = new Set(unmatchedRows);
  const skipC = new Set(unmatchedCols);
  for (const i of skipR) rows[i] = 0;
  for (const j of skipC) cols[j] = 0;
  const sumR = rows.reduce((a, b) => a + b, 0);
  const sumC = cols.reduce((a, b) => a + b, 0);
  let balanceFactor = 1;
  if (sumR > 0 && sumC > 0 && sumR !== sumC) {
    if (balance === 'rows') {
      balanceFactor = sumR / sumC;
      for (let j = 0; j < m; j++) cols[j] *= balanceFactor;
    } else if (balance === 'columns') {
      const f = sumC / sumR;
      for (let i = 0; i < n; i++) rows[i] *= f;
      balanceFactor = 1 / f;
    } else {
      const mean = (sumR + sumC) / 2;
      for (let i = 0; i < n; i++) rows[i] *= mean / sumR;
      balanceFactor = mean / sumC;
      for (let j = 0; j < m; j++) cols[j] *= balanceFactor;
    }
  }
  let iterations = 0;
  let converged = false;
  let maxRelError = Number.POSITIVE_INFINITY;
  while (iterations < maxIterations) {
    iterations++;
    for (let i = 0; i < n; i++) {
      let s = 0;
      for (let j = 0; j < m; j++) s += x[i][j];
      const f = s > 0 ? rows[i] / s : 0;
      for (let j = 0; j < m; j++) x[i][j] *= f;
    }
    for (let j = 0; j < m; j++) {
      let s = 0;
      for (let i = 0; i < n; i++) s += x[i][j];
      const f = s > 0 ? cols[j] / s : 0;
      for (let i = 0; i < n; i++) x[i][j] *= f;
    }
    const [er, ec] = relErrors(x, rows, cols, skipR, skipC);
    maxRelError = Math.max(er, ec);
    if (maxRelError <= tolerance) {
      converged = true;
      break;
    }
  }
  return { matrix: x, iterations, converged, maxRelError, unmatchedRows, unmatchedCols, balanceFactor };
}

/** Poisson standard error of an expanded cell: expanded / √observed; undefined when nothing was observed. */
export function expandedStdErr(expanded: number, observed: number): number | undefined {
  return observed > 0 ? expanded / Math.sqrt(observed) : undefined;
}

export interface ExpandCellsOptions extends IpfOptions {
  /** Reference total leaving each origin zone over the period of the cells. */
  originTotals: Readonly<Record<string, number>>;
  /** Reference total reaching each destination zone over the same period. */
  destinationTotals: Readonly<Record<string, number>>;
}

export interface ExpandCellsResult {
  cells: OdCellLike[];
  ipf: IpfResult;
  origins: string[];
  destinations: string[];
}

/**
 * Expand observed cells of ONE period and mode (the caller groups by window and mode, and passes reference
 * totals for the same period). Suppressed cells count as 0 observed. Returns the input cells with
 * `expanded` and `expandedStdErr` set; other fields unchanged.
 */
export function expandOdCells(cells: readonly OdCellLike[], options: ExpandCellsOptions): ExpandCellsResult {
  const origins = [...new Set([...Object.keys(options.originTotals), ...cells.map((c) => c.origin)])].sort();
  const destinations = [
    ...new Set([...Object.keys(options.destinationTotals), ...cells.map((c) => c.destination)]),
  ].sort();
  const oi = new Map(origins.map((z, i) => [z, i]));
  const di = new Map(destinations.map((z, j) => [z, j]));
  const seed = origins.map(() => destinations.map(() => 0));
  for (const c of cells)
    if (!c.suppressed) seed[oi.get(c.origin) as number][di.get(c.destination) as number] += c.trips;
  const result = ipf(
    seed,
    origins.map((z) => options.originTotals[z] ?? 0),
    destinations.map((z) => options.destinationTotals[z] ?? 0),
    options,
  );
  const out = cells.map((c) => {
    if (c.suppressed) return { ...c };
    const i = oi.get(c.origin) as number;
    const j = di.get(c.destination) as number;
    const observed = seed[i][j];
    // Share of the expanded cell that belongs to this input cell (several inputs may map to one cell).
    const expanded = observed > 0 ? (result.matrix[i][j] * c.trips) / observed : 0;
    const se = expandedStdErr(result.matrix[i][j], observed);
    const cell: OdCellLike = { ...c, expanded };
    if (se !== undefined) cell.expandedStdErr = observed > 0 ? (se * c.trips) / observed : se;
    return cell;
  });
  return { cells: out, ipf: result, origins, destinations };
}
