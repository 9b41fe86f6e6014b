/**
 * Per-camera self-normalised size: a track's ground width and height divided by the camera's own reference car.
 *
 * `width_m` and `height_m` go through each camera's homography, so an unfamiliar site (another mast height, a
 * calibration clicked a little off, another viewing angle) shifts them all by a common factor, about ±10 % between
 * the training cameras, as large as the gap between a car and a van. A car has about the same size everywhere,
 * so the ratio of a track's size to the typical car *as this camera measures it* cancels that factor.
 *
 * The reference is the running median width and height of the camera's confidently car-voted tracks (vote share
 * `car` ≥ `CAR_VOTE_MIN`; vans named `car` by the detector are a minority and do not move a median), kept as an
 * aggregate: two fixed histograms per camera (`SIZE_BIN_M` bins up to `SIZE_MAX_M`), halved when they hold
 * `SIZE_MAX_COUNT` tracks so that the reference follows a camera that was moved. No track is kept. Until a camera
 * has seen enough cars the median is shrunk towards the prior `SIZE_PRIOR_M` (medians of the training cameras):
 * reference = (n · median + k · prior) / (n + k), k = `SIZE_PRIOR_WEIGHT`.
 *
 * Order matters and is the same everywhere (worker, training reader, scenario evaluation): a track is first
 * normalised by the reference of the tracks before it, then added to it (`CameraSizeReference.apply`).
 */
import { FEATURE_COUNT, FEATURE_NAMES, SIZE_PRIOR_M } from './track-features.ts';

/** Minimum vote share `car` for a track to enter its camera's reference. */
export const CAR_VOTE_MIN = 0.8;
/** Weight of the prior, in tracks. */
export const SIZE_PRIOR_WEIGHT = 10;
/** Histogram bin (m) and range of the reference. */
export const SIZE_BIN_M = 0.02;
export const SIZE_MAX_M = 10;
/** Tracks per camera after which the histograms are halved (recent cars weigh more). */
export const SIZE_MAX_COUNT = 2000;

const I_WIDTH = FEATURE_NAMES.indexOf('width_m');
const I_HEIGHT = FEATURE_NAMES.indexOf('height_m');
const I_CAR = FEATURE_NAMES.indexOf('vote_car');
const I_WIDTH_REL = FEATURE_NAMES.indexOf('width_rel');
const I_HEIGHT_REL = FEATURE_NAMES.indexOf('height_rel');
const BINS = Math.round(SIZE_MAX_M / SIZE_BIN_M);

/** A running median over fixed bins (counts only). */
class BinnedMedian {
  readonly counts = new Float64Array(BINS);
  n = 0;

  add(v: number): void {
    if (!(v > 0) || !Number.isFinite(v)) return;
    this.counts[Math.min(BINS - 1, Math.floor(v / SIZE_BIN_M))]++;
    this.n++;
  }

  halve(): void {
    for (let i = 0; i < BINS; i++) this.counts[i] /= 2;
    this.n /= 2;
  }

  /** The non-empty bins as `[bin, count]` pairs (a checkpoint). */
  pairs(): [number, number][] {
    const out: [number, number][] = [];
    for (let i = 0; i < BINS; i++) if (this.counts[i] > 0) out.push([i, this.counts[i]]);
    return out;
  }

  /** Replaces the counts by `pairs` (bins out of range or counts ≤ 0 ignored). */
  setPairs(pairs: readonly (readonly [number, number])[]): void {
    this.counts.fill(0);
    this.n = 0;
    for (const [i, c] of pairs) {
      if (!(Number.isInteger(i) && i >= 0 && i < BINS && c > 0 && Number.isFinite(c))) continue;
      this.counts[i] += c;
      this.n += c;
    }
  }

  /** Median, linear within its bin; NaN when empty. */
  median(): number {
    if (this.n <= 0) return Number.NaN;
    const half = this.n / 2;
    let acc = 0;
    for (let i = 0; i < BINS; i++) {
      const c = this.counts[i];
      if (c > 0 && acc + c >= half) return (i + (half - acc) / c) * SIZE_BIN_M;
      acc += c;
    }
    return (BINS - 1) * SIZE_BIN_M;
  }
}

/** Reference = median shrunk towards the prior by `SIZE_PRIOR_WEIGHT` pseudo-tracks. */
function shrunk(m: BinnedMedian, prior: number): number {
  return m.n > 0 ? (m.n * m.median() + SIZE_PRIOR_WEIGHT * prior) / (m.n + SIZE_PRIOR_WEIGHT) : prior;
}

/** Size over reference, 0 when the size is unknown (as the per-track features). */
function ratio(v: number, ref: number): number {
  return v > 0 && Number.isFinite(v) ? v / ref : 0;
}

/** One camera's reference as an aggregate: the non-empty `[bin, count]` pairs of its width and height histograms. */
export interface CameraSizeState {
  w: [number, number][];
  h: [number, number][];
}

/** Per-camera reference car size (aggregate histograms), and the relative size features it gives. */
export class CameraSizeReference {
  private readonly cams = new Map<string, { w: BinnedMedian; h: BinnedMedian }>();

  /** The camera's current reference `{ width, height }` (m): the prior for a camera without cars. */
  reference(cameraId: string): { width: number; height: number } {
    const c = this.cams.get(cameraId);
    if (!c) return { ...SIZE_PRIOR_M };
    return { width: shrunk(c.w, SIZE_PRIOR_M.width), height: shrunk(c.h, SIZE_PRIOR_M.height) };
  }

  /**
   * Writes `width_rel` and `height_rel` of the feature row `row` of `features` (rows of `FEATURE_COUNT`) from the
   * camera's reference so far, then adds the track to the reference if it is confidently car-voted.
   */
  apply(cameraId: string, features: Float32Array, row = 0): void {
    const o = row * FEATURE_COUNT;
    const ref = this.reference(cameraId);
    const w = features[o + I_WIDTH];
    const h = features[o + I_HEIGHT];
    features[o + I_WIDTH_REL] = ratio(w, ref.width);
    features[o + I_HEIGHT_REL] = ratio(h, ref.height);
    if (!(features[o + I_CAR] >= CAR_VOTE_MIN)) return;
    let c = this.cams.get(cameraId);
    if (!c) this.cams.set(cameraId, (c = { w: new BinnedMedian(), h: new BinnedMedian() }));
    c.w.add(w);
    c.h.add(h);
    if (c.w.n >= SIZE_MAX_COUNT) c.w.halve();
    if (c.h.n >= SIZE_MAX_COUNT) c.h.halve();
  }

  /** The camera's reference as a checkpoint (counts per bin, no track); undefined when it has none. */
  state(cameraId: string): CameraSizeState | undefined {
    const c = this.cams.get(cameraId);
    return c ? { w: c.w.pairs(), h: c.h.pairs() } : undefined;
  }

  /** Replaces the camera's reference by a checkpoint's (`state`). */
  restore(cameraId: string, s: CameraSizeState): void {
    const c = { w: new BinnedMedian(), h: new BinnedMedian() };
    c.w.setPairs(Array.isArray(s.w) ? s.w : []);
    c.h.setPairs(Array.isArray(s.h) ? s.h : []);
    this.cams.set(cameraId, c);
  }

  /** Drops the camera's reference (a camera handed to another instance). */
  forget(cameraId: string): void {
    this.cams.delete(cameraId);
  }

  /** Cameras with a reference. */
  get size(): number {
    return this.cams.size;
  }
}
