/**
 * Before/after with a counterfactual: what a site (one or more sensors) would have counted after an
 * intervention date without it, forecast from the pre-period relation between the site and control sensors
 * (unaffected by the intervention), against what it counted.
 *
 * Synthetic control, on daily totals of days without a fault at the site or a control used:
 *   site(d) ≈ m[weekday(d)] · Σ_j w_j · control_j(d),   w_j ≥ 0
 * The weights are fitted by non-negative least squares (synthetic.ts) over the pre-period, on every other sensor
 * with counts on ≥ 90 % of the days (or the `controls` given); m[·] corrects what the weighted sum leaves per
 * weekday (ratio of the site's pre-period total to the fit's, that weekday). The effect of one pre-period window
 * is log(Σ site / Σ counterfactual) over the post period; the estimate averages the effects of windows of 28, 56
 * and 84 days before the date (those the data has), which lowered the error of placebo estimates on the Melbourne
 * data (docs/FOOTFALL.md: RMS and median |error| over 18 sensors × 2012 and 2013 dates, against single windows,
 * hourly fits, ridge, holiday exclusion and the same weeks one year earlier). The uplift is exp(effect) − 1.
 * Its model standard error comes from the residuals of the longest window (inflated for day-to-day
 * autocorrelation, AR(1): (1 + ρ) / (1 − ρ)); the 95 % interval is then widened to a split-conformal quantile of
 * placebo estimates made with the same method where there is no intervention — in time (20 earlier weekly dates
 * whose post periods end before the date) and in space (the site's main controls each treated as the site at the
 * same date, the site never among their controls) — so it covers the drift the model does not explain.
 * Placebo dates (no intervention) must give intervals that include 0 about 95 % of the time.
 */
import { type DayFlag, isFault } from './faults.ts';
import { type HourlyGrid, weekdayOf } from './grid.ts';
import { nnls } from './synthetic.ts';

export interface BeforeAfterOptions {
  /** Sensor ids of the site (summed). */
  site: readonly string[];
  /** Candidate control sensor ids; default every other sensor with counts on ≥ 90 % of the days used. */
  controls?: readonly string[];
  /** Day index of the intervention (first day of the post period). */
  day: number;
  /** @default 28 */
  postDays?: number;
  /** One pre-period of this many days instead of the default windows (`preWindows`). */
  preDays?: number;
  /** Pre-period windows whose estimates are averaged (those the data has). @default [28, 56, 84] */
  preWindows?: readonly number[];
  /** Two-sided confidence level. @default 0.95 */
  level?: number;
  /** Fault flags (faults.ts): fault days are left out. */
  flags?: DayFlag[][];
  /**
   * Subtract the same estimate over the same weeks one year earlier (when the data has them). Measured to
   * raise the placebo error (two noisy estimates instead of one), so off by default. @default false
   */
  lastYear?: boolean;
  /**
   * In-time placebos used to widen the interval to the drift actually seen before the date: the same estimate at
   * this many earlier dates, one week apart, whose post periods end before the date (0 = none). @default 20
   */
  placeboCalibration?: number;
  /**
   * In-space placebos also calibrate the interval: the site's main controls (up to 5, by weight) each treated as
   * the site at the same date (their own controls never include the site). @default true
   */
  spacePlacebos?: boolean;
  /**
   * An in-space placebo counts only if its pre-period fit is no worse than this many times the site's (residual
   * SD of the longest window), as in Abadie, Diamond & Hainmueller (2010): a control the others cannot reproduce
   * says nothing about the site's drift. @default 2
   */
  spaceFitRatio?: number;
}

export interface BeforeAfterResult {
  /** Relative change of the site against its counterfactual, e.g. 0.15 = +15 %. */
  uplift: number;
  lo: number;
  hi: number;
  level: number;
  actual: number;
  counterfactual: number;
  /** Pre-period days of the longest window used. */
  preDaysUsed: number;
  postDaysUsed: number;
  /** Pre-period windows (days) whose estimates were averaged. */
  windows: number[];
  /** Controls with a positive weight, largest first. */
  controls: string[];
  /** Their mean weight over the windows (site counts per control count, before the weekday correction). */
  weights: number[];
  residualSd: number;
  autocorrelation: number;
  /** The same weeks one year earlier were subtracted (only with `lastYear: true`). */
  lastYear: boolean;
  /** Placebo estimates (in time and in space) that calibrated the interval. */
  placebosUsed: number;
  /** Of which in-space placebos (controls treated as the site at the same date). */
  spacePlacebosUsed: number;
}

const Z: Record<string, number> = { '0.8': 1.2816, '0.9': 1.6449, '0.95': 1.96, '0.99': 2.5758 };
const YEAR = 364;

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

