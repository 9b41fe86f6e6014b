import { type DeadLetterReason, redactedExcerpt } from './codec.ts';
import type { DeadLetter } from './contracts.ts';
import type { Logger } from './log.ts';
import type { StreamMetrics } from './metrics.ts';
import type { Operator, OperatorContext, OutRecord, ProcessorRole, SourceRecord } from './operator.ts';

/** Dead-letter reasons written by the runtime itself (documented in docs/ERRORS.md with the codec's). */
export type RuntimeDeadLetterReason = DeadLetterReason | 'LATE_EVENT' | 'BAD_TIMESTAMP';

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

/** A trusted clock, ms since the epoch. */
export interface Clock {
  now(): number;
}

/** The host's UTC clock. */
export const wallClock: Clock = { now: () => Date.now() };

/** A clock that a replay sets to its scenario time (the event time it has reached). */
export class ScenarioClock implements Clock {
  #t: number;
  constructor(start: number) {
    this.#t = start;
  }
  now(): number {
    return this.#t;
  }
  /** Moves the clock forward (never back). */
  set(t: number): void {
    if (t > this.#t) this.#t = t;
  }
}

/**
 * Event-time guard rails: an input with a timestamp outside [now − maxPastMs, now + maxFutureMs] of a trusted
 * clock is dead-lettered (`BAD_TIMESTAMP`) before the operator sees it, so it never moves a watermark, a window,
 * an epoch or a camera's clock.
 */
export interface TimeGuard {
  /** 'clock': `ProcessorOptions.clock` (the host's, or a replay's scenario clock); 'record': the record's own transport timestamp. */
  reference: 'clock' | 'record';
  maxPastMs: number;
  maxFutureMs: number;
}

export interface ProcessorOptions {
  log: Logger;
  metrics: StreamMetrics;
  /** The watermark of an input fed by external producers is its highest event time minus this. */
  allowedLatenessMs: number;
  /**
   * A partition (or an upstream task) that delivered nothing for this long, ms of processing time, and has no
   * known backlog, stops holding the watermark back until it delivers again (Flink's `withIdleness`). Default 30 s.
   */
  idleTimeoutMs?: number;
  /** The trusted clock (default: the host's). */
  clock?: Clock;
  /** Default: none (every finite timestamp accepted). */
  timeGuard?: TimeGuard;
}

interface PartitionState {
  /** Highest event time of records from producers that announce no watermark (external sources). */
  maxTs: number;
  /** Upstream Passage tasks writing to this partition: their last announced watermark, and when (processing time). */
  upstream: Map<string, { wm: number; at: number }>;
  /** Processing time of the last record (or of the assignment). */
  lastAt: number;
  /** The transport reported more records waiting on this partition after the last batch. */
  backlog: boolean;
}

/** At most one warning per this many ms about late events or bad timestamps, per role. */
const WARN_EVERY_MS = 10_000;

/**
 * Transport-agnostic driver of one operator: decodes a batch, dead-letters bad messages with a reason, guards event
 * time, tracks the watermark, and collects the operator's outputs for the transport to deliver.
 *
 * ## Watermark (Flink / Kafka Streams semantics)
 * Per input partition: the minimum of (a) the highest event time of records from external producers − allowed
 * lateness and (b) the watermark announced by each upstream Passage task writing to it (carried by every record it
 * produces: `SourceRecord.watermark`, Kafka headers `passage-wm`/`passage-src`). A role's watermark is the minimum
 * over its partitions. So a processor downstream of another (od-matcher after tokenizer) follows the upstream's
 * watermark, which is the minimum over ITS inputs: however the upstream interleaves its partitions (a backlog read
 * one fetch per partition), no event is behind the downstream watermark unless it was late at the source.
 * A partition assigned but silent holds the watermark back until it delivers or, with no backlog, for
 * `idleTimeoutMs` while other partitions deliver; then it is idle and left out until it delivers again (its older
 * events are then late). After a time when no partition delivered (start-up, a quiet night), all start afresh.
 * Events behind the watermark are late: counted, logged, and processed as corrections or dead-lettered
 * (`LATE_EVENT`) as the role chooses (`ProcessorRole.lateEvents`).
 */
export class ProcessorTask<I> {
  readonly role: ProcessorRole<I>;
  private readonly operator: Operator<I>;
  private readonly opts: ProcessorOptions;
  private readonly parts = new Map<number, PartitionState>();
  private wm = Number.NEGATIVE_INFINITY;
  private out: OutRecord[] = [];
  private readonly ctx: OperatorContext;
  private started = false;
  private readonly budget = new WorkBudget();
  /** Input partition of the batch in progress (`OperatorContext.partition`). */
  private batchPartition: number | undefined;
  /** Input offsets of the events handed to the operator (`OperatorContext.offsets`). */
  private batchOffsets: string[] | undefined;
  private readonly clock: Clock;
  private readonly idleMs: number;
  private readonly deadLetterLate: boolean;
  private readonly compare: ((a: I, b: I) => number) | undefined;
  /** Ordered roles: events held until the watermark passes them (arrival order). */
  private held: { ts: number; seq: number; event: I }[] = [];
  private seq = 0;
  /** Processing time of the last batch of any partition. */
  private lastBatchAt = Date.now();
  private readonly warned = { late: 0, badTs: 0, lateSince: 0, badTsSince: 0 };
  /** Totals since start (also in the metrics): late events seen, of them dead-lettered; bad timestamps. */
  readonly counters = { late: 0, lateDeadLettered: 0, badTimestamps: 0 };

