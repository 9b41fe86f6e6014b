import { describe, expect, it } from 'vitest';
import { expandByProbeRate } from './probe-rate.ts';
import { deriveZoneCounters } from './reference.ts';

describe('expandByProbeRate', () => {
  it('expands each cell by 1 / (ρ_o ρ_d); zones without a usable rate borrow the pooled ratio Σ D / Σ C', () => {
    const cells = [
      { origin: 'A', destination: 'B', mode: 'all', windowStart: 0, trips: 10 },
      { origin: 'A', destination: 'C', mode: 'all', windowStart: 0, trips: 4 },
      { origin: 'A', destination: 'A', mode: 'all', windowStart: 0, trips: 0 },
    ];
    // A: 50 devices / 100 counted = 0.5; B: 25 / 100 = 0.25; C: no counter → pooled (50 + 25) / 200 = 0.375.
    // D: rate ≥ 1 (the counter covers part of the zone) → pooled, not used for the pool.
    const res = expandByProbeRate(
      cells,
      new Map([
        ['A', 50],
        ['B', 25],
        ['C', 30],
        ['D', 80],
      ]),
      new Map([
        ['A', 100],
        ['B', 100],
        ['D', 40],
      ]),
    );
    expect(res.pooledRate).toBe(0.375);
    expect(res.cells[0].expanded).toBeCloseTo(10 / (0.5 * 0.25), 9);
    expect(res.cells[1].expanded).toBeCloseTo(4 / (0.5 * 0.375), 9);
    // Delta method: relVar = 1/n + (1/D_A + 1/C_A) + (1/D_B + 1/C_B).
    const rv = 1 / 10 + (1 / 50 + 1 / 100) + (1 / 25 + 1 / 100);
    expect(res.cells[0].expandedStdErr).toBeCloseTo(80 * Math.sqrt(rv), 9);
    expect(res.cells[2].expanded).toBe(0);
    expect(res.zones.map((z) => [z.zone, z.source])).toEqual([
      ['A', 'probe-rate'],
      ['B', 'probe-rate'],
      ['C', 'probe-ratio'],
    ]);
  });

  it('without any counter, expanded = observed', () => {
    const res = expandByProbeRate(
      [{ origin: 'A', destination: 'B', mode: 'all', windowStart: 0, trips: 9 }],
      new Map([['A', 50]]),
      new Map(),
    );
    expect(res.pooledRate).toBeUndefined();
    expect(res.cells[0]).toMatchObject({ expanded: 9, expandedStdErr: 3 });
  });
});

describe('expandByProbeRate on a hand-computed example', () => {
  // A: 20 devices / 80 counted → ρ_A = 0.25; B: 10 / 50 → ρ_B = 0.2.
  const res = expandByProbeRate(
    [
      { origin: 'A', destination: 'B', mode: 'all', windowStart: 0, trips: 5 },
      { origin: 'A', destination: 'A', mode: 'all', windowStart: 0, trips: 4 },
    ],
    new Map([
      ['A', 20],
      ['B', 10],
    ]),
    new Map([
      ['A', 80],
      ['B', 50],
    ]),
  );

  it('rates per zone and the pooled ratio', () => {
    expect(res.zones).toEqual([
      { zone: 'A', devices: 20, counted: 80, rate: 0.25, source: 'probe-rate' },
      { zone: 'B', devices: 10, counted: 50, rate: 0.2, source: 'probe-rate' },
    ]);
    expect(res.pooledRate).toBeCloseTo(30 / 130, 12);
  });

  it('A → B: expanded = 5 / (0.25 × 0.2) = 100, se = 100 × √(1/5 + 1/20 + 1/80 + 1/10 + 1/50) = 61.8466', () => {
    expect(res.cells[0].expanded).toBeCloseTo(100, 9);
    expect(res.cells[0].expandedStdErr).toBeCloseTo(61.846584, 5);
  });

  it('A → A: expanded = 4 / 0.25² = 64, ρ² doubles the relative error: se = 64 × √(1/4 + 4 × 0.0625) = 45.2548', () => {
    expect(res.cells[1].expanded).toBeCloseTo(64, 9);
    expect(res.cells[1].expandedStdErr).toBeCloseTo(45.254834, 5);
  });
});

describe('deriveZoneCounters', () => {
  it('assigns every counter whose line midpoint lies in a zone polygon, whatever its kind', () => {
    const sq = (x: number, y: number): [number, number][] => [
      [x, y],
      [x + 0.01, y],
      [x + 0.01, y + 0.01],
      [x, y + 0.01],
    ];
    const zones = [
      { id: 'core', kind: 'core', polygon: sq(1.48, 48.44) },
      { id: 'gate', kind: 'gate', polygon: sq(1.5, 48.44) },
    ];
    const counters = [
      { id: 'ped', modes: ['pedestrian'], line: { a: [1.484, 48.445] as const, b: [1.485, 48.445] as const } },
      { id: 'loop', modes: ['car'], line: { a: [1.504, 48.445] as const, b: [1.505, 48.445] as const } },
      { id: 'out', modes: ['car'], line: { a: [1.6, 48.445] as const, b: [1.61, 48.445] as const } },
    ];
    expect(deriveZoneCounters(zones, counters)).toEqual([
      { zone: 'core', sensorId: 'ped' },
      { zone: 'gate', sensorId: 'loop' },
    ]);
  });
});
