import { describe, expect, it } from 'vitest';
import { arcTooltip, buckets, type OdFlow, siteRadius, toArcs, zoneCentroids } from './od.ts';
import { lineChart, SseParser, sumByTime } from './series.ts';
import { type TurningMovements, turningCsv, turningDiagram } from './turning.ts';

const flow = (origin: string, destination: string, expanded: number, t = 0): OdFlow => ({
  t,
  origin,
  destination,
  observed: expanded / 2,
  expanded,
  stdErr: 2,
  ci95: [expanded - 4, expanded + 4],
  travelTimeP50S: 300,
  travelTimeP85S: 420,
  method: 'probe-expanded',
});
const sites = [
  { id: 'a', name: 'A', kind: 'zone', lon: 1, lat: 48 },
  { id: 'b', name: 'B', kind: 'zone', lon: 2, lat: 49 },
  { id: 'x', name: 'X', kind: 'intersection', lon: 3, lat: 50 },
];

describe('OD shaping', () => {
  it('places flows between zone centroids, drops unplaced zones and flows under minFlow, scales widths', () => {
    const c = zoneCentroids(sites);
    expect([...c.keys()]).toEqual(['a', 'b']);
    const arcs = toArcs([flow('a', 'b', 100), flow('b', 'a', 50), flow('a', 'other', 80), flow('a', 'b', 5, 1)], c, {
      minFlow: 10,
      minWidth: 2,
      maxWidth: 12,
    });
    expect(arcs.map((a) => `${a.origin}>${a.destination}:${a.width}`)).toEqual(['b>a:7', 'a>b:12']);
    expect(arcs[1].source).toEqual([1, 48]);
    expect(arcs[1].target).toEqual([2, 49]);
    expect(toArcs([flow('a', 'b', 100, 0), flow('a', 'b', 30, 900)], c, { t: 900 }).map((a) => a.flow)).toEqual([30]);
  });

  it('writes tooltips with the flow, its interval and the observed trips', () => {
    const [arc] = toArcs([flow('a', 'b', 100)], zoneCentroids(sites));
    const text = arcTooltip(
      arc,
      new Map([
        ['a', 'Gare'],
        ['b', 'Centre'],
      ]),
      (k) => k,
    );
    expect(text.split('\n')).toEqual([
      'Gare → Centre',
      'flow: 100 (ci95 96–104)',
      'observed: 50 · ±2 (stdErr)',
      'travelTime: 5 min',
    ]);
  });

  it('cuts time into buckets and sizes markers by area', () => {
    expect(buckets(1_000, 3_700_000, 900_000).map((b) => b.start)).toEqual([
      0, 900_000, 1_800_000, 2_700_000, 3_600_000,
    ]);
    expect(siteRadius(100, 100, 10, 50)).toBe(50);
    expect(siteRadius(25, 100, 10, 50)).toBe(30);
    expect(siteRadius(null, 100, 10, 50)).toBe(10);
  });
});

const tm: TurningMovements = {
  site: 's',
  movements: [
    { id: 'n>s', fromArm: 'n', toArm: 's', total: 100, peakHourVolume: 60 },
    { id: 'n>e', fromArm: 'n', toArm: 'e', total: 50, peakHourVolume: 30 },
    { id: 'e>n', fromArm: 'e', toArm: 'n', total: 0, peakHourVolume: 0 },
  ],
  intervals: [
    { start: Date.UTC(2026, 2, 10, 7), end: Date.UTC(2026, 2, 10, 7, 15), counts: [60, 30, 0], total: 90 },
    { start: Date.UTC(2026, 2, 10, 7, 15), end: Date.UTC(2026, 2, 10, 7, 30), counts: [40, 20, 0], total: 60 },
  ],
  peakHour: null,
  total: 150,
};

describe('turning-movement shaping', () => {
  it('lays arms out by compass bearing and widths by volume', () => {
    const d = turningDiagram(tm, { size: 200, maxWidth: 11 });
    expect(d.arms.map((a) => `${a.arm}@${a.bearing}`)).toEqual(['n@0', 'e@90', 's@180']);
    const north = d.arms[0];
    expect(north.outer[0]).toBe(100);
    expect(north.outer[1]).toBeLessThan(north.inner[1]);
    expect(d.arrows.map((a) => `${a.id}:${a.width}`)).toEqual(['n>s:11', 'n>e:6']);
    expect(d.arrows[0].d).toMatch(/^M[\d.]+,[\d.]+ L[\d.]+,[\d.]+ Q100,100 /);
  });

  it('writes the 15-minute table as CSV', () => {
    expect(turningCsv(tm)).toBe(
      'interval_start,interval_end,n>s,n>e,e>n,total\n' +
        '2026-03-10T07:00:00.000Z,2026-03-10T07:15:00.000Z,60,30,0,90\n' +
        '2026-03-10T07:15:00.000Z,2026-03-10T07:30:00.000Z,40,20,0,60\n',
    );
  });
});

describe('series shaping', () => {
  it('sums by time keeping all-null buckets null, and breaks the line at gaps', () => {
    const pts = sumByTime([
      { t: 2, count: 3 },
      { t: 1, count: 2 },
      { t: 1, count: 5 },
      { t: 3, count: null },
      { t: 4, count: 1 },
      { t: 4, count: null },
    ]);
    expect(pts).toEqual([
      { t: 1, v: 7 },
      { t: 2, v: 3 },
      { t: 3, v: null },
      { t: 4, v: 1 },
    ]);
    const g = lineChart(pts, { width: 100, height: 60, pad: 10, label: String });
    expect(g.yMax).toBe(7);
    expect(g.d.split('M')).toHaveLength(3);
    expect(g.points.map((p) => p.x)).toEqual([10, 36.7, 90]);
  });

  it('parses server-sent events split across chunks', () => {
    const p = new SseParser();
    expect(p.push('event: hello\ndata: {"k":5}\n\n: keep-alive\n\nevent: min')).toEqual([
      { event: 'hello', data: '{"k":5}', id: undefined },
    ]);
    expect(p.push('ute\nid: 60\ndata: {"minute":60}\r\n\r\n')).toEqual([
      { event: 'minute', data: '{"minute":60}', id: '60' },
    ]);
  });
});
