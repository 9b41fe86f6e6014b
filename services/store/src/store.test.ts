import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openStore, type Store } from './client.ts';
import { migrate, splitStatements } from './migrate.ts';
import { ClickHouseTable } from './table.ts';

let store: Store;
beforeAll(() => {
  store = openStore({ dataDir: ':memory:' });
});
afterAll(async () => {
  await store.close();
});

describe('store (embedded chDB)', () => {
  it('splits migration files into statements', () => {
    expect(splitStatements('-- c\nCREATE TABLE a (x UInt8) ENGINE = Memory;\n\nSELECT 1;\n')).toEqual([
      'CREATE TABLE a (x UInt8) ENGINE = Memory',
      'SELECT 1',
    ]);
  });

  it('applies migrations once, idempotently', async () => {
    const first = await migrate(store.client);
    expect(first.applied.length).toBeGreaterThan(0);
    const second = await migrate(store.client);
    expect(second.applied).toEqual([]);
    expect(second.skipped).toBe(first.applied.length);
    const rs = await store.client.query({ query: 'SELECT count() AS n FROM schema_migrations', format: 'JSONEachRow' });
    expect(Number((await rs.json<{ n: string }>())[0].n)).toBe(first.applied.length);
  });

  it('deduplicates a retried block and reports the high-water offset per source', async () => {
    const t = new ClickHouseTable(store.client, 'event_totals_1m');
    const rows = [
      { window_start: 60, key: 'a', events: 3, value_sum: 1.5, _src: 'kafka:t/0', _offset: '41' },
      { window_start: 60, key: 'b', events: 2, value_sum: 2, _src: 'kafka:t/1', _offset: '7' },
    ];
    await t.write(rows, 'tok-1');
    await t.write(rows, 'tok-1');
    await t.write(rows, 'tok-1');
    const rs = await store.client.query({
      query: 'SELECT sum(events) AS n FROM event_totals_1m',
      format: 'JSONEachRow',
    });
    expect(Number((await rs.json<{ n: string }>())[0].n)).toBe(5);
    const hw = await t.highWater(['kafka:t/0', 'kafka:t/1', 'kafka:t/2']);
    expect(hw.get('kafka:t/0')).toBe(41n);
    expect(hw.get('kafka:t/1')).toBe(7n);
    expect(hw.has('kafka:t/2')).toBe(false);
  });

  it('binds query parameters (no injection)', async () => {
    const evil = "a' OR 1=1 --";
    const rs = await store.client.query({
      query: 'SELECT count() AS n FROM event_totals_1m WHERE key = {k:String}',
      query_params: { k: evil },
      format: 'JSONEachRow',
    });
    expect(Number((await rs.json<{ n: string }>())[0].n)).toBe(0);
  });
});
