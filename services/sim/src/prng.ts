/** Seeded pseudo-random numbers of the simulators: the one PRNG module lives in `@passage/core/prng`. */
export { hashString, hashUniform, mixSeed, Rng, weightedIndex } from '@passage/core/prng';
