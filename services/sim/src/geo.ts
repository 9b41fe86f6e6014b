/**
 * Local planar geometry of a scenario: an equirectangular frame around the scenario origin (x east, y north,
 * metres), polygons and directed lines. Accurate to a few centimetres over a town centre (< 5 km).
 */

import { LocalFrame as CoreLocalFrame, type LocalPolygon, localPolygon } from '@passage/core';

export { EARTH_RADIUS_M, type LocalPolygon, localPolygon, pointInLocalPolygon as pointInPolygon } from '@passage/core';

export type LonLat = readonly [number, number];

const DEG = Math.PI / 180;

/** Equirectangular projection around an origin (core's `LocalFrame`, with tuple in/out). */
export interface LocalFrame {
  readonly origin: { readonly lon: number; readonly lat: number };
  /** [lon, lat] → [x east, y north] in metres. */
  toLocal(p: LonLat): [number, number];
  /** [x, y] metres → [lon, lat]. */
  toLonLat(x: number, y: number): [number, number];
}

export function makeLocalFrame(origin: { lon: number; lat: number }): LocalFrame {
  const f = new CoreLocalFrame(origin);
  return {
    origin: f.origin,
    toLocal: (p) => [f.x(p[0]), f.y(p[1])],
    toLonLat: (x, y) => [f.lon(x), f.lat(y)],
  };
}

export function toLocalPolygon(frame: LocalFrame, ring: ReadonlyArray<LonLat>): LocalPolygon {
  return localPolygon(ring.map((p) => frame.toLocal(p)));
}

/** A directed segment a→b in local metres. */
export interface LocalSegment {
  readonly ax: number;
  readonly ay: number;
  readonly bx: number;
  readonly by: number;
}

export function toLocalSegment(frame: LocalFrame, a: LonLat, b: LonLat): LocalSegment {
  const [ax, ay] = frame.toLocal(a);
  const [bx, by] = frame.toLocal(b);
  return { ax, ay, bx, by };
}

/**
 * Side of point p relative to the directed line a→b in a right-handed east/north plane:
 * > 0 left, < 0 right, 0 on the line (twice the signed triangle area).
 */
export function sideOf(s: LocalSegment, px: number, py: number): number {
  return (s.bx - s.ax) * (py - s.ay) - (s.by - s.ay) * (px - s.ax);
}

/** Direction of a crossing of a directed counting line. */
export type CrossingDirection = 'in' | 'out';

/**
 * Where the move p→q crosses the directed segment a→b: the fraction along p→q in [0, 1], or -1 if it does not
 * cross. Points exactly on the line count as being on its left, so a path cut into steps is counted exactly once.
 *
 * Direction convention (identical for truth, counters and the video core): **'in' = from the left of a→b to
 * its right**, seen on the map with north up (x east, y north); 'out' = right to left. Example: a line drawn
 * from west to east (a west of b) counts southbound movement as 'in'.
 */
export function crossSegment(s: LocalSegment, px: number, py: number, qx: number, qy: number): number {
  const sp = sideOf(s, px, py);
  const sq = sideOf(s, qx, qy);
  if (sp >= 0 === sq >= 0) return -1;
  // The crossing point must lie within the segment's extent: a and b on different sides of p→q.
  const dx = qx - px;
  const dy = qy - py;
  const sa = dx * (s.ay - py) - dy * (s.ax - px);
  const sb = dx * (s.by - py) - dy * (s.bx - px);
  if ((sa > 0 && sb > 0) || (sa < 0 && sb < 0)) return -1;
  return sp / (sp - sq);
}

/** Direction of a crossing from the side of its start point (`sideOf` of p). */
export function crossingDirection(sideOfStart: number): CrossingDirection {
  return sideOfStart >= 0 ? 'in' : 'out';
}

/** Squared distance from p to the segment a→b. */
export function distanceToSegmentSq(s: LocalSegment, px: number, py: number): number {
  const dx = s.bx - s.ax;
  const dy = s.by - s.ay;
  const len2 = dx * dx + dy * dy;
  let t = len2 > 0 ? ((px - s.ax) * dx + (py - s.ay) * dy) / len2 : 0;
  t = Math.max(0, Math.min(1, t));
  const ex = s.ax + t * dx - px;
  const ey = s.ay + t * dy - py;
  return ex * ex + ey * ey;
}

/** Compass heading (0 = north, clockwise, degrees) → unit vector [east, north]. */
export function headingVector(headingDeg: number): [number, number] {
  const r = headingDeg * DEG;
  return [Math.sin(r), Math.cos(r)];
}
