/**
 * The pinhole camera model of a scenario, shared by the scenario builder (sensor placement, calibration points),
 * the detection synthesiser and the evaluator. One model: every projection in the simulator goes through here.
 *
 * World: local metres, x east, y north, z up. Camera at (x, y, mountingHeightM), yaw = headingDeg (0 = north,
 * clockwise), pitch = tiltDeg down from horizontal, no roll. Image: u to the right, v down, pixel (0,0) is the
 * top-left corner of the image, principal point at (width/2, height/2), square pixels, focal length
 * f = (width/2) / tan(hfov/2) pixels, no lens distortion.
 *
 * `makePinhole` computes the camera basis once; `projectBox` is the hot path of the detection synthesiser: it
 * projects an oriented 3-D box, clipping it against the near plane, and writes the image-space bounds into a
 * caller-owned Float64Array (no allocation). `projectToImage`/`imageToGround` take the plain spec (builder use).
 */

const DEG = Math.PI / 180;

export interface PinholeModel {
  readonly cx: number;
  readonly cy: number;
  readonly cz: number;
  readonly width: number;
  readonly height: number;
  readonly focal: number;
  /** Forward, right and down unit vectors. */
  readonly fwd: readonly [number, number, number];
  readonly right: readonly [number, number, number];
  readonly down: readonly [number, number, number];
}

/** A camera as written in scenario.json (position in local metres). */
export interface PinholeSpec {
  x: number;
  y: number;
  mountingHeightM: number;
  headingDeg: number;
  tiltDeg: number;
  hfovDeg: number;
  width: number;
  height: number;
}

export function focalLengthPx(cam: PinholeSpec): number {
  return cam.width / 2 / Math.tan((cam.hfovDeg * DEG) / 2);
}

/** Vertical field of view (degrees) implied by hfov and the aspect ratio. */
export function vfovDeg(cam: PinholeSpec): number {
  return (2 * Math.atan(cam.height / 2 / focalLengthPx(cam))) / DEG;
}

export function makePinhole(s: PinholeSpec): PinholeModel {
  const yaw = s.headingDeg * DEG;
  const tilt = s.tiltDeg * DEG;
  const fwd: [number, number, number] = [
    Math.sin(yaw) * Math.cos(tilt),
    Math.cos(yaw) * Math.cos(tilt),
    -Math.sin(tilt),
  ];
  const right: [number, number, number] = [Math.cos(yaw), -Math.sin(yaw), 0];
  // down = fwd × right
  const down: [number, number, number] = [
    fwd[1] * right[2] - fwd[2] * right[1],
    fwd[2] * right[0] - fwd[0] * right[2],
    fwd[0] * right[1] - fwd[1] * right[0],
  ];
  return {
    cx: s.x,
    cy: s.y,
    cz: s.mountingHeightM,
    width: s.width,
    height: s.height,
    focal: focalLengthPx(s),
    fwd,
    right,
    down,
  };
}

/** Project a world point; returns [u, v, depth] (depth ≤ 0 = behind the camera). */
export function projectPoint(cam: PinholeModel, x: number, y: number, z: number): [number, number, number] {
  const dx = x - cam.cx;
  const dy = y - cam.cy;
  const dz = z - cam.cz;
  const zc = dx * cam.fwd[0] + dy * cam.fwd[1] + dz * cam.fwd[2];
  const xc = dx * cam.right[0] + dy * cam.right[1] + dz * cam.right[2];
  const yc = dx * cam.down[0] + dy * cam.down[1] + dz * cam.down[2];
  return [cam.width / 2 + (cam.focal * xc) / zc, cam.height / 2 + (cam.focal * yc) / zc, zc];
}

/**
 * Projects a world point (local metres, z up) to image pixels. Returns null when the point is behind the
 * camera (depth ≤ 1e-9). The result may lie outside [0,width]×[0,height]: check with `inImage`.
 */
export function projectToImage(cam: PinholeSpec, x: number, y: number, z = 0): [number, number] | null {
  const [u, v, depth] = projectPoint(makePinhole(cam), x, y, z);
  return depth <= 1e-9 ? null : [u, v];
}

/** Ground point (z = 0, local metres) seen at pixel (u, v), or null when the ray does not hit the ground. */
export function imageToGround(cam: PinholeSpec, u: number, v: number): [number, number] | null {
  const m = makePinhole(cam);
  const a = (u - cam.width / 2) / m.focal;
  const c = (v - cam.height / 2) / m.focal;
  const { fwd: f, right: r, down: d } = m;
  const dir = [f[0] + a * r[0] + c * d[0], f[1] + a * r[1] + c * d[1], f[2] + a * r[2] + c * d[2]];
  if (dir[2] >= -1e-9) return null;
  const s = cam.mountingHeightM / -dir[2];
  return [cam.x + s * dir[0], cam.y + s * dir[1]];
}

