/**
 * Linear sum assignment on a dense cost matrix: shortest augmenting paths with dual potentials
 * (Jonker–Volgenant / Crouse 2016, the algorithm behind scipy's `linear_sum_assignment`).
 *
 * Cost matrices are row-major `Float64Array`s of `nRows * nCols`. Entries that are `NaN` or
 * `+Infinity` are forbidden pairs. A row that cannot be augmented at its turn can never be
 * augmented later (classic matching result), so it is simply left unassigned: the result is the
 * minimum-cost assignment among those of maximum cardinality — what py-motmetrics' solvers return
 * for matrices with "do-not-pair" entries. O(n² m) for n = min(rows, cols), m = max(rows, cols).
 *
 * The solver owns its work buffers and reuses them between calls (no allocation once warm):
 * results are views that stay valid until the next call on the same solver.
 */

/** Result of one solve; arrays are owned by the solver and overwritten by the next call. */
export interface Assignment {
  /** Number of assigned pairs. */
  readonly count: number;
  /** Sum of the (original) costs of the assigned pairs. */
  readonly cost: number;
  /** For each row `0..nRows-1`, the assigned column or -1. Valid entries: `[0, nRows)`. */
  readonly rowToCol: Int32Array;
  /** For each column `0..nCols-1`, the assigned row or -1. Valid entries: `[0, nCols)`. */
  readonly colToRow: Int32Array;
}

interface MutableAssignment {
  count: number;
  cost: number;
  rowToCol: Int32Array;
  colToRow: Int32Array;
}

export class AssignmentSolver {
  private work = new Float64Array(16);
  private u = new Float64Array(4);
  private v = new Float64Array(4);
  private spc = new Float64Array(4);
  private path = new Int32Array(4);
  private col4row = new Int32Array(4);
  private row4col = new Int32Array(4);
  private remaining = new Int32Array(4);
  private sr = new Uint8Array(4);
  private sc = new Uint8Array(4);
  private readonly out: MutableAssignment = {
    count: 0,
    cost: 0,
    rowToCol: new Int32Array(4),
    colToRow: new Int32Array(4),
  };

  /**
   * Minimum-cost assignment of maximum cardinality. `NaN` / `+Infinity` entries are forbidden;
   * `-Infinity` is not allowed. The input matrix is not modified.
   */
  solve(cost: ArrayLike<number>, nRows: number, nCols: number): Assignment {
    return this.run(cost, nRows, nCols, Number.NaN);
  }

  /**
   * Thresholded assignment as in ByteTrack / SORT (`lap.lapjv(extend_cost=True, cost_limit)`):
   * only pairs with `cost < maxCost` may be matched, and the assignment minimises
   * `Σ matched cost + maxCost × (pairs left unmatched)`, i.e. maximises `Σ (maxCost − cost)` over
   * any number of pairs. Solved without extending the matrix: entries become
   * `min(cost − maxCost, 0)` and zero-gain pairs are dropped.
   */
  solveThresholded(cost: ArrayLike<number>, nRows: number, nCols: number, maxCost: number): Assignment {
    return this.run(cost, nRows, nCols, maxCost);
  }

  private ensure(nRows: number, nCols: number): void {
    const n = Math.min(nRows, nCols);
    const m = Math.max(nRows, nCols);
    if (this.work.length < n * m) this.work = new Float64Array(Math.max(n * m, this.work.length * 2));
    if (this.u.length < m) this.grow(m);
    if (this.out.rowToCol.length < nRows)
      this.out.rowToCol = new Int32Array(Math.max(nRows, this.out.rowToCol.length * 2));
    if (this.out.colToRow.length < nCols)
      this.out.colToRow = new Int32Array(Math.max(nCols, this.out.colToRow.length * 2));
  }

