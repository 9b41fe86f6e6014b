/**
 * A stateful processor under the Kafka transport when transactions abort (issue 12, known defect 1): the broker
 * re-delivers the batch of a failed transaction from the committed offsets, but the operator already processed it. Its
 * outputs must commit exactly once: nothing lost, nothing counted twice. A fake kafkajs client (one partition, a
 * transaction log with commit failures on demand) stands in for the broker; the real-broker test is
 * services/workers/src/cluster.int.test.ts.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { type FakeMsg, fakeConsumer, fakeProducer, type Sent } from './fixtures/fake-kafka.ts';
import { type Ev, minuteSumsRole } from './fixtures/minute-sums.ts';
import { KafkaTransport } from './kafka.ts';
import { createLogger } from './log.ts';
import { StreamMetrics } from './metrics.ts';

const MIN = 60_000;
const log = createLogger({ level: 'silent' });

/**
 * One input partition, committed outputs and offsets. `failPlan`: the next `times` commits of a transaction whose
 * offsets cover `offset` fail; with `lastLands`, the last of them is written although the client sees it fail.
 */
class FakeBroker {
  readonly input: FakeMsg[] = [];
  committedOffset = 0;
  readonly committed: { topic: string; value: string }[] = [];
  failPlan?: { offset: number; times: number; lastLands?: boolean };
  aborts = 0;
  batchSize = 4;
  append(events: Ev[]): void {
    for (const e of events) {
      this.input.push({ key: null, value: Buffer.from(JSON.stringify(e)), offset: String(this.input.length) });
    }
  }
  private commit(sent: Sent[], offset: number | undefined): void {
    const plan = this.failPlan;
    if (plan && plan.times > 0 && offset !== undefined && offset > plan.offset) {
      plan.times--;
      if (plan.times > 0 || !plan.lastLands) {
        throw new Error('The producer attempted a transactional operation in an invalid state');
      }
      this.committed.push(...sent);
      this.committedOffset = offset;
      throw new Error('Request EndTxn timed out');
    }
    this.committed.push(...sent);
    if (offset !== undefined) this.committedOffset = offset;
  }
  kafka() {
    return {
      producer: () =>
        fakeProducer(
          (sent, offset) => this.commit(sent, offset),
          () => {
            this.aborts++;
          },
        ),
      // A new member starts at the committed offset, then goes on after the last resolved offset.
      consumer: () =>
        fakeConsumer({ log: () => this.input, startAt: () => this.committedOffset, batchSize: this.batchSize }),
    };
  }
}

/** Three minutes of events, 10 per minute, n = 1..30: minute totals 55, 155, 255. */
const EVENTS: Ev[] = Array.from({ length: 30 }, (_, i) => ({
  ts: Math.floor(i / 10) * MIN + (i % 10) * 1000,
  n: i + 1,
}));

let stops: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const s of stops) await s();
  stops = [];
});

async function run(broker: FakeBroker) {
  const transport = new KafkaTransport({
    brokers: ['fake:9092'],
    clientId: 'test',
    log,
    metrics: new StreamMetrics(),
    groupPrefix: 'test',
  });
  (transport as unknown as { kafka: unknown }).kafka = broker.kafka();
  const r = await transport.runProcessor(minuteSumsRole('in', 'out'), {
    instanceId: 'i0',
    dlqTopic: 'dlq',
    allowedLatenessMs: 0,
  });
  stops.push(() => r.stop());
  broker.append(EVENTS);
  const deadline = Date.now() + 20_000;
  while (broker.committedOffset < EVENTS.length && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
  await r.stop();
  const sums = new Map<number, number>();
  for (const c of broker.committed) {
    const v = JSON.parse(c.value) as { minute: number; n: number };
    sums.set(v.minute, (sums.get(v.minute) ?? 0) + v.n);
  }
  return { sums: [...sums].sort((a, b) => a[0] - b[0]), committedOffset: broker.committedOffset };
}

const EXPECTED = [
  [0, 55],
  [MIN, 155],
  [2 * MIN, 255],
];

describe('Kafka processor: a transaction that aborts for good', () => {
  it('without failures, the minute totals are 55, 155, 255', async () => {
    const b = new FakeBroker();
    const r = await run(b);
    expect(r.committedOffset).toBe(30);
    expect(r.sums).toEqual(EXPECTED);
  });

  it('the batch that emits a minute fails every retry: re-delivered, its outputs commit once (nothing lost or doubled)', async () => {
    const b = new FakeBroker();
    // Offsets 8..11 hold the last events of minute 0 and the first of minute 1: the minute-0 total is emitted there.
    b.failPlan = { offset: 9, times: 5 };
    const r = await run(b);
    expect(b.failPlan.times).toBe(0);
    expect(r.committedOffset).toBe(30);
    expect(r.sums).toEqual(EXPECTED);
  }, 30_000);

  it('a batch inside a minute fails every retry: its events are counted once', async () => {
    const b = new FakeBroker();
    b.failPlan = { offset: 13, times: 5 };
    const r = await run(b);
    expect(b.failPlan.times).toBe(0);
    expect(r.sums).toEqual(EXPECTED);
  }, 30_000);

  it('a commit that landed although the client saw it fail: the kept outputs are dropped, not sent twice', async () => {
    const b = new FakeBroker();
    b.failPlan = { offset: 9, times: 5, lastLands: true };
    const r = await run(b);
    expect(b.failPlan.times).toBe(0);
    expect(r.sums).toEqual(EXPECTED);
  }, 30_000);

  it('a commit that landed at the first attempt but answered an error is not retried in a new transaction (no duplicate)', async () => {
    const b = new FakeBroker();
    b.failPlan = { offset: 9, times: 1, lastLands: true };
    const r = await run(b);
    expect(b.failPlan.times).toBe(0);
    expect(r.sums).toEqual(EXPECTED);
  }, 30_000);
});
