import { PassageError } from '@passage/config';
import { KafkaTransport, kafkaConnection, StreamMetrics } from '@passage/stream';
import { syntheticMetricEvent as syntheticEvent } from '@passage/workers';
import { COMMON, parseFlags } from '../args.ts';
import { makeContext } from '../context.ts';

export const help = `passage produce [--count <n>] [--keys <k>] [--start <epoch ms>] [--seed <n>]
  Produces <n> synthetic metric events {key, ts, value} to the events topic of Kafka (KAFKA_BROKERS),
  keyed by key, spread over <k> keys and one hour from --start. Prints the expected totals as JSON.`;

export async function run(argv: string[]): Promise<number> {
  const { values } = parseFlags('produce', argv, {
    ...COMMON,
    count: { type: 'string', default: '100000' },
    keys: { type: 'string', default: '16' },
    start: { type: 'string', default: '1773129600000' },
  });
  if (values.help) {
    console.log(help);
    return 0;
  }
  const ctx = makeContext(values as { config?: string });
  if (ctx.config.kafka.brokers.length === 0) {
    throw new PassageError('PASSAGE_KAFKA_NOT_CONFIGURED', 'Set KAFKA_BROKERS to produce to Kafka.');
  }
  const n = Number(values.count);
  const keys = Number(values.keys);
  const start = Number(values.start);
  const t = new KafkaTransport({
    brokers: ctx.config.kafka.brokers,
    clientId: 'passage-produce',
    log: ctx.log,
    metrics: new StreamMetrics(),
    groupPrefix: ctx.config.kafka.groupPrefix,
    ...kafkaConnection(ctx.config.kafka),
  });
  await t.ensureTopics([{ topic: ctx.config.topics.events, partitions: ctx.config.kafka.partitions }]);
  let events = 0;
  let sum = 0;
  for (let i = 0; i < n; i += 5000) {
    const batch = [];
    for (let j = i; j < Math.min(n, i + 5000); j++) {
      const e = syntheticEvent(j, n, keys, start);
      events++;
      sum += e.value;
      batch.push({ key: e.key, value: JSON.stringify(e) });
    }
    await t.send(ctx.config.topics.events, batch);
  }
  await t.close();
  console.log(JSON.stringify({ events, valueSum: sum }));
  return 0;
}
