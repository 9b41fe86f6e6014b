import { describe, expect, it } from 'vitest';
import { fitHomography, GroundHomography } from '../geometry/homography.ts';
import { ByteTracker } from '../tracker/byte-tracker.ts';
import {
  CameraPipeline,
  type CameraPipelineOptions,
  type FinishedRoadUser,
  type PipelineObject,
  pipelineTrackerOptions,
} from './camera-pipeline.ts';

// Image → ground: 10 px per metre (ground = image / 10), so boxes are easy to place on the ground.
const H = fitHomography([
  { image: [0, 0], ground: [0, 0] },
  { image: [1000, 0], ground: [100, 0] },
  { image: [0, 1000], ground: [0, 100] },
  { image: [1000, 1000], ground: [100, 100] },
]).homography;

/** Line x = 20 m from (20, 0) to (20, 50): west → east is LEFT → RIGHT = 'in'. */
function pipeline(extra: Partial<CameraPipelineOptions> = {}): CameraPipeline {
  return new CameraPipeline({
    cameraId: 'c',
    siteId: 's',
    homography: H,
    lines: [{ id: 'l', a: [20, 0], b: [20, 50] }],
    zones: [],
    fps: 10,
    ...extra,
  });
}

/** A person box (1 m × 3 m) whose foot point is at ground (x, y). */
function person(x: number, y: number, score = 0.9): PipelineObject {
  return { bbox: [x * 10 - 5, y * 10 - 30, 10, 30], cls: 'person', score };
}

const T0 = 1_700_000_000_000;

/**
 * Runs frames at 10 fps; `at(k)` gives the objects of frame k. Returns the finished road users with a line
 * crossing or a movement (what the worker classifies) that are not riders, and all of them.
 */
function run(
  p: CameraPipeline,
  frames: number,
  at: (k: number) => PipelineObject[],
  frameMs = 100,
): FinishedRoadUser[] {
  const out: FinishedRoadUser[] = [];
  for (let k = 0; k < frames; k++) p.processFrame(T0 + k * frameMs, at(k), out);
  p.flush(out);
  return out;
}

describe('CameraPipeline stitching', () => {
  // A pedestrian walks east along y = 10 m at 1.5 m/s from x = 10 m to 31 m, hidden for 3 s around the line
  // (x ≈ 17.8 … 22.3 m): the tracker ends the first track (1 s buffer) and starts a new one after the line.
  const walk = (k: number): PipelineObject[] => {
    const x = 10 + 0.15 * k;
    return k >= 52 && k < 82 ? [] : [person(x, 10)];
  };

  it('without stitching the crossing is lost: two fragments, one on each side of the line', () => {
    const users = run(pipeline({ stitch: false }), 140, walk);
    expect(users).toHaveLength(2);
    expect(users.flatMap((u) => u.summary.crossings)).toEqual([]);
  });

  it('joins the fragments on the ground plane and counts the crossing once', () => {
    const p = pipeline();
    const users = run(p, 140, walk);
    expect(p.stitched).toBe(1);
    expect(users).toHaveLength(1);
    const c = users[0].summary.crossings;
    expect(c).toHaveLength(1);
    expect(c[0].direction).toBe('in');
    // The path through the line is interpolated across the gap: crossing time between the two fragments.
    expect(c[0].ts).toBeGreaterThan(T0 + 5200);
    expect(c[0].ts).toBeLessThan(T0 + 8500);
    expect(users[0].summary.firstTs).toBe(T0);
    expect(users[0].summary.lastTs).toBe(T0 + 139 * 100);
  });

  it('does not join a newborn track far from where the lost road user would be', () => {
    // Same walk, but after the gap someone appears 12 m away (x + 0, y = 22 m).
    const users = run(pipeline(), 140, (k) => {
      const x = 10 + 0.15 * k;
      if (k >= 52 && k < 82) return [];
      return [person(x, k < 52 ? 10 : 22)];
    });
    expect(users).toHaveLength(2);
    expect(users.flatMap((u) => u.summary.crossings)).toEqual([]);
  });

  it('does not join a gap longer than maxGapMs for a moving road user', () => {
    const users = run(pipeline({ stitch: { maxGapMs: 2000 } }), 140, walk);
    expect(users).toHaveLength(2);
  });

  it('bridges a long occlusion of a road user standing still (queue at a stop line), then counts it', () => {
    // Walks to x = 19.75 m (inside the line's ±0.5 m band), waits there 5 s, is hidden 20 s while waiting, then
    // walks on across the line: a new track born in the band has no side of its own.
    const pos = (k: number): number => (k < 65 ? 10 + 0.15 * k : k < 310 ? 19.75 : 19.75 + 0.15 * (k - 310));
    const hidden = (k: number): boolean => k >= 110 && k < 310;
    const users = run(pipeline(), 400, (k) => (hidden(k) ? [] : [person(pos(k), 10)]));
    expect(users).toHaveLength(1);
    expect(users[0].summary.crossings.map((c) => c.direction)).toEqual(['in']);
    // With the moving-road-user gap only, the wait is too long to bridge.
    const short = run(pipeline({ stitch: { stoppedMaxGapMs: 3000 } }), 400, (k) =>
      hidden(k) ? [] : [person(pos(k), 10)],
    );
    expect(short.flatMap((u) => u.summary.crossings)).toEqual([]);
  });

  it('keeps two road users apart when both are visible (a live track is never a candidate)', () => {
    // Two people side by side 3 m apart; a third appears later near them: three road users.
    const users = run(pipeline(), 60, (k) => {
      const x = 10 + 0.15 * k;
      const o = [person(x, 10), person(x, 13)];
      if (k >= 30) o.push(person(x + 4, 11.5));
      return o;
    });
    expect(users).toHaveLength(3);
  });

  it('reports a track from its first box (minHits 1) and finishes dormant road users after their gap', () => {
    const out: FinishedRoadUser[] = [];
    const p = pipeline();
    p.processFrame(T0, [person(10, 10)], out);
    expect(p.activeTracks).toBe(1);
    // Nothing for a while: the tracker drops it after 1 s, the pipeline keeps it dormant until the gap (no speed
    // measured: maxGapMs, 10 s) ends.
    for (let k = 1; k <= 95; k++) p.processFrame(T0 + k * 100, [], out);
    expect(out).toHaveLength(0);
    for (let k = 96; k <= 110; k++) p.processFrame(T0 + k * 100, [], out);
    expect(out).toHaveLength(1);
    expect(p.activeTracks).toBe(0);
  });
});

