/**
 * Event time in the runtime: watermarks as the minimum over partitions and upstream tasks, propagated from one role
 * to the next; idle partitions; late events (side output); event-time order for ordered roles; time guard rails.
 */
import { Type } from '@sinclair/typebox';
import { describe, expect, it } from 'vitest';
import { jsonCodec } from './codec.ts';
import type { DeadLetter } from './contracts.ts';
import { createLogger } from './log.ts';
import { encodeOut } from './memory.ts';
import { StreamMetrics } from './metrics.ts';
import type { Operator, OperatorContext, OutRecord, ProcessorRole, SourceRecord } from './operator.ts';
import { ProcessorTask, ScenarioClock, type TimeGuard } from './processor.ts';

const Ev = Type.Object({ k: Type.String(), ts: Type.Number() });
type Ev = { k: string; ts: number };

const T0 = Date.parse('2026-03-10T07:30:00Z');
const MIN = 60_000;
const log = createLogger({ level: 'silent' });

/** Records what the operator saw, in order, and the watermarks it was told. */
class Recorder implements Operator<Ev> {
  readonly name = 'recorder';
  readonly seen: Ev[] = [];
  readonly watermarks: number[] = [];
  processBatch(events: readonly Ev[], ctx: OperatorContext): void {
    for (const e of events) {
      this.seen.push(e);
      ctx.emit('out', e.k, e);
    }
  }
  onWatermark(wm: number): void {
    this.watermarks.push(wm);
  }
}

function role(opts: Partial<ProcessorRole<Ev>> = {}): ProcessorRole<Ev> & { op: Recorder } {
  const op = new Recorder();
  return {
    name: 'test',
    input: 'in',
    codec: jsonCodec(Ev),
    eventTime: (e) => e.ts,
    outputs: { out: 'out' },
    create: () => op,
    op,
    ...opts,
  };
}

let offset = 0;
const rec = (e: Ev, watermark?: { source: string; value: number }): SourceRecord => ({
  key: e.k,
  value: Buffer.from(JSON.stringify(e)),
  offset: String(offset++),
  ...(watermark ? { watermark } : {}),
});

/** Sightings of 40 devices, each at 2 sites 10 min apart, over an hour: site = partition (keyed by site). */
function backlog(): Ev[][] {
  const parts: Ev[][] = [[], [], [], []];
  for (let d = 0; d < 40; d++) {
    const t = T0 + d * 90_000;
    parts[d % 4].push({ k: `dev${d}`, ts: t });
    parts[(d + 1) % 4].push({ k: `dev${d}`, ts: t + 10 * MIN });
  }
  for (const p of parts) p.sort((a, b) => a.ts - b.ts);
  return parts;
}

/** Downstream records as a transport delivers them: the upstream task's outputs, stamped, on `n` partitions. */
function toPartitions(outs: OutRecord[], stamp: { source: string; watermark: number }, n: number): SourceRecord[][] {
  const parts: SourceRecord[][] = Array.from({ length: n }, () => []);
  for (const [, recs] of encodeOut(outs, { out: 'out' }, 'dlq', stamp)) {
    for (const r of recs) {
      const p = Number.parseInt(r.key.slice(3), 10) % n;
      parts[p].push({ key: r.key, value: r.value, offset: String(offset++), watermark: r.watermark });
    }
  }
  return parts;
}

