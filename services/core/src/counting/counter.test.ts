import { describe, expect, it } from 'vitest';
import { aggregateMinutes, MinuteAggregator, rollUpLineCounts } from './aggregate.ts';
import { CameraCounter } from './counter.ts';
import { SpeedHistogram } from './histogram.ts';
import type { TrackSummary } from './types.ts';

const T0 = Date.UTC(2025, 9, 1, 8, 0, 0); // 2025-10-01T08:00:00Z
const DT = 40; // 25 fps

/** Deterministic uniform noise in [-a, a]. */
function noise(seed: number) {
  let s = seed >>> 0;
  return (a: number) => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return (s / 4294967296 - 0.5) * 2 * a;
  };
}

/** Feeds one track through the counter, one position per frame, and finishes it. */
function runTrack(counter: CameraCounter, id: number, points: [number, number][], t0 = T0): TrackSummary {
  const ids = new Int32Array(1);
  const xs = new Float64Array(1);
  const ys = new Float64Array(1);
  points.forEach(([x, y], i) => {
    ids[0] = id;
    xs[0] = x;
    ys[0] = y;
    counter.update(t0 + i * DT, ids, xs, ys);
  });
  const s = counter.finish(id);
  if (!s) throw new Error('no summary');
  return s;
}

function straight(x0: number, y0: number, x1: number, y1: number, frames: number): [number, number][] {
  return Array.from({ length: frames }, (_, i) => {
    const f = i / (frames - 1);
    return [x0 + f * (x1 - x0), y0 + f * (y1 - y0)];
  });
}

// line along x from (0,0) to (10,0): north (y > 0) is LEFT, so southbound = 'in'
const line = { id: 'L1', a: [0, 0] as const, b: [10, 0] as const };

