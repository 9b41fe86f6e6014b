/**
 * The MLP in TF.js: building, seeded training, weight extraction, and prediction from `MlpWeights`
 * (the reference the ONNX parity test compares against).
 *
 * Backend: `@tensorflow/tfjs-backend-wasm` (XNNPACK, single-threaded here) when it initialises, otherwise the
 * pure-JS CPU backend; `@tensorflow/tfjs-node` cannot be installed on the build machines.
 */
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { FEATURE_COUNT } from '@passage/core';
import { argmaxRow, evaluate } from '@passage/mode-classifier';
import type { Dataset } from './dataset.ts';
import { shuffleInPlace } from './sampling.ts';
import type { DenseLayer, MlpWeights } from './weights.ts';

export type TfBackend = 'wasm' | 'cpu';

/** Selects the TF.js backend: `wasm` if it initialises, else `cpu`. Returns the backend in use. */
export async function initBackend(preferred: TfBackend = 'wasm'): Promise<TfBackend> {
  if (preferred === 'wasm') {
    try {
      if (await tf.setBackend('wasm')) {
        await tf.ready();
        return 'wasm';
      }
    } catch {
      // fall through to the CPU backend
    }
  }
  await tf.setBackend('cpu');
  await tf.ready();
  return 'cpu';
}

export interface TrainOptions {
  /** Hidden layer sizes. @default [32, 32] */
  hidden?: number[];
  /** @default 60 */
  epochs?: number;
  /** @default 256 */
  batchSize?: number;
  /** Adam learning rate at the first epoch (cosine-decayed to 5 % of it). @default 0.003 */
  learningRate?: number;
  /** L2 penalty on the kernels. @default 1e-4 */
  l2?: number;
  /** Seed of weight initialisation and batch order. @default 1 */
  seed?: number;
  /** Called after each epoch. */
  onEpoch?: (epoch: number, loss: number, valMacroF1: number) => void;
}

export interface TrainResult {
  weights: MlpWeights;
  /** Epoch (0-based) whose weights were kept (best validation macro-F1). */
  bestEpoch: number;
  bestValMacroF1: number;
  epochs: number;
}

/** Per-feature mean and standard deviation (std floored at 1e-6). */
export function normalisation(data: Dataset): { mean: Float32Array; std: Float32Array } {
  const mean = new Float64Array(FEATURE_COUNT);
  const sq = new Float64Array(FEATURE_COUNT);
  for (let i = 0; i < data.n; i++) {
    for (let k = 0; k < FEATURE_COUNT; k++) mean[k] += data.features[i * FEATURE_COUNT + k];
  }
  for (let k = 0; k < FEATURE_COUNT; k++) mean[k] /= data.n;
  for (let i = 0; i < data.n; i++) {
    for (let k = 0; k < FEATURE_COUNT; k++) {
      const d = data.features[i * FEATURE_COUNT + k] - mean[k];
      sq[k] += d * d;
    }
  }
  const std = new Float32Array(FEATURE_COUNT);
  for (let k = 0; k < FEATURE_COUNT; k++) std[k] = Math.max(1e-6, Math.sqrt(sq[k] / data.n));
  return { mean: Float32Array.from(mean), std };
}

function normalised(data: Dataset, mean: Float32Array, std: Float32Array): Float32Array {
  const out = new Float32Array(data.n * FEATURE_COUNT);
  for (let i = 0; i < data.n; i++) {
    for (let k = 0; k < FEATURE_COUNT; k++) {
      const j = i * FEATURE_COUNT + k;
      out[j] = (data.features[j] - mean[k]) / std[k];
    }
  }
  return out;
}

function buildModel(nIn: number, hidden: number[], nOut: number, seed: number, l2: number): tf.Sequential {
  const model = tf.sequential();
  const sizes = [...hidden, nOut];
  for (const [i, units] of sizes.entries()) {
    const last = i === sizes.length - 1;
    model.add(
      tf.layers.dense({
        ...(i === 0 ? { inputShape: [nIn] } : {}),
        units,
        activation: last ? 'softmax' : 'relu',
        kernelInitializer: last
          ? tf.initializers.glorotUniform({ seed: seed + i })
          : tf.initializers.heNormal({ seed: seed + i }),
        biasInitializer: 'zeros',
        kernelRegularizer: l2 > 0 ? tf.regularizers.l2({ l2 }) : undefined,
      }),
    );
  }
  return model;
}

/** Reads the layer weights of a trained Sequential model into `MlpWeights`. */
function weightsOf(
  model: tf.Sequential,
  mean: Float32Array,
  std: Float32Array,
  featureNames: readonly string[],
  labels: readonly string[],
): MlpWeights {
  const layers: DenseLayer[] = model.layers.map((layer, i) => {
    const [kernel, bias] = layer.getWeights();
    const [inSize, outSize] = kernel.shape as [number, number];
    return {
      inSize,
      outSize,
      activation: i === model.layers.length - 1 ? 'softmax' : 'relu',
      kernel: Float32Array.from(kernel.dataSync()),
      bias: Float32Array.from(bias.dataSync()),
    };
  });
  return { featureNames: [...featureNames], labels: [...labels], mean, std, layers };
}

