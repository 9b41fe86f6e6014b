/**
 * Signal plans for the signalised junctions of a world that cameras watch, computed from the turning movements
 * stored by the video role (never from truth or routes): movements by class → passenger-car units per hour per
 * (incoming edge → outgoing edge) → `planJunction` (Webster cycle and splits, HCM delay and LOS, queues).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import type { ClickHouseClient } from '@clickhouse/client';
import {
  DEFAULT_PCU,
  HEAVY_MODES,
  type JunctionPlan,
  type Mode,
  movementKey,
  PassageError,
  type PlanOptions,
  PRODUCT_PLAN_DEFAULTS,
  planJunction,
  progressionOffset,
  segmentTimeOfDay,
} from '@passage/core';
import { classifiedMovements, type QueueDischarge, queueDischarge } from '@passage/store';
import type { Origin } from '../build/geo.ts';
import { classMix, estimatedDesignFlows, type MeasuredDemand, readMeasuredDemand } from './estimated-flows.ts';
import type { JunctionScreen } from './screen.ts';
import {
  type CameraArms,
  matchCamerasToTls,
  readSumoNet,
  type SumoNet,
  type SumoTls,
  type TlsCoverage,
} from './sumo-tls.ts';

export interface WorldSignals {
  net: SumoNet;
  coverage: TlsCoverage[];
  /** Signalised junctions no camera watches (no plan can be computed for them). */
  unobserved: string[];
  /** Epoch ms of the world's simulation time 0 (scenario.json `start`), when it has one. */
  startMs?: number;
  /** The world's folder (its zones and network feed the estimate of junctions without a camera). */
  dir?: string;
}

/** Reads a world's SUMO network and ties its signal programs to the cameras of its scenario.json. */
export function loadWorldSignals(scenarioDir: string): WorldSignals {
  let scenario: { origin: Origin; cameras: CameraArms[]; start?: number };
  let netXml: string;
  try {
    scenario = JSON.parse(readFileSync(join(scenarioDir, 'scenario.json'), 'utf8'));
    netXml = gunzipSync(readFileSync(join(scenarioDir, 'sumo', 'net.xml.gz'))).toString('utf8');
  } catch (cause) {
    throw new PassageError(
      'PASSAGE_SIGNALS_NO_NETWORK',
      `Cannot read ${scenarioDir}/scenario.json and ${scenarioDir}/sumo/net.xml.gz: give a world built by \`passage sim build\`.`,
      { cause },
    );
  }
  const net = readSumoNet(netXml);
  const coverage = matchCamerasToTls(net, scenario.cameras ?? [], scenario.origin);
  const covered = new Set(coverage.map((c) => c.tls.controller.id));
  return {
    net,
    coverage,
    unobserved: net.tls.map((t) => t.controller.id).filter((id) => !covered.has(id)),
    ...(typeof scenario.start === 'number' ? { startMs: scenario.start } : {}),
    dir: scenarioDir,
  };
}

export interface JunctionAnalysis {
  tls: string;
  /** The camera whose movements were planned on ('' for a junction without one). */
  camera: string;
  /**
   * `od-estimate`: no camera watches the junction; its flows are the estimated OD assigned by the route model
   * (`estimated-flows.ts`), a planner's estimate, not a count. Absent: counted by `camera`.
   */
  flowSource?: 'od-estimate';
  /**
   * With `flowSource` 'od-estimate': the scaling of the assigned OD to the counts (`countCalibration`): counted and
   * assigned PCU per hour over the camera junctions' movements, and their ratio, applied to this junction's flows.
   */
  calibration?: { factor: number; countedPcuH: number; estimatedPcuH: number };
  /** Analysed period, epoch ms, and its length in hours. */
  from: number;
  to: number;
  hours: number;
  /** PCU per hour per movement key `inEdge>outEdge`. */
  flows: Record<string, number>;
  /** Vehicles per hour by class entering each approach, and the heavy-vehicle share. */
  approaches: { edge: string; zone: string; vehiclesH: number; pcuH: number; heavyShare: number }[];
  /** Movements the camera counted that no signal link serves (e.g. U-turns between zones of one arm). */
  unmatchedVehicles: number;
  /**
   * Queue discharge measured by the camera over the analysed period (`queue_discharge_15m`), per movement
   * (`inEdge>outEdge`) and per approach (`to` `'*'`): saturated headways and the saturation flow they give, PCU per
   * hour of green over all the lanes serving it. Used by the plan when `saturationSource` is `measured`.
   */
  discharge: { from: string; to: string; headways: number; pcuH: number }[];
  /** Where the plan's saturation flows came from (`measured` still falls back to the default per lane). */
  saturationSource: 'measured' | 'default';
  plan: JunctionPlan;
  /**
   * With `periods`: time-of-day plans, the analysed data split into at most that many contiguous periods of
   * like 15-minute movement patterns (`segmentTimeOfDay`), each planned on its own design flows.
   */
  periods?: { from: number; to: number; hours: number; flows: Record<string, number>; plan: JunctionPlan }[];
  /** Offset of the proposed program (its phase 0 starts this many seconds into the common cycle). */
  offsetS: number;
  /** With coordination: the junctions sharing this one's cycle (itself included) and that cycle. */
  coordination?: { group: string[]; cycleS: number };
  /** With `passage signals plan --screen`: what the microsimulation of the measured demand said (`screen.ts`). */
  screen?: JunctionScreen;
}

