/**
 * Seeded sampling for the training tooling, over the project's one PRNG (`mulberry32` of `@passage/core/prng`).
 */
import { mulberry32 } from '@passage/core/prng';

/** Uniform [0, 1) draws with a standard-normal sampler (Box–Muller) on the same stream. */
export interface Sampler {
  uniform(): number;
  /** Uniform in [lo, hi). */
  range(lo: number, hi: number): number;
  /** Integer in [0, n). */
  int(n: number): number;
  /** Normal N(mean, sd). */
  normal(mean?: number, sd?: number): number;
}

export function sampler(seed: number): Sampler {
  const uniform = mulberry32(seed);
  return {
    uniform,
    range: (lo, hi) => lo + (hi - lo) * uniform(),
    int: (n) => Math.floor(uniform() * n),
    normal: (mean = 0, sd = 1) =>
      mean + sd * Math.sqrt(-2 * Math.log(1 - uniform())) * Math.cos(2 * Math.PI * uniform()),
  };
}

/** Fisher–Yates shuffle in place, seeded. */
export function shuffleInPlace<T extends { length: number; [i: number]: number }>(a: T, seed: number): T {
  const uniform = mulberry32(seed);
  for (let i = a.length - 1; i > 0; i--) {
    const j = Math.floor(uniform() * (i + 1));
    const t = a[i];
    a[i] = a[j];
    a[j] = t;
  }
  return a;
}
