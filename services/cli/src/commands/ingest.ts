import { readFileSync } from 'node:fs';
import { type Config, PassageError } from '@passage/config';
import type { CsvParseStats } from '@passage/ingest';
import {
  type CountsResult,
  parseDatex2MeasuredData,
  parseGenericCounts,
  parseMotChallenge,
  parseSensorThingsObservations,
  parseTelraamReport,
} from '@passage/ingest';
import { migrate, openStore, type Store, storeOptionsFromConfig } from '@passage/store';
import { type CountRecord, KafkaTransport, type Logger, StreamMetrics } from '@passage/stream';
import { startEmbedded } from '@passage/workers';
import { COMMON, parseFlags } from '../args.ts';
import { makeContext } from '../context.ts';
import { readCsvCounts } from './ingest-csv.ts';
import { registerFeedSites } from './ingest-sites.ts';

export const help = `passage ingest --format telraam|sensorthings|datex2|json <file> [--data <dir>] [--config <file>]
  Loads a counter file through the counts pipeline (counts.v1 → role counts → counts_1m, sensor_health).
  Embedded by default (in-process roles, chDB in --data); with KAFKA_BROKERS set, produces the records to the
  counts topic of Kafka instead (the counts worker and sinks then store them).
  --format telraam       Telraam reports API response or monthly archive ({report|data: [...]})
  --format sensorthings  OGC SensorThings Observations ({value: [...]}); --mode, --direction label the series
  --format datex2        DATEX II MeasuredDataPublication (XML); --period-s for rates without a period
  --format json          counts.v1 records (one object or an array)
  --format csv           any CSV export (plain or .gz) read through --mapping <mapping.json> (docs/COUNTS-CSV.md)
  --format measures      the national counting schema's measures.csv (one series per channel_id)
  --format deepstream    NVIDIA DeepStream nvmsgconv payloads (full or minimal schema), one JSON per line or an
                         array → role ingest-detections → video-flows (needs a sites file: PASSAGE_SITES_FILE)
  --format mot           MOTChallenge det.txt rows as one camera's frames: --camera <id> --fps <n> --start <ISO>
  Prints {records, sensors, from, to} as JSON.`;

export type IngestFormat = 'telraam' | 'sensorthings' | 'datex2' | 'json';
const FORMATS: readonly IngestFormat[] = ['telraam', 'sensorthings', 'datex2', 'json'];

export interface ParseOptions {
  mode?: string;
  direction?: string;
  periodS?: number;
}

/** Parses a counter document with the adapter of `format`; a bad document is a PassageError naming the reason. */
export function parseCountsFile(format: IngestFormat, text: string, o: ParseOptions = {}): CountRecord[] {
  let res: CountsResult;
  if (format === 'telraam') res = parseTelraamReport(text);
  else if (format === 'sensorthings')
    res = parseSensorThingsObservations(text, { mode: o.mode, direction: o.direction });
  else if (format === 'datex2') res = parseDatex2MeasuredData(text, { periodS: o.periodS, mode: o.mode });
  else res = parseGenericCounts(text);
  if (!res.ok) {
    throw new PassageError(res.reason, `The ${format} file could not be read: ${res.detail}. Check --format.`);
  }
  return res.value;
}

export interface IngestSummary {
  records: number;
  sensors: number;
  from: string | null;
  to: string | null;
  mode: 'embedded' | 'kafka';
}

function summary(records: readonly CountRecord[], mode: IngestSummary['mode']): IngestSummary {
  let from = Number.POSITIVE_INFINITY;
  let to = Number.NEGATIVE_INFINITY;
  for (const r of records) {
    if (r.start < from) from = r.start;
    if (r.end > to) to = r.end;
  }
  return {
    records: records.length,
    sensors: new Set(records.map((r) => r.sensorId)).size,
    from: records.length ? new Date(from).toISOString() : null,
    to: records.length ? new Date(to).toISOString() : null,
    mode,
  };
}

