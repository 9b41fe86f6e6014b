/**
 * A signalised junction, its current plan evaluated on measured flows, and a proposed plan (Webster cycle and
 * splits, same stage sequence). Pure: the controller description comes from the site registry (or a SUMO
 * `tlLogic`), the flows from stored turning movements.
 *
 * Model. A controller drives `links` (one per lane-to-lane connection, SUMO's `linkIndex` order); a plan is a
 * cycle of `phases`, each a duration and a state string with one character per link (SUMO's letters: `G` priority
 * green, `g` green that yields, `y` amber, `r` red, `s`/`o`/`O`/`u` treated as their SUMO meaning: stop / off).
 * - An *intergreen* phase shows amber to some vehicle link or green to none: its time is lost time.
 * - A *stage* is a run of green phases with the same set of vehicle links green; its first phase is the stage's
 *   adjustable green, the following ones (e.g. a pedestrian clearance shown with the vehicles still green) keep
 *   their duration and add to the stage's effective green.
 * - Each vehicle *lane* (links grouped by `lane`) is a lane group: its flow is the sum of its links' flows, its
 *   saturation flow follows its turn shares (HCM adjustments, `saturationFlow`), and it belongs to the stage in
 *   which its main link (largest flow) has priority green longest (else any green): that stage's critical flow
 *   ratio is the largest y = q / s among its lanes.
 * Webster's cycle over the stages' critical ratios and lost time, greens in proportion to y (within minimum
 * greens), then HCM delay, degree of saturation, LOS and 95th-percentile queue per lane, approach and junction.
 */
import { PassageError } from '../errors.ts';
import {
  BASE_SATURATION_PCU_H,
  greenSplits,
  hcmDelay,
  levelOfService,
  pedestrianMinGreen,
  permittedLeftCapacity,
  queue95,
  saturationFlow,
  websterCycle,
} from './timing.ts';

export type Turn = 'r' | 's' | 'l' | 't' | 'R' | 'L';

export interface SignalLink {
  /** Position in the phase state strings. */
  index: number;
  /** Approach (incoming arm / edge) and exit (outgoing arm / edge) of the movement this link serves. */
  from: string;
  to: string;
  /** Lane id the link leaves from (links of one lane form a lane group). */
  lane: string;
  /** r right, s straight, l left, t turn-around (SUMO's dir letters; R/L partial turns). */
  turn: Turn;
  /** A pedestrian crossing, not a vehicle link. */
  pedestrian?: boolean;
  /** Length of the lane the link leaves from, metres: the queue it can store before spilling back upstream. */
  storageM?: number;
  /** Pedestrian links: length of the crossing, metres (its minimum green, `pedestrianMinGreen`). */
  crossingM?: number;
  /**
   * The approach is fed by another junction (its queue, spilling back, blocks that junction), rather than entering
   * the network from outside (a queue that blocks nothing): see `PlanOptions.spillbackReserve`.
   */
  fedByJunction?: boolean;
}

export interface SignalPhase {
  durationS: number;
  state: string;
  /**
   * Vehicle-actuated phase (`PlanOptions.control: 'actuated'`): the controller ends the green when the approach's
   * detectors see a gap, after at least `minDurS`, and never runs it beyond `maxDurS`; `durationS` stays the
   * fixed-time plan the bounds were derived from (and what the HCM evaluation uses). Unset: a fixed-time phase.
   */
  minDurS?: number;
  maxDurS?: number;
}

export interface SignalController {
  id: string;
  links: SignalLink[];
  phases: SignalPhase[];
  offsetS?: number;
}

