/**
 * A real single-node Apache Kafka broker (KRaft, broker+controller in one JVM) for tests and local stacks.
 *
 * The broker's jars come from Maven Central through infra/kafka/pom.xml and are cached once outside the repo
 * (default ~/.cache/passage/kafka-<version>/libs; base dir overridable with PASSAGE_KAFKA_CACHE, or point
 * PASSAGE_KAFKA_LIBS at the libs/ folder of an unpacked Kafka distribution to skip Maven altogether).
 *
 * Library use:   const b = await startBroker({ port: 0 }); ... b.brokers ...; await b.stop();
 * CLI:           node --import tsx infra/kafka/broker.ts fetch|start|stop|status|run [--port N] [--dir D]
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import {
  closeSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { createServer } from 'node:net';
import { homedir, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PassageError } from '@passage/config';
import { Kafka, logLevel } from 'kafkajs';

const HERE = dirname(fileURLToPath(import.meta.url));
export const POM_PATH = join(HERE, 'pom.xml');

/** Kafka version pinned in pom.xml (single source of truth). */
export const KAFKA_VERSION: string = (() => {
  const m = /<kafka\.version>([^<]+)<\/kafka\.version>/.exec(readFileSync(POM_PATH, 'utf8'));
  if (!m) throw new Error(`no <kafka.version> in ${POM_PATH}`);
  return m[1].trim();
})();

/** Default port of the broker started for tests (the CLI defaults to 9092). */
export const DEFAULT_TEST_PORT = 19092;
const TEMP_PREFIX = 'passage-kafka-';
const OWNER_FILE = 'passage-broker.json';

/** Base cache dir: $PASSAGE_KAFKA_CACHE or ~/.cache/passage. */
export function cacheBaseDir(): string {
  return resolve(process.env.PASSAGE_KAFKA_CACHE || join(homedir(), '.cache', 'passage'));
}

/** Where the broker's runtime jars live (may not exist yet). */
export function kafkaLibsDir(): string {
  if (process.env.PASSAGE_KAFKA_LIBS) return resolve(process.env.PASSAGE_KAFKA_LIBS);
  return join(cacheBaseDir(), `kafka-${KAFKA_VERSION}`, 'libs');
}

function log(msg: string): void {
  process.stderr.write(`[passage-kafka] ${msg}\n`);
}

function libsComplete(dir: string): boolean {
  if (process.env.PASSAGE_KAFKA_LIBS) {
    return existsSync(dir) && readdirSync(dir).some((f) => /^kafka_2\.13-.*\.jar$/.test(f));
  }
  const marker = join(dir, '.complete');
  if (!existsSync(marker)) return false;
  const jars = readFileSync(marker, 'utf8').split('\n').filter(Boolean);
  return jars.length > 0 && jars.every((j) => existsSync(join(dir, j)));
}

/** Throws a PassageError saying what to install when `java` (>= 17) is not usable. */
export function checkJava(): number {
  const javaBin = javaCommand();
  const r = spawnSync(javaBin, ['-version'], { encoding: 'utf8' });
  if (r.error || r.status !== 0) {
    throw new PassageError(
      'PASSAGE_KAFKA_JAVA_MISSING',
      `Java is needed to run the local Kafka broker but "${javaBin} -version" failed` +
        ` (${r.error?.message ?? r.stderr.trim()}). Install a JDK/JRE 17 or newer (Debian: apt-get install` +
        ' openjdk-17-jre-headless), set JAVA_HOME, or point KAFKA_BROKERS at an existing Kafka cluster.',
    );
  }
  const m = /version "(\d+)(?:\.(\d+))?/.exec(r.stderr);
  let major = m ? Number(m[1]) : 0;
  if (major === 1 && m?.[2]) major = Number(m[2]);
  if (major < 17) {
    throw new PassageError(
      'PASSAGE_KAFKA_JAVA_TOO_OLD',
      `Kafka ${KAFKA_VERSION} needs Java 17 or newer, found Java ${major || 'unknown'} (${javaBin}).` +
        ' Install openjdk-17 or newer and set JAVA_HOME, or point KAFKA_BROKERS at an existing cluster.',
    );
  }
  return major;
}

function javaCommand(): string {
  return process.env.JAVA_HOME ? join(process.env.JAVA_HOME, 'bin', 'java') : 'java';
}

/**
 * Makes sure the broker jars are in the cache, downloading them once with Maven. Returns the libs dir.
 * Safe to call concurrently: jars are copied into a temp dir and renamed into place.
 */
