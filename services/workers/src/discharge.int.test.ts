/**
 * Queue discharge (issue 13, item 2) through the real Kafka broker and chDB vs embedded: the video-flows worker's
 * discharge.v1 aggregates reach queue_discharge_15m with the same sums both ways, and carry no road-user time or id.
 */
import { resolve } from 'node:path';
import { loadConfig } from '@passage/config';
import type { ReplayRecord } from '@passage/sim';
import { migrate, openStore, type Store } from '@passage/store';
import { createLogger, StreamMetrics } from '@passage/stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  brokers,
  isolatedConfig,
  REPO,
  readWholeTopic,
  spawnPassage,
  testTransportWithTopics,
  waitForStable,
} from '../../../test/helpers.ts';
import { feedVideoWorker } from './fixtures/video-kafka.ts';
import { videoRecordsWithPlates } from './fixtures/video-records.ts';
import { startEmbedded, startKafkaWorker } from './runtime.ts';

const SCENARIO = resolve(REPO, 'infra/scenarios/chartres-centre');
/** Two signalised junctions whose approaches queue (chartres-centre r3a4, r3a2). */
const CAMERAS = ['cam-bd-sud', 'cam-bd-est'];

let store: Store;
let records: ReplayRecord[];
const log = createLogger({ level: 'warn' });

beforeAll(async () => {
  store = openStore({ dataDir: ':memory:' });
  await migrate(store.client);
  records = await videoRecordsWithPlates(SCENARIO, CAMERAS, 600);
});
afterAll(async () => {
  await store.close();
});

const sums = async (s: Store) =>
  (
    await s.client.query({
      query: `SELECT camera_id, from_zone, to_zone, toUInt32(toUnixTimestamp(window_start)) AS w, toString(sum(headways)) AS n,
        toString(sum(headway_sum_s)) AS h, toString(sum(pcu_sum)) AS p FROM queue_discharge_15m GROUP BY ALL ORDER BY ALL`,
      format: 'JSONEachRow',
    })
  ).json<{ camera_id: string; from_zone: string; to_zone: string; w: number; n: string; h: string; p: string }>();

describe('queue discharge', () => {
  it('Kafka and embedded store the same saturated-headway sums; the topic carries aggregates only', async () => {
    const iso = isolatedConfig('discharge', { sitesFile: resolve(SCENARIO, 'scenario.json') });
    const env = { KAFKA_BROKERS: brokers(), PASSAGE_CONFIG: iso.file, PASSAGE_LOG_LEVEL: 'info' };
    const config = loadConfig({ env, file: iso.file });
    const transport = await testTransportWithTopics(config, 2, { groupPrefix: 'test' });
    const sink = await startKafkaWorker({ config, roles: ['sink-discharge'], log, instanceId: 'sink', store });
    const worker = spawnPassage(['worker', '--role', 'video-flows', '--instance', 'v0'], env);
    await worker.ready;
    await feedVideoWorker(transport, config, records, 180_000);
    // A graceful stop emits the open quarter hours of discharge.
    worker.child.kill('SIGTERM');
    expect(await worker.exited).toBe(0);
    await waitForStable(
      'stable discharge rows',
      () => sums(store),
      (rows) => rows.length > 0,
      60_000,
      1500,
    );
    const viaKafka = await sums(store);
    // The topic: aggregates only (no track, id, box, plate or time of a road user).
    const admin = transport.kafka.admin();
    await admin.connect();
    const texts = (await readWholeTopic(transport.kafka, admin, `reader-${iso.id}`, config.topics.discharge)).map(
      (kv) => kv.slice(kv.indexOf('=') + 1),
    );
    await admin.disconnect();
    expect(texts.length).toBeGreaterThan(0);
    for (const t of texts) {
      expect(Object.keys(JSON.parse(t)).sort()).toEqual([
        'cameraId',
        'fromZone',
        'headwaySumS',
        'headways',
        'pcuSum',
        'siteId',
        'toZone',
        'windowStart',
      ]);
      expect(JSON.parse(t).windowStart % 900_000).toBe(0);
    }
    await sink.stop();
    await transport.close();

    // Same frames embedded, in other batches.
    await store.client.command({ query: 'TRUNCATE TABLE queue_discharge_15m' });
    const emb = await startEmbedded(config, store, log, new StreamMetrics(), {
      roles: ['video-flows', 'sink-discharge'],
    });
    for (let i = 0; i < records.length; i += 37) {
      await emb.bus.publish(
        config.topics.detections,
        records.slice(i, i + 37).map((r) => ({ key: r.key, value: Buffer.from(JSON.stringify(r.value)) })),
      );
    }
    await emb.close();
    const embedded = await sums(store);
    expect(viaKafka).toEqual(embedded);
    // Both signalised cameras saw queues discharge in the first 10 minutes (20 saturated headways when written: the
    // morning's first queues are short).
    const approach = embedded.filter((r) => r.to_zone === '*');
    expect(new Set(approach.map((r) => r.camera_id))).toEqual(new Set(CAMERAS));
    expect(approach.reduce((n, r) => n + Number(r.n), 0)).toBeGreaterThanOrEqual(15);
    // Saturation flows of a plausible size (PCU per hour of green over the approach's lanes).
    for (const r of approach) if (Number(r.n) >= 10) expect((3600 * Number(r.p)) / Number(r.h)).toBeGreaterThan(800);
  });
});
