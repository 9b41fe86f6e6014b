import { describe, expect, it } from 'vitest';
import { dischargeAgreement } from './discharge-check.ts';

describe('dischargeAgreement (video vs SUMO queue discharge)', () => {
  it('compares saturation flows where both sides have enough headways: ratios 1.1 and 0.9 → median 1.0, error 10 %', () => {
    const row = (fromZone: string, toZone: string, headways: number, headwaySumS: number, pcuSum: number) => ({
      fromZone,
      toZone,
      start: 0,
      headways,
      headwaySumS,
      pcuSum,
    });
    const sumo = new Map([['c', [row('a', '*', 40, 80, 40), row('a', 'b', 20, 40, 20), row('a', 'b', 15, 30, 15)]]]);
    const video = [
      { cameraId: 'c', ...row('a', '*', 30, 60, 33) }, // 1,980 vs 1,800 PCU/h
      { cameraId: 'c', ...row('a', 'b', 31, 62, 27.9) }, // 1,620 vs 1,800 (SUMO's two rows summed: 35 headways)
      { cameraId: 'c', ...row('d', '*', 10, 20, 10) }, // too few headways, and none in SUMO
    ];
    const a = dischargeAgreement(sumo, video);
    expect(a.compared).toBe(2);
    expect(a.groups.map((g) => [g.key, g.ratio === null ? null : Number(g.ratio.toFixed(9))])).toEqual([
      ['c|a|*', 1.1],
      ['c|a|b', 0.9],
      ['c|d|*', null],
    ]);
    expect(a.medianRatio).toBeCloseTo(1, 12);
    expect(a.meanAbsError).toBeCloseTo(0.1, 12);
    expect(dischargeAgreement(sumo, video, 36).compared).toBe(0);
  });
});
