/**
 * Issue 12, known defect 1, through the real broker: a processor's transactional producer is fenced mid-stream (another
 * producer initialises the same transactional id, as a restarted twin or a zombie would), so the transaction of the
 * batch it just processed can never commit. The role re-creates its clients, the broker re-delivers the batch from
 * the committed offsets, and the stateful operator's minute totals must still come out exactly once.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { waitFor } from '../../../test/helpers.ts';
import { type Ev, minuteSumsRole } from './fixtures/minute-sums.ts';
import { KafkaTransport } from './kafka.ts';
import { createLogger } from './log.ts';
import { StreamMetrics } from './metrics.ts';

const MIN = 60_000;
const log = createLogger({ level: process.env.PASSAGE_TEST_LOG ?? 'silent' });
const run = `abort-${process.pid}-${Date.now()}`;
const topics = { input: `${run}.in`, output: `${run}.out`, dlq: `${run}.dlq` };
const t = new KafkaTransport({
  brokers: (process.env.KAFKA_BROKERS ?? '127.0.0.1:19092').split(','),
  clientId: 'abort-test',
  log,
  metrics: new StreamMetrics(),
  groupPrefix: run,
});
afterAll(() => t.close());

/** 10 minutes of 20 events, n = 1..200. */
const EVENTS: Ev[] = Array.from({ length: 200 }, (_, i) => ({
  ts: Math.floor(i / 20) * MIN + (i % 20) * 2000,
  n: i + 1,
}));
const expected = () => {
  const m = new Map<number, number>();
  for (const e of EVENTS) m.set(Math.floor(e.ts / MIN) * MIN, (m.get(Math.floor(e.ts / MIN) * MIN) ?? 0) + e.n);
  return [...m].sort((a, b) => a[0] - b[0]);
};

async function committed(): Promise<number> {
  const admin = t.kafka.admin();
  try {
    await admin.connect();
    const [r] = await admin.fetchOffsets({ groupId: `${run}.sums`, topics: [topics.input] });
    return Math.max(0, Number(r?.partitions[0]?.offset ?? 0));
  } finally {
    await admin.disconnect();
  }
}

/** Every committed record of the output topic (read_committed), once nothing new came for 2 s. */
async function outputs(): Promise<{ minute: number; n: number }[]> {
  const got: { minute: number; n: number }[] = [];
  const c = t.kafka.consumer({ groupId: `${run}.reader`, readUncommitted: false });
  let last = Date.now();
  await c.connect();
  await c.subscribe({ topic: topics.output, fromBeginning: true });
  await c.run({
    eachMessage: async ({ message }) => {
      got.push(JSON.parse(String(message.value)));
      last = Date.now();
    },
  });
  while (Date.now() - last < 4000) await new Promise((r) => setTimeout(r, 200));
  await c.disconnect();
  return got;
}

describe('processor transaction fenced mid-stream (real broker)', () => {
  it('the batch whose transaction could not commit is re-delivered and its minute totals come out exactly once', async () => {
    await t.ensureTopics([
      { topic: topics.input, partitions: 1 },
      { topic: topics.output, partitions: 1 },
      { topic: topics.dlq, partitions: 1 },
    ]);
    const role = await t.runProcessor(minuteSumsRole(topics.input, topics.output), {
      instanceId: 'i0',
      dlqTopic: topics.dlq,
      allowedLatenessMs: 0,
    });
    try {
      await waitFor(
        'consuming',
        async () => role.health().state,
        (s) => s === 'consuming',
        60_000,
        200,
      );
      const send = (evs: Ev[]) =>
        t.send(
          topics.input,
          evs.map((e) => ({ key: 'k', value: JSON.stringify(e) })),
        );
      await send(EVENTS.slice(0, 90));
      await waitFor('first half committed', committed, (n) => n >= 90, 60_000, 300);
      // Another producer initialises the role's transactional id: the role's producer is fenced for good.
      const fencer = t.kafka.producer({ transactionalId: `${run}.sums.i0`, idempotent: true, maxInFlightRequests: 1 });
      await fencer.connect();
      const tx = await fencer.transaction();
      await tx.abort();
      await fencer.disconnect();
      // The next batch (events 90..109: the end of minute 4 and the start of minute 5, whose arrival emits minute 4)
      // is processed, then its transaction fails every attempt.
      await send(EVENTS.slice(90, 110));
      await waitFor(
        'the role reconnected',
        async () => role.health().restarts,
        (n) => n >= 1,
        90_000,
        300,
      );
      await send(EVENTS.slice(110));
      await waitFor('everything committed', committed, (n) => n >= EVENTS.length, 90_000, 300);
    } finally {
      await role.stop();
    }
    const got = await outputs();
    const sums = new Map<number, number>();
    for (const o of got) sums.set(o.minute, (sums.get(o.minute) ?? 0) + o.n);
    expect([...sums].sort((a, b) => a[0] - b[0])).toEqual(expected());
  }, 240_000);
});
