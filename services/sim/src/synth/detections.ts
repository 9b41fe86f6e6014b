/**
 * Camera detection synthesiser: what a camera's edge detector (a COCO-trained YOLO-class model, no tracker)
 * would send for each frame of a scenario, as `DetectionFrame`s (`detections.v1`).
 *
 * For every camera frame (10 fps, trajectories interpolated between SUMO steps) each road user's 3-D box
 * (length × width × height, oriented by its heading) is projected through the pinhole camera into a 2-D box,
 * clipped to the image. Realism, all seeded and deterministic:
 * - box jitter: each box edge moves by N(0, `jitter` × box size);
 * - misses: probability grows with distance, occlusion by nearer boxes (overlap share), truncation by the image
 *   border and small apparent size; fully hidden objects are never reported;
 * - scores in [0.1, 0.99] fall with occlusion, distance and truncation, so partly hidden objects come out as
 *   low-score boxes (ByteTrack's second association stage);
 * - COCO labels with confusion: a cyclist is two boxes (`person` + `bicycle`), a motorcyclist `motorcycle`
 *   plus, for about half of them, a `person` box; a van is `car` (≈ 75 % of vans) or `truck`; occasional
 *   car↔truck and truck→bus; a per-object label (per camera) plus per-frame flicker;
 * - false positives: short episodes (mean 2.5 frames) of spurious boxes, a few per 100 frames, mostly low score.
 * The detector convention (rider boxes separate or merged, the label-confusion tables, the score distribution) is
 * the scenario's `synth.detector` (or the `detector` option), see `detector-convention.ts`; the default
 * `coco-separate` is what is described above, frame for frame.
 * No edge track ids, plates or embeddings. Same seed and same time range → identical frames.
 */
import type { DetectedObject, DetectionFrame, Mode } from '@passage/stream/contracts';
import { makePinhole, type PinholeModel, projectBox } from '../camera.ts';
import { hashUniform, Rng, weightedIndex } from '../prng.ts';
import {
  DETECTOR_PRESETS,
  type DetectorConvention,
  type DetectorConventionSpec,
  type LabelRule,
  resolveDetectorConvention,
  TRUTH_PARTS,
  type TruthPart,
} from './detector-convention.ts';
import type { SimContext } from './scenario.ts';

export type { TruthPart } from './detector-convention.ts';

export interface DetectionNoise {
  /** σ of each box edge as a share of the box width/height. @default 0.03 */
  jitter: number;
  /** Distance (horizontal, m) below which distance does not cause misses. @default 15 */
  nearM: number;
  /** Distance at which the distance miss probability reaches `missFar`. @default 100 */
  farM: number;
  /** Miss probability due to distance at `farM` (quadratic ramp from `nearM`). @default 0.3 */
  missFar: number;
  /** Boxes smaller than this (px) in either dimension are never reported nor counted as visible. @default 4 */
  minBoxPx: number;
  /** Probability per camera frame that a false-positive episode starts. @default 0.015 */
  fpRate: number;
  /** Mean length of a false-positive episode, frames. @default 2.5 */
  fpMeanFrames: number;
  /** Share of would-be misses that still come out as a low-score box (0.1–0.45). @default 0.3 */
  weakShare: number;
  /** Range within which road users are considered at all, metres. @default 120 */
  maxRangeM: number;
}

export const DEFAULT_DETECTION_NOISE: DetectionNoise = {
  jitter: 0.03,
  nearM: 15,
  farM: 100,
  missFar: 0.25,
  minBoxPx: 4,
  fpRate: 0.015,
  fpMeanFrames: 2.5,
  maxRangeM: 120,
  weakShare: 0.3,
};