describe('CameraPipeline stitching across class groups (stitch.crossGroup)', () => {
  // A motorcyclist in one box (2 m × 1.5 m on the ground) rides east along y = 10 m at 5 m/s through a 5 fps camera
  // (1 m a frame from x = 10 m), crossing the line x = 20 m at frame 10; the detector names its box `person` in
  // frames 9 and 10. The two-wheeler tracker misses it there and takes it back at frame 11 (a lost track).
  const ride = (k: number): PipelineObject[] => {
    const x = 10 + k;
    return [
      { bbox: [x * 10 - 10, 10 * 10 - 15, 20, 15], cls: k === 9 || k === 10 ? 'person' : 'motorcycle', score: 0.9 },
    ];
  };
  const at5fps = (p: CameraPipeline): FinishedRoadUser[] => run(p, 25, ride, 200);

  it('off: the two person-named frames are a road user of their own (one crossing either way)', () => {
    const users = at5fps(pipeline({ fps: 5, stitch: { crossGroup: false } }));
    expect(users.map((u) => u.voteMode).sort()).toEqual(['motorcycle', 'pedestrian']);
    expect(users.flatMap((u) => u.summary.crossings.map((c) => c.direction))).toEqual(['in']);
  });

  it('on (default): the person track born beside the just-lost motorcycle continues it, one road user', () => {
    const p = pipeline({ fps: 5 });
    const users = at5fps(p);
    expect(users).toHaveLength(1);
    expect(users[0].voteMode).toBe('motorcycle');
    expect(users[0].summary.crossings.map((c) => c.direction)).toEqual(['in']);
    // Person track joins the motorcycle's road user, then the motorcycle's track (back at frame 11) joins it again.
    expect(p.stitched).toBe(2);
  });

  it('not a pedestrian of another size: a 0.6 m wide person box beside the lost motorcycle starts its own', () => {
    const narrow = (k: number): PipelineObject[] =>
      k === 9 || k === 10 ? [{ bbox: [(10 + k) * 10 - 3, 100 - 17, 6, 17], cls: 'person', score: 0.9 }] : ride(k);
    const out = run(pipeline({ fps: 5 }), 25, narrow, 200);
    expect(out.map((u) => u.voteMode).sort()).toEqual(['motorcycle', 'pedestrian']);
  });
});

describe('CameraPipeline reads any detector vocabulary (class-labels.ts)', () => {
  // The motorcyclist above, named by a detector of another convention: `Motorbike`, and `Pedestrian` in frames 9–10.
  const vendor = (k: number): PipelineObject[] => {
    const x = 10 + k;
    const cls = k === 9 || k === 10 ? 'Pedestrian' : 'Motorbike';
    return [{ bbox: [x * 10 - 10, 10 * 10 - 15, 20, 15], cls, score: 0.9 }];
  };
  const coco = (k: number): PipelineObject[] => {
    const x = 10 + k;
    return [
      { bbox: [x * 10 - 10, 10 * 10 - 15, 20, 15], cls: k === 9 || k === 10 ? 'person' : 'motorcycle', score: 0.9 },
    ];
  };

  it('the same road user, vote and crossing as with COCO labels (one motorcycle, one crossing in)', () => {
    const a = run(pipeline({ fps: 5 }), 25, vendor, 200);
    const b = run(pipeline({ fps: 5 }), 25, coco, 200);
    expect(a.map((u) => u.voteMode)).toEqual(['motorcycle']);
    expect(a.map((u) => u.voteMode)).toEqual(b.map((u) => u.voteMode));
    expect(a[0].summary.crossings.map((c) => c.direction)).toEqual(['in']);
    expect(Array.from(a[0].features)).toEqual(Array.from(b[0].features));
  });
});

