import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { type ClickHouseClient, createClient } from '@clickhouse/client';
import { type Config, PassageError } from '@passage/config';
import { createChdbConnection } from 'chdb/connection';

export type { ClickHouseClient } from '@clickhouse/client';

export interface StoreOptions {
  /** HTTP URL of a ClickHouse server; when empty the embedded chDB engine is used. */
  url?: string;
  username?: string;
  password?: string;
  database?: string;
  /** Data directory of the embedded engine, or ':memory:'. */
  dataDir?: string;
}

export interface Store {
  client: ClickHouseClient;
  kind: 'chdb' | 'http';
  /** Where the data lives: the chDB directory or the server URL (without credentials). */
  location: string;
  close(): Promise<void>;
}

/** chDB binds one engine per process: every role of one process shares the same store. */
let shared: { key: string; store: Store; refs: number } | undefined;

export function storeOptionsFromConfig(config: Config, dataDir?: string): StoreOptions {
  return {
    url: config.clickhouse.url,
    username: config.clickhouse.username,
    password: config.clickhouse.password,
    database: config.clickhouse.database,
    dataDir: dataDir ?? config.dataDir,
  };
}

/**
 * The one factory of ClickHouse clients: chDB in-process by default, a server over HTTP when `url` is set.
 * Returns the same embedded store to every caller of one process (ref-counted close).
 */
export function openStore(options: StoreOptions): Store {
  if (options.url) {
    let u: URL;
    try {
      u = new URL(options.url);
    } catch {
      throw new PassageError(
        'PASSAGE_CLICKHOUSE_URL_INVALID',
        `CLICKHOUSE_URL=${JSON.stringify(options.url)} is not a URL; use e.g. http://127.0.0.1:8123.`,
      );
    }
    const client = createClient({
      url: options.url,
      username: options.username,
      password: options.password,
      database: options.database,
      clickhouse_settings: { date_time_input_format: 'best_effort' },
    });
    return { client, kind: 'http', location: `${u.protocol}//${u.host}`, close: () => client.close() };
  }
  const dir = options.dataDir === ':memory:' ? ':memory:' : resolve(options.dataDir ?? './data', 'chdb');
  if (shared) {
    if (shared.key !== dir) {
      throw new PassageError(
        'PASSAGE_STORE_DIR_CONFLICT',
        `This process already uses the embedded store at ${shared.key}; chDB binds one data directory per process. ` +
          `Use the same --data directory for every role of one process, or run roles in separate processes.`,
        { domain: 'internal' },
      );
    }
    shared.refs++;
    return shared.store;
  }
  if (dir !== ':memory:') mkdirSync(dir, { recursive: true });
  const client = createClient({ connection: createChdbConnection({ path: dir }) } as Parameters<
    typeof createClient
  >[0]);
  const store: Store = {
    client,
    kind: 'chdb',
    location: dir,
    close: async () => {
      if (!shared) return;
      shared.refs--;
      if (shared.refs === 0) {
        shared = undefined;
        await client.close();
      }
    },
  };
  shared = { key: dir, store, refs: 1 };
  return store;
}
