/**
 * Kafka TLS and SASL (issue 12 item 8) against a broker of this test's own with secured listeners (a CA and
 * certificates made with openssl at test time, SCRAM users written at storage format): a worker configured through
 * the environment (KAFKA_SSL_CA, KAFKA_SASL_*, KAFKA_SSL_CERT/KEY) runs counts → counts.norm → counts_1m with PLAIN,
 * SCRAM-SHA-256, SCRAM-SHA-512 and mutual TLS; a wrong password, an unknown user, a CA that did not sign the broker
 * and a missing client certificate fail at start with PASSAGE_KAFKA_AUTH / PASSAGE_KAFKA_TLS, never echoing the secret.
 */
import { loadConfig, PassageError } from '@passage/config';
import { type SecureBrokerHandle, startSecureBroker } from '@passage/kafka-local/secure';
import { migrate, openStore, type Store } from '@passage/store';
import { type CountRecord, createLogger, kafkaConnection } from '@passage/stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testTransport, waitFor } from '../../../test/helpers.ts';
import { startKafkaWorker } from './runtime.ts';

const USER = 'passage-worker';
const PASSWORD = 'Corr3ct-Horse-Battery';
const WRONG = 'Wr0ng-Password-Xyzzy';
const T0 = Date.UTC(2026, 2, 10, 7, 0);

let broker: SecureBrokerHandle;
let store: Store;
const lines: string[] = [];
const log = createLogger({ level: 'debug', destination: { write: (l: string) => void lines.push(l) } });

beforeAll(async () => {
  broker = await startSecureBroker({ [USER]: PASSWORD });
  store = openStore({ dataDir: ':memory:' });
  await migrate(store.client);
}, 180_000);
afterAll(async () => {
  await store?.close();
  await broker?.stop();
});

function configFor(tag: string, env: Record<string, string>) {
  const topics = {
    counts: `counts.${tag}`,
    countsNorm: `norm.${tag}`,
    sensorHealth: `health.${tag}`,
    dlq: `dlq.${tag}`,
  };
  return loadConfig({ env, overrides: { topics, kafka: { groupPrefix: `g.${tag}`, partitions: 1 } } });
}

async function storedFor(sensor: string): Promise<number> {
  const rs = await store.client.query({
    query: `SELECT sum(raw_count) AS n FROM counts_1m WHERE interval = '1m' AND sensor_id = {s:String}`,
    query_params: { s: sensor },
    format: 'JSONEachRow',
  });
  return Number((await rs.json<{ n: number }>())[0]?.n ?? 0);
}

/** Produces 10 minutes of counts for `sensor` and runs counts + sink-counts with `config` until they are stored. */
async function roundTrip(tag: string, env: Record<string, string>): Promise<number> {
  const config = configFor(tag, env);
  const transport = testTransport(config, { clientId: `sec-${tag}`, log });
  const sensor = `loop-${tag}`;
  const recs: CountRecord[] = Array.from({ length: 10 }, (_, m) => ({
    sensorId: sensor,
    start: T0 + m * 60_000,
    end: T0 + (m + 1) * 60_000,
    direction: 'in',
    mode: 'car',
    count: m + 1,
  }));
  await transport.ensureTopics(Object.values(config.topics).map((topic) => ({ topic, partitions: 1 })));
  await transport.send(
    config.topics.counts,
    recs.map((r) => ({ key: sensor, value: JSON.stringify(r) })),
  );
  const worker = await startKafkaWorker({ config, roles: ['counts', 'sink-counts'], log, instanceId: tag, store });
  try {
    return await waitFor(
      'counts stored',
      () => storedFor(sensor),
      (n) => n >= 55,
      90_000,
      500,
    );
  } finally {
    await worker.stop();
    await transport.close();
  }
}

