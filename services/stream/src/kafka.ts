import { PassageError } from '@passage/config';
import { type Admin, type Consumer, Kafka, logLevel, Partitioners, type Producer } from 'kafkajs';
import type { Logger } from './log.ts';
import { encodeOut } from './memory.ts';
import type { StreamMetrics } from './metrics.ts';
import type { DurableTable, OutRecord, ProcessorRole, SinkRole, SourceRecord } from './operator.ts';
import { type Clock, ProcessorTask, type TimeGuard } from './processor.ts';
import { SinkTask } from './sink.ts';

export interface KafkaTransportOptions {
  brokers: readonly string[];
  clientId: string;
  log: Logger;
  metrics: StreamMetrics;
  groupPrefix: string;
  sessionTimeoutMs?: number;
  heartbeatIntervalMs?: number;
  maxBytesPerPartition?: number;
  /** Max message size accepted by topics created here (bytes). */
  maxMessageBytes?: number;
}

export interface RunningRole {
  readonly name: string;
  /** Graceful stop: stop intake, let the batch in flight finish, flush, commit, close. */
  stop(): Promise<void>;
}

function kafkaLogCreator(log: Logger) {
  return () =>
    ({ level, log: entry }: { level: number; log: { message: string; [k: string]: unknown } }) => {
      const { message, ...rest } = entry;
      const fields = { broker: rest.broker, error: rest.error, groupId: rest.groupId };
      // kafkajs logs retriable protocol answers (leader moves, coordinator loading) as errors; they are retried.
      if (message.startsWith('Limiting retries')) return;
      if (level === logLevel.ERROR && message.startsWith('Response ')) log.warn(fields, `kafka: ${message}`);
      else if (level === logLevel.ERROR) log.error(fields, `kafka: ${message}`);
      else if (level === logLevel.WARN) log.warn(fields, `kafka: ${message}`);
      else log.debug(fields, `kafka: ${message}`);
    };
}

/** Kafka headers that carry the producing task's watermark to the next role (see ProcessorTask). */
export const WATERMARK_HEADER = 'passage-wm';
export const SOURCE_HEADER = 'passage-src';

type KafkaHeaders = Record<string, Buffer | string | (Buffer | string)[] | undefined>;

function header(h: KafkaHeaders | undefined, name: string): string | undefined {
  const v = h?.[name];
  if (v === undefined) return undefined;
  const one = Array.isArray(v) ? v[v.length - 1] : v;
  return one === undefined ? undefined : one.toString();
}

function toSourceRecords(
  messages: { key: Buffer | null; value: Buffer | null; offset: string; timestamp?: string; headers?: KafkaHeaders }[],
): SourceRecord[] {
  return messages.map((m) => {
    const r: SourceRecord = { key: m.key ? m.key.toString() : null, value: m.value, offset: m.offset };
    const t = Number(m.timestamp);
    if (m.timestamp !== undefined && Number.isFinite(t)) r.recordTime = t;
    const src = header(m.headers, SOURCE_HEADER);
    const wm = header(m.headers, WATERMARK_HEADER);
    if (src !== undefined && wm !== undefined) {
      const value = Number(wm); // '-Infinity' while the producing task has no watermark yet
      if (!Number.isNaN(value)) r.watermark = { source: src, value };
    }
    return r;
  });
}

/**
 * Kafka transport on kafkajs. Processors run consume → process → produce in one Kafka transaction with the
 * consumed offsets (exactly-once between topics); sinks commit offsets only after rows are durable in
 * ClickHouse, and skip what the table already holds.
 */
export class KafkaTransport {
  readonly kafka: Kafka;
  private readonly opts: KafkaTransportOptions;
  private admin?: Admin;
  private plainProducer?: Producer;

  constructor(opts: KafkaTransportOptions) {
    this.opts = opts;
    this.kafka = new Kafka({
      clientId: opts.clientId,
      brokers: [...opts.brokers],
      logLevel: logLevel.WARN,
      logCreator: kafkaLogCreator(opts.log.child({ component: 'kafkajs' })),
      retry: { retries: 8, initialRetryTime: 200, maxRetryTime: 5000 },
    });
  }

  private async getAdmin(): Promise<Admin> {
    if (!this.admin) {
      this.admin = this.kafka.admin();
      await this.admin.connect();
    }
    return this.admin;
  }

