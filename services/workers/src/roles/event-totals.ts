import type { Config } from '@passage/config';
import { jsonCodec, type Operator, type ProcessorRole, type SinkRole, TumblingSums } from '@passage/stream';
import { type Static, Type } from '@sinclair/typebox';

/**
 * The backbone's reference role: generic metric events `{key, ts, value}` → per-minute totals
 * (count and sum of value per key). Proves the runtime end to end; later roles follow the same shape.
 */
export const MetricEvent = Type.Object(
  {
    key: Type.String({ minLength: 1, maxLength: 128 }),
    ts: Type.Number({ minimum: 0 }),
    value: Type.Number(),
  },
  { additionalProperties: false },
);
export type MetricEvent = Static<typeof MetricEvent>;

export const EventTotal = Type.Object(
  {
    windowStart: Type.Number({ minimum: 0 }),
    key: Type.String({ minLength: 1, maxLength: 128 }),
    events: Type.Integer({ minimum: 0 }),
    valueSum: Type.Number(),
  },
  { additionalProperties: false },
);
export type EventTotal = Static<typeof EventTotal>;

class EventTotalsOperator implements Operator<MetricEvent> {
  readonly name = 'event-totals';
  private readonly windows: TumblingSums<{ events: number; valueSum: number }>;

  constructor(windowMs: number) {
    this.windows = new TumblingSums(windowMs, () => ({ events: 0, valueSum: 0 }));
  }

  processBatch(events: readonly MetricEvent[]): void {
    for (const e of events) this.windows.add(e.ts, e.key, { events: 1, valueSum: e.value });
  }

  /** Emits partial totals of every open window: downstream sums them, so any checkpoint cadence is exact. */
  checkpoint(ctx: Parameters<NonNullable<Operator<MetricEvent>['checkpoint']>>[0]): void {
    for (const b of this.windows.drain()) {
      const out: EventTotal = {
        windowStart: b.windowStart,
        key: b.key,
        events: b.sums.events,
        valueSum: b.sums.valueSum,
      };
      ctx.emit('totals', b.key, out);
    }
  }

  snapshot(): Record<string, number> {
    return { windows: this.windows.size };
  }
}

export function eventTotalsRole(config: Config): ProcessorRole<MetricEvent> {
  return {
    name: 'event-totals',
    input: config.topics.events,
    codec: jsonCodec(MetricEvent, { maxBytes: config.stream.maxMessageBytes }),
    eventTime: (e) => e.ts,
    outputs: { totals: config.topics.eventTotals },
    create: () => new EventTotalsOperator(config.stream.windowMs),
  };
}

export function eventTotalsSink(config: Config): SinkRole<EventTotal> {
  return {
    name: 'sink-event-totals',
    input: config.topics.eventTotals,
    codec: jsonCodec(EventTotal),
    table: 'event_totals_1m',
    toRow: (v) => ({
      window_start: Math.floor(v.windowStart / 1000),
      key: v.key,
      events: v.events,
      value_sum: v.valueSum,
    }),
  };
}

/**
 * Deterministic synthetic metric events (backbone checks, bench, demo): event i of n has key k(i),
 * value i % 97 (integers, so sums are exact) and a time spread over one hour from `start`.
 */
export function syntheticMetricEvent(i: number, n: number, keys: number, start: number): MetricEvent {
  return { key: `k${(i * 7919) % keys}`, ts: start + Math.floor((i * 3600000) / n), value: i % 97 };
}
