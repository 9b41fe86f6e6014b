/**
 * Where do true line crossings get lost? For one world × detector convention × camera variant, every truth crossing
 * of a camera line is put in one bucket:
 *
 * - `counted`: a (non-rider) track's crossing matched it (`matchTracksToTruth`, ± 2 s);
 * - `out-of-view`: the road user's box at the crossing is not in the image (< 25 % inside, < 4 px, behind the
 *   camera or beyond the synthesiser's range) in any frame within ± `windowS`;
 * - `not-detected`: visible, but no detection box overlaps its projected box (IoU ≥ 0.3) within ± `windowS`;
 * - `low-score`: detected, but every overlapping box scores below the tracker's new-track threshold of its class
 *   group (after the score adaptation: 0.6 × the group's factor at the end of the run);
 * - `tracker-cut` / `tracker`: (the box cut by the image border at the crossing / whole) detected with boxes above that threshold, yet no track counted the crossing (a track born too late,
 *   ended too early, broken at the line, or its positions never left the line's margin band on one side).
 *
 * Per mode, with the share of each bucket; `--json` writes the numbers. With `--classify` the other way round too
 * (over-counts): every crossing the worker counts, under the mode the committed classifier gives its track (gated,
 * as the worker), matched one-to-one to the truth crossings (same line and direction, ± 2 s, nearest first; a
 * person-voted track takes a two-wheeler's crossing last), is `ok` (a crossing of that mode), `fromOther` (of
 * another mode: classification), `riderDup` (unmatched, person-voted, a two-wheeler crossed there: its rider),
 * `fragDup` (unmatched, a road user of that mode, or a two-wheeler for a two-wheeler, crossed there: a second track
 * of one road user), `otherDup` (unmatched, only other modes crossed there) or `falsePos` (nobody crossed there),
 * and the matched crossings' true → classified mode are tabled. `--json` also holds one line per lost crossing
 * (`lost`: bucket, key, boxes seen and detected, best score, share of the box inside the image) and, with
 * `--classify`, per counted crossing its true mode (`-` unmatched), label, gate source, model and vote labels and
 * probabilities (`overCount.decisions`), and the misread two-wheelers and trucks with their features (`misread`).
 * Only synthesised data of the given world is read (the truth is the scenario's trajectories); used on the training worlds to find what a convention or a
 * camera setting costs.
 *
 *   node --import tsx models/mode-classifier/training/src/diagnose-crossings.ts --scenario infra/scenarios/dreux-grid \
 *     [--detector low-score|'{"preset":…}'] [--vary-cameras <seed>] [--camera-ranges '{"heightM":[4,6],"fps":[5]}']
 *     [--from-s 0] [--to-s 1200] [--pipeline '<JSON overrides>'] [--classify [--model <model.onnx>]] [--json out.json]
 */
import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { loadConfig } from '@passage/config';
import { FEATURE_COUNT, MODES, type Mode } from '@passage/core';
import { ModeClassifier } from '@passage/mode-classifier';
import {
  type DetectionSynthOptions,
  lineCrossings,
  loadScenario,
  makePinhole,
  type PinholeModel,
  projectBox,
  type SimContext,
} from '@passage/sim';
import { isHeldOutWorld } from '@passage/sim/build/index';
import { type CameraVariantRanges, varyCameras } from './camera-variants.ts';
import {
  applyCameraSizes,
  type DetectionFrame,
  matchTracksToTruth,
  type RunTracksOptions,
  runScenarioTracks,
} from './scenario-features.ts';

export const BUCKETS = ['counted', 'out-of-view', 'not-detected', 'low-score', 'tracker-cut', 'tracker'] as const;
export type Bucket = (typeof BUCKETS)[number];

interface Crossing {
  camera: number;
  agent: number;
  mode: Mode;
  t: number;
  key: string;
  visibleFrames: number;
  detFrames: number;
  maxScore: number;
  group: number;
  nearestDt: number;
  inside: number;
  insideFirst: number;
  insideLast: number;
}

const VIDEO = loadConfig({ env: {} }).video;