export async function ensureKafkaJars(options: { quiet?: boolean } = {}): Promise<string> {
  const libs = kafkaLibsDir();
  if (libsComplete(libs)) return libs;
  if (process.env.PASSAGE_KAFKA_LIBS) {
    throw new PassageError(
      'PASSAGE_KAFKA_LIBS_INVALID',
      `PASSAGE_KAFKA_LIBS=${libs} holds no kafka_2.13-*.jar. Point it at the libs/ folder of a Kafka` +
        ' distribution, or unset it to let Passage fetch the jars with Maven.',
    );
  }
  checkJava();
  const mvn = process.env.MVN || 'mvn';
  const probe = spawnSync(mvn, ['-v'], { encoding: 'utf8' });
  if (probe.error || probe.status !== 0) {
    throw new PassageError(
      'PASSAGE_KAFKA_MAVEN_MISSING',
      `Maven is needed once to fetch the Kafka ${KAFKA_VERSION} broker jars but "${mvn} -v" failed` +
        ` (${probe.error?.message ?? probe.stderr.trim()}). Install it (Debian: apt-get install maven),` +
        ' or set PASSAGE_KAFKA_LIBS to the libs/ folder of a Kafka distribution, or point KAFKA_BROKERS' +
        ' at an existing cluster.',
    );
  }
  const parent = dirname(libs);
  mkdirSync(parent, { recursive: true });
  const staging = mkdtempSync(join(parent, 'libs-staging-'));
  if (!options.quiet) {
    log(`fetching Apache Kafka ${KAFKA_VERSION} broker jars (~45 MB, once) into ${libs} ...`);
  }
  const t0 = Date.now();
  const args = ['-B', '-q', '-f', POM_PATH, 'dependency:copy-dependencies', `-DoutputDirectory=${staging}`];
  const r = await new Promise<{ code: number | null; out: string }>((resolveRun) => {
    const child = spawn(mvn, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d) => {
      out += d;
    });
    child.stderr.on('data', (d) => {
      out += d;
    });
    child.on('error', (e) => resolveRun({ code: -1, out: `${out}\n${e.message}` }));
    child.on('close', (code) => resolveRun({ code, out }));
  });
  const jars = existsSync(staging) ? readdirSync(staging).filter((f) => f.endsWith('.jar')) : [];
  if (r.code !== 0 || !jars.some((j) => j.startsWith('kafka_2.13-'))) {
    rmSync(staging, { recursive: true, force: true });
    throw new PassageError(
      'PASSAGE_KAFKA_FETCH_FAILED',
      `Fetching the Kafka ${KAFKA_VERSION} jars with Maven failed (exit ${r.code}). Check access to Maven` +
        ` Central (or your ~/.m2/settings.xml mirror) and retry. Maven said:\n${r.out.trim().slice(-3000)}`,
      { domain: 'external', retriable: true },
    );
  }
  writeFileSync(join(staging, '.complete'), `${jars.sort().join('\n')}\n`);
  if (existsSync(libs) && !libsComplete(libs)) rmSync(libs, { recursive: true, force: true });
  try {
    renameSync(staging, libs);
  } catch (e) {
    // Another process won the race: keep its copy if it is complete.
    rmSync(staging, { recursive: true, force: true });
    if (!libsComplete(libs)) throw e;
  }
  if (!options.quiet) log(`fetched ${jars.length} jars in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  return libs;
}

/** A free TCP port on 127.0.0.1. */
export function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolvePort(port));
    });
  });
}

/** `n` distinct free TCP ports on 127.0.0.1. */
export async function freePorts(n: number): Promise<number[]> {
  const ports = new Set<number>();
  while (ports.size < n) ports.add(await freePort());
  return [...ports];
}

/** True when something already listens on 127.0.0.1:port (or it cannot be bound). */
export function portInUse(port: number): Promise<boolean> {
  return new Promise((resolveInUse) => {
    const srv = createServer();
    srv.unref();
    srv.once('error', () => resolveInUse(true));
    srv.listen({ port, host: '127.0.0.1', exclusive: true }, () => srv.close(() => resolveInUse(false)));
  });
}

function pidAlive(pid: number | null | undefined): boolean {
  if (!pid) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** True when pid is alive and is a Kafka broker JVM (checked through /proc where available). */
function isKafkaProcess(pid: number): boolean {
  if (!pidAlive(pid)) return false;
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('kafka.Kafka');
  } catch {
    return process.platform !== 'linux';
  }
}

interface OwnerRecord {
  brokerPid: number;
  /** Process that owns the broker's lifetime; null for a detached broker started by the CLI. */
  ownerPid: number | null;
  port: number;
  controllerPort: number;
  dataDir: string;
  logFile: string;
  version: string;
  startedAt: string;
}

/**
 * Stops brokers that earlier test runs started and left behind (their owner process died, e.g. killed with
 * SIGKILL before teardown) and removes their temp dirs. Only brokers recorded by this script are touched.
 */
export async function reapStaleBrokers(): Promise<number> {
  let reaped = 0;
  let entries: string[] = [];
  try {
    entries = readdirSync(tmpdir()).filter((e) => e.startsWith(TEMP_PREFIX));
  } catch {
    return 0;
  }
  for (const e of entries) {
    const dir = join(tmpdir(), e);
    const file = join(dir, OWNER_FILE);
    let rec: OwnerRecord | undefined;
    try {
      rec = JSON.parse(readFileSync(file, 'utf8')) as OwnerRecord;
    } catch {
      // A dir without a record is either starting right now or a leftover of a failed start: remove it
      // only when it is old enough not to be a start in progress.
      try {
        if (Date.now() - statSync(dir).mtimeMs > 10 * 60_000) rmSync(dir, { recursive: true, force: true });
      } catch {}
      continue;
    }
    if (rec.ownerPid === null) continue; // detached CLI broker: `broker.ts stop` handles it
    if (pidAlive(rec.ownerPid)) continue;
    if (isKafkaProcess(rec.brokerPid)) {
      log(`stopping stale broker pid ${rec.brokerPid} on port ${rec.port} (its owner ${rec.ownerPid} is gone)`);
      await killPid(rec.brokerPid, 10_000);
      reaped++;
    }
    rmSync(dir, { recursive: true, force: true });
  }
  return reaped;
}

async function killPid(pid: number, timeoutMs: number): Promise<void> {
  try {
    process.kill(pid, 'SIGTERM');
  } catch {
    return;
  }
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (!pidAlive(pid)) return;
    await sleep(100);
  }
  try {
    process.kill(pid, 'SIGKILL');
  } catch {}
  while (pidAlive(pid)) await sleep(50);
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** A Kafka cluster id: 16 random bytes, URL-safe base64 without padding, not starting with '-'. */
export function newClusterId(): string {
  for (;;) {
    const id = randomBytes(16).toString('base64url');
    if (!id.startsWith('-')) return id;
  }
}

export interface StartBrokerOptions {
  /** Client port on 127.0.0.1; default 19092; 0 picks a free port. */
  port?: number;
  /** Controller (KRaft quorum) port; default: a free port. */
  controllerPort?: number;
  /**
   * Data dir (log.dirs). Default: a fresh temp dir, removed by stop(). A given dir is kept; if it is
   * already formatted it is reused (the broker keeps its topics across restarts).
   */
  dataDir?: string;
  /** Where server.log (log4j2) and broker.out (JVM stdout/stderr) go; default: in the temp run dir. */
  logDir?: string;
  /** How long to wait for the broker to answer a kafkajs admin; default 90 s. */
  startTimeoutMs?: number;
  /** Extra or overriding server.properties entries. */
  properties?: Record<string, string | number | boolean>;
  /** JVM heap options; default $PASSAGE_KAFKA_HEAP_OPTS or "-Xmx512m -Xms256m". */
  heapOpts?: string;
  /** Detach the JVM so it outlives this process (CLI `start`). Default false: it dies with stop(). */
  detached?: boolean;
  /**
   * JIT only with C1 (-XX:TieredStopAtLevel=1): the JVM starts about twice as fast on a small machine, at
   * lower peak throughput. Default true (tests); the CLI passes false for long-running brokers.
   */
  quickStart?: boolean;
  /** Create the group coordinator's offsets topic before returning, so the first test does not pay. */
  warmup?: boolean;
  quiet?: boolean;
  /** KRaft node id (default 1). */
  nodeId?: number;
  /** `controller.quorum.voters` (default: this node alone). Set by {@link startCluster}. */
  quorumVoters?: string;
  /** Cluster id used to format the storage (default: a new one). Every node of a cluster shares one. */
  clusterId?: string;
  /** Extra arguments of `kafka-storage format`, e.g. `['--add-scram', 'SCRAM-SHA-256=[name=u,password=p]']`. */
  formatArgs?: string[];
  /** Wait until the broker answers (default true); a cluster waits once every node is launched. */
  waitUntilReady?: boolean;
}

export interface BrokerHandle {
  /** Bootstrap address, e.g. "127.0.0.1:19092" (the format of KAFKA_BROKERS). */
  brokers: string;
  port: number;
  controllerPort: number;
  pid: number;
  dataDir: string;
  logFile: string;
  /** Temp dir with server.properties and, unless dataDir/logDir were given, data and logs. */
  runDir: string;
  /** Milliseconds from startBroker() call until the broker answered. */
  startMs: number;
  /** SIGTERM, wait up to timeoutMs (default 15 s), then SIGKILL; removes a temp data dir. */
  stop(timeoutMs?: number): Promise<void>;
  /** SIGKILL (a crash): resolves once the process is gone; a given dataDir is kept for a restart. */
  kill(): Promise<void>;
}

/** Last lines of a file, for error messages. */
export function tailFile(file: string, lines = 40): string {
  try {
    const text = readFileSync(file, 'utf8');
    return text.trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log yet)';
  }
}

function serverProperties(o: {
  port: number;
  controllerPort: number;
  dataDir: string;
  nodeId: number;
  voters?: string;
  extra?: Record<string, string | number | boolean>;
}): string {
  const props: Record<string, string | number | boolean> = {
    'process.roles': 'broker,controller',
    'node.id': o.nodeId,
    'controller.quorum.voters': o.voters ?? `${o.nodeId}@127.0.0.1:${o.controllerPort}`,
    listeners: `PLAINTEXT://127.0.0.1:${o.port},CONTROLLER://127.0.0.1:${o.controllerPort}`,
    'advertised.listeners': `PLAINTEXT://127.0.0.1:${o.port}`,
    'inter.broker.listener.name': 'PLAINTEXT',
    'controller.listener.names': 'CONTROLLER',
    'listener.security.protocol.map': 'PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT',
    'log.dirs': o.dataDir,
    'auto.create.topics.enable': false,
    'num.partitions': 1,
    'default.replication.factor': 1,
    'min.insync.replicas': 1,
    'offsets.topic.replication.factor': 1,
    // Fewer internal partitions than the default 50: the coordinator loads in well under a second.
    'offsets.topic.num.partitions': 4,
    'transaction.state.log.replication.factor': 1,
    'transaction.state.log.min.isr': 1,
    'transaction.state.log.num.partitions': 4,
    'share.coordinator.state.topic.replication.factor': 1,
    'share.coordinator.state.topic.min.isr': 1,
    'group.initial.rebalance.delay.ms': 0,
    // 10 MiB: big enough to produce a 5 MB message (dead-letter tests); clients must raise their limits too.
    'message.max.bytes': 10_485_760,
    'replica.fetch.max.bytes': 10_485_760,
    'socket.request.max.bytes': 104_857_600,
    'num.network.threads': 2,
    'num.io.threads': 4,
    'background.threads': 4,
    'num.recovery.threads.per.data.dir': 1,
    'log.retention.hours': 24,
    'log.segment.bytes': 67_108_864,
    'delete.topic.enable': true,
    ...o.extra,
  };
  return `${Object.entries(props)
    .map(([k, v]) => `${k}=${v}`)
    .join('\n')}\n`;
}