describe('watermarks across partitions and roles', () => {
  it('a backlog read one partition at a time: no event of the next role is late, and it sees them in order', async () => {
    const metrics = new StreamMetrics();
    const upRole = role({ name: 'up', lateEvents: 'process' });
    const up = new ProcessorTask(upRole, { log, metrics, allowedLatenessMs: 2 * MIN });
    up.setPartitions([0, 1, 2, 3]);
    const downRole = role({ name: 'down', ordered: true, compareEvents: (a, b) => (a.k < b.k ? -1 : 1) });
    const down = new ProcessorTask(downRole, { log, metrics, allowedLatenessMs: 2 * MIN });
    down.setPartitions([0, 1]);
    // The upstream reads each raw partition's whole backlog in one fetch (as kafkajs does), one after the other;
    // every batch's outputs go straight to the downstream role.
    for (const [p, events] of backlog().entries()) {
      const watermark = up.watermark;
      const outs = await up.processBatch(
        'raw',
        p,
        events.map((e) => rec(e)),
      );
      const parts = toPartitions(outs, { source: 'up.0', watermark }, 2);
      for (const [q, recs] of parts.entries()) if (recs.length) await down.processBatch('mid', q, recs);
    }
    const outs = await down.close();
    // Raw partitions 1–3 are all older than partition 0's newest sighting: the upstream sees them as in time
    // (its watermark waited for every partition), and so does the downstream (it follows the upstream's).
    expect(up.counters.late).toBe(0);
    expect(down.counters.late).toBe(0);
    expect(outs.filter((o) => o.stream === 'dlq')).toEqual([]);
    const seen = downRole.op.seen.map((e) => e.ts);
    expect(seen).toHaveLength(80);
    expect(seen).toEqual([...seen].sort((a, b) => a - b));
  });

  it('without upstream watermarks the next role would have dropped most of the backlog as late', async () => {
    // What the downstream role did before: its own max event time − allowed lateness per partition.
    const metrics = new StreamMetrics();
    const downRole = role({ name: 'down', lateEvents: 'dead-letter' });
    const down = new ProcessorTask(downRole, { log, metrics, allowedLatenessMs: 2 * MIN });
    down.setPartitions([0]);
    let dlq = 0;
    for (const events of backlog()) {
      const outs = await down.processBatch(
        'mid',
        0,
        events.map((e) => rec(e)),
      );
      dlq += outs.filter((o) => o.stream === 'dlq').length;
    }
    expect(dlq).toBeGreaterThan(40); // the failure mode of issue 10 item 4, which watermark propagation removes
  });

  it('the watermark is the minimum over partitions; an idle partition stops holding it back', async () => {
    const metrics = new StreamMetrics();
    const r = role();
    const task = new ProcessorTask(r, { log, metrics, allowedLatenessMs: 0, idleTimeoutMs: 150 });
    task.setPartitions([0, 1, 2]);
    await task.processBatch('in', 0, [rec({ k: 'a', ts: T0 + 10 * MIN })]);
    await task.processBatch('in', 1, [rec({ k: 'b', ts: T0 + 5 * MIN })]);
    expect(task.watermark).toBe(Number.NEGATIVE_INFINITY); // partition 2 has not delivered
    // Partitions 0 and 1 keep delivering while partition 2 stays silent longer than the idle timeout.
    for (let i = 0; i < 3; i++) {
      await new Promise((res) => setTimeout(res, 70));
      await task.processBatch('in', 0, [rec({ k: 'a', ts: T0 + 10 * MIN })], { backlog: true });
      await task.processBatch('in', 1, [rec({ k: 'b', ts: T0 + 5 * MIN })], { backlog: true });
    }
    // Partition 2 is idle now; partitions 1 and 0 deliver again, with more waiting.
    await task.processBatch('in', 1, [rec({ k: 'b', ts: T0 + 6 * MIN })], { backlog: true });
    expect(task.watermark).toBe(T0 + 6 * MIN);
    await task.processBatch('in', 0, [rec({ k: 'a', ts: T0 + 11 * MIN })], { backlog: true });
    expect(task.watermark).toBe(T0 + 6 * MIN);
    // A partition with a backlog is never idle, however long it takes to come round.
    for (let i = 0; i < 3; i++) {
      await new Promise((res) => setTimeout(res, 70));
      await task.processBatch('in', 0, [rec({ k: 'a', ts: T0 + 20 * MIN })]);
    }
    expect(task.watermark).toBe(T0 + 6 * MIN);
    // Partition 2 delivers again: it counts again (its events behind the watermark are late).
    await task.processBatch('in', 2, [rec({ k: 'c', ts: T0 + 1 * MIN })]);
    expect(task.counters.late).toBe(1);
    expect(task.watermark).toBe(T0 + 6 * MIN);
  });

  it('after a time when no partition delivered (start-up), the first to deliver does not make the others idle', async () => {
    const metrics = new StreamMetrics();
    const task = new ProcessorTask(role(), { log, metrics, allowedLatenessMs: 0, idleTimeoutMs: 100 });
    task.setPartitions([0, 1]);
    await new Promise((res) => setTimeout(res, 150)); // assigned, nothing produced yet
    await task.processBatch('in', 0, [rec({ k: 'a', ts: T0 + 10 * MIN })]);
    expect(task.watermark).toBe(Number.NEGATIVE_INFINITY);
    await task.processBatch('in', 1, [rec({ k: 'b', ts: T0 })]);
    expect(task.counters.late).toBe(0);
    expect(task.watermark).toBe(T0);
  });

  it('an upstream task that stopped writing stops holding the watermark back', async () => {
    const metrics = new StreamMetrics();
    const task = new ProcessorTask(role(), { log, metrics, allowedLatenessMs: 0, idleTimeoutMs: 150 });
    task.setPartitions([0]);
    await task.processBatch('in', 0, [
      rec({ k: 'a', ts: T0 }, { source: 'up.0', value: T0 }),
      rec({ k: 'b', ts: T0 + MIN }, { source: 'up.1', value: T0 + MIN }),
    ]);
    expect(task.watermark).toBe(T0);
    await new Promise((res) => setTimeout(res, 200));
    await task.processBatch('in', 0, [rec({ k: 'b', ts: T0 + 5 * MIN }, { source: 'up.1', value: T0 + 4 * MIN })]);
    expect(task.watermark).toBe(T0 + 4 * MIN);
  });

  it('late events: dead-lettered (LATE_EVENT) and counted, or processed as corrections', async () => {
    for (const lateEvents of ['dead-letter', 'process'] as const) {
      const metrics = new StreamMetrics();
      const r = role({ lateEvents });
      const task = new ProcessorTask(r, { log, metrics, allowedLatenessMs: MIN });
      await task.processBatch('in', 0, [rec({ k: 'a', ts: T0 + 10 * MIN })]);
      const outs = await task.processBatch('in', 0, [rec({ k: 'late', ts: T0 }), rec({ k: 'ok', ts: T0 + 9.5 * MIN })]);
      const dlq = outs.filter((o) => o.stream === 'dlq').map((o) => o.value as DeadLetter);
      expect(task.counters.late).toBe(1);
      expect((await metrics.lateEvents.get()).values[0].value).toBe(1);
      if (lateEvents === 'dead-letter') {
        expect(dlq.map((d) => d.reason)).toEqual(['LATE_EVENT']);
        expect(dlq[0].message).toMatch(/behind the watermark 2026-03-10T07:39:00/);
        expect(r.op.seen.map((e) => e.k)).toEqual(['a', 'ok']);
        const dl = (await metrics.deadLetters.get()).values.find((v) => v.labels.reason === 'LATE_EVENT');
        expect(dl?.value).toBe(1);
      } else {
        expect(dlq).toEqual([]);
        expect(r.op.seen.map((e) => e.k)).toEqual(['a', 'late', 'ok']);
      }
    }
  });

  it('ordered roles see events in event-time order, released by the watermark', async () => {
    const metrics = new StreamMetrics();
    const r = role({ ordered: true });
    const task = new ProcessorTask(r, { log, metrics, allowedLatenessMs: 2 * MIN });
    await task.processBatch('in', 0, [rec({ k: 'b', ts: T0 + MIN }), rec({ k: 'a', ts: T0 })]);
    expect(r.op.seen).toEqual([]);
    expect(task.heldEvents).toBe(2);
    await task.processBatch('in', 0, [rec({ k: 'c', ts: T0 + 4 * MIN })]); // watermark T0 + 2 min
    expect(r.op.seen.map((e) => e.k)).toEqual(['a', 'b']);
    await task.close();
    expect(r.op.seen.map((e) => e.k)).toEqual(['a', 'b', 'c']);
  });
});