export interface PlanWorldOptions extends PlanOptions {
  from?: number;
  to?: number;
  pcu?: Partial<Record<Mode, number>>;
  /**
   * Design flows: `peak15` = the junction's busiest 15 minutes of the period as an hourly rate (HCM practice:
   * hourly volume / PHF, analysed over T = 0.25 h), `mean` = the period's mean hourly flow. @default 'peak15'
   */
  design?: 'peak15' | 'mean';
  /** What-if: measured flows × this factor (e.g. 1.3 for +30 % demand). @default 1 */
  demandScale?: number;
  /** Time-of-day plans: split the period into at most this many plan periods (≥ 1 h each). */
  periods?: number;
  /**
   * Coordination: planned junctions joined by a link no longer than this (metres) share one cycle (the longest of
   * their own) and get offsets for progression along the busiest links (`coordinate`). 0 = isolated junctions.
   * @default 0
   */
  coordinateWithinM?: number;
  /**
   * `measured`: lanes whose movements the camera saw discharge from a queue (≥ `minMeasuredHeadways` saturated
   * headways over the period) take the measured saturation flow (`PlanOptions.measuredSaturation`); `default`: HCM
   * base × turn factors everywhere. @default DEFAULT_SATURATION_SOURCE
   */
  saturationSource?: 'measured' | 'default';
  /**
   * Signalised junctions no camera watches: `skip` (no plan, a warning) or `estimate` (planned on flows estimated
   * from the stored OD, `estimated-flows.ts`; needs the world's folder and an OD in the store).
   * @default DEFAULT_UNOBSERVED
   */
  unobserved?: 'skip' | 'estimate';
  /** k of the published OD read for `unobserved: 'estimate'` (the API's `privacy.k`). @default 5 */
  k?: number;
}

/** Junctions without a camera: planned from the estimated OD unless told otherwise (docs/SIGNALS.md, "Junctions without a camera"). */
export const DEFAULT_UNOBSERVED: 'skip' | 'estimate' = 'estimate';

/** Saturation flows of the command line: HCM defaults until measured ones did better in SUMO (docs/SIGNALS.md). */
export const DEFAULT_SATURATION_SOURCE: 'measured' | 'default' = 'default';