describe('CameraPipeline stitching through a known homography (GroundHomography.fromMatrix)', () => {
  // Image → ground: x = u / 20 + 5, y = v / 20 − 2 (20 px per metre, offset origin).
  const G = GroundHomography.fromMatrix([0.05, 0, 5, 0, 0.05, -2, 0, 0, 1], [0], [0]);
  /** A car box (4.5 m × 2 m on the image) whose foot point maps to ground (x, y). */
  const car = (x: number, y: number): PipelineObject => ({
    bbox: [(x - 5) * 20 - 45, (y + 2) * 20 - 40, 90, 40],
    cls: 'car',
    score: 0.9,
  });
  /** Line x = 40 m from (40, 0) to (40, 30): west → east = 'in', east → west = 'out'. */
  const carPipeline = (extra: Partial<CameraPipelineOptions> = {}) =>
    new CameraPipeline({
      cameraId: 'c',
      siteId: 's',
      homography: G,
      lines: [{ id: 'x40', a: [40, 0], b: [40, 30] }],
      zones: [],
      fps: 10,
      ...extra,
    });
  // Two cars at 10 m/s (1 m per frame), both hidden 1.8 s (18 frames, longer than the tracker's 1 s buffer) while
  // they pass the line: eastbound on y = 10 m from x = 10 (hidden at x ∈ [32, 50)), westbound on y = 20 m from
  // x = 70 (hidden at x ∈ (30, 48]).
  const traffic = (k: number): PipelineObject[] => {
    const o: PipelineObject[] = [];
    const xe = 10 + k;
    if (xe <= 70 && (xe < 32 || xe >= 50)) o.push(car(xe, 10));
    const xw = 70 - k;
    if (xw >= 10 && (xw > 48 || xw <= 30)) o.push(car(xw, 20));
    return o;
  };

  it('the homography puts the box foot points where the test means them', () => {
    const out = new Float64Array(2);
    const b = car(32, 10).bbox;
    G.footToGround(b[0], b[1], b[2], b[3], out);
    expect(out[0]).toBeCloseTo(32, 9);
    expect(out[1]).toBeCloseTo(10, 9);
  });

  it('each car whose track breaks at the line counts exactly once, in its own direction', () => {
    const p = carPipeline();
    const users = run(p, 61, traffic);
    expect(p.stitched).toBe(2);
    expect(users).toHaveLength(2);
    const byDir = users.map((u) => u.summary.crossings.map((c) => `${c.lineId}:${c.direction}`)).sort();
    expect(byDir).toEqual([['x40:in'], ['x40:out']]);
    // Each road user spans the whole pass (first box at k = 0, last at k = 60). Both pass the line at k = 30,
    // hidden (k = 22 … 39). The counter's smoothing is time-aware, so the crossing is interpolated linearly over
    // the gap: at constant speed it lands at k = 30 (T0 + 3 s) within the smoothing lag of a frame or two.
    for (const u of users) {
      expect(u.summary.firstTs).toBe(T0);
      expect(u.summary.lastTs).toBe(T0 + 60 * 100);
      expect(u.summary.crossings[0].ts).toBeGreaterThan(T0 + 2800);
      expect(u.summary.crossings[0].ts).toBeLessThan(T0 + 3300);
    }
  });

  it('with stitch: false the same input counts nothing (four fragments, none spanning the line)', () => {
    const p = carPipeline({ stitch: false });
    const users = run(p, 61, traffic);
    expect(p.stitched).toBe(0);
    expect(users).toHaveLength(4);
    expect(users.flatMap((u) => u.summary.crossings)).toEqual([]);
  });

  it('gates around the constant-velocity prediction; a gap longer than maxGapMs is never bridged', () => {
    // The car reappears 19 m from its last box: the gate is centred on the prediction, so a 0.5 m radius (no
    // growth) still joins it …
    const tight = run(carPipeline({ stitch: { radiusM: 0.5, radiusGrowthMs: 0 } }), 61, traffic);
    expect(tight.flatMap((u) => u.summary.crossings.map((c) => c.direction)).sort()).toEqual(['in', 'out']);
    // … while a gap longer than maxGapMs is never bridged.
    const short = run(carPipeline({ stitch: { maxGapMs: 1500 } }), 61, traffic);
    expect(short).toHaveLength(4);
    expect(short.flatMap((u) => u.summary.crossings)).toEqual([]);
  });
});

describe('CameraPipeline: a tracker track set aside by a stitch that comes back', () => {
  // P walks east along y = 10 m at 1.5 m/s from x = 14 m. At k = 20 its box jumps 1.5 m ahead (a detector jump):
  // no IoU with the tracker's prediction, so the tracker loses track A and starts track B, which the pipeline
  // stitches to P (A, still alive in the tracker's lost buffer, is retired). From k = 22 a second person Q
  // stands up where A predicts P (x = 17.3 m) and walks west: the tracker re-finds lost track A on Q's box.
  // Q must be a new road user (A's road user went on with B), never P again: P crosses the line x = 20 m once,
  // Q never does.
  const scene = (k: number): PipelineObject[] => {
    const o = [person(14 + 0.15 * k + (k >= 20 ? 1.5 : 0), 10)];
    if (k >= 22) o.push(person(17.3 - 0.05 * (k - 22), 10));
    return o;
  };

  it('the returning track is a new road user and the crossing is counted once', () => {
    const p = pipeline();
    const users = run(p, 120, scene);
    expect(p.stitched).toBe(1); // B → P only; A's return is not a stitch
    expect(users).toHaveLength(2);
    const [pUser, qUser] = [...users].sort((a, b) => a.summary.firstTs - b.summary.firstTs);
    // P: one road user over the whole walk, one crossing east ('in') while B follows it (x = 20 m at k ≈ 30).
    expect(pUser.summary.firstTs).toBe(T0);
    expect(pUser.summary.lastTs).toBe(T0 + 119 * 100);
    expect(pUser.summary.frames).toBe(120);
    expect(pUser.summary.crossings.map((c) => c.direction)).toEqual(['in']);
    expect(pUser.summary.crossings[0].ts).toBeGreaterThan(T0 + 2500);
    expect(pUser.summary.crossings[0].ts).toBeLessThan(T0 + 3500);
    // Q: its own road user from its first box, no crossing (it walks away from the line).
    expect(qUser.summary.firstTs).toBe(T0 + 2200);
    expect(qUser.summary.frames).toBe(98);
    expect(qUser.summary.crossings).toEqual([]);
    expect(users.flatMap((u) => u.summary.crossings)).toHaveLength(1);
  });

  it('without stitching the jump splits P in two and nothing is counted twice either', () => {
    const users = run(pipeline({ stitch: false }), 120, scene);
    // A (P then Q: the tracker's own identity switch), B (P after the jump, crossing the line).
    expect(users.flatMap((u) => u.summary.crossings.map((c) => c.direction))).toEqual(['in']);
  });
});

