/**
 * Track-level features for road-user (mode) classification.
 *
 * A finished track is reduced to a fixed-length Float32 vector (`FEATURE_COUNT` values, in `FEATURE_NAMES`
 * order) that the ONNX mode classifier (`@passage/mode-classifier`) consumes. The function is pure: the tracker
 * accumulates per-frame samples while the track lives, and hands a plain `TrackFeatureInput` here when the track
 * ends. No normalisation is applied here: the mean/std live inside the ONNX graph (first Sub/Div nodes).
 *
 * | # | name                  | unit     | definition                                                                   |
 * |---|-----------------------|----------|------------------------------------------------------------------------------|
 * | 0 | `width_m`             | m        | median ground width of the box (bottom edge projected by the homography)     |
 * | 1 | `height_m`            | m        | median height: box pixel height × ground metres-per-pixel at the foot        |
 * | 2 | `speed_median_kmh`    | km/h     | median of the per-sample ground speeds                                       |
 * | 3 | `speed_p85_kmh`       | km/h     | 85th percentile of the per-sample ground speeds                              |
 * | 4 | `speed_max_kmh`       | km/h     | maximum per-sample ground speed (pass smoothed speeds)                       |
 * | 5 | `accel_p85_ms2`       | m/s²     | 85th percentile of \|Δv/Δt\| over lags of at least `ACCEL_MIN_LAG_S`         |
 * | 6 | `vote_person`         | share    | share of the detector class votes that are `person`                          |
 * | 7 | `vote_bicycle`        | share    | … `bicycle`                                                                  |
 * | 8 | `vote_car`            | share    | … `car`                                                                      |
 * | 9 | `vote_motorcycle`     | share    | … `motorcycle`                                                               |
 * |10 | `vote_bus`            | share    | … `bus`                                                                      |
 * |11 | `vote_truck`          | share    | … `truck`                                                                    |
 * |12 | `person_bicycle_share`| share    | share of frames where the box overlaps both a person and a bicycle detection |
 * |13 | `aspect_median`       | ratio    | median of the image box width / height (pixels / pixels)                     |
 * |14 | `duration_s`          | s        | time between the first and last detection of the track                       |
 * |15 | `n_frames`            | count    | number of frames with a detection of the track                               |
 * |16 | `path_length_m`       | m        | ground length of the foot-point path                                         |
 * |17 | `straightness`        | 0..1     | straight-line distance first→last foot point / path length (1 = straight)    |
 * |18 | `width_rel`           | ratio    | `width_m` / the camera's reference car width (`camera-size.ts`)              |
 * |19 | `height_rel`          | ratio    | `height_m` / the camera's reference car height (`camera-size.ts`)            |
 *
 * `width_rel` and `height_rel` depend on the camera's earlier tracks: here they are set against the prior
 * reference `SIZE_PRIOR_M`; `CameraSizeReference.apply` (`camera-size.ts`) rewrites them with the camera's own.
 *
 * Empty sample arrays give 0 for the corresponding statistics; non-finite samples are ignored.
 */

/** Detector classes whose votes are features, in vote-vector order. */
export const DETECTOR_CLASSES = ['person', 'bicycle', 'car', 'motorcycle', 'bus', 'truck'] as const;
export type DetectorClass = (typeof DETECTOR_CLASSES)[number];

/** Feature names in vector order (also the header of the training CSV, see `@passage/mode-classifier`). */
export const FEATURE_NAMES = [
  'width_m',
  'height_m',
  'speed_median_kmh',
  'speed_p85_kmh',
  'speed_max_kmh',
  'accel_p85_ms2',
  'vote_person',
  'vote_bicycle',
  'vote_car',
  'vote_motorcycle',
  'vote_bus',
  'vote_truck',
  'person_bicycle_share',
  'aspect_median',
  'duration_s',
  'n_frames',
  'path_length_m',
  'straightness',
  'width_rel',
  'height_rel',
] as const;
export type FeatureName = (typeof FEATURE_NAMES)[number];

/** Length of one feature vector. */
export const FEATURE_COUNT: number = FEATURE_NAMES.length;

/** Index of the first vote share in the feature vector (the 6 shares follow in `DETECTOR_CLASSES` order). */
export const VOTE_FEATURE_OFFSET = 6;

/** Prior reference car width and height (m) of `width_rel`/`height_rel`: medians of the car-voted tracks of the
 * training cameras (see `camera-size.ts`). */
export const SIZE_PRIOR_M = { width: 3.8, height: 2.3 } as const;

/** Minimum time lag (s) between the two speed samples of one acceleration estimate (damps per-frame noise). */
export const ACCEL_MIN_LAG_S = 0.5;

/**
 * What the tracker hands over when a track ends. All per-sample arrays may have different lengths (a sample may
 * be missing in one of them); `speedsKmh` and `timesS`, when both given, must be aligned.
 */
export interface TrackFeatureInput {
  /** Detector class votes in `DETECTOR_CLASSES` order (counts or score sums; normalised to shares here). */
  votes: ArrayLike<number>;
  /** Per-frame ground width of the box in metres (see `groundBoxSize`). */
  widthsM: ArrayLike<number>;
  /** Per-frame estimated object height in metres (see `groundBoxSize`). */
  heightsM: ArrayLike<number>;
  /** Per-sample ground speed in km/h (preferably the tracker's smoothed speed). */
  speedsKmh: ArrayLike<number>;
  /**
   * Time of each speed sample in seconds (any origin), aligned with `speedsKmh`. If omitted the samples are
   * taken as evenly spaced over `durationS`.
   */
  timesS?: ArrayLike<number>;
  /** Per-frame image box aspect ratio w/h. */
  aspects: ArrayLike<number>;
  /** Seconds between the first and the last detection. */
  durationS: number;
  /** Number of frames with a detection. */
  nFrames: number;
  /** Ground path length of the foot point in metres. */
  pathLengthM: number;
  /** Chord / path length in 0..1 (see `pathLengthAndStraightness`). */
  straightness: number;
  /**
   * Share (0..1) of the track's frames where its box overlaps both a `person` and a `bicycle` detection
   * (a rider). 0 when the edge device does not send all boxes.
   */
  personBicycleShare?: number;
}