/** Class probabilities of a Sequential model for normalised rows. */
function predictNormalised(model: tf.Sequential, x: Float32Array, n: number): Float32Array {
  return tf.tidy(() => {
    const out = model.predict(tf.tensor2d(x, [n, FEATURE_COUNT])) as tf.Tensor;
    return out.dataSync() as Float32Array;
  });
}

/**
 * Cosine learning-rate schedule: TF.js Layers has no scheduler, but Adam reads its (protected) `learningRate`
 * at every step, so setting it between epochs takes effect.
 */
function setLearningRate(optimizer: tf.AdamOptimizer, lr: number): void {
  (optimizer as unknown as { learningRate: number }).learningRate = lr;
}

/**
 * Trains the MLP on `train` with a seeded batch order; keeps the weights of the epoch with the best macro-F1 on
 * `val`. Normalisation statistics come from `train`.
 */
export async function trainMlp(
  train: Dataset,
  val: Dataset,
  featureNames: readonly string[],
  labels: readonly string[],
  options: TrainOptions = {},
): Promise<TrainResult> {
  const hidden = options.hidden ?? [32, 32];
  const epochs = options.epochs ?? 60;
  const batchSize = options.batchSize ?? 256;
  const lr0 = options.learningRate ?? 0.003;
  const seed = options.seed ?? 1;
  const k = labels.length;
  const { mean, std } = normalisation(train);
  const xTrain = normalised(train, mean, std);
  const xVal = normalised(val, mean, std);
  const model = buildModel(FEATURE_COUNT, hidden, k, seed, options.l2 ?? 1e-4);
  const optimizer = tf.train.adam(lr0);
  model.compile({ optimizer, loss: 'categoricalCrossentropy' });
  const order = new Uint32Array(train.n);
  for (let i = 0; i < train.n; i++) order[i] = i;
  const xb = new Float32Array(batchSize * FEATURE_COUNT);
  const yb = new Float32Array(batchSize * k);
  let best: MlpWeights | undefined;
  let bestEpoch = -1;
  let bestF1 = -1;
  const valPred = new Uint8Array(val.n);
  for (let epoch = 0; epoch < epochs; epoch++) {
    setLearningRate(optimizer, lr0 * (0.05 + 0.95 * 0.5 * (1 + Math.cos((Math.PI * epoch) / epochs))));
    shuffleInPlace(order, ((seed ^ 0x5eed) + epoch * 7919) >>> 0);
    let lossSum = 0;
    let batches = 0;
    for (let start = 0; start + batchSize <= train.n; start += batchSize) {
      yb.fill(0);
      for (let b = 0; b < batchSize; b++) {
        const r = order[start + b];
        xb.set(xTrain.subarray(r * FEATURE_COUNT, (r + 1) * FEATURE_COUNT), b * FEATURE_COUNT);
        yb[b * k + train.labels[r]] = 1;
      }
      const xs = tf.tensor2d(xb, [batchSize, FEATURE_COUNT]);
      const ys = tf.tensor2d(yb, [batchSize, k]);
      const loss = await model.trainOnBatch(xs, ys);
      xs.dispose();
      ys.dispose();
      lossSum += Array.isArray(loss) ? loss[0] : loss;
      batches++;
    }
    const probs = predictNormalised(model, xVal, val.n);
    for (let i = 0; i < val.n; i++) valPred[i] = argmaxRow(probs, i, k);
    const f1 = evaluate(val.labels, valPred, k).macroF1;
    options.onEpoch?.(epoch, lossSum / batches, f1);
    if (f1 > bestF1) {
      bestF1 = f1;
      bestEpoch = epoch;
      best = weightsOf(model, mean, std, featureNames, labels);
    }
  }
  model.dispose();
  if (!best) throw new Error('training ran no epoch');
  return { weights: best, bestEpoch, bestValMacroF1: bestF1, epochs };
}

/**
 * Class probabilities (`n × labels`, row-major) of the TF.js model rebuilt from `weights`, for raw (not
 * normalised) feature rows: the normalisation is applied with TF.js ops, like the ONNX graph's Sub/Div.
 */
export function predictTf(weights: MlpWeights, features: Float32Array, n: number): Float32Array {
  const f = weights.featureNames.length;
  const model = tf.sequential();
  for (const [i, l] of weights.layers.entries()) {
    model.add(tf.layers.dense({ ...(i === 0 ? { inputShape: [f] } : {}), units: l.outSize, activation: l.activation }));
  }
  for (const [i, l] of weights.layers.entries()) {
    model.layers[i].setWeights([tf.tensor2d(l.kernel, [l.inSize, l.outSize]), tf.tensor1d(l.bias)]);
  }
  const probs = tf.tidy(() => {
    const x = tf
      .tensor2d(features.subarray(0, n * f), [n, f])
      .sub(tf.tensor1d(weights.mean))
      .div(tf.tensor1d(weights.std));
    return (model.predict(x) as tf.Tensor).dataSync() as Float32Array;
  });
  model.dispose();
  return Float32Array.from(probs);
}
