import { writeFileSync } from 'node:fs';
import { type Config, PassageError } from '@passage/config';
import {
  beforeAfter,
  buildGrid,
  buildRows,
  Calendar,
  type CalendarEvent,
  calendarDays,
  comparePeriods,
  dayOf,
  exportForecastOnnx,
  ForecastRunner,
  flagDays,
  flagSummary,
  forecastDays,
  forecastsCsv,
  type HourlyCount,
  type HourlyGrid,
  injectEffect,
  modelToJson,
  scoreForecasts,
} from '@passage/footfall';
import { hourlySensorCounts, listCalendarEvents, migrate, openStore, storeOptionsFromConfig } from '@passage/store';
import { COMMON, parseFlags } from '../args.ts';
import { makeContext } from '../context.ts';
import { readCsvCounts } from './ingest-csv.ts';

export const help = `passage forecast <train|backtest|before-after|compare> [options]
  Day-ahead footfall forecasts (TF.js-trained MLP exported to ONNX, run by onnxruntime-node), before/after with a
  counterfactual, and period comparisons, on hourly counts of the store (--data) or of a CSV export read with a
  mapping (--csv <file> --mapping <mapping.json>, docs/COUNTS-CSV.md). Local days and hours in footfall.timeZone
  (--timezone), public holidays of --country/--region (date-holidays), operator events of the store.

  train --until D0 [--out model.onnx]
      Trains on every day before D0 (local dates YYYY-MM-DD); writes model.onnx and model.json beside it.
  backtest --train-until D0 --from D1 --to D2 --out forecasts.csv [--model model.onnx]
      Trains on days < D0 (or loads --model), forecasts every day D1..D2 from data before each day's midnight only,
      writes sensor_id,date,hour,forecast,lo80,hi80 and prints WAPE of the model, "same hour last week" and "mean of
      the same weekday-hour over 4 weeks" on the same cells, and the coverage of the 80 % intervals.
  before-after --site <id[,id]> --date D [--post-days 28] [--pre-days N] [--controls a,b] [--inject 0.15]
               [--placebos N]
      Uplift of the site against its counterfactual (synthetic control: non-negative weights over the other sensors
      or --controls, fitted over 28, 56 and 84 days before D, or --pre-days) with a 95 % interval;
      fault days left out. --inject multiplies the site's counts after D (a check of the method); --placebos N
      repeats the estimate at N earlier dates without intervention.
  compare --site <id[,id]> --from D --to D
      Week on week, same weekdays last year, 4-week baseline (like for like, fault days left out).`;

interface Source {
  grid: HourlyGrid;
  calendar: Calendar;
}

async function loadSource(values: Record<string, unknown>, config: Config): Promise<Source> {
  const tz = (values.timezone as string | undefined) ?? config.footfall.timeZone;
  const country = (values.country as string | undefined) ?? config.footfall.country;
  const region = (values.region as string | undefined) ?? config.footfall.region;
  let records: HourlyCount[];
  let events: CalendarEvent[] = [];
  if (values.csv) {
    records = readCsvCounts('csv', values.csv as string, values.mapping as string | undefined).records;
  } else {
    const store = openStore(storeOptionsFromConfig(config));
    try {
      await migrate(store.client);
      records = await hourlySensorCounts(store.client);
      events = (await listCalendarEvents(store.client)).map((e) => ({
        ...e,
        kind: e.kind as CalendarEvent['kind'],
      }));
    } finally {
      await store.close();
    }
  }
  if (records.length === 0) {
    throw new PassageError(
      'PASSAGE_FORECAST_NO_DATA',
      'No hourly counts: ingest some first (passage ingest) or pass --csv.',
    );
  }
  const calendar = Calendar.create({
    country,
    state: region || undefined,
    schoolZone: config.footfall.schoolZone || undefined,
    events,
  });
  return { grid: buildGrid(records, tz), calendar };
}

function dayIndex(g: HourlyGrid, v: unknown, name: string): number {
  if (typeof v !== 'string' || !/^\d{4}-\d{2}-\d{2}$/.test(v)) {
    throw new PassageError('PASSAGE_CLI_USAGE', `--${name} needs a local date YYYY-MM-DD.`);
  }
  return dayOf(v) - g.firstDay;
}

async function train(src: Source, until: number, log: (s: string) => void) {
  const { trainModel } = await import('@passage/footfall/train');
  const days = Array.from({ length: Math.max(0, until) }, (_, i) => i);
  const calFor = (s: string) => calendarDays(src.grid, src.calendar, s);
  const rows = buildRows(src.grid, days, calFor, { requireActual: true });
  if (rows.n < 1000) {
    throw new PassageError(
      'PASSAGE_FORECAST_NO_DATA',
      `Only ${rows.n} training sensor-hours before the date: need ≥ 1000.`,
    );
  }
  const t0 = performance.now();
  const model = await trainModel(src.grid, rows, {
    onEpoch: (e, tl, vl) => log(`epoch ${e} loss ${tl.toFixed(4)} held-out ${vl.toFixed(4)}`),
  });
  log(`trained on ${rows.n} sensor-hours in ${((performance.now() - t0) / 1000).toFixed(0)} s`);
  return model;
}

const list = (v: unknown) =>
  typeof v === 'string'
    ? v
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean)
    : undefined;

