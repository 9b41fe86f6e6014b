import { describe, expect, it } from 'vitest';
import type { OdCellLike } from '../privacy/kanon.ts';
import { THREE_ZONE_TRUTH, threeZoneShares } from './fixtures/three-zones.ts';
import {
  estimatePopulationOd,
  type PopulationCountBin,
  type PopulationInput,
  probeCrossingCounts,
  WITHHELD_ZONE,
} from './population.ts';

// Pure: the rows the worker would read from the store are written out here (no store).
const H0 = Date.parse('2025-10-01T08:00:00Z');
const HOUR = 3_600_000;
const bin = (sensorId: string, count: number, h = H0): PopulationCountBin => ({
  sensorId,
  start: h,
  end: h + HOUR,
  direction: 'in',
  mode: 'car',
  count,
});
const od = (origin: string, destination: string, trips: number, suppressed = false, h = H0): OdCellLike => ({
  origin,
  destination,
  mode: 'motor',
  windowStart: h,
  trips,
  ...(suppressed ? { suppressed: true, rule: 'k5:suppress' } : { travelTimeP50S: 300, travelTimeP85S: 400 }),
});
const input = (cells: OdCellLike[], bins: PopulationCountBin[], extra: Partial<PopulationInput> = {}) => ({
  cells,
  bins,
  from: H0,
  to: H0 + HOUR,
  k: 5,
  refs: [
    { zone: 'A', margin: 'origin' as const, sensorId: 'loop-a', odMode: 'motor', factor: 1 },
    { zone: 'B', margin: 'origin' as const, sensorId: 'loop-b', odMode: 'motor', factor: 1 },
  ],
  zoneCounters: [],
  devices: [],
  flags: [],
  registry: { zones: [], kinds: new Map(), counterGroup: new Map() },
  ...extra,
});

describe('estimatePopulationOd (ipf): a reference below the observed probe trips is left out', () => {
  const cells = [od('A', 'C', 30), od('A', 'D', 10), od('B', 'C', 30), od('B', 'D', 10)];
  it('drops the counter (below-observed) and uses the ratio estimator for its zone', () => {
    // Gate A counts 120 leaving (usable); gate B 25 (< 40 probe trips seen leaving B: impossible, left out).
    const res = estimatePopulationOd(input(cells, [bin('loop-a', 120), bin('loop-b', 25)], { method: 'ipf' }));
    expect(res.excludedSensors).toEqual([{ periodStart: H0, sensorId: 'loop-b', kind: 'below-observed' }]);
    const margin = (zone: string) => res.margins.find((m) => m.zone === zone);
    expect(margin('A')).toMatchObject({ margin: 'origin', total: 120, source: 'counters' });
    // B = 40 × (120 / 40), not the counter's 25; destinations have no reference.
    expect(margin('B')).toMatchObject({ margin: 'origin', total: 120, source: 'ratio' });
    expect(margin('C')).toMatchObject({ margin: 'destination', total: 60, source: 'observed' });
    const cell = (o: string, d: string) => res.cells.find((c) => c.origin === o && c.destination === d);
    for (const o of ['A', 'B']) {
      expect(cell(o, 'C')?.expanded).toBeCloseTo(90, 6);
      expect(cell(o, 'D')?.expanded).toBeCloseTo(30, 6);
      expect(cell(o, 'C')?.expandedStdErr).toBeCloseTo(90 / Math.sqrt(30), 6);
    }
  });

  it('GLS (default): fitted to the usable count, with 95 % intervals and coverage', () => {
    const res = estimatePopulationOd(input(cells, [bin('loop-a', 120), bin('loop-b', 25)]));
    const cell = (o: string, d: string) => res.cells.find((c) => c.origin === o && c.destination === d);
    expect((cell('A', 'C')?.expanded ?? 0) + (cell('A', 'D')?.expanded ?? 0)).toBeCloseTo(120, 0);
    for (const c of res.cells) {
      expect(c.status).toBe('observed');
      expect(c.lower95).toBeLessThanOrEqual(c.expanded ?? 0);
      expect(c.upper95).toBeGreaterThan(c.expanded ?? 0);
    }
    expect(res.coverage.find((z) => z.zone === 'A')?.matchedShare).toBeCloseTo(40 / 120, 6);
    expect(res.withheld).toEqual([]);
  });

  it('a health finding overlapping the period leaves the counter out', () => {
    const flags = [{ sensorId: 'loop-a', kind: 'stuck-at-zero', direction: '', mode: '', from: H0, to: H0 + 60_000 }];
    const res = estimatePopulationOd(input(cells, [bin('loop-a', 120)], { method: 'ipf', flags }));
    expect(res.excludedSensors).toEqual([{ periodStart: H0, sensorId: 'loop-a', kind: 'stuck-at-zero' }]);
    // No usable reference: the observed margins stand.
    expect(res.margins.find((m) => m.zone === 'A')).toMatchObject({ total: 40, source: 'observed' });
  });
});

