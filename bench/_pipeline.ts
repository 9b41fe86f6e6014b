/**
 * The Kafka pipeline of the fault and soak benches: one OS process per role (bench/_role.ts) and an ingest process
 * (bench/_produce.ts) replaying a fixed input file, so any of them can be SIGKILLed and restarted like a real
 * deployment. Totals come from the sinks' store when they stop.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { appendFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { type Config, loadConfig } from '@passage/config';
import { createLogger, KafkaTransport, kafkaConnection, StreamMetrics } from '@passage/stream';

const HERE = resolve(import.meta.dirname);

/** Processes of the pipeline and their roles (all sinks share one process, as they share the store). */
export const ROLE_PROCESSES: Record<string, string[]> = {
  'video-flows': ['video-flows'],
  counts: ['counts'],
  tokenizer: ['tokenizer'],
  'od-matcher': ['od-matcher'],
  sinks: ['sink-line-counts', 'sink-movements', 'sink-counts', 'sink-sensor-health', 'sink-od', 'sink-od-hourly'],
};

export interface Sample {
  t: number;
  rssMiB: number;
  heapMiB: number;
  eldP50Ms: number;
  eldP99Ms: number;
  eldMaxMs: number;
}

export interface RoleProcess {
  name: string;
  child: ChildProcess;
  ready: Promise<void>;
  exited: Promise<number | null>;
  output(): string;
}

function spawnScript(name: string, script: string, args: string[], onLine: (line: string) => void): RoleProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', join(HERE, script), ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, PASSAGE_LOG_LEVEL: process.env.PASSAGE_LOG_LEVEL ?? 'error' },
  });
  let out = '';
  let buf = '';
  const ready = new Promise<void>((res, rej) => {
    child.stdout?.on('data', (d: Buffer) => {
      buf += d.toString();
      let i = buf.indexOf('\n');
      while (i >= 0) {
        const line = buf.slice(0, i);
        buf = buf.slice(i + 1);
        if (line.startsWith('READY')) res();
        else onLine(line);
        i = buf.indexOf('\n');
      }
    });
    // PASSAGE_BENCH_LOG_DIR keeps every process's log lines (one file per process name, appended across restarts).
    const logDir = process.env.PASSAGE_BENCH_LOG_DIR;
    if (logDir) mkdirSync(logDir, { recursive: true });
    child.stderr?.on('data', (d: Buffer) => {
      out = (out + d.toString()).slice(-20_000);
      if (logDir) appendFileSync(join(logDir, `${name}.log`), d);
    });
    child.once('exit', (code, sig) => rej(new Error(`${name} exited (${code ?? sig}) before it was ready:\n${out}`)));
  });
  ready.catch(() => undefined);
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  return { name, child, ready, exited, output: () => out };
}

export class Pipeline {
  readonly procs = new Map<string, RoleProcess>();
  readonly samples = new Map<string, Sample[]>();
  totals: Record<string, number> | undefined;
  readonly dataDir = mkdtempSync(join(tmpdir(), 'passage-bench-store-'));
  constructor(
    readonly configFile: string,
    readonly sampleMs = 5000,
  ) {}

  /** Starts (or restarts) one role process and waits until it is consuming. */
  async start(name: string): Promise<void> {
    const args = [
      '--roles',
      ROLE_PROCESSES[name].join(','),
      '--instance',
      `bench-${name}`,
      '--config',
      this.configFile,
    ];
    if (name === 'sinks') args.push('--data', this.dataDir);
    args.push('--sample-ms', String(this.sampleMs));
    const p = spawnScript(name, '_role.ts', args, (line) => {
      if (line.startsWith('SAMPLE ')) {
        const list = this.samples.get(name) ?? [];
        list.push(JSON.parse(line.slice(7)) as Sample);
        this.samples.set(name, list);
      } else if (line.startsWith('TOTALS ')) this.totals = JSON.parse(line.slice(7));
    });
    this.procs.set(name, p);
    await p.ready;
  }

  async startAll(): Promise<void> {
    // Sinks first, so outputs are stored as soon as they are produced.
    for (const name of Object.keys(ROLE_PROCESSES).sort((a, b) => Number(b === 'sinks') - Number(a === 'sinks'))) {
      await this.start(name);
    }
  }

