import { describe, expect, it } from 'vitest';
import { estimateCountedModeOd, fitWithFittedVariances, kindGravityPrior } from './modes.ts';
import { UNOBSERVED_ZONE } from './zones.ts';

const shares = (entries: [string, string, Record<string, number>][]) =>
  new Map(entries.map(([o, d, m]) => [`${o}\u0000${d}`, new Map(Object.entries(m))]));

describe('estimateCountedModeOd: pedestrian/bicycle OD from the lines that count them', () => {
  // Zones A, B, C. A line L between A and B: A → B crosses it 'in', B → A 'out'; nothing counts C's trips.
  const input = {
    zones: ['A', 'B', 'C'],
    shares: shares([
      ['A', 'B', { 'L|in': 1 }],
      ['B', 'A', { 'L|out': 1 }],
    ]),
    counts: [
      { key: 'L|in', value: 100 },
      { key: 'L|out', value: 40 },
    ],
    // The GLS alone (the route model's error in the intervals and the re-fits with fitted variances: their own tests
    // below).
    routeCv: 0,
    reweightPasses: 0,
  };
  // The counts' variance scale (fitVarianceScale, 20 pseudo-counts): misfit (30² / 122825 + 30² / 122576) / 2 =
  // 0.0073363 over m = 2 counts → s² = (2 · 0.0073363 + 20) / 22 = 0.909758: the two counts agree with the prior
  // far better than its variance 350² allows, so every posterior variance is multiplied by 0.909758.
  const S2 = (2 * ((900 / 122825 + 900 / 122576) / 2) + 20) / 22;
  // Intervals: the error variance of the estimates with the pairs' true trips spread about the prior level 70 as
  // 70 + 70² = 4970 (pairCv 1; glsErrorVariance), not the fit's 350². One count per cell, gain k = P / (P + R):
  // (1 − k)² · 4970 + k² · R.
  const U = 70 + 70 ** 2;
  const errAB = (325 / 122825) ** 2 * U + (122500 / 122825) ** 2 * 325; // 323.317 (posterior 324.14)
  const errBA = (76 / 122576) ** 2 * U + (122500 / 122576) ** 2 * 76;

  it('fits each counted pair from the common prior level, with the hand-computed posterior', () => {
    const r = estimateCountedModeOd(input);
    // Level = Σ counts / Σ coefficients = 140 / 2 = 70; prior sd 5 × 70 = 350 (variance 122,500); count variances
    // 100 + (0.15 × 100)² = 325 and 40 + 6² = 76. One count per cell: t = 70 + 122500 / (122500 + R) × (c − 70).
    expect(r.level).toBe(70);
    expect(r.counts).toBe(2);
    const cell = (o: string, d: string) => r.cells.find((c) => c.origin === o && c.destination === d);
    expect(cell('A', 'B')?.estimate).toBeCloseTo(70 + (122500 / 122825) * 30, 9); // 99.9206
    expect(S2).toBeCloseTo(0.909758, 6);
    expect(cell('A', 'B')?.sd).toBeCloseTo(Math.sqrt(errAB * S2), 9);
    expect(cell('A', 'B')?.sd).toBeCloseTo(17.1505, 3); // the fit's posterior: 17.172
    expect(cell('B', 'A')?.estimate).toBeCloseTo(70 - (122500 / 122576) * 30, 9); // 40.0186
    expect(cell('B', 'A')?.sd).toBeCloseTo(Math.sqrt(errBA * S2), 9); // 8.3101 (the fit's posterior: 8.313)
    const ab = cell('A', 'B');
    expect(ab?.lower95).toBeCloseTo((ab?.estimate ?? 0) - 1.959964 * (ab?.sd ?? 0), 9);
    expect(ab?.status).toBe('estimated');
    // Misfit (30² / 122825 + 30² / 122576) / 2 = 0.0073 < 1: intervals narrowed by √S2.
    expect(r.misfit).toBeCloseTo((900 / 122825 + 900 / 122576) / 2, 9);
  });

  it('refuses the zone nothing counts: its cells go to residual cells at the prior, never 0 nor spread', () => {
    const r = estimateCountedModeOd(input);
    // A's four cells: A→B and B→A reduced by 99.7 % and 99.9 %, A→C and C→A by 0: mean 0.50 ≥ 0.1. C: 0.
    const zone = (z: string) => r.zones.find((x) => x.zone === z);
    expect(zone('A')?.status).toBe('estimated');
    expect(zone('A')?.varianceReduction).toBeCloseTo((2 - 325 / 122825 - 76 / 122576) / 4, 9);
    expect(zone('C')).toEqual({ zone: 'C', status: 'unobserved', varianceReduction: 0 });
    expect(r.cells.some((c) => c.origin === 'C' || c.destination === 'C')).toBe(false);
    const res = (o: string, d: string) => r.cells.find((c) => c.origin === o && c.destination === d);
    // A → C keeps its prior 70 (no count holds it), in the residual cell (A, (unobserved)), with the pairs' spread
    // about it: √(4970 S2) = 67.24 (the fit's flat prior sd 350 √S2 = 333.83 before 2026-12-05).
    expect(res('A', UNOBSERVED_ZONE)).toMatchObject({ status: 'residual', estimate: 70 });
    expect(res('A', UNOBSERVED_ZONE)?.sd).toBeCloseTo(Math.sqrt(U * S2), 9);
    expect(res('A', UNOBSERVED_ZONE)?.sd).toBeCloseTo(67.242, 3);
    expect(res(UNOBSERVED_ZONE, 'B')).toMatchObject({ status: 'residual', estimate: 70, lower95: 0 });
    // Total: 99.92 + 40.02 + 4 × 70.
    expect(r.cells.reduce((a, c) => a + c.estimate, 0)).toBeCloseTo(139.939 + 280, 2);
  });

  it("adds the route model's error (routeCv, default 0.3) to each interval, the estimates unchanged", () => {
    // A → B: error variance 323.317 at 99.9206, × S2 = 294.14; + (0.3 · 99.9206)² = 898.57 → sd 34.5357. A → C
    // (residual, at its prior 70): 4970 S2 + 21² → sd 70.445.
    const { routeCv: _, ...withDefault } = input;
    const r = estimateCountedModeOd(withDefault);
    const cell = (o: string, d: string) => r.cells.find((c) => c.origin === o && c.destination === d);
    const t = 70 + (122500 / 122825) * 30;
    expect(cell('A', 'B')?.estimate).toBeCloseTo(t, 9);
    expect(cell('A', 'B')?.sd).toBeCloseTo(Math.sqrt(errAB * S2 + (0.3 * t) ** 2), 9);
    expect(cell('A', 'B')?.sd).toBeCloseTo(34.5357, 3);
    expect(cell('A', 'B')?.upper95).toBeCloseTo(t + 1.959964 * 34.5357, 2);
    expect(cell('A', UNOBSERVED_ZONE)?.sd).toBeCloseTo(Math.sqrt(U * S2 + 21 ** 2), 9);
    expect(cell('A', UNOBSERVED_ZONE)?.sd).toBeCloseTo(70.445, 3);
  });

  it('no count of the mode: nothing estimated, every zone unobserved', () => {
    const r = estimateCountedModeOd({ ...input, counts: [] });
    expect(r.cells).toEqual([]);
    expect(r.level).toBe(0);
    expect(r.zones.map((z) => z.status)).toEqual(['unobserved', 'unobserved', 'unobserved']);
  });

  it('non-negative: a pair the counts push below 0 is fixed at 0 and the others refitted', () => {
    // A → B and A → C both cross M 'in' (share 1); only A → B crosses N 'in'. M counts 10, N 200: unconstrained,
    // A → C ≈ 10 − 200 < 0. Fixed at 0, A → B alone is the precision-weighted mean of its prior (level 210 / 3 = 70,
    // variance 350²) and the two counts (variances 10 + 1.5² = 12.25 and 200 + 30² = 1100).
    const r = estimateCountedModeOd({
      zones: ['A', 'B', 'C'],
      shares: shares([
        ['A', 'B', { 'M|in': 1, 'N|in': 1 }],
        ['A', 'C', { 'M|in': 1 }],
      ]),
      counts: [
        { key: 'M|in', value: 10 },
        { key: 'N|in', value: 200 },
      ],
      // Every zone published (this case is about the sign rule, not identification).
      minVarianceReduction: 0,
      reweightPasses: 0,
    });
    expect(r.level).toBeCloseTo(70, 12);
    const find = (o: string, d: string) => r.cells.find((c) => c.origin === o && c.destination === d);
    expect(find('A', 'C')?.estimate).toBe(0);
    const precision = 1 / 122500 + 1 / 12.25 + 1 / 1100;
    expect(find('A', 'B')?.estimate).toBeCloseTo((70 / 122500 + 10 / 12.25 + 200 / 1100) / precision, 6); // 12.098
  });
});

