/**
 * Randomised detector conventions for training: a convention drawn from a seed, over the ways real edge detectors
 * differ (`DetectorConventionSpec` of `@passage/sim`): rider and two-wheeler in one box or two; how vans are named
 * (anywhere from almost always `car` to almost always `truck`: no detector class says `van`, so the model must
 * learn vans from ground-plane size and shape, not from the vote); bicycle ↔ motorcycle and cyclist → `person`
 * confusion; trucks as `bus`/`car`, buses as `truck`; and score distributions from over-confident to shifted well
 * below the default (`s × scale + shift`, scale 0.65–1.05, shift −0.15–+0.05). The ranges are broad priors, not
 * fitted to any world; the held-out world is never read.
 */
import type { DetectorConventionSpec } from '@passage/sim';
import { sampler } from './sampling.ts';

const PRESETS = ['coco-separate', 'merged-riders', 'low-score', 'merged-confused'] as const;

const round = (v: number): number => Math.round(v * 1000) / 1000;

/** The convention of seed `seed` (deterministic). */
export function randomDetectorConvention(seed: number): DetectorConventionSpec {
  const r = sampler(seed);
  const vanCar = r.range(0.05, 0.95);
  const bikeAsMoto = r.range(0, 0.3);
  const bikeAsPerson = r.range(0, 0.15);
  const motoAsBike = r.range(0, 0.3);
  const carAsTruck = r.range(0, 0.06);
  const truckAsBus = r.range(0, 0.2);
  const truckAsCar = r.range(0, 0.15);
  const busAsTruck = r.range(0, 0.2);
  return {
    preset: PRESETS[r.int(PRESETS.length)],
    riders: r.uniform() < 0.5 ? 'merged' : 'separate',
    labels: {
      pedestrian: { baseScore: round(r.range(0.7, 0.86)) },
      'bicycle:bike': {
        labels: ['bicycle', 'motorcycle', 'person'],
        weights: [round(1 - bikeAsMoto - bikeAsPerson), round(bikeAsMoto), round(bikeAsPerson)],
        baseScore: round(r.range(0.66, 0.8)),
      },
      'motorcycle:bike': {
        labels: ['motorcycle', 'bicycle'],
        weights: [round(1 - motoAsBike), round(motoAsBike)],
        baseScore: round(r.range(0.7, 0.82)),
      },
      car: { labels: ['car', 'truck'], weights: [round(1 - carAsTruck), round(carAsTruck)] },
      van: {
        labels: ['car', 'truck'],
        weights: [round(vanCar), round(1 - vanCar)],
        flicker: round(r.range(0.04, 0.12)),
      },
      truck: {
        labels: ['truck', 'bus', 'car'],
        weights: [round(1 - truckAsBus - truckAsCar), round(truckAsBus), round(truckAsCar)],
      },
      bus: { labels: ['bus', 'truck'], weights: [round(1 - busAsTruck), round(busAsTruck)] },
    },
    scoreScale: round(r.range(0.65, 1.05)),
    scoreShift: round(r.range(-0.15, 0.05)),
  };
}
