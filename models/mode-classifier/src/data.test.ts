import { FEATURE_COUNT, FEATURE_NAMES } from '@passage/core';
import { MODES } from '@passage/stream/contracts';
import { describe, expect, it } from 'vitest';
import { majorityVoteBaseline } from './baseline.ts';
import { classCounts, generateParametric, parseFeaturesCsv, splitDataset, toFeaturesCsv, URBAN_MIX } from './data.ts';
import { argmaxRow, evaluate } from './metrics.ts';
import { Rng } from './rng.ts';

const col = (name: (typeof FEATURE_NAMES)[number]): number => FEATURE_NAMES.indexOf(name);

describe('parametric generator', () => {
  it('is deterministic for a seed and differs between seeds', () => {
    const a = generateParametric({ n: 300, seed: 101 });
    const b = generateParametric({ n: 300, seed: 101 });
    const c = generateParametric({ n: 300, seed: 202 });
    expect(a.features).toEqual(b.features);
    expect(a.labels).toEqual(b.labels);
    expect(a.features).not.toEqual(c.features);
    expect(a.features.length).toBe(300 * FEATURE_COUNT);
    expect(a.features.every(Number.isFinite)).toBe(true);
  });

  it('follows the urban mode mix and per-mode physics', () => {
    const d = generateParametric({ n: 4000, seed: 7 });
    const counts = classCounts(d);
    for (const [i, m] of MODES.entries()) expect(counts[i] / d.n).toBeCloseTo(URBAN_MIX[m], 1);
    const meanOf = (mode: string, name: (typeof FEATURE_NAMES)[number]): number => {
      let s = 0;
      let n = 0;
      for (let i = 0; i < d.n; i++) {
        if (MODES[d.labels[i]] === mode) {
          s += d.features[i * FEATURE_COUNT + col(name)];
          n++;
        }
      }
      return s / n;
    };
    expect(meanOf('pedestrian', 'speed_median_kmh')).toBeGreaterThan(3);
    expect(meanOf('pedestrian', 'speed_median_kmh')).toBeLessThan(7);
    expect(meanOf('bicycle', 'person_bicycle_share')).toBeGreaterThan(0.4);
    expect(meanOf('car', 'vote_car')).toBeGreaterThan(0.85);
    expect(meanOf('van', 'vote_truck')).toBeGreaterThan(0.3);
    expect(meanOf('van', 'height_m')).toBeGreaterThan(meanOf('car', 'height_m'));
    expect(meanOf('bus', 'width_m')).toBeGreaterThan(meanOf('van', 'width_m'));
    // Vote shares sum to 1 on every row.
    for (let i = 0; i < d.n; i++) {
      let s = 0;
      for (let k = 6; k < 12; k++) s += d.features[i * FEATURE_COUNT + k];
      expect(s).toBeCloseTo(1, 5);
    }
  });

  it('splits reproducibly into disjoint parts', () => {
    const d = generateParametric({ n: 100, seed: 1 });
    const [a, b] = splitDataset(d, 0.8, 5);
    const [a2] = splitDataset(d, 0.8, 5);
    expect(a.n).toBe(80);
    expect(b.n).toBe(20);
    expect(a.features).toEqual(a2.features);
  });
});

describe('features CSV', () => {
  it('round-trips through text with a header of feature names and label', () => {
    const d = generateParametric({ n: 50, seed: 3 });
    const text = toFeaturesCsv(d);
    expect(text.split('\n')[0]).toBe([...FEATURE_NAMES, 'label'].join(','));
    const back = parseFeaturesCsv(text);
    expect(back.labels).toEqual(d.labels);
    for (let i = 0; i < d.features.length; i++) {
      expect(Math.abs(back.features[i] - d.features[i])).toBeLessThanOrEqual(Math.abs(d.features[i]) * 1e-5);
    }
  });

  it('reads columns by name, ignores extra columns and rejects bad input with a stable code', () => {
    const header = ['scenario', ...[...FEATURE_NAMES].reverse(), 'label'];
    const values = FEATURE_NAMES.map((_, k) => k + 0.5).reverse();
    const text = `${header.join(',')}\nbologna,${values.join(',')},van\n`;
    const d = parseFeaturesCsv(text);
    expect(d.n).toBe(1);
    expect(d.features[col('height_m')]).toBe(1.5);
    expect(MODES[d.labels[0]]).toBe('van');
    expect(() => parseFeaturesCsv(text.replace('van', 'tram'))).toThrow(
      expect.objectContaining({ code: 'PASSAGE_CLASSIFIER_DATA_INVALID' }),
    );
    expect(() => parseFeaturesCsv('width_m,label\n1,car\n')).toThrow(/lacks the column\(s\) height_m/);
  });

  it('skips rider rows (person boxes of two-wheelers written by scenario-features.ts)', () => {
    const values = FEATURE_NAMES.map((_, k) => k);
    const text = `${[...FEATURE_NAMES, 'label', 'camera'].join(',')}\n${values.join(',')},rider,cam-a\n${values.join(',')},bicycle,cam-a\n`;
    const d = parseFeaturesCsv(text);
    expect(d.n).toBe(1);
    expect(MODES[d.labels[0]]).toBe('bicycle');
  });
});

describe('metrics and baseline', () => {
  it('computes the confusion matrix, per-class F1 and macro-F1', () => {
    const e = evaluate([0, 0, 1, 1, 2, 2], [0, 1, 1, 1, 2, 0], 3);
    expect(e.confusion).toEqual([
      [1, 1, 0],
      [0, 2, 0],
      [1, 0, 1],
    ]);
    expect(e.perClass[0].f1).toBeCloseTo(0.5, 10);
    expect(e.perClass[1].f1).toBeCloseTo(0.8, 10);
    expect(e.perClass[2].f1).toBeCloseTo(2 / 3, 10);
    expect(e.macroF1).toBeCloseTo((0.5 + 0.8 + 2 / 3) / 3, 10);
    expect(e.accuracy).toBeCloseTo(4 / 6, 10);
    expect(argmaxRow([0.1, 0.7, 0.2, 0.5, 0.5, 0], 1, 3)).toBe(0);
  });

  it('maps the majority detector class to a mode', () => {
    const rows = new Float32Array(3 * FEATURE_COUNT);
    rows[6] = 0.4; // person
    rows[7] = 0.6; // bicycle → bicycle
    rows[FEATURE_COUNT + 8] = 0.55; // car → car
    rows[FEATURE_COUNT + 11] = 0.45;
    const labels = majorityVoteBaseline(rows, 3);
    expect(Array.from(labels, (l) => MODES[l])).toEqual(['bicycle', 'car', 'car']);
  });
});

describe('Rng', () => {
  it('is reproducible and roughly uniform / normal', () => {
    const a = new Rng(42);
    const b = new Rng(42);
    let s = 0;
    let s2 = 0;
    for (let i = 0; i < 20000; i++) {
      const u = a.uniform();
      expect(u).toBe(b.uniform());
      s += u;
      const z = a.normal();
      b.normal();
      s2 += z * z;
    }
    expect(s / 20000).toBeCloseTo(0.5, 2);
    expect(s2 / 20000).toBeCloseTo(1, 1);
  });
});
