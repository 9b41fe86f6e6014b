/** `passage signals plan|verify`: signal plans from measured turning movements, checked in SUMO. */
import { randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { buildApp } from '@passage/api';
import { PassageError } from '@passage/config';
import { MIN_MEASURED_HEADWAYS, planControl } from '@passage/core';
import {
  applyScreen,
  type JunctionAnalysis,
  loadWorldSignals,
  planWorld,
  readSumoNet,
  SCREEN_DEFAULTS,
  type ScreenResult,
  screenPlans,
  summarise,
  timeOfDayXml,
  verifyPlans,
  verifyReport,
  type WorldSignals,
} from '@passage/sim';
import { movementsExtent, openStore, storeOptionsFromConfig } from '@passage/store';
import { createLogger } from '@passage/stream';
import { COMMON, parseFlags } from '../args.ts';
import { makeContext } from '../context.ts';

export const help = `passage signals plan --data <dir> [--junction <id>] [--from <ISO> --to <ISO>] [--design peak15|mean]
                      [--format json|csv] [--out <file>]
  Without --scenario: every signal controller of the store's site registry (docs/SITES.md, signalControllers)
  planned exactly as the API's Signals routes and the dashboard do (GET /api/v1/signals/<id>/plan, run in
  process: one computation for every path): current plan in effect vs proposal, per approach, and time-of-day
  plan periods. Default range: the stored turning movements of the controller's cameras.

passage signals plan --scenario <world-dir> [--data <dir>] [--from <ISO> --to <ISO>]
                      [--format json|csv|sumo] [--out <file>] [--min-cycle 40] [--max-cycle 120]
                      [--design peak15|mean] [--demand-scale 1] [--min-gain 0.1] [--amber-used 0]
                      [--periods <n>] [--spillback-reserve 0.45] [--cycle delay|webster] [--coordinate <m>]
                      [--pedestrian-speed <m/s>] [--lane-choice even|equalise] [--saturation 1900]
                      [--saturation-source default|measured] [--min-headways 30]
                      [--control actuated|fixed] [--max-green-factor 2]
                      [--screen] [--screen-seeds 1,2] [--screen-scales 1,1.3] [--screen-tolerance 0.05]
                      [--screen-max-sets 12] [--unobserved estimate|skip]
  For every signalised junction a camera watches: the stored turning movements (classes → passenger-car units:
  car/van 1, motorcycle 0.4, bicycle 0.2, truck/bus 2) over the period (default: all data; design flows = its
  busiest 15 minutes as an hourly rate, or --design mean; --demand-scale 1.3 = what-if +30 %), the current plan's
  degree of saturation, HCM delay, level of service and 95th-percentile queue per approach, and a proposed plan
  (green splits in proportion to the flow ratios, Webster's rule, same stage sequence; the cycle of least HCM delay
  whose 95th-percentile queues fit their lanes at 7 m per PCU, --cycle below). A junction keeps its current plan unless the proposal predicts at least
  --min-gain (10 %) less control delay. --amber-used 2 counts 2 s of each amber as effective green (HCM's e;
  default 0: amber fully lost). --periods 3 adds time-of-day plans (json: \`periods\` per junction): the period
  split into at most 3 contiguous plan periods of like 15-minute movements, each planned on its own busiest
  15 minutes; the sumo output then holds one program per period and a WAUT switching them at the periods' begins
  (seconds after the world's start), the csv output keeps the single plan. --saturation: base saturation flow per lane, PCU
  per hour of green, before the turn adjustments (default HCM 2000's 1,900). --saturation-source measured: lanes
  whose movements the camera saw discharge from a queue (at least 30 saturated headways over the period, table
  queue_discharge_15m) take the measured saturation flow instead (json: saturationSource and measuredHeadways per
  lane, discharge per movement; csv: saturation_source, measured_headways per approach; --min-headways: that floor);
  default: HCM defaults. --spillback-reserve 0.45: approaches fed by another
  junction (their queue can block it) get their flow ratio × 1.45 in the green split; network entries do not.
  --control actuated (default): each adjustable vehicle green of a proposal is vehicle-actuated, from the minimum
  green (5 s) up to --max-green-factor (2) × its fixed-time green (json: minDurS/maxDurS per phase; csv: control; sumo: an
  actuated tlLogic whose detectors SUMO builds); walk intervals and intergreens stay fixed; junctions that keep
  their current plan are untouched; --control fixed writes the fixed-time plan.
  --cycle delay (default): the cycle of least HCM delay in [--min-cycle, --max-cycle] whose 95th-percentile queues
  fit (permitted lefts filtering through opposing flow); --cycle webster: Webster's optimum cycle (which near
  capacity exceeds --max-cycle, predicts no gain and keeps the current plan).
  Measured alternatives, off by default: --coordinate 150 (junctions ≤ 150 m apart share a cycle, progression offsets),
  --pedestrian-speed 1.2 (HCM pedestrian minimum green from the crossing length). --lane-choice equalise (a
  movement served from several lanes shared so that their flow ratios are equal; default even: the same on each). --format sumo writes a tlLogic additional file that
  \`sumo -c scenario.sumocfg -a busstops.add.xml,<file>\` loads over the world's network. Plans use the stored
  movements only (no truth, no routes).
  --unobserved estimate (default): a signalised junction no camera watches is planned too, on flows estimated
  from the store: the API's hourly motor OD (count-estimated pairs included) assigned to the network by the OD's
  own route model (each zone pair's fastest paths, the turns they make there), in the cameras' counted 15-minute
  profile and class mix, scaled to what the cameras count where both exist (json: flowSource "od-estimate",
  camera "", calibration); an estimate, not a count: check it before deploying. --unobserved skip: no plan for them (a warning each).
  --screen: before writing, the proposal is run in SUMO on the world's network with a demand built from the
  store only (the estimated motor OD the API serves, point values, over the zones' edges, in the counted 15-minute
  profile and vehicle classes, routed by duarouter; --screen-seeds, --screen-scales), against the current plans:
  a junction whose approaches lose more than --screen-tolerance (5 %) more time than with its current plan at any
  screened demand goes back to its current plan, then, while the network's mean time loss is worse than with the
  current plans, the retiming whose removal helps most (greedy; at most --screen-max-sets sets simulated, then
  every remaining retiming is reverted). Reverted junctions are left out of the sumo output; json: \`screen\` per
  junction, csv: a screen column (kept, reverted-approaches, reverted-network, reverted-budget, not-retimed).

passage signals verify --scenario <world-dir> --plan <tls.add.xml> [--seeds 1,2,3] [--scales 1,1.3]
                       [--end <s>] [--variants current,proposed,tlsCycleAdaptation,actuated] [--json]
  Runs SUMO on the world's network and demand with the current plans, the proposal, SUMO's
  tlsCycleAdaptation.py (fed with the true routes) and actuated control, per seed and demand scale; prints the
  median over seeds of the mean vehicle time loss and of the time loss on the approaches of the junctions
  planned. The junctions studied are those the plan file retimes (with those under cameras); SUMO's tool and
  actuated control retime the same ones; with junctions planned from estimates, the sum over the junctions under
  cameras is reported too (json: cameraJunctions, cameraApproachTimeLossS). Needs sumo and sumo-tools.`;

const FLAGS = {
  ...COMMON,
  scenario: { type: 'string' },
  from: { type: 'string' },
  to: { type: 'string' },
  format: { type: 'string', default: 'json' },
  out: { type: 'string' },
  'min-cycle': { type: 'string' },
  'demand-scale': { type: 'string', default: '1' },
  design: { type: 'string', default: 'peak15' },
  'max-cycle': { type: 'string' },
  'min-gain': { type: 'string' },
  'amber-used': { type: 'string' },
  periods: { type: 'string' },
  coordinate: { type: 'string' },
  cycle: { type: 'string' },
  'spillback-reserve': { type: 'string' },
  'pedestrian-speed': { type: 'string' },
  'lane-choice': { type: 'string' },
  saturation: { type: 'string' },
  'saturation-source': { type: 'string' },
  'min-headways': { type: 'string' },
  control: { type: 'string' },
  'max-green-factor': { type: 'string' },
  unobserved: { type: 'string' },
  screen: { type: 'boolean' },
  'screen-seeds': { type: 'string', default: '1,2' },
  'screen-scales': { type: 'string', default: '1,1.3' },
  'screen-tolerance': { type: 'string' },
  'screen-max-sets': { type: 'string' },
  plan: { type: 'string' },
  junction: { type: 'string' },
  seeds: { type: 'string', default: '1,2,3' },
  scales: { type: 'string', default: '1' },
  end: { type: 'string' },
  variants: { type: 'string', default: 'current,proposed,tlsCycleAdaptation,actuated' },
  json: { type: 'boolean' },
} as const;

function time(v: string | undefined, flag: string): number | undefined {
  if (v === undefined) return undefined;
  const t = Date.parse(v);
  if (Number.isNaN(t)) throw new PassageError('PASSAGE_CLI_USAGE', `--${flag} ${v} is not a date: give ISO 8601.`);
  return t;
}

function numbers(v: string, flag: string): number[] {
  const xs = v.split(',').map(Number);
  if (xs.some((x) => !Number.isFinite(x) || x <= 0)) {
    throw new PassageError('PASSAGE_CLI_USAGE', `--${flag} ${v}: give positive numbers separated by commas.`);
  }
  return xs;
}

function fraction(v: string | undefined, flag: string, max = 1): number | undefined {
  if (v === undefined) return undefined;
  const x = Number(v);
  if (!Number.isFinite(x) || x < 0 || x > max) {
    throw new PassageError('PASSAGE_CLI_USAGE', `--${flag} ${v}: give a number between 0 and ${max}.`);
  }
  return x;
}

function design(v: string): 'peak15' | 'mean' {
  if (v !== 'peak15' && v !== 'mean') throw new PassageError('PASSAGE_CLI_USAGE', `--design ${v}: use peak15 or mean.`);
  return v;
}

function maxGreenFactor(v: string | undefined): number | undefined {
  const x = fraction(v, 'max-green-factor', 5);
  if (x !== undefined && x < 1) {
    throw new PassageError('PASSAGE_CLI_USAGE', `--max-green-factor ${v}: give a number between 1 and 5.`);
  }
  return x;
}

/** An optional flag that takes one of two words (`--flag a`: a; absent: undefined, the planner's default). */
function choice<A extends string, B extends string>(
  v: string | undefined,
  flag: string,
  a: A,
  b: B,
): A | B | undefined {
  if (v === undefined || v === a || v === b) return v as A | B | undefined;
  throw new PassageError('PASSAGE_CLI_USAGE', `--${flag} ${v}: use ${a} or ${b}.`);
}

const VARIANTS = ['current', 'proposed', 'tlsCycleAdaptation', 'actuated'] as const;

function variants(v: string): (typeof VARIANTS)[number][] {
  const xs = v.split(',');
  const bad = xs.filter((x) => !(VARIANTS as readonly string[]).includes(x));
  if (bad.length || xs.length === 0) {
    throw new PassageError('PASSAGE_CLI_USAGE', `--variants ${v}: choose among ${VARIANTS.join(', ')}.`);
  }
  return xs as (typeof VARIANTS)[number][];
}

export async function run(argv: string[]): Promise<number> {
  const { values, positionals } = parseFlags('signals', argv, FLAGS);
  const sub = positionals[0];
  if (values.help || !sub || !['plan', 'verify'].includes(sub)) {
    console.log(help);
    return values.help ? 0 : 2;
  }
  if (!values.scenario) {
    if (sub === 'verify') {
      throw new PassageError(
        'PASSAGE_CLI_USAGE',
        "passage signals verify needs --scenario <world-dir> (SUMO runs the world's network and demand).",
      );
    }
    return planFromRegistry(values);
  }
  const world = loadWorldSignals(resolve(values.scenario));
  if (sub === 'verify') {
    if (!values.plan) throw new PassageError('PASSAGE_CLI_USAGE', 'passage signals verify needs --plan <tls.add.xml>.');
    // The junctions the plan retimes (junctions without a camera too, when planned from estimates) and those under
    // cameras; SUMO's tool retimes the same ones.
    const cameraJunctions = world.coverage.map((c) => c.tls.controller.id);
    const junctions = [...new Set([...cameraJunctions, ...planJunctions(world, values.plan)])];
    const results = await verifyPlans({
      scenarioDir: resolve(values.scenario),
      net: world.net,
      junctions,
      planFile: values.plan,
      seeds: numbers(values.seeds, 'seeds'),
      scales: numbers(values.scales, 'scales'),
      endS: values.end ? Number(values.end) : undefined,
      variants: variants(values.variants),
      log: (m) => process.stderr.write(`${m}\n`),
    });
    const summary = summarise(results, junctions.length > cameraJunctions.length ? cameraJunctions : undefined);
    if (values.json) console.log(JSON.stringify({ junctions, cameraJunctions, summary, runs: results }, null, 2));
    else console.log(verifyReport(summary, junctions));
    return 0;
  }
  const ctx = makeContext(values as { data?: string; config?: string });
  const store = openStore(storeOptionsFromConfig(ctx.config));
  try {
    const analyses = await planWorld(store.client, world, {
      from: time(values.from, 'from'),
      to: time(values.to, 'to'),
      minCycleS: values['min-cycle'] ? Number(values['min-cycle']) : undefined,
      maxCycleS: values['max-cycle'] ? Number(values['max-cycle']) : undefined,
      demandScale: numbers(values['demand-scale'], 'demand-scale')[0],
      design: design(values.design),
      minGain: fraction(values['min-gain'], 'min-gain'),
      amberUsedS: fraction(values['amber-used'], 'amber-used', 10),
      periods: values.periods === undefined ? undefined : numbers(values.periods, 'periods')[0],
      coordinateWithinM: values.coordinate === undefined ? undefined : fraction(values.coordinate, 'coordinate', 2000),
      cycleChoice: choice(values.cycle, 'cycle', 'webster', 'delay'),
      laneChoice: choice(values['lane-choice'], 'lane-choice', 'equalise', 'even'),
      spillbackReserve: fraction(values['spillback-reserve'], 'spillback-reserve'),
      baseSaturationPcuH: values.saturation === undefined ? undefined : numbers(values.saturation, 'saturation')[0],
      saturationSource: choice(values['saturation-source'], 'saturation-source', 'measured', 'default'),
      minMeasuredHeadways:
        values['min-headways'] === undefined ? undefined : numbers(values['min-headways'], 'min-headways')[0],
      pedestrianSpeedMps:
        values['pedestrian-speed'] === undefined
          ? undefined
          : numbers(values['pedestrian-speed'], 'pedestrian-speed')[0],
      control: choice(values.control, 'control', 'actuated', 'fixed'),
      maxGreenFactor: maxGreenFactor(values['max-green-factor']),
      unobserved: choice(values.unobserved, 'unobserved', 'estimate', 'skip'),
      k: ctx.config.privacy.k,
    });
    if (analyses.length === 0) {
      throw new PassageError(
        'PASSAGE_SIGNALS_NO_DATA',
        `No stored turning movements for the ${world.coverage.length} camera(s) watching signalised junctions of this world in ${store.location}: replay or ingest the video first (passage replay ${values.scenario} --data ${ctx.dataDir}).`,
      );
    }
    for (const id of world.unobserved) {
      const estimated = analyses.some((a) => a.tls === id);
      process.stderr.write(
        `warning: signalised junction ${id} has no camera watching it: ${estimated ? 'planned on flows estimated from the OD (not counted; check them before deploying)' : 'no plan'}.\n`,
      );
    }
    const screened = values.screen
      ? await screen(store.client, world, analyses, resolve(values.scenario), ctx.config.privacy.k, values)
      : undefined;
    const written = analyses.filter((a) => a.screen === undefined || !a.screen.status.startsWith('reverted'));
    let text: string;
    if (values.format === 'sumo') {
      text = sumoXml(world, written);
    } else if (values.format === 'csv') {
      const rows = [
        `junction,approach,plan,control,cycle_s,flow_pcu_h,x,delay_s,los,queue95_pcu,saturation_pcu_h,saturation_source,measured_headways${screened ? ',screen' : ''}`,
      ];
      const minHeadways =
        values['min-headways'] === undefined
          ? MIN_MEASURED_HEADWAYS
          : numbers(values['min-headways'], 'min-headways')[0];
      for (const a of analyses) {
        for (const [name, ev] of [
          ['current', a.plan.current],
          ['proposed', a.plan.proposed],
        ] as const) {
          for (const ap of ev.approaches) {
            const lanes = ev.lanes.filter((l) => l.approach === ap.approach);
            const measured = lanes.some((l) => l.saturationSource === 'measured');
            const headways = measured
              ? a.discharge
                  .filter((d) => d.from === ap.approach && d.to !== '*' && d.headways >= minHeadways)
                  .reduce((n, d) => n + d.headways, 0)
              : 0;
            const sat = lanes.reduce((n, l) => n + l.saturationPcuH, 0).toFixed(0);
            rows.push(
              `${approachCsv([a.tls, ap.approach, name, planControl(ev.phases), ev.cycleS], ap)},${sat},${measured ? 'measured' : 'default'},${headways}${screened ? `,${a.screen?.status ?? ''}` : ''}`,
            );
          }
        }
      }
      text = `${rows.join('\n')}\n`;
    } else if (values.format === 'json') {
      text = `${JSON.stringify(analyses, null, 2)}\n`;
    } else {
      throw new PassageError('PASSAGE_CLI_USAGE', `--format ${values.format}: use json, csv or sumo.`);
    }
    if (values.out) writeFileSync(values.out, text);
    else process.stdout.write(text);
    for (const a of analyses) {
      const why = a.plan.keptCurrent
        ? ' — current plan kept (the proposal predicted too little gain)'
        : a.plan.storageBound
          ? ' — cycle bounded by queue storage'
          : '';
      process.stderr.write(
        `${a.tls} (${a.camera || 'no camera: flows estimated from the OD'}): Y ${a.plan.Y.toFixed(2)}, cycle ${a.plan.current.cycleS} s → ${a.plan.proposed.cycleS} s, delay ${a.plan.current.delayS.toFixed(1)} s (${a.plan.current.los}) → ${a.plan.proposed.delayS.toFixed(1)} s (${a.plan.proposed.los})${why}\n`,
      );
      for (const p of a.periods ?? []) {
        process.stderr.write(
          `  ${new Date(p.from).toISOString().slice(11, 16)}–${new Date(p.to).toISOString().slice(11, 16)} UTC: Y ${p.plan.Y.toFixed(2)}, cycle ${p.plan.proposed.cycleS} s, delay ${p.plan.current.delayS.toFixed(1)} s → ${p.plan.proposed.delayS.toFixed(1)} s${p.plan.keptCurrent ? ' (current kept)' : ''}\n`,
        );
      }
    }
    return 0;
  } finally {
    await store.close();
  }
}

/** Signalised junctions of the world that a plan file (tlLogic additional file) retimes. */
function planJunctions(world: WorldSignals, planFile: string): string[] {
  let xml: string;
  try {
    xml = readFileSync(planFile, 'utf8');
  } catch (cause) {
    throw new PassageError('PASSAGE_CLI_USAGE', `--plan ${planFile}: cannot read it (${(cause as Error).message}).`);
  }
  const ids = new Set(world.net.tls.map((t) => t.controller.id));
  return readSumoNet(xml)
    .tls.map((t) => t.controller.id)
    .filter((id) => ids.has(id));
}

/**
 * The proposal as a SUMO additional file: with --periods, each junction's time-of-day plans and a WAUT switching
 * them at the periods' begins (seconds after the world's start); otherwise the single proposal.
 */
function sumoXml(world: WorldSignals, analyses: readonly JunctionAnalysis[]): string {
  const simS = (t: number): number => (t - (world.startMs ?? t)) / 1000;
  return timeOfDayXml(
    analyses.map((a) => ({
      id: a.tls,
      offsetS: a.offsetS,
      periods:
        a.periods && a.periods.length > 1
          ? a.periods.map((p) => ({ beginS: simS(p.from), phases: p.plan.proposed.phases }))
          : [{ beginS: 0, phases: a.plan.proposed.phases }],
    })),
  );
}

/**
 * `--screen`: the retimed junctions screened in SUMO on the measured demand (`screenPlans`); sets each analysis's
 * `screen` and prints what was kept and reverted, with the screened numbers.
 */
async function screen(
  client: Parameters<typeof screenPlans>[0],
  world: WorldSignals,
  analyses: JunctionAnalysis[],
  scenarioDir: string,
  k: number,
  values: Values,
): Promise<ScreenResult | undefined> {
  const retimed = analyses.filter((a) => !a.plan.keptCurrent).map((a) => a.tls);
  if (retimed.length === 0) {
    process.stderr.write('screen: no junction is retimed, nothing to screen.\n');
    return undefined;
  }
  const maxSets = values['screen-max-sets'];
  const result = await screenPlans(client, world, {
    scenarioDir,
    junctions: retimed,
    planXml: (set) =>
      sumoXml(
        world,
        analyses.filter((a) => set.includes(a.tls)),
      ),
    k,
    seeds: numbers(values['screen-seeds'], 'screen-seeds'),
    scales: numbers(values['screen-scales'], 'screen-scales'),
    rule: {
      junctionTolerance: fraction(values['screen-tolerance'], 'screen-tolerance', 10),
      maxSets: maxSets === undefined ? undefined : Math.max(2, Math.round(numbers(maxSets, 'screen-max-sets')[0])),
    },
    log: (m) => process.stderr.write(`${m}\n`),
  });
  applyScreen(analyses, result);
  const tol = fraction(values['screen-tolerance'], 'screen-tolerance', 10) ?? SCREEN_DEFAULTS.junctionTolerance;
  const fmt = (xs: number[]) => xs.map((x) => x.toFixed(1)).join(' / ');
  process.stderr.write(
    `screen (${result.routed} of ${result.vehicles} vehicles routed, ${result.odTrips.toFixed(0)} OD trips; seeds ${result.seeds.join(',')}, scales ${result.scales.join(' / ')}; ${result.evaluated.length} sets simulated): network mean time loss current ${fmt(result.current.map((r) => r.meanTimeLossS))} s, proposal ${fmt(result.proposal.map((r) => r.meanTimeLossS))} s, kept ${fmt(result.final.map((r) => r.meanTimeLossS))} s\n`,
  );
  const why = {
    kept: 'kept',
    'reverted-approaches': `reverted: its approaches lose more than ${(tol * 100).toFixed(0)} % more than with its current plan`,
    'reverted-network': 'reverted: the network was worse than with the current plans, and this revert helped most',
    'reverted-budget': 'reverted: the network was still worse when the budget of simulated sets ran out',
    'not-retimed': 'not retimed (current plan kept by the planner)',
  } as const;
  for (const a of analyses) {
    if (!a.screen || a.screen.status === 'not-retimed') continue;
    const r = a.screen.runs;
    process.stderr.write(
      `screen ${a.tls}: approaches ${fmt(r.map((x) => x.approachCurrentS / 60))} veh·min current, ${fmt(r.map((x) => x.approachProposalS / 60))} proposal, ${fmt(r.map((x) => x.approachFinalS / 60))} as kept — ${why[a.screen.status]}\n`,
    );
  }
  return result;
}

/** One CSV row of an approach's evaluation: the leading columns given, then flow, v/c, delay, LOS and queue. */
function approachCsv(
  lead: readonly (string | number | undefined)[],
  a: { flowPcuH: number; X: number; delayS: number; los: string; queue95Pcu: number },
): string {
  return [...lead, a.flowPcuH.toFixed(1), a.X.toFixed(3), a.delayS.toFixed(1), a.los, a.queue95Pcu.toFixed(1)].join(
    ',',
  );
}

type Values = ReturnType<typeof parseFlags<typeof FLAGS>>['values'];

/**
 * `passage signals plan` without a SUMO world: the site registry's controllers, planned by the API's own routes
 * in process (a one-off key that never leaves the process), so the command, the API and the dashboard give the
 * same numbers.
 */
async function planFromRegistry(values: Values): Promise<number> {
  if (values.format === 'sumo') {
    throw new PassageError(
      'PASSAGE_CLI_USAGE',
      '--format sumo needs --scenario <world-dir>: a tlLogic file names the lanes of a SUMO network, which the site registry does not hold.',
    );
  }
  if (values.format !== 'json' && values.format !== 'csv') {
    throw new PassageError('PASSAGE_CLI_USAGE', `--format ${values.format}: use json or csv.`);
  }
  const ctx = makeContext(values as { data?: string; config?: string });
  const store = openStore(storeOptionsFromConfig(ctx.config));
  const key = randomBytes(24).toString('hex');
  const app = await buildApp({
    config: { ...ctx.config, api: { ...ctx.config.api, keys: [`traffic:${key}`], rateLimitPerMinute: 1_000_000 } },
    store,
    log: createLogger({ level: 'silent' }),
    dashboardDir: false,
  });
  const get = async (url: string) => {
    const r = await app.inject({ method: 'GET', url, headers: { 'x-api-key': key } });
    const body = r.json();
    if (r.statusCode !== 200) {
      throw new PassageError(
        'PASSAGE_SIGNALS_PLAN_FAILED',
        `${url}: ${body.code ?? r.statusCode} ${body.message ?? ''}`,
      );
    }
    return body;
  };
  try {
    const list = (await get('/api/v1/signals')).junctions as { id: string; cameraIds: string[] }[];
    const chosen = values.junction ? list.filter((j) => j.id === values.junction) : list;
    if (chosen.length === 0) {
      throw new PassageError(
        'PASSAGE_SIGNALS_NO_CONTROLLERS',
        values.junction
          ? `No signal controller ${values.junction} in the site registry of ${store.location} (it has: ${list.map((j) => j.id).join(', ') || 'none'}).`
          : `No signal controller in the site registry of ${store.location}: load a site registry with signalControllers (PASSAGE_SITES_FILE, docs/SITES.md), or give --scenario <world-dir> to plan a SUMO world.`,
      );
    }
    const plans: { junction: string; from: number; to: number; plan: Record<string, unknown> }[] = [];
    for (const j of chosen) {
      const extent = await movementsExtent(store.client, j.cameraIds);
      const from = time(values.from, 'from') ?? extent?.from;
      const to = time(values.to, 'to') ?? extent?.to;
      if (from === undefined || to === undefined) {
        process.stderr.write(`warning: ${j.id}: no stored turning movements of its cameras: no plan.\n`);
        continue;
      }
      const q = `from=${new Date(from).toISOString()}&to=${new Date(to).toISOString()}&design=${design(values.design)}`;
      plans.push({
        junction: j.id,
        from,
        to,
        plan: await get(`/api/v1/signals/${encodeURIComponent(j.id)}/plan?${q}`),
      });
    }
    if (plans.length === 0) {
      throw new PassageError(
        'PASSAGE_SIGNALS_NO_DATA',
        `No stored turning movements for the cameras of ${chosen.map((j) => j.id).join(', ')} in ${store.location}: ingest or replay the video first.`,
      );
    }
    let text: string;
    if (values.format === 'csv') {
      type Ap = {
        approach: string;
        name: string;
        flowPcuH: number;
        X: number;
        delayS: number;
        los: string;
        queue95Pcu: number;
      };
      const out = ['junction,approach,name,plan,control,cycle_s,flow_pcu_h,x,delay_s,los,queue95_pcu'];
      for (const p of plans) {
        for (const which of ['current', 'proposed'] as const) {
          const ev = p.plan[which] as { planId: string; control: string; cycleS: number; approaches: Ap[] } | null;
          for (const a of ev?.approaches ?? []) {
            out.push(
              approachCsv([p.junction, a.approach, JSON.stringify(a.name), ev?.planId, ev?.control, ev?.cycleS], a),
            );
          }
        }
      }
      text = `${out.join('\n')}\n`;
    } else text = `${JSON.stringify(plans, null, 2)}\n`;
    if (values.out) writeFileSync(values.out, text);
    else process.stdout.write(text);
    for (const p of plans) {
      const cur = p.plan.current as { cycleS: number; delayS: number; los: string } | null;
      const pro = p.plan.proposed as { cycleS: number; delayS: number; los: string } | null;
      if (cur && pro) {
        process.stderr.write(
          `${p.junction}: cycle ${cur.cycleS} s → ${pro.cycleS} s, delay ${cur.delayS.toFixed(1)} s (${cur.los}) → ${pro.delayS.toFixed(1)} s (${pro.los})\n`,
        );
      } else
        process.stderr.write(`${p.junction}: no current plan in the registry or no movements: nothing to compare.\n`);
    }
    return 0;
  } finally {
    await app.close();
    await store.close();
  }
}