const CHUNK = 5000;
/** The embedded roles a counts file goes through. */
export const COUNTS_ROLES = ['counts', 'sink-counts', 'sink-sensor-health'] as const;

/** Publishes records through the embedded counts roles into `store`, then closes the pipeline (bins flushed). */
export async function ingestEmbedded(
  config: Config,
  store: Store,
  log: Logger,
  records: readonly CountRecord[],
): Promise<IngestSummary> {
  const emb = await startEmbedded(config, store, log, undefined, { roles: COUNTS_ROLES });
  try {
    for (let i = 0; i < records.length; i += CHUNK) {
      await emb.bus.publish(
        config.topics.counts,
        records.slice(i, i + CHUNK).map((r) => ({ key: r.sensorId, value: Buffer.from(JSON.stringify(r)) })),
      );
    }
  } finally {
    await emb.close();
  }
  return summary(records, 'embedded');
}

/** Produces records to the counts topic of Kafka (keyed by sensor id). */
export async function ingestKafka(
  config: Config,
  log: Logger,
  records: readonly CountRecord[],
): Promise<IngestSummary> {
  const t = new KafkaTransport({
    brokers: config.kafka.brokers,
    clientId: `${config.kafka.clientId}-ingest`,
    log,
    metrics: new StreamMetrics(),
    groupPrefix: config.kafka.groupPrefix,
  });
  try {
    await t.ensureTopics([{ topic: config.topics.counts, partitions: config.kafka.partitions }]);
    for (let i = 0; i < records.length; i += CHUNK) {
      await t.send(
        config.topics.counts,
        records.slice(i, i + CHUNK).map((r) => ({ key: r.sensorId, value: JSON.stringify(r) })),
      );
    }
  } finally {
    await t.close();
  }
  return summary(records, 'kafka');
}

export async function run(argv: string[]): Promise<number> {
  const { values, positionals } = parseFlags('ingest', argv, {
    ...COMMON,
    format: { type: 'string', short: 'f' },
    mode: { type: 'string' },
    direction: { type: 'string' },
    'period-s': { type: 'string' },
    camera: { type: 'string' },
    fps: { type: 'string' },
    start: { type: 'string' },
    mapping: { type: 'string' },
  });
  if (values.help) {
    console.log(help);
    return 0;
  }
  if (values.format === 'deepstream' || values.format === 'mot') {
    return ingestDetections(values as Record<string, unknown>, positionals);
  }
  const csv = values.format === 'csv' || values.format === 'measures';
  const format = values.format as IngestFormat | undefined;
  if (!format || !(csv || FORMATS.includes(format)) || positionals.length !== 1) {
    throw new PassageError(
      'PASSAGE_CLI_USAGE',
      `passage ingest needs --format ${FORMATS.join('|')}|csv|measures and one file. Run \`passage ingest --help\`.`,
    );
  }
  let records: CountRecord[];
  let csvStats: CsvParseStats | undefined;
  if (csv) {
    const r = readCsvCounts(format as 'csv' | 'measures', positionals[0], values.mapping as string | undefined);
    records = r.records;
    csvStats = r.stats;
  } else records = readCountsFile(format, positionals[0], values);
  const ctx = makeContext(values as { data?: string; config?: string });
  if (ctx.config.kafka.brokers.length > 0) {
    console.log(JSON.stringify({ ...(await ingestKafka(ctx.config, ctx.log, records)), ...csvStats }));
    return 0;
  }
  const store = openStore(storeOptionsFromConfig(ctx.config));
  try {
    await migrate(store.client);
    for (const w of await registerFeedSites(store, ctx.config, format, positionals[0], records)) {
      console.error(`passage: ${w.message} [${w.code}]`);
    }
    console.log(JSON.stringify({ ...(await ingestEmbedded(ctx.config, store, ctx.log, records)), ...csvStats }));
  } finally {
    await store.close();
  }
  return 0;
}

