/**
 * One camera's video-flows pipeline, pure and allocation-light: detections of a frame → ByteTrack tracker →
 * foot points on the ground (homography) → counting lines, zones and movements → per-track samples for the mode
 * classifier. When a track ends it yields a `FinishedRoadUser`: the counting summary and a feature vector, never
 * the track itself (ids and boxes stay in here).
 */
import { CameraCounter } from '../counting/counter.ts';
import type { CameraCounterOptions, CountingLine, Mode, TrackSummary, Zone } from '../counting/types.ts';
import { groundBoxSize, pathLengthAndStraightness } from '../features/ground-size.ts';
import { computeTrackFeatures, detectorClassIndex, FEATURE_COUNT } from '../features/track-features.ts';
import type { GroundHomography } from '../geometry/homography.ts';
import { lsSpeed, MS_TO_KMH } from '../geometry/speed.ts';
import { ByteTracker, type FinishedTrack } from '../tracker/byte-tracker.ts';
import type { ByteTrackerOptions } from '../tracker/options.ts';

export interface CameraPipelineOptions {
  cameraId: string;
  siteId: string;
  /** Image → ground (local metres, the frame of `lines` and `zones`). */
  homography: GroundHomography;
  lines: readonly CountingLine[];
  zones: readonly Zone[];
  /** Frame rate of the camera (tracker buffers scale with it). @default 10 */
  fps?: number;
  tracker?: Partial<ByteTrackerOptions>;
  counter?: Omit<CameraCounterOptions, 'lines' | 'zones'>;
  /** Samples kept per track for features; older samples are decimated by 2 when full. @default 256 */
  maxSamplesPerTrack?: number;
  /** A person track whose box sits on a bicycle/motorcycle box in at least this share of frames is a rider. @default 0.5 */
  riderShare?: number;
}

/** What leaves the pipeline when a road user's track ends. */
export interface FinishedRoadUser {
  summary: TrackSummary;
  /** FEATURE_COUNT values (see FEATURE_NAMES). */
  features: Float32Array;
  /** Majority vote over detector classes, mapped to a mode (the baseline the classifier must beat). */
  voteMode: Mode | undefined;
  /** True when the track is the rider of a tracked bicycle or motorcycle (not counted separately). */
  rider: boolean;
}

/** Minimal shape of a detected object (structurally a `DetectedObject` of detections.v1). */
export interface PipelineObject {
  readonly bbox: ArrayLike<number>;
  readonly cls: string;
  readonly score: number;
}

const VOTE_TO_MODE: readonly Mode[] = ['pedestrian', 'bicycle', 'car', 'motorcycle', 'bus', 'truck'];

/** Growable per-track sample columns. */
class Samples {
  n = 0;
  cap: number;
  t: Float64Array;
  x: Float64Array;
  y: Float64Array;
  w: Float64Array;
  h: Float64Array;
  a: Float64Array;
  votes = new Float64Array(6);
  riderFrames = 0;
  withRiderFrames = 0;
  frames = 0;
  constructor(cap: number) {
    this.cap = cap;
    this.t = new Float64Array(cap);
    this.x = new Float64Array(cap);
    this.y = new Float64Array(cap);
    this.w = new Float64Array(cap);
    this.h = new Float64Array(cap);
    this.a = new Float64Array(cap);
  }
  push(t: number, x: number, y: number, w: number, h: number, a: number): void {
    if (this.n === this.cap) {
      // Keep every other sample: bounded memory, the whole track still covered.
      let j = 0;
      for (let i = 0; i < this.n; i += 2, j++) {
        this.t[j] = this.t[i];
        this.x[j] = this.x[i];
        this.y[j] = this.y[i];
        this.w[j] = this.w[i];
        this.h[j] = this.h[i];
        this.a[j] = this.a[i];
      }
      this.n = j;
    }
    const k = this.n++;
    this.t[k] = t;
    this.x[k] = x;
    this.y[k] = y;
    this.w[k] = w;
    this.h[k] = h;
    this.a[k] = a;
  }
}

function overlapShare(b: ArrayLike<number>, o: ArrayLike<number>): number {
  const iw = Math.min(b[0] + b[2], o[0] + o[2]) - Math.max(b[0], o[0]);
  if (iw <= 0) return 0;
  const ih = Math.min(b[1] + b[3], o[1] + o[3]) - Math.max(b[1], o[1]);
  if (ih <= 0) return 0;
  const area = b[2] * b[3];
  return area > 0 ? (iw * ih) / area : 0;
}

export class CameraPipeline {
  readonly cameraId: string;
  readonly siteId: string;
  private readonly tracker: ByteTracker;
  private readonly counter: CameraCounter;
  private readonly H: GroundHomography;
  private readonly samples = new Map<number, Samples>();
  private readonly maxSamples: number;
  private readonly riderShare: number;
  private xs = new Float64Array(64);
  private ys = new Float64Array(64);
  private ids = new Int32Array(64);
  private riderFlag = new Uint8Array(64);
  private readonly size = new Float64Array(2);
  private readonly pathOut = new Float64Array(2);
  private lastTs = Number.NEGATIVE_INFINITY;
  /** Frames dropped because their time went backwards (late or clock jump). */
  lateFrames = 0;

