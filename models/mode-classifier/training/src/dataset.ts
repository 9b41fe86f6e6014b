/**
 * Labelled track features for training and testing the mode classifier: features extracted by the camera
 * pipeline from tracks of synthesised scenarios (`scenario-features.ts`), written as a CSV and read here.
 *
 * CSV format (`features.csv`): UTF-8, comma-separated, first line a header. It must contain one column per name
 * of `FEATURE_NAMES` (`@passage/core`, any order) and a `label` column holding a mode name of `MODES`
 * (`pedestrian`, `bicycle`, `motorcycle`, `car`, `van`, `truck`, `bus`). Other columns (e.g. `scenario`,
 * `seed`, `camera`) are ignored. Numbers in plain decimal or exponent notation, units as documented with the
 * features. Rows labelled `rider` (the person box of a cyclist/motorcyclist, written by `scenario-features.ts`) are
 * skipped: a rider is not a road user of its own. Files ending in `.gz` are gunzipped.
 *
 * The per-camera features `width_rel` and `height_rel` (`CAMERA_FEATURES`, `@passage/core` camera-size.ts) are read
 * as written: `scenario-features.ts` computes them as the worker does (`applyCameraSizes`: every track that needs a
 * mode, also those that matched no truth crossing). When a file lacks them (files written by hand, or before
 * 2026-12-05) they are computed by one `CameraSizeReference` run over the file's road-user rows in order, per value
 * of the `camera` column (one camera when there is none): a file is one run of the cameras, in the order their
 * tracks ended.
 */
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { PassageError } from '@passage/config/errors';
import { CameraSizeReference, FEATURE_COUNT, FEATURE_NAMES, MODES, type Mode } from '@passage/core';
import { shuffleInPlace } from './sampling.ts';

/** A labelled feature matrix: `features` is `n × FEATURE_COUNT`, row-major; `labels[i]` indexes `MODES`. */
export interface Dataset {
  n: number;
  features: Float32Array;
  labels: Uint8Array;
}

/** Splits a dataset into two by a seeded shuffle: the first `fraction` of rows, then the rest. */
export function splitDataset(data: Dataset, fraction: number, seed: number): [Dataset, Dataset] {
  const idx = new Uint32Array(data.n);
  for (let i = 0; i < data.n; i++) idx[i] = i;
  shuffleInPlace(idx, seed);
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

/** Features computed from the file's earlier rows of the same camera when the file lacks them. */
export const CAMERA_FEATURES: readonly string[] = ['width_rel', 'height_rel'];

/** Parses `features.csv` text (see the module comment for the format). */
export function parseFeaturesCsv(text: string, source = 'features.csv'): Dataset {
  const lines = text.split(/\r?\n/).filter((l) => l.trim() !== '');
  if (lines.length === 0) throw invalid(source, 'the file is empty; expected a header line');
  const header = lines[0].split(',').map((h) => h.trim());
  const cols = FEATURE_NAMES.map((name) => header.indexOf(name));
  const derive = CAMERA_FEATURES.some((name) => !header.includes(name));
  const missing = FEATURE_NAMES.filter((name, k) => cols[k] < 0 && !(derive && CAMERA_FEATURES.includes(name)));
  const cameraCol = header.indexOf('camera');
  const reference = new CameraSizeReference();
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
      if (derive && CAMERA_FEATURES.includes(FEATURE_NAMES[k])) continue;
      const v = Number(cells[cols[k]]);
      if (!Number.isFinite(v)) {
        throw invalid(source, `data row ${i + 1}: column ${FEATURE_NAMES[k]} is not a finite number`);
      }
      features[i * FEATURE_COUNT + k] = v;
    }
    const label = MODES.indexOf((cells[labelCol] ?? '').trim() as Mode);
    if (label < 0) throw invalid(source, `data row ${i + 1}: label must be one of ${MODES.join(', ')}`);
    labels[i] = label;
    if (derive) reference.apply(cameraCol >= 0 ? (cells[cameraCol] ?? '').trim() : '', features, i);
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
