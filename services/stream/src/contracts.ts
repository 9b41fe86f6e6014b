/**
 * Event contracts of Passage (docs/ARCHITECTURE.md). One TypeBox schema per topic payload; the same schemas
 * validate Kafka messages, in-process events and API payloads.
 */
import { type Static, Type } from '@sinclair/typebox';

/** Milliseconds since the Unix epoch (UTC). */
const EpochMs = Type.Number({ minimum: 0, description: 'milliseconds since the Unix epoch, UTC' });
const Id = Type.String({ minLength: 1, maxLength: 128 });

/** Road-user modes used everywhere in Passage (classifier output, aggregates, truth). */
export const MODES = ['pedestrian', 'bicycle', 'motorcycle', 'car', 'van', 'truck', 'bus'] as const;
export type Mode = (typeof MODES)[number];
export const ModeSchema = Type.Union(MODES.map((m) => Type.Literal(m)));

/** One detected object in one frame, as sent by a camera's edge analytics. */
export const DetectedObject = Type.Object(
  {
    /** [x, y, w, h] in pixels, top-left origin. */
    bbox: Type.Tuple([Type.Number(), Type.Number(), Type.Number({ minimum: 0 }), Type.Number({ minimum: 0 })]),
    /** Detector class label (e.g. person, bicycle, car, truck, bus, motorcycle). */
    cls: Type.String({ minLength: 1, maxLength: 64 }),
    score: Type.Number({ minimum: 0, maximum: 1 }),
    edgeTrackId: Type.Optional(Type.Union([Type.String({ maxLength: 128 }), Type.Number()])),
    plate: Type.Optional(Type.String({ maxLength: 32 })),
    emb: Type.Optional(Type.Array(Type.Number(), { maxItems: 2048 })),
  },
  { additionalProperties: false },
);
export type DetectedObject = Static<typeof DetectedObject>;

/** `detections.v1`, key = cameraId: one message per frame. */
export const DetectionFrame = Type.Object(
  {
    cameraId: Id,
    ts: EpochMs,
    frame: Type.Optional(Type.Integer({ minimum: 0 })),
    width: Type.Optional(Type.Integer({ minimum: 1 })),
    height: Type.Optional(Type.Integer({ minimum: 1 })),
    objects: Type.Array(DetectedObject, { maxItems: 4096 }),
  },
  { additionalProperties: false },
);
export type DetectionFrame = Static<typeof DetectionFrame>;

/** `counts.v1`, key = sensorId: what a counter reports for one interval. */
export const CountRecord = Type.Object(
  {
    sensorId: Id,
    start: EpochMs,
    end: EpochMs,
    direction: Type.Optional(Type.String({ maxLength: 32 })),
    mode: Type.Optional(Type.String({ maxLength: 32 })),
    /** null = the sensor reported nothing for this interval (a gap, never a zero). */
    count: Type.Union([Type.Number({ minimum: 0 }), Type.Null()]),
    /** Share of the interval the sensor was working, 0..1. */
    uptime: Type.Optional(Type.Number({ minimum: 0, maximum: 1 })),
    /** Message id given by the producer: a redelivery with the same id (per sensor) is counted once. */
    id: Type.Optional(Type.String({ minLength: 1, maxLength: 128 })),
  },
  { additionalProperties: false },
);
export type CountRecord = Static<typeof CountRecord>;

export const SightingKind = Type.Union([Type.Literal('wifi'), Type.Literal('ble'), Type.Literal('anpr')]);

/** `sightings.raw.v1`, key = siteId. Raw identifiers: read only by the tokenizer, short retention. */
export const RawSighting = Type.Object(
  { siteId: Id, ts: EpochMs, kind: SightingKind, id: Type.String({ minLength: 1, maxLength: 128 }) },
  { additionalProperties: false },
);
export type RawSighting = Static<typeof RawSighting>;

/** `sightings.v1`, key = token. */
export const TokenSighting = Type.Object(
  {
    siteId: Id,
    ts: EpochMs,
    kind: SightingKind,
    token: Type.String({ minLength: 16, maxLength: 128 }),
    /** The raw Wi-Fi/BLE address was locally administered (randomised, rotates): set by the tokenizer. */
    randomised: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false },
);
export type TokenSighting = Static<typeof TokenSighting>;

/** `line-counts.v1`: anonymous 1-minute aggregate of directed line crossings. */
export const LineCount = Type.Object(
  {
    siteId: Id,
    cameraId: Id,
    lineId: Id,
    direction: Type.Union([Type.Literal('in'), Type.Literal('out')]),
    mode: ModeSchema,
    minute: EpochMs,
    count: Type.Integer({ minimum: 0 }),
    speedSum: Type.Number({ minimum: 0 }),
    speedCount: Type.Integer({ minimum: 0 }),
  },
  { additionalProperties: false },
);
export type LineCount = Static<typeof LineCount>;

/** `movements.v1`: anonymous 1-minute aggregate of zone-to-zone movements (turning movements). */
export const Movement = Type.Object(
  {
    siteId: Id,
    cameraId: Id,
    fromZone: Id,
    toZone: Id,
    mode: ModeSchema,
    minute: EpochMs,
    count: Type.Integer({ minimum: 0 }),
    speedSum: Type.Number({ minimum: 0 }),
    speedCount: Type.Integer({ minimum: 0 }),
    dwellSumS: Type.Number({ minimum: 0 }),
  },
  { additionalProperties: false },
);
export type Movement = Static<typeof Movement>;

/** `od.v1`: anonymous 15-minute origin–destination aggregate. */
export const OdCell = Type.Object(
  {
    origin: Id,
    destination: Id,
    mode: Type.String({ maxLength: 32 }),
    windowStart: EpochMs,
    trips: Type.Integer({ minimum: 0 }),
    expanded: Type.Optional(Type.Number({ minimum: 0 })),
    expandedStdErr: Type.Optional(Type.Number({ minimum: 0 })),
    travelTimeP50S: Type.Optional(Type.Number({ minimum: 0 })),
    travelTimeP85S: Type.Optional(Type.Number({ minimum: 0 })),
    suppressed: Type.Optional(Type.Boolean()),
    rule: Type.Optional(Type.String({ maxLength: 64 })),
  },
  { additionalProperties: false },
);
export type OdCell = Static<typeof OdCell>;

/** `dlq.v1`: a message that could not be processed, with the reason. Never carries identifiers in clear. */
export const DeadLetter = Type.Object({
  topic: Type.String(),
  partition: Type.Integer(),
  offset: Type.String(),
  reason: Type.String(),
  message: Type.String(),
  excerpt: Type.String({ maxLength: 512 }),
  ts: EpochMs,
});
export type DeadLetter = Static<typeof DeadLetter>;
