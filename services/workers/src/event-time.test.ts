/**
 * Event-time guard rails (issue 12 item 3), embedded into chDB: timestamps outside the trusted window (2099, 1e20,
 * 1970) are dead-lettered with BAD_TIMESTAMP and change nothing else — a camera keeps counting, the tokenizer keeps
 * its key, no count bin or OD row is stored outside the real time range, and a counts record dated 2099 does not
 * make the counts role fill every bin up to it.
 */
import { resolve } from 'node:path';
import { loadConfig } from '@passage/config';
import { mulberry32 } from '@passage/core/prng';
import { loadScenario, type ReplayRecord, replayRecords } from '@passage/sim';
import { migrate, openStore, type Store } from '@passage/store';
import {
  type CountRecord,
  createLogger,
  type DeadLetter,
  type DetectionFrame,
  type RawSighting,
  ScenarioClock,
} from '@passage/stream';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { REPO } from '../../../test/helpers.ts';
import { type Embedded, startEmbedded } from './runtime.ts';

const SCENARIO = resolve(REPO, 'infra/scenarios/chartres-centre');
const Y2099 = Date.parse('2099-06-01T08:00:00Z');
const log = createLogger({ level: 'silent' });

let store: Store;
beforeAll(async () => {
  store = openStore({ dataDir: ':memory:' });
  await migrate(store.client);
});
afterAll(async () => {
  await store.close();
});
beforeEach(async () => {
  for (const t of ['line_counts_1m', 'movements_1m', 'od_15m', 'od_1h', 'counts_1m']) {
    await store.client.command({ query: `TRUNCATE TABLE IF EXISTS ${t}` });
  }
});

const q = async <T>(sql: string): Promise<T[]> =>
  (await store.client.query({ query: sql, format: 'JSONEachRow' })).json<T>();

/** Publishes records in batches of 200, moving the scenario clock to each batch's last event time. */
async function replay(
  emb: Embedded,
  clock: ScenarioClock,
  topic: string,
  items: { key: string; ts: number; value: unknown }[],
) {
  for (let i = 0; i < items.length; i += 200) {
    const batch = items.slice(i, i + 200);
    // The replay has reached the batch's last real event (a forged one does not move the scenario clock).
    for (const b of batch) if (b.ts < Y2099) clock.set(b.ts);
    await emb.bus.publish(
      topic,
      batch.map((b) => ({ key: b.key, value: Buffer.from(JSON.stringify(b.value)) })),
    );
  }
}

/** Dead letters published on the bus, by reason. */
function deadLetters(emb: Embedded, dlqTopic: string): DeadLetter[] {
  const out: DeadLetter[] = [];
  emb.bus.subscribe(dlqTopic, async (recs) => {
    for (const r of recs) out.push(JSON.parse(String(r.value)) as DeadLetter);
  });
  return out;
}

