/**
 * Signal-timing arithmetic from textbook traffic engineering (pure, no I/O):
 * - passenger-car units per mode;
 * - Webster's optimal cycle C0 = (1.5 L + 5) / (1 − Y) and green splits proportional to the critical flow ratios,
 *   within minimum greens and cycle bounds (Webster, Road Research Technical Paper 39, 1958);
 * - HCM 2000 signalised-approach control delay d = d1 + d2 (uniform + incremental, eq. 16-9/16-11/16-12, no
 *   initial queue, progression factor 1), level of service (HCM exhibit 16-2), and a 95th-percentile back of queue
 *   (mean queue at the end of red plus overflow, Poisson tail).
 * Flows are per hour (PCU/h), times in seconds.
 */

import type { Mode } from '../counting/types.ts';
import { PassageError } from '../errors.ts';

/**
 * Passenger-car units per mode (defaults, configurable): car and van 1, motorcycle 0.4, bicycle 0.2, truck and
 * bus 2.0 (HCM's heavy-vehicle equivalent E_T = 2.0; UK practice uses 0.4 and 0.2 for two-wheelers). Pedestrians
 * do not use the carriageway: 0.
 */
export const DEFAULT_PCU: Readonly<Record<Mode, number>> = Object.freeze({
  pedestrian: 0,
  bicycle: 0.2,
  motorcycle: 0.4,
  car: 1,
  van: 1,
  truck: 2,
  bus: 2,
});

/** Modes that count as heavy vehicles (heavy-vehicle share of an approach). */
export const HEAVY_MODES: readonly Mode[] = ['truck', 'bus'];

/** Base saturation flow per lane, PCU per hour of green (HCM 2000: 1,900; Webster/UK practice about 1,800). */
export const BASE_SATURATION_PCU_H = 1800;

/** HCM-style saturation-flow adjustment for the turns a lane carries (shares of its flow). */
export function saturationFlow(opts: {
  base?: number;
  rightShare?: number;
  leftShare?: number;
  /** Left turns yield to opposing traffic (permitted) rather than having their own protected stage. */
  leftPermitted?: boolean;
}): number {
  const base = opts.base ?? BASE_SATURATION_PCU_H;
  const right = clamp01(opts.rightShare ?? 0);
  const left = clamp01(opts.leftShare ?? 0);
  // HCM 2000 eq. 16-4/16-5 (protected left E_L = 1/0.95; right turns in a shared lane f_RT = 1 − 0.15 P_RT) and a
  // simple permitted-left factor (E_L ≈ 1/0.6 for a left turn filtering through opposing flow).
  const fRight = 1 - 0.15 * right;
  const fLeft = 1 / (1 + left * ((opts.leftPermitted ? 1 / 0.6 : 1 / 0.95) - 1));
  return base * fRight * fLeft;
}

export interface WebsterInput {
  /** Total lost time per cycle, seconds (intergreens + start-up losses − end gains). */
  lostTimeS: number;
  /** Critical flow ratio y = q / s of each stage. */
  flowRatios: readonly number[];
  /** @default 30 */
  minCycleS?: number;
  /** @default 120 */
  maxCycleS?: number;
}

export interface WebsterResult {
  /** Unbounded Webster optimum (Infinity when Y ≥ 1). */
  optimumS: number;
  /** Optimum within [minCycleS, maxCycleS]. */
  cycleS: number;
  /** Sum of critical flow ratios. */
  Y: number;
  /** Y ≥ 0.9: the junction is near or over capacity, the cycle is set to its maximum. */
  nearCapacity: boolean;
}

/** Webster's optimal cycle, bounded. */
export function websterCycle(input: WebsterInput): WebsterResult {
  const minC = input.minCycleS ?? 30;
  const maxC = input.maxCycleS ?? 120;
  if (!(input.lostTimeS >= 0) || !(minC > 0) || !(maxC >= minC) || input.flowRatios.some((y) => !(y >= 0))) {
    throw new PassageError(
      'PASSAGE_SIGNALS_INPUT',
      'Webster needs a non-negative lost time, non-negative flow ratios and 0 < minCycleS ≤ maxCycleS.',
    );
  }
  const Y = input.flowRatios.reduce((a, b) => a + b, 0);
  const optimumS = Y < 1 ? (1.5 * input.lostTimeS + 5) / (1 - Y) : Number.POSITIVE_INFINITY;
  const nearCapacity = Y >= 0.9;
  const cycleS = nearCapacity ? maxC : Math.min(maxC, Math.max(minC, optimumS));
  return { optimumS, cycleS, Y, nearCapacity };
}

