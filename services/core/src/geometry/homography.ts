/**
 * Image ↔ ground homography (plane-to-plane projective map) from ≥ 4 point pairs, by the normalised
 * Direct Linear Transform (Hartley & Zisserman, Multiple View Geometry, alg. 4.2):
 *   1. normalise each point set (centroid at the origin, mean distance √2),
 *   2. stack two equations per pair into A (2n × 9), h = right singular vector of A's smallest singular value
 *      (least squares when n > 4; one-sided Jacobi SVD, see linalg.ts),
 *   3. denormalise: H = T_ground⁻¹ · Ĥ · T_image.
 * The ground frame is the local metric frame (x east, y north, metres; see local-frame.ts).
 */
import { CalibrationError } from './errors.ts';
import { covarianceEigen2, inv3, mul3, svdJacobi } from './linalg.ts';
import type { LocalFrame } from './local-frame.ts';

/** One calibration correspondence: a pixel (u right, v down) and the ground point it shows (metres). */
export interface PointPair {
  image: readonly [number, number];
  ground: readonly [number, number];
}

export interface FitHomographyOptions {
  /** Two image points closer than this (pixels) are duplicates. @default 0.5 */
  duplicateTolPx?: number;
  /** Two ground points closer than this (metres) are duplicates. @default 0.01 */
  duplicateTolM?: number;
  /**
   * Points count as collinear when the ratio of the smaller to the larger standard deviation of their spread
   * (principal axes) is below this. @default 0.002
   */
  collinearTol?: number;
  /**
   * The fit is ill-conditioned when σ₈/σ₁ of the normalised design matrix is below this (the solution is not
   * unique up to scale). @default 1e-6
   */
  minSingularRatio?: number;
}

export interface HomographyFit {
  homography: GroundHomography;
  /** Root-mean-square reprojection error on the ground (metres): ‖H·image_i − ground_i‖. */
  rmsM: number;
  /** Largest ground reprojection error (metres) and the pair it belongs to. */
  maxErrM: number;
  maxErrIndex: number;
  /** Root-mean-square reprojection error in the image (pixels): ‖H⁻¹·ground_i − image_i‖. */
  rmsPx: number;
  /** Per-pair ground errors (metres), in input order. */
  residualsM: Float64Array;
  /** σ₈/σ₁ of the normalised design matrix: a conditioning indicator (higher is better, ≤ 1). */
  conditionRatio: number;
}

const HINT =
  'Pick at least 4 well-spread image↔ground pairs on the road surface, no three on one line ' +
  '(for example the corners of a pedestrian crossing and two kerb corners on the far side).';

function degenerate(message: string, points: number[] = []): never {
  throw new CalibrationError('PASSAGE_CALIBRATION_DEGENERATE', `${message} ${HINT}`, points);
}

/** Hartley normalisation: returns T (3×3) and writes normalised coordinates into nx, ny. */
function normalise(xs: Float64Array, ys: Float64Array, nx: Float64Array, ny: Float64Array): Float64Array {
  const n = xs.length;
  let cx = 0;
  let cy = 0;
  for (let i = 0; i < n; i++) {
    cx += xs[i];
    cy += ys[i];
  }
  cx /= n;
  cy /= n;
  let meanDist = 0;
  for (let i = 0; i < n; i++) meanDist += Math.hypot(xs[i] - cx, ys[i] - cy);
  meanDist /= n;
  const s = meanDist > 0 ? Math.SQRT2 / meanDist : 1;
  for (let i = 0; i < n; i++) {
    nx[i] = (xs[i] - cx) * s;
    ny[i] = (ys[i] - cy) * s;
  }
  return Float64Array.of(s, 0, -s * cx, 0, s, -s * cy, 0, 0, 1);
}

