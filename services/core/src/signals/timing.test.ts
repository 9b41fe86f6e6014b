import { describe, expect, it } from 'vitest';
import {
  greenSplits,
  hcmDelay,
  levelOfService,
  pedestrianMinGreen,
  permittedLeftCapacity,
  progressionOffset,
  queue95,
  saturationFlow,
  segmentTimeOfDay,
  websterCycle,
} from './timing.ts';

describe('Webster (worked examples)', () => {
  it('Y = 0.7, L = 10 s → C0 = (1.5·10 + 5) / 0.3 = 66.7 s', () => {
    const r = websterCycle({ lostTimeS: 10, flowRatios: [0.4, 0.3] });
    expect(r.Y).toBeCloseTo(0.7, 12);
    expect(r.optimumS).toBeCloseTo(66.667, 3);
    expect(r.cycleS).toBeCloseTo(66.667, 3);
    expect(r.nearCapacity).toBe(false);
  });

  it('two stages y = 0.30 and 0.25, L = 8 s → C0 = 17 / 0.45 = 37.8 s; greens 16.2 s and 13.5 s', () => {
    const r = websterCycle({ lostTimeS: 8, flowRatios: [0.3, 0.25] });
    expect(r.optimumS).toBeCloseTo(37.778, 3);
    const g = greenSplits(r.cycleS, 8, [0.3, 0.25]);
    expect(g[0]).toBeCloseTo((29.778 * 0.3) / 0.55, 2); // 16.24
    expect(g[1]).toBeCloseTo((29.778 * 0.25) / 0.55, 2); // 13.54
  });

  it('bounds: a light junction gets the minimum cycle, Y ≥ 0.9 the maximum', () => {
    expect(websterCycle({ lostTimeS: 6, flowRatios: [0.05, 0.05] }).cycleS).toBe(30);
    const busy = websterCycle({ lostTimeS: 12, flowRatios: [0.5, 0.45], maxCycleS: 110 });
    expect(busy.nearCapacity).toBe(true);
    expect(busy.cycleS).toBe(110);
    expect(websterCycle({ lostTimeS: 12, flowRatios: [0.6, 0.5] }).optimumS).toBe(Number.POSITIVE_INFINITY);
  });

  it('minimum greens are honoured and the rest shared in proportion to y', () => {
    // C = 60, L = 10: 50 s to share; y = 0.5 / 0.05 would give 45.45 / 4.55; the second stage needs 10 s.
    const g = greenSplits(60, 10, [0.5, 0.05], [7, 10]);
    expect(g[1]).toBe(10);
    expect(g[0]).toBeCloseTo(40, 10);
    expect(g[0] + g[1]).toBeCloseTo(50, 10);
  });

  it('refuses a negative flow ratio with a coded error', () => {
    expect(() => websterCycle({ lostTimeS: 8, flowRatios: [-0.1] })).toThrow(
      expect.objectContaining({ code: 'PASSAGE_SIGNALS_INPUT' }),
    );
  });
});

describe('HCM 2000 control delay (hand-computed)', () => {
  it('C = 60 s, g = 27 s, s = 1800, v = 600 PCU/h, T = 0.25 h → c = 810, X = 0.741, d = 13.61 + 6.04 = 19.65 s (LOS B)', () => {
    const r = hcmDelay({ cycleS: 60, greenS: 27, flowPcuH: 600, saturationPcuH: 1800 });
    expect(r.capacityPcuH).toBeCloseTo(810, 9);
    expect(r.X).toBeCloseTo(0.7407, 4);
    expect(r.uniformS).toBeCloseTo(13.6125, 4);
    expect(r.incrementalS).toBeCloseTo(6.0368, 3);
    expect(r.delayS).toBeCloseTo(19.649, 3);
    expect(levelOfService(r.delayS)).toBe('B');
  });

  it('oversaturated: C = 90, g = 30, v = 700 → X = 1.167, d1 = 30 s (X capped at 1), d2 = 92.1 s, LOS F', () => {
    const r = hcmDelay({ cycleS: 90, greenS: 30, flowPcuH: 700, saturationPcuH: 1800 });
    expect(r.X).toBeCloseTo(1.1667, 4);
    expect(r.uniformS).toBeCloseTo(30, 9);
    expect(r.incrementalS).toBeCloseTo(92.1008, 3);
    expect(levelOfService(r.delayS)).toBe('F');
  });

  it('level-of-service thresholds 10 / 20 / 35 / 55 / 80 s', () => {
    expect([10, 10.1, 20, 35, 55, 80, 80.1].map(levelOfService)).toEqual(['A', 'B', 'B', 'C', 'D', 'E', 'F']);
  });

  it('queue: 600 PCU/h, 33 s red, s = 1800 → mean 8.25 PCU at end of red, 95th percentile 8.25 + 1.645·√8.25', () => {
    const q = queue95({ cycleS: 60, greenS: 27, flowPcuH: 600, saturationPcuH: 1800 });
    const mean = ((600 / 3600) * 33) / (1 - 600 / 1800);
    expect(mean).toBeCloseTo(8.25, 9);
    expect(q).toBeCloseTo(mean + 1.645 * Math.sqrt(mean), 9);
  });
});