  constructor(role: ProcessorRole<I>, opts: ProcessorOptions) {
    this.role = role;
    this.operator = role.create();
    this.opts = opts;
    this.clock = opts.clock ?? wallClock;
    this.idleMs = opts.idleTimeoutMs ?? 30_000;
    this.deadLetterLate = role.lateEvents === 'dead-letter' || role.ordered === true;
    this.compare = role.compareEvents?.bind(role);
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
      now: () => self.clock.now(),
      get partition() {
        return self.batchPartition;
      },
      get assigned() {
        return [...self.parts.keys()];
      },
      get offsets() {
        return self.batchOffsets;
      },
    };
  }

  get watermark(): number {
    return this.wm;
  }

  /** Events held for ordering (not yet given to the operator). */
  get heldEvents(): number {
    return this.held.length;
  }

  async start(): Promise<void> {
    if (this.started) return;
    this.started = true;
    await this.operator.onStart?.(this.ctx);
  }

  /**
   * Processes one batch of one partition; returns the outputs produced (including dead letters). `info.backlog`:
   * the transport knows more records are waiting on this partition (Kafka: offset lag > 0).
   */
  async processBatch(
    topic: string,
    partition: number,
    records: readonly SourceRecord[],
    info: { backlog?: boolean } = {},
  ): Promise<OutRecord[]> {
    const { metrics } = this.opts;
    const role = this.role.name;
    metrics.messagesIn.inc({ role, topic }, records.length);
    metrics.batchSize.observe({ role }, records.length);
    const now = Date.now();
    // After a time when no partition delivered at all (start-up, a quiet night), every partition gets a fresh
    // idle timeout: idle means silent while the others deliver, not "the first to speak again wins".
    if (now - this.lastBatchAt > this.idleMs) for (const p of this.parts.values()) p.lastAt = now;
    this.lastBatchAt = now;
    const st = this.partition(partition, now);
    st.lastAt = now;
    st.backlog = info.backlog === true;
    const events: I[] = [];
    const offsets: string[] = [];
    let late = 0;
    let maxTs = st.maxTs;
    const guard = this.opts.timeGuard;
    const trusted = guard?.reference === 'clock' ? this.clock.now() : 0;
    for (const r of records) {
      const y = this.budget.tick();
      if (y) await y; // decoding a big fetch must not starve the loop (heartbeats, other roles)
      const d = this.role.codec.decode(r.value);
      if (!d.ok) {
        this.deadLetter(topic, partition, r, { reason: d.reason, detail: d.detail });
        continue;
      }
      const ts = this.role.eventTime(d.value);
      if (!Number.isFinite(ts)) {
        this.deadLetter(topic, partition, r, { reason: 'BAD_VALUE', detail: 'event time is not a finite number' });
        continue;
      }
      if (guard) {
        const ref = guard.reference === 'record' ? (r.recordTime ?? Number.NaN) : trusted;
        const bad = this.badTimestamp(this.role.timestamps?.(d.value) ?? [ts], ref, guard);
        if (bad !== undefined) {
          this.counters.badTimestamps++;
          this.warned.badTs++;
          this.deadLetter(topic, partition, r, { reason: 'BAD_TIMESTAMP', detail: bad });
          continue;
        }
      }
      // The record's announced upstream watermark applies after it (it is no later than the record's own time).
      if (r.watermark) this.upstream(st, r.watermark, now);
      else if (ts > maxTs) maxTs = ts;
      if (ts < this.wm) {
        late++;
        if (this.deadLetterLate) {
          this.counters.lateDeadLettered++;
          this.deadLetter(topic, partition, r, {
            reason: 'LATE_EVENT',
            detail: `event time ${iso(ts)} is behind the watermark ${iso(this.wm)}`,
          });
          continue;
        }
      }
      if (this.role.ordered === true) this.held.push({ ts, seq: this.seq++, event: d.value });
      else {
        events.push(d.value);
        offsets.push(r.offset);
      }
    }
    // Watermarks of records that were dead-lettered still count (they say where the upstream is).
    for (const r of records) if (r.watermark) this.upstream(st, r.watermark, now);
    st.maxTs = maxTs;
    if (late > 0) {
      this.counters.late += late;
      this.warned.late += late;
      metrics.lateEvents.inc({ role }, late);
    }
    this.warnIfDue(partition, now);
    this.batchPartition = partition;
    this.batchOffsets = this.role.ordered === true ? undefined : offsets;
    try {
      if (events.length > 0) await this.runOperator(events, { topic, partition, records });
    } finally {
      this.batchPartition = undefined;
      this.batchOffsets = undefined;
    }
    await this.advanceWatermark(now);
    const snap = this.operator.snapshot?.();
    if (snap) for (const [state, n] of Object.entries(snap)) metrics.stateSize.set({ role, state }, n);
    if (this.role.ordered === true) metrics.stateSize.set({ role, state: 'heldForOrder' }, this.held.length);
    return this.drain();
  }

