/**
 * The signal controllers of a SUMO network as site-registry controllers (docs/SITES.md, `signalControllers`): what
 * a city's traffic-light management would hold, so a simulated world's registry carries its junctions like a
 * real deployment's. Per signalised junction a camera watches (`matchCamerasToTls`):
 * - a signal group per set of links showing the same aspect in every phase (SUMO's state columns), vehicle or
 *   pedestrian; its movements named by the camera arms (zones) of their entry and exit edges, with the entry lanes
 *   that serve them and SUMO's turn direction; its amber;
 * - a group whose links all come from an approach no camera sees keeps its greens without movements (its stage
 *   stays in the plan, with no measured flow);
 * - the approaches: lanes with their length (queue storage) and whether another junction feeds them;
 * - intergreens: the shortest time from a group's green end to the next green start of a group never green with
 *   it (amber and all-red);
 * - the network's program as the plan (cycle, offset, each group's greens, `yields` where SUMO shows `g`: turns
 *   that give way, e.g. a permitted left before its protected arrow).
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ClickHouseClient } from '@clickhouse/client';
import type { SignalControllerDoc } from '@passage/registry';
import { loadSignalControllers } from '@passage/store';
import { loadWorldSignals, type WorldSignals } from './plan-world.ts';
import type { TlsCoverage } from './sumo-tls.ts';

type Group = SignalControllerDoc['signalGroups'][number];
type Movement = NonNullable<Group['movements']>[number];

const isGreen = (c: string | undefined) => c === 'G' || c === 'g';
const isAmber = (c: string | undefined) => c === 'y' || c === 'Y';
const laneIndex = (lane: string) => Number(lane.slice(lane.lastIndexOf('_') + 1));
const TURNS: Record<string, Movement['turn']> = { r: 'r', R: 'r', s: 's', l: 'l', L: 'l', t: 't' };

interface GreenRun {
  startS: number;
  endS: number;
  /** Amber after it. */
  amberS: number;
  /** Its parts of one aspect: `g` (turns yield) or `G` (priority). */
  parts: { startS: number; endS: number; yields: boolean }[];
}

/** Green runs [start, end) of a state column over a cycle, a run across the cycle end joined into one. */
function greenRuns(column: string, durations: readonly number[]): GreenRun[] {
  const n = column.length;
  const cycle = durations.reduce((a, b) => a + b, 0);
  const at = durations.map((_, i) => durations.slice(0, i).reduce((a, b) => a + b, 0));
  if (column.split('').every(isGreen) && column.length > 0) {
    return [{ startS: 0, endS: cycle, amberS: 0, parts: [{ startS: 0, endS: cycle, yields: column[0] === 'g' }] }];
  }
  const runs: GreenRun[] = [];
  for (let i = 0; i < n; i++) {
    if (!isGreen(column[i]) || isGreen(column[(i - 1 + n) % n])) continue;
    const run: GreenRun = { startS: at[i], endS: at[i], amberS: 0, parts: [] };
    let j = i;
    for (let k = 0; k < n && isGreen(column[j]); k++, j = (j + 1) % n) {
      const last = run.parts[run.parts.length - 1];
      const yields = column[j] === 'g';
      if (last && last.yields === yields) last.endS += durations[j];
      else run.parts.push({ startS: run.endS, endS: run.endS + durations[j], yields });
      run.endS += durations[j];
    }
    for (let k = 0; k < n && isAmber(column[j]); k++, j = (j + 1) % n) run.amberS += durations[j];
    runs.push(run);
  }
  return runs;
}

