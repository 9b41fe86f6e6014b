/**
 * Value guard rails of the counts role (issue 12 item 4), through the role as the runtime builds it
 * (`countsRole(config)`): absurd, negative, non-finite, reversed, unknown and redelivered records are dead-lettered
 * with a reason, and the bins hold exactly the valid records. Every case here was stored (or dropped silently) before.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '@passage/config';
import { type CountRecord, createLogger, type DeadLetter, type OperatorContext, StreamMetrics } from '@passage/stream';
import { describe, expect, it } from 'vitest';
import type { NormalisedCountRow } from './counts.ts';
import { countsRole } from './counts.ts';

const T0 = Date.UTC(2026, 2, 10, 7, 0);
const MIN = 60_000;
const rec = (minute: number, count: number | null, extra: Partial<CountRecord> = {}): CountRecord => ({
  sensorId: 'loop-1',
  start: T0 + minute * MIN,
  end: T0 + (minute + 1) * MIN,
  direction: 'in',
  mode: 'car',
  count,
  ...extra,
});

function run(records: CountRecord[], overrides: Record<string, unknown> = {}) {
  const config = loadConfig({ env: {}, overrides });
  const op = countsRole(config).create();
  const out: { stream: string; value: unknown }[] = [];
  const metrics = new StreamMetrics();
  const ctx = {
    emit: (stream: string, _key: string, value: unknown) => out.push({ stream, value }),
    watermark: Number.NEGATIVE_INFINITY,
    log: createLogger({ level: 'silent' }),
    metrics,
    role: 'counts',
    now: () => T0 + 3_600_000,
  } as unknown as OperatorContext;
  for (const r of records) op.processBatch([r], ctx); // one record per batch, like separate deliveries
  op.checkpoint?.(ctx);
  op.onWatermark?.(Number.POSITIVE_INFINITY, ctx);
  op.checkpoint?.(ctx);
  const rows = out.filter((o) => o.stream === 'norm').map((o) => o.value as NormalisedCountRow);
  const hour = rows.filter((r) => r.interval === '1h' && r.observedCount !== null);
  return {
    dead: out.filter((o) => o.stream === 'dlq').map((o) => o.value as DeadLetter),
    hourTotal: hour.reduce((s, r) => s + (r.observedCount ?? 0), 0),
    maxCount: Math.max(0, ...rows.filter((r) => r.interval === '1m').map((r) => r.count ?? 0)),
  };
}

describe('counts guard rails', () => {
  it('refuses a count above the per-interval ceiling (1e15 in one minute) and keeps the valid 12 + 9', () => {
    const r = run([rec(0, 12), rec(1, 1e15), rec(2, 9)]);
    expect(r.dead.map((d) => d.reason)).toEqual(['BAD_VALUE']);
    expect(r.dead[0].message).toContain('above the ceiling 333.3333333333333 (counts.maxPerHour 20000)');
    expect(r.hourTotal).toBe(21);
    expect(r.maxCount).toBe(12);
  });

  it('refuses 1e308 (stored as +Infinity in the hourly bin before) and a configured lower ceiling', () => {
    const r = run([rec(0, 1e308), rec(1, 40)]);
    expect(r.dead.map((d) => d.reason)).toEqual(['BAD_VALUE']);
    expect(Number.isFinite(r.maxCount)).toBe(true);
    expect(r.hourTotal).toBe(40);
    const low = run([rec(0, 40), rec(1, 41)], { counts: { maxPerHour: 2430 } }); // 40.5 per minute
    expect(low.dead.map((d) => d.reason)).toEqual(['BAD_VALUE']);
    expect(low.hourTotal).toBe(40);
  });

  it('refuses negative and non-finite counts handed to the operator in process', () => {
    const r = run([rec(0, -5), rec(1, Number.NaN), rec(2, Number.POSITIVE_INFINITY), rec(3, 7)]);
    expect(r.dead.map((d) => d.reason)).toEqual(['BAD_VALUE', 'BAD_VALUE', 'BAD_VALUE']);
    expect(r.hourTotal).toBe(7);
  });

  it('dead-letters an interval that ends before it starts instead of dropping it silently', () => {
    const r = run([rec(0, 10), { ...rec(1, 30), start: T0 + 2 * MIN, end: T0 + MIN }]);
    expect(r.dead.map((d) => d.reason)).toEqual(['BAD_VALUE']);
    expect(r.dead[0].message).toContain('must end after it starts');
    expect(r.hourTotal).toBe(10);
  });

  it('dead-letters UNKNOWN_SENSOR when a registry is configured, and accepts its counters', () => {
    const dir = mkdtempSync(join(tmpdir(), 'reg-guard-'));
    const sites = join(dir, 'registry.json');
    writeFileSync(sites, JSON.stringify({ counters: [{ id: 'loop-1', kind: 'loop', modes: ['car'] }] }));
    const r = run([rec(0, 14), rec(0, 99, { sensorId: 'loop-typo' })], { sitesFile: sites });
    expect(r.dead.map((d) => d.reason)).toEqual(['UNKNOWN_SENSOR']);
    expect(r.dead[0].message).toContain('loop-typo is not a counter of the site registry');
    expect(r.hourTotal).toBe(14);
    // Without a registry every sensor is accepted (nothing to check against).
    expect(run([rec(0, 14), rec(0, 99, { sensorId: 'loop-typo' })]).hourTotal).toBe(113);
  });

  it('stores the same record delivered 3 times once (by series and interval, or by its message id)', () => {
    const r = run([rec(0, 12), rec(0, 12), rec(1, 5), rec(0, 12)]);
    expect(r.dead.map((d) => d.reason)).toEqual(['DUPLICATE', 'DUPLICATE']);
    expect(r.hourTotal).toBe(17);
    const byId = run([rec(0, 12, { id: 'obs-1' }), rec(0, 12, { id: 'obs-1' }), rec(0, 12, { id: 'obs-1' })]);
    expect(byId.dead).toHaveLength(2);
    expect(byId.hourTotal).toBe(12);
  });
});
