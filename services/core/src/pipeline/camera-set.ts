/**
 * The cameras of one video-flows worker: frames in (any camera, interleaved), finished road users out with their
 * camera. One `CameraPipeline` per camera, created on its first frame from `optionsOf`; a camera whose frames jump
 * ahead by more than `maxClockJumpMs` (clock jump, long silence) has its live tracks ended first. The worker
 * (services/workers/src/roles/video-flows.ts) and the classifier's training and evaluation
 * (models/mode-classifier/src/scenario-features.ts) both run frames through this, so they see the same road users.
 */
import type { CameraPipelineOptions, FinishedRoadUser, PipelineObject } from './camera-pipeline.ts';
import { CameraPipeline } from './camera-pipeline.ts';

export interface CameraRoadUser {
  cameraId: string;
  user: FinishedRoadUser;
}

/** Outcome of one frame. */
export type FrameOutcome = 'ok' | 'late' | 'unknown-camera';

/**
 * Whether a finished road user gets a mode: not the rider of a counted two-wheeler, and it counted something (a
 * line crossing or a movement). The worker classifies exactly these.
 */
export function needsMode(u: FinishedRoadUser): boolean {
  return !u.rider && (u.summary.crossings.length > 0 || !!u.summary.movement);
}

export class CameraPipelineSet {
  private readonly pipelines = new Map<string, CameraPipeline>();
  private readonly unknown = new Set<string>();
  private readonly scratch: FinishedRoadUser[] = [];

  constructor(
    private readonly optionsOf: (cameraId: string) => CameraPipelineOptions | undefined,
    private readonly o: { maxClockJumpMs?: number } = {},
  ) {}

  /** The pipeline of a camera (created on first use), or undefined for a camera `optionsOf` does not know. */
  get(cameraId: string): CameraPipeline | undefined {
    let p = this.pipelines.get(cameraId);
    if (p || this.unknown.has(cameraId)) return p;
    const opts = this.optionsOf(cameraId);
    if (!opts) {
      if (this.unknown.size < 10_000) this.unknown.add(cameraId);
      return undefined;
    }
    p = new CameraPipeline(opts);
    this.pipelines.set(cameraId, p);
    return p;
  }

  /**
   * Runs one frame; finished road users of that camera are appended to `out`. `size`: the frame's image size when
   * it says it (`detections.v1` `width`/`height`), for boxes cut by the image border.
   */
  processFrame(
    cameraId: string,
    ts: number,
    objects: readonly PipelineObject[],
    out: CameraRoadUser[],
    size?: { width?: number; height?: number },
  ): FrameOutcome {
    const p = this.get(cameraId);
    if (!p) return 'unknown-camera';
    const f = this.scratch;
    const jump = this.o.maxClockJumpMs;
    if (jump !== undefined && Number.isFinite(p.lastFrameTs) && ts - p.lastFrameTs > jump) p.flush(f);
    const late = p.lateFrames;
    if (size?.width && size.height) p.processFrame(ts, objects, f, size.width, size.height);
    else p.processFrame(ts, objects, f);
    this.drain(cameraId, out);
    return p.lateFrames > late ? 'late' : 'ok';
  }

  /**
   * Drops a camera's pipeline without ending its tracks (nothing is reported): another worker now tracks it. Its next
   * frame starts a new pipeline, so frames older than the dropped one's last are accepted again.
   */
  forget(cameraId: string): void {
    this.pipelines.delete(cameraId);
  }

  /** Ends the live tracks of cameras silent since before `watermark − idleMs`. */
  flushIdle(watermark: number, idleMs: number, out: CameraRoadUser[]): void {
    for (const [id, p] of this.pipelines) {
      if (p.activeTracks > 0 && p.lastFrameTs < watermark - idleMs) {
        p.flush(this.scratch);
        this.drain(id, out);
      }
    }
  }

  /** Ends every live track (end of input). */
  flush(out: CameraRoadUser[]): void {
    for (const [id, p] of this.pipelines) {
      p.flush(this.scratch);
      this.drain(id, out);
    }
  }

  get size(): number {
    return this.pipelines.size;
  }

  get activeTracks(): number {
    let n = 0;
    for (const p of this.pipelines.values()) n += p.activeTracks;
    return n;
  }

  private drain(cameraId: string, out: CameraRoadUser[]): void {
    for (const user of this.scratch) out.push({ cameraId, user });
    this.scratch.length = 0;
  }
}
