/**
 * Trains the mode classifier and writes the model files (`npm run train` at the repository root).
 *
 *   node --import tsx models/mode-classifier/training/src/train.ts [options]
 *
 * Data (one of):
 *   (default)                              the committed feature sets of `training-set.ts` (worlds ×
 *                                          detector conventions × camera variants; `role: test` ones are the
 *                                          test set); see MODEL_CARD.md → Data. The held-out worlds are never
 *                                          read here.
 *   --eval-only --world <dir> [--json f]   no training: the committed model, gated, on a world's own synthesised
 *                                          detections (held-out report: confusion, F1 vs detector vote).
 *   --from <train.csv> [--test <test.csv>]  other features files (format in dataset.ts; .gz accepted). Without --test,
 *                                          20 % of --from is held out (seeded).
 * Training: --epochs 40 --batch 256 --lr 0.003 --seed 1 --backend wasm|cpu; --drop <feature,…> (ablation: those
 * features read as 0 everywhere; for experiments with --out elsewhere); gate: --min-confidence 0.5
 * --two-wheeler-confidence 0.85 (gate.ts).
 * Output (--out, default the runtime package models/mode-classifier): weights.json, model.onnx, labels.json, metrics.json, and the
 * test fixtures src/fixtures/{test-features.csv,parity.json}.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { FEATURE_COUNT, FEATURE_NAMES, MODES } from '@passage/core';
import {
  DEFAULT_GATE,
  type DecisionSource,
  type Evaluation,
  evaluate,
  expectedCalibrationError,
  fitCountOffsets,
  fitOod,
  fitTemperature,
  type GateParams,
  gateToJson,
  ModeClassifier,
  majorityVoteBaseline,
  ONNX_INPUT,
  ONNX_OUTPUT,
  sourceCounts,
  temperedNll,
} from '@passage/mode-classifier';
import { classCounts, type Dataset, readFeaturesCsv as readCsv, splitDataset, take, toFeaturesCsv } from './dataset.ts';
import { initBackend, predictTf, type TfBackend, trainMlp } from './mlp.ts';
import { exportOnnx } from './onnx-export.ts';
import { shuffleInPlace } from './sampling.ts';
import { FEATURE_SETS, featureFile } from './training-set.ts';
import { type MlpWeights, weightsToJson } from './weights.ts';

/** This tooling package (data/, src/fixtures/). */
const PACKAGE_DIR = fileURLToPath(new URL('..', import.meta.url));
/** The runtime package `@passage/mode-classifier`, where the model files live. */
const MODEL_DIR = fileURLToPath(new URL('../..', import.meta.url));
/** Rows of the test set committed as the test fixture. */
const FIXTURE_ROWS = 3000;
/** Rows of the parity fixture (TF.js vs ONNX). */
const PARITY_ROWS = 64;
const { values: args } = parseArgs({
  options: {
    from: { type: 'string' },
    test: { type: 'string' },
    epochs: { type: 'string', default: '40' },
    batch: { type: 'string', default: '256' },
    lr: { type: 'string', default: '0.003' },
    seed: { type: 'string', default: '1' },
    backend: { type: 'string', default: 'wasm' },
    out: { type: 'string', default: MODEL_DIR },
    'min-confidence': { type: 'string', default: String(DEFAULT_GATE.minConfidence) },
    'two-wheeler-confidence': { type: 'string', default: String(DEFAULT_GATE.twoWheelerConfidence) },
    'eval-only': { type: 'boolean', default: false },
    world: { type: 'string' },
    detector: { type: 'string' },
    'noise-seed': { type: 'string' },
    json: { type: 'string' },
    model: { type: 'string' },
    drop: { type: 'string' },
  },
});

/** Ablation (`--drop a,b`): these features are set to 0 in every set read, so the model cannot use them. */
const DROPPED = (args.drop ?? '')
  .split(',')
  .filter(Boolean)
  .map((name) => {
    const k = FEATURE_NAMES.indexOf(name as (typeof FEATURE_NAMES)[number]);
    if (k < 0) throw new Error(`--drop: no feature ${name}`);
    return k;
  });

function readFeaturesCsv(path: string): Dataset {
  const d = readCsv(path);
  for (let i = 0; i < d.n; i++) for (const k of DROPPED) d.features[i * FEATURE_COUNT + k] = 0;
  return d;
}

/** Several features files, one dataset; `--from a.csv.gz,b.csv.gz` (a directory of them is not read). */
function readMany(list: string): { data: Dataset; files: { file: string; n: number }[] } {
  const parts = list
    .split(',')
    .filter(Boolean)
    .map((f) => ({ file: f, data: readFeaturesCsv(f) }));
  return { data: concatDatasets(parts.map((p) => p.data)), files: parts.map((p) => ({ file: p.file, n: p.data.n })) };
}

