/**
 * Pinhole camera model shared by the scenario builder, the synthesiser and the evaluator.
 *
 * World: local metres, x east, y north, z up. Camera at (x, y, mountingHeightM), yaw = headingDeg (0 = north,
 * clockwise), pitch = tiltDeg down from horizontal, no roll. Image: u to the right, v down, pixel (0,0) is the
 * top-left corner of the image, principal point at (width/2, height/2), square pixels, focal length
 * f = (width/2) / tan(hfov/2) pixels, no lens distortion.
 */
export interface PinholeCamera {
  /** Camera position in local metres. */
  x: number;
  y: number;
  mountingHeightM: number;
  headingDeg: number;
  tiltDeg: number;
  hfovDeg: number;
  width: number;
  height: number;
}

const DEG = Math.PI / 180;

interface Basis {
  f: [number, number, number];
  r: [number, number, number];
  d: [number, number, number];
  focal: number;
}

function basis(cam: PinholeCamera): Basis {
  const yaw = cam.headingDeg * DEG;
  const pitch = cam.tiltDeg * DEG;
  const f: [number, number, number] = [
    Math.sin(yaw) * Math.cos(pitch),
    Math.cos(yaw) * Math.cos(pitch),
    -Math.sin(pitch),
  ];
  const r: [number, number, number] = [Math.cos(yaw), -Math.sin(yaw), 0];
  // down = forward × right
  const d: [number, number, number] = [f[1] * r[2] - f[2] * r[1], f[2] * r[0] - f[0] * r[2], f[0] * r[1] - f[1] * r[0]];
  return { f, r, d, focal: focalLengthPx(cam) };
}

export function focalLengthPx(cam: PinholeCamera): number {
  return cam.width / 2 / Math.tan((cam.hfovDeg * DEG) / 2);
}

/** Vertical field of view (degrees) implied by hfov and the aspect ratio. */
export function vfovDeg(cam: PinholeCamera): number {
  return (2 * Math.atan(cam.height / 2 / focalLengthPx(cam))) / DEG;
}

/**
 * Projects a world point (local metres, z up) to image pixels. Returns null when the point is behind the
 * camera (depth ≤ 0). The result may lie outside [0,width]×[0,height]: check with `inImage`.
 */
export function projectToImage(cam: PinholeCamera, x: number, y: number, z = 0): [number, number] | null {
  const b = basis(cam);
  const p = [x - cam.x, y - cam.y, z - cam.mountingHeightM];
  const zc = p[0] * b.f[0] + p[1] * b.f[1] + p[2] * b.f[2];
  if (zc <= 1e-9) return null;
  const xc = p[0] * b.r[0] + p[1] * b.r[1] + p[2] * b.r[2];
  const yc = p[0] * b.d[0] + p[1] * b.d[1] + p[2] * b.d[2];
  return [cam.width / 2 + (b.focal * xc) / zc, cam.height / 2 + (b.focal * yc) / zc];
}

/** Ground point (z = 0, local metres) seen at pixel (u, v), or null when the ray does not hit the ground. */
export function imageToGround(cam: PinholeCamera, u: number, v: number): [number, number] | null {
  const b = basis(cam);
  const a = (u - cam.width / 2) / b.focal;
  const c = (v - cam.height / 2) / b.focal;
  const dir = [b.f[0] + a * b.r[0] + c * b.d[0], b.f[1] + a * b.r[1] + c * b.d[1], b.f[2] + a * b.r[2] + c * b.d[2]];
  if (dir[2] >= -1e-9) return null;
  const s = cam.mountingHeightM / -dir[2];
  return [cam.x + s * dir[0], cam.y + s * dir[1]];
}

export function inImage(cam: PinholeCamera, uv: [number, number] | null, marginPx = 0): boolean {
  return (
    uv !== null &&
    uv[0] >= marginPx &&
    uv[0] <= cam.width - marginPx &&
    uv[1] >= marginPx &&
    uv[1] <= cam.height - marginPx
  );
}
