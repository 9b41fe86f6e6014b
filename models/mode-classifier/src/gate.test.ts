/**
 * The gate between the model and the detector vote (fallback rules, OOD), and the calibration helpers
 * (temperature fit, ECE), on hand-made rows with known answers.
 */
import { FEATURE_COUNT, MODES, type Mode, VOTE_FEATURE_OFFSET } from '@passage/core';
import { mulberry32 } from '@passage/core/prng';
import { describe, expect, it } from 'vitest';
import {
  applyTemperature,
  DEFAULT_GATE,
  decideModes,
  expectedCalibrationError,
  fitCountOffsets,
  fitOod,
  fitTemperature,
  type GateParams,
  gateToJson,
  temperedNll,
} from './gate.ts';

/** Seeded uniform and standard-normal (Box–Muller) draws over core's PRNG. */
function draws(seed: number) {
  const uniform = mulberry32(seed);
  return { uniform, normal: () => Math.sqrt(-2 * Math.log(1 - uniform())) * Math.cos(2 * Math.PI * uniform()) };
}
type Rng = ReturnType<typeof draws>;

const K = MODES.length;
const idx = (m: Mode): number => MODES.indexOf(m);
const VOTE_CLASS: Record<string, number> = { pedestrian: 0, bicycle: 1, car: 2, motorcycle: 3, bus: 4, truck: 5 };

/** A feature row with a typical size/speed for `mode` and all detector votes for `vote`. */
function row(mode: Mode, vote: Mode | null, rng: Rng): number[] {
  const base: Record<Mode, [number, number, number]> = {
    pedestrian: [0.6, 1.7, 5],
    bicycle: [0.7, 1.7, 16],
    motorcycle: [0.9, 1.6, 35],
    car: [1.8, 1.5, 35],
    van: [2, 2.2, 33],
    truck: [2.4, 3.2, 30],
    bus: [2.5, 3.1, 28],
  };
  const [w, h, v] = base[mode];
  const f = new Array<number>(FEATURE_COUNT).fill(0);
  f[0] = w * (1 + 0.05 * rng.normal());
  f[1] = h * (1 + 0.05 * rng.normal());
  f[2] = v * (1 + 0.1 * rng.normal());
  f[3] = f[2] * 1.1;
  f[4] = f[2] * 1.3;
  f[5] = 0.5 + 0.1 * rng.normal();
  if (vote) f[VOTE_FEATURE_OFFSET + VOTE_CLASS[vote]] = 1;
  f[13] = w / h;
  f[14] = 5 + rng.normal();
  f[15] = 50 + 5 * rng.normal();
  f[16] = 30 + 3 * rng.normal();
  f[17] = 0.95;
  return f;
}

function probsRow(p: Partial<Record<Mode, number>>): number[] {
  const out = new Array<number>(K).fill(0);
  let rest = 1;
  for (const [m, v] of Object.entries(p)) {
    out[idx(m as Mode)] = v as number;
    rest -= v as number;
  }
  // Spread what is left over the other classes.
  const others = MODES.filter((m) => p[m] === undefined);
  for (const m of others) out[idx(m)] = rest / others.length;
  return out;
}

