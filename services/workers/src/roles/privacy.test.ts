/**
 * Privacy of the tokenizer → od-matcher → sink-od path, embedded into chDB: synthetic sightings with known raw
 * Wi-Fi MACs and plates; no raw id may appear in any table, in any topic other than the raw one, in any dead
 * letter or in any log line; tokens change with the epoch and cannot be recomputed after a restart; no published
 * OD cell rests on fewer than k devices.
 */
import { Writable } from 'node:stream';
import { loadConfig } from '@passage/config';
import { migrate, openStore, type Store } from '@passage/store';
import {
  type OdCell,
  type OperatorContext,
  type RawSighting,
  ScenarioClock,
  type TokenSighting,
} from '@passage/stream';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmbedded } from '../runtime.ts';
import { TokenizerOperator } from './tokenizer.ts';

const T0 = Date.parse('2026-03-10T06:00:00Z');
const HOUR = 3_600_000;
const SITES = { 'wifi-a': 'zone-a', 'anpr-a': 'zone-a', 'wifi-b': 'zone-b', 'anpr-b': 'zone-b', 'wifi-c': 'zone-c' };

/** A universal MAC (first octet 0x00); `randomised`: locally administered (0x06: bit 0x02 set). */
function mac(i: number, randomised = false): string {
  const h = (v: number) => (v & 0xff).toString(16).padStart(2, '0');
  return [randomised ? '06' : '00', h(i >> 8), h(i), h(i * 7), h(i * 13), h(i * 31)].join(':');
}
function plate(i: number): string {
  const L = 'ABCDEFGHJKLMNPQRSTVWXYZ';
  return `${L[i % 23]}${L[(i >> 3) % 23]}-${String(100 + (i % 900)).padStart(3, '0')}-${L[(i * 7) % 23]}${L[(i * 11) % 23]}`;
}

/** Devices: 40 phones A→B, 30 cars A→B, 3 phones A→C (below k), 8 randomised phones A→B, across 2 one-hour epochs. */
function sightings(): { raw: RawSighting[]; ids: string[] } {
  const raw: RawSighting[] = [];
  const ids: string[] = [];
  const trip = (kind: RawSighting['kind'], id: string, from: string, to: string, t: number) => {
    ids.push(id);
    raw.push({ siteId: from, ts: t, kind, id });
    raw.push({ siteId: from, ts: t + 20_000, kind, id });
    raw.push({ siteId: to, ts: t + 300_000 + (id.length % 7) * 10_000, kind, id });
  };
  for (let i = 0; i < 40; i++) trip('wifi', mac(i), 'wifi-a', 'wifi-b', T0 + 60_000 + i * 20_000);
  for (let i = 0; i < 30; i++) trip('anpr', plate(i), 'anpr-a', 'anpr-b', T0 + 120_000 + i * 25_000);
  for (let i = 100; i < 103; i++) trip('wifi', mac(i), 'wifi-a', 'wifi-c', T0 + 200_000 + i * 1000);
  // 8 phones with randomised addresses A→B: flagged by the tokenizer, left out of trips (od.randomisedAddresses).
  for (let i = 300; i < 308; i++) trip('wifi', mac(i, true), 'wifi-a', 'wifi-b', T0 + 400_000 + i * 1000);
  // Second epoch (rotationHours = 1): the same 40 phones again, 2 h later.
  for (let i = 0; i < 40; i++) trip('wifi', mac(i), 'wifi-b', 'wifi-a', T0 + 2 * HOUR + i * 20_000);
  raw.sort((a, b) => a.ts - b.ts);
  return { raw, ids: [...new Set(ids)] };
}

let store: Store;
beforeAll(async () => {
  store = openStore({ dataDir: ':memory:' });
  await migrate(store.client);
});
afterAll(async () => {
  await store.close();
});

