/**
 * The site registry (docs/SITES.md): what a deployment owns and where it is — cameras, counters, sighting sites, OD
 * zones and signal controllers. One TypeBox schema; `infra/registry/registry.schema.json` is its JSON Schema
 * (a test checks that the file equals what this module generates). Documentation for a city engineer:
 * docs/SITES.md.
 *
 * Coordinates on the map are `[lon, lat]` (WGS 84 degrees). Camera lines and zones may instead be drawn on the
 * camera image, in pixels `[u, v]` (u to the right, v down, (0, 0) the top-left corner) with `"space": "image"`;
 * they are mapped to the ground through the camera's calibration.
 */
import { type Static, type TSchema, Type } from '@sinclair/typebox';

const Id = (description: string) => Type.String({ minLength: 1, maxLength: 128, description });
const Name = Type.Optional(Type.String({ maxLength: 256, description: 'Human-readable name' }));

export const LonLatSchema = Type.Tuple(
  [Type.Number({ minimum: -180, maximum: 180 }), Type.Number({ minimum: -90, maximum: 90 })],
  {
    description: '[longitude, latitude] in WGS 84 degrees',
  },
);
export const PixelSchema = Type.Tuple([Type.Number(), Type.Number()], {
  description: '[u, v] image pixels: u to the right, v down, (0, 0) = top-left corner',
});
/** A point that is [lon, lat] or, with `"space": "image"`, [u, v] pixels. */
const AnyPoint = Type.Tuple([Type.Number(), Type.Number()], {
  description: '[lon, lat] degrees, or [u, v] pixels when the geometry has "space": "image"',
});
const Space = Type.Optional(
  Type.Union([Type.Literal('map'), Type.Literal('image')], {
    description: 'Coordinates of this geometry: "map" = [lon, lat] (default), "image" = [u, v] pixels of the camera',
  }),
);
const Position = Type.Object(
  { lon: Type.Number({ minimum: -180, maximum: 180 }), lat: Type.Number({ minimum: -89.9, maximum: 89.9 }) },
  { additionalProperties: false, description: 'WGS 84 position' },
);
const Polygon = (description: string) =>
  Type.Array(AnyPoint, {
    minItems: 3,
    description: `${description}: ≥ 3 points, not closed (first point not repeated)`,
  });

export const CameraLine = Type.Object(
  {
    id: Id('Line id, unique in the registry (e.g. "cam-bd-nord:l-n")'),
    name: Name,
    a: AnyPoint,
    b: AnyPoint,
    space: Space,
    inDirection: Type.Optional(
      Type.String({ maxLength: 512, description: 'Meaning of "in": crossing from the left of a→b to its right' }),
    ),
  },
  {
    additionalProperties: false,
    description: 'Directed counting line: a road user crossing a→b left to right is "in"',
  },
);

export const CameraZone = Type.Object(
  {
    id: Id('Zone id, unique in the registry (e.g. "cam-bd-nord:z-n")'),
    name: Name,
    polygon: Polygon('Outline of the zone'),
    space: Space,
  },
  {
    additionalProperties: false,
    description:
      'A junction arm (turning-movement zone): a movement = first arm entered → last arm left. Arms of one camera must not overlap.',
  },
);

export const CalibrationPair = Type.Object(
  { image: PixelSchema, map: LonLatSchema },
  {
    additionalProperties: false,
    description: 'A point on the road surface seen at `image` pixels and located at `map`',
  },
);

export const Camera = Type.Object(
  {
    id: Id('Camera id as sent by its edge analytics (cameraId of detections.v1)'),
    siteId: Type.Optional(
      Id('Junction or place the camera watches; cameras of one junction share it. Default "site-<id>"'),
    ),
    name: Name,
    position: Position,
    mountingHeightM: Type.Optional(Type.Number({ exclusiveMinimum: 0, maximum: 200 })),
    headingDeg: Type.Optional(Type.Number({ minimum: 0, exclusiveMaximum: 360, description: '0 = north, clockwise' })),
    tiltDeg: Type.Optional(Type.Number({ minimum: -90, maximum: 90, description: 'Degrees down from horizontal' })),
    hfovDeg: Type.Optional(Type.Number({ exclusiveMinimum: 0, maximum: 360 })),
    width: Type.Optional(Type.Integer({ minimum: 1, description: 'Image width, pixels' })),
    height: Type.Optional(Type.Integer({ minimum: 1, description: 'Image height, pixels' })),
    fps: Type.Optional(Type.Number({ exclusiveMinimum: 0 })),
    calibration: Type.Array(CalibrationPair, {
      minItems: 4,
      description: '≥ 4 (better 6–10) well-spread image ↔ map pairs on the road surface, no three on one line',
    }),
    lines: Type.Optional(Type.Array(CameraLine, { default: [] })),
    zones: Type.Optional(Type.Array(CameraZone, { default: [] })),
  },
  { additionalProperties: false },
);

