import { FEATURE_COUNT, FEATURE_NAMES, type FinishedRoadUser } from '@passage/core';
import { describe, expect, it } from 'vitest';
import { applyCameraSizes, type CameraTrack } from './scenario-features.ts';

const k = (name: string): number => FEATURE_NAMES.indexOf(name as (typeof FEATURE_NAMES)[number]);

/** A finished track of `cameraId`: ground size, car vote share, crossing or not, rider or not. */
function track(cameraId: string, widthM: number, heightM: number, voteCar: number, counted = true, rider = false) {
  const features = new Float32Array(FEATURE_COUNT);
  features[k('width_m')] = widthM;
  features[k('height_m')] = heightM;
  features[k('vote_car')] = voteCar;
  // As computeTrackFeatures leaves them: the size over the prior (a sentinel here, to see what is rewritten).
  features[k('width_rel')] = -1;
  features[k('height_rel')] = -1;
  const user = { rider, features, summary: { crossings: counted ? [{}] : [], movement: undefined } };
  return { cameraId, user: user as unknown as FinishedRoadUser } satisfies CameraTrack;
}

describe('applyCameraSizes (the worker’s width_rel / height_rel in the training files)', () => {
  it('sizes each counted track against its camera’s earlier car-voted tracks, skipping riders and uncounted tracks', () => {
    const first = track('a', 4.01, 2.01, 1);
    const rider = track('a', 8, 4, 1, true, true);
    const uncounted = track('a', 8, 4, 1, false);
    const later = track('a', 3, 1.5, 0);
    const other = track('b', 4.56, 2.3, 0);
    const kept = applyCameraSizes([first, rider, uncounted, later, other]);
    expect(kept).toEqual([first, later, other]);
    // First car of camera a: against the prior 3.8 × 2.3 m.
    expect(first.user.features[k('width_rel')]).toBeCloseTo(4.01 / 3.8, 5); // 1.055263
    expect(first.user.features[k('height_rel')]).toBeCloseTo(2.01 / 2.3, 5); // 0.873913
    // Riders and tracks without a crossing get no mode: untouched, and not in the reference.
    expect(rider.user.features[k('width_rel')]).toBe(-1);
    expect(uncounted.user.features[k('height_rel')]).toBe(-1);
    // Reference after one car: median of its 0.02 m bin (4.00–4.02 → 4.01; 2.00–2.02 → 2.01) shrunk to the prior
    // by 10 pseudo-tracks: (4.01 + 10 × 3.8) / 11 = 3.819091 m, (2.01 + 10 × 2.3) / 11 = 2.273636 m.
    expect(later.user.features[k('width_rel')]).toBeCloseTo(3 / 3.819091, 5); // 0.785527
    expect(later.user.features[k('height_rel')]).toBeCloseTo(1.5 / 2.273636, 5); // 0.659736
    // Another camera starts from the prior.
    expect(other.user.features[k('width_rel')]).toBeCloseTo(1.2, 5);
    expect(other.user.features[k('height_rel')]).toBeCloseTo(1, 5);
  });
});