/** One junction's controller in registry form. */
export function registryController(cov: TlsCoverage, site: { siteId: string; name: string }): SignalControllerDoc {
  const { controller } = cov.tls;
  const durations = controller.phases.map((p) => p.durationS);
  const cycle = durations.reduce((a, b) => a + b, 0);
  const zoneIn = new Map([...cov.inEdgeOfZone].map(([z, e]) => [e, z]));
  const zoneOut = new Map([...cov.outEdgeOfZone].map(([z, e]) => [e, z]));
  // Lanes counted from the edge's first vehicle lane the program serves (SUMO's lane 0 is often a sidewalk).
  const laneBase = new Map<string, number>();
  for (const l of controller.links) {
    if (!l.pedestrian) laneBase.set(l.from, Math.min(laneBase.get(l.from) ?? 99, laneIndex(l.lane)));
  }
  const laneOf = (l: (typeof controller.links)[number]) => laneIndex(l.lane) - (laneBase.get(l.from) ?? 0);
  // Groups: links with the same state column (and kind), in link order.
  const byColumn = new Map<string, typeof controller.links>();
  for (const l of controller.links) {
    const key = `${l.pedestrian ? 'p' : 'v'}:${controller.phases.map((p) => p.state[l.index]).join('')}`;
    byColumn.set(key, [...(byColumn.get(key) ?? []), l]);
  }
  // Each group keeps its state column and green runs (read once) until the registry form is written.
  const groups: (Group & { column: string; runs: GreenRun[] })[] = [];
  let nv = 0;
  let np = 0;
  for (const [key, links] of byColumn) {
    const column = key.slice(2);
    if (!column.split('').some(isGreen)) continue; // never green: not a signal group of this program
    const pedestrian = key.startsWith('p');
    const runs = greenRuns(column, durations);
    if (pedestrian) {
      groups.push({ id: `P${++np}`, kind: 'pedestrian', column, runs });
      continue;
    }
    const movements = new Map<string, Movement>();
    for (const l of links) {
      const from = zoneIn.get(l.from);
      const to = zoneOut.get(l.to);
      if (from === undefined || to === undefined) continue;
      const m = movements.get(`${from}>${to}`) ?? { from, to, lanes: [], turn: TURNS[l.turn] ?? 's' };
      m.lanes = [...new Set([...(m.lanes ?? []), laneOf(l)])].sort((a, b) => a - b);
      movements.set(`${from}>${to}`, m);
    }
    const amberS = runs[0]?.amberS ?? 0;
    groups.push({
      id: `K${++nv}`,
      kind: 'vehicle',
      ...(movements.size > 0 ? { movements: [...movements.values()] } : {}),
      ...(amberS > 0 ? { amberS } : {}),
      column,
      runs,
    });
  }
  // Approaches: every lane of an observed entry edge the program serves, with its storage.
  const approaches: NonNullable<SignalControllerDoc['approaches']> = [];
  for (const [zone, edge] of cov.inEdgeOfZone) {
    const lanes = controller.links.filter((l) => !l.pedestrian && l.from === edge);
    if (lanes.length === 0) continue;
    const storage: number[] = [];
    for (const l of lanes) storage[laneOf(l)] = Math.round((l.storageM ?? 0) * 10) / 10;
    approaches.push({
      arm: zone,
      laneStorageM: Array.from(storage, (v) => v ?? 0),
      ...(lanes[0].fedByJunction === undefined ? {} : { fedByJunction: lanes[0].fedByJunction }),
    });
  }
  // Intergreens between groups never green together: shortest green end → next green start.
  const intergreens: { from: string; to: string; s: number }[] = [];
  for (const a of groups) {
    for (const b of groups) {
      if (a === b || a.column.split('').some((c, i) => isGreen(c) && isGreen(b.column[i]))) continue;
      let best = Number.POSITIVE_INFINITY;
      for (const r of a.runs) {
        for (const { startS: s } of b.runs) best = Math.min(best, (((s - r.endS) % cycle) + cycle) % cycle);
      }
      if (best <= 20) intergreens.push({ from: a.id, to: b.id, s: best });
    }
  }
  // Each group's greens, one entry per aspect (`yields` where its turns give way), split at the cycle end.
  const greens = groups.flatMap((g) =>
    g.runs.flatMap((r) =>
      r.parts.flatMap((p) =>
        (p.endS <= cycle
          ? [[p.startS, p.endS]]
          : p.startS >= cycle
            ? [[p.startS - cycle, p.endS - cycle]]
            : [
                [p.startS, cycle],
                [0, p.endS - cycle],
              ]
        ).map(([startS, endS]) => ({ group: g.id, startS, endS, ...(p.yields ? { yields: true } : {}) })),
      ),
    ),
  );
  return {
    id: controller.id,
    siteId: site.siteId,
    name: site.name,
    cameraIds: [cov.camera],
    signalGroups: groups.map(({ column: _c, runs: _r, ...g }) => g),
    approaches,
    intergreens,
    plans: [
      {
        id: `sumo-${cov.tls.programId}`,
        cycleS: cycle,
        offsetS: (((controller.offsetS ?? 0) % cycle) + cycle) % cycle,
        greens,
      },
    ],
  };
}

/** The registry controllers of a world's signalised junctions under cameras (none without a SUMO network). */
export function registryControllersOfWorld(scenarioDir: string, world?: WorldSignals): SignalControllerDoc[] {
  const w = world ?? loadWorldSignals(scenarioDir);
  const scenario = JSON.parse(readFileSync(join(scenarioDir, 'scenario.json'), 'utf8')) as {
    cameras?: { id: string; siteId?: string; name?: string }[];
  };
  const cams = new Map((scenario.cameras ?? []).map((c) => [c.id, c]));
  return w.coverage.map((cov) => {
    const cam = cams.get(cov.camera);
    return registryController(cov, {
      siteId: cam?.siteId ?? cov.camera,
      name: `${cam?.name ?? cov.camera} — ${cov.tls.junction}`,
    });
  });
}

/**
 * Stores a world's signal controllers (read from its SUMO network) beside its registry, so the Signals routes and
 * view show its junctions as a city's would; 0 when the world has no network.
 */
export async function loadWorldSignalControllers(
  client: ClickHouseClient,
  scenarioDir: string,
  scenario: string,
): Promise<number> {
  if (!existsSync(join(scenarioDir, 'sumo', 'net.xml.gz'))) return 0;
  return loadSignalControllers(client, scenario, registryControllersOfWorld(scenarioDir));
}
