import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { evalMot, formatMotMetrics } from './evaluate.ts';
import { MotFormatError, parseMot } from './parse.ts';

const fixture = (name: string): string =>
  readFileSync(new URL(`./fixtures/TUD-Campus/${name}`, import.meta.url), 'utf8');

describe('evalMot', () => {
  it('reproduces py-motmetrics reference numbers on TUD-Campus', () => {
    const m = evalMot(fixture('gt.txt'), fixture('reference-hypothesis.txt'));
    const expected: Record<string, number> = {
      idf1: 0.557659,
      idp: 0.72973,
      idr: 0.451253,
      recall: 0.582173,
      precision: 0.941441,
      numUniqueObjects: 8,
      mostlyTracked: 1,
      partiallyTracked: 6,
      mostlyLost: 1,
      numFalsePositives: 13,
      numMisses: 150,
      numSwitches: 7,
      numFragmentations: 7,
      mota: 0.526462,
      motp: 0.277201,
    };
    for (const [key, value] of Object.entries(expected)) {
      expect(Math.abs(m[key as keyof typeof m] - value), key).toBeLessThan(1e-3);
    }
    expect(m.numObjects).toBe(359);
    expect(m.numPredictions).toBe(222);
    expect(m.numFrames).toBe(71);
  });

  it('gives the same numbers whatever the ground-truth confidence filter when all flags are 1', () => {
    const a = evalMot(fixture('gt.txt'), fixture('reference-hypothesis.txt'), { gtMinConfidence: -1 });
    const b = evalMot(fixture('gt.txt'), fixture('reference-hypothesis.txt'));
    expect(a).toEqual(b);
  });

  it('drops ground-truth rows flagged 0 (MOTChallenge "ignore")', () => {
    const gt = '1,1,0,0,10,10,1,-1,-1,-1\n1,2,50,50,10,10,0,-1,-1,-1\n';
    const hyp = '1,7,0,0,10,10,-1,-1,-1,-1\n';
    const m = evalMot(gt, hyp);
    expect(m.numObjects).toBe(1);
    expect(m.mota).toBe(1);
    expect(evalMot(gt, hyp, { gtMinConfidence: 0 }).numMisses).toBe(1);
  });

  it('counts switches against the last matched hypothesis and fragmentations between tracked spans', () => {
    // Object 1 present in frames 1–5: matched by h=10 (1, 2), missed (3), matched by h=11 (4), h=11 (5).
    const gt = [1, 2, 3, 4, 5].map((f) => `${f},1,0,0,10,10,1,-1,-1,-1`).join('\n');
    const hyp = ['1,10,0,0,10,10', '2,10,1,0,10,10', '3,10,100,100,10,10', '4,11,0,0,10,10', '5,11,0,1,10,10']
      .map((l) => `${l},-1,-1,-1,-1`)
      .join('\n');
    const m = evalMot(gt, hyp);
    expect(m.numSwitches).toBe(1);
    expect(m.numFragmentations).toBe(1);
    expect(m.numMisses).toBe(1);
    expect(m.numFalsePositives).toBe(1);
    expect(m.mota).toBeCloseTo(1 - 3 / 5, 12);
    // IDTP: best single hypothesis for object 1 covers 2 frames (h=10 or h=11).
    expect(m.idtp).toBe(2);
    expect(m.idf1).toBeCloseTo((2 * 2) / (5 + 5), 12);
    // MOTP: frames 2 and 5 have IoU 90/110.
    expect(m.motp).toBeCloseTo((2 * (1 - 90 / 110)) / 4, 12);
  });

  it('keeps an established match while it stays within the threshold, even if another pairing is cheaper', () => {
    const gt = '1,1,0,0,10,10,1\n2,1,0,0,10,10,1\n2,2,3,0,10,10,1\n';
    // Frame 2: h=5 drifted (IoU 0.538 with o1) while h=6 sits exactly on o1.
    const hyp = '1,5,0,0,10,10,-1\n2,5,3,0,10,10,-1\n2,6,0,0,10,10,-1\n';
    const m = evalMot(gt, hyp);
    expect(m.numSwitches).toBe(0);
    expect(m.numMatches).toBe(3);
  });

  it('formats a MOTChallenge-style table', () => {
    const text = formatMotMetrics(evalMot(fixture('gt.txt'), fixture('reference-hypothesis.txt')), 'TUD-Campus');
    expect(text.split('\n')[0]).toMatch(/IDF1 +IDP +IDR +Rcll +Prcn +GT +MT +PT +ML +FP +FN +IDs +FM +MOTA +MOTP/);
    expect(text).toContain('55.8%');
    expect(text).toContain('52.6%');
    expect(text).toContain('0.277');
  });
});

describe('parseMot', () => {
  it('accepts commas, spaces and tabs and skips blank lines', () => {
    const rows = parseMot('1, 2, 3.5, 4, 5, 6, 0.9, -1, -1, -1\n\n2\t3\t1\t1\t2\t2\t1\n');
    expect(rows.n).toBe(2);
    expect(Array.from(rows.frame)).toEqual([1, 2]);
    expect(rows.x[0]).toBe(3.5);
    expect(rows.conf[1]).toBe(1);
  });

  it('rejects malformed lines with a stable code and the line number', () => {
    expect(() => parseMot('1,2,3\n')).toThrow(MotFormatError);
    try {
      parseMot('1,1,0,0,1,1\nx,1,0,0,1,1\n');
    } catch (e) {
      expect((e as MotFormatError).code).toBe('PASSAGE_MOT_FORMAT');
      expect((e as MotFormatError).line).toBe(2);
    }
  });
});
