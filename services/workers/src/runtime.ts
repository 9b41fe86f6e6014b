import { type Config, PassageError } from '@passage/config';
import { ClickHouseTable, loadScenarioMetadata, type Store } from '@passage/store';
import {
  type Clock,
  InProcessBus,
  KafkaTransport,
  kafkaConnection,
  type Logger,
  type RoleHealth,
  runProcessorInProcess,
  runSinkInProcess,
  ScenarioClock,
  StreamMetrics,
  type SupervisedRole,
  type TimeGuard,
} from '@passage/stream';
import { catalog, roleNames } from './registry.ts';
import { tokenizerRole } from './roles/tokenizer.ts';
import { kafkaTokenizerKeyStore } from './roles/tokenizer-keys.ts';

export interface Embedded {
  bus: InProcessBus;
  metrics: StreamMetrics;
  /** Flush every sink now (rows become queryable). */
  flush(): Promise<void>;
  /** End of input: close processors (flush windows), then sinks. */
  close(): Promise<void>;
}

/**
 * The event-time guard of `stream.timeGuard` (undefined when 'off'). 'wall' checks against the process's trusted
 * clock (the host's, or the scenario clock a replay passes), 'record' against each record's transport timestamp.
 */
export function timeGuardOf(config: Config): TimeGuard | undefined {
  const g = config.stream.timeGuard;
  if (g.clock === 'off') return undefined;
  return { reference: g.clock === 'record' ? 'record' : 'clock', maxPastMs: g.maxPastMs, maxFutureMs: g.maxFutureMs };
}

/**
 * All roles (or only `options.roles`, by name) in one process on in-process channels, writing to the given store.
 * `options.clock`: the trusted clock (default the host's); a replay passes its scenario clock (ScenarioClock), so
 * the time guard and the tokenizer's key epochs follow the scenario.
 */
export async function startEmbedded(
  config: Config,
  store: Store,
  log: Logger,
  metrics = new StreamMetrics(),
  options: { roles?: readonly string[]; clock?: Clock } = {},
): Promise<Embedded> {
  const want = (name: string) => options.roles === undefined || options.roles.includes(name);
  // Whatever stores data registers the deployment's sites with it (counting export, API, dashboard): demo, replay,
  // every `passage ingest` format. Validated like the roles validate it (PASSAGE_REGISTRY_INVALID).
  if (config.sitesFile && Object.keys(catalog.sinks).some(want))
    await loadScenarioMetadata(store.client, config.sitesFile);
  const bus = new InProcessBus();
  const opts = {
    log,
    metrics,
    allowedLatenessMs: config.stream.allowedLatenessMs,
    idleTimeoutMs: config.stream.idleTimeoutMs,
    clock: options.clock,
    timeGuard: timeGuardOf(config),
    dlqTopic: config.topics.dlq,
    sinkBatchRows: config.stream.sinkBatchRows,
    sinkFlushMs: config.stream.sinkFlushMs,
  };
  const sinks: { flush(): Promise<void>; close(): Promise<void> }[] = [];
  for (const [name, make] of Object.entries(catalog.sinks)) {
    if (!want(name)) continue;
    const role = make(config);
    sinks.push(await runSinkInProcess(bus, role, new ClickHouseTable(store.client, role.table), opts));
  }
  const procs: { close(): Promise<void> }[] = [];
  for (const [name, make] of Object.entries(catalog.processors))
    if (want(name)) procs.push(await runProcessorInProcess(bus, make(config), opts));
  return {
    bus,
    metrics,
    async flush() {
      for (const s of sinks) await s.flush();
    },
    async close() {
      for (const p of procs) await p.close();
      for (const s of sinks) await s.close();
    },
  };
}

/**
 * A replay into the embedded roles on the scenario clock (README: replays use the scenario clock): `publish` moves
 * the clock to the event time of each batch's last record (the replay has reached it) before the roles see the batch,
 * so the time guard and the tokenizer's key epochs follow the scenario, not the host's clock.
 */
export async function startEmbeddedReplay(
  config: Config,
  store: Store,
  log: Logger,
  scenarioStart: number,
  options: { roles?: readonly string[]; metrics?: StreamMetrics } = {},
): Promise<
  Embedded & { clock: ScenarioClock; publish(topic: string, recs: { key: string; value: Buffer }[]): Promise<void> }
> {
  const clock = new ScenarioClock(scenarioStart);
  const emb = await startEmbedded(config, store, log, options.metrics, { roles: options.roles, clock });
  return {
    ...emb,
    clock,
    async publish(topic, recs) {
      const last = recs.length > 0 ? eventTimeOfRecord(recs[recs.length - 1].value) : undefined;
      if (last !== undefined) clock.set(last);
      await emb.bus.publish(topic, recs);
    },
  };
}

