import { hostname } from 'node:os';
import { migrate, openStore, storeOptionsFromConfig } from '@passage/store';
import { onShutdown } from '@passage/stream';
import { resolveRoles, roleNames, startKafkaWorker } from '@passage/workers';
import { COMMON, parseFlags } from '../args.ts';
import { makeContext } from '../context.ts';
import { serveMetrics } from '../metrics-server.ts';

export const help = `passage worker --role <role>[,<role>…] [--instance <id>] [--metrics-port <port>] [--data <dir>]
  Runs worker roles against Kafka (KAFKA_BROKERS). Roles: %ROLES%.
  --instance   stable id of this worker (default <hostname>-<role>); keep it across restarts so a restarted
               worker fences its predecessor's open Kafka transaction. Unique among live workers.
  --metrics-port  serve Prometheus metrics on 127.0.0.1:<port>/metrics.
  Sink roles write to the embedded store in --data (one process per directory) or to CLICKHOUSE_URL.
  Stops gracefully on SIGINT/SIGTERM (stop intake, flush, commit, close).`;

export async function run(argv: string[]): Promise<number> {
  const { values } = parseFlags('worker', argv, {
    ...COMMON,
    role: { type: 'string', multiple: true },
    instance: { type: 'string' },
    'metrics-port': { type: 'string' },
  });
  if (values.help || !values.role) {
    console.log(help.replace('%ROLES%', roleNames().join(', ')));
    return values.help ? 0 : 2;
  }
  const ctx = makeContext(values as { data?: string; config?: string });
  const roles = (values.role as string[]).flatMap((r) => r.split(',')).filter(Boolean);
  const { sinks } = resolveRoles(roles);
  const store = sinks.length > 0 ? openStore(storeOptionsFromConfig(ctx.config)) : undefined;
  if (store) await migrate(store.client);
  const instanceId = (values.instance as string | undefined) ?? `${hostname()}-${roles.join('+')}`;
  const worker = await startKafkaWorker({ config: ctx.config, roles, log: ctx.log, instanceId, store });
  const server = values['metrics-port']
    ? await serveMetrics(worker.metrics.registry, Number(values['metrics-port']))
    : undefined;
  console.log(`READY worker ${instanceId} roles=${roles.join(',')}`);
  onShutdown(async () => {
    await worker.stop();
    server?.close();
    await store?.close();
  }, ctx.log);
  return new Promise<number>(() => {});
}
