import { describe, expect, it } from 'vitest';
import { mulberry32 } from '../prng.ts';
import {
  dispersionFromCounts,
  estimateOdGls,
  fitVarianceScale,
  type GlsCell,
  type GlsCount,
  glsErrorVariance,
} from './estimate.ts';
import { binomial, poisson } from './fixtures/draws.ts';

describe('estimateOdGls', () => {
  it('one cell, one count: the precision-weighted mean (prior 10 ± 2, count 14 ± 2 → 12 ± √2)', () => {
    const r = estimateOdGls([{ prior: 10, variance: 4 }], [{ cells: [0], value: 14, variance: 4 }]);
    expect(r.estimate[0]).toBeCloseTo(12, 10);
    expect(r.sd[0]).toBeCloseTo(Math.SQRT2, 10);
    expect(r.lower[0]).toBeCloseTo(12 - 1.959964 * Math.SQRT2, 6);
    expect(r.fitted).toEqual([r.estimate[0]]);
    // Misfit at the prior: (14 − 10)² / (4 + 4) / 1 count = 2.
    expect(r.misfit).toBeCloseTo(2, 12);
  });

  it('misfit: rᵀ S⁻¹ r / m at the prior, over the cells left free (two counts, one cell fixed at 0)', () => {
    // Counts on disjoint cells, so S is diagonal: (16 − 10)² / (4 + 5) = 4 and (3 − 3)² / (9 + 1) = 0 → 2.
    const r = estimateOdGls(
      [
        { prior: 10, variance: 4 },
        { prior: 3, variance: 9 },
      ],
      [
        { cells: [0], value: 16, variance: 5 },
        { cells: [1], value: 3, variance: 1 },
      ],
    );
    expect(r.misfit).toBeCloseTo(2, 12);
    // Non-negativity: prior [50, 5] (variances 1, 100), row count 20 (variance 1) pushes the small cell below 0; it is
    // fixed and the last iteration's S holds the big cell only: (20 − 50)² / (1 + 1) = 450.
    const z = estimateOdGls(
      [
        { prior: 50, variance: 1 },
        { prior: 5, variance: 100 },
      ],
      [{ cells: [0, 1], value: 20, variance: 1 }],
    );
    expect(z.zeroed).toEqual([1]);
    expect(z.misfit).toBeCloseTo(450, 9);
  });

  it('a cell no probe sees is recovered from the margins when the other cells are known (2 × 2)', () => {
    // Truth [[10, 20], [30, 40]]; cell (1,1) unknown (flat prior), the others observed precisely.
    const cells: GlsCell[] = [
      { prior: 10, variance: 1e-6 },
      { prior: 20, variance: 1e-6 },
      { prior: 30, variance: 1e-6 },
      { prior: 0, variance: 1e6 },
    ];
    const counts: GlsCount[] = [
      { cells: [2, 3], value: 70, variance: 1 }, // row 1
      { cells: [1, 3], value: 60, variance: 1 }, // column 1
    ];
    const r = estimateOdGls(cells, counts);
    expect(r.estimate[3]).toBeCloseTo(40, 3);
    // Two counts of variance 1 pin it: sd = 1 / √2.
    expect(r.sd[3]).toBeCloseTo(Math.SQRT1_2, 3);
    expect(r.estimate[0]).toBeCloseTo(10, 4);
  });

  it('non-negativity: a cell pushed below 0 is fixed at 0 and the count goes to the others', () => {
    // Prior row [50, 5], count of the row 20: unconstrained GLS (variances ∝ prior) would give [18.2, 1.8]; with a
    // prior variance making the small cell absorb most, it would go negative.
    const cells: GlsCell[] = [
      { prior: 50, variance: 1 },
      { prior: 5, variance: 100 },
    ];
    const r = estimateOdGls(cells, [{ cells: [0, 1], value: 20, variance: 1 }]);
    expect(r.zeroed).toEqual([1]);
    expect(r.estimate[1]).toBe(0);
    // Cell 0 alone: prior 50 ± 1 and the count 20 ± 1 → 35.
    expect(r.estimate[0]).toBeCloseTo(35, 6);
    const free = estimateOdGls(cells, [{ cells: [0, 1], value: 20, variance: 1 }], { nonNegative: false });
    expect(free.estimate[1]).toBeLessThan(0);
  });

  it('coefficients: a counted line used by half of one cell’s routes', () => {
    const r = estimateOdGls(
      [
        { prior: 100, variance: 1e6 },
        { prior: 40, variance: 1e-6 },
      ],
      [{ cells: [0, 1], coefficients: [0.5, 1], value: 100, variance: 1 }],
    );
    expect(r.estimate[0]).toBeCloseTo(120, 3);
  });

  it('rejects counts without a variance and unknown cells (PASSAGE_OD_ESTIMATE)', () => {
    expect(() => estimateOdGls([{ prior: 1, variance: 1 }], [{ cells: [0], value: 1, variance: 0 }])).toThrow(
      expect.objectContaining({ code: 'PASSAGE_OD_ESTIMATE' }),
    );
    expect(() => estimateOdGls([{ prior: 1, variance: 1 }], [{ cells: [3], value: 1, variance: 1 }])).toThrow(
      expect.objectContaining({ code: 'PASSAGE_OD_ESTIMATE' }),
    );
  });

  it('95 % intervals cover 90–98 % of cells with ≥ 20 true trips (probe sampling + margin counts, 6 × 6)', () => {
    // Known truth; probes see a trip with probability p_o p_d (zone detection rates 0.4–0.9), the prior is the
    // observed count expanded by 1 / (p_o p_d) with its binomial variance; counts are Poisson margins of every zone.
    const rand = mulberry32(20261204);
    const nz = 6;
    let inside = 0;
    let total = 0;
    for (let rep = 0; rep < 150; rep++) {
      const truth = Array.from({ length: nz * nz }, () => 5 + Math.floor(rand() * 140));
      const p = Array.from({ length: nz }, () => 0.4 + 0.5 * rand());
      const cells: GlsCell[] = truth.map((t, c) => {
        const q = p[Math.floor(c / nz)] * p[c % nz];
        const n = binomial(rand, t, q);
        // Variance of n / q estimated from n itself: n (1 − q) / q², floored at one trip's worth.
        return { prior: n / q, variance: (Math.max(1, n) * (1 - q)) / (q * q) };
      });
      const counts: GlsCount[] = [];
      for (let z = 0; z < nz; z++) {
        const row = Array.from({ length: nz }, (_, j) => z * nz + j);
        const col = Array.from({ length: nz }, (_, i) => i * nz + z);
        for (const idx of [row, col]) {
          const value = poisson(
            rand,
            idx.reduce((a, i) => a + truth[i], 0),
          );
          counts.push({ cells: idx, value, variance: Math.max(1, value) });
        }
      }
      const r = estimateOdGls(cells, counts);
      truth.forEach((t, i) => {
        if (t < 20) return;
        total++;
        if (t >= r.lower[i] && t <= r.upper[i]) inside++;
      });
    }
    const coverage = inside / total;
    console.log(`GLS 95 % interval coverage on ${total} synthetic cells ≥ 20 trips: ${(100 * coverage).toFixed(1)} %`);
    expect(total).toBeGreaterThan(4000);
    expect(coverage).toBeGreaterThanOrEqual(0.9);
    expect(coverage).toBeLessThanOrEqual(0.98);
  });

  it('dispersionFromCounts recovers the relative variance a prior leaves out (φ = 0.2 → φ² ≈ 0.04)', () => {
    const rand = mulberry32(7);
    const cells: GlsCell[] = [];
    const counts: GlsCount[] = [];
    for (let g = 0; g < 400; g++) {
      const idx: number[] = [];
      let sum = 0;
      for (let k = 0; k < 4; k++) {
        const t = 200 + 300 * rand();
        // Prior = truth × (1 + 0.2 ε), reported variance 0 (the model error is what is missing).
        const u = Math.max(1e-12, rand());
        const e = Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rand());
        idx.push(cells.length);
        cells.push({ prior: t * (1 + 0.2 * e), variance: 0 });
        sum += t;
      }
      counts.push({ cells: idx, value: sum, variance: 1e-9 });
    }
    const phi2 = dispersionFromCounts(cells, counts);
    expect(phi2).toBeGreaterThan(0.03);
    expect(phi2).toBeLessThan(0.05);
  });
});