function concatDatasets(sets: readonly Dataset[]): Dataset {
  const n = sets.reduce((s, d) => s + d.n, 0);
  const features = new Float32Array(n * FEATURE_COUNT);
  const labels = new Uint8Array(n);
  let o = 0;
  for (const d of sets) {
    features.set(d.features.subarray(0, d.n * FEATURE_COUNT), o * FEATURE_COUNT);
    labels.set(d.labels.subarray(0, d.n), o);
    o += d.n;
  }
  return { n, features, labels };
}

function loadData(): { train: Dataset; test: Dataset; source: Record<string, unknown> } {
  if (!args.from) {
    // The committed feature sets (training-set.ts): every `train` set, all regenerated by today's pipeline.
    const trainFiles = FEATURE_SETS.filter((s) => s.role === 'train').map(featureFile);
    const testFiles = FEATURE_SETS.filter((s) => s.role === 'test').map(featureFile);
    args.test ??= testFiles.join(',');
    const { data, files } = readMany(trainFiles.join(','));
    return {
      train: data,
      test: readFeaturesCsv(testFiles[0]),
      source: {
        kind: 'scenario',
        sets: FEATURE_SETS.map((s) => ({ ...s, rows: files.find((f) => f.file === featureFile(s))?.n })),
        heldOut:
          'infra/scenarios/anet-rand, infra/scenarios/nogent-spider: never read here (npm run train -- --eval-only --world …)',
      },
    };
  }
  const { data: all, files } = readMany(args.from);
  if (args.test) {
    const tests = args.test.split(',').filter(Boolean);
    return {
      train: all,
      // The first --test file is the test set (fixtures); every one is reported on its own.
      test: readFeaturesCsv(tests[0]),
      source: { kind: 'csv', train: files, test: tests },
    };
  }
  const [train, test] = splitDataset(all, 0.8, 7);
  return { train, test, source: { kind: 'csv', train: args.from, test: '20 % of --from held out (seed 7)' } };
}

function printEvaluation(title: string, e: Evaluation): void {
  console.log(`\n${title}: macro-F1 ${e.macroF1.toFixed(4)}, accuracy ${e.accuracy.toFixed(4)}`);
  console.log(`${'truth \\ pred'.padEnd(13)}${MODES.map((m) => m.slice(0, 7).padStart(8)).join('')}`);
  for (const [i, row] of e.confusion.entries()) {
    console.log(`${MODES[i].padEnd(13)}${row.map((c) => String(c).padStart(8)).join('')}`);
  }
  console.log(`${'F1'.padEnd(13)}${e.perClass.map((c) => c.f1.toFixed(3).padStart(8)).join('')}`);
}

/** Up to `n` rows of `data`, round-robin over the classes, so every class appears. */
function stratifiedRows(data: Dataset, n: number): number[] {
  const byClass = MODES.map(() => [] as number[]);
  for (let i = 0; i < data.n; i++) byClass[data.labels[i]].push(i);
  const rows: number[] = [];
  for (let j = 0; rows.length < n; j++) {
    let added = false;
    for (const list of byClass) {
      if (j < list.length && rows.length < n) {
        rows.push(list[j]);
        added = true;
      }
    }
    if (!added) break;
  }
  return rows;
}

