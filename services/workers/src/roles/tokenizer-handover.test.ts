/**
 * Key hand-over within an epoch (issue 12 item 5), with a fake key store: a restarted tokenizer adopts the epoch's
 * random key and gives the same tokens; at rotation (plus the grace) the old key is tombstoned; no key byte reaches
 * an output, a log line or the snapshot. The real broker: od-crash.int.test.ts.
 */
import type { RawSighting, TokenSighting } from '@passage/stream';
import { createLogger, type OperatorContext } from '@passage/stream';
import { describe, expect, it } from 'vitest';
import { type TokenizerKeyStore, TokenizerOperator } from './tokenizer.ts';

const HOUR = 3_600_000;
const T0 = Date.parse('2026-03-10T07:00:00Z'); // an epoch start for a 1-hour rotation
const EPOCH = T0 / HOUR;
const KEK = 'kek-for-tests-only-0123456789-abcdefgh';

/** An in-memory compacted topic: latest value per key; every write kept in `log` (tombstones as null). */
class FakeStore implements TokenizerKeyStore {
  readonly live = new Map<string, Buffer>();
  readonly log: { key: string; value: Buffer | null }[] = [];
  readonly times: number[] = [];
  failPuts = 0;
  failLoads = 0;
  async load() {
    if (this.failLoads > 0) {
      this.failLoads--;
      throw new Error('This server does not host this topic-partition');
    }
    return new Map([...this.live].map(([k, v]) => [k, Buffer.from(v)]));
  }
  async put(key: string, value: Buffer, timestamp: number) {
    this.times.push(timestamp);
    if (this.failPuts > 0) {
      this.failPuts--;
      throw new Error('broker unreachable');
    }
    this.live.set(key, Buffer.from(value));
    this.log.push({ key, value: Buffer.from(value) });
  }
  async remove(key: string, timestamp: number) {
    this.times.push(timestamp);
    this.live.delete(key);
    this.log.push({ key, value: null });
  }
}

const lines: string[] = [];
const log = createLogger({ level: 'trace', destination: { write: (l: string) => void lines.push(l) } });

function ctxAt(now: () => number, out: TokenSighting[]): OperatorContext {
  return {
    emit: (_s: string, _k: string, v: unknown) => void out.push(v as TokenSighting),
    log,
    now,
    watermark: 0,
    role: 'tokenizer',
  } as unknown as OperatorContext;
}

const sighting = (i: number, ts: number): RawSighting => ({
  siteId: 'wifi-a',
  ts,
  kind: 'wifi',
  id: `00:1a:2b:00:00:${(i & 255).toString(16).padStart(2, '0')}`,
});

/** A tokenizer process: started (hand-over read), then one batch per call at the given trusted time. */
async function processAt(store: FakeStore, secret = '') {
  let now = 0;
  const out: TokenSighting[] = [];
  const ctx = ctxAt(() => now, out);
  const op = new TokenizerOperator(HOUR, '', { store, secret, retryMs: 1 });
  return {
    op,
    out,
    async start(t: number) {
      now = t;
      await op.onStart(ctx);
    },
    async batch(t: number, ids: number[]) {
      now = t;
      const from = out.length;
      await op.processBatch(
        ids.map((i) => sighting(i, t)),
        ctx,
      );
      return out.slice(from).map((s) => s.token);
    },
    async watermark(t: number) {
      now = t;
      await op.onWatermark(t, ctx);
    },
  };
}