/** Measured behaviour of a synthesis run (filled when passed in the options). */
export interface DetectionStats {
  frames: number;
  /** Truth boxes visible in a frame (≥ minBoxPx, ≥ 25 % inside the image). */
  visible: number;
  /** Of those, reported. */
  detected: number;
  /** Reported with score < 0.5 (ByteTrack low-score stage). */
  lowScore: number;
  falsePositives: number;
  /** Truth part → detector label → count of reported boxes. */
  labels: Record<string, Record<string, number>>;
  /** Truth part → visible boxes. */
  visibleByPart: Record<string, number>;
  /** Visible and detected boxes by distance band (`DISTANCE_BANDS_M`: < 25, 25–50, 50–100, ≥ 100 m). */
  visibleByBand: number[];
  detectedByBand: number[];
  /** Sum over visible boxes of each miss cause's probability (mean = sum / visible): what drives the misses. */
  missCauses: { base: number; distance: number; occlusion: number; truncation: number; size: number };
}

/** Upper bounds of the distance bands of `DetectionStats`, metres. */
export const DISTANCE_BANDS_M = [25, 50, 100, Number.POSITIVE_INFINITY] as const;

function bandOf(d: number): number {
  let b = 0;
  while (d >= DISTANCE_BANDS_M[b]) b++;
  return b;
}

export function newDetectionStats(): DetectionStats {
  return {
    frames: 0,
    visible: 0,
    detected: 0,
    lowScore: 0,
    falsePositives: 0,
    labels: {},
    visibleByPart: {},
    visibleByBand: [0, 0, 0, 0],
    detectedByBand: [0, 0, 0, 0],
    missCauses: { base: 0, distance: 0, occlusion: 0, truncation: 0, size: 0 },
  };
}

export interface DetectionSynthOptions {
  /** Seed of the noise (default: the scenario's seed). */
  seed?: number;
  /** Cameras to synthesise (default: all). */
  cameraIds?: readonly string[];
  /** Time range, seconds from scenario start (default: the whole scenario). */
  fromS?: number;
  toS?: number;
  noise?: Partial<DetectionNoise>;
  /**
   * Detector convention (rider boxes, label confusion, scores): a preset name, a `synth.detector` spec, or a resolved
   * convention. Default: the scenario's `synth.detector` (scenario.json), else `coco-separate`.
   */
  detector?: string | DetectorConventionSpec | DetectorConvention;
  /** Filled as frames are generated. */
  stats?: DetectionStats;
  /** Emit frames without objects too (default true: a real edge device sends every frame). */
  emptyFrames?: boolean;
}

/** Detector behaviour per truth part (COCO labels) of the default convention (`coco-separate`). */
export const LABEL_RULES: Readonly<Record<TruthPart, LabelRule>> = DETECTOR_PRESETS['coco-separate'].rules;
const PART_NAMES = TRUTH_PARTS;
const PART_INDEX = new Map(PART_NAMES.map((p, i) => [p, i]));

/** Share of motorcyclists whose rider the detector also reports as `person` (default convention). */
export const MOTO_RIDER_SHARE = DETECTOR_PRESETS['coco-separate'].motoRiderShare;

/** False-positive labels and their weights. */
const FP_LABELS = ['person', 'car', 'bicycle', 'truck', 'motorcycle', 'bus'] as const;
const FP_WEIGHTS = [0.45, 0.27, 0.1, 0.1, 0.05, 0.03];

interface Part {
  part: TruthPart;
  length: number;
  width: number;
  z0: number;
  z1: number;
  /** Drawn in one box with the part before it (merged riders): the union of both projections. */
  merge?: boolean;
}

