/**
 * A local broker with secured listeners, for tests of Passage's Kafka TLS / SASL settings (issue 12 item 8):
 * a throw-away CA and certificates made with openssl, SCRAM users written at storage format time
 * (`kafka-storage format --add-scram`), PLAIN users in the listener's JAAS config.
 *
 * Listeners: PLAINTEXT (inter-broker and the readiness probe), SASL_SSL (PLAIN, SCRAM-SHA-256, SCRAM-SHA-512) and
 * SSL with a required client certificate (mutual TLS), all on 127.0.0.1.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassageError } from '@passage/config';
import { type BrokerHandle, freePorts, startBroker } from './broker.ts';

export interface TestPki {
  dir: string;
  /** PEM files. */
  ca: string;
  serverCert: string;
  serverKey: string;
  clientCert: string;
  clientKey: string;
  /** PKCS#12 keystore of the server (key + chain) and its password. */
  serverP12: string;
  storePassword: string;
  /** A second, unrelated CA (a client trusting it must refuse the broker). */
  otherCa: string;
}

function openssl(args: string[], cwd: string): void {
  const r = spawnSync('openssl', args, { cwd, encoding: 'utf8' });
  if (r.error || r.status !== 0) {
    throw new PassageError(
      'PASSAGE_KAFKA_TLS',
      `openssl ${args[0]} failed (${r.error?.message ?? r.stderr.trim().slice(-500)}): install openssl to run the TLS tests.`,
    );
  }
}

/** A CA, a server certificate for 127.0.0.1/localhost and a client certificate, all signed by the CA (1 day). */
export function createTestPki(dir = mkdtempSync(join(tmpdir(), 'passage-pki-'))): TestPki {
  mkdirSync(dir, { recursive: true });
  const storePassword = 'passage-test-store';
  const ext = join(dir, 'san.ext');
  writeFileSync(ext, 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth,clientAuth\n');
  const newCa = (name: string) =>
    openssl(
      ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', `/CN=${name}`].concat([
        '-keyout',
        `${name}.key`,
        '-out',
        `${name}.pem`,
      ]),
      dir,
    );
  newCa('passage-test-ca');
  newCa('other-ca');
  const leaf = (name: string, cn: string) => {
    openssl(
      ['req', '-newkey', 'rsa:2048', '-nodes', '-subj', `/CN=${cn}`, '-keyout', `${name}.key`, '-out', `${name}.csr`],
      dir,
    );
    openssl(
      ['x509', '-req', '-in', `${name}.csr`, '-CA', 'passage-test-ca.pem', '-CAkey', 'passage-test-ca.key'].concat([
        '-CAcreateserial',
        '-days',
        '1',
        '-extfile',
        ext,
        '-out',
        `${name}.pem`,
      ]),
      dir,
    );
  };
  leaf('server', 'localhost');
  leaf('client', 'passage-worker');
  openssl(
    ['pkcs12', '-export', '-in', 'server.pem', '-inkey', 'server.key', '-certfile', 'passage-test-ca.pem'].concat([
      '-name',
      'server',
      '-out',
      'server.p12',
      '-passout',
      `pass:${storePassword}`,
    ]),
    dir,
  );
  return {
    dir,
    ca: join(dir, 'passage-test-ca.pem'),
    serverCert: join(dir, 'server.pem'),
    serverKey: join(dir, 'server.key'),
    clientCert: join(dir, 'client.pem'),
    clientKey: join(dir, 'client.key'),
    serverP12: join(dir, 'server.p12'),
    storePassword,
    otherCa: join(dir, 'other-ca.pem'),
  };
}

export interface SecureBrokerHandle extends BrokerHandle {
  pki: TestPki;
  /** SASL_SSL bootstrap (PLAIN, SCRAM-SHA-256, SCRAM-SHA-512). */
  saslSsl: string;
  /** SSL bootstrap with a required client certificate. */
  mtls: string;
}

/**
 * Starts a broker with SASL_SSL and mutual-TLS listeners. `users`: name → password; each is a PLAIN user and a
 * SCRAM-SHA-256 and SCRAM-SHA-512 user.
 */
export async function startSecureBroker(users: Record<string, string>): Promise<SecureBrokerHandle> {
  const pki = createTestPki();
  const [port, controllerPort, saslPort, mtlsPort] = await freePorts(4);
  const q = (v: string) => JSON.stringify(v);
  const plainUsers = Object.entries(users)
    .map(([u, p]) => `user_${u}=${q(p)}`)
    .join(' ');
  const scram = Object.entries(users).flatMap(([u, p]) =>
    ['SCRAM-SHA-256', 'SCRAM-SHA-512'].flatMap((m) => ['--add-scram', `${m}=[name=${u},password=${p}]`]),
  );
  const b = await startBroker({
    port,
    controllerPort,
    quiet: true,
    formatArgs: scram,
    properties: {
      listeners: [
        `PLAINTEXT://127.0.0.1:${port}`,
        `CONTROLLER://127.0.0.1:${controllerPort}`,
        `SASL_SSL://127.0.0.1:${saslPort}`,
        `SSL://127.0.0.1:${mtlsPort}`,
      ].join(','),
      'advertised.listeners': [
        `PLAINTEXT://127.0.0.1:${port}`,
        `SASL_SSL://127.0.0.1:${saslPort}`,
        `SSL://127.0.0.1:${mtlsPort}`,
      ].join(','),
      'listener.security.protocol.map': 'PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT,SASL_SSL:SASL_SSL,SSL:SSL',
      'sasl.enabled.mechanisms': 'PLAIN,SCRAM-SHA-256,SCRAM-SHA-512',
      'listener.name.sasl_ssl.plain.sasl.jaas.config': `org.apache.kafka.common.security.plain.PlainLoginModule required ${plainUsers};`,
      'listener.name.sasl_ssl.scram-sha-256.sasl.jaas.config':
        'org.apache.kafka.common.security.scram.ScramLoginModule required;',
      'listener.name.sasl_ssl.scram-sha-512.sasl.jaas.config':
        'org.apache.kafka.common.security.scram.ScramLoginModule required;',
      'ssl.keystore.type': 'PKCS12',
      'ssl.keystore.location': pki.serverP12,
      'ssl.keystore.password': pki.storePassword,
      'ssl.key.password': pki.storePassword,
      'ssl.truststore.type': 'PEM',
      'ssl.truststore.location': pki.ca,
      'listener.name.ssl.ssl.client.auth': 'required',
    },
  });
  const stop = b.stop;
  return {
    ...b,
    pki,
    saslSsl: `127.0.0.1:${saslPort}`,
    mtls: `127.0.0.1:${mtlsPort}`,
    async stop(timeoutMs?: number) {
      await stop(timeoutMs);
      rmSync(pki.dir, { recursive: true, force: true });
    },
  };
}
