import { describe, expect, it } from 'vitest';
import { hashString, hashUniform, mixSeed, Rng } from './prng.ts';

describe('Rng', () => {
  it('is deterministic for a seed and differs between seeds', () => {
    const a = new Rng(42);
    const b = new Rng(42);
    const c = new Rng(43);
    const xa = Array.from({ length: 5 }, () => a.nextUint32());
    expect(Array.from({ length: 5 }, () => b.nextUint32())).toEqual(xa);
    expect(Array.from({ length: 5 }, () => c.nextUint32())).not.toEqual(xa);
  });

  it('gives uniform numbers with the right moments', () => {
    const r = new Rng(1);
    let s = 0;
    let s2 = 0;
    let n0 = 0;
    let nn = 0;
    let outside = 0;
    const N = 100_000;
    for (let i = 0; i < N; i++) {
      const u = r.next();
      if (u < 0 || u >= 1) outside++;
      s += u;
      const z = r.normal();
      n0 += z;
      nn += z * z;
      s2 += u * u;
    }
    expect(outside).toBe(0);
    expect(s / N).toBeCloseTo(0.5, 2);
    expect(s2 / N - (s / N) ** 2).toBeCloseTo(1 / 12, 2);
    expect(n0 / N).toBeCloseTo(0, 1);
    expect(nn / N).toBeCloseTo(1, 1);
  });

  it('draws Poisson counts with the requested mean', () => {
    const r = new Rng(9);
    let s = 0;
    for (let i = 0; i < 50_000; i++) s += r.poisson(2.5);
    expect(s / 50_000).toBeCloseTo(2.5, 1);
  });

  it('keys streams by parts, independent of call order', () => {
    expect(mixSeed(1, 'cam', 3)).toBe(mixSeed(1, 'cam', 3));
    expect(mixSeed(1, 'cam', 3)).not.toBe(mixSeed(1, 'cam', 4));
    expect(mixSeed(1, 2)).not.toBe(mixSeed(2, 1));
    expect(hashUniform(5, 'x')).toBe(hashUniform(5, 'x'));
    expect(hashString('abc')).toBe(0x1a47e90b);
  });
});