function readCountsFile(format: IngestFormat, file: string, values: Record<string, unknown>): CountRecord[] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new PassageError('PASSAGE_INGEST_FILE', `Cannot read ${file}: ${(e as NodeJS.ErrnoException).code}.`);
  }
  const periodS = values['period-s'] === undefined ? undefined : Number(values['period-s']);
  if (periodS !== undefined && !(periodS > 0)) {
    throw new PassageError('PASSAGE_CLI_USAGE', '--period-s must be a number of seconds > 0.');
  }
  return parseCountsFile(format, text, {
    mode: values.mode as string | undefined,
    direction: values.direction as string | undefined,
    periodS,
  });
}

/** The embedded roles detection payloads go through. */
export const DETECTION_ROLES = ['ingest-detections', 'video-flows', 'sink-line-counts', 'sink-movements'] as const;

/** `--format deepstream|mot`: edge payloads or MOTChallenge rows through the video pipeline. */
async function ingestDetections(values: Record<string, unknown>, positionals: string[]): Promise<number> {
  if (positionals.length !== 1) {
    throw new PassageError('PASSAGE_CLI_USAGE', 'passage ingest needs one file. Run `passage ingest --help`.');
  }
  let text: string;
  try {
    text = readFileSync(positionals[0], 'utf8');
  } catch (e) {
    throw new PassageError(
      'PASSAGE_INGEST_FILE',
      `Cannot read ${positionals[0]}: ${(e as NodeJS.ErrnoException).code}.`,
    );
  }
  const ctx = makeContext(values as { data?: string; config?: string });
  const { config } = ctx;
  let topic: string;
  let messages: { key: string | null; value: Buffer }[];
  if (values.format === 'mot') {
    const fps = Number(values.fps);
    const start = Date.parse(String(values.start ?? ''));
    if (!values.camera || !(fps > 0) || !Number.isFinite(start)) {
      throw new PassageError('PASSAGE_CLI_USAGE', '--format mot needs --camera <id> --fps <n> --start <ISO time>.');
    }
    const r = parseMotChallenge(text, { cameraId: String(values.camera), fps, startTs: start });
    if (!r.ok) throw new PassageError(r.reason, `The MOTChallenge file could not be read: ${r.detail}.`);
    topic = config.topics.detections;
    messages = r.value.map((f) => ({ key: f.cameraId, value: Buffer.from(JSON.stringify(f)) }));
  } else {
    const trimmed = text.trim();
    const payloads: string[] = trimmed.startsWith('[')
      ? (JSON.parse(trimmed) as unknown[]).map((p) => JSON.stringify(p))
      : trimmed.split('\n').filter((l) => l.trim() !== '');
    topic = config.topics.detectionsRaw;
    messages = payloads.map((p) => ({ key: null, value: Buffer.from(p) }));
  }
  if (config.kafka.brokers.length > 0) {
    const t = new KafkaTransport({
      brokers: config.kafka.brokers,
      clientId: `${config.kafka.clientId}-ingest`,
      log: ctx.log,
      metrics: new StreamMetrics(),
      groupPrefix: config.kafka.groupPrefix,
    });
    try {
      await t.ensureTopics([{ topic, partitions: config.kafka.partitions }]);
      for (let i = 0; i < messages.length; i += CHUNK) await t.send(topic, messages.slice(i, i + CHUNK));
    } finally {
      await t.close();
    }
    console.log(JSON.stringify({ messages: messages.length, topic, mode: 'kafka' }));
    return 0;
  }
  const cfg = { ...config, ingest: { ...config.ingest, detectionsFormat: 'deepstream' as const } };
  const store = openStore(storeOptionsFromConfig(config));
  try {
    await migrate(store.client);
    const emb = await startEmbedded(cfg, store, ctx.log, undefined, { roles: DETECTION_ROLES });
    try {
      for (let i = 0; i < messages.length; i += CHUNK) await emb.bus.publish(topic, messages.slice(i, i + CHUNK));
    } finally {
      await emb.close();
    }
    console.log(JSON.stringify({ messages: messages.length, topic, mode: 'embedded', store: store.location }));
  } finally {
    await store.close();
  }
  return 0;
}
