import type { ClickHouseClient } from '@clickhouse/client';

/**
 * A ClickHouse table as a durable sink (implements @passage/stream's DurableTable). Rows are inserted as
 * one JSONEachRow block (atomic), with `insert_deduplication_token` so that a retried insert is stored
 * once; `highWater` reads max(_offset) per source, the resume point of exactly-once sinks.
 */
export class ClickHouseTable {
  readonly table: string;
  private readonly client: ClickHouseClient;

  constructor(client: ClickHouseClient, table: string) {
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(table)) throw new Error(`invalid table name ${table}`);
    this.client = client;
    this.table = table;
  }

  async highWater(sources: readonly string[]): Promise<Map<string, bigint>> {
    const rs = await this.client.query({
      query: `SELECT _src AS src, toString(max(_offset)) AS hw FROM ${this.table}
              WHERE _src IN {sources:Array(String)} GROUP BY _src
              UNION ALL
              SELECT _src AS src, toString(max(_offset)) AS hw FROM stream_progress FINAL
              WHERE consumer = {table:String} AND _src IN {sources:Array(String)} GROUP BY _src`,
      query_params: { sources: [...sources], table: this.table },
      format: 'JSONEachRow',
    });
    const out = new Map<string, bigint>();
    for (const r of await rs.json<{ src: string; hw: string }>()) {
      const v = BigInt(r.hw);
      const prev = out.get(r.src);
      if (prev === undefined || v > prev) out.set(r.src, v);
    }
    return out;
  }

  async write(rows: readonly Record<string, unknown>[], token: string): Promise<void> {
    if (rows.length === 0) return;
    await this.client.insert({
      table: this.table,
      values: rows as Record<string, unknown>[],
      format: 'JSONEachRow',
      clickhouse_settings: {
        insert_deduplication_token: token,
        max_insert_block_size: String(Math.max(rows.length + 1, 1048576)),
        input_format_skip_unknown_fields: 1,
      },
    });
  }
}
