/**
 * The detector's own class is evidence: the gate that decides, per track, whether the model's (calibrated) answer
 * may replace the detector's majority vote.
 *
 * The model answers only when it is confident and the track looks like the training data; otherwise the detector
 * vote stands (`decideModes`):
 * 1. model and vote agree, or the track has no vote → the model's label;
 * 2. the track is out of distribution for the class the model gives it (`ood`: a standardised feature beyond the
 *    training range widened by `zMargin`, or a Mahalanobis distance to that class's training mean, tied
 *    covariance, beyond the class's `mahalanobisMax`) → the vote. Class-conditional, so the rare large classes
 *    (trucks, buses) are not out of distribution merely for lying in the tails of the whole;
 * 3. the model's probability of its label is below `minConfidence` → the vote, unless the model is confident that the
 *    vote's *group* is wrong (`MODE_GROUPS`: pedestrian | two-wheeler | motor vehicle): when the summed probability
 *    of its label's group reaches `minConfidence` and the vote lies in another group, the model's label stands
 *    (`model-group`). A fast, bicycle-sized track the detector named `person` that the model cannot place between
 *    bicycle and motorcycle (p 0.45 / 0.40) is a two-wheeler with p 0.85: the `person` vote is the least likely answer;
 * 4. a `bicycle` vote becomes `motorcycle` only at `twoWheelerConfidence`:
 *    a merged rider+bicycle box looks like a motorcycle without rider to a model trained on separate boxes, and
 *    relabelling bicycles as motorcycles on weak evidence is the failure this gate exists to stop.
 *
 * The probabilities are temperature-scaled at training time (the last layer's weights are divided by the fitted
 * temperature, so `model.onnx` outputs calibrated probabilities). The parameters live in `gate.json` beside the
 * model (written by `train.ts`; format `passage-gate-v1`).
 */
import { readFileSync } from 'node:fs';
import { PassageError } from '@passage/config/errors';
import { DETECTOR_CLASSES, FEATURE_COUNT, MODES, type Mode, VOTE_FEATURE_OFFSET } from '@passage/core';
import { majorityVoteBaseline } from './baseline.ts';

export interface OodModel {
  /** Per-feature mean and standard deviation of the training rows. */
  mean: number[];
  std: number[];
  /** Per-feature min and max of the standardised training rows. */
  zMin: number[];
  zMax: number[];
  /** A standardised value beyond [zMin − zMargin, zMax + zMargin] is out of distribution. */
  zMargin: number;
  /** Per class (`MODES` order): mean of its standardised training rows (F values each). */
  classMeans: number[][];
  /** Inverse of the ridge-regularised within-class (tied) covariance of the standardised rows, row-major F × F. */
  invCov: number[];
  /**
   * Per class: the Mahalanobis distance to the class mean above which a row the model gives that class is out of
   * distribution (a high quantile of the distances of the class's own training rows).
   */
  mahalanobisMax: number[];
}

export interface GateParams {
  format: 'passage-gate-v1';
  /** Temperature fitted on the validation split (already applied to the model's last layer). */
  temperature: number;
  minConfidence: number;
  twoWheelerConfidence: number;
  ood: OodModel | null;
}

/** Why a track got its mode. */
export type DecisionSource =
  | 'model'
  | 'model-group'
  | 'agree'
  | 'vote-low-confidence'
  | 'vote-ood'
  | 'vote-two-wheeler'
  | 'vote';

/** Groups of modes for the gate's rule 3 (module comment), in `MODES` order: pedestrian, two-wheeler, motor vehicle. */
export const MODE_GROUPS: readonly number[] = MODES.map((m) =>
  m === 'pedestrian' ? 0 : m === 'bicycle' || m === 'motorcycle' ? 1 : 2,
);

export const DEFAULT_GATE: Readonly<GateParams> = Object.freeze({
  format: 'passage-gate-v1',
  temperature: 1,
  minConfidence: 0.5,
  twoWheelerConfidence: 0.7,
  ood: null,
});

const BICYCLE = MODES.indexOf('bicycle');
const MOTORCYCLE = MODES.indexOf('motorcycle');

