import type { Logger } from './log.ts';
import type { StreamMetrics } from './metrics.ts';
import type { DurableTable, OutRecord, ProcessorRole, SinkRole, SourceRecord } from './operator.ts';
import { type Clock, ProcessorTask, type TimeGuard } from './processor.ts';
import { SinkTask } from './sink.ts';
import { serialized } from './supervisor.ts';

type Handler = (records: SourceRecord[]) => Promise<void>;

/**
 * In-process transport for the embedded mode: same roles, same codecs, no Kafka. `publish` awaits every
 * subscriber, so a slow sink slows the producer (backpressure by construction); offsets are sequence
 * numbers per topic, so a deterministic replay into the same store is idempotent.
 */
export class InProcessBus {
  private readonly subs = new Map<string, Handler[]>();
  private readonly offsets = new Map<string, bigint>();
  readonly published = new Map<string, number>();

  subscribe(topic: string, handler: Handler): void {
    const list = this.subs.get(topic) ?? [];
    list.push(handler);
    this.subs.set(topic, list);
  }

  async publish(
    topic: string,
    records: readonly { key: string | null; value: Buffer; watermark?: { source: string; value: number } }[],
  ): Promise<void> {
    if (records.length === 0) return;
    let next = this.offsets.get(topic) ?? 0n;
    const recs: SourceRecord[] = records.map((r) => {
      const rec: SourceRecord = { key: r.key, value: r.value, offset: (next++).toString() };
      if (r.watermark) rec.watermark = r.watermark;
      return rec;
    });
    this.offsets.set(topic, next);
    this.published.set(topic, (this.published.get(topic) ?? 0) + records.length);
    for (const h of this.subs.get(topic) ?? []) await h(recs);
  }
}

export interface InProcessRuntimeOptions {
  log: Logger;
  metrics: StreamMetrics;
  allowedLatenessMs: number;
  idleTimeoutMs?: number;
  /** The trusted clock (default: the host's); a replay passes its scenario clock. */
  clock?: Clock;
  timeGuard?: TimeGuard;
  dlqTopic: string;
  sinkBatchRows: number;
  sinkFlushMs: number;
  /** How often processors checkpoint (emit partial state): after every this many input records, exactly. */
  checkpointEveryRecords?: number;
}

export interface Closeable {
  close(): Promise<void>;
}

/**
 * Groups operator outputs by topic (stream → topic; 'dlq' → the dead-letter topic) as JSON buffers. With `stamp`,
 * every output but dead letters carries the producing task's watermark (for the next role's watermark).
 */
export function encodeOut(
  outs: readonly OutRecord[],
  outputs: Readonly<Record<string, string>>,
  dlqTopic: string,
  stamp?: { source: string; watermark: number },
) {
  const byTopic = new Map<string, { key: string; value: Buffer; watermark?: { source: string; value: number } }[]>();
  const wm = stamp ? { source: stamp.source, value: stamp.watermark } : undefined;
  for (const o of outs) {
    const topic = o.stream === 'dlq' ? dlqTopic : outputs[o.stream];
    if (!topic) throw new Error(`operator emitted on unknown stream '${o.stream}'`);
    const list = byTopic.get(topic) ?? [];
    const value = Buffer.from(JSON.stringify(o.value));
    list.push(wm && o.stream !== 'dlq' ? { key: o.key, value, watermark: wm } : { key: o.key, value });
    byTopic.set(topic, list);
  }
  return byTopic;
}

/** Runs a processor role on the bus. */
export async function runProcessorInProcess<I>(
  bus: InProcessBus,
  role: ProcessorRole<I>,
  opts: InProcessRuntimeOptions,
): Promise<Closeable & { task: ProcessorTask<I> }> {
  const task = new ProcessorTask(role, {
    log: opts.log.child({ role: role.name }),
    metrics: opts.metrics,
    allowedLatenessMs: opts.allowedLatenessMs,
    idleTimeoutMs: opts.idleTimeoutMs,
    clock: opts.clock,
    timeGuard: opts.timeGuard,
  });
  await task.start();
  const every = opts.checkpointEveryRecords ?? 50000;
  let sinceCheckpoint = 0;
  const deliver = async (outs: OutRecord[], watermark: number) => {
    const stamp = { source: role.name, watermark };
    for (const [topic, recs] of encodeOut(outs, role.outputs, opts.dlqTopic, stamp)) {
      opts.metrics.messagesOut.inc({ role: role.name, topic }, recs.length);
      await bus.publish(topic, recs);
    }
  };
  // Checkpoints fall after every `every`-th record of the input sequence exactly (a delivery is cut there), never
  // where a publisher's batch happens to end: partial outputs are the same whatever the batching (replay speed).
  bus.subscribe(role.input, async (records) => {
    for (let i = 0; i < records.length; ) {
      const take = Math.min(records.length - i, every - sinceCheckpoint);
      const part = take === records.length ? records : records.slice(i, i + take);
      i += take;
      const watermark = task.watermark;
      const outs = await task.processBatch(role.input, 0, part);
      sinceCheckpoint += take;
      if (sinceCheckpoint >= every) {
        sinceCheckpoint = 0;
        outs.push(...(await task.checkpoint()));
      }
      await deliver(outs, watermark);
    }
  });
  return {
    task,
    async close() {
      const watermark = task.watermark;
      const outs = await task.checkpoint();
      outs.push(...(await task.close()));
      await deliver(outs, watermark);
    },
  };
}

/** Runs a sink role on the bus. */
export async function runSinkInProcess<T>(
  bus: InProcessBus,
  role: SinkRole<T>,
  table: DurableTable,
  opts: InProcessRuntimeOptions,
): Promise<Closeable & { task: SinkTask<T>; flush(): Promise<void> }> {
  const task = new SinkTask(role, table, {
    log: opts.log.child({ role: role.name }),
    metrics: opts.metrics,
    batchRows: opts.sinkBatchRows,
    flushMs: opts.sinkFlushMs,
    srcPrefix: 'mem:',
  });
  const locked = serialized();
  bus.subscribe(role.input, (records) =>
    locked(async () => {
      const dlq = await task.accept(role.input, 0, records);
      if (dlq.length) {
        for (const [topic, recs] of encodeOut(dlq, {}, opts.dlqTopic)) await bus.publish(topic, recs);
      }
      if (task.pendingRows >= opts.sinkBatchRows) await task.flush();
    }),
  );
  const timer = setInterval(() => {
    if (task.shouldFlush()) void locked(() => task.flush()).catch((e) => opts.log.error({ err: e }, 'flush failed'));
  }, opts.sinkFlushMs);
  timer.unref();
  return {
    task,
    flush: () => locked(async () => void (await task.flush())),
    async close() {
      clearInterval(timer);
      await locked(() => task.flush());
    },
  };
}