function log4jConfig(logFile: string): string {
  const f = logFile.replace(/\\/g, '/');
  return [
    'status = error',
    'name = passage-kafka',
    'appender.file.type = RollingFile',
    'appender.file.name = FILE',
    `appender.file.fileName = ${f}`,
    `appender.file.filePattern = ${f}.%i`,
    'appender.file.layout.type = PatternLayout',
    'appender.file.layout.pattern = [%d] %p %m (%c)%n',
    'appender.file.policies.type = Policies',
    'appender.file.policies.size.type = SizeBasedTriggeringPolicy',
    'appender.file.policies.size.size = 20MB',
    'appender.file.strategy.type = DefaultRolloverStrategy',
    'appender.file.strategy.max = 3',
    'rootLogger.level = INFO',
    'rootLogger.appenderRef.file.ref = FILE',
    'logger.request.name = kafka.request.logger',
    'logger.request.level = WARN',
    'logger.statechange.name = state.change.logger',
    'logger.statechange.level = WARN',
    '',
  ].join('\n');
}

function runSync(cmd: string, args: string[]): { status: number | null; out: string } {
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  return { status: r.error ? -1 : r.status, out: `${r.stdout ?? ''}${r.stderr ?? ''}${r.error?.message ?? ''}` };
}

/** Starts a single-node KRaft broker and resolves once a kafkajs admin can list topics. */
export async function startBroker(options: StartBrokerOptions = {}): Promise<BrokerHandle> {
  const autoPorts = options.port === 0 || options.controllerPort === undefined;
  for (let attempt = 1; ; attempt++) {
    try {
      return await startBrokerOnce(options);
    } catch (e) {
      // A port picked as free can be taken by someone else before the JVM binds it: pick again, once.
      const raced =
        e instanceof PassageError && e.code === 'PASSAGE_KAFKA_EXITED' && e.message.includes('Address already in use');
      if (!raced || !autoPorts || attempt >= 2) throw e;
      log('a port was taken before the broker bound it; retrying with new ports');
    }
  }
}