describe('decideModes (the gate)', () => {
  const rng = draws(5);
  const gate: GateParams = { ...DEFAULT_GATE, minConfidence: 0.5, twoWheelerConfidence: 0.85, ood: null };
  const decide = (g: GateParams, rows: number[][], probs: number[][]) =>
    decideModes(g, Float32Array.from(rows.flat()), Float32Array.from(probs.flat()), rows.length);

  it('keeps the model when it agrees with the vote, or the track has no vote', () => {
    const r = decide(
      gate,
      [row('car', 'car', rng), row('van', null, rng)],
      [probsRow({ car: 0.4 }), probsRow({ van: 0.3 })],
    );
    expect(Array.from(r.labels, (l) => MODES[l])).toEqual(['car', 'van']);
    expect(r.sources).toEqual(['agree', 'model']);
  });

  it('overrules the vote only with confidence ≥ minConfidence', () => {
    const rows = [row('van', 'car', rng), row('van', 'car', rng)];
    const r = decide(gate, rows, [probsRow({ van: 0.49, car: 0.45 }), probsRow({ van: 0.51, car: 0.45 })]);
    expect(Array.from(r.labels, (l) => MODES[l])).toEqual(['car', 'van']);
    expect(r.sources).toEqual(['vote-low-confidence', 'model']);
    expect(Array.from(r.modelLabels, (l) => MODES[l])).toEqual(['van', 'van']);
  });

  it('turns a bicycle vote into motorcycle only at twoWheelerConfidence (the reverse at minConfidence)', () => {
    const rows = [row('bicycle', 'bicycle', rng), row('bicycle', 'bicycle', rng), row('motorcycle', 'motorcycle', rng)];
    const r = decide(gate, rows, [
      probsRow({ motorcycle: 0.8 }),
      probsRow({ motorcycle: 0.9 }),
      probsRow({ bicycle: 0.6 }),
    ]);
    expect(Array.from(r.labels, (l) => MODES[l])).toEqual(['bicycle', 'motorcycle', 'bicycle']);
    expect(r.sources).toEqual(['vote-two-wheeler', 'model', 'model']);
  });

  it("keeps the model's label under minConfidence when its group (pedestrian | two-wheeler | motor) is confident and the vote's is not", () => {
    const rows = [
      row('motorcycle', 'pedestrian', rng), // two-wheeler 0.45 + 0.40 = 0.85 ≥ 0.5: the person vote is unlikely
      row('bicycle', 'pedestrian', rng), // two-wheeler 0.30 + 0.15 = 0.45 < 0.5: the vote stands
      row('van', 'pedestrian', rng), // motor 0.45 + 0.30 + 2 × 0.05 = 0.85: the model's car
      row('motorcycle', 'bicycle', rng), // same group as the vote: the vote stands (0.45 < 0.5)
    ];
    const r = decide(gate, rows, [
      probsRow({ bicycle: 0.45, motorcycle: 0.4 }),
      probsRow({ bicycle: 0.3, motorcycle: 0.15 }),
      probsRow({ car: 0.45, van: 0.3 }),
      probsRow({ motorcycle: 0.45, bicycle: 0.4 }),
    ]);
    expect(Array.from(r.labels, (l) => MODES[l])).toEqual(['bicycle', 'pedestrian', 'car', 'bicycle']);
    expect(r.sources).toEqual(['model-group', 'vote-low-confidence', 'model-group', 'vote-low-confidence']);
  });

  it('falls back to the vote on out-of-distribution tracks (class-conditional Mahalanobis, z range)', () => {
    const train: number[][] = [];
    const labels: number[] = [];
    for (let i = 0; i < 1400; i++) {
      const m = MODES[i % K];
      train.push(row(m, m === 'van' ? 'car' : m, rng));
      labels.push(idx(m));
    }
    const ood = fitOod(Float32Array.from(train.flat()), labels, train.length, { quantile: 0.99 });
    const g = { ...gate, ood };
    // In distribution: a van with van-like features; out: a "van" of bicycle size and speed; far out: 40 m wide.
    const inside = row('van', 'car', rng);
    const bikeSized = row('bicycle', 'car', rng);
    const huge = row('van', 'car', rng);
    huge[0] = 40;
    const p = probsRow({ van: 0.95 });
    const r = decide(g, [inside, bikeSized, huge], [p, p, p]);
    expect(r.sources).toEqual(['model', 'vote-ood', 'vote-ood']);
    expect(Array.from(r.labels, (l) => MODES[l])).toEqual(['van', 'car', 'car']);
    // About 1 % of the training rows of each class are beyond its threshold (quantile 0.99).
    const all = decide(
      g,
      train,
      labels.map((l) => probsRow({ [MODES[l]]: 0.99 })),
    );
    const flagged = all.sources.filter((s) => s === 'vote-ood').length;
    expect(flagged).toBeLessThan(0.02 * train.length);
    // Serialised and read back the gate gives the same decisions.
    const back = JSON.parse(gateToJson(g)) as GateParams;
    expect(decide(back, [inside, bikeSized, huge], [p, p, p]).sources).toEqual(r.sources);
  });
});

