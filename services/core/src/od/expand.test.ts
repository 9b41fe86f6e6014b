import { describe, expect, it } from 'vitest';
import { expandedStdErr, expandOdCells, ipf } from './expand.ts';

const sum = (a: number[]) => a.reduce((x, y) => x + y, 0);
const rowSums = (m: number[][]) => m.map(sum);
const colSums = (m: number[][]) => m[0].map((_, j) => sum(m.map((r) => r[j])));

describe('ipf', () => {
  it('a rank-one seed converges in one iteration to R_i·C_j / T', () => {
    // Observed trips proportional to (2, 3, 5) × (1, 2, 1).
    const seed = [
      [2, 4, 2],
      [3, 6, 3],
      [5, 10, 5],
    ];
    const r = ipf(seed, [400, 250, 350], [300, 500, 200]);
    expect(r.converged).toBe(true);
    expect(r.iterations).toBe(1);
    const expected = [
      [120, 200, 80],
      [75, 125, 50],
      [105, 175, 70],
    ];
    for (let i = 0; i < 3; i++) for (let j = 0; j < 3; j++) expect(r.matrix[i][j]).toBeCloseTo(expected[i][j], 9);
  });

  it('a 3×3 example converges to the margins and keeps the cross-product ratios of the seed', () => {
    const seed = [
      [5, 50, 100],
      [50, 5, 100],
      [50, 100, 5],
    ];
    const rows = [400, 460, 400];
    const cols = [260, 400, 600];
    // Default criterion (max relative margin error ≤ 1e-6): 13 iterations.
    const quick = ipf(seed, rows, cols);
    expect(quick.iterations).toBe(13);
    expect(quick.maxRelError).toBeLessThanOrEqual(1e-6);
    const r = ipf(seed, rows, cols, { tolerance: 1e-12 });
    expect(r.converged).toBe(true);
    expect(r.iterations).toBe(27);
    const fitted = [
      [10.9282, 120.6233, 268.4484],
      [128.9654, 14.2349, 316.7997],
      [120.1064, 265.1417, 14.7519],
    ];
    for (let i = 0; i < 3; i++) for (let j = 0; j < 3; j++) expect(r.matrix[i][j]).toBeCloseTo(fitted[i][j], 4);
    for (const [i, s] of rowSums(r.matrix).entries()) expect(s).toBeCloseTo(rows[i], 6);
    for (const [j, s] of colSums(r.matrix).entries()) expect(s).toBeCloseTo(cols[j], 6);
    // Biproportional: x_ij = a_i · s_ij · b_j, so odds ratios are those of the seed.
    const odds = (m: number[][], i: number, j: number, k: number, l: number) =>
      (m[i][j] * m[k][l]) / (m[i][l] * m[k][j]);
    expect(odds(r.matrix, 0, 0, 1, 1)).toBeCloseTo(odds(seed, 0, 0, 1, 1), 9); // (5·5)/(50·50) = 0.01
    expect(odds(r.matrix, 1, 1, 2, 2)).toBeCloseTo(0.0025, 9); // (5·5)/(100·100)
  });

  it('balances inconsistent margins and reports rows and columns it cannot match', () => {
    const seed = [
      [10, 10, 0],
      [0, 0, 0], // nobody observed leaving zone 2
      [10, 30, 0], // and nobody arriving in zone 3
    ];
    const r = ipf(seed, [100, 50, 200], [150, 150, 40], { tolerance: 1e-10 });
    expect(r.unmatchedRows).toEqual([1]);
    expect(r.unmatchedCols).toEqual([2]);
    // Matchable rows total 300, matchable columns 300: no balancing needed.
    expect(r.balanceFactor).toBe(1);
    expect(r.converged).toBe(true);
    expect(r.matrix[1]).toEqual([0, 0, 0]);
    expect(rowSums(r.matrix)[0]).toBeCloseTo(100, 6);
    expect(colSums(r.matrix)[1]).toBeCloseTo(150, 6);
    const b = ipf(
      [
        [1, 1],
        [1, 1],
      ],
      [100, 100],
      [50, 50],
    );
    expect(b.balanceFactor).toBe(2); // columns scaled to the row total of 200
    expect(b.matrix).toEqual([
      [50, 50],
      [50, 50],
    ]);
    expect(() => ipf([[1]], [1, 2], [3])).toThrow(expect.objectContaining({ code: 'PASSAGE_OD_EXPAND' }));
  });
});

describe('expandOdCells', () => {
  it('expands observed trips to the reference counts with Poisson standard errors', () => {
    const W = Date.parse('2025-10-01T07:00:00Z');
    const cell = (origin: string, destination: string, trips: number) => ({
      origin,
      destination,
      mode: 'all',
      windowStart: W,
      trips,
    });
    const { cells, ipf: fit } = expandOdCells(
      [cell('A', 'B', 16), cell('A', 'C', 4), cell('B', 'C', 25), cell('B', 'A', 0)],
      { originTotals: { A: 100, B: 125 }, destinationTotals: { B: 80, C: 145 } },
    );
    expect(fit.converged).toBe(true);
    const by = Object.fromEntries(cells.map((c) => [`${c.origin}${c.destination}`, c]));
    // Rows: A = 100 over (B 16, C 4); B = 125 over (C 25). Columns: B = 80, C = 145.
    expect(by.AB.expanded).toBeCloseTo(80, 6);
    expect(by.AC.expanded).toBeCloseTo(20, 6);
    expect(by.BC.expanded).toBeCloseTo(125, 6);
    // se = expanded / √observed: 80/4 = 20, 20/2 = 10, 125/5 = 25.
    expect(by.AB.expandedStdErr).toBeCloseTo(20, 6);
    expect(by.AC.expandedStdErr).toBeCloseTo(10, 6);
    expect(by.BC.expandedStdErr).toBeCloseTo(25, 6);
    expect(by.BA.expanded).toBe(0);
    expect(by.BA.expandedStdErr).toBeUndefined();
    expect(expandedStdErr(50, 0)).toBeUndefined();
  });
});