  /** SIGKILL: no shutdown hook runs. */
  async kill(name: string): Promise<void> {
    const p = this.procs.get(name);
    if (!p) throw new Error(`no process ${name}`);
    p.child.kill('SIGKILL');
    await p.exited;
  }

  /** Removes the sinks' store (after every process stopped). */
  dispose(): void {
    rmSync(this.dataDir, { recursive: true, force: true });
  }

  /** Graceful stop of one process (SIGTERM: final outputs, flush, commit). */
  async stop(name: string): Promise<void> {
    const p = this.procs.get(name);
    if (!p || p.child.exitCode !== null) return;
    p.child.kill('SIGTERM');
    const code = await p.exited;
    if (code !== 0) throw new Error(`${name} did not stop cleanly (exit ${code}):\n${p.output().slice(-3000)}`);
  }
}

/** Ingest as its own process: sends the records of `inputFile` (JSON lines) from the last acknowledged one. */
export function startIngest(
  configFile: string,
  inputFile: string,
  progressFile: string,
  rate: number,
  soak?: { durationMs: number; spanMs: number },
): RoleProcess {
  const args = ['--config', configFile, '--input', inputFile, '--progress', progressFile, '--rate', String(rate)];
  if (soak) args.push('--duration-ms', String(soak.durationMs), '--span-ms', String(soak.spanMs));
  return spawnScript('ingest', '_produce.ts', args, () => undefined);
}

/** Committed offsets of every group of the pipeline (a fingerprint of progress). */
export async function progress(t: KafkaTransport, config: Config): Promise<string> {
  const admin = t.kafka.admin();
  try {
    await admin.connect();
    const groups = Object.values(ROLE_PROCESSES)
      .flat()
      .map((r) => `${config.kafka.groupPrefix}.${r}`);
    const parts: string[] = [];
    for (const g of groups) {
      const rs = await admin.fetchOffsets({ groupId: g });
      for (const r of rs) for (const p of r.partitions) parts.push(`${g}/${r.topic}/${p.partition}=${p.offset}`);
    }
    return parts.sort().join(',');
  } catch (e) {
    return `error ${(e as Error).message}`;
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
}

/** Until no group commits anything for `quietMs` (every record consumed, or the pipeline stuck). */
export async function quiescent(t: KafkaTransport, config: Config, quietMs = 6000, maxMs = 300_000): Promise<void> {
  const t0 = Date.now();
  let last = '';
  let since = Date.now();
  while (Date.now() - t0 < maxMs) {
    const now = await progress(t, config);
    if (now !== last || now.startsWith('error')) {
      last = now;
      since = Date.now();
    } else if (Date.now() - since >= quietMs) return;
    await new Promise((r) => setTimeout(r, 1000));
  }
}

export function writeConfig(overrides: Record<string, unknown>): string {
  const dir = mkdtempSync(join(tmpdir(), 'passage-bench-'));
  const file = join(dir, 'config.json');
  writeFileSync(file, JSON.stringify(overrides));
  return file;
}

/** A plain transport of a bench process (topic creation, sends, offsets), with the configured security. */
export function benchTransport(config: Config, clientId: string): KafkaTransport {
  return new KafkaTransport({
    brokers: config.kafka.brokers,
    clientId,
    log: createLogger({ level: 'error' }),
    metrics: new StreamMetrics(),
    groupPrefix: config.kafka.groupPrefix,
    ...kafkaConnection(config.kafka),
  });
}

/** Own topics and groups for one run (`id`), the scenario's sites; written to a file for the role processes. */
export function pipelineConfig(
  id: string,
  brokers: string,
  sitesFile: string,
): { configFile: string; config: Config; t: KafkaTransport } {
  const names = ['detections', 'counts', 'sightingsRaw', 'sightings', 'lineCounts', 'movements', 'od', 'odHourly'];
  const topics = Object.fromEntries([...names, 'countsNorm', 'sensorHealth', 'dlq'].map((n) => [n, `${n}.${id}`]));
  const configFile = writeConfig({
    kafka: { brokers: brokers.split(','), groupPrefix: `g.${id}`, partitions: 4 },
    topics,
    sitesFile,
    stream: { sinkFlushMs: 500 },
  });
  const config = loadConfig({ file: configFile });
  return { configFile, config, t: benchTransport(config, `bench-${id}`) };
}
