import { readFileSync } from 'node:fs';
import { PassageError } from '@passage/config';
import { type CameraPipelineOptions, type CountingLine, fitHomography, LocalFrame, type Zone } from '@passage/core';
import { type Static, Type } from '@sinclair/typebox';
import { TypeCompiler } from '@sinclair/typebox/compiler';

const LonLat = Type.Tuple([Type.Number({ minimum: -180, maximum: 180 }), Type.Number({ minimum: -90, maximum: 90 })]);

/**
 * The sites file (`sitesFile`, env PASSAGE_SITES_FILE): where sensors are and what they count. It is the
 * `scenario.json` format of infra/scenarios/README.md; fields not used by the workers are ignored.
 */
export const SitesFileSchema = Type.Object({
  cameras: Type.Array(
    Type.Object({
      id: Type.String({ minLength: 1 }),
      siteId: Type.String({ minLength: 1 }),
      name: Type.Optional(Type.String()),
      position: Type.Object({ lon: Type.Number(), lat: Type.Number() }),
      fps: Type.Optional(Type.Number({ exclusiveMinimum: 0 })),
      lines: Type.Array(Type.Object({ id: Type.String({ minLength: 1 }), a: LonLat, b: LonLat })),
      zones: Type.Array(
        Type.Object({ id: Type.String({ minLength: 1 }), polygon: Type.Array(LonLat, { minItems: 3 }) }),
      ),
      calibration: Type.Array(Type.Object({ image: Type.Tuple([Type.Number(), Type.Number()]), map: LonLat }), {
        minItems: 4,
      }),
    }),
    { default: [] },
  ),
  counters: Type.Optional(
    Type.Array(
      Type.Object({
        id: Type.String(),
        siteId: Type.String(),
        kind: Type.String(),
        line: Type.Optional(Type.Unknown()),
      }),
    ),
  ),
  sightingSites: Type.Optional(
    Type.Array(Type.Object({ id: Type.String(), zoneId: Type.String(), kind: Type.String() })),
  ),
  zones: Type.Optional(Type.Array(Type.Object({ id: Type.String(), name: Type.Optional(Type.String()) }))),
});
export type SitesFile = Static<typeof SitesFileSchema>;
export type CameraDef = SitesFile['cameras'][number];

const check = TypeCompiler.Compile(SitesFileSchema);
const cache = new Map<string, SitesFile>();

/** Reads and validates a sites file once per process. */
export function loadSitesFile(path: string): SitesFile {
  const hit = cache.get(path);
  if (hit) return hit;
  if (!path) {
    throw new PassageError(
      'PASSAGE_SITES_FILE_MISSING',
      'No sites file configured: set PASSAGE_SITES_FILE (or config key sitesFile) to a scenario.json-format file ' +
        'describing cameras, lines, zones and calibration (see infra/scenarios/README.md).',
    );
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(path, 'utf8'));
  } catch (cause) {
    throw new PassageError(
      'PASSAGE_SITES_FILE_INVALID',
      `Cannot read the sites file ${path}: ${(cause as Error).message}`,
      {
        cause,
      },
    );
  }
  if (!check.Check(parsed)) {
    const e = check.Errors(parsed).First();
    throw new PassageError(
      'PASSAGE_SITES_FILE_INVALID',
      `The sites file ${path} is invalid at ${e?.path ?? '/'}: ${e?.message ?? 'schema mismatch'} (format: infra/scenarios/README.md).`,
    );
  }
  cache.set(path, parsed);
  return parsed;
}

/**
 * Pipeline options of one camera: a local metric frame centred on the camera, the homography fitted from its
 * calibration pairs, and its lines and zones in that frame. Throws PASSAGE_CALIBRATION_DEGENERATE with the fix.
 */
export function cameraPipelineOptions(
  cam: CameraDef,
  defaults: { fps: number; tracker?: Record<string, number | boolean> },
): CameraPipelineOptions {
  const frame = new LocalFrame({ lon: cam.position.lon, lat: cam.position.lat });
  const local = (p: readonly [number, number]): [number, number] => [frame.x(p[0]), frame.y(p[1])];
  let fit: ReturnType<typeof fitHomography>;
  try {
    fit = fitHomography(cam.calibration.map((c) => ({ image: c.image, ground: local(c.map) })));
  } catch (e) {
    const err = e as Error & { code?: string };
    throw new PassageError(err.code ?? 'PASSAGE_CALIBRATION_DEGENERATE', `Camera ${cam.id}: ${err.message}`, {
      cause: e,
    });
  }
  const lines: CountingLine[] = cam.lines.map((l) => ({ id: l.id, a: local(l.a), b: local(l.b) }));
  const zones: Zone[] = cam.zones.map((z) => ({ id: z.id, polygon: z.polygon.map(local) }));
  return {
    cameraId: cam.id,
    siteId: cam.siteId,
    homography: fit.homography,
    lines,
    zones,
    fps: cam.fps ?? defaults.fps,
    tracker: defaults.tracker,
  };
}
