import { describe, expect, it } from 'vitest';
import { synthesizeCounts } from '../synth/counters.ts';
import { makeMiniCity, miniCityContext } from '../synth/fixtures/mini-city.ts';
import type { CounterRow, LineCountRow, TruthTables } from '../truth/tables.ts';
import { buildTruth } from '../truth/tables.ts';
import { evaluate, formatReport } from './evaluate.ts';

const START = Date.UTC(2026, 2, 10, 6, 30);

function lc(minuteOffset: number, count: number, mode = 'car', direction: 'in' | 'out' = 'in'): LineCountRow {
  return { cameraId: 'c1', lineId: 'l1', direction, mode, minute: START + minuteOffset * 60_000, count };
}

describe('evaluate on hand-made tables', () => {
  it('gives GEH 0 and zero error when the output is the truth', () => {
    const ctx = miniCityContext(makeMiniCity());
    const truth = buildTruth(ctx);
    const r = evaluate({
      truth,
      output: {
        lineCounts: truth.lineCounts,
        movements: truth.movements,
        od: truth.od,
        counters: truth.counters,
        travelTimes: truth.travelTimes,
        modePairs: truth.lineCounts.map((x) => ({ truth: x.mode, predicted: x.mode })),
      },
    });
    for (const t of [r.lineCounts, r.movements, r.od, r.counters]) {
      expect(t?.geh.maxGeh).toBe(0);
      expect(t?.geh.shareBelow).toBe(1);
      expect(t?.geh.totalErrorPct).toBe(0);
      expect(Object.values(t?.byGroup ?? {}).every((g) => g.errorPct === 0)).toBe(true);
      expect(t?.pass).toBe(true);
    }
    expect(r.travelTimes?.medianAbsErrorS).toBe(0);
    expect(r.modes?.macroF1).toBe(1);
    expect(r.pass).toBe(true);
  });

  it('measures a +10 % perturbation of one cell of 100: GEH = sqrt(2·100/210) ≈ 0.976', () => {
    const truth: Partial<TruthTables> = { lineCounts: [lc(0, 60), lc(1, 40), lc(0, 50, 'bicycle')] };
    // 100 cars in the hour (60 + 40 in two minutes), output 110 cars; bicycles exact.
    const output = [lc(0, 66), lc(1, 44), lc(0, 50, 'bicycle')];
    const r = evaluate({ truth, output: { lineCounts: output } });
    const t = r.lineCounts;
    expect(t?.intervalS).toBe(3600);
    expect(t?.geh.cells).toBe(2);
    expect(t?.worst[0].geh).toBeCloseTo(Math.sqrt(200 / 210), 12);
    expect(t?.worst[0].geh).toBeCloseTo(0.976, 3);
    expect(t?.geh.meanGeh).toBeCloseTo(Math.sqrt(200 / 210) / 2, 12);
    expect(t?.byGroup.motorVehicles.errorPct).toBeCloseTo(10, 12);
    expect(t?.byGroup.bicycles.errorPct).toBe(0);
    expect(t?.byMode.car).toEqual({ truth: 100, output: 110, errorPct: expect.closeTo(10, 12) });
    expect(t?.geh.totalErrorPct).toBeCloseTo((10 / 150) * 100, 12);
    // GEH is fine, but the motor-vehicle total is off by 10 % > 5 %.
    expect(t?.geh.shareBelow).toBe(1);
    expect(t?.pass).toBe(false);
    expect(r.pass).toBe(false);
    // At 1-minute cells the same error is two cells with GEH sqrt(2·36/126) and sqrt(2·16/84).
    const fine = evaluate({ truth, output: { lineCounts: output }, options: { lineCountIntervalS: 60 } });
    expect(fine.lineCounts?.geh.cells).toBe(3);
    expect(fine.lineCounts?.worst.map((c) => c.geh)).toEqual([
      expect.closeTo(Math.sqrt(72 / 126), 12),
      expect.closeTo(Math.sqrt(32 / 84), 12),
      0,
    ]);
  });

  it('counts missing cells on either side as zero and flags GEH ≥ 5', () => {
    const r = evaluate({ truth: { lineCounts: [lc(0, 30, 'pedestrian')] }, output: { lineCounts: [lc(0, 0, 'car')] } });
    expect(r.lineCounts?.geh.cells).toBe(2);
    expect(r.lineCounts?.geh.shareBelow).toBe(0.5); // pedestrians GEH sqrt(60) = 7.75, car cell 0/0 → 0
    expect(r.lineCounts?.byGroup.pedestrians.errorPct).toBe(-100);
  });

  it('leaves counter gaps (null) out of the comparison', () => {
    const truth: CounterRow[] = [
      { sensorId: 's', direction: 'in', mode: 'car', start: START, count: 50 },
      { sensorId: 's', direction: 'in', mode: 'car', start: START + 3_600_000, count: 70 },
    ];
    const output: CounterRow[] = [
      { sensorId: 's', direction: 'in', mode: 'car', start: START, count: 50 },
      { sensorId: 's', direction: 'in', mode: 'car', start: START + 3_600_000, count: null },
    ];
    const r = evaluate({ truth: { counters: truth }, output: { counters: output } });
    expect(r.counters?.gapCells).toBe(1);
    expect(r.counters?.geh.cells).toBe(1);
    expect(r.counters?.geh.maxGeh).toBe(0);
  });

  it('compares OD mode groups (motor, all) each with the truth of its modes', () => {
    const truth = {
      od: [
        { origin: 'a', destination: 'b', mode: 'car', windowStart: START, trips: 30 },
        { origin: 'a', destination: 'b', mode: 'van', windowStart: START, trips: 10 },
        { origin: 'a', destination: 'b', mode: 'pedestrian', windowStart: START, trips: 60 },
      ],
    };
    const r = evaluate({
      truth,
      output: {
        od: [
          { origin: 'a', destination: 'b', mode: 'all', windowStart: START, trips: 100 },
          { origin: 'a', destination: 'b', mode: 'motor', windowStart: START, trips: 20 },
        ],
      },
    });
    expect(r.od?.byModeCompared).toBe(false);
    // all: 100 vs 30 + 10 + 60 = 100; motor: 20 vs 40 (GEH √(2·20²/60) = 3.65, total −50 %).
    expect(r.od?.groups?.all.geh.maxGeh).toBe(0);
    expect(r.od?.groups?.all.pass).toBe(true);
    expect(r.od?.groups?.motor.geh.maxGeh).toBeCloseTo(Math.sqrt(800 / 60), 6);
    expect(r.od?.groups?.motor.geh.totalErrorPct).toBeCloseTo(-50, 6);
    expect(r.od?.groups?.motor.pass).toBe(false);
    expect(r.od?.pass).toBe(false);
    expect(r.od?.geh.cells).toBe(2);
    expect(formatReport(r)).toContain('OD motor');
  });

  it('measures the median travel-time error', () => {
    const r = evaluate({
      truth: {
        travelTimes: [
          { origin: 'a', destination: 'b', windowStart: START, trips: 5, travelTimeP50S: 100 },
          { origin: 'b', destination: 'a', windowStart: START, trips: 5, travelTimeP50S: 200 },
          { origin: 'a', destination: 'c', windowStart: START, trips: 5, travelTimeP50S: 50 },
        ],
      },
      output: {
        travelTimes: [
          { origin: 'a', destination: 'b', windowStart: START, trips: 3, travelTimeP50S: 110 },
          { origin: 'b', destination: 'a', windowStart: START, trips: 3, travelTimeP50S: 170 },
          { origin: 'a', destination: 'c', windowStart: START, trips: 3, travelTimeP50S: 50 },
        ],
      },
    });
    expect(r.travelTimes?.cells).toBe(3);
    expect(r.travelTimes?.medianAbsErrorS).toBe(10);
    expect(r.travelTimes?.medianAbsErrorPct).toBe(10);
  });

  it('formats a readable report', () => {
    const ctx = miniCityContext(makeMiniCity());
    const truth = buildTruth(ctx);
    const counters = synthesizeCounts(ctx, { intervalS: 900 }).map((c) => ({
      sensorId: c.sensorId,
      direction: c.direction ?? '',
      mode: c.mode ?? '',
      start: c.start,
      count: c.count,
    }));
    const text = formatReport(
      evaluate({
        truth,
        output: {
          lineCounts: truth.lineCounts,
          counters,
          modePairs: [
            { truth: 'van', predicted: 'car' },
            { truth: 'car', predicted: 'car' },
          ],
        },
      }),
    );
    expect(text).toMatch(/line counts\s+1 h\s+\d+\s+100\.0 %\s+0\.00/);
    expect(text).toMatch(/counters\s+1 h/);
    expect(text).toMatch(/macro-F1 0\.333/);
    expect(text).toMatch(/Overall: (PASS|FAIL)/);
  });
});
