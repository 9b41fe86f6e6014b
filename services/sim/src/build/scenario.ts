/** The build itself: network → demand → routes → simulation → derived ground truth + scenario.json. */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { type AgentPlan, busesXml, busStopsXml, type DemandOptions, generateDemand, tripsXml } from './demand.ts';
import { agentsCsv, deriveFromFcd, fileLines, gzip9, NearMask } from './derive.ts';
import { type Origin, toLonLat } from './geo.ts';
import { buildNetwork, edgesXml, type Network, nodesXml } from './network.ts';
import { buildSensors, type Sensors } from './sensors.ts';
import { type CommandRecord, parseLaneLengths, requireSumo, round3, runTool, stripSumoStamp } from './sumo.ts';
import { MODES, type Mode, vtypeElements } from './vtypes.ts';
import { buildZones, type ZoneDef } from './zones.ts';

export interface BuildOptions {
  name: string;
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

export const DEFAULTS = {
  seed: 20260310,
  durationS: 3600,
  stepS: 0.5,
  /** 2026-03-10 07:30:00 Europe/Paris (CET, UTC+1). */
  start: Date.UTC(2026, 2, 10, 6, 30, 0),
  /** Chartres cathedral. */
  origin: { lon: 1.4875, lat: 48.4477 },
  timezone: 'Europe/Paris',
};

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
  net: Network;
  zones: ZoneDef[];
  sensors: Sensors;
  scenario: ScenarioJson;
}

/** Everything that does not need SUMO: network geometry, zones, sensors, scenario.json content. */
export function scenarioModel(
  opts: Pick<BuildOptions, 'name' | 'seed' | 'durationS' | 'stepS' | 'start' | 'origin'>,
): ScenarioModel {
  const origin = opts.origin ?? DEFAULTS.origin;
  const net = buildNetwork();
  const zones = buildZones(net);
  const sensors = buildSensors(net, origin, zones);
  const scenario: ScenarioJson = {
    name: opts.name,
    timezone: DEFAULTS.timezone,
    origin,
    start: opts.start ?? DEFAULTS.start,
    durationS: opts.durationS ?? DEFAULTS.durationS,
    seed: opts.seed ?? DEFAULTS.seed,
    stepS: opts.stepS ?? DEFAULTS.stepS,
    network: 'synthetic radial-concentric street network in the image of Chartres old town (not the real streets)',
    zones: zones.map((z) => ({
      id: z.id,
      name: z.name,
      kind: z.kind,
      polygon: z.polygon.map(([x, y]) => toLonLat(origin, x, y)),
    })),
    cameras: sensors.cameras,
    counters: sensors.counters,
    sightingSites: sensors.sightingSites,
  };
  return { net, zones, sensors, scenario };
}

/** Agents' plans (ids, modes, types, zones, identities) for a scenario; needs the lane lengths of its net. */
export function scenarioDemand(model: ScenarioModel, laneLengths: Map<string, number>): AgentPlan[] {
  const len = (e: string): number => {
    const l = laneLengths.get(e);
    if (l === undefined) throw new Error(`edge ${e} not in the network`);
    return l;
  };
  return generateDemand(
    model.zones,
    len,
    model.scenario.seed,
    { durationS: model.scenario.durationS },
    (e) => model.net.edge(e).shape,
  );
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
  const model = scenarioModel(opts);
  const { scenario } = model;
  const seed = scenario.seed;
  const endS = opts.endS ?? scenario.durationS;
  try {
    // 1. Network.
    writeFileSync(join(sumoDir, 'nodes.nod.xml'), nodesXml(model.net));
    writeFileSync(join(sumoDir, 'edges.edg.xml'), edgesXml(model.net));
    await runTool(
      'netconvert',
      [
        '--node-files',
        'nodes.nod.xml',
        '--edge-files',
        'edges.edg.xml',
        '--output-file',
        'net.xml',
        '--offset.disable-normalization',
        'true',
        '--crossings.guess',
        'true',
        '--walkingareas',
        'true',
        '--no-turnarounds.except-deadend',
        'true',
        '--tls.default-type',
        'static',
        '--junctions.corner-detail',
        '5',
        '--seed',
        String(seed),
      ],
      sumoDir,
      commands,
    );
    const netXml = stripSumoStamp(readFileSync(join(sumoDir, 'net.xml'), 'utf8'));
    rmSync(join(sumoDir, 'net.xml'));
    writeFileSync(join(sumoDir, 'net.xml.gz'), gzip9(netXml));
    const laneLengths = parseLaneLengths(netXml);
    phase('network');

    // 2. Demand.
    const plans = scenarioDemand(model, laneLengths);
    writeFileSync(
      join(sumoDir, 'busstops.add.xml'),
      busStopsXml((e) => laneLengths.get(e) ?? 0),
    );
    const notBus = MODES.filter((m) => m !== 'bus');
    writeFileSync(join(sumoDir, 'trips.xml.gz'), gzip9(tripsXml(plans, vtypeElements(notBus))));
    writeFileSync(join(sumoDir, 'buses.rou.xml'), busesXml(plans, vtypeElements(['bus'])));
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
    const routed = new Set<string>();
    for (const m of routesXml.matchAll(/<(?:vehicle|person) id="([^"]+)"/g)) routed.add(m[1]);
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
    const sumoStats = parseStats(readFileSync(join(tmp, 'stats.xml'), 'utf8'));
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

/** A few headline numbers from SUMO's --statistic-output. */
function parseStats(xml: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const tag of ['vehicles', 'teleports', 'persons', 'vehicleTripStatistics', 'pedestrianStatistics']) {
    const m = xml.match(new RegExp(`<${tag} ([^>]*)/?>`));
    if (!m) continue;
    for (const a of m[1].matchAll(/(\w+)="([^"]*)"/g)) out[`${tag}.${a[1]}`] = a[2];
  }
  return out;
}

/** Reads a gzipped text file. */
export function readGzText(path: string): string {
  return gunzipSync(readFileSync(path)).toString('utf8');
}
