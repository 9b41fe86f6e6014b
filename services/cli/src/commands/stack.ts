import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { startBroker } from '@passage/kafka-local';
import { catalog } from '@passage/workers';
import { COMMON, parseFlags } from '../args.ts';
import { makeContext } from '../context.ts';

export const help = `passage stack [--port <kafka port>] [--data <dir>] [--api-port <port>] [--sites <scenario.json>]
  Starts a local single-node Kafka broker (KRaft, Java 17 needed; jars fetched once via Maven into
  ~/.cache/passage), then every processing role as its own worker process, one sink process writing to the
  embedded store in --data (or CLICKHOUSE_URL), and the API (default port 8080). The sites file (cameras, counters,
  sighting sites) defaults to PASSAGE_SITES_FILE or the committed chartres-centre scenario. Feed it with
  \`KAFKA_BROKERS=127.0.0.1:<port> passage replay infra/scenarios/chartres-centre --to kafka --speed 10\`.
  Ctrl-C stops everything cleanly.`;

const DEFAULT_SITES = fileURLToPath(
  new URL('../../../../infra/scenarios/chartres-centre/scenario.json', import.meta.url),
);

const BIN = fileURLToPath(new URL('../../bin/passage.js', import.meta.url));

export async function run(argv: string[]): Promise<number> {
  const { values } = parseFlags('stack', argv, {
    ...COMMON,
    port: { type: 'string', default: '9092' },
    'api-port': { type: 'string', default: '8080' },
    sites: { type: 'string' },
  });
  if (values.help) {
    console.log(help);
    return 0;
  }
  const ctx = makeContext(values as { data?: string; config?: string });
  console.log('Starting the local Kafka broker…');
  const broker = await startBroker({ port: Number(values.port), warmup: true });
  console.log(`Kafka broker ready on ${broker.brokers} (${broker.startMs} ms)`);
  const sites = (values.sites as string | undefined) ?? (ctx.config.sitesFile || DEFAULT_SITES);
  const env = {
    ...process.env,
    KAFKA_BROKERS: broker.brokers,
    PASSAGE_DATA_DIR: ctx.dataDir,
    PASSAGE_SITES_FILE: sites,
  };
  const children: ChildProcess[] = [];
  const launch = (args: string[]) => {
    const child = spawn(process.execPath, [BIN, ...args], { env, stdio: 'inherit' });
    children.push(child);
  };
  for (const name of Object.keys(catalog.processors)) launch(['worker', '--role', name, '--instance', `stack-${name}`]);
  // chDB binds one data directory per process: the sinks and the API share one process when embedded.
  launch(['worker', '--role', 'sink', '--instance', 'stack-sink', '--api-port', String(values['api-port'])]);
  console.log(`Stack running: ${children.length} processes. KAFKA_BROKERS=${broker.brokers}. Ctrl-C to stop.`);
  await new Promise<void>((resolve) => {
    const stop = () => resolve();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  console.log('Stopping workers…');
  await Promise.all(
    children.map(
      (c) =>
        new Promise<void>((resolve) => {
          if (c.exitCode !== null) return resolve();
          c.once('exit', () => resolve());
          c.kill('SIGTERM');
        }),
    ),
  );
  await broker.stop();
  console.log('Stack stopped.');
  return 0;
}
