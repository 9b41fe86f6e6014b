import type { Codec } from './codec.ts';
import type { Logger } from './log.ts';
import type { StreamMetrics } from './metrics.ts';

/** Context handed to operator hooks: emit outputs, read the watermark, report late events. */
export interface OperatorContext {
  /** Emits a record on a named output stream (mapped to a topic by the role). */
  emit(stream: string, key: string, value: unknown): void;
  /** Current event-time watermark, ms (−Infinity before any event). */
  readonly watermark: number;
  readonly log: Logger;
  readonly metrics: StreamMetrics;
  readonly role: string;
  /**
   * The trusted clock of the runtime, ms since the epoch: the host's UTC clock, or a replay's scenario clock.
   * Never message time (a sensor's clock can be wrong or forged): use it for what must not follow the data, such
   * as the tokenizer's key epoch. Always set by the runtime; optional for hand-made contexts (then: the host clock).
   */
  now?(): number;
  /**
   * The input partition of the batch being processed (set by the runtime in `processBatch` and in the `checkpoint`
   * that follows it; undefined elsewhere): lets an operator that keys its state by partition forget it on `revoke`.
   */
  readonly partition?: number;
  /** The input partitions assigned to this task (Kafka; undefined for hand-made contexts). */
  readonly assigned?: readonly number[];
  /**
   * The input offsets of the events handed to `processBatch` / `warmUp`, in the same order (Kafka, roles that are
   * not `ordered`; undefined elsewhere): lets an operator say where a new owner must re-read from (`replayFrom`).
   */
  readonly offsets?: readonly string[];
}

/**
 * The small operator interface (docs/ARCHITECTURE.md "Delivery guarantees"; Arroyo/bytewax style). Only `processBatch` is required.
 * State is in memory; `checkpoint` runs before the runtime makes input offsets durable, so an operator
 * whose outputs must survive a crash emits (partial) results there.
 */
export interface Operator<I> {
  readonly name: string;
  onStart?(ctx: OperatorContext): void | Promise<void>;
  processBatch(events: readonly I[], ctx: OperatorContext): void | Promise<void>;
  onWatermark?(watermark: number, ctx: OperatorContext): void | Promise<void>;
  checkpoint?(ctx: OperatorContext): void | Promise<void>;
  /**
   * With `ProcessorRole.state`: the state an earlier instance checkpointed (the latest value of each key of the
   * state topic, committed records only), handed over once before the first batch.
   */
  restore?(values: readonly Buffer[], ctx: OperatorContext): void | Promise<void>;
  /**
   * Input partitions taken from this instance at a rebalance (another member now reads them from the committed
   * offsets): the operator forgets their state without emitting it. With `ProcessorRole.state.handOver`, what it had
   * checkpointed with its last committed transaction is what the new owner restores.
   */
  revoke?(partitions: readonly number[], ctx: OperatorContext): void | Promise<void>;
  /**
   * With `ProcessorRole.state.handOver` (Kafka): the offset of `partition` from which a new owner must re-read the
   * input to rebuild the in-memory state this operator never stores (e.g. live tracks), or undefined when nothing
   * needs re-reading. Asked after each batch's `checkpoint`; the runtime writes it with the committed offset, in the
   * same transaction, to the state topic (an offset only). At an assignment the new owner (a restart or a rebalance)
   * seeks the partition back to it and hands the records before the committed offset to `warmUp`, never to
   * `processBatch`.
   */
  replayFrom?(partition: number, ctx: OperatorContext): string | undefined;
  /**
   * Records of a newly assigned partition before its committed offset (see `replayFrom`): their outputs were already
   * committed by the previous owner, so the operator only rebuilds its in-memory state and emits nothing (the
   * runtime drops anything emitted here). `end`: the last warm-up call of this partition (the next record is new).
   */
  warmUp?(events: readonly I[], ctx: OperatorContext, end: boolean): void | Promise<void>;
  /** Sizes of the operator's state, exported as metrics (`passage_state_size`). */
  snapshot?(): Record<string, number>;
  /** Flush everything (end of input or shutdown). */
  onClose?(ctx: OperatorContext): void | Promise<void>;
}