interface Fit {
  /** Pre-period window (days). */
  pre: number;
  /** log(Σ actual / Σ counterfactual) over the post period. */
  effect: number;
  se: number;
  actual: number;
  n: number;
  m: number;
  sd: number;
  rho: number;
  /** Control index → weight (counts of the site per count of the control). */
  weights: Map<number, number>;
}

/**
 * One synthetic-control fit over the `pre` days before `day` and its effect over [day, day + post).
 * `tot(s, d)` is the daily total of sensor s (NaN = missing or fault).
 */
function fitWindow(
  tot: (s: number, d: number) => number,
  firstDay: number,
  unit: readonly number[],
  pool: readonly number[],
  day: number,
  pre: number,
  post: number,
): Fit | null {
  const ok = (s: number, d: number) => !Number.isNaN(tot(s, d));
  const share = (s: number) => {
    let k = 0;
    for (let d = day - pre; d < day + post; d++) if (ok(s, d)) k++;
    return k / (pre + post);
  };
  if (day - pre < 0) return null;
  const cands = pool.filter((s) => share(s) >= 0.9);
  if (cands.length === 0) return null;
  const siteAt = (d: number) => unit.reduce((x, s) => x + tot(s, d), 0);
  const preDays: number[] = [];
  for (let d = day - pre; d < day; d++) {
    if (unit.every((s) => ok(s, d)) && cands.every((c) => ok(c, d)) && siteAt(d) > 0) preDays.push(d);
  }
  if (preDays.length < Math.max(14, pre / 2)) return null;
  // columns scaled to a mean of 1 so the solver sees comparable controls
  const y = Float64Array.from(preDays, siteAt);
  const ys = y.reduce((a, b) => a + b, 0) / y.length;
  const xs: number[] = [];
  const cols = cands.map((c) => {
    const x = Float64Array.from(preDays, (d) => tot(c, d));
    const mean = x.reduce((a, b) => a + b, 0) / x.length;
    xs.push(mean);
    return x.map((v) => (mean > 0 ? v / mean : 0));
  });
  const w = nnls(
    cols,
    y.map((v) => v / ys),
  );
  const weights = new Map<number, number>();
  // weights below 1e-6 (scaled units) are rounding of a zero
  cands.forEach((c, j) => {
    if (w[j] > 1e-6 && xs[j] > 0) weights.set(c, (w[j] * ys) / xs[j]);
  });
  if (weights.size === 0) return null;
  const fit = (d: number) => {
    let s = 0;
    for (const [c, wc] of weights) s += wc * tot(c, d);
    return s;
  };
  // weekday correction: what the weighted sum leaves per weekday (overall ratio where a weekday has < 2 days)
  const num = new Float64Array(7);
  const den = new Float64Array(7);
  const cnt = new Float64Array(7);
  let all = 0;
  let allFit = 0;
  for (const d of preDays) {
    const k = weekdayOf(firstDay + d);
    num[k] += siteAt(d);
    den[k] += fit(d);
    cnt[k]++;
    all += siteAt(d);
    allFit += fit(d);
  }
  const m = Array.from({ length: 7 }, (_, k) => (cnt[k] >= 2 && den[k] > 0 ? num[k] / den[k] : all / allFit));
  const cf = (d: number) => fit(d) * m[weekdayOf(firstDay + d)];
  const resid = preDays.map((d) => Math.log(siteAt(d) / cf(d)));
  const n = resid.length;
  const sd = Math.sqrt(resid.reduce((p, e) => p + e * e, 0) / Math.max(1, n - 7 - weights.size));
  let num1 = 0;
  let den1 = 0;
  for (let i = 1; i < n; i++) if (preDays[i] - preDays[i - 1] === 1) num1 += resid[i] * resid[i - 1];
  for (const e of resid) den1 += e * e;
  const rho = Math.min(0.9, Math.max(0, den1 > 0 ? num1 / den1 : 0));
  let actual = 0;
  let counter = 0;
  let postN = 0;
  for (let d = day; d < day + post; d++) {
    if (!unit.every((s) => ok(s, d)) || ![...weights.keys()].every((c) => ok(c, d))) continue;
    actual += siteAt(d);
    counter += cf(d);
    postN++;
  }
  if (postN < 7 || actual <= 0 || counter <= 0) return null;
  const se = sd * Math.sqrt((1 / postN + 1 / n) * ((1 + rho) / (1 - rho)));
  return { pre, effect: Math.log(actual / counter), se, actual, n, m: postN, sd, rho, weights };
}

