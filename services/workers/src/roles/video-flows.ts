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
 * Delivery: minute aggregates are additive (counts, speed sums), so the operator emits partial aggregates at
 * every checkpoint and downstream sums them. Tracks still alive at a crash are lost (their state is in memory
 * only, by design: it is what must never be persisted).
 */
export class VideoFlowsOperator implements Operator<DetectionFrame> {
  readonly name = 'video-flows';
  /** Per camera: tracker, counters, samples (`CameraPipelineSet`, shared with the classifier's training). */
  private readonly pipelines: CameraPipelineSet;
  private readonly aggs = new Map<string, MinuteAggregator>();
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

  private agg(cameraId: string): MinuteAggregator {
    let a = this.aggs.get(cameraId);
    if (!a) {
      const def = this.defs.get(cameraId) as CameraDef;
      a = new MinuteAggregator({ siteId: def.siteId, cameraId });
      this.aggs.set(cameraId, a);
    }
    return a;
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
      if (finished.length) this.collect(finished);
      const siteId = this.agg(f.cameraId).siteId;
      for (const o of f.objects) {
        if (o.plate) {
          const s: RawSighting = { siteId, ts: f.ts, kind: 'anpr', id: o.plate };
          ctx.emit('plates', siteId, s);
        }
      }
      if (this.pending.length >= this.config.classifier.batchSize) await this.classifyPending();
    }
  }

  private collect(finished: CameraRoadUser[]): void {
    for (const { cameraId, user } of finished) {
      this.stats.tracks++;
      if (user.rider) this.stats.riders++;
      // Only tracks that produced a count or a movement need a mode (riders of a counted two-wheeler never).
      if (needsMode(user)) this.pending.push({ agg: this.agg(cameraId), user });
    }
    finished.length = 0;
  }

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
    this.collect(finished);
  }

  /** Emits partial minute aggregates of every camera (additive downstream). */
  async checkpoint(ctx: OperatorContext): Promise<void> {
    await this.classifyPending();
    for (const agg of this.aggs.values()) {
      const a = agg.flush();
      for (const r of a.lineCounts) ctx.emit('lineCounts', r.cameraId, r satisfies LineCount);
      for (const r of a.movements) ctx.emit('movements', r.cameraId, r satisfies Movement);
    }
  }

  snapshot(): Record<string, number> {
    return {
      cameras: this.pipelines.size,
      liveTracks: this.pipelines.activeTracks,
      pendingClassification: this.pending.length,
    };
  }

  async onClose(ctx: OperatorContext): Promise<void> {
    const finished: CameraRoadUser[] = [];
    this.pipelines.flush(finished);
    this.collect(finished);
    await this.checkpoint(ctx);
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
