/** @passage/sim: scenarios (SUMO builder), sensor synthesisers, ground truth and evaluation. */
export {
  focalLengthPx,
  imageToGround,
  inImage,
  makePinhole,
  type PinholeModel,
  type PinholeSpec,
  projectBox,
  projectPoint,
  projectToImage,
  vfovDeg,
} from './camera.ts';
export * from './eval/index.ts';
export * from './eval/store.ts';
export { type LocalFrame, type LonLat as LocalLonLat, makeLocalFrame } from './geo.ts';
export { hashUniform, mixSeed, Rng } from './prng.ts';
export * from './replay.ts';
export * from './signals/index.ts';
export * from './synth/index.ts';
export * from './truth/index.ts';
