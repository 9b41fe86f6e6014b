import { migrate, openStore, storeOptionsFromConfig } from '@passage/store';
import { COMMON, parseFlags } from '../args.ts';
import { makeContext } from '../context.ts';

export const help = `passage migrate [--data <dir>] [--config <file>]
  Applies pending ClickHouse migrations (infra/clickhouse/migrations) to the embedded store in <dir>
  (default PASSAGE_DATA_DIR or ./data), or to the server at CLICKHOUSE_URL. Idempotent.`;

export async function run(argv: string[]): Promise<number> {
  const { values } = parseFlags('migrate', argv, COMMON);
  if (values.help) {
    console.log(help);
    return 0;
  }
  const ctx = makeContext(values as { data?: string; config?: string });
  const store = openStore(storeOptionsFromConfig(ctx.config));
  try {
    const r = await migrate(store.client);
    console.log(
      r.applied.length
        ? `Applied ${r.applied.length} migration(s) to ${store.location}: ${r.applied.join(', ')}`
        : `${store.location} is up to date (${r.skipped} migration(s) already applied).`,
    );
    return 0;
  } finally {
    await store.close();
  }
}
