import type { Config } from '@passage/config';
import {
  CameraPipelineSet,
  type CameraRoadUser,
  CameraSizeReference,
  type CameraSizeState,
  FEATURE_COUNT,
  type FinishedRoadUser,
  type LineCountRow,
  MinuteAggregator,
  MODES,
  type Mode,
  type MovementRow,
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
import type { Discharge } from './discharge.ts';

/**
 * Role `video-flows`: detections.v1 → per-camera tracker, counting lines, zones and movements → ONNX mode
 * classification of finished tracks (batched; gated against the detector vote, or the vote alone with
 * `classifier.mode: detector`) → anonymous 1-minute aggregates on line-counts.v1 and
 * movements.v1. Tracks, boxes and ids never leave this operator; plates go only to the raw sightings topic
 * (read by the tokenizer).
 *
 * Delivery: minute aggregates are additive (counts, speed sums); downstream sums the rows of a minute. What the
 * operator emits depends on event time only, never on batching or replay speed (issue 11, item 4). A finished track
 * joins its camera's partial aggregate for its *ready epoch*: the minute (event time, {@link EMIT_EPOCH_MS}) in which
 * it became final — the time of the frame that ended it, or its camera's last frame + `video.idleFlushMs` when the
 * watermark found the camera silent (a camera silent longer than that + the allowed lateness has its tracks ended so
 * before its next frame, as a watermark may have done). A camera's
 * epoch is emitted, one row per minute bin, as soon as it is complete: when a frame of that camera from a later
 * minute arrives (frames are in event-time order per camera: one camera, one partition), when the watermark passes
 * the epoch (a silent camera), or at the end. So `--speed 60`, `--speed max`, Kafka batches of any size and the
 * embedded bus store the same rows, about one minute of event time after the fact. A late frame's tracks (ready in
 * an epoch already emitted) go out as one more row. A graceful stop emits everything.
 *
 * Crash cost (issue 12, item 5) and hand-over (item 2): under Kafka each camera's open epochs — aggregates only:
 * line × direction × mode × minute counts and speed sums, movement cells, and the camera's current epoch; never a box,
 * a track or an id — are checkpointed as one record per camera to the compacted topic `<topics.lineCounts>.state`
 * ({@link videoFlowsStateTopic}), in the same transaction as the outputs and input offsets (so the topic always
 * matches the committed offsets), and read again at every partition assignment (`state.handOver`). Tracker state never
 * leaves memory; instead each record carries the camera's replay offset (the input offset of the first frame needed
 * to rebuild its live tracks: since the camera's pipeline last held no road user, minus {@link REPLAY_MARGIN_MS}, at
 * most `replayMaxMs` of event time back; null with no live track), and the runtime commits the earliest one per
 * partition ({@link VideoFlowsOperator.replayFrom}). A restarted instance, or the new owner of a partition, re-reads it
 * from there up to the committed offset in a warm-up ({@link VideoFlowsOperator.warmUp}): the same frames through the
 * same deterministic tracker rebuild the same tracks, nothing is emitted for them, and a track alive at the committed
 * offset is counted when it ends, with its crossings before it. At a rebalance the old owner forgets its cameras'
 * open minutes and live tracks without emitting them ({@link VideoFlowsOperator.revoke}); the new owner adopts the
 * minutes its predecessor committed (no minute both emitted and adopted: the double count of the reverted first
 * version, e13d7c2) and rebuilds the tracks. Exact up to tracks that began before the replay cap, and to the tracker's
 * adaptive score thresholds, which learn from more history than the re-read gives. Embedded runs keep everything in
 * memory.
 */
/** A replay starts this much (event time) before a camera's pipeline last held no road user (tentative births). */
export const REPLAY_MARGIN_MS = 1_000;

/**
 * One camera's recent input offsets, oldest first, since its pipeline last held no road user (minus a margin) and
 * at most `maxMs` of event time: the first is where a new owner re-reads from to rebuild the live tracks. Offsets
 * and times only.
 */
class FrameOffsets {
  private ts: number[] = [];
  private off: string[] = [];
  private head = 0;
  push(ts: number, offset: string): void {
    this.ts.push(ts);
    this.off.push(offset);
  }
  /** Forgets the frames before `ts`. */
  dropBefore(ts: number): void {
    while (this.head < this.ts.length && this.ts[this.head] < ts) this.head++;
    if (this.head > 1024 && this.head * 2 > this.ts.length) {
      this.ts = this.ts.slice(this.head);
      this.off = this.off.slice(this.head);
      this.head = 0;
    }
  }
  clear(): void {
    this.ts = [];
    this.off = [];
    this.head = 0;
  }
  get first(): string | undefined {
    return this.off[this.head];
  }
}

/** Event-time period of the video-flows emission epochs (see the role's comment). */
export const EMIT_EPOCH_MS = 60_000;

const epochOf = (t: number) =>
  Number.isFinite(t) ? Math.floor(t / EMIT_EPOCH_MS) * EMIT_EPOCH_MS : Number.MAX_SAFE_INTEGER;

export class VideoFlowsOperator implements Operator<DetectionFrame> {
  readonly name = 'video-flows';
  /** Per camera: tracker, counters, samples (`CameraPipelineSet`, shared with the classifier's training). */
  private readonly pipelines: CameraPipelineSet;
  /** Per camera, partial aggregates per ready epoch (start, ms), until the epoch is complete. */
  private readonly open = new Map<string, Map<number, MinuteAggregator>>();
  /** Per camera, the epoch of its latest frame: earlier epochs of the camera are complete. */
  private readonly cameraEpoch = new Map<string, number>();
  private readonly defs = new Map<string, CameraDef>();
  /** Set once the runtime restored a checkpoint (Kafka): from then on every checkpoint writes the changed cameras. */
  private checkpointing = false;
  /** Cameras whose open epochs or current epoch changed since the last state checkpoint. */
  private readonly dirty = new Set<string>();
  /** Restored camera states not yet adopted (adopted on the first frame of the camera). */
  private readonly dormant = new Map<string, VideoFlowsCameraState>();
  private classifier?: ModeClassifier;
  /**
   * Per camera, the reference car size of the classifier's `width_rel`/`height_rel` (`@passage/core`
   * camera-size.ts): two histograms per camera, no track kept; in the camera's checkpoint (`sizes`).
   */
  private readonly sizes = new CameraSizeReference();
  private pending: { agg: MinuteAggregator; user: FinishedRoadUser; cameraId: string }[] = [];
  /** Kafka: the input partition each camera's frames come from (its state is forgotten when that is revoked). */
  private readonly partitionOf = new Map<string, number>();
  private readonly scratch: FinishedRoadUser[] = [];
  /** Kafka: per camera, the input offsets a new owner re-reads from to rebuild the live tracks (`replayFrom`). */
  private readonly replay = new Map<string, FrameOffsets>();
  /** Per camera, the replay offset in its last state record (a changed one is written again). */
  private readonly savedReplay = new Map<string, string | null>();
  /** Per camera restored from a checkpoint: its replay offset there (null: no live track at the committed offset). */
  private readonly restoredReplay = new Map<string, string | null>();
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
    const epoch = epochOf(ready);
    let epochs = this.open.get(cameraId);
    if (!epochs) {
      epochs = new Map();
      this.open.set(cameraId, epochs);
    }
    let a = epochs.get(epoch);
    this.dirty.add(cameraId);
    if (!a) {
      a = new MinuteAggregator({ siteId: this.siteOf(cameraId), cameraId });
      epochs.set(epoch, a);
    }
    return a;
  }

  private siteOf(cameraId: string): string {
    return (this.defs.get(cameraId) as CameraDef).siteId;
  }

  async processBatch(frames: readonly DetectionFrame[], ctx: OperatorContext): Promise<void> {
    const finished: CameraRoadUser[] = [];
    const offsets = ctx.offsets;
    for (let i = 0; i < frames.length; i++) {
      const f = frames[i];
      const y = this.budget.tick();
      if (y) await y;
      const p = this.pipelines.get(f.cameraId);
      if (p) {
        if (ctx.partition !== undefined) this.partitionOf.set(f.cameraId, ctx.partition);
        if (this.dormant.size > 0) this.adopt(f.cameraId);
        // Silent long enough that a watermark may have ended its tracks (idleFlushMs after its last frame) before
        // this frame, depending on batching: end them now, at the same event time, so they always are.
        const { idleFlushMs } = this.config.video;
        if (p.activeTracks > 0 && p.lastFrameTs + idleFlushMs + this.config.stream.allowedLatenessMs < f.ts) {
          p.flush(this.scratch);
          for (const user of this.scratch) finished.push({ cameraId: f.cameraId, user });
          this.scratch.length = 0;
          this.collect(finished, this.idleReady);
        }
        // A frame of a later minute: the camera's earlier epochs are complete.
        const e = epochOf(f.ts);
        if (e > (this.cameraEpoch.get(f.cameraId) ?? Number.NEGATIVE_INFINITY)) {
          this.cameraEpoch.set(f.cameraId, e);
          this.dirty.add(f.cameraId);
          await this.emitCamera(ctx, f.cameraId, e);
        }
      }
      const empty = (p?.activeTracks ?? 0) === 0;
      const outcome = this.pipelines.processFrame(f.cameraId, f.ts, f.objects, finished, f);
      if (p && offsets) this.noteFrame(f.cameraId, f.ts, offsets[i], empty);
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

  /**
   * Records a frame's input offset for the re-read of a new owner. The camera's pipeline held no road user before
   * (`emptyBefore`) or holds none after it: nothing before it (minus a margin) is needed to rebuild its tracks.
   */
  private noteFrame(cameraId: string, ts: number, offset: string, emptyBefore: boolean): void {
    const maxMs = this.config.video.replayMaxMs;
    if (maxMs <= 0) return;
    let r = this.replay.get(cameraId);
    if (!r) {
      r = new FrameOffsets();
      this.replay.set(cameraId, r);
    }
    r.push(ts, offset);
    const live = (this.pipelines.get(cameraId)?.activeTracks ?? 0) > 0;
    r.dropBefore(emptyBefore || !live ? ts - REPLAY_MARGIN_MS : ts - maxMs);
  }

  /** A camera's replay offset: the first frame needed to rebuild its live tracks, null when it has none. */
  private replayOf(cameraId: string): string | null {
    if ((this.pipelines.get(cameraId)?.activeTracks ?? 0) === 0) return null;
    return this.replay.get(cameraId)?.first ?? null;
  }

  /**
   * Where a new owner of `partition` re-reads from (runtime, `Operator.replayFrom`): the earliest replay offset of
   * its cameras, or undefined when no camera there has a live track. Offsets only: no track ever leaves memory.
   */
  replayFrom(partition: number): string | undefined {
    let min: bigint | undefined;
    for (const [cameraId, p] of this.partitionOf) {
      if (p !== partition) continue;
      const r = this.replayOf(cameraId);
      if (r !== null && (min === undefined || BigInt(r) < min)) min = BigInt(r);
    }
    return min?.toString();
  }

  /**
   * Frames of a newly assigned partition before the offset its previous owner committed (runtime, `Operator.warmUp`):
   * they only rebuild the trackers. Every road user that ends here was counted by the previous owner (in the open
   * minutes this instance adopted, or already emitted); one alive at the committed offset is counted here when it
   * ends, with the crossings it made before (the previous owner never counted it: it forgets live tracks at a
   * revoke, and a SIGKILL loses them). No aggregate, epoch, plate or dead letter is touched. At the end, cameras that
   * had no live track at the committed offset (their replay offset was null) drop what the warm-up built.
   */
  async warmUp(frames: readonly DetectionFrame[], ctx: OperatorContext, end: boolean): Promise<void> {
    const finished: CameraRoadUser[] = [];
    const offsets = ctx.offsets;
    const { idleFlushMs } = this.config.video;
    for (let i = 0; i < frames.length; i++) {
      const f = frames[i];
      const y = this.budget.tick();
      if (y) await y;
      const p = this.pipelines.get(f.cameraId);
      if (!p) continue;
      if (ctx.partition !== undefined) this.partitionOf.set(f.cameraId, ctx.partition);
      // The same deterministic ends as processBatch (a camera silent long enough), counted by the previous owner.
      p.recordDischarge = false; // its predecessor measured these departures (or lost them with its memory)
      if (p.activeTracks > 0 && p.lastFrameTs + idleFlushMs + this.config.stream.allowedLatenessMs < f.ts)
        p.flush(this.scratch);
      const empty = p.activeTracks === 0;
      this.pipelines.processFrame(f.cameraId, f.ts, f.objects, finished, f);
      p.recordDischarge = true;
      if (offsets) this.noteFrame(f.cameraId, f.ts, offsets[i], empty);
      this.scratch.length = 0;
      finished.length = 0;
    }
    if (!end) return;
    let kept = 0;
    for (const [cameraId, part] of this.partitionOf) {
      if (part !== ctx.partition) continue;
      const p = this.pipelines.get(cameraId);
      if (!p) continue;
      if ((this.restoredReplay.get(cameraId) ?? null) === null) {
        p.recordDischarge = false;
        p.flush(this.scratch); // no live track there at the committed offset: what the re-read built is not real
        p.recordDischarge = true;
        this.scratch.length = 0;
      } else kept += p.activeTracks;
    }
    ctx.log.info({ partition: ctx.partition, liveTracks: kept }, 'video-flows warm-up done');
  }

  /** `ready(cameraId)`: the event time at which these tracks became final (it picks their emission epoch). */
  private collect(finished: CameraRoadUser[], ready: (cameraId: string) => number): void {
    for (const { cameraId, user } of finished) {
      this.stats.tracks++;
      if (user.rider) this.stats.riders++;
      // Only tracks that produced a count or a movement need a mode (riders of a counted two-wheeler never).
      if (needsMode(user)) this.pending.push({ agg: this.agg(cameraId, ready(cameraId)), user, cameraId });
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
    let modes: Mode[];
    if (this.classifier) {
      // In the order the tracks ended: each is sized against its camera's earlier cars, then joins them.
      for (let i = 0; i < n; i++) {
        this.featureBuf.set(this.pending[i].user.features, i * FEATURE_COUNT);
        this.sizes.apply(this.pending[i].cameraId, this.featureBuf, i);
      }
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

  /** Emits the partials of every epoch the watermark has passed (cameras fallen silent; additive downstream). */
  async checkpoint(ctx: OperatorContext): Promise<void> {
    for (const id of [...this.open.keys()].sort()) await this.emitCamera(ctx, id, ctx.watermark);
    await this.saveState(ctx);
  }

  /** Under Kafka: one state record per changed camera (its open epochs' aggregates), same transaction as outputs. */
  private async saveState(ctx: OperatorContext): Promise<void> {
    if (!this.checkpointing) return;
    for (const cameraId of this.partitionOf.keys()) {
      if (this.replayOf(cameraId) !== (this.savedReplay.get(cameraId) ?? null)) this.dirty.add(cameraId);
    }
    if (this.dirty.size === 0) return;
    await this.classifyPending(); // finished tracks waiting for a mode belong in the checkpointed aggregates
    for (const cameraId of [...this.dirty].sort()) {
      const epochs = this.open.get(cameraId);
      const state: VideoFlowsCameraState = {
        v: 1,
        cameraId,
        epoch: this.cameraEpoch.get(cameraId) ?? null,
        ...(this.partitionOf.has(cameraId) ? { partition: this.partitionOf.get(cameraId) } : {}),
        replayFrom: this.replayOf(cameraId),
        sizes: this.sizes.state(cameraId),
        open: [...(epochs ?? new Map<number, MinuteAggregator>())]
          .sort((a, b) => a[0] - b[0])
          .map(([epoch, a]) => ({ epoch, ...a.rows() })),
      };
      ctx.emit('state', cameraId, state);
      this.savedReplay.set(cameraId, state.replayFrom ?? null);
    }
    this.dirty.clear();
  }

  /**
   * Hands over an earlier instance's checkpoint (Kafka, before the first batch). Each camera's state waits for this
   * instance's first frame of that camera ({@link adopt}).
   */
  restore(values: readonly Buffer[], ctx: OperatorContext): void {
    // Read again at every assignment (state.handOver): the latest committed state of each camera this instance does
    // not hold replaces what was read before (a camera it holds in memory is its own: its state is at least as new).
    this.dormant.clear();
    const assigned = new Set(ctx.assigned ?? []);
    let epochs = 0;
    for (const v of values) {
      const s = JSON.parse(v.toString('utf8')) as VideoFlowsCameraState;
      if (s.v !== 1 || typeof s.cameraId !== 'string' || !Array.isArray(s.open)) continue;
      if (this.holds(s.cameraId)) continue;
      // A camera of a partition this instance was just given is adopted at once (so a camera that sends nothing more
      // is still emitted, by the watermark or at close); a record of unknown partition waits for the camera's frame.
      if (s.partition !== undefined && !assigned.has(s.partition)) continue;
      this.dormant.set(s.cameraId, s);
      this.restoredReplay.set(s.cameraId, s.replayFrom ?? null);
      epochs += s.open.length;
      if (s.partition !== undefined) {
        this.partitionOf.set(s.cameraId, s.partition);
        this.adopt(s.cameraId);
      }
    }
    this.checkpointing = true;
    ctx.log.info(
      { cameras: this.dormant.size, openEpochs: epochs },
      'video-flows state restored from the checkpoint topic',
    );
  }

  /** This instance holds state of the camera (frames seen since it was assigned, or open aggregates). */
  private holds(cameraId: string): boolean {
    return this.cameraEpoch.has(cameraId) || this.open.has(cameraId);
  }

  /**
   * Partitions given to another instance at a rebalance. Their cameras' open minutes are forgotten, NOT emitted: the
   * new owner restores them from the checkpoint topic, where this instance's last committed transaction left them
   * (consistent with the committed offsets the new owner starts from). Their live tracks are dropped without being
   * counted: the new owner re-reads the frames from the replay offset committed with them (`replayFrom`), rebuilds
   * the same tracks in its warm-up and counts each when it ends, with its crossings before the hand-over.
   */
  async revoke(partitions: readonly number[], ctx: OperatorContext): Promise<void> {
    const gone = new Set(partitions);
    const cameras = [...this.partitionOf].filter(([, p]) => gone.has(p)).map(([id]) => id);
    if (cameras.length === 0) return;
    const forget = new Set(cameras);
    // Finished tracks waiting for a mode already count in the checkpointed open minutes (saveState classified them).
    this.pending = this.pending.filter((x) => !forget.has(x.cameraId));
    let tracks = 0;
    for (const id of cameras) {
      tracks += this.pipelines.get(id)?.activeTracks ?? 0;
      this.pipelines.forget(id);
      this.sizes.forget(id);
      this.open.delete(id);
      this.cameraEpoch.delete(id);
      this.dirty.delete(id);
      this.dormant.delete(id);
      this.partitionOf.delete(id);
      this.replay.delete(id);
      this.savedReplay.delete(id);
      this.restoredReplay.delete(id);
    }
    ctx.log.info(
      { partitions, cameras: cameras.length, liveTracks: tracks },
      'cameras handed over (open minutes and live tracks left to the new owner, not emitted)',
    );
  }

  /** Adds a camera's restored open epochs to its aggregates and takes back its current epoch. */
  private adopt(cameraId: string): void {
    const s = this.dormant.get(cameraId);
    if (!s) return;
    this.dormant.delete(cameraId);
    // The classifier's reference car size goes on from where the checkpoint left it (same modes as without a restart).
    if (s.sizes) this.sizes.restore(cameraId, s.sizes);
    for (const o of s.open) this.agg(cameraId, o.epoch).addRows(o);
    if (s.epoch !== null && s.epoch > (this.cameraEpoch.get(cameraId) ?? Number.NEGATIVE_INFINITY)) {
      this.cameraEpoch.set(cameraId, s.epoch);
    }
    this.dirty.add(cameraId);
  }

  /**
   * Emits a camera's finished queue-discharge aggregates (`discharge.v1`, issue 13): 15-minute rows its pipeline's
   * `DischargeMeter` closed (every open one with `all`, at the end). Additive downstream; kept in memory only (not in
   * the checkpoint: a hand-over or crash loses the camera's open quarter hours of discharge, never a count).
   */
  private emitDischarge(ctx: OperatorContext, cameraId: string, all: boolean): void {
    const p = this.pipelines.get(cameraId);
    if (!p) return;
    const siteId = this.siteOf(cameraId);
    for (const r of p.takeDischarge(all)) {
      const d: Discharge = {
        siteId,
        cameraId,
        fromZone: r.fromZone,
        toZone: r.toZone,
        windowStart: r.start,
        headways: r.headways,
        headwaySumS: r.headwaySumS,
        pcuSum: r.pcuSum,
      };
      ctx.emit('discharge', cameraId, d);
    }
  }

  /** Emits (and forgets) a camera's partials of the epochs that end at or before `upTo`, oldest first. */
  private async emitCamera(ctx: OperatorContext, cameraId: string, upTo: number): Promise<void> {
    this.emitDischarge(ctx, cameraId, upTo === Number.POSITIVE_INFINITY);
    const epochs = this.open.get(cameraId);
    if (!epochs) return;
    const due = [...epochs.keys()].filter((e) => e + EMIT_EPOCH_MS <= upTo).sort((a, b) => a - b);
    if (due.length === 0) return;
    this.dirty.add(cameraId); // what is emitted leaves the checkpoint too (else a restore would count it again)
    await this.classifyPending();
    for (const e of due) {
      const a = (epochs.get(e) as MinuteAggregator).flush();
      epochs.delete(e);
      for (const r of a.lineCounts) ctx.emit('lineCounts', r.cameraId, r satisfies LineCount);
      for (const r of a.movements) ctx.emit('movements', r.cameraId, r satisfies Movement);
    }
    if (epochs.size === 0) this.open.delete(cameraId);
  }

  snapshot(): Record<string, number> {
    return {
      cameras: this.pipelines.size,
      liveTracks: this.pipelines.activeTracks,
      pendingClassification: this.pending.length,
      openEpochs: [...this.open.values()].reduce((n, m) => n + m.size, 0),
      restoredCameras: this.dormant.size,
    };
  }

  async onClose(ctx: OperatorContext): Promise<void> {
    const finished: CameraRoadUser[] = [];
    this.pipelines.flush(finished);
    // End of input: tracks still alive are final at their camera's last frame.
    this.collect(finished, (id) => this.pipelines.get(id)?.lastFrameTs ?? Number.POSITIVE_INFINITY);
    for (const id of [...this.open.keys()].sort()) await this.emitCamera(ctx, id, Number.POSITIVE_INFINITY);
    for (const id of [...this.cameraEpoch.keys()].sort()) this.emitDischarge(ctx, id, true);
    // What was just emitted must not come back after a restart: the emptied state is checkpointed too.
    await this.saveState(ctx);
  }
}

/** One camera's checkpoint (aggregates only: no box, track or id). */
export interface VideoFlowsCameraState {
  v: 1;
  cameraId: string;
  /** The input partition of the camera's frames (absent in records of the first version). */
  partition?: number;
  /** Start (ms) of the epoch of the camera's latest frame; earlier epochs are complete. */
  epoch: number | null;
  /**
   * Input offset of the first frame a new owner re-reads to rebuild the camera's live tracks (an offset only); null
   * when no track was alive at the committed offset. Absent in records of earlier versions.
   */
  replayFrom?: string | null;
  /**
   * The classifier's reference car size of the camera (`CameraSizeReference`): counts of its car-voted tracks' widths
   * and heights per 0.02 m bin, no track. Absent in records of earlier versions (the new owner starts from the prior).
   */
  sizes?: CameraSizeState;
  /** The camera's open epochs (oldest first) and their partial rows. */
  open: { epoch: number; lineCounts: LineCountRow[]; movements: MovementRow[] }[];
}

/** video-flows' compacted checkpoint topic (aggregates only, one partition). */
export const videoFlowsStateTopic = (config: Config): string => `${config.topics.lineCounts}.state`;

export function videoFlowsRole(config: Config): ProcessorRole<DetectionFrame> {
  return {
    name: 'video-flows',
    input: config.topics.detections,
    codec: jsonCodec(DetectionFrame, { maxBytes: config.stream.maxMessageBytes }),
    eventTime: (f) => f.ts,
    outputs: {
      lineCounts: config.topics.lineCounts,
      movements: config.topics.movements,
      discharge: config.topics.discharge,
      plates: config.topics.sightingsRaw,
      state: videoFlowsStateTopic(config),
    },
    state: { stream: 'state', handOver: true },
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
