import { describe, expect, it } from 'vitest';
import {
  focalLengthPx,
  imageToGround,
  inImage,
  makePinhole,
  type PinholeSpec,
  projectBox,
  projectPoint,
  projectToImage,
  vfovDeg,
} from './camera.ts';

const cam: PinholeSpec = {
  x: 10,
  y: -20,
  mountingHeightM: 7,
  headingDeg: 30,
  tiltDeg: 20,
  hfovDeg: 100,
  width: 1920,
  height: 1080,
};

describe('pinhole camera', () => {
  it('puts the point straight ahead on the principal point', () => {
    const d = 7 / Math.tan((20 * Math.PI) / 180);
    const a = (30 * Math.PI) / 180;
    const uv = projectToImage(cam, 10 + d * Math.sin(a), -20 + d * Math.cos(a), 0);
    expect(uv?.[0]).toBeCloseTo(960, 6);
    expect(uv?.[1]).toBeCloseTo(540, 6);
  });

  it('has f = (w/2)/tan(hfov/2), u to the right and v down', () => {
    expect(focalLengthPx(cam)).toBeCloseTo(960 / Math.tan((50 * Math.PI) / 180), 9);
    expect(vfovDeg(cam)).toBeCloseTo(67.67, 2);
    const north: PinholeSpec = { ...cam, x: 0, y: 0, headingDeg: 0 };
    const right = projectToImage(north, 5, 20, 0);
    const left = projectToImage(north, -5, 20, 0);
    const far = projectToImage(north, 0, 40, 0);
    const near = projectToImage(north, 0, 12, 0);
    expect(right?.[0]).toBeGreaterThan(960);
    expect(left?.[0]).toBeLessThan(960);
    expect(far?.[1]).toBeLessThan(near?.[1] ?? 0);
    // A point 1 m above the ground appears higher in the image.
    expect(projectToImage(north, 0, 20, 1)?.[1]).toBeLessThan(projectToImage(north, 0, 20, 0)?.[1] ?? 0);
  });

  it('imageToGround inverts projectToImage on the ground plane', () => {
    for (const [u, v] of [
      [100, 700],
      [960, 540],
      [1800, 1000],
      [400, 300],
    ]) {
      const g = imageToGround(cam, u, v);
      expect(g).not.toBeNull();
      const back = projectToImage(cam, g![0], g![1], 0);
      expect(back?.[0]).toBeCloseTo(u, 6);
      expect(back?.[1]).toBeCloseTo(v, 6);
    }
  });

  it('returns null behind the camera and above the horizon', () => {
    expect(projectToImage({ ...cam, headingDeg: 0, x: 0, y: 0 }, 0, -10, 0)).toBeNull();
    expect(imageToGround(cam, 960, 0)).toBeNull();
    expect(inImage(cam, [-1, 10])).toBe(false);
    expect(inImage(cam, [1, 10])).toBe(true);
  });
});

describe('pinhole camera: precomputed model and boxes (the synthesiser path)', () => {
  const spec = {
    x: -16,
    y: -16,
    mountingHeightM: 7,
    headingDeg: 45,
    tiltDeg: 22,
    hfovDeg: 90,
    width: 1280,
    height: 720,
  };
  const cam = makePinhole(spec);

  it('projectPoint gives the pixels of projectToImage and the depth along the optical axis', () => {
    const [u, v, depth] = projectPoint(cam, 10, 5, 1.5);
    expect([u, v]).toEqual(projectToImage(spec, 10, 5, 1.5));
    // (10, 5, 1.5) seen from (-16, -16, 7), heading 45°, tilt 22°: depth = p·f.
    const s = Math.SQRT1_2 * Math.cos((22 * Math.PI) / 180);
    expect(depth).toBeCloseTo(26 * s + 21 * s + 5.5 * Math.sin((22 * Math.PI) / 180), 9);
  });

  it('looks along its heading: the ground point straight ahead is on the vertical centre line', () => {
    const [u] = projectPoint(cam, 0, 0, 0); // (0,0) is at heading 45° from (-16,-16)
    expect(u).toBeCloseTo(640, 6);
  });

  it('bounds the projected corners of a box', () => {
    const out = new Float64Array(5);
    expect(projectBox(cam, 0, 0, 90, 4.4, 1.8, 0, 1.5, out)).toBe(true);
    for (const [dx, dy, z] of [
      [2.2, 0.9, 0],
      [-2.2, -0.9, 1.5],
      [2.2, -0.9, 1.5],
      [-2.2, 0.9, 0],
    ]) {
      const [u, v] = projectPoint(cam, dx, dy, z); // heading 90° = east: length along x
      expect(u).toBeGreaterThanOrEqual(out[0] - 1e-9);
      expect(u).toBeLessThanOrEqual(out[2] + 1e-9);
      expect(v).toBeGreaterThanOrEqual(out[1] - 1e-9);
      expect(v).toBeLessThanOrEqual(out[3] + 1e-9);
    }
    // A car 23 m away at 640 px focal length: roughly 4.4 m × 640 / 23 ≈ 120 px wide.
    expect(out[2] - out[0]).toBeGreaterThan(80);
    expect(out[2] - out[0]).toBeLessThan(200);
  });

  it('rejects boxes behind the camera and clips boxes crossing the near plane', () => {
    const out = new Float64Array(5);
    expect(projectBox(cam, -30, -30, 0, 4, 2, 0, 1.5, out)).toBe(false);
    // A bus passing right under the camera: partly behind it, still projected (clipped at the near plane).
    expect(projectBox(cam, -16, -16, 45, 12, 2.5, 0, 3, out)).toBe(true);
    expect(Number.isFinite(out[0]) && Number.isFinite(out[3])).toBe(true);
  });
});