export function beforeAfter(g: HourlyGrid, o: BeforeAfterOptions): BeforeAfterResult | null {
  const post = o.postDays ?? 28;
  const windows = o.preDays !== undefined ? [o.preDays] : [...(o.preWindows ?? [28, 56, 84])].sort((a, b) => a - b);
  const level = o.level ?? 0.95;
  const idx = new Map(g.sensors.map((s, i) => [s, i]));
  const site = o.site.map((s) => idx.get(s)).filter((i): i is number => i !== undefined);
  if (site.length === 0) return null;
  const totals = g.values.map((v, s) => {
    const t = new Float64Array(g.days);
    for (let d = 0; d < g.days; d++) t[d] = o.flags && isFault(o.flags[s][d]) ? Number.NaN : dayTotal(v, d);
    return t;
  });
  const tot = (s: number, d: number) => (d >= 0 && d < g.days ? totals[s][d] : Number.NaN);
  const given = o.controls?.map((s) => idx.get(s)).filter((i): i is number => i !== undefined);
  const everyone = g.sensors.map((_, i) => i);
  // the estimate of a treated unit at a date: the mean effect of the windows the data has
  const at = (unit: readonly number[], pool: readonly number[], day: number) => {
    const one = (d: number) => {
      const fits = windows
        .map((w) => fitWindow(tot, g.firstDay, unit, pool, d, w, post))
        .filter((f): f is Fit => f !== null);
      if (fits.length === 0) return null;
      return { fits, effect: fits.reduce((a, f) => a + f.effect, 0) / fits.length };
    };
    const now = one(day);
    if (!now) return null;
    if (!o.lastYear) return { ...now, before: null };
    const before = day - YEAR >= 0 ? one(day - YEAR) : null;
    return before ? { ...now, effect: now.effect - before.effect, before } : { ...now, before: null };
  };
  const pool = (given ?? everyone).filter((s) => !site.includes(s));
  const main = at(site, pool, o.day);
  if (!main) return null;
  const longest = main.fits[main.fits.length - 1];
  const z = Z[String(level)] ?? 1.96;
  // weights averaged over the windows (0 where a window left the control out)
  const wsum = new Map<number, number>();
  for (const f of main.fits) for (const [c, w] of f.weights) wsum.set(c, (wsum.get(c) ?? 0) + w / main.fits.length);
  // controls by their share of the counterfactual (weight × level)
  const meanTot = (s: number) => {
    let a = 0;
    let k = 0;
    for (let d = o.day - 28; d < o.day; d++) {
      const v = tot(s, d);
      if (!Number.isNaN(v)) {
        a += v;
        k++;
      }
    }
    return k ? a / k : 0;
  };
  const controls = [...wsum.entries()].sort((a, b) => b[1] * meanTot(b[0]) - a[1] * meanTot(a[0]));
  // in-time placebos: the same estimate at earlier dates whose post period ends before `day` (no intervention
  // there); the interval is at least as wide as their spread at the level (drift the model does not explain)
  const nulls: number[] = [];
  for (let k = 0; k < (o.placeboCalibration ?? 20); k++) {
    const r = at(site, pool, o.day - post - 7 * k);
    if (r) nulls.push(Math.abs(r.effect));
  }
  // in-space placebos: the site's main controls each treated as if it were the site, at the same date, with its
  // own controls (never the site): the drift between comparable sensors over this very post period; those whose
  // own pre-period fit is much worse than the site's are left out (`spaceFitRatio`)
  let spaceUsed = 0;
  if (o.spacePlacebos !== false) {
    for (const [c] of controls.slice(0, 5)) {
      const r = at(
        [c],
        (given ?? everyone).filter((s) => s !== c && !site.includes(s)),
        o.day,
      );
      if (r && r.fits[r.fits.length - 1].sd <= (o.spaceFitRatio ?? 2) * longest.sd) {
        nulls.push(Math.abs(r.effect));
        spaceUsed++;
      }
    }
  }
  const seModel = Math.sqrt(
    longest.se ** 2 + (main.before ? main.before.fits[main.before.fits.length - 1].se ** 2 : 0),
  );
  let se = seModel;
  if (nulls.length >= 6) {
    nulls.sort((a, b) => a - b);
    // split-conformal quantile: the ⌈(n + 1)·level⌉-th smallest |null estimate| (the largest when n is small)
    const q = nulls[Math.min(nulls.length, Math.ceil((nulls.length + 1) * level)) - 1];
    se = Math.max(se, q / z);
  }
  const effect = main.effect;
  const actual = longest.actual;
  return {
    uplift: Math.exp(effect) - 1,
    lo: Math.exp(effect - z * se) - 1,
    hi: Math.exp(effect + z * se) - 1,
    level,
    actual,
    counterfactual: actual * Math.exp(-effect),
    preDaysUsed: longest.n,
    postDaysUsed: longest.m,
    windows: main.fits.map((f) => f.pre),
    controls: controls.map(([c]) => g.sensors[c]),
    weights: controls.map(([, w]) => w),
    residualSd: longest.sd,
    autocorrelation: longest.rho,
    lastYear: main.before !== null,
    placebosUsed: nulls.length,
    spacePlacebosUsed: spaceUsed,
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
