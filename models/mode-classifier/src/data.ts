/**
 * Labelled track features for training and testing the mode classifier.
 *
 * Two sources, kept apart:
 * 1. **Real training path** — features extracted by the video-flows pipeline from tracks of synthesised SUMO
 *    scenarios (`@passage/sim`), written as a CSV (`readFeaturesCsv`, format below) and passed to
 *    `train.ts --from <train.csv> [--test <test.csv>]`.
 * 2. **Parametric fallback** (`generateParametric`) — until that CSV exists: per-mode distributions of true
 *    dimensions and speed profiles, a camera model (tilt, heading, homography scale error, frame rate, missed
 *    detections, occlusions) and a detector-confusion model, rendered to per-frame samples and reduced by the
 *    SAME `computeTrackFeatures` the pipeline uses. Seeded; train and test use different seeds.
 *
 * CSV format (`features.csv`): UTF-8, comma-separated, first line a header. It must contain one column per name
 * of `FEATURE_NAMES` (`@passage/core`, any order) and a `label` column holding a mode name of `MODES`
 * (`pedestrian`, `bicycle`, `motorcycle`, `car`, `van`, `truck`, `bus`). Other columns (e.g. `scenario`,
 * `seed`, `camera`) are ignored. Numbers in plain decimal or exponent notation, units as documented with the
 * features. Rows labelled `rider` (the person box of a cyclist/motorcyclist, written by `scenario-features.ts`) are
 * skipped: a rider is not a road user of its own. Files ending in `.gz` are gunzipped.
 */
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { PassageError } from '@passage/config/errors';
import { computeTrackFeatures, DETECTOR_CLASSES, FEATURE_COUNT, FEATURE_NAMES } from '@passage/core';
import { MODES, type Mode } from '@passage/stream/contracts';
import { Rng } from './rng.ts';

/** A labelled feature matrix: `features` is `n × FEATURE_COUNT`, row-major; `labels[i]` indexes `MODES`. */
export interface Dataset {
  n: number;
  features: Float32Array;
  labels: Uint8Array;
}

/** Share of each mode among tracks at an urban camera (the default mix of the parametric generator). */
export const URBAN_MIX: Readonly<Record<Mode, number>> = {
  pedestrian: 0.22,
  bicycle: 0.12,
  motorcycle: 0.05,
  car: 0.4,
  van: 0.1,
  truck: 0.06,
  bus: 0.05,
};

export interface ParametricOptions {
  /** Number of tracks. */
  n: number;
  /** Seed of the generator (use different seeds for train and test). */
  seed: number;
  /** Mode shares (normalised); default `URBAN_MIX`. */
  mix?: Readonly<Record<Mode, number>>;
  /** Tracks per simulated camera (cameras differ in tilt, frame rate, calibration error). @default 100 */
  tracksPerCamera?: number;
}

interface Camera {
  fps: number;
  /** Depression angle of the optical axis, radians. */
  tilt: number;
  /** Multiplicative error of the homography's scale. */
  scaleErr: number;
  /** Whether the edge device sends all boxes (person+bicycle co-occurrence measurable). */
  coOccurrence: boolean;
  /** Speed measurement noise, km/h (1 sd). */
  speedNoiseKmh: number;
  /** Probability that the object is detected in a frame. */
  detectRate: number;
  /** Length of road visible in the field of view, m. */
  fovM: number;
}

interface Body {
  lengthM: number;
  widthM: number;
  heightM: number;
  cruiseKmh: number;
  /** Probability of stopping (red light, crossing, bus stop) inside the field of view. */
  stopP: number;
  dwellS: [number, number];
  accelMs2: [number, number];
  turnP: number;
}

/**
 * Detector class probabilities per mode (DETECTOR_CLASSES order: person, bicycle, car, motorcycle, bus, truck),
 * averaged over tracks. Each track draws its own probabilities around these (Dirichlet, concentration
 * `VOTE_CONCENTRATION`), so some tracks are consistently mislabelled, as with a real detector.
 */
export const DETECTOR_CONFUSION: Readonly<Record<Mode, readonly number[]>> = {
  pedestrian: [0.96, 0.025, 0.005, 0.01, 0, 0],
  bicycle: [0.42, 0.5, 0.01, 0.07, 0, 0],
  motorcycle: [0.12, 0.15, 0.03, 0.7, 0, 0],
  car: [0, 0, 0.92, 0.01, 0.01, 0.06],
  van: [0, 0, 0.55, 0, 0.03, 0.42],
  truck: [0, 0, 0.1, 0, 0.12, 0.78],
  bus: [0, 0, 0.02, 0, 0.83, 0.15],
};
const VOTE_CONCENTRATION = 12;
const VOTE_FLOOR = 0.002;

