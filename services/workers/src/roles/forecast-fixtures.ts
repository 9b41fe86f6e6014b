/** Test inputs of the forecast role (unit and integration tests). */
import { FEATURE_NAMES, type ForecastModel, N_FEATURES } from '@passage/footfall';
import { melbourneFixtureCsv } from '@passage/footfall/fixtures';
import { parseMappedCsv } from '@passage/ingest';
import type { NormalisedCountRow } from './counts.ts';

/**
 * A hand-built ONNX model whose median is the feature `mean4w` (the 4-week same weekday-hour mean / level) and
 * whose 10/90 % quantiles are ×0.9 / ×1.1 of it: the role's forecasts must then equal the project's 4-week
 * reference exactly, which checks the role's history, local hours, features and scaling end to end.
 */
export function fourWeekMeanModel(): ForecastModel {
  const j = FEATURE_NAMES.indexOf('mean4w');
  const kernel = new Float32Array(N_FEATURES * 3);
  kernel[j * 3] = 0.9;
  kernel[j * 3 + 1] = 1;
  kernel[j * 3 + 2] = 1.1;
  return {
    format: 'passage-footfall-v1',
    featureNames: [...FEATURE_NAMES],
    quantiles: [0.1, 0.5, 0.9],
    mean: new Float32Array(N_FEATURES),
    std: new Float32Array(N_FEATURES).fill(1),
    layers: [{ inSize: N_FEATURES, outSize: 3, relu: false, kernel, bias: new Float32Array(3) }],
    kLo: 1,
    kHi: 1,
    trainedOn: { from: '', until: '', rows: 0, sensors: 0 },
  };
}

/** Real hourly counts (City of Melbourne, sensors 1, 2, 4, Mar–Oct 2012) as counts.norm rows. */
export function fixtureRows(): NormalisedCountRow[] {
  const text = melbourneFixtureCsv();
  const r = parseMappedCsv(text, {
    timezone: 'Australia/Melbourne',
    columns: { date: 'Date', dateFormat: 'dd-MMM-yyyy', hour: 'Hour', sensor: 'SensorID', count: 'PedestrianCount' },
  });
  if (!r.ok) throw new Error(r.detail);
  return r.value.map((x) => ({
    sensorId: x.sensorId,
    interval: '1h',
    start: x.start,
    end: x.end,
    count: x.count,
    observedCount: x.count,
    observedS: x.count === null ? 0 : 3600,
    uptime: x.count === null ? 0 : 1,
  }));
}
