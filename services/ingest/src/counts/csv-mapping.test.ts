import { readFileSync } from 'node:fs';
import { ZoneClock } from '@passage/core';
import { describe, expect, it } from 'vitest';
import { type CsvMapping, compileDateFormat, MEASURES_CSV_MAPPING, parseMappedCsv } from './csv-mapping.ts';

const fixture = (name: string) => readFileSync(new URL(`./fixtures/${name}`, import.meta.url), 'utf8');

/** The mapping of issue 14, for the City of Melbourne export as-is. */
const MELBOURNE: CsvMapping = {
  timezone: 'Australia/Melbourne',
  mode: 'pedestrian',
  interval: '1h',
  columns: { date: 'Date', dateFormat: 'dd-MMM-yyyy', hour: 'Hour', sensor: 'SensorID', count: 'PedestrianCount' },
  missing: ['NaN', ''],
};

describe('parseMappedCsv (City of Melbourne export)', () => {
  it('keeps sensor ids, turns NaN into gaps, skips rows without a sensor', () => {
    const r = parseMappedCsv(fixture('melbourne-pedestrian-head.csv'), MELBOURNE);
    if (!r.ok) throw new Error(r.detail);
    expect(r.stats).toMatchObject({ rows: 599, records: 598, missing: 6, skippedNoSensor: 1 });
    // 01-Jan-2012 00:00 in Melbourne (AEDT, UTC+11) = 2011-12-31T13:00Z; first row: sensor 4, 3363
    expect(r.value[0]).toEqual({
      sensorId: '4',
      start: Date.parse('2011-12-31T13:00:00Z'),
      end: Date.parse('2011-12-31T14:00:00Z'),
      count: 3363,
      mode: 'pedestrian',
    });
    const nan = r.value.find((x) => x.sensorId === '10' && x.start === Date.parse('2011-12-31T13:00:00Z'));
    expect(nan?.count).toBeNull();
  });

  it('handles daylight saving: repeated hour = first occurrence, non-existent hour skipped', () => {
    const r = parseMappedCsv(fixture('melbourne-pedestrian-dst.csv'), MELBOURNE);
    if (!r.ok) throw new Error(r.detail);
    // 7 Oct 2012 02:00 does not exist (clocks 02:00 → 03:00); 1 Apr 2012 02:00 exists twice
    expect(r.stats).toMatchObject({ rows: 71, records: 70, skippedNonexistent: 1, ambiguous: 1 });
    const at = (iso: string) => r.value.find((x) => x.start === Date.parse(iso))?.count;
    expect(at('2012-03-31T15:00:00Z')).toBe(654); // 1 Apr 02:00 AEDT (+11), first occurrence
    expect(at('2012-03-31T16:00:00Z')).toBeUndefined(); // 02:00 AEST, second occurrence: a gap
    expect(at('2012-03-31T17:00:00Z')).toBe(638); // 03:00 AEST (+10)
    expect(at('2012-10-06T16:00:00Z')).toBe(160); // 7 Oct 03:00 AEDT
    expect(at('2013-10-05T15:00:00Z')).toBe(625); // 6 Oct 2013 01:00 AEST
    expect(at('2013-10-05T16:00:00Z')).toBe(374); // 6 Oct 2013 03:00 AEDT, the next instant
  });

  it('reads the national schema measures.csv back (ISO instants with offset)', () => {
    const csv = [
      'channel_id,counter_id,start_datetime,end_datetime,count',
      'c1,k1,2024-03-31T01:00:00+01:00,2024-03-31T03:00:00+02:00,12',
      'c1,k1,2024-03-31T03:00:00+02:00,2024-03-31T04:00:00+02:00,',
    ].join('\n');
    const r = parseMappedCsv(csv, MEASURES_CSV_MAPPING);
    if (!r.ok) throw new Error(r.detail);
    expect(r.value).toEqual([
      { sensorId: 'c1', start: Date.parse('2024-03-31T00:00:00Z'), end: Date.parse('2024-03-31T01:00:00Z'), count: 12 },
      {
        sensorId: 'c1',
        start: Date.parse('2024-03-31T01:00:00Z'),
        end: Date.parse('2024-03-31T02:00:00Z'),
        count: null,
      },
    ]);
  });

  it('says what is wrong with a bad mapping or file', () => {
    const noCol = parseMappedCsv('a,b\n1,2', { ...MELBOURNE });
    expect(noCol).toMatchObject({ ok: false, reason: 'PASSAGE_COUNTS_SCHEMA' });
    const badTz = parseMappedCsv('x', { ...MELBOURNE, timezone: 'Mars/Olympus' });
    expect(badTz).toMatchObject({ ok: false, reason: 'PASSAGE_COUNTS_SCHEMA' });
    const badDate = parseMappedCsv(
      'Date,Day_of_week,Hour,SensorID,SensorName,PedestrianCount\n2012-01-01,Sunday,0,4,x,3',
      MELBOURNE,
    );
    expect(badDate).toMatchObject({ ok: false, reason: 'PASSAGE_COUNTS_TIME' });
  });
});

describe('date formats and zones', () => {
  it('parses tokens', () => {
    expect(compileDateFormat('dd-MMM-yyyy')('07-Oct-2012')).toMatchObject({ y: 2012, mo: 9, d: 7 });
    expect(compileDateFormat('dd/MM/yyyy HH:mm')('31/12/2013 23:15')).toMatchObject({ mo: 11, d: 31, h: 23, mi: 15 });
    expect(compileDateFormat('yyyy-MM-dd')('2012-13')).toBeNull();
  });
  it('finds 0, 1 or 2 instants for a wall-clock time', () => {
    const paris = new ZoneClock('Europe/Paris');
    expect(paris.instants(Date.UTC(2024, 2, 31, 2, 30))).toEqual([]);
    expect(paris.instants(Date.UTC(2024, 9, 27, 2, 30))).toEqual([
      Date.parse('2024-10-27T00:30:00Z'),
      Date.parse('2024-10-27T01:30:00Z'),
    ]);
    expect(paris.instants(Date.UTC(2024, 0, 1, 0, 0))).toEqual([Date.parse('2023-12-31T23:00:00Z')]);
  });
});