  private grow(m: number): void {
    {
      const cap = Math.max(m, this.u.length * 2);
      this.u = new Float64Array(cap);
      this.v = new Float64Array(cap);
      this.spc = new Float64Array(cap);
      this.path = new Int32Array(cap);
      this.col4row = new Int32Array(cap);
      this.row4col = new Int32Array(cap);
      this.remaining = new Int32Array(cap);
      this.sr = new Uint8Array(cap);
      this.sc = new Uint8Array(cap);
    }
  }

  private ensureWork(size: number): void {
    if (this.work.length < size) {
      const next = new Float64Array(Math.max(size, this.work.length * 2));
      next.set(this.work);
      this.work = next;
    }
  }

  /** Shortest augmenting path for each row of the n×m work matrix; false if some row failed. */
  private augmentAll(n: number, m: number): boolean {
    if (this.u.length < m) this.grow(m);
    const w = this.work;
    const { u, v, spc, path, col4row, row4col, remaining, sr, sc } = this;
    u.fill(0, 0, n);
    v.fill(0, 0, m);
    path.fill(-1, 0, m);
    col4row.fill(-1, 0, n);
    row4col.fill(-1, 0, m);
    let complete = true;
    for (let curRow = 0; curRow < n; curRow++) {
      // Dijkstra-like search for the shortest augmenting path from curRow.
      let minVal = 0;
      let numRemaining = m;
      for (let it = 0; it < m; it++) remaining[it] = m - it - 1;
      sr.fill(0, 0, n);
      sc.fill(0, 0, m);
      spc.fill(Number.POSITIVE_INFINITY, 0, m);
      let i = curRow;
      let sink = -1;
      while (sink === -1) {
        let index = -1;
        let lowest = Number.POSITIVE_INFINITY;
        sr[i] = 1;
        const base = i * m;
        const ui = u[i];
        for (let it = 0; it < numRemaining; it++) {
          const j = remaining[it];
          const r = minVal + w[base + j] - ui - v[j];
          if (r < spc[j]) {
            path[j] = i;
            spc[j] = r;
          }
          if (spc[j] < lowest || (spc[j] === lowest && row4col[j] === -1)) {
            lowest = spc[j];
            index = it;
          }
        }
        minVal = lowest;
        if (minVal === Number.POSITIVE_INFINITY) break; // no augmenting path from curRow
        const j = remaining[index];
        if (row4col[j] === -1) sink = j;
        else i = row4col[j];
        sc[j] = 1;
        remaining[index] = remaining[--numRemaining];
      }
      if (sink < 0) {
        complete = false;
        continue;
      }

      // Update dual potentials.
      u[curRow] += minVal;
      for (let r = 0; r < n; r++) {
        if (sr[r] === 1 && r !== curRow) u[r] += minVal - spc[col4row[r]];
      }
      for (let c = 0; c < m; c++) {
        if (sc[c] === 1) v[c] -= minVal - spc[c];
      }
      // Augment along the path.
      let j = sink;
      for (;;) {
        const r = path[j];
        row4col[j] = r;
        const tmp = col4row[r];
        col4row[r] = j;
        j = tmp;
        if (r === curRow) break;
      }
    }
    return complete;
  }

