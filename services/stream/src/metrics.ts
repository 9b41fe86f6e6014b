import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';

/** Prometheus metrics of the stream runtime. One registry per process; roles label their series. */
export class StreamMetrics {
  readonly registry: Registry;
  readonly messagesIn: Counter<'role' | 'topic'>;
  readonly messagesOut: Counter<'role' | 'topic'>;
  readonly deadLetters: Counter<'role' | 'reason'>;
  readonly lateEvents: Counter<'role'>;
  readonly batchSize: Histogram<'role'>;
  readonly lag: Gauge<'role' | 'topic' | 'partition'>;
  readonly sinkRows: Counter<'table'>;
  readonly sinkInsertSeconds: Histogram<'table'>;
  readonly pending: Gauge<'role'>;
  readonly paused: Gauge<'role'>;
  readonly stateSize: Gauge<'role' | 'state'>;

  constructor(registry = new Registry(), options: { defaultMetrics?: boolean } = {}) {
    this.registry = registry;
    if (options.defaultMetrics) collectDefaultMetrics({ register: registry, prefix: 'passage_' });
    const r = [registry];
    this.messagesIn = new Counter({
      name: 'passage_messages_in_total',
      help: 'Messages consumed',
      labelNames: ['role', 'topic'],
      registers: r,
    });
    this.messagesOut = new Counter({
      name: 'passage_messages_out_total',
      help: 'Messages produced',
      labelNames: ['role', 'topic'],
      registers: r,
    });
    this.deadLetters = new Counter({
      name: 'passage_dead_letters_total',
      help: 'Messages sent to the dead-letter topic, by reason code',
      labelNames: ['role', 'reason'],
      registers: r,
    });
    this.lateEvents = new Counter({
      name: 'passage_late_events_total',
      help: 'Events behind the watermark by more than the allowed lateness',
      labelNames: ['role'],
      registers: r,
    });
    this.batchSize = new Histogram({
      name: 'passage_batch_size',
      help: 'Messages per consumed batch',
      labelNames: ['role'],
      buckets: [1, 10, 100, 500, 1000, 5000, 10000, 50000],
      registers: r,
    });
    this.lag = new Gauge({
      name: 'passage_consumer_lag',
      help: 'Consumer lag in messages (high watermark - next offset)',
      labelNames: ['role', 'topic', 'partition'],
      registers: r,
    });
    this.sinkRows = new Counter({
      name: 'passage_sink_rows_total',
      help: 'Rows written to ClickHouse',
      labelNames: ['table'],
      registers: r,
    });
    this.sinkInsertSeconds = new Histogram({
      name: 'passage_sink_insert_seconds',
      help: 'ClickHouse insert duration',
      labelNames: ['table'],
      buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5],
      registers: r,
    });
    this.pending = new Gauge({
      name: 'passage_pending_rows',
      help: 'Rows accepted but not yet durable',
      labelNames: ['role'],
      registers: r,
    });
    this.paused = new Gauge({
      name: 'passage_intake_paused',
      help: '1 while intake is paused by backpressure',
      labelNames: ['role'],
      registers: r,
    });
    this.stateSize = new Gauge({
      name: 'passage_state_size',
      help: 'Entries held in operator state',
      labelNames: ['role', 'state'],
      registers: r,
    });
  }
}
