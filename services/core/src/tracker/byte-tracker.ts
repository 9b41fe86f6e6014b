/**
 * ByteTrack-family multi-object tracker for one camera (Zhang et al., "ByteTrack: Multi-Object
 * Tracking by Associating Every Detection Box", ECCV 2022):
 *
 * 1. predict every track with a constant-velocity Kalman filter on (cx, cy, a, h);
 * 2. associate high-score boxes with tracked and lost tracks (IoU, optionally fused with score);
 * 3. associate low-score boxes with the tracked tracks still unmatched (recovers occluded objects
 *    whose detector score dropped); tracks still unmatched become lost;
 * 4. associate unconfirmed (newborn) tracks with the remaining high boxes; unmatched ones die;
 * 5. start tracks from the remaining high boxes above `newTrackThresh`;
 * 6. remove tracks lost for more than `round(fps/30 × trackBuffer)` frames, and duplicates.
 *
 * State is struct-of-arrays in typed arrays indexed by slot (slots are reused), the IoU / cost
 * matrix and the assignment solver are reused between frames, and the per-frame output is a
 * reused columnar object: no per-detection allocation once the tracker has warmed up.
 */
import { AssignmentSolver } from '../assign/lsap.ts';
import { KalmanBoxFilter, KF_COV_STRIDE, KF_MEAN_STRIDE } from './kalman.ts';
import { type ByteTrackerOptions, maxLostFrames, resolveByteTrackerOptions } from './options.ts';

/** One input box; structurally compatible with `DetectedObject` of `detections.v1`. */
export interface TrackerBox {
  /** [left, top, width, height] in pixels. */
  readonly bbox: ArrayLike<number>;
  /** Detector confidence in [0, 1]. */
  readonly score: number;
  /** Detector class label (votes are kept per track). */
  readonly cls?: string;
}

/** Column-wise input for hot paths: `count` boxes. */
export interface DetectionColumns {
  readonly count: number;
  /** Packed [left, top, width, height] per box (length ≥ 4 × count). */
  readonly xywh: ArrayLike<number>;
  /** Score in [0, 1] per box. */
  readonly score: ArrayLike<number>;
  /** Class index per box from {@link ByteTracker.classIndex}, or -1; omitted = no class. */
  readonly cls?: ArrayLike<number>;
}

/** Why a track ended. */
export type TrackEndReason = 'lost' | 'duplicate' | 'flush';

/** Summary of a confirmed track that ended. */
export interface FinishedTrack {
  /** Tracker-internal numeric id (never leaves the worker). */
  readonly id: number;
  readonly reason: TrackEndReason;
  /** Timestamp of the first and last frame where a box was matched to the track. */
  readonly firstTs: number;
  readonly lastTs: number;
  /** Number of frames with a matched box. */
  readonly frames: number;
  /** Histogram of detector classes over matched boxes. */
  readonly classVotes: Readonly<Record<string, number>>;
  /** Class with most votes (first seen wins ties); undefined when boxes carried no class. */
  readonly cls: string | undefined;
  /** Mean width and height of the matched boxes, pixels. */
  readonly meanW: number;
  readonly meanH: number;
  /** Foot point (bottom-centre of the filtered box) at the first and last matched frame. */
  readonly firstFoot: readonly [number, number];
  readonly lastFoot: readonly [number, number];
  /** Length of the foot-point polyline over all matched frames, pixels. */
  readonly pathLength: number;
  /** Reduced foot-point polyline, flat [x0, y0, x1, y1, …] (see `historyMinStep`/`historyMaxPoints`). */
  readonly path: readonly number[];
}

/**
 * Output of one `update`: the confirmed tracks matched in this frame, column-wise (entries
 * `0..count-1`), and the tracks that ended. Owned by the tracker and overwritten by the next call.
 */
export interface TrackerFrame {
  readonly ts: number;
  readonly count: number;
  readonly ids: Float64Array;
  /** [left, top, width, height] per track (Kalman-filtered). */
  readonly boxes: Float64Array;
  /** [x, y] bottom-centre per track. */
  readonly feet: Float64Array;
  /** Score of the box matched this frame. */
  readonly scores: Float32Array;
  /** Index (into this frame's input) of the box matched this frame. */
  readonly detIndex: Int32Array;
  /** Majority class index so far ({@link ByteTracker.className}), -1 when none. */
  readonly classes: Int32Array;
  readonly finished: FinishedTrack[];
}