/**
 * Effective green of each stage: (C − L) shared in proportion to the critical flow ratios, then raised to the
 * stage's minimum green where needed (the others shrink in proportion). When the minima alone exceed C − L the
 * minima are returned (the caller must lengthen the cycle).
 */
export function greenSplits(
  cycleS: number,
  lostTimeS: number,
  flowRatios: readonly number[],
  minGreensS: readonly number[] = [],
): number[] {
  const n = flowRatios.length;
  const available = cycleS - lostTimeS;
  const mins = flowRatios.map((_, i) => minGreensS[i] ?? 0);
  if (available <= mins.reduce((a, b) => a + b, 0)) return mins.slice();
  const fixed = new Array<boolean>(n).fill(false);
  const g = new Array<number>(n).fill(0);
  for (let round = 0; round <= n; round++) {
    let free = available;
    let ySum = 0;
    for (let i = 0; i < n; i++) {
      if (fixed[i]) free -= mins[i];
      else ySum += flowRatios[i];
    }
    let changed = false;
    for (let i = 0; i < n; i++) {
      if (fixed[i]) {
        g[i] = mins[i];
        continue;
      }
      const open = n - fixed.filter(Boolean).length;
      g[i] = ySum > 0 ? (free * flowRatios[i]) / ySum : free / open;
      if (g[i] < mins[i]) {
        fixed[i] = true;
        changed = true;
      }
    }
    if (!changed) break;
  }
  return g;
}

/**
 * Capacity of a permitted left turn that filters through the opposing flow, PCU/h (textbook two-part model, as in
 * HCM 2000's permitted-left procedure): the opposing queue first discharges for g_q = v_o (C − g) / (s_o − v_o)
 * (the whole green when v_o ≥ s_o); in the rest of the green, g_u = g − g_q, left turners take gaps in the opposing
 * flow at the gap-acceptance rate s_f = v_o e^(−v_o t_c / 3600) / (1 − e^(−v_o t_f / 3600)) (3600 / t_f without
 * opposing flow; critical gap t_c 4.5 s, follow-up t_f 2.5 s); and `sneakers` per cycle (2) clear at the end of
 * green: c_L = s_f g_u / C + sneakers · 3600 / C. Shorter cycles give more sneakers per hour.
 */
export function permittedLeftCapacity(opts: {
  cycleS: number;
  greenS: number;
  /** Opposing through and right-turn flow, PCU/h, and its saturation flow (all its lanes), PCU/h of green. */
  opposingPcuH: number;
  opposingSaturationPcuH: number;
  criticalGapS?: number;
  followUpS?: number;
  sneakersPerCycle?: number;
}): number {
  const { cycleS: C, greenS: g, opposingPcuH: vo, opposingSaturationPcuH: so } = opts;
  const tc = opts.criticalGapS ?? 4.5;
  const tf = opts.followUpS ?? 2.5;
  if (!(C > 0) || !(g > 0) || g > C || !(vo >= 0) || !(so > 0) || !(tc > 0) || !(tf > 0)) {
    throw new PassageError(
      'PASSAGE_SIGNALS_INPUT',
      `A permitted left capacity needs 0 < green ≤ cycle, a non-negative opposing flow and positive gaps (cycle ${C}, green ${g}).`,
    );
  }
  const gq = vo >= so ? g : Math.min(g, (vo * (C - g)) / (so - vo));
  const gu = Math.max(0, g - gq);
  const sf = vo > 0 ? (vo * Math.exp((-vo * tc) / 3600)) / (1 - Math.exp((-vo * tf) / 3600)) : 3600 / tf;
  return (sf * gu) / C + ((opts.sneakersPerCycle ?? 2) * 3600) / C;
}

