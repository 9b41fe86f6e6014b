/**
 * Before/after with a counterfactual: what a site (one or more sensors) would have counted after an
 * intervention date without it, forecast from the pre-period relation between the site and control sensors
 * (unaffected by the intervention), against what it counted.
 *
 * Model, on daily totals of days without a fault at the site or any control:
 *   log site(d) = log controls(d) + a[weekday(d)] + e(d)
 * a[·] is fitted on the `preDays` before the date; the post-period effect is the mean of
 * log site − log controls − a over `postDays`, the uplift exp(effect) − 1. Its standard error combines the
 * residual variance of the pre-period with the uncertainty of a[·], inflated for day-to-day autocorrelation
 * (AR(1): (1 + ρ) / (1 − ρ)); the interval is ± z·SE on the log scale (95 % by default).
 * Placebo dates (no intervention) must give intervals that include 0 about 95 % of the time.
 */
import { type DayFlag, isFault } from './faults.ts';
import { type HourlyGrid, weekdayOf } from './grid.ts';

export interface BeforeAfterOptions {
  /** Sensor ids of the site (summed). */
  site: readonly string[];
  /** Control sensor ids; default every other sensor with data on ≥ 90 % of the days used. */
  controls?: readonly string[];
  /** Day index of the intervention (first day of the post period). */
  day: number;
  /** @default 28 */
  postDays?: number;
  /** @default 56 */
  preDays?: number;
  /** Two-sided confidence level. @default 0.95 */
  level?: number;
  /** Fault flags (faults.ts): fault days are left out. */
  flags?: DayFlag[][];
}

export interface BeforeAfterResult {
  /** Relative change of the site against its counterfactual, e.g. 0.15 = +15 %. */
  uplift: number;
  lo: number;
  hi: number;
  level: number;
  actual: number;
  counterfactual: number;
  preDaysUsed: number;
  postDaysUsed: number;
  controls: string[];
  residualSd: number;
  autocorrelation: number;
}

const Z: Record<string, number> = { '0.8': 1.2816, '0.9': 1.6449, '0.95': 1.96, '0.99': 2.5758 };

function dayTotal(v: Float64Array, d: number): number {
  if (d < 0 || (d + 1) * 24 > v.length) return Number.NaN;
  let s = 0;
  for (let h = 0; h < 24; h++) {
    const x = v[d * 24 + h];
    if (Number.isNaN(x)) return Number.NaN;
    s += x;
  }
  return s;
}

export function beforeAfter(g: HourlyGrid, o: BeforeAfterOptions): BeforeAfterResult | null {
  const post = o.postDays ?? 28;
  const pre = o.preDays ?? 56;
  const level = o.level ?? 0.95;
  const idx = new Map(g.sensors.map((s, i) => [s, i]));
  const site = o.site.map((s) => idx.get(s)).filter((i): i is number => i !== undefined);
  if (site.length === 0) return null;
  const from = o.day - pre;
  const to = o.day + post;
  const valid = (s: number, d: number) =>
    d >= 0 && d < g.days && !Number.isNaN(dayTotal(g.values[s], d)) && !(o.flags && isFault(o.flags[s][d]));
  let controls: number[];
  if (o.controls) controls = o.controls.map((s) => idx.get(s)).filter((i): i is number => i !== undefined);
  else {
    controls = [];
    for (let s = 0; s < g.sensors.length; s++) {
      if (site.includes(s)) continue;
      let ok = 0;
      for (let d = from; d < to; d++) if (valid(s, d)) ok++;
      if (ok >= 0.9 * (to - from)) controls.push(s);
    }
  }
  if (controls.length === 0) return null;
  const logRatio = (d: number): number => {
    if (!site.every((s) => valid(s, d)) || !controls.every((s) => valid(s, d))) return Number.NaN;
    const a = site.reduce((x, s) => x + dayTotal(g.values[s], d), 0);
    const c = controls.reduce((x, s) => x + dayTotal(g.values[s], d), 0);
    return a > 0 && c > 0 ? Math.log(a / c) : Number.NaN;
  };
  const byWd: number[][] = Array.from({ length: 7 }, () => []);
  const preDays: number[] = [];
  for (let d = from; d < o.day; d++) {
    const r = logRatio(d);
    if (Number.isNaN(r)) continue;
    byWd[weekdayOf(g.firstDay + d)].push(r);
    preDays.push(d);
  }
  if (byWd.some((x) => x.length < 2)) return null;
  const a = byWd.map((x) => x.reduce((p, q) => p + q, 0) / x.length);
  const resid = preDays.map((d) => (logRatio(d) as number) - a[weekdayOf(g.firstDay + d)]);
  const n = resid.length;
  const sd = Math.sqrt(resid.reduce((p, e) => p + e * e, 0) / Math.max(1, n - 7));
  let num = 0;
  let den = 0;
  for (let i = 1; i < n; i++) {
    if (preDays[i] - preDays[i - 1] !== 1) continue;
    num += resid[i] * resid[i - 1];
  }
  for (const e of resid) den += e * e;
  const rho = Math.min(0.9, Math.max(0, den > 0 ? num / den : 0));
  const effects: number[] = [];
  let actual = 0;
  let cf = 0;
  for (let d = o.day; d < to; d++) {
    const r = logRatio(d);
    if (Number.isNaN(r)) continue;
    const wd = weekdayOf(g.firstDay + d);
    effects.push(r - a[wd]);
    const c = controls.reduce((x, s) => x + dayTotal(g.values[s], d), 0);
    actual += site.reduce((x, s) => x + dayTotal(g.values[s], d), 0);
    cf += c * Math.exp(a[wd]);
  }
  const m = effects.length;
  if (m < 7) return null;
  const effect = effects.reduce((p, q) => p + q, 0) / m;
  const se = sd * Math.sqrt((1 / m + 1 / n) * ((1 + rho) / (1 - rho)));
  const z = Z[String(level)] ?? 1.96;
  return {
    uplift: Math.exp(effect) - 1,
    lo: Math.exp(effect - z * se) - 1,
    hi: Math.exp(effect + z * se) - 1,
    level,
    actual,
    counterfactual: cf,
    preDaysUsed: n,
    postDaysUsed: m,
    controls: controls.map((s) => g.sensors[s]),
    residualSd: sd,
    autocorrelation: rho,
  };
}

/** A copy of the grid with sensor `sensor`'s counts multiplied by `factor` on days [from, to). */
export function injectEffect(g: HourlyGrid, sensor: string, from: number, to: number, factor: number): HourlyGrid {
  const s = g.sensors.indexOf(sensor);
  const values = g.values.map((v, i) => {
    if (i !== s) return v;
    const c = Float64Array.from(v);
    for (let j = Math.max(0, from) * 24; j < Math.min(g.days, to) * 24; j++) c[j] *= factor;
    return c;
  });
  return { ...g, values };
}
