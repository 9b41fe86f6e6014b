import { readFileSync } from 'node:fs';
import type { ConnectionOptions } from 'node:tls';
import { type Config, PassageError } from '@passage/config';
import type { SASLOptions } from 'kafkajs';

/** TLS and SASL options handed to kafkajs (`new Kafka({ ssl, sasl })`). */
export interface KafkaSecurity {
  ssl?: ConnectionOptions | boolean;
  sasl?: SASLOptions;
}

type KafkaSecurityConfig = Pick<Config['kafka'], 'ssl' | 'sasl'>;

function readPem(path: string, what: string, envName: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (e) {
    throw new PassageError(
      'PASSAGE_KAFKA_TLS',
      `Cannot read the Kafka ${what} file ${path} (${(e as NodeJS.ErrnoException).code ?? 'unreadable'}): fix ${envName}` +
        ' (a PEM file) or the matching kafka.ssl key.',
    );
  }
}

/**
 * kafkajs security options from `kafka.ssl` / `kafka.sasl` (issue 12 item 8). PEM files are read once here; a
 * missing file or an incomplete setting fails with a PassageError that never shows the password.
 */
export function kafkaSecurity(cfg: KafkaSecurityConfig): KafkaSecurity {
  const out: KafkaSecurity = {};
  const { ssl, sasl } = cfg;
  if (ssl.enabled || ssl.ca || ssl.cert || ssl.key) {
    if (Boolean(ssl.cert) !== Boolean(ssl.key)) {
      throw new PassageError(
        'PASSAGE_KAFKA_TLS',
        'A Kafka client certificate needs both KAFKA_SSL_CERT (kafka.ssl.cert) and KAFKA_SSL_KEY (kafka.ssl.key): set both or neither.',
      );
    }
    const tls: ConnectionOptions = { rejectUnauthorized: ssl.rejectUnauthorized };
    if (ssl.ca) tls.ca = [readPem(ssl.ca, 'CA certificate', 'KAFKA_SSL_CA')];
    if (ssl.cert) tls.cert = readPem(ssl.cert, 'client certificate', 'KAFKA_SSL_CERT');
    if (ssl.key) tls.key = readPem(ssl.key, 'client key', 'KAFKA_SSL_KEY');
    if (ssl.keyPassword) tls.passphrase = ssl.keyPassword;
    if (ssl.servername) tls.servername = ssl.servername;
    out.ssl = tls;
  }
  if (sasl.mechanism) {
    if (!sasl.username || !sasl.password) {
      throw new PassageError(
        'PASSAGE_KAFKA_AUTH',
        `Kafka SASL ${sasl.mechanism} needs a user name and a password: set KAFKA_SASL_USERNAME and KAFKA_SASL_PASSWORD` +
          ' (kafka.sasl.username / kafka.sasl.password).',
      );
    }
    out.sasl = { mechanism: sasl.mechanism, username: sasl.username, password: sasl.password } as SASLOptions;
  } else if (sasl.username || sasl.password) {
    throw new PassageError(
      'PASSAGE_KAFKA_AUTH',
      'Kafka SASL credentials are set but no mechanism: set KAFKA_SASL_MECHANISM (kafka.sasl.mechanism) to plain,' +
        ' scram-sha-256 or scram-sha-512.',
    );
  }
  return out;
}

const AUTH_ERRORS = new Set(['KafkaJSSASLAuthenticationError']);

/**
 * A PassageError for a connection that failed because of credentials or TLS, or undefined for any other error (a
 * broker that is down is retried). The message names the setting to fix and never carries a secret.
 */
export function securityFailure(e: unknown, sec: KafkaSecurity | undefined): PassageError | undefined {
  if (e instanceof PassageError)
    return e.code === 'PASSAGE_KAFKA_AUTH' || e.code === 'PASSAGE_KAFKA_TLS' ? e : undefined;
  const chain: { name?: string; message?: string; code?: string }[] = [];
  for (
    let cur = e as { name?: string; message?: string; code?: string; cause?: unknown; originalError?: unknown };
    cur;
  ) {
    chain.push(cur);
    cur = (cur.originalError ?? cur.cause) as typeof cur;
    if (chain.length > 8) break;
  }
  const auth = chain.find(
    (c) =>
      AUTH_ERRORS.has(c.name ?? '') ||
      /SASL .*authentication failed|Authentication failed|ILLEGAL_SASL_STATE|UNSUPPORTED_SASL_MECHANISM/i.test(
        c.message ?? '',
      ),
  );
  if (auth) {
    const mech = sec?.sasl?.mechanism ?? 'none';
    const user = sec?.sasl && 'username' in sec.sasl ? sec.sasl.username : '';
    return new PassageError(
      'PASSAGE_KAFKA_AUTH',
      `The Kafka brokers refused the SASL ${mech} login${user ? ` of user "${user}"` : ''}: check KAFKA_SASL_MECHANISM,` +
        ' KAFKA_SASL_USERNAME and KAFKA_SASL_PASSWORD (kafka.sasl.*) and the user on the cluster.',
    );
  }
  const tls = chain.find((c) =>
    /^(CERT_|UNABLE_TO_|DEPTH_ZERO_SELF_SIGNED_CERT|SELF_SIGNED_CERT_IN_CHAIN|ERR_TLS_CERT_ALTNAME_INVALID|ERR_SSL_)/.test(
      c.code ?? '',
    ),
  );
  if (tls) {
    return new PassageError(
      'PASSAGE_KAFKA_TLS',
      `TLS to the Kafka brokers failed (${tls.code}): check KAFKA_SSL_CA (the CA that signed the broker certificate),` +
        ' KAFKA_SSL_SERVERNAME and, for mutual TLS, KAFKA_SSL_CERT / KAFKA_SSL_KEY.',
    );
  }
  return undefined;
}

/** Strips a password out of any text (a last guard for logs of connection errors). */
export function redactSecret(text: string, sec: KafkaSecurity | undefined): string {
  const pw = sec?.sasl && 'password' in sec.sasl ? sec.sasl.password : '';
  return pw ? text.split(pw).join('***') : text;
}

/** The connection settings of `config.kafka` that every KafkaTransport takes (security, replication). */
export function kafkaConnection(cfg: KafkaSecurityConfig & Pick<Config['kafka'], 'replicationFactor'>): {
  security: KafkaSecurity;
  replicationFactor: number;
} {
  return { security: kafkaSecurity(cfg), replicationFactor: cfg.replicationFactor };
}
