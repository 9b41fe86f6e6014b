/** Wall-clock times in a time zone for the period pickers (`<input type="datetime-local">`), and the view's URL. */

function parts(t: number, timeZone: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const p of new Intl.DateTimeFormat('en-GB', {
    timeZone,
    hourCycle: 'h23',
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
  }).formatToParts(new Date(t)))
    if (p.type !== 'literal') out[p.type] = Number(p.value);
  return out;
}

/** Offset (ms) of the zone's wall clock from UTC at instant `t`. */
export function zoneOffset(t: number, timeZone: string): number {
  const p = parts(t, timeZone);
  return Date.UTC(p.year, p.month - 1, p.day, p.hour, p.minute, p.second) - Math.floor(t / 1000) * 1000;
}

/** `YYYY-MM-DDTHH:mm` wall-clock time of `t` in the zone. */
export function toLocalInput(t: number, timeZone: string): string {
  const d = new Date(t + zoneOffset(t, timeZone));
  return d.toISOString().slice(0, 16);
}

/** The instant of a `YYYY-MM-DDTHH:mm` wall-clock time in the zone (NaN when not a time). */
export function fromLocalInput(s: string, timeZone: string): number {
  if (!/^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2})?$/.test(s)) return Number.NaN;
  const naive = Date.parse(`${s.length === 10 ? `${s}T00:00` : s}:00Z`);
  if (Number.isNaN(naive)) return Number.NaN;
  const first = naive - zoneOffset(naive, timeZone);
  return naive - zoneOffset(first, timeZone);
}

/** Interval length in ms. */
export const STEP_MS: Record<string, number> = { '15m': 900_000, '1h': 3_600_000, '1d': 86_400_000 };