/** Position (centre) and heading of agent `a` at time `t` (s), or undefined outside its rows. */
function poseAt(ctx: SimContext, a: number, t: number, out: Float64Array): boolean {
  const { traj } = ctx;
  let lo = traj.agentStart[a];
  let hi = traj.agentStart[a + 1] - 1;
  if (hi < lo || traj.t[traj.byAgent[lo]] > t || traj.t[traj.byAgent[hi]] < t) return false;
  while (hi - lo > 1) {
    const mid = (lo + hi) >> 1;
    if (traj.t[traj.byAgent[mid]] <= t) lo = mid;
    else hi = mid;
  }
  const r = traj.byAgent[lo];
  const s = traj.byAgent[hi];
  const dt = traj.t[s] - traj.t[r];
  if (dt > 1.5) return false;
  const w = dt > 0 ? (t - traj.t[r]) / dt : 0;
  out[0] = traj.x[r] + w * (traj.x[s] - traj.x[r]);
  out[1] = traj.y[r] + w * (traj.y[s] - traj.y[r]);
  let d = traj.angle[s] - traj.angle[r];
  d -= 360 * Math.round(d / 360);
  out[2] = traj.angle[r] + w * d;
  return true;
}

function iou(a: ArrayLike<number>, b0: number, b1: number, b2: number, b3: number): number {
  const iw = Math.min(a[0] + a[2], b2) - Math.max(a[0], b0);
  const ih = Math.min(a[1] + a[3], b3) - Math.max(a[1], b1);
  if (iw <= 0 || ih <= 0) return 0;
  const inter = iw * ih;
  return inter / (a[2] * a[3] + (b2 - b0) * (b3 - b1) - inter);
}

/** Tracker class group of a detector class (as the pipeline: person, two-wheeler, motor vehicle). */
function groupOf(cls: string): number {
  if (cls === 'person') return 0;
  if (cls === 'bicycle' || cls === 'motorcycle') return 1;
  return 2;
}

export interface DiagnoseOptions {
  scenario: string;
  seed?: number;
  detector?: DetectionSynthOptions['detector'];
  varyCameras?: number;
  cameraRanges?: CameraVariantRanges;
  fromS?: number;
  toS?: number;
  pipeline?: RunTracksOptions['pipeline'];
  /** Experiment: every line's `extentTolM` (default the line's own, 0). */
  lineTolM?: number;
  /** Half window around the crossing in which the road user's boxes are looked for, s. @default 1 */
  windowS?: number;
  /** Classify the counted tracks with the committed model and break the counted crossings down (over-counts). */
  classify?: boolean;
  /** With `classify`: another model (its gate.json and labels.json beside it). @default the committed model */
  modelPath?: string;
}

export const OVER_BUCKETS = ['ok', 'fromOther', 'riderDup', 'fragDup', 'otherDup', 'falsePos'] as const;
export type OverBucket = (typeof OVER_BUCKETS)[number];
type OverRow = Record<OverBucket, number> & { truth: number; counted: number };

const twoWheeler = (m: string): boolean => m === 'bicycle' || m === 'motorcycle';

