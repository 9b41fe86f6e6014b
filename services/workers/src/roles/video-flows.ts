import type { Config } from '@passage/config';
import {
  CameraPipeline,
  FEATURE_COUNT,
  type FinishedRoadUser,
  MinuteAggregator,
  MODES,
  type Mode,
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

interface CameraState {
  pipeline: CameraPipeline;
  agg: MinuteAggregator;
}

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
  private readonly cameras = new Map<string, CameraState>();
  private readonly defs = new Map<string, CameraDef>();
  private classifier?: ModeClassifier;
  private pending: { camera: CameraState; user: FinishedRoadUser }[] = [];
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

  private camera(id: string): CameraState | undefined {
    let c = this.cameras.get(id);
    if (c) return c;
    const def = this.defs.get(id);
    if (!def) return undefined;
    const opts = cameraPipelineOptions(def, {
      fps: this.config.video.fps,
      tracker: this.config.video.tracker,
    });
    c = { pipeline: new CameraPipeline(opts), agg: new MinuteAggregator({ siteId: def.siteId, cameraId: def.id }) };
    this.cameras.set(id, c);
    return c;
  }

  async processBatch(frames: readonly DetectionFrame[], ctx: OperatorContext): Promise<void> {
    const finished: FinishedRoadUser[] = [];
    for (const f of frames) {
      const y = this.budget.tick();
      if (y) await y;
      const cam = this.camera(f.cameraId);
      if (!cam) {
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
      const p = cam.pipeline;
      if (f.ts - p.lastFrameTs > this.config.video.maxClockJumpMs && Number.isFinite(p.lastFrameTs)) {
        p.flush(finished); // clock jump or long silence: end live tracks before continuing
        this.collect(cam, finished);
      }
      const lateBefore = p.lateFrames;
      p.processFrame(f.ts, f.objects, finished);
      if (p.lateFrames > lateBefore) {
        this.stats.late++;
        ctx.metrics.lateEvents.inc({ role: this.name });
      }
      this.stats.frames++;
      this.stats.detections += f.objects.length;
      if (finished.length) this.collect(cam, finished);
      for (const o of f.objects) {
        if (o.plate) {
          const s: RawSighting = { siteId: cam.agg.siteId, ts: f.ts, kind: 'anpr', id: o.plate };
          ctx.emit('plates', cam.agg.siteId, s);
        }
      }
      if (this.pending.length >= this.config.classifier.batchSize) await this.classifyPending();
    }
  }

  private collect(cam: CameraState, finished: FinishedRoadUser[]): void {
    for (const u of finished) {
      this.stats.tracks++;
      if (u.rider) {
        this.stats.riders++;
        continue;
      }
      // Only tracks that produced a count or a movement need a mode.
      if (u.summary.crossings.length === 0 && !u.summary.movement) continue;
      this.pending.push({ camera: cam, user: u });
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
    for (let i = 0; i < n; i++) this.pending[i].camera.agg.add(this.pending[i].user.summary, modes[i]);
    this.stats.classified += n;
    this.pending = [];
  }

  async onWatermark(watermark: number): Promise<void> {
    const finished: FinishedRoadUser[] = [];
    for (const cam of this.cameras.values()) {
      if (cam.pipeline.activeTracks > 0 && cam.pipeline.lastFrameTs < watermark - this.config.video.idleFlushMs) {
        cam.pipeline.flush(finished);
        this.collect(cam, finished);
      }
    }
  }

  /** Emits partial minute aggregates of every camera (additive downstream). */
  async checkpoint(ctx: OperatorContext): Promise<void> {
    await this.classifyPending();
    for (const cam of this.cameras.values()) {
      const a = cam.agg.flush();
      for (const r of a.lineCounts) ctx.emit('lineCounts', r.cameraId, r satisfies LineCount);
      for (const r of a.movements) ctx.emit('movements', r.cameraId, r satisfies Movement);
    }
  }

  snapshot(): Record<string, number> {
    let tracks = 0;
    for (const c of this.cameras.values()) tracks += c.pipeline.activeTracks;
    return { cameras: this.cameras.size, liveTracks: tracks, pendingClassification: this.pending.length };
  }

  async onClose(ctx: OperatorContext): Promise<void> {
    const finished: FinishedRoadUser[] = [];
    for (const cam of this.cameras.values()) {
      cam.pipeline.flush(finished);
      this.collect(cam, finished);
    }
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
