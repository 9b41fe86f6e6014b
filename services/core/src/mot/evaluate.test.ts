import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { AssignmentSolver } from '../assign/lsap.ts';
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

  it("identity measures equal py-motmetrics' full (objects + hypotheses)² formulation on random scenes", () => {
    let seed = 99;
    const rand = (): number => {
      seed = (seed * 1103515245 + 12345) >>> 0;
      return seed / 4294967296;
    };
    for (let trial = 0; trial < 20; trial++) {
      const gtLines: string[] = [];
      const hypLines: string[] = [];
      const boxes = new Map<string, [number, number, number, number]>();
      for (let f = 1; f <= 12; f++) {
        for (let o = 1; o <= 4; o++) {
          if (rand() < 0.2) continue;
          const b: [number, number, number, number] = [o * 30 + f * 2, 10, 25, 60];
          gtLines.push(`${f},${o},${b.join(',')},1`);
          // Hypotheses: noisy copies with ids that sometimes swap.
          if (rand() < 0.8) {
            const h = rand() < 0.25 ? 10 + Math.floor(rand() * 6) : 10 + o;
            const hb: [number, number, number, number] = [
              b[0] + (rand() - 0.5) * 14,
              b[1] + (rand() - 0.5) * 10,
              25,
              60,
            ];
            if (!boxes.has(`${f},${h}`)) {
              boxes.set(`${f},${h}`, hb);
              hypLines.push(`${f},${h},${hb.join(',')},-1`);
            }
          }
        }
      }
      const gt = parseMot(gtLines.join('\n'));
      const hyp = parseMot(hypLines.join('\n'));
      // Full formulation, straight from id_global_assignment.
      const oids = [...new Set(gt.id)];
      const hids = [...new Set(hyp.id)];
      const no = oids.length;
      const nh = hids.length;
      const oc = oids.map((o) => gt.id.filter((x) => x === o).length);
      const hc = hids.map((h) => hyp.id.filter((x) => x === h).length);
      const ex = oids.map(() => new Array<number>(nh).fill(0));
      for (let i = 0; i < gt.n; i++) {
        for (let j = 0; j < hyp.n; j++) {
          if (gt.frame[i] !== hyp.frame[j]) continue;
          const iw = Math.max(0, Math.min(gt.x[i] + gt.w[i], hyp.x[j] + hyp.w[j]) - Math.max(gt.x[i], hyp.x[j]));
          const ih = Math.max(0, Math.min(gt.y[i] + gt.h[i], hyp.y[j] + hyp.h[j]) - Math.max(gt.y[i], hyp.y[j]));
          const inter = iw * ih;
          const iou = inter / (gt.w[i] * gt.h[i] + hyp.w[j] * hyp.h[j] - inter);
          if (1 - iou <= 0.5) ex[oids.indexOf(gt.id[i])][hids.indexOf(hyp.id[j])]++;
        }
      }
      const size = no + nh;
      const fp = new Float64Array(size * size);
      const fn = new Float64Array(size * size);
      for (let r = 0; r < size; r++) {
        for (let c = 0; c < size; c++) {
          const k = r * size + c;
          if (r < no && c < nh) {
            fp[k] = hc[c] - ex[r][c];
            fn[k] = oc[r] - ex[r][c];
          } else if (r < no) fn[k] = c - nh === r ? oc[r] : Number.NaN;
          else if (c < nh) fp[k] = r - no === c ? hc[c] : Number.NaN;
        }
      }
      const costs = fp.map((v, k) => v + fn[k]);
      const a = new AssignmentSolver().solve(costs, size, size);
      let idfp = 0;
      let idfn = 0;
      for (let r = 0; r < size; r++) {
        idfp += fp[r * size + a.rowToCol[r]];
        idfn += fn[r * size + a.rowToCol[r]];
      }
      const m = evalMot(gtLines.join('\n'), hypLines.join('\n'));
      expect(m.idfp).toBe(idfp);
      expect(m.idfn).toBe(idfn);
      expect(m.idtp).toBe(gt.n - idfn);
    }
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