describe('line counting', () => {
  it('counts a straight southbound crossing once as "in", with its time and speed', () => {
    const c = new CameraCounter({ lines: [line] });
    // 5 m/s southward from y = 10 to y = -10 at x = 5: 4 s, 101 frames
    const s = runTrack(c, 1, straight(5, 10, 5, -10, 101));
    expect(s.crossings).toHaveLength(1);
    expect(s.crossings[0].direction).toBe('in');
    expect(s.crossings[0].lineId).toBe('L1');
    // raw position is at y = 0 at t = 2 s; the smoothed one (alpha 0.5) lags one frame
    expect(Math.abs(s.crossings[0].ts - (T0 + 2000))).toBeLessThanOrEqual(2 * DT);
    expect(s.crossings[0].speedKmh).toBeCloseTo(18, 1);
    expect(s.speedKmh).toBeCloseTo(18, 1);
  });

  it('counts the opposite direction as "out"', () => {
    const c = new CameraCounter({ lines: [line] });
    const s = runTrack(c, 2, straight(5, -10, 5, 10, 101));
    expect(s.crossings.map((x) => x.direction)).toEqual(['out']);
  });

  it('does not count a crossing outside the segment (no tolerance by default)', () => {
    const c = new CameraCounter({ lines: [line] });
    expect(runTrack(c, 3, straight(12, 10, 12, -10, 101)).crossings).toHaveLength(0); // 2 m beyond b
    expect(runTrack(c, 4, straight(-1.5, 10, -1.5, -10, 101)).crossings).toHaveLength(0);
    expect(runTrack(c, 5, straight(10.3, 10, 10.3, -10, 101)).crossings).toHaveLength(0); // 0.3 m beyond b
    expect(runTrack(c, 6, straight(9.8, 10, 9.8, -10, 101)).crossings).toHaveLength(1); // just inside
  });

  it('counts a crossing within extentTolM beyond the ends when a line sets it', () => {
    const c = new CameraCounter({ lines: [{ ...line, extentTolM: 1 }] });
    expect(runTrack(c, 3, straight(12, 10, 12, -10, 101)).crossings).toHaveLength(0); // 2 m beyond b, tol 1 m
    expect(runTrack(c, 5, straight(10.8, 10, 10.8, -10, 101)).crossings).toHaveLength(1); // within tolerance
  });

  it('does not count a path that goes around the end of the segment', () => {
    const c = new CameraCounter({ lines: [line] });
    const path: [number, number][] = [
      ...straight(5, 5, 15, 5, 50),
      ...straight(15, 5, 15, -5, 50),
      ...straight(15, -5, 5, -5, 50),
    ];
    expect(runTrack(c, 6, path).crossings).toHaveLength(0);
  });

  it.each([0.5, 1])(
    'stop ON the line with ±0.3 m jitter for 100 frames counts exactly 1 (smoothing %s)',
    (smoothing) => {
      const c = new CameraCounter({ lines: [line], smoothing });
      const n = noise(42);
      const path: [number, number][] = [
        ...straight(5, 8, 5, 0, 40),
        ...Array.from({ length: 100 }, () => [5 + n(0.3), n(0.3)] as [number, number]),
        ...straight(5, 0, 5, -8, 40),
      ];
      const s = runTrack(c, 7, path);
      expect(s.crossings).toHaveLength(1);
      expect(s.crossings[0].direction).toBe('in');
      // the crossing is dated when it leaves the line (after the stop), not when it arrived
      expect(s.crossings[0].ts).toBeGreaterThan(T0 + 120 * DT);
    },
  );

  it.each([0.5, 1])(
    'pure jitter around the line never counts (±0.3 m uniform, ±0.45 m sine; smoothing %s)',
    (smoothing) => {
      const c = new CameraCounter({ lines: [line], smoothing });
      const n = noise(7);
      const jitter = Array.from({ length: 500 }, () => [3 + n(0.3), n(0.3)] as [number, number]);
      expect(runTrack(c, 8, jitter).crossings).toHaveLength(0);
      const sine = Array.from({ length: 500 }, (_, i) => [3, 0.45 * Math.sin(i / 3)] as [number, number]);
      expect(runTrack(c, 9, sine).crossings).toHaveLength(0);
      // a road user waiting 1 m north of the line with jitter, then leaving back north: nothing
      const wait = Array.from({ length: 300 }, () => [3 + n(0.3), 1 + n(0.3)] as [number, number]);
      expect(runTrack(c, 10, wait).crossings).toHaveLength(0);
    },
  );

  it('U-turn: in, back out, in again → one "in" and one "out"', () => {
    const c = new CameraCounter({ lines: [line] });
    const path: [number, number][] = [
      ...straight(5, 5, 5, -5, 50),
      ...straight(5, -5, 5, 5, 50),
      ...straight(5, 5, 5, -5, 50),
    ];
    const s = runTrack(c, 11, path);
    expect(s.crossings.map((x) => x.direction)).toEqual(['in', 'out']);
  });

  it('handles many tracks per frame and reuses slots', () => {
    const c = new CameraCounter({ lines: [line], initialCapacity: 2 });
    const n = 50;
    const ids = new Int32Array(n);
    const xs = new Float64Array(n);
    const ys = new Float64Array(n);
    for (let f = 0; f < 101; f++) {
      for (let k = 0; k < n; k++) {
        ids[k] = 1000 + k;
        xs[k] = (k % 10) + 0.5;
        ys[k] = k % 2 === 0 ? 10 - f * 0.2 : -10 + f * 0.2;
      }
      c.update(T0 + f * DT, ids, xs, ys);
    }
    expect(c.activeTracks).toBe(n);
    const all = c.finishAll();
    expect(all).toHaveLength(n);
    expect(all.filter((s) => s.crossings[0]?.direction === 'in')).toHaveLength(25);
    expect(all.filter((s) => s.crossings[0]?.direction === 'out')).toHaveLength(25);
    expect(c.activeTracks).toBe(0);
  });
});

