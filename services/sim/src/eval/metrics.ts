/**
 * Evaluation metrics of traffic engineering and classification, as pure functions.
 *
 * GEH (Geoffrey E. Havers) compares a modelled/measured flow M with a reference count C:
 *   GEH = sqrt(2 (M − C)² / (M + C)), and GEH = 0 when both are 0.
 * The usual acceptance criterion is GEH < 5 for at least 85 % of hourly cells.
 */
import { median as coreMedian } from '@passage/core';

export function geh(m: number, c: number): number {
  const s = m + c;
  if (s <= 0) return 0;
  const d = m - c;
  return Math.sqrt((2 * d * d) / s);
}

/** One cell of a table compared with the truth (a cell missing on one side counts 0 there). */
export interface CellComparison {
  key: string;
  truth: number;
  output: number;
  geh: number;
}

/**
 * Compare two tables cell by cell: rows are summed per key on each side, the union of keys is compared.
 * Sorted by key.
 */
export function compareCells<T, O>(
  truth: Iterable<T>,
  output: Iterable<O>,
  truthKey: (r: T) => string,
  truthValue: (r: T) => number,
  outputKey: (r: O) => string,
  outputValue: (r: O) => number,
): CellComparison[] {
  const cells = new Map<string, { truth: number; output: number }>();
  for (const r of truth) {
    const k = truthKey(r);
    const c = cells.get(k) ?? { truth: 0, output: 0 };
    c.truth += truthValue(r);
    cells.set(k, c);
  }
  for (const r of output) {
    const k = outputKey(r);
    const c = cells.get(k) ?? { truth: 0, output: 0 };
    c.output += outputValue(r);
    cells.set(k, c);
  }
  return [...cells.entries()]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([key, c]) => ({ key, truth: c.truth, output: c.output, geh: geh(c.output, c.truth) }));
}

export interface GehSummary {
  cells: number;
  /** Share of cells with GEH < threshold (1 when there are no cells). */
  shareBelow: number;
  threshold: number;
  meanGeh: number;
  maxGeh: number;
  truthTotal: number;
  outputTotal: number;
  /** (output − truth) / truth × 100; 0 when both are 0, ±Infinity when truth is 0 only. */
  totalErrorPct: number;
}

export function totalErrorPct(truth: number, output: number): number {
  if (truth === 0) return output === 0 ? 0 : Number.POSITIVE_INFINITY;
  return ((output - truth) / truth) * 100;
}

export function summarizeGeh(cells: ReadonlyArray<CellComparison>, threshold = 5): GehSummary {
  let below = 0;
  let sum = 0;
  let max = 0;
  let t = 0;
  let o = 0;
  for (const c of cells) {
    if (c.geh < threshold) below++;
    sum += c.geh;
    if (c.geh > max) max = c.geh;
    t += c.truth;
    o += c.output;
  }
  return {
    cells: cells.length,
    shareBelow: cells.length > 0 ? below / cells.length : 1,
    threshold,
    meanGeh: cells.length > 0 ? sum / cells.length : 0,
    maxGeh: max,
    truthTotal: t,
    outputTotal: o,
    totalErrorPct: totalErrorPct(t, o),
  };
}

/**
 * Pools GEH summaries of disjoint cell sets (e.g. OD mode groups): cells and totals summed, share and mean
 * weighted by cells, max of maxima.
 */
export function poolGeh(parts: ReadonlyArray<GehSummary>, threshold = 5): GehSummary {
  const cells = parts.reduce((a, p) => a + p.cells, 0);
  const weighted = (f: (p: GehSummary) => number) =>
    cells > 0 ? parts.reduce((a, p) => a + f(p) * p.cells, 0) / cells : 0;
  const t = parts.reduce((a, p) => a + p.truthTotal, 0);
  const o = parts.reduce((a, p) => a + p.outputTotal, 0);
  return {
    cells,
    shareBelow: cells > 0 ? weighted((p) => p.shareBelow) : 1,
    threshold,
    meanGeh: weighted((p) => p.meanGeh),
    maxGeh: parts.reduce((a, p) => Math.max(a, p.maxGeh), 0),
    truthTotal: t,
    outputTotal: o,
    totalErrorPct: totalErrorPct(t, o),
  };
}

