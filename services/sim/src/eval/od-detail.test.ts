import { describe, expect, it } from 'vitest';
import { naivePlateOd, odDetail } from './od-detail.ts';

const H = 3_600_000;
const T0 = 1_773_122_400_000; // a clock hour

describe('naive plate matching (the evaluator’s baseline)', () => {
  it('pairs consecutive reads of one plate at different zones, in the hour of the first read, unexpanded', () => {
    const siteZone = new Map([
      ['a', 'gate-n'],
      ['b', 'gate-s'],
      ['c', 'gate-s'],
    ]);
    const rows = naivePlateOd(
      [
        { siteId: 'a', ts: T0 + 100, kind: 'anpr', id: 'AB-123-CD' },
        { siteId: 'b', ts: T0 + 400_000, kind: 'anpr', id: 'AB-123-CD' },
        { siteId: 'c', ts: T0 + 500_000, kind: 'anpr', id: 'AB-123-CD' }, // same zone again: no trip
        { siteId: 'a', ts: T0 + H + 10, kind: 'anpr', id: 'AB-123-CD' }, // back north in the next hour
        { siteId: 'a', ts: T0 + 5, kind: 'wifi', id: '00:11:22:33:44:55' }, // not a plate
        { siteId: 'z', ts: T0 + 5, kind: 'anpr', id: 'EF-456-GH' }, // unknown site
      ],
      siteZone,
    );
    expect(rows.sort((p, q) => p.windowStart - q.windowStart)).toEqual([
      { origin: 'gate-n', destination: 'gate-s', mode: 'motor', windowStart: T0, trips: 1 },
      { origin: 'gate-s', destination: 'gate-n', mode: 'motor', windowStart: T0, trips: 1 },
    ]);
  });
});

describe('odDetail', () => {
  it('GEH < 5 share and totals of cells with ≥ 20 true trips, interval coverage, naive side by side', () => {
    const truth = [
      { origin: 'A', destination: 'B', mode: 'car', windowStart: T0, trips: 100 },
      { origin: 'A', destination: 'B', mode: 'pedestrian', windowStart: T0, trips: 50 },
      { origin: 'B', destination: 'A', mode: 'van', windowStart: T0 + 900_000, trips: 30 },
      { origin: 'B', destination: 'B', mode: 'car', windowStart: T0, trips: 5 },
    ];
    const out = [
      // motor A→B: 100 true (cars only), estimate 104 in [90, 118]; B→A: 30 true, estimate 60 (GEH 4.5) in [40, 80].
      { origin: 'A', destination: 'B', mode: 'motor', windowStart: T0, trips: 104, lower95: 90, upper95: 118 },
      { origin: 'B', destination: 'A', mode: 'motor', windowStart: T0, trips: 60, lower95: 40, upper95: 80 },
    ];
    const naive = [{ origin: 'A', destination: 'B', mode: 'motor', windowStart: T0, trips: 70 }];
    const d = odDetail(truth, out, { naive });
    expect(d.motor.cells).toBe(2);
    expect(d.motor.gehLt5Share).toBe(1);
    expect(d.motor.truthTotal).toBe(135);
    expect(d.motor.outputTotal).toBe(164);
    expect(d.motor.totalErrorPct).toBeCloseTo((29 / 135) * 100, 10);
    expect(d.motor.intervalCells).toBe(2);
    expect(d.motor.coverage95).toBe(0.5);
    // 1 of 2: P(0) + P(1) = 0.05² + 2 · 0.95 · 0.05 = 0.0975; no outcome of 2 cells is inside 90–98 %.
    expect(d.motor.coverageCheck?.p).toBeCloseTo(0.0975, 10);
    expect(d.motor.coverageCheck?.chanceInBand).toBe(0);
    // Naive: A→B 70 vs 100 (GEH 3.24 < 5), B→A 0 vs 30 (GEH 7.7): 50 %.
    expect(d.motor.naive).toEqual({ gehLt5Share: 0.5, outputTotal: 70, totalErrorPct: (-65 / 135) * 100 });
  });

  it('counts refused cells (an end the product reports unobserved), scores the residual at its own resolution', () => {
    const truth = [
      { origin: 'A', destination: 'B', mode: 'car', windowStart: T0, trips: 40 },
      { origin: 'A', destination: 'P', mode: 'car', windowStart: T0, trips: 30 },
      { origin: 'A', destination: 'Q', mode: 'car', windowStart: T0, trips: 10 },
      { origin: 'P', destination: 'Q', mode: 'car', windowStart: T0, trips: 50 },
    ];
    // P and Q unobserved: A → P (30 ≥ 20) is refused; the residual A → (unobserved) 35 stands for A → P + A → Q = 40.
    const out = [
      { origin: 'A', destination: 'B', mode: 'motor', windowStart: T0, trips: 42 },
      { origin: 'A', destination: '(unobserved)', mode: 'motor', windowStart: T0, trips: 35 },
    ];
    const unobserved = new Map([[`motor|${T0}`, new Set(['P', 'Q'])]]);
    const d = odDetail(truth, out, { unobserved, groups: ['motor', 'all'] });
    // Truth cells ≥ 20: A → B, A → P, P → Q; the last two have an unobserved end.
    expect(d.motor.cells).toBe(3);
    expect(d.motor.refusedCells).toBe(2);
    expect(d.motor.gehLt5Share).toBeCloseTo(1 / 3, 10);
    // Reported resolution: A → B 40 vs 42, A → (unobserved) 40 vs 35 (P → Q has no claim): both GEH < 5.
    expect(d.motor.reported).toEqual({ cells: 2, gehLt5Share: 1 });
    // A group the layout could observe but with no output is reported, not skipped.
    expect(d.all).toMatchObject({ noEstimate: true, outputTotal: 0, gehLt5Share: 0 });
  });
});
