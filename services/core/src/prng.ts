/**
 * The one module of seeded pseudo-random numbers of Passage (tests, benches, the simulator, model tooling). Never
 * `Math.random`: every synthetic stream is reproducible from a seed. Not for anything secret (tokens and keys use
 * node:crypto).
 *
 * - `mulberry32(seed)`: a small, fast generator (uniform in [0, 1)); `createRng(seed, label)` wraps it with the
 *   sampling helpers the SUMO world builder uses (`Sampler`).
 * - `Rng`: sfc32 (128-bit state, passes PractRand) seeded through splitmix32, with `Rng.keyed(...)` /
 *   `mixSeed(...)` / `hashUniform(...)` so that a stream keyed by (camera, frame) or (agent, site) stays identical
 *   whatever the iteration order around it: the sensor synthesiser and the replay use it.
 * Both generators stay because the committed scenarios' synthesised streams (and every figure measured on them)
 * are defined by them; they share the sampling helpers below.
 */

/** Index drawn from unnormalised weights with one uniform draw `u` in [0, 1). */
export function weightedIndex(weights: ReadonlyArray<number>, u: number): number {
  let total = 0;
  for (const w of weights) total += w;
  let r = u * total;
  for (let i = 0; i < weights.length; i++) {
    r -= weights[i];
    if (r < 0) return i;
  }
  return weights.length - 1;
}

/** Mulberry32: uniform in [0, 1) from a 32-bit seed. */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** 32-bit FNV-1a hash of a string. */
export function hashString(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** One round of the murmur3 finaliser: a good 32-bit avalanche. */
function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** Derive a 32-bit seed from a seed and any number of keys (integers or strings). Order matters. */
export function mixSeed(...parts: ReadonlyArray<number | string>): number {
  let h = 0x9e3779b9;
  for (const p of parts) {
    const v = typeof p === 'string' ? hashString(p) : (p >>> 0) ^ Math.floor(p / 4294967296);
    h = fmix32((h ^ v) + 0x9e3779b9 + (h << 6) + (h >>> 2));
  }
  return h >>> 0;
}

/** A uniform number in [0, 1) from a seed and keys, without allocating a generator. */
export function hashUniform(...parts: ReadonlyArray<number | string>): number {
  return mixSeed(...parts) / 4294967296;
}

/** sfc32 generator. Cheap to create: make one per (camera, frame) or (agent, site) when order must not matter. */
export class Rng {
  private a: number;
  private b: number;
  private c: number;
  private d: number;
  private spare = Number.NaN;

  constructor(seed: number) {
    // splitmix32 expands the 32-bit seed into the 128-bit state.
    let s = seed >>> 0;
    const next = (): number => {
      s = (s + 0x9e3779b9) >>> 0;
      let z = s;
      z = Math.imul(z ^ (z >>> 16), 0x21f0aaad);
      z = Math.imul(z ^ (z >>> 15), 0x735a2d97);
      return (z ^ (z >>> 15)) >>> 0;
    };
    this.a = next();
    this.b = next();
    this.c = next();
    this.d = next();
    for (let i = 0; i < 12; i++) this.nextUint32();
  }

  /** Generator keyed by a seed and keys (see `mixSeed`). */
  static keyed(...parts: ReadonlyArray<number | string>): Rng {
    return new Rng(mixSeed(...parts));
  }

  nextUint32(): number {
    const t = (((this.a + this.b) | 0) + this.d) | 0;
    this.d = (this.d + 1) | 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) | 0;
    this.c = (this.c << 21) | (this.c >>> 11);
    this.c = (this.c + t) | 0;
    return t >>> 0;
  }

  /** Uniform in [0, 1). */
  next(): number {
    return this.nextUint32() / 4294967296;
  }

  /** Uniform in [lo, hi). */
  uniform(lo: number, hi: number): number {
    return lo + (hi - lo) * this.next();
  }

  /** Integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.next() * n);
  }

  /** true with probability p. */
  chance(p: number): boolean {
    return this.next() < p;
  }

  /** Standard normal (Box–Muller, the second value cached). */
  normal(): number {
    if (!Number.isNaN(this.spare)) {
      const v = this.spare;
      this.spare = Number.NaN;
      return v;
    }
    let u = this.next();
    while (u <= 1e-12) u = this.next();
    const v = this.next();
    const r = Math.sqrt(-2 * Math.log(u));
    this.spare = r * Math.sin(2 * Math.PI * v);
    return r * Math.cos(2 * Math.PI * v);
  }

  /** Poisson-distributed integer (Knuth; meant for small means). */
  poisson(mean: number): number {
    if (mean <= 0) return 0;
    const l = Math.exp(-mean);
    let k = 0;
    let p = this.next();
    while (p > l) {
      k++;
      p *= this.next();
    }
    return k;
  }

  /** Exponential with the given mean. */
  exponential(mean: number): number {
    return -mean * Math.log(1 - this.next());
  }

  /** One element picked uniformly. */
  pick<T>(items: ReadonlyArray<T>): T {
    return items[this.int(items.length)];
  }

  /** Index drawn from unnormalised weights. */
  weighted(weights: ReadonlyArray<number>): number {
    return weightedIndex(weights, this.next());
  }

  /** In-place Fisher–Yates shuffle. */
  shuffle<T>(items: T[]): T[] {
    for (let i = items.length - 1; i > 0; i--) {
      const j = this.int(i + 1);
      const tmp = items[i];
      items[i] = items[j];
      items[j] = tmp;
    }
    return items;
  }
}

/** Sampling helpers over one uniform stream (the SUMO world builder's randomness). */
export interface Sampler {
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

/** Derives an independent stream from a seed and a label (FNV-1a of the label mixed into the seed). */
export function deriveSeed(seed: number, label: string): number {
  let h = 0x811c9dc5 ^ (seed >>> 0);
  for (let i = 0; i < label.length; i++) {
    h ^= label.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}

/** A `Sampler` over mulberry32, seeded by `seed` (and `label`, see `deriveSeed`). */
export function createRng(seed: number, label = ''): Sampler {
  const u = mulberry32(label ? deriveSeed(seed, label) : seed);
  const rng: Sampler = {
    next: u,
    int: (n) => Math.floor(u() * n),
    range: (a, b) => a + (b - a) * u(),
    chance: (p) => u() < p,
    weighted: (weights) => weightedIndex(weights, u()),
    normal(mean, sd) {
      const u1 = Math.max(u(), 1e-12);
      const u2 = u();
      return mean + sd * Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
    },
    pick: (items) => items[Math.floor(u() * items.length)],
  };
  return rng;
}