async function startBrokerOnce(options: StartBrokerOptions): Promise<BrokerHandle> {
  const t0 = Date.now();
  const libs = await ensureKafkaJars({ quiet: options.quiet });
  checkJava();
  await reapStaleBrokers();

  let port = options.port ?? DEFAULT_TEST_PORT;
  if (port === 0) port = await freePort();
  else if (await portInUse(port)) {
    throw new PassageError(
      'PASSAGE_KAFKA_PORT_IN_USE',
      `Port ${port} on 127.0.0.1 is already in use, so a Kafka broker cannot listen there. Stop whatever` +
        ` holds it (a broker started by "node --import tsx infra/kafka/broker.ts start" is stopped with` +
        ` "... broker.ts stop --port ${port}"), pick another port (--port N, 0 = any free port), or set` +
        ' KAFKA_BROKERS to use a broker that is already running.',
    );
  }
  let controllerPort = options.controllerPort ?? (await freePort());
  while (controllerPort === port) controllerPort = await freePort();

  // One temp root per start holds the config, the owner record and (by default) data and logs.
  const runDir = mkdtempSync(join(tmpdir(), TEMP_PREFIX));
  const dataDir = resolve(options.dataDir ?? join(runDir, 'data'));
  const logDir = resolve(options.logDir ?? join(runDir, 'logs'));
  mkdirSync(dataDir, { recursive: true });
  mkdirSync(logDir, { recursive: true });
  const configFile = join(runDir, 'server.properties');
  const log4jFile = join(runDir, 'log4j2.properties');
  const logFile = join(logDir, 'server.log');
  const outFile = join(logDir, 'broker.out');
  const nodeId = options.nodeId ?? 1;
  writeFileSync(
    configFile,
    serverProperties({
      port,
      controllerPort,
      dataDir,
      nodeId,
      voters: options.quorumVoters,
      extra: options.properties,
    }),
  );
  writeFileSync(log4jFile, log4jConfig(logFile));

  const cp = `${libs}/*`;
  const java = javaCommand();
  // log4j2's own shutdown hook would stop logging before Kafka's shutdown hook runs: keep shutdown logged.
  const jvmBase = [
    '-Djava.awt.headless=true',
    '-Dlog4j2.shutdownHookEnabled=false',
    `-Dlog4j2.configurationFile=${log4jFile}`,
    `-Dkafka.logs.dir=${logDir}`,
  ];
  const cleanupRun = () => rmSync(runDir, { recursive: true, force: true });

  const tFormat = Date.now();
  if (!existsSync(join(dataDir, 'meta.properties'))) {
    const f = runSync(java, [
      '-Xmx256m',
      '-XX:TieredStopAtLevel=1',
      ...jvmBase,
      '-cp',
      cp,
      'kafka.tools.StorageTool',
      'format',
      '-t',
      options.clusterId ?? newClusterId(),
      '-c',
      configFile,
      ...(options.formatArgs ?? []),
    ]);
    if (f.status !== 0) {
      cleanupRun();
      throw new PassageError(
        'PASSAGE_KAFKA_FORMAT_FAILED',
        `Formatting the Kafka storage in ${dataDir} failed (exit ${f.status}). If the dir holds data of an` +
          ` older broker, remove it or use a fresh --dir. Output:\n${f.out.trim().slice(-3000)}`,
      );
    }
  }

  const formatMs = Date.now() - tFormat;
  const heap = (options.heapOpts ?? process.env.PASSAGE_KAFKA_HEAP_OPTS ?? '-Xmx512m -Xms256m')
    .split(/\s+/)
    .filter(Boolean);
  const out = openSync(outFile, 'a');
  const child: ChildProcess = spawn(
    java,
    [
      ...heap,
      ...(options.quickStart === false ? [] : ['-XX:TieredStopAtLevel=1']),
      '-XX:+UseG1GC',
      '-XX:MaxGCPauseMillis=20',
      '-XX:+ExitOnOutOfMemoryError',
      ...jvmBase,
      '-cp',
      cp,
      'kafka.Kafka',
      configFile,
    ],
    { stdio: ['ignore', out, out], detached: options.detached === true },
  );
  closeSync(out);
  const pid = child.pid;
  if (pid === undefined) {
    cleanupRun();
    throw new PassageError('PASSAGE_KAFKA_SPAWN_FAILED', `Could not start "${java}" for the Kafka broker.`);
  }
  const status: { exited: { code: number | null; signal: NodeJS.Signals | null } | null } = { exited: null };
  const exitPromise = new Promise<void>((r) => {
    child.once('exit', (code, signal) => {
      status.exited = { code, signal };
      r();
    });
  });
  if (options.detached) child.unref();

  const record: OwnerRecord = {
    brokerPid: pid,
    ownerPid: options.detached ? null : process.pid,
    port,
    controllerPort,
    dataDir,
    logFile,
    version: KAFKA_VERSION,
    startedAt: new Date().toISOString(),
  };
  writeFileSync(join(runDir, OWNER_FILE), JSON.stringify(record, null, 2));

  let stopped = false;
  const stop = async (timeoutMs = 15_000): Promise<void> => {
    if (stopped) return;
    stopped = true;
    if (status.exited === null && pidAlive(pid)) {
      try {
        process.kill(pid, 'SIGTERM');
      } catch {}
      const timer = setTimeout(() => {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {}
      }, timeoutMs);
      if (options.detached) {
        while (pidAlive(pid)) await sleep(100);
      } else {
        await exitPromise;
      }
      clearTimeout(timer);
    }
    // A given dataDir (and logDir) is kept; the run dir with config, owner record and temp data goes.
    cleanupRun();
  };
  const kill = async (): Promise<void> => {
    if (stopped) return;
    stopped = true;
    if (status.exited === null) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {}
      if (options.detached) {
        while (pidAlive(pid)) await sleep(50);
      } else {
        await exitPromise;
      }
    }
    cleanupRun();
  };

  const brokers = `127.0.0.1:${port}`;
  const timeoutMs = options.startTimeoutMs ?? 90_000;
  try {
    if (options.waitUntilReady !== false) {
      await waitReady(brokers, timeoutMs, () => status.exited !== null, options.warmup ?? true);
    }
  } catch (e) {
    const exited = status.exited;
    const why = exited
      ? `the broker exited (code ${exited.code}, signal ${exited.signal})`
      : `it did not answer within ${timeoutMs / 1000} s (${(e as Error).message})`;
    // Read the logs before stop() removes a temp dir.
    const errors = tailFile(logFile, 100_000)
      .split('\n')
      .filter((l) => /\] (ERROR|FATAL) /.test(l))
      .slice(-10)
      .join('\n');
    const detail =
      (errors ? `--- errors in ${logFile} ---\n${errors}\n` : '') +
      `--- ${logFile} (last lines) ---\n${tailFile(logFile, 25)}\n--- ${outFile} ---\n${tailFile(outFile, 20)}`;
    await stop(5000);
    throw new PassageError(
      exited ? 'PASSAGE_KAFKA_EXITED' : 'PASSAGE_KAFKA_START_TIMEOUT',
      `The local Kafka ${KAFKA_VERSION} broker on ${brokers} did not start: ${why}.\n${detail}`,
      { domain: 'external', retriable: !exited },
    );
  }
  const startMs = Date.now() - t0;
  if (!options.quiet) {
    log(`Kafka ${KAFKA_VERSION} broker up on ${brokers} (pid ${pid}) in ${startMs} ms (storage format ${formatMs} ms)`);
  }
  return { brokers, port, controllerPort, pid, dataDir, logFile, runDir, startMs, stop, kill };
}

