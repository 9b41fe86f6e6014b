import { describe, expect, it } from 'vitest';
import { type CountRecordLike, normaliseCounts } from './normalise.ts';

const T = Date.parse('2025-10-01T07:00:00Z');
const MIN = 60_000;

describe('normaliseCounts', () => {
  it('aggregates 1-min records to 15 min with gaps as null and uptime-weighted extrapolation', () => {
    const recs: CountRecordLike[] = [];
    for (let m = 0; m < 15; m++) {
      if (m === 5 || m === 6) continue; // two missing minutes
      recs.push({ sensorId: 'loop', start: T + m * MIN, end: T + (m + 1) * MIN, count: 4, uptime: 1 });
    }
    // Second bin: nothing at all.
    recs.push({ sensorId: 'loop', start: T + 30 * MIN, end: T + 31 * MIN, count: 6 });
    const out = normaliseCounts(recs, { interval: '15m' });
    expect(out.map((b) => [b.start - T, b.count, b.uptime])).toEqual([
      // 13 minutes observed, 52 vehicles → 52 / (13/15) = 60 for the quarter hour.
      [0, 60, 13 / 15],
      [15 * MIN, null, 0],
      // One minute observed with 6 → 90 for the quarter hour.
      [30 * MIN, 90, 1 / 15],
    ]);
    // Missing is never zero.
    expect(normaliseCounts(recs, { interval: '15m', minUptime: 0.5 })[2]).toMatchObject({
      count: null,
      uptime: 1 / 15,
    });
  });

  it('extrapolates like Telraam when aggregating partial-uptime records', () => {
    // Four quarter hours, counts already extrapolated: 40 @ 1, 60 @ 0.5, null, 20 @ 0.25.
    const recs: CountRecordLike[] = [
      { sensorId: 't', start: T, end: T + 15 * MIN, count: 40, uptime: 1 },
      { sensorId: 't', start: T + 15 * MIN, end: T + 30 * MIN, count: 60, uptime: 0.5 },
      { sensorId: 't', start: T + 30 * MIN, end: T + 45 * MIN, count: null, uptime: 0 },
      { sensorId: 't', start: T + 45 * MIN, end: T + 60 * MIN, count: 20, uptime: 0.25 },
    ];
    const [h] = normaliseCounts(recs, { interval: '1h' });
    // Observed: 40 + 30 + 5 = 75 in 1.75 quarter hours → uptime 0.4375, hour estimate 75 / 0.4375.
    expect(h.uptime).toBe(0.4375);
    expect(h.count).toBeCloseTo(75 / 0.4375, 10);
    // Raw observed counts are converted first.
    const raw = normaliseCounts([{ sensorId: 'r', start: T, end: T + 60 * MIN, count: 30, uptime: 0.5 }], {
      interval: '1h',
      countIs: 'observed',
    });
    expect(raw[0]).toMatchObject({ count: 60, uptime: 0.5 });
  });

  it('keeps series apart and fills the requested range', () => {
    const recs: CountRecordLike[] = [
      { sensorId: 's', mode: 'car', direction: 'in', start: T, end: T + 3_600_000, count: 100, uptime: 1 },
      { sensorId: 's', mode: 'bicycle', direction: 'in', start: T, end: T + 3_600_000, count: 10, uptime: 1 },
    ];
    const out = normaliseCounts(recs, { interval: '1h', from: T - 3_600_000, to: T + 7_200_000 });
    expect(out.map((b) => `${b.mode}:${b.count}`)).toEqual([
      'bicycle:null',
      'bicycle:10',
      'bicycle:null',
      'car:null',
      'car:100',
      'car:null',
    ]);
    expect(() => normaliseCounts(recs, { interval: '5m' as '1m' })).toThrow(
      expect.objectContaining({ code: 'PASSAGE_COUNTS_CONFIG' }),
    );
  });
});
