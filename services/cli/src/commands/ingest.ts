import { readFileSync } from 'node:fs';
import { type Config, PassageError } from '@passage/config';
import type { CsvParseStats } from '@passage/ingest';
import {
  type CountsResult,
  parseDatex2MeasuredData,
  parseGenericCounts,
  parseSensorThingsObservations,
  parseTelraamReport,
} from '@passage/ingest';
import { migrate, openStore, type Store, storeOptionsFromConfig } from '@passage/store';
import type { CountRecord, Logger } from '@passage/stream';
import { COMMON, parseFlags } from '../args.ts';
import { makeContext } from '../context.ts';
import { readCsvCounts } from './ingest-csv.ts';
import {
  emptySummary,
  expandOdAfterIngest,
  type IngestSummary,
  period,
  printSummary,
  runEmbeddedIngest,
  total,
  verdict,
  withOdCells,
} from './ingest-report.ts';
import { registerFeedSites } from './ingest-sites.ts';
import { ingestDetections, ingestSightings, produceKafka } from './ingest-streams.ts';

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
  --format frames        generic detections.v1 frames ({cameraId, ts, objects}), a JSON array or JSON Lines
  --format mot           MOTChallenge det.txt rows as one camera's frames: --camera <id> --fps <n> --start <ISO>
  --format sightings     device or plate sightings ({siteId, ts, kind: wifi|ble|anpr, id}), a JSON array or JSON
                         Lines → tokenizer → od-matcher → od_15m, od_1h (site → zone from the sites file)
  Ends with a summary as JSON on stdout: input, accepted, deadLettered (by reason), unknownIds, rowsStored (per
  table), stored, from, to, warnings (each also on stderr with what to do), and odExpandedCells when the OD's
  hourly population expansion was recomputed. Exit code 1 when nothing was stored or most of the input was rejected.
  Embedded mode: after each file, the OD expansion (od_expanded_1h, od_zone_coverage) is recomputed over the
  file's period when the store holds OD there, from the stored sightings, counter and camera counts, so the file
  loaded last completes it in any order (as passage replay does at its end and the workers every minute).`;

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

export type { IngestSummary } from './ingest-report.ts';

function summary(records: readonly CountRecord[], mode: IngestSummary['mode']): IngestSummary {
  const s = emptySummary('counts', mode, records.length);
  Object.assign(s, period(records.map((r) => [r.start, r.end] as [number, number])));
  s.records = records.length;
  s.sensors = new Set(records.map((r) => r.sensorId)).size;
  s.accepted = records.length;
  if (records.length > 0 && records.every((r) => r.count === null || r.uptime === 0)) {
    s.warnings.push({
      code: 'PASSAGE_INGEST_ONLY_GAPS',
      message:
        `All ${records.length} records are gaps (no count, or uptime 0): the sensors were not counting in ` +
        `${s.from} – ${s.to}. Check the period asked from the source.`,
    });
  }
  return s;
}

/** Sensors of `ids` the store's registry (devices) does not know: their counts export without site or channel. */
export async function unregisteredSensors(store: Store, ids: readonly string[]): Promise<string[]> {
  if (ids.length === 0) return [];
  const rs = await store.client.query({
    query: 'SELECT DISTINCT device_id FROM devices FINAL WHERE has({ids:Array(String)}, device_id)',
    query_params: { ids: [...ids] },
    format: 'JSONEachRow',
  });
  const known = new Set((await rs.json<{ device_id: string }>()).map((r) => r.device_id));
  return ids.filter((i) => !known.has(i)).sort();
}

/** The embedded roles a counts file goes through. */
export const COUNTS_ROLES = ['counts', 'sink-counts', 'sink-sensor-health'] as const;

/** Publishes records through the embedded counts roles into `store`, then closes the pipeline (bins flushed). */
export async function ingestEmbedded(
  config: Config,
  store: Store,
  log: Logger,
  records: readonly CountRecord[],
): Promise<IngestSummary> {
  const res = await runEmbeddedIngest(config, store, log, {
    roles: COUNTS_ROLES,
    topic: config.topics.counts,
    messages: records.map((r) => ({ key: r.sensorId, value: Buffer.from(JSON.stringify(r)) })),
    tables: ['counts_1m', 'sensor_health'],
  });
  const s = summary(records, 'embedded');
  s.store = store.location;
  s.deadLettered = res.deadLettered;
  s.accepted = records.length - total(res.deadLettered);
  s.rowsStored = res.rowsStored;
  s.stored = total(res.rowsStored);
  const lo = records.reduce((m, r) => Math.min(m, r.start), Number.POSITIVE_INFINITY);
  const hi = records.reduce((m, r) => Math.max(m, r.end), Number.NEGATIVE_INFINITY) - 1;
  return withOdCells(s, records.length > 0 ? await expandOdAfterIngest(config, store, lo, hi) : undefined);
}

/** Warnings for counter sensors the registry does not know, after the feed's own registration had its chance. */
export async function warnUnregistered(store: Store, s: IngestSummary, ids: readonly string[]): Promise<void> {
  s.unknownIds = await unregisteredSensors(store, [...new Set(ids)]);
  if (s.unknownIds.length === 0) return;
  s.warnings.push({
    code: 'PASSAGE_INGEST_UNKNOWN_SENSOR',
    message:
      `${s.unknownIds.length} sensor(s) are not in the site registry: ${s.unknownIds.slice(0, 10).join(', ')}` +
      `${s.unknownIds.length > 10 ? ', …' : ''}. Their counts are stored, but the counting export has no site or ` +
      'channel for them until they are registered (sites file: counters with id, site and position).',
  });
}

/** Prints the summary and warnings; the exit code says whether anything useful was stored. */
export function report(s: IngestSummary): number {
  const code = verdict(s);
  printSummary(s);
  return code;
}

/** Produces records to the counts topic of Kafka (keyed by sensor id). */
export async function ingestKafka(
  config: Config,
  log: Logger,
  records: readonly CountRecord[],
): Promise<IngestSummary> {
  await produceKafka(
    config,
    log,
    config.topics.counts,
    records.map((r) => ({ key: r.sensorId, value: Buffer.from(JSON.stringify(r)) })),
  );
  const s = summary(records, 'kafka');
  s.topic = config.topics.counts;
  return s;
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
  if (values.format === 'deepstream' || values.format === 'mot' || values.format === 'frames') {
    return ingestDetections(values as Record<string, unknown>, positionals);
  }
  if (values.format === 'sightings') return ingestSightings(values as Record<string, unknown>, positionals);
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
    return report({ ...(await ingestKafka(ctx.config, ctx.log, records)), format, ...csvStats });
  }
  const store = openStore(storeOptionsFromConfig(ctx.config));
  let code = 0;
  try {
    await migrate(store.client);
    const siteWarnings = await registerFeedSites(store, ctx.config, format, positionals[0], records);
    const s = { ...(await ingestEmbedded(ctx.config, store, ctx.log, records)), format, ...csvStats };
    s.warnings.push(...siteWarnings);
    await warnUnregistered(
      store,
      s,
      records.map((r) => r.sensorId),
    );
    code = report(s);
  } finally {
    await store.close();
  }
  return code;
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

export { DETECTION_ROLES } from './ingest-streams.ts';
