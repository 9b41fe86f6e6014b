import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PassageError } from '@passage/config';
import { evaluateStored, formatReport, loadScenario, loadWorldSignalControllers, runReplay } from '@passage/sim';
import { loadScenarioMetadata, migrate, openStore, storeOptionsFromConfig } from '@passage/store';
import { materialiseExpandedOd, startEmbeddedReplay } from '@passage/workers';
import { COMMON, parseFlags } from '../args.ts';
import { makeContext } from '../context.ts';

const DEFAULT_SCENARIO = fileURLToPath(new URL('../../../../infra/scenarios/chartres-centre', import.meta.url));

/** Aggregate tables the demo resets (a replay into a used store would mix runs). */
const DEMO_TABLES = [
  'line_counts_1m',
  'movements_1m',
  'line_counts_15m',
  'movements_15m',
  'counts_1m',
  'sensor_health',
  'od_15m',
  'od_1h',
  'event_totals_1m',
  'stream_progress',
];

export const help = `passage demo [--scenario <dir>] [--speed <x>|max] [--port <n>] [--no-serve] [--until <s>] [--data <dir>]
  Everything in one process on the embedded store (chDB in --data, default ./data): loads the scenario's sites,
  starts the API and dashboard (http://127.0.0.1:<port>, default 8080), replays the scenario's synthesised
  detections, counts and sightings through every role, then prints the evaluation against the scenario's truth.
  The demo resets the aggregate tables of --data first. Keeps serving until Ctrl-C unless --no-serve.
  --speed 60 (default) plays one simulated hour in one minute; max = as fast as possible.`;

export async function run(argv: string[]): Promise<number> {
  const { values } = parseFlags('demo', argv, {
    ...COMMON,
    scenario: { type: 'string' },
    speed: { type: 'string', default: '60' },
    port: { type: 'string' },
    'no-serve': { type: 'boolean' },
    until: { type: 'string' },
  });
  if (values.help) {
    console.log(help);
    return 0;
  }
  const dir = resolve((values.scenario as string | undefined) ?? DEFAULT_SCENARIO);
  if (!existsSync(resolve(dir, 'scenario.json'))) {
    throw new PassageError('PASSAGE_SCENARIO_NOT_FOUND', `No scenario.json in ${dir}: pass --scenario <dir>.`);
  }
  const speed = values.speed === 'max' ? Number.POSITIVE_INFINITY : Number(values.speed);
  if (!(speed > 0)) throw new PassageError('PASSAGE_CLI_USAGE', '--speed must be "max" or a positive number.');
  const { config: base, log } = makeContext(values as { data?: string; config?: string });
  const config = Object.freeze({ ...base, sitesFile: base.sitesFile || resolve(dir, 'scenario.json') });
  const store = openStore(storeOptionsFromConfig(config));
  console.log(`Passage demo — store ${store.location}`);
  await migrate(store.client);
  for (const t of DEMO_TABLES) await store.client.command({ query: `TRUNCATE TABLE IF EXISTS ${t}` });
  const meta = await loadScenarioMetadata(store.client, resolve(dir, 'scenario.json'));
  const controllers = await loadWorldSignalControllers(store.client, dir, meta.scenario);
  console.log(
    `Loaded ${meta.sites} sites, ${meta.devices} devices and ${controllers} signal controllers of scenario ${meta.scenario}.`,
  );

  let api: { url: string; close(): Promise<void> } | undefined;
  if (!values['no-serve']) {
    const { startApi } = await import('@passage/api');
    // A one-off admin key for this demo session (never stored): the dashboard link carries it.
    const demoKey = randomBytes(18).toString('base64url');
    api = await startApi({
      config: { ...config, api: { ...config.api, keys: [...config.api.keys, `admin:${demoKey}`] } },
      store,
      log,
      port: values.port ? Number(values.port) : undefined,
    });
    console.log(`Dashboard: ${api.url}/#key=${demoKey}`);
    console.log(`Open data (no key): ${api.url}/   API docs: ${api.url}/docs`);
  }

  console.log('Loading the scenario (trajectories, agents)…');
  const sim = await loadScenario(dir);
  const emb = await startEmbeddedReplay(config, store, log, sim.scenario.start);
  const flusher = setInterval(() => void emb.flush().catch(() => undefined), 1000);
  const r = await runReplay(
    sim,
    { publish: (topic, recs) => emb.publish(config.topics[topic], recs) },
    { speed, toS: values.until ? Number(values.until) : undefined },
  );
  clearInterval(flusher);
  await emb.close();
  const simTo = sim.scenario.start + sim.scenario.durationS * 1000;
  const expandedCells = await materialiseExpandedOd(store.client, config, {
    from: sim.scenario.start,
    to: simTo,
    // The replay covers the simulated interval only: reference counts are not imputed outside it.
    extent: { from: sim.scenario.start, to: simTo },
  });
  console.log(`Expanded the OD matrix to population flows: ${expandedCells} hourly cells.`);
  console.log(
    `Replayed ${r.records.detections} frames (${r.detections} detections), ${r.records.counts} counter records, ` +
      `${r.records.sightingsRaw} sightings in ${r.seconds.toFixed(1)} s.`,
  );
  if (values.until === undefined) {
    const { report } = await evaluateStored(store.client, dir, sim.scenario);
    if (report) console.log(`\nAccuracy against the scenario's ground truth:\n${formatReport(report)}`);
  }
  if (api) {
    console.log(`\nServing ${api.url}/ — Ctrl-C to stop.`);
    await new Promise<void>((res) => {
      process.once('SIGINT', () => res());
      process.once('SIGTERM', () => res());
    });
    await api.close();
  }
  await store.close();
  return 0;
}
