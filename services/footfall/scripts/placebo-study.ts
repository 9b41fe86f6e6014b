/**
 * Placebo study of before/after counterfactuals (issue 14; figures in docs/FOOTFALL.md). Not product code: it reads
 * a count export given on the command line.
 *
 *   node --import tsx services/footfall/scripts/placebo-study.ts rms <file.csv.gz> [from] [to]
 *     RMS, median and 90th percentile of |placebo estimate| (log scale, no intervention) of counterfactual variants,
 *     for every sensor with counts on ≥ half of the file's days, at weekly dates in [from, to).
 *   node --import tsx services/footfall/scripts/placebo-study.ts coverage <file.csv.gz> [from] [step]
 *     The library's beforeAfter (default options, calibrated intervals) at every such sensor and date (every `step`
 *     days): share of intervals including 0 without intervention; with +15 % injected for 28 days, estimates
 *     within ±3 points and intervals excluding 0.
 *
 * The variants refit the synthetic control here (daily or hourly rows, single or averaged windows, weekday
 * correction, ridge, public holidays left out, the same weeks a year earlier subtracted); the row "beforeAfter"
 * is the library itself.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { type CsvMapping, parseMappedCsv } from '@passage/ingest';
import { beforeAfter, injectEffect } from '../src/before-after.ts';
import { Calendar } from '../src/calendar.ts';
import { flagDays, isFault } from '../src/faults.ts';
import { buildGrid, dayKey, dayOf, weekdayOf } from '../src/grid.ts';
import { nnls } from '../src/synthetic.ts';

const [mode, file, arg3, arg4] = process.argv.slice(2);
if (!file || (mode !== 'rms' && mode !== 'coverage')) {
  console.error('usage: placebo-study.ts rms|coverage <file.csv[.gz]> [from] [to|step]');
  process.exit(2);
}
const mapping = JSON.parse(
  readFileSync(resolve(import.meta.dirname, '../model/melbourne-mapping.json'), 'utf8'),
) as CsvMapping;
const raw = readFileSync(file);
const parsed = parseMappedCsv((file.endsWith('.gz') ? gunzipSync(raw) : raw).toString('utf8'), mapping);
if (!parsed.ok) throw new Error(parsed.detail);
const g = buildGrid(parsed.value, 'Australia/Melbourne');
const flags = flagDays(g);
const cal = new Calendar({ country: 'AU', state: 'VIC' });
const holiday = Array.from({ length: g.days }, (_, d) => cal.publicHoliday(dayKey(g.firstDay + d)) !== null);
const totals = g.values.map((v, s) =>
  Float64Array.from({ length: g.days }, (_, d) => {
    if (isFault(flags[s][d])) return Number.NaN;
    let x = 0;
    for (let h = 0; h < 24; h++) x += v[d * 24 + h];
    return x;
  }),
);
const ok = (s: number, d: number) => d >= 0 && d < g.days && !Number.isNaN(totals[s][d]);
const share = (s: number, f: number, t: number) => {
  let k = 0;
  for (let d = f; d < t; d++) if (ok(s, d)) k++;
  return k / (t - f);
};
const sensors = g.sensors.map((_, s) => s).filter((s) => share(s, 0, g.days) >= 0.5);

interface Variant {
  windows: number[];
  hourly?: boolean;
  weekday?: boolean;
  ridge?: number;
  noHolidays?: boolean;
  lastYear?: boolean;
}
const POST = 28;

/** log(actual / counterfactual) of one window, or null. */
function effectOf(s: number, day: number, pre: number, v: Variant): number | null {
  if (day - pre < 0 || day + POST > g.days) return null;
  const pool = g.sensors.map((_, c) => c).filter((c) => c !== s && share(c, day - pre, day + POST) >= 0.9);
  const usable = (d: number) => ok(s, d) && !(v.noHolidays && holiday[d]);
  const days: number[] = [];
  for (let d = day - pre; d < day; d++) if (usable(d) && pool.every((c) => ok(c, d))) days.push(d);
  if (pool.length === 0 || days.length < Math.max(14, pre / 2)) return null;
  const per = v.hourly ? 24 : 1;
  const value = (c: number, d: number, h: number) => (v.hourly ? g.values[c][d * 24 + h] : totals[c][d]);
  const column = (c: number) =>
    Float64Array.from({ length: days.length * per }, (_, i) => value(c, days[Math.floor(i / per)], i % per));
  const y = column(s);
  const mean = (x: Float64Array) => x.reduce((a, b) => a + b, 0) / x.length;
  const ys = mean(y);
  const cols = pool.map(column);
  const xs = cols.map(mean);
  const w = nnls(
    cols.map((x, j) => x.map((q) => q / xs[j])),
    y.map((q) => q / ys),
    v.ridge ?? 0,
  );
  const used = pool
    .map((c, j) => ({ c, w: (w[j] * ys) / xs[j] }))
    .filter((u) => (u.w * xs[pool.indexOf(u.c)]) / ys > 1e-6);
  const fit = (d: number) => used.reduce((a, u) => a + u.w * totals[u.c][d], 0);
  const m = new Float64Array(7).fill(1);
  if (v.weekday) {
    const num = new Float64Array(7);
    const den = new Float64Array(7);
    for (const d of days) {
      num[weekdayOf(g.firstDay + d)] += totals[s][d];
      den[weekdayOf(g.firstDay + d)] += fit(d);
    }
    for (let k = 0; k < 7; k++) m[k] = den[k] > 0 ? num[k] / den[k] : 1;
  }
  let a = 0;
  let c = 0;
  let n = 0;
  for (let d = day; d < day + POST; d++) {
    if (!usable(d) || !used.every((u) => ok(u.c, d))) continue;
    a += totals[s][d];
    c += fit(d) * m[weekdayOf(g.firstDay + d)];
    n++;
  }
  return n >= 7 && a > 0 && c > 0 ? Math.log(a / c) : null;
}

