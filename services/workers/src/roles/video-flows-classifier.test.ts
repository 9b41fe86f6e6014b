/**
 * `classifier.mode` of the video-flows role on real synthesised frames (chartres-centre, one camera, 5 minutes):
 * `detector` uses the detector votes only (no model: never `van`, which no detector class maps to), `onnx` the
 * gated model; both count the same road users, only their modes differ.
 */
import { fileURLToPath } from 'node:url';
import { loadConfig } from '@passage/config';
import { CameraSizeReference, FEATURE_COUNT, FEATURE_NAMES, SIZE_PRIOR_M } from '@passage/core';
import { ModeClassifier } from '@passage/mode-classifier';
import { loadScenario, synthesizeDetections } from '@passage/sim';
import { createLogger, type LineCount, type OperatorContext, StreamMetrics } from '@passage/stream';
import { describe, expect, it } from 'vitest';
import { VideoFlowsOperator } from './video-flows.ts';

const DIR = fileURLToPath(new URL('../../../../infra/scenarios/chartres-centre', import.meta.url));

async function run(mode: 'onnx' | 'detector', classifier?: ModeClassifier) {
  const config = loadConfig({
    env: { PASSAGE_CLASSIFIER_MODE: mode },
    overrides: { sitesFile: `${DIR}/scenario.json` },
  });
  expect(config.classifier.mode).toBe(mode);
  const op = new VideoFlowsOperator(config, { classifier });
  const counts: LineCount[] = [];
  const ctx: OperatorContext = {
    emit: (stream, _key, value) => void (stream === 'lineCounts' && counts.push(value as LineCount)),
    watermark: Number.NEGATIVE_INFINITY,
    log: createLogger({ level: 'silent' }),
    metrics: new StreamMetrics(),
    role: 'video-flows',
  };
  await op.onStart();
  const ctxScenario = await loadScenario(DIR);
  const frames = [...synthesizeDetections(ctxScenario, { toS: 300, cameraIds: ['cam-bd-nord'] })];
  for (let i = 0; i < frames.length; i += 500) await op.processBatch(frames.slice(i, i + 500), ctx);
  await op.onClose(ctx);
  const byMode: Record<string, number> = {};
  for (const c of counts) byMode[c.mode] = (byMode[c.mode] ?? 0) + c.count;
  return { byMode, total: counts.reduce((s, c) => s + c.count, 0), stats: op.stats };
}

describe('classifier.mode', () => {
  it('detector: votes only; onnx: the gated model; the same road users counted', async () => {
    const det = await run('detector');
    const onnx = await run('onnx');
    console.info('classifier.mode', JSON.stringify({ detector: det.byMode, onnx: onnx.byMode, stats: onnx.stats }));
    expect(det.total).toBeGreaterThan(100);
    expect(onnx.total).toBe(det.total);
    expect(det.byMode.van ?? 0).toBe(0);
    expect(onnx.byMode.van ?? 0).toBeGreaterThan(0);
    expect(det.stats.voteFallbacks).toBe(0);
    expect(onnx.stats.classified).toBe(det.stats.classified);
  }, 120_000);

  it('sizes each track against the earlier car-voted tracks of its own camera (width_rel, height_rel)', async () => {
    const real = await ModeClassifier.load({ intraOpNumThreads: 1 });
    const rows: Float32Array[] = [];
    const recording = {
      classifyGated: (f: Float32Array, n: number) => {
        for (let i = 0; i < n; i++) rows.push(f.slice(i * FEATURE_COUNT, (i + 1) * FEATURE_COUNT));
        return real.classifyGated(f, n);
      },
      close: () => real.close(),
    } as unknown as ModeClassifier;
    await run('onnx', recording);
    const k = (name: (typeof FEATURE_NAMES)[number]) => FEATURE_NAMES.indexOf(name);
    expect(rows.filter((r) => r[k('vote_car')] >= 0.8).length).toBeGreaterThan(30);
    // The same reference replayed over the rows the model got, in their order, gives the same relative sizes.
    const replay = new CameraSizeReference();
    let before = replay.reference('cam-bd-nord');
    for (const r of rows) {
      const copy = r.slice();
      before = replay.reference('cam-bd-nord');
      replay.apply('cam-bd-nord', copy);
      expect(copy[k('width_rel')]).toBeCloseTo(r[k('width_rel')], 6);
      expect(copy[k('height_rel')]).toBeCloseTo(r[k('height_rel')], 6);
    }
    // The first track was sized against the prior, the last against the camera's own cars: their median width
    // (within a 0.02 m bin) shrunk towards the prior by 10 pseudo-tracks.
    expect(rows[0][k('width_rel')]).toBeCloseTo(rows[0][k('width_m')] / SIZE_PRIOR_M.width, 5);
    const last = rows[rows.length - 1];
    expect(last[k('width_rel')]).toBeCloseTo(last[k('width_m')] / before.width, 5);
    const cars = rows
      .filter((r) => r[k('vote_car')] >= 0.8 && r[k('width_m')] > 0)
      .map((r) => r[k('width_m')])
      .sort((a, b) => a - b);
    const median = (cars[(cars.length - 1) >> 1] + cars[cars.length >> 1]) / 2;
    const expected = (cars.length * median + 10 * SIZE_PRIOR_M.width) / (cars.length + 10);
    expect(Math.abs(replay.reference('cam-bd-nord').width - expected)).toBeLessThan(0.02);
  }, 120_000);

  it('refuses another value with PASSAGE_CONFIG_INVALID naming PASSAGE_CLASSIFIER_MODE', () => {
    expect(() => loadConfig({ env: { PASSAGE_CLASSIFIER_MODE: 'yolo' } })).toThrow(/PASSAGE_CLASSIFIER_MODE/);
  });
});