export const Counter = Type.Object(
  {
    id: Id('Sensor id of the feed (sensorId of counts.v1, e.g. "telraam:9000008311", "sta:12", "datex2:MUM76.h1/0")'),
    siteId: Type.Optional(Id('Counting site; default "site-<id>"')),
    name: Name,
    kind: Type.String({
      minLength: 1,
      maxLength: 32,
      description: 'loop | pedestrian | bike | telraam | radar | camera | other',
    }),
    modes: Type.Optional(
      Type.Array(Type.String({ minLength: 1, maxLength: 32 }), {
        description: 'Modes counted: pedestrian, bicycle, motorcycle, car, van, truck, bus (Telraam also heavy)',
      }),
    ),
    line: Type.Optional(Type.Object({ a: LonLatSchema, b: LonLatSchema }, { additionalProperties: false })),
    position: Type.Optional(Position),
    inDirection: Type.Optional(Type.String({ maxLength: 512 })),
    source: Type.Optional(
      Type.String({ maxLength: 64, description: 'Feed the counter comes from: telraam, sensorthings, datex2, …' }),
    ),
  },
  { additionalProperties: false },
);

export const SightingSite = Type.Object(
  {
    id: Id('Site id (siteId of sightings.raw.v1)'),
    name: Name,
    zoneId: Id('OD zone the site belongs to (an id of zones[])'),
    kind: Type.Union([Type.Literal('wifi'), Type.Literal('ble'), Type.Literal('anpr')]),
    position: Position,
    radiusM: Type.Number({ exclusiveMinimum: 0, maximum: 1000, description: 'Detection radius, metres' }),
  },
  { additionalProperties: false },
);

export const OdZone = Type.Object(
  {
    id: Id('Zone id'),
    name: Name,
    kind: Type.Optional(
      Type.String({ maxLength: 32, description: 'gate | parking | station | square | core | district | other' }),
    ),
    polygon: Type.Array(LonLatSchema, { minItems: 3, description: 'Outline, ≥ 3 [lon, lat] points, not closed' }),
  },
  { additionalProperties: false },
);

const SignalGroup = Type.Object(
  {
    id: Id('Signal group id (one set of signal heads showing the same aspect)'),
    movements: Type.Optional(
      Type.Array(
        Type.Object(
          {
            from: Id('Arm entered (a camera zone id)'),
            to: Id('Arm left (a camera zone id)'),
            lanes: Type.Optional(
              Type.Array(Type.Integer({ minimum: 0, maximum: 15 }), {
                minItems: 1,
                description: 'Lanes of the entry arm serving it, 0 = the kerb-side (rightmost) lane',
              }),
            ),
            turn: Type.Optional(
              Type.Union([Type.Literal('r'), Type.Literal('s'), Type.Literal('l'), Type.Literal('t')], {
                description: "r right, s straight, l left, t U-turn (default: from the arms' bearings)",
              }),
            ),
            permitted: Type.Optional(
              Type.Boolean({ description: 'Turns across opposing traffic without a protected green (yields)' }),
            ),
          },
          { additionalProperties: false },
        ),
        { description: 'Turning movements this group serves' },
      ),
    ),
    kind: Type.Optional(Type.Union([Type.Literal('vehicle'), Type.Literal('pedestrian'), Type.Literal('bicycle')])),
    minGreenS: Type.Optional(Type.Number({ minimum: 0, maximum: 120 })),
    amberS: Type.Optional(
      Type.Number({ minimum: 0, maximum: 10, description: 'Amber shown after each green, seconds (0: none)' }),
    ),
  },
  { additionalProperties: false },
);

const SignalApproach = Type.Object(
  {
    arm: Id('Arm entered (a camera zone id)'),
    laneStorageM: Type.Optional(
      Type.Array(Type.Number({ minimum: 0, maximum: 5000 }), {
        minItems: 1,
        description: 'Queue storage of each lane before it spills back, metres; index 0 = the kerb-side lane',
      }),
    ),
    fedByJunction: Type.Optional(
      Type.Boolean({ description: 'Fed by another junction (its queue can block it), not entering the network' }),
    ),
  },
  { additionalProperties: false },
);