/** Per junction: measured movements → PCU flows → current vs proposed plan. */
export async function planWorld(
  client: ClickHouseClient,
  world: WorldSignals,
  opts: PlanWorldOptions = {},
): Promise<JunctionAnalysis[]> {
  const pcu = { ...DEFAULT_PCU, ...(opts.pcu ?? {}) } as Record<string, number>;
  const rows = await classifiedMovements(client, {
    cameras: world.coverage.map((c) => c.camera),
    from: opts.from,
    to: opts.to,
  });
  const source = opts.saturationSource ?? DEFAULT_SATURATION_SOURCE;
  const dischargeRows = await queueDischarge(client, {
    cameras: world.coverage.map((c) => c.camera),
    from: opts.from,
    to: opts.to,
  });
  const out: JunctionAnalysis[] = [];
  for (const cov of world.coverage) {
    const mine = rows.filter((r) => r.cameraId === cov.camera);
    if (mine.length === 0) continue;
    const whole = {
      from: opts.from ?? Math.min(...mine.map((r) => r.start)),
      to: opts.to ?? Math.max(...mine.map((r) => r.start)) + QUARTER_MS,
    };
    const discharge = dischargeByEdges(
      cov,
      dischargeRows.filter((r) => r.cameraId === cov.camera),
    );
    const planOpts = { ...withDefaults(opts), ...measuredOptions(source, discharge) };
    const { from, to, hours, flows, appr, unmatched } = designFlows(cov, mine, whole.from, whole.to, pcu, opts);
    let periods: JunctionAnalysis['periods'];
    if (opts.periods !== undefined && opts.periods > 1) {
      // 15-minute PCU vectors per served movement over the whole period, segmented into like periods
      const keys = [...servedMovements(cov.tls)];
      const n = Math.max(1, Math.round((whole.to - whole.from) / QUARTER_MS));
      const vectors = Array.from({ length: n }, () => new Array<number>(keys.length).fill(0));
      for (const r of mine) {
        const i = Math.floor((r.start - whole.from) / QUARTER_MS);
        const inEdge = cov.inEdgeOfZone.get(r.fromZone);
        const outEdge = cov.outEdgeOfZone.get(r.toZone);
        const k = inEdge !== undefined && outEdge !== undefined ? keys.indexOf(movementKey(inEdge, outEdge)) : -1;
        if (i >= 0 && i < n && k >= 0) vectors[i][k] += r.count * (pcu[r.mode] ?? 0);
      }
      // periods of ≥ 1 h: under 2 h of data there is a single one
      const starts = n >= 8 ? segmentTimeOfDay(vectors, opts.periods, 4) : [0];
      periods = starts.map((a, j) => {
        const pf = whole.from + a * QUARTER_MS;
        const pt = whole.from + (starts[j + 1] ?? n) * QUARTER_MS;
        const d = designFlows(cov, mine, pf, pt, pcu, opts);
        return {
          from: pf,
          to: pt,
          hours: d.hours,
          flows: Object.fromEntries(d.flows),
          plan: planJunction(cov.tls.controller, d.flows, planOpts),
        };
      });
    }
    out.push({
      tls: cov.tls.controller.id,
      camera: cov.camera,
      from,
      to,
      hours,
      flows: Object.fromEntries(flows),
      approaches: [...appr].map(([edge, a]) => ({
        edge,
        zone: a.zone,
        vehiclesH: a.veh,
        pcuH: a.pcu,
        heavyShare: a.veh > 0 ? a.heavy / a.veh : 0,
      })),
      unmatchedVehicles: unmatched,
      discharge,
      saturationSource: source,
      plan: planJunction(cov.tls.controller, flows, planOpts),
      ...(periods ? { periods } : {}),
      offsetS: 0,
    });
  }
  if (out.length > 0 && (opts.unobserved ?? DEFAULT_UNOBSERVED) === 'estimate')
    out.push(...(await planUnobserved(client, world, opts, pcu, rows)));
  if ((opts.coordinateWithinM ?? 0) > 0) coordinate(world, out, opts.coordinateWithinM as number, withDefaults(opts));
  return out;
}

/** The vehicle movements (`inEdge>outEdge`) a junction's signal links serve. */
const servedMovements = (t: SumoTls): Set<string> =>
  new Set(t.controller.links.filter((l) => !l.pedestrian).map((l) => movementKey(l.from, l.to)));

/** Plans of the junctions no camera watches, on flows estimated from the stored OD (`estimated-flows.ts`). */
async function planUnobserved(
  client: ClickHouseClient,
  world: WorldSignals,
  opts: PlanWorldOptions,
  pcu: Record<string, number>,
  counted: Awaited<ReturnType<typeof classifiedMovements>>,
): Promise<JunctionAnalysis[]> {
  const tlss = world.net.tls.filter((t) => world.unobserved.includes(t.controller.id));
  if (tlss.length === 0 || world.dir === undefined) return [];
  const nodesOf = (t: SumoTls) => t.incoming.map((e) => world.net.edges.get(e)?.to ?? t.junction);
  // the camera junctions too: the estimate is calibrated on what their cameras counted
  const nodes = new Set([...tlss, ...world.coverage.map((c) => c.tls)].flatMap(nodesOf));
  const read = await readMeasuredDemand(client, world.dir, {
    from: opts.from,
    to: opts.to,
    k: opts.k ?? 5,
    movementsAt: nodes,
  });
  if (!read || read.cells.length === 0) return [];
  const demand = { ...read, ...classMix(read.classCounts, pcu) };
  const calibration = countCalibration(world, demand, counted, pcu);
  const out: JunctionAnalysis[] = [];
  for (const t of tlss) {
    const d = estimatedDesignFlows({
      ...demand,
      served: servedMovements(t),
      design: opts.design ?? 'peak15',
      demandScale: (opts.demandScale ?? 1) * calibration.factor,
    });
    if (d.flows.size === 0) continue;
    const appr = new Map<string, number>();
    for (const [k, v] of d.flows) {
      const inEdge = k.slice(0, k.indexOf('>'));
      appr.set(inEdge, (appr.get(inEdge) ?? 0) + v);
    }
    out.push({
      tls: t.controller.id,
      camera: '',
      flowSource: 'od-estimate',
      from: d.from,
      to: d.to,
      hours: d.hours,
      flows: Object.fromEntries(d.flows),
      approaches: [...appr].map(([edge, pcuH]) => ({
        edge,
        zone: '',
        vehiclesH: pcuH / demand.pcuPerVehicle,
        pcuH,
        heavyShare: demand.heavyShare,
      })),
      unmatchedVehicles: 0,
      discharge: [],
      saturationSource: 'default',
      plan: planJunction(t.controller, d.flows, withDefaults(opts)),
      offsetS: 0,
      calibration,
    });
  }
  return out;
}

