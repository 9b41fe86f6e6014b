/**
 * Screening of signal proposals in a microsimulation of the measured demand (docs/SIGNALS.md, "Screening in a
 * microsimulation of the measured demand"): what a traffic engineer does before deploying a timing. The planner
 * optimises each junction alone (HCM delay); the screen runs SUMO on the world's network with a demand built from
 * what Passage stored only — the estimated motor OD (the API's `/api/v1/od` estimate, count-estimated pairs
 * included, point values) departing from and arriving on the zones' edges (`zoneRouteShares` of @passage/core, the
 * OD's own route model), in the 15-minute profile of the counted movements and the counted vehicle classes, routed
 * by duarouter — with the current plans and with the proposal, and keeps a junction's retiming only where the
 * screen does not show it worse: its approaches first, then the network (greedy reverts, a bounded number of runs).
 * No truth and no true route is read.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { ClickHouseClient } from '@clickhouse/client';
import { type CommandRecord, requireSumo, runTool } from '../build/sumo.ts';
import { type HourlyOdCell, hourQuarterShares, readMeasuredDemand } from './estimated-flows.ts';
import type { JunctionAnalysis, WorldSignals } from './plan-world.ts';
import { summarise, verifyPlans } from './verify.ts';

/** The motor classes the OD's motor group holds, with the SUMO vehicle class each is simulated as. */
export const SCREEN_CLASSES = [
  ['car', 'passenger'],
  ['van', 'delivery'],
  ['motorcycle', 'motorcycle'],
  ['truck', 'truck'],
  ['bus', 'bus'],
] as const;

export type ScreenClass = (typeof SCREEN_CLASSES)[number][0];

export interface DemandInput {
  cells: readonly HourlyOdCell[];
  /** Zone → edges trips of the zone depart from / arrive on. */
  departEdges: ReadonlyMap<string, readonly string[]>;
  arriveEdges: ReadonlyMap<string, readonly string[]>;
  /** Epoch ms of simulation time 0 and the simulated length (s): departures outside are dropped. */
  startMs: number;
  durationS: number;
  /**
   * Weight of each 15-minute quarter (epoch ms of its start), e.g. the counted motor movements: an hourly cell
   * departs in the quarters of its hour that lie in the simulated window, in proportion to these weights (evenly
   * when none of them has a weight).
   */
  quarterWeights: ReadonlyMap<number, number>;
  /** Share of each class (normalised here); vehicles take classes in departure order by largest deficit. */
  classShares: Partial<Record<ScreenClass, number>>;
}

export interface DemandTrip {
  id: string;
  departS: number;
  from: string;
  to: string;
  cls: ScreenClass;
}

const QUARTER_MS = 900_000;
const HOUR_MS = 3_600_000;

/**
 * Vehicles of an estimated OD (pure): per cell, its trips spread over the quarters of its hour inside the window
 * by the quarter weights, departures where the pair's demand cumulated over its cells reaches k − ½ (k = 1, 2, …:
 * a cell of 2.4 trips gives 2 vehicles, one of 2.6 gives 3), the quarter's rate uniform within it; the i-th vehicle of a pair departs
 * from the origin's edge i mod |O| and arrives on the destination's edge ⌊i / |O|⌋ mod |D| (another if it is the
 * same edge); classes by largest deficit of share × vehicles so far over the vehicles sorted by departure.
 */
