import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { odSuppressedCells, odTable } from '../export/datasets.ts';
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
    const row = (h: number, mode: string, zone: string, status: string, reason = '') => ({
      window_start: Math.floor(h / 1000),
      mode,
      zone,
      status,
      probe_kinds: [],
      counters: [],
      reason,
    });
    await store.client.insert({
      table: 'od_zone_coverage',
      values: [
        row(H0, 'motor', 'gate-n', 'observed'),
        row(H0 + HOUR, 'motor', 'gate-n', 'observed'),
        row(H0, 'motor', 'parking', 'unobserved', 'no-probe-no-count'),
        row(H0 + HOUR, 'motor', 'parking', 'unobserved', 'counts-do-not-identify,no-probe-no-count'),
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
    // And why: the distinct reason codes of its unobserved hours.
    const hours = (observed: number, estimated: number, unobserved: number) => ({ observed, estimated, unobserved });
    expect(r.coverage).toEqual([
      { zone: 'district', odMode: 'motor', status: 'estimated', hours: hours(1, 1, 0), reasons: [] },
      { zone: 'gate-n', odMode: 'motor', status: 'observed', hours: hours(2, 0, 0), reasons: [] },
      {
        zone: 'parking',
        odMode: 'motor',
        status: 'unobserved',
        hours: hours(0, 0, 2),
        reasons: ['counts-do-not-identify', 'no-probe-no-count'],
      },
    ]);
  });
});

describe('odFlows: the interval of a cell is the one stored with it (issue 11)', () => {
  const D = Date.parse('2025-11-03T08:00:00Z');
  const cell = (h: number, o: string, trips: number) => ({
    kind: 'od',
    origin: o,
    destination: 'x',
    mode: 'all',
    window_start: Math.floor(h / 1000),
    trips,
    tt_p50_s: 100,
    tt_p85_s: 120,
    suppressed: 0,
    rule: '',
  });
  const ex = (
    h: number,
    o: string,
    observed: number,
    e: number,
    se: number,
    status: string,
    lo: number,
    hi: number,
  ) => ({
    origin: o,
    destination: 'x',
    mode: 'all',
    window_start: Math.floor(h / 1000),
    observed,
    expanded: e,
    expanded_se: se,
    status,
    lower95: lo,
    upper95: hi,
  });

  it('hourly buckets carry lower95/upper95 as stored; sums of hours the same rule on the sum; no upper bound = null', async () => {
    await store.client.insert({
      table: 'od_1h',
      values: [cell(D, 'a', 10), cell(D + HOUR, 'a', 12), cell(D, 'u', 6), cell(D, 'old', 7), cell(D, 'low', 9)],
      format: 'JSONEachRow',
    });
    await store.client.insert({
      table: 'od_expanded_1h',
      values: [
        // A GLS interval below the observed trips (clipped at 0, not floored at the trips): published as stored.
        ex(D, 'a', 10, 40, 25, 'observed', 0, 89),
        ex(D + HOUR, 'a', 12, 30, 4, 'observed', 22.16, 37.84),
        ex(D, 'u', 6, 6.5, 2, 'unexpanded', 6.5, 0),
        // Written before migration 0006: no interval stored (0, 0).
        ex(D, 'old', 7, 20, 5, 'observed', 0, 0),
        // An expansion below the observed trips is not used: the trips, [n, n].
        ex(D, 'low', 9, 8, 1, 'observed', 6, 10),
      ],
      format: 'JSONEachRow',
    });
    const hourly = await odFlows(store.client, { from: D, to: D + 2 * HOUR, interval: '1h', k: 5 });
    const at = (t: number, o: string) => hourly.flows.find((f) => f.t === t && f.origin === o);
    expect(at(D, 'a')).toMatchObject({ observed: 10, expanded: 40, stdErr: 25, ci95: [0, 89] });
    expect(at(D + HOUR, 'a')).toMatchObject({ expanded: 30, stdErr: 4, ci95: [22.16, 37.84] });
    expect(at(D, 'u')).toMatchObject({ expanded: 6.5, ci95: [6.5, null] });
    expect(at(D, 'old')?.ci95[0]).toBeCloseTo(20 - 1.959964 * 5, 9);
    expect(at(D, 'old')?.ci95[1]).toBeCloseTo(20 + 1.959964 * 5, 9);
    expect(at(D, 'low')).toMatchObject({ observed: 9, expanded: 9, stdErr: 0, ci95: [9, 9] });
    // The two hours of a → x summed: expanded 70, se √(625 + 16), interval by the same rule, clipped at 0.
    const total = await odFlows(store.client, { from: D, to: D + 2 * HOUR, interval: 'total', k: 5 });
    const a = total.flows.find((f) => f.origin === 'a');
    expect(a?.expanded).toBe(70);
    expect(a?.stdErr).toBeCloseTo(Math.sqrt(641), 9);
    expect(a?.ci95[0]).toBeCloseTo(Math.max(0, 70 - 1.959964 * Math.sqrt(641)), 9);
    expect(a?.ci95[1]).toBeCloseTo(70 + 1.959964 * Math.sqrt(641), 9);
    expect(total.flows.find((f) => f.origin === 'u')?.ci95[1]).toBeNull();
  });
});