interface MutableFrame {
  ts: number;
  count: number;
  ids: Float64Array;
  boxes: Float64Array;
  feet: Float64Array;
  scores: Float32Array;
  detIndex: Int32Array;
  classes: Int32Array;
  finished: FinishedTrack[];
}

/** `finished` of frames where no track ended (shared, frozen: no allocation per frame). */
const NONE_FINISHED: FinishedTrack[] = Object.freeze([]) as unknown as FinishedTrack[];

const FREE = 0;
const TRACKED = 1;
const LOST = 2;

function iou(a: Float64Array, ao: number, b: Float64Array, bo: number): number {
  // Boxes as [x1, y1, x2, y2].
  const iw = Math.min(a[ao + 2], b[bo + 2]) - Math.max(a[ao], b[bo]);
  if (iw <= 0) return 0;
  const ih = Math.min(a[ao + 3], b[bo + 3]) - Math.max(a[ao + 1], b[bo + 1]);
  if (ih <= 0) return 0;
  const inter = iw * ih;
  const union = (a[ao + 2] - a[ao]) * (a[ao + 3] - a[ao + 1]) + (b[bo + 2] - b[bo]) * (b[bo + 3] - b[bo + 1]) - inter;
  return union > 0 ? inter / union : 0;
}

/** A track matched in fewer frames than this is young (see `youngTrackBuffer`). */
const YOUNG_HITS = 3;

/**
 * IoU of boxes a and b ([x1, y1, x2, y2]) each widened by `k` × its own width and height on each side (the
 * buffered IoU of C-BIoU).
 */
function bufferedIou(a: Float64Array, ao: number, b: Float64Array, bo: number, k: number): number {
  const aw = (a[ao + 2] - a[ao]) * k;
  const ah = (a[ao + 3] - a[ao + 1]) * k;
  const bw = (b[bo + 2] - b[bo]) * k;
  const bh = (b[bo + 3] - b[bo + 1]) * k;
  const ax1 = a[ao] - aw;
  const ax2 = a[ao + 2] + aw;
  const bx1 = b[bo] - bw;
  const bx2 = b[bo + 2] + bw;
  const iw = Math.min(ax2, bx2) - Math.max(ax1, bx1);
  if (iw <= 0) return 0;
  const ay1 = a[ao + 1] - ah;
  const ay2 = a[ao + 3] + ah;
  const by1 = b[bo + 1] - bh;
  const by2 = b[bo + 3] + bh;
  const ih = Math.min(ay2, by2) - Math.max(ay1, by1);
  if (ih <= 0) return 0;
  const inter = iw * ih;
  const union = (ax2 - ax1) * (ay2 - ay1) + (bx2 - bx1) * (by2 - by1) - inter;
  return union > 0 ? inter / union : 0;
}

/** Frame gaps kept for the nominal frame interval (`ByteTracker.frameSteps`). */
const GAP_WINDOW = 32;

export class ByteTracker {
  readonly options: Readonly<ByteTrackerOptions>;
  /** Frames a lost track survives (derived from fps and trackBuffer). */
  readonly maxLost: number;

  private readonly kf: KalmanBoxFilter;
  private readonly solver = new AssignmentSolver();
  private frameIdx = 0;
  /** Recent gaps between frames (ms, ring of `GAP_WINDOW`) and the nominal frame interval from them (0: not yet). */
  private readonly gaps = new Float64Array(GAP_WINDOW);
  private gapCount = 0;
  private prevTs = Number.NaN;
  private nominalMs = 0;
  private nextId = 1;
  /** Score thresholds in force: the options' ones × {@link scaleScoreThresholds}' factor. */
  private high: number;
  private low: number;
  private newThresh: number;

  // Track slots (struct of arrays).
  private cap = 0;
  private mean = new Float64Array(0);
  private cov = new Float64Array(0);
  private box = new Float64Array(0); // [x1, y1, x2, y2] from the current mean
  private tid = new Float64Array(0);
  private state = new Uint8Array(0);
  private activated = new Uint8Array(0);
  private matched = new Uint8Array(0);
  private hits = new Int32Array(0);
  /** Matched frames before the track is confirmed (`minHits`, or `lowBirthHits` for a track born of a weak box). */
  private need = new Int32Array(0);
  private startFrame = new Int32Array(0);
  private lastFrame = new Int32Array(0);
  private firstTs = new Float64Array(0);
  private lastTs = new Float64Array(0);
  private score = new Float32Array(0);
  private lastDet = new Int32Array(0);
  private sumW = new Float64Array(0);
  private sumH = new Float64Array(0);
  private foot0 = new Float64Array(0);
  private foot1 = new Float64Array(0);
  private pathLen = new Float64Array(0);
  private hist = new Float64Array(0);
  private histLen = new Int32Array(0);
  private votes = new Float64Array(0);
  private classCap = 8;
  private live = new Int32Array(0);
  private liveCount = 0;
  private free = new Int32Array(0);
  private freeCount = 0;
  private doomed = new Uint8Array(0);