/**
 * HCM 2000 minimum green of a vehicle phase that runs with a pedestrian crossing (eq. 16-2):
 * G_p = 3.2 + L / S_p + 0.27 N_ped (effective crosswalk width ≤ 3.0 m), or + 0.81 N_ped / W_E (wider): 3.2 s
 * pedestrian start-up, L the crossing length (m), S_p the walking speed (1.2 m/s), N_ped the pedestrians crossing
 * per interval. Seconds.
 */
export function pedestrianMinGreen(opts: {
  crossingM: number;
  speedMps?: number;
  pedestriansPerCycle?: number;
  widthM?: number;
}): number {
  const sp = opts.speedMps ?? 1.2;
  const n = opts.pedestriansPerCycle ?? 0;
  const w = opts.widthM ?? 3;
  if (!(opts.crossingM >= 0) || !(sp > 0) || !(n >= 0) || !(w > 0)) {
    throw new PassageError(
      'PASSAGE_SIGNALS_INPUT',
      'A pedestrian minimum green needs a non-negative crossing length, a positive walking speed and width.',
    );
  }
  return 3.2 + opts.crossingM / sp + (w > 3 ? (0.81 * n) / w : 0.27 * n);
}

/**
 * Offset of a downstream junction for progression along one link (the platoon released at the start of the
 * upstream green reaches the downstream stop line after the link travel time, when its green starts):
 * offset_down = offset_up + greenStart_up + travel − greenStart_down, modulo the common cycle. Offsets and green
 * starts are seconds into the cycle (a program's phase 0 starts at its offset).
 */
export function progressionOffset(opts: {
  cycleS: number;
  upstreamOffsetS: number;
  upstreamGreenStartS: number;
  travelS: number;
  downstreamGreenStartS: number;
}): number {
  const C = opts.cycleS;
  if (!(C > 0)) throw new PassageError('PASSAGE_SIGNALS_INPUT', 'A progression offset needs a positive cycle.');
  const raw = opts.upstreamOffsetS + opts.upstreamGreenStartS + opts.travelS - opts.downstreamGreenStartS;
  return ((raw % C) + C) % C;
}

export interface DelayInput {
  cycleS: number;
  /** Effective green of the lane group, seconds. */
  greenS: number;
  /** Demand flow, PCU/h. */
  flowPcuH: number;
  /** Saturation flow, PCU/h of green. */
  saturationPcuH: number;
  /** Analysis period, hours. @default 0.25 */
  periodH?: number;
  /** Incremental delay factor k (0.5 pretimed). @default 0.5 */
  k?: number;
  /** Upstream filtering factor I (1 for an isolated junction). @default 1 */
  I?: number;
}

export interface DelayResult {
  /** Capacity c = s g / C, PCU/h. */
  capacityPcuH: number;
  /** Degree of saturation X = v / c. */
  X: number;
  /** Uniform delay d1, s/veh. */
  uniformS: number;
  /** Incremental (random + oversaturation) delay d2, s/veh. */
  incrementalS: number;
  /** Control delay d1 + d2, s/veh. */
  delayS: number;
}

/** HCM 2000 control delay of a lane group (eq. 16-9 with PF = 1 and no initial queue). */
export function hcmDelay(input: DelayInput): DelayResult {
  const { cycleS: C, greenS: g, flowPcuH: v, saturationPcuH: s } = input;
  const T = input.periodH ?? 0.25;
  const k = input.k ?? 0.5;
  const I = input.I ?? 1;
  if (!(C > 0) || !(g > 0) || g > C || !(s > 0) || !(v >= 0)) {
    throw new PassageError(
      'PASSAGE_SIGNALS_INPUT',
      `HCM delay needs 0 < green ≤ cycle and a positive saturation flow (cycle ${C}, green ${g}, s ${s}, v ${v}).`,
    );
  }
  const gC = g / C;
  const c = s * gC;
  const X = v / c;
  const uniformS = (0.5 * C * (1 - gC) ** 2) / (1 - Math.min(1, X) * gC);
  const incrementalS = 900 * T * (X - 1 + Math.sqrt((X - 1) ** 2 + (8 * k * I * X) / (c * T)));
  return { capacityPcuH: c, X, uniformS, incrementalS, delayS: uniformS + incrementalS };
}