describe('estimatePopulationOd: suppressed cells (issue 11)', () => {
  // A → C 20 published, A → D suppressed (1 … 4 devices, seeded at k / 2 = 2.5). Gate A counts 90 leaving.
  const cells = [od('A', 'C', 20), od('A', 'D', 0, true)];

  it('ipf: the seed takes its share of the margin, but the suppressed cell is withheld, not output', () => {
    const res = estimatePopulationOd(input(cells, [bin('loop-a', 90)], { method: 'ipf' }));
    // Seed row A: 20 + 2.5 = 22.5 → scaled to 90: C = 80 (output), D = 10 (withheld).
    expect(res.cells.map((c) => [c.origin, c.destination, c.trips, c.status])).toEqual([
      ['A', 'C', 20, undefined],
      [WITHHELD_ZONE, WITHHELD_ZONE, 0, 'withheld'],
    ]);
    // The withheld trips stay in the total, as one cell of no OD pair: 80 + 10 = 90, the counted total.
    expect(res.cells[1].expanded).toBeCloseTo(10, 6);
    expect(res.cells[0].expanded).toBeCloseTo(80, 6);
    expect(res.withheld).toHaveLength(1);
    expect(res.withheld[0]).toMatchObject({ periodStart: H0, mode: 'motor', cells: 1 });
    expect(res.withheld[0].expanded).toBeCloseTo(10, 6);
  });

  it('gls: no output cell rests on a suppressed marker alone', () => {
    const res = estimatePopulationOd(input(cells, [bin('loop-a', 90)]));
    expect(res.cells.some((c) => c.destination === 'D')).toBe(false);
    for (const c of res.cells) expect(c.trips > 0 || c.status === 'withheld').toBe(true);
    const total = res.cells.reduce((a, c) => a + (c.expanded ?? 0), 0);
    // GLS fits the counted 90 within its error (variance 90 + (3 % of 90)²), the withheld cell included.
    expect(Math.abs(total - 90)).toBeLessThan(Math.sqrt(90 + 2.7 ** 2));
    expect(res.cells.find((c) => c.status === 'withheld')?.expanded).toBeCloseTo(res.withheld[0].expanded, 9);
    expect(res.withheld.map((w) => w.cells)).toEqual([1]);
    expect(res.withheld[0].expanded).toBeGreaterThan(0);
  });

  it('a published cell with a suppressed 15-min window keeps its published trips and is marked seeded', () => {
    const q = 900_000;
    const fifteen = [
      { ...od('A', 'C', 12), windowStart: H0 },
      { ...od('A', 'C', 0, true), windowStart: H0 + q },
      { ...od('A', 'D', 0, true), windowStart: H0 + 2 * q },
    ];
    const res = estimatePopulationOd(input(fifteen, [bin('loop-a', 58)], { method: 'ipf' }));
    // Seeds: A → C 12 + 2.5 = 14.5, A → D 2.5; row total 58 → C = 58 × 14.5 / 17 (trips 12, seeded), D withheld.
    expect(res.cells).toHaveLength(2);
    expect(res.cells[0]).toMatchObject({ destination: 'C', trips: 12, seeded: true });
    expect(res.cells[0].expanded).toBeCloseTo((58 * 14.5) / 17, 6);
    expect(res.withheld[0].expanded).toBeCloseTo((58 * 2.5) / 17, 6);
  });
});

