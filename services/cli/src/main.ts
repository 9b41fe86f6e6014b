import { isPassageError, PassageError } from '@passage/config';

type Command = { help: string; run(argv: string[]): Promise<number> };

/** Commands load lazily so that `passage --help` is instant. */
const COMMANDS: Record<string, { summary: string; load: () => Promise<Command> }> = {
  demo: {
    summary: 'everything in one process on the embedded store: replay the demo scenario, serve the API',
    load: () => import('./commands/demo.ts'),
  },
  migrate: {
    summary: 'apply ClickHouse migrations (embedded store or CLICKHOUSE_URL)',
    load: () => import('./commands/migrate.ts'),
  },
  worker: { summary: 'run worker roles against Kafka', load: () => import('./commands/worker.ts') },
  stack: {
    summary: 'local Kafka broker + all roles (+ API) as separate processes',
    load: () => import('./commands/stack.ts'),
  },
  produce: {
    summary: 'produce synthetic metric events to Kafka (backbone check)',
    load: () => import('./commands/produce.ts'),
  },
  track: {
    summary: 'track MOTChallenge detections, write a MOTChallenge hypothesis to stdout',
    load: () => import('./commands/track.ts'),
  },
  'eval-mot': {
    summary: 'score a MOTChallenge hypothesis like py-motmetrics',
    load: () => import('./commands/eval-mot.ts'),
  },
  replay: {
    summary: "stream a scenario's synthesised sensor data (embedded or into Kafka)",
    load: () => import('./commands/replay.ts'),
  },
  eval: {
    summary: "score the stored aggregates against a scenario's ground truth",
    load: () => import('./commands/eval.ts'),
  },
  sim: { summary: 'build a SUMO ground-truth scenario', load: () => import('./commands/sim.ts') },
  ingest: {
    summary: 'load a counts file (telraam, sensorthings, datex2, json) through the pipeline',
    load: () => import('./commands/ingest.ts'),
  },
  api: { summary: 'serve the API and the dashboard', load: () => import('./commands/api.ts') },
  export: {
    summary: 'write open-data exports (national counting schema, OD, footfall, sites)',
    load: () => import('./commands/export.ts'),
  },
  sites: {
    summary: "validate a site registry (every error with its path), export a simulated world's registry",
    load: () => import('./commands/sites.ts'),
  },
  signals: {
    summary: 'signal plans from measured turning movements (Webster, HCM delay), checked in SUMO',
    load: () => import('./commands/signals.ts'),
  },
  query: { summary: 'run a read-only SQL query on the store (debugging)', load: () => import('./commands/query.ts') },
  forecast: {
    summary: 'footfall: train/backtest day-ahead forecasts, before/after with a counterfactual, period comparisons',
    load: () => import('./commands/forecast.ts'),
  },
  calendar: {
    summary: 'public holidays (date-holidays) and operator events (add, list, import school holidays)',
    load: () => import('./commands/calendar.ts'),
  },
};

export function usage(): string {
  const width = Math.max(...Object.keys(COMMANDS).map((k) => k.length));
  return [
    'passage — anonymous mobility-flow analytics',
    '',
    'Usage: passage <command> [options]   (passage <command> --help for its options)',
    '',
    ...Object.entries(COMMANDS).map(([k, c]) => `  ${k.padEnd(width)}  ${c.summary}`),
    '',
    'Embedded store: --data <dir> (default PASSAGE_DATA_DIR or ./data). Kafka: KAFKA_BROKERS. ClickHouse server: CLICKHOUSE_URL.',
  ].join('\n');
}

/** Registers another command (used by packages that add commands). */
export function addCommand(name: string, summary: string, load: () => Promise<Command>): void {
  COMMANDS[name] = { summary, load };
}

async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    console.log(usage());
    return 0;
  }
  const cmd = COMMANDS[name];
  if (!cmd) {
    console.error(`passage: unknown command '${name}'.\n\n${usage()}`);
    return 2;
  }
  try {
    return await (await cmd.load()).run(rest);
  } catch (e) {
    throw devDependencyMissing(name, e) ?? e;
  }
}

/** Packages that a production install (`npm ci --omit=dev`) leaves out: the commands that need them say so. */
const DEV_ONLY: Record<string, string> = {
  '@passage/sim': 'the simulator (@passage/sim)',
  '@passage/kafka-local': 'the local Kafka broker (@passage/kafka-local)',
  '@tensorflow/': 'TF.js (@tensorflow/tfjs)',
  tsx: 'tsx',
};

function devDependencyMissing(command: string, e: unknown): PassageError | undefined {
  const err = e as { code?: string; message?: string };
  if (err?.code !== 'ERR_MODULE_NOT_FOUND') return undefined;
  const pkg = Object.keys(DEV_ONLY).find((p) => err.message?.includes(`'${p}`));
  if (!pkg) return undefined;
  return new PassageError(
    'PASSAGE_DEV_DEPENDENCY_MISSING',
    `\`passage ${command}\` needs ${DEV_ONLY[pkg]}, a development dependency that this production install ` +
      '(npm ci --omit=dev) leaves out. Run it from a full install (npm ci && npm run build).',
    { cause: e },
  );
}

main(process.argv.slice(2)).then(
  (code) => {
    if (code !== undefined) process.exitCode = code;
  },
  (e: unknown) => {
    if (isPassageError(e)) {
      console.error(`passage: ${e.message} [${e.code}]`);
      process.exitCode = e.domain === 'user' ? 2 : 1;
    } else {
      // External errors (ClickHouse, Kafka, file system) carry a useful message; the stack is for debugging.
      const err = e as Error & { code?: string; type?: string };
      const code = err.type ?? err.code;
      console.error(`passage: ${err.message ?? String(e)}${code ? ` [${code}]` : ''}`);
      if (process.env.PASSAGE_DEBUG) console.error(e);
      else console.error('(set PASSAGE_DEBUG=1 for the stack trace)');
      process.exitCode = 1;
    }
  },
);
