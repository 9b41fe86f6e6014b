import { describe, expect, it } from 'vitest';
import { groundBoxSize, pathLengthAndStraightness } from './ground-size.ts';
import {
  ACCEL_MIN_LAG_S,
  computeTrackFeatures,
  DETECTOR_CLASSES,
  detectorClassIndex,
  FEATURE_COUNT,
  FEATURE_NAMES,
  quantile,
  type TrackFeatureInput,
} from './track-features.ts';

const f = (name: (typeof FEATURE_NAMES)[number]): number => FEATURE_NAMES.indexOf(name);

function cyclist(): TrackFeatureInput {
  // 10 fps for 4 s, 41 samples: accelerating from 10 to 18 km/h, uniformly.
  const n = 41;
  const speeds = Array.from({ length: n }, (_, i) => 10 + (8 * i) / (n - 1));
  return {
    votes: new Float32Array([20, 18, 0, 3, 0, 0]),
    widthsM: [1.6, 1.7, 1.8, Number.NaN, 1.7],
    heightsM: [1.7, 1.8, 1.75],
    speedsKmh: speeds,
    aspects: [0.9, 1.0, 1.1],
    durationS: 4,
    nFrames: 41,
    pathLengthM: 15.6,
    straightness: 0.97,
    personBicycleShare: 0.6,
  };
}

describe('computeTrackFeatures', () => {
  it('has 20 documented features in a fixed order', () => {
    expect(FEATURE_COUNT).toBe(20);
    expect(FEATURE_NAMES.slice(18)).toEqual(['width_rel', 'height_rel']);
    expect(FEATURE_NAMES.slice(6, 12)).toEqual(DETECTOR_CLASSES.map((c) => `vote_${c}`));
  });

  it('computes medians, speed quantiles, acceleration, vote shares', () => {
    const v = computeTrackFeatures(cyclist());
    expect(v).toBeInstanceOf(Float32Array);
    expect(v[f('width_m')]).toBeCloseTo(1.7, 6); // NaN ignored, median of 4 values
    expect(v[f('height_m')]).toBeCloseTo(1.75, 6);
    expect(v[f('speed_median_kmh')]).toBeCloseTo(14, 5);
    expect(v[f('speed_p85_kmh')]).toBeCloseTo(10 + 8 * 0.85, 5);
    expect(v[f('speed_max_kmh')]).toBeCloseTo(18, 5);
    // 8 km/h in 4 s = 0.5556 m/s², constant.
    expect(v[f('accel_p85_ms2')]).toBeCloseTo(8 / 3.6 / 4, 5);
    expect(v[f('vote_person')]).toBeCloseTo(20 / 41, 6);
    expect(v[f('vote_bicycle')]).toBeCloseTo(18 / 41, 6);
    expect(v[f('vote_motorcycle')]).toBeCloseTo(3 / 41, 6);
    expect(v[f('vote_car')]).toBe(0);
    expect(v[f('person_bicycle_share')]).toBeCloseTo(0.6, 6);
    expect(v[f('aspect_median')]).toBeCloseTo(1.0, 6);
    expect(v[f('duration_s')]).toBe(4);
    expect(v[f('n_frames')]).toBe(41);
    expect(v[f('path_length_m')]).toBeCloseTo(15.6, 5);
    expect(v[f('straightness')]).toBeCloseTo(0.97, 6);
    // Against the prior reference car (3.8 m × 2.3 m) until the camera's own replaces it (camera-size.ts).
    expect(v[f('width_rel')]).toBeCloseTo(1.7 / 3.8, 6);
    expect(v[f('height_rel')]).toBeCloseTo(1.75 / 2.3, 6);
  });

  it('uses given sample times and lags of at least ACCEL_MIN_LAG_S', () => {
    // Speed jitters ±1 km/h frame to frame at 25 fps: per-frame differences would give 13.9 m/s².
    const n = 101;
    const speeds = Array.from({ length: n }, (_, i) => 30 + (i % 2 === 0 ? 1 : -1));
    const times = Array.from({ length: n }, (_, i) => i * 0.04);
    const v = computeTrackFeatures({ ...cyclist(), speedsKmh: speeds, timesS: times, durationS: 4 });
    expect(ACCEL_MIN_LAG_S).toBe(0.5);
    // Lag 0.52 s (13 frames, odd) → |Δv| = 2 km/h → 2 / 3.6 / 0.52 = 1.068 m/s².
    expect(v[f('accel_p85_ms2')]).toBeCloseTo(2 / 3.6 / 0.52, 4);
  });

  it('writes rows of a batch in place and gives zeros for empty input', () => {
    const batch = new Float32Array(3 * FEATURE_COUNT).fill(7);
    const empty: TrackFeatureInput = {
      votes: [0, 0, 0, 0, 0, 0],
      widthsM: [],
      heightsM: [],
      speedsKmh: [],
      aspects: [],
      durationS: 0,
      nFrames: 0,
      pathLengthM: 0,
      straightness: Number.NaN,
    };
    computeTrackFeatures(empty, batch, 1);
    expect(Array.from(batch.subarray(FEATURE_COUNT, 2 * FEATURE_COUNT))).toEqual(new Array(FEATURE_COUNT).fill(0));
    expect(batch[0]).toBe(7);
    expect(batch[2 * FEATURE_COUNT]).toBe(7);
    expect(() => computeTrackFeatures(empty, batch, 3)).toThrow(RangeError);
  });

  it('maps detector labels to vote slots', () => {
    expect(detectorClassIndex('person')).toBe(0);
    expect(detectorClassIndex('truck')).toBe(5);
    expect(detectorClassIndex('motorbike')).toBe(3);
    expect(detectorClassIndex('traffic light')).toBe(-1);
  });

  it('interpolates quantiles linearly', () => {
    expect(quantile([4, 1, 3, 2], 0.5)).toBe(2.5);
    expect(quantile([1, 2, 3, 4, 5], 0.85)).toBeCloseTo(4.4, 10);
    expect(quantile([], 0.5)).toBe(0);
  });
});

