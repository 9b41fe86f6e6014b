/** The worlds `passage sim build <name>` can build, by name. */
import { PassageError } from '@passage/config';
import { anetRand } from './anet-rand.ts';
import { chartresCentre } from './chartres-centre.ts';
import type { WorldRecipe } from './common.ts';
import { dreuxGrid } from './dreux-grid.ts';
import { nogentSpider } from './nogent-spider.ts';

export type { WorldRecipe } from './common.ts';

export const WORLDS: Readonly<Record<string, WorldRecipe>> = {
  'chartres-centre': chartresCentre,
  'dreux-grid': dreuxGrid,
  'anet-rand': anetRand,
  'nogent-spider': nogentSpider,
};

/** The recipe of a world; PASSAGE_SIM_UNKNOWN_WORLD (with the known names) otherwise. */
export function worldRecipe(name: string): WorldRecipe {
  const r = Object.hasOwn(WORLDS, name) ? WORLDS[name] : undefined;
  if (!r)
    throw new PassageError(
      'PASSAGE_SIM_UNKNOWN_WORLD',
      `No world named "${name}". Known worlds: ${Object.keys(WORLDS).join(', ')} (services/sim/src/build/worlds).`,
    );
  return r;
}

/** Names of the held-out worlds. */
export const HELD_OUT_WORLDS: readonly string[] = Object.values(WORLDS)
  .filter((w) => w.heldOut)
  .map((w) => w.name);

/**
 * The held-out world a scenario directory (or name) belongs to, if any: any path naming a `heldOut` world counts
 * (copies such as `/tmp/anet-rand-2` too: conservative on purpose). Training, diagnosis and tuning tools refuse these.
 */
export function isHeldOutWorld(scenario: string): string | undefined {
  return HELD_OUT_WORLDS.find((name) => scenario.includes(name));
}
