/** Seeded PRNG of the SUMO world builder: the one PRNG module lives in `@passage/core/prng`. */
export { createRng, deriveSeed, mulberry32, type Sampler as Rng } from '@passage/core/prng';
