import type { Config } from '@passage/config';
import {
  CameraPipelineSet,
  type CameraRoadUser,
  FEATURE_COUNT,
  type FinishedRoadUser,
  MinuteAggregator,
  MODES,
  type Mode,
  needsMode,
} from '@passage/core';
import { ModeClassifier } from '@passage/mode-classifier';
import {
  type DeadLetter,
  DetectionFrame,
  jsonCodec,
  LineCount,
  Movement,
  type Operator,
  type OperatorContext,
  type ProcessorRole,
  type RawSighting,
  type SinkRole,
  WorkBudget,
} from '@passage/stream';
import { type CameraDef, cameraPipelineOptions, loadSitesFile } from '../sites.ts';

/**
 * Role `video-flows`: detections.v1 → per-camera tracker, counting lines, zones and movements → ONNX mode
 * classification of finished tracks (batched; gated against the detector vote, or the vote alone with
 * `classifier.mode: detector`) → anonymous 1-minute aggregates on line-counts.v1 and
 * movements.v1. Tracks, boxes and ids never leave this operator; plates go only to the raw sightings topic
 * (read by the tokenizer).
 *
 * Delivery: minute aggregates are additive (counts, speed sums); downstream sums the rows of a minute. What the
 * operator emits depends on event time only, never on batching or replay speed (issue 11, item 4): a finished
 * track is added to the partial aggregate of its *ready epoch* — the minute (event time, {@link EMIT_EPOCH_MS}) in
 * which it became final: the time of the frame that ended it, or its camera's last frame + `video.idleFlushMs`
 * when the camera went silent — and a checkpoint emits the partials of the epochs the watermark has passed, one
 * row per minute bin and epoch. Every track ready before a watermark has been collected when the watermark passes
 * it (frames are in event-time order per camera; a silent camera's tracks are flushed at that same watermark), so
 * `--speed 60`, `--speed max`, Kafka batches of any size and the embedded bus store the same rows. A late track
 * (ready in an epoch already emitted: out-of-order frames) is emitted at the next checkpoint as one more row.
 * After a crash, tracks still alive and those ready in the epochs the watermark had not passed (at most one minute
 * plus the allowed lateness of event time) are lost: their state is in memory only, by design (it is what must
 * never be persisted). A graceful stop emits everything.
 */
/** Event-time period of the video-flows emission epochs: a track's counts are emitted once the watermark passes the end of the minute it became final in. */
export const EMIT_EPOCH_MS = 60_000;

export class VideoFlowsOperator implements Operator<DetectionFrame> {
  readonly name = 'video-flows';
  /** Per camera: tracker, counters, samples (`CameraPipelineSet`, shared with the classifier's training). */
  private readonly pipelines: CameraPipelineSet;
  /** Partial aggregates per ready epoch (start, ms) and camera: emitted once the watermark passes the epoch. */
  private readonly epochs = new Map<number, Map<string, MinuteAggregator>>();
  private readonly defs = new Map<string, CameraDef>();
  private classifier?: ModeClassifier;
  private pending: { agg: MinuteAggregator; user: FinishedRoadUser }[] = [];
  private featureBuf: Float32Array;
  /** At most ~5 ms of frames per event-loop turn: a 4 MB fetch is ~20k frames, seconds of work. */
  private readonly budget = new WorkBudget();
  readonly stats = {
    frames: 0,
    detections: 0,
    tracks: 0,
    riders: 0,
    unknownCamera: 0,
    late: 0,
    classified: 0,
    /** Tracks whose mode is the detector vote although the model answered otherwise (gate: low confidence, OOD). */
    voteFallbacks: 0,
  };

  constructor(
    private readonly config: Config,
    private readonly options: { classifier?: ModeClassifier } = {},
  ) {
    for (const cam of loadSitesFile(config.sitesFile).cameras) this.defs.set(cam.id, cam);
    this.pipelines = new CameraPipelineSet(
      (id) => {
        const def = this.defs.get(id);
        return (
          def &&
          cameraPipelineOptions(def, {
            fps: config.video.fps,
            tracker: config.video.tracker,
            adaptiveScores: config.video.adaptiveScores,
          })
        );
      },
      { maxClockJumpMs: config.video.maxClockJumpMs },
    );
    this.featureBuf = new Float32Array(FEATURE_COUNT * config.classifier.batchSize);
  }