/** Reads `gate.json`; a missing file gives the defaults without OOD check. */
export function readGate(path: string): GateParams {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    return { ...DEFAULT_GATE };
  }
  const g = JSON.parse(text) as GateParams;
  const ok =
    g.format === 'passage-gate-v1' &&
    g.minConfidence >= 0 &&
    g.minConfidence <= 1 &&
    g.twoWheelerConfidence >= 0 &&
    g.twoWheelerConfidence <= 1 &&
    (g.ood === null ||
      (g.ood.mean.length === FEATURE_COUNT &&
        g.ood.std.length === FEATURE_COUNT &&
        g.ood.zMin.length === FEATURE_COUNT &&
        g.ood.zMax.length === FEATURE_COUNT &&
        g.ood.invCov.length === FEATURE_COUNT * FEATURE_COUNT &&
        g.ood.classMeans.length === MODES.length &&
        g.ood.mahalanobisMax.length === MODES.length));
  if (!ok) {
    throw new PassageError(
      'PASSAGE_CLASSIFIER_WEIGHTS_INVALID',
      `${path} is not a passage-gate-v1 file for ${FEATURE_COUNT} features: retrain with npm run train.`,
    );
  }
  return g;
}

/**
 * Mahalanobis distance of row `row` of `features` to the training mean of class `cls`, and whether a standardised
 * feature is beyond the training range.
 */
export function oodScore(
  ood: OodModel,
  features: ArrayLike<number>,
  row: number,
  cls: number,
  z: Float64Array = new Float64Array(FEATURE_COUNT),
): { distance: number; outOfRange: boolean } {
  const o = row * FEATURE_COUNT;
  let outOfRange = false;
  const mu = ood.classMeans[cls];
  for (let k = 0; k < FEATURE_COUNT; k++) {
    const v = (features[o + k] - ood.mean[k]) / ood.std[k];
    if (!(v >= ood.zMin[k] - ood.zMargin && v <= ood.zMax[k] + ood.zMargin)) outOfRange = true;
    z[k] = v - mu[k];
  }
  let d2 = 0;
  for (let i = 0; i < FEATURE_COUNT; i++) {
    let s = 0;
    for (let j = 0; j < FEATURE_COUNT; j++) s += ood.invCov[i * FEATURE_COUNT + j] * z[j];
    d2 += z[i] * s;
  }
  return { distance: Math.sqrt(Math.max(0, d2)), outOfRange };
}

export interface GatedDecision {
  /** Final label per row (index into `MODES`). */
  labels: Uint8Array;
  /** The model's arg-max per row, before the gate. */
  modelLabels: Uint8Array;
  /** The detector's majority vote per row (`car` when the track has no vote). */
  voteLabels: Uint8Array;
  sources: DecisionSource[];
}

/**
 * Gated labels for `n` rows: `probs` (`n × MODES`, calibrated) from the model, `features` the rows it saw.
 * The vote is the majority over the detector-class shares of the features (`majorityVoteBaseline`), so the
 * decision needs nothing but the row and the probabilities.
 */
export function decideModes(gate: GateParams, features: Float32Array, probs: Float32Array, n: number): GatedDecision {
  const k = MODES.length;
  const voteLabels = majorityVoteBaseline(features, n);
  const labels = new Uint8Array(n);
  const modelLabels = new Uint8Array(n);
  const sources: DecisionSource[] = new Array(n);
  const z = new Float64Array(FEATURE_COUNT);
  for (let i = 0; i < n; i++) {
    let best = 0;
    for (let j = 1; j < k; j++) if (probs[i * k + j] > probs[i * k + best]) best = j;
    modelLabels[i] = best;
    const vote = voteLabels[i];
    const p = probs[i * k + best];
    let hasVote = false;
    for (let c = 0; c < DETECTOR_CLASSES.length; c++)
      if (features[i * FEATURE_COUNT + VOTE_FEATURE_OFFSET + c] > 0) hasVote = true;
    if (best === vote || !hasVote) {
      labels[i] = best;
      sources[i] = best === vote ? 'agree' : 'model';
      continue;
    }
    labels[i] = vote;
    if (gate.ood) {
      const s = oodScore(gate.ood, features, i, best, z);
      if (s.outOfRange || s.distance > gate.ood.mahalanobisMax[best]) {
        sources[i] = 'vote-ood';
        continue;
      }
    }
    if (p < gate.minConfidence) {
      let groupP = 0;
      for (let j = 0; j < k; j++) if (MODE_GROUPS[j] === MODE_GROUPS[best]) groupP += probs[i * k + j];
      if (MODE_GROUPS[vote] !== MODE_GROUPS[best] && groupP >= gate.minConfidence) {
        labels[i] = best;
        sources[i] = 'model-group';
      } else sources[i] = 'vote-low-confidence';
      continue;
    }
    if (vote === BICYCLE && best === MOTORCYCLE && p < gate.twoWheelerConfidence) {
      sources[i] = 'vote-two-wheeler';
      continue;
    }
    labels[i] = best;
    sources[i] = 'model';
  }
  return { labels, modelLabels, voteLabels, sources };
}

