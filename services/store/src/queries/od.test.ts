import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openStore, type Store } from '../index.ts';
import { migrate } from '../migrate.ts';
import { odFlows } from './od.ts';

let store: Store;
beforeAll(async () => {
  store = openStore({ dataDir: ':memory:' });
  await migrate(store.client);
});
afterAll(async () => {
  await store.close();
});

const H0 = Date.parse('2025-10-01T08:00:00Z');
const HOUR = 3_600_000;

describe('odFlows: says which zones it cannot show (issue 10)', () => {
  it('lists each zone with its least observed status over the range; an unobserved zone is not a 0', async () => {
    const row = (h: number, mode: string, zone: string, status: string) => ({
      window_start: Math.floor(h / 1000),
      mode,
      zone,
      status,
      probe_kinds: [],
      counters: [],
    });
    await store.client.insert({
      table: 'od_zone_coverage',
      values: [
        row(H0, 'motor', 'gate-n', 'observed'),
        row(H0 + HOUR, 'motor', 'gate-n', 'observed'),
        row(H0, 'motor', 'parking', 'unobserved'),
        row(H0 + HOUR, 'motor', 'parking', 'unobserved'),
        row(H0, 'motor', 'district', 'observed'),
        row(H0 + HOUR, 'motor', 'district', 'estimated'),
        row(H0, 'all', 'gate-n', 'observed'),
        row(H0 + 2 * HOUR, 'motor', 'parking', 'observed'), // outside the range asked
      ],
      format: 'JSONEachRow',
    });
    // One stored hourly cell of the motor group (a request for cars reads that group).
    await store.client.insert({
      table: 'od_1h',
      values: [
        {
          kind: 'od',
          origin: 'gate-n',
          destination: 'district',
          mode: 'motor',
          window_start: Math.floor(H0 / 1000),
          trips: 8,
          tt_p50_s: 200,
          tt_p85_s: 300,
          suppressed: 0,
          rule: '',
        },
      ],
      format: 'JSONEachRow',
    });
    const r = await odFlows(store.client, { from: H0, to: H0 + 2 * HOUR, interval: '1h', modes: ['car'], k: 5 });
    expect(r.odModes).toEqual(['motor']);
    expect(r.flows.map((f) => [f.origin, f.destination, f.observed])).toEqual([['gate-n', 'district', 8]]);
    // The parking has no flow because nothing can see it, which the coverage says (the `all` group is not read).
    expect(r.coverage).toEqual([
      { zone: 'district', odMode: 'motor', status: 'estimated', hours: { observed: 1, estimated: 1, unobserved: 0 } },
      { zone: 'gate-n', odMode: 'motor', status: 'observed', hours: { observed: 2, estimated: 0, unobserved: 0 } },
      { zone: 'parking', odMode: 'motor', status: 'unobserved', hours: { observed: 0, estimated: 0, unobserved: 2 } },
    ]);
  });
});