  private run(cost: ArrayLike<number>, nRows: number, nCols: number, maxCost: number): Assignment {
    const out = this.out;
    out.count = 0;
    out.cost = 0;
    this.ensure(nRows, nCols);
    out.rowToCol.fill(-1, 0, nRows);
    out.colToRow.fill(-1, 0, nCols);
    if (nRows === 0 || nCols === 0) return out;

    // Work on an n×m matrix with n ≤ m (transpose if needed); forbidden entries become +Infinity.
    const transpose = nRows > nCols;
    const n = transpose ? nCols : nRows;
    let m = transpose ? nRows : nCols;
    const thresholded = !Number.isNaN(maxCost);
    let lo = Number.POSITIVE_INFINITY;
    let hi = Number.NEGATIVE_INFINITY;
    let w = this.work;
    for (let r = 0; r < nRows; r++) {
      for (let c = 0; c < nCols; c++) {
        let x = cost[r * nCols + c];
        if (thresholded) x = x < maxCost ? x - maxCost : 0;
        else if (!(x < Number.POSITIVE_INFINITY))
          x = Number.POSITIVE_INFINITY; // NaN or +Inf
        else {
          if (x < lo) lo = x;
          if (x > hi) hi = x;
        }
        if (transpose) w[c * m + r] = x;
        else w[r * m + c] = x;
      }
    }

    if (!thresholded && lo === Number.POSITIVE_INFINITY) return out; // every pair forbidden
    if (n === 1) {
      // One row (the common case of a tracker with one track or one box): the augmenting-path search below
      // reduces to the lowest entry, ties going to the lowest column (it scans columns m-1..0 and moves on
      // equal unassigned ones). Same choice, without resetting the work buffers.
      let best = -1;
      let lowest = Number.POSITIVE_INFINITY;
      for (let c = m - 1; c >= 0; c--) {
        const x = w[c];
        if (x <= lowest) {
          lowest = x;
          best = c;
        }
      }
      if (best < 0 || lowest === Number.POSITIVE_INFINITY || (thresholded && lowest === 0)) return out;
      const row = transpose ? best : 0;
      const col = transpose ? 0 : best;
      out.rowToCol[row] = col;
      out.colToRow[col] = row;
      out.count = 1;
      out.cost += cost[row * nCols + col];
      return out;
    }
    if (!this.augmentAll(n, m)) {
      // Some row found no augmenting path. Which rows stay unassigned matters for the cost, so
      // re-solve with one private dummy column per row priced above any cost difference between
      // matchings: the optimum then has maximum cardinality first, minimum cost second.
      const big = (n + 1) * (hi - lo + 1) + Math.abs(hi) + Math.abs(lo);
      const m2 = m + n;
      this.ensureWork(n * m2);
      const w2 = this.work;
      for (let r = n - 1; r >= 0; r--) {
        // Move rows from stride m to stride m2, back to front so nothing is overwritten early.
        for (let c = m - 1; c >= 0; c--) w2[r * m2 + c] = w2[r * m + c];
        for (let c = 0; c < n; c++) w2[r * m2 + m + c] = c === r ? big : Number.POSITIVE_INFINITY;
      }
      m = m2;
      w = w2;
      this.augmentAll(n, m);
    }
    const col4row = this.col4row;
    const mReal = transpose ? nRows : nCols;
    for (let r = 0; r < n; r++) {
      const c = col4row[r];
      if (c < 0 || c >= mReal) continue;
      if (thresholded && w[r * m + c] === 0) continue; // zero gain: cost ≥ maxCost
      const row = transpose ? c : r;
      const col = transpose ? r : c;
      out.rowToCol[row] = col;
      out.colToRow[col] = row;
      out.count++;
      out.cost += cost[row * nCols + col];
    }
    return out;
  }
}

/**
 * Convenience wrapper: min-cost maximum-cardinality assignment of a matrix given as rows.
 * Returns `[row, col]` pairs sorted by row. Allocates; use {@link AssignmentSolver} in hot paths.
 */
export function linearSumAssignment(rows: readonly (readonly number[])[]): Array<[number, number]> {
  const nRows = rows.length;
  const nCols = nRows > 0 ? rows[0].length : 0;
  const flat = new Float64Array(nRows * nCols);
  for (let r = 0; r < nRows; r++) {
    if (rows[r].length !== nCols) throw new RangeError('linearSumAssignment: ragged cost matrix');
    for (let c = 0; c < nCols; c++) flat[r * nCols + c] = rows[r][c];
  }
  const a = new AssignmentSolver().solve(flat, nRows, nCols);
  const pairs: Array<[number, number]> = [];
  for (let r = 0; r < nRows; r++) if (a.rowToCol[r] >= 0) pairs.push([r, a.rowToCol[r]]);
  return pairs;
}