  // Classes.
  private readonly classNames: string[] = [];
  private readonly classMap = new Map<string, number>();
  /** Last label looked up and its index (boxes of one tracker mostly share a label). */
  private lastClassName: string | undefined;
  private lastClassIndex = -1;

  // Per-frame detections and scratch.
  private detCap = 0;
  private nDet = 0;
  private detBox = new Float64Array(0); // [x1, y1, x2, y2]
  private detScore = new Float32Array(0);
  private detCls = new Int32Array(0);
  private detUsed = new Uint8Array(0);
  private idxA = new Int32Array(0);
  private idxB = new Int32Array(0);
  private idxC = new Int32Array(0);
  private idxD = new Int32Array(0);
  private costBuf = new Float64Array(256);

  private readonly out: MutableFrame = {
    ts: 0,
    count: 0,
    ids: new Float64Array(0),
    boxes: new Float64Array(0),
    feet: new Float64Array(0),
    scores: new Float32Array(0),
    detIndex: new Int32Array(0),
    classes: new Int32Array(0),
    finished: NONE_FINISHED,
  };

  constructor(options: Partial<ByteTrackerOptions> = {}) {
    this.options = resolveByteTrackerOptions(options);
    this.maxLost = maxLostFrames(this.options);
    this.high = this.options.trackHigh;
    this.low = this.options.trackLow;
    this.newThresh = this.options.newTrackThresh;
    this.kf = new KalmanBoxFilter({
      stdWeightPosition: this.options.stdWeightPosition,
      stdWeightVelocity: this.options.stdWeightVelocity,
    });
    this.growTracks(32);
  }

  /** Number of tracks held (tracked, lost and unconfirmed). */
  get size(): number {
    return this.liveCount;
  }

  /** Frames processed so far. */
  get frameCount(): number {
    return this.frameIdx;
  }

  /** Score thresholds in force (see {@link scaleScoreThresholds}). */
  get scoreThresholds(): { trackHigh: number; trackLow: number; newTrackThresh: number } {
    return { trackHigh: this.high, trackLow: this.low, newTrackThresh: this.newThresh };
  }

  /**
   * Sets the score thresholds to the options' `trackHigh`, `trackLow` and `newTrackThresh` × `factor` (> 0; thresholds
   * are capped at 1), from the next frame on: a camera whose detector scores lower than the one the
   * thresholds were set for (see `ScoreDistribution`) keeps the same share of its boxes high.
   */
  scaleScoreThresholds(factor: number): void {
    if (!(factor > 0)) throw new RangeError(`Score threshold factor must be > 0 (got ${factor}).`);
    const o = this.options;
    this.high = Math.min(1, o.trackHigh * factor);
    this.low = Math.min(this.high, o.trackLow * factor);
    this.newThresh = Math.min(1, o.newTrackThresh * factor);
  }

  /** Index of a detector class label (assigned on first use; stable for the tracker's lifetime). */
  classIndex(name: string): number {
    if (name === this.lastClassName) return this.lastClassIndex;
    let k = this.classMap.get(name);
    if (k === undefined) {
      k = this.classNames.length;
      this.classNames.push(name);
      this.classMap.set(name, k);
      if (k >= this.classCap) this.growClasses(this.classCap * 2);
    }
    this.lastClassName = name;
    this.lastClassIndex = k;
    return k;
  }

  /** Class label of an index from {@link classIndex} or {@link TrackerFrame.classes}. */
  className(index: number): string | undefined {
    return this.classNames[index];
  }

  /** Processes one frame of boxes (object form, e.g. `DetectionFrame.objects`). */
  update(frameTs: number, boxes: readonly TrackerBox[]): TrackerFrame {
    const n = boxes.length;
    this.ensureDets(n);
    for (let i = 0; i < n; i++) {
      const b = boxes[i];
      this.setDet(
        i,
        b.bbox[0],
        b.bbox[1],
        b.bbox[2],
        b.bbox[3],
        b.score,
        b.cls === undefined ? -1 : this.classIndex(b.cls),
      );
    }
    this.nDet = n;
    return this.step(frameTs);
  }

