/**
 * Counts guard rails through the real broker (issue 12 item 4): counter records produced to Kafka one message each
 * — the same record three times, 1e15 in a minute, an interval ending before it starts, a sensor outside the site
 * registry — reach the store as the valid records only, each refusal counted by reason.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '@passage/config';
import { migrate, openStore, type Store } from '@passage/store';
import { type CountRecord, createLogger, StreamMetrics } from '@passage/stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { brokers, testTransport, waitFor, waitForStable } from '../../../test/helpers.ts';
import { startKafkaWorker } from './runtime.ts';

const log = createLogger({ level: 'warn' });
let store: Store;
beforeAll(async () => {
  store = openStore({ dataDir: ':memory:' });
  await migrate(store.client);
});
afterAll(async () => {
  await store.close();
});

const T0 = Date.UTC(2026, 2, 10, 7, 0);
const rec = (sensorId: string, minute: number, count: number, extra: Partial<CountRecord> = {}): CountRecord => ({
  sensorId,
  start: T0 + minute * 60_000,
  end: T0 + (minute + 1) * 60_000,
  direction: 'in',
  mode: 'car',
  count,
  ...extra,
});

describe('counts guard rails through Kafka', () => {
  it('stores 12 + 9 of loop-1; refuses 2 duplicates, 1e15, a reversed interval and an unknown sensor', async () => {
    const id = `guard-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 6)}`;
    const dir = mkdtempSync(join(tmpdir(), 'reg-guard-int-'));
    const sites = join(dir, 'registry.json');
    writeFileSync(sites, JSON.stringify({ counters: [{ id: 'loop-1', kind: 'loop', modes: ['car'] }] }));
    const topics = {
      counts: `counts.${id}`,
      countsNorm: `counts-norm.${id}`,
      sensorHealth: `health.${id}`,
      dlq: `dlq.${id}`,
    };
    const config = loadConfig({
      env: { KAFKA_BROKERS: brokers() },
      overrides: { topics, kafka: { groupPrefix: `g.${id}`, partitions: 1 }, sitesFile: sites },
    });
    const transport = testTransport(config, { clientId: 'test-guard' });
    await transport.ensureTopics(Object.values(topics).map((topic) => ({ topic, partitions: 1 })));
    const records = [
      rec('loop-1', 0, 12),
      rec('loop-1', 0, 12),
      rec('loop-1', 0, 12),
      rec('loop-1', 1, 1e15),
      { ...rec('loop-1', 2, 30), end: T0 + 60_000 },
      rec('loop-typo', 3, 50),
      rec('loop-1', 4, 9),
    ];
    for (const r of records) await transport.send(topics.counts, [{ key: r.sensorId, value: JSON.stringify(r) }]);
    const sinks = await startKafkaWorker({ config, roles: ['sink-counts'], log, instanceId: `sink-${id}`, store });
    const metrics = new StreamMetrics();
    const procs = await startKafkaWorker({ config, roles: ['counts'], log, instanceId: `p-${id}`, metrics });
    const total = async (m: 'messagesIn' | 'deadLetters', role = 'counts') =>
      (await metrics[m].get()).values.filter((v) => v.labels.role === role).reduce((a, v) => a + v.value, 0);
    await waitFor(
      'counts consumed every record',
      () => total('messagesIn'),
      (n) => n >= records.length,
      120_000,
    );
    await procs.stop();
    const hour = async () => {
      const rs = await store.client.query({
        query: "SELECT sum(raw_count) AS n FROM counts_1m WHERE interval = '1h' AND sensor_id = 'loop-1'",
        format: 'JSONEachRow',
      });
      return Number((await rs.json<{ n: number }>())[0]?.n ?? 0);
    };
    await waitForStable('hourly bin stored and stable', hour, (n) => n > 0, 60_000, 1000);
    const stored = await hour();
    await sinks.stop();
    await transport.close();
    expect(stored).toBe(21);
    const byReason = Object.fromEntries(
      (await metrics.deadLetters.get()).values
        .filter((v) => v.labels.role === 'counts')
        .map((v) => [v.labels.reason, v.value]),
    );
    expect(byReason).toEqual({ DUPLICATE: 2, BAD_VALUE: 2, UNKNOWN_SENSOR: 1 });
  }, 240_000);
});