  constructor(o: CameraPipelineOptions) {
    this.cameraId = o.cameraId;
    this.siteId = o.siteId;
    this.H = o.homography;
    this.tracker = new ByteTracker({ fps: o.fps ?? 10, ...o.tracker });
    this.counter = new CameraCounter({ ...o.counter, lines: o.lines, zones: o.zones });
    this.maxSamples = o.maxSamplesPerTrack ?? 256;
    this.riderShare = o.riderShare ?? 0.5;
  }

  get activeTracks(): number {
    return this.samples.size;
  }

  get lastFrameTs(): number {
    return this.lastTs;
  }

  /**
   * Processes one frame. Frames older than the last one are counted in `lateFrames` and skipped (a tracker
   * cannot go back in time). Finished road users are appended to `out`.
   */
  processFrame(ts: number, objects: readonly PipelineObject[], out: FinishedRoadUser[]): void {
    if (ts <= this.lastTs) {
      this.lateFrames++;
      return;
    }
    this.lastTs = ts;
    const nObj = objects.length;
    if (this.riderFlag.length < nObj) this.riderFlag = new Uint8Array(nObj * 2);
    // Rider flags: 1 = person box on a two-wheeler box, 2 = two-wheeler box carrying a person box.
    const flags = this.riderFlag;
    flags.fill(0, 0, nObj);
    for (let i = 0; i < nObj; i++) {
      if (objects[i].cls !== 'person') continue;
      for (let j = 0; j < nObj; j++) {
        const c = objects[j].cls;
        if ((c === 'bicycle' || c === 'motorcycle') && overlapShare(objects[i].bbox, objects[j].bbox) >= 0.3) {
          flags[i] |= 1;
          flags[j] |= 2;
        }
      }
    }
    const frame = this.tracker.update(ts, objects as never);
    const n = frame.count;
    if (this.xs.length < n) {
      this.xs = new Float64Array(n * 2);
      this.ys = new Float64Array(n * 2);
      this.ids = new Int32Array(n * 2);
    }
    this.H.feetToGround(frame.feet, n, this.xs, this.ys);
    for (let i = 0; i < n; i++) {
      const id = frame.ids[i];
      this.ids[i] = id;
      let s = this.samples.get(id);
      if (!s) {
        s = new Samples(this.maxSamples);
        this.samples.set(id, s);
      }
      const d = frame.detIndex[i];
      const b = d >= 0 ? objects[d].bbox : frame.boxes.subarray(4 * i, 4 * i + 4);
      groundBoxSize(this.H.h, b[0], b[1], b[2], b[3], this.size);
      s.push(ts, this.xs[i], this.ys[i], this.size[0], this.size[1], b[3] > 0 ? b[2] / b[3] : Number.NaN);
      s.frames++;
      if (d >= 0) {
        const v = detectorClassIndex(objects[d].cls);
        if (v >= 0) s.votes[v] += 1;
        if (flags[d] & 1) s.riderFrames++;
        if (flags[d] & 2) s.withRiderFrames++;
      }
    }
    this.counter.update(ts, this.ids, this.xs, this.ys, n);
    for (const f of frame.finished) this.finishTrack(f.id, out, f);
  }

  /** Ends every live track (end of input, or a long gap in the stream). */
  flush(out: FinishedRoadUser[]): void {
    for (const f of this.tracker.flush()) this.finishTrack(f.id, out, f);
    for (const id of [...this.samples.keys()]) this.finishTrack(id, out);
  }

  private finishTrack(id: number, out: FinishedRoadUser[], _f?: FinishedTrack): void {
    const s = this.samples.get(id);
    this.samples.delete(id);
    const summary = this.counter.finish(id);
    if (!s || !summary) return;
    const speeds = new Float64Array(s.n);
    const times = new Float64Array(s.n);
    let lo = 0;
    let hi = 0;
    for (let i = 0; i < s.n; i++) {
      const t = s.t[i];
      while (s.t[lo] < t - 1000) lo++;
      if (hi < i) hi = i;
      while (hi + 1 < s.n && s.t[hi + 1] <= t + 1000) hi++;
      const v = hi > lo ? lsSpeed(s.t, s.x, s.y, lo, hi + 1) : Number.NaN;
      speeds[i] = Number.isFinite(v) ? v * MS_TO_KMH : Number.NaN;
      times[i] = t / 1000;
    }
    pathLengthAndStraightness(s.x, s.y, s.n, this.pathOut);
    const features = new Float32Array(FEATURE_COUNT);
    computeTrackFeatures(
      {
        votes: s.votes,
        widthsM: s.w.subarray(0, s.n),
        heightsM: s.h.subarray(0, s.n),
        speedsKmh: speeds,
        timesS: times,
        aspects: s.a.subarray(0, s.n),
        durationS: s.n > 1 ? (s.t[s.n - 1] - s.t[0]) / 1000 : 0,
        nFrames: s.frames,
        pathLengthM: this.pathOut[0],
        straightness: this.pathOut[1],
        personBicycleShare: s.frames > 0 ? s.withRiderFrames / s.frames : 0,
      },
      features,
    );
    let best = -1;
    for (let k = 0; k < 6; k++) if (s.votes[k] > 0 && (best < 0 || s.votes[k] > s.votes[best])) best = k;
    const voteMode = best >= 0 ? VOTE_TO_MODE[best] : undefined;
    const rider = best === 0 && s.frames > 0 && s.riderFrames / s.frames >= this.riderShare;
    out.push({ summary, features, voteMode, rider });
  }
}