async function main(): Promise<void> {
  const out = args.out;
  const backend = await initBackend(args.backend as TfBackend);
  console.log(`TF.js backend: ${backend}`);
  const tData = performance.now();
  const { train: trainAll, test, source } = loadData();
  const [train, val] = splitDataset(trainAll, 0.9, Number(args.seed) + 1000);
  const dataMs = performance.now() - tData;
  console.log(`data: train ${train.n}, validation ${val.n}, test ${test.n} (${(dataMs / 1000).toFixed(1)} s)`);

  const settings = {
    hidden: [32, 32],
    epochs: Number(args.epochs),
    batchSize: Number(args.batch),
    learningRate: Number(args.lr),
    l2: 1e-4,
    seed: Number(args.seed),
  };
  const tTrain = performance.now();
  const result = await trainMlp(train, val, FEATURE_NAMES, MODES, {
    ...settings,
    onEpoch: (e, loss, f1) => {
      if (e % 5 === 4 || e === 0) console.log(`epoch ${e + 1}: loss ${loss.toFixed(4)}, val macro-F1 ${f1.toFixed(4)}`);
    },
  });
  const trainS = (performance.now() - tTrain) / 1000;
  console.log(
    `trained in ${trainS.toFixed(1)} s; kept epoch ${result.bestEpoch + 1} (val macro-F1 ${result.bestValMacroF1.toFixed(4)})`,
  );

  // Calibration: temperature scaling fitted on the validation split, folded into the last layer (softmax(z / T)
  // = softmax of the layer with kernel and bias divided by T), so model.onnx outputs calibrated probabilities.
  const rawValProbs = predictTf(result.weights, val.features, val.n);
  const temperature = fitTemperature(rawValProbs, val.labels, MODES.length);
  const tempered = withTemperature(result.weights, temperature);
  // Count offsets (gate.ts fitCountOffsets): class totals of the validation split's arg-max = its true totals.
  const countOffsets = fitCountOffsets(predictTf(tempered, val.features, val.n), val.labels, MODES.length);
  const weights = withOffsets(tempered, countOffsets);
  const valProbs = predictTf(weights, val.features, val.n);
  const calibration = {
    temperature,
    countOffsets: Array.from(countOffsets, (v) => Number(v.toFixed(4))),
    validationEceBefore: expectedCalibrationError(rawValProbs, val.labels, MODES.length),
    validationEceAfter: expectedCalibrationError(valProbs, val.labels, MODES.length),
    validationNllBefore: temperedNll(rawValProbs, val.labels, MODES.length, 1),
    validationNllAfter: temperedNll(valProbs, val.labels, MODES.length, 1),
  };
  console.log(`calibration: ${JSON.stringify(calibration)}`);
  // Gate: when the model may overrule the detector vote (gate.ts); OOD model of the training rows.
  const gate: GateParams = {
    format: 'passage-gate-v1',
    temperature,
    minConfidence: Number(args['min-confidence']),
    twoWheelerConfidence: Number(args['two-wheeler-confidence']),
    ood: fitOod(train.features, train.labels, train.n),
  };

  // Model files. Fixtures go to the tooling package only when the model goes to the runtime package (an
  // experiment with --out elsewhere keeps its fixtures beside its model).
  const fixtureDir = out === MODEL_DIR ? join(PACKAGE_DIR, 'src', 'fixtures') : join(out, 'fixtures');
  mkdirSync(fixtureDir, { recursive: true });
  writeFileSync(join(out, 'weights.json'), weightsToJson(weights));
  writeFileSync(join(out, 'gate.json'), gateToJson(gate));
  const modelPath = join(out, 'model.onnx');
  writeFileSync(modelPath, exportOnnx(weights));
  writeFileSync(
    join(out, 'labels.json'),
    `${JSON.stringify({ labels: MODES, featureNames: FEATURE_NAMES, input: ONNX_INPUT, output: ONNX_OUTPUT }, null, 2)}\n`,
  );

  // Evaluation of the exported model in onnxruntime-node, against TF.js and the baseline.
  const classifier = await ModeClassifier.load({ modelPath });
  // Every --test file on its own (worlds × conventions): raw model, gated model, detector vote, calibration.
  const perTestFile: Record<string, SetReport> = {};
  for (const f of (args.test ?? '').split(',').filter(Boolean)) {
    const d = readFeaturesCsv(f);
    perTestFile[f] = await reportSet(classifier, d);
    printSetReport(f, perTestFile[f]);
  }
  const { labels: pred, probs } = await classifier.classify(test.features, test.n);
  const tfProbs = predictTf(weights, test.features, test.n);
  let maxDiff = 0;
  for (let i = 0; i < probs.length; i++) maxDiff = Math.max(maxDiff, Math.abs(probs[i] - tfProbs[i]));
  console.log(`\nONNX vs TF.js on the test set: max |Δp| = ${maxDiff.toExponential(2)}`);
  const model = evaluate(test.labels, pred, MODES.length);
  const baseline = evaluate(test.labels, majorityVoteBaseline(test.features, test.n), MODES.length);
  printEvaluation('model (ONNX) on the test set', model);
  printEvaluation('baseline (majority detector class) on the test set', baseline);

  // Fixtures: a committed slice of the test set, and a small parity set with the TF.js probabilities.
  const fixture = take(
    test,
    Array.from({ length: Math.min(FIXTURE_ROWS, test.n) }, (_, i) => i),
  );
  writeFileSync(join(fixtureDir, 'test-features.csv'), toFeaturesCsv(fixture));
  const parityRows = stratifiedRows(test, PARITY_ROWS);
  shuffleInPlace(parityRows, 3);
  const parity = take(test, parityRows);
  const parityProbs = predictTf(weights, parity.features, parity.n);
  const parityLabels = (await classifier.classify(parity.features, parity.n)).labels;
  writeFileSync(
    join(fixtureDir, 'parity.json'),
    `${JSON.stringify(
      {
        featureNames: FEATURE_NAMES,
        labels: MODES,
        n: parity.n,
        features: Array.from(parity.features),
        tfjsProbs: Array.from(parityProbs, (v) => Number(v.toPrecision(9))),
        expectedLabels: Array.from(parityLabels, (l) => MODES[l]),
        trueLabels: Array.from(parity.labels, (l) => MODES[l]),
      },
      null,
      1,
    )}\n`,
  );
  const fixtureEval = evaluate(
    fixture.labels,
    (await classifier.classify(fixture.features, fixture.n)).labels,
    MODES.length,
  );
  const fixtureBaseline = evaluate(fixture.labels, majorityVoteBaseline(fixture.features, fixture.n), MODES.length);
  const fixtureGated = evaluate(
    fixture.labels,
    (await classifier.classifyGated(fixture.features, fixture.n)).labels,
    MODES.length,
  );
  await classifier.close();
  console.log(
    `\ncommitted test fixture (${fixture.n} rows): model macro-F1 ${fixtureEval.macroF1.toFixed(4)}, ` +
      `baseline ${fixtureBaseline.macroF1.toFixed(4)}`,
  );

  const metrics = {
    source,
    counts: { train: classCounts(train), validation: classCounts(val), test: classCounts(test) },
    modes: MODES,
    featureCount: FEATURE_COUNT,
    backend,
    settings,
    trainSeconds: Number(trainS.toFixed(1)),
    bestEpoch: result.bestEpoch + 1,
    valMacroF1: result.bestValMacroF1,
    onnxVsTfjsMaxAbsDiff: maxDiff,
    calibration,
    gate: { minConfidence: gate.minConfidence, twoWheelerConfidence: gate.twoWheelerConfidence },
    test: model,
    baseline,
    testGated: perTestFile[(args.test ?? '').split(',')[0]]?.gated,
    perTestFile,
    fixture: {
      rows: fixture.n,
      macroF1: fixtureEval.macroF1,
      gatedMacroF1: fixtureGated.macroF1,
      baselineMacroF1: fixtureBaseline.macroF1,
    },
  };
  writeFileSync(join(out, 'metrics.json'), `${JSON.stringify(metrics, null, 1)}\n`);
  console.log(`\nwrote weights.json, gate.json, model.onnx, labels.json, metrics.json and fixtures under ${out}`);
}

