import { hostname } from 'node:os';
import { loadRegistry } from '@passage/registry';
import { loadScenarioMetadata, migrate, openStore, storeOptionsFromConfig } from '@passage/store';
import { onShutdown } from '@passage/stream';
import { materialiseExpandedOd, resolveRoles, roleNames, startKafkaWorker, storedCountsExtent } from '@passage/workers';
import { COMMON, parseFlags } from '../args.ts';
import { makeContext } from '../context.ts';
import { serveMetrics } from '../metrics-server.ts';

export const help = `passage worker --role <role>[,<role>…] [--instance <id>] [--metrics-port <port>] [--data <dir>]
  Runs worker roles against Kafka (KAFKA_BROKERS). Roles: %ROLES%.
  --instance   stable id of this worker (default <hostname>-<role>); keep it across restarts so a restarted
               worker fences its predecessor's open Kafka transaction. Unique among live workers.
  --metrics-port  serve Prometheus metrics on 127.0.0.1:<port>/metrics, /livez (liveness), and /readyz and
               /healthz (503 while a role is not consuming, e.g. reconnecting to a lost broker).
  --api-port   also serve the API and dashboard from this process (with an embedded store, the process that
               owns the store must serve it: chDB binds one data directory per process).
  Sink roles write to the embedded store in --data (one process per directory) or to CLICKHOUSE_URL.
  Stops gracefully on SIGINT/SIGTERM (stop intake, flush, commit, close).`;

export async function run(argv: string[]): Promise<number> {
  const { values } = parseFlags('worker', argv, {
    ...COMMON,
    role: { type: 'string', multiple: true },
    instance: { type: 'string' },
    'metrics-port': { type: 'string' },
    'api-port': { type: 'string' },
  });
  if (values.help || !values.role) {
    console.log(help.replace('%ROLES%', roleNames().join(', ')));
    return values.help ? 0 : 2;
  }
  const ctx = makeContext(values as { data?: string; config?: string });
  // A bad sites file is refused before anything starts (every error listed), not at the first message.
  if (ctx.config.sitesFile) loadRegistry(ctx.config.sitesFile);
  const roles = (values.role as string[]).flatMap((r) => r.split(',')).filter(Boolean);
  const { sinks } = resolveRoles(roles);
  const withApi = values['api-port'] !== undefined;
  const store = sinks.length > 0 || withApi ? openStore(storeOptionsFromConfig(ctx.config)) : undefined;
  if (store) await migrate(store.client);
  // A process that writes to the store registers the deployment's sites there (counting export, API, dashboard).
  if (store && ctx.config.sitesFile) await loadScenarioMetadata(store.client, ctx.config.sitesFile);
  const instanceId = (values.instance as string | undefined) ?? `${hostname()}-${roles.join('+')}`;
  const worker = await startKafkaWorker({ config: ctx.config, roles, log: ctx.log, instanceId, store });
  const server = values['metrics-port']
    ? await serveMetrics(worker.metrics.registry, Number(values['metrics-port']), () => {
        const h = worker.health();
        return { ready: h.ready, roles, instance: instanceId, state: h.roles };
      })
    : undefined;
  let api: { url: string; close(): Promise<void> } | undefined;
  if (withApi && store) {
    const { startApi } = await import('@passage/api');
    api = await startApi({ config: ctx.config, store, log: ctx.log, port: Number(values['api-port']) });
    console.log(`API and dashboard: ${api.url}/`);
  }
  // The process that stores OD cells also keeps the hourly population expansion up to date.
  let expander: NodeJS.Timeout | undefined;
  if (store && sinks.includes('sink-od')) {
    expander = setInterval(() => {
      void (async () => {
        const rs = await store.client.query({
          query: 'SELECT toUnixTimestamp(max(window_start)) * 1000 AS t FROM od_15m',
          format: 'JSONEachRow',
        });
        const t = Number((await rs.json<{ t: string }>())[0]?.t ?? 0);
        const extent = await storedCountsExtent(store.client);
        if (t > 0) {
          await materialiseExpandedOd(store.client, ctx.config, {
            from: t - 3 * 3_600_000,
            to: t + 1,
            ...(extent ? { extent } : {}),
          });
        }
      })().catch((e) => ctx.log.warn({ err: (e as Error).message }, 'OD expansion failed; retrying next minute'));
    }, 60_000);
    expander.unref();
  }
  console.log(`READY worker ${instanceId} roles=${roles.join(',')}`);
  onShutdown(async () => {
    clearInterval(expander);
    await api?.close();
    await worker.stop();
    server?.close();
    await store?.close();
  }, ctx.log);
  return new Promise<number>(() => {});
}