async function startFailure(tag: string, env: Record<string, string>): Promise<PassageError> {
  const config = configFor(tag, env);
  const started = Date.now();
  const err = await startKafkaWorker({ config, roles: ['counts'], log, instanceId: tag }).then(
    async (w) => {
      await w.stop();
      return new Error('the worker started');
    },
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(PassageError);
  // Refused at once, not retried for minutes as if the broker were down.
  expect(Date.now() - started).toBeLessThan(30_000);
  return err as PassageError;
}

describe('Kafka TLS and SASL', () => {
  it('a worker round-trip works with PLAIN, SCRAM-SHA-256, SCRAM-SHA-512 over TLS and with mutual TLS', async () => {
    const sasl = (mechanism: string) => ({
      KAFKA_BROKERS: broker.saslSsl,
      KAFKA_SSL_CA: broker.pki.ca,
      KAFKA_SASL_MECHANISM: mechanism,
      KAFKA_SASL_USERNAME: USER,
      KAFKA_SASL_PASSWORD: PASSWORD,
    });
    expect(await roundTrip('plain', sasl('plain'))).toBe(55);
    expect(await roundTrip('scram256', sasl('scram-sha-256'))).toBe(55);
    expect(await roundTrip('scram512', sasl('scram-sha-512'))).toBe(55);
    const mtls = {
      KAFKA_BROKERS: broker.mtls,
      KAFKA_SSL_CA: broker.pki.ca,
      KAFKA_SSL_CERT: broker.pki.clientCert,
      KAFKA_SSL_KEY: broker.pki.clientKey,
    };
    expect(await roundTrip('mtls', mtls)).toBe(55);
    // The password never reached a log line.
    expect(lines.length).toBeGreaterThan(0);
    expect(lines.join('\n')).not.toContain(PASSWORD);
  }, 240_000);

  it('wrong credentials or certificates fail at start with a clear PassageError, no secret echoed', async () => {
    const base = { KAFKA_BROKERS: broker.saslSsl, KAFKA_SSL_CA: broker.pki.ca };
    for (const mechanism of ['plain', 'scram-sha-256', 'scram-sha-512']) {
      const e = await startFailure(`bad-${mechanism}`, {
        ...base,
        KAFKA_SASL_MECHANISM: mechanism,
        KAFKA_SASL_USERNAME: USER,
        KAFKA_SASL_PASSWORD: WRONG,
      });
      expect(e.code, mechanism).toBe('PASSAGE_KAFKA_AUTH');
      expect(e.message).toContain('KAFKA_SASL_PASSWORD');
      expect(e.message).not.toContain(WRONG);
      expect(e.message).not.toContain(PASSWORD);
    }
    const unknown = await startFailure('bad-user', {
      ...base,
      KAFKA_SASL_MECHANISM: 'scram-sha-512',
      KAFKA_SASL_USERNAME: 'nobody',
      KAFKA_SASL_PASSWORD: WRONG,
    });
    expect(unknown.code).toBe('PASSAGE_KAFKA_AUTH');
    expect(unknown.message).not.toContain(WRONG);
    // A CA that did not sign the broker's certificate: TLS refuses the broker.
    const badCa = await startFailure('bad-ca', {
      ...base,
      KAFKA_SSL_CA: broker.pki.otherCa,
      KAFKA_SASL_MECHANISM: 'scram-sha-512',
      KAFKA_SASL_USERNAME: USER,
      KAFKA_SASL_PASSWORD: PASSWORD,
    });
    expect(badCa.code).toBe('PASSAGE_KAFKA_TLS');
    expect(badCa.message).toContain('KAFKA_SSL_CA');
    expect(badCa.message).not.toContain(PASSWORD);
    // Mutual TLS without a client certificate: the broker closes the handshake.
    const noCert = await startFailure('no-cert', { KAFKA_BROKERS: broker.mtls, KAFKA_SSL_CA: broker.pki.ca });
    expect(noCert.code).toBe('PASSAGE_KAFKA_TLS');
    expect(lines.join('\n')).not.toContain(WRONG);
    expect(lines.join('\n')).not.toContain(PASSWORD);
  }, 180_000);

  it('config: SASL without a password and a certificate without its key are refused before connecting', () => {
    expect(() =>
      kafkaConnection(configFor('c1', { KAFKA_SASL_MECHANISM: 'scram-sha-256', KAFKA_SASL_USERNAME: USER }).kafka),
    ).toThrow(/PASSAGE_KAFKA_AUTH|KAFKA_SASL_PASSWORD/);
    expect(() => kafkaConnection(configFor('c2', { KAFKA_SSL_CERT: '/nonexistent.pem' }).kafka)).toThrow(
      /KAFKA_SSL_KEY/,
    );
    expect(() => kafkaConnection(configFor('c3', { KAFKA_SSL_CA: '/nonexistent/ca.pem' }).kafka)).toThrow(
      /Cannot read the Kafka CA certificate file/,
    );
    expect(() => configFor('c4', { KAFKA_SSL: 'maybe' })).toThrow(/must be true or false/);
    expect(configFor('c5', { KAFKA_SSL: 'true' }).kafka.ssl.enabled).toBe(true);
  });
});