export interface PlanOptions {
  /** @default 40 */
  minCycleS?: number;
  /** @default 120 */
  maxCycleS?: number;
  /** Minimum adjustable green of a stage, seconds. @default 5 */
  minGreenS?: number;
  /**
   * Start-up lost time per stage, seconds: counted in the cycle's lost time with the intergreens (less the amber
   * drivers still use, `amberUsedS`), and taken off each displayed green to get its effective green. @default 2
   */
  startupLostS?: number;
  /**
   * Walk interval given to a stage's pedestrian phase when the stage also has a vehicle-only phase (which then
   * takes the rest of the stage's green and serves as the crossing's clearance time), seconds. @default 7
   */
  pedestrianWalkS?: number;
  /**
   * Walking speed for the pedestrian minimum green of a stage whose crossings have a known length (HCM 2000
   * eq. 16-2, G_p = 3.2 + L / S_p, HCM's S_p = 1.2 m/s): the stage's displayed green is at least G_p. m/s. Unset:
   * no pedestrian minimum beyond the walk interval and minimum green (on dreux-grid, 1.2 m/s cost 1 s of mean
   * vehicle time loss in SUMO, whose pedestrians do not need the clearance; docs/SIGNALS.md).
   */
  pedestrianSpeedMps?: number;
  /**
   * A fixed cycle (a common cycle for coordinated junctions): Webster's cycle and the queue-storage search are
   * skipped, the greens are split at this cycle (raised to the junction's minimum cycle if shorter).
   */
  cycleS?: number;
  /**
   * How the proposal's cycle is chosen: `webster` = Webster's optimum within the bounds (then shortened or
   * lengthened only for queue storage); `delay` = the whole seconds in [minimum, maximum cycle] evaluated with the
   * HCM delay model (permitted lefts filtering through opposing flow, `permittedLeftCapacity`) and the one with
   * the least control delay kept among those whose 95th-percentile queues fit their lanes. @default 'webster'
   * (the textbook's; the product's is `delay`, `PRODUCT_PLAN_DEFAULTS`)
   */
  cycleChoice?: 'webster' | 'delay';
  /**
   * Reserve capacity for approaches fed by another junction (`SignalLink.fedByJunction`): their flow ratios count
   * (1 + reserve) times in the green split (not in Webster's cycle), so their queues, which spill back into the
   * upstream junction, keep that margin of capacity; approaches entering the network queue outside it and block
   * nothing. Evaluation (delay, X, queues) uses the measured flows. @default 0
   */
  spillbackReserve?: number;
  /**
   * How a movement served from several lanes is shared among them: `even` = the same flow on each lane;
   * `equalise` = so that the lanes' flow ratios are equal (drivers join the shorter queue, HCM's lane-utilisation
   * principle; a shared lane with permitted lefts then carries less of the straight-on flow). `equalise` lowers Y
   * and shortens the cycles; measured worse in SUMO on chartres-centre (3 seeds, approach time loss vs current:
   * −11.8 % / −0.3 % at simulated / +30 % demand against −16.1 % / −14.3 % with `even`; docs/SIGNALS.md).
   * @default 'even'
   */
  laneChoice?: 'equalise' | 'even';
  /** Base saturation flow per lane, PCU/h of green. @default 1800 */
  baseSaturationPcuH?: number;
  /**
   * Saturation flows measured from queue discharge (cameras, `DischargeMeter`), per movement key `from>to`: the
   * movement's discharge over all the lanes serving it, PCU per hour of green, and the number of saturated headways
   * behind it. A lane all of whose movements are measured with at least `minMeasuredHeadways` headways takes the sum
   * of their discharges × its share of each movement's flow (`measuredLaneSaturation`) instead of the HCM base and
   * turn factors; other lanes keep the HCM default. Not used by `laneChoice: 'equalise'`'s sharing nor by
   * `cycleChoice: 'delay'`'s permitted-left model.
   */
  measuredSaturation?: ReadonlyMap<string, { pcuH: number; headways: number }>;
  /** Fewest saturated headways for a measured saturation flow to be used. @default MIN_MEASURED_HEADWAYS (30) */
  minMeasuredHeadways?: number;
  /** HCM analysis period, hours. @default 0.25 */
  periodH?: number;
  /**
   * Part of the amber drivers still use, seconds (HCM's extension of effective green e): taken back from the lost
   * time of each stage that ends in amber and added to each green that does. Default 0 (amber fully lost): with
   * HCM's e = 2 s the cycles on chartres-centre fell from 40–66 s to 40–46 s and SUMO's approach time loss
   * improved less (−7.6 % instead of −16.3 % against the current plans; docs/SIGNALS.md). @default 0
   */
  amberUsedS?: number;
  /**
   * Queue storage: space per queued passenger-car unit, metres. When a lane's 95th-percentile queue under the
   * Webster cycle exceeds its storage (lane length / spacing, lanes with a known `storageM`), the cycle is the one
   * closest to Webster's whose queues all fit, else the one with the smallest worst queue/storage ratio.
   * @default 7
   */
  queueSpacingM?: number;
  /**
   * Keep the current plan unless the proposal's predicted control delay is at least this share lower (0.1 = 10 %):
   * the model is not trusted with gains it barely predicts. The proposal is always dropped when it predicts no gain.
   * @default 0
   */
  minGain?: number;
  /**
   * `fixed`: the proposal is a fixed-time plan. `actuated`: the same plan, with each adjustable vehicle green made
   * vehicle-actuated (`SignalPhase.minDurS` / `maxDurS`): at least the minimum green (`minGreenS`; a vehicle-only
   * phase after a walk phase keeps it as the crossing's clearance), at most `maxGreenFactor` × its fixed-time green;
   * walk intervals, extensions and intergreens stay fixed. Junctions that keep their current plan (`minGain`) are
   * not touched. The HCM figures are those of the fixed-time plan (an upper bound for the actuated one at the
   * design flows). @default 'fixed'
   */
  control?: 'actuated' | 'fixed';
  /** Maximum green of an actuated phase as a multiple of its fixed-time green (`control: 'actuated'`). @default 2 */
  maxGreenFactor?: number;
}

export interface LaneResult {
  lane: string;
  approach: string;
  stage: number;
  flowPcuH: number;
  saturationPcuH: number;
  /** `measured`: from queue discharge (`PlanOptions.measuredSaturation`); `default`: HCM base × turn factors. */
  saturationSource: 'measured' | 'default';
  /** Saturated headways behind the measured movements of the lane (0 when default). */
  measuredHeadways: number;
  greenS: number;
  X: number;
  delayS: number;
  queue95Pcu: number;
}