describe('saturation flow adjustments', () => {
  it('through lane 1800; 100 % right turns × 0.85; protected left × 0.95; permitted left × 0.6', () => {
    expect(saturationFlow({})).toBe(1800);
    expect(saturationFlow({ rightShare: 1 })).toBeCloseTo(1530, 9);
    expect(saturationFlow({ leftShare: 1 })).toBeCloseTo(1710, 9);
    expect(saturationFlow({ leftShare: 1, leftPermitted: true })).toBeCloseTo(1080, 9);
  });
});

describe('time-of-day segmentation', () => {
  it('finds the break times of three regimes (night, peak, day) in 15-min vectors', () => {
    const v: number[][] = [];
    for (let i = 0; i < 24; i++) v.push([20 + (i % 2), 10]); // 6 h low, mostly movement 0
    for (let i = 0; i < 12; i++) v.push([300 + (i % 3), 320]); // 3 h peak, balanced
    for (let i = 0; i < 20; i++) v.push([150, 40 + (i % 2)]); // 5 h day, movement 0 dominant
    expect(segmentTimeOfDay(v, 5)).toEqual([0, 24, 36]);
  });

  it('one regime → one plan', () => {
    const v = Array.from({ length: 16 }, (_, i) => [100 + (i % 3), 50 - (i % 2)]);
    expect(segmentTimeOfDay(v, 4)).toEqual([0]);
  });
});

describe('pedestrian minimum green (HCM 2000 eq. 16-2)', () => {
  it('12.8 m crossing at 1.2 m/s: 3.2 + 10.67 = 13.87 s; + 0.27 · 10 pedestrians (≤ 3 m wide) = 16.57 s', () => {
    expect(pedestrianMinGreen({ crossingM: 12.8 })).toBeCloseTo(13.8667, 4);
    expect(pedestrianMinGreen({ crossingM: 12.8, pedestriansPerCycle: 10 })).toBeCloseTo(16.5667, 4);
  });

  it('a 4 m wide crosswalk: + 0.81 · 10 / 4 = 2.03 s; 6.4 m at 1.0 m/s: 3.2 + 6.4 = 9.6 s', () => {
    expect(pedestrianMinGreen({ crossingM: 12.8, pedestriansPerCycle: 10, widthM: 4 })).toBeCloseTo(15.8917, 4);
    expect(pedestrianMinGreen({ crossingM: 6.4, speedMps: 1 })).toBeCloseTo(9.6, 9);
    expect(() => pedestrianMinGreen({ crossingM: 5, speedMps: 0 })).toThrow(
      expect.objectContaining({ code: 'PASSAGE_SIGNALS_INPUT' }),
    );
  });
});

describe('progression offset', () => {
  it('C = 60 s: upstream offset 10 s, its green at 0 s, 8 s of travel, downstream green at 30 s → 10 + 8 − 30 = −12 ≡ 48 s', () => {
    expect(
      progressionOffset({
        cycleS: 60,
        upstreamOffsetS: 10,
        upstreamGreenStartS: 0,
        travelS: 8,
        downstreamGreenStartS: 30,
      }),
    ).toBe(48);
  });

  it('112 m at 13.89 m/s = 8.06 s, both greens at 0 s: the downstream program starts 8.06 s later', () => {
    expect(
      progressionOffset({
        cycleS: 66,
        upstreamOffsetS: 0,
        upstreamGreenStartS: 0,
        travelS: 112 / 13.89,
        downstreamGreenStartS: 0,
      }),
    ).toBeCloseTo(8.0634, 4);
    expect(
      progressionOffset({
        cycleS: 40,
        upstreamOffsetS: 35,
        upstreamGreenStartS: 20,
        travelS: 9,
        downstreamGreenStartS: 4,
      }),
    ).toBe(20);
  });
});

describe('permitted left capacity (gap acceptance + sneakers)', () => {
  it('C = 60, g = 27, v_o = 600, s_o = 1800: g_q = 16.5 s, g_u = 10.5 s, s_f = 831.7/h → c_L = 145.5 + 120 = 265.6 PCU/h', () => {
    // g_q = 600 · 33 / 1200 = 16.5; s_f = 600 e^(−0.75) / (1 − e^(−0.41667)) = 283.42 / 0.34076 = 831.73
    expect(
      permittedLeftCapacity({ cycleS: 60, greenS: 27, opposingPcuH: 600, opposingSaturationPcuH: 1800 }),
    ).toBeCloseTo(265.553, 2);
  });

  it('no opposing flow: 3600 / 2.5 = 1440/h for the whole green → 648 + 120 = 768; saturated opposing: sneakers only', () => {
    expect(
      permittedLeftCapacity({ cycleS: 60, greenS: 27, opposingPcuH: 0, opposingSaturationPcuH: 1800 }),
    ).toBeCloseTo(768, 9);
    expect(
      permittedLeftCapacity({ cycleS: 40, greenS: 15, opposingPcuH: 2000, opposingSaturationPcuH: 1800 }),
    ).toBeCloseTo(180, 9);
  });
});