/** Counted crossings per classified mode, each in one `OverBucket` (see the module comment). */
async function overCounts(
  ctx: Awaited<ReturnType<typeof loadScenario>>,
  tracks: ReturnType<typeof runScenarioTracks>,
  crossings: readonly Crossing[],
  fromS: number,
  toS: number,
  modelPath?: string,
): Promise<{
  rows: Record<string, OverRow>;
  confusion: Record<string, Record<string, number>>;
  misread: string[];
  decisions: string[];
}> {
  // As the worker and eval-scenario: each camera's reference car size from its earlier tracks (width_rel, height_rel).
  const kept = applyCameraSizes(tracks);
  const feats = new Float32Array(kept.length * FEATURE_COUNT);
  for (const [i, t] of kept.entries()) feats.set(t.user.features, i * FEATURE_COUNT);
  const clf = await ModeClassifier.load({ intraOpNumThreads: 1, modelPath });
  const r = await clf.classifyGated(feats, kept.length);
  await clf.close();
  const byKey = new Map<string, number[]>();
  crossings.forEach((c, i) => {
    const k = c.key.split('|').slice(0, 3).join('|');
    const l = byKey.get(k);
    if (l) l.push(i);
    else byKey.set(k, [i]);
  });
  const counted: { key: string; tS: number; mode: Mode; person: boolean; ev: number; i: number }[] = [];
  kept.forEach((t, i) => {
    for (const c of t.user.summary.crossings) {
      const tS = (c.ts - ctx.scenario.start) / 1000;
      if (tS < fromS || tS >= toS) continue;
      counted.push({
        key: `${t.cameraId}|${c.lineId}|${c.direction}`,
        tS,
        mode: MODES[r.labels[i]],
        person: t.user.voteMode === 'pedestrian',
        ev: -1,
        i,
      });
    }
  });
  const near = (c: (typeof counted)[number]): number[] =>
    (byKey.get(c.key) ?? []).filter((e) => Math.abs(crossings[e].t - c.tS) <= 2);
  const pairs: { c: number; e: number; cost: number }[] = [];
  counted.forEach((c, ci) => {
    for (const e of near(c)) {
      const cost = Math.abs(crossings[e].t - c.tS) + (c.person && twoWheeler(crossings[e].mode) ? 10 : 0);
      pairs.push({ c: ci, e, cost });
    }
  });
  pairs.sort((a, b) => a.cost - b.cost);
  const taken = new Uint8Array(crossings.length);
  for (const p of pairs) {
    if (counted[p.c].ev >= 0 || taken[p.e]) continue;
    counted[p.c].ev = p.e;
    taken[p.e] = 1;
  }
  const out: Record<string, OverRow> = {};
  for (const m of MODES) {
    out[m] = { truth: 0, counted: 0, ok: 0, fromOther: 0, riderDup: 0, fragDup: 0, otherDup: 0, falsePos: 0 };
  }
  for (const c of crossings) out[c.mode].truth++;
  // Matched crossings: true mode -> classified mode (`<mode>` or `<mode>:<gate source>` when the gate's answer is not
  // the model's arg-max), and one line per misread two-wheeler.
  const confusion: Record<string, Record<string, number>> = {};
  const misread: string[] = [];
  const decisions: string[] = [];
  for (const c of counted) {
    const k = MODES.length;
    decisions.push(
      `${c.ev >= 0 ? crossings[c.ev].mode : '-'} ${c.mode} ${r.sources[c.i]} ${MODES[r.modelLabels[c.i]]} ${MODES[r.voteLabels[c.i]]} ` +
        Array.from(r.probs.subarray(c.i * k, c.i * k + k), (v) => v.toFixed(3)).join(','),
    );
  }
  for (const c of counted) {
    const o = out[c.mode];
    o.counted++;
    if (c.ev >= 0) {
      const truth = crossings[c.ev].mode;
      o[truth === c.mode ? 'ok' : 'fromOther']++;
      const row = (confusion[truth] ??= {});
      row[c.mode] = (row[c.mode] ?? 0) + 1;
      if (truth !== c.mode && (twoWheeler(truth) || truth === 'truck' || c.mode === 'truck')) {
        const f = kept[c.i].user.features;
        const k = MODES.length;
        const p = Array.from(r.probs.subarray(c.i * k, c.i * k + k), (v) => v.toFixed(2)).join(',');
        misread.push(
          `${truth}->${c.mode} ${r.sources[c.i]} model=${MODES[r.modelLabels[c.i]]} vote=${MODES[r.voteLabels[c.i]]} ` +
            `p=[${p}] feats=[${Array.from(f, (v) => Number(v.toFixed(2))).join(',')}] ${c.key} t=${c.tS.toFixed(1)}`,
        );
      }
      continue;
    }
    const modes = near(c).map((e) => crossings[e].mode);
    if (c.person && modes.some(twoWheeler)) o.riderDup++;
    else if (modes.some((m) => m === c.mode || (twoWheeler(m) && twoWheeler(c.mode)))) o.fragDup++;
    else o[modes.length ? 'otherDup' : 'falsePos']++;
  }
  return { rows: out, confusion, misread, decisions };
}

