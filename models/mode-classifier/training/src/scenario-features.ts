/**
 * Labelled track features from a synthesised SUMO scenario (the real training path of the mode classifier).
 *
 *   node --import tsx models/mode-classifier/training/src/scenario-features.ts --scenario <dir> --seed <noise seed> \
 *     --out <features.csv[.gz]> [--from-s 0] [--to-s <durationS>] [--cameras id,id]
 *
 * 1. Every camera's frames are synthesised by `synthesizeDetections` (`@passage/sim`, noise seed `--seed`, detector
 *    convention `--detector` or the scenario's `synth.detector`, cameras optionally varied by `--vary-cameras`) and
 *    run through the worker's own camera loop, `CameraPipelineSet` (`@passage/core`: one `CameraPipeline` per camera,
 *    ByteTrack → homography → lines/zones → features), with the options the video-flows worker derives from the
 *    same scenario.json: `cameraPipelineOptions` (`@passage/core`) and the default `video` configuration. No Kafka,
 *    no store.
 * 2. Finished tracks with ≥ 1 line crossing are matched to the truth crossings (`lineCrossings`, scenario
 *    trajectories) of the same camera line and direction within ±`toleranceS` (2 s): greedy one-to-one by cost,
 *    cost = |Δt|, + `PERSON_ON_TWO_WHEELER_PENALTY_S` when a person-voted track would take the crossing of a
 *    cyclist/motorcyclist (so the bicycle/motorcycle box's track gets its own road user first). A track's label is
 *    the mode of the agent matched by most of its crossings.
 * 3. Rows (`TrackRow.kind`):
 *    - `road-user`: a track the worker classifies (not flagged rider) matched to an agent → label = agent mode;
 *    - `rider`: a track whose crossings coincide with those of a two-wheeler agent already taken by another track
 *      and whose majority detector class is `person` (the person box of a cyclist/motorcyclist that the pipeline's
 *      rider rule did not catch; it would be counted twice), or a track the pipeline flagged as rider. Written with
 *      label `rider`; `parseFeaturesCsv` skips these rows, so they never train the 7-mode model (a rider is not a
 *      road user of its own). They are reported so the rider rule can be measured;
 *    - unmatched tracks (false positives, duplicate fragments) are dropped and counted.
 */
import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { gzipSync } from 'node:zlib';
import { loadConfig } from '@passage/config';
import {
  type CameraPipelineOptions,
  CameraPipelineSet,
  type CameraRoadUser,
  CameraSizeReference,
  cameraPipelineOptions,
  FEATURE_COUNT,
  FEATURE_NAMES,
  type FinishedRoadUser,
  MODES,
  type Mode,
  needsMode,
} from '@passage/core';
import {
  type DetectionSynthOptions,
  lineCrossings,
  loadScenario,
  type SimContext,
  synthesizeDetections,
} from '@passage/sim';
import { type CameraVariantRanges, varyCameras } from './camera-variants.ts';

/** A synthesised detection frame (`detections.v1`). */
export type DetectionFrame = ReturnType<typeof synthesizeDetections> extends Generator<infer F> ? F : never;

/** A finished road user of one camera (what the video-flows worker sees). */
export type CameraTrack = CameraRoadUser;

export interface RunTracksOptions {
  /** Noise seed of the detection synthesiser (default: the scenario's seed). */
  seed?: number;
  fromS?: number;
  toS?: number;
  cameraIds?: readonly string[];
  /** Detector convention of the synthesiser (preset name or spec; default the scenario's `synth.detector`). */
  detector?: DetectionSynthOptions['detector'];
  /** Overrides of the per-camera pipeline options (tracker, rider rule…). */
  pipeline?: Partial<Omit<CameraPipelineOptions, 'cameraId' | 'siteId' | 'homography' | 'lines' | 'zones'>>;
  /** Called with each finished road user as it ends (default: collected and returned). */
  onTrack?: (t: CameraTrack) => void;
  /** Called with each synthesised frame after the pipelines ran it (diagnosis). */
  onFrame?: (f: DetectionFrame) => void;
  /** Every counting line's `extentTolM` (experiments; default the line's own). */
  lineTolM?: number;
  /** Filled at the end with each camera's score-threshold factors per class group. */
  scoreFactors?: Map<string, readonly number[]>;
}

/** The video defaults the worker runs with (`video.*` of the default configuration, no file, no environment). */
const VIDEO = loadConfig({ env: {} }).video;

/**
 * Runs every camera's synthesised frames through the worker's `CameraPipelineSet` (one `CameraPipeline` per
 * camera); returns the finished road users.
 */