/** Mean share of frames with overlapping person and bicycle boxes, per mode. */
const CO_OCCURRENCE: Readonly<Record<Mode, number>> = {
  pedestrian: 0.03,
  bicycle: 0.65,
  motorcycle: 0.12,
  car: 0.005,
  van: 0.005,
  truck: 0.005,
  bus: 0.005,
};

function drawCamera(rng: Rng): Camera {
  const fpsChoices = [10, 12.5, 15, 25, 30];
  return {
    fps: fpsChoices[rng.int(fpsChoices.length)],
    tilt: (rng.range(15, 50) * Math.PI) / 180,
    scaleErr: rng.logNormal(1, 0.08),
    coOccurrence: rng.chance(0.8),
    speedNoiseKmh: rng.range(0.5, 2.5),
    detectRate: rng.range(0.8, 1),
    fovM: rng.range(15, 50),
  };
}

function drawBody(rng: Rng, mode: Mode): Body {
  const stopVeh: [number, number] = [3, 40];
  const accVeh: [number, number] = [0.8, 2.5];
  switch (mode) {
    case 'pedestrian': {
      const child = rng.chance(0.1);
      const group = rng.chance(0.1);
      return {
        lengthM: rng.clampedNormal(0.35, 0.05, 0.2, 0.5),
        widthM: rng.clampedNormal(0.5, 0.06, 0.35, 0.7) + (group ? rng.range(0.4, 1) : 0),
        heightM: child ? rng.range(1.0, 1.4) : rng.clampedNormal(1.7, 0.09, 1.45, 2.0),
        cruiseKmh: rng.chance(0.04) ? rng.range(9, 15) : rng.clampedNormal(4.8, 1, 1.5, 9),
        stopP: 0.15,
        dwellS: [2, 20],
        accelMs2: [0.8, 2],
        turnP: 0.3,
      };
    }
    case 'bicycle':
      return {
        lengthM: rng.clampedNormal(1.75, 0.08, 1.5, 2.1),
        widthM: rng.clampedNormal(0.6, 0.05, 0.45, 0.75),
        heightM: rng.clampedNormal(1.75, 0.08, 1.5, 2.0),
        cruiseKmh: rng.clampedNormal(17, 4.5, 6, 35),
        stopP: 0.15,
        dwellS: [3, 30],
        accelMs2: [0.5, 1.5],
        turnP: 0.2,
      };
    case 'motorcycle': {
      const moped = rng.chance(0.4);
      return {
        lengthM: moped ? rng.clampedNormal(1.8, 0.1, 1.6, 2.0) : rng.clampedNormal(2.1, 0.12, 1.9, 2.4),
        widthM: rng.clampedNormal(0.78, 0.08, 0.6, 1.0),
        heightM: rng.clampedNormal(1.45, 0.1, 1.2, 1.7),
        cruiseKmh: moped ? rng.clampedNormal(27, 6, 10, 45) : rng.clampedNormal(38, 10, 10, 70),
        stopP: 0.25,
        dwellS: stopVeh,
        accelMs2: [1.5, 3.5],
        turnP: 0.2,
      };
    }
    case 'car': {
      const suv = rng.chance(0.3);
      return {
        lengthM: suv ? rng.clampedNormal(4.6, 0.25, 4.1, 5.2) : rng.clampedNormal(4.3, 0.35, 3.4, 5.1),
        widthM: rng.clampedNormal(1.8, 0.07, 1.6, 2.0),
        heightM: suv ? rng.clampedNormal(1.68, 0.06, 1.55, 1.85) : rng.clampedNormal(1.48, 0.05, 1.35, 1.62),
        cruiseKmh: rng.clampedNormal(36, 10, 5, 80),
        stopP: 0.25,
        dwellS: stopVeh,
        accelMs2: accVeh,
        turnP: 0.25,
      };
    }
    case 'van':
      return {
        lengthM: rng.clampedNormal(5.2, 0.6, 4.4, 7),
        widthM: rng.clampedNormal(2.0, 0.08, 1.8, 2.2),
        heightM: rng.clampedNormal(2.25, 0.25, 1.85, 2.9),
        cruiseKmh: rng.clampedNormal(34, 9, 5, 75),
        stopP: 0.25,
        dwellS: stopVeh,
        accelMs2: [0.7, 2],
        turnP: 0.25,
      };
    case 'truck': {
      const artic = rng.chance(0.2);
      return {
        lengthM: artic ? rng.clampedNormal(16.5, 0.3, 15.5, 17) : rng.range(6.5, 12),
        widthM: rng.clampedNormal(2.5, 0.03, 2.4, 2.6),
        heightM: rng.clampedNormal(3.4, 0.35, 2.6, 4.0),
        cruiseKmh: rng.clampedNormal(30, 8, 5, 70),
        stopP: 0.25,
        dwellS: stopVeh,
        accelMs2: [0.4, 1.2],
        turnP: 0.2,
      };
    }
    case 'bus': {
      const artic = rng.chance(0.2);
      return {
        lengthM: artic ? rng.clampedNormal(18, 0.2, 17.5, 18.75) : rng.clampedNormal(12, 0.3, 10.5, 13),
        widthM: rng.clampedNormal(2.55, 0.02, 2.5, 2.6),
        heightM: rng.clampedNormal(3.1, 0.1, 2.9, 3.4),
        cruiseKmh: rng.clampedNormal(27, 7, 5, 60),
        stopP: 0.35,
        dwellS: [10, 40],
        accelMs2: [0.5, 1.3],
        turnP: 0.2,
      };
    }
  }
}

