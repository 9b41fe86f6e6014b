import { PassageError } from '@passage/config';
import {
  type Admin,
  type Consumer,
  type EachBatchHandler,
  Kafka,
  logLevel,
  Partitioners,
  type Producer,
} from 'kafkajs';
import { type KafkaSecurity, redactSecret, securityFailure } from './kafka-security.ts';
import type { Logger } from './log.ts';
import { encodeOut } from './memory.ts';
import type { StreamMetrics } from './metrics.ts';
import type { DurableTable, OutRecord, ProcessorRole, SinkRole, SourceRecord } from './operator.ts';
import { type Clock, ProcessorTask, type TimeGuard } from './processor.ts';
import { SinkTask } from './sink.ts';
import { backoffMs, type RoleHealth, Supervisor, serialized } from './supervisor.ts';

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
  /** Replication factor of topics created here; default -1 (the broker's `default.replication.factor`). */
  replicationFactor?: number;
  /** TLS / SASL (from `kafkaSecurity(config.kafka)`). */
  security?: KafkaSecurity;
}

export interface RunningRole {
  readonly name: string;
  /** Graceful stop: stop intake, let the batch in flight finish, flush, commit, close. */
  stop(): Promise<void>;
}

/** A role kept consuming by a {@link Supervisor}; `health()` feeds the worker's readiness. */
export interface SupervisedRole extends RunningRole {
  health(): RoleHealth;
}

function kafkaLogCreator(log: Logger) {
  return () =>
    ({ level, log: entry }: { level: number; log: { message: string; [k: string]: unknown } }) => {
      const { message, ...rest } = entry;
      const fields = { broker: rest.broker, error: rest.error, groupId: rest.groupId };
      // kafkajs logs retriable protocol answers (leader moves, coordinator loading) as errors; they are retried.
      if (message.startsWith('Limiting retries')) return;
      // The broker answers CONCURRENT_TRANSACTIONS while it finishes the previous commit; kafkajs retries it.
      const err = typeof rest.error === 'string' ? rest.error : '';
      if (`${message} ${err}`.includes('concurrent operation on the same transaction')) {
        log.debug(fields, `kafka: ${message}`);
        return;
      }
      if (level === logLevel.ERROR && message.startsWith('Response ')) log.warn(fields, `kafka: ${message}`);
      else if (level === logLevel.ERROR) log.error(fields, `kafka: ${message}`);
      else if (level === logLevel.WARN) log.warn(fields, `kafka: ${message}`);
      else log.debug(fields, `kafka: ${message}`);
    };
}

/** Outputs encoded for Kafka, by topic. */
type Encoded = Map<string, { key: string; value: Buffer; headers?: Record<string, string> }[]>;

/** Kafka headers that carry the producing task's watermark to the next role (see ProcessorTask). */
export const WATERMARK_HEADER = 'passage-wm';
export const SOURCE_HEADER = 'passage-src';

/**
 * Key prefix of the runtime's own records in a hand-over role's state topic: per input partition, the offset a new
 * owner re-reads from (`Operator.replayFrom`; `from`, null: none) and the offset committed with it (`to`; '0':
 * unknown). Offsets only. `to` is the position a new owner resumes from: it is written in the same transaction as the
 * state, whereas the group's committed offset can read as the previous one while that transaction's markers are still
 * being written (kafkajs's OffsetFetch v1-v4 cannot ask for stable offsets, KIP-447).
 */
export const REPLAY_KEY_PREFIX = 'passage.replay-from.';

/**
 * The group has moved on (rebalance, generation, membership): a transaction with offsets must not commit. `answer`:
 * the heartbeat's kafkajs error, thrown out of the batch so that kafkajs re-joins (it heartbeats only between empty
 * fetches: a batch kept and re-delivered at once would otherwise be fenced again and again).
 */
class GroupMovedOn extends Error {
  constructor(readonly answer: unknown) {
    super(`${(answer as { type?: string }).type}: ${(answer as Error).message}`);
  }
}
const MOVED_ON = new Set(['REBALANCE_IN_PROGRESS', 'ILLEGAL_GENERATION', 'UNKNOWN_MEMBER_ID', 'FENCED_INSTANCE_ID']);

/** Asks the group's heartbeat; throws GroupMovedOn if this member no longer holds its generation's assignment. */
async function fence(heartbeat: () => Promise<void>): Promise<void> {
  try {
    await heartbeat();
  } catch (e) {
    const type = (e as { type?: string }).type;
    if (type !== undefined && MOVED_ON.has(type)) throw new GroupMovedOn(e);
    // Any other answer (a coordinator moving) says nothing of the assignment: the commit goes on.
  }
}

