/**
 * Training of the footfall model with TF.js (wasm backend when it initialises, else CPU; tfjs-node cannot be
 * installed here): quantile (pinball) loss on y / level weighted by the level, so the median head minimises the
 * absolute error in counts (what WAPE scores). Every 5th week of the training period is held out: early stopping
 * and the interval calibration (kLo, kHi) are measured on it.
 */
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { mulberry32 } from '@passage/core/prng';
import { FEATURE_NAMES, type FeatureRows, N_FEATURES } from './features.ts';
import { dayKey, type HourlyGrid } from './grid.ts';
import type { Dense, ForecastModel } from './model.ts';
import { predictReference } from './reference.ts';

export interface TrainOptions {
  /** @default [128, 64] */
  hidden?: number[];
  /** @default 18 */
  epochs?: number;
  /** @default 512 */
  batchSize?: number;
  /** @default 0.002 */
  learningRate?: number;
  /** @default 7 */
  seed?: number;
  /**
   * Also fit `refits` more networks on every row (held-out weeks included) for the epochs the first one needed;
   * the median is the mean of all, the interval that of the first (calibrated) one shifted to it. @default true
   */
  refit?: boolean;
  /** How many refit networks (seeds seed + 100·k). @default 2 */
  refits?: number;
  /**
   * false: one network on every row for `epochs` epochs, no early stopping (its calibration is then in-sample,
   * too narrow). The normalisation is always that of the rows outside the held-out weeks. @default true
   */
  holdOut?: boolean;
  /** Stop after this many epochs without a better held-out loss. @default 5 */
  patience?: number;
  onEpoch?: (epoch: number, trainLoss: number, valLoss: number) => void;
}

export async function initBackend(): Promise<string> {
  try {
    if (await tf.setBackend('wasm')) {
      await tf.ready();
      return 'wasm';
    }
  } catch {
    // the CPU backend below
  }
  await tf.setBackend('cpu');
  await tf.ready();
  return 'cpu';
}

const QUANTILES: [number, number, number] = [0.1, 0.5, 0.9];

/** Held-out rows: every 5th week of day numbers. */
export const isHeldOut = (dayNumber: number): boolean => Math.floor(dayNumber / 7) % 5 === 2;

function subset(r: FeatureRows, keep: (i: number) => boolean): FeatureRows {
  const idx: number[] = [];
  for (let i = 0; i < r.n; i++) if (!Number.isNaN(r.y[i]) && keep(i)) idx.push(i);
  const n = idx.length;
  const x = new Float32Array(n * N_FEATURES);
  const out: FeatureRows = {
    n,
    x,
    level: new Float32Array(n),
    y: new Float32Array(n),
    sensor: new Int32Array(n),
    day: new Int32Array(n),
    hour: new Int8Array(n),
  };
  idx.forEach((j, i) => {
    x.set(r.x.subarray(j * N_FEATURES, (j + 1) * N_FEATURES), i * N_FEATURES);
    out.level[i] = r.level[j];
    out.y[i] = r.y[j];
    out.sensor[i] = r.sensor[j];
    out.day[i] = r.day[j];
    out.hour[i] = r.hour[j];
  });
  return out;
}

function quantileOf(values: number[], q: number): number {
  if (values.length === 0) return 1;
  const s = [...values].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil(q * s.length) - 1))];
}

