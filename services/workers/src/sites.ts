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
 * Pipeline options of one camera (`cameraPipelineOptions` of `@passage/core`, shared with the classifier tooling):
 * local frame, homography, lines and zones. Throws PASSAGE_CALIBRATION_DEGENERATE with the fix.
 */
export { cameraPipelineOptions } from '@passage/core';
