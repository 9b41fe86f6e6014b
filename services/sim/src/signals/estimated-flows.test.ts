import { describe, expect, it } from 'vitest';
import { classMix, estimatedDesignFlows } from './estimated-flows.ts';

const H = Date.UTC(2026, 2, 10, 8); // 08:00
const Q = 900_000;

describe('estimatedDesignFlows (junctions without a camera, from the estimated OD)', () => {
  // Two OD cells of the 08:00 hour: a→b 100 trips (its path turns n>e at the junction), c→b 40 trips (path turns
  // w>e once and passes s>x, a movement the junction does not serve). Counted motor profile over the four quarters:
  // 10, 20, 40, 30 vehicles (shares 0.1, 0.2, 0.4, 0.3). 1.1 PCU per vehicle.
  const input = {
    cells: [
      { t: H, origin: 'a', destination: 'b', trips: 100 },
      { t: H, origin: 'c', destination: 'b', trips: 40 },
    ],
    movements: new Map([
      ['a\u0000b', new Map([['n>e', 1]])],
      [
        'c\u0000b',
        new Map([
          ['w>e', 1],
          ['s>x', 1],
        ]),
      ],
    ]),
    served: new Set(['n>e', 'w>e']),
    quarterWeights: new Map([
      [H, 10],
      [H + Q, 20],
      [H + 2 * Q, 40],
      [H + 3 * Q, 30],
    ]),
    from: H,
    to: H + 4 * Q,
    pcuPerVehicle: 1.1,
  };

  it('peak15: the busiest quarter (08:30, 40 % of the hour) as an hourly rate in PCU', () => {
    const r = estimatedDesignFlows({ ...input, design: 'peak15' });
    expect(r.from).toBe(H + 2 * Q);
    expect(r.to).toBe(H + 3 * Q);
    expect(r.hours).toBe(0.25);
    // n>e: 100 × 0.4 = 40 vehicles in 15 min → 160 veh/h × 1.1 = 176 PCU/h; w>e: 40 × 0.4 × 4 × 1.1 = 70.4.
    expect(r.flows.get('n>e')).toBeCloseTo(176, 9);
    expect(r.flows.get('w>e')).toBeCloseTo(70.4, 9);
    expect(r.flows.has('s>x')).toBe(false);
  });

  it('mean: the window mean; a demand scale multiplies; a half-counted hour gets its trips in its counted quarters', () => {
    const mean = estimatedDesignFlows({ ...input, design: 'mean', demandScale: 1.3 });
    expect(mean.hours).toBe(1);
    expect(mean.flows.get('n>e')).toBeCloseTo(100 * 1.1 * 1.3, 9);
    // Window 08:30–09:00 only: the hour's 100 trips fall in its two window quarters by their weights 40:30 (the
    // world's data stop or start mid-hour; the OD's hourly cell holds only those trips).
    const half = estimatedDesignFlows({ ...input, from: H + 2 * Q, design: 'mean' });
    expect(half.hours).toBe(0.5);
    expect(half.flows.get('n>e')).toBeCloseTo((100 / 0.5) * 1.1, 9);
    const peak = estimatedDesignFlows({ ...input, from: H + 2 * Q, design: 'peak15' });
    expect(peak.flows.get('n>e')).toBeCloseTo(100 * (40 / 70) * 4 * 1.1, 9);
  });

  it('spreads an hour evenly over its quarters when none of them was counted', () => {
    const r = estimatedDesignFlows({ ...input, quarterWeights: new Map(), design: 'peak15' });
    expect(r.from).toBe(H);
    expect(r.flows.get('n>e')).toBeCloseTo(100 * 1.1, 9);
  });
});

describe('classMix', () => {
  it('mean PCU and heavy share of the counted motor classes (car 1, motorcycle 0.4, truck and bus 2)', () => {
    // 80 cars, 10 motorcycles, 6 trucks, 4 buses: (80 + 4 + 12 + 8) / 100 = 1.04 PCU, heavy 10 %.
    expect(classMix({ car: 80, motorcycle: 10, truck: 6, bus: 4 })).toEqual({ pcuPerVehicle: 1.04, heavyShare: 0.1 });
    expect(classMix({ car: 10 }, { car: 1.5 }).pcuPerVehicle).toBe(1.5);
    expect(classMix({})).toEqual({ pcuPerVehicle: 1, heavyShare: 0 });
  });
});