function checkSpread(xs: Float64Array, ys: Float64Array, what: string, tol: number): void {
  const n = xs.length;
  const all = Array.from({ length: n }, (_, i) => i);
  const [lo, hi] = covarianceEigen2(xs, ys, all);
  if (!(hi > 0) || Math.sqrt(Math.max(0, lo) / hi) < tol) {
    degenerate(`All ${n} ${what} points lie on one line, so the plane mapping is undetermined.`, all);
  }
  // A homography needs 4 points in general position: if all points but one are collinear, no such set exists.
  for (let k = 0; k < n; k++) {
    const others = all.filter((i) => i !== k);
    const [l2, h2] = covarianceEigen2(xs, ys, others);
    if (!(h2 > 0) || Math.sqrt(Math.max(0, l2) / h2) < tol) {
      degenerate(
        `${what[0].toUpperCase()}${what.slice(1)} points ${others.join(', ')} lie on one line ` +
          `(only point ${k} is off it), so no 4 points are in general position.`,
        others,
      );
    }
  }
}

/**
 * Fits the image→ground homography. Throws {@link CalibrationError} with code
 * `PASSAGE_CALIBRATION_DEGENERATE` (fewer than 4 pairs, duplicated points, collinear points, ill-conditioned
 * system) or `PASSAGE_CALIBRATION_INVALID` (non-finite coordinates); the message says what to fix.
 */
export function fitHomography(pairs: readonly PointPair[], options: FitHomographyOptions = {}): HomographyFit {
  const dupPx = options.duplicateTolPx ?? 0.5;
  const dupM = options.duplicateTolM ?? 0.01;
  const colTol = options.collinearTol ?? 0.002;
  const minRatio = options.minSingularRatio ?? 1e-6;
  const n = pairs.length;
  if (n < 4) degenerate(`Calibration needs at least 4 image↔ground point pairs; got ${n}.`);

  const u = new Float64Array(n);
  const v = new Float64Array(n);
  const gx = new Float64Array(n);
  const gy = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const p = pairs[i];
    u[i] = p.image[0];
    v[i] = p.image[1];
    gx[i] = p.ground[0];
    gy[i] = p.ground[1];
    if (![u[i], v[i], gx[i], gy[i]].every(Number.isFinite)) {
      throw new CalibrationError(
        'PASSAGE_CALIBRATION_INVALID',
        `Calibration point pair ${i} has a non-finite coordinate; give pixels and metres as finite numbers.`,
        [i],
      );
    }
  }
  for (let i = 0; i < n; i++) {
    for (let j = i + 1; j < n; j++) {
      if (Math.hypot(u[i] - u[j], v[i] - v[j]) < dupPx) {
        degenerate(`Image points ${i} and ${j} are the same pixel (closer than ${dupPx} px); remove one.`, [i, j]);
      }
      if (Math.hypot(gx[i] - gx[j], gy[i] - gy[j]) < dupM) {
        degenerate(`Ground points ${i} and ${j} are the same place (closer than ${dupM} m); remove one.`, [i, j]);
      }
    }
  }
  checkSpread(u, v, 'image', colTol);
  checkSpread(gx, gy, 'ground', colTol);

  const nu = new Float64Array(n);
  const nv = new Float64Array(n);
  const ngx = new Float64Array(n);
  const ngy = new Float64Array(n);
  const ti = normalise(u, v, nu, nv);
  const tg = normalise(gx, gy, ngx, ngy);

  // Design matrix, at least 9 rows so the SVD exposes a full 9-dimensional right space.
  const rows = Math.max(2 * n, 9);
  const a = new Float64Array(rows * 9);
  for (let i = 0; i < n; i++) {
    const x = nu[i];
    const y = nv[i];
    const X = ngx[i];
    const Y = ngy[i];
    a.set([-x, -y, -1, 0, 0, 0, X * x, X * y, X], 18 * i);
    a.set([0, 0, 0, -x, -y, -1, Y * x, Y * y, Y], 18 * i + 9);
  }
  const { s, v: V } = svdJacobi(a, rows, 9);
  const conditionRatio = s[0] > 0 ? s[7] / s[0] : 0;
  if (!(conditionRatio >= minRatio)) {
    degenerate(
      `The calibration is ill-conditioned (σ₈/σ₁ = ${conditionRatio.toExponential(2)} < ${minRatio}): ` +
        'the points do not pin down a unique mapping.',
    );
  }
  const hn = new Float64Array(9);
  for (let k = 0; k < 9; k++) hn[k] = V[k * 9 + 8];
  const tgInv = inv3(tg);
  if (!tgInv) degenerate('Ground points have no spread.');
  const h = mul3(mul3(tgInv, hn), ti);
  const hom = GroundHomography.fromMatrix(h, u, v);

  const residualsM = new Float64Array(n);
  const out = new Float64Array(2);
  let ss = 0;
  let ssPx = 0;
  let maxErrM = 0;
  let maxErrIndex = 0;
  for (let i = 0; i < n; i++) {
    hom.imageToGround(u[i], v[i], out);
    const e = Math.hypot(out[0] - gx[i], out[1] - gy[i]);
    residualsM[i] = e;
    ss += e * e;
    if (!(e <= maxErrM)) {
      maxErrM = e;
      maxErrIndex = i;
    }
    hom.groundToImage(gx[i], gy[i], out);
    ssPx += (out[0] - u[i]) ** 2 + (out[1] - v[i]) ** 2;
  }
  return {
    homography: hom,
    rmsM: Math.sqrt(ss / n),
    maxErrM,
    maxErrIndex,
    rmsPx: Math.sqrt(ssPx / n),
    residualsM,
    conditionRatio,
  };
}