/**
 * The OD assignment against the counts, where cameras count: the route model's flows at the camera junctions
 * (`estimatedDesignFlows`, window mean) against their counted flows over the same window, PCU per hour summed over
 * the junctions' served movements. The estimated OD does not hold every vehicle on the streets (trips within a
 * zone, zones no sensor observes, buses on their lines, bicycles on the carriageway), so the estimated junctions'
 * flows are scaled by counted / estimated: the assignment adjusted to the counts, as transport models are. Factor
 * 1 when no camera junction has both.
 */
function countCalibration(
  world: WorldSignals,
  demand: MeasuredDemand & { pcuPerVehicle: number },
  counted: Awaited<ReturnType<typeof classifiedMovements>>,
  pcu: Record<string, number>,
): NonNullable<JunctionAnalysis['calibration']> {
  let est = 0;
  let cnt = 0;
  for (const cov of world.coverage) {
    const mine = counted.filter((r) => r.cameraId === cov.camera);
    if (mine.length === 0) continue;
    const e = estimatedDesignFlows({ ...demand, served: servedMovements(cov.tls), design: 'mean' });
    const c = designFlows(cov, mine, demand.from, demand.to, pcu, { design: 'mean' });
    const eSum = [...e.flows.values()].reduce((a, b) => a + b, 0);
    if (!(eSum > 0)) continue;
    est += eSum;
    cnt += [...c.flows.values()].reduce((a, b) => a + b, 0);
  }
  const factor = est > 0 && cnt > 0 ? cnt / est : 1;
  return { factor, countedPcuH: cnt, estimatedPcuH: est };
}

/**
 * A camera's queue discharge per approach edge and movement (`inEdge>outEdge`, or `'*'` for the approach): zones
 * mapped to the junction's edges, rows of zones mapping to the same edges summed.
 */
function dischargeByEdges(
  cov: TlsCoverage,
  rows: readonly QueueDischarge[],
): { from: string; to: string; headways: number; pcuH: number }[] {
  const acc = new Map<string, { from: string; to: string; headways: number; h: number; p: number }>();
  for (const r of rows) {
    const from = cov.inEdgeOfZone.get(r.fromZone);
    const to = r.toZone === '*' ? '*' : cov.outEdgeOfZone.get(r.toZone);
    if (from === undefined || to === undefined) continue;
    const k = `${from}>${to}`;
    const a = acc.get(k) ?? { from, to, headways: 0, h: 0, p: 0 };
    a.headways += r.headways;
    a.h += r.headwaySumS;
    a.p += r.pcuSum;
    acc.set(k, a);
  }
  return [...acc.values()]
    .filter((a) => a.h > 0)
    .map((a) => ({ from: a.from, to: a.to, headways: a.headways, pcuH: (3600 * a.p) / a.h }));
}

/** The plan options of a junction's measured saturation flows (none with `default`). */
const measuredOptions = (source: 'measured' | 'default', discharge: JunctionAnalysis['discharge']): PlanOptions =>
  source === 'measured'
    ? {
        measuredSaturation: new Map(discharge.filter((d) => d.to !== '*').map((d) => [movementKey(d.from, d.to), d])),
      }
    : {};

/**
 * The options with every product default (`PRODUCT_PLAN_DEFAULTS`, the API's too; each measured in docs/SIGNALS.md)
 * where the caller left the option unset.
 */