describe('CameraPipeline score thresholds from the camera score distribution', () => {
  // 20 pedestrians walk east in lanes 2 m apart (y = 5 … 43 m) at 1.5 m/s from x = 10 m, crossing the line
  // (x = 20 m) at frame ≈ 67; their scores vary deterministically by ±0.04 around `mid`.
  const crowd =
    (mid: number) =>
    (k: number): PipelineObject[] =>
      Array.from({ length: 20 }, (_, i) => person(10 + 0.15 * k, 5 + 2 * i, mid + 0.04 * Math.sin(1.7 * k + i)));
  const crossings = (users: FinishedRoadUser[]): number => users.flatMap((u) => u.summary.crossings).length;

  it('a camera whose scores are all shifted down (0.48–0.56, below the new-track 0.6) still gets its tracks', () => {
    // Weak births off: the score adaptation alone.
    const tracker = { lowBirthHits: 0 };
    const fixed = pipeline({ adaptiveScores: false, tracker });
    expect(crossings(run(fixed, 150, crowd(0.52)))).toBe(0);
    expect(fixed.scoreThresholdFactor).toBe(1);
    // The pipeline's default tentative births (lowBirthHits 2, from 0.3) count them without any adaptation.
    expect(crossings(run(pipeline({ adaptiveScores: false }), 150, crowd(0.52)))).toBe(20);

    const adaptive = pipeline({ tracker });
    const out: FinishedRoadUser[] = [];
    // Warm-up (1000 boxes = 50 frames): fixed thresholds, nothing starts.
    for (let k = 0; k < 49; k++) adaptive.processFrame(T0 + k * 100, crowd(0.52)(k), out);
    expect(adaptive.scoreThresholdFactor).toBe(1);
    expect(adaptive.activeTracks).toBe(0);
    for (let k = 49; k < 150; k++) adaptive.processFrame(T0 + k * 100, crowd(0.52)(k), out);
    // Person group: median ≈ 0.52, p90 ≈ 0.557 against the reference 0.676 / 0.828 → new tracks from
    // 0.52 + (0.6 − 0.676) × 0.037 / 0.152 ≈ 0.50 (factor ≈ 0.84; trackHigh 0.5 → 0.42). No other group has boxes
    // of its own: they follow the camera's pooled scores (the same boxes against the all-box reference 0.7 / 0.856:
    // 0.52 + (0.6 − 0.7) × 0.037 / 0.156 ≈ 0.497, factor ≈ 0.83); before the pooled fallback they stayed at 1.
    expect(adaptive.scoreThresholdFactor).toBeGreaterThan(0.82);
    expect(adaptive.scoreThresholdFactor).toBeLessThan(0.85);
    for (const f of adaptive.scoreThresholdFactors.slice(1)) expect(f).toBeCloseTo(0.829, 3);
    adaptive.flush(out);
    expect(crossings(out)).toBe(20);
  });

  it('a class group with few boxes of its own follows the camera pooled scores: a weak cyclist in a weak crowd counts', () => {
    // The crowd (0.48–0.56) warms the pooled distribution up; one cyclist (score 0.52, below the fixed new-track
    // 0.6) rides east along y = 47 m at 2 m/s from x = 10 m, crossing the line at frame 100: its 40 two-wheeler boxes
    // are far from the group's own 1,000-box warm-up, so its thresholds come from the pooled factor ≈ 0.83 (new
    // tracks from ≈ 0.50). Weak births off: the thresholds alone. Before the pooled fallback: factor 1, no track.
    const p = pipeline({ tracker: { lowBirthHits: 0 } });
    const users = run(p, 150, (k) => {
      const o = crowd(0.52)(k);
      if (k >= 50 && k < 150) o.push({ ...bike(10 + 0.2 * (k - 50), 47), score: 0.52 });
      return o;
    });
    expect(p.scoreThresholdFactors[1]).toBeCloseTo(0.829, 2);
    const cyclist = users.filter((u) => u.voteMode === 'bicycle');
    expect(cyclist.flatMap((u) => u.summary.crossings.map((c) => c.direction))).toEqual(['in']);
    expect(crossings(users)).toBe(21);
  });

  it('a detector scoring like the default one (0.82–0.90) keeps the fixed thresholds and the same counts', () => {
    const fixed = pipeline({ adaptiveScores: false });
    const adaptive = pipeline();
    const a = run(adaptive, 150, crowd(0.86));
    expect(adaptive.scoreThresholdFactor).toBe(1);
    expect(crossings(a)).toBe(20);
    expect(crossings(run(fixed, 150, crowd(0.86)))).toBe(20);
  });
});

