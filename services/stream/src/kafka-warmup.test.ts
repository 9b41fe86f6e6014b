/**
 * The warm-up re-read of the Kafka runtime (`Operator.replayFrom` / `Operator.warmUp`, issue 12 items 2/5) with a fake
 * kafkajs client: an operator whose in-memory state (an open "run" of events, like a live track) is never stored is
 * SIGKILLed after a commit; the restarted instance reads the replay offset the runtime committed with the state
 * topic, seeks the partition back to it, re-reads up to the committed offset without emitting, and counts the open run
 * when it ends. Without `replayFrom` the run alive at the kill loses its first part.
 */
import { Type } from '@sinclair/typebox';
import { afterEach, describe, expect, it } from 'vitest';
import { jsonCodec } from './codec.ts';
import { type FakeMsg, fakeConsumer, fakeProducer } from './fixtures/fake-kafka.ts';
import { KafkaTransport } from './kafka.ts';
import { createLogger } from './log.ts';
import { StreamMetrics } from './metrics.ts';
import type { Operator, OperatorContext, ProcessorRole } from './operator.ts';

const log = createLogger({ level: 'silent' });
const Ev = Type.Object({ ts: Type.Number(), n: Type.Number() });
type Ev = { ts: number; n: number };

/**
 * Runs of events with n > 0, ended by an event with n = 0: emits each run's sum when it ends. The open run lives in
 * memory only; `replayFrom` is the offset of its first event. `warmUps` counts the events re-read.
 */
class Runs implements Operator<Ev> {
  readonly name = 'runs';
  private sum = 0;
  private from: string | undefined;
  warmUps = 0;
  constructor(private readonly replays: boolean) {}
  private step(e: Ev, offset: string | undefined, ctx: OperatorContext, emit: boolean): void {
    if (e.n > 0) {
      if (this.from === undefined) this.from = offset;
      this.sum += e.n;
    } else if (this.from !== undefined || this.sum > 0) {
      if (emit) ctx.emit('out', 'run', { sum: this.sum });
      this.sum = 0;
      this.from = undefined;
    }
  }
  processBatch(events: readonly Ev[], ctx: OperatorContext): void {
    for (let i = 0; i < events.length; i++) this.step(events[i], ctx.offsets?.[i], ctx, true);
  }
  warmUp(events: readonly Ev[], ctx: OperatorContext): void {
    this.warmUps += events.length;
    for (let i = 0; i < events.length; i++) this.step(events[i], ctx.offsets?.[i], ctx, false);
  }
  checkpoint(ctx: OperatorContext): void {
    ctx.emit('state', 'runs', { v: 1 }); // the operator's own state record: nothing of the open run
  }
  restore(): void {}
  replayFrom(): string | undefined {
    return this.replays ? this.from : undefined;
  }
  onClose(ctx: OperatorContext): void {
    if (this.sum > 0) ctx.emit('out', 'run', { sum: this.sum });
  }
}

/** One input partition, an output topic and a state topic; `generation`: the live process (a SIGKILL bumps it). */
class FakeBroker {
  readonly input: FakeMsg[] = [];
  readonly state: FakeMsg[] = [];
  readonly out: number[] = [];
  committedOffset = 0;
  /** Where a new consumer starts instead of the committed offset (an offset commit whose markers are pending). */
  staleStart: number | undefined;
  generation = 0;
  seeks: string[] = [];
  /** Seeks refused (as by a stopping kafkajs consumer), and how many more to refuse. */
  refused = 0;
  refuseSeeks = 0;
  /** While set, the group answers heartbeats with this error type (a member expelled, a rebalance); aborts counted. */
  movedOn: string | undefined;
  aborts = 0;
  consumers: ReturnType<typeof fakeConsumer>[] = [];
  append(events: Ev[]): void {
    for (const e of events) {
      this.input.push({ key: null, value: Buffer.from(JSON.stringify(e)), offset: String(this.input.length) });
    }
  }
  kafka() {
    const gen = this.generation;
    const alive = () => gen === this.generation;
    return {
      admin: () => ({
        connect: async () => undefined,
        disconnect: async () => undefined,
        listTopics: async () => ['in', 'out', 'state'],
        fetchTopicOffsets: async () => [{ partition: 0, high: String(this.state.length) }],
        deleteGroups: async () => undefined,
      }),
      producer: () =>
        fakeProducer(
          (sent, offset) => {
            if (!alive()) throw new Error('killed');
            for (const s of sent) {
              if (s.topic === 'out') this.out.push((JSON.parse(s.value) as { sum: number }).sum);
              if (s.topic === 'state') {
                this.state.push({
                  key: Buffer.from(s.key),
                  value: Buffer.from(s.value),
                  offset: String(this.state.length),
                });
              }
            }
            if (offset !== undefined) this.committedOffset = offset;
          },
          () => this.aborts++,
        ),
      consumer: () => {
        const c = fakeConsumer({
          log: (topic) => (topic === 'state' ? this.state : this.input),
          startAt: (topic) => (topic === 'state' ? 0 : (this.staleStart ?? this.committedOffset)),
          batchSize: 3,
          alive,
          heartbeat: async () => {
            if (this.movedOn === undefined) return;
            await new Promise((r) => setTimeout(r, 2)); // a round trip (the batch is re-delivered at once)
            throw Object.assign(new Error('group moved on'), { type: this.movedOn });
          },
          onSeek: (offset) => {
            if (this.refuseSeeks > 0) {
              this.refuseSeeks--;
              this.refused++;
              throw new Error('Consumer group was not initialized, consumer#run must be called first');
            }
            this.seeks.push(offset);
          },
        });
        this.consumers.push(c);
        return c;
      },
    };
  }
}

