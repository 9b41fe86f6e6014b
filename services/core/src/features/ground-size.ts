/**
 * Per-frame ground size of a detection box, and path statistics of a track, from an image→ground homography.
 *
 * The homography is a 3×3 matrix, row-major (9 numbers), mapping image pixels (u, v, 1) to ground coordinates
 * in metres (x, y, w) / w. It is the same matrix the tracker uses to project foot points; these helpers do the
 * projection inline so that `features` depends on nothing else.
 */

/** Row-major 3×3 image→ground homography (pixels → metres). */
export type Homography = ArrayLike<number>;

/**
 * Ground width and estimated height (metres) of the box `[x, y, w, h]` (pixels, top-left origin):
 * - width: distance on the ground between the projections of the bottom edge's endpoints (x, y+h) and
 *   (x+w, y+h);
 * - height: box pixel height × ground metres-per-pixel at the foot (ground width / pixel width), i.e. the object
 *   is taken as standing upright at the depth of its foot, where one pixel spans the same length horizontally
 *   and vertically.
 * Writes `[widthM, heightM]` into `out` and returns it; NaN for both when the box has no width or the bottom edge
 * reaches the horizon (the projective w of its endpoints is 0 or changes sign; the overall sign of H is free).
 */
export function groundBoxSize(
  homography: Homography,
  x: number,
  y: number,
  w: number,
  h: number,
  out: Float64Array = new Float64Array(2),
): Float64Array {
  const H = homography;
  const v = y + h;
  const u0 = x;
  const u1 = x + w;
  const w0 = H[6] * u0 + H[7] * v + H[8];
  const w1 = H[6] * u1 + H[7] * v + H[8];
  if (!(w > 0) || !((w0 > 0 && w1 > 0) || (w0 < 0 && w1 < 0))) {
    out[0] = Number.NaN;
    out[1] = Number.NaN;
    return out;
  }
  const gx0 = (H[0] * u0 + H[1] * v + H[2]) / w0;
  const gy0 = (H[3] * u0 + H[4] * v + H[5]) / w0;
  const gx1 = (H[0] * u1 + H[1] * v + H[2]) / w1;
  const gy1 = (H[3] * u1 + H[4] * v + H[5]) / w1;
  const widthM = Math.hypot(gx1 - gx0, gy1 - gy0);
  out[0] = widthM;
  out[1] = h * (widthM / w);
  return out;
}

/**
 * Path length (m) and straightness (chord / length, 0..1; 1 for a path shorter than 1 cm) of the first `n`
 * ground points `(xs[i], ys[i])`. Writes `[lengthM, straightness]` into `out` and returns it.
 */
export function pathLengthAndStraightness(
  xs: ArrayLike<number>,
  ys: ArrayLike<number>,
  n: number = xs.length,
  out: Float64Array = new Float64Array(2),
): Float64Array {
  let len = 0;
  for (let i = 1; i < n; i++) len += Math.hypot(xs[i] - xs[i - 1], ys[i] - ys[i - 1]);
  const chord = n > 1 ? Math.hypot(xs[n - 1] - xs[0], ys[n - 1] - ys[0]) : 0;
  out[0] = len;
  out[1] = len > 0.01 ? Math.min(1, chord / len) : 1;
  return out;
}
