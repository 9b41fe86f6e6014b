/**
 * Replay: streams a scenario's synthesised sensor data — detection frames, counter records and raw sightings —
 * in event-time order into a sink (the embedded bus or Kafka), at a chosen speed, with progress on stderr.
 */
import type { CountRecord, DetectionFrame, RawSighting } from '@passage/stream';
import { hashUniform } from './prng.ts';
import { synthesizeCounts } from './synth/counters.ts';
import { synthesizeDetections } from './synth/detections.ts';
import type { SimContext } from './synth/scenario.ts';
import { synthesizeSightings } from './synth/sightings.ts';

export type ReplayTopic = 'detections' | 'counts' | 'sightingsRaw';

export interface ReplayRecord {
  topic: ReplayTopic;
  key: string;
  /** Event time used for ordering, ms. */
  ts: number;
  value: DetectionFrame | CountRecord | RawSighting;
}

export interface ReplayOptions {
  /** Seconds from scenario start. */
  fromS?: number;
  toS?: number;
  /** Which streams to replay (default all). */
  topics?: readonly ReplayTopic[];
  /** Interval of counter records, seconds (default 60: a counter reporting every minute). */
  countIntervalS?: number;
  /** Noise seed (default the scenario's). */
  seed?: number;
  /** Cameras to replay (default all). */
  cameraIds?: readonly string[];
  /**
   * What-if of the cameras' edge devices (robustness checks; default: every frame sent): `skipEmptyFrames`, frames
   * without boxes are not sent (edges that publish on detection only); `dropShare`, that share of the frames is lost
   * at random (a hash of camera, time and seed: the same frames on every run).
   */
  edge?: { skipEmptyFrames?: boolean; dropShare?: number };
}

/** All replay records of a scenario in event-time order (counts at the end of their interval). */
export function* replayRecords(ctx: SimContext, o: ReplayOptions = {}): Generator<ReplayRecord> {
  const topics = new Set(o.topics ?? ['detections', 'counts', 'sightingsRaw']);
  const start = ctx.scenario.start;
  const fromMs = start + (o.fromS ?? 0) * 1000;
  const toMs = start + (o.toS ?? ctx.scenario.durationS) * 1000;
  const others: ReplayRecord[] = [];
  if (topics.has('counts')) {
    for (const c of synthesizeCounts(ctx, { intervalS: o.countIntervalS ?? 60, seed: o.seed })) {
      if (c.end > fromMs && c.end <= toMs) others.push({ topic: 'counts', key: c.sensorId, ts: c.end, value: c });
    }
  }
  if (topics.has('sightingsRaw')) {
    for (const s of synthesizeSightings(ctx, { seed: o.seed })) {
      if (s.ts >= fromMs && s.ts < toMs) others.push({ topic: 'sightingsRaw', key: s.siteId, ts: s.ts, value: s });
    }
  }
  others.sort((a, b) => a.ts - b.ts);
  let i = 0;
  if (topics.has('detections')) {
    const drop = o.edge?.dropShare ?? 0;
    const seed = o.seed ?? ctx.scenario.seed;
    for (const f of synthesizeDetections(ctx, {
      fromS: o.fromS,
      toS: o.toS,
      seed: o.seed,
      cameraIds: o.cameraIds,
      emptyFrames: !o.edge?.skipEmptyFrames,
    })) {
      if (drop > 0 && hashUniform('edge-drop', seed, f.cameraId, f.ts) < drop) continue;
      while (i < others.length && others[i].ts <= f.ts) yield others[i++];
      yield { topic: 'detections', key: f.cameraId, ts: f.ts, value: f };
    }
  }
  while (i < others.length) yield others[i++];
}

export interface ReplayTarget {
  /** Publishes records of one topic (already encoded as JSON buffers). */
  publish(topic: ReplayTopic, records: { key: string; value: Buffer }[]): Promise<void>;
}

export interface ReplayRunOptions extends ReplayOptions {
  /** Speed factor relative to real time; Infinity = as fast as possible. */
  speed?: number;
  /** Records per publish call (per topic). */
  batch?: number;
  /** Called with progress (0..1) and counts; default prints a bar on stderr when it is a TTY or every 10 %. */
  onProgress?: (p: { fraction: number; records: number; detections: number; eventTs: number }) => void;
}

export interface ReplayResult {
  records: Record<ReplayTopic, number>;
  detections: number;
  seconds: number;
}

/** Drives `replayRecords` into a target, batching per topic and pacing by event time when speed is finite. */
export async function runReplay(
  ctx: SimContext,
  target: ReplayTarget,
  o: ReplayRunOptions = {},
): Promise<ReplayResult> {
  const speed = o.speed ?? Number.POSITIVE_INFINITY;
  const batch = o.batch ?? 500;
  const fromMs = ctx.scenario.start + (o.fromS ?? 0) * 1000;
  const toMs = ctx.scenario.start + (o.toS ?? ctx.scenario.durationS) * 1000;
  const buffers: Record<ReplayTopic, { key: string; value: Buffer }[]> = {
    detections: [],
    counts: [],
    sightingsRaw: [],
  };
  const records: Record<ReplayTopic, number> = { detections: 0, counts: 0, sightingsRaw: 0 };
  let detections = 0;
  const t0 = performance.now();
  let lastReport = -1;
  const flush = async (topic: ReplayTopic) => {
    const b = buffers[topic];
    if (b.length === 0) return;
    buffers[topic] = [];
    await target.publish(topic, b);
  };
  const flushAll = async () => {
    // Order matters little between topics, but flush counts and sightings first: they are older or equal.
    await flush('counts');
    await flush('sightingsRaw');
    await flush('detections');
  };
  let n = 0;
  for (const r of replayRecords(ctx, o)) {
    if (Number.isFinite(speed)) {
      const due = (r.ts - fromMs) / speed;
      const now = performance.now() - t0;
      if (due > now + 20) {
        await flushAll();
        await new Promise((res) => setTimeout(res, due - now));
      }
    }
    buffers[r.topic].push({ key: r.key, value: Buffer.from(JSON.stringify(r.value)) });
    records[r.topic]++;
    if (r.topic === 'detections') detections += (r.value as DetectionFrame).objects.length;
    if (buffers[r.topic].length >= batch) await flush(r.topic);
    if ((++n & 1023) === 0) {
      const fraction = Math.min(1, (r.ts - fromMs) / Math.max(1, toMs - fromMs));
      const pct = Math.floor(fraction * 100);
      if (o.onProgress) o.onProgress({ fraction, records: n, detections, eventTs: r.ts });
      else if (pct !== lastReport && (process.stderr.isTTY || pct % 10 === 0)) {
        lastReport = pct;
        const bar = '#'.repeat(Math.round(fraction * 30)).padEnd(30, '.');
        const line = `replay [${bar}] ${pct}% ${n} records, ${detections} detections, t=${new Date(r.ts).toISOString().slice(11, 19)}Z`;
        process.stderr.write(process.stderr.isTTY ? `\r${line}` : `${line}\n`);
      }
    }
  }
  await flushAll();
  if (!o.onProgress && process.stderr.isTTY) process.stderr.write('\n');
  return { records, detections, seconds: (performance.now() - t0) / 1000 };
}