function role(replays: boolean, made: Runs[]): ProcessorRole<Ev> {
  return {
    name: 'runs',
    input: 'in',
    codec: jsonCodec(Ev),
    eventTime: (e) => e.ts,
    outputs: { out: 'out', state: 'state' },
    state: { stream: 'state', handOver: true },
    create: () => {
      const op = new Runs(replays);
      made.push(op);
      return op;
    },
  };
}

const start = async (b: FakeBroker, replays: boolean, made: Runs[]) => {
  const transport = new KafkaTransport({
    brokers: ['fake:9092'],
    clientId: 't',
    log,
    metrics: new StreamMetrics(),
    groupPrefix: 't',
  });
  (transport as unknown as { kafka: unknown }).kafka = b.kafka();
  return transport.runProcessor(role(replays, made), { instanceId: 'i0', dlqTopic: 'dlq', allowedLatenessMs: 0 });
};
const until = async (what: () => boolean) => {
  const deadline = Date.now() + 10_000;
  while (!what() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
  expect(what()).toBe(true);
};

// Runs: 1+2 | 3+4+5+6 (alive at the kill, after offset 6) | 7 ; totals 3, 18, 7.
const BEFORE: Ev[] = [1, 2, 0, 3, 4, 5].map((n, i) => ({ ts: i * 1000, n }));
const AFTER: Ev[] = [6, 0, 7, 0].map((n, i) => ({ ts: (6 + i) * 1000, n }));
let stops: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const s of stops) await s();
  stops = [];
});

/** A first process commits `events`, then is SIGKILLed: it neither commits nor reads any more (its generation ends). */
const commitThenKill = async (b: FakeBroker, replays: boolean, made: Runs[], events: Ev[]) => {
  const first = await start(b, replays, made);
  b.append(events);
  await until(() => b.committedOffset === b.input.length);
  b.generation++;
  stops.push(() => first.stop());
};

describe('Kafka processor: warm-up re-read after a SIGKILL', () => {
  it.each([
    [true, [3, 18, 7], ['3']],
    [false, [3, 6, 7], []],
  ])('replayFrom %s: runs %j, seeks %j', async (replays, runs, seeks) => {
    const b = new FakeBroker();
    const made: Runs[] = [];
    await commitThenKill(b, replays, made, BEFORE);
    b.append(AFTER);
    const r = await start(b, replays, made);
    stops.push(() => r.stop());
    await until(() => b.committedOffset === BEFORE.length + AFTER.length);
    await r.stop();
    expect(b.out).toEqual(runs);
    expect(b.seeks).toEqual(seeks);
    // The re-read covers the run alive at the kill (offsets 3..5) and emits nothing of its own.
    expect(made[1].warmUps).toBe(replays ? 3 : 0);
  });

  it('a partition gained while stopping (seek refused) is re-read before the close: the open run is counted', async () => {
    const b = new FakeBroker();
    const made: Runs[] = [];
    await commitThenKill(b, true, made, BEFORE);
    b.refuseSeeks = 1;
    const r = await start(b, true, made);
    await until(() => b.refused === 1);
    await r.stop(); // nothing new came: the close re-reads offsets 3..5 with a consumer of its own, then emits
    expect(b.seeks).toEqual(['3']);
    expect(made[1].warmUps).toBe(3);
    expect(b.out).toEqual([3, 12]);
  });
});

describe('Kafka processor: a new owner resumes at the position committed with the state', () => {
  // Runs 1+2 and 3+4 both ended and committed (offsets 0..5); then 6 | 7.
  const DONE: Ev[] = [1, 2, 0, 3, 4, 0].map((n, i) => ({ ts: i * 1000, n }));
  it.each([true, false])(
    'the group offset read behind the state (its transaction markers still pending): nothing counted twice (replayFrom %s)',
    async (replays) => {
      const b = new FakeBroker();
      const made: Runs[] = [];
      await commitThenKill(b, replays, made, DONE);
      // kafkajs's OffsetFetch (v1-v4) returns the offset before a pending transactional commit: the new owner starts
      // at offset 3 although the state it restores already holds offsets 3..5 and their run (7) is out.
      b.staleStart = 3;
      b.append(AFTER);
      const r = await start(b, replays, made);
      stops.push(() => r.stop());
      await until(() => b.committedOffset === DONE.length + AFTER.length);
      await r.stop();
      expect(b.out).toEqual([3, 7, 6, 7]);
      expect(made[1].warmUps).toBe(0);
    },
  );
});

describe('Kafka processor: no commit once the group moved on (fencing without KIP-447)', () => {
  it.each(['ILLEGAL_GENERATION', 'UNKNOWN_MEMBER_ID', 'REBALANCE_IN_PROGRESS'])(
    'heartbeat answers %s before the commit: the transaction is aborted, nothing lands; once back, the kept batch commits once',
    async (type) => {
      const b = new FakeBroker();
      const made: Runs[] = [];
      b.movedOn = type;
      const r = await start(b, false, made);
      stops.push(() => r.stop());
      b.append([1, 2, 0, 3, 4, 0].map((n, i) => ({ ts: i * 1000, n })));
      await until(() => b.aborts >= 2);
      // The first batch (runs 1+2) was processed, but its outputs and offsets never landed; the heartbeat's answer
      // went out of the batch to the consumer (kafkajs re-joins then), not swallowed.
      expect(b.out).toEqual([]);
      expect(b.committedOffset).toBe(0);
      expect(b.consumers.reduce((n, c) => n + c.rejoins(), 0)).toBeGreaterThanOrEqual(2);
      b.movedOn = undefined;
      await until(() => b.committedOffset === 6);
      await r.stop();
      expect(b.out).toEqual([3, 7]);
    },
  );
});