describe('zones and movements', () => {
  // a 4-arm junction around the origin; arms are 10 m × 6 m boxes
  const zones = [
    {
      id: 'A',
      polygon: [
        [-3, 5],
        [3, 5],
        [3, 15],
        [-3, 15],
      ] as [number, number][],
    }, // north arm
    {
      id: 'B',
      polygon: [
        [5, -3],
        [15, -3],
        [15, 3],
        [5, 3],
      ] as [number, number][],
    }, // east arm
    {
      id: 'C',
      polygon: [
        [-3, -15],
        [3, -15],
        [3, -5],
        [-3, -5],
      ] as [number, number][],
    }, // south arm
    {
      id: 'D',
      polygon: [
        [-15, -3],
        [-5, -3],
        [-5, 3],
        [-15, 3],
      ] as [number, number][],
    }, // west arm
    {
      id: 'box',
      polygon: [
        [-5, -5],
        [5, -5],
        [5, 5],
        [-5, 5],
      ] as [number, number][],
      arm: false,
    },
  ];

  it('a track through arm A then arm C gives movement A→C with dwell times', () => {
    const c = new CameraCounter({ zones });
    // 5 m/s from (0, 20) to (0, -20): 8 s, 201 frames
    const s = runTrack(c, 1, straight(0, 20, 0, -20, 201));
    expect(s.movement).not.toBeNull();
    expect(s.movement?.fromZone).toBe('A');
    expect(s.movement?.toZone).toBe('C');
    expect(s.zones.map((v) => v.zoneId)).toEqual(['A', 'box', 'C']);
    const [a, box, cz] = s.zones;
    // 10 m at 5 m/s = 2 s in each arm and in the box; hysteresis (3 frames) shifts entry and exit alike
    expect(a.dwellS).toBeCloseTo(2, 1);
    expect(box.dwellS).toBeCloseTo(2, 1);
    expect(cz.dwellS).toBeCloseTo(2, 1);
    expect(a.closed && box.closed && cz.closed).toBe(true);
    // A entered at y = 15 (t = 1 s), C left at y = -15 (t = 7 s)
    expect(Math.abs(a.entryTs - (T0 + 1000))).toBeLessThanOrEqual(2 * DT);
    expect(Math.abs(cz.exitTs - (T0 + 7000))).toBeLessThanOrEqual(2 * DT);
    expect(s.movement?.dwellS).toBeCloseTo(6, 1);
  });

  it('a right turn A→D, a track ending inside its exit arm, and a U-turn (no movement)', () => {
    const c = new CameraCounter({ zones });
    const turn = runTrack(c, 2, [...straight(0, 20, 0, 0, 100), ...straight(0, 0, -20, 0, 100)]);
    expect(turn.movement?.fromZone).toBe('A');
    expect(turn.movement?.toZone).toBe('D');
    const ends = runTrack(c, 3, straight(0, 20, 10, 0, 150).concat(straight(10, 0, 10, 0, 5)));
    expect(ends.movement?.toZone).toBe('B');
    expect(ends.zones.at(-1)?.closed).toBe(false);
    const uturn = runTrack(c, 4, [...straight(0, 20, 0, 0, 100), ...straight(0, 0, 0, 20, 100)]);
    expect(uturn.movement).toBeNull();
  });

  it('zone hysteresis: brushing a zone edge for 2 frames is not an entry', () => {
    const c = new CameraCounter({ zones, smoothing: 1 });
    const path: [number, number][] = [
      ...straight(-20, 5.5, -10, 5.5, 20),
      [-2, 4.9],
      [-1.9, 4.9],
      ...straight(-2, 5.5, -20, 5.5, 20),
    ];
    // (-2, 4.9) is inside 'box' for 2 frames, moving 0.1 m
    const s = runTrack(c, 5, path);
    expect(s.zones).toHaveLength(0);
  });
});

