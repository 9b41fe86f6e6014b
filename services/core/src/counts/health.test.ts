import { describe, expect, it } from 'vitest';
import { detectSensorHealth, hourOfWeek } from './health.ts';
import type { NormalisedCount } from './normalise.ts';

const H = 3_600_000;
const MON = Date.parse('2025-09-29T00:00:00Z'); // a Monday

function series(values: (number | null)[], start = MON, step = H): NormalisedCount[] {
  return values.map((v, i) => ({
    sensorId: 'S',
    mode: 'car',
    start: start + i * step,
    end: start + (i + 1) * step,
    count: v,
    uptime: v === null ? 0 : 1,
  }));
}

/** A plausible day: quiet nights, busy days. */
const DAY = [2, 1, 0, 0, 1, 5, 30, 80, 120, 90, 70, 75, 80, 78, 76, 85, 110, 125, 90, 60, 40, 25, 12, 5];

describe('detectSensorHealth', () => {
  it('hour of week starts on Monday 00:00 local', () => {
    expect(hourOfWeek(MON)).toBe(0);
    expect(hourOfWeek(MON + 7 * 24 * H - 1)).toBe(167);
    expect(hourOfWeek(MON - 2 * H, 120)).toBe(0);
  });

  it('flags gaps, zeros where traffic is expected, flat lines and jumps — and nothing on a clean week', () => {
    const clean = [...Array(14)].flatMap(() => DAY);
    expect(detectSensorHealth(series(clean))).toEqual([]);

    const v: (number | null)[] = [...clean];
    // Day 8 (second Tuesday) 08:00–12:00: stuck at zero where the profile says ~90/h.
    for (let h = 8; h < 12; h++) v[8 * 24 + h] = 0;
    // Day 9 14:00–16:00: gap.
    v[9 * 24 + 14] = null;
    v[9 * 24 + 15] = null;
    // Day 10 08:00–13:00: frozen at 77.
    for (let h = 8; h < 13; h++) v[10 * 24 + h] = 77;
    // Day 11 10:00: a jump to 900.
    v[11 * 24 + 10] = 900;
    const flags = detectSensorHealth(series(v));
    const at = (d: number, h: number) => MON + (d * 24 + h) * H;
    expect(flags.map((f) => [f.kind, f.from, f.to])).toEqual([
      ['stuck-at-zero', at(8, 8), at(8, 12)],
      ['gap', at(9, 14), at(9, 16)],
      ['flat-line', at(10, 8), at(10, 13)],
      ['impossible-jump', at(11, 10), at(11, 11)],
    ]);
    expect(flags[0]).toMatchObject({ sensorId: 'S', mode: 'car', detail: 'expected 355.0' }); // 120 + 90 + 70 + 75 of the first Tuesday
  });

  it('night zeros are normal; a daytime hour of zeros is not, even without a profile', () => {
    // Four zero hours at night: expected (2+1+0+0)=3 < 5 → not flagged.
    expect(detectSensorHealth(series(DAY))).toEqual([]);
    // 1-min bins: 60 zeros in daytime with no history to compare to.
    const mins = series([...Array(30).fill(3), ...Array(60).fill(0), ...Array(30).fill(3)], MON + 9 * H, 60_000);
    const flags = detectSensorHealth(mins, { stuckZeroMinIntervals: 1000, flatMinIntervals: 1000 });
    expect(flags).toEqual([
      {
        sensorId: 'S',
        mode: 'car',
        kind: 'stuck-at-zero',
        from: MON + 9.5 * H,
        to: MON + 10.5 * H,
        detail: '60 min of zeros in daytime',
      },
    ]);
  });

  it('uses an external expectation (neighbours) when given', () => {
    const v = [...DAY];
    for (let h = 0; h < 4; h++) v[h] = 0; // night zeros
    const flags = detectSensorHealth(series(v), { expected: (_s, t) => (t < MON + 4 * H ? 3 : undefined) });
    expect(flags.map((f) => f.kind)).toEqual(['stuck-at-zero']);
  });
});