describe('odFlows and the OD export: count-estimated cells are published and labelled (issue 10 item 3)', () => {
  const E = Date.parse('2025-11-10T08:00:00Z');
  const row = (o: string, d: string, observed: number, e: number, se: number, status: string) => ({
    origin: o,
    destination: d,
    mode: 'motor',
    window_start: Math.floor(E / 1000),
    observed,
    expanded: e,
    expanded_se: se,
    status,
    lower95: Math.max(0, e - 1.959964 * se),
    upper95: e + 1.959964 * se,
  });

  it('an estimated cell (no probe trip) is a flow with observed 0 and its stored interval; one derived from a suppressed cell is not', async () => {
    // gate → gate: 12 published trips expanded to 40. gate → parking: no probe at the car park, 25 estimated from
    // counts. gate → (unobserved): residual 9. gate → market: only a suppressed marker (3 devices) in od_1h, and
    // an 'observed' expansion row of 0 observed trips: never read.
    await store.client.insert({
      table: 'od_1h',
      values: [
        { kind: 'od', origin: 'gate', destination: 'gate-2', mode: 'motor', window_start: E / 1000, trips: 12 },
        { kind: 'od', origin: 'gate', destination: 'beyond', mode: 'motor', window_start: E / 1000, trips: 6 },
        {
          kind: 'od',
          origin: 'gate',
          destination: 'market',
          mode: 'motor',
          window_start: E / 1000,
          trips: 0,
          suppressed: 1,
        },
      ].map((r) => ({ tt_p50_s: 100, tt_p85_s: 120, suppressed: 0, rule: '', ...r })),
      format: 'JSONEachRow',
    });
    await store.client.insert({
      table: 'od_expanded_1h',
      values: [
        row('gate', 'gate-2', 12, 40, 5, 'observed'),
        row('gate', 'parking', 0, 25, 10, 'estimated'),
        row('gate', '(unobserved)', 0, 9, 6, 'residual'),
        row('gate', 'market', 0, 7, 3, 'observed'),
        // 6 matched trips to beyond a crossed cordon, absorbed by the estimated cells: published at 0.
        { ...row('gate', 'beyond', 6, 0, 0, 'absorbed'), lower95: 0, upper95: 0 },
      ],
      format: 'JSONEachRow',
    });
    const r = await odFlows(store.client, { from: E, to: E + HOUR, interval: '1h', k: 5, modes: ['car'] });
    const f = (d: string) => r.flows.find((x) => x.destination === d);
    expect(r.flows.map((x) => x.destination).sort()).toEqual(['(unobserved)', 'beyond', 'gate-2', 'parking']);
    expect(f('beyond')).toMatchObject({ observed: 6, expanded: 0, stdErr: 0, ci95: [0, 0], method: 'probe-expanded' });
    expect(f('gate-2')).toMatchObject({ observed: 12, expanded: 40, method: 'probe-expanded' });
    expect(f('parking')).toMatchObject({ observed: 0, expanded: 25, stdErr: 10, method: 'count-estimated' });
    expect(f('parking')?.ci95[0]).toBeCloseTo(25 - 1.959964 * 10, 9);
    expect(f('parking')?.ci95[1]).toBeCloseTo(25 + 1.959964 * 10, 9);
    expect(f('(unobserved)')).toMatchObject({ observed: 0, expanded: 9, method: 'count-estimated' });
    expect(r.totals).toEqual({ observed: 18, expanded: 74 });
    expect(r.suppressedCells).toBe(1);
    // The export: the same four rows, labelled; the suppressed cell counted as hidden.
    const t = odTable({ from: E, to: E + HOUR, k: 5 });
    const rows = await (
      await store.client.query({ query: t.sql, query_params: t.params, format: 'JSONEachRow' })
    ).json<{ destination: string; trips: number; expanded: number; method: string }>();
    expect(rows.map((x) => [x.destination, Number(x.trips), Number(x.expanded), x.method])).toEqual([
      ['(unobserved)', 0, 9, 'count-estimated'],
      ['beyond', 6, 0, 'probe-expanded'],
      ['gate-2', 12, 40, 'probe-expanded'],
      ['parking', 0, 25, 'count-estimated'],
    ]);
    expect(await odSuppressedCells(store.client, { from: E, to: E + HOUR, k: 5 })).toBe(1);
  });
});

