/**
 * Inference with onnxruntime-node: classifies batches of track feature vectors in one `session.run` each.
 *
 * ```ts
 * const classifier = await ModeClassifier.load(); // the committed model.onnx, 1 intra-op thread
 * const rows = new Float32Array(n * FEATURE_COUNT);
 * for (let i = 0; i < n; i++) computeTrackFeatures(tracks[i], rows, i);
 * const { labels, probs } = await classifier.classify(rows, n); // labels[i] indexes MODES
 * ```
 */
import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PassageError } from '@passage/config/errors';
import { FEATURE_COUNT, FEATURE_NAMES, MODES, type Mode } from '@passage/core';
import * as ort from 'onnxruntime-node';
import { decideModes, type GatedDecision, type GateParams, readGate } from './gate.ts';

/** The committed model of this package. */
/** Names of the ONNX graph's input (`N × FEATURE_COUNT` float32) and output (`N × MODES.length` probabilities). */
export const ONNX_INPUT = 'features';
export const ONNX_OUTPUT = 'probs';

export const DEFAULT_MODEL_PATH: string = fileURLToPath(new URL('../model.onnx', import.meta.url));

/** `labels.json`, written beside `model.onnx` by the training script. */
export interface LabelsFile {
  labels: Mode[];
  featureNames: string[];
  input: string;
  output: string;
}

export interface ModeClassifierOptions {
  /** Path of the ONNX model. @default DEFAULT_MODEL_PATH */
  modelPath?: string;
  /** Path of its labels file. @default `labels.json` beside the model */
  labelsPath?: string;
  /** Threads of one operator (config `classifier.intraOpNumThreads`, env PASSAGE_ONNX_THREADS). @default 1 */
  intraOpNumThreads?: number;
  /** Path of the gate parameters (`gate.ts`). @default `gate.json` beside the model (defaults when absent) */
  gatePath?: string;
}

export interface Classification {
  /** Predicted mode of each row, as an index into `MODES`. */
  labels: Uint8Array;
  /** Class probabilities, `n × MODES.length`, row-major, in `MODES` order. */
  probs: Float32Array;
}

export class ModeClassifier {
  /** Modes in output order (equal to `MODES`). */
  readonly modes: readonly Mode[];
  /** Features per row (equal to `FEATURE_COUNT`). */
  readonly featureCount: number;

  private constructor(
    private readonly session: ort.InferenceSession,
    /** When the model may overrule the detector vote (`gate.json`). */
    readonly gate: GateParams,
  ) {
    this.modes = MODES;
    this.featureCount = FEATURE_COUNT;
  }

  /**
   * Loads the model and checks that its labels and feature names are those of this code base (`MODES`,
   * `FEATURE_NAMES`), so a stale model fails here rather than mislabelling silently.
   */
  static async load(options: ModeClassifierOptions = {}): Promise<ModeClassifier> {
    const modelPath = options.modelPath ?? DEFAULT_MODEL_PATH;
    const labelsPath = options.labelsPath ?? join(dirname(modelPath), 'labels.json');
    let meta: LabelsFile;
    try {
      meta = JSON.parse(await readFile(labelsPath, 'utf8')) as LabelsFile;
    } catch (cause) {
      throw new PassageError(
        'PASSAGE_CLASSIFIER_MODEL_NOT_FOUND',
        `Cannot read the classifier labels ${labelsPath}: keep labels.json beside the model or set labelsPath.`,
        { cause },
      );
    }
    const sameLabels = meta.labels?.length === MODES.length && meta.labels.every((m, i) => m === MODES[i]);
    const sameFeatures =
      meta.featureNames?.length === FEATURE_COUNT && meta.featureNames.every((f, i) => f === FEATURE_NAMES[i]);
    if (!sameLabels || !sameFeatures || meta.input !== ONNX_INPUT || meta.output !== ONNX_OUTPUT) {
      throw new PassageError(
        'PASSAGE_CLASSIFIER_MODEL_MISMATCH',
        `The classifier at ${modelPath} was trained for other ${sameLabels ? 'features' : 'modes'} than this ` +
          'version of Passage: retrain it with npm run train (or use the model shipped with this version).',
      );
    }
    let session: ort.InferenceSession;
    try {
      session = await ort.InferenceSession.create(modelPath, {
        executionProviders: ['cpu'],
        intraOpNumThreads: options.intraOpNumThreads ?? 1,
        interOpNumThreads: 1,
        graphOptimizationLevel: 'all',
      });
    } catch (cause) {
      throw new PassageError(
        'PASSAGE_CLASSIFIER_MODEL_NOT_FOUND',
        `Cannot load the ONNX classifier ${modelPath}: check the path, or retrain it with npm run train.`,
        { cause },
      );
    }
    return new ModeClassifier(session, readGate(options.gatePath ?? join(dirname(modelPath), 'gate.json')));
  }

  /**
   * Classifies the first `n` rows of `features` (`n × FEATURE_COUNT`, row-major, raw units; normalisation is
   * inside the model) in one session run.
   */
  async classify(features: Float32Array, n: number): Promise<Classification> {
    const k = MODES.length;
    if (!Number.isInteger(n) || n < 0 || features.length < n * FEATURE_COUNT) {
      throw new PassageError(
        'PASSAGE_CLASSIFIER_INPUT_INVALID',
        `classify() needs ${n} rows of ${FEATURE_COUNT} features but got ${features.length} values: ` +
          'fill the buffer with computeTrackFeatures(track, buffer, row).',
        { domain: 'internal' },
      );
    }
    if (n === 0) return { labels: new Uint8Array(0), probs: new Float32Array(0) };
    const input = new ort.Tensor('float32', features.subarray(0, n * FEATURE_COUNT), [n, FEATURE_COUNT]);
    const result = await this.session.run({ [ONNX_INPUT]: input });
    const probs = result[ONNX_OUTPUT].data as Float32Array;
    const labels = new Uint8Array(n);
    for (let i = 0; i < n; i++) {
      let best = 0;
      for (let j = 1; j < k; j++) if (probs[i * k + j] > probs[i * k + best]) best = j;
      labels[i] = best;
    }
    return { labels, probs };
  }

  /**
   * What the worker uses: the model's calibrated probabilities, gated against the detector vote (`decideModes`:
   * the vote stands unless the model is confident and the track in distribution).
   */
  async classifyGated(features: Float32Array, n: number): Promise<GatedDecision & { probs: Float32Array }> {
    const { probs } = await this.classify(features, n);
    return { ...decideModes(this.gate, features, probs, n), probs };
  }

  /** Releases the ONNX session. */
  async close(): Promise<void> {
    await this.session.release();
  }
}
