import { startApi } from '@passage/api';
import { PassageError } from '@passage/config';
import { loadScenarioMetadata, migrate, openStore, storeOptionsFromConfig } from '@passage/store';
import { onShutdown } from '@passage/stream';
import { COMMON, parseFlags } from '../args.ts';
import { makeContext } from '../context.ts';

export const help = `passage api [--port <port>] [--host <host>] [--data <dir>] [--scenario <scenario.json>] [--config <file>]
  Serves the query API (docs at /docs) and the dashboard (at /) over the embedded store in <dir> (default
  PASSAGE_DATA_DIR or ./data) or the ClickHouse server at CLICKHOUSE_URL. Applies pending migrations first.
  --port       default PASSAGE_API_PORT or 8080 (0 = a free port)
  --scenario   load a site registry (or a scenario.json) into the store first; default the sites file
               (PASSAGE_SITES_FILE), e.g. infra/scenarios/chartres-centre/registry.json
  Keys: PASSAGE_API_KEYS=role:key,… (roles planner, traffic, data-officer, admin). Without a key the API serves
  only open-data aggregates (k-anonymous, hourly or coarser). The dashboard is the build in dashboards/dist
  (npm run build; from source, passage api rebuilds it first when its sources changed).`;

export async function run(argv: string[]): Promise<number> {
  const { values } = parseFlags('api', argv, {
    ...COMMON,
    port: { type: 'string' },
    host: { type: 'string' },
    scenario: { type: 'string' },
  });
  if (values.help) {
    console.log(help);
    return 0;
  }
  const port = values.port === undefined ? undefined : Number(values.port);
  if (port !== undefined && !(Number.isInteger(port) && port >= 0 && port <= 65535)) {
    throw new PassageError('PASSAGE_CLI_USAGE', `--port ${values.port} is not a port number (0–65535).`);
  }
  const ctx = makeContext(values as { data?: string; config?: string });
  const store = openStore(storeOptionsFromConfig(ctx.config));
  await migrate(store.client);
  const sites = (values.scenario as string | undefined) ?? ctx.config.sitesFile;
  if (sites) {
    const r = await loadScenarioMetadata(store.client, sites);
    console.log(
      `Loaded sites of ${r.scenario} (${sites}): ${r.sites} sites, ${r.devices} devices, ${r.streets} streets.`,
    );
  }
  const api = await startApi({
    config: ctx.config,
    store,
    log: ctx.log,
    port,
    host: values.host as string | undefined,
  });
  console.log(`READY api ${api.url} (docs ${api.url}/docs)`);
  onShutdown(async () => {
    await api.close();
    await store.close();
  }, ctx.log);
  return new Promise<number>(() => {});
}
