import { describe, expect, it } from 'vitest';
import { inseeCodeAt } from './export/communes.ts';
import { localToLonLat, type ScenarioFile, scenarioRows, streetsFromSumoPlain } from './metadata.ts';
import { peakHour } from './queries/movements.ts';

const origin = { lon: 1.4875, lat: 48.4477 };
const scenario: ScenarioFile = {
  name: 'mini',
  timezone: 'Europe/Paris',
  origin,
  start: Date.UTC(2026, 2, 10, 6, 30),
  durationS: 600,
  zones: [
    {
      id: 'z1',
      name: 'Zone 1',
      kind: 'core',
      polygon: [
        [1, 48],
        [1.002, 48],
        [1.002, 48.002],
        [1, 48.002],
      ],
    },
  ],
  cameras: [
    {
      id: 'cam-a',
      siteId: 'site-x',
      name: 'Junction X',
      position: { lon: 1.4875, lat: 48.4477 },
      headingDeg: 90,
      lines: [
        { id: 'cam-a:l-n', name: 'north', a: [1.4874, 48.4478], b: [1.4876, 48.4478] },
        { id: 'cam-a:l-s', name: 'south', a: [1.4876, 48.4476], b: [1.4874, 48.4476] },
      ],
      zones: [
        {
          id: 'cam-a:z-n',
          name: 'north arm',
          polygon: [
            [1.4874, 48.4478],
            [1.4876, 48.4478],
            [1.4876, 48.4479],
          ],
        },
      ],
    },
  ],
  counters: [
    {
      id: 'loop-1',
      siteId: 'site-loop-1',
      name: 'Loop 1',
      kind: 'loop',
      modes: ['car'],
      line: { a: [1.48, 48.44], b: [1.482, 48.44] },
      inDirection: 'into town',
    },
  ],
  sightingSites: [
    { id: 'wifi-z1', name: 'Wi-Fi', zoneId: 'z1', kind: 'wifi', position: { lon: 1.001, lat: 48.001 }, radiusM: 30 },
  ],
};

describe('scenario metadata', () => {
  it('maps zones, camera junctions, counters and sighting sites to sites and devices', () => {
    const r = scenarioRows(scenario);
    expect(r.sites.map((s) => `${s.kind}:${s.site_id}`)).toEqual([
      'zone:z1',
      'intersection:site-x',
      'counter:site-loop-1',
    ]);
    const zone = JSON.parse(r.sites[0].geometry);
    expect(zone.type).toBe('Polygon');
    expect(zone.coordinates[0]).toHaveLength(5);
    expect(zone.coordinates[0][0]).toEqual(zone.coordinates[0][4]);
    expect(r.sites[0].lon).toBeCloseTo(1.001, 7);
    // Junction centre = mean of the line midpoints.
    expect(r.sites[1].lon).toBeCloseTo(1.4875, 7);
    expect(r.sites[1].lat).toBeCloseTo(48.4477, 7);
    expect(r.devices.map((d) => `${d.kind}:${d.device_id}@${d.site_id}`)).toEqual([
      'camera:cam-a@site-x',
      'loop:loop-1@site-loop-1',
      'wifi:wifi-z1@z1',
    ]);
    expect(JSON.parse(r.devices[0].config).lines).toHaveLength(2);
    expect(r.basemap.map((b) => `${b.layer}:${b.feature_id}`)).toEqual(['zones:z1']);
  });

  it('reads streets from a SUMO plain network, both directions merged, in lon/lat', () => {
    const nodes = '<nodes><node id="a" x="0.00" y="0.00"/><node id="b" x="100.00" y="0.00"/></nodes>';
    const edges =
      '<edges><edge id="a-b" from="a" to="b" speed="13.89"/><edge id="b-a" from="b" to="a" speed="13.89"/>' +
      '<edge id="b-c" from="b" to="c"/><edge id="a-b2" from="a" to="b" allow="pedestrian bicycle" shape="0,0 50,10 100,0"/></edges>';
    const s = streetsFromSumoPlain(nodes, edges, origin);
    expect(s.map((x) => `${x.id}:${x.kind}:${x.coordinates.length}`)).toEqual(['a-b:boulevard:2']);
    const [x, y] = [100, 0];
    expect(s[0].coordinates[1]).toEqual(localToLonLat(origin, x, y));
    // 100 m east at 48.4477° N = 100 / (R · π/180 · cos 48.4477°) ≈ 0.0013558° of longitude.
    expect(s[0].coordinates[1][0] - origin.lon).toBeCloseTo(0.0013558, 6);
  });

  it('finds the INSEE code of a point in Eure-et-Loir', () => {
    expect(inseeCodeAt(1.4875, 48.4477)).toBe('28085');
    expect(inseeCodeAt(2.3522, 48.8566)).toBeNull();
  });
});

describe('peak hour', () => {
  const q = (i: number) => Date.UTC(2026, 2, 10, 6, 0) + i * 900_000;
  it('takes the four consecutive 15-minute intervals with the largest sum; PHF = V / (4 × V15)', () => {
    const vols = [10, 20, 30, 40, 50, 20, 10];
    const ph = peakHour(vols.map((v, i) => ({ start: q(i), volume: v })));
    expect(ph).toEqual({ start: q(1), end: q(5), volume: 140, peak15Volume: 50, phf: 140 / 200 });
  });
  it('counts missing intervals as zero and keeps the earliest of equal hours', () => {
    const ph = peakHour([
      { start: q(0), volume: 10 },
      { start: q(5), volume: 10 },
    ]);
    expect(ph?.start).toBe(q(0));
    expect(ph?.volume).toBe(10);
    expect(ph?.phf).toBeCloseTo(0.25, 10);
    expect(peakHour([])).toBeNull();
    expect(peakHour([{ start: q(0), volume: 0 }])).toBeNull();
  });
});