/** Per-track sample buffers, reused across tracks. */
class Samples {
  widths: number[] = [];
  heights: number[] = [];
  speeds: number[] = [];
  times: number[] = [];
  aspects: number[] = [];
  clear(): void {
    this.widths.length = 0;
    this.heights.length = 0;
    this.speeds.length = 0;
    this.times.length = 0;
    this.aspects.length = 0;
  }
}

const MAX_DURATION_S = 120;

/** Simulates one track of `mode` seen by `cam` and writes its feature vector into `out` at `row`. */
function simulateTrack(rng: Rng, cam: Camera, mode: Mode, s: Samples, out: Float32Array, row: number): void {
  const body = drawBody(rng, mode);
  s.clear();
  // Path through the field of view; some tracks are fragments (occlusion, ID switch).
  let pathM = mode === 'pedestrian' ? cam.fovM * rng.range(0.3, 1) : cam.fovM * rng.range(0.6, 1.1);
  if (rng.chance(0.1)) pathM *= rng.range(0.15, 0.5);
  pathM = Math.max(pathM, 2);
  const turning = rng.chance(body.turnP);
  const straightness = turning
    ? rng.range(0.7, 0.92)
    : mode === 'pedestrian'
      ? rng.beta(0.93, 30)
      : rng.beta(0.985, 200);
  const heading0 = rng.range(0, Math.PI / 2);
  const heading1 = turning ? heading0 + (rng.chance(0.5) ? 1 : -1) * (Math.PI / 2) : heading0;
  // Speed profile: cruise ± slow oscillation; optional stop at a random point with dwell.
  const cruise = body.cruiseKmh / 3.6;
  const stops = rng.chance(body.stopP);
  const stopAt = rng.range(0.3, 0.8) * pathM;
  const dwell = rng.range(body.dwellS[0], body.dwellS[1]);
  const dec = rng.range(body.accelMs2[0], body.accelMs2[1]);
  const acc = rng.range(body.accelMs2[0], body.accelMs2[1]);
  const wobbleAmp = rng.range(0, 0.08) * cruise;
  const wobblePeriod = rng.range(3, 12);
  // Track-level calibration error at this position in the image.
  const posErr = cam.scaleErr * rng.logNormal(1, 0.05);
  // Detector class probabilities for this track.
  const base = DETECTOR_CONFUSION[mode];
  const probs = new Float64Array(DETECTOR_CLASSES.length);
  for (let k = 0; k < probs.length; k++) probs[k] = Math.max(base[k], VOTE_FLOOR);
  rng.dirichlet(probs, VOTE_CONCENTRATION, probs);
  const votes = new Float32Array(DETECTOR_CLASSES.length);
  const coP = cam.coOccurrence ? rng.beta(CO_OCCURRENCE[mode], 8) : 0;
  let coFrames = 0;

  const dt = 1 / cam.fps;
  let t = 0;
  let x = 0;
  let v = cruise;
  let phase: 'go' | 'brake' | 'dwell' | 'accel' = 'go';
  let dwellLeft = dwell;
  let nFrames = 0;
  let firstT = Number.NaN;
  let lastT = 0;
  while (x < pathM && t < MAX_DURATION_S) {
    // Kinematics.
    const target = cruise + wobbleAmp * Math.sin((2 * Math.PI * t) / wobblePeriod);
    if (stops && phase === 'go' && x < stopAt && stopAt - x <= (v * v) / (2 * dec)) phase = 'brake';
    if (phase === 'brake') {
      v = Math.max(0, v - dec * dt);
      if (v === 0) phase = 'dwell';
    } else if (phase === 'dwell') {
      dwellLeft -= dt;
      if (dwellLeft <= 0) phase = 'accel';
    } else if (phase === 'accel') {
      v = Math.min(target, v + acc * dt);
      if (v >= target) phase = 'go';
    } else {
      v += Math.max(-acc * dt, Math.min(acc * dt, target - v));
    }
    x += v * dt;
    t += dt;
    if (!rng.chance(cam.detectRate)) continue;
    // One detection.
    nFrames++;
    if (Number.isNaN(firstT)) firstT = t;
    lastT = t;
    const progress = Math.min(1, x / pathM);
    const phi = heading0 + (heading1 - heading0) * progress;
    const c = Math.abs(Math.cos(phi));
    const sn = Math.abs(Math.sin(phi));
    const groundW = body.lengthM * c + body.widthM * sn;
    const depth = body.lengthM * sn + body.widthM * c;
    const appH = body.heightM * Math.cos(cam.tilt) + depth * Math.sin(cam.tilt);
    let nw = rng.logNormal(1, 0.06);
    let nh = rng.logNormal(1, 0.06);
    if (rng.chance(0.15)) {
      if (rng.chance(0.5)) nw *= rng.range(0.6, 1);
      else nh *= rng.range(0.6, 1);
    }
    s.widths.push(groundW * nw * posErr);
    s.heights.push(appH * nh * posErr);
    s.aspects.push((groundW * nw) / (appH * nh));
    const measured = v * 3.6 * rng.logNormal(1, 0.03) + rng.normal(0, cam.speedNoiseKmh);
    s.speeds.push(Math.max(0, measured));
    s.times.push(t);
    votes[rng.categorical(probs)] += 1;
    if (rng.chance(coP)) coFrames++;
  }
  const durationS = nFrames > 1 ? lastT - firstT : 0;
  computeTrackFeatures(
    {
      votes,
      widthsM: s.widths,
      heightsM: s.heights,
      speedsKmh: s.speeds,
      timesS: s.times,
      aspects: s.aspects,
      durationS,
      nFrames,
      pathLengthM: Math.min(x, pathM) * rng.logNormal(1, 0.03) * cam.scaleErr,
      straightness,
      personBicycleShare: nFrames > 0 ? coFrames / nFrames : 0,
    },
    out,
    row,
  );
}

