import { describe, expect, it } from 'vitest';
import { mulberry32 } from '../prng.ts';
import { AssignmentSolver, linearSumAssignment } from './lsap.ts';

/** Brute force: best (max cardinality, then min cost) over all partial injections rows → cols. */
function bruteForce(
  cost: Float64Array,
  nRows: number,
  nCols: number,
  maxCost?: number,
): { count: number; cost: number } {
  let bestCount = -1;
  let bestCost = Number.POSITIVE_INFINITY;
  let bestGain = Number.NEGATIVE_INFINITY;
  const used = new Uint8Array(nCols);
  const rec = (r: number, count: number, sum: number): void => {
    if (r === nRows) {
      if (maxCost !== undefined) {
        const gain = maxCost * count - sum;
        if (gain > bestGain + 1e-12) {
          bestGain = gain;
          bestCount = count;
          bestCost = sum;
        }
      } else if (count > bestCount || (count === bestCount && sum < bestCost - 1e-12)) {
        bestCount = count;
        bestCost = sum;
      }
      return;
    }
    rec(r + 1, count, sum); // row unassigned
    for (let c = 0; c < nCols; c++) {
      const x = cost[r * nCols + c];
      if (used[c] || Number.isNaN(x) || x === Number.POSITIVE_INFINITY) continue;
      if (maxCost !== undefined && !(x < maxCost)) continue;
      used[c] = 1;
      rec(r + 1, count + 1, sum + x);
      used[c] = 0;
    }
  };
  rec(0, 0, 0);
  return { count: bestCount, cost: bestCost };
}

function checkConsistent(
  a: { rowToCol: Int32Array; colToRow: Int32Array; count: number },
  nRows: number,
  nCols: number,
): void {
  let n = 0;
  for (let r = 0; r < nRows; r++) {
    const c = a.rowToCol[r];
    if (c >= 0) {
      n++;
      expect(a.colToRow[c]).toBe(r);
    }
  }
  for (let c = 0; c < nCols; c++) if (a.colToRow[c] >= 0) expect(a.rowToCol[a.colToRow[c]]).toBe(c);
  expect(n).toBe(a.count);
}

describe('AssignmentSolver', () => {
  it('solves a textbook 3×3 problem', () => {
    // scipy docs example: optimal cost 5 with rows→cols [1, 0, 2].
    expect(
      linearSumAssignment([
        [4, 1, 3],
        [2, 0, 5],
        [3, 2, 2],
      ]),
    ).toEqual([
      [0, 1],
      [1, 0],
      [2, 2],
    ]);
  });

  it('matches brute force on random small matrices with forbidden entries (max cardinality, min cost)', () => {
    const rand = mulberry32(42);
    const solver = new AssignmentSolver();
    for (let trial = 0; trial < 400; trial++) {
      const nRows = 1 + Math.floor(rand() * 6);
      const nCols = 1 + Math.floor(rand() * 6);
      const cost = new Float64Array(nRows * nCols);
      const pForbid = rand() * 0.7;
      for (let k = 0; k < cost.length; k++) {
        const roll = rand();
        cost[k] =
          roll < pForbid
            ? roll < pForbid / 2
              ? Number.NaN
              : Number.POSITIVE_INFINITY
            : Math.round(rand() * 1000) / 100 - 2;
      }
      const a = solver.solve(cost, nRows, nCols);
      const b = bruteForce(cost, nRows, nCols);
      checkConsistent(a, nRows, nCols);
      expect(a.count).toBe(b.count);
      expect(a.cost).toBeCloseTo(b.cost, 9);
    }
  });

  it('matches brute force in thresholded (ByteTrack / lap cost_limit) mode', () => {
    const rand = mulberry32(7);
    const solver = new AssignmentSolver();
    for (let trial = 0; trial < 400; trial++) {
      const nRows = 1 + Math.floor(rand() * 6);
      const nCols = 1 + Math.floor(rand() * 6);
      const cost = new Float64Array(nRows * nCols);
      for (let k = 0; k < cost.length; k++) cost[k] = rand();
      const maxCost = 0.2 + rand() * 0.7;
      const a = solver.solveThresholded(cost, nRows, nCols, maxCost);
      const b = bruteForce(cost, nRows, nCols, maxCost);
      checkConsistent(a, nRows, nCols);
      for (let r = 0; r < nRows; r++)
        if (a.rowToCol[r] >= 0) expect(cost[r * nCols + a.rowToCol[r]]).toBeLessThan(maxCost);
      expect(maxCost * a.count - a.cost).toBeCloseTo(maxCost * b.count - b.cost, 9);
    }
  });

  it('handles empty and fully forbidden matrices', () => {
    const solver = new AssignmentSolver();
    expect(solver.solve(new Float64Array(0), 0, 3).count).toBe(0);
    const a = solver.solve(new Float64Array([Number.NaN, Number.NaN, Number.NaN, Number.NaN]), 2, 2);
    expect(a.count).toBe(0);
    expect(Array.from(a.rowToCol.subarray(0, 2))).toEqual([-1, -1]);
  });
});