export async function run(argv: string[]): Promise<number> {
  const [sub, ...rest] = argv;
  const { values } = parseFlags('forecast', rest, {
    ...COMMON,
    csv: { type: 'string' },
    mapping: { type: 'string' },
    timezone: { type: 'string' },
    country: { type: 'string' },
    region: { type: 'string' },
    until: { type: 'string' },
    'train-until': { type: 'string' },
    from: { type: 'string' },
    to: { type: 'string' },
    out: { type: 'string' },
    model: { type: 'string' },
    site: { type: 'string' },
    date: { type: 'string' },
    controls: { type: 'string' },
    'post-days': { type: 'string' },
    'pre-days': { type: 'string' },
    inject: { type: 'string' },
    placebos: { type: 'string' },
  });
  if (values.help || !sub || sub === '--help' || sub === '-h') {
    console.log(help);
    return 0;
  }
  if (!['train', 'backtest', 'before-after', 'compare'].includes(sub)) {
    throw new PassageError(
      'PASSAGE_CLI_USAGE',
      `Unknown forecast subcommand '${sub}'. Run \`passage forecast --help\`.`,
    );
  }
  const ctx = makeContext(values as { data?: string; config?: string });
  const log = (s: string) => process.stderr.write(`${s}\n`);
  const src = await loadSource(values as Record<string, unknown>, ctx.config);
  const g = src.grid;
  const calFor = (s: string) => calendarDays(g, src.calendar, s);

  if (sub === 'train') {
    const until = dayIndex(g, values.until, 'until');
    const model = await train(src, until, log);
    const out = (values.out as string | undefined) ?? 'footfall-model.onnx';
    writeFileSync(out, exportForecastOnnx(model));
    writeFileSync(out.replace(/\.onnx$/, '.json'), modelToJson(model));
    console.log(JSON.stringify({ model: out, trainedOn: model.trainedOn, kLo: model.kLo, kHi: model.kHi }));
    return 0;
  }
  if (sub === 'backtest') {
    const until = dayIndex(g, values['train-until'], 'train-until');
    const from = dayIndex(g, values.from, 'from');
    const to = dayIndex(g, values.to, 'to');
    if (!values.out) throw new PassageError('PASSAGE_CLI_USAGE', 'backtest needs --out <forecasts.csv>.');
    if (from < until) {
      throw new PassageError(
        'PASSAGE_CLI_USAGE',
        '--from must not be before --train-until (no scoring on training days).',
      );
    }
    const runner = values.model
      ? await ForecastRunner.load(values.model as string)
      : await ForecastRunner.fromBytes(exportForecastOnnx(await train(src, until, log)));
    const days = Array.from({ length: to - from + 1 }, (_, i) => from + i);
    const t0 = performance.now();
    const rows = await forecastDays(g, runner, calFor, days);
    const inferMs = performance.now() - t0;
    await runner.close();
    writeFileSync(values.out as string, forecastsCsv(rows));
    const score = scoreForecasts(g, rows);
    console.log(
      JSON.stringify({
        out: values.out,
        forecasts: rows.length,
        ...score,
        msPerSensorDay: inferMs / Math.max(1, rows.length / 24),
      }),
    );
    return 0;
  }
  const site = list(values.site);
  if (!site?.length) throw new PassageError('PASSAGE_CLI_USAGE', `${sub} needs --site <sensor id[,id]>.`);
  const flags = flagDays(g);
  if (sub === 'compare') {
    const from = dayIndex(g, values.from, 'from');
    const to = dayIndex(g, values.to, 'to') + 1;
    console.log(JSON.stringify({ site, ...comparePeriods(g, site, from, to, flags) }));
    return 0;
  }
  const day = dayIndex(g, values.date, 'date');
  const post = Number(values['post-days'] ?? 28);
  // without --pre-days, beforeAfter averages its default pre-period windows (28, 56 and 84 days)
  const pre = values['pre-days'] === undefined ? undefined : Number(values['pre-days']);
  const inject = values.inject === undefined ? 0 : Number(values.inject);
  const grid = inject ? injectEffect(g, site[0], day, day + post, 1 + inject) : g;
  const opts = { site, controls: list(values.controls), postDays: post, preDays: pre, flags };
  const main = beforeAfter(grid, { ...opts, day });
  const placebos: { date: string; uplift: number; lo: number; hi: number; includesZero: boolean }[] = [];
  const nPlacebo = Number(values.placebos ?? 0);
  for (let k = 1; placebos.length < nPlacebo && day - k * 14 - (pre ?? 28) >= 0; k++) {
    const d = day - post - k * 14;
    const r = beforeAfter(g, { ...opts, day: d });
    if (!r) continue;
    placebos.push({
      date: new Date((g.firstDay + d) * 86_400_000).toISOString().slice(0, 10),
      uplift: r.uplift,
      lo: r.lo,
      hi: r.hi,
      includesZero: r.lo <= 0 && r.hi >= 0,
    });
  }
  console.log(
    JSON.stringify({
      site,
      date: values.date,
      injected: inject || undefined,
      result: main,
      faults: flagSummary(site.map((s) => flags[g.sensors.indexOf(s)] ?? [])),
      placebos: nPlacebo
        ? { n: placebos.length, includeZero: placebos.filter((p) => p.includesZero).length, placebos }
        : undefined,
    }),
  );
  return 0;
}
