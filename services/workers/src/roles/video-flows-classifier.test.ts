/**
 * `classifier.mode` of the video-flows role on real synthesised frames (chartres-centre, one camera, 5 minutes):
 * `detector` uses the detector votes only (no model: never `van`, which no detector class maps to), `onnx` the
 * gated model; both count the same road users, only their modes differ.
 */
import { fileURLToPath } from 'node:url';
import { loadConfig } from '@passage/config';
import { loadScenario, synthesizeDetections } from '@passage/sim';
import { createLogger, type LineCount, type OperatorContext, StreamMetrics } from '@passage/stream';
import { describe, expect, it } from 'vitest';
import { VideoFlowsOperator } from './video-flows.ts';

const DIR = fileURLToPath(new URL('../../../../infra/scenarios/chartres-centre', import.meta.url));

async function run(mode: 'onnx' | 'detector') {
  const config = loadConfig({
    env: { PASSAGE_CLASSIFIER_MODE: mode },
    overrides: { sitesFile: `${DIR}/scenario.json` },
  });
  expect(config.classifier.mode).toBe(mode);
  const op = new VideoFlowsOperator(config);
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

  it('refuses another value with PASSAGE_CONFIG_INVALID naming PASSAGE_CLASSIFIER_MODE', () => {
    expect(() => loadConfig({ env: { PASSAGE_CLASSIFIER_MODE: 'yolo' } })).toThrow(/PASSAGE_CLASSIFIER_MODE/);
  });
});