export interface ApproachResult {
  approach: string;
  flowPcuH: number;
  /** Flow-weighted mean control delay, s/PCU. */
  delayS: number;
  los: ReturnType<typeof levelOfService>;
  /** Largest degree of saturation of its lanes. */
  X: number;
  queue95Pcu: number;
}

export interface PlanEvaluation {
  cycleS: number;
  phases: SignalPhase[];
  lanes: LaneResult[];
  approaches: ApproachResult[];
  /** Flow-weighted mean control delay over all lanes, s/PCU. */
  delayS: number;
  los: ReturnType<typeof levelOfService>;
}

export interface StageInfo {
  /** Index of the adjustable phase. */
  phase: number;
  /** Phases that follow it with the same vehicle greens (durations kept). */
  extensions: number[];
  criticalY: number;
  criticalLane: string | null;
}

export interface JunctionPlan {
  controller: string;
  current: PlanEvaluation;
  proposed: PlanEvaluation;
  stages: StageInfo[];
  lostTimeS: number;
  Y: number;
  nearCapacity: boolean;
  /** Webster's unbounded optimum (Infinity when Y ≥ 1). */
  websterOptimumS: number;
  /** The proposal predicted less than `minGain` (or no gain): `proposed` is the current plan. */
  keptCurrent: boolean;
  /** The cycle was shortened (or lengthened) from Webster's so that 95th-percentile queues fit their lanes. */
  storageBound: boolean;
  /**
   * Shortest cycle the junction allows: intergreens + each stage's minimum (minimum green, walk interval,
   * pedestrian minimum green of its crossings), and not under `minCycleS`.
   */
  minCycleS: number;
  /** Start of each stage's green in the proposed cycle, seconds after the start of phase 0. */
  stageStartsS: number[];
}

const isGreen = (c: string): boolean => c === 'G' || c === 'g';

/** `actuated` when a phase of the plan has actuation bounds (`PlanOptions.control: 'actuated'`), else `fixed`. */
export function planControl(phases: readonly SignalPhase[]): 'actuated' | 'fixed' {
  return phases.some((p) => p.maxDurS !== undefined) ? 'actuated' : 'fixed';
}

/** Flows per movement, PCU/h, keyed `from>to` (approach > exit). */
export type MovementFlows = ReadonlyMap<string, number>;

export function movementKey(from: string, to: string): string {
  return `${from}>${to}`;
}

/** Current plan on measured flows, and a Webster proposal with the same stage sequence. */
/**
 * The product's planner defaults, used alike by `passage signals plan` and the API's Signals routes (role
 * `traffic`) so that one junction, one period and one controller give one proposal on every path. `planJunction`'s
 * own defaults stay the textbook's (Webster's 1,800 PCU/h, no reserve, no gain threshold) for the worked examples.
 * Base saturation: HCM 2000's 1,900 PCU/h per lane; gain threshold: a proposal must predict 10 % less control
 * delay; spill-back reserve: 45 % on approaches fed by another junction (measured in SUMO with the actuated
 * proposals, docs/SIGNALS.md);
 * control: the proposal's adjustable greens vehicle-actuated between the minimum green and twice its fixed-time green
 * (measured in SUMO against the fixed-time proposal, docs/SIGNALS.md § Vehicle-actuated proposals);
 * cycle: the cycle of least HCM delay in [minimum, maximum cycle] (`cycleChoice: 'delay'`), not Webster's formula,
 * which near capacity (Y → 1) asks for cycles beyond the maximum and then predicts no gain, so the junction kept its
 * plan while its retimed neighbours passed it more traffic (docs/SIGNALS.md § Cycle by least delay).
 */
export const PRODUCT_PLAN_DEFAULTS = {
  baseSaturationPcuH: 1900,
  minGain: 0.1,
  spillbackReserve: 0.45,
  control: 'actuated',
  maxGreenFactor: 2,
  cycleChoice: 'delay',
} as const;

