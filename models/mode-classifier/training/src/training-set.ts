/**
 * The classifier's training and test features: which world, detector convention, camera variant and noise seed
 * each committed `data/*.csv.gz` comes from, and how to regenerate them.
 *
 *   node --import tsx models/mode-classifier/training/src/training-set.ts [--only <name,…>] [--force]
 *
 * writes every missing file (all with `--force`) through `extractFeatures` (scenario-features.ts: synthesiser →
 * the worker's `CameraPipelineSet` → labels from the truth crossings). About 1–4 min per file on 2 cores.
 *
 * The held-out worlds (`heldOut` in their recipes: anet-rand, nogent-spider) are never listed here
 * (training-set.test.ts checks it), and nothing here is tuned on them. Their figures come from
 * `npm run train -- --eval-only --world infra/scenarios/<world>`.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import type { CameraVariantRanges } from './camera-variants.ts';
import { randomDetectorConvention, randomDetectorConventionV2 } from './random-conventions.ts';
import { type ExtractOptions, extractFeatures } from './scenario-features.ts';

const PACKAGE_DIR = fileURLToPath(new URL('..', import.meta.url));
const REPO = join(PACKAGE_DIR, '..', '..', '..');

export interface FeatureSet extends Omit<ExtractOptions, 'out' | 'scenario'> {
  /** File name under data/ (without .csv.gz). */
  name: string;
  /** Scenario directory, relative to the repository. */
  world: string;
  role: 'train' | 'test';
}

const CHARTRES = 'infra/scenarios/chartres-centre';
const DREUX = 'infra/scenarios/dreux-grid';

/** A world through a randomised convention and varied cameras, both drawn from `seed`. */
function randomSet(world: string, prefix: string, seed: number, fromS?: number, toS?: number): FeatureSet {
  const detector = randomDetectorConvention(seed);
  return { name: `${prefix}.random${seed}`, world, role: 'train', seed, detector, varyCameras: seed, fromS, toS };
}

/** Low masts with narrow lenses and low frame rates, and high masts with wide lenses: the ends of the mast range. */
const LOW_MASTS: CameraVariantRanges = { heightM: [4, 6], hfovDeg: [60, 80], fps: [5, 8, 10, 12.5, 15] };
const HIGH_MASTS: CameraVariantRanges = { heightM: [8, 10], hfovDeg: [85, 110] };

/** A world through a version-2 randomised convention (motorcyclists also `person`) and cameras within `ranges`. */
function randomSetV2(
  world: string,
  prefix: string,
  seed: number,
  cameraRanges: CameraVariantRanges | undefined,
  fromS?: number,
  toS?: number,
): FeatureSet {
  const detector = randomDetectorConventionV2(seed);
  return {
    name: `${prefix}.random${seed}`,
    world,
    role: 'train',
    seed,
    detector,
    varyCameras: seed,
    cameraRanges,
    fromS,
    toS,
  };
}

/**
 * Training: two worlds (chartres-centre radial-concentric, dreux-grid grid network with mixed cameras) × the four
 * detector presets, chartres also through varied cameras, and both through seven randomised conventions
 * (`random-conventions.ts`) and varied cameras; plus the legacy `train` file (a second SUMO run of the
 * Chartres network, default convention; see MODEL_CARD.md → Data). Test: dreux-grid through cameras and a
 * convention (low-score tables with merged riders) none of the training files has.
 */
export const FEATURE_SETS: readonly FeatureSet[] = [
  { name: 'chartres-centre.merged-riders', world: CHARTRES, role: 'train', seed: 3001, detector: 'merged-riders' },
  { name: 'chartres-centre.low-score', world: CHARTRES, role: 'train', seed: 3002, detector: 'low-score' },
  { name: 'chartres-centre.merged-confused', world: CHARTRES, role: 'train', seed: 3003, detector: 'merged-confused' },
  { name: 'chartres-centre.coco-separate', world: CHARTRES, role: 'train', seed: 3004, detector: 'coco-separate' },
  {
    name: 'chartres-centre.coco-separate.cam5001',
    world: CHARTRES,
    role: 'train',
    seed: 5001,
    detector: 'coco-separate',
    varyCameras: 5001,
  },
  ...(['merged-riders', 'low-score', 'merged-confused'] as const).map(
    (detector, i): FeatureSet => ({
      name: `chartres-centre.${detector}.cam${5002 + i}`,
      world: CHARTRES,
      role: 'train',
      seed: 5002 + i,
      detector,
      varyCameras: 5002 + i,
      fromS: 1800,
      toS: 3600,
    }),
  ),
  ...(['coco-separate', 'merged-riders', 'low-score', 'merged-confused'] as const).map(
    (detector, i): FeatureSet => ({
      name: `dreux-grid.${detector}`,
      world: DREUX,
      role: 'train',
      seed: 6001 + i,
      detector,
    }),
  ),
  // Randomised conventions (random-conventions.ts) through varied cameras: chartres in three 20-min windows,
  // dreux-grid whole.
  ...[0, 1, 2].map((k) => randomSet(CHARTRES, 'chartres-centre', 8001 + k, 1200 * k, 1200 * (k + 1))),
  ...[0, 1, 2, 3].map((k) => randomSet(DREUX, 'dreux-grid', 8101 + k)),
  // Version-2 conventions (motorcyclists also `person`) through the ends of the mast range.
  randomSetV2(CHARTRES, 'chartres-centre', 8004, LOW_MASTS, 0, 1800),
  randomSetV2(CHARTRES, 'chartres-centre', 8005, HIGH_MASTS, 1800, 3600),
  randomSetV2(DREUX, 'dreux-grid', 8105, LOW_MASTS),
  randomSetV2(DREUX, 'dreux-grid', 8106, undefined),
  {
    name: 'dreux-grid.low-score-merged.cam7001',
    world: DREUX,
    role: 'test',
    seed: 7001,
    detector: { preset: 'low-score', riders: 'merged' },
    varyCameras: 7001,
  },
];

/** Path of a feature set's file. */
export function featureFile(s: Pick<FeatureSet, 'name'>): string {
  return join(PACKAGE_DIR, 'data', `${s.name}.csv.gz`);
}

async function main(): Promise<void> {
  const { values: a } = parseArgs({
    options: { only: { type: 'string' }, force: { type: 'boolean', default: false } },
  });
  const only = a.only?.split(',');
  for (const s of FEATURE_SETS) {
    if (only && !only.includes(s.name)) continue;
    const out = featureFile(s);
    if (existsSync(out) && !a.force) continue;
    const { name, world, role, ...o } = s;
    const stats = await extractFeatures({ ...o, scenario: join(REPO, world), out });
    console.error(JSON.stringify({ name, role, labels: stats.labels, seconds: stats.seconds }));
  }
}

if (process.argv[1]?.endsWith('training-set.ts')) await main();