describe('CameraPipeline road users cut by the image border', () => {
  // A 400 × 300 px image (40 m × 30 m of ground at 10 px/m). A car (4 m × 2 m box) drives along y = 20 m at
  // 10 m/s (1 m per frame). Near the right border its box is cut: the bottom-centre of the visible part is at
  // (x + 38) / 2 m, so its raw foot point never gets beyond 39.4 m. The line is at x = 39.2 m; the detector drops
  // boxes less than 30 % inside the image (x > 40.8 m).
  const image = { width: 400, height: 300 };
  const line = [{ id: 'edge', a: [39.2, 0] as [number, number], b: [39.2, 50] as [number, number] }];
  const car = (x: number): PipelineObject[] => {
    const u0 = x * 10 - 20;
    const u1 = Math.min(400, u0 + 40);
    return u1 - u0 >= 12 ? [{ bbox: [u0, 180, u1 - u0, 20], cls: 'car', score: 0.9 }] : [];
  };
  const sized = (p: CameraPipeline, frames: number, at: (k: number) => PipelineObject[]): FinishedRoadUser[] => {
    const out: FinishedRoadUser[] = [];
    for (let k = 0; k < frames; k++) p.processFrame(T0 + k * 100, at(k), out, image.width, image.height);
    p.flush(out);
    return out;
  };
  const leaving = (k: number): PipelineObject[] => car(25 + k);
  const entering = (k: number): PipelineObject[] => car(41 - k);

  it('without the image size the crossing at the border is lost (raw foot points stop short of the line)', () => {
    const users = run(pipeline({ lines: line }), 25, leaving);
    expect(users.flatMap((u) => u.summary.crossings)).toEqual([]);
    const back = run(pipeline({ lines: line }), 25, entering);
    expect(back.flatMap((u) => u.summary.crossings)).toEqual([]);
  });

  it('leaving through the border: dead-reckoned from the uncut positions, the crossing is counted once', () => {
    const p = pipeline({ lines: line });
    const users = sized(p, 25, leaving);
    const c = users.flatMap((u) => u.summary.crossings);
    expect(c.map((x) => x.direction)).toEqual(['in']);
    // True crossing at x = 39.2 m: frame 14.2 (1 420 ms); smoothing and the last frame put it within 0.6 s.
    expect(c[0].ts).toBeGreaterThan(T0 + 1300);
    expect(c[0].ts).toBeLessThan(T0 + 2000);
    expect(p.borderReckoned).toBeGreaterThan(0);
    // Off: the old behaviour.
    const off = sized(pipeline({ lines: line, borderDeadReckonMs: 0 }), 25, leaving);
    expect(off.flatMap((u) => u.summary.crossings)).toEqual([]);
  });

  it('entering through the border: placed on the ground once uncut, reckoned back to when it was first seen', () => {
    const users = sized(pipeline({ lines: line }), 25, entering);
    const c = users.flatMap((u) => u.summary.crossings);
    expect(c.map((x) => x.direction)).toEqual(['out']);
    // True crossing at x = 39.2 m: frame 1.8 (180 ms).
    expect(c[0].ts).toBeGreaterThanOrEqual(T0);
    expect(c[0].ts).toBeLessThan(T0 + 700);
  });

  it('a road user cut all along keeps its raw foot points (counted as before)', () => {
    // A car parked half out of the picture, then driving along the border line's side: never uncut.
    const users = sized(pipeline({ lines: line }), 20, (k) => [
      { bbox: [380, 100 + 5 * k, 20, 20], cls: 'car', score: 0.9 },
    ]);
    expect(users).toHaveLength(1);
    expect(users[0].summary.frames).toBe(20);
    expect(users[0].summary.crossings).toEqual([]);
  });
});

describe('CameraPipeline stitching a fast road user at a low frame rate', () => {
  // A motorcycle (1.5 m box) at 12 m/s filmed at 5 fps: 2.4 m (24 px) per frame, so its boxes never overlap and
  // the tracker starts a new track every frame. Crosses the line x = 20 m between frames 4 and 5.
  const moto = (k: number): PipelineObject[] => [
    { bbox: [(10 + 2.4 * k) * 10 - 7.5, 100 - 15, 15, 15], cls: 'motorcycle', score: 0.9 },
  ];
  const at5fps = (p: CameraPipeline): FinishedRoadUser[] => run(p, 9, moto, 200);

  it('one-frame fragments joined by a gate that allows a plausible speed: one road user, one crossing', () => {
    const p = pipeline({ fps: 5 });
    const users = at5fps(p);
    expect(users).toHaveLength(1);
    expect(users[0].summary.crossings.map((c) => c.direction)).toEqual(['in']);
    expect(p.stitched).toBe(8);
  });

  it('with the gate growing at 1 m/s only (the previous rule) every frame is a road user and nothing counts', () => {
    const users = at5fps(pipeline({ fps: 5, stitch: { unknownSpeedMs: 1 } }));
    expect(users).toHaveLength(9);
    expect(users.flatMap((u) => u.summary.crossings)).toEqual([]);
  });
});