function estimate(s: number, day: number, v: Variant): number | null {
  const e = v.windows.map((pre) => effectOf(s, day, pre, v));
  if (e.some((x) => x === null)) return null;
  const now = (e as number[]).reduce((p, q) => p + q, 0) / e.length;
  if (!v.lastYear) return now;
  const before = estimate(s, day - 364, { ...v, lastYear: false });
  return before === null ? null : now - before;
}

const pct = (x: number, digits = 1) => (100 * x).toFixed(digits);
if (mode === 'rms') {
  const from = dayOf(arg3 ?? '2013-04-01') - g.firstDay;
  const to = Math.min(dayOf(arg4 ?? '2014-01-01') - g.firstDay, g.days - POST + 1);
  const dates: number[] = [];
  for (let d = from; d < to; d += 7) dates.push(d);
  const rows: [string, (s: number, d: number) => number | null][] = [
    [
      'beforeAfter (library default)',
      (s, d) => {
        const r = beforeAfter(g, { site: [g.sensors[s]], day: d, flags, placeboCalibration: 0, spacePlacebos: false });
        return r ? Math.log(1 + r.uplift) : null;
      },
    ],
  ];
  const add = (name: string, v: Variant) => rows.push([name, (s, d) => estimate(s, d, v)]);
  for (const pre of [28, 56, 84]) {
    add(`daily, ${pre} d, weekday`, { windows: [pre], weekday: true });
    add(`hourly, ${pre} d, weekday`, { windows: [pre], hourly: true, weekday: true });
  }
  add('daily, 56 d, no weekday correction', { windows: [56] });
  add('daily, 56 d, weekday, holidays left out', { windows: [56], weekday: true, noHolidays: true });
  add('daily, 56 d, weekday, ridge 0.01', { windows: [56], weekday: true, ridge: 0.01 });
  add('daily, 56 d, weekday, minus a year earlier', { windows: [56], weekday: true, lastYear: true });
  add('daily, 28+42+56 d, weekday', { windows: [28, 42, 56], weekday: true });
  add('daily, 28+56+84 d, weekday', { windows: [28, 56, 84], weekday: true });
  const key = ['1', '2', '3', '4', '6'].map((id) => g.sensors.indexOf(id));
  console.log(`${sensors.length} sensors × ${dates.length} dates from ${dayKey(g.firstDay + from)}`);
  console.log(`| variant | RMS | median | p90 | estimates | RMS at ${['1', '2', '3', '4', '6'].join(' / ')} |`);
  for (const [name, f] of rows) {
    const all: number[] = [];
    const per = new Map<number, number[]>();
    for (const s of sensors) {
      for (const d of dates) {
        const e = f(s, d);
        if (e === null) continue;
        all.push(e);
        per.set(s, [...(per.get(s) ?? []), e]);
      }
    }
    const rms = (x: number[] = []) => (x.length ? pct(Math.sqrt(x.reduce((p, q) => p + q * q, 0) / x.length)) : '-');
    const abs = all.map(Math.abs).sort((p, q) => p - q);
    console.log(
      `| ${name} | ${rms(all)} | ${pct(abs[Math.floor(abs.length / 2)])} | ${pct(abs[Math.floor(abs.length * 0.9)])} | ${all.length}/${sensors.length * dates.length} | ${key.map((s) => rms(per.get(s))).join(' / ')} |`,
    );
  }
} else {
  const from = dayOf(arg3 ?? '2013-03-04') - g.firstDay;
  const step = Number(arg4 ?? 14);
  const total = { n: 0, covered: 0, within: 0, excludes: 0, both: 0 };
  console.log('| sensor | placebo intervals including 0 | injected within ±3 points | excluding 0 | both |');
  for (const s of sensors) {
    const id = g.sensors[s];
    const t = { n: 0, covered: 0, within: 0, excludes: 0, both: 0 };
    for (let d = from; d + POST <= g.days; d += step) {
      const r = beforeAfter(g, { site: [id], day: d, flags });
      const i = beforeAfter(injectEffect(g, id, d, d + POST, 1.15), { site: [id], day: d, flags });
      if (!r || !i) continue;
      const near = Math.abs(i.uplift - 0.15) <= 0.03;
      t.n++;
      t.covered += +(r.lo <= 0 && r.hi >= 0);
      t.within += +near;
      t.excludes += +(i.lo > 0);
      t.both += +(near && i.lo > 0);
    }
    console.log(`| ${id} | ${t.covered}/${t.n} | ${t.within} | ${t.excludes} | ${t.both} |`);
    for (const key of Object.keys(t) as (keyof typeof t)[]) total[key] += t[key];
  }
  const { n, covered, within, excludes, both } = total;
  console.log(
    `| all | ${covered}/${n} (${pct(covered / n)} %) | ${within} (${pct(within / n)} %) | ${excludes} (${pct(excludes / n)} %) | ${both} (${pct(both / n)} %) |`,
  );
}