/** Generates `n` labelled feature vectors from the parametric per-mode model (deterministic for a seed). */
export function generateParametric(options: ParametricOptions): Dataset {
  const { n, seed } = options;
  const mix = options.mix ?? URBAN_MIX;
  const perCamera = options.tracksPerCamera ?? 100;
  const rng = new Rng(seed);
  const shares = MODES.map((m) => mix[m]);
  const total = shares.reduce((a, b) => a + b, 0);
  for (let k = 0; k < shares.length; k++) shares[k] /= total;
  const features = new Float32Array(n * FEATURE_COUNT);
  const labels = new Uint8Array(n);
  const samples = new Samples();
  let cam = drawCamera(rng);
  for (let i = 0; i < n; i++) {
    if (i > 0 && i % perCamera === 0) cam = drawCamera(rng);
    const label = rng.categorical(shares);
    labels[i] = label;
    simulateTrack(rng, cam, MODES[label], samples, features, i);
  }
  return { n, features, labels };
}

/** Splits a dataset into two by a seeded shuffle: the first `fraction` of rows, then the rest. */
export function splitDataset(data: Dataset, fraction: number, seed: number): [Dataset, Dataset] {
  const idx = new Uint32Array(data.n);
  for (let i = 0; i < data.n; i++) idx[i] = i;
  new Rng(seed).shuffle(idx);
  const cut = Math.round(data.n * fraction);
  return [take(data, idx.subarray(0, cut)), take(data, idx.subarray(cut))];
}