  /** Creates missing topics (idempotent). */
  async ensureTopics(topics: readonly { topic: string; partitions: number; compact?: boolean }[]): Promise<void> {
    const admin = await this.getAdmin();
    const existing = new Set(await admin.listTopics());
    const missing = topics.filter((t) => !existing.has(t.topic));
    if (missing.length === 0) return;
    try {
      await admin.createTopics({
        waitForLeaders: true,
        topics: missing.map((t) => ({
          topic: t.topic,
          numPartitions: t.partitions,
          replicationFactor: 1,
          configEntries: [
            { name: 'max.message.bytes', value: String(this.opts.maxMessageBytes ?? 8 * 1048576) },
            ...(t.compact ? [{ name: 'cleanup.policy', value: 'compact' }] : []),
          ],
        })),
      });
    } catch (e) {
      // Another process may have created them between listTopics and createTopics; or the topics were created but
      // the broker's metadata has not caught up yet while waiting for leaders (KRaft answers
      // UNKNOWN_TOPIC_OR_PARTITION for a moment): both are waited out below.
      const errs = (e as { errors?: { type?: string }[] }).errors ?? [];
      const type = (e as { type?: string }).type;
      const racing = errs.length > 0 && errs.every((x) => x.type === 'TOPIC_ALREADY_EXISTS');
      if (!racing && type !== 'UNKNOWN_TOPIC_OR_PARTITION' && type !== 'LEADER_NOT_AVAILABLE') throw e;
    }
    await this.#waitForLeaders(
      admin,
      missing.map((t) => t.topic),
    );
  }

  /** Until every partition of `topics` has a leader (at most ~15 s; the broker is then considered unhealthy). */
  async #waitForLeaders(admin: Admin, topics: string[]): Promise<void> {
    let last: unknown;
    for (let i = 0; i < 75; i++) {
      try {
        const md = await admin.fetchTopicMetadata({ topics });
        if (md.topics.every((t) => t.partitions.length > 0 && t.partitions.every((p) => p.leader >= 0))) return;
      } catch (e) {
        last = e;
        const type = (e as { type?: string }).type;
        if (type !== 'UNKNOWN_TOPIC_OR_PARTITION' && type !== 'LEADER_NOT_AVAILABLE') throw e;
      }
      await new Promise((r) => setTimeout(r, 200));
    }
    throw new PassageError(
      'PASSAGE_KAFKA_TOPICS',
      `Topics ${topics.join(', ')} have no partition leader 15 s after creation (${String(last ?? 'no leader')}): check the broker's health and logs.`,
    );
  }

  /** A plain idempotent producer (acks=-1) for sources such as replay and ingest. */
  async producer(): Promise<Producer> {
    if (!this.plainProducer) {
      this.plainProducer = this.kafka.producer({
        idempotent: true,
        maxInFlightRequests: 1,
        createPartitioner: Partitioners.DefaultPartitioner,
      });
      await this.plainProducer.connect();
    }
    return this.plainProducer;
  }

  /** `timestamp`: the record's time, ms (default: now); a replay stamps its scenario time (`timeGuard.clock = record`). */
  async send(
    topic: string,
    messages: readonly { key: string | null; value: Buffer | string; timestamp?: number }[],
  ): Promise<void> {
    const p = await this.producer();
    await p.send({
      topic,
      acks: -1,
      messages: messages.map((m) =>
        m.timestamp === undefined
          ? { key: m.key, value: m.value }
          : { key: m.key, value: m.value, timestamp: String(Math.round(m.timestamp)) },
      ),
    });
  }

  private consumer(groupId: string): Consumer {
    return this.kafka.consumer({
      groupId,
      sessionTimeout: this.opts.sessionTimeoutMs ?? 30000,
      heartbeatInterval: this.opts.heartbeatIntervalMs ?? 3000,
      maxBytesPerPartition: this.opts.maxBytesPerPartition ?? 1048576,
      maxBytes: 16 * 1048576,
      readUncommitted: false,
      allowAutoTopicCreation: false,
    });
  }

  private encode(
    outs: OutRecord[],
    outputs: Readonly<Record<string, string>>,
    dlqTopic: string,
    stamp?: { source: string; watermark: number },
  ) {
    const byTopic = encodeOut(outs, outputs, dlqTopic, stamp);
    const out = new Map<string, { key: string; value: Buffer; headers?: Record<string, string> }[]>();
    for (const [topic, recs] of byTopic) {
      out.set(
        topic,
        recs.map((r) =>
          r.watermark
            ? {
                key: r.key,
                value: r.value,
                headers: { [WATERMARK_HEADER]: String(r.watermark.value), [SOURCE_HEADER]: r.watermark.source },
              }
            : { key: r.key, value: r.value },
        ),
      );
    }
    return out;
  }

  /**
   * Runs a processor role in a consumer group. `instanceId` must be stable across restarts of the same
   * worker (it is the transactional id: a restarted worker fences its dead predecessor's open transaction).
   */
  async runProcessor<I>(
    role: ProcessorRole<I>,
    options: {
      instanceId: string;
      dlqTopic: string;
      allowedLatenessMs: number;
      idleTimeoutMs?: number;
      clock?: Clock;
      timeGuard?: TimeGuard;
    },
  ): Promise<RunningRole & { task: ProcessorTask<I> }> {
    const log = this.opts.log.child({ role: role.name, instance: options.instanceId });
    const groupId = `${this.opts.groupPrefix}.${role.name}`;
    const task = new ProcessorTask(role, {
      log,
      metrics: this.opts.metrics,
      allowedLatenessMs: options.allowedLatenessMs,
      idleTimeoutMs: options.idleTimeoutMs,
      clock: options.clock,
      timeGuard: options.timeGuard,
    });
    // Every output carries this task's watermark (before the batch that produced it) for the next role.
    const source = `${groupId}.${options.instanceId}`;
    await task.start();
    const producer = this.kafka.producer({
      transactionalId: `${groupId}.${options.instanceId}`,
      createPartitioner: Partitioners.DefaultPartitioner,
      idempotent: true,
      maxInFlightRequests: 1,
      transactionTimeout: 30000,
    });
    await producer.connect();
    const consumer = this.consumer(groupId);
    await consumer.connect();
    await consumer.subscribe({ topic: role.input, fromBeginning: true });
    consumer.on(consumer.events.GROUP_JOIN, (e) => {
      const parts = (e.payload.memberAssignment[role.input] ?? []) as number[];
      task.setPartitions(parts);
      log.info({ partitions: parts }, 'partitions assigned');
    });
    const metrics = this.opts.metrics;
    await consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      partitionsConsumedConcurrently: 1,
      eachBatch: async ({ batch, resolveOffset, heartbeat, isRunning, isStale }) => {
        if (!isRunning() || isStale() || batch.messages.length === 0) return;
        const watermark = task.watermark;
        const outs = await task.processBatch(batch.topic, batch.partition, toSourceRecords(batch.messages), {
          backlog: Number(batch.offsetLag()) > 0,
        });
        outs.push(...(await task.checkpoint()));
        const last = batch.lastOffset();
        const encoded = this.encode(outs, role.outputs, options.dlqTopic, { source, watermark });
        const offsets = [
          {
            topic: batch.topic,
            partitions: [{ partition: batch.partition, offset: (BigInt(last) + 1n).toString() }],
          },
        ];
        // The outputs of this batch are computed once; only the transaction is retried, so a stateful
        // operator never sees the batch twice unless every attempt fails (then the batch is re-delivered).
        for (let attempt = 0; ; attempt++) {
          const tx = await producer.transaction();
          try {
            for (const [topic, messages] of encoded) await tx.send({ topic, messages, acks: -1 });
            await tx.sendOffsets({ consumerGroupId: groupId, topics: offsets });
            await tx.commit();
            for (const [topic, messages] of encoded) {
              metrics.messagesOut.inc({ role: role.name, topic }, messages.length);
            }
            break;
          } catch (e) {
            await tx.abort().catch(() => undefined);
            if (attempt >= 4 || !isRunning()) {
              log.warn({ err: (e as Error).message }, 'transaction failed; the batch will be re-delivered');
              throw e;
            }
            log.info({ err: (e as Error).message, attempt }, 'transaction failed; retrying');
            await new Promise((r) => setTimeout(r, 100 * 2 ** attempt));
          }
        }
        resolveOffset(last);
        metrics.lag.set(
          { role: role.name, topic: batch.topic, partition: String(batch.partition) },
          Number(batch.offsetLag()),
        );
        await heartbeat();
      },
    });
    let stopped = false;
    const encode = (o: OutRecord[]) =>
      this.encode(o, role.outputs, options.dlqTopic, { source, watermark: task.watermark });
    return {
      name: role.name,
      task,
      async stop() {
        if (stopped) return;
        stopped = true;
        await consumer.stop();
        const outs = await task.close();
        if (outs.length > 0) {
          const tx = await producer.transaction();
          for (const [topic, messages] of encode(outs)) await tx.send({ topic, messages, acks: -1 });
          await tx.commit();
        }
        await consumer.disconnect();
        await producer.disconnect();
        log.info('stopped');
      },
    };
  }

  /** Runs a sink role: an aggregate topic → a ClickHouse table, exactly-once in effect. */
  async runSink<T>(
    role: SinkRole<T>,
    table: DurableTable,
    options: { dlqTopic: string; batchRows: number; flushMs: number; highWaterRows: number },
  ): Promise<RunningRole & { task: SinkTask<T> }> {
    const log = this.opts.log.child({ role: role.name });
    const groupId = `${this.opts.groupPrefix}.${role.name}`;
    const metrics = this.opts.metrics;
    const task = new SinkTask(role, table, {
      log,
      metrics,
      batchRows: options.batchRows,
      flushMs: options.flushMs,
      srcPrefix: 'kafka:',
    });
    const dlqProducer = await this.producer();
    const consumer = this.consumer(groupId);
    await consumer.connect();
    await consumer.subscribe({ topic: role.input, fromBeginning: true });
    let chain: Promise<unknown> = Promise.resolve();
    const locked = <R>(fn: () => Promise<R>): Promise<R> => {
      const p = chain.then(fn);
      chain = p.catch(() => undefined);
      return p;
    };
    let paused = false;
    const flushAndCommit = async () => {
      if (!task.shouldFlush() && task.pendingRows === 0) return;
      const offsets = await task.flush();
      if (offsets.length > 0) {
        try {
          await consumer.commitOffsets(offsets);
        } catch (e) {
          // Safe to skip: the rows are durable and carry their offsets, so a re-delivery is filtered out.
          log.debug({ err: (e as Error).message }, 'offset commit skipped (rebalance in progress)');
        }
      }
      if (paused) {
        paused = false;
        consumer.resume([{ topic: role.input }]);
        metrics.paused.set({ role: role.name }, 0);
      }
    };
    consumer.on(consumer.events.REBALANCING, () => {
      void locked(async () => {
        await flushAndCommit();
        task.resetHighWater();
      }).catch((e) => log.error({ err: (e as Error).message }, 'flush before rebalance failed'));
    });
    await consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      partitionsConsumedConcurrently: 1,
      eachBatch: async ({ batch, resolveOffset, heartbeat, isRunning, isStale }) => {
        if (!isRunning() || isStale() || batch.messages.length === 0) return;
        await locked(async () => {
          const dlq = await task.accept(batch.topic, batch.partition, toSourceRecords(batch.messages));
          if (dlq.length > 0) {
            await dlqProducer.send({
              topic: options.dlqTopic,
              acks: -1,
              messages: dlq.map((d) => ({ key: d.key, value: JSON.stringify(d.value) })),
            });
          }
          if (task.pendingRows >= options.highWaterRows && !paused) {
            // Backpressure: stop fetching until the pending rows are durable.
            paused = true;
            consumer.pause([{ topic: role.input }]);
            metrics.paused.set({ role: role.name }, 1);
          }
          if (task.shouldFlush()) await flushAndCommit();
        });
        resolveOffset(batch.lastOffset());
        metrics.lag.set(
          { role: role.name, topic: batch.topic, partition: String(batch.partition) },
          Number(batch.offsetLag()),
        );
        await heartbeat();
      },
    });
    const timer = setInterval(
      () => {
        if (task.shouldFlush()) {
          void locked(flushAndCommit).catch((e) => log.error({ err: (e as Error).message }, 'timed flush failed'));
        }
      },
      Math.max(50, Math.floor(options.flushMs / 2)),
    );
    timer.unref();
    let stopped = false;
    return {
      name: role.name,
      task,
      async stop() {
        if (stopped) return;
        stopped = true;
        clearInterval(timer);
        await consumer.stop();
        await locked(flushAndCommit);
        await consumer.disconnect();
        log.info('stopped');
      },
    };
  }

  async close(): Promise<void> {
    await this.plainProducer?.disconnect();
    await this.admin?.disconnect();
    this.plainProducer = undefined;
    this.admin = undefined;
  }
}