describe('odFlows and the OD export: all modes composed by mode are labelled mode-composed (issue 10 item 3)', () => {
  const E = Date.parse('2025-11-11T08:00:00Z');
  it('a composed cell is mode-composed with or without Wi-Fi trips behind it; a bucket with other cells is mixed', async () => {
    // market → core: 7 Wi-Fi trips (≥ k) published, composed estimate 60; core → market: no probe trip, composed 45;
    // station → core: 9 Wi-Fi trips expanded to 20 the usual way (status observed). The next hour market → core is
    // probe-expanded (8 trips → 30): over both hours its bucket is mixed.
    const w = Math.floor(E / 1000);
    await store.client.insert({
      table: 'od_1h',
      values: [
        { origin: 'market', destination: 'core', trips: 7 },
        { origin: 'station', destination: 'core', trips: 9 },
        { origin: 'market', destination: 'core', trips: 8, window_start: w + 3600 },
      ].map((r) => ({
        kind: 'od',
        mode: 'all',
        window_start: w,
        tt_p50_s: 100,
        tt_p85_s: 120,
        suppressed: 0,
        rule: '',
        ...r,
      })),
      format: 'JSONEachRow',
    });
    const row = (o: string, d: string, observed: number, e: number, status: string) => ({
      origin: o,
      destination: d,
      mode: 'all',
      window_start: w,
      observed,
      expanded: e,
      expanded_se: 10,
      status,
      lower95: e - 19.59964,
      upper95: e + 19.59964,
    });
    await store.client.insert({
      table: 'od_expanded_1h',
      values: [
        row('market', 'core', 7, 60, 'composed'),
        row('core', 'market', 0, 45, 'composed'),
        row('station', 'core', 9, 20, 'observed'),
        { ...row('market', 'core', 8, 30, 'observed'), window_start: w + 3600 },
      ],
      format: 'JSONEachRow',
    });
    const r = await odFlows(store.client, { from: E, to: E + HOUR, interval: '1h', k: 5 });
    const f = (o: string) => r.flows.find((x) => x.origin === o);
    expect(f('market')).toMatchObject({ observed: 7, expanded: 60, method: 'mode-composed' });
    expect(f('core')).toMatchObject({ observed: 0, expanded: 45, method: 'mode-composed' });
    expect(f('station')).toMatchObject({ observed: 9, expanded: 20, method: 'probe-expanded' });
    const t = odTable({ from: E, to: E + HOUR, k: 5 });
    const rows = await (
      await store.client.query({ query: t.sql, query_params: t.params, format: 'JSONEachRow' })
    ).json<{ origin: string; expanded: number; method: string }>();
    expect(rows.map((x) => [x.origin, Number(x.expanded), x.method])).toEqual([
      ['core', 45, 'mode-composed'],
      ['market', 60, 'mode-composed'],
      ['station', 20, 'probe-expanded'],
    ]);
    const total = await odFlows(store.client, { from: E, to: E + 2 * HOUR, interval: 'total', k: 5 });
    const into = total.flows.filter((x) => x.destination === 'core');
    expect(into.map((x) => [x.origin, x.expanded, x.method]).sort()).toEqual([
      ['market', 90, 'mixed'],
      ['station', 20, 'probe-expanded'],
    ]);
  });
});