/** The rows `rows` of `data`, in that order. */
export function take(data: Dataset, rows: ArrayLike<number>): Dataset {
  const n = rows.length;
  const features = new Float32Array(n * FEATURE_COUNT);
  const labels = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    const r = rows[i];
    features.set(data.features.subarray(r * FEATURE_COUNT, (r + 1) * FEATURE_COUNT), i * FEATURE_COUNT);
    labels[i] = data.labels[r];
  }
  return { n, features, labels };
}

/** Number of rows per label (MODES order). */
export function classCounts(data: Dataset): number[] {
  const counts = new Array<number>(MODES.length).fill(0);
  for (let i = 0; i < data.n; i++) counts[data.labels[i]]++;
  return counts;
}

/** Writes a dataset as `features.csv` text (header `FEATURE_NAMES…,label`), 6 significant digits. */
export function toFeaturesCsv(data: Dataset): string {
  const lines = [[...FEATURE_NAMES, 'label'].join(',')];
  const row = new Array<string>(FEATURE_COUNT + 1);
  for (let i = 0; i < data.n; i++) {
    for (let k = 0; k < FEATURE_COUNT; k++) row[k] = formatNumber(data.features[i * FEATURE_COUNT + k]);
    row[FEATURE_COUNT] = MODES[data.labels[i]];
    lines.push(row.join(','));
  }
  return `${lines.join('\n')}\n`;
}

function formatNumber(v: number): string {
  return v === 0 ? '0' : String(Number(v.toPrecision(6)));
}

/** Label of rows that are read past (see the module comment). */
export const SKIPPED_LABEL = 'rider';

/** Parses `features.csv` text (see the module comment for the format). */
export function parseFeaturesCsv(text: string, source = 'features.csv'): Dataset {
  const lines = text.split(/\r?\n/).filter((l) => l.trim() !== '');
  if (lines.length === 0) throw invalid(source, 'the file is empty; expected a header line');
  const header = lines[0].split(',').map((h) => h.trim());
  const cols = FEATURE_NAMES.map((name) => header.indexOf(name));
  const missing = FEATURE_NAMES.filter((_, k) => cols[k] < 0);
  const labelCol = header.indexOf('label');
  if (missing.length > 0 || labelCol < 0) {
    const names = [...missing, ...(labelCol < 0 ? ['label'] : [])].join(', ');
    throw invalid(source, `the header lacks the column(s) ${names}`);
  }
  const rows = lines.slice(1).filter((l) => (l.split(',')[labelCol] ?? '').trim() !== SKIPPED_LABEL);
  const n = rows.length;
  const features = new Float32Array(n * FEATURE_COUNT);
  const labels = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    const cells = rows[i].split(',');
    for (let k = 0; k < FEATURE_COUNT; k++) {
      const v = Number(cells[cols[k]]);
      if (!Number.isFinite(v)) {
        throw invalid(source, `data row ${i + 1}: column ${FEATURE_NAMES[k]} is not a finite number`);
      }
      features[i * FEATURE_COUNT + k] = v;
    }
    const label = MODES.indexOf((cells[labelCol] ?? '').trim() as Mode);
    if (label < 0) throw invalid(source, `data row ${i + 1}: label must be one of ${MODES.join(', ')}`);
    labels[i] = label;
  }
  return { n, features, labels };
}

/** Reads a `features.csv` file. */
export function readFeaturesCsv(path: string): Dataset {
  let text: string;
  try {
    const raw = readFileSync(path);
    text = (path.endsWith('.gz') ? gunzipSync(raw) : raw).toString('utf8');
  } catch (cause) {
    throw new PassageError('PASSAGE_CLASSIFIER_DATA_NOT_FOUND', `Cannot read ${path}: check the --from path.`, {
      cause,
    });
  }
  return parseFeaturesCsv(text, path);
}

function invalid(source: string, what: string): PassageError {
  return new PassageError(
    'PASSAGE_CLASSIFIER_DATA_INVALID',
    `${source}: ${what}. A features CSV has a header with the feature names (${FEATURE_NAMES.join(', ')}) ` +
      'and label, then one row per track.',
  );
}
