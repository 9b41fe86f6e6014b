/**
 * Event time across partitions (issue 10 item 4), through the real Kafka broker: the chartres-centre scenario's
 * raw sightings (one hour, 93 sites) through tokenizer → od-matcher → sink-od / sink-od-hourly, three ways:
 * - backfill: every sighting produced at once over 4 raw partitions (keyed by site) before the workers start, so
 *   the tokenizer reads one partition's backlog after another;
 * - paced: the workers run while the replay produces in event-time order at 60× real time;
 * - embedded: the same roles in one process.
 * The stored od_15m and od_1h (OD cells and per-site device counts) must be identical, with no event late.
 * Likewise detections → video-flows → line_counts_1m / movements_1m (3 cameras, 3 minutes of frames).
 */
import { resolve } from 'node:path';
import { type Config, loadConfig } from '@passage/config';
import { loadScenario, type ReplayRecord, replayRecords, runReplay } from '@passage/sim';
import { migrate, openStore, type Store } from '@passage/store';
import { createLogger, ScenarioClock, StreamMetrics } from '@passage/stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { brokers, REPO, testTransport, waitFor, waitForStable } from '../../../test/helpers.ts';
import { startEmbedded, startKafkaWorker } from './runtime.ts';

const SCENARIO = resolve(REPO, 'infra/scenarios/chartres-centre');
const log = createLogger({ level: 'warn' });

let store: Store;
let sim: Awaited<ReturnType<typeof loadScenario>>;
let raw: ReplayRecord[];
beforeAll(async () => {
  store = openStore({ dataDir: ':memory:' });
  await migrate(store.client);
  sim = await loadScenario(SCENARIO);
  raw = [...replayRecords(sim, { topics: ['sightingsRaw'] })];
}, 120_000);
afterAll(async () => {
  await store.close();
});

/** A config of its own (topics, groups) for one Kafka run. */
function runConfig(tag: string): Config {
  const id = `${tag}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 7)}`;
  const topics = {
    sightingsRaw: `sightings-raw.${id}`,
    sightings: `sightings.${id}`,
    od: `od.${id}`,
    odHourly: `od-hourly.${id}`,
    dlq: `dlq.${id}`,
  };
  return loadConfig({
    env: { KAFKA_BROKERS: brokers() },
    overrides: {
      topics,
      kafka: { groupPrefix: `g.${id}`, partitions: 4 },
      sitesFile: resolve(SCENARIO, 'scenario.json'),
    },
  });
}

/** Stored OD of one run (rows whose source starts with `src`), summed per cell, as comparable strings. */
async function stored(src: string): Promise<{ od15: string[]; od1h: string[]; trips: number }> {
  const rows = async (sql: string) =>
    (await (await store.client.query({ query: sql, query_params: { src }, format: 'JSONEachRow' })).json()).map((r) =>
      JSON.stringify(r),
    );
  const od15 = await rows(
    `SELECT origin, destination, mode, toString(window_start) AS w, sum(trips) AS n, round(max(tt_p50_s), 6) AS p50,
            round(max(tt_p85_s), 6) AS p85, max(suppressed) AS s, any(rule) AS rule
     FROM od_15m WHERE startsWith(_src, {src:String}) GROUP BY ALL ORDER BY ALL`,
  );
  const od1h = await rows(
    `SELECT kind, origin, destination, mode, toString(window_start) AS w, sum(trips) AS n, round(max(tt_p50_s), 6) AS p50,
            round(max(tt_p85_s), 6) AS p85, max(suppressed) AS s, any(rule) AS rule
     FROM od_1h WHERE startsWith(_src, {src:String}) GROUP BY ALL ORDER BY ALL`,
  );
  const trips = od15.reduce((a, r) => a + Number(JSON.parse(r).n), 0);
  return { od15, od1h, trips };
}

const sum = async (m: StreamMetrics, metric: 'messagesIn' | 'lateEvents' | 'deadLetters', role: string) =>
  (await m[metric].get()).values.filter((v) => v.labels.role === role).reduce((a, v) => a + v.value, 0);