interface ReplayRecord {
  v: 1;
  partition: number;
  from: string | null;
  to: string;
}

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
/** What `sendEvery` needs of a producer or a transaction (kafkajs answers one entry per partition written). */
interface Sender {
  send(record: {
    topic: string;
    acks: number;
    messages: { key: string | null; value: Buffer | string; partition?: number; timestamp?: string }[];
  }): Promise<unknown>;
}

/**
 * Sends `messages` to `topic` and checks that every partition they go to answered. kafkajs 2.2.4 can resolve a send
 * while some partitions' messages were never sent: when a partition leader moves mid-send, its retry only goes to the
 * brokers that had not answered yet (tulios/kafkajs#1303), and the fault bench lost 43–57 accepted sightings that way
 * at a broker kill. So each message gets its partition here (the default partitioner's own choice: murmur2 of the
 * key, or any partition for a null key) and the messages of partitions absent from the answer are sent again (never
 * sent: no duplicate), up to 5 times, then an error. `partitions` unknown (0): sent unchecked.
 */
export async function sendEvery(
  sender: Sender,
  topic: string,
  messages: readonly { key: string | null; value: Buffer | string; timestamp?: string }[],
  partitions: number,
  log?: Logger,
): Promise<void> {
  if (partitions <= 0) {
    await sender.send({ topic, acks: -1, messages: [...messages] });
    return;
  }
  const partitioner = Partitioners.DefaultPartitioner();
  const partitionMetadata = Array.from({ length: partitions }, (_, partitionId) => ({
    partitionId,
    leader: 0,
    partitionErrorCode: 0,
    replicas: [0],
    isr: [0],
  }));
  let pending = messages.map((m) => ({ ...m, partition: partitioner({ topic, partitionMetadata, message: m }) }));
  for (let attempt = 1; ; attempt++) {
    const answer = await sender.send({ topic, acks: -1, messages: pending });
    if (!Array.isArray(answer)) return; // not kafkajs (a test's fake): nothing to check
    const answered = new Set(
      (answer as { topicName?: string; partition?: number; errorCode?: number }[])
        .filter((r) => r.topicName === topic && (r.errorCode ?? 0) === 0)
        .map((r) => r.partition),
    );
    const missing = pending.filter((m) => !answered.has(m.partition));
    if (missing.length === 0) return;
    const parts = [...new Set(missing.map((m) => m.partition))];
    if (attempt >= 5) {
      throw new Error(`${missing.length} records for ${topic} partitions ${parts.join(',')} were never acknowledged`);
    }
    log?.warn(
      { topic, partitions: parts, records: missing.length, attempt },
      'send left partitions unanswered: sent again',
    );
    pending = missing;
  }
}

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
      ...(opts.security?.ssl ? { ssl: opts.security.ssl } : {}),
      ...(opts.security?.sasl ? { sasl: opts.security.sasl } : {}),
      logLevel: logLevel.WARN,
      logCreator: kafkaLogCreator(opts.log.child({ component: 'kafkajs' })),
      retry: { retries: 8, initialRetryTime: 200, maxRetryTime: 5000 },
    });
  }

  private async getAdmin(): Promise<Admin> {
    if (!this.admin) {
      this.admin = await this.#connected(this.kafka.admin());
    }
    return this.admin;
  }

  /** Connects a client; a refused login or a failed TLS handshake throws a PassageError (never retried). */
  async #connected<C extends { connect(): Promise<void>; disconnect(): Promise<void> }>(client: C): Promise<C> {
    try {
      await client.connect();
      return client;
    } catch (e) {
      await client.disconnect().catch(() => undefined);
      throw securityFailure(e, this.opts.security) ?? e;
    }
  }

  readonly #partitionCounts = new Map<string, number>();

  /**
   * Partitions of `topic` (cached once known), for `sendEvery`'s check; 0 when they cannot be read now (the send is
   * then unchecked, as kafkajs alone would do, and the next send asks again).
   */
  async partitionsOf(topic: string): Promise<number> {
    const known = this.#partitionCounts.get(topic);
    if (known !== undefined) return known;
    try {
      const admin = await this.getAdmin();
      const md = await admin.fetchTopicMetadata({ topics: [topic] });
      const n = md.topics.find((t) => t.name === topic)?.partitions.length ?? 0;
      if (n > 0) this.#partitionCounts.set(topic, n);
      return n;
    } catch {
      return 0;
    }
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
          replicationFactor: this.opts.replicationFactor ?? -1,
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
      this.plainProducer = await this.#connected(
        this.kafka.producer({
          idempotent: true,
          maxInFlightRequests: 1,
          createPartitioner: Partitioners.DefaultPartitioner,
        }),
      );
    }
    return this.plainProducer;
  }

  /** `timestamp`: the record's time, ms (default: now); a replay stamps its scenario time (`timeGuard.clock = record`). */
  async send(
    topic: string,
    messages: readonly { key: string | null; value: Buffer | string; timestamp?: number }[],
  ): Promise<void> {
    const p = await this.producer();
    await sendEvery(
      p,
      topic,
      messages.map((m) =>
        m.timestamp === undefined
          ? { key: m.key, value: m.value }
          : { key: m.key, value: m.value, timestamp: String(Math.round(m.timestamp)) },
      ),
      await this.partitionsOf(topic),
      this.opts.log,
    );
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
      // kafkajs restarts a crashed consumer only for some errors: the role's Supervisor re-creates it instead.
      retry: { retries: 8, initialRetryTime: 200, maxRetryTime: 5000, restartOnFailure: async () => false },
    });
  }

  private encode(
    outs: OutRecord[],
    outputs: Readonly<Record<string, string>>,
    dlqTopic: string,
    stamp?: { source: string; watermark: number },
  ) {
    const byTopic = encodeOut(outs, outputs, dlqTopic, stamp);
    const out: Encoded = new Map();
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
   * Supervised: at start-up and after any failure (broker lost, consumer crashed, a transaction the producer can no
   * longer finish) the consumer and the producer are re-created with backoff and consumption resumes from the
   * committed offsets; outputs and offsets commit together, so a batch whose transaction failed is re-delivered.
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
  ): Promise<SupervisedRole & { task: ProcessorTask<I> }> {
    const log = this.opts.log.child({ role: role.name, instance: options.instanceId });
    const partitionsOf = (topic: string) => this.partitionsOf(topic);
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
    const handOver = role.state?.handOver === true;
    if (role.state && !handOver) await this.#restoreState(role, task, log);
    await task.start();
    const metrics = this.opts.metrics;
    let producer: Producer | undefined;
    let consumer: Consumer | undefined;
    // One batch at a time, never during a reconnect or the final close.
    const locked = serialized();
    /**
     * Batches whose transaction failed after the operator processed them, by input partition. The operator's state
     * already holds such a batch (a minute it emitted is no longer in memory; an aggregate already counts it), so
     * processing it again when the broker re-delivers it from the committed offset would lose or double-count it:
     * instead the outputs kept here are committed with its offsets, and only the records after it are processed.
     * Dropped when the committed offset turns out to be past the batch (the commit went through after all, its answer
     * was lost) or when the partition goes to another member (the operator forgets it: `Operator.revoke`).
     */
    const uncommitted = new Map<number, { first: bigint; last: bigint; encoded: Encoded }>();
    /** Input partitions of the latest assignment (kept across reconnects: what a new assignment lacks is revoked). */
    let owned = new Set<number>();
    /**
     * Newly assigned partitions being re-read for the operator's warm-up (`Operator.replayFrom`): the next offset to
     * re-read and the offset committed by the previous owner (records before it go to `warmUp`, from it on to
     * `processBatch`).
     */
    const warming = new Map<number, { next: bigint; to: bigint }>();
    const replays = task.replays && handOver;
    /** Per input partition, the offset after the last batch committed (by this member, or by the previous owner). */
    const committedTo = new Map<number, bigint>();
    /**
     * Gained partitions whose previous owner committed up to here, by its state's position record: records before it
     * are in the restored state and their outputs are out, so a re-delivery from an older group offset skips them.
     */
    const floors = new Map<number, bigint>();
    const offsetsAfter = (topic: string, partition: number, last: bigint) => [
      { topic, partitions: [{ partition, offset: (last + 1n).toString() }] },
    ];
    /** The heartbeat answer that fenced the last transaction, thrown out of the batch (`GroupMovedOn`). */
    let movedOn: unknown;
    const rejoinIfMovedOn = () => {
      const e = movedOn;
      movedOn = undefined;
      if (e !== undefined) throw e;
    };
    /**
     * Commits outputs (and input offsets) in one transaction, retried a few times; false after the last failure (the
     * supervisor then re-creates the clients and the broker re-delivers from the committed offsets).
     * `heartbeat`: the group's, asked just before a commit with offsets; if the group has moved on (a rebalance, this
     * member expelled) the transaction is aborted and false returned (the batch is kept for its re-delivery, or left to
     * the partition's next owner). kafkajs's TxnOffsetCommit carries no generation (KIP-447), so without this a member
     * that lost its partitions while processing a long batch would still commit it after the new owner read the state.
     */
    const transact = async (
      p: Producer,
      encoded: Encoded,
      offsets: ReturnType<typeof offsetsAfter> | undefined,
      isRunning: () => boolean,
      heartbeat?: () => Promise<void>,
    ): Promise<boolean> => {
      if (encoded.size === 0 && !offsets) return true;
      for (let attempt = 0; ; attempt++) {
        // A commit that fails may still have landed (its answer lost): retrying it in a new transaction could send
        // the outputs twice, so only the re-delivery (from the committed offsets) can tell, and decides.
        let committing = false;
        try {
          const tx = await p.transaction();
          try {
            for (const [topic, messages] of encoded)
              await sendEvery(tx, topic, messages, await partitionsOf(topic), log);
            if (offsets) await tx.sendOffsets({ consumerGroupId: groupId, topics: offsets });
            if (offsets && heartbeat) await fence(heartbeat);
            committing = true;
            await tx.commit();
          } catch (e) {
            if (!committing) await tx.abort().catch(() => undefined);
            throw e;
          }
          for (const [topic, messages] of encoded) {
            metrics.messagesOut.inc({ role: role.name, topic }, messages.length);
          }
          return true;
        } catch (e) {
          if (e instanceof GroupMovedOn) {
            log.info({ err: e.message }, 'the group moved on before the commit: transaction aborted, batch kept');
            movedOn = e.answer;
            return false;
          }
          if (committing || attempt >= 4 || !isRunning()) {
            log.warn(
              { err: (e as Error).message },
              'transaction failed; its outputs are kept until the broker re-delivers the batch',
            );
            supervisor.fail(e);
            return false;
          }
          log.info({ err: (e as Error).message, attempt }, 'transaction failed; retrying');
          await new Promise((r) => setTimeout(r, backoffMs(attempt, 100, 2000)));
        }
      }
    };
    const supervisor: Supervisor = new Supervisor(role.name, log, {
      teardown: async () => {
        const c = consumer;
        const p = producer;
        consumer = undefined;
        producer = undefined;
        await c?.disconnect().catch(() => undefined);
        await p?.disconnect().catch(() => undefined);
      },
      connect: async () => {
        const p = this.kafka.producer({
          transactionalId: `${groupId}.${options.instanceId}`,
          createPartitioner: Partitioners.DefaultPartitioner,
          idempotent: true,
          maxInFlightRequests: 1,
          transactionTimeout: 30000,
        });
        producer = p;
        await p.connect();
        const c = this.consumer(groupId);
        consumer = c;
        c.on(c.events.GROUP_JOIN, (e) => {
          const parts = (e.payload.memberAssignment[role.input] ?? []) as number[];
          const revoked = [...owned].filter((x) => !parts.includes(x)).sort((a, b) => a - b);
          const gained = parts.filter((x) => !owned.has(x));
          owned = new Set(parts);
          task.setPartitions(parts);
          for (const x of revoked) {
            uncommitted.delete(x);
            warming.delete(x);
            floors.delete(x);
            committedTo.delete(x);
          }
          if (revoked.length > 0 || handOver) {
            // Before any batch of the new assignment (batches wait for the lock): forget the revoked partitions'
            // state, then take over the state the previous owners committed (handOver).
            void locked(async () => {
              const outs = await task.revoke(revoked);
              if (outs.length > 0 && p === producer) {
                const encoded = this.encode(outs, role.outputs, options.dlqTopic, {
                  source,
                  watermark: task.watermark,
                });
                await transact(p, encoded, undefined, () => true);
              }
              if (!handOver || p !== producer) return;
              const replay = await this.#restoreState(role, task, log, () => p !== producer);
              // A gained partition resumes at the position committed with the state it restored (a floor: an older
              // group offset re-delivers records whose outputs are already out); with a replay offset it is re-read
              // from where the operator's live state began (warm-up, nothing emitted) up to that position, and the
              // batch already fetched from the group offset is stale.
              for (const partition of gained) {
                const r = replay.get(partition);
                const to = r ? BigInt(r.to) : 0n;
                if (!r || to <= 0n) continue;
                committedTo.set(partition, to);
                if (!replays || r.from === null || BigInt(r.from) >= to) {
                  floors.set(partition, to);
                  continue;
                }
                warming.set(partition, { next: BigInt(r.from), to });
                try {
                  c.seek({ topic: role.input, partition, offset: r.from });
                } catch (e) {
                  // The consumer is stopping (members leaving together): the close re-reads it (finishWarmUps).
                  log.info({ partition, err: (e as Error).message }, 'seek to the replay offset refused');
                  continue;
                }
                log.info({ partition, from: r.from, to: r.to }, 'partition re-read from its replay offset (warm-up)');
              }
            }).catch((err) => supervisor.fail(err));
          }
          supervisor.consuming();
          log.info({ partitions: parts, revoked }, 'partitions assigned');
        });
        // kafkajs restarts a consumer only for some errors, and never re-creates the producer: the supervisor does both.
        await this.#consume(c, role.input, supervisor, ({ batch, resolveOffset, heartbeat, isRunning, isStale }) =>
          locked(async () => {
            if (!isRunning() || isStale() || batch.messages.length === 0 || p !== producer) return;
            let messages = batch.messages;
            const warmingHere = warming.get(batch.partition);
            if (warmingHere !== undefined) {
              const warmTo = warmingHere.to;
              // Warm-up: the previous owner committed these records' outputs; the operator only rebuilds its state.
              const warm = messages.filter((m) => BigInt(m.offset) < warmTo);
              messages = messages.filter((m) => BigInt(m.offset) >= warmTo);
              const lastWarm = warm.length > 0 ? BigInt(warm[warm.length - 1].offset) : -1n;
              const end = messages.length > 0 || lastWarm + 1n >= warmTo;
              const dropped = await task.warmUp(batch.partition, toSourceRecords(warm), end);
              if (dropped > 0)
                log.error({ partition: batch.partition, dropped }, 'outputs emitted in a warm-up dropped');
              warmingHere.next = lastWarm + 1n;
              if (end) {
                warming.delete(batch.partition);
                log.info({ partition: batch.partition, to: warmTo.toString() }, 'warm-up done');
              }
              if (warm.length > 0) resolveOffset(lastWarm.toString());
              if (messages.length === 0) {
                await heartbeat().catch(() => undefined);
                return;
              }
            }
            const floor = floors.get(batch.partition);
            if (floor !== undefined) {
              const before = messages.filter((m) => BigInt(m.offset) < floor);
              messages = messages.filter((m) => BigInt(m.offset) >= floor);
              if (before.length > 0) {
                log.info(
                  { partition: batch.partition, from: before[0].offset, to: floor.toString() },
                  'records the previous owner committed skipped (the group offset read was behind its state)',
                );
                resolveOffset(before[before.length - 1].offset);
              }
              if (messages.length === 0) {
                await heartbeat().catch(() => undefined);
                return;
              }
              floors.delete(batch.partition);
            }
            const held = uncommitted.get(batch.partition);
            if (held) {
              uncommitted.delete(batch.partition);
              if (BigInt(messages[0].offset) <= held.last) {
                // Re-delivered after its transaction failed: the operator already holds it; commit what it produced.
                if (
                  !(await transact(
                    p,
                    held.encoded,
                    offsetsAfter(batch.topic, batch.partition, held.last),
                    isRunning,
                    heartbeat,
                  ))
                ) {
                  uncommitted.set(batch.partition, held);
                  rejoinIfMovedOn();
                  return;
                }
                committedTo.set(batch.partition, held.last + 1n);
                log.info(
                  { partition: batch.partition, from: held.first.toString(), to: held.last.toString() },
                  're-delivered batch committed with the outputs it produced before its transaction failed',
                );
                resolveOffset(held.last.toString());
                messages = messages.filter((m) => BigInt(m.offset) > held.last);
                if (messages.length === 0) return;
              }
              // Otherwise the committed offset is past it: its commit went through after all.
            }
            const watermark = task.watermark;
            const outs = await task.processBatch(batch.topic, batch.partition, toSourceRecords(messages), {
              backlog: Number(batch.offsetLag()) > 0,
            });
            outs.push(...(await task.checkpoint(batch.partition)));
            const last = batch.lastOffset();
            if (handOver) {
              // Where a new owner resumes and re-reads from, committed with the offsets (offsets, never state).
              const r: ReplayRecord = {
                v: 1,
                partition: batch.partition,
                from: (replays && task.replayFrom(batch.partition)) || null,
                to: (BigInt(last) + 1n).toString(),
              };
              outs.push({
                stream: (role.state as { stream: string }).stream,
                key: REPLAY_KEY_PREFIX + r.partition,
                value: r,
              });
            }
            const encoded = this.encode(outs, role.outputs, options.dlqTopic, { source, watermark });
            // The outputs of this batch are computed once: only the transaction is retried, and if every attempt
            // fails they are kept for the re-delivery of the batch (above), so the operator never sees it twice.
            const offsets = offsetsAfter(batch.topic, batch.partition, BigInt(last));
            if (!(await transact(p, encoded, offsets, isRunning, heartbeat))) {
              uncommitted.set(batch.partition, { first: BigInt(messages[0].offset), last: BigInt(last), encoded });
              rejoinIfMovedOn();
              return;
            }
            committedTo.set(batch.partition, BigInt(last) + 1n);
            resolveOffset(last);
            metrics.lag.set(
              { role: role.name, topic: batch.topic, partition: String(batch.partition) },
              Number(batch.offsetLag()),
            );
            await heartbeat().catch(() => undefined);
          }),
        );
      },
    });
    await supervisor.start();
    let stopped = false;
    const finishWarmUps = () => this.#finishWarmUps(role, task, warming, log);
    const encode = (o: OutRecord[]) =>
      this.encode(o, role.outputs, options.dlqTopic, { source, watermark: task.watermark });
    return {
      name: role.name,
      task,
      health: () => supervisor.health(),
      async stop() {
        if (stopped) return;
        stopped = true;
        await supervisor.stop();
        await consumer?.stop().catch(() => undefined);
        await locked(async () => {
          const p = producer;
          // Batches processed whose transaction failed: committed now with their offsets, or lost with the process.
          for (const [partition, held] of uncommitted) {
            if (p && (await transact(p, held.encoded, offsetsAfter(role.input, partition, held.last), () => true))) {
              uncommitted.delete(partition);
            }
          }
          if (uncommitted.size > 0) {
            log.error({ partitions: [...uncommitted.keys()] }, 'outputs of batches whose transaction failed are lost');
          }
          // Partitions gained while stopping (members leaving together) whose re-read is not done: finished now, so the
          // live tracks their previous owner left to this one are counted at the close below.
          if (warming.size > 0) await finishWarmUps();
          const outs = await task.close();
          if (handOver) {
            // Closing ended every live state and emitted it: a next owner has nothing to re-read, and resumes where
            // this member committed.
            for (const partition of owned) {
              const r: ReplayRecord = {
                v: 1,
                partition,
                from: null,
                to: (committedTo.get(partition) ?? 0n).toString(),
              };
              outs.push({
                stream: (role.state as { stream: string }).stream,
                key: REPLAY_KEY_PREFIX + partition,
                value: r,
              });
            }
          }
          if (outs.length === 0) return;
          try {
            if (!p) throw new Error('no producer (the broker was lost and not reached again)');
            const tx = await p.transaction();
            for (const [topic, messages] of encode(outs))
              await sendEvery(tx, topic, messages, await partitionsOf(topic), log);
            await tx.commit();
          } catch (e) {
            log.error({ err: (e as Error).message, outputs: outs.length }, 'final outputs could not be committed');
          }
        });
        await consumer?.disconnect().catch(() => undefined);
        await producer?.disconnect().catch(() => undefined);
        log.info('stopped');
      },
    };
  }

  /**
   * Runs a sink role: an aggregate topic → a ClickHouse table, exactly-once in effect. Supervised like a processor:
   * after a failure the pending rows are flushed (they are durable with their offsets, so what the broker re-delivers
   * is skipped), then the consumer is re-created with backoff.
   */
  async runSink<T>(
    role: SinkRole<T>,
    table: DurableTable,
    options: { dlqTopic: string; batchRows: number; flushMs: number; highWaterRows: number },
  ): Promise<SupervisedRole & { task: SinkTask<T> }> {
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
    let consumer: Consumer | undefined;
    const locked = serialized();
    let paused = false;
    const flushAndCommit = async () => {
      if (!task.shouldFlush() && task.pendingRows === 0) return;
      const offsets = await task.flush();
      const c = consumer;
      if (offsets.length > 0 && c) {
        try {
          await c.commitOffsets(offsets);
        } catch (e) {
          // Safe to skip: the rows are durable and carry their offsets, so a re-delivery is filtered out.
          log.debug({ err: (e as Error).message }, 'offset commit skipped (rebalance in progress)');
        }
      }
      if (paused) {
        paused = false;
        c?.resume([{ topic: role.input }]);
        metrics.paused.set({ role: role.name }, 0);
      }
    };
    const supervisor: Supervisor = new Supervisor(role.name, log, {
      teardown: async () => {
        const c = consumer;
        consumer = undefined;
        await c?.disconnect().catch(() => undefined);
      },
      beforeReconnect: () =>
        locked(async () => {
          await task.flush();
          task.resetHighWater();
          paused = false;
          metrics.paused.set({ role: role.name }, 0);
        }),
      connect: async () => {
        const dlqProducer = await this.producer();
        const c = this.consumer(groupId);
        consumer = c;
        c.on(c.events.REBALANCING, () => {
          void locked(async () => {
            await flushAndCommit();
            task.resetHighWater();
          }).catch((e) => log.error({ err: (e as Error).message }, 'flush before rebalance failed'));
        });
        c.on(c.events.GROUP_JOIN, () => supervisor.consuming());
        await this.#consume(
          c,
          role.input,
          supervisor,
          async ({ batch, resolveOffset, heartbeat, isRunning, isStale }) => {
            if (!isRunning() || isStale() || batch.messages.length === 0 || c !== consumer) return;
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
                c.pause([{ topic: role.input }]);
                metrics.paused.set({ role: role.name }, 1);
              }
              if (task.shouldFlush()) await flushAndCommit();
            });
            resolveOffset(batch.lastOffset());
            metrics.lag.set(
              { role: role.name, topic: batch.topic, partition: String(batch.partition) },
              Number(batch.offsetLag()),
            );
            await heartbeat().catch(() => undefined);
          },
        );
      },
    });
    await supervisor.start();
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
      health: () => supervisor.health(),
      async stop() {
        if (stopped) return;
        stopped = true;
        clearInterval(timer);
        await supervisor.stop();
        await consumer?.stop().catch(() => undefined);
        await locked(flushAndCommit);
        await consumer?.disconnect().catch(() => undefined);
        log.info('stopped');
      },
    };
  }

  /**
   * `ProcessorRole.state`: creates the compacted state topic and hands its committed content (latest value per key)
   * to the operator. Reads until every partition reached its end offset, or nothing came for 3 s (records of a dead
   * predecessor's open transaction stay invisible to a read_committed reader: its committed state is complete).
   */
  async #restoreState<I>(
    role: ProcessorRole<I>,
    task: ProcessorTask<I>,
    log: Logger,
    shouldStop: () => boolean = () => false,
  ): Promise<Map<number, ReplayRecord>> {
    const topic = role.outputs[(role.state as { stream: string }).stream];
    await this.untilReachable(
      'creating the state topic',
      () => this.ensureTopics([{ topic, partitions: 1, compact: true }]),
      shouldStop,
    );
    const admin = await this.getAdmin();
    const ends = new Map((await admin.fetchTopicOffsets(topic)).map((o) => [o.partition, BigInt(o.high)]));
    const latest = new Map<string, Buffer>();
    if ([...ends.values()].some((h) => h > 0n)) {
      const groupId = `${this.opts.groupPrefix}.${role.name}.restore.${process.pid}.${Date.now()}`;
      const c = this.consumer(groupId);
      const done = new Map<number, boolean>([...ends].map(([p, h]) => [p, h === 0n]));
      // The 3 s of silence count from the moment the reader joined its group and fetched: joining can take longer
      // than that while a coordinator moves, and an empty read would hand over nothing.
      let fetched = false;
      let last = Date.now();
      c.on(c.events.FETCH, () => {
        if (!fetched) last = Date.now();
        fetched = true;
      });
      await c.connect();
      await c.subscribe({ topic, fromBeginning: true });
      await c.run({
        autoCommit: false,
        eachBatch: async ({ batch }) => {
          for (const m of batch.messages) {
            if (m.key && m.value) latest.set(m.key.toString(), m.value);
            if (BigInt(m.offset) + 1n >= (ends.get(batch.partition) ?? 0n)) done.set(batch.partition, true);
          }
          last = Date.now();
        },
      });
      const t0 = Date.now();
      while (![...done.values()].every(Boolean) && (fetched ? Date.now() - last < 3000 : Date.now() - t0 < 60_000)) {
        await new Promise((r) => setTimeout(r, 100));
      }
      await c.disconnect().catch(() => undefined);
      await admin.deleteGroups([groupId]).catch(() => undefined);
      if (!fetched) {
        // A hand-over must not go on without the state (the supervisor reconnects and reads again); a role that
        // reads its state once at start goes on with what it has, as before, and says so.
        if (role.state?.handOver === true) throw new Error(`state topic ${topic} could not be read within 60 s`);
        log.warn({ topic }, 'state topic could not be read within 60 s: starting without the checkpointed state');
      }
    }
    // The runtime's replay offsets are its own; the operator gets the rest.
    const replay = new Map<number, ReplayRecord>();
    for (const [key, value] of latest) {
      if (!key.startsWith(REPLAY_KEY_PREFIX)) continue;
      latest.delete(key);
      const r = JSON.parse(value.toString('utf8')) as ReplayRecord;
      if (r.v === 1 && Number.isInteger(r.partition) && typeof r.to === 'string') replay.set(r.partition, r);
    }
    await task.restore([...latest.values()]);
    log.info({ topic, keys: latest.size, replayOffsets: replay.size }, 'state restored');
    return replay;
  }

  /**
   * Re-reads what is left of the warm-ups of `warming` (partition → next offset, committed offset) with a consumer of
   * its own, before a graceful close. Gives up after 30 s (the tracks alive at those hand-overs are then lost, and
   * said so).
   */
  async #finishWarmUps<I>(
    role: ProcessorRole<I>,
    task: ProcessorTask<I>,
    warming: Map<number, { next: bigint; to: bigint }>,
    log: Logger,
  ): Promise<void> {
    for (const [partition, w] of warming) {
      if (w.next < w.to) continue;
      await task.warmUp(partition, [], true);
      warming.delete(partition);
    }
    if (warming.size === 0) return;
    const groupId = `${this.opts.groupPrefix}.${role.name}.warm-up.${process.pid}.${Date.now()}`;
    const c = this.consumer(groupId);
    const t0 = Date.now();
    try {
      c.on(c.events.GROUP_JOIN, (e) => {
        const parts = (e.payload.memberAssignment[role.input] ?? []) as number[];
        const others = parts.filter((x) => !warming.has(x));
        if (others.length > 0) c.pause([{ topic: role.input, partitions: others }]);
        for (const [partition, w] of warming) c.seek({ topic: role.input, partition, offset: w.next.toString() });
      });
      await c.connect();
      await c.subscribe({ topic: role.input, fromBeginning: true });
      await c.run({
        autoCommit: false,
        partitionsConsumedConcurrently: 1,
        eachBatch: async ({ batch, isStale }) => {
          const w = warming.get(batch.partition);
          if (!w || isStale()) return;
          const warm = batch.messages.filter((m) => BigInt(m.offset) >= w.next && BigInt(m.offset) < w.to);
          const lastWarm = warm.length > 0 ? BigInt(warm[warm.length - 1].offset) : w.next - 1n;
          const end = lastWarm + 1n >= w.to || batch.messages.some((m) => BigInt(m.offset) >= w.to);
          await task.warmUp(batch.partition, toSourceRecords(warm), end);
          w.next = lastWarm + 1n;
          if (end) warming.delete(batch.partition);
        },
      });
      while (warming.size > 0 && Date.now() - t0 < 30_000) await new Promise((r) => setTimeout(r, 100));
    } finally {
      await c.disconnect().catch(() => undefined);
      const admin = await this.getAdmin().catch(() => undefined);
      await admin?.deleteGroups([groupId]).catch(() => undefined);
    }
    if (warming.size > 0) {
      log.warn(
        { partitions: [...warming.keys()] },
        'warm-up of partitions gained while stopping not finished in 30 s: their live tracks are lost',
      );
    } else log.info({ ms: Date.now() - t0 }, 'warm-ups of partitions gained while stopping finished before the close');
  }

  /** Connects a consumer and runs `eachBatch` on `topic`, reporting fetches and crashes to the supervisor. */
  async #consume(c: Consumer, topic: string, supervisor: Supervisor, eachBatch: EachBatchHandler): Promise<void> {
    c.on(c.events.FETCH, () => supervisor.fetched());
    c.on(c.events.CRASH, (e) => supervisor.fail(e.payload.error));
    await c.connect();
    await c.subscribe({ topic, fromBeginning: true });
    await c.run({ autoCommit: false, eachBatchAutoResolve: false, partitionsConsumedConcurrently: 1, eachBatch });
  }

  /**
   * Runs `fn` (e.g. topic creation at start-up) until it succeeds, with backoff, re-creating the admin and plain
   * producer clients between attempts: a worker started while the broker is down waits for it instead of failing.
   */
  async untilReachable<R>(what: string, fn: () => Promise<R>, shouldStop: () => boolean = () => false): Promise<R> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await fn();
      } catch (e) {
        // Wrong credentials or certificates do not get better by waiting: fail at once with what to fix.
        const security = securityFailure(e, this.opts.security);
        if (security) throw security;
        if (shouldStop()) throw e;
        const wait = backoffMs(attempt, 500, 15_000);
        this.opts.log.warn(
          { err: redactSecret((e as Error).message, this.opts.security), attempt, retryInMs: wait },
          `${what}: broker unreachable; retrying`,
        );
        await this.close().catch(() => undefined);
        await new Promise((r) => setTimeout(r, wait));
      }
    }
  }

  async close(): Promise<void> {
    const p = this.plainProducer;
    const a = this.admin;
    this.plainProducer = undefined;
    this.admin = undefined;
    await p?.disconnect();
    await a?.disconnect();
  }
}