/** Index of a detector class label in the vote vector, or -1 if the class is not voted on. */
export function detectorClassIndex(cls: string): number {
  switch (cls) {
    case 'person':
    case 'pedestrian':
      return 0;
    case 'bicycle':
      return 1;
    case 'car':
      return 2;
    case 'motorcycle':
    case 'motorbike':
      return 3;
    case 'bus':
      return 4;
    case 'truck':
      return 5;
    default:
      return -1;
  }
}

let scratch = new Float64Array(1024);

/** Copies the finite values of `src` into the shared scratch buffer, sorted ascending; returns their count. */
function sortedFinite(src: ArrayLike<number>): number {
  if (scratch.length < src.length) scratch = new Float64Array(Math.max(src.length, scratch.length * 2));
  let n = 0;
  for (let i = 0; i < src.length; i++) {
    const v = src[i];
    if (Number.isFinite(v)) scratch[n++] = v;
  }
  scratch.subarray(0, n).sort();
  return n;
}

/** Quantile `q` (0..1) of the first `n` sorted scratch values, linear interpolation (R type 7). */
function quantileSorted(n: number, q: number): number {
  if (n === 0) return 0;
  const pos = (n - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.min(lo + 1, n - 1);
  return scratch[lo] + (scratch[hi] - scratch[lo]) * (pos - lo);
}

/** Median of the finite values of `values` (0 if none). */
export function median(values: ArrayLike<number>): number {
  return quantileSorted(sortedFinite(values), 0.5);
}

/** Quantile `q` (0..1) of the finite values of `values`, linear interpolation; 0 if none. */
export function quantile(values: ArrayLike<number>, q: number): number {
  return quantileSorted(sortedFinite(values), q);
}

let accelScratch = new Float64Array(1024);

/**
 * 85th percentile of |Δv/Δt| in m/s², each difference taken between a sample and the latest earlier sample at
 * least `ACCEL_MIN_LAG_S` before it.
 */
function accelP85(speedsKmh: ArrayLike<number>, timesS: ArrayLike<number> | undefined, durationS: number): number {
  const n = speedsKmh.length;
  if (n < 2) return 0;
  const step = n > 1 ? durationS / (n - 1) : 0;
  const t = (i: number): number => (timesS ? timesS[i] : i * step);
  if (accelScratch.length < n) accelScratch = new Float64Array(Math.max(n, accelScratch.length * 2));
  let m = 0;
  let j = -1;
  for (let i = 1; i < n; i++) {
    const ti = t(i);
    while (j + 1 < i && ti - t(j + 1) >= ACCEL_MIN_LAG_S) j++;
    if (j < 0) continue;
    const dt = ti - t(j);
    const dv = (speedsKmh[i] - speedsKmh[j]) / 3.6;
    const a = Math.abs(dv / dt);
    if (Number.isFinite(a)) accelScratch[m++] = a;
  }
  if (m === 0) return 0;
  return quantile(accelScratch.subarray(0, m), 0.85);
}

/**
 * Computes the feature vector of one finished track into `out` at row `row` (`out` holds rows of
 * `FEATURE_COUNT` values, row-major, so a batch for the classifier is filled in place). Returns `out`.
 */
export function computeTrackFeatures(
  input: TrackFeatureInput,
  out: Float32Array = new Float32Array(FEATURE_COUNT),
  row = 0,
): Float32Array {
  const o = row * FEATURE_COUNT;
  if (out.length < o + FEATURE_COUNT) {
    throw new RangeError(`feature buffer holds ${out.length} values, row ${row} needs ${o + FEATURE_COUNT}`);
  }
  out[o] = median(input.widthsM);
  out[o + 1] = median(input.heightsM);
  const ns = sortedFinite(input.speedsKmh);
  out[o + 2] = quantileSorted(ns, 0.5);
  out[o + 3] = quantileSorted(ns, 0.85);
  out[o + 4] = ns > 0 ? scratch[ns - 1] : 0;
  out[o + 5] = accelP85(input.speedsKmh, input.timesS, input.durationS);
  let total = 0;
  for (let k = 0; k < DETECTOR_CLASSES.length; k++) {
    const v = input.votes[k];
    if (Number.isFinite(v) && v > 0) total += v;
  }
  for (let k = 0; k < DETECTOR_CLASSES.length; k++) {
    const v = input.votes[k];
    out[o + VOTE_FEATURE_OFFSET + k] = total > 0 && Number.isFinite(v) && v > 0 ? v / total : 0;
  }
  out[o + 12] = clamp01(input.personBicycleShare ?? 0);
  out[o + 13] = median(input.aspects);
  out[o + 14] = finiteOr0(input.durationS);
  out[o + 15] = finiteOr0(input.nFrames);
  out[o + 16] = finiteOr0(input.pathLengthM);
  out[o + 17] = clamp01(input.straightness);
  out[o + 18] = out[o] > 0 ? out[o] / SIZE_PRIOR_M.width : 0;
  out[o + 19] = out[o + 1] > 0 ? out[o + 1] / SIZE_PRIOR_M.height : 0;
  return out;
}

function finiteOr0(v: number): number {
  return Number.isFinite(v) ? v : 0;
}

function clamp01(v: number): number {
  return Number.isFinite(v) ? Math.min(1, Math.max(0, v)) : 0;
}
