/**
 * Pipeline options of one camera from its site-registry entry (a sites file or a simulator's scenario.json): a
 * local metric frame centred on the camera, the homography fitted from its calibration pairs, and its lines and
 * zones in that frame. The video-flows worker and the classifier's training/evaluation tooling both build their
 * `CameraPipelineSet` from this, so they see the same road users.
 */

import type { CountingLine, Zone } from '../counting/index.ts';
import { PassageError } from '../errors.ts';
import { fitHomography, LocalFrame } from '../geometry/index.ts';
import type { ByteTrackerOptions } from '../tracker/index.ts';
import type { CameraPipelineOptions } from './camera-pipeline.ts';

type LonLat = readonly [number, number];

/** What a camera of the site registry gives the pipeline (structural: `RegistryCamera` and scenario cameras fit). */
export interface CameraGeometry {
  id: string;
  siteId: string;
  position: { lon: number; lat: number };
  fps?: number;
  /** Image size, pixels (optional in the sites file): boxes cut by the image border when frames do not say it. */
  width?: number;
  height?: number;
  calibration: readonly { image: readonly [number, number]; map: LonLat }[];
  lines: readonly { id: string; a: LonLat; b: LonLat }[];
  zones: readonly { id: string; polygon: readonly LonLat[] }[];
}

/** Operator defaults of the `video` configuration that apply to every camera. */
export interface CameraDefaults {
  fps: number;
  tracker?: Partial<ByteTrackerOptions> | Record<string, number | boolean>;
  adaptiveScores?: boolean;
}

/**
 * A camera line counts a path that crosses it up to this far (m) beyond either end of the drawn segment. The ground
 * positions come through a clicked calibration: pedestrians on the pavement at the ends of a line are placed up
 * to a few metres off, and the exact segment loses their crossings. On dreux-grid through camera variants with
 * masts of 4–6 m and a 3 × 3 calibration grid clicked with σ 4 px (`diagnose-crossings.ts`, 1200–2400 s)
 * pedestrians total −8.7 % with the drawn segment, −2.7 % at 1 m, −0.8 % at 2 m; through the world's own cameras
 * +0.7 % → +1.4 % at 2 m.
 */
export const CAMERA_LINE_EXTENT_TOL_M = 2;

/** Throws PASSAGE_CALIBRATION_DEGENERATE (or the homography's own code) with the camera named. */
export function cameraPipelineOptions(cam: CameraGeometry, defaults: CameraDefaults): CameraPipelineOptions {
  const frame = new LocalFrame({ lon: cam.position.lon, lat: cam.position.lat });
  const local = (p: LonLat): [number, number] => [frame.x(p[0]), frame.y(p[1])];
  let fit: ReturnType<typeof fitHomography>;
  try {
    fit = fitHomography(cam.calibration.map((c) => ({ image: [c.image[0], c.image[1]], ground: local(c.map) })));
  } catch (e) {
    const err = e as Error & { code?: string };
    throw new PassageError(err.code ?? 'PASSAGE_CALIBRATION_DEGENERATE', `Camera ${cam.id}: ${err.message}`, {
      cause: e,
    });
  }
  const lines: CountingLine[] = cam.lines.map((l) => ({
    id: l.id,
    a: local(l.a),
    b: local(l.b),
    extentTolM: CAMERA_LINE_EXTENT_TOL_M,
  }));
  const zones: Zone[] = cam.zones.map((z) => ({ id: z.id, polygon: z.polygon.map(local) }));
  return {
    cameraId: cam.id,
    siteId: cam.siteId,
    homography: fit.homography,
    lines,
    zones,
    fps: cam.fps ?? defaults.fps,
    tracker: defaults.tracker as Partial<ByteTrackerOptions> | undefined,
    adaptiveScores: defaults.adaptiveScores,
    imageSize: cam.width && cam.height ? { width: cam.width, height: cam.height } : undefined,
  };
}