describe('fitVarianceScale: the posterior variance scale from the counts’ own misfit', () => {
  it('shrinks the Birge ratio towards 1 by 20 pseudo-counts: narrower where the counts fit, wider where not', () => {
    // dreux-grid's motor hour (63 counts, misfit 0.374): (63 · 0.374 + 20) / 83 = 0.52484, sd × 0.7245.
    expect(fitVarianceScale(0.374, 63)).toBeCloseTo((63 * 0.374 + 20) / 83, 12);
    expect(fitVarianceScale(0.374, 63)).toBeCloseTo(0.52484, 5);
    // A misfit of 2.5 over 20 counts: (50 + 20) / 40 = 1.75.
    expect(fitVarianceScale(2.5, 20)).toBe(1.75);
    // Few counts say little: misfit 0 over 2 counts → 20 / 22.
    expect(fitVarianceScale(0, 2)).toBeCloseTo(0.90909, 5);
    // No count, or no finite misfit: unchanged.
    expect(fitVarianceScale(0.3, 0)).toBe(1);
    expect(fitVarianceScale(Number.NaN, 10)).toBe(1);
  });
});

describe('glsErrorVariance: the error of a fit under another spread of the true cells (sandwich)', () => {
  // Two cells, prior 10 each with variance 100, one count of their sum: 20, variance 4. S = 100 + 100 + 4 = 204,
  // gain K = 100 / 204 for each cell on the count, (KA)ᵢⱼ = 100 / 204.
  const cells = [
    { prior: 10, variance: 100 },
    { prior: 10, variance: 100 },
  ];
  const counts = [{ cells: [0, 1], value: 20, variance: 4 }];

  it('with the true cells spread as U = [10, 30]: (104/204)² 10 + (100/204)² 30 + (100/204)² 4', () => {
    const v = glsErrorVariance(cells, counts, [], [10, 30]);
    expect(v[0]).toBeCloseTo((104 ** 2 * 10 + 100 ** 2 * 30 + 100 ** 2 * 4) / 204 ** 2, 12); // 10.7689
    expect(v[0]).toBeCloseTo(10.7689, 4);
    expect(v[1]).toBeCloseTo((100 ** 2 * 10 + 104 ** 2 * 30 + 100 ** 2 * 4) / 204 ** 2, 12); // 10.768 + ...
  });

  it('with U = the prior variances it is the posterior variance of the fit: 100 − 100² / 204 = 50.98', () => {
    const v = glsErrorVariance(cells, counts, [], [100, 100]);
    expect(v[0]).toBeCloseTo(100 - 10000 / 204, 9);
    const r = estimateOdGls(cells, counts);
    expect(v[0]).toBeCloseTo(r.sd[0] ** 2, 9);
  });

  it('a cell fixed at 0 errs by its whole truth: U + t₀²; a cell no count holds keeps U', () => {
    const v = glsErrorVariance([...cells, { prior: 5, variance: 100 }], counts, [1], [10, 30, 7]);
    // Cell 1 fixed (prior variance 0 in the fit, still in the count): S = 100 + 4, K = 100 / 104 on cell 0;
    // (I − KA) row 0 = [4/104, −100/104]: (4/104)² 10 + (100/104)² 30 + (100/104)² 4.
    expect(v[0]).toBeCloseTo((4 / 104) ** 2 * 10 + (100 / 104) ** 2 * 30 + (100 / 104) ** 2 * 4, 12);
    expect(v[0]).toBeCloseTo(31.4497, 4);
    expect(v[1]).toBe(30 + 100);
    expect(v[2]).toBe(7);
  });
});
