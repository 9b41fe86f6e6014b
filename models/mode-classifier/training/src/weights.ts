/**
 * Trained weights of the MLP, framework-neutral: the single source the ONNX exporter reads and the file the
 * integrity test regenerates `model.onnx` from (`weights.json`, committed next to the model).
 */
import { PassageError } from '@passage/config/errors';

export type Activation = 'relu' | 'softmax';

/** One fully connected layer: `y = act(x · kernel + bias)`, `kernel` row-major `[inSize, outSize]`. */
export interface DenseLayer {
  inSize: number;
  outSize: number;
  activation: Activation;
  kernel: Float32Array;
  bias: Float32Array;
}

export interface MlpWeights {
  /** Input feature names, in column order. */
  featureNames: readonly string[];
  /** Output class names, in probability order. */
  labels: readonly string[];
  /** Per-feature mean subtracted before the first layer. */
  mean: Float32Array;
  /** Per-feature standard deviation divided by after the mean (never 0). */
  std: Float32Array;
  layers: DenseLayer[];
}

interface WeightsJson {
  format: 'passage-mlp-v1';
  featureNames: string[];
  labels: string[];
  mean: number[];
  std: number[];
  layers: { inSize: number; outSize: number; activation: Activation; kernel: number[]; bias: number[] }[];
}

/** 9 significant digits round-trip every float32 exactly. */
function toJsonNumbers(a: Float32Array): number[] {
  return Array.from(a, (v) => Number(v.toPrecision(9)));
}

/** Serialises weights as stable, pretty-enough JSON (one array per line). */
export function weightsToJson(w: MlpWeights): string {
  const json: WeightsJson = {
    format: 'passage-mlp-v1',
    featureNames: [...w.featureNames],
    labels: [...w.labels],
    mean: toJsonNumbers(w.mean),
    std: toJsonNumbers(w.std),
    layers: w.layers.map((l) => ({
      inSize: l.inSize,
      outSize: l.outSize,
      activation: l.activation,
      kernel: toJsonNumbers(l.kernel),
      bias: toJsonNumbers(l.bias),
    })),
  };
  return `${JSON.stringify(json, null, 1)}\n`;
}

/** Parses `weights.json`, checking shapes. */
export function weightsFromJson(text: string): MlpWeights {
  const j = JSON.parse(text) as WeightsJson;
  if (j.format !== 'passage-mlp-v1') {
    throw new PassageError(
      'PASSAGE_CLASSIFIER_WEIGHTS_INVALID',
      'weights.json is not in the passage-mlp-v1 format: retrain with npm run train.',
    );
  }
  const f = j.featureNames.length;
  const check = (ok: boolean, what: string): void => {
    if (!ok) {
      throw new PassageError(
        'PASSAGE_CLASSIFIER_WEIGHTS_INVALID',
        `weights.json: ${what}: retrain with npm run train.`,
      );
    }
  };
  check(j.mean.length === f && j.std.length === f, 'mean/std length differs from the feature count');
  let prev = f;
  for (const [i, l] of j.layers.entries()) {
    check(l.inSize === prev, `layer ${i} input size ${l.inSize} does not follow ${prev}`);
    check(l.kernel.length === l.inSize * l.outSize && l.bias.length === l.outSize, `layer ${i} shape mismatch`);
    prev = l.outSize;
  }
  check(prev === j.labels.length, 'the last layer size differs from the label count');
  return {
    featureNames: j.featureNames,
    labels: j.labels,
    mean: Float32Array.from(j.mean),
    std: Float32Array.from(j.std),
    layers: j.layers.map((l) => ({
      inSize: l.inSize,
      outSize: l.outSize,
      activation: l.activation,
      kernel: Float32Array.from(l.kernel),
      bias: Float32Array.from(l.bias),
    })),
  };
}
