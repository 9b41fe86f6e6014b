/**
 * One worker process of the fault and soak benches (bench/faults.ts, bench/soak.ts): runs the given roles against
 * Kafka like `passage worker`, and every `--sample-ms` prints `SAMPLE {rss, heap, eld p50/p99/max}` (resident memory
 * and event-loop delay of this process). On SIGTERM it stops gracefully; a process holding sinks then prints
 * `TOTALS {...}` (what the store holds). Args: --roles a,b --instance id --config file [--data dir] [--sample-ms n]
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { loadConfig } from '@passage/config';
import { migrate, openStore, type Store } from '@passage/store';
import { createLogger, StreamMetrics } from '@passage/stream';
import { startKafkaWorker } from '@passage/workers';

const { values } = parseArgs({
  options: {
    roles: { type: 'string' },
    instance: { type: 'string' },
    config: { type: 'string' },
    data: { type: 'string' },
    'sample-ms': { type: 'string', default: '5000' },
  },
});
const roles = String(values.roles).split(',');
const config = loadConfig({ file: values.config });
const log = createLogger({ level: process.env.PASSAGE_LOG_LEVEL ?? 'warn' });
let store: Store | undefined;
if (values.data) {
  store = openStore({ dataDir: values.data });
  await migrate(store.client);
}
const metrics = new StreamMetrics();
const worker = await startKafkaWorker({
  config,
  roles,
  log,
  instanceId: String(values.instance),
  store,
  metrics,
});
const eld = monitorEventLoopDelay({ resolution: 10 });
eld.enable();
const sampleMs = Number(values['sample-ms']);
const timer = setInterval(() => {
  const m = process.memoryUsage();
  const s = {
    t: Date.now(),
    rssMiB: m.rss / 2 ** 20,
    heapMiB: m.heapUsed / 2 ** 20,
    eldP50Ms: eld.percentile(50) / 1e6,
    eldP99Ms: eld.percentile(99) / 1e6,
    eldMaxMs: eld.max / 1e6,
  };
  eld.reset();
  process.stdout.write(`SAMPLE ${JSON.stringify(s)}\n`);
}, sampleMs);
process.stdout.write(`READY ${values.instance}\n`);

/** What the store holds: counts, crossings, movements, OD trips (a bench compares them with a clean run). */
export async function storedTotals(s: Store): Promise<Record<string, number>> {
  const one = async (sql: string) =>
    Number(
      Object.values(
        (await (await s.client.query({ query: sql, format: 'JSONEachRow' })).json<Record<string, unknown>>())[0] ?? {},
      )[0] ?? 0,
    );
  return {
    counts: await one("SELECT sum(raw_count) FROM counts_1m WHERE interval = '1m'"),
    crossings: await one('SELECT sum(count) FROM line_counts_1m'),
    movements: await one('SELECT sum(count) FROM movements_1m'),
    odTrips: await one('SELECT sum(trips) FROM od_15m'),
  };
}

process.once('SIGTERM', async () => {
  clearInterval(timer);
  await worker.stop();
  // PASSAGE_BENCH_METRICS=1: the role's counters at its stop (dead letters by reason, late events, state sizes) on
  // stderr, where PASSAGE_BENCH_LOG_DIR keeps them: where a fault's missing outputs went.
  if (process.env.PASSAGE_BENCH_METRICS === '1') {
    const text = await metrics.registry.metrics();
    const kept = text
      .split('\n')
      .filter((l) => /^passage_(dead_letters|late_events|state_size|messages_(in|out))/.test(l));
    process.stderr.write(`METRICS ${values.instance}\n${kept.join('\n')}\n`);
  }
  if (store) {
    process.stdout.write(`TOTALS ${JSON.stringify(await storedTotals(store))}\n`);
    await store.close();
  }
  process.exit(0);
});
