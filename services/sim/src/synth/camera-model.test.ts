import { describe, expect, it } from 'vitest';
import { projectToImage } from '../build/camera.ts';
import { toLocal } from '../build/geo.ts';
import { makeLocalFrame } from '../geo.ts';
import { makePinhole, projectBox, projectPoint } from './camera-model.ts';

const spec = { x: -16, y: -16, mountingHeightM: 7, headingDeg: 45, tiltDeg: 22, hfovDeg: 90, width: 1280, height: 720 };

describe('pinhole camera', () => {
  const cam = makePinhole(spec);

  it('agrees with the scenario builder (build/camera.ts) to the micro-pixel', () => {
    for (const [x, y, z] of [
      [0, 0, 0],
      [10, 5, 1.5],
      [-3, 20, 0],
      [25, -4, 3],
    ]) {
      const [u, v] = projectPoint(cam, x, y, z);
      const ref = projectToImage(spec, x, y, z);
      expect(ref).not.toBeNull();
      expect(u).toBeCloseTo(ref?.[0] ?? 0, 6);
      expect(v).toBeCloseTo(ref?.[1] ?? 0, 6);
    }
  });

  it('uses the same local frame as the builder', () => {
    const origin = { lon: 1.4875, lat: 48.4477 };
    const mine = makeLocalFrame(origin).toLocal([1.49, 48.45]);
    const his = toLocal(origin, 1.49, 48.45);
    expect(mine[0]).toBeCloseTo(his[0], 9);
    expect(mine[1]).toBeCloseTo(his[1], 9);
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