describe('estimatePopulationOd: sightings that never make a trip above k (issue 10)', () => {
  it('leave the zones unobserved (refused) instead of publishing their pairs as 0', () => {
    // Wi-Fi sniffers at A and B see 40 and 35 devices, but randomised addresses match one pair below k only.
    const devices = [
      { zone: 'A', kind: 'wifi', windowStart: H0, devices: 40, suppressed: false },
      { zone: 'B', kind: 'wifi', windowStart: H0, devices: 35, suppressed: false },
    ];
    const registry = {
      zones: ['A', 'B'],
      kinds: new Map([
        ['A', new Set(['wifi'])],
        ['B', new Set(['wifi'])],
      ]),
      counterGroup: new Map<string, 'motor' | 'all' | 'mixed' | 'none'>(),
    };
    const marker = { ...od('A', 'B', 0, true), mode: 'all' };
    const res = estimatePopulationOd(input([marker], [], { devices, registry, refs: [] }));
    expect(res.cells).toEqual([]);
    expect(res.coverage.filter((z) => z.mode === 'all').map((z) => [z.zone, z.status])).toEqual([
      ['A', 'unobserved'],
      ['B', 'unobserved'],
    ]);
  });
});

describe('estimatePopulationOd: counted lines with route shares estimate a zone without probes (issue 10 item 3)', () => {
  // Truth: A→B 100, B→A 80, A→C 60, B→C 40, C→A 30, C→B 20. ANPR at A and B sees 80 and 60 devices while their
  // loops count 160 and 120 (probe rate 0.5 each): matched A→B 25, B→A 20, expanded 25 / 0.25 = 100 and
  // 20 / 0.25 = 80. C has no probe and no counter; a camera line on its access road counts 100 entering ('in')
  // and 50 leaving ('out'), and every route from A or B to C crosses it 'in', every route from C 'out'.
  const registry = {
    zones: ['A', 'B', 'C'],
    kinds: new Map([
      ['A', new Set(['anpr'])],
      ['B', new Set(['anpr'])],
    ]),
    counterGroup: new Map<string, 'motor' | 'all' | 'mixed' | 'none'>([
      ['loop-a', 'motor'],
      ['loop-b', 'motor'],
      ['cam:l', 'mixed'],
    ]),
  };
  const devices = [
    { zone: 'A', kind: 'anpr', windowStart: H0, devices: 80, suppressed: false },
    { zone: 'B', kind: 'anpr', windowStart: H0, devices: 60, suppressed: false },
  ];
  const bins = [bin('loop-a', 160), bin('loop-b', 120), bin('cam:l', 100), { ...bin('cam:l', 50), direction: 'out' }];
  const routes = {
    shares: threeZoneShares('cam:l'),
    lines: ['cam:l'],
  };
  const base = {
    devices,
    registry,
    zoneCounters: [
      { zone: 'A', sensorId: 'loop-a' },
      { zone: 'B', sensorId: 'loop-b' },
    ],
  };
  const cells = [od('A', 'B', 25), od('B', 'A', 20)];

  it('without the route model C is refused (unobserved) and its trips stay in residual cells', () => {
    const res = estimatePopulationOd(input(cells, bins, base));
    expect(res.coverage.find((z) => z.zone === 'C')?.status).toBe('unobserved');
    expect(res.cells.some((c) => c.origin === 'C' || c.destination === 'C')).toBe(false);
  });

  it('a single-access zone without counter: its access crossings D / ρ̄ hold its row and column', () => {
    // B's loop gone (no total, no rate of its own); B, a gate, sights 120 devices; the pooled rate is A's, 80 / 160 =
    // 0.5, so B's access is crossed 240 times: its true row (80 + 40) plus column (100 + 20). Without the gate's
    // crossings the fit has B's plate-matched cells and the flat level for B → C and C → B only.
    const run = (singleAccess?: Set<string>) => {
      const res = estimatePopulationOd(
        input(cells, [bin('loop-a', 160), bin('cam:l', 100), { ...bin('cam:l', 50), direction: 'out' }], {
          refs: [{ zone: 'A', margin: 'origin' as const, sensorId: 'loop-a', odMode: 'motor', factor: 1 }],
          devices: [devices[0], { ...devices[1], devices: 120 }],
          registry: { ...registry, ...(singleAccess ? { singleAccess } : {}) },
          zoneCounters: [{ zone: 'A', sensorId: 'loop-a' }],
          routes,
        }),
      );
      let sum = 0;
      for (const c of res.cells)
        sum += (c.origin === 'B' ? (c.expanded ?? 0) : 0) + (c.destination === 'B' ? (c.expanded ?? 0) : 0);
      return sum;
    };
    const without = run();
    const withCrossings = run(new Set(['A', 'B']));
    console.log(
      `B's row + column: ${without.toFixed(1)} without its access crossings, ${withCrossings.toFixed(1)} with (truth 240)`,
    );
    expect(Math.abs(withCrossings - 240)).toBeLessThan(Math.abs(without - 240));
    expect(Math.abs(withCrossings - 240)).toBeLessThan(3);
    expect(Math.abs(without - 240)).toBeGreaterThan(5);
  });

  it("with it, C's cells are estimated from the line's counts, their 95 % intervals holding the truth", () => {
    const res = estimatePopulationOd(input(cells, bins, { ...base, routes }));
    expect(res.coverage.find((z) => z.zone === 'C')?.status).toBe('estimated');
    for (const [o, d, t] of THREE_ZONE_TRUTH) {
      const c = res.cells.find((x) => x.origin === o && x.destination === d);
      expect(c?.status).toBe(o === 'C' || d === 'C' ? 'estimated' : 'observed');
      expect(Math.abs((c?.expanded ?? 0) - t)).toBeLessThan(6);
      expect((c?.lower95 ?? 0) <= t && (c?.upper95 ?? 0) >= t).toBe(true);
    }
    expect(res.cells.some((c) => c.status === 'residual')).toBe(false);
  });
});