/** A processing role: one input topic → operator → named output streams. */
export interface ProcessorRole<I> {
  readonly name: string;
  readonly input: string;
  readonly codec: Codec<I>;
  /** Event time of an input, ms since epoch. */
  eventTime(event: I): number;
  /**
   * Every timestamp of an input that the event-time guard checks (default: the event time only), e.g. both ends
   * of a counter interval: an input with one of them outside the trusted window is dead-lettered (`BAD_TIMESTAMP`).
   */
  timestamps?(event: I): readonly number[];
  /**
   * What happens to an event behind the watermark (older than every input's progress minus the allowed
   * lateness): `'process'` (default) hands it to the operator, which corrects its output (additive aggregates:
   * counts, line counts); `'dead-letter'` sends it to the dead-letter topic (`LATE_EVENT`) instead, for operators
   * whose results are final once the watermark passed (k-anonymised OD windows). Both count it in
   * `passage_late_events_total`.
   */
  readonly lateEvents?: 'process' | 'dead-letter';
  /**
   * Hand events to the operator in event-time order: the runtime holds each event until the watermark passes it,
   * then releases what it holds sorted by event time (ties by this comparator, or in arrival order). With it, an
   * operator whose result depends on the order of its input (sessions, visits) gives the same result whatever the
   * interleaving of partitions: a backfill of any size equals a paced replay. Implies `lateEvents: 'dead-letter'`.
   * Events of equal time are ordered by `compareEvents`, then by arrival.
   */
  readonly ordered?: boolean;
  compareEvents?(a: I, b: I): number;
  /** Output stream name → topic. The stream 'dlq' is always mapped to the dead-letter topic. */
  readonly outputs: Readonly<Record<string, string>>;
  /**
   * Operator state checkpointed to a compacted topic (`outputs[stream]`): the operator emits its changes on `stream`
   * in `checkpoint()`, so they commit in the same Kafka transaction as its outputs and input offsets; the Kafka
   * transport creates the topic (compacted) and hands its content to `Operator.restore` before consuming. Embedded
   * runs never call `restore`. With `handOver`, the topic is read again at every partition assignment (after
   * `Operator.revoke` of the partitions lost) and handed to `restore`, which adopts only the keys this instance does
   * not already hold: the new owner of a partition takes over the state its previous owner committed with the offsets
   * it starts from. Without it, state is read once, at start.
   */
  readonly state?: { stream: string; handOver?: boolean };
  /**
   * The input carries identifiers in clear (raw sightings): its dead letters keep the reason code only, with no
   * payload excerpt and no parser message (JSON parser messages quote the input).
   */
  readonly sensitiveInput?: boolean;
  create(): Operator<I>;
}

/** A sink role: an aggregate topic → rows of one ClickHouse table. */
export interface SinkRole<T> {
  readonly name: string;
  readonly input: string;
  readonly codec: Codec<T>;
  readonly table: string;
  toRow(value: T): Record<string, unknown>;
}

/** Where sink rows become durable (a ClickHouse table). Implemented by @passage/store. */
export interface DurableTable {
  readonly table: string;
  /** Highest stored source offset per source (`topic/partition`). */
  highWater(sources: readonly string[]): Promise<Map<string, bigint>>;
  /** Writes rows atomically (one block); `token` deduplicates a retried insert. */
  write(rows: readonly Record<string, unknown>[], token: string): Promise<void>;
}

export interface SourceRecord {
  key: string | null;
  value: Buffer | null;
  offset: string;
  /** Timestamp of the transport record (Kafka CreateTime or LogAppendTime), ms; used by `timeGuard.clock = 'record'`. */
  recordTime?: number;
  /**
   * Watermark of the upstream Passage task that produced the record (Kafka headers `passage-wm`, `passage-src`):
   * that task will send nothing older than `value` after it, late events aside. Absent for external producers.
   */
  watermark?: { source: string; value: number };
}

export interface OutRecord {
  stream: string;
  key: string;
  value: unknown;
}
