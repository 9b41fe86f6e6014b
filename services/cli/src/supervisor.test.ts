import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { type ChildSpec, describeFailure, Supervisor } from './supervisor.ts';

const node = (name: string, script: string): ChildSpec => ({ name, args: ['-e', script] });
const READY = "console.log('READY');";
const forever = `${READY} setInterval(() => {}, 1000); process.on('SIGTERM', () => process.exit(0));`;

function supervisor(specs: ChildSpec[]) {
  const registry = new Registry();
  const lines: string[] = [];
  const sup = new Supervisor(specs, {
    registry,
    out: (l) => lines.push(l),
    err: (l) => lines.push(l),
    stopTimeoutMs: 5000,
  });
  return { sup, registry, lines };
}

describe('Supervisor (passage stack)', () => {
  it('names the child that exits while the stack runs, its code and last error; stops the others; counts it', async () => {
    const { sup, registry, lines } = supervisor([
      node('video-flows', forever),
      node(
        'od-matcher',
        `${READY} setTimeout(() => { console.error('passage: Connection error: connect ECONNREFUSED 127.0.0.1:9092 [KafkaJSNonRetriableError]'); process.exit(3); }, 300);`,
      ),
    ]);
    await sup.start();
    const f = await sup.failure;
    expect(f.name).toBe('od-matcher');
    expect(f.code).toBe(3);
    expect(f.beforeReady).toBe(false);
    const msg = describeFailure(f);
    expect(msg).toMatch(
      /^od-matcher \(pid \d+\) exited with code 3 while the stack was running; its last error: passage: Connection error/,
    );
    await sup.stop();
    expect(sup.status().map((c) => [c.name, c.running])).toEqual([
      ['video-flows', false],
      ['od-matcher', false],
    ]);
    expect(lines).toContain('[od-matcher] READY');
    const text = await registry.metrics();
    expect(text).toContain('passage_stack_child_up{child="od-matcher"} 0');
    expect(text).toContain('passage_stack_child_ready{child="video-flows"} 1');
    expect(text).toContain('passage_stack_child_exits_total{child="od-matcher",code="3"} 1');
    // The deliberate stop is counted but is no failure.
    expect(text).toContain('passage_stack_child_exits_total{child="video-flows",code="0"} 1');
  });

  it('fails the start when a child exits before it is ready, with its error', async () => {
    const { sup } = supervisor([
      node('tokenizer', forever),
      node(
        'sink+api',
        "console.error('passage: The sites file x.json has 2 error(s) [PASSAGE_REGISTRY_INVALID]'); process.exit(2);",
      ),
    ]);
    const err = await sup.start().catch((e: Error) => e);
    await sup.stop();
    expect((err as Error).message).toMatch(
      /^sink\+api \(pid \d+\) exited with code 2 before it was ready; its last error: .*\[PASSAGE_REGISTRY_INVALID\]$/,
    );
  });

  it('reports a child killed by a signal', async () => {
    const { sup } = supervisor([node('counts', forever)]);
    await sup.start();
    const pid = sup.status()[0].pid as number;
    process.kill(pid, 'SIGKILL');
    const f = await sup.failure;
    expect(describeFailure(f)).toBe(
      `counts (pid ${pid}) was killed by SIGKILL while the stack was running; it printed no error`,
    );
    await sup.stop();
  });
});
