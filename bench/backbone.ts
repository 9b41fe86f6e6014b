/**
 * Backbone benchmarks: ClickHouse (chDB) insert rows/s, and events/s through the Kafka path
 * (produce → consume → aggregate → sink → chDB) with one worker process running both roles.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '@passage/config';
import { startBroker } from '@passage/kafka-local';
import { ClickHouseTable, migrate, openStore } from '@passage/store';
import { createLogger, KafkaTransport, StreamMetrics } from '@passage/stream';
import { startKafkaWorker, syntheticMetricEvent } from '@passage/workers';
import { median } from './_util.ts';

const N = Number(process.env.BENCH_EVENTS ?? 200_000);

export async function run(): Promise<Record<string, number>> {
  const dir = mkdtempSync(join(tmpdir(), 'passage-bench-'));
  const store = openStore({ dataDir: dir });
  await migrate(store.client);
  const log = createLogger({ level: 'error' });
  const out: Record<string, number> = {};

  // 1. chDB inserts through @clickhouse/client, 20k-row blocks.
  const table = new ClickHouseTable(store.client, 'line_counts_1m');
  const rowsPerRun = 200_000;
  const rates: number[] = [];
  for (let runNo = 0; runNo < 3; runNo++) {
    const t0 = performance.now();
    for (let b = 0; b < rowsPerRun; b += 20_000) {
      const rows = [];
      for (let i = b; i < b + 20_000; i++) {
        rows.push({
          site_id: `s${i % 40}`,
          camera_id: `c${i % 12}`,
          line_id: `l${i % 3}`,
          direction: i % 2 ? 'in' : 'out',
          mode: 'car',
          minute: 1773129600 + 60 * (i % 600),
          count: 1 + (i % 9),
          speed_sum: 30.5,
          speed_count: 1,
          _src: `bench:${runNo}`,
          _offset: String(i),
        });
      }
      await table.write(rows, `bench-${runNo}-${b}`);
    }
    rates.push(rowsPerRun / ((performance.now() - t0) / 1000));
  }
  out.chdb_insert_rows_per_s = Math.round(median(rates));
  out.chdb_insert_block_rows = 20_000;

  // 2. Kafka path with one worker.
  const broker = await startBroker({ port: 0, warmup: true, quiet: true });
  try {
    const config = loadConfig({
      env: { KAFKA_BROKERS: broker.brokers },
      overrides: { stream: { sinkBatchRows: 20000, sinkFlushMs: 500 } },
    });
    const transport = new KafkaTransport({
      brokers: config.kafka.brokers,
      clientId: 'bench',
      log,
      metrics: new StreamMetrics(),
      groupPrefix: 'bench',
    });
    await transport.ensureTopics(Object.values(config.topics).map((topic) => ({ topic, partitions: 4 })));
    let bytes = 0;
    const tp = performance.now();
    for (let i = 0; i < N; i += 10_000) {
      const batch = [];
      for (let j = i; j < Math.min(N, i + 10_000); j++) {
        const e = syntheticMetricEvent(j, N, 64, Date.UTC(2026, 2, 10, 7));
        const value = JSON.stringify(e);
        bytes += value.length;
        batch.push({ key: e.key, value });
      }
      await transport.send(config.topics.events, batch);
    }
    out.kafka_produce_events_per_s = Math.round(N / ((performance.now() - tp) / 1000));
    out.kafka_message_bytes_avg = Math.round(bytes / N);
    out.kafka_events = N;

    const t0 = performance.now();
    const worker = await startKafkaWorker({
      config,
      roles: ['event-totals', 'sink-event-totals'],
      log,
      instanceId: 'bench',
      store,
    });
    for (;;) {
      const rs = await store.client.query({
        query: 'SELECT sum(events) AS n FROM event_totals_1m',
        format: 'JSONEachRow',
      });
      const n = Number((await rs.json<{ n: string }>())[0].n);
      if (n >= N) break;
      if (performance.now() - t0 > 600_000) throw new Error(`only ${n} of ${N} events stored after 10 min`);
      await new Promise((r) => setTimeout(r, 100));
    }
    const s = (performance.now() - t0) / 1000;
    out.kafka_path_events_per_s_1_worker = Math.round(N / s);
    out.kafka_path_seconds = Math.round(s * 100) / 100;
    await worker.stop();
    await transport.close();
  } finally {
    await broker.stop();
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
  return out;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  run().then((r) => console.table(r));
}