/** `brokers`: a comma-separated bootstrap list; `nodes`: how many brokers must be registered (a cluster). */
async function waitReady(
  brokers: string,
  timeoutMs: number,
  exited: () => unknown,
  warmup: boolean,
  nodes = 1,
): Promise<void> {
  const kafka = new Kafka({
    clientId: 'passage-broker-probe',
    brokers: brokers.split(','),
    logLevel: logLevel.NOTHING,
    connectionTimeout: 1000,
    requestTimeout: 5000,
    retry: { retries: 0 },
  });
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown = new Error('not tried');
  while (Date.now() < deadline) {
    if (exited()) throw new Error('broker process exited');
    const admin = kafka.admin();
    try {
      await admin.connect();
      await admin.listTopics();
      if (nodes > 1) {
        const registered = (await admin.describeCluster()).brokers.length;
        if (registered < nodes) throw new Error(`${registered} of ${nodes} brokers registered`);
      }
      if (warmup) {
        // FindCoordinator creates __consumer_offsets; describeGroups succeeds once the coordinator is loaded.
        await admin.describeGroups(['passage-broker-warmup']);
      }
      await admin.disconnect();
      if (warmup) {
        // An idempotent producer's InitProducerId creates __transaction_state: the first producer of a test
        // then does not hit "coordinator is loading" retries.
        const producer = new Kafka({
          clientId: 'passage-broker-warmup',
          brokers: brokers.split(','),
          logLevel: logLevel.NOTHING,
          retry: { retries: 30, initialRetryTime: 100, maxRetryTime: 1000 },
        }).producer({ idempotent: true, maxInFlightRequests: 1 });
        await producer.connect();
        await producer.disconnect();
      }
      return;
    } catch (e) {
      lastError = e;
      await admin.disconnect().catch(() => {});
      await sleep(250);
    }
  }
  throw lastError instanceof Error ? lastError : new Error(String(lastError));
}

