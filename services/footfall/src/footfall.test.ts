import { parseMappedCsv } from '@passage/ingest';
import { describe, expect, it } from 'vitest';
import { forecastDays, mean4Weeks, sameHourLastWeek, scoreForecasts } from './backtest.ts';
import { beforeAfter, injectEffect } from './before-after.ts';
import { Calendar, parseFrenchSchoolCalendar } from './calendar.ts';
import { comparePeriods } from './compare.ts';
import { flagDays } from './faults.ts';
import { buildRows, calendarDays, N_FEATURES } from './features.ts';
import { melbourneFixtureCsv } from './fixtures.ts';
import { buildGrid, cell, dayOf, type HourlyGrid } from './grid.ts';
import { exportForecastOnnx, ForecastRunner } from './onnx.ts';
import { predictReference } from './reference.ts';
import { trainModel } from './train.ts';

/** Real counts: City of Melbourne sensors 1, 2, 4, March–October 2012 (fixtures/DATA_LICENSE.md). */
function fixtureGrid(): HourlyGrid {
  const text = melbourneFixtureCsv();
  const r = parseMappedCsv(text, {
    timezone: 'Australia/Melbourne',
    mode: 'pedestrian',
    columns: { date: 'Date', dateFormat: 'dd-MMM-yyyy', hour: 'Hour', sensor: 'SensorID', count: 'PedestrianCount' },
    missing: ['NaN', ''],
  });
  if (!r.ok) throw new Error(r.detail);
  return buildGrid(r.value, 'Australia/Melbourne');
}

const g = fixtureGrid();
const at = (date: string) => dayOf(date) - g.firstDay;
const vic = new Calendar({ country: 'AU', state: 'VIC' });
const calFor = (s: string) => calendarDays(g, vic, s);

describe('local grid', () => {
  it('puts counts on local days and hours, DST included', () => {
    expect(g.sensors).toEqual(['1', '2', '4']);
    expect(g.days).toBe(245);
    const s4 = g.sensors.indexOf('4');
    expect(cell(g, s4, at('2012-08-06'), 12)).toBe(3108);
    // 1 Apr 2012 (clocks back): 02:00 and 03:00 both kept; 7 Oct 2012 02:00 does not exist
    expect(cell(g, s4, at('2012-04-01'), 2)).toBe(654);
    expect(cell(g, s4, at('2012-04-01'), 3)).toBe(638);
    expect(cell(g, s4, at('2012-10-07'), 2)).toBeNaN();
    expect(cell(g, s4, at('2012-10-07'), 3)).toBe(160);
  });
});

describe('references', () => {
  it('same hour last week and the 4-week mean, from the real counts', () => {
    const s4 = g.sensors.indexOf('4');
    const d = at('2012-08-06');
    expect(sameHourLastWeek(g, s4, d, 12)).toBe(3189);
    expect(mean4Weeks(g, s4, d, 12)).toBeCloseTo((3189 + 3406 + 3543 + 3697) / 4, 9);
  });
});

describe('calendar', () => {
  it('public holidays of Victoria and France from date-holidays', () => {
    expect(vic.publicHoliday('2012-11-06')).toBe('Melbourne Cup');
    expect(vic.publicHoliday('2012-04-25')).toBe('Anzac Day');
    expect(vic.publicHoliday('2012-04-24')).toBeNull();
    const fr = new Calendar({ country: 'FR' });
    expect(fr.publicHoliday('2024-07-14')).not.toBeNull();
    expect(Calendar.supports('XX')).toBe(false);
    expect(() => Calendar.create({ country: 'AU', state: 'ZZ' })).toThrow(/date-holidays/);
  });
  it('operator events and school holidays by zone', () => {
    const csv = [
      'Description;Population;Date de début;Date de fin;Académies;Zones;annee_scolaire',
      "Vacances d'Hiver;-;2024-02-10T00:00:00+01:00;2024-02-26T00:00:00+01:00;Lyon;Zone A;2023-2024",
      "Vacances d'Hiver;-;2024-02-24T00:00:00+01:00;2024-03-11T00:00:00+01:00;Paris;Zone C;2023-2024",
    ].join('\n');
    const events = parseFrenchSchoolCalendar(csv);
    expect(events.map((e) => [e.region, e.from, e.to])).toEqual([
      ['FR-A', '2024-02-10', '2024-02-25'],
      ['FR-C', '2024-02-24', '2024-03-10'],
    ]);
    const market = {
      id: 'm',
      kind: 'market' as const,
      name: 'Marché',
      from: '2024-02-20',
      to: '2024-02-20',
      sensors: ['7'],
    };
    const calA = new Calendar({ country: 'FR', schoolZone: 'A', events: [...events, market] });
    expect(calA.schoolHoliday('2024-02-25')).toBe(true);
    expect(calA.schoolHoliday('2024-03-01')).toBe(false);
    expect(calA.eventsOn('2024-02-20', '7').map((e) => e.name)).toEqual(["Vacances d'Hiver", 'Marché']);
    expect(calA.eventsOn('2024-02-20', '8').map((e) => e.kind)).toEqual(['school-holidays']);
  });
});

