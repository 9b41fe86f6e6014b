import { loadConfig } from '@passage/config';
import { mulberry32 } from '@passage/core/prng';
import { createLogger, type OperatorContext, StreamMetrics, type TokenSighting } from '@passage/stream';
import { describe, expect, it } from 'vitest';
import { OdMatcherOperator } from './od-matcher.ts';

const config = loadConfig({
  env: {},
  overrides: {
    privacy: { k: 2, maxTravelTimeS: 600 },
    od: { siteZones: { a: 'A', b: 'B', c: 'C', d: 'D' }, maxTripDurationS: 1200 },
  },
});
const T0 = Date.parse('2026-05-04T08:00:00Z');

/** 600 tokens, 2–3 sites each, delivered in arrival order that is NOT event-time order (4 interleaved partitions). */
function arrivals(): TokenSighting[] {
  const rnd = mulberry32(5);
  const s: TokenSighting[] = [];
  for (let i = 0; i < 600; i++) {
    let t = T0 + Math.floor(rnd() * 5_400_000);
    for (let v = 0, n = 2 + Math.floor(rnd() * 2); v < n; v++) {
      s.push({ siteId: 'abcd'[Math.floor(rnd() * 4)], ts: t, kind: 'anpr', token: `tk${String(i).padStart(20, '0')}` });
      t += 120_000 + Math.floor(rnd() * 400_000);
    }
  }
  s.sort((x, y) => x.ts - y.ts);
  // Partition p delivers its share up to 3 minutes behind the others.
  return s
    .map((x, i) => ({ x, k: x.ts + (i % 4) * 60_000 }))
    .sort((p, q) => p.k - q.k)
    .map((p) => p.x);
}

type Emitted = { stream: string; key: string; value: unknown };
function ctx(out: Emitted[]): OperatorContext {
  return {
    emit: (stream, key, value) => out.push({ stream, key, value }),
    watermark: Number.NEGATIVE_INFINITY,
    log: createLogger({ level: 'silent' }),
    metrics: new StreamMetrics(),
    role: 'od-matcher',
  };
}
const trips = (out: Emitted[], stream: string) =>
  out.filter((o) => o.stream === stream).reduce((a, o) => a + (o.value as { trips: number }).trips, 0);

/** Feeds batches of 200 with a watermark 4 minutes behind; `crashAt`: a new operator restored from the log. */
function run(input: TokenSighting[], crashAt?: number) {
  const topic = new Map<string, Buffer>(); // compacted: latest value per key
  const out: Emitted[] = [];
  const c = ctx(out);
  let op = new OdMatcherOperator(config);
  op.restore([], c);
  for (let i = 0; i < input.length; i += 200) {
    if (i === crashAt) {
      op = new OdMatcherOperator(config);
      op.restore([...topic.values()], c);
      expect(op.heldSightings()).toBeGreaterThan(0);
    }
    const batch = input.slice(i, i + 200);
    op.processBatch(batch);
    op.onWatermark(Math.max(...batch.map((s) => s.ts)) - 240_000, c);
    const before = out.length;
    op.checkpoint(c);
    for (const r of out.splice(before)) topic.set(r.key, Buffer.from(JSON.stringify(r.value)));
  }
  op.onWatermark(Number.POSITIVE_INFINITY, c);
  op.onClose(c);
  for (const r of out.filter((o) => o.stream === 'state')) topic.set(r.key, Buffer.from(JSON.stringify(r.value)));
  return { out: out.filter((o) => o.stream !== 'state'), topic };
}

describe('od-matcher role: sightings held for order are checkpointed with the state', () => {
  const input = arrivals();
  const clean = run(input);

  it('a crash between batches, restored from the checkpoint records, publishes the clean run’s cells', () => {
    expect(trips(clean.out, 'od')).toBeGreaterThan(300);
    for (const at of [600, 1000]) {
      const crashed = run(input, at);
      expect(crashed.out.map((o) => JSON.stringify(o))).toEqual(clean.out.map((o) => JSON.stringify(o)));
    }
  });

  it('after a graceful stop the checkpoint is empty: a restart publishes nothing twice', () => {
    const out: Emitted[] = [];
    const op = new OdMatcherOperator(config);
    op.restore([...clean.topic.values()], ctx(out));
    expect(op.heldSightings()).toBe(0);
    expect(op.matcher.stateSize()).toBe(0);
    op.onWatermark(Number.POSITIVE_INFINITY, ctx(out));
    op.onClose(ctx(out));
    expect(trips(out, 'od') + trips(out, 'odHourly')).toBe(0);
  });
});