export function odDemand(input: DemandInput): DemandTrip[] {
  const endMs = input.startMs + input.durationS * 1000;
  const pending: Omit<DemandTrip, 'id' | 'cls'>[] = [];
  const cells = [...input.cells].sort(
    (a, b) => a.t - b.t || a.origin.localeCompare(b.origin) || a.destination.localeCompare(b.destination),
  );
  const perPair = new Map<string, { cum: number; k: number }>();
  // the simulated window's whole quarters, each with its share of its hour
  const windowQuarters: number[] = [];
  for (let q = Math.ceil(input.startMs / QUARTER_MS) * QUARTER_MS; q + QUARTER_MS <= endMs; q += QUARTER_MS) {
    windowQuarters.push(q);
  }
  const shareOf = hourQuarterShares(windowQuarters, input.quarterWeights);
  for (const c of cells) {
    const O = input.departEdges.get(c.origin) ?? [];
    const D = input.arriveEdges.get(c.destination) ?? [];
    if (O.length === 0 || D.length === 0 || c.origin === c.destination || !(c.trips > 0)) continue;
    const hour = Math.floor(c.t / HOUR_MS) * HOUR_MS;
    const quarters = [0, 1, 2, 3].map((q) => hour + q * QUARTER_MS).filter((q) => shareOf.has(q));
    if (quarters.length === 0) continue;
    const share = quarters.map((q) => shareOf.get(q) as number);
    // cumulated over the pair's cells: two hours of 0.4 trips give one vehicle, not none
    const key = `${c.origin}\u0000${c.destination}`;
    const st = perPair.get(key) ?? { cum: 0, k: 1 };
    perPair.set(key, st);
    for (const [qi, q] of quarters.entries()) {
      const n = c.trips * share[qi];
      while (n > 0 && st.k - 0.5 <= st.cum + n + 1e-9) {
        const i = st.k - 1;
        const from = O[i % O.length];
        let to = D[Math.floor(i / O.length) % D.length];
        if (to === from) to = D.find((e) => e !== from) ?? to;
        if (to !== from) {
          const at = q + ((st.k - 0.5 - st.cum) / n) * QUARTER_MS;
          pending.push({ departS: Math.round((at - input.startMs) / 100) / 10, from, to });
        }
        st.k++;
      }
      st.cum += n;
    }
  }
  pending.sort((a, b) => a.departS - b.departS);
  const classes = SCREEN_CLASSES.map(([c]) => c).filter((c) => (input.classShares[c] ?? 0) > 0);
  const sum = classes.reduce((a, c) => a + (input.classShares[c] ?? 0), 0);
  const given = new Map<ScreenClass, number>(classes.map((c) => [c, 0]));
  return pending.map((p, n) => {
    let cls: ScreenClass = 'car';
    let best = Number.NEGATIVE_INFINITY;
    for (const c of classes) {
      const deficit = ((input.classShares[c] ?? 0) / sum) * (n + 1) - (given.get(c) ?? 0);
      if (deficit > best + 1e-12) {
        best = deficit;
        cls = c;
      }
    }
    given.set(cls, (given.get(cls) ?? 0) + 1);
    return { id: `od${n}`, cls, ...p };
  });
}

/** The trips as a SUMO route file for duarouter (one vType per class, SUMO's defaults for its vehicle class). */
export function demandTripsXml(trips: readonly DemandTrip[]): string {
  const lines = ['<?xml version="1.0" encoding="UTF-8"?>', '<routes>'];
  for (const [c, vClass] of SCREEN_CLASSES) lines.push(`    <vType id="passage-${c}" vClass="${vClass}"/>`);
  for (const t of trips) {
    lines.push(
      `    <trip id="${t.id}" type="passage-${t.cls}" depart="${t.departS.toFixed(1)}" from="${t.from}" to="${t.to}" departLane="best" departSpeed="max"/>`,
    );
  }
  lines.push('</routes>', '');
  return lines.join('\n');
}

/**
 * A zone's departure and arrival edges from its edges (`zoneRouteShares`' zoneEdges): trips do not depart on an
 * edge that leaves the network (ends at a dead end: a node with one neighbour) nor arrive on one that enters it,
 * unless the zone has no other edge.
 */
