import type { Config } from '@passage/config';
import type { KafkaTransport, Logger } from '@passage/stream';
import type { TokenizerKeyStore } from './tokenizer.ts';

type Kafka = KafkaTransport['kafka'];

/** The tokenizer's key hand-over topic (docs/OD-AND-PRIVACY.md, Key hand-over). Never an output of any role. */
export const tokenizerKeyTopic = (config: Config): string => `${config.topics.sightings}.key`;

/** Grace of the tokenizer (core Tokenizer default): the previous key lives this long after its epoch's end. */
const GRACE_MS = 300_000;

/**
 * Topic settings of the key topic: one partition; compacted (a tombstone supersedes the key at once for every
 * reader) AND deleted by time, so that the bytes of a key are physically gone from the broker's disk within a bound
 * that does not depend on the cleaner: `retention.ms` = rotation + grace + 10 min (a key is written at the earliest
 * at its epoch's start and needed until the epoch's end + grace), and Kafka also deletes the active segment once
 * every record in it is older than that (it rolls it first). Small segments (`segment.ms` 60 s), no compaction lag
 * and a low dirty ratio let the cleaner drop a tombstoned key earlier, once a later record closed its segment;
 * `delete.retention.ms` 60 s removes the tombstones themselves soon after.
 */
export function tokenizerKeyTopicConfig(config: Config): { name: string; value: string }[] {
  const rotationMs = Math.round(config.privacy.rotationHours * 3_600_000);
  return [
    { name: 'cleanup.policy', value: 'compact,delete' },
    { name: 'retention.ms', value: String(rotationMs + GRACE_MS + 600_000) },
    { name: 'segment.ms', value: '60000' },
    { name: 'min.compaction.lag.ms', value: '0' },
    { name: 'max.compaction.lag.ms', value: '60000' },
    { name: 'min.cleanable.dirty.ratio', value: '0.01' },
    { name: 'delete.retention.ms', value: '60000' },
  ];
}

/**
 * The Kafka side of the tokenizer's key hand-over (roles/tokenizer.ts): creates the key topic, reads its live
 * records at start, writes keys and tombstones with an idempotent producer and acks=all. Logs topic names, counts
 * and errors only, never a record.
 */
export function kafkaTokenizerKeyStore(kafka: Kafka, config: Config, log: Logger): TokenizerKeyStore {
  const topic = tokenizerKeyTopic(config);
  let producer: ReturnType<Kafka['producer']> | undefined;
  const send = async (key: string, value: Buffer | null, timestamp: number) => {
    if (!producer) {
      const p = kafka.producer({ idempotent: true, maxInFlightRequests: 1, allowAutoTopicCreation: false });
      await p.connect();
      producer = p;
    }
    try {
      await producer.send({ topic, acks: -1, messages: [{ key, value, timestamp: String(Math.round(timestamp)) }] });
    } catch (e) {
      const p = producer;
      producer = undefined;
      await p.disconnect().catch(() => undefined);
      throw e;
    }
  };
  return {
    async load() {
      const admin = kafka.admin();
      await admin.connect();
      const latest = new Map<string, Buffer>();
      try {
        if (!(await admin.listTopics()).includes(topic)) {
          await admin
            .createTopics({
              waitForLeaders: true,
              topics: [
                {
                  topic,
                  numPartitions: 1,
                  replicationFactor: config.kafka.replicationFactor,
                  configEntries: tokenizerKeyTopicConfig(config),
                },
              ],
            })
            .catch((e: { type?: string; errors?: { type?: string }[] }) => {
              const errs = e.errors ?? [];
              if (!(errs.length > 0 && errs.every((x) => x.type === 'TOPIC_ALREADY_EXISTS'))) throw e;
            });
          log.info({ topic }, 'tokenizer key topic created');
          return latest;
        }
        const [o] = await admin.fetchTopicOffsets(topic);
        const high = BigInt(o?.high ?? '0');
        if (o === undefined || BigInt(o.low) >= high) return latest;
        const groupId = `${config.kafka.groupPrefix}.tokenizer.keys.${process.pid}.${Date.now()}`;
        const c = kafka.consumer({ groupId, sessionTimeout: config.kafka.sessionTimeoutMs });
        let done = false;
        await c.connect();
        try {
          await c.subscribe({ topic, fromBeginning: true });
          await c.run({
            autoCommit: false,
            eachMessage: async ({ message: m }) => {
              const k = m.key?.toString();
              if (k !== undefined) {
                latest.get(k)?.fill(0);
                if (m.value === null) latest.delete(k);
                else latest.set(k, m.value);
              }
              if (BigInt(m.offset) + 1n >= high) done = true;
            },
          });
          // Up to the end offset seen at start: the last record is in the active segment, which the cleaner never
          // touches (and a topic emptied by retention has low = high, above). Non-transactional: no markers.
          const t0 = Date.now();
          while (!done && Date.now() - t0 < 60_000) await new Promise((r) => setTimeout(r, 50));
          if (!done) throw new Error(`key topic ${topic} could not be read within 60 s`);
        } finally {
          await c.disconnect().catch(() => undefined);
          await admin.deleteGroups([groupId]).catch(() => undefined);
        }
        log.info({ topic, keys: latest.size }, 'tokenizer key topic read');
        return latest;
      } finally {
        await admin.disconnect().catch(() => undefined);
      }
    },
    put: (key, value, timestamp) => send(key, value, timestamp),
    remove: (key, timestamp) => send(key, null, timestamp),
    async close() {
      await producer?.disconnect().catch(() => undefined);
      producer = undefined;
    },
  };
}