/** The boxes a road user of this mode shows to a detector. */
function partsOf(mode: Mode, l: number, w: number, h: number, rider: boolean, merged: boolean): Part[] {
  if (merged && (mode === 'bicycle' || mode === 'motorcycle')) {
    // One box: the vehicle's (whose label rule applies) united with its rider's.
    return mode === 'bicycle'
      ? [
          { part: 'bicycle:bike', length: l, width: Math.min(w, 0.5), z0: 0, z1: 1.05 },
          { part: 'bicycle:rider', length: 0.6, width: 0.5, z0: 0.25, z1: Math.max(h, 1.6), merge: true },
        ]
      : [
          { part: 'motorcycle:bike', length: l, width: Math.min(w, 0.8), z0: 0, z1: 1.2 },
          { part: 'motorcycle:rider', length: 0.7, width: 0.55, z0: 0.45, z1: Math.max(h, 1.5), merge: true },
        ];
  }
  switch (mode) {
    case 'pedestrian':
      return [{ part: 'pedestrian', length: Math.max(l, 0.35), width: Math.max(w, 0.45), z0: 0, z1: h }];
    case 'bicycle':
      return [
        { part: 'bicycle:rider', length: 0.6, width: 0.5, z0: 0.25, z1: Math.max(h, 1.6) },
        { part: 'bicycle:bike', length: l, width: Math.min(w, 0.5), z0: 0, z1: 1.05 },
      ];
    case 'motorcycle': {
      const bike: Part = { part: 'motorcycle:bike', length: l, width: Math.min(w, 0.8), z0: 0, z1: 1.2 };
      if (!rider) return [bike];
      return [bike, { part: 'motorcycle:rider', length: 0.7, width: 0.55, z0: 0.45, z1: Math.max(h, 1.5) }];
    }
    default:
      return [{ part: mode, length: l, width: w, z0: 0, z1: h }];
  }
}

interface FpEpisode {
  cls: string;
  u: number;
  v: number;
  w: number;
  h: number;
  score: number;
  left: number;
}

/** Per-camera state of a synthesis run. */
interface CameraRun {
  index: number;
  id: string;
  fps: number;
  cam: PinholeModel;
  frame: number;
  lastFrame: number;
  step: number;
  /** Candidate rows of the current step (near and roughly in front). */
  candidates: Int32Array;
  nCandidates: number;
  fp: FpEpisode[];
}

const R2D = 180 / Math.PI;

function lerpAngle(a: number, b: number, s: number): number {
  let d = b - a;
  d -= 360 * Math.round(d / 360);
  return a + d * s;
}

/**
 * Generate detection frames for the scenario's cameras in timestamp order (cameras interleaved at equal
 * timestamps in scenario order). A lazy generator: frames are produced as they are pulled.
 */
