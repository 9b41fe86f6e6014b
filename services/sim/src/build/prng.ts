/** Seeded PRNG (mulberry32) and small sampling helpers. Everything random in a scenario comes from here. */
import { mulberry32 } from '@passage/core/prng';
export interface Rng {
  /** Uniform in [0, 1). */
  next(): number;
  /** Uniform integer in [0, n). */
  int(n: number): number;
  /** Uniform in [a, b). */
  range(a: number, b: number): number;
  /** True with probability p. */
  chance(p: number): boolean;
  /** Index drawn with probability proportional to weights[i]. */
  weighted(weights: readonly number[]): number;
  /** Normal(mean, sd) by Box–Muller. */
  normal(mean: number, sd: number): number;
  pick<T>(items: readonly T[]): T;
}

export { mulberry32 };

/** Derives an independent stream from a seed and a label (FNV-1a of the label mixed into the seed). */
export function deriveSeed(seed: number, label: string): number {
  let h = 0x811c9dc5 ^ (seed >>> 0);
  for (let i = 0; i < label.length; i++) {
    h ^= label.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}

export function createRng(seed: number, label = ''): Rng {
  const u = mulberry32(label ? deriveSeed(seed, label) : seed);
  const rng: Rng = {
    next: u,
    int: (n) => Math.floor(u() * n),
    range: (a, b) => a + (b - a) * u(),
    chance: (p) => u() < p,
    weighted(weights) {
      let total = 0;
      for (const w of weights) total += w;
      let r = u() * total;
      for (let i = 0; i < weights.length; i++) {
        r -= weights[i];
        if (r < 0) return i;
      }
      return weights.length - 1;
    },
    normal(mean, sd) {
      const u1 = Math.max(u(), 1e-12);
      const u2 = u();
      return mean + sd * Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
    },
    pick: (items) => items[Math.floor(u() * items.length)],
  };
  return rng;
}