  /** Whether the operator asks for a warm-up re-read of its partitions at an assignment (`Operator.replayFrom`). */
  get replays(): boolean {
    return typeof this.operator.replayFrom === 'function';
  }

  /** `Operator.replayFrom` of one partition. */
  replayFrom(partition: number): string | undefined {
    this.batchPartition = partition;
    try {
      return this.operator.replayFrom?.(partition, this.ctx);
    } finally {
      this.batchPartition = undefined;
    }
  }

  /**
   * Records before the committed offset of a newly assigned partition (`Operator.warmUp`): decoded and handed over
   * without watermark, lateness or dead letters (the previous owner dealt with them); anything emitted is dropped.
   * Returns the number of outputs dropped (0 for a correct operator).
   */
  async warmUp(partition: number, records: readonly SourceRecord[], end: boolean): Promise<number> {
    const events: I[] = [];
    const offsets: string[] = [];
    const guard = this.opts.timeGuard;
    const trusted = guard?.reference === 'clock' ? this.clock.now() : 0;
    for (const r of records) {
      const y = this.budget.tick();
      if (y) await y;
      const d = this.role.codec.decode(r.value);
      if (!d.ok) continue;
      const ts = this.role.eventTime(d.value);
      if (!Number.isFinite(ts)) continue;
      // What the guard dead-lettered never reached the operator: it must not reach the warm-up either.
      const ref = guard?.reference === 'record' ? (r.recordTime ?? Number.NaN) : trusted;
      if (guard && this.badTimestamp(this.role.timestamps?.(d.value) ?? [ts], ref, guard) !== undefined) continue;
      events.push(d.value);
      offsets.push(r.offset);
    }
    this.batchPartition = partition;
    this.batchOffsets = offsets;
    try {
      await this.operator.warmUp?.(events, this.ctx, end);
    } finally {
      this.batchPartition = undefined;
      this.batchOffsets = undefined;
    }
    return this.drain().length;
  }

