import { describe, expect, it } from 'vitest';
import {
  buildClusterIndex,
  CITY_ZOOM,
  clusterCentroids,
  clusterFlows,
  clusterMarkers,
  clusterNames,
  clusterTooltip,
  levelAt,
  mercator,
  unmercator,
} from './cluster.ts';
import { type OdFlow, toArcs } from './od.ts';

// Metres → degrees at latitude 48.45° (Châteaudun).
const LAT = 48.45;
const dLat = (m: number) => m / 111_320;
const dLon = (m: number) => m / (111_320 * Math.cos((LAT * Math.PI) / 180));

// a and b 100 m apart (32 px at zoom 14, 63 px at zoom 15); c 2 km east of a (39 px at zoom 10, 79 px at zoom 11).
const zones = [
  { id: 'a', lon: 1.48, lat: LAT },
  { id: 'b', lon: 1.48, lat: LAT + dLat(100) },
  { id: 'c', lon: 1.48 + dLon(2000), lat: LAT },
];

const flow = (origin: string, destination: string, expanded: number, extra: Partial<OdFlow> = {}): OdFlow => ({
  t: 0,
  origin,
  destination,
  observed: expanded / 2,
  expanded,
  stdErr: 3,
  ci95: [expanded - 5, expanded + 5],
  travelTimeP50S: 300,
  travelTimeP85S: 400,
  method: 'probe-expanded',
  ...extra,
});