export function* synthesizeDetections(ctx: SimContext, options: DetectionSynthOptions = {}): Generator<DetectionFrame> {
  const { scenario, traj, agents } = ctx;
  const noise: DetectionNoise = { ...DEFAULT_DETECTION_NOISE, ...options.noise };
  const conv = detectorConventionOf(ctx, options.detector);
  const rules: LabelRule[] = PART_NAMES.map((p) => conv.rules[p]);
  const merged = conv.riders === 'merged';
  const { scoreScale, scoreShift } = conv;
  const seed = options.seed ?? scenario.seed;
  const stats = options.stats;
  const emptyFrames = options.emptyFrames ?? true;
  const fromS = options.fromS ?? 0;
  const toS = Math.min(options.toS ?? scenario.durationS, scenario.durationS);
  const wanted = options.cameraIds ? new Set(options.cameraIds) : undefined;

  const runs: CameraRun[] = [];
  ctx.cameras.forEach((c, index) => {
    if (wanted && !wanted.has(c.spec.id)) return;
    const fps = c.spec.fps || 10;
    runs.push({
      index,
      id: c.spec.id,
      fps,
      cam: makePinhole({ ...c.spec, x: c.x, y: c.y }),
      frame: Math.ceil(fromS * fps - 1e-9),
      lastFrame: Math.ceil(toS * fps - 1e-9) - 1,
      step: -2,
      candidates: new Int32Array(64),
      nCandidates: 0,
      fp: [],
    });
  });

  // Frame scratch (struct of arrays, grown on demand).
  let cap = 256;
  let bMinU = new Float64Array(cap);
  let bMinV = new Float64Array(cap);
  let bMaxU = new Float64Array(cap);
  let bMaxV = new Float64Array(cap);
  let bDepth = new Float64Array(cap);
  let bDist = new Float64Array(cap);
  let bVis = new Float64Array(cap);
  let bAgent = new Int32Array(cap);
  let bPart = new Int32Array(cap);
  let order = new Int32Array(cap);
  const grow = (): void => {
    cap *= 2;
    const g = <T extends Float64Array | Int32Array>(a: T): T => {
      const b = new (a.constructor as new (n: number) => T)(cap);
      b.set(a);
      return b;
    };
    bMinU = g(bMinU);
    bMinV = g(bMinV);
    bMaxU = g(bMaxU);
    bMaxV = g(bMaxV);
    bDepth = g(bDepth);
    bDist = g(bDist);
    bVis = g(bVis);
    bAgent = g(bAgent);
    bPart = g(bPart);
    order = new Int32Array(cap);
  };
  const out = new Float64Array(5);
  const mergeOut = new Float64Array(5);
  const partsCache: (Part[] | undefined)[] = new Array(2 * agents.length);
  const nSteps = traj.stepTimes.length;
  const stepDt = nSteps > 1 ? (traj.stepTimes[nSteps - 1] - traj.stepTimes[0]) / (nSteps - 1) : 1;
  const maxRange2 = noise.maxRangeM * noise.maxRangeM;

  const selectCandidates = (run: CameraRun, k: number): void => {
    run.step = k;
    run.nCandidates = 0;
    if (k < 0 || k >= nSteps) return;
    const cx = run.cam.cx;
    const cy = run.cam.cy;
    // Horizontal forward direction of the camera.
    const fx = run.cam.fwd[0];
    const fy = run.cam.fwd[1];
    const fn = Math.hypot(fx, fy) || 1;
    for (let r = traj.stepStart[k]; r < traj.stepStart[k + 1]; r++) {
      const dx = traj.x[r] - cx;
      const dy = traj.y[r] - cy;
      if (dx * dx + dy * dy > maxRange2) continue;
      if ((dx * fx + dy * fy) / fn < -30) continue;
      if (run.nCandidates === run.candidates.length) {
        const b = new Int32Array(run.candidates.length * 2);
        b.set(run.candidates);
        run.candidates = b;
      }
      run.candidates[run.nCandidates++] = r;
    }
  };

  let stepPtr = 0;
  while (true) {
    // Next camera frame in time order.
    let run: CameraRun | undefined;
    let bestT = Number.POSITIVE_INFINITY;
    for (const r of runs) {
      if (r.frame > r.lastFrame) continue;
      const t = r.frame / r.fps;
      if (t < bestT - 1e-9) {
        bestT = t;
        run = r;
      }
    }
    if (!run) return;
    const f = run.frame++;
    const tf = f / run.fps;
    const ts = scenario.start + Math.round((f * 1000) / run.fps);
    const W = run.cam.width;
    const H = run.cam.height;
    const rng = Rng.keyed(seed, 1, run.index, f);

    // Step k with stepTimes[k] <= tf < stepTimes[k+1] (times only move forward overall; per camera as well).
    while (stepPtr + 1 < nSteps && traj.stepTimes[stepPtr + 1] <= tf + 1e-9) stepPtr++;
    while (stepPtr > 0 && traj.stepTimes[stepPtr] > tf + 1e-9) stepPtr--;
    const k = nSteps > 0 && traj.stepTimes[stepPtr] <= tf + 1e-9 ? stepPtr : -1;
    if (k !== run.step) selectCandidates(run, k);

    // 1. Project the visible parts of every candidate road user.
    let nb = 0;
    for (let c = 0; c < run.nCandidates; c++) {
      const r = run.candidates[c];
      const a = traj.agent[r];
      const s = traj.nextRow[r];
      let x: number;
      let y: number;
      let ang: number;
      if (s >= 0 && traj.t[s] > tf) {
        const w = (tf - traj.t[r]) / (traj.t[s] - traj.t[r]);
        x = traj.x[r] + w * (traj.x[s] - traj.x[r]);
        y = traj.y[r] + w * (traj.y[s] - traj.y[r]);
        ang = lerpAngle(traj.angle[r], traj.angle[s], w);
      } else {
        const dt = tf - traj.t[r];
        if (dt > stepDt / 2 + 1e-9) continue;
        ang = traj.angle[r];
        const rad = ang / R2D;
        x = traj.x[r] + traj.speed[r] * dt * Math.sin(rad);
        y = traj.y[r] + traj.speed[r] * dt * Math.cos(rad);
      }
      const ag = agents[a];
      const rider = ag.mode === 'motorcycle' && hashUniform(seed, 2, run.index, a) < conv.motoRiderShare;
      const ci = 2 * a + (rider ? 1 : 0);
      let parts = partsCache[ci];
      if (!parts) {
        parts = partsOf(ag.mode, ag.lengthM, ag.widthM, ag.heightM, rider, merged);
        partsCache[ci] = parts;
      }
      const dist = Math.hypot(x - run.cam.cx, y - run.cam.cy);
      for (let pi = 0; pi < parts.length; pi++) {
        const p = parts[pi];
        if (p.merge) continue; // drawn with the part before it
        if (!projectBox(run.cam, x, y, ang, p.length, p.width, p.z0, p.z1, out)) continue;
        // Merged riders: the union of the vehicle's and the rider's projected boxes, at the nearer depth.
        for (let q = pi + 1; q < parts.length && parts[q].merge; q++) {
          const m = parts[q];
          if (!projectBox(run.cam, x, y, ang, m.length, m.width, m.z0, m.z1, mergeOut)) continue;
          out[0] = Math.min(out[0], mergeOut[0]);
          out[1] = Math.min(out[1], mergeOut[1]);
          out[2] = Math.max(out[2], mergeOut[2]);
          out[3] = Math.max(out[3], mergeOut[3]);
          out[4] = Math.min(out[4], mergeOut[4]);
        }
        const fullW = out[2] - out[0];
        const fullH = out[3] - out[1];
        const u0 = Math.max(0, out[0]);
        const v0 = Math.max(0, out[1]);
        const u1 = Math.min(W, out[2]);
        const v1 = Math.min(H, out[3]);
        if (u1 - u0 < noise.minBoxPx || v1 - v0 < noise.minBoxPx) continue;
        const vis = ((u1 - u0) * (v1 - v0)) / Math.max(1e-9, fullW * fullH);
        if (vis < 0.25) continue;
        if (nb === cap) grow();
        bMinU[nb] = u0;
        bMinV[nb] = v0;
        bMaxU[nb] = u1;
        bMaxV[nb] = v1;
        bDepth[nb] = out[4];
        bDist[nb] = dist;
        bVis[nb] = vis;
        bAgent[nb] = a;
        bPart[nb] = PART_INDEX.get(p.part) ?? 0;
        nb++;
      }
    }

    // 2. Occlusion by nearer boxes of other road users, then detection, noise and labels.
    for (let i = 0; i < nb; i++) order[i] = i;
    const ord = order.subarray(0, nb).sort((p, q) => bDepth[p] - bDepth[q]);
    const objects: DetectedObject[] = [];
    for (let oi = 0; oi < nb; oi++) {
      const i = ord[oi];
      const area = (bMaxU[i] - bMinU[i]) * (bMaxV[i] - bMinV[i]);
      // Occluded share: union of the overlaps of nearer boxes, as if independent (1 − Π(1 − overlap_j)), times
      // 0.85 because a 2-D box is not all object (corners of a projected 3-D box are background).
      let clear = 1;
      for (let oj = 0; oj < oi; oj++) {
        const j = ord[oj];
        if (bAgent[j] === bAgent[i]) continue;
        const iw = Math.min(bMaxU[i], bMaxU[j]) - Math.max(bMinU[i], bMinU[j]);
        if (iw <= 0) continue;
        const ih = Math.min(bMaxV[i], bMaxV[j]) - Math.max(bMinV[i], bMinV[j]);
        if (ih <= 0) continue;
        clear *= 1 - Math.min(1, (iw * ih) / area);
      }
      const occ = 0.85 * (1 - clear);
      const partName = PART_NAMES[bPart[i]];
      const rule = rules[bPart[i]];
      if (stats) {
        stats.visible++;
        stats.visibleByPart[partName] = (stats.visibleByPart[partName] ?? 0) + 1;
        stats.visibleByBand[bandOf(bDist[i])]++;
      }
      const boxW = bMaxU[i] - bMinU[i];
      const boxH = bMaxV[i] - bMinV[i];
      const distFrac = Math.min(1, Math.max(0, (bDist[i] - noise.nearM) / (noise.farM - noise.nearM)));
      const pDist = noise.missFar * distFrac * distFrac;
      const pOcc = occ <= 0.35 ? 0 : Math.min(1, ((occ - 0.35) / 0.5) ** 1.5);
      const pTrunc = bVis[i] >= 0.6 ? 0 : ((0.6 - bVis[i]) / 0.6) * 0.8;
      const size = Math.sqrt(boxW * boxH);
      const pSize = size >= 14 ? 0 : Math.min(1, (14 - size) / 10) * 0.8;
      const pDetect = (1 - rule.baseMiss) * (1 - pDist) * (1 - pOcc) * (1 - pTrunc) * (1 - pSize);
      if (stats) {
        const mc = stats.missCauses;
        mc.base += rule.baseMiss;
        mc.distance += pDist;
        mc.occlusion += pOcc;
        mc.truncation += pTrunc;
        mc.size += pSize;
      }
      let score: number;
      if (rng.next() < pDetect) {
        // Score falls with occlusion, distance, truncation and small size.
        score = rule.baseScore - 0.5 * occ - 0.3 * distFrac - 0.4 * (1 - bVis[i]) - 0.3 * pSize + 0.07 * rng.normal();
      } else if (rng.next() < noise.weakShare) {
        // A weak response of the detector: the object is there, at a low score (ByteTrack's second stage).
        score = 0.1 + 0.35 * rng.next();
      } else {
        continue;
      }
      score = Math.min(0.99, Math.max(0.1, score * scoreScale + scoreShift));
      // Edge jitter.
      const j = noise.jitter;
      let x0 = bMinU[i] + j * boxW * rng.normal();
      let x1 = bMaxU[i] + j * boxW * rng.normal();
      let y0 = bMinV[i] + j * boxH * rng.normal();
      let y1 = bMaxV[i] + j * boxH * rng.normal();
      x0 = Math.max(0, Math.min(W - 1, x0));
      y0 = Math.max(0, Math.min(H - 1, y0));
      x1 = Math.max(x0 + 1, Math.min(W, x1));
      y1 = Math.max(y0 + 1, Math.min(H, y1));
      // Label: usual label of this object for this camera, with per-frame flicker.
      let li = 0;
      if (rule.labels.length > 1) {
        li = weightedIndex(rule.weights, hashUniform(seed, 3, run.index, bAgent[i], bPart[i]));
        if (rng.next() < rule.flicker) {
          const others = rule.weights.map((w, wi) => (wi === li ? 0 : w));
          li = weightedIndex(others, rng.next());
        }
      }
      const cls = rule.labels[li];
      objects.push({
        bbox: [round1(x0), round1(y0), round1(x1 - x0), round1(y1 - y0)],
        cls,
        score: Math.round(score * 1000) / 1000,
      });
      if (stats) {
        stats.detected++;
        stats.detectedByBand[bandOf(bDist[i])]++;
        if (score < 0.5) stats.lowScore++;
        const row = stats.labels[partName] ?? {};
        row[cls] = (row[cls] ?? 0) + 1;
        stats.labels[partName] = row;
      }
    }

    // 3. False positives: short episodes of spurious boxes.
    if (rng.next() < noise.fpRate) run.fp.push(newFalsePositive(rng, W, H, noise.fpMeanFrames));
    for (let e = run.fp.length - 1; e >= 0; e--) {
      const ep = run.fp[e];
      const x0 = Math.max(0, ep.u + 2 * rng.normal());
      const y0 = Math.max(0, ep.v + 2 * rng.normal());
      objects.push({
        bbox: [round1(x0), round1(y0), round1(Math.min(ep.w, W - x0)), round1(Math.min(ep.h, H - y0))],
        cls: ep.cls,
        score:
          Math.round(Math.min(0.99, Math.max(0.1, (ep.score + 0.04 * rng.normal()) * scoreScale + scoreShift)) * 1000) /
          1000,
      });
      if (stats) stats.falsePositives++;
      if (--ep.left <= 0) run.fp.splice(e, 1);
    }

    if (stats) stats.frames++;
    if (objects.length === 0 && !emptyFrames) continue;
    rng.shuffle(objects);
    yield { cameraId: run.id, ts, frame: f, width: W, height: H, objects };
  }
}

