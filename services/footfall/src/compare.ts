/**
 * Period comparisons for planners, like for like: a period of days against the same days one week earlier, the
 * same weekdays one year earlier (364 days: weekdays line up), and the mean of the 4 preceding weeks. Only
 * sensor-hours counted in BOTH periods enter a comparison, and fault days (faults.ts) are left out on both sides,
 * so a broken sensor is never read as a fall in footfall; real drops stay in.
 */
import { type DayFlag, isFault } from './faults.ts';
import type { HourlyGrid } from './grid.ts';

export interface Comparison {
  current: number;
  reference: number;
  /** current / reference − 1 (null when the reference is 0 or nothing is comparable). */
  change: number | null;
  /** Sensor-hours compared. */
  cells: number;
}

export interface PeriodComparisons {
  weekOnWeek: Comparison;
  sameWeekdayLastYear: Comparison;
  fourWeekBaseline: Comparison;
  /** Fault sensor-days left out of the current period. */
  faultDaysExcluded: number;
}

function compareShifted(
  g: HourlyGrid,
  sensors: number[],
  from: number,
  to: number,
  shifts: number[],
  flags?: DayFlag[][],
): Comparison {
  let cur = 0;
  let ref = 0;
  let cells = 0;
  for (const s of sensors) {
    const v = g.values[s];
    for (let d = from; d < to; d++) {
      if (d < 0 || d >= g.days || (flags && isFault(flags[s][d]))) continue;
      const refDays = shifts.map((k) => d - k);
      if (refDays.some((r) => r < 0 || (flags && isFault(flags[s][r])))) continue;
      for (let h = 0; h < 24; h++) {
        const x = v[d * 24 + h];
        if (Number.isNaN(x)) continue;
        let sum = 0;
        let ok = true;
        for (const r of refDays) {
          const y = v[r * 24 + h];
          if (Number.isNaN(y)) {
            ok = false;
            break;
          }
          sum += y;
        }
        if (!ok) continue;
        cur += x;
        ref += sum / refDays.length;
        cells++;
      }
    }
  }
  return { current: cur, reference: ref, change: cells && ref > 0 ? cur / ref - 1 : null, cells };
}

/** Comparisons of day indices [from, to) for the given sensors (summed). */
export function comparePeriods(
  g: HourlyGrid,
  sensorIds: readonly string[],
  from: number,
  to: number,
  flags?: DayFlag[][],
): PeriodComparisons {
  const sensors = sensorIds.map((s) => g.sensors.indexOf(s)).filter((i) => i >= 0);
  let excluded = 0;
  if (flags) for (const s of sensors) for (let d = from; d < to; d++) if (isFault(flags[s][d])) excluded++;
  return {
    weekOnWeek: compareShifted(g, sensors, from, to, [7], flags),
    sameWeekdayLastYear: compareShifted(g, sensors, from, to, [364], flags),
    fourWeekBaseline: compareShifted(g, sensors, from, to, [7, 14, 21, 28], flags),
    faultDaysExcluded: excluded,
  };
}
