import { describe, expect, it } from 'vitest';
import { fitHomography } from '../geometry/homography.ts';
import {
  CameraPipeline,
  type CameraPipelineOptions,
  type FinishedRoadUser,
  type PipelineObject,
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
function run(p: CameraPipeline, frames: number, at: (k: number) => PipelineObject[]): FinishedRoadUser[] {
  const out: FinishedRoadUser[] = [];
  for (let k = 0; k < frames; k++) p.processFrame(T0 + k * 100, at(k), out);
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