/** Counts of each decision source. */
export function sourceCounts(sources: readonly DecisionSource[]): Record<DecisionSource, number> {
  const c: Record<DecisionSource, number> = {
    model: 0,
    'model-group': 0,
    agree: 0,
    'vote-low-confidence': 0,
    'vote-ood': 0,
    'vote-two-wheeler': 0,
    vote: 0,
  };
  for (const s of sources) c[s]++;
  return c;
}

// ── Fitting (training time) ─────────────────────────────────────────────────────────────────────────────────────

/** Softmax of log(p) / T for one row of `k` probabilities, into `out`. */
function tempered(probs: ArrayLike<number>, o: number, k: number, t: number, out: Float64Array): void {
  let max = Number.NEGATIVE_INFINITY;
  for (let j = 0; j < k; j++) {
    out[j] = Math.log(Math.max(probs[o + j], 1e-12)) / t;
    if (out[j] > max) max = out[j];
  }
  let s = 0;
  for (let j = 0; j < k; j++) {
    out[j] = Math.exp(out[j] - max);
    s += out[j];
  }
  for (let j = 0; j < k; j++) out[j] /= s;
}

/** Mean negative log-likelihood of the labels under the probabilities tempered by `t`. */
export function temperedNll(probs: ArrayLike<number>, labels: ArrayLike<number>, k: number, t: number): number {
  const row = new Float64Array(k);
  let nll = 0;
  for (let i = 0; i < labels.length; i++) {
    tempered(probs, i * k, k, t, row);
    nll -= Math.log(Math.max(row[labels[i]], 1e-12));
  }
  return nll / labels.length;
}

/** Probabilities tempered by `t` (what the model gives once its last layer is divided by `t`). */
export function applyTemperature(probs: ArrayLike<number>, k: number, t: number): Float32Array {
  const n = probs.length / k;
  const out = new Float32Array(probs.length);
  const row = new Float64Array(k);
  for (let i = 0; i < n; i++) {
    tempered(probs, i * k, k, t, row);
    for (let j = 0; j < k; j++) out[i * k + j] = row[j];
  }
  return out;
}

/**
 * Temperature minimising the validation NLL (golden-section search on log T over [1/8, 8]). Softmax outputs are
 * logits up to a constant per row, so tempering log-probabilities equals tempering logits.
 */
export function fitTemperature(probs: ArrayLike<number>, labels: ArrayLike<number>, k: number): number {
  const f = (u: number): number => temperedNll(probs, labels, k, Math.exp(u));
  let a = Math.log(1 / 8);
  let b = Math.log(8);
  const g = (Math.sqrt(5) - 1) / 2;
  let c = b - g * (b - a);
  let d = a + g * (b - a);
  let fc = f(c);
  let fd = f(d);
  for (let it = 0; it < 60; it++) {
    if (fc < fd) {
      b = d;
      d = c;
      fd = fc;
      c = b - g * (b - a);
      fc = f(c);
    } else {
      a = c;
      c = d;
      fc = fd;
      d = a + g * (b - a);
      fd = f(d);
    }
  }
  return Math.exp((a + b) / 2);
}