const withDefaults = (opts: PlanWorldOptions): PlanOptions => {
  const out: Record<string, unknown> = { ...opts };
  for (const [k, v] of Object.entries(PRODUCT_PLAN_DEFAULTS)) out[k] ??= v;
  return out as PlanOptions;
};

/** A link between two planned junctions: `from` releases onto `edge`, which `to` serves as an approach. */
interface CoordLink {
  from: JunctionAnalysis;
  to: JunctionAnalysis;
  edge: string;
  travelS: number;
  /** Measured flow on the link at its downstream junction, PCU/h. */
  flow: number;
}

/**
 * Coordination of neighbouring planned junctions (those whose proposal is used): junctions joined by a link of at
 * most `withinM` metres form a group with a common cycle, the longest of their own proposals (the critical
 * junction sets the cycle), each re-split at that cycle; offsets along a maximum-flow spanning tree of the group's
 * links, each tree link giving progression (`progressionOffset`) in its busier direction: the downstream stage
 * serving the link starts its green one link travel time (length / speed limit) after the upstream stage that
 * releases onto it. Changes `analyses` in place.
 */
export function coordinate(
  world: WorldSignals,
  analyses: JunctionAnalysis[],
  withinM: number,
  opts: PlanOptions,
): void {
  const byNode = new Map<string, JunctionAnalysis>();
  const covOf = new Map(world.coverage.map((c) => [c.tls.controller.id, c]));
  for (const a of analyses) {
    const cov = covOf.get(a.tls);
    if (cov && !a.plan.keptCurrent) byNode.set(cov.tls.junction, a);
  }
  const links: CoordLink[] = [];
  for (const to of byNode.values()) {
    const cov = covOf.get(to.tls) as TlsCoverage;
    for (const e of cov.tls.incoming) {
      const edge = world.net.edges.get(e);
      const from = edge ? byNode.get(edge.from) : undefined;
      if (!edge || !from || from === to || !(edge.lengthM <= withinM)) continue;
      const flow = Object.entries(to.flows)
        .filter(([k]) => k.startsWith(`${e}>`))
        .reduce((a, [, q]) => a + q, 0);
      links.push({ from, to, edge: e, travelS: edge.lengthM / Math.max(1, edge.speedMps), flow });
    }
  }
  // groups: connected components of the links
  const parent = new Map<JunctionAnalysis, JunctionAnalysis>();
  const root = (a: JunctionAnalysis): JunctionAnalysis => {
    let r = a;
    while (parent.has(r)) r = parent.get(r) as JunctionAnalysis;
    return r;
  };
  for (const l of links) {
    const [a, b] = [root(l.from), root(l.to)];
    if (a !== b) parent.set(a, b);
  }
  const groups = new Map<JunctionAnalysis, JunctionAnalysis[]>();
  for (const a of byNode.values()) groups.set(root(a), [...(groups.get(root(a)) ?? []), a]);
  for (const members of groups.values()) {
    if (members.length < 2) continue;
    const cycleS = Math.max(...members.map((m) => m.plan.proposed.cycleS));
    const inGroup = new Set<JunctionAnalysis>();
    for (const m of members) {
      const cov = covOf.get(m.tls) as TlsCoverage;
      const plan = planJunction(cov.tls.controller, new Map(Object.entries(m.flows)), {
        ...opts,
        ...measuredOptions(m.saturationSource, m.discharge),
        cycleS,
      });
      if (plan.keptCurrent) continue; // no gain at the common cycle: its own plan, uncoordinated
      m.plan = plan;
      inGroup.add(m);
    }
    const group = [...inGroup].map((m) => m.tls);
    for (const m of inGroup) m.coordination = { group, cycleS };
    // Maximum-flow spanning tree from the busiest junction (offset 0), Prim's order.
    const total = (m: JunctionAnalysis): number => Object.values(m.flows).reduce((a, b) => a + b, 0);
    const start = [...inGroup].sort((a, b) => total(b) - total(a))[0];
    if (!start) continue;
    const placed = new Set<JunctionAnalysis>([start]);
    start.offsetS = 0;
    for (;;) {
      const candidates = links.filter(
        (l) => inGroup.has(l.from) && inGroup.has(l.to) && placed.has(l.from) !== placed.has(l.to),
      );
      if (candidates.length === 0) break;
      // the busier direction between the two junctions of the heaviest candidate pair
      const best = candidates.reduce((b, l) => (l.flow > b.flow ? l : b));
      const up = best.from;
      const down = best.to;
      const rel = progressionOffset({
        cycleS,
        upstreamOffsetS: 0,
        upstreamGreenStartS: releaseStart(covOf.get(up.tls) as TlsCoverage, up, best.edge),
        travelS: best.travelS,
        downstreamGreenStartS: approachStart(down, best.edge),
      });
      if (placed.has(up)) {
        down.offsetS = (up.offsetS + rel) % cycleS;
        placed.add(down);
      } else {
        up.offsetS = (((down.offsetS - rel) % cycleS) + cycleS) % cycleS;
        placed.add(up);
      }
    }
  }
}