export function planJunction(controller: SignalController, flows: MovementFlows, opts: PlanOptions = {}): JunctionPlan {
  validateController(controller);
  const vehicle = controller.links.filter((l) => !l.pedestrian);
  const phases = controller.phases;
  const stages = findStages(controller);
  // Link flows: each movement's flow shared evenly among the links that serve it, then by lane choice (`laneChoice`).
  const linksOf = new Map<string, SignalLink[]>();
  for (const l of vehicle) {
    const k = movementKey(l.from, l.to);
    const a = linksOf.get(k);
    if (a) a.push(l);
    else linksOf.set(k, [l]);
  }
  const linkFlow = new Map<number, number>();
  for (const [k, ls] of linksOf) {
    const q = flows.get(k) ?? 0;
    for (const l of ls) linkFlow.set(l.index, q / ls.length);
  }
  // Lane groups.
  const lanes = new Map<string, SignalLink[]>();
  for (const l of vehicle) {
    const a = lanes.get(l.lane);
    if (a) a.push(l);
    else lanes.set(l.lane, [l]);
  }
  if (opts.laneChoice === 'equalise') equaliseLanes(linksOf, lanes, linkFlow, phases, flows, opts);
  const stageOfPhase = new Map<number, number>();
  stages.forEach((s, i) => {
    stageOfPhase.set(s.phase, i);
    for (const e of s.extensions) stageOfPhase.set(e, i);
  });
  interface Lane {
    id: string;
    approach: string;
    main: SignalLink;
    flow: number;
    sat: number;
    stage: number;
    source: 'measured' | 'default';
    headways: number;
    /** Share of its flow turning left without a protected green, and the saturation flow of the rest. */
    permittedLeftShare: number;
    satOther: number;
    /** Opposing links (priority green in its stage, from another approach, straight or right) and their lanes. */
    opposing: SignalLink[];
  }
  const laneList: Lane[] = [];
  for (const [id, ls] of lanes) {
    const flow = ls.reduce((a, l) => a + (linkFlow.get(l.index) ?? 0), 0);
    const main = ls.reduce((best, l) => ((linkFlow.get(l.index) ?? 0) > (linkFlow.get(best.index) ?? 0) ? l : best));
    // Stage where the main link has priority green longest (else any green).
    let stage = -1;
    let bestScore = -1;
    stages.forEach((s, si) => {
      for (const p of [s.phase, ...s.extensions]) {
        const c = phases[p].state[main.index];
        const score = c === 'G' ? 2 * phases[p].durationS + 1e6 : isGreen(c) ? phases[p].durationS : -1;
        if (score > bestScore) {
          bestScore = score;
          stage = si;
        }
      }
    });
    const share = (t: (turn: Turn) => boolean): number =>
      flow > 0 ? ls.filter((l) => t(l.turn)).reduce((a, l) => a + (linkFlow.get(l.index) ?? 0), 0) / flow : 0;
    const leftShare = share((t) => t === 'l' || t === 'L' || t === 't');
    const leftProtected = ls
      .filter((l) => l.turn === 'l' || l.turn === 'L' || l.turn === 't')
      .every((l) => phases.some((p) => p.state[l.index] === 'G'));
    const rightShare = share((t) => t === 'r' || t === 'R');
    const measured = measuredLaneSaturation(ls, linksOf, linkFlow, opts);
    const sat =
      measured?.sat ??
      saturationFlow({ base: opts.baseSaturationPcuH, rightShare, leftShare, leftPermitted: !leftProtected });
    const satOther = saturationFlow({
      base: opts.baseSaturationPcuH,
      rightShare: leftShare < 1 ? rightShare / (1 - leftShare) : 0,
    });
    const adjustable = stage >= 0 ? phases[stages[stage].phase].state : '';
    const opposing =
      !leftProtected && leftShare > 0
        ? vehicle.filter(
            (o) =>
              o.from !== main.from &&
              adjustable[o.index] === 'G' &&
              (o.turn === 's' || o.turn === 'r' || o.turn === 'R'),
          )
        : [];
    laneList.push({
      id,
      approach: main.from,
      main,
      flow,
      sat,
      stage,
      source: measured ? 'measured' : 'default',
      headways: measured?.headways ?? 0,
      permittedLeftShare: leftProtected ? 0 : leftShare,
      satOther,
      opposing,
    });
  }
  for (const s of stages) {
    s.criticalY = 0;
    s.criticalLane = null;
  }
  // Split weights: the critical ratios with the spill-back reserve on approaches fed by a junction.
  const splitY = stages.map(() => 0);
  for (const l of laneList) {
    if (l.stage < 0) continue;
    const reserved = ((l.main.fedByJunction ? 1 + (opts.spillbackReserve ?? 0) : 1) * l.flow) / l.sat;
    splitY[l.stage] = Math.max(splitY[l.stage], reserved);
    const y = l.flow / l.sat;
    if (y > stages[l.stage].criticalY) {
      stages[l.stage].criticalY = y;
      stages[l.stage].criticalLane = l.id;
    }
  }
  const startup = opts.startupLostS ?? 2;
  const amberUsed = opts.amberUsedS ?? 0;
  // Amber each link shows per cycle: a green that ends in amber keeps up to `amberUsed` of it as effective green.
  const amberOf = (ps: readonly SignalPhase[], link: number): number =>
    Math.min(
      amberUsed,
      ps.reduce((a, p) => a + (p.state[link] === 'y' || p.state[link] === 'Y' ? p.durationS : 0), 0),
    );
  // Per stage: the amber used after it (the amber shown, in the next phase, to a link green in its last phase).
  const stageAmberUsed = stages.map((s) => {
    const last = [s.phase, ...s.extensions].at(-1) as number; // extensions are kept in cycle order
    const next = phases[(last + 1) % phases.length];
    const ends = vehicle.filter((l) => isGreen(phases[last].state[l.index]) && /[yY]/.test(next.state[l.index]));
    return ends.length > 0 ? Math.min(amberUsed, next.durationS) : 0;
  });
  const lostTimeS = Math.max(
    0,
    phases.reduce((a, p, i) => a + (stageOfPhase.has(i) ? 0 : p.durationS), 0) +
      startup * stages.length -
      stageAmberUsed.reduce((a, b) => a + b, 0),
  );
  const minGreen = opts.minGreenS ?? 5;
  const walk = opts.pedestrianWalkS ?? 7;
  const pedLinks = controller.links.filter((l) => l.pedestrian).map((l) => l.index);
  // Per stage: its walk phases (a pedestrian crossing green) and vehicle-only phases. A stage with both gets the
  // walk interval in its walk phases and the rest of its green in its vehicle-only phases (turning vehicles then
  // flow without yielding to pedestrians, and the vehicle-only time clears the crossing); otherwise its
  // extensions keep their duration and its first phase takes the rest.
  const layout = stages.map((s) => {
    const all = [s.phase, ...s.extensions];
    const walking = all.filter((p) => pedLinks.some((i) => isGreen(phases[p].state[i])));
    const vehicleOnly = all.filter((p) => !walking.includes(p));
    const split = walking.length > 0 && vehicleOnly.length > 0;
    const fixedS = split ? 0 : s.extensions.reduce((a, e) => a + phases[e].durationS, 0);
    // HCM's pedestrian minimum green of the longest crossing that walks in this stage (its walk and clearance
    // run within the stage's green: the walk phase, then the vehicle-only phase).
    const crossings = controller.links.filter(
      (l) =>
        opts.pedestrianSpeedMps !== undefined &&
        l.pedestrian &&
        l.crossingM !== undefined &&
        walking.some((p) => isGreen(phases[p].state[l.index])),
    );
    const pedMinS = Math.max(
      0,
      ...crossings.map((l) =>
        pedestrianMinGreen({ crossingM: l.crossingM as number, speedMps: opts.pedestrianSpeedMps }),
      ),
    );
    const minS = Math.max(
      split ? walk * walking.length + minGreen * vehicleOnly.length : minGreen + fixedS,
      Math.ceil(pedMinS),
    );
    return { all, walking, vehicleOnly, split, fixedS, minS };
  });
  const intergreenS = phases.reduce((a, p, i) => a + (stageOfPhase.has(i) ? 0 : p.durationS), 0);
  const minCycleS = Math.max(opts.minCycleS ?? 40, intergreenS + layout.reduce((a, l) => a + l.minS, 0));
  const maxCycleS = Math.max(minCycleS, opts.maxCycleS ?? 120);
  const web = websterCycle({
    lostTimeS,
    flowRatios: stages.map((s) => s.criticalY),
    minCycleS,
    maxCycleS,
  });
  // The proposal for a cycle: effective greens in proportion to y, displayed = effective + start-up − amber used.
  const phasesFor = (cycleS: number, weights: readonly number[] = splitY): SignalPhase[] => {
    const effective = greenSplits(
      cycleS,
      lostTimeS,
      weights,
      layout.map((l, i) => Math.max(0, l.minS - startup + stageAmberUsed[i])),
    );
    const out = phases.map((p) => ({ ...p }));
    stages.forEach((s, i) => {
      const l = layout[i];
      const displayed = effective[i] + startup - stageAmberUsed[i];
      if (l.split) {
        for (const p of l.walking) out[p].durationS = walk;
        const rest = (displayed - walk * l.walking.length) / l.vehicleOnly.length;
        for (const p of l.vehicleOnly) out[p].durationS = Math.max(minGreen, Math.round(rest));
      } else {
        out[s.phase].durationS = Math.max(minGreen, Math.round(displayed - l.fixedS));
      }
    });
    return out;
  };
  const byDelay = opts.cycleChoice === 'delay';
  // Saturation flow of a lane with permitted lefts at a given cycle and green: the left turners' capacity from
  // gap acceptance and sneakers (per hour of green) combined with the rest of the lane's flow by harmonic mean.
  const laneSaturation = (l: Lane, cycleS: number, greenS: number): number => {
    if (l.permittedLeftShare <= 0 || l.opposing.length === 0) return l.sat;
    const vo = l.opposing.reduce((a, o) => a + (linkFlow.get(o.index) ?? 0), 0);
    const so = new Set(l.opposing.map((o) => o.lane)).size * (opts.baseSaturationPcuH ?? BASE_SATURATION_PCU_H);
    const sLeft = Math.min(
      (opts.baseSaturationPcuH ?? BASE_SATURATION_PCU_H) / 1.05,
      (permittedLeftCapacity({ cycleS, greenS, opposingPcuH: vo, opposingSaturationPcuH: so }) * cycleS) / greenS,
    );
    const pl = l.permittedLeftShare;
    return 1 / (pl / sLeft + (1 - pl) / l.satOther);
  };
  const evaluate = (ps: SignalPhase[]): PlanEvaluation => {
    const cycleS = ps.reduce((a, p) => a + p.durationS, 0);
    const laneResults: LaneResult[] = laneList.map((l) => {
      // Effective green of the lane: phases where its main link is green, less the start-up loss.
      const greenS = Math.max(
        1,
        ps.reduce((a, p) => a + (isGreen(p.state[l.main.index]) ? p.durationS : 0), 0) -
          startup +
          amberOf(ps, l.main.index),
      );
      const green = Math.min(greenS, cycleS);
      const input = {
        cycleS,
        greenS: green,
        flowPcuH: l.flow,
        saturationPcuH: byDelay ? laneSaturation(l, cycleS, green) : l.sat,
        periodH: opts.periodH,
      };
      const d = hcmDelay(input);
      return {
        lane: l.id,
        approach: l.approach,
        stage: l.stage,
        flowPcuH: l.flow,
        saturationPcuH: input.saturationPcuH,
        saturationSource: l.source,
        measuredHeadways: l.headways,
        greenS: input.greenS,
        X: d.X,
        delayS: d.delayS,
        queue95Pcu: queue95(input),
      };
    });
    const byApproach = new Map<string, LaneResult[]>();
    for (const r of laneResults) {
      const a = byApproach.get(r.approach);
      if (a) a.push(r);
      else byApproach.set(r.approach, [r]);
    }
    const approaches: ApproachResult[] = [...byApproach].map(([approach, rs]) => {
      const flow = rs.reduce((a, r) => a + r.flowPcuH, 0);
      const delayS = flow > 0 ? rs.reduce((a, r) => a + r.delayS * r.flowPcuH, 0) / flow : 0;
      return {
        approach,
        flowPcuH: flow,
        delayS,
        los: levelOfService(delayS),
        X: Math.max(...rs.map((r) => r.X)),
        queue95Pcu: rs.reduce((a, r) => a + r.queue95Pcu, 0),
      };
    });
    const total = laneResults.reduce((a, r) => a + r.flowPcuH, 0);
    const delayS = total > 0 ? laneResults.reduce((a, r) => a + r.delayS * r.flowPcuH, 0) / total : 0;
    return { cycleS, phases: ps, lanes: laneResults, approaches, delayS, los: levelOfService(delayS) };
  };
  // Queue storage: the Webster cycle unless a lane's 95th-percentile queue would not fit in it.
  const spacing = opts.queueSpacingM ?? 7;
  const storageOf = new Map(
    laneList.map((l) => [l.id, l.main.storageM !== undefined ? l.main.storageM / spacing : Number.POSITIVE_INFINITY]),
  );
  const worstRatio = (ev: PlanEvaluation): number =>
    Math.max(0, ...ev.lanes.filter((r) => r.flowPcuH > 0).map((r) => r.queue95Pcu / (storageOf.get(r.lane) ?? 1)));
  let cycleS = opts.cycleS !== undefined ? Math.max(minCycleS, opts.cycleS) : web.cycleS;
  let proposed = evaluate(phasesFor(cycleS));
  let storageBound = false;
  if (opts.cycleS === undefined && byDelay) {
    // least HCM delay among the cycles whose queues fit (else the smallest worst queue/storage ratio)
    let best: { c: number; ev: PlanEvaluation; ratio: number } | null = null;
    for (let c = Math.ceil(minCycleS); c <= maxCycleS; c++) {
      const ev = evaluate(phasesFor(c));
      const ratio = worstRatio(ev);
      const better =
        best === null ||
        (ratio <= 1 && (best.ratio > 1 || ev.delayS < best.ev.delayS)) ||
        (ratio > 1 && best.ratio > 1 && ratio < best.ratio);
      if (better) best = { c, ev, ratio };
    }
    if (best) {
      cycleS = best.c;
      proposed = best.ev;
    }
  } else if (opts.cycleS === undefined && worstRatio(proposed) > 1) {
    let best: { c: number; ratio: number; fits: boolean } | null = null;
    for (let c = Math.ceil(minCycleS); c <= maxCycleS; c++) {
      const ratio = worstRatio(evaluate(phasesFor(c)));
      const fits = ratio <= 1;
      const better =
        best === null ||
        (fits && !best.fits) ||
        (fits && best.fits && Math.abs(c - web.cycleS) < Math.abs(best.c - web.cycleS)) ||
        (!fits && !best.fits && ratio < best.ratio);
      if (better) best = { c, ratio, fits };
    }
    if (best && best.c !== Math.round(cycleS)) {
      cycleS = best.c;
      proposed = evaluate(phasesFor(cycleS));
      storageBound = true;
    }
  }
  const current = evaluate(phases.map((p) => ({ ...p })));
  // No gain, no change: the retiming must predict `minGain` with the plain split; the spill-back reserve, whose
  // benefit (no queue reaching the upstream junction) an isolated-junction model cannot see, may then cost some of
  // that predicted gain but not all of it.
  const plain =
    (opts.spillbackReserve ?? 0) > 0
      ? evaluate(
          phasesFor(
            cycleS,
            stages.map((s) => s.criticalY),
          ),
        )
      : proposed;
  const keptCurrent =
    !(plain.delayS < current.delayS * (1 - (opts.minGain ?? 0))) || !(proposed.delayS < current.delayS);
  const final = keptCurrent ? evaluate(phases.map((p) => ({ ...p }))) : proposed;
  if (!keptCurrent && opts.control === 'actuated') {
    const factor = opts.maxGreenFactor ?? 2;
    if (!(factor >= 1)) throw new Error(`maxGreenFactor must be at least 1 (got ${factor})`);
    layout.forEach((l, i) => {
      for (const p of l.split ? l.vehicleOnly : [stages[i].phase]) {
        const ph = final.phases[p];
        ph.minDurS = Math.min(minGreen, ph.durationS);
        ph.maxDurS = Math.max(ph.durationS, Math.round(factor * ph.durationS));
      }
    });
  }
  return {
    controller: controller.id,
    current,
    proposed: final,
    stages,
    lostTimeS,
    Y: web.Y,
    nearCapacity: web.nearCapacity,
    websterOptimumS: web.optimumS,
    keptCurrent,
    storageBound,
    minCycleS,
    stageStartsS: stageStarts(final.phases, stages),
  };
}