// ---------------------------------------------------------------------------------------------------------
// A 3-node KRaft cluster on loopback (issue 12 item 2)

export interface StartClusterOptions {
  /** Number of nodes, each broker and controller (a quorum of `nodes` voters); default 3. */
  nodes?: number;
  /** Replication factor of new topics and the internal topics; default = nodes. */
  replicationFactor?: number;
  /** `min.insync.replicas` of new topics and the transaction log; default 2 (1 for a 1-node cluster). */
  minInsyncReplicas?: number;
  /** JVM heap per node; default "-Xmx320m -Xms128m" (three JVMs share a small machine). */
  heapOpts?: string;
  /** Extra server.properties entries for every node. */
  properties?: Record<string, string | number | boolean>;
  startTimeoutMs?: number;
  quiet?: boolean;
}

export interface ClusterHandle {
  /** Bootstrap list of every node, e.g. "127.0.0.1:a,127.0.0.1:b,127.0.0.1:c". */
  brokers: string;
  /** Node i (node id i + 1); a killed node's handle is replaced when it is restarted. */
  nodes: BrokerHandle[];
  /** Node id (1-based) of the leader of a partition, from the cluster's metadata. */
  leaderOf(topic: string, partition: number): Promise<number>;
  /** SIGKILLs node `nodeId` (1-based); its data is kept. */
  kill(nodeId: number): Promise<void>;
  /** Starts node `nodeId` again on its ports and data (after kill); resolves once it is back in the ISR of every partition it hosts (or 60 s). */
  restart(nodeId: number): Promise<void>;
  stop(): Promise<void>;
}

/**
 * Starts `nodes` KRaft nodes (combined broker+controller, static quorum) on free loopback ports, with replication
 * factor 3 and `min.insync.replicas` 2 by default, and resolves once the cluster answers with every node registered.
 * Data and logs live in /tmp/passage-kcluster-XXXX, removed by stop().
 */
