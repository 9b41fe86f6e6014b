import { makeLocalFrame, type SimContext } from '@passage/sim';
import { describe, expect, it } from 'vitest';
import { varyCameras } from './camera-variants.ts';

// A one-camera world (what varyCameras reads: the local frame and the scenario's cameras).
const origin = { lon: 1.3656, lat: 48.7366 };
const frame = makeLocalFrame(origin);
const camera = {
  id: 'cam',
  siteId: 'site',
  name: 'cam',
  position: { lon: origin.lon, lat: origin.lat },
  mountingHeightM: 8,
  headingDeg: 45,
  tiltDeg: 20,
  hfovDeg: 90,
  width: 1920,
  height: 1080,
  fps: 10,
  calibration: [],
  lines: [],
  zones: [],
};
const ctx = {
  scenario: { origin, cameras: [camera, { ...camera, id: 'cam2' }], counters: [], sightingSites: [] },
  frame,
} as unknown as SimContext;

describe('varyCameras', () => {
  it('the default ranges are the training variants: same seed, same cameras, draw for draw', () => {
    const a = varyCameras(ctx, 5001).scenario.cameras;
    const b = varyCameras(ctx, 5001, { heightM: [4, 10], hfovDeg: [60, 110] }).scenario.cameras;
    expect(b).toEqual(a);
    for (const c of a) {
      expect(c.mountingHeightM).toBeGreaterThanOrEqual(4);
      expect(c.mountingHeightM).toBeLessThanOrEqual(10);
      expect(c.calibration.length).toBeGreaterThanOrEqual(4);
    }
  });

  it('narrowed ranges (diagnosis): low masts, narrow lenses, 5 fps only', () => {
    const cams = varyCameras(ctx, 9102, { heightM: [4, 6], hfovDeg: [60, 80], fps: [5] }).scenario.cameras;
    for (const c of cams) {
      expect(c.mountingHeightM).toBeGreaterThanOrEqual(4);
      expect(c.mountingHeightM).toBeLessThanOrEqual(6);
      expect(c.hfovDeg).toBeGreaterThanOrEqual(60);
      expect(c.hfovDeg).toBeLessThanOrEqual(80);
      expect(c.fps).toBe(5);
    }
    expect(cams.map((c) => c.mountingHeightM)).not.toEqual(
      varyCameras(ctx, 9102).scenario.cameras.map((c) => c.mountingHeightM),
    );
  });
});
