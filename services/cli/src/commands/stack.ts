import { fileURLToPath } from 'node:url';
import { PassageError } from '@passage/config';
import { startBroker } from '@passage/kafka-local';
import { catalog } from '@passage/workers';
import { Registry } from 'prom-client';
import { COMMON, parseFlags } from '../args.ts';
import { makeContext } from '../context.ts';
import { serveMetrics } from '../metrics-server.ts';
import { type ChildSpec, describeFailure, Supervisor } from '../supervisor.ts';

export const help = `passage stack [--port <kafka port>] [--brokers <host:port,…>] [--data <dir>] [--api-port <port>]
              [--metrics-port <port>] [--sites <registry.json>]
  Starts a local single-node Kafka broker (KRaft, Java 17 needed; jars fetched once via Maven into
  ~/.cache/passage) unless --brokers names running ones, then every processing role as its own worker process, one
  sink process writing to the embedded store in --data (or CLICKHOUSE_URL), and the API (default port 8080). The
  sites file (site registry: cameras, counters, sighting sites) defaults to PASSAGE_SITES_FILE or the committed
  chartres-centre registry. "Stack running" is printed once every process said it is ready.
  Fails loudly: when a process exits (at start or later), the stack names it, its exit code or signal and its last
  error line, stops the others and exits with code 1.
  Metrics: the stack serves /metrics (passage_stack_child_up, _ready, _exits_total) and /healthz on
  127.0.0.1:<metrics-port> (default 9400); child i serves its own worker metrics on <metrics-port> + i.
  Feed it with \`KAFKA_BROKERS=127.0.0.1:<port> passage replay infra/scenarios/chartres-centre --to kafka --speed 10\`.
  Ctrl-C stops everything cleanly.`;

const DEFAULT_SITES = fileURLToPath(
  new URL('../../../../infra/scenarios/chartres-centre/registry.json', import.meta.url),
);

/** Code of the stack's failure message (docs/ERRORS.md). */
const CHILD_EXITED = 'PASSAGE_STACK_CHILD_EXITED';

const BIN = fileURLToPath(new URL('../../bin/passage.js', import.meta.url));

export async function run(argv: string[]): Promise<number> {
  const { values } = parseFlags('stack', argv, {
    ...COMMON,
    port: { type: 'string', default: '9092' },
    brokers: { type: 'string' },
    'api-port': { type: 'string', default: '8080' },
    'metrics-port': { type: 'string', default: '9400' },
    sites: { type: 'string' },
  });
  if (values.help) {
    console.log(help);
    return 0;
  }
  const metricsPort = Number(values['metrics-port']);
  if (!(Number.isInteger(metricsPort) && metricsPort > 0 && metricsPort < 65000)) {
    throw new PassageError('PASSAGE_CLI_USAGE', `--metrics-port ${values['metrics-port']} is not a port number.`);
  }
  const ctx = makeContext(values as { data?: string; config?: string });
  let broker: { brokers: string; stop(): Promise<void> } | undefined;
  let brokers = values.brokers as string | undefined;
  if (!brokers) {
    console.log('Starting the local Kafka broker…');
    const b = await startBroker({ port: Number(values.port), warmup: true });
    console.log(`Kafka broker ready on ${b.brokers} (${b.startMs} ms)`);
    broker = b;
    brokers = b.brokers;
  }
  const sites = (values.sites as string | undefined) ?? (ctx.config.sitesFile || DEFAULT_SITES);
  const env = {
    ...process.env,
    KAFKA_BROKERS: brokers,
    PASSAGE_DATA_DIR: ctx.dataDir,
    PASSAGE_SITES_FILE: sites,
    // The children read the same configuration file as the stack.
    ...(values.config ? { PASSAGE_CONFIG: values.config as string } : {}),
  };
  const specs: ChildSpec[] = Object.keys(catalog.processors).map((name) => ({
    name,
    args: [BIN, 'worker', '--role', name, '--instance', `stack-${name}`],
  }));
  // chDB binds one data directory per process: the sinks and the API share one process when embedded.
  specs.push({
    name: 'sink+api',
    args: [BIN, 'worker', '--role', 'sink', '--instance', 'stack-sink', '--api-port', String(values['api-port'])],
  });
  for (const [i, s] of specs.entries()) s.args.push('--metrics-port', String(metricsPort + 1 + i));
  const registry = new Registry();
  const sup = new Supervisor(specs, { env, registry });
  const server = await serveMetrics(registry, metricsPort, () => {
    const children = sup.status();
    return { ready: children.length > 0 && children.every((c) => c.ready && c.running), children };
  });
  const shutdown = async () => {
    await sup.stop();
    await broker?.stop();
    server.close();
  };
  try {
    await sup.start();
  } catch (e) {
    await shutdown();
    console.error(`passage stack: ${(e as Error).message}. Stack stopped. [${CHILD_EXITED}]`);
    return 1;
  }
  console.log(
    `Stack running: ${specs.length} processes, all ready. KAFKA_BROKERS=${brokers}. ` +
      `Metrics: http://127.0.0.1:${metricsPort}/metrics (children ${metricsPort + 1}–${metricsPort + specs.length}). Ctrl-C to stop.`,
  );
  const stopped = new Promise<null>((resolve) => {
    const stop = () => resolve(null);
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  const failure = await Promise.race([stopped, sup.failure]);
  if (failure) console.error(`passage stack: ${describeFailure(failure)}. Stopping the others…`);
  else console.log('Stopping workers…');
  await shutdown();
  if (failure) {
    console.error(`passage stack: stopped because ${failure.name} exited. [${CHILD_EXITED}]`);
    return 1;
  }
  console.log('Stack stopped.');
  return 0;
}