  /** Processes one frame of boxes given column-wise (no per-box objects). */
  updateColumns(frameTs: number, dets: DetectionColumns): TrackerFrame {
    const n = dets.count;
    this.ensureDets(n);
    const { xywh, score, cls } = dets;
    for (let i = 0; i < n; i++) {
      const c = cls === undefined ? -1 : cls[i];
      if (c >= this.classNames.length) {
        throw new RangeError(`ByteTracker.updateColumns: class index ${c} was not issued by classIndex().`);
      }
      this.setDet(i, xywh[4 * i], xywh[4 * i + 1], xywh[4 * i + 2], xywh[4 * i + 3], score[i], c);
    }
    this.nDet = n;
    return this.step(frameTs);
  }

  /** Ends every track (end of stream, camera closed): summaries of the confirmed ones. */
  flush(): FinishedTrack[] {
    const done: FinishedTrack[] = [];
    for (let k = 0; k < this.liveCount; k++) {
      const s = this.live[k];
      if (this.activated[s]) done.push(this.summary(s, 'flush'));
      this.release(s);
    }
    this.liveCount = 0;
    return done;
  }

  // ---------------------------------------------------------------------------------------------

  /**
   * Frame steps since the previous frame: 1, or, when frames were dropped or not sent (an edge device that publishes
   * only frames with boxes, or drops frames under load), the gap in nominal frame intervals, so that the Kalman
   * prediction and the lost tracks' ages follow time, not messages. The nominal interval is the median of the last
   * `GAP_WINDOW` gaps (from the 8th frame on; before that every frame is one step), measured rather than taken from
   * the configured fps, which a hand-written sites file may get wrong; a gap counts ⌊gap / nominal + 0.25⌋ steps, so a
   * camera that sends every frame gives 1 even with timestamps that jitter by a third of an interval (a gap up to
   * 1.75 intervals), and one frame missing (2 intervals) gives 2. At most `maxLost` + 1 steps.
   */
  private frameSteps(ts: number): number {
    const gap = ts - this.prevTs;
    this.prevTs = ts;
    if (!(gap > 0)) return 1;
    this.gaps[this.gapCount % GAP_WINDOW] = gap;
    this.gapCount++;
    if (this.gapCount >= 8 && (this.nominalMs === 0 || this.gapCount % 16 === 0)) {
      const n = Math.min(this.gapCount, GAP_WINDOW);
      const sorted = this.gaps.slice(0, n).sort(); // a typed array sorts numerically
      this.nominalMs = sorted[Math.floor((n - 1) / 2)];
    }
    if (!(this.nominalMs > 0)) return 1;
    return Math.min(this.maxLost + 1, Math.max(1, Math.floor(gap / this.nominalMs + 0.25)));
  }

