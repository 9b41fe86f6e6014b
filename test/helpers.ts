import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Config } from '@passage/config';
import { createLogger, KafkaTransport, kafkaConnection, type Logger, StreamMetrics } from '@passage/stream';
import type { Admin, Kafka } from 'kafkajs';

export const REPO = resolve(import.meta.dirname, '..');
export const BIN = join(REPO, 'services/cli/bin/passage.js');

/** The broker started by the global setup. */
export function brokers(): string {
  const b = process.env.KAFKA_BROKERS;
  if (!b) throw new Error('KAFKA_BROKERS is not set: run the tests through vitest (its global setup starts a broker)');
  return b;
}

/** Unique topic names and group prefix for one test, written to a config file for child processes. */
export function isolatedConfig(tag: string, extra: Record<string, unknown> = {}) {
  const id = `${tag}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 7)}`;
  const topics = {
    events: `events.${id}`,
    eventTotals: `totals.${id}`,
    dlq: `dlq.${id}`,
    detections: `detections.${id}`,
    sensorHealth: `sensor-health.${id}`,
    counts: `counts.${id}`,
    sightingsRaw: `sightings-raw.${id}`,
    sightings: `sightings.${id}`,
    movements: `movements.${id}`,
    lineCounts: `line-counts.${id}`,
    od: `od.${id}`,
    countsNorm: `counts-norm.${id}`,
    discharge: `discharge.${id}`,
  };
  const overrides = { topics, kafka: { groupPrefix: `g.${id}`, partitions: 4 }, ...extra };
  const dir = mkdtempSync(join(tmpdir(), 'passage-test-'));
  const file = join(dir, 'config.json');
  writeFileSync(file, JSON.stringify(overrides));
  return { id, topics, overrides, file, dir };
}

export interface TestTransportOptions {
  /** Default 'test'. */
  clientId?: string;
  /** Default a warn-level logger. */
  log?: Logger;
  /** Default fresh StreamMetrics. */
  metrics?: StreamMetrics;
  /** Default `config.kafka.groupPrefix`. */
  groupPrefix?: string;
}

/** A KafkaTransport for a test: the brokers and connection settings (security, replication) of `config.kafka`. */
export function testTransport(config: Config, opts: TestTransportOptions = {}): KafkaTransport {
  return new KafkaTransport({
    brokers: config.kafka.brokers,
    clientId: opts.clientId ?? 'test',
    log: opts.log ?? createLogger({ level: 'warn' }),
    metrics: opts.metrics ?? new StreamMetrics(),
    groupPrefix: opts.groupPrefix ?? config.kafka.groupPrefix,
    ...kafkaConnection(config.kafka),
  });
}

/** Creates every topic of `config.topics` (those missing) with `partitions` partitions. */
export async function ensureConfigTopics(transport: KafkaTransport, config: Config, partitions: number): Promise<void> {
  await transport.ensureTopics(Object.values(config.topics).map((topic) => ({ topic, partitions })));
}

/** {@link testTransport}, then {@link ensureConfigTopics} with `partitions` partitions. */
export async function testTransportWithTopics(
  config: Config,
  partitions: number,
  opts: TestTransportOptions = {},
): Promise<KafkaTransport> {
  const transport = testTransport(config, opts);
  await ensureConfigTopics(transport, config, partitions);
  return transport;
}

export interface WorkerProcess {
  child: ChildProcess;
  output: () => string;
  ready: Promise<void>;
  exited: Promise<number | null>;
}

/** Spawns `passage <args>` and resolves `ready` when it prints READY. */
export function spawnPassage(args: string[], env: Record<string, string>): WorkerProcess {
  const child = spawn(process.execPath, [BIN, ...args], {
    env: { ...process.env, PASSAGE_LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  const ready = new Promise<void>((res, rej) => {
    const onData = (d: Buffer) => {
      out += d.toString();
      if (out.includes('READY')) res();
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', (d: Buffer) => {
      out += d.toString();
    });
    child.once('exit', (code) => rej(new Error(`passage ${args.join(' ')} exited with ${code}:\n${out.slice(-3000)}`)));
  });
  ready.catch(() => undefined);
  const exited = new Promise<number | null>((res) => child.once('exit', (code) => res(code)));
  return { child, output: () => out, ready, exited };
}

export async function waitFor<T>(
  what: string,
  fn: () => Promise<T>,
  done: (v: T) => boolean,
  timeoutMs = 120000,
  everyMs = 250,
): Promise<T> {
  const t0 = Date.now();
  let last: T = await fn();
  while (!done(last)) {
    if (Date.now() - t0 > timeoutMs)
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}; last value ${JSON.stringify(last)}`);
    await new Promise((r) => setTimeout(r, everyMs));
    last = await fn();
  }
  return last;
}

/**
 * Polls `read` until two successive readings are equal (compared as JSON) and `ready` holds for the last one, e.g.
 * until a sink has stored everything a stopped worker flushed; returns that reading.
 */
export async function waitForStable<T>(
  what: string,
  read: () => Promise<T>,
  ready: (v: T) => boolean,
  timeoutMs = 60_000,
  everyMs = 1000,
): Promise<T> {
  let prev: string | undefined;
  let last = undefined as T;
  await waitFor(
    what,
    async () => {
      last = await read();
      const key = JSON.stringify(last);
      const stable = key === prev && ready(last);
      prev = key;
      return stable;
    },
    (s) => s,
    timeoutMs,
    everyMs,
  );
  return last;
}

/**
 * Every record of `topic` from its beginning (not only the latest per key), as `key=value` in latin1: what a
 * checkpoint topic holds, byte for byte, for the privacy checks of the crash tests. Transaction markers take offsets
 * too: the last data record is a little below the high watermark (`markers`: how far below it may be; 0 for a topic
 * written without transactions, read to its very end).
 */
export async function readWholeTopic(
  kafka: Kafka,
  admin: Admin,
  groupId: string,
  topic: string,
  markers = 2,
): Promise<string[]> {
  const highs = (await admin.fetchTopicOffsets(topic)).map((e) => [e.partition, Number(e.high)] as const);
  const records: string[] = [];
  const c = kafka.consumer({ groupId });
  await c.connect();
  await c.subscribe({ topic, fromBeginning: true });
  const seen = new Map<number, number>();
  await c.run({
    eachMessage: async ({ partition, message }) => {
      seen.set(partition, Number(message.offset) + 1);
      records.push(`${message.key?.toString('latin1')}=${message.value?.toString('latin1')}`);
    },
  });
  await waitFor(
    'state topic read',
    async () => highs.every(([p, h]) => h === 0 || (seen.get(p) ?? 0) >= h - markers),
    Boolean,
    30_000,
    100,
  );
  await c.disconnect();
  return records;
}