describe('features', () => {
  it('read nothing at or after the forecast origin', () => {
    const d = at('2012-08-06');
    const a = buildRows(g, [d], calFor);
    // change everything from the origin on: the features must not move
    const later = { ...g, values: g.values.map((v) => v.map((x, j) => (j >= d * 24 ? x * 3 + 1 : x))) };
    const b = buildRows(later, [d], calFor);
    expect(a.n).toBe(72);
    expect(Array.from(b.x)).toEqual(Array.from(a.x));
    expect(Array.from(b.level)).toEqual(Array.from(a.level));
    expect(a.x.length).toBe(72 * N_FEATURES);
  });
});

describe('model: TF.js training, ONNX export, onnxruntime-node', () => {
  it('trains on March–August, forecasts September–October from data before each day', async () => {
    const trainDays = Array.from({ length: at('2012-09-01') }, (_, i) => i);
    const rows = buildRows(g, trainDays, calFor, { requireActual: true });
    const model = await trainModel(g, rows, { hidden: [32], epochs: 15, batchSize: 128, refits: 1 });
    expect(model.ensemble?.length).toBe(1);
    const bytes = exportForecastOnnx(model);
    const runner = await ForecastRunner.fromBytes(bytes);
    // parity: onnxruntime-node against the plain forward pass
    const probe = buildRows(g, [at('2012-09-03')], calFor);
    const ort = await runner.run(probe.x, probe.n);
    const ref = predictReference(model, probe.x, probe.n);
    for (let i = 0; i < ref.length; i++) expect(Math.abs(ort[i] - ref[i])).toBeLessThan(1e-4);
    const days = Array.from({ length: at('2012-10-31') - at('2012-09-01') + 1 }, (_, i) => at('2012-09-01') + i);
    const fc = await forecastDays(g, runner, calFor, days);
    await runner.close();
    const s = scoreForecasts(g, fc);
    expect(s.sensors).toBe(3);
    expect(s.days).toBe(61);
    // real numbers on the committed fixture (3 steady sensors, 6 months of training, a 32-unit network): the
    // references are 10.8 % (last week) and 9.5 % (4 weeks); the small model lands near them (measured 10.4 %),
    // its advantage needs the full file (docs/FOOTFALL.md: 40 sensors, a year of training)
    expect(s.wape.lastWeek).toBeCloseTo(0.1076, 3);
    expect(s.wape.mean4Weeks).toBeCloseTo(0.0947, 3);
    expect(s.wape.model).toBeLessThan(0.125);
    expect(s.coverage80).toBeGreaterThan(0.6);
    expect(s.coverage80).toBeLessThan(0.95);
  });
});