describe('estimatePopulationOd: all modes composed by mode where phones randomise (issue 10 item 3)', () => {
  // Plates at A and B (motor group, every zone observed: probe prior scaled to the loops); Wi-Fi at A and B too,
  // whose randomised addresses matched one A → B cell of 8 devices. A camera line L between A and B counts
  // pedestrians 100 'in' (A → B) and 40 'out' (B → A), bicycles 10 'in' and none 'out'.
  const registry = {
    zones: ['A', 'B'],
    kinds: new Map([
      ['A', new Set(['anpr', 'wifi'])],
      ['B', new Set(['anpr', 'wifi'])],
    ]),
    counterGroup: new Map<string, 'motor' | 'all' | 'mixed' | 'none'>([
      ['loop-a', 'motor'],
      ['loop-b', 'motor'],
      ['L', 'mixed'],
    ]),
  };
  const lineBin = (direction: string, mode: string, count: number): PopulationCountBin => ({
    ...bin('L', count),
    direction,
    mode,
  });
  const bins = [
    bin('loop-a', 40),
    bin('loop-b', 20),
    lineBin('in', 'pedestrian', 100),
    lineBin('out', 'pedestrian', 40),
    lineBin('in', 'bicycle', 10),
    lineBin('in', 'car', 30),
  ];
  const lineShares = new Map([
    ['A\u0000B', new Map([['L|in', 1]])],
    ['B\u0000A', new Map([['L|out', 1]])],
  ]);
  const modeRoutes = ['pedestrian', 'bicycle'].map((mode) => ({ mode, shares: lineShares, lines: ['L'] }));
  const cells = [od('A', 'B', 20), od('B', 'A', 10), { ...od('A', 'B', 8), mode: 'all' }];

  it('all = motor + pedestrians + bicycles per cell, variances added, the Wi-Fi cells replaced', () => {
    const res = estimatePopulationOd(input(cells, bins, { registry, modeRoutes }));
    const cell = (mode: string, o: string, d: string) =>
      res.cells.find((c) => c.mode === mode && c.origin === o && c.destination === d);
    // One count per cell: t = λ + V / (V + R) (c − λ), first with R from the observed count, then three re-fits with
    // R from the fitted value (fitWithFittedVariances): R = max(1, t) + (0.15 t)². Returns the estimate and the
    // last R (the posterior variance is V R / (V + R), the misfit (c − λ)² / (V + R)).
    const refit = (level: number, v: number, c: number, r0: number) => {
      let r = r0;
      let t = level + (v / (v + r)) * (c - level);
      for (let k = 0; k < 3; k++) {
        r = Math.max(1, t) + (0.15 * t) ** 2;
        t = level + (v / (v + r)) * (c - level);
      }
      return { t, r };
    };
    // Pedestrians: level 140 / 2 = 70, prior variance 350²; counts 100 and 40, first variances 325 and 76.
    const pa = refit(70, 122500, 100, 325);
    const pb = refit(70, 122500, 40, 76);
    const ped = { ab: pa.t, ba: pb.t };
    // R = 99.9206 + (0.15 · 99.9206)² = 324.56 (325 from the count 100): 70 + 122500 / 122824.56 · 30.
    expect(ped.ab).toBeCloseTo(99.9207, 4);
    // Each cell's error variance with the pairs' true trips spread about the level λ as λ + λ² (pairCv 1,
    // glsErrorVariance; one count per cell, gain k = V / (V + R): (1 − k)² (λ + λ²) + k² R), times its fit's variance
    // scale (fitVarianceScale: (m · misfit + 20) / (m + 20), m = 2 counts), plus the route model's error
    // (0.3 · estimate)² (estimateCountedModeOd routeCv).
    const err = (level: number, v: number, r: number) =>
      (r / (v + r)) ** 2 * (level + level ** 2) + (v / (v + r)) ** 2 * r;
    const pedS2 = (2 * ((900 / (122500 + pa.r) + 900 / (122500 + pb.r)) / 2) + 20) / 22;
    const pedVar = {
      ab: err(70, 122500, pa.r) * pedS2 + (0.3 * ped.ab) ** 2,
      ba: err(70, 122500, pb.r) * pedS2 + (0.3 * ped.ba) ** 2,
    };
    // Bicycles: level 10 / 2 = 5, prior variance 25² = 625; 'out' counted 0 (the line counted other modes): first
    // variances 10 + 1.5² = 12.25 and max(1, 0) = 1.
    const ba = refit(5, 625, 10, 12.25);
    const bb = refit(5, 625, 0, 1);
    const bike = { ab: ba.t, ba: bb.t };
    const bikeS2 = (2 * ((25 / (625 + ba.r) + 25 / (625 + bb.r)) / 2) + 20) / 22;
    const bikeVar = {
      ab: err(5, 625, ba.r) * bikeS2 + (0.3 * bike.ab) ** 2,
      ba: err(5, 625, bb.r) * bikeS2 + (0.3 * bike.ba) ** 2,
    };
    for (const [o, d, k] of [
      ['A', 'B', 'ab'],
      ['B', 'A', 'ba'],
    ] as const) {
      const motor = cell('motor', o, d);
      const all = cell('all', o, d);
      expect(all?.expanded).toBeCloseTo((motor?.expanded ?? 0) + ped[k] + bike[k], 9);
      expect(all?.expandedStdErr).toBeCloseTo(Math.sqrt((motor?.expandedStdErr ?? 0) ** 2 + pedVar[k] + bikeVar[k]), 9);
      // The Wi-Fi/BLE trips matched on A → B (8, ≥ k) stay its observed trips: the composed value is their expansion.
      expect(all).toMatchObject({ status: 'composed', trips: k === 'ab' ? 8 : 0 });
      expect(all?.lower95).toBeCloseTo(Math.max(0, (all?.expanded ?? 0) - 1.959964 * (all?.expandedStdErr ?? 0)), 9);
    }
    // The motor part: 40 and 20 counted leaving A and B.
    expect(cell('motor', 'A', 'B')?.expanded).toBeCloseTo(40, 0);
    expect(res.cells.filter((c) => c.mode === 'all')).toHaveLength(2);
    expect(res.coverage.filter((z) => z.mode === 'all').map((z) => [z.zone, z.status])).toEqual([
      ['A', 'estimated'],
      ['B', 'estimated'],
    ]);
  });

  it('a zone the motor group cannot see is refused for all modes: its walkers go to residual cells, never 0', () => {
    // Zone C: no plate, no counter, no camera line of the motor group (unobserved for motor); walkers to and from
    // C cross L2 ('in' towards C, 'out' from it), counted 30 and 20.
    const withC = { ...registry, zones: ['A', 'B', 'C'] };
    const shares = new Map([
      ...lineShares,
      ['A\u0000C', new Map([['L2|in', 1]])],
      ['C\u0000A', new Map([['L2|out', 1]])],
    ]);
    const routes = ['pedestrian', 'bicycle'].map((mode) => ({ mode, shares, lines: ['L', 'L2'] }));
    const l2 = [lineBin('in', 'pedestrian', 30), lineBin('out', 'pedestrian', 20)].map((b) => ({
      ...b,
      sensorId: 'L2',
    }));
    const res = estimatePopulationOd(input(cells, [...bins, ...l2], { registry: withC, modeRoutes: routes }));
    expect(res.coverage.find((z) => z.mode === 'motor' && z.zone === 'C')?.status).toBe('unobserved');
    expect(res.coverage.find((z) => z.mode === 'all' && z.zone === 'C')).toMatchObject({
      status: 'unobserved',
      reason: 'motor-unobserved',
    });
    expect(res.coverage.find((z) => z.mode === 'motor' && z.zone === 'C')?.reason).toBe('no-probe-no-count');
    expect(res.coverage.find((z) => z.mode === 'all' && z.zone === 'A')?.reason).toBeUndefined();
    const all = res.cells.filter((c) => c.mode === 'all');
    expect(all.some((c) => c.origin === 'C' || c.destination === 'C')).toBe(false);
    const cell = (o: string, d: string) => all.find((c) => c.origin === o && c.destination === d);
    // A → C's walkers (≈ 30, the L2 'in' count) are in (A, (unobserved)), C → A's (≈ 20) in ((unobserved), A).
    expect(cell('A', '(unobserved)')?.status).toBe('residual');
    expect(cell('A', '(unobserved)')?.expanded).toBeGreaterThan(25);
    expect(cell('(unobserved)', 'A')?.expanded).toBeGreaterThan(15);
    // The total is whole: Σ all = Σ motor + Σ pedestrian + Σ bicycle estimates.
    const sum = (m: string) => res.cells.filter((c) => c.mode === m).reduce((a, c) => a + (c.expanded ?? 0), 0);
    expect(sum('all')).toBeGreaterThan(sum('motor') + 140 + 50);
  });

  it('a zone plates see but no line counts its walkers or cyclists is refused, and says why', () => {
    const withC = {
      ...registry,
      zones: ['A', 'B', 'C'],
      kinds: new Map([...registry.kinds, ['C', new Set(['anpr'])]]),
    };
    const res = estimatePopulationOd(
      input([...cells, od('A', 'C', 12), od('C', 'A', 9)], bins, { registry: withC, modeRoutes }),
    );
    expect(res.coverage.find((z) => z.mode === 'motor' && z.zone === 'C')?.status).toBe('observed');
    expect(res.coverage.find((z) => z.mode === 'all' && z.zone === 'C')).toMatchObject({
      status: 'unobserved',
      reason: 'pedestrian-not-identified,bicycle-not-identified',
    });
    expect(res.cells.some((c) => c.mode === 'all' && (c.origin === 'C' || c.destination === 'C'))).toBe(false);
  });

  it('a mode nothing counts: the all group keeps its own probes (no composition)', () => {
    const noBikes = bins.filter((b) => b.mode !== 'bicycle' && b.sensorId !== 'L');
    const res = estimatePopulationOd(input(cells, noBikes, { registry, modeRoutes }));
    const all = res.cells.filter((c) => c.mode === 'all');
    expect(all.map((c) => [c.origin, c.destination, c.trips])).toEqual([['A', 'B', 8]]);
  });
});