  async onStart(): Promise<void> {
    if (this.config.classifier.mode === 'detector') return; // detector votes only: no model
    this.classifier =
      this.options.classifier ??
      (await ModeClassifier.load({
        modelPath: this.config.classifier.modelPath || undefined,
        intraOpNumThreads: this.config.classifier.intraOpNumThreads,
      }));
  }

  /** The partial aggregate of a camera for the epoch of `ready` (event time at which the track became final). */
  private agg(cameraId: string, ready: number): MinuteAggregator {
    const epoch = Number.isFinite(ready) ? Math.floor(ready / EMIT_EPOCH_MS) * EMIT_EPOCH_MS : Number.MAX_SAFE_INTEGER;
    let cams = this.epochs.get(epoch);
    if (!cams) {
      cams = new Map();
      this.epochs.set(epoch, cams);
    }
    let a = cams.get(cameraId);
    if (!a) {
      a = new MinuteAggregator({ siteId: this.siteOf(cameraId), cameraId });
      cams.set(cameraId, a);
    }
    return a;
  }

  private siteOf(cameraId: string): string {
    return (this.defs.get(cameraId) as CameraDef).siteId;
  }

  async processBatch(frames: readonly DetectionFrame[], ctx: OperatorContext): Promise<void> {
    const finished: CameraRoadUser[] = [];
    for (const f of frames) {
      const y = this.budget.tick();
      if (y) await y;
      const outcome = this.pipelines.processFrame(f.cameraId, f.ts, f.objects, finished);
      if (outcome === 'unknown-camera') {
        this.stats.unknownCamera++;
        const dl: DeadLetter = {
          topic: this.config.topics.detections,
          partition: -1,
          offset: '',
          reason: 'UNKNOWN_CAMERA',
          message: `camera ${f.cameraId.slice(0, 64)} is not in the sites file ${this.config.sitesFile}`,
          excerpt: '',
          ts: Date.now(),
        };
        ctx.emit('dlq', f.cameraId, dl);
        continue;
      }
      if (outcome === 'late') {
        this.stats.late++;
        ctx.metrics.lateEvents.inc({ role: this.name });
      }
      this.stats.frames++;
      this.stats.detections += f.objects.length;
      // Tracks ended by this frame are final at its time.
      if (finished.length) this.collect(finished, () => f.ts);
      const siteId = this.siteOf(f.cameraId);
      for (const o of f.objects) {
        if (o.plate) {
          const s: RawSighting = { siteId, ts: f.ts, kind: 'anpr', id: o.plate };
          ctx.emit('plates', siteId, s);
        }
      }
      if (this.pending.length >= this.config.classifier.batchSize) await this.classifyPending();
    }
  }

  /** `ready(cameraId)`: the event time at which these tracks became final (it picks their emission epoch). */
  private collect(finished: CameraRoadUser[], ready: (cameraId: string) => number): void {
    for (const { cameraId, user } of finished) {
      this.stats.tracks++;
      if (user.rider) this.stats.riders++;
      // Only tracks that produced a count or a movement need a mode (riders of a counted two-wheeler never).
      if (needsMode(user)) this.pending.push({ agg: this.agg(cameraId, ready(cameraId)), user });
    }
    finished.length = 0;
  }

  /** A silent camera's tracks are final `idleFlushMs` after its last frame (not when a watermark happens to arrive). */
  private readonly idleReady = (cameraId: string): number =>
    (this.pipelines.get(cameraId)?.lastFrameTs ?? Number.POSITIVE_INFINITY) + this.config.video.idleFlushMs;