describe('before/after, faults, comparisons', () => {
  const from = at('2012-08-06');
  it('an injected +15 % at sensor 4 for 4 weeks moves the estimate by exactly ×1.15', () => {
    const flags = flagDays(g);
    const opts = { site: ['4'], controls: ['1', '2'], day: from, flags };
    const base = beforeAfter(g, opts);
    const injected = beforeAfter(injectEffect(g, '4', from, from + 28, 1.15), opts);
    if (!base || !injected) throw new Error('no estimate');
    expect((1 + injected.uplift) / (1 + base.uplift)).toBeCloseTo(1.15, 9);
    expect(injected.hi - injected.lo).toBeGreaterThan(0);
    // measured on the real counts: sensor 4 fell against sensors 1 and 2 in August 2012 (no intervention known):
    // −8.9 % (−17.6, +0.7) with the synthetic control of 1 and 2 over 28/56/84-day windows
    expect(base.uplift).toBeCloseTo(-0.0887, 3);
    expect(base.lo).toBeLessThan(0);
    expect(base.hi).toBeGreaterThan(0);
    expect(base.windows).toEqual([28, 56, 84]);
    // largest share of the counterfactual first: 1.14 × sensor 2 + 0.33 × sensor 1 (mean of the windows)
    expect(base.controls).toEqual(['2', '1']);
    expect(base.weights[0]).toBeCloseTo(1.14, 2);
    expect(base.weights[1]).toBeCloseTo(0.333, 2);
    expect(base.lastYear).toBe(false);
  });
  it('placebo dates without intervention: real numbers on the fixture', () => {
    const flags = flagDays(g);
    let include = 0;
    let n = 0;
    for (let d = at('2012-06-04'); d + 28 <= g.days; d += 7) {
      const r = beforeAfter(g, { site: ['4'], controls: ['1', '2'], day: d, flags });
      if (!r) continue;
      n++;
      if (r.lo <= 0 && r.hi >= 0) include++;
    }
    // measured: 17 of 18 weekly dates from June 2012 include 0 (2 controls only; full-file figures in
    // docs/FOOTFALL.md)
    expect(n).toBe(18);
    expect(include).toBe(17);
  });
  it('calibrates the interval on in-time and in-space placebos (split-conformal), never narrower than without', () => {
    const flags = flagDays(g);
    const opts = { site: ['4'], controls: ['1', '2'], day: at('2012-08-27'), flags };
    const both = beforeAfter(g, opts);
    const timeOnly = beforeAfter(g, { ...opts, spacePlacebos: false });
    const none = beforeAfter(g, { ...opts, spacePlacebos: false, placeboCalibration: 0 });
    if (!both || !timeOnly || !none) throw new Error('no estimate');
    // each control treated as the site, with the only other sensor (never the site) as its control
    expect(both.spacePlacebosUsed).toBe(2);
    expect(timeOnly.spacePlacebosUsed).toBe(0);
    expect(both.placebosUsed).toBe(timeOnly.placebosUsed + 2);
    expect(none.placebosUsed).toBe(0);
    // same point estimate, intervals only ever widened by the calibration
    expect(both.uplift).toBeCloseTo(none.uplift, 12);
    expect(both.hi - both.lo).toBeGreaterThanOrEqual(timeOnly.hi - timeOnly.lo);
    expect(timeOnly.hi - timeOnly.lo).toBeGreaterThan(none.hi - none.lo);
  });
  it('flags a sensor reading zero as a fault, a real halving as a drop', () => {
    const s4 = g.sensors.indexOf('4');
    const d = at('2012-08-08');
    const broken = g.values.map((v, i) => {
      if (i !== s4) return v;
      const c = Float64Array.from(v);
      for (let h = 9; h < 15; h++) c[d * 24 + h] = 0;
      for (let h = 0; h < 24; h++) c[(d + 1) * 24 + h] *= 0.3;
      return c;
    });
    const flags = flagDays({ ...g, values: broken });
    expect(flags[s4][d]).toBe('zero');
    expect(flags[s4][d + 1]).toBe('drop');
    expect(flags[s4][d + 2]).toBe('ok');
  });
  it('compares periods like for like', () => {
    const c = comparePeriods(g, ['4'], from, from + 7, flagDays(g));
    let cur = 0;
    let ref = 0;
    const s4 = g.sensors.indexOf('4');
    for (let d = from; d < from + 7; d++) {
      for (let h = 0; h < 24; h++) {
        cur += cell(g, s4, d, h);
        ref += cell(g, s4, d - 7, h);
      }
    }
    expect(c.weekOnWeek.current).toBe(cur);
    expect(c.weekOnWeek.reference).toBe(ref);
    expect(c.weekOnWeek.change).toBeCloseTo(cur / ref - 1, 12);
    expect(c.sameWeekdayLastYear.cells).toBe(0); // the fixture has no 2011
    expect(c.fourWeekBaseline.cells).toBe(7 * 24);
  });
});
