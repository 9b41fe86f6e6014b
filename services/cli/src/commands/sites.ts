import { PassageError } from '@passage/config';
import {
  formatIssues,
  MAX_REPROJECTION_GROSS_PX,
  MAX_REPROJECTION_M,
  MAX_REPROJECTION_PX,
  MAX_VIEW_DISTANCE_M,
  readRegistryFile,
} from '@passage/registry';
import { parseFlags } from '../args.ts';

export const help = `passage sites validate <registry.json> [--json]
passage sites export <scenario-dir> [--out <file>]
  The site registry (docs/SITES.md): the deployment's cameras (calibration, lines, arms), counters, sighting sites,
  OD zones and signal controllers. PASSAGE_SITES_FILE points the workers and the store at it.
  validate   checks a registry (or a scenario.json) and lists EVERY error and warning with its JSON path:
             schema, duplicate ids, unknown references, calibration reprojection error above ${MAX_REPROJECTION_M} m RMS on the ground or
             ${MAX_REPROJECTION_GROSS_PX} px RMS in the image (a warning above ${MAX_REPROJECTION_PX} px),
             lines or arms outside their camera's view (above the horizon, outside the image, beyond
             ${MAX_VIEW_DISTANCE_M} m), overlapping arms, zones without polygons, sighting sites without positions.
             Prints each camera's reprojection error. Exit code 1 when there is an error, 0 otherwise.
  export     writes the registry of a simulated world (its scenario.json without the simulation: time base,
             seed, declared faults; with the signal controllers of its SUMO network that its cameras watch) to
             <scenario-dir>/registry.json, or --out.`;

export async function run(argv: string[]): Promise<number> {
  const { values, positionals } = parseFlags('sites', argv, {
    help: { type: 'boolean', short: 'h' },
    json: { type: 'boolean' },
    out: { type: 'string' },
  });
  const [sub, arg] = positionals;
  if (values.help) {
    console.log(help);
    return 0;
  }
  if ((sub !== 'validate' && sub !== 'export') || !arg || positionals.length !== 2) {
    throw new PassageError(
      'PASSAGE_CLI_USAGE',
      'Usage: passage sites validate <file> | passage sites export <scenario-dir>.',
    );
  }
  if (sub === 'validate') return validate(arg, values.json === true);
  // A simulated world's registry: needs the simulator (@passage/sim), a development dependency.
  const { exportRegistry } = await import('./sites-export.ts');
  return exportRegistry(arg, values.out as string | undefined);
}

function validate(path: string, json: boolean): number {
  const r = readRegistryFile(path);
  const ok = r.errors.length === 0;
  if (json) {
    console.log(
      JSON.stringify({
        ok,
        errors: r.errors,
        warnings: r.warnings,
        calibration: r.calibration,
        fromScenario: r.fromScenario,
      }),
    );
    return ok ? 0 : 1;
  }
  const reg = r.registry;
  if (r.fromScenario) console.log(`${path}: a scenario.json, read as a registry (simulation fields ignored)`);
  for (const c of r.calibration) {
    console.log(
      c.rmsPx === null
        ? `camera ${c.cameraId}: ${c.pairs} calibration pairs, no fit`
        : `camera ${c.cameraId}: ${c.pairs} calibration pairs, reprojection error ${(c.rmsM ?? 0).toFixed(3)} m RMS on the ground (limit ${MAX_REPROJECTION_M}), ${c.rmsPx.toFixed(2)} px RMS in the image (warning above ${MAX_REPROJECTION_PX}), worst pair ${(c.maxErrM ?? 0).toFixed(3)} m`,
    );
  }
  if (r.warnings.length) console.log(`${r.warnings.length} warning(s):\n${formatIssues(r.warnings)}`);
  if (!ok) {
    console.error(`${r.errors.length} error(s):\n${formatIssues(r.errors)}`);
    console.error(`${path} is not a usable registry: fix the errors above (format: docs/SITES.md).`);
    return 1;
  }
  console.log(
    `${path} is valid: ${reg?.cameras.length ?? 0} cameras, ${reg?.counters.length ?? 0} counters, ` +
      `${reg?.sightingSites.length ?? 0} sighting sites, ${reg?.zones.length ?? 0} zones, ` +
      `${reg?.signalControllers.length ?? 0} signal controllers.`,
  );
  return 0;
}