/** The convention of a synthesis run: the option (preset name, spec or resolved), else the scenario's. */
export function detectorConventionOf(
  ctx: SimContext,
  option?: string | DetectorConventionSpec | DetectorConvention,
): DetectorConvention {
  if (typeof option === 'string') return resolveDetectorConvention({ preset: option });
  if (option && 'rules' in option) return option as DetectorConvention;
  if (option) return resolveDetectorConvention(option);
  return resolveDetectorConvention(ctx.scenario.synth?.detector);
}

function round1(v: number): number {
  return Math.round(v * 10) / 10;
}

function newFalsePositive(rng: Rng, W: number, H: number, meanFrames: number): FpEpisode {
  const cls = FP_LABELS[rng.weighted(FP_WEIGHTS)];
  let w: number;
  let h: number;
  if (cls === 'person') {
    h = rng.uniform(0.04, 0.2) * H;
    w = h * rng.uniform(0.3, 0.5);
  } else if (cls === 'bicycle' || cls === 'motorcycle') {
    h = rng.uniform(0.04, 0.15) * H;
    w = h * rng.uniform(1, 1.6);
  } else {
    w = rng.uniform(0.05, 0.25) * W;
    h = w * rng.uniform(0.5, 0.9);
  }
  const u = rng.uniform(0, Math.max(1, W - w));
  const v = rng.uniform(0.3 * H, Math.max(0.3 * H + 1, H - h));
  // Mostly low scores; one in six confident.
  const score = rng.chance(1 / 6) ? rng.uniform(0.5, 0.8) : 0.1 + 0.4 * rng.next() ** 2;
  // Geometric episode length with the given mean (≥ 1 frame).
  const left = 1 + Math.floor(rng.exponential(Math.max(0, meanFrames - 1)) + 0.5);
  return { cls, u, v, w, h, score, left };
}

