import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { FEATURE_COUNT, FEATURE_NAMES, MODES } from '@passage/core';
import { describe, expect, it } from 'vitest';
import { classCounts, parseFeaturesCsv, splitDataset, toFeaturesCsv } from './dataset.ts';

/** The committed test fixture (3,000 scenario tracks written by train.ts). */
const fixture = parseFeaturesCsv(
  readFileSync(fileURLToPath(new URL('fixtures/test-features.csv', import.meta.url)), 'utf8'),
);
const col = (name: (typeof FEATURE_NAMES)[number]): number => FEATURE_NAMES.indexOf(name);

describe('dataset split', () => {
  it('splits reproducibly into disjoint parts that keep every row once', () => {
    const [a, b] = splitDataset(fixture, 0.8, 5);
    const [a2, b2] = splitDataset(fixture, 0.8, 5);
    const [a3] = splitDataset(fixture, 0.8, 6);
    expect(a.n).toBe(2400);
    expect(b.n).toBe(600);
    expect(a.features).toEqual(a2.features);
    expect(b.labels).toEqual(b2.labels);
    expect(a.features).not.toEqual(a3.features);
    const sum = (c: number[], d: number[]) => c.map((x, i) => x + d[i]);
    expect(sum(classCounts(a), classCounts(b))).toEqual(classCounts(fixture));
    expect(a.features.length).toBe(2400 * FEATURE_COUNT);
  });
});

describe('features CSV', () => {
  it('round-trips through text with a header of feature names and label', () => {
    const d = fixture;
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

  it('computes width_rel and height_rel per camera, in row order, when the file has the per-track features only', () => {
    const base = FEATURE_NAMES.filter((n) => n !== 'width_rel' && n !== 'height_rel');
    const line = (w: number, h: number, car: number, label: string, cam: string): string =>
      [...base.map((n) => (n === 'width_m' ? w : n === 'height_m' ? h : n === 'vote_car' ? car : 0)), label, cam].join(
        ',',
      );
    const text = [
      [...base, 'label', 'camera'].join(','),
      line(4.01, 2.01, 1, 'car', 'cam-a'), // against the prior 3.8 × 2.3, then the camera's first car
      line(9, 9, 1, 'rider', 'cam-a'), // skipped: neither read nor in the reference
      line(4.75, 2.6, 0, 'van', 'cam-a'), // against (4.01 + 10 · 3.8) / 11 = 3.8191 and (2.01 + 23) / 11 = 2.2736
      line(4.75, 2.6, 1, 'van', 'cam-b'), // another camera: the prior
    ].join('\n');
    const d = parseFeaturesCsv(text);
    expect(d.n).toBe(3);
    const at = (i: number, name: (typeof FEATURE_NAMES)[number]): number => d.features[i * FEATURE_COUNT + col(name)];
    expect(at(0, 'width_rel')).toBeCloseTo(4.01 / 3.8, 5);
    expect(at(0, 'height_rel')).toBeCloseTo(2.01 / 2.3, 5);
    expect(at(1, 'width_rel')).toBeCloseTo(4.75 / (42.01 / 11), 4); // 1.2438
    expect(at(1, 'height_rel')).toBeCloseTo(2.6 / (25.01 / 11), 4); // 1.1435
    expect(at(2, 'width_rel')).toBeCloseTo(1.25, 5);
    // A file that has the columns keeps its values (the committed fixtures).
    expect(parseFeaturesCsv(toFeaturesCsv(d)).features[FEATURE_COUNT + col('width_rel')]).toBeCloseTo(
      4.75 / (42.01 / 11),
      4,
    );
  });
});