export function runScenarioTracks(ctx: SimContext, o: RunTracksOptions = {}): CameraTrack[] {
  const out: CameraTrack[] = [];
  const emit = o.onTrack ?? ((t: CameraTrack) => out.push(t));
  const specs = new Map(ctx.scenario.cameras.map((c) => [c.id, c]));
  const set = new CameraPipelineSet(
    (id) => {
      const c = specs.get(id);
      if (!c || (o.cameraIds && !o.cameraIds.includes(id))) return undefined;
      const defaults = { fps: VIDEO.fps, tracker: VIDEO.tracker, adaptiveScores: VIDEO.adaptiveScores };
      const p = { ...cameraPipelineOptions(c, defaults), ...o.pipeline };
      if (o.lineTolM !== undefined) p.lines = p.lines.map((l) => ({ ...l, extentTolM: o.lineTolM }));
      return p;
    },
    { maxClockJumpMs: VIDEO.maxClockJumpMs },
  );
  const finished: CameraTrack[] = [];
  const drain = (): void => {
    for (const t of finished) emit(t);
    finished.length = 0;
  };
  const synth = { seed: o.seed, fromS: o.fromS, toS: o.toS, cameraIds: o.cameraIds, detector: o.detector };
  for (const f of synthesizeDetections(ctx, synth)) {
    set.processFrame(f.cameraId, f.ts, f.objects, finished, f);
    o.onFrame?.(f);
    if (finished.length) drain();
  }
  set.flush(finished);
  drain();
  for (const c of ctx.scenario.cameras) {
    const p = set.get(c.id);
    if (p) o.scoreFactors?.set(c.id, [...p.scoreThresholdFactors]);
  }
  return out;
}

/**
 * The worker's per-camera relative sizes (`width_rel`, `height_rel`, core camera-size.ts): the tracks that need a
 * mode (riders and tracks without a crossing or movement left out, as the video-flows worker does), in the order
 * they ended, each sized against its camera's earlier ones; written into their features in place. Returns them.
 * Without it the two features are each track's size over the prior `SIZE_PRIOR_M` (what `computeTrackFeatures`
 * gives), not what the worker feeds the model.
 */
export function applyCameraSizes(tracks: readonly CameraTrack[]): CameraTrack[] {
  const kept = tracks.filter((t) => needsMode(t.user));
  const sizes = new CameraSizeReference();
  for (const t of kept) sizes.apply(t.cameraId, t.user.features);
  return kept;
}

/** Extra cost (seconds) of giving a two-wheeler's crossing to a person-voted track (see the module comment). */
export const PERSON_ON_TWO_WHEELER_PENALTY_S = 10;

export type TrackKind = 'road-user' | 'rider';

export interface LabelledTrack {
  cameraId: string;
  user: FinishedRoadUser;
  kind: TrackKind;
  /** Index of the matched agent in `ctx.agents`. */
  agent: number;
  /** The agent's mode. */
  mode: Mode;
}

export interface MatchStats {
  /** Finished tracks with ≥ 1 crossing. */
  tracksWithCrossings: number;
  roadUsers: number;
  /** Person tracks on a two-wheeler not flagged by the pipeline (counted twice by the worker). */
  ridersMissed: number;
  /** Tracks flagged rider by the pipeline that match a two-wheeler (correct) or something else (wrong). */
  ridersFlaggedOk: number;
  ridersFlaggedWrong: number;
  /** Tracks with crossings matching no truth crossing (false positives, fragments). */
  unmatched: number;
  /** Truth crossings (in the time range, on the cameras run) and how many got a non-rider track. */
  truthCrossings: number;
  truthMatched: number;
  /** Truth crossings per mode and matched per mode. */
  truthByMode: Record<string, number>;
  matchedByMode: Record<string, number>;
}

/**
 * Labels finished tracks by their line crossings against the truth crossings of the same camera line and direction
 * (see the module comment for the rule). Only tracks with ≥ 1 crossing are returned.
 */