/**
 * Ground point of pixel (u, v) through the image→ground matrix `h`, written to xo[xi] and yo[yi]; NaN when the
 * pixel is above the horizon (w ≤ 1e-12). The one place of this formula: the single and the batch methods below.
 */
function groundInto(
  h: Float64Array,
  u: number,
  v: number,
  xo: Float64Array | number[],
  xi: number,
  yo: Float64Array | number[],
  yi: number,
): void {
  const w = h[6] * u + h[7] * v + h[8];
  if (w > 1e-12) {
    xo[xi] = (h[0] * u + h[1] * v + h[2]) / w;
    yo[yi] = (h[3] * u + h[4] * v + h[5]) / w;
  } else {
    xo[xi] = Number.NaN;
    yo[yi] = Number.NaN;
  }
}

/**
 * A fitted image→ground mapping. Methods write into caller-owned arrays so hot loops do not allocate.
 * Image points above the horizon (behind the camera's ground plane) map to NaN.
 */
export class GroundHomography {
  /** Image→ground, 3×3 row-major, scaled so that ‖H‖_F = 1 and w > 0 on the calibrated region. */
  readonly h: Float64Array;
  /** Ground→image. */
  readonly inv: Float64Array;

  private constructor(h: Float64Array, inv: Float64Array) {
    this.h = h;
    this.inv = inv;
  }

  /**
   * Builds a homography from a 3×3 row-major matrix. `refU`/`refV` (image points known to be on the ground)
   * fix the sign so that w > 0 there; without them the image centre of the points is not known and the sign
   * of `h` is kept as given.
   */
  static fromMatrix(matrix: ArrayLike<number>, refU?: ArrayLike<number>, refV?: ArrayLike<number>): GroundHomography {
    if (matrix.length !== 9) throw new CalibrationError('PASSAGE_CALIBRATION_INVALID', 'A homography has 9 entries.');
    const h = Float64Array.from(matrix);
    let norm = 0;
    for (let k = 0; k < 9; k++) norm += h[k] * h[k];
    norm = Math.sqrt(norm);
    if (!(norm > 0) || !Number.isFinite(norm)) {
      throw new CalibrationError('PASSAGE_CALIBRATION_INVALID', 'The homography matrix is zero or not finite.');
    }
    let sign = 1;
    if (refU && refV && refU.length > 0) {
      let w = 0;
      for (let i = 0; i < refU.length; i++) w += h[6] * refU[i] + h[7] * refV[i] + h[8];
      if (w < 0) sign = -1;
    }
    for (let k = 0; k < 9; k++) h[k] *= sign / norm;
    const inv = inv3(h);
    if (!inv) {
      throw new CalibrationError(
        'PASSAGE_CALIBRATION_DEGENERATE',
        `The homography is singular (it flattens the image onto a line). ${HINT}`,
      );
    }
    return new GroundHomography(h, inv);
  }