export async function startCluster(options: StartClusterOptions = {}): Promise<ClusterHandle> {
  const n = options.nodes ?? 3;
  const rf = options.replicationFactor ?? n;
  const minIsr = options.minInsyncReplicas ?? Math.min(2, n);
  const root = mkdtempSync(join(tmpdir(), 'passage-kcluster-'));
  const picked = await freePorts(2 * n);
  const ports = picked.slice(0, n);
  const controllerPorts = picked.slice(n);
  const voters = controllerPorts.map((c, i) => `${i + 1}@127.0.0.1:${c}`).join(',');
  const clusterId = newClusterId();
  const properties = {
    'default.replication.factor': rf,
    'min.insync.replicas': minIsr,
    'offsets.topic.replication.factor': rf,
    'transaction.state.log.replication.factor': rf,
    'transaction.state.log.min.isr': minIsr,
    'share.coordinator.state.topic.replication.factor': rf,
    'share.coordinator.state.topic.min.isr': minIsr,
    // A killed leader is noticed within seconds: the controller fences a broker without heartbeats after this.
    'broker.session.timeout.ms': 6000,
    'broker.heartbeat.interval.ms': 1000,
    'replica.lag.time.max.ms': 10000,
    'num.io.threads': 2,
    'background.threads': 2,
    ...options.properties,
  };
  const nodeOptions = (i: number): StartBrokerOptions => ({
    port: ports[i],
    controllerPort: controllerPorts[i],
    nodeId: i + 1,
    quorumVoters: voters,
    clusterId,
    dataDir: join(root, `node-${i + 1}`, 'data'),
    logDir: join(root, `node-${i + 1}`, 'logs'),
    heapOpts: options.heapOpts ?? process.env.PASSAGE_KAFKA_HEAP_OPTS ?? '-Xmx320m -Xms128m',
    properties,
    waitUntilReady: false,
    quiet: true,
  });
  const nodes: BrokerHandle[] = [];
  const brokers = ports.map((p) => `127.0.0.1:${p}`).join(',');
  const t0 = Date.now();
  const stopAll = async () => {
    for (const b of nodes) await b.stop(5000).catch(() => undefined);
    rmSync(root, { recursive: true, force: true });
  };
  try {
    for (let i = 0; i < n; i++) nodes.push(await startBroker(nodeOptions(i)));
    await waitReady(brokers, options.startTimeoutMs ?? 120_000, () => false, true, n);
  } catch (e) {
    const logs = nodes.map((b) => `--- ${b.logFile} ---\n${tailFile(b.logFile, 15)}`).join('\n');
    await stopAll();
    throw new PassageError(
      'PASSAGE_KAFKA_START_TIMEOUT',
      `The local ${n}-node Kafka cluster on ${brokers} did not start: ${(e as Error).message}.\n${logs}`,
      { domain: 'external', retriable: true },
    );
  }
  if (!options.quiet) log(`Kafka ${KAFKA_VERSION} ${n}-node cluster up on ${brokers} in ${Date.now() - t0} ms`);
  const admin = () =>
    new Kafka({ clientId: 'passage-cluster-admin', brokers: brokers.split(','), logLevel: logLevel.NOTHING }).admin();
  return {
    brokers,
    nodes,
    async leaderOf(topic, partition) {
      const a = admin();
      await a.connect();
      try {
        const md = await a.fetchTopicMetadata({ topics: [topic] });
        const p = md.topics[0]?.partitions.find((x) => x.partitionId === partition);
        if (!p) throw new Error(`no partition ${topic}[${partition}]`);
        return p.leader;
      } finally {
        await a.disconnect();
      }
    },
    async kill(nodeId) {
      await nodes[nodeId - 1].kill();
    },
    async restart(nodeId) {
      nodes[nodeId - 1] = await startBroker(nodeOptions(nodeId - 1));
      const deadline = Date.now() + 60_000;
      while (Date.now() < deadline) {
        const a = admin();
        try {
          await a.connect();
          const topics = await a.listTopics();
          const md = await a.fetchTopicMetadata({ topics });
          const behind = md.topics.some((t) =>
            t.partitions.some((p) => p.replicas.includes(nodeId) && !p.isr.includes(nodeId)),
          );
          if (!behind && md.topics.length > 0) return;
        } catch {
          // the restarted node is still joining
        } finally {
          await a.disconnect().catch(() => undefined);
        }
        await sleep(500);
      }
    },
    stop: stopAll,
  };
}

// ---------------------------------------------------------------------------------------------------------
// CLI: state of detached brokers lives in <cache base>/run/kafka-<port>.json

interface CliState extends OwnerRecord {
  runDir: string;
}

function stateFile(port: number): string {
  return join(cacheBaseDir(), 'run', `kafka-${port}.json`);
}

function readStates(): CliState[] {
  const dir = join(cacheBaseDir(), 'run');
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((f) => /^kafka-\d+\.json$/.test(f))
    .flatMap((f) => {
      try {
        return [JSON.parse(readFileSync(join(dir, f), 'utf8')) as CliState];
      } catch {
        return [];
      }
    });
}