/** The layers with `offsets` added to the last one's bias (count offsets inside the model). */
function withOffsets(w: MlpWeights, offsets: ArrayLike<number>): MlpWeights {
  const last = w.layers.length - 1;
  const layers = w.layers.map((l, i) => (i === last ? { ...l, bias: l.bias.map((v, j) => v + offsets[j]) } : l));
  return { ...w, layers };
}

/** The layers with the last one's kernel and bias divided by `t` (temperature scaling inside the model). */
function withTemperature(w: MlpWeights, t: number): MlpWeights {
  const layers = w.layers.map((l, i) =>
    i === w.layers.length - 1 ? { ...l, kernel: l.kernel.map((v) => v / t), bias: l.bias.map((v) => v / t) } : l,
  );
  return { ...w, layers };
}

/** Per-class figures of one labelled set: raw model, gated model (what the worker does), detector vote. */
export interface SetReport {
  n: number;
  counts: number[];
  model: Evaluation;
  gated: Evaluation;
  vote: Evaluation;
  ece: number;
  sources: Record<DecisionSource, number>;
}

async function reportSet(classifier: ModeClassifier, d: Dataset): Promise<SetReport> {
  const r = await classifier.classifyGated(d.features, d.n);
  return {
    n: d.n,
    counts: classCounts(d),
    model: evaluate(d.labels, r.modelLabels, MODES.length),
    gated: evaluate(d.labels, r.labels, MODES.length),
    vote: evaluate(d.labels, r.voteLabels, MODES.length),
    ece: expectedCalibrationError(r.probs, d.labels, MODES.length),
    sources: sourceCounts(r.sources),
  };
}

function printSetReport(name: string, r: SetReport): void {
  printEvaluation(`${name}: gated model (worker)`, r.gated);
  console.log(`${'model F1'.padEnd(13)}${r.model.perClass.map((c) => c.f1.toFixed(3).padStart(8)).join('')}`);
  console.log(`${'vote F1'.padEnd(13)}${r.vote.perClass.map((c) => c.f1.toFixed(3).padStart(8)).join('')}`);
  console.log(`${'support'.padEnd(13)}${r.counts.map((c) => String(c).padStart(8)).join('')}`);
  console.log(`ECE ${r.ece.toFixed(4)}; decisions ${JSON.stringify(r.sources)}`);
}

if (args['eval-only']) {
  // Held-out report: the committed model (gated, as the worker runs it) on a world's own synthesised detections.
  if (!args.world) {
    console.error('usage: train.ts --eval-only --world <scenario dir> [--detector <preset>] [--json <out.json>]');
    process.exit(2);
  }
  const { heldOutReport } = await import('./eval-scenario.ts');
  await heldOutReport(args.world, {
    detector: args.detector,
    seed: args['noise-seed'] ? Number(args['noise-seed']) : undefined,
    modelPath: args.model,
    json: args.json,
  });
} else {
  await main();
}
