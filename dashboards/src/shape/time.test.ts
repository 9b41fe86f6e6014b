import { describe, expect, it } from 'vitest';
import { fromLocalInput, toLocalInput, zoneOffset } from './time.ts';

describe('zone wall-clock times', () => {
  it('converts both ways across the summer-time change in Paris', () => {
    const winter = Date.parse('2026-03-10T07:30:00Z');
    expect(zoneOffset(winter, 'Europe/Paris')).toBe(3_600_000);
    expect(toLocalInput(winter, 'Europe/Paris')).toBe('2026-03-10T08:30');
    expect(fromLocalInput('2026-03-10T08:30', 'Europe/Paris')).toBe(winter);
    const summer = Date.parse('2026-07-01T06:00:00Z');
    expect(toLocalInput(summer, 'Europe/Paris')).toBe('2026-07-01T08:00');
    expect(fromLocalInput('2026-07-01T08:00', 'Europe/Paris')).toBe(summer);
    expect(fromLocalInput('2026-07-01', 'UTC')).toBe(Date.parse('2026-07-01T00:00:00Z'));
    expect(fromLocalInput('nonsense', 'UTC')).toBeNaN();
  });
});
