/**
 * Mode classifier benchmark: tracks classified per second by the committed ONNX model in onnxruntime-node
 * (1 intra-op thread, CPU), one `session.run` per batch, at batch sizes 1, 64 and 1024; plus, in the same
 * process, the cost of the pure-JS feature extraction (`computeTrackFeatures`) of a 100-frame track, to put
 * the model time in proportion. Median of 7 timed runs after warm-up.
 *
 * `node --import tsx bench/classifier.ts` prints a table and writes `.bench/classifier.json`.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { computeTrackFeatures, FEATURE_COUNT, type TrackFeatureInput } from '@passage/core';
import { ModeClassifier } from '@passage/mode-classifier';
import { readFeaturesCsv } from '@passage/mode-classifier-training/dataset';
import { medianOf } from './_util.ts';

const BATCHES = [1, 64, 1024] as const;
/** Tracks classified per timed run, whatever the batch size. */
const TRACKS_PER_RUN = 16_384;

function sampleTrack(): TrackFeatureInput {
  const n = 100;
  const series = (f: (i: number) => number): number[] => Array.from({ length: n }, (_, i) => f(i));
  return {
    votes: new Float32Array([0, 0, 80, 0, 2, 18]),
    widthsM: series((i) => 4.2 + 0.1 * Math.sin(i)),
    heightsM: series((i) => 2.1 + 0.1 * Math.cos(i)),
    speedsKmh: series((i) => 35 + 3 * Math.sin(i / 7)),
    timesS: series((i) => i / 25),
    aspects: series((i) => 2 + 0.05 * Math.sin(i)),
    durationS: 99 / 25,
    nFrames: n,
    pathLengthM: 38,
    straightness: 0.97,
  };
}

export async function run(): Promise<Record<string, number>> {
  // 1,024 real scenario tracks: the head of the committed test fixture of the training package.
  const data = readFeaturesCsv(
    fileURLToPath(new URL('../models/mode-classifier/training/src/fixtures/test-features.csv', import.meta.url)),
  );
  const classifier = await ModeClassifier.load({ intraOpNumThreads: 1 });
  const result: Record<string, number> = {};
  try {
    for (const batch of BATCHES) {
      const calls = TRACKS_PER_RUN / batch;
      for (let i = 0; i < Math.min(calls, 200); i++) await classifier.classify(data.features, batch);
      const seconds = await medianOf(7, async () => {
        const t0 = performance.now();
        for (let i = 0; i < calls; i++) {
          const row = (i * batch) % 1024;
          const rows = Math.min(batch, 1024 - row);
          await classifier.classify(data.features.subarray(row * FEATURE_COUNT), rows);
        }
        return (performance.now() - t0) / 1000;
      });
      result[`batch${batch}_tracks_per_s`] = TRACKS_PER_RUN / seconds;
      result[`batch${batch}_ms_per_batch`] = (seconds * 1000) / calls;
    }
  } finally {
    await classifier.close();
  }
  const track = sampleTrack();
  const out = new Float32Array(FEATURE_COUNT);
  const reps = 20_000;
  for (let i = 0; i < 2000; i++) computeTrackFeatures(track, out);
  const fs = await medianOf(7, () => {
    const t0 = performance.now();
    for (let i = 0; i < reps; i++) computeTrackFeatures(track, out);
    return (performance.now() - t0) / 1000;
  });
  result.features_tracks_per_s = reps / fs;
  return result;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const r = await run();
  console.log(`mode classifier (ONNX, onnxruntime-node CPU, 1 intra-op thread), ${FEATURE_COUNT} features → 7 modes`);
  console.log(`${'batch'.padStart(6)}  ${'tracks/s'.padStart(12)}  ${'ms/batch'.padStart(10)}`);
  for (const b of BATCHES) {
    const tps = Math.round(r[`batch${b}_tracks_per_s`]).toLocaleString('en-US');
    console.log(
      `${String(b).padStart(6)}  ${tps.padStart(12)}  ${r[`batch${b}_ms_per_batch`].toFixed(4).padStart(10)}`,
    );
  }
  console.log(
    `feature extraction (100-frame track): ${Math.round(r.features_tracks_per_s).toLocaleString('en-US')} tracks/s`,
  );
  mkdirSync(new URL('../.bench/', import.meta.url), { recursive: true });
  writeFileSync(new URL('../.bench/classifier.json', import.meta.url), `${JSON.stringify(r, null, 2)}\n`);
}