/** 5 fps in a 400 × 300 px image (10 px/m): a motorcycle's 2 m × 1.5 m box at x (m) on y = 10 m, `at(k)` for frame k. */
const SMALL_IMAGE = { width: 400, height: 300 };
const moto5 = (x: number): PipelineObject => ({ bbox: [x * 10 - 10, 100 - 15, 20, 15], cls: 'motorcycle', score: 0.9 });
function run5fps(p: CameraPipeline, frames: number, at: (k: number) => PipelineObject[]): FinishedRoadUser[] {
  const out: FinishedRoadUser[] = [];
  for (let k = 0; k < frames; k++) p.processFrame(T0 + k * 200, at(k), out, SMALL_IMAGE.width, SMALL_IMAGE.height);
  p.flush(out);
  return out;
}

describe('CameraPipeline: a fast road user leaving the picture between two frames at 5 fps', () => {
  // A 400 × 300 px image (10 px/m). A motorcycle (2 m × 1.5 m box) rides west along y = 10 m at 12.5 m/s filmed at
  // 5 fps: 2.5 m (25 px) per frame, x = 20 − 2.5 k m. Its last box (k = 6, x = 5 m, pixels 40–60) is whole; the
  // next ones are cut by the left border and the detector drops them. The line x = 3 m is crossed at k = 6.8
  // (1 360 ms), after the last box: the raw positions stop 2 m short of it.
  const line = [{ id: 'west', a: [3, 0] as [number, number], b: [3, 50] as [number, number] }];
  const ride = (p: CameraPipeline, last: number, x0 = 20): FinishedRoadUser[] =>
    run5fps(p, 12, (k) => (k <= last ? [moto5(x0 - 2.5 * k)] : []));

  it('its box moved on by two frames of its image velocity is cut: reckoned 1 s on, the crossing counted once', () => {
    const p = pipeline({ fps: 5, lines: line });
    const users = ride(p, 6);
    expect(users).toHaveLength(1);
    const c = users[0].summary.crossings;
    expect(c.map((x) => x.direction)).toEqual(['out']);
    // Between the last box (1 200 ms) and the reckoned position (2 200 ms, x = −7.5 m): the true 1 360 ms, as the
    // smoothed path crosses x = 3 m.
    expect(c[0].ts).toBeGreaterThan(T0 + 1200);
    expect(c[0].ts).toBeLessThan(T0 + 1700);
    expect(p.borderExits).toBe(1);
  });

  it('off (borderExitFrames 0), or without the image size, the crossing is lost', () => {
    expect(ride(pipeline({ fps: 5, lines: line, borderExitFrames: 0 }), 6)[0].summary.crossings).toEqual([]);
    const out: FinishedRoadUser[] = [];
    const p = pipeline({ fps: 5, lines: line });
    for (let k = 0; k <= 6; k++) p.processFrame(T0 + k * 200, [moto5(20 - 2.5 * k)], out);
    p.flush(out);
    expect(out[0].summary.crossings).toEqual([]);
    expect(p.borderExits).toBe(0);
  });

  it('four frames: a last box 90 px inside, cut only 4 frames on (−10 px), is reckoned on; 3: not', () => {
    // Last box at x = 10 m (pixels 90–110), 3 frames on at 15–35 px (whole), 4 frames on at −10–10 px (cut); the line
    // x = 8 m is crossed 160 ms after the last box, the raw positions stop 2 m short of it.
    const at8 = [{ id: 'w8', a: [8, 0] as [number, number], b: [8, 50] as [number, number] }];
    expect(ride(pipeline({ fps: 5, lines: at8, borderExitFrames: 3 }), 6, 25)[0].summary.crossings).toEqual([]);
    const users = ride(pipeline({ fps: 5, lines: at8, borderExitFrames: 4 }), 6, 25);
    expect(users[0].summary.crossings.map((c) => c.direction)).toEqual(['out']);
  });

  it('six frames (the default): a last box 140 px inside, cut only 6 frames on (−10 px), is reckoned on; 5: not', () => {
    // Last box at x = 15 m (pixels 140–160), 5 frames on at 15–35 px (whole), 6 frames on at −10–10 px (cut, within
    // 2 + 0.04 × 20 px of the border); the line x = 13 m is crossed 160 ms after the last box. A motorcyclist hidden
    // by a car for a frame or two just before it leaves the picture ends like this at 5 fps.
    const at13 = [{ id: 'w13', a: [13, 0] as [number, number], b: [13, 50] as [number, number] }];
    expect(ride(pipeline({ fps: 5, lines: at13, borderExitFrames: 5 }), 6, 30)[0].summary.crossings).toEqual([]);
    const p = pipeline({ fps: 5, lines: at13 });
    const users = ride(p, 6, 30);
    expect(users[0].summary.crossings.map((c) => c.direction)).toEqual(['out']);
    expect(p.borderExits).toBe(1);
  });

  it('a road user that vanishes mid-picture (hidden, not leaving) is not reckoned across a line ahead of it', () => {
    // Same ride 5 m further east: its last box at x = 20 m (pixels 190–210), six frames on still 40 px inside.
    const p = pipeline({ fps: 5, lines: [{ id: 'mid', a: [18, 0], b: [18, 50] }] });
    const users = ride(p, 6, 35);
    expect(users[0].summary.crossings).toEqual([]);
    expect(p.borderExits).toBe(0);
  });
});

