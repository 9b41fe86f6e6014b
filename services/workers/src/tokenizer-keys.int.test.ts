/**
 * The tokenizer's key hand-over through the real broker (issue 12 item 5; docs/OD-AND-PRIVACY.md, Key hand-over):
 * a tokenizer restarted inside an epoch adopts the key from `<topics.sightings>.key` and gives the same tokens; at
 * rotation (+ the 5-min grace) the old key is tombstoned; the key topic's settings bound how long its bytes stay on
 * the broker; no key byte reaches the output topic, the dead letters or the worker's log (trace level). The trusted
 * clock is a test clock (startKafkaWorker's `clock`), so the hour's rotation takes no hour. The SIGKILL case with OD
 * trips is in od-crash.int.test.ts.
 */
import { loadConfig } from '@passage/config';
import { createLogger, type RawSighting, type TokenSighting } from '@passage/stream';
import { Kafka, logLevel } from 'kafkajs';
import { afterAll, describe, expect, it } from 'vitest';
import { brokers, isolatedConfig, readWholeTopic, testTransport, waitFor } from '../../../test/helpers.ts';
import { tokenizerKeyTopic } from './roles/tokenizer-keys.ts';
import { startKafkaWorker } from './runtime.ts';

const HOUR = 3_600_000;
const T0 = Date.parse('2026-03-10T07:00:00Z');
const EPOCH = T0 / HOUR;

const iso = isolatedConfig('tokkey');
const overrides = { ...iso.overrides, privacy: { rotationHours: 1 } };
const config = loadConfig({ env: { KAFKA_BROKERS: brokers() }, file: iso.file, overrides });
const kafka = new Kafka({ brokers: config.kafka.brokers, clientId: 't-keys', logLevel: logLevel.NOTHING });
const lines: string[] = [];
const log = createLogger({ level: 'trace', destination: { write: (l: string) => void lines.push(l) } });
const transport = testTransport(config, { clientId: 't', groupPrefix: 't' });
let now = T0 + 10 * 60_000;
const clock = { now: () => now };
const ids = Array.from({ length: 40 }, (_, i) => `00:1a:2b:00:01:${i.toString(16).padStart(2, '0')}`);

const admin = kafka.admin();
let scans = 0;
afterAll(async () => {
  await admin.disconnect();
  await transport.close();
});

/**
 * Every record of a topic as raw buffers (null: a tombstone), up to its end offsets now (`transactional`: the last
 * offset of a partition may be a commit marker).
 */
async function readAll(topic: string, transactional = false): Promise<{ key: string; value: Buffer | null }[]> {
  const recs = await readWholeTopic(kafka, admin, `scan.${topic}.${scans++}`, topic, transactional ? 1 : 0);
  return recs.map((r) => {
    const i = r.indexOf('=');
    const v = r.slice(i + 1);
    return { key: r.slice(0, i), value: v === 'undefined' ? null : Buffer.from(v, 'latin1') };
  });
}

/** Sends one sighting per id at the clock's time and returns the tokens, in id order, once they are all out. */
async function tokensNow(): Promise<string[]> {
  const ts = now;
  const raw: RawSighting[] = ids.map((id, i) => ({ siteId: `wifi-${i % 3}`, ts, kind: 'wifi', id }));
  await transport.send(
    config.topics.sightingsRaw,
    raw.map((s) => ({ key: s.siteId, value: JSON.stringify(s) })),
  );
  const out = await waitFor(
    'tokens out',
    async () =>
      (await readAll(config.topics.sightings, true))
        .map((r) => JSON.parse((r.value as Buffer).toString()) as TokenSighting)
        .filter((t) => t.ts === ts),
    (r) => r.length >= ids.length,
    60_000,
    300,
  );
  // One token per id; compared as sets (partitions interleave).
  expect(out).toHaveLength(ids.length);
  return out.map((t) => t.token).sort();
}

describe('tokenizer key hand-over through the real broker', () => {
  it('restart keeps the tokens; rotation tombstones the old key; no key byte in outputs, DLQ or logs', async () => {
    await admin.connect();
    await transport.ensureTopics(Object.values(config.topics).map((topic) => ({ topic, partitions: 2 })));
    const start = () => startKafkaWorker({ config, roles: ['tokenizer'], log, instanceId: 'tok-0', clock });
    let w = await start();
    const first = await tokensNow();
    expect(new Set(first).size).toBe(ids.length);
    const keyTopic = tokenizerKeyTopic(config);
    let keys = await readAll(keyTopic);
    expect(keys.map((r) => [r.key, r.value?.length])).toEqual([[`${HOUR}/0/${EPOCH}`, 61]]);

    // The topic's settings: compacted and deleted by time (rotation + grace + 10 min).
    const described = await admin.describeConfigs({
      resources: [{ type: 2, name: keyTopic }],
      includeSynonyms: false,
    });
    const cfg = Object.fromEntries(described.resources[0].configEntries.map((e) => [e.configName, e.configValue]));
    expect(cfg).toMatchObject({
      'cleanup.policy': 'compact,delete',
      'retention.ms': String(HOUR + 300_000 + 600_000),
      'segment.ms': '60000',
      'delete.retention.ms': '60000',
    });

    // A restart 20 minutes later in the same epoch: the same tokens, the key not written again.
    await w.stop();
    now = T0 + 30 * 60_000;
    w = await start();
    expect(await tokensNow()).toEqual(first);
    expect(await readAll(keyTopic)).toHaveLength(1);

    // Next epoch: a new key (written before its tokens); at the end of the grace the old one is tombstoned.
    now = T0 + HOUR + 60_000;
    const second = await tokensNow();
    expect(second.filter((t) => first.includes(t))).toEqual([]);
    now = T0 + HOUR + 6 * 60_000;
    await tokensNow();
    keys = await waitFor(
      'old key tombstoned',
      () => readAll(keyTopic),
      (r) => r.length >= 3,
      60_000,
      500,
    );
    expect(keys.map((r) => [r.key, r.value === null])).toEqual([
      [`${HOUR}/0/${EPOCH}`, false],
      [`${HOUR}/0/${EPOCH + 1}`, false],
      [`${HOUR}/0/${EPOCH}`, true],
    ]);
    await w.stop();

    // A restart after the rotation adopts only the new epoch's key: the old tokens cannot come back.
    now = T0 + HOUR + 7 * 60_000;
    w = await start();
    expect(await tokensNow()).toEqual(second);
    await w.stop();

    // The key bytes (plain records: 29-byte header + 32-byte key) appear nowhere else.
    const keyBytes = keys.filter((r) => r.value !== null).map((r) => (r.value as Buffer).subarray(29));
    const outputs = [
      ...(await readAll(config.topics.sightings, true)),
      ...(await readAll(config.topics.dlq, true)),
    ].map((r) => r.value ?? Buffer.alloc(0));
    expect(outputs.length).toBeGreaterThanOrEqual(5 * ids.length);
    const logText = lines.join('\n');
    expect(logText).toContain('tokenizer key hand-over read');
    for (const k of keyBytes) {
      for (const o of outputs) expect(o.includes(k.subarray(0, 12))).toBe(false);
      for (const enc of ['hex', 'base64', 'base64url', 'latin1'] as const) {
        const s = k.toString(enc).slice(0, 16);
        expect(logText.includes(s)).toBe(false);
        for (const o of outputs) expect(o.toString('latin1').includes(s)).toBe(false);
      }
    }
  }, 300_000);
});
