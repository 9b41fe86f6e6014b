/**
 * Issue 11, item 4: what video-flows emits depends on event time only. The same synthesised frames (chartres-centre,
 * three cameras, 8 minutes) through the in-process runtime with the real operator and the committed classifier,
 * delivered and checkpointed like Kafka batches of 500 and of 37 frames (a checkpoint after every delivery), and with
 * no checkpoint before the end: the line-count and movement rows are identical, row for row, and flow as the frames
 * do.
 * Before the emission epochs, each checkpoint emitted the partial minute aggregates of what it had seen, so the rows
 * followed the batching (the totals did not).
 */
import { fileURLToPath } from 'node:url';
import { loadConfig } from '@passage/config';
import { loadScenario, synthesizeDetections } from '@passage/sim';
import { createLogger, InProcessBus, runProcessorInProcess, StreamMetrics } from '@passage/stream';
import { beforeAll, describe, expect, it } from 'vitest';
import { videoFlowsRole } from './video-flows.ts';

const DIR = fileURLToPath(new URL('../../../../infra/scenarios/chartres-centre', import.meta.url));
const config = loadConfig({ env: {}, overrides: { sitesFile: `${DIR}/scenario.json` } });
let frames: Buffer[] = [];
let keys: string[] = [];

beforeAll(async () => {
  const ctx = await loadScenario(DIR);
  const all = [...synthesizeDetections(ctx, { toS: 480, cameraIds: ['cam-bd-nord', 'cam-marche', 'cam-parvis'] })];
  frames = all.map((f) => Buffer.from(JSON.stringify(f)));
  keys = all.map((f) => f.cameraId);
}, 120_000);

/** Rows emitted on the line-count and movement topics, canonical order; and the number of checkpoints that emitted. */
async function emitted(batch: number, checkpointEveryRecords: number) {
  const bus = new InProcessBus();
  const rows: Record<string, string[]> = { lines: [], moves: [] };
  let deliveries = 0;
  bus.subscribe(config.topics.lineCounts, async (recs) => {
    deliveries++;
    for (const r of recs) rows.lines.push(String(r.value));
  });
  bus.subscribe(config.topics.movements, async (recs) => {
    for (const r of recs) rows.moves.push(String(r.value));
  });
  const p = await runProcessorInProcess(bus, videoFlowsRole(config), {
    log: createLogger({ level: 'silent' }),
    metrics: new StreamMetrics(),
    allowedLatenessMs: config.stream.allowedLatenessMs,
    dlqTopic: config.topics.dlq,
    sinkBatchRows: 1000,
    sinkFlushMs: 1000,
    checkpointEveryRecords,
  });
  for (let i = 0; i < frames.length; i += batch) {
    const recs = frames.slice(i, i + batch).map((value, j) => ({ key: keys[i + j], value }));
    await bus.publish(config.topics.detections, recs);
  }
  await p.close();
  return { lines: rows.lines.sort(), moves: rows.moves.sort(), deliveries };
}

describe('video-flows emission', () => {
  it('Kafka-like batches of 500 and of 37 frames and one final checkpoint store the same rows', async () => {
    expect(frames.length).toBeGreaterThan(6000);
    const big = await emitted(500, 500);
    const small = await emitted(37, 37);
    const once = await emitted(500, 1_000_000);
    const total = big.lines.reduce((s, r) => s + (JSON.parse(r) as { count: number }).count, 0);
    console.info(
      `video-flows emission: ${frames.length} frames, ${total} crossings, ${big.lines.length} line rows, ${big.moves.length} movement rows`,
    );
    expect(total).toBeGreaterThan(300);
    expect(big.lines.length).toBeGreaterThan(40);
    expect(big.moves.length).toBeGreaterThan(10);
    // Minutes emitted while the frames flowed (each camera's clock passed them), not all at the end.
    expect(big.deliveries).toBeGreaterThan(5);
    expect(once.deliveries).toBeGreaterThan(5);
    expect(small.lines).toEqual(big.lines);
    expect(small.moves).toEqual(big.moves);
    expect(once.lines).toEqual(big.lines);
    expect(once.moves).toEqual(big.moves);
  }, 300_000);
});
