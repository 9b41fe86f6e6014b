/**
 * Fault flags per sensor-day, kept apart from real drops: a sensor that stops (outage), reads zero through the
 * day (zero) or repeats one value (stuck) is broken; a day much lower than usual with none of these is a DROP,
 * i.e. real footfall, and stays in every analysis. Fault days are left out of before/after and comparisons.
 */
import { type HourlyGrid, weekdayOf } from './grid.ts';

export type DayFlag = 'ok' | 'outage' | 'zero' | 'stuck' | 'drop';

export interface FaultOptions {
  /** Missing hours of 24 from which the day is an outage. @default 6 */
  outageHours?: number;
  /** Consecutive zero hours during 08–20 h at a sensor usually ≥ `busy` there. @default 4 */
  zeroRun?: number;
  /** @default 20 */
  busy?: number;
  /** Consecutive identical non-zero hours. @default 4 */
  stuckRun?: number;
  /** Day total below this share of the same weekday's 4-week median is a drop. @default 0.5 */
  dropShare?: number;
}

/** One flag per sensor-day (`flags[s][d]`). */
export function flagDays(g: HourlyGrid, o: FaultOptions = {}): DayFlag[][] {
  const outageHours = o.outageHours ?? 6;
  const zeroRun = o.zeroRun ?? 4;
  const busy = o.busy ?? 20;
  const stuckRun = o.stuckRun ?? 4;
  const dropShare = o.dropShare ?? 0.5;
  return g.values.map((v) => {
    const flags: DayFlag[] = new Array(g.days).fill('ok');
    const totals = new Float64Array(g.days).fill(Number.NaN);
    for (let d = 0; d < g.days; d++) {
      let missing = 0;
      let total = 0;
      let zeros = 0;
      let same = 1;
      let stuck = false;
      let zero = false;
      for (let h = 0; h < 24; h++) {
        const x = v[d * 24 + h];
        if (Number.isNaN(x)) {
          missing++;
          zeros = 0;
          same = 1;
          continue;
        }
        total += x;
        const usual = usualAt(v, d, h);
        zeros = x === 0 && h >= 8 && h < 20 && usual >= busy ? zeros + 1 : 0;
        if (zeros >= zeroRun) zero = true;
        const prev = h > 0 ? v[d * 24 + h - 1] : Number.NaN;
        same = x > 0 && x === prev ? same + 1 : 1;
        if (same >= stuckRun) stuck = true;
      }
      if (missing >= outageHours) flags[d] = 'outage';
      else if (zero) flags[d] = 'zero';
      else if (stuck) flags[d] = 'stuck';
      else totals[d] = total;
    }
    for (let d = 0; d < g.days; d++) {
      if (flags[d] !== 'ok') continue;
      const ref: number[] = [];
      for (let k = 1; k <= 4; k++) if (d - 7 * k >= 0 && !Number.isNaN(totals[d - 7 * k])) ref.push(totals[d - 7 * k]);
      if (ref.length < 2) continue;
      ref.sort((a, b) => a - b);
      const med = ref.length % 2 ? ref[(ref.length - 1) / 2] : (ref[ref.length / 2 - 1] + ref[ref.length / 2]) / 2;
      if (totals[d] < dropShare * med) flags[d] = 'drop';
    }
    return flags;
  });
}

/** Mean of the same weekday-hour over the 4 previous weeks (what "usually" means for the zero check). */
function usualAt(v: Float64Array, d: number, h: number): number {
  let s = 0;
  let n = 0;
  for (let k = 1; k <= 4; k++) {
    const j = (d - 7 * k) * 24 + h;
    if (j >= 0 && !Number.isNaN(v[j])) {
      s += v[j];
      n++;
    }
  }
  return n ? s / n : 0;
}

export const isFault = (f: DayFlag): boolean => f === 'outage' || f === 'zero' || f === 'stuck';

/** Counts of each flag over a grid (for reports). */
export function flagSummary(flags: DayFlag[][]): Record<DayFlag, number> {
  const out: Record<DayFlag, number> = { ok: 0, outage: 0, zero: 0, stuck: 0, drop: 0 };
  for (const row of flags) for (const f of row) out[f]++;
  return out;
}

export { weekdayOf };
