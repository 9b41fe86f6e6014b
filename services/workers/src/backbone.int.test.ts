/**
 * Backbone end to end through the real Kafka broker: 100,000 events on a 4-partition topic, two worker
 * processes in one consumer group (one killed with SIGKILL mid-stream and restarted, the other restarted
 * with SIGTERM), a sink writing to chDB. Stored totals must equal produced totals exactly.
 */
import { loadConfig } from '@passage/config';
import { migrate, openStore, type Store } from '@passage/store';
import { createLogger, StreamMetrics } from '@passage/stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  brokers,
  isolatedConfig,
  spawnPassage,
  testTransportWithTopics,
  type WorkerProcess,
  waitFor,
} from '../../../test/helpers.ts';
import { syntheticMetricEvent } from './roles/event-totals.ts';
import { startEmbedded, startKafkaWorker } from './runtime.ts';

const N = 100_000;
const KEYS = 16;
const START = Date.UTC(2026, 2, 10, 7, 0, 0);

function expectedTotals(n: number) {
  const m = new Map<string, { events: number; valueSum: number }>();
  for (let i = 0; i < n; i++) {
    const e = syntheticMetricEvent(i, n, KEYS, START);
    const t = m.get(e.key) ?? { events: 0, valueSum: 0 };
    t.events++;
    t.valueSum += e.value;
    m.set(e.key, t);
  }
  return m;
}

async function storedTotals(store: Store) {
  const rs = await store.client.query({
    query: 'SELECT key, sum(events) AS events, sum(value_sum) AS value_sum FROM event_totals_1m GROUP BY key',
    format: 'JSONEachRow',
  });
  const m = new Map<string, { events: number; valueSum: number }>();
  for (const r of await rs.json<{ key: string; events: string; value_sum: number }>()) {
    m.set(r.key, { events: Number(r.events), valueSum: Number(r.value_sum) });
  }
  return m;
}

const sumEvents = (m: Map<string, { events: number }>) => [...m.values()].reduce((a, b) => a + b.events, 0);

let store: Store;
const log = createLogger({ level: 'warn' });

beforeAll(async () => {
  store = openStore({ dataDir: ':memory:' });
  await migrate(store.client);
});
afterAll(async () => {
  await store.close();
});

describe('backbone through the real Kafka broker', () => {
  it('100k events, 2 workers, SIGKILL and SIGTERM restarts: totals exact, bad input dead-lettered', async () => {
    const iso = isolatedConfig('backbone');
    const env = { KAFKA_BROKERS: brokers(), PASSAGE_CONFIG: iso.file };
    const config = loadConfig({ env, file: iso.file });
    const metrics = new StreamMetrics();
    const transport = await testTransportWithTopics(config, 4, { metrics, groupPrefix: 'test' });

    // The sink runs in this process (chDB binds one data directory per process).
    const sink = await startKafkaWorker({ config, roles: ['sink-event-totals'], log, instanceId: 'sink', store });

    const workers: WorkerProcess[] = [];
    const startWorker = (i: number) => {
      const w = spawnPassage(['worker', '--role', 'event-totals', '--instance', `w${i}`], env);
      workers[i] = w;
      return w.ready;
    };
    await Promise.all([startWorker(0), startWorker(1)]);

    const produce = async (from: number, to: number) => {
      for (let i = from; i < to; i += 2000) {
        const batch = [];
        for (let j = i; j < Math.min(to, i + 2000); j++) {
          const e = syntheticMetricEvent(j, N, KEYS, START);
          batch.push({ key: e.key, value: JSON.stringify(e) });
        }
        await transport.send(config.topics.events, batch);
      }
    };

    await produce(0, 30_000);
    await waitFor(
      'some totals stored',
      () => storedTotals(store),
      (m) => sumEvents(m) > 5_000,
    );
    workers[0].child.kill('SIGKILL');
    await workers[0].exited;
    await produce(30_000, 60_000);
    await startWorker(0);

    // Bad input in the middle of the stream: each must end in the DLQ with its reason.
    const bad = [
      { key: 'bad', value: '{"key":"k1","ts":' },
      { key: 'bad', value: JSON.stringify({ key: 'k1', ts: 'yesterday', value: 1 }) },
      { key: 'bad', value: JSON.stringify({ key: 'k1', value: 1 }) },
      { key: 'bad', value: JSON.stringify({ key: 'k1', ts: 1, value: 1, pad: 'x'.repeat(5 * 1024 * 1024) }) },
      { key: 'bad', value: JSON.stringify({ v: 99, key: 'k1', ts: 1, value: 1 }) },
    ];
    await transport.send(config.topics.events, bad);

    await produce(60_000, 80_000);
    workers[1].child.kill('SIGTERM');
    expect(await workers[1].exited).toBe(0);
    await produce(80_000, N);
    await startWorker(1);

    const expected = expectedTotals(N);
    const got = await waitFor(
      'all 100,000 events stored',
      () => storedTotals(store),
      (m) => sumEvents(m) >= N,
      180_000,
    );
    await new Promise((r) => setTimeout(r, 3000));
    const final = await storedTotals(store);
    expect(sumEvents(final)).toBe(N);
    expect(final.size).toBe(KEYS);
    for (const [k, v] of expected) expect(final.get(k), k).toEqual(v);
    expect(got.size).toBe(KEYS);

    // Dead letters: read the DLQ topic.
    const reasons: string[] = [];
    const c = transport.kafka.consumer({ groupId: `dlq-reader-${iso.id}` });
    await c.connect();
    await c.subscribe({ topic: config.topics.dlq, fromBeginning: true });
    await c.run({ eachMessage: async ({ message }) => void reasons.push(JSON.parse(String(message.value)).reason) });
    await waitFor(
      '5 dead letters',
      async () => reasons.length,
      (n) => n >= 5,
      60_000,
    );
    await c.disconnect();
    expect(reasons.sort()).toEqual(['BAD_JSON', 'SCHEMA', 'SCHEMA', 'TOO_LARGE', 'UNKNOWN_VERSION']);

    for (const w of workers) {
      w.child.kill('SIGTERM');
      await w.exited;
    }
    await sink.stop();
    await transport.close();
  });

  it('embedded mode: the same role graph in one process gives the same totals', async () => {
    await store.client.command({ query: 'TRUNCATE TABLE event_totals_1m' });
    const config = loadConfig({ env: {} });
    const emb = await startEmbedded(config, store, log, undefined, { roles: ['event-totals', 'sink-event-totals'] });
    for (let i = 0; i < N; i += 5000) {
      const recs = [];
      for (let j = i; j < Math.min(N, i + 5000); j++) {
        const e = syntheticMetricEvent(j, N, KEYS, START);
        recs.push({ key: e.key, value: Buffer.from(JSON.stringify(e)) });
      }
      await emb.bus.publish(config.topics.events, recs);
    }
    await emb.close();
    const final = await storedTotals(store);
    expect(sumEvents(final)).toBe(N);
    for (const [k, v] of expectedTotals(N)) expect(final.get(k), k).toEqual(v);
  });
});