/**
 * Fewest saturated headways behind a measured saturation flow the planner uses (`PlanOptions.minMeasuredHeadways`):
 * with a headway standard deviation of about 0.6 s on a mean of 2 s (an assumption, not measured here), 30
 * headways put the mean within ±0.2 s (±11 % of the flow) at 95 %.
 */
export const MIN_MEASURED_HEADWAYS = 30;

/**
 * Saturation flow of a lane from measured queue discharge (`PlanOptions.measuredSaturation`). A movement's measured
 * discharge S_m is over all the lanes serving it, and where a lane is shared its queued road users leave interleaved
 * with the other movements' (a movement's headways span the others'): the lane's part of it, S_m × the lane's share
 * of the movement's flow, is the lane's saturation flow × the movement's share of the lane's flow. So the lane's
 * saturation flow is the sum of its measured movements' parts over the sum of their shares of its flow (a ratio
 * estimate: the unmeasured movements are taken to leave at the same rate). An exclusive lane of a movement served
 * by n lanes gets S_m / n; a shared lane whose straight-on road users (2/3 of its flow) leave at 1,200 PCU/h gets
 * 1,800. Undefined (the HCM default) when the movements measured with enough headways carry less than
 * `MIN_MEASURED_SHARE` of the lane's flow.
 */
