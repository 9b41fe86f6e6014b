import { FEATURE_COUNT, MODES } from '@passage/core';
import { describe, expect, it } from 'vitest';
import { majorityVoteBaseline } from './baseline.ts';
import { argmaxRow, evaluate } from './metrics.ts';

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
