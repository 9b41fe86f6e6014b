/**
 * End-to-end video evaluation on a scenario: synthesised detections → `CameraPipeline` per camera → ONNX mode
 * classifier → 1-minute aggregates, exactly the video-flows worker's logic (rider tracks dropped; tracks with a
 * line crossing or a movement classified; `MinuteAggregator`), compared with the scenario's truth tables.
 *
 *   node --import tsx models/mode-classifier/training/src/eval-scenario.ts --scenario infra/scenarios/chartres-centre \
 *     [--seed <noise seed, default the scenario's>] [--from-s 0] [--to-s 3600] [--model <model.onnx>] [--json <out>]
 *     [--pipeline '<JSON overrides of CameraPipelineOptions>']   (experiments, e.g. '{"stitch":false}')
 *     [--truth-files]   (default: truth tables recomputed from the trajectories, as writeScenarioTruth does)
 *     [--vary-cameras <seed>] [--camera-ranges '{"heightM":[4,6],"hfovDeg":[60,80],"fps":[5,12.5,15]}']
 *     [--drop width_rel,height_rel]   (ablation: those features set to 0, for a model trained with train.ts --drop)
 *
 * Reports: line-count totals per mode group (pedestrians, bicycles, motor vehicles; target |error| ≤ 3 %), share
 * of line × direction × mode × 15-min cells with GEH < 5 (target ≥ 95 %; also without the mode split), turning
 * movements (movement × mode × 15 min, GEH < 5 for ≥ 85 %), and the classifier's macro-F1 on tracks matched to
 * truth crossings (`matchTracksToTruth`), next to the detector majority-vote baseline.
 */
import { writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { FEATURE_COUNT, FEATURE_NAMES, type FinishedRoadUser, MinuteAggregator, MODES, type Mode } from '@passage/core';
import {
  type DecisionSource,
  evaluate as evaluateLabels,
  ModeClassifier,
  sourceCounts,
} from '@passage/mode-classifier';
import {
  compareCells,
  evaluate,
  formatReport,
  type LineCountRow,
  loadScenario,
  type MovementRow,
  readTruth,
  summarizeGeh,
  truthLineCounts,
  truthMovements,
} from '@passage/sim';
import { type CameraVariantRanges, varyCameras } from './camera-variants.ts';
import { applyCameraSizes, matchTracksToTruth, type RunTracksOptions, runScenarioTracks } from './scenario-features.ts';

export interface ScenarioEvalOptions {
  seed?: number;
  fromS?: number;
  toS?: number;
  modelPath?: string;
  /** Read truth/*.csv instead of recomputing the truth tables from the trajectories. */
  truthFiles?: boolean;
  /** Overrides of the per-camera pipeline options (experiments: tracker, stitching…). */
  pipeline?: RunTracksOptions['pipeline'];
  /** Detector convention (preset name or spec); default the scenario's own `synth.detector`. */
  detector?: RunTracksOptions['detector'];
  /** `onnx` (gated model, the worker's default) or `detector` (votes only), as config `classifier.mode`. */
  mode?: 'onnx' | 'detector';
  /** Ablation: these features are set to 0 before classification (a model trained with `train.ts --drop`). */
  drop?: readonly string[];
  /** Camera variant seed and ranges (`camera-variants.ts`; training worlds only): the world through other cameras. */
  varyCameras?: number;
  cameraRanges?: CameraVariantRanges;
}

export async function evalScenario(dir: string, o: ScenarioEvalOptions = {}) {
  const t0 = performance.now();
  const loaded = await loadScenario(dir);
  const ctx = o.varyCameras !== undefined ? varyCameras(loaded, o.varyCameras, o.cameraRanges) : loaded;
  // Truth from the trajectories themselves (truth/*.csv can lag behind a rebuilt scenario); --truth-files reads them.
  const truth = o.truthFiles
    ? await readTruth(join(dir, 'truth'))
    : { lineCounts: truthLineCounts(ctx), movements: truthMovements(ctx) };
  const fromS = o.fromS ?? 0;
  const toS = o.toS ?? ctx.scenario.durationS;
  const seed = o.seed ?? ctx.scenario.seed;
  const t1 = performance.now();
  const tracks = runScenarioTracks(ctx, { seed, fromS, toS, pipeline: o.pipeline, detector: o.detector });
  const t2 = performance.now();
  // The worker: riders dropped, tracks with a crossing or a movement classified, each sized against its camera's
  // earlier ones (width_rel, height_rel).
  const kept = applyCameraSizes(tracks);
  for (const name of o.drop ?? []) {
    const k = FEATURE_NAMES.indexOf(name as (typeof FEATURE_NAMES)[number]);
    if (k < 0) throw new Error(`drop: no feature ${name}`);
    for (const t of kept) t.user.features[k] = 0;
  }
  const feats = new Float32Array(kept.length * FEATURE_COUNT);
  for (const [i, t] of kept.entries()) feats.set(t.user.features, i * FEATURE_COUNT);
  // As the worker: the gated model (classifyGated), or the detector votes with mode `detector`.
  const predicted = new Map<FinishedRoadUser, Mode>();
  const rawModel = new Map<FinishedRoadUser, Mode>();
  let sources: Record<DecisionSource, number> | undefined;
  if (o.mode === 'detector') {
    for (const t of kept) predicted.set(t.user, t.user.voteMode ?? 'car');
  } else {
    const classifier = await ModeClassifier.load({ modelPath: o.modelPath, intraOpNumThreads: 1 });
    const r = await classifier.classifyGated(feats, kept.length);
    await classifier.close();
    for (const [i, t] of kept.entries()) {
      predicted.set(t.user, MODES[r.labels[i]]);
      rawModel.set(t.user, MODES[r.modelLabels[i]]);
    }
    sources = sourceCounts(r.sources);
  }
  const aggs = new Map<string, MinuteAggregator>();
  for (const c of ctx.scenario.cameras) aggs.set(c.id, new MinuteAggregator({ siteId: c.siteId, cameraId: c.id }));
  for (const t of kept) aggs.get(t.cameraId)?.add(t.user.summary, predicted.get(t.user) as Mode);
  const lineCounts: LineCountRow[] = [];
  const movements: MovementRow[] = [];
  for (const a of aggs.values()) {
    const f = a.flush(Number.POSITIVE_INFINITY);
    for (const r of f.lineCounts) lineCounts.push({ ...r });
    for (const r of f.movements) movements.push({ ...r, windowStart: r.minute });
  }
  // Truth restricted to the evaluated time range.
  const t0ms = ctx.scenario.start + fromS * 1000;
  const t1ms = ctx.scenario.start + toS * 1000;
  const inRange = (ms: number): boolean => ms >= t0ms && ms < t1ms;
  const truthLines = truth.lineCounts.filter((r) => inRange(r.minute));
  const truthMoves = truth.movements.filter((r) => inRange(r.windowStart));
  const outLines = lineCounts.filter((r) => inRange(r.minute));
  const outMoves = movements.filter((r) => inRange(r.windowStart));

  // Track-level classification on matched tracks (road users only), model and baseline.
  const { rows, stats } = matchTracksToTruth(ctx, tracks, { fromS, toS });
  const modePairs: { truth: string; predicted: string }[] = [];
  const truthIdx: number[] = [];
  const predIdx: number[] = [];
  const baseIdx: number[] = [];
  const rawIdx: number[] = [];
  for (const r of rows) {
    if (r.kind !== 'road-user') continue;
    // Matched tracks without a crossing or movement are not classified by the worker: the vote stands in.
    const p = predicted.get(r.user) ?? r.user.voteMode ?? 'car';
    modePairs.push({ truth: r.mode, predicted: p });
    truthIdx.push(MODES.indexOf(r.mode));
    predIdx.push(MODES.indexOf(p));
    baseIdx.push(MODES.indexOf(r.user.voteMode ?? 'car'));
    rawIdx.push(MODES.indexOf(rawModel.get(r.user) ?? p));
  }
  const report = evaluate({
    truth: { lineCounts: truthLines, movements: truthMoves },
    output: { lineCounts: outLines, movements: outMoves, modePairs },
    options: { lineCountIntervalS: 900, movementIntervalS: 900, gehShareRequired: 0.95, totalErrorMaxPct: 3 },
  });
  // Line × direction × 15 min, all modes together.
  const bucket = (ms: number): number => Math.floor(ms / 900_000) * 900_000;
  const allModeKey = (r: LineCountRow): string => `${r.cameraId}|${r.lineId}|${r.direction}|${bucket(r.minute)}`;
  const allModes = summarizeGeh(
    compareCells(
      truthLines,
      outLines,
      allModeKey,
      (r) => r.count,
      allModeKey,
      (r) => r.count,
    ),
  );
  const model = evaluateLabels(truthIdx, predIdx, MODES.length);
  const baseline = evaluateLabels(truthIdx, baseIdx, MODES.length);
  const raw = evaluateLabels(truthIdx, rawIdx, MODES.length);
  // Line-count totals per mode against truth.
  const totals: Record<string, { truth: number; output: number; errorPct: number }> = {};
  for (const m of MODES) {
    const t = truthLines.filter((r) => r.mode === m).reduce((s, r) => s + r.count, 0);
    const u = outLines.filter((r) => r.mode === m).reduce((s, r) => s + r.count, 0);
    totals[m] = { truth: t, output: u, errorPct: t > 0 ? (100 * (u - t)) / t : 0 };
  }
  return {
    scenario: ctx.scenario.name,
    noiseSeed: seed,
    fromS,
    toS,
    report,
    lineCellsAllModes: allModes,
    match: stats,
    detector: o.detector ?? ctx.scenario.synth?.detector ?? 'coco-separate',
    mode: o.mode ?? 'onnx',
    classifier: { macroF1: model.macroF1, accuracy: model.accuracy, confusion: model.confusion, n: truthIdx.length },
    baseline: { macroF1: baseline.macroF1, accuracy: baseline.accuracy },
    /** Per class: the worker's answer (gated), the raw model's arg-max, the detector vote. */
    perClass: MODES.map((m, i) => ({
      mode: m,
      support: model.perClass[i].support,
      f1: model.perClass[i].f1,
      rawModelF1: raw.perClass[i].f1,
      voteF1: baseline.perClass[i].f1,
      precision: model.perClass[i].precision,
      recall: model.perClass[i].recall,
    })),
    voteConfusion: baseline.confusion,
    rawModelConfusion: raw.confusion,
    decisions: sources,
    lineTotalsByMode: totals,
    seconds: { load: (t1 - t0) / 1000, pipeline: (t2 - t1) / 1000, total: (performance.now() - t0) / 1000 },
  };
}

export type ScenarioEval = Awaited<ReturnType<typeof evalScenario>>;

/** Acceptance of a world (issue 10): per-class F1 and line totals per mode. */
export function acceptance(r: ScenarioEval): { pass: boolean; failures: string[] } {
  const failures: string[] = [];
  for (const c of r.perClass) {
    if (c.support < 50) continue;
    if (c.f1 < 0.85) failures.push(`F1 ${c.mode} ${c.f1.toFixed(3)} < 0.85 (${c.support} tracks)`);
    if (c.f1 < c.voteF1 - 0.02) {
      failures.push(`F1 ${c.mode} ${c.f1.toFixed(3)} below the detector vote's ${c.voteF1.toFixed(3)} by > 0.02`);
    }
  }
  for (const [m, t] of Object.entries(r.lineTotalsByMode)) {
    if (t.truth >= 50 && Math.abs(t.errorPct) > 10) {
      failures.push(`line total ${m} ${t.errorPct.toFixed(1)} % (${t.output} vs ${t.truth} true crossings)`);
    }
  }
  return { pass: failures.length === 0, failures };
}

/** Prints the per-class table, the confusion matrices and the acceptance of one evaluation. */
export function printClassReport(r: ScenarioEval): void {
  const row = (name: string, cells: (string | number)[]): string =>
    `${name.padEnd(13)}${cells.map((c) => String(c).padStart(9)).join('')}`;
  const matrix = (title: string, m: number[][]): void => {
    console.log(`\n${title}`);
    console.log(
      row(
        'truth \\ pred',
        MODES.map((x) => x.slice(0, 8)),
      ),
    );
    for (const [i, cells] of m.entries()) console.log(row(MODES[i], cells));
  };
  matrix(
    `${r.scenario} (${JSON.stringify(r.detector)}), mode ${r.mode}: confusion of the worker's answer`,
    r.classifier.confusion,
  );
  matrix('detector vote', r.voteConfusion);
  console.log('');
  console.log(row('', ['support', 'F1', 'vote F1', 'raw F1', 'truth', 'counted', 'err %']));
  for (const c of r.perClass) {
    const t = r.lineTotalsByMode[c.mode];
    console.log(
      row(c.mode, [
        c.support,
        c.f1.toFixed(3),
        c.voteF1.toFixed(3),
        c.rawModelF1.toFixed(3),
        t.truth,
        t.output,
        t.errorPct.toFixed(1),
      ]),
    );
  }
  if (r.decisions) console.log(`decisions: ${JSON.stringify(r.decisions)}`);
  const a = acceptance(r);
  console.log(a.pass ? 'acceptance: PASS' : `acceptance: FAIL\n  ${a.failures.join('\n  ')}`);
}

/**
 * The held-out report (`npm run train -- --eval-only --world <dir>`): the committed model, gated as the worker
 * runs it, on the world's own synthesised detections (its own `synth.detector` unless `detector` is given);
 * confusion matrices, per-class F1 of the model and of the detector vote, line totals per mode; JSON to `json`.
 */
export async function heldOutReport(
  world: string,
  o: { detector?: string; seed?: number; modelPath?: string; json?: string } = {},
): Promise<ScenarioEval> {
  const detector = o.detector?.startsWith('{') ? JSON.parse(o.detector) : o.detector;
  const r = await evalScenario(resolve(world), { detector, seed: o.seed, modelPath: o.modelPath });
  printClassReport(r);
  if (o.json) writeFileSync(o.json, `${JSON.stringify({ ...r, acceptance: acceptance(r) }, null, 1)}\n`);
  return r;
}

async function main(): Promise<void> {
  const { values: a } = parseArgs({
    options: {
      scenario: { type: 'string', default: 'infra/scenarios/chartres-centre' },
      seed: { type: 'string' },
      'from-s': { type: 'string' },
      'to-s': { type: 'string' },
      model: { type: 'string' },
      json: { type: 'string' },
      'truth-files': { type: 'boolean', default: false },
      pipeline: { type: 'string' },
      detector: { type: 'string' },
      mode: { type: 'string' },
      'vary-cameras': { type: 'string' },
      'camera-ranges': { type: 'string' },
      drop: { type: 'string' },
    },
  });
  const r = await evalScenario(resolve(a.scenario as string), {
    seed: a.seed ? Number(a.seed) : undefined,
    fromS: a['from-s'] ? Number(a['from-s']) : undefined,
    toS: a['to-s'] ? Number(a['to-s']) : undefined,
    modelPath: a.model,
    truthFiles: a['truth-files'],
    pipeline: a.pipeline ? JSON.parse(a.pipeline) : undefined,
    detector: a.detector?.startsWith('{') ? JSON.parse(a.detector) : a.detector,
    mode: a.mode === 'detector' ? 'detector' : 'onnx',
    varyCameras: a['vary-cameras'] ? Number(a['vary-cameras']) : undefined,
    cameraRanges: a['camera-ranges'] ? JSON.parse(a['camera-ranges']) : undefined,
    drop: a.drop?.split(','),
  });
  console.log(formatReport(r.report));
  const lc = r.report.lineCounts;
  const mv = r.report.movements;
  const pct = (v: number): string => `${(v * 100).toFixed(1)} %`;
  console.log(`\n${r.scenario}, noise seed ${r.noiseSeed}, ${r.fromS}–${r.toS} s`);
  if (lc) {
    for (const [g, v] of Object.entries(lc.byGroup)) {
      console.log(`line counts ${g}: truth ${v.truth}, ours ${v.output}, error ${v.errorPct.toFixed(2)} %`);
    }
    console.log(`line × dir × mode × 15 min cells GEH < 5: ${pct(lc.geh.shareBelow)} of ${lc.geh.cells}`);
  }
  console.log(
    `line × dir × 15 min cells (all modes) GEH < 5: ${pct(r.lineCellsAllModes.shareBelow)} of ${r.lineCellsAllModes.cells}`,
  );
  if (mv) console.log(`movement × mode × 15 min cells GEH < 5: ${pct(mv.geh.shareBelow)} of ${mv.geh.cells}`);
  console.log(
    `classifier on ${r.classifier.n} matched tracks: macro-F1 ${r.classifier.macroF1.toFixed(4)} ` +
      `(accuracy ${r.classifier.accuracy.toFixed(4)}); baseline macro-F1 ${r.baseline.macroF1.toFixed(4)}`,
  );
  console.log(`${'truth \\ pred'.padEnd(13)}${MODES.map((m) => m.slice(0, 7).padStart(8)).join('')}`);
  r.classifier.confusion.forEach((row, i) => {
    console.log(`${MODES[i].padEnd(13)}${row.map((c) => String(c).padStart(8)).join('')}`);
  });
  printClassReport(r);
  console.log(`match: ${JSON.stringify(r.match)}`);
  console.log(`seconds: ${JSON.stringify(r.seconds)}`);
  if (a.json) writeFileSync(a.json, `${JSON.stringify({ ...r, acceptance: acceptance(r) }, null, 1)}\n`);
}

if (process.argv[1]?.endsWith('eval-scenario.ts')) await main();