/**
 * Per-class log offsets added to the log-probabilities so that the arg-max counts on a labelled set match its true
 * class counts (quantification by prior adjustment). A discriminative model sends ambiguous rows to the larger
 * class (vans to `car`), so its class totals run short for the smaller one, and a count of each mode is what
 * Passage publishes. Fitted on the validation split, folded into the last layer's bias (`log p + b` = logits + b
 * up to a per-row constant). Damped multiplicative updates `b_j += ½ log((true_j + 1) / (pred_j + 1))`; the
 * offsets with the smallest total |pred − true| are kept; mean-centred.
 */
export function fitCountOffsets(
  probs: ArrayLike<number>,
  labels: ArrayLike<number>,
  k: number,
  iterations = 200,
): Float64Array {
  const n = labels.length;
  const truth = new Float64Array(k);
  for (let i = 0; i < n; i++) truth[labels[i]]++;
  const logp = new Float64Array(n * k);
  for (let i = 0; i < n * k; i++) logp[i] = Math.log(Math.max(probs[i], 1e-12));
  const b = new Float64Array(k);
  const best = new Float64Array(k);
  const pred = new Float64Array(k);
  let bestErr = Number.POSITIVE_INFINITY;
  for (let it = 0; it <= iterations; it++) {
    pred.fill(0);
    for (let i = 0; i < n; i++) {
      let arg = 0;
      for (let j = 1; j < k; j++) if (logp[i * k + j] + b[j] > logp[i * k + arg] + b[arg]) arg = j;
      pred[arg]++;
    }
    let err = 0;
    for (let j = 0; j < k; j++) err += Math.abs(pred[j] - truth[j]);
    if (err < bestErr) {
      bestErr = err;
      best.set(b);
    }
    for (let j = 0; j < k; j++) b[j] += 0.5 * Math.log((truth[j] + 1) / (pred[j] + 1));
  }
  let mean = 0;
  for (let j = 0; j < k; j++) mean += best[j] / k;
  for (let j = 0; j < k; j++) best[j] -= mean;
  return best;
}

/** Expected calibration error of the max probability over `bins` equal-width bins (Guo et al. 2017). */
export function expectedCalibrationError(
  probs: ArrayLike<number>,
  labels: ArrayLike<number>,
  k: number,
  bins = 15,
): number {
  const conf = new Float64Array(bins);
  const acc = new Float64Array(bins);
  const cnt = new Float64Array(bins);
  const n = labels.length;
  for (let i = 0; i < n; i++) {
    let best = 0;
    for (let j = 1; j < k; j++) if (probs[i * k + j] > probs[i * k + best]) best = j;
    const p = probs[i * k + best];
    const b = Math.min(bins - 1, Math.floor(p * bins));
    conf[b] += p;
    acc[b] += best === labels[i] ? 1 : 0;
    cnt[b]++;
  }
  let ece = 0;
  for (let b = 0; b < bins; b++) if (cnt[b] > 0) ece += (cnt[b] / n) * Math.abs(acc[b] / cnt[b] - conf[b] / cnt[b]);
  return ece;
}

/** Inverse of a symmetric positive-definite matrix (Gauss–Jordan with partial pivoting), row-major. */
function invert(a: Float64Array, f: number): Float64Array {
  const m = new Float64Array(f * 2 * f);
  for (let i = 0; i < f; i++) {
    for (let j = 0; j < f; j++) m[i * 2 * f + j] = a[i * f + j];
    m[i * 2 * f + f + i] = 1;
  }
  const w = 2 * f;
  for (let c = 0; c < f; c++) {
    let piv = c;
    for (let r = c + 1; r < f; r++) if (Math.abs(m[r * w + c]) > Math.abs(m[piv * w + c])) piv = r;
    if (piv !== c) {
      for (let j = 0; j < w; j++) {
        const t = m[c * w + j];
        m[c * w + j] = m[piv * w + j];
        m[piv * w + j] = t;
      }
    }
    const d = m[c * w + c];
    for (let j = 0; j < w; j++) m[c * w + j] /= d;
    for (let r = 0; r < f; r++) {
      if (r === c) continue;
      const x = m[r * w + c];
      if (x === 0) continue;
      for (let j = 0; j < w; j++) m[r * w + j] -= x * m[c * w + j];
    }
  }
  const inv = new Float64Array(f * f);
  for (let i = 0; i < f; i++) for (let j = 0; j < f; j++) inv[i * f + j] = m[i * w + f + j];
  return inv;
}