export function matchTracksToTruth(
  ctx: SimContext,
  tracks: readonly CameraTrack[],
  o: {
    toleranceS?: number;
    fromS?: number;
    toS?: number;
    cameraIds?: readonly string[];
    /** Filled with the truth crossings a track took, as `camera|line|direction|agent|t` (t in s from start). */
    taken?: Set<string>;
  } = {},
): { rows: LabelledTrack[]; stats: MatchStats } {
  const tol = o.toleranceS ?? 2;
  const fromS = o.fromS ?? 0;
  const toS = o.toS ?? ctx.scenario.durationS;
  const start = ctx.scenario.start;
  // Truth crossings per key camera|line|direction.
  const events: { agent: number; mode: Mode; t: number; taken: number; key: string }[] = [];
  const byKey = new Map<string, number[]>();
  for (const cam of ctx.cameras) {
    if (o.cameraIds && !o.cameraIds.includes(cam.spec.id)) continue;
    for (const line of cam.lines) {
      for (const e of lineCrossings(ctx, line.seg)) {
        if (e.t < fromS || e.t >= toS) continue;
        const key = `${cam.spec.id}|${line.id}|${e.direction}`;
        let list = byKey.get(key);
        if (!list) byKey.set(key, (list = []));
        list.push(events.length);
        events.push({ agent: e.agent, mode: e.mode, t: e.t, taken: -1, key: `${key}|${e.agent}|${e.t}` });
      }
    }
  }
  const withCrossings = tracks.filter((t) => t.user.summary.crossings.length > 0);
  const twoWheeler = (m: Mode): boolean => m === 'bicycle' || m === 'motorcycle';
  // Candidate pairs (track crossing ↔ truth crossing) for the tracks the worker classifies (not flagged rider).
  const pairs: { track: number; crossing: number; event: number; cost: number }[] = [];
  const eventsNear = (t: CameraTrack, c: { lineId: string; direction: string; ts: number }): number[] => {
    const list = byKey.get(`${t.cameraId}|${c.lineId}|${c.direction}`) ?? [];
    const tS = (c.ts - start) / 1000;
    return list.filter((ev) => Math.abs(events[ev].t - tS) <= tol);
  };
  withCrossings.forEach((t, ti) => {
    if (t.user.rider) return;
    const person = t.user.voteMode === 'pedestrian';
    t.user.summary.crossings.forEach((c, ci) => {
      const tS = (c.ts - start) / 1000;
      for (const ev of eventsNear(t, c)) {
        const e = events[ev];
        const cost = Math.abs(e.t - tS) + (person && twoWheeler(e.mode) ? PERSON_ON_TWO_WHEELER_PENALTY_S : 0);
        pairs.push({ track: ti, crossing: ci, event: ev, cost });
      }
    });
  });
  pairs.sort((a, b) => a.cost - b.cost || a.track - b.track || a.event - b.event);
  const matched = withCrossings.map(() => new Map<number, number>()); // agent → matched crossings
  const usedCrossing = new Set<string>();
  for (const p of pairs) {
    const e = events[p.event];
    if (e.taken >= 0) continue;
    // One truth crossing per track crossing: a track crossing a line once cannot take two events.
    const ck = `${p.track}|${p.crossing}`;
    if (usedCrossing.has(ck)) continue;
    e.taken = p.track;
    usedCrossing.add(ck);
    const m = matched[p.track];
    m.set(e.agent, (m.get(e.agent) ?? 0) + 1);
  }
  const stats: MatchStats = {
    tracksWithCrossings: withCrossings.length,
    roadUsers: 0,
    ridersMissed: 0,
    ridersFlaggedOk: 0,
    ridersFlaggedWrong: 0,
    unmatched: 0,
    truthCrossings: events.length,
    truthMatched: events.filter((e) => e.taken >= 0).length,
    truthByMode: {},
    matchedByMode: {},
  };
  for (const e of events) {
    stats.truthByMode[e.mode] = (stats.truthByMode[e.mode] ?? 0) + 1;
    if (e.taken >= 0) stats.matchedByMode[e.mode] = (stats.matchedByMode[e.mode] ?? 0) + 1;
    if (e.taken >= 0) o.taken?.add(e.key);
  }
  const rows: LabelledTrack[] = [];
  withCrossings.forEach((t, ti) => {
    let best = -1;
    let bestN = 0;
    for (const [agent, n] of matched[ti]) {
      if (n > bestN) {
        best = agent;
        bestN = n;
      }
    }
    if (best >= 0) {
      rows.push({ ...t, kind: 'road-user', agent: best, mode: ctx.agents[best].mode });
      stats.roadUsers++;
      return;
    }
    // Not matched as a road user: the person box of a two-wheeler whose crossing another track took?
    let rider = -1;
    for (const c of t.user.summary.crossings) {
      for (const ev of eventsNear(t, c)) if (twoWheeler(events[ev].mode)) rider = events[ev].agent;
    }
    if (t.user.rider) {
      if (rider >= 0) stats.ridersFlaggedOk++;
      else stats.ridersFlaggedWrong++;
      if (rider >= 0) rows.push({ ...t, kind: 'rider', agent: rider, mode: ctx.agents[rider].mode });
      return;
    }
    if (rider >= 0 && t.user.voteMode === 'pedestrian') {
      stats.ridersMissed++;
      rows.push({ ...t, kind: 'rider', agent: rider, mode: ctx.agents[rider].mode });
      return;
    }
    stats.unmatched++;
  });
  return { rows, stats };
}