/** Mode groups used for total count errors. */
export const MODE_GROUPS = {
  pedestrians: ['pedestrian'],
  bicycles: ['bicycle'],
  /** 'heavy' is Telraam's class of trucks and buses. */
  motorVehicles: ['motorcycle', 'car', 'van', 'truck', 'bus', 'heavy'],
} as const;
export type ModeGroup = keyof typeof MODE_GROUPS;
export const MODE_GROUP_NAMES = Object.keys(MODE_GROUPS) as ModeGroup[];

export function modeGroupOf(mode: string): ModeGroup | undefined {
  for (const g of MODE_GROUP_NAMES) if ((MODE_GROUPS[g] as readonly string[]).includes(mode)) return g;
  return undefined;
}

export interface GroupTotal {
  truth: number;
  output: number;
  errorPct: number;
}

/** Total count error by mode group. Rows of modes outside the groups are ignored. */
export function totalsByGroup<T, O>(
  truth: Iterable<T>,
  output: Iterable<O>,
  truthMode: (r: T) => string,
  truthValue: (r: T) => number,
  outputMode: (r: O) => string,
  outputValue: (r: O) => number,
): Record<ModeGroup, GroupTotal> {
  const acc = Object.fromEntries(MODE_GROUP_NAMES.map((g) => [g, { truth: 0, output: 0, errorPct: 0 }])) as Record<
    ModeGroup,
    GroupTotal
  >;
  for (const r of truth) {
    const g = modeGroupOf(truthMode(r));
    if (g) acc[g].truth += truthValue(r);
  }
  for (const r of output) {
    const g = modeGroupOf(outputMode(r));
    if (g) acc[g].output += outputValue(r);
  }
  for (const g of MODE_GROUP_NAMES) acc[g].errorPct = totalErrorPct(acc[g].truth, acc[g].output);
  return acc;
}

export interface ConfusionMatrix {
  labels: string[];
  /** matrix[i][j] = number of objects of true label i predicted as label j. */
  matrix: number[][];
}

/** Confusion matrix from (truth, predicted) pairs; labels default to the sorted union of both sides. */
export function confusionMatrix(
  pairs: Iterable<{ truth: string; predicted: string }>,
  labels?: readonly string[],
): ConfusionMatrix {
  const list = [...pairs];
  const ls = labels
    ? [...labels]
    : [...new Set(list.flatMap((p) => [p.truth, p.predicted]))].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const index = new Map(ls.map((l, i) => [l, i]));
  const matrix = ls.map(() => ls.map(() => 0));
  for (const p of list) {
    const i = index.get(p.truth);
    const j = index.get(p.predicted);
    if (i === undefined || j === undefined) continue;
    matrix[i][j]++;
  }
  return { labels: ls, matrix };
}

export interface ClassScore {
  precision: number;
  recall: number;
  f1: number;
  support: number;
}

/**
 * Per-class precision, recall, F1 and their unweighted mean (macro-F1) over the classes that occur in the truth
 * (support > 0). Undefined ratios (0/0) count as 0.
 */
export function classScores(cm: ConfusionMatrix): {
  perClass: Record<string, ClassScore>;
  macroF1: number;
  accuracy: number;
} {
  const n = cm.labels.length;
  const perClass: Record<string, ClassScore> = {};
  let f1Sum = 0;
  let classes = 0;
  let correct = 0;
  let total = 0;
  for (let i = 0; i < n; i++) {
    const tp = cm.matrix[i][i];
    let rowSum = 0;
    let colSum = 0;
    for (let j = 0; j < n; j++) {
      rowSum += cm.matrix[i][j];
      colSum += cm.matrix[j][i];
    }
    correct += tp;
    total += rowSum;
    const precision = colSum > 0 ? tp / colSum : 0;
    const recall = rowSum > 0 ? tp / rowSum : 0;
    const f1 = precision + recall > 0 ? (2 * precision * recall) / (precision + recall) : 0;
    perClass[cm.labels[i]] = { precision, recall, f1, support: rowSum };
    if (rowSum > 0) {
      f1Sum += f1;
      classes++;
    }
  }
  return { perClass, macroF1: classes > 0 ? f1Sum / classes : 0, accuracy: total > 0 ? correct / total : 0 };
}

