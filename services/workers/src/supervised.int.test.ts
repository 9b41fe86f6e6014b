/**
 * Supervised consumers (issue 12 item 1), through a broker of this test's own: the broker is SIGKILLed mid-stream
 * and restarted after a pause; the worker (event-totals + its sink, in this process) reconnects by itself, reports
 * not-ready while it cannot consume, and the stored totals are exact without any manual restart. A worker started
 * while the broker is down waits for it.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '@passage/config';
import { type BrokerHandle, startBroker } from '@passage/kafka-local';
import { migrate, openStore, type Store } from '@passage/store';
import { createLogger, KafkaTransport, StreamMetrics } from '@passage/stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isolatedConfig, waitFor } from '../../../test/helpers.ts';
import { syntheticMetricEvent } from './roles/event-totals.ts';
import { type KafkaWorker, startKafkaWorker } from './runtime.ts';

const N = 40_000;
const KEYS = 8;
const START = Date.UTC(2026, 2, 10, 7, 0, 0);
const PAUSE_MS = 20_000;
const log = createLogger({ level: process.env.PASSAGE_TEST_LOG ?? 'silent' });

let store: Store;
let broker: BrokerHandle | undefined;
let dataDir: string;
beforeAll(async () => {
  store = openStore({ dataDir: ':memory:' });
  await migrate(store.client);
  dataDir = mkdtempSync(join(tmpdir(), 'passage-killable-broker-'));
  broker = await startBroker({ port: 0, dataDir, quiet: true });
}, 180_000);
afterAll(async () => {
  await broker?.stop();
  await store.close();
  rmSync(dataDir, { recursive: true, force: true });
});

async function storedTotals() {
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
const total = (m: Map<string, { events: number }>) => [...m.values()].reduce((a, b) => a + b.events, 0);

function expectedTotals() {
  const m = new Map<string, { events: number; valueSum: number }>();
  for (let i = 0; i < N; i++) {
    const e = syntheticMetricEvent(i, N, KEYS, START);
    const t = m.get(e.key) ?? { events: 0, valueSum: 0 };
    t.events++;
    t.valueSum += e.value;
    m.set(e.key, t);
  }
  return m;
}

async function produce(brokers: string, topic: string, from: number, to: number) {
  const t = new KafkaTransport({
    brokers: [brokers],
    clientId: 'producer',
    log,
    metrics: new StreamMetrics(),
    groupPrefix: 'p',
  });
  for (let i = from; i < to; i += 2000) {
    const batch = [];
    for (let j = i; j < Math.min(to, i + 2000); j++) {
      const e = syntheticMetricEvent(j, N, KEYS, START);
      batch.push({ key: e.key, value: JSON.stringify(e) });
    }
    await t.send(topic, batch);
  }
  await t.close();
}

/** Kills the broker (SIGKILL), waits, restarts it on the same ports and data. */
async function killAndRestart(b: BrokerHandle, pauseMs: number, during?: () => Promise<void>): Promise<BrokerHandle> {
  process.kill(b.pid, 'SIGKILL');
  await new Promise((r) => setTimeout(r, 1000));
  await during?.();
  await new Promise((r) => setTimeout(r, pauseMs));
  return startBroker({ port: b.port, controllerPort: b.controllerPort, dataDir, quiet: true, startTimeoutMs: 240_000 });
}

describe('supervised consumers against a broker that dies', () => {
  it('broker SIGKILL mid-stream, restart after a pause: not ready meanwhile, totals exact, no manual restart', async () => {
    const b0 = broker as BrokerHandle;
    const iso = isolatedConfig('supervised');
    const config = loadConfig({
      env: { KAFKA_BROKERS: b0.brokers },
      file: iso.file,
      overrides: { stream: { sinkFlushMs: 200 } },
    });
    const worker: KafkaWorker = await startKafkaWorker({
      config,
      roles: ['event-totals', 'sink-event-totals'],
      log,
      instanceId: 'w0',
      store,
    });
    await waitFor(
      'worker ready',
      async () => worker.health().ready,
      (r) => r,
      60_000,
    );
    await produce(b0.brokers, config.topics.events, 0, N / 2);
    await waitFor('part of the stream stored', storedTotals, (m) => total(m) > 2000, 120_000);

    let sawNotReady = false;
    broker = await killAndRestart(b0, PAUSE_MS, async () => {
      await waitFor(
        'worker reports not ready',
        async () => worker.health(),
        (h) => !h.ready,
        PAUSE_MS + 60_000,
        200,
      );
      sawNotReady = true;
    });
    expect(sawNotReady).toBe(true);
    await produce(broker.brokers, config.topics.events, N / 2, N);
    const m = await waitFor('every event stored', storedTotals, (x) => total(x) >= N, 240_000, 1000);
    await waitFor(
      'worker ready again',
      async () => worker.health().ready,
      (r) => r,
      120_000,
    );
    await new Promise((r) => setTimeout(r, 3000));
    const final = await storedTotals();
    expect(total(m)).toBe(N);
    expect(total(final)).toBe(N);
    for (const [k, v] of expectedTotals()) {
      expect(final.get(k)?.events, k).toBe(v.events);
      expect(final.get(k)?.valueSum, k).toBeCloseTo(v.valueSum, 6);
    }
    const h = worker.health();
    expect(h.roles.every((r) => r.state === 'consuming')).toBe(true);
    expect(h.roles.some((r) => r.restarts > 0)).toBe(true);
    await worker.stop();
  }, 600_000);

  it('a worker started while the broker is down waits for it and then consumes', async () => {
    const b0 = broker as BrokerHandle;
    await store.client.command({ query: 'TRUNCATE TABLE event_totals_1m' });
    const iso = isolatedConfig('supervised-start');
    const config = loadConfig({ env: { KAFKA_BROKERS: b0.brokers }, file: iso.file });
    let starting: Promise<KafkaWorker> | undefined;
    broker = await killAndRestart(b0, 10_000, async () => {
      starting = startKafkaWorker({
        config,
        roles: ['event-totals', 'sink-event-totals'],
        log,
        instanceId: 'w1',
        store,
      });
    });
    const worker = await (starting as Promise<KafkaWorker>);
    await produce(broker.brokers, config.topics.events, 0, 5000);
    await waitFor('events stored', storedTotals, (x) => total(x) >= 5000, 180_000, 1000);
    expect(total(await storedTotals())).toBe(5000);
    await worker.stop();
  }, 400_000);
});