/**
 * Out-of-distribution model of the training rows: standardisation, per-feature z range, class means and the
 * ridge-regularised inverse of the tied within-class covariance, and per class the `quantile` of its own rows'
 * distances to its mean as the threshold.
 */
export function fitOod(
  features: Float32Array,
  labels: ArrayLike<number>,
  n: number,
  o: { zMargin?: number; ridge?: number; quantile?: number } = {},
): OodModel {
  const f = FEATURE_COUNT;
  const k = MODES.length;
  const mean = new Float64Array(f);
  const sq = new Float64Array(f);
  for (let i = 0; i < n; i++) for (let j = 0; j < f; j++) mean[j] += features[i * f + j];
  for (let j = 0; j < f; j++) mean[j] /= n;
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < f; j++) {
      const d = features[i * f + j] - mean[j];
      sq[j] += d * d;
    }
  }
  const std = Array.from(sq, (v) => Math.max(1e-6, Math.sqrt(v / n)));
  const zs = new Float64Array(n * f);
  const zMin = new Array<number>(f).fill(Number.POSITIVE_INFINITY);
  const zMax = new Array<number>(f).fill(Number.NEGATIVE_INFINITY);
  const classMeans = Array.from({ length: k }, () => new Array<number>(f).fill(0));
  const classN = new Array<number>(k).fill(0);
  for (let i = 0; i < n; i++) {
    const c = labels[i];
    classN[c]++;
    for (let j = 0; j < f; j++) {
      const v = (features[i * f + j] - mean[j]) / std[j];
      zs[i * f + j] = v;
      if (v < zMin[j]) zMin[j] = v;
      if (v > zMax[j]) zMax[j] = v;
      classMeans[c][j] += v;
    }
  }
  for (let c = 0; c < k; c++) for (let j = 0; j < f; j++) classMeans[c][j] /= Math.max(1, classN[c]);
  const cov = new Float64Array(f * f);
  const r = new Float64Array(f);
  for (let i = 0; i < n; i++) {
    const mu = classMeans[labels[i]];
    for (let j = 0; j < f; j++) r[j] = zs[i * f + j] - mu[j];
    for (let a = 0; a < f; a++) for (let b = 0; b < f; b++) cov[a * f + b] += r[a] * r[b];
  }
  const ridge = o.ridge ?? 0.05;
  for (let a = 0; a < f; a++) {
    for (let b = 0; b < f; b++) cov[a * f + b] /= n;
    cov[a * f + a] += ridge;
  }
  const model: OodModel = {
    mean: Array.from(mean),
    std,
    zMin,
    zMax,
    zMargin: o.zMargin ?? 1,
    classMeans,
    invCov: Array.from(invert(cov, f)),
    mahalanobisMax: new Array<number>(k).fill(Number.POSITIVE_INFINITY),
  };
  const z = new Float64Array(f);
  const q = o.quantile ?? 0.995;
  for (let c = 0; c < k; c++) {
    const d: number[] = [];
    for (let i = 0; i < n; i++) if (labels[i] === c) d.push(oodScore(model, features, i, c, z).distance);
    d.sort((x, y) => x - y);
    if (d.length > 0) model.mahalanobisMax[c] = d[Math.min(d.length - 1, Math.floor(q * d.length))];
  }
  return model;
}

/** `gate.json` text (stable key order, numbers rounded to 6 significant digits). */
export function gateToJson(g: GateParams): string {
  const r = (v: number): number => (Number.isFinite(v) ? Number(v.toPrecision(6)) : v);
  const ood = g.ood && {
    ...g.ood,
    mean: g.ood.mean.map(r),
    std: g.ood.std.map(r),
    zMin: g.ood.zMin.map(r),
    zMax: g.ood.zMax.map(r),
    classMeans: g.ood.classMeans.map((m) => m.map(r)),
    invCov: g.ood.invCov.map(r),
    mahalanobisMax: g.ood.mahalanobisMax.map(r),
  };
  return `${JSON.stringify({ ...g, temperature: r(g.temperature), ood }, null, 1)}\n`;
}

/** Mode of each label index (for reports). */
export const modeOf = (i: number): Mode => MODES[i];
