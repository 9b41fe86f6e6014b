/**
 * Video flows through the real Kafka broker vs embedded: the same scenario frames give the same stored
 * rows (Kafka batches and embedded publishes of another size: emission follows event time); and nothing identifying (track ids, boxes, plates) reaches any output topic, table or log.
 */
import { resolve } from 'node:path';
import { loadConfig } from '@passage/config';
import type { ReplayRecord } from '@passage/sim';
import { migrate, openStore, type Store } from '@passage/store';
import { createLogger } from '@passage/stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  brokers,
  isolatedConfig,
  REPO,
  spawnPassage,
  testTransportWithTopics,
  waitFor,
  waitForStable,
} from '../../../test/helpers.ts';
import { feedVideoWorker } from './fixtures/video-kafka.ts';
import { videoRecordsWithPlates } from './fixtures/video-records.ts';
import { startEmbedded, startKafkaWorker } from './runtime.ts';

const SCENARIO = resolve(REPO, 'infra/scenarios/chartres-centre');
const CAMERAS = ['cam-bd-nord', 'cam-marche', 'cam-parvis'];
const PLATE_RE = /[A-Z]{2}-\d{3}-[A-Z]{2}/;

let store: Store;
let records: ReplayRecord[];
const log = createLogger({ level: 'warn' });

beforeAll(async () => {
  store = openStore({ dataDir: ':memory:' });
  await migrate(store.client);
  records = await videoRecordsWithPlates(SCENARIO, CAMERAS);
});
afterAll(async () => {
  await store.close();
});

async function aggregates(s: Store) {
  const q = async (sql: string) =>
    (await s.client.query({ query: sql, format: 'JSONEachRow' })).json<Record<string, unknown>>();
  const lines = await q(
    'SELECT camera_id, line_id, direction, mode, minute, sum(count) AS n, round(sum(speed_sum), 6) AS sp FROM line_counts_1m GROUP BY ALL ORDER BY ALL',
  );
  const moves = await q(
    'SELECT camera_id, from_zone, to_zone, mode, minute, sum(count) AS n FROM movements_1m GROUP BY ALL ORDER BY ALL',
  );
  // The stored rows themselves (delivery bookkeeping aside): emission follows event time, not batches (issue 11).
  const rawLines = await q('SELECT * EXCEPT (_src, _offset) FROM line_counts_1m ORDER BY ALL');
  const rawMoves = await q('SELECT * EXCEPT (_src, _offset) FROM movements_1m ORDER BY ALL');
  return { lines, moves, rawLines, rawMoves };
}

async function dumpTables(s: Store): Promise<string> {
  const tables = await (
    await s.client.query({
      query: 'SELECT name FROM system.tables WHERE database = currentDatabase()',
      format: 'JSONEachRow',
    })
  ).json<{ name: string }>();
  let text = '';
  for (const { name } of tables) {
    if (name.endsWith('_mv')) continue;
    text += await (await s.client.query({ query: `SELECT * FROM ${name}`, format: 'TabSeparated' })).text();
  }
  return text;
}

describe('video flows', () => {
  it('Kafka and embedded give the same stored aggregates; no identifier leaves the worker', async () => {
    const frames = records.length;
    expect(frames).toBeGreaterThan(6000);
    const iso = isolatedConfig('video', { sitesFile: resolve(SCENARIO, 'scenario.json') });
    const env = { KAFKA_BROKERS: brokers(), PASSAGE_CONFIG: iso.file, PASSAGE_LOG_LEVEL: 'info' };
    const config = loadConfig({ env, file: iso.file });
    const transport = await testTransportWithTopics(config, 4, { groupPrefix: 'test' });
    const sink = await startKafkaWorker({
      config,
      roles: ['sink-line-counts', 'sink-movements'],
      log,
      instanceId: 'sink',
      store,
    });
    const worker = spawnPassage(['worker', '--role', 'video-flows', '--instance', 'v0'], env);
    await worker.ready;
    // The worker has consumed every frame (its committed offsets reach the end of the topic); then stop it: it ends
    // live tracks and emits the epochs the watermark had not passed yet.
    await feedVideoWorker(transport, config, records);
    const total = async () => {
      const rs = await store.client.query({
        query: 'SELECT sum(count) AS n FROM line_counts_1m',
        format: 'JSONEachRow',
      });
      return Number((await rs.json<{ n: string }>())[0].n);
    };
    worker.child.kill('SIGTERM');
    expect(await worker.exited).toBe(0);
    await waitForStable('stable totals', total, (n) => n > 0, 60_000, 1500);
    const viaKafka = await aggregates(store);

    // Output topics carry only aggregates.
    const outTexts: string[] = [];
    const c = transport.kafka.consumer({ groupId: `reader-${iso.id}` });
    await c.connect();
    await c.subscribe({ topics: [config.topics.lineCounts, config.topics.movements], fromBeginning: true });
    await c.run({ eachMessage: async ({ message }) => void outTexts.push(String(message.value)) });
    await waitFor(
      'output topics read',
      async () => outTexts.length,
      (n) => n > 0,
      30_000,
    );
    await new Promise((r) => setTimeout(r, 2000));
    await c.disconnect();
    const outText = outTexts.join('\n');
    expect(outText).not.toMatch(PLATE_RE);
    expect(outText).not.toMatch(/bbox|trackId|edgeTrackId|"emb"|"id"/);
    // Plates went to the raw sightings topic only (for the tokenizer).
    const rawPlates: string[] = [];
    const c2 = transport.kafka.consumer({ groupId: `reader2-${iso.id}` });
    await c2.connect();
    await c2.subscribe({ topic: config.topics.sightingsRaw, fromBeginning: true });
    await c2.run({ eachMessage: async ({ message }) => void rawPlates.push(String(message.value)) });
    await waitFor(
      'raw plates read',
      async () => rawPlates.length,
      (n) => n > 0,
      30_000,
    );
    await c2.disconnect();
    expect(rawPlates[0]).toMatch(PLATE_RE);
    // Logs of the worker.
    expect(worker.output()).not.toMatch(PLATE_RE);
    // Tables.
    const tablesText = await dumpTables(store);
    expect(tablesText).not.toMatch(PLATE_RE);
    await sink.stop();
    await transport.close();

    // Same frames embedded, in other batches (Kafka: fetches of the worker; here 37 frames per publish).
    for (const t of ['line_counts_1m', 'movements_1m']) await store.client.command({ query: `TRUNCATE TABLE ${t}` });
    const emb = await startEmbedded(config, store, log);
    for (let i = 0; i < records.length; i += 37) {
      await emb.bus.publish(
        config.topics.detections,
        records.slice(i, i + 37).map((r) => ({ key: r.key, value: Buffer.from(JSON.stringify(r.value)) })),
      );
    }
    await emb.close();
    const embedded = await aggregates(store);
    expect(embedded.lines.length).toBeGreaterThan(20);
    expect(viaKafka.lines).toEqual(embedded.lines);
    expect(viaKafka.moves).toEqual(embedded.moves);
    expect(viaKafka.rawLines).toEqual(embedded.rawLines);
    expect(viaKafka.rawMoves).toEqual(embedded.rawMoves);
  });
});