describe('event-time guard rails', () => {
  const guard: TimeGuard = { reference: 'clock', maxPastMs: 7 * 86_400_000, maxFutureMs: 10 * MIN };

  it('timestamps outside [now − maxPast, now + maxFuture] are dead-lettered and never move the watermark', async () => {
    const metrics = new StreamMetrics();
    const clock = new ScenarioClock(T0);
    const r = role();
    const task = new ProcessorTask(r, { log, metrics, allowedLatenessMs: 0, clock, timeGuard: guard });
    const outs = await task.processBatch('in', 0, [
      rec({ k: 'ok', ts: T0 }),
      rec({ k: '2099', ts: Date.parse('2099-01-01T00:00:00Z') }),
      rec({ k: '1e20', ts: 1e20 }),
      rec({ k: '1970', ts: 0 }),
      rec({ k: 'skew', ts: T0 + 11 * MIN }),
    ]);
    expect(outs.filter((o) => o.stream === 'dlq').map((o) => (o.value as DeadLetter).reason)).toEqual([
      'BAD_TIMESTAMP',
      'BAD_TIMESTAMP',
      'BAD_TIMESTAMP',
      'BAD_TIMESTAMP',
    ]);
    expect(task.watermark).toBe(T0);
    expect(task.counters.badTimestamps).toBe(4);
    await task.processBatch('in', 0, [rec({ k: 'next', ts: T0 + 1000 })]);
    expect(r.op.seen.map((e) => e.k)).toEqual(['ok', 'next']);
    expect(task.counters.late).toBe(0);
    // The scenario clock moves: what was too far ahead is now fine.
    clock.set(T0 + 5 * MIN);
    await task.processBatch('in', 0, [rec({ k: 'skew', ts: T0 + 11 * MIN })]);
    expect(r.op.seen.map((e) => e.k)).toEqual(['ok', 'next', 'skew']);
  });

  it('checks every timestamp the role names (both ends of an interval) and can use the record time', async () => {
    const metrics = new StreamMetrics();
    const r = role({ timestamps: (e) => [e.ts, e.ts + (e.k === 'long' ? 100 * 365 * 86_400_000 : MIN)] });
    const task = new ProcessorTask(r, {
      log,
      metrics,
      allowedLatenessMs: 0,
      timeGuard: { ...guard, reference: 'record' },
    });
    const at = (e: Ev, recordTime: number | undefined): SourceRecord => ({ ...rec(e), recordTime });
    const outs = await task.processBatch('in', 0, [
      at({ k: 'ok', ts: T0 }, T0 + 1000),
      at({ k: 'long', ts: T0 }, T0 + 1000),
      at({ k: 'no-record-time', ts: T0 }, undefined),
    ]);
    expect(outs.filter((o) => o.stream === 'dlq').map((o) => (o.value as DeadLetter).reason)).toEqual([
      'BAD_TIMESTAMP',
      'BAD_TIMESTAMP',
    ]);
    expect(r.op.seen.map((e) => e.k)).toEqual(['ok']);
  });
});
