import type { Config } from '@passage/config';
import {
  type DeepStreamObjectMessage,
  type DetectionsResult,
  FrameGrouper,
  parseDeepStream,
  parseDetectionFrame,
} from '@passage/ingest';
import type {
  Codec,
  DeadLetterReason,
  Decoded,
  DetectionFrame,
  Operator,
  OperatorContext,
  ProcessorRole,
} from '@passage/stream';

/** One decoded raw payload: a whole frame, or one object of a frame (DeepStream full schema). */
export type RawDetection =
  | { kind: 'frame'; frame: DetectionFrame }
  | { kind: 'object'; message: DeepStreamObjectMessage };

const REASONS: Record<string, DeadLetterReason> = {
  PASSAGE_DETECTIONS_BAD_JSON: 'BAD_JSON',
  PASSAGE_DETECTIONS_SCHEMA: 'SCHEMA',
  PASSAGE_DETECTIONS_BAD_BBOX: 'BAD_VALUE',
  PASSAGE_DETECTIONS_BAD_TIMESTAMP: 'BAD_VALUE',
  PASSAGE_DETECTIONS_UNKNOWN_VERSION: 'UNKNOWN_VERSION',
  PASSAGE_DETECTIONS_TOO_LARGE: 'TOO_LARGE',
};

function toDecoded(r: DetectionsResult<RawDetection>): Decoded<RawDetection> {
  if (r.ok) return r;
  return { ok: false, reason: REASONS[r.reason] ?? 'SCHEMA', detail: `${r.reason}: ${r.detail}` };
}

/** The codec of the raw detections topic: the ingest adapters, never throwing; failures become dead letters. */
export function rawDetectionsCodec(
  format: Config['ingest']['detectionsFormat'],
  maxBytes: number,
): Codec<RawDetection> {
  return {
    decode(bytes) {
      if (bytes === null || bytes.length === 0) return { ok: false, reason: 'EMPTY', detail: 'empty message' };
      const text = typeof bytes === 'string' ? bytes : Buffer.from(bytes).toString('utf8');
      if (format === 'deepstream') return toDecoded(parseDeepStream(text, { maxBytes }));
      const r = parseDetectionFrame(text, { maxBytes });
      return toDecoded(r.ok ? { ok: true, value: { kind: 'frame', frame: r.value } } : r);
    },
    encode(value) {
      return Buffer.from(JSON.stringify(value.kind === 'frame' ? value.frame : value.message));
    },
  };
}

/**
 * Role `ingest-detections`: edge payloads (NVIDIA DeepStream nvmsgconv full or minimal schema, or generic
 * frames) → `detections.v1` frames, keyed by camera. Full-schema messages (one object each) are grouped into
 * frames per sensor: a frame is emitted when a later timestamp arrives for its sensor, or once the watermark
 * passes it by `ingest.frameMaxDelayMs`. Edge track ids stay inside the frame contract (the video worker keeps
 * them in memory only). On a crash, at most the one pending frame per sensor is lost.
 */
export class IngestDetectionsOperator implements Operator<RawDetection> {
  readonly name = 'ingest-detections';
  private readonly grouper: FrameGrouper;

  constructor(config: Config) {
    this.grouper = new FrameGrouper({ maxDelayMs: config.ingest.frameMaxDelayMs });
  }

  processBatch(events: readonly RawDetection[], ctx: OperatorContext): void {
    for (const e of events) {
      if (e.kind === 'frame') ctx.emit('frames', e.frame.cameraId, e.frame);
      else for (const f of this.grouper.push(e.message, e.message.ts)) ctx.emit('frames', f.cameraId, f);
    }
  }

  onWatermark(watermark: number, ctx: OperatorContext): void {
    if (!Number.isFinite(watermark)) return;
    for (const f of this.grouper.poll(watermark)) ctx.emit('frames', f.cameraId, f);
  }

  snapshot(): Record<string, number> {
    return { pendingFrames: this.grouper.pendingFrames, lateMessages: this.grouper.late };
  }

  onClose(ctx: OperatorContext): void {
    for (const f of this.grouper.flushAll()) ctx.emit('frames', f.cameraId, f);
  }
}

export function ingestDetectionsRole(config: Config): ProcessorRole<RawDetection> {
  return {
    name: 'ingest-detections',
    input: config.topics.detectionsRaw,
    codec: rawDetectionsCodec(config.ingest.detectionsFormat, config.stream.maxMessageBytes),
    eventTime: (e) => (e.kind === 'frame' ? e.frame.ts : e.message.ts),
    outputs: { frames: config.topics.detections },
    create: () => new IngestDetectionsOperator(config),
  };
}
