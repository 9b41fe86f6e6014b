/**
 * Detector conventions: how a camera's edge detector draws and names road users. Edge detectors differ in ways that
 * matter to a classifier downstream: whether a cyclist is one box (rider and bicycle together, as detectors trained
 * on "cyclist"/"motorcyclist" classes do) or two (COCO: `person` + `bicycle`), how they confuse classes (a van as
 * `car` or `truck`…), and how their scores are distributed.
 *
 * A scenario chooses its convention with the optional `synth.detector` field of `scenario.json`:
 *
 * ```json
 * "synth": { "detector": {
 *   "preset": "coco-separate",
 *   "riders": "separate" | "merged",
 *   "labels": { "<TruthPart>": { "labels": ["car", "truck"], "weights": [0.7, 0.3],
 *                                "flicker": 0.05, "baseMiss": 0.02, "baseScore": 0.86 }, … },
 *   "scoreShift": 0, "scoreScale": 1 } }
 * ```
 *
 * - `preset` (default `coco-separate`, the synthesiser's historical behaviour): the convention the other fields
 *   override. Every missing field falls back to it; a part's rule missing `flicker`/`baseMiss`/`baseScore` keeps the
 *   preset's value; `labels` and `weights` go together (same length, weights ≥ 0, not all 0).
 * - `riders`: `separate` → a cyclist is a rider box (`bicycle:rider`) and a bicycle box (`bicycle:bike`), a
 *   motorcyclist a `motorcycle:bike` box plus, for `motoRiderShare` of them (0.5 in `coco-separate`), a
 *   `motorcycle:rider` box; `merged` → one box per cyclist/motorcyclist, the union of the rider and vehicle boxes,
 *   labelled by the rule of `bicycle:bike` / `motorcycle:bike` (the rider rules are unused).
 * - `scoreScale`, `scoreShift`: every score `s` the detector reports (true objects and false positives) becomes
 *   `s × scoreScale + scoreShift` before the clamp to [0.1, 0.99]. Defaults 1 and 0 (bit-identical scores).
 *
 * Presets (`DETECTOR_PRESETS`): `coco-separate` (default), and three training conventions that differ from it in
 * one or several ways: `merged-riders`, `low-score`, `merged-confused`.
 */
import { PassageError } from '@passage/config/errors';

/** What a box truly is: the road user's mode and which part of it (cyclists and motorcyclists are two parts). */
export type TruthPart =
  | 'pedestrian'
  | 'bicycle:rider'
  | 'bicycle:bike'
  | 'motorcycle:bike'
  | 'motorcycle:rider'
  | 'car'
  | 'van'
  | 'truck'
  | 'bus';

export const TRUTH_PARTS: readonly TruthPart[] = [
  'pedestrian',
  'bicycle:rider',
  'bicycle:bike',
  'motorcycle:bike',
  'motorcycle:rider',
  'car',
  'van',
  'truck',
  'bus',
];

export interface LabelRule {
  labels: readonly string[];
  weights: readonly number[];
  /** Per-frame probability of reporting another label of the rule than the object's usual one. */
  flicker: number;
  /** Base miss probability (hard classes miss more). */
  baseMiss: number;
  /** Score of a fully visible, near object (before noise). */
  baseScore: number;
}

export type RiderConvention = 'separate' | 'merged';

/** A resolved convention (every field set). */
export interface DetectorConvention {
  /** Preset it was derived from (`custom` changes are not named). */
  preset: string;
  riders: RiderConvention;
  rules: Readonly<Record<TruthPart, LabelRule>>;
  scoreShift: number;
  scoreScale: number;
  /** `separate` only: share of motorcyclists whose rider is also reported as its own box. */
  motoRiderShare: number;
}

/** The `synth.detector` field of scenario.json (see the module comment). */
export interface DetectorConventionSpec {
  preset?: string;
  riders?: RiderConvention;
  labels?: Partial<Record<TruthPart, Partial<LabelRule>>>;
  scoreShift?: number;
  scoreScale?: number;
}

/** The synthesiser's historical behaviour (COCO labels, cyclists as two boxes). */
const COCO_RULES: Record<TruthPart, LabelRule> = {
  pedestrian: { labels: ['person'], weights: [1], flicker: 0, baseMiss: 0.03, baseScore: 0.82 },
  'bicycle:rider': { labels: ['person'], weights: [1], flicker: 0, baseMiss: 0.04, baseScore: 0.8 },
  'bicycle:bike': {
    labels: ['bicycle', 'motorcycle'],
    weights: [0.97, 0.03],
    flicker: 0.03,
    baseMiss: 0.08,
    baseScore: 0.72,
  },
  'motorcycle:bike': {
    labels: ['motorcycle', 'bicycle'],
    weights: [0.92, 0.08],
    flicker: 0.04,
    baseMiss: 0.05,
    baseScore: 0.78,
  },
  'motorcycle:rider': { labels: ['person'], weights: [1], flicker: 0, baseMiss: 0.1, baseScore: 0.7 },
  car: { labels: ['car', 'truck'], weights: [0.99, 0.01], flicker: 0.015, baseMiss: 0.02, baseScore: 0.9 },
  van: { labels: ['car', 'truck'], weights: [0.75, 0.25], flicker: 0.08, baseMiss: 0.02, baseScore: 0.86 },
  truck: {
    labels: ['truck', 'car', 'bus'],
    weights: [0.88, 0.08, 0.04],
    flicker: 0.05,
    baseMiss: 0.03,
    baseScore: 0.85,
  },
  bus: { labels: ['bus', 'truck'], weights: [0.94, 0.06], flicker: 0.03, baseMiss: 0.02, baseScore: 0.9 },
};