  /** Hands checkpointed state (`ProcessorRole.state`) to the operator, before the first batch. */
  async restore(values: readonly Buffer[]): Promise<void> {
    await this.operator.restore?.(values, this.ctx);
  }

  /** Called before offsets become durable: lets the operator emit what they cover. */
  async checkpoint(partition?: number): Promise<OutRecord[]> {
    this.batchPartition = partition;
    try {
      await this.operator.checkpoint?.(this.ctx);
    } finally {
      this.batchPartition = undefined;
    }
    return this.drain();
  }

  /** Partitions lost at a rebalance: the operator forgets their state (`Operator.revoke`); returns what it emitted. */
  async revoke(partitions: readonly number[]): Promise<OutRecord[]> {
    if (partitions.length > 0) await this.operator.revoke?.(partitions, this.ctx);
    return this.drain();
  }

  /**
   * The partitions this task owns (after a rebalance): forgets the others; a newly assigned partition holds the
   * watermark back until it delivers an event or is idle (otherwise the first partition read alone would set it and
   * the other partitions' older events would all be late).
   */
  setPartitions(partitions: readonly number[]): void {
    for (const p of [...this.parts.keys()]) if (!partitions.includes(p)) this.parts.delete(p);
    const now = Date.now();
    for (const p of partitions) this.partition(p, now);
  }

  async close(): Promise<OutRecord[]> {
    if (this.held.length > 0) await this.runOperator(this.release(Number.POSITIVE_INFINITY));
    await this.operator.onWatermark?.(Number.POSITIVE_INFINITY, this.ctx);
    await this.operator.onClose?.(this.ctx);
    return this.drain();
  }

  private partition(p: number, now: number): PartitionState {
    let st = this.parts.get(p);
    if (!st) {
      st = { maxTs: Number.NEGATIVE_INFINITY, upstream: new Map(), lastAt: now, backlog: false };
      this.parts.set(p, st);
    }
    return st;
  }

  private upstream(st: PartitionState, w: { source: string; value: number }, now: number): void {
    const u = st.upstream.get(w.source);
    if (!u) st.upstream.set(w.source, { wm: w.value, at: now });
    else {
      if (w.value > u.wm) u.wm = w.value;
      u.at = now;
    }
  }

  private badTimestamp(tss: readonly number[], ref: number, g: TimeGuard): string | undefined {
    if (!Number.isFinite(ref)) return 'no trusted time to check the event time against (record timestamp missing)';
    for (const t of tss) {
      if (!Number.isFinite(t) || t < ref - g.maxPastMs || t > ref + g.maxFutureMs) {
        return `timestamp ${Number.isFinite(t) ? iso(t) : String(t)} outside [${iso(ref - g.maxPastMs)}, ${iso(ref + g.maxFutureMs)}] (trusted clock ${iso(ref)})`;
      }
    }
    return undefined;
  }

  /** The watermark of one partition; undefined when it is idle (left out of the role's minimum). */
  private partitionWatermark(st: PartitionState, now: number): number | undefined {
    if (!st.backlog && now - st.lastAt > this.idleMs) return undefined;
    let w = Number.POSITIVE_INFINITY;
    let known = false;
    if (st.maxTs > Number.NEGATIVE_INFINITY) {
      w = st.maxTs - this.opts.allowedLatenessMs;
      known = true;
    }
    for (const [src, u] of st.upstream) {
      if (now - u.at > this.idleMs) {
        st.upstream.delete(src); // a task that stopped writing here (stopped, or moved to other partitions)
        continue;
      }
      if (u.wm < w) w = u.wm;
      known = true;
    }
    // Active but nothing known yet (assigned, no event so far): hold the watermark back.
    return known ? w : Number.NEGATIVE_INFINITY;
  }

