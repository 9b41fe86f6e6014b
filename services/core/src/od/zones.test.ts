import { describe, expect, it } from 'vitest';
import { mulberry32 } from '../prng.ts';
import { binomial, poisson } from './fixtures/draws.ts';
import { THREE_ZONE_TOTALS, THREE_ZONE_TRUTH, threeZoneLineCounts, threeZoneShares } from './fixtures/three-zones.ts';
import { countedPriorLevel, endShareVariance, estimateZoneOd, UNOBSERVED_ZONE } from './zones.ts';

const cell = (origin: string, destination: string, prior: number, variance = prior) => ({
  origin,
  destination,
  prior,
  variance,
  observed: prior / 2,
});

/**
 * A and B probed (A→B, B→A: prior 10, variance 4), C unprobed; C's access line counts `into` and `outOf` C (only
 * `into` with `onlyIn`); with `abLine`, a line M that only A→B crosses counts that many; `probeCv` and
 * `minVarianceReduction` are passed on when given.
 */
const probedABWithLineOfC = (
  into: number,
  outOf: number,
  more: {
    abLine?: number;
    probeCv?: number;
    onlyIn?: boolean;
    minVarianceReduction?: number;
    reweightPasses?: number;
    relSe?: number;
    /** Replace C's line (shares and counts) by these. */
    lines?: { shares: Map<string, Map<string, number>>; counts: { key: string; value: number }[] };
  } = {},
) =>
  estimateZoneOd({
    zones: ['A', 'B', 'C'],
    observed: new Set(['A', 'B']),
    cells: [cell('A', 'B', 10, 4), cell('B', 'A', 10, 4)],
    totals: [],
    links: {
      shares:
        more.lines?.shares ??
        (more.abLine === undefined
          ? threeZoneShares('L')
          : new Map([...threeZoneShares('L'), ['A\u0000B', new Map([['M|in', 1]])]])),
      counts: more.lines?.counts ?? [
        { key: 'L|in', value: into },
        ...(more.onlyIn ? [] : [{ key: 'L|out', value: outOf }]),
        ...(more.abLine === undefined ? [] : [{ key: 'M|in', value: more.abLine }]),
      ],
      ...(more.relSe === undefined ? {} : { relSe: more.relSe }),
      ...(more.probeCv === undefined ? {} : { probeCv: more.probeCv }),
      ...(more.minVarianceReduction === undefined ? {} : { minVarianceReduction: more.minVarianceReduction }),
      ...(more.reweightPasses === undefined ? {} : { reweightPasses: more.reweightPasses }),
    },
  });