  private step(ts: number): TrackerFrame {
    const o = this.options;
    const out = this.out;
    out.ts = ts;
    out.count = 0;
    out.finished = NONE_FINISHED;
    const steps = this.frameSteps(ts);
    this.frameIdx += steps;
    const frame = this.frameIdx;
    const nDet = this.nDet;
    if (nDet === 0 && this.liveCount === 0) return out; // nothing to predict, match or start
    this.detUsed.fill(0, 0, nDet);

    // Split boxes into high / low.
    const high = this.idxC;
    const low = this.idxD;
    let nHigh = 0;
    let nLow = 0;
    for (let d = 0; d < nDet; d++) {
      const s = this.detScore[d];
      if (s >= this.high) high[nHigh++] = d;
      else if (s >= this.low) low[nLow++] = d;
    }

    // Predict; split tracks into the confirmed pool (tracked + lost) and unconfirmed.
    const pool = this.idxA;
    const unconf = this.idxB;
    let nPool = 0;
    let nUnconf = 0;
    for (let k = 0; k < this.liveCount; k++) {
      const s = this.live[k];
      this.matched[s] = 0;
      if (this.state[s] !== TRACKED) this.mean[s * KF_MEAN_STRIDE + 7] = 0;
      for (let j = 0; j < steps; j++) this.kf.predict(this.mean, this.cov, s);
      this.refreshBox(s);
      if (this.activated[s]) pool[nPool++] = s;
      else unconf[nUnconf++] = s;
    }

    // 1. High boxes ↔ tracked + lost.
    this.associate(pool, nPool, high, nHigh, o.matchThresh, o.fuseScore, ts);

    // 2. Low boxes ↔ still-unmatched tracked tracks; the rest become lost.
    let nR = 0;
    for (let k = 0; k < nPool; k++) {
      const s = pool[k];
      if (!this.matched[s] && this.state[s] === TRACKED) pool[nR++] = s;
    }
    const nTrackedR = nR;
    if (o.lostInSecondAssociation > 0) {
      // Tracks missed in the last few frames (after the tracked ones: ties go to those) may take a low box too.
      for (let k = 0; k < nPool; k++) {
        const s = pool[k];
        if (!this.matched[s] && this.state[s] === LOST && frame - this.lastFrame[s] <= o.lostInSecondAssociation + 1) {
          pool[nR++] = s;
        }
      }
    }
    const nLowOnly = nLow;
    if (o.highInSecondAssociation) {
      // High boxes the first association left join the low ones (after them in `low`: ties go to the low boxes'
      // order as before); `low` and `high` are different scratch arrays, the high list is compacted below anyway.
      for (let k = 0; k < nHigh; k++) if (!this.detUsed[high[k]]) low[nLow++] = high[k];
    }
    this.associate(pool, nR, low, nLow, o.lowMatchThresh, false, ts);
    for (let k = 0; k < nTrackedR; k++) if (!this.matched[pool[k]]) this.state[pool[k]] = LOST;

    // 3. Unconfirmed ↔ remaining high boxes; unmatched unconfirmed tracks die.
    let nRemain = 0;
    for (let k = 0; k < nHigh; k++) if (!this.detUsed[high[k]]) high[nRemain++] = high[k];
    nHigh = nRemain;
    this.associate(unconf, nUnconf, high, nHigh, o.unconfirmedMatchThresh, o.fuseScore, ts);
    if (o.lowBirthHits > 0) {
      // 3b. Tentative tracks may go on with weak boxes (IoU only: a fused score would refuse every weak box).
      let nU = 0;
      for (let k = 0; k < nUnconf; k++) if (!this.matched[unconf[k]]) unconf[nU++] = unconf[k];
      this.associate(unconf, nU, low, nLowOnly, o.tentativeMatchThresh, false, ts);
    }
    for (let k = 0; k < nUnconf; k++) if (!this.matched[unconf[k]]) this.state[unconf[k]] = FREE;

    // 4. Births.
    const activateNow = o.minHits <= 1 || (o.confirmFirstFrame && frame === 1);
    for (let k = 0; k < nHigh; k++) {
      const d = high[k];
      if (this.detUsed[d] || this.detScore[d] < this.newThresh) continue;
      this.birth(d, ts, activateNow);
    }
    if (o.lowBirthHits > 0) {
      // 4b. Tentative births from boxes below the new-track threshold that no live track covers.
      const min = o.lowBirthScore * this.newThresh;
      for (let d = 0; d < nDet; d++) {
        if (this.detUsed[d] || this.detScore[d] < min || this.detScore[d] >= this.newThresh) continue;
        if (this.coveredByTrack(d)) continue;
        this.birth(d, ts, false, Math.max(o.minHits, o.lowBirthHits));
      }
    }

    // 5. Lost too long.
    for (let k = 0; k < this.liveCount; k++) {
      const s = this.live[k];
      if (this.state[s] === LOST && frame - this.lastFrame[s] > this.maxLost) {
        this.finish(s, 'lost');
        this.state[s] = FREE;
      }
    }

    // 6. Duplicates between tracked and lost tracks: keep the longer-lived one.
    this.removeDuplicates();

    // Compact the live list (keeps creation order) and emit.
    let kept = 0;
    for (let k = 0; k < this.liveCount; k++) {
      const s = this.live[k];
      if (this.state[s] === FREE) this.release(s);
      else this.live[kept++] = s;
    }
    this.liveCount = kept;
    this.ensureOut(kept);
    for (let k = 0; k < kept; k++) {
      const s = this.live[k];
      if (this.state[s] !== TRACKED || !this.activated[s] || !this.matched[s]) continue;
      const i = out.count++;
      const mo = s * KF_MEAN_STRIDE;
      const h = this.mean[mo + 3];
      const w = this.mean[mo + 2] * h;
      const cx = this.mean[mo];
      const cy = this.mean[mo + 1];
      out.ids[i] = this.tid[s];
      out.boxes[4 * i] = cx - w / 2;
      out.boxes[4 * i + 1] = cy - h / 2;
      out.boxes[4 * i + 2] = w;
      out.boxes[4 * i + 3] = h;
      out.feet[2 * i] = cx;
      out.feet[2 * i + 1] = cy + h / 2;
      out.scores[i] = this.score[s];
      out.detIndex[i] = this.lastDet[s];
      out.classes[i] = this.majorityClass(s);
    }
    return out;
  }