function measuredLaneSaturation(
  ls: readonly SignalLink[],
  linksOf: ReadonlyMap<string, readonly SignalLink[]>,
  linkFlow: ReadonlyMap<number, number>,
  opts: PlanOptions,
): { sat: number; headways: number } | undefined {
  const m = opts.measuredSaturation;
  if (!m || m.size === 0) return undefined;
  const floor = opts.minMeasuredHeadways ?? MIN_MEASURED_HEADWAYS;
  const laneFlow = ls.reduce((a, l) => a + (linkFlow.get(l.index) ?? 0), 0);
  let part = 0;
  let share = 0;
  const used = new Set<string>();
  for (const l of ls) {
    const q = linkFlow.get(l.index) ?? 0;
    const k = movementKey(l.from, l.to);
    const meas = m.get(k);
    if (!meas || meas.headways < floor || !(meas.pcuH > 0)) continue;
    const all = linksOf.get(k) ?? [l];
    const qm = all.reduce((a, x) => a + (linkFlow.get(x.index) ?? 0), 0);
    part += meas.pcuH * (qm > 0 ? q / qm : 1 / all.length);
    share += laneFlow > 0 ? q / laneFlow : 1 / ls.length;
    used.add(k);
  }
  if (used.size === 0 || share < MIN_MEASURED_SHARE || !(part > 0)) return undefined;
  return { sat: part / share, headways: [...used].reduce((a, k) => a + (m.get(k)?.headways ?? 0), 0) };
}