const freeze = (c: DetectorConvention): DetectorConvention =>
  Object.freeze({ ...c, rules: Object.freeze({ ...c.rules }) });

/**
 * Named conventions. The training presets are guesses at other plausible detectors, chosen to differ from
 * `coco-separate` in each dimension a real deployment varies in; none is fitted to a held-out world.
 */
export const DETECTOR_PRESETS: Readonly<Record<string, DetectorConvention>> = Object.freeze({
  /** Default: COCO labels, rider and two-wheeler as two boxes, half the motorcyclists' riders reported. */
  'coco-separate': freeze({
    preset: 'coco-separate',
    riders: 'separate',
    rules: COCO_RULES,
    scoreShift: 0,
    scoreScale: 1,
    motoRiderShare: 0.5,
  }),
  /**
   * A detector trained with rider-inclusive boxes ("cyclist"/"motorcyclist" reported under the vehicle's COCO
   * name): one box per two-wheeler; bicycles and motorcycles confused more often (the rider dominates the box);
   * vans split more evenly between car and truck; slightly more misses.
   */
  'merged-riders': freeze({
    preset: 'merged-riders',
    riders: 'merged',
    rules: {
      ...COCO_RULES,
      'bicycle:bike': {
        labels: ['bicycle', 'motorcycle', 'person'],
        weights: [0.86, 0.1, 0.04],
        flicker: 0.06,
        baseMiss: 0.06,
        baseScore: 0.76,
      },
      'motorcycle:bike': {
        labels: ['motorcycle', 'bicycle'],
        weights: [0.85, 0.15],
        flicker: 0.06,
        baseMiss: 0.04,
        baseScore: 0.8,
      },
      van: { labels: ['car', 'truck'], weights: [0.55, 0.45], flicker: 0.1, baseMiss: 0.02, baseScore: 0.84 },
      truck: {
        labels: ['truck', 'bus', 'car'],
        weights: [0.8, 0.1, 0.1],
        flicker: 0.06,
        baseMiss: 0.03,
        baseScore: 0.84,
      },
    },
    scoreShift: 0,
    scoreScale: 1,
    motoRiderShare: 0,
  }),
  /**
   * A weaker, less confident detector (a small model on an edge box): scores compressed and lowered (more boxes
   * fall in ByteTrack's low-score stage), more misses and flicker, vans almost always `car`, some cars `truck`,
   * motorcycles often `bicycle`; riders separate, and every motorcyclist's rider reported.
   */
  'low-score': freeze({
    preset: 'low-score',
    riders: 'separate',
    rules: {
      ...COCO_RULES,
      pedestrian: { labels: ['person'], weights: [1], flicker: 0, baseMiss: 0.06, baseScore: 0.78 },
      'bicycle:bike': {
        labels: ['bicycle', 'motorcycle'],
        weights: [0.9, 0.1],
        flicker: 0.08,
        baseMiss: 0.12,
        baseScore: 0.7,
      },
      'motorcycle:bike': {
        labels: ['motorcycle', 'bicycle'],
        weights: [0.78, 0.22],
        flicker: 0.08,
        baseMiss: 0.06,
        baseScore: 0.74,
      },
      car: { labels: ['car', 'truck'], weights: [0.96, 0.04], flicker: 0.03, baseMiss: 0.04, baseScore: 0.86 },
      van: { labels: ['car', 'truck'], weights: [0.92, 0.08], flicker: 0.06, baseMiss: 0.04, baseScore: 0.82 },
      bus: { labels: ['bus', 'truck'], weights: [0.85, 0.15], flicker: 0.05, baseMiss: 0.03, baseScore: 0.86 },
    },
    scoreShift: -0.08,
    scoreScale: 0.85,
    motoRiderShare: 1,
  }),
  /**
   * Merged riders with a heavily confused two-wheeler head (bicycle ↔ motorcycle about one in four, cyclists
   * sometimes `person`), trucks often `bus`, and over-confident scores.
   */
  'merged-confused': freeze({
    preset: 'merged-confused',
    riders: 'merged',
    rules: {
      ...COCO_RULES,
      'bicycle:bike': {
        labels: ['bicycle', 'motorcycle', 'person'],
        weights: [0.7, 0.22, 0.08],
        flicker: 0.1,
        baseMiss: 0.06,
        baseScore: 0.78,
      },
      'motorcycle:bike': {
        labels: ['motorcycle', 'bicycle'],
        weights: [0.72, 0.28],
        flicker: 0.1,
        baseMiss: 0.04,
        baseScore: 0.8,
      },
      van: { labels: ['car', 'truck'], weights: [0.65, 0.35], flicker: 0.08, baseMiss: 0.02, baseScore: 0.86 },
      truck: {
        labels: ['truck', 'bus', 'car'],
        weights: [0.72, 0.2, 0.08],
        flicker: 0.06,
        baseMiss: 0.03,
        baseScore: 0.86,
      },
      bus: { labels: ['bus', 'truck'], weights: [0.82, 0.18], flicker: 0.05, baseMiss: 0.02, baseScore: 0.9 },
    },
    scoreShift: 0.05,
    scoreScale: 1.05,
    motoRiderShare: 0,
  }),
});