/** features.csv text: FEATURE_NAMES, `label` (a mode, or `rider`), then `camera` (ignored by the reader). */
export function labelledTracksToCsv(rows: readonly LabelledTrack[]): string {
  const lines = [[...FEATURE_NAMES, 'label', 'camera'].join(',')];
  for (const r of rows) {
    const cells = new Array<string>(FEATURE_COUNT + 2);
    for (let k = 0; k < FEATURE_COUNT; k++) {
      const v = r.user.features[k];
      cells[k] = v === 0 ? '0' : String(Number(v.toPrecision(6)));
    }
    cells[FEATURE_COUNT] = r.kind === 'rider' ? 'rider' : r.mode;
    cells[FEATURE_COUNT + 1] = r.cameraId;
    lines.push(cells.join(','));
  }
  return `${lines.join('\n')}\n`;
}

/** Counts per label (MODES then `rider`). */
export function labelCounts(rows: readonly LabelledTrack[]): Record<string, number> {
  const c: Record<string, number> = Object.fromEntries([...MODES, 'rider'].map((m) => [m, 0]));
  for (const r of rows) c[r.kind === 'rider' ? 'rider' : r.mode]++;
  return c;
}

export interface ExtractOptions {
  scenario: string;
  /** Noise seed of the synthesiser. */
  seed: number;
  /** features.csv(.gz) to write. */
  out: string;
  fromS?: number;
  toS?: number;
  cameraIds?: string[];
  /** Detector convention (preset or spec); default the scenario's. */
  detector?: RunTracksOptions['detector'];
  /** Camera variant seed (`camera-variants.ts`); default the scenario's cameras. */
  varyCameras?: number;
  /** Ranges of the camera variant (`camera-variants.ts` defaults: masts 4–10 m, 60–110°, 5–30 fps). */
  cameraRanges?: CameraVariantRanges;
}

/** Labelled features of one world × convention × camera variant, written to `o.out`; returns the statistics. */
export async function extractFeatures(o: ExtractOptions) {
  const t0 = performance.now();
  const loaded = await loadScenario(resolve(o.scenario));
  // Training-time camera variants (height, FOV, fps, resolution, clicked calibration): camera-variants.ts.
  const ctx = o.varyCameras !== undefined ? varyCameras(loaded, o.varyCameras, o.cameraRanges) : loaded;
  const fromS = o.fromS ?? 0;
  const toS = o.toS ?? ctx.scenario.durationS;
  const { cameraIds, seed, detector } = o;
  const t1 = performance.now();
  const tracks = runScenarioTracks(ctx, { seed, fromS, toS, cameraIds, detector });
  // width_rel / height_rel as the worker computes them (its reference also sees tracks that match no truth crossing).
  applyCameraSizes(tracks);
  const t2 = performance.now();
  const { rows, stats } = matchTracksToTruth(ctx, tracks, { fromS, toS, cameraIds });
  const csv = labelledTracksToCsv(rows);
  writeFileSync(o.out, o.out.endsWith('.gz') ? gzipSync(csv, { level: 9 }) : csv);
  return {
    scenario: ctx.scenario.name,
    scenarioSeed: ctx.scenario.seed,
    noiseSeed: seed,
    detector: detector ?? ctx.scenario.synth?.detector ?? 'coco-separate',
    varyCameras: o.varyCameras,
    cameraRanges: o.cameraRanges,
    fps: [...new Set(ctx.scenario.cameras.map((c) => c.fps))],
    fromS,
    toS,
    tracks: tracks.length,
    ...stats,
    labels: labelCounts(rows),
    seconds: { load: (t1 - t0) / 1000, pipeline: (t2 - t1) / 1000, match: (performance.now() - t2) / 1000 },
  };
}

async function main(): Promise<void> {
  const { values: a } = parseArgs({
    options: {
      scenario: { type: 'string' },
      seed: { type: 'string' },
      out: { type: 'string' },
      'from-s': { type: 'string' },
      'to-s': { type: 'string' },
      cameras: { type: 'string' },
      detector: { type: 'string' },
      'vary-cameras': { type: 'string' },
    },
  });
  if (!a.scenario || !a.seed || !a.out) {
    console.error(
      'usage: scenario-features.ts --scenario <dir> --seed <noise seed> --out <csv|csv.gz> [--from-s] [--to-s] ' +
        '[--cameras a,b] [--detector <preset>|<JSON spec>] [--vary-cameras <seed>]',
    );
    process.exit(2);
  }
  const stats = await extractFeatures({
    scenario: a.scenario,
    seed: Number(a.seed),
    out: a.out,
    fromS: a['from-s'] ? Number(a['from-s']) : undefined,
    toS: a['to-s'] ? Number(a['to-s']) : undefined,
    cameraIds: a.cameras?.split(','),
    detector: a.detector?.startsWith('{') ? JSON.parse(a.detector) : a.detector,
    varyCameras: a['vary-cameras'] ? Number(a['vary-cameras']) : undefined,
  });
  console.error(JSON.stringify(stats, null, 1));
}

if (process.argv[1]?.endsWith('scenario-features.ts')) await main();
