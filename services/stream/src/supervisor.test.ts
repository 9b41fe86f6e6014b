import { describe, expect, it } from 'vitest';
import { createLogger } from './log.ts';
import { backoffMs, Supervisor, serialized } from './supervisor.ts';

const log = createLogger({ level: 'silent' });

describe('Supervisor', () => {
  it('backoff doubles, is bounded and jittered by at most 20 %', () => {
    expect(backoffMs(0, 100, 1000, () => 0.5)).toBe(100);
    expect(backoffMs(3, 100, 1000, () => 0.5)).toBe(800);
    expect(backoffMs(10, 100, 1000, () => 0.5)).toBe(1000);
    expect(backoffMs(10, 100, 1000, () => 0)).toBe(800);
    expect(backoffMs(10, 100, 1000, () => 1)).toBe(1200);
  });

  it('connects with retries, reconnects after a failure, and is ready only while consuming', async () => {
    let attempts = 0;
    let teardowns = 0;
    let flushed = 0;
    const s = new Supervisor('r', log, {
      initialRetryMs: 5,
      maxRetryMs: 20,
      connect: async () => {
        if (++attempts < 3) throw new Error('ECONNREFUSED');
      },
      teardown: async () => void teardowns++,
      beforeReconnect: async () => void flushed++,
    });
    await s.start();
    expect(attempts).toBe(3);
    expect(s.health().ready).toBe(false); // connected, group not joined yet
    s.consuming();
    s.fetched();
    expect(s.health()).toMatchObject({ state: 'consuming', ready: true, restarts: 0 });
    s.fail(new Error('Connection error'));
    s.fail(new Error('reported twice')); // one recovery only
    expect(s.health()).toMatchObject({ state: 'recovering', ready: false, restarts: 1, lastError: 'Connection error' });
    await new Promise((r) => setTimeout(r, 50));
    expect(attempts).toBe(4);
    expect(flushed).toBe(1);
    expect(teardowns).toBe(3); // two failed connects, one failure
    s.consuming();
    expect(s.health().ready).toBe(true);
    await s.stop();
    expect(s.health()).toMatchObject({ state: 'stopped', ready: false });
  });

  it('a consuming role that stopped fetching is not ready; stop ends a retry loop', async () => {
    const s = new Supervisor('r', log, { staleFetchMs: 30, connect: async () => undefined, teardown: async () => {} });
    await s.start();
    s.consuming();
    s.fetched();
    expect(s.health().ready).toBe(true);
    await new Promise((r) => setTimeout(r, 50));
    expect(s.health().ready).toBe(false);
    const down = new Supervisor('r', log, {
      initialRetryMs: 10_000,
      connect: async () => {
        throw new Error('down');
      },
      teardown: async () => {},
    });
    const started = down.start();
    await new Promise((r) => setTimeout(r, 20));
    await down.stop();
    await started; // returns at once instead of waiting out the backoff
    expect(down.health().state).toBe('stopped');
  });

  it('serialized runs functions one after another, even when one fails', async () => {
    const run = serialized();
    const order: string[] = [];
    const slow = run(async () => {
      await new Promise((r) => setTimeout(r, 20));
      order.push('a');
    });
    const bad = run(async () => {
      order.push('b');
      throw new Error('x');
    });
    const after = run(async () => void order.push('c'));
    await slow;
    await expect(bad).rejects.toThrow('x');
    await after;
    expect(order).toEqual(['a', 'b', 'c']);
  });
});