export const DEFAULT_DETECTOR_PRESET = 'coco-separate';

function invalid(what: string): never {
  throw new PassageError(
    'PASSAGE_SCENARIO_DETECTOR_INVALID',
    `scenario.json synth.detector: ${what} (see services/sim/src/synth/detector-convention.ts).`,
  );
}

const finite = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);

/**
 * Resolves a `synth.detector` spec (or nothing) into a full convention: preset first, then the spec's fields.
 * Invalid specs throw `PASSAGE_SCENARIO_DETECTOR_INVALID` naming the field.
 */
export function resolveDetectorConvention(spec?: DetectorConventionSpec | null): DetectorConvention {
  if (spec === undefined || spec === null) return DETECTOR_PRESETS[DEFAULT_DETECTOR_PRESET];
  if (typeof spec !== 'object' || Array.isArray(spec)) invalid('must be an object');
  const presetName = spec.preset ?? DEFAULT_DETECTOR_PRESET;
  const base = DETECTOR_PRESETS[presetName];
  if (!base) invalid(`unknown preset "${presetName}" (known: ${Object.keys(DETECTOR_PRESETS).join(', ')})`);
  const riders = spec.riders ?? base.riders;
  if (riders !== 'separate' && riders !== 'merged') invalid(`riders must be "separate" or "merged", not ${riders}`);
  const rules: Record<TruthPart, LabelRule> = { ...base.rules };
  for (const [part, r] of Object.entries(spec.labels ?? {})) {
    if (!(TRUTH_PARTS as readonly string[]).includes(part)) {
      invalid(`labels: unknown part "${part}" (known: ${TRUTH_PARTS.join(', ')})`);
    }
    if (!r || typeof r !== 'object') invalid(`labels.${part} must be an object`);
    const prev = rules[part as TruthPart];
    const labels = r.labels ?? prev.labels;
    const weights = r.weights ?? (r.labels ? undefined : prev.weights);
    if (!Array.isArray(labels) || labels.length === 0 || !labels.every((l) => typeof l === 'string' && l)) {
      invalid(`labels.${part}.labels must be a non-empty list of class names`);
    }
    if (!Array.isArray(weights) || weights.length !== labels.length) {
      invalid(`labels.${part}.weights must be given with labels, one weight per label`);
    }
    if (!weights.every((w) => finite(w) && w >= 0) || !weights.some((w) => w > 0)) {
      invalid(`labels.${part}.weights must be ≥ 0 and not all 0`);
    }
    const num = (k: 'flicker' | 'baseMiss' | 'baseScore'): number => {
      const v = r[k] ?? prev[k];
      if (!finite(v) || v < 0 || v > 1) invalid(`labels.${part}.${k} must be a number in [0, 1]`);
      return v;
    };
    rules[part as TruthPart] = {
      labels: [...labels],
      weights: [...weights],
      flicker: num('flicker'),
      baseMiss: num('baseMiss'),
      baseScore: num('baseScore'),
    };
  }
  const scoreShift = spec.scoreShift ?? base.scoreShift;
  const scoreScale = spec.scoreScale ?? base.scoreScale;
  if (!finite(scoreShift) || Math.abs(scoreShift) > 1) invalid('scoreShift must be a number in [-1, 1]');
  if (!finite(scoreScale) || scoreScale <= 0 || scoreScale > 5) invalid('scoreScale must be a number in (0, 5]');
  const changed = spec.labels !== undefined || spec.riders !== undefined || spec.scoreShift !== undefined;
  return freeze({
    preset: changed || spec.scoreScale !== undefined ? `${presetName}+custom` : presetName,
    riders,
    rules,
    scoreShift,
    scoreScale,
    motoRiderShare: riders === 'merged' ? 0 : base.riders === 'separate' ? base.motoRiderShare : 0.5,
  });
}