export async function diagnoseCrossings(o: DiagnoseOptions) {
  const loaded = await loadScenario(resolve(o.scenario));
  const ctx = o.varyCameras !== undefined ? varyCameras(loaded, o.varyCameras, o.cameraRanges) : loaded;
  const fromS = o.fromS ?? 0;
  const toS = o.toS ?? ctx.scenario.durationS;
  const win = o.windowS ?? 1;
  const seed = o.seed ?? ctx.scenario.seed;
  // Truth crossings per camera, sorted by time.
  const crossings: Crossing[] = [];
  const camIndex = new Map(ctx.cameras.map((c, i) => [c.spec.id, i]));
  const pinholes: PinholeModel[] = ctx.cameras.map((c) => makePinhole({ ...c.spec, x: c.x, y: c.y }));
  for (const [ci, cam] of ctx.cameras.entries()) {
    for (const line of cam.lines) {
      for (const e of lineCrossings(ctx, line.seg)) {
        if (e.t < fromS || e.t >= toS) continue;
        crossings.push({
          camera: ci,
          agent: e.agent,
          mode: e.mode,
          t: e.t,
          key: `${cam.spec.id}|${line.id}|${e.direction}|${e.agent}|${e.t}`,
          visibleFrames: 0,
          detFrames: 0,
          maxScore: 0,
          group: e.mode === 'pedestrian' ? 0 : e.mode === 'bicycle' || e.mode === 'motorcycle' ? 1 : 2,
          nearestDt: Number.POSITIVE_INFINITY,
          inside: 0,
          insideFirst: 0,
          insideLast: 0,
        });
      }
    }
  }
  const perCam: Crossing[][] = ctx.cameras.map(() => []);
  for (const c of crossings) perCam[c.camera].push(c);
  for (const l of perCam) l.sort((a, b) => a.t - b.t);
  const ptr = ctx.cameras.map(() => 0);
  const pose = new Float64Array(3);
  const box = new Float64Array(5);
  const scoreFactors = new Map<string, readonly number[]>();
  const onFrame = (f: DetectionFrame): void => {
    const ci = camIndex.get(f.cameraId) as number;
    const tf = (f.ts - ctx.scenario.start) / 1000;
    const list = perCam[ci];
    while (ptr[ci] < list.length && list[ptr[ci]].t < tf - win) ptr[ci]++;
    const cam = pinholes[ci];
    for (let k = ptr[ci]; k < list.length && list[k].t <= tf + win; k++) {
      const c = list[k];
      if (!poseAt(ctx, c.agent, tf, pose)) continue;
      if (Math.hypot(pose[0] - cam.cx, pose[1] - cam.cy) > 120) continue;
      const ag = ctx.agents[c.agent];
      const len = Math.max(ag.lengthM, 0.35);
      const wid = Math.max(Math.min(ag.widthM, c.group === 2 ? ag.widthM : 0.8), 0.45);
      if (!projectBox(cam, pose[0], pose[1], pose[2], len, wid, 0, ag.heightM, box)) continue;
      const fullW = box[2] - box[0];
      const fullH = box[3] - box[1];
      const u0 = Math.max(0, box[0]);
      const v0 = Math.max(0, box[1]);
      const u1 = Math.min(f.width ?? cam.width, box[2]);
      const v1 = Math.min(f.height ?? cam.height, box[3]);
      if (u1 - u0 < 4 || v1 - v0 < 4 || ((u1 - u0) * (v1 - v0)) / (fullW * fullH) < 0.25) continue;
      c.visibleFrames++;
      const share = ((u1 - u0) * (v1 - v0)) / (fullW * fullH);
      if (c.visibleFrames === 1) c.insideFirst = share;
      c.insideLast = share;
      // Share of the box inside the image in the frame nearest the crossing.
      if (Math.abs(tf - c.t) < c.nearestDt) {
        c.nearestDt = Math.abs(tf - c.t);
        c.inside = share;
      }
      let best = 0;
      let bestScore = 0;
      for (const d of f.objects) {
        const v = iou(d.bbox, u0, v0, u1, v1);
        if (v >= 0.3 && groupOf(d.cls) === c.group && v > best) {
          best = v;
          bestScore = d.score;
        }
      }
      if (best > 0) {
        c.detFrames++;
        c.maxScore = Math.max(c.maxScore, bestScore);
      }
    }
  };
  const tracks = runScenarioTracks(ctx, {
    seed,
    fromS,
    toS,
    detector: o.detector,
    pipeline: o.pipeline,
    lineTolM: o.lineTolM,
    onFrame,
    scoreFactors,
  });
  const factors = ctx.scenario.cameras.map((c) => scoreFactors.get(c.id) ?? [1, 1, 1, 1]);
  const newTrack = (VIDEO.tracker?.trackHigh as number | undefined) ?? 0.5;
  // Which truth crossings a track counted: re-run the matcher and read back the taken events.
  const taken = new Set<string>();
  const { stats } = matchTracksToTruth(ctx, tracks, { fromS, toS, taken });
  const byMode: Record<string, Record<Bucket, number> & { truth: number }> = {};
  for (const m of MODES) {
    byMode[m] = {
      truth: 0,
      counted: 0,
      'out-of-view': 0,
      'not-detected': 0,
      'low-score': 0,
      'tracker-cut': 0,
      tracker: 0,
    };
  }
  const insideCounted = { cut: 0, whole: 0 };
  /** Lost crossings with a cut box: cut or whole at the start and end of the window. */
  const cutPaths: Record<string, number> = {};
  const scoreHist: Record<string, number[]> = {};
  /** One line per crossing no track counted. */
  const lost: string[] = [];
  const perCamera = ctx.cameras.map(() => ({ truth: 0, counted: 0 }));
  for (const c of crossings) {
    perCamera[c.camera].truth++;
    if (taken.has(c.key)) perCamera[c.camera].counted++;
    const b = byMode[c.mode];
    b.truth++;
    let bucket: Bucket;
    if (taken.has(c.key)) bucket = 'counted';
    else if (c.visibleFrames === 0) bucket = 'out-of-view';
    else if (c.detFrames === 0) bucket = 'not-detected';
    else if (c.maxScore < (newTrack + 0.1) * factors[c.camera][c.group]) bucket = 'low-score';
    else bucket = c.inside < 0.98 ? 'tracker-cut' : 'tracker';
    b[bucket]++;
    if (bucket === 'tracker-cut') {
      const k = `${c.insideFirst < 0.98 ? 'cut' : 'whole'}->${c.insideLast < 0.98 ? 'cut' : 'whole'}`;
      cutPaths[k] = (cutPaths[k] ?? 0) + 1;
    }
    if (bucket === 'counted') insideCounted[c.inside < 0.98 ? 'cut' : 'whole']++;
    if (bucket !== 'counted') {
      lost.push(
        `${c.mode} ${bucket} ${c.key} vis=${c.visibleFrames} det=${c.detFrames} score=${c.maxScore.toFixed(2)} ` +
          `inside=${c.insideFirst.toFixed(2)}/${c.inside.toFixed(2)}/${c.insideLast.toFixed(2)}`,
      );
      const h = (scoreHist[`${c.mode}:${bucket}`] ??= []);
      h.push(c.maxScore);
    }
  }
  // Net: crossings the worker counts (non-rider tracks) by the track's vote group, against the truth's.
  const groupName = ['person', 'two-wheeler', 'motor'];
  const net: Record<string, { truth: number; counted: number }> = {};
  for (const g of groupName) net[g] = { truth: 0, counted: 0 };
  for (const c of crossings) net[groupName[c.group]].truth++;
  for (const t of tracks) {
    if (t.user.rider) continue;
    const v = t.user.voteMode;
    const g = v === 'pedestrian' ? 0 : v === 'bicycle' || v === 'motorcycle' ? 1 : 2;
    net[groupName[g]].counted += t.user.summary.crossings.length;
  }
  const overCount = o.classify ? await overCounts(ctx, tracks, crossings, fromS, toS, o.modelPath) : undefined;
  return {
    overCount,
    lost,
    cutPaths,
    insideCounted,
    net,
    scenario: ctx.scenario.name,
    detector: o.detector ?? ctx.scenario.synth?.detector ?? 'coco-separate',
    varyCameras: o.varyCameras,
    cameraRanges: o.cameraRanges,
    cameras: ctx.scenario.cameras.map((c, i) => ({
      id: c.id,
      fps: c.fps,
      heightM: Number(c.mountingHeightM.toFixed(1)),
      hfovDeg: Number(c.hfovDeg.toFixed(0)),
      factors: factors[i].map((v) => Number(v.toFixed(3))),
      counted: `${perCamera[i].counted}/${perCamera[i].truth}`,
    })),
    fromS,
    toS,
    byMode,
    match: stats,
    medianScoreLost: Object.fromEntries(
      Object.entries(scoreHist).map(([k, v]) => [k, v.sort((a, b) => a - b)[v.length >> 1]]),
    ),
  };
}