/** Trains on `rows` (built on `grid`, actuals present), returns the framework-neutral model. */
export async function trainModel(grid: HourlyGrid, rows: FeatureRows, o: TrainOptions = {}): Promise<ForecastModel> {
  await initBackend();
  const hidden = o.hidden ?? [128, 64];
  const epochs = o.epochs ?? 18;
  const bs = o.batchSize ?? 512;
  const seed = o.seed ?? 7;
  const train = subset(rows, (i) => !isHeldOut(grid.firstDay + rows.day[i]));
  const val = subset(rows, (i) => isHeldOut(grid.firstDay + rows.day[i]));
  const F = N_FEATURES;
  const mean = new Float32Array(F);
  const std = new Float32Array(F);
  for (let k = 0; k < F; k++) {
    let s = 0;
    let s2 = 0;
    for (let i = 0; i < train.n; i++) {
      const v = train.x[i * F + k];
      s += v;
      s2 += v * v;
    }
    mean[k] = s / train.n;
    std[k] = Math.max(1e-3, Math.sqrt(Math.max(0, s2 / train.n - mean[k] ** 2)));
  }
  const norm = (r: FeatureRows) => {
    const x = new Float32Array(r.n * F);
    for (let i = 0; i < r.n; i++) for (let k = 0; k < F; k++) x[i * F + k] = (r.x[i * F + k] - mean[k]) / std[k];
    return x;
  };
  const fit = async (
    train: FeatureRows,
    val: FeatureRows,
    seed: number,
    epochs: number,
    useVal: boolean,
  ): Promise<{ layers: Dense[]; bestEpoch: number }> => {
    const xTrain = norm(train);
    const xVal = norm(val);
    let meanLevel = 0;
    for (let i = 0; i < train.n; i++) meanLevel += train.level[i];
    meanLevel /= train.n;

    const model = tf.sequential();
    [...hidden, 3].forEach((units, i) => {
      model.add(
        tf.layers.dense({
          ...(i === 0 ? { inputShape: [F] } : {}),
          units,
          activation: i < hidden.length ? 'relu' : 'linear',
          kernelInitializer: tf.initializers.heNormal({ seed: seed + i }),
          biasInitializer: i < hidden.length ? 'zeros' : tf.initializers.constant({ value: 1 }),
        }),
      );
    });
    const q = tf.tensor1d(QUANTILES);
    const q1 = tf.tensor1d(QUANTILES.map((v) => v - 1));
    const pinball = (pred: tf.Tensor, y: tf.Tensor, w: tf.Tensor) => {
      const e = y.expandDims(1).sub(pred);
      return tf.maximum(e.mul(q), e.mul(q1)).sum(1).mul(w).mean();
    };
    const optimizer = tf.train.adam(o.learningRate ?? 0.002);
    const order = Uint32Array.from({ length: train.n }, (_, i) => i);
    const rand = mulberry32(seed);
    const xb = new Float32Array(bs * F);
    const yb = new Float32Array(bs);
    const wb = new Float32Array(bs);
    const xv = tf.tensor2d(xVal, [val.n, F]);
    const yv = tf.tensor1d(val.y);
    const wv = tf.tensor1d(Float32Array.from(val.level, (l) => l / meanLevel));
    let best: Dense[] | null = null;
    let bestLoss = Number.POSITIVE_INFINITY;
    let bestEpoch = -1;
    let since = 0;
    const lr0 = o.learningRate ?? 0.002;
    for (let epoch = 0; epoch < epochs; epoch++) {
      // cosine decay to 5 % (Adam reads its learningRate at every step)
      (optimizer as unknown as { learningRate: number }).learningRate =
        lr0 * (0.05 + 0.95 * 0.5 * (1 + Math.cos((Math.PI * epoch) / epochs)));
      for (let i = order.length - 1; i > 0; i--) {
        const j = Math.floor(rand() * (i + 1));
        [order[i], order[j]] = [order[j], order[i]];
      }
      let lossSum = 0;
      let batches = 0;
      for (let start = 0; start + bs <= train.n; start += bs) {
        for (let b = 0; b < bs; b++) {
          const r = order[start + b];
          xb.set(xTrain.subarray(r * F, (r + 1) * F), b * F);
          yb[b] = train.y[r];
          wb[b] = train.level[r] / meanLevel;
        }
        const xs = tf.tensor2d(xb, [bs, F]);
        const ys = tf.tensor1d(yb);
        const ws = tf.tensor1d(wb);
        const loss = optimizer.minimize(() => pinball(model.apply(xs) as tf.Tensor, ys, ws) as tf.Scalar, true);
        tf.dispose([xs, ys, ws]);
        if (loss) {
          lossSum += loss.dataSync()[0];
          loss.dispose();
        }
        batches++;
      }
      const valLoss = tf.tidy(() => pinball(model.predict(xv) as tf.Tensor, yv, wv).dataSync()[0]);
      o.onEpoch?.(epoch, lossSum / batches, valLoss);
      if (!useVal || valLoss < bestLoss - 1e-5) {
        bestLoss = valLoss;
        bestEpoch = epoch;
        since = 0;
        best = model.layers.map((layer, i) => {
          const [k, b] = layer.getWeights();
          const [inSize, outSize] = k.shape as [number, number];
          return {
            inSize,
            outSize,
            relu: i < hidden.length,
            kernel: Float32Array.from(k.dataSync()),
            bias: Float32Array.from(b.dataSync()),
          };
        });
      } else if (++since >= (o.patience ?? 5)) break;
    }
    tf.dispose([xv, yv, wv, q, q1]);
    model.dispose();
    if (!best) throw new Error('training ran no epoch');
    return { layers: best, bestEpoch };
  };
  const all = subset(rows, () => true);
  const holdOut = o.holdOut !== false;
  const first = await fit(holdOut ? train : all, val, seed, epochs, holdOut);
  const best = first.layers;
  // refit on every row (held-out weeks included) for as many epochs, another seed: averaged with the first
  const members: Dense[][] = [];
  const refits = o.refit === false || !holdOut ? 0 : (o.refits ?? 2);
  for (let k = 1; k <= refits; k++) {
    members.push((await fit(all, val, seed + 100 * k, first.bestEpoch + 1, false)).layers);
  }
  const m: ForecastModel = {
    format: 'passage-footfall-v1',
    featureNames: [...FEATURE_NAMES],
    quantiles: QUANTILES,
    mean,
    std,
    layers: best,
    kLo: 1,
    kHi: 1,
    trainedOn: {
      from: dayKey(grid.firstDay + (rows.n ? rows.day[0] : 0)),
      until: dayKey(grid.firstDay + rows.day.reduce((a, b) => Math.max(a, b), 0) + 1),
      rows: rows.n,
      sensors: new Set(rows.sensor).size,
    },
  };
  // interval calibration on the held-out weeks (before the refit member, which saw them)
  const out = predictReference(m, val.x, val.n);
  const below: number[] = [];
  const above: number[] = [];
  for (let i = 0; i < val.n; i++) {
    const t = [out[i * 3], out[i * 3 + 1], out[i * 3 + 2]].sort((a, b) => a - b);
    below.push((t[1] - val.y[i]) / Math.max(1e-4, t[1] - t[0]));
    above.push((val.y[i] - t[1]) / Math.max(1e-4, t[2] - t[1]));
  }
  m.kLo = quantileOf(below, 0.9);
  m.kHi = quantileOf(above, 0.9);
  if (members.length) m.ensemble = members;
  return m;
}