const SignalPlan = Type.Object(
  {
    id: Id('Plan id'),
    cycleS: Type.Number({ exclusiveMinimum: 0, maximum: 600 }),
    offsetS: Type.Optional(Type.Number({ minimum: 0 })),
    greens: Type.Array(
      Type.Object(
        {
          group: Id('Signal group id'),
          startS: Type.Number({ minimum: 0 }),
          endS: Type.Number({ minimum: 0 }),
          yields: Type.Optional(
            Type.Boolean({
              description:
                "The group's turns give way during this green (a permitted phase); unset: as its movements say (permitted)",
            }),
          ),
        },
        { additionalProperties: false },
      ),
      { description: 'Green of each group within the cycle (seconds from cycle start)' },
    ),
    days: Type.Optional(Type.Array(Type.Integer({ minimum: 1, maximum: 7 }), { description: 'ISO weekdays' })),
    from: Type.Optional(Type.String({ pattern: '^\\d{2}:\\d{2}$', description: 'Local time the plan starts (HH:MM)' })),
    to: Type.Optional(Type.String({ pattern: '^\\d{2}:\\d{2}$', description: 'Local time the plan ends (HH:MM)' })),
  },
  { additionalProperties: false },
);

export const SignalController = Type.Object(
  {
    id: Id('Controller id'),
    siteId: Type.Optional(Id('Junction (the siteId of its cameras)')),
    name: Name,
    cameraIds: Type.Optional(Type.Array(Id('Camera id'), { description: 'Cameras whose arms the movements name' })),
    signalGroups: Type.Array(SignalGroup),
    approaches: Type.Optional(
      Type.Array(SignalApproach, { description: 'Lanes, storage and upstream of the approaches (optional)' }),
    ),
    intergreens: Type.Optional(
      Type.Array(
        Type.Object(
          { from: Id('Group ending'), to: Id('Group starting'), s: Type.Number({ minimum: 0, maximum: 60 }) },
          { additionalProperties: false },
        ),
      ),
    ),
    plans: Type.Optional(Type.Array(SignalPlan)),
  },
  { additionalProperties: false, description: 'Traffic-signal controller of a junction (optional)' },
);

export const RegistrySchema = Type.Object(
  {
    $schema: Type.Optional(Type.String()),
    name: Type.Optional(
      Type.String({ minLength: 1, maxLength: 128, description: 'Deployment name (default "registry")' }),
    ),
    description: Type.Optional(Type.String()),
    timezone: Type.Optional(Type.String({ description: 'IANA time zone, e.g. Europe/Paris (default UTC)' })),
    origin: Type.Optional(Position),
    zones: Type.Optional(Type.Array(OdZone, { default: [] })),
    cameras: Type.Optional(Type.Array(Camera, { default: [] })),
    counters: Type.Optional(Type.Array(Counter, { default: [] })),
    sightingSites: Type.Optional(Type.Array(SightingSite, { default: [] })),
    signalControllers: Type.Optional(Type.Array(SignalController, { default: [] })),
  },
  {
    additionalProperties: false,
    title: 'Passage site registry',
    description:
      'What a deployment owns and where: cameras, counters, sighting sites, OD zones, signal controllers (docs/SITES.md).',
  },
);

export type RegistryDocument = Static<typeof RegistrySchema>;
export type CameraDoc = Static<typeof Camera>;
export type CounterDoc = Static<typeof Counter>;
export type SightingSiteDoc = Static<typeof SightingSite>;
export type OdZoneDoc = Static<typeof OdZone>;
export type SignalControllerDoc = Static<typeof SignalController>;

/** The JSON Schema file content (`infra/registry/registry.schema.json`). */
export function registryJsonSchema(): string {
  const strip = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(strip);
    if (v !== null && typeof v === 'object') {
      const out: Record<string, unknown> = {};
      for (const [k, x] of Object.entries(v as Record<string, unknown>)) out[k] = strip(x);
      return out;
    }
    return v;
  };
  const doc = strip(RegistrySchema as TSchema) as Record<string, unknown>;
  return `${JSON.stringify({ $schema: 'http://json-schema.org/draft-07/schema#', ...doc }, null, 2)}\n`;
}