describe('privacy of tokenizer → od-matcher → sink-od (embedded)', () => {
  it('no raw id anywhere but the raw topic; tokens per epoch; no cell below k', async () => {
    const config = loadConfig({
      env: {},
      overrides: {
        privacy: { k: 5, rotationHours: 1, maxTravelTimeS: 1200 },
        od: { siteZones: SITES, maxTripDurationS: 2400 },
        logLevel: 'trace',
      },
    });
    let logs = '';
    const sink = new Writable({
      write(chunk, _enc, cb) {
        logs += chunk.toString();
        cb();
      },
    });
    const log = pino({ level: 'trace', redact: { paths: ['*.id', '*.plate', '*.token'], censor: '[redacted]' } }, sink);
    // A replay: the trusted clock (key epochs, time guard) is the scenario clock, moved as the sightings are sent.
    const clock = new ScenarioClock(T0);
    const emb = await startEmbedded(config, store, log, undefined, {
      roles: ['tokenizer', 'od-matcher', 'sink-od', 'sink-od-hourly'],
      clock,
    });
    // A test-side subscriber on every topic records what was published.
    const published = new Map<string, string[]>();
    for (const topic of Object.values(config.topics)) {
      emb.bus.subscribe(topic, async (records) => {
        const list = published.get(topic) ?? [];
        for (const r of records) list.push(`${r.key ?? ''}\t${r.value?.toString() ?? ''}`);
        published.set(topic, list);
      });
    }
    const { raw, ids } = sightings();
    // Batches of ≤ 50 that never straddle a key epoch (the clock is at a batch's last sighting when it is sent).
    for (let i = 0; i < raw.length; ) {
      let j = i + 1;
      while (j < raw.length && j - i < 50 && Math.floor(raw[j].ts / HOUR) === Math.floor(raw[i].ts / HOUR)) j++;
      clock.set(raw[j - 1].ts);
      await emb.bus.publish(
        config.topics.sightingsRaw,
        raw.slice(i, j).map((s) => ({ key: s.siteId, value: Buffer.from(JSON.stringify(s)) })),
      );
      i = j;
    }
    // Bad raw messages carrying identifiers in every way the generic redaction can miss.
    const bad = [
      `{"siteId":"wifi-a","ts":${T0},"kind":"anpr","id":"${plate(500)}`, // truncated: unterminated string
      `{"siteId":"wifi-a","ts":"x","kind":"anpr","ID":"${plate(501)}"}`, // upper-case key
      `{"siteId":"wifi-a","ts":${T0},"kind":"lora","id":"${mac(502)}"}`, // schema
      `{"id": ${plate(503)}}`, // the JSON parser's message quotes the input
      `{"siteId":"${plate(504)}","ts":${T0},"kind":"wifi"}`,
    ];
    ids.push(plate(500), plate(501), mac(502), plate(503), plate(504));
    await emb.bus.publish(
      config.topics.sightingsRaw,
      bad.map((v) => ({ key: 'bad', value: Buffer.from(v) })),
    );
    await emb.close();

    expect(ids.length).toBe(40 + 30 + 3 + 8 + 5);
    const needles = ids.flatMap((id) => [id, id.toUpperCase(), id.replace(/[:-]/g, '')]);
    const leaks = (text: string) => needles.filter((n) => text.includes(n));

    // 1. Every table of the store.
    const tables = await (
      await store.client.query({
        query: 'SELECT name FROM system.tables WHERE database = currentDatabase()',
        format: 'JSONEachRow',
      })
    ).json<{ name: string }>();
    expect(tables.length).toBeGreaterThan(5);
    for (const { name } of tables) {
      const text = await (await store.client.query({ query: `SELECT * FROM ${name}`, format: 'TabSeparated' })).text();
      expect(leaks(text), `table ${name}`).toEqual([]);
    }
    // 2. Every topic but the raw one (which carries them by definition, read only by the tokenizer).
    expect(published.get(config.topics.sightingsRaw)?.length).toBe(raw.length + bad.length);
    for (const [topic, msgs] of published) {
      if (topic === config.topics.sightingsRaw) continue;
      expect(leaks(msgs.join('\n')), `topic ${topic}`).toEqual([]);
    }
    const dlq = (published.get(config.topics.dlq) ?? []).map((m) => JSON.parse(m.split('\t')[1]));
    expect(dlq.map((d) => d.reason).sort()).toEqual(['BAD_JSON', 'BAD_JSON', 'SCHEMA', 'SCHEMA', 'SCHEMA']);
    expect(dlq.every((d) => d.excerpt === '')).toBe(true);
    // 3. Logs (trace level).
    expect(logs.length).toBeGreaterThan(0);
    expect(leaks(logs)).toEqual([]);

    // Tokens: one per device and epoch; the same phone has different tokens in the two epochs.
    const tokens = (published.get(config.topics.sightings) ?? []).map(
      (m) => JSON.parse(m.split('\t')[1]) as TokenSighting,
    );
    expect(tokens.length).toBe(raw.length);
    const epoch0 = new Set(tokens.filter((t) => t.ts < T0 + HOUR && t.kind === 'wifi').map((t) => t.token));
    const epoch2 = new Set(tokens.filter((t) => t.ts >= T0 + 2 * HOUR).map((t) => t.token));
    expect(epoch0.size).toBe(51);
    // Randomised addresses are flagged (1 bit, no identifier), universal ones are not.
    expect(tokens.filter((t) => t.randomised === true).length).toBe(8 * 3);
    expect(new Set(tokens.filter((t) => t.randomised === true).map((t) => t.token)).size).toBe(8);
    expect(epoch2.size).toBe(40);
    expect([...epoch2].filter((t) => epoch0.has(t))).toEqual([]);
    for (const t of tokens) expect(t.token).toMatch(/^[A-Za-z0-9_-]{22}$/);

    // OD cells: k-anonymity (A→C has 3 devices: suppressed), the rest exact.
    const cells = (published.get(config.topics.od) ?? []).map((m) => JSON.parse(m.split('\t')[1]) as OdCell);
    for (const c of cells) expect(c.suppressed === true ? c.trips === 0 : c.trips >= 5, JSON.stringify(c)).toBe(true);
    const trips = (o: string, d: string, mode: string) =>
      cells.filter((c) => c.origin === o && c.destination === d && c.mode === mode).reduce((a, c) => a + c.trips, 0);
    // 40 universal phones; the 8 randomised ones are not trips.
    expect(trips('zone-a', 'zone-b', 'all')).toBe(40);
    expect(trips('zone-a', 'zone-b', 'motor')).toBe(30);
    expect(trips('zone-b', 'zone-a', 'all')).toBe(40);
    expect(trips('zone-a', 'zone-c', 'all')).toBe(0);
    expect(cells.some((c) => c.origin === 'zone-a' && c.destination === 'zone-c' && c.suppressed)).toBe(true);
    const stored = await (
      await store.client.query({
        query: 'SELECT sum(trips) AS t, countIf(suppressed = 0 AND trips < 5) AS small FROM od_15m',
        format: 'JSONEachRow',
      })
    ).json<{ t: string; small: string }>();
    expect(stored.map((r) => [Number(r.t), Number(r.small)])).toEqual([[110, 0]]);
  });

  it('after a restart past a rotation, old tokens cannot be recomputed', () => {
    // The key epoch follows the runtime's trusted clock (here: the time of the batch's first sighting).
    const ctxFor = (out: TokenSighting[], batch: RawSighting[]): OperatorContext =>
      ({
        emit: (_s: string, _k: string, v: unknown) => void out.push(v as TokenSighting),
        log: pino({ level: 'silent' }),
        now: () => batch[0].ts,
      }) as unknown as OperatorContext;
    const run = (op: TokenizerOperator, batch: RawSighting[], out: TokenSighting[]) =>
      op.processBatch(batch, ctxFor(out, batch));
    const s: RawSighting = { siteId: 'wifi-a', ts: T0, kind: 'wifi', id: mac(7) };
    const a: TokenSighting[] = [];
    const first = new TokenizerOperator(HOUR);
    run(first, [s, { ...s, ts: T0 + 60_000 }], a);
    expect(a[0].token).toBe(a[1].token); // stable within the epoch
    run(first, [{ ...s, ts: T0 + HOUR + 600_000 }], a); // next epoch, past the grace
    expect(a[2].token).not.toBe(a[0].token);
    // Past the rotation, an old sighting gets the current epoch's key: the old key is gone, never recomputed.
    run(first, [{ ...s, ts: T0 + HOUR + 600_000 }, s], a);
    expect(a[4].token).toBe(a[2].token);
    expect(a[4].token).not.toBe(a[0].token);
    first.onClose();
    // A new process (restart): same id, same epoch, a different token — nothing stored allows recomputing it.
    const b: TokenSighting[] = [];
    run(new TokenizerOperator(HOUR), [s], b);
    expect(b[0].token).not.toBe(a[0].token);
    expect(JSON.stringify(first)).not.toMatch(/key/i);
  });
});
