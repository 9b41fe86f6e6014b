import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ClickHouseClient } from '@clickhouse/client';
import { PassageError } from '@passage/config';

export const MIGRATIONS_DIR = resolve(dirname(fileURLToPath(import.meta.url)), '../../../infra/clickhouse/migrations');

export interface Migration {
  version: number;
  name: string;
  sql: string;
  checksum: string;
}

export function readMigrations(dir = MIGRATIONS_DIR): Migration[] {
  return readdirSync(dir)
    .filter((f) => /^\d{4}_.+\.sql$/.test(f))
    .sort()
    .map((f) => {
      const sql = readFileSync(join(dir, f), 'utf8');
      return {
        version: Number(f.slice(0, 4)),
        name: f.replace(/\.sql$/, ''),
        sql,
        checksum: createHash('sha256').update(sql).digest('hex').slice(0, 16),
      };
    });
}

/** Splits a migration file into statements (on `;` at line end; comments dropped). */
export function splitStatements(sql: string): string[] {
  return sql
    .split('\n')
    .filter((l) => !l.trim().startsWith('--'))
    .join('\n')
    .split(/;\s*(?:\n|$)/)
    .map((s) => s.trim())
    .filter(Boolean);
}

export interface MigrateResult {
  applied: string[];
  skipped: number;
}

/**
 * Applies pending migrations in order, idempotently: each applied version is recorded in
 * `schema_migrations` with its checksum; a changed file that was already applied is an error.
 */
export async function migrate(client: ClickHouseClient, dir = MIGRATIONS_DIR): Promise<MigrateResult> {
  await client.command({
    query: `CREATE TABLE IF NOT EXISTS schema_migrations (
      version UInt32, name String, checksum String, applied_at DateTime64(3) DEFAULT now64(3)
    ) ENGINE = MergeTree ORDER BY version`,
  });
  const rs = await client.query({
    query: 'SELECT version, name, checksum FROM schema_migrations ORDER BY version',
    format: 'JSONEachRow',
  });
  const done = new Map(
    (await rs.json<{ version: number; name: string; checksum: string }>()).map((r) => [Number(r.version), r]),
  );
  const applied: string[] = [];
  let skipped = 0;
  for (const m of readMigrations(dir)) {
    const prev = done.get(m.version);
    if (prev) {
      if (prev.checksum !== m.checksum) {
        throw new PassageError(
          'PASSAGE_MIGRATION_CHANGED',
          `Migration ${m.name} was already applied with checksum ${prev.checksum} but the file now has ${m.checksum}. ` +
            'Never edit an applied migration: add a new numbered file instead.',
        );
      }
      skipped++;
      continue;
    }
    for (const stmt of splitStatements(m.sql)) {
      try {
        await client.command({ query: stmt });
      } catch (cause) {
        throw new PassageError('PASSAGE_MIGRATION_FAILED', `Migration ${m.name} failed: ${(cause as Error).message}`, {
          cause,
          domain: 'internal',
        });
      }
    }
    await client.insert({
      table: 'schema_migrations',
      values: [{ version: m.version, name: m.name, checksum: m.checksum }],
      format: 'JSONEachRow',
    });
    applied.push(m.name);
  }
  return { applied, skipped };
}
