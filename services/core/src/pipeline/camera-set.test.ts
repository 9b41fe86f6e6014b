import { describe, expect, it } from 'vitest';
import { fitHomography } from '../geometry/homography.ts';
import {
  CameraPipeline,
  type CameraPipelineOptions,
  type FinishedRoadUser,
  type PipelineObject,
} from './camera-pipeline.ts';
import { CameraPipelineSet, type CameraRoadUser, needsMode } from './camera-set.ts';

// 10 px per metre; a line at x = 20 m.
const H = fitHomography([
  { image: [0, 0], ground: [0, 0] },
  { image: [1000, 0], ground: [100, 0] },
  { image: [0, 1000], ground: [0, 100] },
  { image: [1000, 1000], ground: [100, 100] },
]).homography;
const options = (cameraId: string): CameraPipelineOptions => ({
  cameraId,
  siteId: 's',
  homography: H,
  lines: [{ id: 'l', a: [20, 0], b: [20, 50] }],
  zones: [],
  fps: 10,
});
const person = (x: number, y: number): PipelineObject => ({
  bbox: [x * 10 - 5, y * 10 - 30, 10, 30],
  cls: 'person',
  score: 0.9,
});
const T0 = 1_700_000_000_000;
/** Camera a: a pedestrian walking east across the line; camera b: one standing still west of it. */
const at = (cam: string, k: number): PipelineObject[] => (cam === 'a' ? [person(10 + 0.15 * k, 10)] : [person(5, 10)]);

describe('CameraPipelineSet', () => {
  it('gives, camera by camera, what one CameraPipeline per camera gives', () => {
    const set = new CameraPipelineSet((id) => (id === 'x' ? undefined : options(id)));
    const out: CameraRoadUser[] = [];
    const outcomes = new Set<string>();
    for (let k = 0; k < 140; k++) {
      for (const cam of ['a', 'b', 'x']) outcomes.add(set.processFrame(cam, T0 + k * 100, at(cam, k), out));
    }
    expect(set.size).toBe(2);
    expect(set.activeTracks).toBe(2);
    set.flush(out);
    expect(outcomes).toEqual(new Set(['ok', 'unknown-camera']));
    for (const cam of ['a', 'b']) {
      const p = new CameraPipeline(options(cam));
      const ref: FinishedRoadUser[] = [];
      for (let k = 0; k < 140; k++) p.processFrame(T0 + k * 100, at(cam, k), ref);
      p.flush(ref);
      const mine = out.filter((u) => u.cameraId === cam).map((u) => u.user);
      expect(mine).toEqual(ref);
    }
    // The walker crossed the line and needs a mode; the one standing still counted nothing.
    expect(out.filter((u) => needsMode(u.user)).map((u) => u.cameraId)).toEqual(['a']);
    expect(set.processFrame('a', T0, [], out)).toBe('late');
  });

  it('ends live tracks on a clock jump and on idle cameras', () => {
    const set = new CameraPipelineSet(options, { maxClockJumpMs: 5000 });
    const out: CameraRoadUser[] = [];
    for (let k = 0; k < 20; k++) set.processFrame('a', T0 + k * 100, at('a', k), out);
    expect(out).toHaveLength(0);
    set.processFrame('a', T0 + 60_000, [], out); // one minute later
    expect(out).toHaveLength(1);
    for (let k = 0; k < 20; k++) set.processFrame('b', T0 + 70_000 + k * 100, at('b', k), out);
    set.flushIdle(T0 + 80_000, 5000, out);
    expect(out.map((u) => u.cameraId)).toEqual(['a', 'b']);
  });
});