describe('speed histogram and 1-minute aggregation', () => {
  it('mean and V85 of a known distribution, and merge', () => {
    const h = new SpeedHistogram();
    for (let v = 1; v <= 100; v++) h.add(v - 0.5); // 0.5 … 99.5
    expect(h.mean()).toBeCloseTo(50, 9);
    expect(h.v85()).toBeCloseTo(85, 6);
    const g = new SpeedHistogram();
    for (let v = 0; v < 100; v++) g.add(40.2);
    h.merge(g);
    expect(h.count).toBe(200);
    expect(h.quantile(0.5)).toBeGreaterThan(40);
    expect(h.quantile(0.5)).toBeLessThan(41);
  });

  it('buckets crossings by crossing minute and movements by exit minute', () => {
    const c = new CameraCounter({
      lines: [line],
      zones: [
        {
          id: 'N',
          polygon: [
            [0, 5],
            [10, 5],
            [10, 15],
            [0, 15],
          ],
        },
        {
          id: 'S',
          polygon: [
            [0, -15],
            [10, -15],
            [10, -5],
            [0, -5],
          ],
        },
      ],
    });
    // crosses y = 0 at t0 + 2 s; starts 58 s after 08:00 → crossing at 08:01:00.0±, exit of S later in 08:01
    const t0 = T0 + 57_000;
    const s1 = runTrack(c, 1, straight(5, 20, 5, -20, 201), t0); // 5 m/s south, crosses at t0 + 4 s
    const s2 = runTrack(c, 2, straight(5, -20, 5, 20, 201), T0); // north, crosses at T0 + 4 s
    const s3 = runTrack(c, 3, straight(5, 20, 5, -20, 201), T0 + 1000);
    const agg = aggregateMinutes('site-1', 'cam-1', [
      { summary: s1, mode: 'car' },
      { summary: s2, mode: 'bicycle' },
      { summary: s3, mode: 'car' },
    ]);
    const byKey = Object.fromEntries(
      agg.lineCounts.map((r) => [`${r.direction}/${r.mode}/${(r.minute - T0) / 60000}`, r]),
    );
    expect(Object.keys(byKey).sort()).toEqual(['in/car/0', 'in/car/1', 'out/bicycle/0']);
    expect(byKey['in/car/1'].count).toBe(1);
    expect(byKey['in/car/1'].speedSum).toBeCloseTo(18, 0);
    expect(byKey['out/bicycle/0'].speedCount).toBe(1);
    const moves = Object.fromEntries(
      agg.movements.map((r) => [`${r.fromZone}>${r.toZone}/${r.mode}/${(r.minute - T0) / 60000}`, r]),
    );
    expect(Object.keys(moves).sort()).toEqual(['N>S/car/0', 'N>S/car/1', 'S>N/bicycle/0']);
    expect(moves['N>S/car/1'].dwellSumS).toBeCloseTo(6, 0);
    // all rows satisfy the contract shape (no extra fields)
    for (const r of agg.lineCounts) {
      expect(Object.keys(r).sort()).toEqual(
        ['cameraId', 'count', 'direction', 'lineId', 'minute', 'mode', 'siteId', 'speedCount', 'speedSum'].sort(),
      );
    }
    // roll-up into 15 minutes merges the two car rows
    const up = rollUpLineCounts(agg.lineCounts, agg.lineSpeeds, 15 * 60000);
    const car = up.rows.find((r) => r.mode === 'car');
    expect(car?.count).toBe(2);
    expect(up.hists[up.rows.indexOf(car as never)].count).toBe(2);
  });

  it('flush by watermark keeps open buckets', () => {
    const agg = new MinuteAggregator({ siteId: 's', cameraId: 'c' });
    const mk = (ts: number): TrackSummary => ({
      trackId: 1,
      firstTs: ts - 1000,
      lastTs: ts + 1000,
      frames: 50,
      pathLengthM: 20,
      speedKmh: 30,
      crossings: [{ lineId: 'L', direction: 'in', ts, speedKmh: 30 }],
      zones: [],
      movement: null,
    });
    agg.add(mk(T0 + 10_000), 'car');
    agg.add(mk(T0 + 70_000), 'car');
    const first = agg.flush(T0 + 60_000);
    expect(first.lineCounts).toHaveLength(1);
    expect(agg.pendingBuckets).toBe(1);
    expect(agg.flush().lineCounts[0].minute).toBe(T0 + 60_000);
  });
});

describe('frameMs: the second position of a track smoothed across its gap', () => {
  // A road user at 10 m/s along y = 0 crosses the line x = 0 (a → b upwards: x < 0 is LEFT, so 'in') at t = 800 ms.
  // Its first position is reckoned 1 s before its first box (x = −8 at t = 0, as the camera pipeline's border
  // entries), then boxes every 200 ms (5 fps) from t = 1000 ms (x = 2, 4, 6, 8).
  const crossingMs = (frameMs: number | undefined): number[] => {
    const c = new CameraCounter({ lines: [{ id: 'l', a: [0, -10], b: [0, 10] }], frameMs });
    const ids = new Int32Array([7]);
    const at = (t: number, x: number): void => c.update(T0 + t, ids, new Float64Array([x]), new Float64Array([0]));
    at(0, -8);
    for (let k = 0; k < 4; k++) at(1000 + 200 * k, 2 + 2 * k);
    return (c.finish(7)?.crossings ?? []).map((x) => (x.direction === 'in' ? x.ts - T0 : Number.NaN));
  };

  it('unknown: the second position is smoothed by 0.5 whatever the gap (x = −3), the crossing is timed 371 ms late', () => {
    // s = −3 at 1000, 0.5 at 1200 (zero crossing at 1000 + 200 × 3 / 3.5), counted once 3.25 leaves the margin.
    expect(crossingMs(undefined)[0]).toBeCloseTo(1000 + (200 * 3) / 3.5, 2);
  });

  it('200 ms: the gap of 5 frame intervals gives alpha 1 − 0.5^5, the crossing is timed 26 ms late', () => {
    // s = −8 + 0.96875 × 10 = 1.6875 at 1000: zero crossing at 1000 × 8 / 9.6875 = 825.8 ms.
    expect(crossingMs(200)[0]).toBeCloseTo((1000 * 8) / 9.6875, 2);
  });

  it('is ≥ 0', () => {
    expect(() => new CameraCounter({ frameMs: -1 })).toThrow(/frameMs/);
  });
});