/** Share of a lane's flow whose movements must be measured for the lane to take a measured saturation flow. */
export const MIN_MEASURED_SHARE = 0.5;

/** Saturation flow of a lane from the turn shares of its links' flows (`saturationFlow`). */
function laneSaturationFlow(
  ls: readonly SignalLink[],
  linkFlow: ReadonlyMap<number, number>,
  phases: readonly SignalPhase[],
  base: number | undefined,
): number {
  const flow = ls.reduce((a, l) => a + (linkFlow.get(l.index) ?? 0), 0);
  const share = (t: (turn: Turn) => boolean): number =>
    flow > 0 ? ls.filter((l) => t(l.turn)).reduce((a, l) => a + (linkFlow.get(l.index) ?? 0), 0) / flow : 0;
  const lefts = ls.filter((l) => l.turn === 'l' || l.turn === 'L' || l.turn === 't');
  return saturationFlow({
    base,
    rightShare: share((t) => t === 'r' || t === 'R'),
    leftShare: share((t) => t === 'l' || t === 'L' || t === 't'),
    leftPermitted: !lefts.every((l) => phases.some((p) => p.state[l.index] === 'G')),
  });
}

/**
 * Lane choice: a movement served from several lanes (a straight-on movement from a right-and-straight lane and a
 * straight-and-left lane) is shared among them so that their flow ratios q / s come out equal, as drivers join the
 * shorter queue (HCM's lane-utilisation principle; in through-car equivalents the lanes carry equal loads). Water
 * filling per movement with the lanes' other flows fixed, repeated until the shares settle (a lane's saturation
 * flow depends on its turn shares). Changes `linkFlow` in place; movements served by one lane are unchanged.
 */
