import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { loadConfig } from '@passage/config';
import {
  createLogger,
  type DeadLetter,
  type DetectionFrame,
  InProcessBus,
  runProcessorInProcess,
  StreamMetrics,
} from '@passage/stream';
import { describe, expect, it } from 'vitest';
import { ingestDetectionsRole } from './ingest-detections.ts';

const FIX = resolve(import.meta.dirname, '../../../ingest/src/detections/fixtures');
const full = JSON.parse(readFileSync(resolve(FIX, 'deepstream-full-test4.json'), 'utf8'));
const minimal = readFileSync(resolve(FIX, 'deepstream-minimal-test4-azure.json'), 'utf8');

/** A full-schema message of the real fixture, moved to another time and box. */
function fullAt(ts: string, left: number, sensorId?: string) {
  const m = structuredClone(full);
  if (sensorId !== undefined) m.sensor.id = sensorId;
  m['@timestamp'] = ts;
  m.object.bbox = { topleftx: left, toplefty: 100, bottomrightx: left + 50, bottomrighty: 180 };
  m.object.id = String(left);
  return Buffer.from(JSON.stringify(m));
}

describe('ingest-detections role (DeepStream → detections.v1)', () => {
  it('groups full-schema objects into frames, passes minimal frames, dead-letters bad payloads', async () => {
    const config = loadConfig({ env: {} });
    const bus = new InProcessBus();
    const frames: DetectionFrame[] = [];
    const dlq: DeadLetter[] = [];
    bus.subscribe(
      config.topics.detections,
      async (r) => void frames.push(...r.map((x) => JSON.parse(String(x.value)))),
    );
    bus.subscribe(config.topics.dlq, async (r) => void dlq.push(...r.map((x) => JSON.parse(String(x.value)))));
    const p = await runProcessorInProcess(bus, ingestDetectionsRole(config), {
      log: createLogger({ level: 'silent' }),
      metrics: new StreamMetrics(),
      allowedLatenessMs: 0,
      dlqTopic: config.topics.dlq,
      sinkBatchRows: 1,
      sinkFlushMs: 1000,
    });
    const t0 = '2021-03-31T20:11:07.700Z';
    const t1 = '2021-03-31T20:11:07.800Z';
    await bus.publish(config.topics.detectionsRaw, [
      { key: null, value: fullAt(t0, 10) },
      { key: null, value: fullAt(t0, 200) },
      { key: null, value: fullAt(t0, 400) },
      { key: null, value: fullAt(t1, 12) },
      { key: null, value: Buffer.from(minimal) },
      { key: null, value: Buffer.from('{"version":"4.0","sensorId":"x"') },
      {
        key: null,
        value: Buffer.from(JSON.stringify({ version: '9.9', id: 1, '@timestamp': t0, sensorId: 's', objects: [] })),
      },
      {
        key: null,
        value: Buffer.from(
          JSON.stringify({
            ...full,
            object: { ...full.object, bbox: { topleftx: 5, toplefty: 5, bottomrightx: 1, bottomrighty: 1 } },
          }),
        ),
      },
    ]);
    await p.close();
    const camFrames = frames.filter((f) => f.cameraId === 'CAMERA_ID');
    expect(camFrames.map((f) => f.objects.length)).toEqual([3, 1]);
    expect(camFrames[0].ts).toBe(Date.parse(t0));
    expect(camFrames[0].objects.map((o) => o.bbox)).toEqual([
      [10, 100, 50, 80],
      [200, 100, 50, 80],
      [400, 100, 50, 80],
    ]);
    const mini = frames.find((f) => f.cameraId === 'sensor-0');
    expect(mini?.objects).toHaveLength(1);
    expect(mini?.objects[0].cls).toBe('car');
    expect(dlq.map((d) => d.reason).sort()).toEqual(['BAD_JSON', 'BAD_VALUE', 'UNKNOWN_VERSION']);
    // The dead letters carry no plate of the fixture (XX1234 is in the minimal payload's attributes).
    expect(JSON.stringify(dlq)).not.toContain('XX1234');
  });

  it('emits a full-schema frame left pending at the end of a batch once the watermark passes it by frameMaxDelayMs', async () => {
    const config = loadConfig({ env: {} });
    expect(config.ingest.frameMaxDelayMs).toBe(200);
    const bus = new InProcessBus();
    const frames: DetectionFrame[] = [];
    bus.subscribe(
      config.topics.detections,
      async (r) => void frames.push(...r.map((x) => JSON.parse(String(x.value)))),
    );
    const p = await runProcessorInProcess(bus, ingestDetectionsRole(config), {
      log: createLogger({ level: 'silent' }),
      metrics: new StreamMetrics(),
      allowedLatenessMs: 0,
      dlqTopic: config.topics.dlq,
      sinkBatchRows: 1,
      sinkFlushMs: 1000,
    });
    const t0 = Date.parse('2021-03-31T20:11:07.700Z');
    const iso = (dt: number) => new Date(t0 + dt).toISOString();
    const cam = () => frames.filter((f) => f.cameraId === 'CAMERA_ID');
    // Batch 1: two objects of CAMERA_ID's frame at t0, nothing later from that camera: the frame stays pending.
    await bus.publish(config.topics.detectionsRaw, [
      { key: null, value: fullAt(iso(0), 10) },
      { key: null, value: fullAt(iso(0), 200) },
    ]);
    expect(cam()).toEqual([]);
    expect(p.task.watermark).toBe(t0);
    // Another camera moves the watermark to t0 + 199 ms: 1 ms short of frameMaxDelayMs, still pending.
    await bus.publish(config.topics.detectionsRaw, [{ key: null, value: fullAt(iso(199), 10, 'OTHER') }]);
    expect(cam()).toEqual([]);
    // Watermark t0 + 200 ms: CAMERA_ID's frame is emitted, whole, before any close.
    await bus.publish(config.topics.detectionsRaw, [{ key: null, value: fullAt(iso(200), 10, 'OTHER') }]);
    expect(cam()).toHaveLength(1);
    expect(cam()[0].ts).toBe(t0);
    expect(cam()[0].objects.map((o) => o.bbox)).toEqual([
      [10, 100, 50, 80],
      [200, 100, 50, 80],
    ]);
    // OTHER's t0 + 199 frame was completed by its t0 + 200 message; its t0 + 200 frame waits for the close.
    expect(frames.filter((f) => f.cameraId === 'OTHER').map((f) => f.ts - t0)).toEqual([199]);
    await p.close();
    expect(frames.filter((f) => f.cameraId === 'OTHER').map((f) => f.ts - t0)).toEqual([199, 200]);
    expect(cam()).toHaveLength(1);
  });
});
