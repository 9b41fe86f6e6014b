import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseDatex2MeasuredData } from './datex2.ts';
import { describeCountFeed } from './describe.ts';
import { parseSensorThingsObservations } from './sensorthings.ts';
import { parseTelraamReport } from './telraam.ts';

const FIX = join(import.meta.dirname, 'fixtures');
const read = (f: string) => readFileSync(join(FIX, f), 'utf8');
const ok = <T>(r: { ok: true; value: T } | { ok: false; detail: string }): T => {
  if (!r.ok) throw new Error(r.detail);
  return r.value;
};

describe('describeCountFeed', () => {
  it('Telraam: the segment with its four modes, and a request for its geometry', () => {
    const text = read('segment-9000008311-2025-10-hourly.json');
    const d = describeCountFeed('telraam', text, ok(parseTelraamReport(text)));
    expect(d.counters).toEqual([
      {
        id: 'telraam:9000008311',
        name: 'telraam:9000008311',
        kind: 'telraam',
        source: 'telraam',
        modes: ['bicycle', 'car', 'heavy', 'pedestrian'],
      },
    ]);
    expect(d.lacking).toHaveLength(1);
    expect(d.lacking[0].missing).toEqual(['position']);
    expect(d.lacking[0].hint).toContain('"line"');
  });

  it('SensorThings: the Thing location of an expanded Datastream; a plain Datastream lacks it', () => {
    const doc = {
      value: [
        {
          phenomenonTime: '2025-10-01T07:00:00Z/2025-10-01T07:15:00Z',
          result: 42,
          Datastream: {
            '@iot.id': 12,
            name: 'Zählstelle Alster (Rad)',
            Thing: { name: 'Alster', Locations: [{ location: { type: 'Point', coordinates: [10.0021, 53.5611] } }] },
          },
        },
        { phenomenonTime: '2025-10-01T07:00:00Z/2025-10-01T07:15:00Z', result: 3, Datastream: { '@iot.id': 'ds-13' } },
      ],
    };
    const text = JSON.stringify(doc);
    const d = describeCountFeed('sensorthings', text, ok(parseSensorThingsObservations(text, { mode: 'bicycle' })));
    expect(d.counters.map((c) => [c.id, c.name, c.position])).toEqual([
      ['sta:12', 'Zählstelle Alster (Rad)', { lon: 10.0021, lat: 53.5611 }],
      ['sta:ds-13', 'sta:ds-13', undefined],
    ]);
    expect(d.lacking.map((l) => l.sensorId)).toEqual(['sta:ds-13']);
  });

  it('DATEX II: measurement sites, positioned from a site table in the same document', () => {
    const text = read('datex2-measured-data.xml');
    const recs = ok(parseDatex2MeasuredData(text, { periodS: 360 }));
    const d = describeCountFeed('datex2', text, recs);
    expect(d.counters.map((c) => c.id)).toEqual(['datex2:MB631.B8/0', 'datex2:MB631.B9/1', 'datex2:MUM76.h1/0']);
    expect(d.lacking.every((l) => l.missing.includes('position'))).toBe(true);
    const table =
      '<payloadPublication xsi:type="MeasurementSiteTablePublication"><measurementSiteTable>' +
      '<measurementSiteRecord id="MUM76.h1"><measurementSiteLocation><pointByCoordinates><pointCoordinates>' +
      '<latitude>49.4431</latitude><longitude>1.0993</longitude></pointCoordinates></pointByCoordinates>' +
      '</measurementSiteLocation></measurementSiteRecord></measurementSiteTable></payloadPublication>';
    const withTable = text.replace('</d2LogicalModel>', `${table}</d2LogicalModel>`);
    const d2 = describeCountFeed('datex2', withTable, recs);
    expect(d2.counters.find((c) => c.id === 'datex2:MUM76.h1/0')?.position).toEqual({ lon: 1.0993, lat: 49.4431 });
  });
});
