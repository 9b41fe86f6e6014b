/**
 * Local planar geometry of a scenario: an equirectangular frame around the scenario origin (x east, y north,
 * metres), polygons and directed lines. Accurate to a few centimetres over a town centre (< 5 km).
 */

export type LonLat = readonly [number, number];

/** Mean Earth radius (IUGG), metres. */
export const EARTH_RADIUS_M = 6371008.8;
const DEG = Math.PI / 180;

/** Equirectangular projection around an origin. */
export interface LocalFrame {
  readonly origin: { readonly lon: number; readonly lat: number };
  /** [lon, lat] → [x east, y north] in metres. */
  toLocal(p: LonLat): [number, number];
  /** [x, y] metres → [lon, lat]. */
  toLonLat(x: number, y: number): [number, number];
}

export function makeLocalFrame(origin: { lon: number; lat: number }): LocalFrame {
  const kx = EARTH_RADIUS_M * DEG * Math.cos(origin.lat * DEG);
  const ky = EARTH_RADIUS_M * DEG;
  return {
    origin: { lon: origin.lon, lat: origin.lat },
    toLocal: (p) => [(p[0] - origin.lon) * kx, (p[1] - origin.lat) * ky],
    toLonLat: (x, y) => [origin.lon + x / kx, origin.lat + y / ky],
  };
}

/** A polygon in local metres, flattened [x0, y0, x1, y1, …] with its bounding box for fast rejection. */
export interface LocalPolygon {
  readonly xy: Float64Array;
  readonly minX: number;
  readonly minY: number;
  readonly maxX: number;
  readonly maxY: number;
}

export function toLocalPolygon(frame: LocalFrame, ring: ReadonlyArray<LonLat>): LocalPolygon {
  return localPolygon(ring.map((p) => frame.toLocal(p)));
}

/** A LocalPolygon from vertices already in local metres. */
export function localPolygon(points: ReadonlyArray<readonly [number, number]>): LocalPolygon {
  const xy = new Float64Array(points.length * 2);
  let minX = Number.POSITIVE_INFINITY;
  let minY = Number.POSITIVE_INFINITY;
  let maxX = Number.NEGATIVE_INFINITY;
  let maxY = Number.NEGATIVE_INFINITY;
  points.forEach(([x, y], i) => {
    xy[2 * i] = x;
    xy[2 * i + 1] = y;
    minX = Math.min(minX, x);
    minY = Math.min(minY, y);
    maxX = Math.max(maxX, x);
    maxY = Math.max(maxY, y);
  });
  return { xy, minX, minY, maxX, maxY };
}

/** Even–odd point-in-polygon test (closing vertex optional). */
export function pointInPolygon(poly: LocalPolygon, x: number, y: number): boolean {
  if (x < poly.minX || x > poly.maxX || y < poly.minY || y > poly.maxY) return false;
  const v = poly.xy;
  const n = v.length / 2;
  let inside = false;
  for (let i = 0, j = n - 1; i < n; j = i++) {
    const xi = v[2 * i];
    const yi = v[2 * i + 1];
    const xj = v[2 * j];
    const yj = v[2 * j + 1];
    if (yi > y !== yj > y && x < ((xj - xi) * (y - yi)) / (yj - yi) + xi) inside = !inside;
  }
  return inside;
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