describe('zone clustering', () => {
  it('projects to Mercator and back', () => {
    const [x, y] = mercator(1.4875, 48.4477);
    expect(x).toBeCloseTo(0.504132, 6);
    expect(y).toBeGreaterThan(0.3);
    expect(y).toBeLessThan(0.5);
    const [lon, lat] = unmercator(x, y);
    expect(lon).toBeCloseTo(1.4875, 9);
    expect(lat).toBeCloseTo(48.4477, 9);
    expect(mercator(0, 0)).toEqual([0.5, 0.5]);
  });

  it('merges zones closer than the radius on screen at each zoom, and expands them on zoom-in', () => {
    const index = buildClusterIndex(zones, { radiusPx: 48, minZoom: 8, maxZoom: 18 });
    const count = (z: number) => levelAt(index, z).clusters.length;
    expect([8, 10, 10.9, 11, 14, 14.99, 15, 18, 25].map(count)).toEqual([1, 1, 1, 2, 2, 2, 3, 3, 3]);
    // Below minZoom the coarsest level is used.
    expect(count(2)).toBe(1);
    const z14 = levelAt(index, 14.6);
    expect(z14.clusterOf.get('a')).toBe(z14.clusterOf.get('b'));
    expect(z14.clusterOf.get('c')).toBe('c');
    const ab = z14.clusters.find((c) => c.zones.length === 2);
    expect(ab?.id).toBe('c14:a');
    expect(ab?.lon).toBeCloseTo(1.48, 9);
    // The centre sits half-way between a and b (equal weights).
    expect(ab?.lat).toBeCloseTo(LAT + dLat(50), 6);
    // The cluster made at zoom 14 keeps its id while it is not merged again (zooms 11–14).
    expect(levelAt(index, 11).clusterOf.get('a')).toBe('c14:a');
    expect(levelAt(index, 10).clusters[0].zones.sort()).toEqual(['a', 'b', 'c']);
  });

  it('weights pull the centre and choose the id and the name', () => {
    const index = buildClusterIndex(
      zones.map((z) => ({ ...z, weight: z.id === 'b' ? 3 : 1 })),
      { radiusPx: 48, minZoom: 14, maxZoom: 16 },
    );
    const level = levelAt(index, 14);
    const ab = level.clusters.find((c) => c.zones.length === 2);
    expect(ab?.id).toBe('c14:b');
    expect(ab?.zones).toEqual(['b', 'a']);
    expect(ab?.weight).toBe(4);
    expect(ab?.lat).toBeCloseTo(LAT + dLat(75), 6);
    const names = clusterNames(
      level,
      new Map([
        ['a', 'Gare'],
        ['b', 'Centre'],
        ['c', 'Porte Est'],
      ]),
    );
    expect(names.get('c14:b')).toBe('Centre +1');
    expect(names.get('c')).toBe('Porte Est');
    expect(names.get('a')).toBe('Gare');
  });

  it('nests levels: every cluster of a zoom lies inside one cluster of the zoom below', () => {
    let seed = 11;
    const rand = () => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    const many = Array.from({ length: 300 }, (_, i) => ({
      id: `z${i}`,
      lon: 1.4 + rand() * 0.2,
      lat: 48.4 + rand() * 0.1,
    }));
    const index = buildClusterIndex(many, { radiusPx: 40, minZoom: 6, maxZoom: 17 });
    const sizes = index.levels.map((l) => l.clusters.length);
    expect(sizes[sizes.length - 1]).toBe(300);
    expect(sizes[0]).toBe(1);
    for (let i = 1; i < sizes.length; i++) expect(sizes[i]).toBeGreaterThanOrEqual(sizes[i - 1]);
    for (let i = 0; i < index.levels.length - 1; i++) {
      const coarse = index.levels[i];
      const fine = index.levels[i + 1];
      expect(coarse.clusters.flatMap((c) => c.zones).sort()).toEqual(many.map((z) => z.id).sort());
      for (const c of fine.clusters) {
        expect(new Set(c.zones.map((z) => coarse.clusterOf.get(z))).size).toBe(1);
      }
    }
    // Greedy clustering with a grid finds the same neighbours as a brute-force search: at zoom 12 no two
    // one-zone clusters are closer than the radius.
    const l12 = levelAt(index, 12);
    const singles = l12.clusters.filter((c) => c.zones.length === 1).map((c) => mercator(c.lon, c.lat));
    const r = 40 / (512 * 2 ** 12);
    for (let i = 0; i < singles.length; i++)
      for (let j = i + 1; j < singles.length; j++)
        expect(Math.hypot(singles[i][0] - singles[j][0], singles[i][1] - singles[j][1])).toBeGreaterThan(r);
  });

  it('sums flows between clusters and keeps flows inside a cluster apart', () => {
    const index = buildClusterIndex(zones, { radiusPx: 48, minZoom: 8, maxZoom: 18 });
    const level = levelAt(index, 14);
    const { flows, internal } = clusterFlows(
      [
        flow('a', 'c', 100, { travelTimeP50S: 200 }),
        flow('b', 'c', 50, { travelTimeP50S: 500 }),
        flow('c', 'a', 40, { travelTimeP50S: null }),
        flow('c', 'b', 8, { observed: 0, travelTimeP50S: null, method: 'count-estimated' }),
        flow('a', 'b', 30),
        flow('b', 'a', 12),
        flow('a', 'a', 99),
        flow('a', 'other', 20),
        flow('a', 'c', 10, { t: 900 }),
      ],
      level,
    );
    const byKey = new Map(flows.map((f) => [`${f.t}:${f.origin}>${f.destination}`, f]));
    expect([...byKey.keys()].sort()).toEqual(['0:c14:a>c', '0:c14:a>other', '0:c>c14:a', '900:c14:a>c']);
    const abc = byKey.get('0:c14:a>c') as OdFlow;
    expect(abc.expanded).toBe(150);
    expect(abc.observed).toBe(75);
    expect(abc.stdErr).toBeCloseTo(Math.sqrt(18), 9);
    expect(abc.ci95).toEqual([140, 160]);
    expect(abc.travelTimeP50S).toBe(300);
    expect(byKey.get('0:c>c14:a')?.travelTimeP50S).toBeNull();
    // A probe-expanded and a count-estimated flow summed into one: mixed; probe flows alone stay probe-expanded.
    expect(byKey.get('0:c>c14:a')?.expanded).toBe(48);
    expect(byKey.get('0:c>c14:a')?.method).toBe('mixed');
    expect(abc.method).toBe('probe-expanded');
    expect(internal).toEqual(new Map([['c14:a', 42]]));
    // At a zoom where nothing is merged the flows come back unchanged (the zone-to-self cell is left out).
    const fine = clusterFlows([flow('a', 'b', 30), flow('b', 'a', 12)], levelAt(index, 16));
    expect(fine.flows.map((f) => `${f.origin}>${f.destination}:${f.expanded}`)).toEqual(['a>b:30', 'b>a:12']);
    expect(fine.internal.size).toBe(0);
  });

  it('places the cluster flows as arcs between cluster centres', () => {
    const level = levelAt(buildClusterIndex(zones, { radiusPx: 48, minZoom: 8, maxZoom: 18 }), 14);
    const { flows } = clusterFlows([flow('a', 'c', 100), flow('b', 'c', 50), flow('a', 'other', 20)], level);
    const arcs = toArcs(flows, clusterCentroids(level));
    expect(arcs).toHaveLength(1);
    expect(arcs[0].origin).toBe('c14:a');
    expect(arcs[0].flow).toBe(150);
    expect(arcs[0].source[1]).toBeCloseTo(LAT + dLat(50), 6);
    expect(arcs[0].target).toEqual([zones[2].lon, zones[2].lat].map((v) => expect.closeTo(v, 9)));
  });

  it('draws discs for clusters of several zones, with their internal flow in the tooltip', () => {
    const level = levelAt(buildClusterIndex(zones, { radiusPx: 48, minZoom: 8, maxZoom: 18 }), 14);
    const zoneNames = new Map([
      ['a', 'Gare'],
      ['b', 'Centre'],
      ['c', 'Porte Est'],
    ]);
    const names = clusterNames(level, zoneNames);
    const { internal } = clusterFlows([flow('a', 'b', 30), flow('b', 'a', 12.25)], level);
    const markers = clusterMarkers(level, internal, names);
    expect(markers.map((m) => `${m.id}:${m.name}:${m.internal}`)).toEqual(['c14:a:Gare +1:42.25']);
    expect(markers[0].radiusPx).toBeCloseTo(6 + 5 * Math.SQRT2, 9);
    expect(clusterTooltip(markers[0], zoneNames, (k) => k).split('\n')).toEqual([
      'Gare +1',
      'clusterZones (2): Gare, Centre',
      'internalFlow: 42.3',
    ]);
  });

  it('merges neighbouring zones of the fixture town at the city zoom and expands them one zoom in', () => {
    // Centroids of the nine OD zones of the API fixture (services/api/src/fixtures/scenario.json, chartres-centre):
    // 330 to 1 000 m apart, i.e. 120 to 340 px at the city zoom 14.6.
    const town = [
      { id: 'gate-n', lon: 1.4875, lat: 48.4522415 },
      { id: 'gate-e', lon: 1.4943469, lat: 48.4477 },
      { id: 'gate-s', lon: 1.4875, lat: 48.4431584 },
      { id: 'gate-w', lon: 1.4806531, lat: 48.4477 },
      { id: 'park-ne', lon: 1.4920059, lat: 48.4506888 },
      { id: 'park-se', lon: 1.4920059, lat: 48.4447112 },
      { id: 'station', lon: 1.4829941, lat: 48.4506888 },
      { id: 'market', lon: 1.4851032, lat: 48.4461102 },
      { id: 'core', lon: 1.4875, lat: 48.4477 },
    ];
    const index = buildClusterIndex(town);
    const at = (z: number) => levelAt(index, z);
    const city = at(CITY_ZOOM);
    expect(city.clusters.length).toBeLessThan(town.length);
    expect(city.clusters.length).toBe(5);
    const groups = city.clusters.map((c) => [...c.zones].sort().join('+')).sort();
    expect(groups).toEqual(['core+market', 'gate-e+park-ne+park-se', 'gate-n+station', 'gate-s', 'gate-w']);
    // Flows between those groups are summed: 9 × 8 zone pairs become 5 × 4 cluster pairs, none lost.
    const flows = town.flatMap((o, i) => town.map((d, j) => flow(o.id, d.id, 1 + i * 9 + j)));
    const { flows: merged, internal } = clusterFlows(flows, city);
    expect(merged.length).toBe(20);
    const offDiagonal = flows.filter((f) => f.origin !== f.destination).reduce((a, f) => a + f.expanded, 0);
    const kept = merged.reduce((a, f) => a + f.expanded, 0) + [...internal.values()].reduce((a, v) => a + v, 0);
    expect(kept).toBe(offDiagonal);
    // One zoom level in every zone is its own cluster again; zoomed out the town becomes two groups, then one.
    expect(at(CITY_ZOOM + 1).clusters.length).toBe(9);
    expect(at(13).clusters.length).toBe(2);
    expect(at(12).clusters.length).toBe(1);
  });
});
