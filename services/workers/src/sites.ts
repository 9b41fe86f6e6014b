import { PassageError } from '@passage/config';
import { type CameraPipelineOptions, type CountingLine, fitHomography, LocalFrame, type Zone } from '@passage/core';
import { loadRegistry, type Registry, type RegistryCamera } from '@passage/registry';

/**
 * The sites file (`sitesFile`, env PASSAGE_SITES_FILE): the site registry of docs/SITES.md (a simulator's
 * `scenario.json` is read as one). Validated once at load by @passage/registry, the same validation the store's
 * metadata loader uses: a file with errors is refused with PASSAGE_REGISTRY_INVALID listing every error, so bad
 * geometry never reaches a camera pipeline.
 */
export type SitesFile = Registry;
export type CameraDef = RegistryCamera;

/** Reads and validates a sites file once per process. */
export function loadSitesFile(path: string): SitesFile {
  return loadRegistry(path);
}

/**
 * Pipeline options of one camera: a local metric frame centred on the camera, the homography fitted from its
 * calibration pairs, and its lines and zones in that frame. Throws PASSAGE_CALIBRATION_DEGENERATE with the fix.
 */
export function cameraPipelineOptions(
  cam: CameraDef,
  defaults: { fps: number; tracker?: Record<string, number | boolean>; adaptiveScores?: boolean },
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
    adaptiveScores: defaults.adaptiveScores,
  };
}
