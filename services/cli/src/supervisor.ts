/**
 * Supervision of the child processes of `passage stack`: start each, wait until it says it is ready (a line
 * matching `READY`), forward its output prefixed with its name, and notice when one exits. A child that exits
 * while the stack runs (or before it is ready) is a failure named with its exit code or signal and the last error
 * line it printed: the stack then stops the others and exits non-zero, instead of running on without it.
 * State is exported as Prometheus metrics: `passage_stack_child_up{child}`, `passage_stack_child_ready{child}`,
 * `passage_stack_child_exits_total{child,code}`.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { Counter, Gauge, type Registry } from 'prom-client';

export interface ChildSpec {
  name: string;
  /** Arguments after the executable (e.g. [bin, 'worker', '--role', …]). */
  args: string[];
}

export interface ChildFailure {
  name: string;
  pid: number | undefined;
  code: number | null;
  signal: NodeJS.Signals | null;
  /** The last lines the child wrote on stderr (at most 20). */
  lastLines: string[];
  /** It exited before saying it was ready. */
  beforeReady: boolean;
}

export interface SupervisorOptions {
  command?: string;
  env?: NodeJS.ProcessEnv;
  registry: Registry;
  readyPattern?: RegExp;
  readyTimeoutMs?: number;
  /** Grace between SIGTERM and SIGKILL at stop. */
  stopTimeoutMs?: number;
  /** Where forwarded output goes (default process.stdout / process.stderr). */
  out?: (line: string) => void;
  err?: (line: string) => void;
}

/** One sentence saying which child stopped and why. */
export function describeFailure(f: ChildFailure): string {
  const how = f.signal ? `was killed by ${f.signal}` : `exited with code ${f.code}`;
  const why =
    [...f.lastLines].reverse().find((l) => /PASSAGE_|Error|error|FATAL|passage:/.test(l)) ?? f.lastLines.at(-1) ?? '';
  return (
    `${f.name} (pid ${f.pid ?? '?'}) ${how}${f.beforeReady ? ' before it was ready' : ' while the stack was running'}` +
    (why ? `; its last error: ${why.trim().slice(0, 500)}` : '; it printed no error')
  );
}

interface Running {
  spec: ChildSpec;
  proc: ChildProcess;
  ready: boolean;
  exited: boolean;
  lastLines: string[];
}

export class Supervisor {
  private readonly specs: readonly ChildSpec[];
  private readonly opts: SupervisorOptions;
  private readonly children: Running[] = [];
  private stopping = false;
  private failureResolve!: (f: ChildFailure) => void;
  /** Resolves with the first child that exits unexpectedly (never resolves while all run). */
  readonly failure: Promise<ChildFailure>;
  private readonly up: Gauge;
  private readonly readyGauge: Gauge;
  private readonly exits: Counter;

  constructor(specs: readonly ChildSpec[], opts: SupervisorOptions) {
    this.specs = specs;
    this.opts = opts;
    this.failure = new Promise((resolve) => {
      this.failureResolve = resolve;
    });
    this.up = new Gauge({
      name: 'passage_stack_child_up',
      help: 'Child process of passage stack running (1) or exited (0)',
      labelNames: ['child'],
      registers: [opts.registry],
    });
    this.readyGauge = new Gauge({
      name: 'passage_stack_child_ready',
      help: 'Child process of passage stack said it is ready',
      labelNames: ['child'],
      registers: [opts.registry],
    });
    this.exits = new Counter({
      name: 'passage_stack_child_exits_total',
      help: 'Exits of child processes of passage stack, by exit code or signal',
      labelNames: ['child', 'code'],
      registers: [opts.registry],
    });
  }

  /** Children and their state (for /healthz). */
  status(): { name: string; pid: number | undefined; ready: boolean; running: boolean }[] {
    return this.children.map((c) => ({ name: c.spec.name, pid: c.proc.pid, ready: c.ready, running: !c.exited }));
  }

