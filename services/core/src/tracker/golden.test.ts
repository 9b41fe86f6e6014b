/**
 * [regression pin] Golden outputs of the hot tracking path (ByteTracker → Kalman filter → assignment solver) and
 * of the track features: fixed inputs in, a hash of every output number out. The hashes were recorded with the
 * dense 8×8 Kalman filter and the general assignment search; speed-ups must keep them bit-identical. A deliberate
 * change of tracking behaviour updates them (print the new hashes with `GOLDEN_PRINT=1`).
 * The hashes are the code's own output, not independently derived values: they prove "unchanged", not "right"
 * (byte-tracker.test.ts, lsap.test.ts and the track-feature tests check behaviour). To update deliberately:
 * `GOLDEN_PRINT=1 npx vitest run services/core/src/tracker/golden.test.ts`, paste the printed hashes, and say in
 * the commit what changed in tracking and that the MOT figures (docs/EVALUATION.md) were re-measured.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { AssignmentSolver } from '../assign/lsap.ts';
import { computeTrackFeatures } from '../features/track-features.ts';
import { ByteTracker, type TrackerBox } from './byte-tracker.ts';

/** Every option pinned, so that a change of defaults does not move the golden outputs. */
const OPTIONS = {
  fps: 10,
  trackHigh: 0.5,
  trackLow: 0.1,
  newTrackThresh: 0.6,
  matchThresh: 0.8,
  lowMatchThresh: 0.5,
  unconfirmedMatchThresh: 0.7,
  trackBuffer: 30,
  fuseScore: true,
  minHits: 2,
  confirmFirstFrame: true,
  duplicateIouDistance: 0.15,
  historyMinStep: 2,
  historyMaxPoints: 64,
  stdWeightPosition: 1 / 20,
  stdWeightVelocity: 1 / 160,
} as const;

function sha(values: unknown): string {
  return createHash('sha1').update(JSON.stringify(values)).digest('hex').slice(0, 16);
}

function frames(): { ts: number; boxes: TrackerBox[] }[] {
  const text = readFileSync(new URL('./fixtures/chartres-cam.csv', import.meta.url), 'utf8');
  const out: { ts: number; boxes: TrackerBox[] }[] = [];
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const [ts, cls, score, x, y, w, h] = line.split(',');
    if (out.length === 0 || out[out.length - 1].ts !== Number(ts)) out.push({ ts: Number(ts), boxes: [] });
    if (cls) out[out.length - 1].boxes.push({ bbox: [+x, +y, +w, +h], cls, score: +score });
  }
  return out;
}

/** Deterministic pseudo-random numbers (LCG). */
function lcg(seed: number): () => number {
  let s = seed;
  return () => {
    s = (s * 1103515245 + 12345) % 2147483648;
    return s / 2147483648;
  };
}

const print = process.env.GOLDEN_PRINT === '1';

describe('[regression pin] golden outputs', () => {
  it('ByteTracker on 30 s of a scenario camera', () => {
    const input = frames();
    expect(input.length).toBe(300);
    const t = new ByteTracker(OPTIONS);
    const rows: number[] = [];
    const finished: unknown[] = [];
    for (const f of input) {
      const r = t.update(f.ts, f.boxes);
      for (let i = 0; i < r.count; i++) {
        rows.push(r.ts, r.ids[i], r.detIndex[i], r.classes[i], r.scores[i], r.feet[2 * i], r.feet[2 * i + 1]);
        for (let k = 0; k < 4; k++) rows.push(r.boxes[4 * i + k]);
      }
      finished.push(...r.finished);
    }
    finished.push(...t.flush());
    if (print) console.log('tracker', rows.length, finished.length, sha(rows), sha(finished));
    expect([rows.length, finished.length]).toEqual([40788, 20]);
    expect(sha(rows)).toBe('475a0c8117242bca');
    expect(sha(finished)).toBe('59b65ca36a3b79fe');
  });

  it('thresholded and plain assignment on small matrices with ties and forbidden pairs', () => {
    const rnd = lcg(7);
    const solver = new AssignmentSolver();
    const vals = [0, 0.1, 0.5, 0.8, 1, Number.POSITIVE_INFINITY, Number.NaN, 0.3, 0.95];
    const out: unknown[] = [];
    for (let it = 0; it < 5000; it++) {
      const r = 1 + Math.floor(rnd() * 5);
      const c = 1 + Math.floor(rnd() * 5);
      const m = new Float64Array(r * c);
      for (let i = 0; i < m.length; i++) m[i] = rnd() < 0.5 ? vals[Math.floor(rnd() * vals.length)] : rnd() * 1.2;
      const a = it % 5 === 0 ? solver.solve(m, r, c) : solver.solveThresholded(m, r, c, 0.8);
      out.push(a.count, a.cost, Array.from(a.rowToCol.subarray(0, r)), Array.from(a.colToRow.subarray(0, c)));
    }
    if (print) console.log('lsap', sha(out));
    expect(sha(out)).toBe('b7c2f5f195919c50');
  });

  it('track features on random tracks', () => {
    const rnd = lcg(11);
    const out: number[] = [];
    for (let it = 0; it < 2000; it++) {
      const n = Math.floor(rnd() * 300);
      const arr = () =>
        Float64Array.from({ length: n }, () => (rnd() < 0.05 ? Number.NaN : rnd() < 0.05 ? 1 / 0 : (rnd() - 0.2) * 50));
      const timesS = Float64Array.from({ length: n }, (_, i) => i * 0.1 + (rnd() < 0.1 ? 0.05 : 0));
      const f = computeTrackFeatures({
        votes: [rnd() * 5, 0, rnd() < 0.5 ? 3 : 0, Number.NaN, 1, 0],
        widthsM: arr(),
        heightsM: arr(),
        speedsKmh: arr(),
        timesS: rnd() < 0.8 ? timesS : undefined,
        aspects: arr(),
        durationS: n * 0.1,
        nFrames: n,
        pathLengthM: rnd() * 100,
        straightness: rnd() * 1.2,
        personBicycleShare: rnd(),
      });
      out.push(...f);
    }
    if (print) console.log('features', sha(out));
    expect(sha(out)).toBe('5054e4f4a0adf90c'); // 20 features since width_rel, height_rel (first 18: 2070fd7ccabc9179)
  });
});
