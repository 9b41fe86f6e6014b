/**
 * `passage stack` against the test broker (--brokers): it fails loudly, naming the process that exits and why,
 * whether at start (a bad sites file) or while running (a worker SIGKILLed), and exposes its metrics.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const REPO = resolve(import.meta.dirname, '../../..');
const BIN = join(REPO, 'services/cli/bin/passage.js');
const BROKERS = process.env.KAFKA_BROKERS ?? '127.0.0.1:29092';
const tmp = mkdtempSync(join(tmpdir(), 'reg-stack-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** A configuration with topics and groups of their own, so the stack reads nothing of other tests. */
function isolated(tag: string): string {
  const id = `${tag}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 6)}`;
  const names = ['detections', 'detectionsRaw', 'counts', 'sightingsRaw', 'sightings', 'movements', 'lineCounts', 'od'];
  const more = ['odHourly', 'countsNorm', 'sensorHealth', 'forecasts', 'events', 'eventTotals', 'dlq'];
  const topics = Object.fromEntries([...names, ...more].map((n) => [n, `${n}.${id}`]));
  const file = join(tmp, `${id}.json`);
  writeFileSync(file, JSON.stringify({ topics, kafka: { groupPrefix: `g.${id}`, partitions: 1 } }));
  return file;
}

function stack(tag: string, sites: string, metricsPort: number) {
  const child: ChildProcess = spawn(
    process.execPath,
    [
      BIN,
      'stack',
      '--brokers',
      BROKERS,
      '--sites',
      sites,
      '--data',
      join(tmp, tag),
      '--api-port',
      '0',
      '--metrics-port',
      String(metricsPort),
    ],
    {
      env: { ...process.env, PASSAGE_LOG_LEVEL: 'warn', PASSAGE_CONFIG: isolated(tag) },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  child.stdout?.setEncoding('utf8');
  child.stderr?.setEncoding('utf8');
  let out = '';
  let err = '';
  child.stdout?.on('data', (d: string) => {
    out += d;
  });
  child.stderr?.on('data', (d: string) => {
    err += d;
  });
  const exit = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  return { child, exit, out: () => out, err: () => err };
}

const waitFor = async (cond: () => boolean, ms: number) => {
  const t0 = Date.now();
  while (!cond()) {
    if (Date.now() - t0 > ms) throw new Error('timeout');
    await new Promise((r) => setTimeout(r, 200));
  }
};

describe('passage stack', () => {
  it('exits 1 naming the process that refuses a bad sites file, instead of "Stack running"', async () => {
    const bad = join(tmp, 'bad-registry.json');
    writeFileSync(
      bad,
      JSON.stringify({ zones: [{ id: 'z1' }], sightingSites: [{ id: 's', zoneId: 'z1', kind: 'wifi' }] }),
    );
    const s = stack('bad', bad, 21400 + Math.floor(Math.random() * 500));
    const code = await s.exit;
    expect(code).toBe(1);
    expect(s.out()).not.toContain('Stack running');
    expect(s.err()).toMatch(
      /passage stack: \S+ \(pid \d+\) exited with code \d before it was ready; its last error: .*PASSAGE_REGISTRY_INVALID/,
    );
    expect(s.err()).toContain('[PASSAGE_STACK_CHILD_EXITED]');
  });

  it('when a worker is killed while running: names it and the signal, stops the others, exits 1; metrics served', async () => {
    const port = 22400 + Math.floor(Math.random() * 500);
    const s = stack('kill', join(REPO, 'infra/scenarios/chartres-centre/registry.json'), port);
    await waitFor(() => s.out().includes('Stack running') || s.child.exitCode !== null, 240_000);
    expect(s.out(), s.err().slice(-3000)).toMatch(/Stack running: \d+ processes, all ready./);
    const health = (await (await fetch(`http://127.0.0.1:${port}/healthz`)).json()) as {
      children: { name: string; pid: number; ready: boolean; running: boolean }[];
    };
    expect(health.children.map((c) => c.name)).toContain('counts');
    expect(health.children.every((c) => c.ready && c.running)).toBe(true);
    const metrics = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
    expect(metrics).toContain('passage_stack_child_up{child="counts"} 1');
    const counts = health.children.find((c) => c.name === 'counts');
    process.kill(counts?.pid as number, 'SIGKILL');
    const code = await s.exit;
    expect(code).toBe(1);
    expect(s.err()).toContain(`counts (pid ${counts?.pid}) was killed by SIGKILL while the stack was running`);
    expect(s.err()).toContain('stopped because counts exited. [PASSAGE_STACK_CHILD_EXITED]');
  }, 300_000);
});