async function main(): Promise<void> {
  const { values: a } = parseArgs({
    options: {
      scenario: { type: 'string', default: 'infra/scenarios/dreux-grid' },
      seed: { type: 'string' },
      detector: { type: 'string' },
      'vary-cameras': { type: 'string' },
      'camera-ranges': { type: 'string' },
      'from-s': { type: 'string' },
      'to-s': { type: 'string' },
      pipeline: { type: 'string' },
      'line-tol': { type: 'string' },
      json: { type: 'string' },
      classify: { type: 'boolean', default: false },
      model: { type: 'string' },
    },
  });
  const heldOut = isHeldOutWorld(a.scenario as string);
  if (heldOut) {
    console.error(`${heldOut} is held out: diagnose on the training worlds only.`);
    process.exit(2);
  }
  const t0 = performance.now();
  const r = await diagnoseCrossings({
    scenario: a.scenario as string,
    seed: a.seed ? Number(a.seed) : undefined,
    detector: a.detector?.startsWith('{') ? JSON.parse(a.detector) : a.detector,
    varyCameras: a['vary-cameras'] ? Number(a['vary-cameras']) : undefined,
    cameraRanges: a['camera-ranges'] ? JSON.parse(a['camera-ranges']) : undefined,
    fromS: a['from-s'] ? Number(a['from-s']) : undefined,
    toS: a['to-s'] ? Number(a['to-s']) : undefined,
    pipeline: a.pipeline ? JSON.parse(a.pipeline) : undefined,
    lineTolM: a['line-tol'] ? Number(a['line-tol']) : undefined,
    classify: a.classify,
    modelPath: a.model,
  });
  const row = (cells: (string | number)[]): string => cells.map((c, i) => String(c).padStart(i ? 13 : 11)).join('');
  console.log(`${r.scenario} detector ${JSON.stringify(r.detector)} cameras ${JSON.stringify(r.cameras)}`);
  console.log(row(['mode', 'truth', ...BUCKETS]));
  for (const [m, b] of Object.entries(r.byMode)) {
    if (!b.truth) continue;
    console.log(row([m, b.truth, ...BUCKETS.map((k) => `${b[k]} ${((100 * b[k]) / b.truth).toFixed(1)}%`)]));
  }
  console.log(`counted crossings with the box cut by the image border: ${JSON.stringify(r.insideCounted)}`);
  console.log(`lost crossings with a cut box, box at the window's start -> end: ${JSON.stringify(r.cutPaths)}`);
  console.log(`net (by vote group): ${JSON.stringify(r.net)}`);
  console.log(`median best score of lost crossings: ${JSON.stringify(r.medianScoreLost)}`);
  if (r.overCount) {
    console.log(`counted crossings by classified mode:\n${row(['mode', 'truth', 'counted', ...OVER_BUCKETS, 'err'])}`);
    for (const [m, v] of Object.entries(r.overCount.rows)) {
      const err = v.truth ? `${((100 * (v.counted - v.truth)) / v.truth).toFixed(1)}%` : '-';
      console.log(row([m, v.truth, v.counted, ...OVER_BUCKETS.map((k) => v[k]), err]));
    }
    console.log(`matched crossings, true mode -> classified mode:\n${row(['true', ...MODES])}`);
    for (const m of MODES) console.log(row([m, ...MODES.map((c) => r.overCount?.confusion[m]?.[c] ?? 0)]));
  }
  console.log(`${((performance.now() - t0) / 1000).toFixed(0)} s`);
  if (a.json) writeFileSync(a.json, `${JSON.stringify(r, null, 1)}\n`);
}

if (process.argv[1]?.endsWith('diagnose-crossings.ts')) await main();