describe('groundBoxSize', () => {
  it('projects the bottom edge and scales the pixel height at the foot', () => {
    // Scale-only homography: 0.05 m per pixel → a 40×36 px box is 2 m wide and 1.8 m high.
    const H = [0.05, 0, 0, 0, 0.05, 0, 0, 0, 1];
    const [w, h] = groundBoxSize(H, 100, 200, 40, 36);
    expect(w).toBeCloseTo(2, 10);
    expect(h).toBeCloseTo(1.8, 10);
  });

  it('uses the scale at the foot under perspective', () => {
    // Ground y = 10 / (v - 100) metres ahead; x scale = 1/(v-100)·… (a pinhole camera over a flat road).
    const H = [1, 0, -320, 0, 0, 10, 0, 1, -100];
    const out = groundBoxSize(H, 300, 150, 40, 50); // foot row v = 200 → w = 100, x = (u-320)/100
    expect(out[0]).toBeCloseTo(0.4, 10);
    expect(out[1]).toBeCloseTo(0.5, 10);
    expect(Number.isNaN(groundBoxSize(H, 300, 50, 40, 50)[0])).toBe(true); // foot on the horizon (v = 100)
    expect(Number.isNaN(groundBoxSize(H, 300, 150, 0, 50)[1])).toBe(true); // no width
  });
});

describe('pathLengthAndStraightness', () => {
  it('measures an L-shaped path', () => {
    const [len, s] = pathLengthAndStraightness([0, 3, 3], [0, 0, 4]);
    expect(len).toBe(7);
    expect(s).toBeCloseTo(5 / 7, 10);
    expect(pathLengthAndStraightness([1], [1])[1]).toBe(1);
  });
});