describe('tokenizer key hand-over (fake store)', () => {
  it('a tokenizer killed mid-epoch and restarted gives the same tokens; a new epoch gets a new key', async () => {
    const store = new FakeStore();
    const a = await processAt(store);
    await a.start(T0 + 60_000);
    const before = await a.batch(T0 + 20 * 60_000, [1, 2, 3]);
    expect(store.log.map((r) => [r.key, r.value?.length])).toEqual([[`${HOUR}/0/${EPOCH}`, 61]]);
    // Its record time is the epoch's start on the host clock (the topic's retention counts from it): written one
    // minute into the epoch (trusted clock), so one minute before the host's now.
    expect(Math.abs(store.times[0] - (Date.now() - 60_000))).toBeLessThan(5_000);
    // SIGKILL: no onClose. The successor reads the topic at start.
    const b = await processAt(store);
    await b.start(T0 + 30 * 60_000);
    expect(await b.batch(T0 + 31 * 60_000, [3, 2, 1])).toEqual([...before].reverse());
    expect(b.op.snapshot()).toMatchObject({ keysAdopted: 1, keysWritten: 0, rotations: 0, tokenized: 3 });
    expect(store.log).toHaveLength(1); // the adopted key is not written again

    // Rotation: the new epoch's key is written before its tokens; the old one stays for the 5-min grace.
    const next = await b.batch(T0 + HOUR + 60_000, [1]);
    expect(next[0]).not.toBe(before[0]);
    expect([...store.live.keys()]).toEqual([`${HOUR}/0/${EPOCH}`, `${HOUR}/0/${EPOCH + 1}`]);
    // Grace over (a watermark without sightings): the old key is zeroed and tombstoned.
    await b.watermark(T0 + HOUR + 5 * 60_000 + 1);
    expect(store.log.at(-1)).toEqual({ key: `${HOUR}/0/${EPOCH}`, value: null });
    expect([...store.live.keys()]).toEqual([`${HOUR}/0/${EPOCH + 1}`]);
    expect(b.op.snapshot()).toMatchObject({ keysAdopted: 1, keysWritten: 1, keysTombstoned: 1, rotations: 1 });

    // A restart after the rotation cannot give an old token back: the old key is gone everywhere.
    const c = await processAt(store);
    await c.start(T0 + HOUR + 10 * 60_000);
    const again = await c.batch(T0 + HOUR + 10 * 60_000, [1, 2, 3]);
    expect(again[0]).toBe(next[0]);
    expect(again.filter((t) => before.includes(t))).toEqual([]);
  });

  it('a read that fails for a moment at start is retried: the restarted tokenizer still adopts the key', async () => {
    const store = new FakeStore();
    const a = await processAt(store);
    await a.start(T0 + 60_000);
    const before = await a.batch(T0 + 2 * 60_000, [1, 2]);
    // The key topic's leader is moving when the successor starts: two reads fail, the third answers.
    store.failLoads = 2;
    const b = await processAt(store);
    await b.start(T0 + 3 * 60_000);
    expect(store.failLoads).toBe(0);
    expect(await b.batch(T0 + 3 * 60_000, [1, 2])).toEqual(before);
    expect(b.op.snapshot()).toMatchObject({ keysAdopted: 1, keysWritten: 0 });
    // Five failures in a row (the default attempts): a new key, said and counted, never a silent hang.
    store.failLoads = 5;
    const c = await processAt(store);
    await c.start(T0 + 4 * 60_000);
    expect(await c.batch(T0 + 4 * 60_000, [1, 2])).not.toEqual(before);
    expect(c.op.snapshot()).toMatchObject({ keysAdopted: 0, keysWritten: 1 });
    expect(lines.some((l) => l.includes('could not be read: starting with a new key'))).toBe(true);
  });

  it('keys a crashed tokenizer could not destroy are tombstoned by its successor', async () => {
    const store = new FakeStore();
    const a = await processAt(store);
    await a.start(T0);
    const old = await a.batch(T0 + 10 * 60_000, [5]);
    // Killed; restarted 2 h later (epoch and grace over): the stale key is destroyed, a new one drawn and written.
    const b = await processAt(store);
    await b.start(T0 + 2 * HOUR + 60_000);
    expect(store.log.map((r) => [r.key, r.value === null])).toEqual([
      [`${HOUR}/0/${EPOCH}`, false],
      [`${HOUR}/0/${EPOCH}`, true],
      [`${HOUR}/0/${EPOCH + 2}`, false],
    ]);
    expect(await b.batch(T0 + 2 * HOUR + 60_000, [5])).not.toEqual(old);
    expect(b.op.snapshot()).toMatchObject({ keysAdopted: 0, keysTombstoned: 1, keysWritten: 1 });
  });

  it('with a key-encryption secret the stored key is encrypted; a wrong secret cannot adopt it', async () => {
    const store = new FakeStore();
    const a = await processAt(store, KEK);
    await a.start(T0);
    const tokens = await a.batch(T0 + 60_000, [7, 8]);
    expect(store.log[0].value?.length).toBe(29 + 12 + 16 + 32);
    const b = await processAt(store, KEK);
    await b.start(T0 + 120_000);
    expect(await b.batch(T0 + 120_000, [7, 8])).toEqual(tokens);
    // Another secret (or none): the record is unreadable, tombstoned, a new key drawn, and the operator says so.
    lines.length = 0;
    const c = await processAt(store, 'another-kek-for-tests-0123456789-abcdefgh');
    await c.start(T0 + 180_000);
    expect(await c.batch(T0 + 180_000, [7])).not.toEqual([tokens[0]]);
    expect(c.op.snapshot()).toMatchObject({ keysAdopted: 0, keysUnreadable: 1, keysTombstoned: 1, keysWritten: 1 });
    expect(lines.some((l) => l.includes('"reason":"wrong-secret"') && l.includes('"level":40'))).toBe(true);
  });

  it('a failed key write is retried, then tokenizing goes on (counted, logged) and the next batch writes it', async () => {
    const store = new FakeStore();
    const a = await processAt(store);
    await a.start(T0);
    store.failPuts = 2; // two failures, the third attempt succeeds
    expect(await a.batch(T0 + 1000, [1])).toHaveLength(1);
    expect(store.live.size).toBe(1);
    expect(a.op.snapshot()).toMatchObject({ keyWriteFailures: 0, keysWritten: 1 });
    lines.length = 0;
    // Every attempt fails: the batch is still tokenized, the failure counted and logged, the next batch writes.
    const failing = new FakeStore();
    failing.failPuts = 5;
    const c = await processAt(failing);
    await c.start(T0 + 2000);
    expect(c.op.snapshot()).toMatchObject({ keyWriteFailures: 1, keysWritten: 0 });
    expect(await c.batch(T0 + 3000, [1, 2])).toHaveLength(2);
    expect(c.op.snapshot()).toMatchObject({ keyWriteFailures: 1, keysWritten: 1 });
    expect(failing.live.size).toBe(1);
    expect(lines.some((l) => l.includes('hand-over write failed') && l.includes('"level":40'))).toBe(true);
  });

  it('no key byte reaches an output, a log line (trace level) or the snapshot', async () => {
    const store = new FakeStore();
    lines.length = 0;
    const a = await processAt(store);
    await a.start(T0);
    await a.batch(T0 + 1000, [1, 2, 3]);
    await a.batch(T0 + HOUR + 1000, [1, 2, 3]);
    await a.watermark(T0 + HOUR + 6 * 60_000);
    const b = await processAt(store);
    await b.start(T0 + HOUR + 7 * 60_000);
    await b.batch(T0 + HOUR + 7 * 60_000, [4]);
    const keys = store.log.filter((r) => r.value !== null).map((r) => (r.value as Buffer).subarray(29));
    expect(keys).toHaveLength(2);
    const shown = [JSON.stringify([...a.out, ...b.out]), lines.join('\n'), JSON.stringify([a.op.snapshot(), b.op])];
    expect(lines.length).toBeGreaterThan(5);
    for (const k of keys) {
      for (const enc of ['hex', 'base64', 'base64url', 'latin1'] as const) {
        for (const s of shown) expect(s.includes(k.toString(enc).slice(0, 16))).toBe(false);
      }
    }
  });

  it('with privacy.keySecret the store is not used (derived keys need no hand-over)', async () => {
    const store = new FakeStore();
    const op = new TokenizerOperator(HOUR, 'test-only-secret-0123456789-abcdefghijklmnop', { store });
    const out: TokenSighting[] = [];
    const ctx = ctxAt(() => T0, out);
    await op.onStart?.(ctx);
    await op.processBatch([sighting(1, T0)], ctx);
    expect(out).toHaveLength(1);
    expect(store.log).toEqual([]);
    expect(op.snapshot()).not.toHaveProperty('keysWritten');
  });
});