  private async advanceWatermark(now: number): Promise<void> {
    let min = Number.POSITIVE_INFINITY;
    let active = 0;
    for (const st of this.parts.values()) {
      const w = this.partitionWatermark(st, now);
      if (w === undefined) continue;
      active++;
      if (w < min) min = w;
    }
    if (active === 0 || !(min > this.wm) || !Number.isFinite(min)) return;
    this.wm = min;
    if (this.role.ordered === true && this.held.length > 0) {
      const ready = this.release(min);
      if (ready.length > 0) await this.runOperator(ready);
    }
    await this.operator.onWatermark?.(min, this.ctx);
  }

  /** Removes and returns, in event-time order, the held events strictly before `wm`. */
  private release(wm: number): I[] {
    const ready: { ts: number; seq: number; event: I }[] = [];
    const keep: { ts: number; seq: number; event: I }[] = [];
    for (const h of this.held) (h.ts < wm ? ready : keep).push(h);
    this.held = keep;
    const cmp = this.compare;
    ready.sort((a, b) => a.ts - b.ts || (cmp ? cmp(a.event, b.event) : 0) || a.seq - b.seq);
    return ready.map((h) => h.event);
  }

  private async runOperator(
    events: I[],
    from?: { topic: string; partition: number; records: readonly SourceRecord[] },
  ): Promise<void> {
    try {
      await this.operator.processBatch(events, this.ctx);
    } catch (e) {
      // A bug or a poison batch must not kill the worker: the batch goes to the DLQ with the reason.
      const msg = this.role.sensitiveInput === true ? 'withheld (sensitive input)' : (e as Error).message;
      this.opts.log.error({ err: msg, partition: from?.partition }, 'operator failed on a batch');
      if (from) {
        for (const r of from.records) {
          this.deadLetter(from.topic, from.partition, r, { reason: 'PROCESSING_ERROR', detail: msg });
        }
      } else {
        // Events released by the watermark come from several earlier batches: counted, logged, not re-sent.
        this.opts.metrics.deadLetters.inc({ role: this.role.name, reason: 'PROCESSING_ERROR' }, events.length);
      }
    }
  }

  private warnIfDue(partition: number, now: number): void {
    const w = this.warned;
    if (w.late > 0 && now - w.lateSince >= WARN_EVERY_MS) {
      this.opts.log.warn(
        {
          late: w.late,
          partition,
          watermark: iso(this.wm),
          outcome: this.deadLetterLate ? 'dead-lettered' : 'processed',
        },
        this.deadLetterLate
          ? 'late events (behind the watermark) sent to the dead-letter topic (LATE_EVENT)'
          : 'late events (behind the watermark) processed as corrections',
      );
      w.late = 0;
      w.lateSince = now;
    }
    if (w.badTs > 0 && now - w.badTsSince >= WARN_EVERY_MS) {
      this.opts.log.warn(
        { badTimestamps: w.badTs, partition, clock: iso(this.clock.now()) },
        'events with timestamps outside the trusted window sent to the dead-letter topic (BAD_TIMESTAMP)',
      );
      w.badTs = 0;
      w.badTsSince = now;
    }
  }

  private deadLetter(
    topic: string,
    partition: number,
    r: SourceRecord,
    why: { reason: RuntimeDeadLetterReason; detail: string },
  ): void {
    const { reason, detail } = why;
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

function iso(t: number): string {
  if (t === Number.NEGATIVE_INFINITY) return '-inf';
  if (t === Number.POSITIVE_INFINITY) return '+inf';
  const d = new Date(t);
  return Number.isNaN(d.getTime()) ? String(t) : d.toISOString();
}