/** Green start (s into the cycle) of the stage that serves most of a junction's flow onto an exit edge. */
function releaseStart(cov: TlsCoverage, a: JunctionAnalysis, exit: string): number {
  const stageOfLane = new Map(a.plan.proposed.lanes.map((l) => [l.lane, l.stage]));
  const byStage = new Map<number, number>();
  for (const l of cov.tls.controller.links) {
    if (l.pedestrian || l.to !== exit) continue;
    const st = stageOfLane.get(l.lane);
    if (st === undefined || st < 0) continue;
    byStage.set(st, (byStage.get(st) ?? 0) + (a.flows[movementKey(l.from, l.to)] ?? 0) + 1e-9);
  }
  const stage = [...byStage].sort((x, y) => y[1] - x[1])[0]?.[0];
  return stage === undefined ? 0 : (a.plan.stageStartsS[stage] ?? 0);
}

/** Green start (s into the cycle) of the stage that serves an approach's busiest lane. */
function approachStart(a: JunctionAnalysis, approach: string): number {
  const lanes = a.plan.proposed.lanes.filter((l) => l.approach === approach && l.stage >= 0);
  if (lanes.length === 0) return 0;
  const main = lanes.reduce((b, l) => (l.flowPcuH > b.flowPcuH ? l : b));
  return a.plan.stageStartsS[main.stage] ?? 0;
}

const QUARTER_MS = 900_000;

/**
 * Design flows of one junction over [from, to): PCU per hour per served movement over the busiest 15 minutes
 * (`peak15`) or the whole window (`mean`), approach totals, and the vehicles no signal link serves.
 */
function designFlows(
  cov: TlsCoverage,
  mine: Awaited<ReturnType<typeof classifiedMovements>>,
  windowFrom: number,
  windowTo: number,
  pcu: Record<string, number>,
  opts: PlanWorldOptions,
) {
  let from = windowFrom;
  let to = windowTo;
  if ((opts.design ?? 'peak15') === 'peak15') {
    // The busiest 15 minutes in PCU at this junction.
    const byStart = new Map<number, number>();
    for (const r of mine) {
      if (r.start < windowFrom || r.start >= windowTo) continue;
      byStart.set(r.start, (byStart.get(r.start) ?? 0) + r.count * (pcu[r.mode] ?? 0));
    }
    let best = from;
    let bestV = -1;
    for (const [t, v] of byStart) {
      if (v > bestV || (v === bestV && t < best)) {
        best = t;
        bestV = v;
      }
    }
    from = best;
    to = best + QUARTER_MS;
  }
  const hours = (to - from) / 3_600_000;
  const flows = new Map<string, number>();
  const appr = new Map<string, { zone: string; veh: number; pcu: number; heavy: number }>();
  let unmatched = 0;
  for (const r of mine) {
    if (r.start < from || r.start >= to) continue;
    const w = pcu[r.mode] ?? 0;
    if (w === 0) continue; // pedestrians do not load the carriageway
    const inEdge = cov.inEdgeOfZone.get(r.fromZone);
    const outEdge = cov.outEdgeOfZone.get(r.toZone);
    const served =
      inEdge !== undefined &&
      outEdge !== undefined &&
      cov.tls.controller.links.some((l) => l.from === inEdge && l.to === outEdge);
    if (!served) {
      unmatched += r.count;
      continue;
    }
    const k = movementKey(inEdge, outEdge);
    flows.set(k, (flows.get(k) ?? 0) + (r.count * w * (opts.demandScale ?? 1)) / hours);
    const a = appr.get(inEdge) ?? { zone: r.fromZone, veh: 0, pcu: 0, heavy: 0 };
    a.veh += r.count / hours;
    a.pcu += (r.count * w) / hours;
    if ((HEAVY_MODES as readonly string[]).includes(r.mode)) a.heavy += r.count / hours;
    appr.set(inEdge, a);
  }
  return { from, to, hours, flows, appr, unmatched };
}