describe('probeCrossingCounts: a single-access zone plates see and no counter counts', () => {
  it('gets its access crossings D / ρ̄ as a count of its row and column (round trips twice); the shares given stay as they were', () => {
    // G: 90 devices sighted, pooled rate 0.9 (devices / counted over the counted zones) → 100 crossings of its access.
    // H: no device → no count. Pair X→Y is not G's: untouched.
    const shares = new Map([['X\u0000Y', new Map([['L|in', 0.5]])]]);
    const r = probeCrossingCounts(['G', 'H', 'X', 'Y'], ['G', 'H'], new Map([['G', 90]]), 0.9, shares);
    expect(r.counts).toEqual([{ key: 'G|probe-crossings', value: 100 }]);
    const share = (o: string, d: string) => r.shares.get(`${o}\u0000${d}`)?.get('G|probe-crossings');
    expect(share('G', 'X')).toBe(1);
    expect(share('Y', 'G')).toBe(1);
    expect(share('G', 'H')).toBe(1);
    expect(share('G', 'G')).toBe(2);
    expect(share('X', 'Y')).toBeUndefined();
    expect(r.shares.get('X\u0000Y')?.get('L|in')).toBe(0.5);
    expect(shares.get('X\u0000Y')?.size).toBe(1);
    expect(shares.has('G\u0000X')).toBe(false);
    expect(probeCrossingCounts(['G'], ['G'], new Map([['G', 90]]), 0, shares).counts).toEqual([]);
  });
});