  /**
   * Thresholded min-cost assignment between tracks `tracks[0..nT)` and boxes `dets[0..nD)` whose
   * `detUsed` flag is clear; matched pairs update their track.
   */
  private associate(
    tracks: Int32Array,
    nT: number,
    dets: Int32Array,
    nD: number,
    maxCost: number,
    fuse: boolean,
    ts: number,
  ): void {
    if (nT === 0 || nD === 0) return;
    if (this.costBuf.length < nT * nD) this.costBuf = new Float64Array(Math.max(nT * nD, this.costBuf.length * 2));
    const cost = this.costBuf;
    const buffer = this.options.youngTrackBuffer;
    for (let i = 0; i < nT; i++) {
      const bo = tracks[i] * 4;
      const young = buffer > 0 && this.hits[tracks[i]] < YOUNG_HITS;
      for (let j = 0; j < nD; j++) {
        const d = dets[j];
        if (this.detUsed[d]) {
          cost[i * nD + j] = Number.POSITIVE_INFINITY;
          continue;
        }
        const v = young ? bufferedIou(this.box, bo, this.detBox, d * 4, buffer) : iou(this.box, bo, this.detBox, d * 4);
        cost[i * nD + j] = 1 - (fuse ? v * this.detScore[d] : v);
      }
    }
    const a = this.solver.solveThresholded(cost, nT, nD, maxCost);
    for (let i = 0; i < nT; i++) {
      const j = a.rowToCol[i];
      if (j < 0) continue;
      this.applyMatch(tracks[i], dets[j], ts);
    }
  }

  private applyMatch(s: number, d: number, ts: number): void {
    const db = this.detBox;
    const x1 = db[d * 4];
    const y1 = db[d * 4 + 1];
    const w = db[d * 4 + 2] - x1;
    const h = db[d * 4 + 3] - y1;
    this.kf.update(this.mean, this.cov, s, x1 + w / 2, y1 + h / 2, w / h, h);
    this.refreshBox(s);
    this.detUsed[d] = 1;
    this.matched[s] = 1;
    this.state[s] = TRACKED;
    this.hits[s]++;
    if (!this.activated[s] && this.hits[s] >= this.need[s]) this.activated[s] = 1;
    this.lastFrame[s] = this.frameIdx;
    this.lastTs[s] = ts;
    this.record(s, d, w, h);
  }

  private birth(d: number, ts: number, activateNow: boolean, need = this.options.minHits): void {
    if (this.freeCount === 0) this.growTracks(this.cap * 2);
    const s = this.free[--this.freeCount];
    this.live[this.liveCount++] = s;
    const db = this.detBox;
    const x1 = db[d * 4];
    const y1 = db[d * 4 + 1];
    const w = db[d * 4 + 2] - x1;
    const h = db[d * 4 + 3] - y1;
    this.kf.initiate(this.mean, this.cov, s, x1 + w / 2, y1 + h / 2, w / h, h);
    this.refreshBox(s);
    this.tid[s] = this.nextId++;
    this.state[s] = TRACKED;
    this.activated[s] = activateNow ? 1 : 0;
    this.matched[s] = 1;
    this.detUsed[d] = 1;
    this.hits[s] = 1;
    this.need[s] = need;
    this.startFrame[s] = this.frameIdx;
    this.lastFrame[s] = this.frameIdx;
    this.firstTs[s] = ts;
    this.lastTs[s] = ts;
    this.sumW[s] = 0;
    this.sumH[s] = 0;
    this.pathLen[s] = 0;
    this.histLen[s] = 0;
    this.votes.fill(0, s * this.classCap, (s + 1) * this.classCap);
    const mo = s * KF_MEAN_STRIDE;
    this.foot0[2 * s] = this.mean[mo];
    this.foot0[2 * s + 1] = this.mean[mo + 1] + this.mean[mo + 3] / 2;
    this.foot1[2 * s] = this.foot0[2 * s];
    this.foot1[2 * s + 1] = this.foot0[2 * s + 1];
    this.record(s, d, w, h);
  }

  /** Whether box `d` overlaps a live tracked track's box by IoU ≥ 0.3 (a second box of something tracked). */
  private coveredByTrack(d: number): boolean {
    for (let k = 0; k < this.liveCount; k++) {
      const s = this.live[k];
      if (this.state[s] === TRACKED && iou(this.box, s * 4, this.detBox, d * 4) >= 0.3) return true;
    }
    return false;
  }