describe('CameraPipeline: a fast road user entering the picture between two frames at 5 fps', () => {
  // The mirror image: riding east at 12.5 m/s, x = 5 + 2.5 k m, first box whole at x = 5 m (pixels 40–60; the
  // frame before it was cut and dropped). The line x = 3 m was crossed 160 ms before the first box.
  const ride = (p: CameraPipeline, x0: number): FinishedRoadUser[] => run5fps(p, 6, (k) => [moto5(x0 + 2.5 * k)]);
  const west = [{ id: 'west', a: [3, 0] as [number, number], b: [3, 50] as [number, number] }];

  it('its first box moved back two frames is cut: reckoned back 1 s before it, the crossing counted once', () => {
    const p = pipeline({ fps: 5, lines: west });
    const users = ride(p, 5);
    expect(users).toHaveLength(1);
    const c = users[0].summary.crossings;
    expect(c.map((x) => x.direction)).toEqual(['in']);
    // True T0 − 160 ms; the counter's smoothing (half way per step from the reckoned start T0 − 1 000 ms,
    // x = −7.5 m) times it at T0 + 194 ms: within 0.4 s.
    expect(Math.abs(c[0].ts - (T0 - 160))).toBeLessThan(400);
    expect(p.borderEntries).toBe(1);
    // Every position still reaches the counter: six frames plus the reckoned one.
    expect(users[0].summary.frames).toBe(7);
  });

  it('off (borderExitFrames 0) the crossing is lost; first seen mid-picture, nothing is reckoned', () => {
    const off = ride(pipeline({ fps: 5, lines: west, borderExitFrames: 0 }), 5);
    expect(off[0].summary.crossings).toEqual([]);
    expect(off[0].summary.frames).toBe(6);
    // First box at x = 20 m (pixels 190–210): six frames back still 40 px inside.
    const p = pipeline({ fps: 5, lines: [{ id: 'mid', a: [18, 0], b: [18, 50] }] });
    const mid = ride(p, 20);
    expect(mid[0].summary.crossings).toEqual([]);
    expect(p.borderEntries).toBe(0);
    // Its last box (x = 32.5 m, pixels 315–335) six frames on is cut by the right border: reckoned on as it leaves.
    expect(p.borderExits).toBe(1);
    expect(mid[0].summary.frames).toBe(7);
  });
});

describe('CameraPipeline: a truck through a 5 fps camera, in and out through the image borders', () => {
  // A 12 m × 4 m truck box (120 × 40 px) at 12.5 m/s, centre x = 2.5 k − 3 m: it enters cut by the left border
  // (frames 0–3), is whole over the line x = 20 m (crossed at frame 9.2), then leaves cut by the right border
  // (from x ≈ 33.3 m) and is dropped when less than a third of it is left. A long box must stay one road user: its
  // cut boxes are reckoned on the ground, its entry reckoned back and its exit reckoned on, and still one crossing.
  const truck = (k: number): PipelineObject[] => {
    const x = 2.5 * k - 3;
    const u0 = Math.max(0, (x - 6) * 10);
    const u1 = Math.min(400, (x + 6) * 10);
    return u1 - u0 >= 40 ? [{ bbox: [u0, 140, u1 - u0, 40], cls: 'truck', score: 0.85 }] : [];
  };

  it('one road user, one crossing, at the true time within 0.4 s', () => {
    const p = pipeline({ fps: 5 });
    const users = run5fps(p, 24, truck);
    expect(users).toHaveLength(1);
    const c = users[0].summary.crossings;
    expect(c.map((x) => x.direction)).toEqual(['in']);
    expect(Math.abs(c[0].ts - (T0 + 9.2 * 200))).toBeLessThan(400);
    expect(p.borderReckoned).toBeGreaterThan(0);
  });
});

describe('pipelineTrackerOptions: Kalman velocity noise scaled by the frame rate', () => {
  it('1/160 of the box height per frame at 30 fps and above, × 30 / fps below (6/160 at 5 fps); operator wins', () => {
    expect(pipelineTrackerOptions(30).stdWeightVelocity).toBeCloseTo(1 / 160, 12);
    expect(pipelineTrackerOptions(60).stdWeightVelocity).toBeCloseTo(1 / 160, 12);
    expect(pipelineTrackerOptions(5).stdWeightVelocity).toBeCloseTo(6 / 160, 12);
    expect(pipelineTrackerOptions(12.5).stdWeightVelocity).toBeCloseTo(2.4 / 160, 12);
    expect(pipelineTrackerOptions(5, { stdWeightVelocity: 0.01 }).stdWeightVelocity).toBe(0.01);
    // Young tracks' IoU buffer: 0.1 × (30 / fps − 1), at most 0.5.
    expect(pipelineTrackerOptions(30).youngTrackBuffer).toBe(0);
    expect(pipelineTrackerOptions(15).youngTrackBuffer).toBeCloseTo(0.1, 12);
    expect(pipelineTrackerOptions(10).youngTrackBuffer).toBeCloseTo(0.2, 12);
    expect(pipelineTrackerOptions(5).youngTrackBuffer).toBeCloseTo(0.5, 12);
    expect(pipelineTrackerOptions(2).youngTrackBuffer).toBe(0.5);
    expect(pipelineTrackerOptions(5, { youngTrackBuffer: 0 }).youngTrackBuffer).toBe(0);
    expect(pipelineTrackerOptions(5)).toMatchObject({
      fps: 5,
      minHits: 1,
      highInSecondAssociation: true,
      lostInSecondAssociation: 1,
      tentativeMatchThresh: 0.7,
    });
  });

  it('a road user coming towards a 5 fps camera (its box speeding up by 5 px per frame) keeps one track', () => {
    // A 60 × 40 px box moving 10, 15, 20 … px per frame: with the 30 fps noise the filter learns the growing
    // velocity too slowly, the predicted box falls behind and the track breaks twice.
    const tracks = (o: ReturnType<typeof pipelineTrackerOptions>): number => {
      const t = new ByteTracker(o);
      const seen = new Set<number>();
      let x = 100;
      for (let k = 0; k < 14; k++) {
        const f = t.update(k * 200, [{ bbox: [x, 200, 60, 40], score: 0.9, cls: 'motorcycle' }]);
        for (let i = 0; i < f.count; i++) seen.add(f.ids[i]);
        x += 10 + 5 * k;
      }
      return seen.size;
    };
    expect(tracks(pipelineTrackerOptions(5))).toBe(1);
    // The Kalman noise alone (young tracks' IoU buffer off: with it the 30 fps noise breaks the track once).
    expect(tracks(pipelineTrackerOptions(5, { stdWeightVelocity: 1 / 160, youngTrackBuffer: 0 }))).toBe(3);
    expect(tracks(pipelineTrackerOptions(5, { stdWeightVelocity: 1 / 160 }))).toBe(2);
  });
});

