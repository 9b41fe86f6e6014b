import { describe, expect, it } from 'vitest';
import { focalLengthPx, imageToGround, inImage, type PinholeCamera, projectToImage, vfovDeg } from './camera.ts';
import { toLocal, toLonLat } from './geo.ts';

const cam: PinholeCamera = {
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
    const north: PinholeCamera = { ...cam, x: 0, y: 0, headingDeg: 0 };
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

describe('equirectangular projection', () => {
  it('round-trips and has the documented scale', () => {
    const o = { lon: 1.4875, lat: 48.4477 };
    const [lon, lat] = toLonLat(o, 1000, -500);
    const [x, y] = toLocal(o, lon, lat);
    expect(x).toBeCloseTo(1000, 1);
    expect(y).toBeCloseTo(-500, 1);
    // 1° of latitude = R·π/180 ≈ 111 195 m.
    expect(toLocal(o, o.lon, o.lat + 1)[1]).toBeCloseTo(111195.08, 2);
  });
});