function parseArgs(argv: string[]): { cmd: string; port?: number; dir?: string } {
  const [cmd = 'help', ...rest] = argv;
  const out: { cmd: string; port?: number; dir?: string } = { cmd };
  for (let i = 0; i < rest.length; i++) {
    const a = rest[i];
    const [flag, inline] = a.includes('=') ? [a.slice(0, a.indexOf('=')), a.slice(a.indexOf('=') + 1)] : [a, undefined];
    const value = () => inline ?? rest[++i];
    if (flag === '--port') {
      const p = Number(value());
      if (!Number.isInteger(p) || p < 0 || p > 65535) throw new Error(`--port must be a port number, got ${a}`);
      out.port = p;
    } else if (flag === '--dir') out.dir = value();
    else throw new Error(`unknown option ${a}`);
  }
  return out;
}

function cliDirs(dir: string | undefined): { dataDir?: string; logDir?: string } {
  return dir ? { dataDir: join(resolve(dir), 'data'), logDir: join(resolve(dir), 'logs') } : {};
}

const USAGE = `usage: node --import tsx infra/kafka/broker.ts <command> [--port N] [--dir D]
  fetch    download the Kafka ${KAFKA_VERSION} broker jars once (Maven) into ${kafkaLibsDir()}
  start    start a detached broker (default port 9092, 0 = any free port); --dir keeps data across restarts
  run      start a broker in the foreground; Ctrl-C stops it
  stop     stop the broker started with "start" (--port N, default: all of them)
  status   show brokers started with "start" and whether they answer`;

async function cli(argv: string[]): Promise<number> {
  const args = parseArgs(argv);
  switch (args.cmd) {
    case 'fetch': {
      const libs = await ensureKafkaJars();
      console.log(libs);
      return 0;
    }
    case 'start': {
      const wanted = args.port ?? 9092;
      const existing = readStates().find((s) => s.port === wanted && isKafkaProcess(s.brokerPid));
      if (existing) {
        console.log(`already running: KAFKA_BROKERS=127.0.0.1:${existing.port} (pid ${existing.brokerPid})`);
        return 0;
      }
      const b = await startBroker({ port: wanted, ...cliDirs(args.dir), detached: true, quickStart: false });
      const state: CliState = {
        brokerPid: b.pid,
        ownerPid: null,
        port: b.port,
        controllerPort: b.controllerPort,
        dataDir: b.dataDir,
        logFile: b.logFile,
        version: KAFKA_VERSION,
        startedAt: new Date().toISOString(),
        runDir: b.runDir,
      };
      mkdirSync(dirname(stateFile(b.port)), { recursive: true });
      writeFileSync(stateFile(b.port), JSON.stringify(state, null, 2));
      console.log(`KAFKA_BROKERS=${b.brokers}`);
      console.log(`pid ${b.pid}, data ${b.dataDir}, log ${b.logFile}`);
      return 0;
    }
    case 'run': {
      const b = await startBroker({ port: args.port ?? 9092, ...cliDirs(args.dir), quickStart: false });
      console.log(`KAFKA_BROKERS=${b.brokers}  (log: ${b.logFile}; Ctrl-C to stop)`);
      await new Promise<void>((r) => {
        process.once('SIGINT', r);
        process.once('SIGTERM', r);
      });
      await b.stop();
      return 0;
    }
    case 'stop': {
      const states = readStates().filter((s) => args.port === undefined || s.port === args.port);
      if (states.length === 0) {
        console.log(args.port === undefined ? 'no broker started by this script' : `no broker on ${args.port}`);
        return 0;
      }
      for (const s of states) {
        if (isKafkaProcess(s.brokerPid)) {
          await killPid(s.brokerPid, 15_000);
          console.log(`stopped broker on port ${s.port} (pid ${s.brokerPid})`);
        } else {
          console.log(`broker on port ${s.port} was not running`);
        }
        if (s.runDir?.includes(TEMP_PREFIX)) rmSync(s.runDir, { recursive: true, force: true });
        rmSync(stateFile(s.port), { force: true });
      }
      return 0;
    }
    case 'status': {
      const states = readStates().filter((s) => args.port === undefined || s.port === args.port);
      if (states.length === 0) console.log('no broker started by this script');
      let allUp = states.length > 0;
      for (const s of states) {
        const alive = isKafkaProcess(s.brokerPid);
        let answers = false;
        if (alive) {
          try {
            await waitReady(`127.0.0.1:${s.port}`, 3000, () => false, false);
            answers = true;
          } catch {}
        }
        allUp &&= answers;
        console.log(
          `127.0.0.1:${s.port}  pid ${s.brokerPid}  ${alive ? (answers ? 'up' : 'not answering') : 'dead'}` +
            `  Kafka ${s.version}  data ${s.dataDir}  log ${s.logFile}`,
        );
      }
      return allUp ? 0 : 1;
    }
    default:
      console.log(USAGE);
      return args.cmd === 'help' || args.cmd === '--help' ? 0 : 2;
  }
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  cli(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (e: unknown) => {
      console.error(e instanceof PassageError ? `${e.code}: ${e.message}` : e);
      process.exit(1);
    },
  );
}