  /** Per-match bookkeeping: score, class vote, size sums, foot-point history. */
  private record(s: number, d: number, w: number, h: number): void {
    this.score[s] = this.detScore[d];
    this.lastDet[s] = d;
    const c = this.detCls[d];
    if (c >= 0) this.votes[s * this.classCap + c]++;
    this.sumW[s] += w;
    this.sumH[s] += h;
    const mo = s * KF_MEAN_STRIDE;
    const fx = this.mean[mo];
    const fy = this.mean[mo + 1] + this.mean[mo + 3] / 2;
    this.pathLen[s] += Math.hypot(fx - this.foot1[2 * s], fy - this.foot1[2 * s + 1]);
    this.foot1[2 * s] = fx;
    this.foot1[2 * s + 1] = fy;
    const maxP = this.options.historyMaxPoints;
    const ho = s * 2 * maxP;
    let n = this.histLen[s];
    if (n > 0) {
      const lx = this.hist[ho + 2 * (n - 1)];
      const ly = this.hist[ho + 2 * (n - 1) + 1];
      if (Math.hypot(fx - lx, fy - ly) < this.options.historyMinStep) return;
    }
    if (n === maxP) {
      // Keep points 0, 2, 4, … (the first survives); the new point is appended after.
      let k = 0;
      for (let i = 0; i < n; i += 2) {
        this.hist[ho + 2 * k] = this.hist[ho + 2 * i];
        this.hist[ho + 2 * k + 1] = this.hist[ho + 2 * i + 1];
        k++;
      }
      n = k;
    }
    this.hist[ho + 2 * n] = fx;
    this.hist[ho + 2 * n + 1] = fy;
    this.histLen[s] = n + 1;
  }

  private removeDuplicates(): void {
    const maxD = this.options.duplicateIouDistance;
    let any = false;
    for (let a = 0; a < this.liveCount; a++) {
      const p = this.live[a];
      if (this.state[p] !== TRACKED) continue;
      for (let b = 0; b < this.liveCount; b++) {
        const q = this.live[b];
        if (this.state[q] !== LOST) continue;
        if (1 - iou(this.box, p * 4, this.box, q * 4) >= maxD) continue;
        const timeP = this.lastFrame[p] - this.startFrame[p];
        const timeQ = this.lastFrame[q] - this.startFrame[q];
        this.doomed[timeP > timeQ ? q : p] = 1;
        any = true;
      }
    }
    if (!any) return;
    for (let k = 0; k < this.liveCount; k++) {
      const s = this.live[k];
      if (!this.doomed[s]) continue;
      this.doomed[s] = 0;
      if (this.activated[s]) this.finish(s, 'duplicate');
      this.state[s] = FREE;
    }
  }

  private finish(s: number, reason: TrackEndReason): void {
    if (this.out.finished === NONE_FINISHED) this.out.finished = [];
    this.out.finished.push(this.summary(s, reason));
  }

  private majorityClass(s: number): number {
    const base = s * this.classCap;
    let best = -1;
    let bestVotes = 0;
    for (let c = 0; c < this.classNames.length; c++) {
      if (this.votes[base + c] > bestVotes) {
        bestVotes = this.votes[base + c];
        best = c;
      }
    }
    return best;
  }

  private summary(s: number, reason: TrackEndReason): FinishedTrack {
    const classVotes: Record<string, number> = {};
    const base = s * this.classCap;
    for (let c = 0; c < this.classNames.length; c++) {
      if (this.votes[base + c] > 0) classVotes[this.classNames[c]] = this.votes[base + c];
    }
    const major = this.majorityClass(s);
    const maxP = this.options.historyMaxPoints;
    const ho = s * 2 * maxP;
    const path = Array.from(this.hist.subarray(ho, ho + 2 * this.histLen[s]));
    const lx = this.foot1[2 * s];
    const ly = this.foot1[2 * s + 1];
    if (path.length === 0 || path[path.length - 2] !== lx || path[path.length - 1] !== ly) path.push(lx, ly);
    return {
      id: this.tid[s],
      reason,
      firstTs: this.firstTs[s],
      lastTs: this.lastTs[s],
      frames: this.hits[s],
      classVotes,
      cls: major >= 0 ? this.classNames[major] : undefined,
      meanW: this.sumW[s] / this.hits[s],
      meanH: this.sumH[s] / this.hits[s],
      firstFoot: [this.foot0[2 * s], this.foot0[2 * s + 1]],
      lastFoot: [lx, ly],
      pathLength: this.pathLen[s],
      path,
    };
  }

