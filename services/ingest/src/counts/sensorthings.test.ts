import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseSensorThingsObservations } from './sensorthings.ts';

const read = (f: string) => readFileSync(new URL(`./fixtures/${f}`, import.meta.url), 'utf8');

describe('parseSensorThingsObservations', () => {
  it('reads a collection with interval phenomenonTime, null results as gaps', () => {
    const res = parseSensorThingsObservations(read('sensorthings-observations-interval.json'), {
      mode: (ds) => (ds === '12' ? 'bicycle' : undefined),
    });
    if (!res.ok) throw new Error(res.detail);
    expect(res.value).toEqual([
      {
        sensorId: 'sta:12',
        start: Date.parse('2025-10-01T07:00:00Z'),
        end: Date.parse('2025-10-01T07:15:00Z'),
        count: 42,
        mode: 'bicycle',
      },
      {
        sensorId: 'sta:12',
        start: Date.parse('2025-10-01T07:15:00Z'),
        end: Date.parse('2025-10-01T07:30:00Z'),
        count: 57,
        mode: 'bicycle',
      },
      {
        sensorId: 'sta:12',
        start: Date.parse('2025-10-01T07:30:00Z'),
        end: Date.parse('2025-10-01T07:45:00Z'),
        count: null,
        mode: 'bicycle',
      },
      // +02:00 offsets: 07:00 local = 05:00Z.
      {
        sensorId: 'sta:ds-13',
        start: Date.parse('2025-10-01T05:00:00Z'),
        end: Date.parse('2025-10-01T06:00:00Z'),
        count: 181,
      },
    ]);
  });

  it('reads the OGC standard example (an instant) when the interval is given', () => {
    const doc = read('sensorthings-observation.json');
    expect(parseSensorThingsObservations(doc)).toMatchObject({ ok: false, reason: 'PASSAGE_COUNTS_SCHEMA' });
    expect(parseSensorThingsObservations(doc, { datastreamId: '7' })).toMatchObject({
      ok: false,
      reason: 'PASSAGE_COUNTS_NO_PERIOD',
    });
    const res = parseSensorThingsObservations(doc, { datastreamId: '7', instantIntervalMs: 60_000 });
    if (!res.ok) throw new Error(res.detail);
    // 2014-12-31T11:59:59+08:00 = 03:59:59Z, the end of a 1-minute interval.
    expect(res.value).toEqual([
      {
        sensorId: 'sta:7',
        start: Date.parse('2014-12-31T03:58:59Z'),
        end: Date.parse('2014-12-31T03:59:59Z'),
        count: 70.4,
      },
    ]);
    const s = parseSensorThingsObservations(doc, { datastreamId: '7', instantIntervalMs: 60_000, instantIs: 'start' });
    expect(s.ok && s.value[0].start).toBe(Date.parse('2014-12-31T03:59:59Z'));
  });

  it('never throws on bad input', () => {
    const obs = {
      phenomenonTime: '2025-10-01T07:00:00Z/2025-10-01T07:15:00Z',
      result: 3,
      'Datastream@iot.navigationLink': 'Datastreams(1)',
    };
    expect(parseSensorThingsObservations('[')).toMatchObject({ reason: 'PASSAGE_COUNTS_MALFORMED' });
    expect(parseSensorThingsObservations({ value: [] })).toMatchObject({ reason: 'PASSAGE_COUNTS_EMPTY' });
    expect(parseSensorThingsObservations(42)).toMatchObject({ reason: 'PASSAGE_COUNTS_SCHEMA' });
    expect(parseSensorThingsObservations([{ ...obs, result: 'many' }])).toMatchObject({
      reason: 'PASSAGE_COUNTS_SCHEMA',
    });
    expect(parseSensorThingsObservations([{ ...obs, result: -1 }])).toMatchObject({ reason: 'PASSAGE_COUNTS_SCHEMA' });
    expect(
      parseSensorThingsObservations([{ ...obs, phenomenonTime: '2025-10-01T07:15:00Z/2025-10-01T07:00:00Z' }]),
    ).toMatchObject({ reason: 'PASSAGE_COUNTS_TIME' });
    expect(parseSensorThingsObservations([{ ...obs, phenomenonTime: '2025-10-01 07:00' }])).toMatchObject({
      reason: 'PASSAGE_COUNTS_TIME',
    });
    expect(parseSensorThingsObservations([obs])).toMatchObject({ ok: true });
  });
});