export function inImage(cam: PinholeSpec, uv: [number, number] | null, marginPx = 0): boolean {
  return (
    uv !== null &&
    uv[0] >= marginPx &&
    uv[0] <= cam.width - marginPx &&
    uv[1] >= marginPx &&
    uv[1] <= cam.height - marginPx
  );
}

const NEAR = 0.3;
// Scratch buffers: camera-space corners (x, y, z per corner) of the box being projected.
const corner = new Float64Array(24);
// The 12 edges of a box whose corners are numbered (bit0 = +length, bit1 = +width, bit2 = +height).
const EDGES = [0, 1, 2, 3, 4, 5, 6, 7, 0, 2, 1, 3, 4, 6, 5, 7, 0, 4, 1, 5, 2, 6, 3, 7];

// Running image bounds of the box being projected (module scope: no closure per call).
let bMinU = 0;
let bMinV = 0;
let bMaxU = 0;
let bMaxV = 0;
function take(fo: number, xc: number, yc: number, zc: number): void {
  const u = (fo * xc) / zc;
  const v = (fo * yc) / zc;
  if (u < bMinU) bMinU = u;
  if (u > bMaxU) bMaxU = u;
  if (v < bMinV) bMinV = v;
  if (v > bMaxV) bMaxV = v;
}

/**
 * Project an oriented box (footprint centre (x, y), heading in compass degrees, length along the heading,
 * width across, z from z0 to z1) and write its unclipped image bounds into out[0..3] = [minU, minV, maxU, maxV]
 * and the camera depth of its centre into out[4]. Returns false when no part of it is in front of the camera.
 */
export function projectBox(
  cam: PinholeModel,
  x: number,
  y: number,
  headingDeg: number,
  length: number,
  width: number,
  z0: number,
  z1: number,
  out: Float64Array,
): boolean {
  const r = headingDeg * DEG;
  const hx = Math.sin(r);
  const hy = Math.cos(r);
  // Lateral unit vector (to the right of the heading).
  const lx = hy;
  const ly = -hx;
  const f = cam.fwd;
  const ri = cam.right;
  const d = cam.down;
  let anyFront = false;
  let allFront = true;
  for (let c = 0; c < 8; c++) {
    const sl = c & 1 ? 0.5 : -0.5;
    const sw = c & 2 ? 0.5 : -0.5;
    const wx = x + sl * length * hx + sw * width * lx - cam.cx;
    const wy = y + sl * length * hy + sw * width * ly - cam.cy;
    const wz = (c & 4 ? z1 : z0) - cam.cz;
    const zc = wx * f[0] + wy * f[1] + wz * f[2];
    corner[3 * c] = wx * ri[0] + wy * ri[1] + wz * ri[2];
    corner[3 * c + 1] = wx * d[0] + wy * d[1] + wz * d[2];
    corner[3 * c + 2] = zc;
    if (zc >= NEAR) anyFront = true;
    else allFront = false;
  }
  if (!anyFront) return false;
  bMinU = Number.POSITIVE_INFINITY;
  bMinV = Number.POSITIVE_INFINITY;
  bMaxU = Number.NEGATIVE_INFINITY;
  bMaxV = Number.NEGATIVE_INFINITY;
  const fo = cam.focal;
  for (let c = 0; c < 8; c++) {
    if (corner[3 * c + 2] >= NEAR) take(fo, corner[3 * c], corner[3 * c + 1], corner[3 * c + 2]);
  }
  if (!allFront) {
    // Near-plane clipping: where an edge crosses z = NEAR.
    for (let e = 0; e < 24; e += 2) {
      const p = 3 * EDGES[e];
      const q = 3 * EDGES[e + 1];
      const zp = corner[p + 2];
      const zq = corner[q + 2];
      if (zp >= NEAR !== zq >= NEAR) {
        const s = (NEAR - zp) / (zq - zp);
        take(fo, corner[p] + s * (corner[q] - corner[p]), corner[p + 1] + s * (corner[q + 1] - corner[p + 1]), NEAR);
      }
    }
  }
  const w2 = cam.width / 2;
  const h2 = cam.height / 2;
  out[0] = bMinU + w2;
  out[1] = bMinV + h2;
  out[2] = bMaxU + w2;
  out[3] = bMaxV + h2;
  const zh = (z0 + z1) / 2 - cam.cz;
  out[4] = (x - cam.cx) * f[0] + (y - cam.cy) * f[1] + zh * f[2];
  return true;
}