  /**
   * Starts every child and resolves when all are ready; rejects with the failure when one exits first, or when
   * they are not all ready within `readyTimeoutMs` (default 120 s).
   */
  async start(): Promise<void> {
    const ready = this.specs.map((spec) => this.launch(spec));
    const timeoutMs = this.opts.readyTimeoutMs ?? 120_000;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        const waiting = this.children.filter((c) => !c.ready).map((c) => c.spec.name);
        reject(new Error(`not ready after ${timeoutMs / 1000} s: ${waiting.join(', ')}`));
      }, timeoutMs);
    });
    try {
      await Promise.race([
        Promise.all(ready),
        this.failure.then((f) => Promise.reject(Object.assign(new Error(describeFailure(f)), { failure: f }))),
        timeout,
      ]);
    } finally {
      clearTimeout(timer);
    }
  }

  private launch(spec: ChildSpec): Promise<void> {
    const proc = spawn(this.opts.command ?? process.execPath, spec.args, {
      env: this.opts.env ?? process.env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const c: Running = { spec, proc, ready: false, exited: false, lastLines: [] };
    this.children.push(c);
    this.up.set({ child: spec.name }, 1);
    this.readyGauge.set({ child: spec.name }, 0);
    const out = this.opts.out ?? ((l: string) => process.stdout.write(`${l}\n`));
    const err = this.opts.err ?? ((l: string) => process.stderr.write(`${l}\n`));
    const pattern = this.opts.readyPattern ?? /\bREADY\b/;
    let onReady: () => void = () => {};
    const readyP = new Promise<void>((resolve) => {
      onReady = resolve;
    });
    const lines = (stream: NodeJS.ReadableStream, sink: (l: string) => void, keep: boolean) => {
      let buf = '';
      stream.setEncoding('utf8');
      stream.on('data', (chunk: string) => {
        buf += chunk;
        let i = buf.indexOf('\n');
        while (i >= 0) {
          const line = buf.slice(0, i);
          buf = buf.slice(i + 1);
          sink(`[${spec.name}] ${line}`);
          if (keep) {
            c.lastLines.push(line);
            if (c.lastLines.length > 20) c.lastLines.shift();
          }
          if (!c.ready && pattern.test(line)) {
            c.ready = true;
            this.readyGauge.set({ child: spec.name }, 1);
            onReady();
          }
          i = buf.indexOf('\n');
        }
      });
      stream.on('end', () => {
        if (buf) {
          sink(`[${spec.name}] ${buf}`);
          if (keep) c.lastLines.push(buf);
        }
      });
    };
    if (proc.stdout) lines(proc.stdout, out, false);
    if (proc.stderr) lines(proc.stderr, err, true);
    const onExit = (code: number | null, signal: NodeJS.Signals | null) => {
      if (c.exited) return;
      c.exited = true;
      this.up.set({ child: spec.name }, 0);
      this.exits.inc({ child: spec.name, code: signal ?? String(code) });
      if (!this.stopping) {
        this.failureResolve({
          name: spec.name,
          pid: proc.pid,
          code,
          signal,
          lastLines: [...c.lastLines],
          beforeReady: !c.ready,
        });
      }
    };
    // 'close' fires after the output streams ended, so lastLines holds what the child printed before dying.
    proc.once('close', onExit);
    proc.once('error', (e) => {
      c.lastLines.push(`cannot start: ${e.message}`);
      onExit(null, null);
    });
    return readyP;
  }

  /** SIGTERM to every running child, SIGKILL after the grace; resolves when all have exited. */
  async stop(): Promise<void> {
    this.stopping = true;
    const grace = this.opts.stopTimeoutMs ?? 30_000;
    await Promise.all(
      this.children.map(
        (c) =>
          new Promise<void>((resolve) => {
            if (c.exited || c.proc.exitCode !== null || c.proc.signalCode !== null) return resolve();
            const kill = setTimeout(() => c.proc.kill('SIGKILL'), grace);
            c.proc.once('close', () => {
              clearTimeout(kill);
              resolve();
            });
            c.proc.kill('SIGTERM');
          }),
      ),
    );
  }
}