export function zoneEnds(
  zoneEdges: ReadonlyMap<string, readonly string[]>,
  edges: readonly { id: string; from: string; to: string }[],
): { departEdges: Map<string, string[]>; arriveEdges: Map<string, string[]> } {
  const neighbours = new Map<string, Set<string>>();
  const add = (a: string, b: string) => neighbours.set(a, (neighbours.get(a) ?? new Set<string>()).add(b));
  for (const e of edges) {
    add(e.from, e.to);
    add(e.to, e.from);
  }
  const byId = new Map(edges.map((e) => [e.id, e]));
  const deadEnd = (node: string) => (neighbours.get(node)?.size ?? 0) <= 1;
  const departEdges = new Map<string, string[]>();
  const arriveEdges = new Map<string, string[]>();
  for (const [zone, list] of zoneEdges) {
    const known = list.filter((id) => byId.has(id));
    const dep = known.filter((id) => !deadEnd(byId.get(id)?.to ?? ''));
    const arr = known.filter((id) => !deadEnd(byId.get(id)?.from ?? ''));
    departEdges.set(zone, dep.length > 0 ? dep : known);
    arriveEdges.set(zone, arr.length > 0 ? arr : known);
  }
  return { departEdges, arriveEdges };
}

/** Screened figures of one set of retimed junctions: per demand scale, medians over the seeds. */
export interface ScreenRun {
  scale: number;
  /** Network mean time loss per vehicle, s. */
  meanTimeLossS: number;
  /** Time loss on each planned junction's approaches, s. */
  approachS: Record<string, number>;
}

export interface ScreenDecision {
  /** Junctions whose retiming is kept. */
  kept: string[];
  /** Junctions put back on their current plan, in the order decided, with why. */
  reverted: { tls: string; reason: 'approaches' | 'network' | 'budget' }[];
  current: ScreenRun[];
  proposal: ScreenRun[];
  /** The figures of the kept set (= current when nothing is kept). */
  final: ScreenRun[];
  /** Every set evaluated (junctions retimed → figures), in order. */
  evaluated: { retimed: string[]; runs: ScreenRun[] }[];
}

export interface ScreenRule {
  /** A junction is worse when its approaches lose more than (1 + this) × their current time loss. @default 0.05 */
  junctionTolerance?: number;
  /** The network is worse when its mean time loss exceeds (1 + this) × the current one. @default 0 */
  networkTolerance?: number;
  /** At most this many sets of retimed junctions are simulated (current and proposal included). @default 12 */
  maxSets?: number;
}

export const SCREEN_DEFAULTS = { junctionTolerance: 0.05, networkTolerance: 0, maxSets: 12 } as const;

/**
 * The keep/revert decision (SUMO behind `evaluate`, which simulates the proposal with only the given junctions
 * retimed): (1) junctions whose approaches the proposal makes worse than the current plans at any screened demand
 * are reverted; (2) while the network's mean time loss is worse than with the current plans at any demand, the
 * retiming whose removal gives the least summed relative excess over the demands is reverted (greedy); when the
 * budget of simulated sets runs out first, every remaining retiming is reverted (only what the screen showed not
 * worse is kept).
 */