  private refreshBox(s: number): void {
    const mo = s * KF_MEAN_STRIDE;
    const h = this.mean[mo + 3];
    const w = this.mean[mo + 2] * h;
    const b = s * 4;
    this.box[b] = this.mean[mo] - w / 2;
    this.box[b + 1] = this.mean[mo + 1] - h / 2;
    this.box[b + 2] = this.box[b] + w;
    this.box[b + 3] = this.box[b + 1] + h;
  }

  private release(s: number): void {
    this.state[s] = FREE;
    this.activated[s] = 0;
    this.free[this.freeCount++] = s;
  }

  private setDet(i: number, x: number, y: number, w: number, h: number, score: number, cls: number): void {
    this.detBox[4 * i] = x;
    this.detBox[4 * i + 1] = y;
    this.detBox[4 * i + 2] = x + w;
    this.detBox[4 * i + 3] = y + h;
    // Degenerate boxes (w or h ≤ 0, NaN) can neither start nor extend a track.
    this.detScore[i] = w > 0 && h > 0 && Number.isFinite(x + y + w + h) ? score : -1;
    this.detCls[i] = cls;
  }

  private ensureDets(n: number): void {
    if (n <= this.detCap) return;
    const cap = Math.max(n, this.detCap * 2, 16);
    this.detCap = cap;
    this.detBox = new Float64Array(cap * 4);
    this.detScore = new Float32Array(cap);
    this.detCls = new Int32Array(cap);
    this.detUsed = new Uint8Array(cap);
    this.idxC = new Int32Array(cap);
    this.idxD = new Int32Array(cap);
  }

  private ensureOut(n: number): void {
    const out = this.out;
    if (out.ids.length >= n) return;
    const cap = Math.max(n, out.ids.length * 2, 16);
    out.ids = new Float64Array(cap);
    out.boxes = new Float64Array(cap * 4);
    out.feet = new Float64Array(cap * 2);
    out.scores = new Float32Array(cap);
    out.detIndex = new Int32Array(cap);
    out.classes = new Int32Array(cap);
  }

  private growTracks(cap: number): void {
    const old = this.cap;
    const grow = <T extends Float64Array | Float32Array | Int32Array | Uint8Array>(
      a: T,
      make: (n: number) => T,
      stride: number,
    ): T => {
      const b = make(cap * stride);
      b.set(a);
      return b;
    };
    const f64 = (n: number) => new Float64Array(n);
    const i32 = (n: number) => new Int32Array(n);
    const u8 = (n: number) => new Uint8Array(n);
    this.mean = grow(this.mean, f64, KF_MEAN_STRIDE);
    this.cov = grow(this.cov, f64, KF_COV_STRIDE);
    this.box = grow(this.box, f64, 4);
    this.tid = grow(this.tid, f64, 1);
    this.state = grow(this.state, u8, 1);
    this.activated = grow(this.activated, u8, 1);
    this.matched = grow(this.matched, u8, 1);
    this.doomed = grow(this.doomed, u8, 1);
    this.hits = grow(this.hits, i32, 1);
    this.need = grow(this.need, i32, 1);
    this.startFrame = grow(this.startFrame, i32, 1);
    this.lastFrame = grow(this.lastFrame, i32, 1);
    this.firstTs = grow(this.firstTs, f64, 1);
    this.lastTs = grow(this.lastTs, f64, 1);
    this.score = grow(this.score, (n) => new Float32Array(n), 1);
    this.lastDet = grow(this.lastDet, i32, 1);
    this.sumW = grow(this.sumW, f64, 1);
    this.sumH = grow(this.sumH, f64, 1);
    this.foot0 = grow(this.foot0, f64, 2);
    this.foot1 = grow(this.foot1, f64, 2);
    this.pathLen = grow(this.pathLen, f64, 1);
    this.hist = grow(this.hist, f64, 2 * this.options.historyMaxPoints);
    this.histLen = grow(this.histLen, i32, 1);
    this.votes = grow(this.votes, f64, this.classCap);
    this.live = grow(this.live, i32, 1);
    this.idxA = new Int32Array(cap);
    this.idxB = new Int32Array(cap);
    const free = new Int32Array(cap);
    free.set(this.free.subarray(0, this.freeCount));
    // New slots are handed out lowest first.
    for (let s = cap - 1; s >= old; s--) free[this.freeCount++] = s;
    this.free = free;
    this.cap = cap;
  }

  private growClasses(classCap: number): void {
    const votes = new Float64Array(this.cap * classCap);
    for (let s = 0; s < this.cap; s++) {
      for (let c = 0; c < this.classCap; c++) votes[s * classCap + c] = this.votes[s * this.classCap + c];
    }
    this.votes = votes;
    this.classCap = classCap;
  }
}
