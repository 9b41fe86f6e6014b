/**
 * Footfall forecasts: inference cost per sensor-day of the committed ONNX model (features + batched
 * onnxruntime-node run) on the committed Melbourne fixture, and, when the full City of Melbourne file is at hand
 * (its path in PASSAGE_FOOTFALL_FILE; the project never reads data from outside the repo by itself), the 2013 backtest WAPE of the model against the two
 * references computed on the same cells (docs/FOOTFALL.md).
 */
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { gunzipSync } from 'node:zlib';
import {
  buildGrid,
  Calendar,
  calendarDays,
  dayOf,
  ForecastRunner,
  forecastDays,
  type HourlyGrid,
  scoreForecasts,
} from '@passage/footfall';
import { melbourneFixtureCsv } from '@passage/footfall/fixtures';
import { parseMappedCsv } from '@passage/ingest';

const MODEL = resolve(import.meta.dirname, '../services/footfall/model/melbourne-2012.onnx');
const FULL = process.env.PASSAGE_FOOTFALL_FILE ?? '';

function grid(text: string): HourlyGrid {
  const r = parseMappedCsv(text, {
    timezone: 'Australia/Melbourne',
    columns: { date: 'Date', dateFormat: 'dd-MMM-yyyy', hour: 'Hour', sensor: 'SensorID', count: 'PedestrianCount' },
  });
  if (!r.ok) throw new Error(r.detail);
  return buildGrid(r.value, 'Australia/Melbourne');
}

async function backtest(g: HourlyGrid, from: string, to: string) {
  const cal = new Calendar({ country: 'AU', state: 'VIC' });
  const runner = await ForecastRunner.load(MODEL);
  const d0 = dayOf(from) - g.firstDay;
  const days = Array.from({ length: dayOf(to) - dayOf(from) + 1 }, (_, i) => d0 + i);
  const t0 = performance.now();
  const rows = await forecastDays(g, runner, (s) => calendarDays(g, cal, s), days);
  const ms = performance.now() - t0;
  await runner.close();
  return { score: scoreForecasts(g, rows), msPerSensorDay: ms / (rows.length / 24) };
}

export async function run(): Promise<Record<string, number>> {
  const small = await backtest(grid(melbourneFixtureCsv()), '2012-09-01', '2012-10-31');
  const out: Record<string, number> = {
    fixtureMsPerSensorDay: small.msPerSensorDay,
    fixtureWapeModel: small.score.wape.model,
    fixtureWapeMean4Weeks: small.score.wape.mean4Weeks,
  };
  if (existsSync(FULL)) {
    const full = await backtest(grid(gunzipSync(readFileSync(FULL)).toString('utf8')), '2013-01-01', '2013-12-31');
    out.fullMsPerSensorDay = full.msPerSensorDay;
    out.fullWapeModel = full.score.wape.model;
    out.fullWapeLastWeek = full.score.wape.lastWeek;
    out.fullWapeMean4Weeks = full.score.wape.mean4Weeks;
    out.fullGainVs4Weeks = full.score.gainVs4Weeks;
    out.fullCoverage80 = full.score.coverage80;
  } else {
    console.error(
      'bench footfall: set PASSAGE_FOOTFALL_FILE to the City of Melbourne file to re-measure the 2013 backtest',
    );
  }
  return out;
}
