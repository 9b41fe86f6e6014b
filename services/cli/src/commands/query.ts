import { PassageError } from '@passage/config';
import { openStore, storeOptionsFromConfig } from '@passage/store';
import { COMMON, parseFlags } from '../args.ts';
import { makeContext } from '../context.ts';

export const help = `passage query "<SELECT …>" [--data <dir>]
  Runs one read-only query (SELECT/SHOW/DESCRIBE) on the store and prints JSON rows.`;

export async function run(argv: string[]): Promise<number> {
  const { values, positionals } = parseFlags('query', argv, COMMON);
  if (values.help || positionals.length !== 1) {
    console.log(help);
    return values.help ? 0 : 2;
  }
  const sql = positionals[0];
  if (!/^\s*(SELECT|SHOW|DESCRIBE|WITH|EXISTS)\b/i.test(sql)) {
    throw new PassageError(
      'PASSAGE_QUERY_READ_ONLY',
      'Only read-only queries (SELECT, SHOW, DESCRIBE, WITH) are allowed.',
    );
  }
  const ctx = makeContext(values as { data?: string; config?: string });
  const store = openStore(storeOptionsFromConfig(ctx.config));
  try {
    const rs = await store.client.query({ query: sql, format: 'JSONEachRow', clickhouse_settings: { readonly: '1' } });
    for (const row of await rs.json()) console.log(JSON.stringify(row));
    return 0;
  } finally {
    await store.close();
  }
}