/** Median (core's `median`), NaN for no value: an evaluation over nothing must not read as 0. */
export function median(values: ReadonlyArray<number>): number {
  return values.length === 0 ? Number.NaN : coreMedian(values);
}

/**
 * How an observed coverage of `k` of `n` intervals compares with their stated rate `rate`, when every interval
 * independently holds the truth with probability `rate` (binomial):
 * - `p`: exact two-sided p-value (the probability of an outcome no more likely than `k`);
 * - `chanceInBand`: the probability that such calibrated intervals land in the acceptance band [lo, hi] at all;
 *   with few cells it is small (16 cells and 95 % intervals: only 15 of 16 is inside 90–98 %, 37 %).
 */
export function coverageTest(
  k: number,
  n: number,
  rate = 0.95,
  band: readonly [number, number] = [0.9, 0.98],
): { p: number; chanceInBand: number } {
  if (n <= 0) return { p: Number.NaN, chanceInBand: Number.NaN };
  const logPmf: number[] = [n * Math.log1p(-rate)];
  for (let i = 0; i < n; i++) logPmf.push(logPmf[i] + Math.log((n - i) / (i + 1)) + Math.log(rate / (1 - rate)));
  const pmf = logPmf.map(Math.exp);
  const at = pmf[k] * (1 + 1e-9);
  let p = 0;
  let chanceInBand = 0;
  for (let i = 0; i <= n; i++) {
    if (pmf[i] <= at) p += pmf[i];
    if (i / n >= band[0] - 1e-12 && i / n <= band[1] + 1e-12) chanceInBand += pmf[i];
  }
  return { p: Math.min(1, p), chanceInBand };
}

/** Start (epoch ms) of the interval of `intervalS` seconds containing `ts`, aligned on the epoch. */
export function bucketStart(ts: number, intervalS: number): number {
  const ms = intervalS * 1000;
  return Math.floor(ts / ms) * ms;
}

/** A classified event (e.g. a line crossing) for track-level mode evaluation. No identifiers. */
export interface ModeEvent {
  /** Where: e.g. `${cameraId}|${lineId}|${direction}`. */
  key: string;
  /** Seconds (any common origin). */
  t: number;
  mode: string;
}

/**
 * Pair output events with truth events of the same key within `toleranceS`, greedily in time order (each event
 * used once), giving the (truth, predicted) pairs of `confusionMatrix`. Unmatched events are returned apart
 * (misses and false crossings), not as pairs.
 */
export function matchModeEvents(
  truth: ReadonlyArray<ModeEvent>,
  output: ReadonlyArray<ModeEvent>,
  toleranceS = 1.5,
): { pairs: { truth: string; predicted: string }[]; unmatchedTruth: number; unmatchedOutput: number } {
  const byKey = new Map<string, { t: ModeEvent[]; o: ModeEvent[] }>();
  for (const e of truth) {
    const g = byKey.get(e.key) ?? { t: [], o: [] };
    g.t.push(e);
    byKey.set(e.key, g);
  }
  for (const e of output) {
    const g = byKey.get(e.key) ?? { t: [], o: [] };
    g.o.push(e);
    byKey.set(e.key, g);
  }
  const pairs: { truth: string; predicted: string }[] = [];
  let unmatchedTruth = 0;
  let unmatchedOutput = 0;
  for (const g of byKey.values()) {
    g.t.sort((a, b) => a.t - b.t);
    g.o.sort((a, b) => a.t - b.t);
    const used = new Uint8Array(g.o.length);
    let start = 0;
    for (const te of g.t) {
      while (start < g.o.length && g.o[start].t < te.t - toleranceS) start++;
      let best = -1;
      let bestDt = Number.POSITIVE_INFINITY;
      for (let j = start; j < g.o.length && g.o[j].t <= te.t + toleranceS; j++) {
        const dt = Math.abs(g.o[j].t - te.t);
        if (!used[j] && dt < bestDt) {
          best = j;
          bestDt = dt;
        }
      }
      if (best < 0) {
        unmatchedTruth++;
        continue;
      }
      used[best] = 1;
      pairs.push({ truth: te.mode, predicted: g.o[best].mode });
    }
    for (let j = 0; j < g.o.length; j++) if (!used[j]) unmatchedOutput++;
  }
  return { pairs, unmatchedTruth, unmatchedOutput };
}