function equaliseLanes(
  linksOf: ReadonlyMap<string, SignalLink[]>,
  lanes: ReadonlyMap<string, SignalLink[]>,
  linkFlow: Map<number, number>,
  phases: readonly SignalPhase[],
  flows: MovementFlows,
  opts: PlanOptions,
): void {
  const shared = [...linksOf].filter(([, ls]) => new Set(ls.map((l) => l.lane)).size > 1);
  if (shared.length === 0) return;
  for (let round = 0; round < 50; round++) {
    let moved = 0;
    for (const [k, ls] of shared) {
      const q = flows.get(k) ?? 0;
      if (!(q > 0)) continue;
      // per lane: its saturation flow now, and the flow of its other movements
      const cand = ls.map((l) => {
        const laneLinks = lanes.get(l.lane) ?? [l];
        const other = laneLinks.reduce((a, o) => a + (o === l ? 0 : (linkFlow.get(o.index) ?? 0)), 0);
        return { l, other, sat: laneSaturationFlow(laneLinks, linkFlow, phases, opts.baseSaturationPcuH) };
      });
      let active = cand;
      let level = 0;
      for (;;) {
        level = (q + active.reduce((a, c) => a + c.other, 0)) / active.reduce((a, c) => a + c.sat, 0);
        const next = active.filter((c) => level * c.sat - c.other > 0);
        if (next.length === active.length || next.length === 0) break;
        active = next;
      }
      for (const c of cand) {
        const x = active.includes(c) ? Math.max(0, level * c.sat - c.other) : 0;
        const share = active.length > 0 ? x : q / cand.length;
        moved += Math.abs(share - (linkFlow.get(c.l.index) ?? 0));
        linkFlow.set(c.l.index, share);
      }
      // rounding guard: the movement's flow is kept whole
      const sum = cand.reduce((a, c) => a + (linkFlow.get(c.l.index) ?? 0), 0);
      if (sum > 0) for (const c of cand) linkFlow.set(c.l.index, ((linkFlow.get(c.l.index) ?? 0) * q) / sum);
    }
    if (moved < 1e-6) break;
  }
}

/** Start of each stage's first (adjustable) phase, seconds after the start of phase 0. */
export function stageStarts(phases: readonly SignalPhase[], stages: readonly StageInfo[]): number[] {
  return stages.map((s) => phases.slice(0, s.phase).reduce((a, p) => a + p.durationS, 0));
}

/** Stages of a plan: runs of green phases with the same vehicle greens (see the module comment). */
export function findStages(controller: SignalController): StageInfo[] {
  const vehicle = controller.links.filter((l) => !l.pedestrian).map((l) => l.index);
  const greens = (p: SignalPhase): string => vehicle.map((i) => (isGreen(p.state[i]) ? '1' : '0')).join('');
  const intergreen = (p: SignalPhase): boolean =>
    vehicle.some((i) => p.state[i] === 'y' || p.state[i] === 'Y') || !vehicle.some((i) => isGreen(p.state[i]));
  const stages: StageInfo[] = [];
  let prev: string | null = null;
  controller.phases.forEach((p, i) => {
    if (intergreen(p)) {
      prev = null;
      return;
    }
    const g = greens(p);
    if (prev !== null && g === prev) stages[stages.length - 1].extensions.push(i);
    else stages.push({ phase: i, extensions: [], criticalY: 0, criticalLane: null });
    prev = g;
  });
  // A cycle that starts in the middle of a stage: the last stage continues into the first.
  if (stages.length > 1 && prev !== null) {
    const first = stages[0];
    const last = stages[stages.length - 1];
    if (greens(controller.phases[first.phase]) === greens(controller.phases[last.phase])) {
      last.extensions.push(first.phase, ...first.extensions);
      stages.shift();
    }
  }
  return stages;
}

function validateController(c: SignalController): void {
  const n = c.links.length;
  const problems: string[] = [];
  if (c.phases.length === 0) problems.push('no phases');
  c.phases.forEach((p, i) => {
    if (p.state.length < n) problems.push(`phase ${i}: state has ${p.state.length} characters for ${n} links`);
    if (!(p.durationS > 0)) problems.push(`phase ${i}: duration must be > 0`);
  });
  c.links.forEach((l) => {
    if (!(l.index >= 0 && l.index < (c.phases[0]?.state.length ?? 0))) problems.push(`link ${l.index} out of range`);
  });
  if (problems.length > 0) {
    throw new PassageError(
      'PASSAGE_SIGNALS_INPUT',
      `Signal controller ${c.id} is inconsistent: ${problems.join('; ')}. Fix its description in the site registry.`,
    );
  }
}