/** One Kafka run: `produce` before (backfill) or after (paced) the workers start. */
async function kafkaRun(config: Config, mode: 'backfill' | 'paced') {
  const transport = testTransport(config, { clientId: `test-${mode}` });
  await transport.ensureTopics(
    [
      config.topics.sightingsRaw,
      config.topics.sightings,
      config.topics.od,
      config.topics.odHourly,
      config.topics.dlq,
    ].map((topic) => ({ topic, partitions: 4 })),
  );
  const produce = async (speed: number) => {
    await runReplay(
      sim,
      { publish: (_topic, recs) => transport.send(config.topics.sightingsRaw, recs) },
      { topics: ['sightingsRaw'], speed, batch: 500, onProgress: () => undefined },
    );
  };
  if (mode === 'backfill') await produce(Number.POSITIVE_INFINITY);
  const sinks = await startKafkaWorker({
    config,
    roles: ['sink-od', 'sink-od-hourly'],
    log,
    instanceId: 'sink',
    store,
  });
  const metrics = new StreamMetrics();
  const procs = await startKafkaWorker({ config, roles: ['tokenizer', 'od-matcher'], log, instanceId: 'p0', metrics });
  if (mode === 'paced') await produce(60);
  await waitFor(
    `${mode}: od-matcher consumed every sighting`,
    () => sum(metrics, 'messagesIn', 'od-matcher'),
    (n) => n >= raw.length,
    240_000,
  );
  await procs.stop(); // graceful: the matcher publishes the windows still open
  const src = `kafka:${config.topics.od}/`;
  await waitForStable(
    `${mode}: stored totals stable`,
    async () => (await stored(src)).od15.length,
    (n) => n > 0,
    120_000,
    2000,
  );
  await sinks.stop();
  await transport.close();
  return {
    od15: (await stored(src)).od15,
    od1h: (await stored(`kafka:${config.topics.odHourly}/`)).od1h,
    trips: (await stored(src)).trips,
    late: (await sum(metrics, 'lateEvents', 'od-matcher')) + (await sum(metrics, 'lateEvents', 'tokenizer')),
    deadLetters: (await sum(metrics, 'deadLetters', 'od-matcher')) + (await sum(metrics, 'deadLetters', 'tokenizer')),
  };
}

