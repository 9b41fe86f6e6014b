import { createHash } from 'node:crypto';
import { redactedExcerpt } from './codec.ts';
import type { DeadLetter } from './contracts.ts';
import type { Logger } from './log.ts';
import type { StreamMetrics } from './metrics.ts';
import type { DurableTable, OutRecord, SinkRole, SourceRecord } from './operator.ts';

export interface SinkTaskOptions {
  log: Logger;
  metrics: StreamMetrics;
  /** Flush when this many rows are pending. */
  batchRows: number;
  /** Flush when the oldest pending row is this old, ms. */
  flushMs: number;
  /** Prefix of source names (`kafka:` or `mem:`): offsets of different transports never mix. */
  srcPrefix: string;
}

/**
 * Buffers an aggregate topic's rows and writes them to one table. Each row carries `_src`
 * (`<prefix><topic>/<partition>`) and `_offset`; messages at or below the stored high-water offset of
 * their source are skipped, so re-delivery after a crash never double-counts (exactly-once effect).
 */
export class SinkTask<T> {
  readonly role: SinkRole<T>;
  private readonly table: DurableTable;
  private readonly opts: SinkTaskOptions;
  private readonly hw = new Map<string, bigint>();
  private rows: Record<string, unknown>[] = [];
  /** Highest offset accepted per (topic, partition) since the last flush. */
  private readonly pendingOffsets = new Map<string, { topic: string; partition: number; offset: bigint }>();
  private oldestPending = 0;
  skipped = 0;

  constructor(role: SinkRole<T>, table: DurableTable, opts: SinkTaskOptions) {
    this.role = role;
    this.table = table;
    this.opts = opts;
  }

  get pendingRows(): number {
    return this.rows.length;
  }

  /** Forget cached high-water marks (after a rebalance another process may have written). */
  resetHighWater(): void {
    this.hw.clear();
  }

  private src(topic: string, partition: number): string {
    return `${this.opts.srcPrefix}${topic}/${partition}`;
  }

  /** Accepts one batch; returns dead letters to publish. */
  async accept(topic: string, partition: number, records: readonly SourceRecord[]): Promise<OutRecord[]> {
    const src = this.src(topic, partition);
    if (!this.hw.has(src)) {
      const m = await this.table.highWater([src]);
      this.hw.set(src, m.get(src) ?? -1n);
    }
    const hw = this.hw.get(src) ?? -1n;
    const dlq: OutRecord[] = [];
    const role = this.role.name;
    this.opts.metrics.messagesIn.inc({ role, topic }, records.length);
    this.opts.metrics.batchSize.observe({ role }, records.length);
    let last = -1n;
    for (const r of records) {
      const off = BigInt(r.offset);
      if (off > last) last = off;
      if (off <= hw) {
        this.skipped++;
        continue;
      }
      const d = this.role.codec.decode(r.value);
      if (!d.ok) {
        this.opts.metrics.deadLetters.inc({ role, reason: d.reason });
        const dl: DeadLetter = {
          topic,
          partition,
          offset: r.offset,
          reason: d.reason,
          message: d.detail.slice(0, 300),
          excerpt: redactedExcerpt(r.value),
          ts: Date.now(),
        };
        dlq.push({ stream: 'dlq', key: `${topic}/${partition}`, value: dl });
        continue;
      }
      const row = this.role.toRow(d.value);
      row._src = src;
      row._offset = r.offset;
      if (this.rows.length === 0) this.oldestPending = Date.now();
      this.rows.push(row);
    }
    if (last >= 0n) {
      const prev = this.pendingOffsets.get(src);
      if (!prev || last > prev.offset) this.pendingOffsets.set(src, { topic, partition, offset: last });
    }
    this.opts.metrics.pending.set({ role }, this.rows.length);
    return dlq;
  }

  shouldFlush(now = Date.now()): boolean {
    if (this.rows.length >= this.opts.batchRows) return true;
    if (this.rows.length > 0 && now - this.oldestPending >= this.opts.flushMs) return true;
    return this.rows.length === 0 && this.pendingOffsets.size > 0;
  }

  /**
   * Makes pending rows durable in one insert; returns the offsets that are now covered
   * (to commit to Kafka), per (topic, partition): the next offset to read.
   */
  async flush(): Promise<{ topic: string; partition: number; offset: string }[]> {
    const rows = this.rows;
    const offsets = [...this.pendingOffsets.entries()];
    if (rows.length > 0) {
      const token = createHash('sha256')
        .update(`${this.table.table}|${offsets.map(([s, o]) => `${s}:${o.offset}`).join(',')}|${rows.length}`)
        .digest('hex');
      const t0 = performance.now();
      await this.table.write(rows, token);
      this.opts.metrics.sinkInsertSeconds.observe({ table: this.table.table }, (performance.now() - t0) / 1000);
      this.opts.metrics.sinkRows.inc({ table: this.table.table }, rows.length);
    }
    for (const [src, o] of offsets) {
      const prev = this.hw.get(src) ?? -1n;
      if (o.offset > prev) this.hw.set(src, o.offset);
    }
    this.rows = [];
    this.pendingOffsets.clear();
    this.opts.metrics.pending.set({ role: this.role.name }, 0);
    return offsets.map(([, o]) => ({ topic: o.topic, partition: o.partition, offset: (o.offset + 1n).toString() }));
  }
}
