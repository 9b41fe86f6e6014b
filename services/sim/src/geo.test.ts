import { describe, expect, it } from 'vitest';
import {
  crossingDirection,
  crossSegment,
  distanceToSegmentSq,
  makeLocalFrame,
  pointInPolygon,
  sideOf,
  toLocalPolygon,
} from './geo.ts';

const seg = { ax: -5, ay: 0, bx: 5, by: 0 }; // drawn west → east: north is its left

describe('directed lines', () => {
  it("counts a southbound move across a west→east line as 'in' (left → right)", () => {
    const f = crossSegment(seg, 0, 2, 0, -2);
    expect(f).toBeCloseTo(0.5, 12);
    expect(crossingDirection(sideOf(seg, 0, 2))).toBe('in');
    expect(crossingDirection(sideOf(seg, 0, -2))).toBe('out');
  });

  it('ignores moves beyond the ends of the segment and moves that do not cross', () => {
    expect(crossSegment(seg, 6, 2, 6, -2)).toBe(-1);
    expect(crossSegment(seg, 0, 2, 0, 1)).toBe(-1);
  });

  it('counts a path cut at the line exactly once', () => {
    // p → on the line → q: the first move ends on the line (left side by convention), the second crosses.
    expect(crossSegment(seg, 0, 2, 0, 0)).toBe(-1);
    expect(crossSegment(seg, 0, 0, 0, -2)).toBe(0);
  });

  it('measures distance to a segment', () => {
    expect(distanceToSegmentSq(seg, 0, 3)).toBeCloseTo(9, 12);
    expect(distanceToSegmentSq(seg, 8, 4)).toBeCloseTo(25, 12);
  });
});

describe('local frame', () => {
  const frame = makeLocalFrame({ lon: 1.4875, lat: 48.4477 });

  it('round-trips and has metric scale', () => {
    const [x, y] = frame.toLocal([1.4885, 48.4487]);
    expect(y).toBeCloseTo(111.195, 2); // 0.001° of latitude ≈ 111.2 m
    expect(x).toBeCloseTo(73.76, 1); // × cos(48.4477°)
    const [lon, lat] = frame.toLonLat(x, y);
    expect(lon).toBeCloseTo(1.4885, 10);
    expect(lat).toBeCloseTo(48.4487, 10);
  });

  it('tests points in polygons', () => {
    const sq = toLocalPolygon(frame, [
      frame.toLonLat(0, 0),
      frame.toLonLat(10, 0),
      frame.toLonLat(10, 10),
      frame.toLonLat(0, 10),
    ]);
    expect(pointInPolygon(sq, 5, 5)).toBe(true);
    expect(pointInPolygon(sq, 11, 5)).toBe(false);
    expect(pointInPolygon(sq, -0.1, 5)).toBe(false);
  });
});