  private async classifyPending(): Promise<void> {
    const n = this.pending.length;
    if (n === 0) return;
    if (this.featureBuf.length < n * FEATURE_COUNT) this.featureBuf = new Float32Array(n * FEATURE_COUNT);
    for (let i = 0; i < n; i++) this.featureBuf.set(this.pending[i].user.features, i * FEATURE_COUNT);
    let modes: Mode[];
    if (this.classifier) {
      // Gated: the detector vote stands unless the model is confident and the track in distribution.
      const r = await this.classifier.classifyGated(this.featureBuf, n);
      modes = Array.from(r.labels, (l) => MODES[l]);
      for (const s of r.sources) if (s.startsWith('vote-')) this.stats.voteFallbacks++;
    } else {
      modes = this.pending.map((p) => p.user.voteMode ?? 'car');
    }
    for (let i = 0; i < n; i++) this.pending[i].agg.add(this.pending[i].user.summary, modes[i]);
    this.stats.classified += n;
    this.pending = [];
  }

  async onWatermark(watermark: number): Promise<void> {
    const finished: CameraRoadUser[] = [];
    this.pipelines.flushIdle(watermark, this.config.video.idleFlushMs, finished);
    this.collect(finished, this.idleReady);
  }

  /** Emits the partial minute aggregates of every epoch the watermark has passed (additive downstream). */
  async checkpoint(ctx: OperatorContext): Promise<void> {
    await this.emitEpochs(ctx, ctx.watermark);
  }

  private async emitEpochs(ctx: OperatorContext, upTo: number): Promise<void> {
    await this.classifyPending();
    const due = [...this.epochs.keys()].filter((e) => e + EMIT_EPOCH_MS <= upTo).sort((a, b) => a - b);
    for (const e of due) {
      const cams = this.epochs.get(e) as Map<string, MinuteAggregator>;
      this.epochs.delete(e);
      for (const id of [...cams.keys()].sort()) {
        const a = (cams.get(id) as MinuteAggregator).flush();
        for (const r of a.lineCounts) ctx.emit('lineCounts', r.cameraId, r satisfies LineCount);
        for (const r of a.movements) ctx.emit('movements', r.cameraId, r satisfies Movement);
      }
    }
  }

  snapshot(): Record<string, number> {
    return {
      cameras: this.pipelines.size,
      liveTracks: this.pipelines.activeTracks,
      pendingClassification: this.pending.length,
      openEpochs: this.epochs.size,
    };
  }

  async onClose(ctx: OperatorContext): Promise<void> {
    const finished: CameraRoadUser[] = [];
    this.pipelines.flush(finished);
    // End of input: tracks still alive are final at their camera's last frame.
    this.collect(finished, (id) => this.pipelines.get(id)?.lastFrameTs ?? Number.POSITIVE_INFINITY);
    await this.emitEpochs(ctx, Number.POSITIVE_INFINITY);
  }
}

export function videoFlowsRole(config: Config): ProcessorRole<DetectionFrame> {
  return {
    name: 'video-flows',
    input: config.topics.detections,
    codec: jsonCodec(DetectionFrame, { maxBytes: config.stream.maxMessageBytes }),
    eventTime: (f) => f.ts,
    outputs: {
      lineCounts: config.topics.lineCounts,
      movements: config.topics.movements,
      plates: config.topics.sightingsRaw,
    },
    create: () => new VideoFlowsOperator(config),
  };
}

export function lineCountsSink(config: Config): SinkRole<LineCount> {
  return {
    name: 'sink-line-counts',
    input: config.topics.lineCounts,
    codec: jsonCodec(LineCount),
    table: 'line_counts_1m',
    toRow: (v) => ({
      site_id: v.siteId,
      camera_id: v.cameraId,
      line_id: v.lineId,
      direction: v.direction,
      mode: v.mode,
      minute: Math.floor(v.minute / 1000),
      count: v.count,
      speed_sum: v.speedSum,
      speed_count: v.speedCount,
    }),
  };
}

export function movementsSink(config: Config): SinkRole<Movement> {
  return {
    name: 'sink-movements',
    input: config.topics.movements,
    codec: jsonCodec(Movement),
    table: 'movements_1m',
    toRow: (v) => ({
      site_id: v.siteId,
      camera_id: v.cameraId,
      from_zone: v.fromZone,
      to_zone: v.toZone,
      mode: v.mode,
      minute: Math.floor(v.minute / 1000),
      count: v.count,
      speed_sum: v.speedSum,
      speed_count: v.speedCount,
      dwell_sum_s: v.dwellSumS,
    }),
  };
}
