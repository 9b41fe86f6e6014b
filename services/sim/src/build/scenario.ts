/** The build itself: network → demand → routes → simulation → derived ground truth + scenario.json. */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { DEFAULTS } from './defaults.ts';
import { type AgentPlan, busesXml, busStopsXml, type DemandOptions, generateDemand, tripsXml } from './demand.ts';
import { agentsCsv, deriveFromFcd, fileLines, gzip9, NearMask } from './derive.ts';
import { type Origin, toLonLat } from './geo.ts';
import { buildNetwork, type StreetNet } from './network.ts';
import { buildSensors, type Sensors } from './sensors.ts';
import {
  type CommandRecord,
  parseLaneLengths,
  parseSumoStats,
  requireSumo,
  round3,
  routedIds,
  runTool,
  stripSumoStamp,
} from './sumo.ts';
import { MODES, type Mode, vtypeElements } from './vtypes.ts';
import type { WorldRecipe } from './worlds/common.ts';
import { WORLDS, worldRecipe } from './worlds/index.ts';
import type { ZoneDef } from './zones.ts';

export { DEFAULTS };

export interface BuildOptions {
  /** Scenario name; also the world recipe (`WORLDS`) unless `world` is given. */
  name: string;
  /** World recipe to build (default: `name`). */
  world?: string;
  outDir: string;
  seed?: number;
  /** Simulated period with demand, seconds (default 3600). */
  durationS?: number;
  /**
   * Stop the simulation (and the derived files) at this time, seconds; the demand is still generated for the
   * whole `durationS`, so a short run reproduces the beginning of the full one exactly. Default: durationS.
   */
  endS?: number;
  /** SUMO step length, seconds (0.5 or 1). */
  stepS?: number;
  /** Epoch ms of t = 0 (default 2026-03-10 07:30 Europe/Paris). */
  start?: number;
  origin?: Origin;
  perHour?: DemandOptions['perHour'];
  /** Keep SUMO's FCD output at this path (it is otherwise deleted). */
  keepFcdAt?: string;
  log?: (msg: string) => void;
}

export interface ScenarioJson {
  name: string;
  timezone: string;
  origin: Origin;
  start: number;
  durationS: number;
  seed: number;
  stepS: number;
  network: string;
  zones: { id: string; name: string; kind: ZoneDef['kind']; polygon: [number, number][] }[];
  cameras: Sensors['cameras'];
  counters: Sensors['counters'];
  sightingSites: Sensors['sightingSites'];
  /** How the synthesisers render this world (detector convention, phone address randomisation…); optional. */
  synth?: Record<string, unknown>;
}

export interface BuildReport {
  name: string;
  sumoVersion: string;
  seed: number;
  durationS: number;
  endS: number;
  stepS: number;
  node: string;
  commands: CommandRecord[];
  timings: Record<string, number>;
  counts: {
    plannedByMode: Record<Mode, number>;
    simulatedByMode: Record<Mode, number>;
    arrivedByMode: Record<Mode, number>;
    unroutable: number;
    trajectoryRows: number;
    cameras: number;
    counters: number;
    sightingSites: number;
    zones: number;
    sumo: Record<string, string>;
  };
  files: Record<string, number>;
}

export interface ScenarioModel {
  net: StreetNet;
  zones: ZoneDef[];
  sensors: Sensors;
  scenario: ScenarioJson;
  recipe: WorldRecipe;
}

type ModelOptions = Pick<BuildOptions, 'name' | 'world' | 'seed' | 'durationS' | 'stepS' | 'start' | 'origin'>;

/**
 * Everything that does not need SUMO for chartres-centre (its network is built in TypeScript): network geometry,
 * zones, sensors, scenario.json content.
 */
export function scenarioModel(opts: ModelOptions): ScenarioModel {
  return worldModel(WORLDS['chartres-centre'], buildNetwork(), opts);
}

/** Zones, sensors and scenario.json of a world on its network. */
export function worldModel(recipe: WorldRecipe, net: StreetNet, opts: ModelOptions): ScenarioModel {
  const d = recipe.defaults;
  const origin = opts.origin ?? d.origin;
  const seed = opts.seed ?? d.seed;
  const zones = recipe.zones(net);
  const sensors = buildSensors(net, origin, zones, recipe.layout(net, zones), seed);
  const scenario: ScenarioJson = {
    name: opts.name,
    timezone: d.timezone,
    origin,
    start: opts.start ?? d.start,
    durationS: opts.durationS ?? d.durationS,
    seed,
    stepS: opts.stepS ?? d.stepS,
    network: recipe.description,
    zones: zones.map((z) => ({
      id: z.id,
      name: z.name,
      kind: z.kind,
      polygon: z.polygon.map(([x, y]) => toLonLat(origin, x, y)),
    })),
    cameras: sensors.cameras,
    counters: sensors.counters,
    sightingSites: sensors.sightingSites,
    ...(recipe.synth ? { synth: recipe.synth } : {}),
  };
  return { net, zones, sensors, scenario, recipe };
}