describe('fitWithFittedVariances: count variances from the fit, not from the counts', () => {
  it('two counts of one cell, 16 and 24: the observed-count variances pull it down to 19.2, the fitted ones to 20', () => {
    // One cell, prior 20 with a variance (10⁸) too wide to matter; two lines each count it once (coefficient 1),
    // relSe 0. Variances = the observed counts 16 and 24: the precision-weighted mean (16/16 + 24/24) / (1/16 + 1/24)
    // = 2 / (5/48) = 19.2 — the low count weighs more (Neyman's χ²). One pass with the fitted value 19.2 as both
    // variances: the plain mean 20.
    const cells = [{ prior: 20, variance: 1e8 }];
    const counts = [
      { cells: [0], value: 16, variance: 16 },
      { cells: [0], value: 24, variance: 24 },
    ];
    expect(fitWithFittedVariances(cells, counts, 0, 0).estimate[0]).toBeCloseTo(19.2, 5);
    expect(fitWithFittedVariances(cells, counts, 0, 1).estimate[0]).toBeCloseTo(20, 5);
    // relSe 0.15: the fitted variances stay equal for both counts, so the mean stays 20.
    expect(fitWithFittedVariances(cells, counts, 0.15, 3).estimate[0]).toBeCloseTo(20, 5);
  });
});