/** The two-wheeler box of a cyclist whose wheels touch the ground at (x, y): 1.7 m long, 1 m high. */
const bike = (x: number, y: number, cls = 'bicycle'): PipelineObject => ({
  bbox: [x * 10 - 8.5, y * 10 - 10, 17, 10],
  cls,
  score: 0.9,
});
/** Its rider's box: 0.6 m wide, 1.6 m high, its bottom 0.2 m above the wheels' (half of it on the bicycle box). */
const rider = (x: number, y: number, cls = 'person'): PipelineObject => ({
  bbox: [x * 10 - 3, y * 10 - 18, 6, 16],
  cls,
  score: 0.9,
});

/** Crossings the worker counts: those of road users that are not riders. */
const counted = (users: readonly FinishedRoadUser[]): number =>
  users.filter((u) => !u.rider).reduce((n, u) => n + u.summary.crossings.length, 0);

describe('CameraPipeline riders of a two-wheeler tracked in fragments', () => {
  // A cyclist rides east along y = 10 m at 2 m/s from x = 10 m (0.2 m a frame), crossing x = 20 m at frame 50.
  // The rider box is seen all along; the bicycle box is missed in frames 35–39 and 60–64 (a weak detector), and
  // without stitching its track breaks in three: A (frames 0–34, before the line), B (40–59, across it) and C
  // (65–99, after it). The rider sat on A and C longest (35 frames each), but it is B that counted the crossing.
  const frames = (k: number): PipelineObject[] => {
    const x = 10 + 0.2 * k;
    const o = [rider(x, 10)];
    if (!((k >= 35 && k < 40) || (k >= 60 && k < 65))) o.push(bike(x, 10));
    return o;
  };
  const opts = { stitch: false as const, tracker: { trackBuffer: 1 } };

  it('the bicycle is three road users, one of which (B) counted the crossing', () => {
    const users = run(pipeline(opts), 100, frames);
    const bikes = users.filter((u) => u.voteMode === 'bicycle');
    expect(bikes.map((u) => u.summary.crossings.length)).toEqual([0, 1, 0]);
  });

  it('the rider is covered by every bicycle track it sat on: the crossing is counted once', () => {
    const users = run(pipeline(opts), 100, frames);
    const riders = users.filter((u) => u.voteMode === 'pedestrian');
    expect(riders).toHaveLength(1);
    expect(riders[0].rider).toBe(true);
    expect(counted(users)).toBe(1);
  });

  it('a rider whose bicycle box was never on the line still counts it (nothing else did)', () => {
    // The bicycle box is missed from frame 40 to 59: no bicycle track spans the line.
    const users = run(pipeline(opts), 100, (k) => {
      const x = 10 + 0.2 * k;
      return k >= 40 && k < 60 ? [rider(x, 10)] : [rider(x, 10), bike(x, 10)];
    });
    const riders = users.filter((u) => u.voteMode === 'pedestrian');
    expect(riders.map((u) => [u.rider, u.summary.crossings.length])).toEqual([[false, 1]]);
    expect(counted(users)).toBe(1);
  });
});

describe('CameraPipeline riders named after their two-wheeler (two bicycle boxes, one on the other)', () => {
  const frames = (k: number): PipelineObject[] => {
    const x = 10 + 0.2 * k;
    return [rider(x, 10, 'bicycle'), bike(x, 10)];
  };

  it('the rider box labelled bicycle is a rider of the bicycle box under it: one crossing, not two', () => {
    const users = run(pipeline(), 100, frames);
    expect(users).toHaveLength(2);
    expect(users.map((u) => u.rider).sort()).toEqual([false, true]);
    expect(counted(users)).toBe(1);
  });

  it('a second cyclist 1.2 m further from the camera, its box overlapping the first one, is counted', () => {
    // Its box is higher in the image (bottom 12 px above the first's): not sitting on it, a road user of its own.
    const users = run(pipeline(), 100, (k) => {
      const x = 10 + 0.2 * k;
      return [bike(x, 10), bike(x + 0.5, 8.8)];
    });
    expect(users.filter((u) => u.rider)).toHaveLength(0);
    expect(counted(users)).toBe(2);
  });
});