/** Detector-label statistics of a run: shares per truth part. */
export function labelShares(stats: DetectionStats, part: TruthPart): Record<string, number> {
  const row = stats.labels[part] ?? {};
  let total = 0;
  for (const v of Object.values(row)) total += v;
  const out: Record<string, number> = {};
  for (const [k, v] of Object.entries(row)) out[k] = total > 0 ? v / total : 0;
  return out;
}

/** Frame-level summary numbers of a run. */
export function summarizeDetectionStats(stats: DetectionStats): {
  missRate: number;
  /** Miss rate by distance band (see `DISTANCE_BANDS_M`). */
  missRateByBand: number[];
  lowScoreShare: number;
  fpPerFrame: number;
  vanAsCar: number;
  vanAsTruck: number;
  carAsTruck: number;
} {
  const van = labelShares(stats, 'van');
  const car = labelShares(stats, 'car');
  return {
    missRate: stats.visible > 0 ? 1 - stats.detected / stats.visible : 0,
    missRateByBand: stats.visibleByBand.map((v, b) => (v > 0 ? 1 - stats.detectedByBand[b] / v : 0)),
    lowScoreShare: stats.detected > 0 ? stats.lowScore / stats.detected : 0,
    fpPerFrame: stats.frames > 0 ? stats.falsePositives / stats.frames : 0,
    vanAsCar: van.car ?? 0,
    vanAsTruck: van.truck ?? 0,
    carAsTruck: car.truck ?? 0,
  };
}
