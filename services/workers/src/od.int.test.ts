/**
 * tokenizer → od-matcher → sink-od through the real Kafka broker gives the same od_15m as the embedded pipeline
 * on the same raw sightings (tokens differ between the runs — each process draws its own key — cells do not).
 * The raw topic has 1 partition (sightings are produced in time order, as a live feed arrives); sightings.v1
 * and od.v1 have 4, keyed by token and by OD pair.
 */
import { loadConfig } from '@passage/config';
import { mulberry32 } from '@passage/core/prng';
import { migrate, openStore, type Store } from '@passage/store';
import { createLogger, type RawSighting, StreamMetrics } from '@passage/stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { brokers, ensureConfigTopics, isolatedConfig, testTransport, waitFor } from '../../../test/helpers.ts';
import { startEmbedded, startKafkaWorker } from './runtime.ts';

const T0 = Date.parse('2026-03-10T06:00:00Z');
const ZONES = ['north', 'east', 'south', 'west', 'centre'];
const SITE_ZONES = Object.fromEntries(
  ZONES.flatMap((z) => [
    [`wifi-${z}`, z],
    [`anpr-${z}`, z],
  ]),
);

/** 1,500 devices over 3 hours, 2–3 zones each, repeated probes; sorted by time. */
function rawSightings(): RawSighting[] {
  const rnd = mulberry32(7);
  const out: RawSighting[] = [];
  for (let d = 0; d < 1500; d++) {
    const kind = rnd() < 0.4 ? 'anpr' : 'wifi';
    const id =
      kind === 'anpr'
        ? `AB-${String(d).padStart(3, '0')}-CD`
        : `02:00:00:00:${(d >> 8).toString(16).padStart(2, '0')}:${(d & 255).toString(16).padStart(2, '0')}`;
    let t = T0 + Math.floor(rnd() * 3 * 3_600_000);
    const visits = 2 + Math.floor(rnd() * 2);
    let z = Math.floor(rnd() * 5);
    for (let v = 0; v < visits; v++) {
      const probes = kind === 'anpr' ? 1 : 1 + Math.floor(rnd() * 3);
      for (let p = 0; p < probes; p++) {
        out.push({ siteId: `${kind}-${ZONES[z]}`, ts: Math.round(t), kind, id });
        t += 5_000 + rnd() * 20_000;
      }
      t += 60_000 + rnd() * 400_000;
      z = (z + 1 + Math.floor(rnd() * 4)) % 5;
    }
  }
  return out.sort((a, b) => a.ts - b.ts || (a.siteId < b.siteId ? -1 : 1));
}

type Row = {
  origin: string;
  destination: string;
  mode: string;
  w: string;
  n: string;
  p50: number;
  p85: number;
  suppressed: number;
};

async function cells(store: Store, src: string): Promise<string[]> {
  const rs = await store.client.query({
    query: `SELECT origin, destination, mode, toString(window_start) AS w, sum(trips) AS n,
              round(argMax(tt_p50_s, trips), 6) AS p50, round(argMax(tt_p85_s, trips), 6) AS p85, max(suppressed) AS suppressed
            FROM od_15m WHERE startsWith(_src, {src:String})
            GROUP BY origin, destination, mode, window_start ORDER BY w, origin, destination, mode`,
    query_params: { src },
    format: 'JSONEachRow',
  });
  return (await rs.json<Row>()).map((r) => JSON.stringify(r));
}

const log = createLogger({ level: 'warn' });
let store: Store;
beforeAll(async () => {
  store = openStore({ dataDir: ':memory:' });
  await migrate(store.client);
});
afterAll(async () => {
  await store.close();
});

describe('OD through the real Kafka broker', () => {
  it('tokenizer → od-matcher → sink-od gives the same od_15m as embedded', async () => {
    const extra = {
      privacy: { k: 3, rotationHours: 24, maxTravelTimeS: 900 },
      od: { siteZones: SITE_ZONES, maxTripDurationS: 1800 },
    };
    const iso = isolatedConfig('od', extra);
    const config = loadConfig({ env: { KAFKA_BROKERS: brokers() }, file: iso.file });
    const raw = rawSightings();

    // Embedded reference run.
    const embedded = loadConfig({ env: {}, overrides: extra });
    const emb = await startEmbedded(embedded, store, log, undefined, { roles: ['tokenizer', 'od-matcher', 'sink-od'] });
    for (let i = 0; i < raw.length; i += 500) {
      await emb.bus.publish(
        embedded.topics.sightingsRaw,
        raw.slice(i, i + 500).map((s) => ({ key: s.siteId, value: Buffer.from(JSON.stringify(s)) })),
      );
    }
    await emb.close();
    const want = await cells(store, 'mem:');
    const wantTrips = want.reduce((a, c) => a + Number(JSON.parse(c).n), 0);
    expect(wantTrips).toBeGreaterThan(300);

    // Kafka run.
    const metrics = new StreamMetrics();
    const transport = testTransport(config, { metrics, groupPrefix: 'test' });
    await transport.ensureTopics([{ topic: config.topics.sightingsRaw, partitions: 1 }]);
    await ensureConfigTopics(transport, config, 4);
    const sink = await startKafkaWorker({ config, roles: ['sink-od'], log, instanceId: 'sink', store });
    const procMetrics = new StreamMetrics();
    const procs = await startKafkaWorker({
      config,
      roles: ['tokenizer', 'od-matcher'],
      log,
      instanceId: 'p0',
      metrics: procMetrics,
    });
    for (let i = 0; i < raw.length; i += 1000) {
      await transport.send(
        config.topics.sightingsRaw,
        raw.slice(i, i + 1000).map((s) => ({ key: s.siteId, value: JSON.stringify(s) })),
      );
    }
    const consumed = async (role: string) => {
      const m = await procMetrics.messagesIn.get();
      return m.values.filter((v) => v.labels.role === role).reduce((a, v) => a + v.value, 0);
    };
    await waitFor(
      'od-matcher consumed every sighting',
      () => consumed('od-matcher'),
      (n) => n >= raw.length,
      120_000,
    );
    // Graceful stop: the matcher publishes the windows still open.
    await procs.stop();
    const kafkaTrips = async () => (await cells(store, 'kafka:')).reduce((a, c) => a + Number(JSON.parse(c).n), 0);
    await waitFor('all trips stored', kafkaTrips, (n) => n >= wantTrips, 60_000);
    await new Promise((r) => setTimeout(r, 2000));
    await sink.stop();
    await transport.close();

    const got = await cells(store, 'kafka:');
    expect(got.length).toBe(want.length);
    expect(got).toEqual(want);
  });
});