describe('estimateZoneOd', () => {
  it('keeps the trips of an unobserved zone apart (residual cells) instead of spreading them over observed cells', () => {
    // Truth: A→B 100, B→A 80, A→C 60, C→B 40; C has neither probe nor counter. Probes see A and B (priors exact
    // up to Poisson), the counters count A's and B's totals, which include C's trips.
    const r = estimateZoneOd({
      zones: ['A', 'B', 'C'],
      observed: new Set(['A', 'B']),
      cells: [cell('A', 'B', 100), cell('B', 'A', 80)],
      totals: [
        { zone: 'A', side: 'origin', total: 160 },
        { zone: 'B', side: 'origin', total: 80 },
        { zone: 'A', side: 'destination', total: 80 },
        { zone: 'B', side: 'destination', total: 140 },
      ],
    });
    const get = (o: string, d: string) => r.cells.find((c) => c.origin === o && c.destination === d);
    expect(r.zones.map((z) => [z.zone, z.status])).toEqual([
      ['A', 'observed'],
      ['B', 'observed'],
      ['C', 'unobserved'],
    ]);
    expect(r.cells.some((c) => c.origin === 'C' || c.destination === 'C')).toBe(false);
    expect(Math.abs((get('A', 'B')?.estimate ?? 0) - 100)).toBeLessThan(2);
    expect(Math.abs((get('B', 'A')?.estimate ?? 0) - 80)).toBeLessThan(2);
    expect(get('A', UNOBSERVED_ZONE)?.status).toBe('residual');
    expect(Math.abs((get('A', UNOBSERVED_ZONE)?.estimate ?? 0) - 60)).toBeLessThan(2);
    expect(Math.abs((get(UNOBSERVED_ZONE, 'B')?.estimate ?? 0) - 40)).toBeLessThan(2);
    // Matched share of A: probes matched 50 + 40 trips on its counted row and column (160 + 80).
    expect(r.zones[0].matchedShare).toBeCloseTo(90 / 240, 6);
    // The interval of an observed cell holds its truth.
    const ab = get('A', 'B');
    expect(ab && ab.lower95 <= 100 && ab.upper95 >= 100).toBe(true);
  });

  it('a zone without probes but with counts is estimated from them (weak gravity prior, wide interval)', () => {
    // C is counted (origin 50, destination 30) but has no probe: its cells come from its totals.
    const r = estimateZoneOd({
      zones: ['A', 'B', 'C'],
      observed: new Set(['A', 'B']),
      cells: [cell('A', 'B', 100), cell('B', 'A', 100)],
      totals: [
        { zone: 'A', side: 'origin', total: 115 },
        { zone: 'B', side: 'origin', total: 115 },
        { zone: 'C', side: 'origin', total: 50 },
        { zone: 'C', side: 'destination', total: 30 },
      ],
    });
    const c = r.cells.filter((x) => x.origin === 'C');
    expect(r.zones.find((z) => z.zone === 'C')?.status).toBe('estimated');
    expect(c.every((x) => x.status === 'estimated')).toBe(true);
    expect(Math.abs(c.reduce((a, x) => a + x.estimate, 0) - 50)).toBeLessThan(2);
    const toC = r.cells.filter((x) => x.destination === 'C');
    expect(Math.abs(toC.reduce((a, x) => a + x.estimate, 0) - 30)).toBeLessThan(2);
    // No unobserved zone: no residual cell.
    expect(r.cells.some((x) => x.status === 'residual')).toBe(false);
    // Estimated cells carry wide intervals.
    for (const x of c) expect(x.upper95 - x.lower95).toBeGreaterThan(0.5 * x.estimate);
  });

  it('with line counts and route shares, a zone without probes is estimated from what its lines count', () => {
    // Truth: A→B 100, B→A 80, A→C 60, B→C 40, C→A 30, C→B 20. Probes see A and B (priors exact, small variance);
    // the zone totals count A (origin 160, destination 110) and B (origin 120, destination 120); C has neither a
    // probe nor a counter but one line on its access road counts what enters it (100) and leaves it (50).
    // Unknowns AB, BA, AC, BC, CA, CB; six counts of rank five (Σ origins + out = Σ destinations + in); the probe
    // priors of AB and BA fix the remaining degree of freedom: AC = 160 − 100, BC = 120 − 80, CA = 110 − 80,
    // CB = 120 − 100.
    const shares = threeZoneShares('L');
    const r = estimateZoneOd({
      zones: ['A', 'B', 'C'],
      observed: new Set(['A', 'B']),
      cells: [cell('A', 'B', 100, 4), cell('B', 'A', 80, 4)],
      totals: THREE_ZONE_TOTALS,
      links: {
        shares,
        counts: threeZoneLineCounts('L'),
      },
    });
    const get = (o: string, d: string) => r.cells.find((c) => c.origin === o && c.destination === d);
    expect(r.zones.map((z) => [z.zone, z.status])).toEqual([
      ['A', 'observed'],
      ['B', 'observed'],
      ['C', 'estimated'],
    ]);
    for (const [o, d, t] of THREE_ZONE_TRUTH) {
      const c = get(o, d);
      expect(c?.status).toBe(o === 'C' || d === 'C' ? 'estimated' : 'observed');
      expect(Math.abs((c?.estimate ?? 0) - t)).toBeLessThan(3);
      expect(c && c.lower95 <= t && c.upper95 >= t).toBe(true);
    }
    // No round trip is estimated for the unprobed zone, and nothing is residual.
    expect(get('C', 'C')).toBeUndefined();
    expect(r.cells.some((c) => c.status === 'residual')).toBe(false);
  });

  it('with line counts and no zone left unobserved, matched trips with an (unobserved) end are absorbed (0), not counted twice', () => {
    // As above, plus 12 trips the probes matched from A to beyond a crossed cordon (an `(unobserved)` end): they are
    // among A → C's 60, so their own cell is published at 0.
    const r = estimateZoneOd({
      zones: ['A', 'B', 'C'],
      observed: new Set(['A', 'B']),
      cells: [cell('A', 'B', 100, 4), cell('B', 'A', 80, 4), cell('A', UNOBSERVED_ZONE, 12)],
      totals: THREE_ZONE_TOTALS,
      links: {
        shares: threeZoneShares('L'),
        counts: threeZoneLineCounts('L'),
      },
    });
    const absorbed = r.cells.filter((c) => c.destination === UNOBSERVED_ZONE);
    expect(absorbed.map((c) => [c.origin, c.status, c.estimate, c.lower95, c.upper95])).toEqual([
      ['A', 'absorbed', 0, 0, 0],
    ]);
    const ac = r.cells.find((c) => c.origin === 'A' && c.destination === 'C');
    expect(Math.abs((ac?.estimate ?? 0) - 60)).toBeLessThan(3);
  });

  it('with line counts, a zone the counts see weakly is published (reduction ≥ 10 %), one they hardly see refused', () => {
    // A and B probed (prior 10, t̄ = 10: the unprobed pairs' prior variance 100); only C's entering line counts, so
    // of C's four cells only A→C and B→C are in a count (share 1 each). Their variance reduction: 1 − posterior / prior
    // = 100 / (2 · 100 + R), R = c + (0.1 c)²; C→A and C→B: 0. C's mean over its four cells = 50 / (200 + R).
    const onlyIn = (into: number, minVarianceReduction?: number) =>
      probedABWithLineOfC(into, 0, { onlyIn: true, minVarianceReduction });
    const statusOfC = (r: ReturnType<typeof onlyIn>) => r.zones.find((z) => z.zone === 'C');
    // 8 entering: R = 8.64, mean reduction 50 / 208.64 = 0.240 ≥ 0.1: estimated, its cells published (with the
    // earlier threshold 0.3 it was refused: counts-do-not-identify).
    expect(50 / 208.64).toBeCloseTo(0.2396, 4);
    expect(statusOfC(onlyIn(8))?.status).toBe('estimated');
    expect(onlyIn(8).cells.some((c) => c.origin === 'C' && c.destination === 'A' && c.status === 'estimated')).toBe(
      true,
    );
    expect(statusOfC(onlyIn(8, 0.3))).toMatchObject({ status: 'unobserved', reason: 'counts-do-not-identify' });
    // 140 entering: R = 140 + 14² = 336, mean reduction 50 / 536 = 0.093 < 0.1: refused, its trips in residual cells.
    expect(50 / 536).toBeCloseTo(0.0933, 4);
    expect(statusOfC(onlyIn(140))).toMatchObject({ status: 'unobserved', reason: 'counts-do-not-identify' });
    expect(onlyIn(140).cells.some((c) => c.origin === 'C' || c.destination === 'C')).toBe(false);
    // 130 entering: R = 299, 50 / 499 = 0.1002: estimated.
    expect(statusOfC(onlyIn(130))?.status).toBe('estimated');
  });

  it('with line counts, a zone no count sees stays unobserved: its cells go to the residual cells, not to others', () => {
    // As above plus zone D: no probe, no counter, no line on its routes. Its cells keep their uninformative prior
    // (the counts reduce their variance by less than 10 % on average: 0 here, while C's four counted cells of six
    // lose about half of theirs), so D is refused and its estimates are summed into
    // (zone, (unobserved)) cells; the estimated zone C keeps its own cells.
    const r = estimateZoneOd({
      zones: ['A', 'B', 'C', 'D'],
      observed: new Set(['A', 'B']),
      cells: [cell('A', 'B', 100, 4), cell('B', 'A', 80, 4)],
      totals: [],
      links: {
        shares: threeZoneShares('L'),
        counts: threeZoneLineCounts('L'),
      },
    });
    const status = Object.fromEntries(r.zones.map((z) => [z.zone, z.status]));
    expect(status).toEqual({ A: 'observed', B: 'observed', C: 'estimated', D: 'unobserved' });
    expect(r.cells.some((c) => c.origin === 'D' || c.destination === 'D')).toBe(false);
    const res = r.cells.filter((c) => c.status === 'residual').map((c) => `${c.origin}>${c.destination}`);
    expect(res.sort()).toEqual(
      [
        `A>${UNOBSERVED_ZONE}`,
        `B>${UNOBSERVED_ZONE}`,
        `C>${UNOBSERVED_ZONE}`,
        `${UNOBSERVED_ZONE}>A`,
        `${UNOBSERVED_ZONE}>B`,
        `${UNOBSERVED_ZONE}>C`,
      ].sort(),
    );
    // C's inbound cells A→C and B→C: standard deviation t̄ = (100 + 80) / 2 = 90 (variance 8,100) and mean the level
    // λ that fits the counts: in 100 and out 50, two unprobed pairs each. At the observed counts' variances
    // (100 + (0.1 · 100)² = 200 and 50 + 5² = 75) λ = (100·2/200 + 50·2/75) / (4/200 + 4/75) = 31.818…; the passes
    // weigh each count by its variance at its fitted value 2λ, the same for both, so λ = (100·2 + 50·2) / (4 + 4) =
    // 37.5. The inbound cells' sum then moves from 2λ = 75 by 16,200 / (16,200 + v) of the misfit 100 − 75, v the
    // count's variance: 200 at the first fit, then f + (0.1 f)² at the previous fit's value f (3 re-fits).
    const neyman = ((100 * 2) / 200 + (50 * 2) / 75) / (4 / 200 + 4 / 75);
    expect(neyman).toBeCloseTo(31.8182, 4);
    const lambda = 37.5;
    let sum = 2 * lambda + ((100 - 2 * lambda) * 16_200) / 16_400;
    for (let k = 0; k < 3; k++) sum = 2 * lambda + ((100 - 2 * lambda) * 16_200) / (16_200 + sum + (0.1 * sum) ** 2);
    expect(sum).toBeCloseTo(99.6965, 4);
    const into = r.cells.filter((c) => c.destination === 'C' && c.origin !== UNOBSERVED_ZONE);
    expect(into.reduce((a, c) => a + c.estimate, 0)).toBeCloseTo(sum, 6);
    for (const c of into) expect(c.prior).toBeCloseTo(lambda, 9);
  });

  it("with line counts, the prior of unprobed pairs is the level the counts support, not the probed pairs' mean", () => {
    // A and B probed (A→B, B→A: 10 each, A→A and B→B nobody); C has no probe. Two lines on C's access road count
    // 8 entering (A→C + B→C) and 8 leaving (C→A + C→B), variance 8 + (0.1 · 8)² = 8.64 each. λ = (8·2 + 8·2) /
    // (2² + 2²) (equal weights) = 4, the prior of the four unprobed pairs, with standard deviation t̄ = 10 (the probed
    // pairs' mean). The prior already fits both counts, so every unprobed cell stays at 4; posterior variance
    // 100 − 100² / (2 · 100 + 8.64) = 52.071 (sd 7.216), times the counts' variance scale (fitVarianceScale: misfit 0
    // over m = 2 counts, s² = (0 + 20) / 22): sd 6.880, interval [0, 4 + 1.959964 · 6.880]. With the probed mean
    // as prior (the earlier rule) each would be 10 + 100 · (8 − 20) / 208.64 = 4.248, and the total 48.5 instead of 36.
    const r = probedABWithLineOfC(8, 8);
    const sd = Math.sqrt((100 - 100 ** 2 / 208.64) * (20 / 22));
    expect(sd).toBeCloseTo(6.88, 3);
    for (const [o, d] of [
      ['A', 'C'],
      ['B', 'C'],
      ['C', 'A'],
      ['C', 'B'],
    ]) {
      const c = r.cells.find((x) => x.origin === o && x.destination === d);
      expect(c?.status).toBe('estimated');
      expect(c?.prior).toBeCloseTo(4, 9);
      expect(c?.estimate).toBeCloseTo(4, 9);
      expect(c?.sd).toBeCloseTo(sd, 9);
      expect(c?.lower95).toBe(0);
      expect(c?.upper95).toBeCloseTo(4 + 1.959964 * sd, 9);
    }
    expect(r.cells.reduce((a, c) => a + c.estimate, 0)).toBeCloseTo(36, 9);
    expect(countedPriorLevel([], [])).toBeUndefined();
  });

  it('with line counts, intervals scale by the counts’ misfit, here wider: the counts disagree with the prior', () => {
    // As above, but 40 leave C (variance 40 + 4² = 56) while 8 enter it (8.64); the observed counts' variances
    // throughout (reweightPasses 0: the re-fits are tested below). λ = (2·8/8.64 + 2·40/56) /
    // (4/8.64 + 4/56) = 6.1386; the counts hold disjoint cells, so S is diagonal: S_in = 2 · 100 + 8.64, S_out =
    // 2 · 100 + 56, and the misfit = ((8 − 2λ)² / S_in + (40 − 2λ)² / S_out) / 2 = 1.545 > 1, so the variance scale
    // (fitVarianceScale, m = 2) is s² = (2 · 1.545 + 20) / 22 = 1.0495. Each posterior sd is the GLS one,
    // 100 − 100² / S, times s; the estimates are the GLS ones: λ + 100 (c − 2λ) / S.
    const r = probedABWithLineOfC(8, 40, { reweightPasses: 0 });
    const lambda = (16 / 8.64 + 80 / 56) / (4 / 8.64 + 4 / 56);
    expect(lambda).toBeCloseTo(6.1386, 4);
    const sIn = 208.64;
    const sOut = 256;
    const misfit = ((8 - 2 * lambda) ** 2 / sIn + (40 - 2 * lambda) ** 2 / sOut) / 2;
    expect(misfit).toBeCloseTo(1.545, 3);
    const s2 = (2 * misfit + 20) / 22;
    expect(s2).toBeCloseTo(1.0495, 4);
    for (const [o, d, c, s] of [
      ['A', 'C', 8, sIn],
      ['C', 'B', 40, sOut],
    ] as const) {
      const x = r.cells.find((y) => y.origin === o && y.destination === d);
      expect(x?.status).toBe('estimated');
      expect(x?.estimate).toBeCloseTo(lambda + (100 * (c - 2 * lambda)) / s, 9);
      expect(x?.sd).toBeCloseTo(Math.sqrt(s2 * (100 - 100 ** 2 / s)), 9);
      expect(x?.upper95).toBeCloseTo((x?.estimate ?? 0) + 1.959964 * (x?.sd ?? 0), 9);
    }
    // The probed pairs no count holds keep their prior 10, their sd √(4 + (0.2 · 10)²) · s = 2.898 (the sampling
    // variance 4 and the probe priors' model error, probeCv 0.2), but never below the Poisson error of 10 trips: √10.
    expect(Math.sqrt(8 * s2)).toBeCloseTo(2.898, 3);
    expect(r.cells.find((y) => y.origin === 'A' && y.destination === 'B')?.sd).toBeCloseTo(Math.sqrt(10), 9);
  });

  it('with line counts, a probe prior carries its model error (probeCv): a count moves it by that much more', () => {
    // As in the λ test (C's line: 8 in, 8 out, so λ = 4 fits exactly), plus a line M that only A→B crosses, counted
    // 16 (variance 16 + 1.6² = 18.56). A→B: prior 10, sampling variance 4, plus (0.2 · 10)² = 4 of model error:
    // V = 8, S_M = 8 + 18.56 = 26.56, estimate 10 + 8 · (16 − 10) / 26.56 = 11.807, posterior variance
    // 8 − 8² / 26.56 = 5.590 (sd 2.364). Misfit (0 + 0 + 6² / 26.56) / 3 = 0.452 < 1: s² = (3 · 0.452 + 20) / 23 =
    // 0.9285, sd 2.278, below the Poisson error of 11.807 trips, √11.807 = 3.436: the interval is that floor. With
    // probeCv 0 (the sampling variance alone) the count moves it to 10 + 4 · 6 / 22.56 = 11.064 only. The observed
    // counts' variances throughout (reweightPasses 0: the re-fits are tested below).
    const run = (probeCv?: number) => probedABWithLineOfC(8, 8, { abLine: 16, probeCv, reweightPasses: 0 });
    const ab = run().cells.find((y) => y.origin === 'A' && y.destination === 'B');
    expect(ab?.status).toBe('observed');
    expect(ab?.estimate).toBeCloseTo(10 + (8 * 6) / 26.56, 9);
    expect(ab?.estimate).toBeCloseTo(11.807, 3);
    expect(Math.sqrt((8 - 64 / 26.56) * ((36 / 26.56 + 20) / 23))).toBeCloseTo(2.278, 3);
    expect(ab?.sd).toBeCloseTo(Math.sqrt(10 + (8 * 6) / 26.56), 9);
    expect(ab?.sd).toBeCloseTo(3.436, 3);
    expect(run(0).cells.find((y) => y.origin === 'A' && y.destination === 'B')?.estimate).toBeCloseTo(
      10 + 24 / 22.56,
      9,
    );
    // B→A, in no count: its prior 10, sd √8 · s = 2.725, floored at √10.
    expect(run().cells.find((y) => y.origin === 'B' && y.destination === 'A')?.sd).toBeCloseTo(Math.sqrt(10), 9);
  });

  it('with line counts, count variances come from the fit (Pearson), so a line that happened to count few does not pull the cells down', () => {
    // A and B probed (A→B, B→A: 10 each, variance 4), C unprobed. Two lines on C's access road are both crossed by
    // A→C and B→C (coefficient 1 each) and count 16 and 24 (relSe 0: variance max(1, count)). The four unprobed pairs'
    // prior sd is t̄ = 10 (variance 100), so the inbound sum s = A→C + B→C has prior variance 200, and A→C = B→C = s/2.
    // At the observed counts' variances (16 and 24, reweightPasses 0): λ = (2·16/16 + 2·24/24) / (4/16 + 4/24) = 9.6,
    // prior s = 19.2, which is already the precision-weighted mean of the counts ((16/16 + 24/24) / (1/16 + 1/24) =
    // 19.2): s = 19.2, 9.6 per cell, the lower count weighing 1.5 × the higher. With the variances at the fitted
    // values (both 2λ, then both s: equal weights) λ = (2·16 + 2·24) / 8 = 10, and s = (20/200 + 40/f) / (1/200 +
    // 2/f) = 20 for any f: 10 per cell, the counts' mean.
    const both = () =>
      new Map([
        ['L|in', 1],
        ['K|in', 1],
      ]);
    const lines = {
      shares: new Map([
        ['A\u0000C', both()],
        ['B\u0000C', both()],
      ]),
      counts: [
        { key: 'L|in', value: 16 },
        { key: 'K|in', value: 24 },
      ],
    };
    const run = (reweightPasses?: number) =>
      probedABWithLineOfC(0, 0, { lines, relSe: 0, reweightPasses }).cells.find(
        (c) => c.origin === 'A' && c.destination === 'C',
      );
    expect((2 * 16) / 16 + (2 * 24) / 24).toBe(4);
    expect(4 / (4 / 16 + 4 / 24)).toBeCloseTo(9.6, 12);
    expect(run(0)?.prior).toBeCloseTo(9.6, 9);
    expect(run(0)?.estimate).toBeCloseTo(9.6, 9);
    expect(run()?.prior).toBeCloseTo(10, 9);
    expect(run()?.estimate).toBeCloseTo(10, 9);
    // countedPriorLevel alone: the same two counts of one unprobed pair, 19.2 at the observed variances, 20 at the
    // fitted ones (one pass suffices: both counts then have the same fitted value λ).
    const one = [{ status: 'estimated' as const, glsCell: { prior: 1, variance: 1 } }];
    const counts = [
      { cells: [0], value: 16, variance: 16 },
      { cells: [0], value: 24, variance: 24 },
    ];
    expect(countedPriorLevel(one, counts)).toBeCloseTo(19.2, 9);
    expect(countedPriorLevel(one, counts, (_a, f) => f, 1)).toBeCloseTo(20, 9);
  });

  it('with line counts, a line inside a pair’s own end zone adds its route-model error to the count’s variance', () => {
    // As in the λ test (C's line: 8 in, 8 out; λ = 4 fits exactly), the line lying inside C: A→C's and B→C's whole
    // share of 'L|in' is end share, sd 0.5 × 1 × 4 = 2 each, so the count's variance is 8 + 0.8² + 2 · 2² = 16.64
    // (was 8.64). Estimates unchanged (the prior fits); A→C's posterior variance 100 − 100² / (2 · 100 + 16.64) =
    // 53.84 (sd 7.338, was 7.216); C→A keeps 100 − 100² / 208.64 (its line 'L|out' has no end share here). Both
    // times the counts' variance scale 20 / 22 (misfit 0, m = 2).
    const ends = new Map([
      ['A\u0000C', new Map([['L|in', 1]])],
      ['B\u0000C', new Map([['L|in', 1]])],
    ]);
    const r = estimateZoneOd({
      zones: ['A', 'B', 'C'],
      observed: new Set(['A', 'B']),
      cells: [cell('A', 'B', 10, 4), cell('B', 'A', 10, 4)],
      totals: [],
      links: {
        shares: threeZoneShares('L'),
        counts: [
          { key: 'L|in', value: 8 },
          { key: 'L|out', value: 8 },
        ],
        endShares: ends,
      },
    });
    const ac = r.cells.find((c) => c.origin === 'A' && c.destination === 'C');
    expect(ac?.estimate).toBeCloseTo(4, 9);
    expect(ac?.sd).toBeCloseTo(Math.sqrt((100 - 100 ** 2 / 216.64) * (20 / 22)), 9);
    expect(ac?.sd).toBeCloseTo(6.996, 3);
    expect(r.cells.find((c) => c.origin === 'C' && c.destination === 'A')?.sd).toBeCloseTo(
      Math.sqrt((100 - 100 ** 2 / 208.64) * (20 / 22)),
      9,
    );
    const cellsAt4 = ['A', 'B'].map((o) => ({ origin: o, destination: 'C', glsCell: { prior: 4, variance: 100 } }));
    expect(endShareVariance(cellsAt4, [{ key: 'L|out' }, { key: 'L|in' }], ends, 0.5)).toEqual([0, 8]);
  });

  it('with line counts, whether the counts see a zone is judged without the probe model error', () => {
    // A→B probed (prior 200, sampling variance 200), B→A probed (prior 0: t̄ = 100, the unprobed pairs' prior
    // variance 100² = 10,000). Line M: A→B + A→C, counted 300 (R = 300 + 30² = 1,200); line N: C→A, counted 1,228
    // (R = 1,228 + 122.8² = 16,307.8). Variance reduction of C's cells: A→C 10,000 / (200 + 10,000 + 1,200) = 0.877,
    // C→A 10,000 / 26,307.8 = 0.380, B→C and C→B 0: mean 0.314 ≥ 0.3, C is estimated. With the probe model error in
    // the judgement (A→B variance 200 + (0.2 · 200)² = 1,800) A→C's would be 10,000 / 13,000 = 0.769, mean 0.287 < 0.3:
    // C refused for a reason that is not the layout's.
    const r = estimateZoneOd({
      zones: ['A', 'B', 'C'],
      observed: new Set(['A', 'B']),
      cells: [cell('A', 'B', 200, 200), cell('B', 'A', 0, 1)],
      totals: [],
      links: {
        shares: new Map([
          ['A\u0000B', new Map([['M|in', 1]])],
          ['A\u0000C', new Map([['M|in', 1]])],
          ['C\u0000A', new Map([['N|in', 1]])],
        ]),
        counts: [
          { key: 'M|in', value: 300 },
          { key: 'N|in', value: 1228 },
        ],
      },
    });
    expect((10_000 / 11_400 + 10_000 / 26_307.8) / 4).toBeCloseTo(0.3143, 4);
    expect((10_000 / 13_000 + 10_000 / 26_307.8) / 4).toBeCloseTo(0.2873, 4);
    expect(r.zones.find((z) => z.zone === 'C')?.status).toBe('estimated');
    expect(r.cells.find((c) => c.origin === 'C' && c.destination === 'A')?.status).toBe('estimated');
  });

  const coverageWithLines = (probeCv: number | undefined) => {
    // Six zones, A–D seen by probes (read rates p 0.4–0.9; a share m of 0–25 % of the reads is misread, so a trip
    // is matched with probability p_o (1 − m_o) p_d (1 − m_d), but the devices sighted give the rate p: prior =
    // matched / (p_o p_d), low by (1 − m_o)(1 − m_d), with its binomial variance), E and F by nothing: their cells
    // have the uninformative prior. Counts: Poisson origin and destination totals of A–D; E's and F's access lines
    // (every trip in or out crosses them) and ten lines each crossed by a random quarter of the pairs per
    // direction, Poisson with a 5 % relative error on top.
    const rand = mulberry32(20261205);
    const zones = ['A', 'B', 'C', 'D', 'E', 'F'];
    const probedZones = new Set(['A', 'B', 'C', 'D']);
    let inside = 0;
    let total = 0;
    let refused = 0;
    for (let rep = 0; rep < 120; rep++) {
      const truth = new Map<string, number>();
      for (const o of zones)
        for (const d of zones) if (o !== d) truth.set(`${o}\u0000${d}`, 5 + Math.floor(rand() * 60));
      const p = new Map(zones.map((z) => [z, 0.4 + 0.5 * rand()]));
      const m = new Map(zones.map((z) => [z, 0.25 * rand()]));
      const cells = [];
      for (const o of probedZones) {
        for (const d of probedZones) {
          if (o === d) continue;
          const q = (p.get(o) ?? 0) * (p.get(d) ?? 0);
          const matched = q * (1 - (m.get(o) ?? 0)) * (1 - (m.get(d) ?? 0));
          const n = binomial(rand, truth.get(`${o}\u0000${d}`) ?? 0, matched);
          cells.push({ origin: o, destination: d, prior: n / q, variance: (Math.max(1, n) * (1 - q)) / (q * q) });
        }
      }
      const totals = [...probedZones].flatMap((z) =>
        (['origin', 'destination'] as const).map((side) => {
          let sum = 0;
          for (const [k, t] of truth) if (k.split('\u0000')[side === 'origin' ? 0 : 1] === z) sum += t;
          return { zone: z, side, total: poisson(rand, sum) };
        }),
      );
      const shares = new Map<string, Map<string, number>>();
      const share = (pair: string, key: string) => {
        const m = shares.get(pair) ?? new Map<string, number>();
        m.set(key, 1);
        shares.set(pair, m);
      };
      for (const pair of truth.keys()) {
        const [o, d] = pair.split('\u0000');
        for (const z of ['E', 'F']) {
          if (d === z) share(pair, `${z}|in`);
          if (o === z) share(pair, `${z}|out`);
        }
        for (let l = 0; l < 10; l++) for (const dir of ['in', 'out']) if (rand() < 0.25) share(pair, `L${l}|${dir}`);
      }
      const expected = new Map<string, number>();
      for (const [pair, m] of shares)
        for (const key of m.keys()) expected.set(key, (expected.get(key) ?? 0) + (truth.get(pair) ?? 0));
      const counts = [...expected].map(([key, mean]) => {
        const g = Math.sqrt(-2 * Math.log(Math.max(1e-12, rand()))) * Math.cos(2 * Math.PI * rand());
        return { key, value: Math.max(0, poisson(rand, mean) * (1 + 0.05 * g)) };
      });
      const links = { shares, counts, ...(probeCv === undefined ? {} : { probeCv }) };
      const r = estimateZoneOd({ zones, observed: probedZones, cells, totals, links });
      for (const [pair, t] of truth) {
        if (t < 20) continue;
        const [o, d] = pair.split('\u0000');
        const c = r.cells.find((x) => x.origin === o && x.destination === d);
        if (c === undefined) {
          refused++;
          continue;
        }
        total++;
        if (t >= c.lower95 && t <= c.upper95) inside++;
      }
    }
    return { coverage: inside / total, total, refused };
  };

  it('with line counts, 95 % intervals cover 90–98 % of cells with ≥ 20 true trips, unprobed zones included', () => {
    const { coverage, total, refused } = coverageWithLines(undefined);
    // Without the probe priors' model error (probeCv 0) the misread plates' bias is left out of their variance.
    const bare = coverageWithLines(0);
    console.log(
      `GLS + lines: 95 % interval coverage on ${total} synthetic cells ≥ 20 trips: ${(100 * coverage).toFixed(1)} % (${refused} refused); without the probe model error ${(100 * bare.coverage).toFixed(1)} %`,
    );
    expect(refused).toBe(0);
    expect(total).toBeGreaterThan(2500);
    expect(coverage).toBeGreaterThanOrEqual(0.9);
    expect(coverage).toBeLessThanOrEqual(0.98);
    expect(bare.coverage).toBeLessThan(coverage);
  });
});