describe('event time across partitions through the real broker', () => {
  it('backfill over 4 partitions = paced replay = embedded: identical stored OD, nothing late', async () => {
    expect(raw.length).toBeGreaterThan(30_000);

    // Embedded reference (in event-time order, with the scenario clock).
    const cfg = loadConfig({ env: {}, overrides: { sitesFile: resolve(SCENARIO, 'scenario.json') } });
    const clock = new ScenarioClock(sim.scenario.start);
    const metrics = new StreamMetrics();
    const emb = await startEmbedded(cfg, store, log, metrics, {
      roles: ['tokenizer', 'od-matcher', 'sink-od', 'sink-od-hourly'],
      clock,
    });
    for (let i = 0; i < raw.length; i += 500) {
      const batch = raw.slice(i, i + 500);
      clock.set(batch[batch.length - 1].ts);
      await emb.bus.publish(
        cfg.topics.sightingsRaw,
        batch.map((r) => ({ key: r.key, value: Buffer.from(JSON.stringify(r.value)) })),
      );
    }
    await emb.close();
    const embedded = {
      od15: (await stored('mem:')).od15,
      od1h: (await stored('mem:')).od1h,
      trips: (await stored('mem:')).trips,
    };
    expect(await sum(metrics, 'lateEvents', 'od-matcher')).toBe(0);
    expect(embedded.trips).toBeGreaterThan(500);
    expect(embedded.od1h.length).toBeGreaterThan(50);

    const backfill = await kafkaRun(runConfig('backfill'), 'backfill');
    const paced = await kafkaRun(runConfig('paced'), 'paced');
    console.log(
      JSON.stringify({
        sightings: raw.length,
        trips: { embedded: embedded.trips, backfill: backfill.trips, paced: paced.trips },
        od15Cells: { embedded: embedded.od15.length, backfill: backfill.od15.length, paced: paced.od15.length },
        od1hRows: { embedded: embedded.od1h.length, backfill: backfill.od1h.length, paced: paced.od1h.length },
        late: { backfill: backfill.late, paced: paced.late },
      }),
    );
    for (const run of [backfill, paced]) {
      expect(run.late).toBe(0);
      expect(run.deadLetters).toBe(0);
      expect(run.trips).toBe(embedded.trips);
      expect(run.od15).toEqual(embedded.od15);
      expect(run.od1h).toEqual(embedded.od1h);
    }
  }, 900_000);

  it('detections: backfill over 4 partitions = paced replay = embedded line counts and movements', async () => {
    const CAMERAS = ['cam-bd-nord', 'cam-marche', 'cam-parvis'];
    const frames = [...replayRecords(sim, { toS: 180, topics: ['detections'], cameraIds: CAMERAS })];
    expect(frames.length).toBeGreaterThan(4000);
    const aggregates = async (src: string) => {
      const rows = async (sql: string) =>
        (await (await store.client.query({ query: sql, query_params: { src }, format: 'JSONEachRow' })).json()).map(
          (r) => JSON.stringify(r),
        );
      return {
        lines: await rows(
          `SELECT camera_id, line_id, direction, mode, toString(minute) AS m, sum(count) AS n, round(sum(speed_sum), 6) AS sp
           FROM line_counts_1m WHERE startsWith(_src, {src:String}) GROUP BY ALL ORDER BY ALL`,
        ),
        moves: await rows(
          `SELECT camera_id, from_zone, to_zone, mode, toString(minute) AS m, sum(count) AS n
           FROM movements_1m WHERE startsWith(_src, {src:String}) GROUP BY ALL ORDER BY ALL`,
        ),
      };
    };
    const sitesFile = resolve(SCENARIO, 'scenario.json');
    // Embedded.
    const cfg = loadConfig({ env: {}, overrides: { sitesFile } });
    const clock = new ScenarioClock(sim.scenario.start);
    const emb = await startEmbedded(cfg, store, log, undefined, {
      roles: ['video-flows', 'sink-line-counts', 'sink-movements'],
      clock,
    });
    for (let i = 0; i < frames.length; i += 500) {
      const batch = frames.slice(i, i + 500);
      clock.set(batch[batch.length - 1].ts);
      await emb.bus.publish(
        cfg.topics.detections,
        batch.map((r) => ({ key: r.key, value: Buffer.from(JSON.stringify(r.value)) })),
      );
    }
    await emb.close();
    const embedded = await aggregates('mem:');
    const crossings = embedded.lines.reduce((a, r) => a + Number(JSON.parse(r).n), 0);
    expect(crossings).toBeGreaterThan(20);

    const viaKafka = async (mode: 'backfill' | 'paced') => {
      const id = `video-${mode}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 7)}`;
      const topics = {
        detections: `detections.${id}`,
        lineCounts: `line-counts.${id}`,
        movements: `movements.${id}`,
        sightingsRaw: `sightings-raw.${id}`,
        dlq: `dlq.${id}`,
      };
      const config = loadConfig({
        env: { KAFKA_BROKERS: brokers() },
        overrides: { topics, kafka: { groupPrefix: `g.${id}`, partitions: 4 }, sitesFile },
      });
      const transport = testTransport(config, { clientId: `test-${mode}` });
      await transport.ensureTopics(Object.values(topics).map((topic) => ({ topic, partitions: 4 })));
      const produce = (speed: number) =>
        runReplay(
          sim,
          { publish: (_t, recs) => transport.send(topics.detections, recs) },
          { topics: ['detections'], toS: 180, cameraIds: CAMERAS, speed, batch: 500, onProgress: () => undefined },
        );
      if (mode === 'backfill') await produce(Number.POSITIVE_INFINITY);
      const sinks = await startKafkaWorker({
        config,
        roles: ['sink-line-counts', 'sink-movements'],
        log,
        instanceId: 'sink',
        store,
      });
      const metrics = new StreamMetrics();
      const worker = await startKafkaWorker({ config, roles: ['video-flows'], log, instanceId: 'v0', metrics });
      if (mode === 'paced') await produce(20);
      await waitFor(
        `${mode}: video-flows consumed every frame`,
        () => sum(metrics, 'messagesIn', 'video-flows'),
        (n) => n >= frames.length,
        300_000,
      );
      await worker.stop(); // ends live tracks, emits the last aggregates
      const src = `kafka:${topics.lineCounts}/`;
      await waitFor(
        `${mode}: all crossings stored`,
        async () => (await aggregates(src)).lines.reduce((a, r) => a + Number(JSON.parse(r).n), 0),
        (n) => n >= crossings,
        120_000,
        1000,
      );
      await new Promise((r) => setTimeout(r, 2000));
      await sinks.stop();
      await transport.close();
      return {
        lines: (await aggregates(src)).lines,
        moves: (await aggregates(`kafka:${topics.movements}/`)).moves,
        deadLetters: await sum(metrics, 'deadLetters', 'video-flows'),
      };
    };
    for (const mode of ['backfill', 'paced'] as const) {
      const got = await viaKafka(mode);
      const n = got.lines.reduce((a, r) => a + Number(JSON.parse(r).n), 0);
      console.log(JSON.stringify({ mode, frames: frames.length, crossings: { embedded: crossings, [mode]: n } }));
      expect(got.deadLetters, mode).toBe(0);
      expect(got.lines, mode).toEqual(embedded.lines);
      expect(got.moves, mode).toEqual(embedded.moves);
    }
  }, 900_000);
});