/** Event time of an encoded replay record: `ts` (frames, sightings) or `end` (counter records). */
export function eventTimeOfRecord(value: Buffer): number | undefined {
  try {
    const v = JSON.parse(value.toString('utf8')) as { ts?: unknown; end?: unknown };
    const t = typeof v.ts === 'number' ? v.ts : v.end;
    return typeof t === 'number' && Number.isFinite(t) ? t : undefined;
  } catch {
    return undefined;
  }
}

/** Resolves `--role` names: a processor, a sink, or `sink` for every sink. */
export function resolveRoles(names: readonly string[]): { processors: string[]; sinks: string[] } {
  const processors: string[] = [];
  const sinks: string[] = [];
  for (const n of names) {
    if (n in catalog.processors) processors.push(n);
    else if (n in catalog.sinks) sinks.push(n);
    else if (n === 'sink') sinks.push(...Object.keys(catalog.sinks));
    else {
      throw new PassageError('PASSAGE_UNKNOWN_ROLE', `Unknown role '${n}'. Known roles: ${roleNames().join(', ')}.`);
    }
  }
  return { processors, sinks };
}

export interface KafkaWorkerOptions {
  config: Config;
  roles: readonly string[];
  log: Logger;
  /** Stable id of this worker instance (transactional id suffix); must be unique among live workers. */
  instanceId: string;
  /** Required when a sink role runs. */
  store?: Store;
  metrics?: StreamMetrics;
  /** The trusted clock (default: the host's). */
  clock?: Clock;
}

export interface KafkaWorker {
  transport: KafkaTransport;
  running: SupervisedRole[];
  metrics: StreamMetrics;
  /** Readiness (Kubernetes `/readyz`): ready when every role is consuming; each role's state. */
  health(): { ready: boolean; roles: RoleHealth[] };
  stop(): Promise<void>;
}

/** Runs the given roles against Kafka; creates missing topics first. */
export async function startKafkaWorker(o: KafkaWorkerOptions): Promise<KafkaWorker> {
  const { config, log } = o;
  if (config.kafka.brokers.length === 0) {
    throw new PassageError(
      'PASSAGE_KAFKA_NOT_CONFIGURED',
      'No Kafka brokers configured: set KAFKA_BROKERS (e.g. 127.0.0.1:9092) or run `passage demo` for the embedded mode.',
    );
  }
  const metrics = o.metrics ?? new StreamMetrics();
  const transport = new KafkaTransport({
    brokers: config.kafka.brokers,
    clientId: `${config.kafka.clientId}-${o.instanceId}`,
    log,
    metrics,
    groupPrefix: config.kafka.groupPrefix,
    sessionTimeoutMs: config.kafka.sessionTimeoutMs,
    heartbeatIntervalMs: config.kafka.heartbeatIntervalMs,
    maxBytesPerPartition: config.kafka.maxBytesPerPartition,
    ...kafkaConnection(config.kafka),
  });
  const { processors, sinks } = resolveRoles(o.roles);
  // Started while the broker is down (or lost during start-up): wait for it, with backoff.
  await transport.untilReachable('creating topics', () =>
    transport.ensureTopics(
      Object.values(config.topics).map((topic) => ({ topic, partitions: config.kafka.partitions })),
    ),
  );
  const running: SupervisedRole[] = [];
  for (const name of processors) {
    // The tokenizer hands its random epoch key over to its successor through the key topic (docs/OD-AND-PRIVACY.md).
    const role =
      name === 'tokenizer' && config.privacy.keyHandover && config.privacy.keySecret === ''
        ? tokenizerRole(config, kafkaTokenizerKeyStore(transport.kafka, config, log.child({ role: name })))
        : catalog.processors[name](config);
    running.push(
      await transport.runProcessor(role, {
        instanceId: o.instanceId,
        dlqTopic: config.topics.dlq,
        allowedLatenessMs: config.stream.allowedLatenessMs,
        idleTimeoutMs: config.stream.idleTimeoutMs,
        clock: o.clock,
        timeGuard: timeGuardOf(config),
      }),
    );
  }
  if (sinks.length > 0 && !o.store) throw new Error('a sink role needs a store');
  for (const name of sinks) {
    const role = catalog.sinks[name](config);
    running.push(
      await transport.runSink(role, new ClickHouseTable((o.store as Store).client, role.table), {
        dlqTopic: config.topics.dlq,
        batchRows: config.stream.sinkBatchRows,
        flushMs: config.stream.sinkFlushMs,
        highWaterRows: config.stream.highWaterRows,
      }),
    );
  }
  log.info({ roles: [...processors, ...sinks], instance: o.instanceId }, 'worker running');
  return {
    transport,
    running,
    metrics,
    health() {
      const roles = running.map((r) => r.health());
      return { ready: roles.length > 0 && roles.every((r) => r.ready), roles };
    },
    async stop() {
      for (const r of running) await r.stop();
      await transport.close();
    },
  };
}