/** HCM level of service of a signalised junction or approach from control delay (exhibit 16-2). */
export function levelOfService(delayS: number): 'A' | 'B' | 'C' | 'D' | 'E' | 'F' {
  if (delayS <= 10) return 'A';
  if (delayS <= 20) return 'B';
  if (delayS <= 35) return 'C';
  if (delayS <= 55) return 'D';
  if (delayS <= 80) return 'E';
  return 'F';
}

/**
 * 95th-percentile back of queue, vehicles (PCU): the mean queue at the end of red, v r / (1 − v/s), plus the mean
 * overflow queue of an oversaturated period ((X − 1) c T / 2 when X > 1), with a Poisson tail Q + 1.645 √Q. An
 * approximation in the spirit of HCM's appendix G, stated as such.
 */
export function queue95(input: DelayInput): number {
  const T = input.periodH ?? 0.25;
  const red = input.cycleS - input.greenS;
  const vps = input.flowPcuH / 3600;
  const sps = input.saturationPcuH / 3600;
  const c = (input.saturationPcuH * input.greenS) / input.cycleS;
  const X = input.flowPcuH / c;
  const uniform = vps < sps ? (vps * red) / (1 - vps / sps) : vps * red;
  const overflow = X > 1 ? ((X - 1) * c * T) / 2 : 0;
  const q = uniform + overflow;
  return q + 1.645 * Math.sqrt(q);
}

/**
 * Time-of-day plans: splits a day's consecutive 15-min vectors (e.g. PCU per movement) into at most `maxPlans`
 * contiguous periods minimising the within-period sum of squared deviations of the flow-normalised vectors (so a
 * period groups intervals with the same pattern and level), each at least `minIntervals` long. Dynamic
 * programming, O(k n² d). Returns the start index of each period.
 */
export function segmentTimeOfDay(
  vectors: readonly (readonly number[])[],
  maxPlans: number,
  minIntervals = 4,
): number[] {
  const n = vectors.length;
  if (n === 0) return [];
  const d = vectors[0].length;
  const scale = Math.max(1e-9, ...vectors.map((v) => v.reduce((a, b) => a + b, 0))) / Math.max(1, d);
  const x = vectors.map((v) => v.map((a) => a / scale));
  // Prefix sums of values and squares for O(d) segment costs.
  const s1 = [new Array<number>(d).fill(0)];
  const s2 = [0];
  for (let i = 0; i < n; i++) {
    s1.push(s1[i].map((a, j) => a + x[i][j]));
    s2.push(s2[i] + x[i].reduce((a, b) => a + b * b, 0));
  }
  const cost = (a: number, b: number): number => {
    const len = b - a;
    let c = s2[b] - s2[a];
    for (let j = 0; j < d; j++) {
      const m = s1[b][j] - s1[a][j];
      c -= (m * m) / len;
    }
    return c;
  };
  const K = Math.max(1, Math.min(maxPlans, Math.floor(n / Math.max(1, minIntervals))));
  const best: number[][] = Array.from({ length: K + 1 }, () => new Array<number>(n + 1).fill(Number.POSITIVE_INFINITY));
  const from: number[][] = Array.from({ length: K + 1 }, () => new Array<number>(n + 1).fill(-1));
  best[0][0] = 0;
  for (let k = 1; k <= K; k++) {
    for (let b = k * minIntervals; b <= n; b++) {
      for (let a = (k - 1) * minIntervals; a <= b - minIntervals; a++) {
        if (!Number.isFinite(best[k - 1][a])) continue;
        const c = best[k - 1][a] + cost(a, b);
        if (c < best[k][b]) {
          best[k][b] = c;
          from[k][b] = a;
        }
      }
    }
  }
  // Fewest plans whose cost is within 5 % of the best achievable: a plan change must buy a real improvement.
  let kBest = 1;
  const floor = Math.min(...best.slice(1).map((r) => r[n]));
  const total = best[1][n];
  for (let k = 1; k <= K; k++) {
    if (best[k][n] - floor <= 0.05 * Math.max(total, 1e-9)) {
      kBest = k;
      break;
    }
  }
  const starts: number[] = [];
  for (let k = kBest, b = n; k > 0; k--) {
    const a = from[k][b];
    starts.unshift(a);
    b = a;
  }
  return starts;
}

function clamp01(v: number): number {
  return Math.min(1, Math.max(0, v));
}