export async function screenDecision(
  junctions: readonly string[],
  evaluate: (retimed: readonly string[]) => Promise<ScreenRun[]>,
  rule: ScreenRule = {},
): Promise<ScreenDecision> {
  const jt = rule.junctionTolerance ?? SCREEN_DEFAULTS.junctionTolerance;
  const nt = rule.networkTolerance ?? SCREEN_DEFAULTS.networkTolerance;
  const maxSets = rule.maxSets ?? SCREEN_DEFAULTS.maxSets;
  const evaluated: ScreenDecision['evaluated'] = [];
  const memo = new Map<string, ScreenRun[]>();
  const run = async (retimed: readonly string[]): Promise<ScreenRun[] | null> => {
    const key = [...retimed].sort().join(' ');
    const hit = memo.get(key);
    if (hit) return hit;
    if (evaluated.length >= maxSets) return null;
    const runs = await evaluate(retimed);
    memo.set(key, runs);
    evaluated.push({ retimed: [...retimed], runs });
    return runs;
  };
  const current = (await run([])) as ScreenRun[];
  const proposal = (await run(junctions)) as ScreenRun[];
  const ref = (s: number) => current.find((r) => r.scale === s);
  const reverted: ScreenDecision['reverted'] = [];
  const worseAt = (j: string) =>
    proposal.some((p) => {
      const c = ref(p.scale)?.approachS[j] ?? 0;
      return (p.approachS[j] ?? 0) > c * (1 + jt);
    });
  let kept = junctions.filter((j) => {
    if (!worseAt(j)) return true;
    reverted.push({ tls: j, reason: 'approaches' });
    return false;
  });
  /** Summed relative excess of the network's mean time loss over the current plans' (≤ 0 everywhere: not worse). */
  const excess = (runs: readonly ScreenRun[]) =>
    runs.reduce((a, r) => a + r.meanTimeLossS / (ref(r.scale)?.meanTimeLossS || 1) - 1, 0);
  const worse = (runs: readonly ScreenRun[]) =>
    runs.some((r) => r.meanTimeLossS > (ref(r.scale)?.meanTimeLossS ?? 0) * (1 + nt));
  let now = kept.length === junctions.length ? proposal : await run(kept);
  while (kept.length > 0) {
    if (now === null) {
      for (const j of kept) reverted.push({ tls: j, reason: 'budget' });
      kept = [];
      break;
    }
    if (!worse(now)) break;
    let best: { j: string; runs: ScreenRun[] } | null = null;
    for (const j of kept) {
      const runs = await run(kept.filter((x) => x !== j));
      if (runs === null) break;
      if (best === null || excess(runs) < excess(best.runs)) best = { j, runs };
    }
    if (best === null) {
      now = null;
      continue;
    }
    const { j } = best;
    kept = kept.filter((x) => x !== j);
    reverted.push({ tls: j, reason: 'network' });
    now = best.runs;
  }
  return { kept, reverted, current, proposal, final: kept.length === 0 ? current : (now ?? current), evaluated };
}

export interface ScreenOptions {
  scenarioDir: string;
  /** Proposal junctions to screen (their proposal changes the plan). */
  junctions: readonly string[];
  /** The SUMO additional file of the proposal with only these junctions retimed. */
  planXml: (retimed: readonly string[]) => string;
  /** k of the published OD (the API's `privacy.k`). */
  k: number;
  seeds?: readonly number[];
  scales?: readonly number[];
  rule?: ScreenRule;
  log?: (msg: string) => void;
}

export interface ScreenResult extends ScreenDecision {
  /** Vehicles written from the OD, and those duarouter routed. */
  vehicles: number;
  routed: number;
  /** Trips of the estimated OD over the window (sum of the cells' point values). */
  odTrips: number;
  seeds: number[];
  scales: number[];
}

/** What the screen said of one junction (`JunctionAnalysis.screen`). */
export interface JunctionScreen {
  /** kept: retimed; reverted-*: back on its current plan (why); not-retimed: the planner kept its current plan. */
  status: 'kept' | 'reverted-approaches' | 'reverted-network' | 'reverted-budget' | 'not-retimed';
  /**
   * Per screened demand scale (medians over the screen's seeds): time loss on its approaches (s) and the network's
   * mean time loss per vehicle (s) with the current plans, the whole proposal, and the plans finally kept.
   */
  runs: {
    scale: number;
    approachCurrentS: number;
    approachProposalS: number;
    approachFinalS: number;
    networkCurrentS: number;
    networkProposalS: number;
    networkFinalS: number;
  }[];
}

/** Sets each analysis's `screen` from the screen's result. */
export function applyScreen(analyses: JunctionAnalysis[], result: ScreenDecision): void {
  const why = new Map(result.reverted.map((r) => [r.tls, r.reason]));
  for (const a of analyses) {
    const retimed = result.kept.includes(a.tls) || why.has(a.tls);
    a.screen = {
      status: !retimed ? 'not-retimed' : why.has(a.tls) ? `reverted-${why.get(a.tls) ?? 'network'}` : 'kept',
      runs: result.current.map((c) => {
        const p = result.proposal.find((r) => r.scale === c.scale);
        const f = result.final.find((r) => r.scale === c.scale);
        return {
          scale: c.scale,
          approachCurrentS: c.approachS[a.tls] ?? 0,
          approachProposalS: p?.approachS[a.tls] ?? 0,
          approachFinalS: f?.approachS[a.tls] ?? 0,
          networkCurrentS: c.meanTimeLossS,
          networkProposalS: p?.meanTimeLossS ?? 0,
          networkFinalS: f?.meanTimeLossS ?? 0,
        };
      }),
    };
  }
}

