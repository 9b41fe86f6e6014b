/** The closed-loop report's arithmetic: lane-area detector intervals → stops and queue; the per-junction table. */
import { describe, expect, it } from 'vitest';
import { laneDetectorTotals, type VariantSummary, verifyReport } from './verify.ts';

describe('closed-loop report', () => {
  it('sums the halts of each detector and averages its quarter-hour jam maxima', () => {
    const t = laneDetectorTotals([
      { id: 'j|a_0', startedHalts: '12', maxJamLengthInMeters: '30.0' },
      { id: 'j|a_0', startedHalts: '8', maxJamLengthInMeters: '50.0' },
      { id: 'j|b_0', startedHalts: '0', maxJamLengthInMeters: '0.0' },
    ]);
    expect(t).toEqual(
      new Map([
        ['j|a_0', { stops: 20, queueM: 40 }],
        ['j|b_0', { stops: 0, queueM: 0 }],
      ]),
    );
  });

  it('prints each variant against the current plans, overall and per junction', () => {
    const row = (variant: VariantSummary['variant'], lossS: number, stops: number): VariantSummary => ({
      variant,
      scale: 1,
      meanTimeLossS: lossS / 100,
      approachTimeLossS: lossS,
      perJunction: { j: lossS },
      junctions: { j: { timeLossS: lossS, vehicles: 400, stops, queueM: 42.4 } },
      vehicles: 1000,
      meanWaitingCount: 1,
    });
    const text = verifyReport([row('current', 36_000, 400), row('proposed', 27_000, 300)], ['j']).split('\n');
    expect(text[2]).toMatch(/^current +1 +360\.0 +10\.0 +\+0\.0 %$/);
    expect(text[3]).toMatch(/^proposed +1 +270\.0 +7\.5 +-25\.0 %$/);
    // 7.50 veh·h, −25 %, 400 vehicles, 300 / 400 stops per vehicle, 42 m
    expect(text[7]).toMatch(/^j +proposed +1 +7\.50 +-25\.0 % +400 +0\.75 +42$/);
  });
});
