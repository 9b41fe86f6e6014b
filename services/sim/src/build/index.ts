/** `passage sim build <name>`: the SUMO scenario builder. */
import { resolve } from 'node:path';
import { type BuildOptions, type BuildReport, buildScenario } from './scenario.ts';
import { worldRecipe } from './worlds/index.ts';

export { imageToGround, inImage, type PinholeSpec, projectToImage } from '../camera.ts';
export { AGENTS_HEADER, TRAJECTORIES_HEADER } from './derive.ts';
export { EARTH_RADIUS_M, toLocal, toLonLat } from './geo.ts';
export { createRng, mulberry32 } from './prng.ts';
export {
  type BuildOptions,
  type BuildReport,
  buildScenario,
  DEFAULTS,
  readGzText,
  type ScenarioJson,
  scenarioModel,
} from './scenario.ts';
export type { Camera, CameraLine, CameraZone, Counter, SightingSite } from './sensors.ts';
export { hasSumo, SUMO_MISSING_CODE, sumoVersion } from './sumo.ts';
export { MODES, type Mode, VTYPES } from './vtypes.ts';

export { HELD_OUT_WORLDS, isHeldOutWorld, WORLDS, type WorldRecipe, worldRecipe } from './worlds/index.ts';

export interface SimBuildArgs {
  /** World (and scenario) name: `chartres-centre`, `dreux-grid`, `anet-rand` or `nogent-spider` (see `WORLDS`). */
  name: string;
  /** Output folder (default `infra/scenarios/<name>` under the current directory). */
  outDir?: string;
  seed?: number;
  durationS?: number;
  endS?: number;
  stepS?: number;
  quiet?: boolean;
}

/** Entry point for the CLI: builds the scenario and prints a one-line summary per phase. */
export async function simBuild(args: SimBuildArgs): Promise<BuildReport> {
  const d = worldRecipe(args.name).defaults;
  const opts: BuildOptions = {
    name: args.name,
    outDir: args.outDir ?? resolve('infra/scenarios', args.name),
    seed: args.seed ?? d.seed,
    durationS: args.durationS ?? d.durationS,
    endS: args.endS,
    stepS: args.stepS ?? d.stepS,
    log: args.quiet ? undefined : (m) => console.error(`[sim build] ${m}`),
  };
  return buildScenario(opts);
}