/** Agents' plans (ids, modes, types, zones, identities) for a scenario; needs the lane lengths of its net. */
export function scenarioDemand(model: ScenarioModel, laneLengths: Map<string, number>): AgentPlan[] {
  const len = (e: string): number => {
    const l = laneLengths.get(e);
    if (l === undefined) throw new Error(`edge ${e} not in the network`);
    return l;
  };
  const opts: DemandOptions = { ...model.recipe.demand(model.net), durationS: model.scenario.durationS };
  return generateDemand(model.zones, len, model.scenario.seed, opts, (e) => model.net.edge(e).shape);
}

function countByMode(plans: AgentPlan[], pred: (p: AgentPlan) => boolean): Record<Mode, number> {
  const out = Object.fromEntries(MODES.map((m) => [m, 0])) as Record<Mode, number>;
  for (const p of plans) if (pred(p)) out[p.mode]++;
  return out;
}

/** Builds (or rebuilds) a scenario folder: SUMO inputs in `sumo/`, derived files and scenario.json at the top. */
export async function buildScenario(opts: BuildOptions): Promise<BuildReport> {
  const sumoVersion = requireSumo();
  const log = opts.log ?? (() => {});
  const outDir = resolve(opts.outDir);
  const sumoDir = join(outDir, 'sumo');
  mkdirSync(sumoDir, { recursive: true });
  const tmp = mkdtempSync(join(tmpdir(), 'passage-sim-build-'));
  const commands: CommandRecord[] = [];
  const timings: Record<string, number> = {};
  const tStart = performance.now();
  let tPhase = tStart;
  const phase = (name: string): void => {
    const now = performance.now();
    timings[name] = round3((now - tPhase) / 1000);
    tPhase = now;
    log(`${name}: ${timings[name]} s`);
  };
  const recipe = worldRecipe(opts.world ?? opts.name);
  const seed = opts.seed ?? recipe.defaults.seed;
  try {
    // 1. Network.
    const built = await recipe.network({ sumoDir, tmp, seed, commands });
    const model = worldModel(recipe, built.net, opts);
    const { scenario } = model;
    const endS = opts.endS ?? scenario.durationS;
    const netXml = built.netXml;
    rmSync(join(sumoDir, 'net.xml'));
    writeFileSync(join(sumoDir, 'net.xml.gz'), gzip9(netXml));
    const laneLengths = parseLaneLengths(netXml);
    phase('network');

    // 2. Demand.
    const plans = scenarioDemand(model, laneLengths);
    const busLines = recipe.demand(model.net).busLines;
    writeFileSync(
      join(sumoDir, 'busstops.add.xml'),
      busStopsXml((e) => laneLengths.get(e) ?? 0, recipe.busStops(model.net), busLines?.map((l) => l.id).join(' ')),
    );
    const notBus = MODES.filter((m) => m !== 'bus');
    writeFileSync(join(sumoDir, 'trips.xml.gz'), gzip9(tripsXml(plans, vtypeElements(notBus))));
    writeFileSync(join(sumoDir, 'buses.rou.xml'), busesXml(plans, vtypeElements(['bus']), busLines));
    phase('demand');

    // 3. Routes.
    await runTool(
      'duarouter',
      [
        '--net-file',
        'net.xml.gz',
        '--route-files',
        'trips.xml.gz',
        '--additional-files',
        'busstops.add.xml',
        '--output-file',
        'routes.rou.xml',
        '--seed',
        String(seed),
        '--ignore-errors',
        'true',
        '--no-step-log',
        'true',
        '--no-warnings',
        'true',
      ],
      sumoDir,
      commands,
    );
    const routesXml = stripSumoStamp(readFileSync(join(sumoDir, 'routes.rou.xml'), 'utf8'));
    rmSync(join(sumoDir, 'routes.rou.xml'));
    for (const f of ['routes.rou.alt.xml']) rmSync(join(sumoDir, f), { force: true });
    writeFileSync(join(sumoDir, 'routes.rou.xml.gz'), gzip9(routesXml));
    const routed = routedIds(routesXml);
    const unroutable = plans.filter((p) => p.mode !== 'bus' && !routed.has(p.id)).length;
    phase('route');

    // 4. Simulation.
    writeFileSync(join(sumoDir, 'scenario.sumocfg'), sumocfg(scenario.durationS, scenario.stepS, seed));
    const fcd = join(tmp, 'fcd.xml');
    await runTool(
      'sumo',
      [
        '--configuration-file',
        'scenario.sumocfg',
        '--end',
        String(endS),
        '--fcd-output',
        fcd,
        '--fcd-output.geo',
        'false',
        '--fcd-output.attributes',
        'x,y,angle,speed',
        '--statistic-output',
        join(tmp, 'stats.xml'),
        '--seed',
        String(seed),
        '--no-step-log',
        'true',
      ],
      sumoDir,
      commands,
    );
    const sumoStats = parseSumoStats(readFileSync(join(tmp, 'stats.xml'), 'utf8'));
    phase('simulate');

    // 5. Derived ground truth.
    const mask = new NearMask(model.sensors.keepCircles);
    const derived = await deriveFromFcd(fileLines(fcd), (x, y) => mask.has(x, y), endS);
    const agents = agentsCsv(plans, derived.seen, derived.lastT);
    writeFileSync(join(outDir, 'trajectories.csv.gz'), gzip9(derived.trajectoriesCsv));
    writeFileSync(join(outDir, 'agents.csv.gz'), gzip9(agents.csv));
    writeFileSync(join(outDir, 'scenario.json'), `${JSON.stringify({ ...scenario, durationS: endS }, null, 2)}\n`);
    if (opts.keepFcdAt) writeFileSync(opts.keepFcdAt, readFileSync(fcd));
    phase('derive');
    timings.total = round3((performance.now() - tStart) / 1000);

    const files: Record<string, number> = {};
    for (const f of [
      'scenario.json',
      'agents.csv.gz',
      'trajectories.csv.gz',
      'sumo/nodes.nod.xml',
      'sumo/edges.edg.xml',
      'sumo/net.xml.gz',
      'sumo/trips.xml.gz',
      'sumo/routes.rou.xml.gz',
      'sumo/buses.rou.xml',
      'sumo/busstops.add.xml',
      'sumo/scenario.sumocfg',
    ])
      files[f] = statSync(join(outDir, f)).size;
    const report: BuildReport = {
      name: scenario.name,
      sumoVersion,
      seed,
      durationS: scenario.durationS,
      endS,
      stepS: scenario.stepS,
      node: process.version,
      commands: commands.map((c) => ({ ...c, cmd: c.cmd.replaceAll(tmp, '$TMP') })),
      timings,
      counts: {
        plannedByMode: countByMode(plans, () => true),
        simulatedByMode: countByMode(plans, (p) => derived.seen.has(p.id)),
        arrivedByMode: countByMode(plans, (p) => {
          const s = derived.seen.get(p.id);
          return s !== undefined && s.last < derived.lastT;
        }),
        unroutable,
        trajectoryRows: derived.trajectoryRows,
        cameras: scenario.cameras.length,
        counters: scenario.counters.length,
        sightingSites: scenario.sightingSites.length,
        zones: scenario.zones.length,
        sumo: sumoStats,
      },
      files,
    };
    writeFileSync(join(outDir, 'build.json'), `${JSON.stringify(report, null, 2)}\n`);
    return report;
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

function sumocfg(durationS: number, stepS: number, seed: number): string {
  return `<?xml version="1.0" encoding="UTF-8"?>
<configuration>
  <input>
    <net-file value="net.xml.gz"/>
    <route-files value="routes.rou.xml.gz,buses.rou.xml"/>
    <additional-files value="busstops.add.xml"/>
  </input>
  <time>
    <begin value="0"/>
    <end value="${durationS}"/>
    <step-length value="${stepS}"/>
  </time>
  <processing>
    <time-to-teleport value="240"/>
    <pedestrian.model value="striping"/>
    <default.action-step-length value="${stepS}"/>
  </processing>
  <random_number>
    <seed value="${seed}"/>
  </random_number>
  <report>
    <no-step-log value="true"/>
    <duration-log.statistics value="true"/>
  </report>
</configuration>
`;
}

/** Reads a gzipped text file. */
export function readGzText(path: string): string {
  return gunzipSync(readFileSync(path)).toString('utf8');
}
