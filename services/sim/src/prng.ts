/** Seeded pseudo-random numbers of the simulators: the one PRNG module lives in `@passage/core/prng`. */
export { hashString, hashUniform, mixSeed, Rng } from '@passage/core/prng';
