/**
 * Polygons in a local metric frame (x east, y north): the one point-in-polygon test of Passage (the video counter's
 * zones, the simulator's ground truth and sensor placement, the SUMO signal export all use it).
 */

/** Even–odd ray casting over vertices `off … off+cnt-1` of `vx`/`vy`; points exactly on an edge may fall either way. */
export function pointInPolygon(
  x: number,
  y: number,
  vx: ArrayLike<number>,
  vy: ArrayLike<number>,
  off = 0,
  cnt = vx.length,
): boolean {
  let inside = false;
  for (let i = 0, j = cnt - 1; i < cnt; j = i++) {
    const xi = vx[off + i];
    const yi = vy[off + i];
    const xj = vx[off + j];
    const yj = vy[off + j];
    if (yi > y !== yj > y && x < ((xj - xi) * (y - yi)) / (yj - yi) + xi) inside = !inside;
  }
  return inside;
}

/** A polygon in local metres with its bounding box for fast rejection (closing vertex optional). */
export interface LocalPolygon {
  readonly xs: Float64Array;
  readonly ys: Float64Array;
  readonly minX: number;
  readonly minY: number;
  readonly maxX: number;
  readonly maxY: number;
}

/** A LocalPolygon from vertices in local metres. */
export function localPolygon(points: ReadonlyArray<readonly [number, number]>): LocalPolygon {
  const xs = Float64Array.from(points, (p) => p[0]);
  const ys = Float64Array.from(points, (p) => p[1]);
  let minX = Number.POSITIVE_INFINITY;
  let minY = Number.POSITIVE_INFINITY;
  let maxX = Number.NEGATIVE_INFINITY;
  let maxY = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < xs.length; i++) {
    minX = Math.min(minX, xs[i]);
    minY = Math.min(minY, ys[i]);
    maxX = Math.max(maxX, xs[i]);
    maxY = Math.max(maxY, ys[i]);
  }
  return { xs, ys, minX, minY, maxX, maxY };
}

/** `pointInPolygon` of a LocalPolygon, after its bounding box. */
export function pointInLocalPolygon(poly: LocalPolygon, x: number, y: number): boolean {
  if (x < poly.minX || x > poly.maxX || y < poly.minY || y > poly.maxY) return false;
  return pointInPolygon(x, y, poly.xs, poly.ys);
}
