/**
 * `passage sites export <world>`: the registry of a simulated world (its scenario.json without the simulation, with
 * the signal controllers of its SUMO network). Loaded lazily by `passage sites`: it needs the simulator, a
 * development dependency (a production install answers PASSAGE_DEV_DEPENDENCY_MISSING).
 */
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PassageError } from '@passage/config';
import { formatIssues, registryFromScenario, validateRegistry } from '@passage/registry';
import { registryControllersOfWorld } from '@passage/sim';

const SCHEMA = fileURLToPath(new URL('../../../../infra/registry/registry.schema.json', import.meta.url));

export function exportRegistry(dirArg: string, out: string | undefined): number {
  const dir = resolve(dirArg);
  const file = existsSync(dir) && statSync(dir).isDirectory() ? join(dir, 'scenario.json') : dir;
  let doc: Record<string, unknown>;
  try {
    doc = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
  } catch (e) {
    throw new PassageError(
      'PASSAGE_SCENARIO_NOT_FOUND',
      `Cannot read ${file}: ${(e as Error).message}. Give a scenario folder (with scenario.json).`,
    );
  }
  const target = resolve(out ?? join(dirname(file), 'registry.json'));
  const registry: Record<string, unknown> = {
    $schema: relative(dirname(target), SCHEMA),
    ...registryFromScenario(doc),
  };
  // The world's signal controllers, from its SUMO network (the programs of the junctions its cameras watch).
  if (!registry.signalControllers && existsSync(join(dirname(file), 'sumo', 'net.xml.gz'))) {
    const controllers = registryControllersOfWorld(dirname(file));
    if (controllers.length > 0) registry.signalControllers = controllers;
  }
  const r = validateRegistry(registry);
  if (r.errors.length > 0) {
    console.error(`${r.errors.length} error(s):\n${formatIssues(r.errors)}`);
    return 1;
  }
  writeFileSync(target, `${JSON.stringify(registry, null, 2)}\n`);
  console.log(
    JSON.stringify({
      registry: target,
      cameras: r.registry?.cameras.length,
      counters: r.registry?.counters.length,
      sightingSites: r.registry?.sightingSites.length,
      zones: r.registry?.zones.length,
      signalControllers: r.registry?.signalControllers.length,
    }),
  );
  return 0;
}
