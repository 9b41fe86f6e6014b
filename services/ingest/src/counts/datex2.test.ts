import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseDatex2MeasuredData } from './datex2.ts';
import { parseXml } from './xml.ts';

const xml = readFileSync(new URL('./fixtures/datex2-measured-data.xml', import.meta.url), 'utf8');

describe('parseDatex2MeasuredData', () => {
  it('turns veh/h into counts for the measurement period, dataError into a gap', () => {
    expect(parseDatex2MeasuredData(xml)).toMatchObject({ ok: false, reason: 'PASSAGE_COUNTS_NO_PERIOD' });
    const res = parseDatex2MeasuredData(xml, { periodS: 360, mode: 'all-motor' });
    if (!res.ok) throw new Error(res.detail);
    const end = Date.parse('2026-04-08T22:48:00Z'); // 00:48 at +02:00
    expect(res.value).toEqual([
      { sensorId: 'datex2:MUM76.h1/0', start: end - 360_000, end, count: 7, mode: 'all-motor' }, // 70 veh/h × 6 min
      { sensorId: 'datex2:MB631.B8/0', start: end - 360_000, end, count: 82, mode: 'all-motor' }, // 820 veh/h × 6 min
      { sensorId: 'datex2:MB631.B9/1', start: end - 360_000, end, count: null, mode: 'all-motor' },
    ]);
    const start = parseDatex2MeasuredData(xml, { periodS: 60, timeIs: 'start' });
    expect(start.ok && start.value[0]).toMatchObject({ start: end, end: end + 60_000, count: 70 / 60 });
  });

  it('reads the period and vehicle type from the basic data when present', () => {
    const doc = `<d2LogicalModel xmlns="http://datex2.eu/schema/2/2_0" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
      <payloadPublication xsi:type="MeasuredDataPublication"><siteMeasurements>
      <measurementSiteReference id="S1" version="1"/><measurementTimeDefault>2025-10-01T08:00:00Z</measurementTimeDefault>
      <measuredValue index="3"><measuredValue><basicData xsi:type="TrafficFlow">
        <forVehiclesWithCharacteristicsOf><vehicleType>lorry</vehicleType></forVehiclesWithCharacteristicsOf>
        <measurementOrCalculationPeriod>900</measurementOrCalculationPeriod>
        <vehicleFlow><vehicleFlowRate>120</vehicleFlowRate></vehicleFlow>
      </basicData></measuredValue></measuredValue></siteMeasurements></payloadPublication></d2LogicalModel>`;
    const res = parseDatex2MeasuredData(doc);
    expect(res).toEqual({
      ok: true,
      value: [
        {
          sensorId: 'datex2:S1/3',
          start: Date.parse('2025-10-01T07:45:00Z'),
          end: Date.parse('2025-10-01T08:00:00Z'),
          count: 30,
          mode: 'truck',
        },
      ],
    });
  });

  it('never throws on bad input', () => {
    expect(parseDatex2MeasuredData('<a><b></a>')).toMatchObject({ reason: 'PASSAGE_COUNTS_MALFORMED' });
    expect(parseDatex2MeasuredData(undefined)).toMatchObject({ reason: 'PASSAGE_COUNTS_MALFORMED' });
    expect(parseDatex2MeasuredData('<d2LogicalModel/>')).toMatchObject({ reason: 'PASSAGE_COUNTS_SCHEMA' });
    const noTime = xml.replaceAll(/<measurementTimeDefault>[^<]*<\/measurementTimeDefault>/g, '');
    expect(parseDatex2MeasuredData(noTime, { periodS: 60 })).toMatchObject({ reason: 'PASSAGE_COUNTS_TIME' });
    const badRate = xml.replace('<vehicleFlowRate>70<', '<vehicleFlowRate>seventy<');
    expect(parseDatex2MeasuredData(badRate, { periodS: 60 })).toMatchObject({ reason: 'PASSAGE_COUNTS_SCHEMA' });
  });
});

describe('parseXml', () => {
  it('parses namespaces, attributes, entities, CDATA and comments; rejects malformed XML', () => {
    const root = parseXml(
      `<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e "boom">]><!-- c --><p:a x='1' y="&lt;&#65;&#x42;">t&amp;<![CDATA[<raw>]]><b/></p:a>`,
    );
    expect(root).toMatchObject({ name: 'p:a', local: 'a', attrs: { x: '1', y: '<AB' }, text: 't&<raw>' });
    expect(root?.children[0].local).toBe('b');
    expect(parseXml('<a>&e;</a>')).toBeNull(); // no entity expansion
    expect(parseXml('<!DOCTYPE a [<!ENTITY x SYSTEM "file:///etc/passwd">]><a>&x;</a>')).toBeNull(); // no XXE
    expect(parseXml('<a><b></a></b>')).toBeNull();
    expect(parseXml('<a>')).toBeNull();
    expect(parseXml('<a></a><b></b>')).toBeNull();
    expect(parseXml('<a b=1></a>')).toBeNull();
  });
});