/** Builds the measured demand from the store, routes it and screens the proposal in SUMO (see the module comment). */
export async function screenPlans(
  client: ClickHouseClient,
  world: WorldSignals,
  opts: ScreenOptions,
): Promise<ScreenResult> {
  requireSumo();
  const seeds = [...(opts.seeds ?? [1, 2])];
  const scales = [...(opts.scales ?? [1, 1.3])];
  const say = opts.log ?? (() => {});
  const scenarioDir = resolve(opts.scenarioDir);
  const scenario = JSON.parse(readFileSync(join(scenarioDir, 'scenario.json'), 'utf8')) as {
    start: number;
    durationS: number;
  };
  // the world's window (the demand of the store's other days is not simulated)
  const from = scenario.start;
  const to = scenario.start + scenario.durationS * 1000;
  const read = await readMeasuredDemand(client, scenarioDir, { from, to, k: opts.k });
  const cells = read?.cells ?? [];
  const quarterWeights = read?.quarterWeights ?? new Map<number, number>();
  const classShares: Partial<Record<ScreenClass, number>> = { ...(read?.classCounts ?? {}) };
  if (Object.keys(classShares).length === 0) classShares.car = 1;
  const netFile = join(scenarioDir, 'sumo', 'net.xml.gz');
  const ends = zoneEnds(read?.zoneEdges ?? new Map(), read?.edges ?? []);
  const trips = odDemand({ cells, ...ends, startMs: from, durationS: scenario.durationS, quarterWeights, classShares });
  const tmp = mkdtempSync(join(tmpdir(), 'passage-screen-'));
  const log: CommandRecord[] = [];
  try {
    writeFileSync(join(tmp, 'trips.xml'), demandTripsXml(trips));
    const routes = join(tmp, 'demand.rou.xml');
    await runTool(
      'duarouter',
      [
        ...['-n', netFile, '--route-files', join(tmp, 'trips.xml'), '-o', routes],
        ...['--ignore-errors', 'true', '--no-step-log', 'true', '--no-warnings', 'true'],
      ],
      tmp,
      log,
      'tmp',
    );
    const routed = (readFileSync(routes, 'utf8').match(/<vehicle /g) ?? []).length;
    say(
      `screen: ${cells.length} OD cells (${cells.reduce((a, c) => a + c.trips, 0).toFixed(0)} motor trips), ${trips.length} vehicles, ${routed} routed`,
    );
    let n = 0;
    const decision = await screenDecision(
      opts.junctions,
      async (retimed) => {
        const planFile = join(tmp, `plan-${n++}.add.xml`);
        writeFileSync(planFile, opts.planXml(retimed));
        const results = await verifyPlans({
          scenarioDir,
          net: world.net,
          junctions: opts.junctions,
          planFile,
          seeds,
          scales,
          variants: [retimed.length === 0 ? 'current' : 'proposed'],
          demandFiles: [routes],
        });
        const runs = summarise(results).map((s) => ({
          scale: s.scale,
          meanTimeLossS: s.meanTimeLossS,
          approachS: s.perJunction,
        }));
        say(
          `screen: retimed ${retimed.length === 0 ? 'none (current plans)' : retimed.join(' ')}: ${runs.map((r) => `×${r.scale} ${r.meanTimeLossS.toFixed(1)} s`).join(', ')}`,
        );
        return runs;
      },
      opts.rule,
    );
    return {
      ...decision,
      vehicles: trips.length,
      routed,
      odTrips: cells.reduce((a, c) => a + c.trips, 0),
      seeds,
      scales,
    };
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}