describe('calibration', () => {
  /** Labels drawn from true probabilities; the model reports them sharpened (overconfident) by 1/T. */
  function overconfident(n: number, t: number, seed: number) {
    const rng = draws(seed);
    const truthProbs = new Float32Array(n * K);
    const labels = new Uint8Array(n);
    for (let i = 0; i < n; i++) {
      let s = 0;
      for (let j = 0; j < K; j++) {
        truthProbs[i * K + j] = Math.exp(2 * rng.normal());
        s += truthProbs[i * K + j];
      }
      for (let j = 0; j < K; j++) truthProbs[i * K + j] /= s;
      let u = rng.uniform();
      let c = 0;
      while (c < K - 1 && u >= truthProbs[i * K + c]) u -= truthProbs[i * K + c++];
      labels[i] = c;
    }
    return { reported: applyTemperature(truthProbs, K, 1 / t), truthProbs, labels };
  }

  it('recovers the temperature of overconfident probabilities and lowers ECE and NLL', () => {
    const { reported, labels } = overconfident(20_000, 2, 11);
    const t = fitTemperature(reported, labels, K);
    expect(t).toBeGreaterThan(1.85);
    expect(t).toBeLessThan(2.15);
    const fixed = applyTemperature(reported, K, t);
    const before = expectedCalibrationError(reported, labels, K);
    const after = expectedCalibrationError(fixed, labels, K);
    expect(before).toBeGreaterThan(0.1);
    expect(after).toBeLessThan(0.02);
    expect(temperedNll(reported, labels, K, t)).toBeLessThan(temperedNll(reported, labels, K, 1));
  });

  it('ECE is 0 for a perfectly calibrated one-hot predictor and 0.5 for always-wrong 0.5 confidence', () => {
    const labels = Uint8Array.from([0, 1, 2, 3]);
    const onehot = new Float32Array(4 * K);
    for (let i = 0; i < 4; i++) onehot[i * K + labels[i]] = 1;
    expect(expectedCalibrationError(onehot, labels, K)).toBe(0);
    const wrong = new Float32Array(4 * K);
    for (let i = 0; i < 4; i++) {
      wrong[i * K + ((labels[i] + 1) % K)] = 0.5;
      wrong[i * K + ((labels[i] + 2) % K)] = 0.5 - 1e-6;
    }
    expect(expectedCalibrationError(wrong, labels, K)).toBeCloseTo(0.5, 5);
  });
});

describe('fitCountOffsets', () => {
  it('restores the class totals of a model that sends ambiguous rows to the larger class', () => {
    // 900 "cars" and 100 "vans"; a third of the vans look like cars to the model (p(van) spread over 0.17–0.5),
    // 2 % of the cars look like vans (p(van) 0.55): arg-max counts 66 + 18 = 84 vans.
    const n = 1000;
    const probs = new Float32Array(n * 2);
    const labels = new Uint8Array(n);
    for (let i = 0; i < n; i++) {
      const van = i >= 900;
      labels[i] = van ? 1 : 0;
      const pVan = van ? (i % 3 === 0 ? 0.17 + 0.0033 * (i - 900) : 0.8) : i % 50 === 0 ? 0.55 : 0.1;
      probs[i * 2] = 1 - pVan;
      probs[i * 2 + 1] = pVan;
    }
    const count = (b: ArrayLike<number>) => {
      let vans = 0;
      for (let i = 0; i < n; i++) if (Math.log(probs[i * 2 + 1]) + b[1] > Math.log(probs[i * 2]) + b[0]) vans++;
      return vans;
    };
    expect(count([0, 0])).toBe(66 + 18);
    const b = fitCountOffsets(probs, labels, 2);
    expect(Math.abs(count(b) - 100)).toBeLessThanOrEqual(1);
    expect(b[0] + b[1]).toBeCloseTo(0, 10);
    expect(b[1]).toBeGreaterThan(0);
  });
});