  /** Pixel (u, v) → ground (x, y) metres, written to out[offset], out[offset+1]. NaN above the horizon. */
  imageToGround(u: number, v: number, out: Float64Array | number[], offset = 0): Float64Array | number[] {
    groundInto(this.h, u, v, out, offset, out, offset + 1);
    return out;
  }

  /** Ground (x, y) metres → pixel (u, v). */
  groundToImage(x: number, y: number, out: Float64Array | number[], offset = 0): Float64Array | number[] {
    const m = this.inv;
    const w = m[6] * x + m[7] * y + m[8];
    out[offset] = (m[0] * x + m[1] * y + m[2]) / w;
    out[offset + 1] = (m[3] * x + m[4] * y + m[5]) / w;
    return out;
  }

  /**
   * Foot point of a box (bottom-centre of [x, y, w, h], pixels, top-left origin) → ground (x, y) metres.
   * The foot point is where a road user touches the ground, the only box point on the calibrated plane.
   */
  footToGround(bx: number, by: number, bw: number, bh: number, out: Float64Array | number[], offset = 0) {
    return this.imageToGround(bx + bw / 2, by + bh, out, offset);
  }

  /** Foot point of a box → [lon, lat] (degrees) through the local frame the ground points were given in. */
  footToLonLat(
    frame: LocalFrame,
    bx: number,
    by: number,
    bw: number,
    bh: number,
    out: Float64Array | number[],
    offset = 0,
  ): Float64Array | number[] {
    this.imageToGround(bx + bw / 2, by + bh, out, offset);
    const x = out[offset];
    const y = out[offset + 1];
    out[offset] = frame.lon(x);
    out[offset + 1] = frame.lat(y);
    return out;
  }

  /**
   * Batch projection of boxes: `boxes` holds [x, y, w, h] per box (stride 4); writes ground x into `xs[i]`
   * and y into `ys[i]` for i < count.
   */
  footsToGround(boxes: ArrayLike<number>, count: number, xs: Float64Array, ys: Float64Array): void {
    const h = this.h;
    for (let i = 0; i < count; i++) {
      groundInto(h, boxes[4 * i] + boxes[4 * i + 2] / 2, boxes[4 * i + 1] + boxes[4 * i + 3], xs, i, ys, i);
    }
  }

  /**
   * Batch projection of image points given interleaved [u0, v0, u1, v1, …] (e.g. the tracker's `feet`
   * column); writes ground x into `xs[i]` and y into `ys[i]` for i < count (NaN above the horizon).
   */
  feetToGround(feet: ArrayLike<number>, count: number, xs: Float64Array, ys: Float64Array): void {
    const h = this.h;
    for (let i = 0; i < count; i++) groundInto(h, feet[2 * i], feet[2 * i + 1], xs, i, ys, i);
  }

  toJSON(): number[] {
    return Array.from(this.h);
  }
}

/** Calibration pairs given with map coordinates (lon/lat degrees) → pairs in the local metric frame. */
export function pairsFromLonLat(
  frame: LocalFrame,
  pairs: readonly { image: readonly [number, number]; lonLat: readonly [number, number] }[],
): PointPair[] {
  return pairs.map((p) => ({ image: p.image, ground: [frame.x(p.lonLat[0]), frame.y(p.lonLat[1])] }));
}

/** Bottom-centre of a box [x, y, w, h] (pixels, top-left origin). */
export function footPoint(bbox: readonly [number, number, number, number]): [number, number] {
  return [bbox[0] + bbox[2] / 2, bbox[1] + bbox[3]];
}
