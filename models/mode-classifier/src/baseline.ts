/**
 * Baseline: the majority vote over the detector classes of a track, mapped to a mode
 * (person→pedestrian, bicycle→bicycle, car→car, motorcycle→motorcycle, bus→bus, truck→truck).
 * It can never answer `van`. A track without votes is called `car` (the most frequent mode).
 */
import { DETECTOR_CLASSES, FEATURE_COUNT, MODES, type Mode, VOTE_FEATURE_OFFSET } from '@passage/core';

const DETECTOR_TO_MODE: Readonly<Record<(typeof DETECTOR_CLASSES)[number], Mode>> = {
  person: 'pedestrian',
  bicycle: 'bicycle',
  car: 'car',
  motorcycle: 'motorcycle',
  bus: 'bus',
  truck: 'truck',
};
const VOTE_TO_LABEL = DETECTOR_CLASSES.map((c) => MODES.indexOf(DETECTOR_TO_MODE[c]));
const NO_VOTES_LABEL = MODES.indexOf('car');

/** Baseline labels (indices into `MODES`) for `n` feature rows. */
export function majorityVoteBaseline(features: Float32Array, n: number): Uint8Array {
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    const o = i * FEATURE_COUNT + VOTE_FEATURE_OFFSET;
    let best = -1;
    let bestV = 0;
    for (let k = 0; k < DETECTOR_CLASSES.length; k++) {
      if (features[o + k] > bestV) {
        bestV = features[o + k];
        best = k;
      }
    }
    out[i] = best < 0 ? NO_VOTES_LABEL : VOTE_TO_LABEL[best];
  }
  return out;
}