describe('event-time guard rails', () => {
  it('five frames dated 2099 (and one at ts 1e20) do not stop a camera from counting', async () => {
    const sim = await loadScenario(SCENARIO);
    const frames: ReplayRecord[] = [
      ...replayRecords(sim, { toS: 180, topics: ['detections'], cameraIds: ['cam-marche'] }),
    ];
    const config = loadConfig({ env: {}, overrides: { sitesFile: resolve(SCENARIO, 'scenario.json') } });
    const run = async (attack: boolean) => {
      const items = frames.map((r) => ({ key: r.key, ts: r.ts, value: r.value }));
      if (attack) {
        // After 10 s: five frames of the same camera dated 2099, and one at 1e20.
        const at = items.findIndex((r) => r.ts >= frames[0].ts + 10_000);
        const f = items[at].value as DetectionFrame;
        const bad = [0, 1, 2, 3, 4].map((i) => ({ ...f, ts: Y2099 + i * 100 }));
        bad.push({ ...f, ts: 1e20 });
        items.splice(at, 0, ...bad.map((b) => ({ key: f.cameraId, ts: b.ts, value: b })));
      }
      const clock = new ScenarioClock(frames[0].ts);
      const emb = await startEmbedded(config, store, log, undefined, {
        roles: ['video-flows', 'sink-line-counts'],
        clock,
      });
      const dlq = deadLetters(emb, config.topics.dlq);
      await replay(emb, clock, config.topics.detections, items);
      await emb.close();
      const rows = await q<{ n: string; last: string }>(
        'SELECT sum(count) AS n, toUnixTimestamp(max(minute)) AS last FROM line_counts_1m',
      );
      await store.client.command({ query: 'TRUNCATE TABLE line_counts_1m' });
      return { crossings: Number(rows[0].n), last: Number(rows[0].last) * 1000, dlq };
    };
    const clean = await run(false);
    const attacked = await run(true);
    expect(clean.crossings).toBeGreaterThanOrEqual(5);
    expect(attacked.crossings).toBe(clean.crossings);
    expect(attacked.last).toBeLessThan(frames[0].ts + 3_600_000);
    expect(attacked.dlq.map((d) => d.reason)).toEqual(Array(6).fill('BAD_TIMESTAMP'));
    expect(clean.dlq).toEqual([]);
  });

  it('18 sightings dated 2099 neither move the tokenizer to the 2099 epoch nor store a 2099 OD row', async () => {
    const T0 = Date.parse('2026-03-10T06:00:00Z');
    const zones = ['north', 'east', 'south', 'west'];
    const siteZones = Object.fromEntries(zones.map((z) => [`wifi-${z}`, z]));
    const rnd = mulberry32(11);
    const raw: RawSighting[] = [];
    for (let d = 0; d < 400; d++) {
      const id = `00:10:00:00:${(d >> 8).toString(16).padStart(2, '0')}:${(d & 255).toString(16).padStart(2, '0')}`;
      let t = T0 + Math.floor(rnd() * 2 * 3_600_000);
      let z = Math.floor(rnd() * 4);
      for (let v = 0; v < 2; v++) {
        raw.push({ siteId: `wifi-${zones[z]}`, ts: Math.round(t), kind: 'wifi', id });
        t += 120_000 + rnd() * 300_000;
        z = (z + 1 + Math.floor(rnd() * 3)) % 4;
      }
    }
    raw.sort((a, b) => a.ts - b.ts);
    const config = loadConfig({
      env: {},
      overrides: { privacy: { k: 2, maxTravelTimeS: 900 }, od: { siteZones, maxTripDurationS: 1800 } },
    });
    const run = async (attack: boolean) => {
      const items = raw.map((s) => ({ key: s.siteId, ts: s.ts, value: s as RawSighting }));
      if (attack) {
        const mid = Math.floor(items.length / 3);
        const bad = Array.from({ length: 18 }, (_, i) => ({
          key: 'wifi-north',
          ts: Y2099 + i,
          value: { siteId: 'wifi-north', ts: Y2099 + i * 1000, kind: 'wifi', id: `02:99:00:00:00:${i}` } as RawSighting,
        }));
        items.splice(mid, 0, ...bad);
      }
      const clock = new ScenarioClock(T0);
      const emb = await startEmbedded(config, store, log, undefined, {
        roles: ['tokenizer', 'od-matcher', 'sink-od', 'sink-od-hourly'],
        clock,
      });
      const dlq = deadLetters(emb, config.topics.dlq);
      let tokenized = 0;
      emb.bus.subscribe(config.topics.sightings, async (recs) => void (tokenized += recs.length));
      await replay(emb, clock, config.topics.sightingsRaw, items);
      await emb.close();
      const od = await q<{ trips: string; last: string }>(
        "SELECT sum(trips) AS trips, toUnixTimestamp(max(window_start)) AS last FROM od_1h WHERE kind = 'od'",
      );
      await store.client.command({ query: 'TRUNCATE TABLE od_1h' });
      await store.client.command({ query: 'TRUNCATE TABLE od_15m' });
      return { tokenized, trips: Number(od[0].trips), last: Number(od[0].last) * 1000, dlq };
    };
    const clean = await run(false);
    const attacked = await run(true);
    expect(clean.tokenized).toBe(raw.length);
    expect(clean.trips).toBeGreaterThan(100);
    expect(attacked.tokenized).toBe(raw.length); // no valid sighting dropped for want of a key
    expect(attacked.trips).toBe(clean.trips);
    expect(attacked.last).toBeLessThan(T0 + 24 * 3_600_000); // no row dated 2099
    expect(attacked.dlq.map((d) => d.reason)).toEqual(Array(18).fill('BAD_TIMESTAMP'));
    expect(attacked.dlq.every((d) => d.excerpt === '')).toBe(true); // raw sightings: reason only
  });

  it('count records dated 1970 or 2099 store no bin, and one ending in 2099 does not fill the years between', async () => {
    const T0 = Date.parse('2026-03-10T07:00:00Z');
    const config = loadConfig({ env: {} });
    const rec = (sensorId: string, start: number, end: number, count: number): CountRecord => ({
      sensorId,
      start,
      end,
      count,
    });
    const items = [
      ...Array.from({ length: 10 }, (_, i) => rec('loop-1', T0 + i * 60_000, T0 + (i + 1) * 60_000, 5 + i)),
      rec('loop-1', Y2099, Y2099 + 60_000, 7),
      rec('loop-1', 0, 60_000, 3),
      rec('loop-2', T0, Y2099, 1000),
      rec('loop-3', 86_400_000, 86_400_000 + 60_000, 1),
      ...Array.from({ length: 10 }, (_, i) => rec('loop-1', T0 + (10 + i) * 60_000, T0 + (11 + i) * 60_000, 9)),
    ].map((r) => ({ key: r.sensorId, ts: r.end, value: r }));
    const clock = new ScenarioClock(T0);
    const emb = await startEmbedded(config, store, log, undefined, { roles: ['counts', 'sink-counts'], clock });
    const dlq = deadLetters(emb, config.topics.dlq);
    const t0 = performance.now();
    await replay(emb, clock, config.topics.counts, items);
    await emb.close();
    expect(performance.now() - t0).toBeLessThan(20_000);
    const range = await q<{ first: string; last: string; n: string; sensors: string }>(
      'SELECT toUnixTimestamp(min(start)) AS first, toUnixTimestamp(max(end)) AS last, count() AS n, uniqExact(sensor_id) AS sensors FROM counts_1m',
    );
    expect(Number(range[0].first) * 1000).toBeGreaterThanOrEqual(T0);
    expect(Number(range[0].last) * 1000).toBeLessThanOrEqual(T0 + 2 * 3_600_000);
    expect(Number(range[0].sensors)).toBe(1);
    expect(dlq.map((d) => d.reason)).toEqual(Array(4).fill('BAD_TIMESTAMP'));
  });
});