describe('kindGravityPrior: the pairs the counts cannot tell apart shaped like the zones of their kinds', () => {
  const cells = [
    { origin: 'g1', destination: 'g2' },
    { origin: 'g1', destination: 'm' },
    { origin: 'g2', destination: 'g1' },
    { origin: 'g2', destination: 'm' },
    { origin: 'm', destination: 'g1' },
    { origin: 'm', destination: 'g2' },
  ];
  const kinds = new Map([
    ['g1', 'gate'],
    ['g2', 'gate'],
    ['m', 'square'],
  ]);

  it('hand-computed: T · P(kind o) · A(kind d) / Σ P A', () => {
    // First fit 0, 10, 2, 0, 20, 8 (T = 40). Rows g1 10, g2 2, m 28; columns g1 22, g2 8, m 10. Gates: P = 6,
    // A = 15; the square: P = 28, A = 10. Products g1g2 90, g1m 60, g2g1 90, g2m 60, mg1 420, mg2 420 (Σ 1140).
    const t = kindGravityPrior(cells, [0, 10, 2, 0, 20, 8], kinds) ?? [];
    const expected = [90, 60, 90, 60, 420, 420].map((x) => (40 * x) / 1140);
    t.forEach((v, i) => {
      expect(v).toBeCloseTo(expected[i], 9);
    });
    expect(t[0]).toBeCloseTo(3.1579, 4);
    expect(t[4]).toBeCloseTo(14.7368, 4);
    expect(t.reduce((a, v) => a + v, 0)).toBeCloseTo(40, 9);
  });

  it('a zone without a kind is its own; an all-zero first fit gives no shape', () => {
    // Without kinds: the zones' own margins, rows 10, 2, 28 and columns 22, 8, 10: g1 → m = 40 · 10 · 10 / Σ with
    // Σ = 10·8 + 10·10 + 2·22 + 2·10 + 28·22 + 28·8 = 1084.
    const t = kindGravityPrior(cells, [0, 10, 2, 0, 20, 8], new Map()) ?? [];
    expect(t[1]).toBeCloseTo((40 * 100) / 1084, 9);
    expect(kindGravityPrior(cells, [0, 0, 0, 0, 0, 0], kinds)).toBeNull();
  });

  it('in the estimate: two pairs crossing the same line split it by kind, not evenly', () => {
    // Walks g2 → m and d → m cross line L (counted 100); every walk from g1 crosses K, which counts none: the gate
    // the counts see has no walkers. Without kinds L's 100 walkers are split evenly; with them the unseen gate g2
    // borrows the gates' mean row (g1's none and its own), so d → m, a district's, gets more.
    const input = {
      zones: ['g1', 'g2', 'd', 'm'],
      shares: shares([
        ['g1', 'm', { 'K|in': 1 }],
        ['g1', 'g2', { 'K|in': 1 }],
        ['g1', 'd', { 'K|in': 1 }],
        ['g2', 'm', { 'L|in': 1 }],
        ['d', 'm', { 'L|in': 1 }],
      ]),
      counts: [
        { key: 'K|in', value: 0 },
        { key: 'L|in', value: 100 },
      ],
      minVarianceReduction: 0,
    };
    const cell = (r: ReturnType<typeof estimateCountedModeOd>, o: string) =>
      r.cells.find((c) => c.origin === o && c.destination === 'm')?.estimate ?? Number.NaN;
    const flat = estimateCountedModeOd(input);
    expect(cell(flat, 'g2')).toBeCloseTo(cell(flat, 'd'), 6);
    // The two fit L's count (variance 100 + 15² = 325, so not exactly).
    expect(Math.abs(cell(flat, 'g2') + cell(flat, 'd') - 100)).toBeLessThan(2);
    const byKind = estimateCountedModeOd({
      ...input,
      zoneKinds: new Map([
        ['g1', 'gate'],
        ['g2', 'gate'],
        ['d', 'district'],
        ['m', 'square'],
      ]),
    });
    expect(cell(byKind, 'd')).toBeGreaterThan(1.5 * cell(byKind, 'g2'));
    expect(Math.abs(cell(byKind, 'g2') + cell(byKind, 'd') - 100)).toBeLessThan(2);
  });
});
