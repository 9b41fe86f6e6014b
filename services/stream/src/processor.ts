import { type DeadLetterReason, redactedExcerpt } from './codec.ts';
import type { DeadLetter } from './contracts.ts';
import type { Logger } from './log.ts';
import type { StreamMetrics } from './metrics.ts';
import type { Operator, OperatorContext, OutRecord, ProcessorRole, SourceRecord } from './operator.ts';

/**
 * Bounds the synchronous work done per event-loop turn in a long loop (a big Kafka fetch is tens of thousands of
 * records): `tick()` is called once per unit of work and, every `checkEvery` units, returns a promise that yields
 * to the event loop (`setImmediate`: timers, I/O, heartbeats run) once `budgetMs` has passed since the last yield;
 * otherwise it returns undefined (no promise, no allocation). Usage: `const y = budget.tick(); if (y) await y;`.
 */
export class WorkBudget {
  private since = performance.now();
  private n = 0;

  constructor(
    private readonly budgetMs = 5,
    private readonly checkEvery = 16,
  ) {}

  tick(): Promise<void> | undefined {
    if (++this.n < this.checkEvery) return undefined;
    this.n = 0;
    if (performance.now() - this.since < this.budgetMs) return undefined;
    return new Promise<void>((resolve) => setImmediate(resolve)).then(() => {
      this.since = performance.now();
    });
  }
}

export interface ProcessorOptions {
  log: Logger;
  metrics: StreamMetrics;
  /** Events whose time is below the watermark are counted as late (still processed as corrections). */
  allowedLatenessMs: number;
}

/**
 * Transport-agnostic driver of one operator: decodes a batch, dead-letters bad messages with a reason,
 * tracks the event-time watermark (min over partitions of max event time − allowed lateness), and
 * collects the operator's outputs for the transport to deliver.
 */
export class ProcessorTask<I> {
  readonly role: ProcessorRole<I>;
  private readonly operator: Operator<I>;
  private readonly opts: ProcessorOptions;
  private readonly maxTsByPartition = new Map<number, number>();
  private wm = Number.NEGATIVE_INFINITY;
  private out: OutRecord[] = [];
  private readonly ctx: OperatorContext;
  private started = false;
  private readonly budget = new WorkBudget();

  constructor(role: ProcessorRole<I>, opts: ProcessorOptions) {
    this.role = role;
    this.operator = role.create();
    this.opts = opts;
    const self = this;
    this.ctx = {
      emit(stream, key, value) {
        self.out.push({ stream, key, value });
      },
      get watermark() {
        return self.wm;
      },
      log: opts.log,
      metrics: opts.metrics,
      role: role.name,
    };
  }

  get watermark(): number {
    return this.wm;
  }

  async start(): Promise<void> {
    if (this.started) return;
    this.started = true;
    await this.operator.onStart?.(this.ctx);
  }

  /** Processes one batch of one partition; returns the outputs produced (including dead letters). */
  async processBatch(topic: string, partition: number, records: readonly SourceRecord[]): Promise<OutRecord[]> {
    const { metrics } = this.opts;
    const role = this.role.name;
    metrics.messagesIn.inc({ role, topic }, records.length);
    metrics.batchSize.observe({ role }, records.length);
    const events: I[] = [];
    let maxTs = this.maxTsByPartition.get(partition) ?? Number.NEGATIVE_INFINITY;
    let late = 0;
    for (const r of records) {
      const y = this.budget.tick();
      if (y) await y; // decoding a big fetch must not starve the loop (heartbeats, other roles)
      const d = this.role.codec.decode(r.value);
      if (!d.ok) {
        this.deadLetter(topic, partition, r, d.reason, d.detail);
        continue;
      }
      const ts = this.role.eventTime(d.value);
      if (!Number.isFinite(ts)) {
        this.deadLetter(topic, partition, r, 'BAD_VALUE', 'event time is not a finite number');
        continue;
      }
      if (ts < this.wm) late++;
      if (ts > maxTs) maxTs = ts;
      events.push(d.value);
    }
    if (late > 0) metrics.lateEvents.inc({ role }, late);
    if (events.length > 0) {
      try {
        await this.operator.processBatch(events, this.ctx);
      } catch (e) {
        // A bug or a poison batch must not kill the worker: the batch goes to the DLQ with the reason.
        const msg = this.role.sensitiveInput === true ? 'withheld (sensitive input)' : (e as Error).message;
        this.opts.log.error({ err: msg, partition }, 'operator failed on a batch');
        for (const r of records) this.deadLetter(topic, partition, r, 'PROCESSING_ERROR', msg);
      }
    }
    this.maxTsByPartition.set(partition, maxTs);
    await this.advanceWatermark();
    const snap = this.operator.snapshot?.();
    if (snap) for (const [state, n] of Object.entries(snap)) metrics.stateSize.set({ role, state }, n);
    return this.drain();
  }

  /** Called before offsets become durable: lets the operator emit what they cover. */
  async checkpoint(): Promise<OutRecord[]> {
    await this.operator.checkpoint?.(this.ctx);
    return this.drain();
  }

  /**
   * Forgets partitions this task no longer owns (after a rebalance) and holds the watermark back until every
   * assigned partition has delivered an event: otherwise the first partition read alone would set it and the
   * other partitions' older events would all be late (a stateful operator such as the OD matcher drops them).
   */
  setPartitions(partitions: readonly number[]): void {
    for (const p of [...this.maxTsByPartition.keys()]) if (!partitions.includes(p)) this.maxTsByPartition.delete(p);
    for (const p of partitions)
      if (!this.maxTsByPartition.has(p)) this.maxTsByPartition.set(p, Number.NEGATIVE_INFINITY);
  }

  async close(): Promise<OutRecord[]> {
    await this.operator.onWatermark?.(Number.POSITIVE_INFINITY, this.ctx);
    await this.operator.onClose?.(this.ctx);
    return this.drain();
  }

  private async advanceWatermark(): Promise<void> {
    let min = Number.POSITIVE_INFINITY;
    for (const v of this.maxTsByPartition.values()) if (v < min) min = v;
    if (!Number.isFinite(min)) return;
    const wm = min - this.opts.allowedLatenessMs;
    if (wm > this.wm) {
      this.wm = wm;
      await this.operator.onWatermark?.(wm, this.ctx);
    }
  }

  private deadLetter(
    topic: string,
    partition: number,
    r: SourceRecord,
    reason: DeadLetterReason,
    detail: string,
  ): void {
    this.opts.metrics.deadLetters.inc({ role: this.role.name, reason });
    const sensitive = this.role.sensitiveInput === true;
    const dl: DeadLetter = {
      topic,
      partition,
      offset: r.offset,
      reason,
      message: sensitive ? `${reason} (details withheld: input carries identifiers)` : detail.slice(0, 300),
      excerpt: sensitive ? '' : redactedExcerpt(r.value),
      ts: Date.now(),
    };
    this.out.push({ stream: 'dlq', key: `${topic}/${partition}`, value: dl });
  }

  private drain(): OutRecord[] {
    const o = this.out;
    this.out = [];
    return o;
  }
}
