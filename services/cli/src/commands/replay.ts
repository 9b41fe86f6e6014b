import { resolve } from 'node:path';
import { PassageError } from '@passage/config';
import { loadScenario, loadWorldSignalControllers, type ReplayTopic, runReplay } from '@passage/sim';
import { loadScenarioMetadata, migrate, openStore, storeOptionsFromConfig } from '@passage/store';
import { KafkaTransport, kafkaConnection, StreamMetrics } from '@passage/stream';
import { eventTimeOfRecord, materialiseExpandedOd, startEmbeddedReplay } from '@passage/workers';
import { COMMON, parseFlags } from '../args.ts';
import { makeContext } from '../context.ts';

export const help = `passage replay <scenario-dir> [--to embedded|kafka] [--speed <x>|max] [--from <s>] [--until <s>]
                [--only detections,counts,sightingsRaw] [--data <dir>] [--edge-skip-empty] [--edge-drop <share>]
  Streams a scenario's synthesised detections, counts and sightings in event-time order.
  --to embedded (default): through every role in this process into the embedded store (--data) or CLICKHOUSE_URL.
  --to kafka: produce to the raw topics of KAFKA_BROKERS (run the workers with passage worker / passage stack).
  --speed max (default) or a factor of real time (1 = real time, 60 = one hour per minute).
  Robustness what-ifs of the cameras' edge devices (default: every frame sent): --edge-skip-empty, frames without
  boxes are not sent (edges that publish on detection only); --edge-drop 0.1, that share of the frames is lost at
  random (the same frames on every run).`;

export async function run(argv: string[]): Promise<number> {
  const { values, positionals } = parseFlags('replay', argv, {
    ...COMMON,
    to: { type: 'string', default: 'embedded' },
    speed: { type: 'string', default: 'max' },
    from: { type: 'string' },
    until: { type: 'string' },
    only: { type: 'string' },
    'edge-skip-empty': { type: 'boolean' },
    'edge-drop': { type: 'string' },
  });
  if (values.help || positionals.length !== 1) {
    console.log(help);
    return values.help ? 0 : 2;
  }
  const dir = resolve(positionals[0]);
  const speed = values.speed === 'max' ? Number.POSITIVE_INFINITY : Number(values.speed);
  if (!(speed > 0)) throw new PassageError('PASSAGE_CLI_USAGE', '--speed must be "max" or a positive number.');
  const topics = values.only ? (String(values.only).split(',') as ReplayTopic[]) : undefined;
  const dropShare = values['edge-drop'] === undefined ? 0 : Number(values['edge-drop']);
  if (!(dropShare >= 0 && dropShare < 1)) {
    throw new PassageError(
      'PASSAGE_CLI_USAGE',
      `--edge-drop ${values['edge-drop']}: give a share in [0, 1), e.g. 0.1.`,
    );
  }
  const { config, log } = makeContext({
    data: values.data as string | undefined,
    config: values.config as string | undefined,
  });
  // The scenario's sites file describes the cameras and sensors unless one is configured.
  const cfg = { ...config, sitesFile: config.sitesFile || resolve(dir, 'scenario.json') };
  console.error(`loading scenario ${dir}…`);
  const sim = await loadScenario(dir);
  const opts = {
    speed,
    topics,
    fromS: values.from ? Number(values.from) : undefined,
    toS: values.until ? Number(values.until) : undefined,
    edge: { skipEmptyFrames: values['edge-skip-empty'] === true, dropShare },
  };
  if (values.to === 'kafka') {
    if (config.kafka.brokers.length === 0) {
      throw new PassageError('PASSAGE_KAFKA_NOT_CONFIGURED', 'Set KAFKA_BROKERS to replay into Kafka.');
    }
    const t = new KafkaTransport({
      brokers: config.kafka.brokers,
      clientId: 'passage-replay',
      log,
      metrics: new StreamMetrics(),
      groupPrefix: config.kafka.groupPrefix,
      ...kafkaConnection(config.kafka),
    });
    await t.ensureTopics(
      [config.topics.detections, config.topics.counts, config.topics.sightingsRaw].map((topic) => ({
        topic,
        partitions: config.kafka.partitions,
      })),
    );
    // Each record is stamped with its scenario time: workers with stream.timeGuard.clock = record check against it.
    const stamped = (recs: { key: string; value: Buffer }[]) =>
      recs.map((r) => ({ ...r, timestamp: eventTimeOfRecord(r.value) }));
    const r = await runReplay(sim, { publish: (topic, recs) => t.send(config.topics[topic], stamped(recs)) }, opts);
    await t.close();
    console.log(JSON.stringify(r));
    return 0;
  }
  if (values.to !== 'embedded') throw new PassageError('PASSAGE_CLI_USAGE', '--to must be embedded or kafka.');
  const store = openStore(storeOptionsFromConfig(config));
  try {
    await migrate(store.client);
    // The sites of the replayed world (or the configured registry) go into the store with the data.
    const meta = await loadScenarioMetadata(store.client, cfg.sitesFile);
    // A world read from its scenario.json: its signal controllers come from its SUMO network (docs/SITES.md).
    if (!config.sitesFile) {
      const n = await loadWorldSignalControllers(store.client, dir, meta.scenario);
      if (n > 0) console.error(`stored ${n} signal controllers of the world's SUMO network`);
    }
    const emb = await startEmbeddedReplay(Object.freeze(cfg), store, log, sim.scenario.start);
    const r = await runReplay(sim, { publish: (topic, recs) => emb.publish(config.topics[topic], recs) }, opts);
    await emb.close();
    // Population flows of the replayed interval (od_expanded_1h, od_zone_coverage), as `passage demo` does; the
    // reference counts are totalled over the replayed part only.
    const s0 = sim.scenario.start + (opts.fromS ?? 0) * 1000;
    const s1 = sim.scenario.start + (opts.toS ?? sim.scenario.durationS) * 1000;
    const odCells = await materialiseExpandedOd(store.client, cfg, { from: s0, to: s1, extent: { from: s0, to: s1 } });
    console.log(JSON.stringify({ ...r, odExpandedCells: odCells, store: store.location }));
  } finally {
    await store.close();
  }
  return 0;
}
