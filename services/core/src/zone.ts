/**
 * Local wall-clock time ↔ instants in an IANA time zone, with the zone rules of the runtime (`Intl`): no
 * offset table of ours. Offsets are cached per 15 minutes of UTC, so converting hundreds of thousands of rows costs
 * a few thousand `Intl` calls.
 */

const DAY_MS = 86_400_000;

export class ZoneClock {
  private readonly fmt: Intl.DateTimeFormat;
  private readonly cache = new Map<number, number>();

  /** Throws a RangeError for an unknown zone. */
  constructor(readonly timeZone: string) {
    this.fmt = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
    });
  }

  /** Offset of the zone at instant `t` (ms to add to UTC to get local time). */
  offsetAt(t: number): number {
    const key = Math.floor(t / 900_000);
    const hit = this.cache.get(key);
    if (hit !== undefined) return hit;
    const p: Record<string, number> = {};
    for (const x of this.fmt.formatToParts(new Date(key * 900_000))) {
      if (x.type !== 'literal') p[x.type] = Number(x.value);
    }
    const off = Date.UTC(p.year, p.month - 1, p.day, p.hour, p.minute) - key * 900_000;
    this.cache.set(key, off);
    return off;
  }

  /**
   * The instants at which the local clock reads `wall` (a local time written as if UTC, ms): none when it does
   * not exist (clocks going forward), two (earlier first) when it exists twice (clocks going back).
   */
  instants(wall: number): number[] {
    const out: number[] = [];
    for (const o of new Set([this.offsetAt(wall - DAY_MS), this.offsetAt(wall + DAY_MS)])) {
      const t = wall - o;
      if (this.offsetAt(t) === o) out.push(t);
    }
    return out.sort((a, b) => a - b);
  }

  /** Local day number (days since 1970-01-01 of the local date) and hour of an instant. */
  local(t: number): { day: number; hour: number } {
    const l = t + this.offsetAt(t);
    const day = Math.floor(l / DAY_MS);
    return { day, hour: Math.floor((l - day * DAY_MS) / 3_600_000) };
  }
}
