/**
 * `passage ingest` of detection frames (DeepStream, generic frames JSON / JSON Lines, MOTChallenge) and of device or
 * plate sightings, each ending with the summary of ingest-report.ts (accepted, dead-lettered by reason, unknown ids,
 * rows stored, period) and an exit code ≠ 0 when nothing was stored or most input was rejected.
 */
import { readFileSync } from 'node:fs';
import { type Config, PassageError } from '@passage/config';
import { parseMotChallenge } from '@passage/ingest';
import { migrate, openStore, storeOptionsFromConfig } from '@passage/store';
import { KafkaTransport, kafkaConnection, type Logger, RawSighting, StreamMetrics } from '@passage/stream';
import { loadSitesFile } from '@passage/workers';
import { TypeCompiler } from '@sinclair/typebox/compiler';
import { makeContext } from '../context.ts';
import {
  emptySummary,
  expandOdAfterIngest,
  type IngestSummary,
  iso,
  linesOutOfView,
  printSummary,
  runEmbeddedIngest,
  sniffDetectionFormat,
  total,
  verdict,
  withOdCells,
} from './ingest-report.ts';

/** The embedded roles detection payloads go through. */
export const DETECTION_ROLES = [
  'ingest-detections',
  'video-flows',
  'sink-line-counts',
  'sink-movements',
  'sink-discharge',
] as const;
/** The embedded roles sightings go through. */
export const SIGHTING_ROLES = ['tokenizer', 'od-matcher', 'sink-od', 'sink-od-hourly'] as const;

const CHUNK = 5000;

function readText(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (e) {
    throw new PassageError('PASSAGE_INGEST_FILE', `Cannot read ${file}: ${(e as NodeJS.ErrnoException).code}.`);
  }
}

/** One JSON array, or one JSON value per line (JSON Lines); each element re-serialised as one message. */
export function splitPayloads(text: string): string[] {
  const trimmed = text.trim();
  if (trimmed.startsWith('[')) {
    let arr: unknown;
    try {
      arr = JSON.parse(trimmed);
    } catch (e) {
      throw new PassageError(
        'PASSAGE_INGEST_FILE',
        `The file starts like a JSON array but is not valid JSON: ${(e as Error).message}. Give one JSON array or one JSON object per line.`,
      );
    }
    if (Array.isArray(arr)) return arr.map((p) => JSON.stringify(p));
  }
  // One object per line, or one pretty-printed object.
  const lines = trimmed.split('\n').filter((l) => l.trim() !== '');
  if (lines.length > 1 && lines[0].trim() === '{') return [JSON.stringify(JSON.parse(trimmed))];
  return lines;
}

/** Produces messages to a Kafka topic (created if missing), in chunks. */
export async function produceKafka(
  config: Config,
  log: Logger,
  topic: string,
  messages: readonly { key: string | null; value: Buffer }[],
): Promise<void> {
  const t = new KafkaTransport({
    brokers: config.kafka.brokers,
    clientId: `${config.kafka.clientId}-ingest`,
    log,
    metrics: new StreamMetrics(),
    groupPrefix: config.kafka.groupPrefix,
    ...kafkaConnection(config.kafka),
  });
  try {
    await t.ensureTopics([{ topic, partitions: config.kafka.partitions }]);
    for (let i = 0; i < messages.length; i += CHUNK) await t.send(topic, messages.slice(i, i + CHUNK));
  } finally {
    await t.close();
  }
}

/** `--format deepstream|frames|mot`: edge payloads, generic frames or MOTChallenge rows through the video pipeline. */
export async function ingestDetections(values: Record<string, unknown>, positionals: string[]): Promise<number> {
  if (positionals.length !== 1) {
    throw new PassageError('PASSAGE_CLI_USAGE', 'passage ingest needs one file. Run `passage ingest --help`.');
  }
  const format = String(values.format) as 'deepstream' | 'frames' | 'mot';
  const text = readText(positionals[0]);
  const ctx = makeContext(values as { data?: string; config?: string });
  const { config } = ctx;
  let topic: string;
  let messages: { key: string | null; value: Buffer }[];
  let payloads: string[] = [];
  if (format === 'mot') {
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
    payloads = splitPayloads(text);
    topic = config.topics.detectionsRaw;
    messages = payloads.map((p) => ({ key: null, value: Buffer.from(p) }));
  }
  if (config.kafka.brokers.length > 0) {
    await produceKafka(config, ctx.log, topic, messages);
    const s = emptySummary(format, 'kafka', messages.length);
    s.accepted = messages.length;
    s.topic = topic;
    s.warnings.push({
      code: 'PASSAGE_INGEST_KAFKA',
      message: `Produced to ${topic}; the workers validate and store them. Dead letters go to ${config.topics.dlq}.`,
    });
    const code = verdict(s);
    printSummary(s);
    return code;
  }
  const cfg: Config = {
    ...config,
    ingest: { ...config.ingest, detectionsFormat: format === 'frames' ? 'json' : 'deepstream' },
  };
  if (!cfg.sitesFile) {
    throw new PassageError(
      'PASSAGE_SITES_FILE_MISSING',
      'Detections need a sites file describing the cameras (position, calibration, lines, zones): set ' +
        'PASSAGE_SITES_FILE or the config key sitesFile (format: infra/scenarios/README.md).',
    );
  }
  loadSitesFile(cfg.sitesFile); // a bad sites file fails here, before anything is published
  const store = openStore(storeOptionsFromConfig(config));
  const frames = { published: 0, cameras: new Map<string, number>(), lo: Number.POSITIVE_INFINITY, hi: 0 };
  let res: Awaited<ReturnType<typeof runEmbeddedIngest>>;
  let odCells: number | undefined;
  try {
    await migrate(store.client);
    res = await runEmbeddedIngest(cfg, store, ctx.log, {
      roles: DETECTION_ROLES,
      topic,
      messages,
      tables: ['line_counts_1m', 'movements_1m'],
      // aggregates the video role published: some but no new row = already stored (the sinks are idempotent)
      watch: [config.topics.lineCounts, config.topics.movements],
      tap: {
        topic: config.topics.detections,
        onRecord: (v) => {
          const f = JSON.parse(v) as { cameraId: string; ts: number };
          frames.published++;
          frames.cameras.set(f.cameraId, (frames.cameras.get(f.cameraId) ?? 0) + 1);
          if (f.ts < frames.lo) frames.lo = f.ts;
          if (f.ts > frames.hi) frames.hi = f.ts;
        },
      },
    });
    odCells = await expandOdAfterIngest(cfg, store, frames.lo, frames.hi);
  } finally {
    await store.close();
  }
  const s = emptySummary(format, 'embedded', messages.length);
  s.store = store.location;
  s.deadLettered = res.deadLettered;
  s.rowsStored = res.rowsStored;
  s.stored = total(res.rowsStored);
  const unknownFrames = res.deadLettered.UNKNOWN_CAMERA ?? 0;
  const decodeRejected = total(res.deadLettered) - unknownFrames;
  const unknown = new Map<string, number>();
  for (const m of res.deadLetterMessages) {
    const hit = m.reason === 'UNKNOWN_CAMERA' ? /^camera (\S+) is not/.exec(m.message) : null;
    if (hit) unknown.set(hit[1], (unknown.get(hit[1]) ?? 0) + 1);
  }
  s.unknownIds = [...unknown.keys()].sort();
  const known = [...frames.cameras.keys()].filter((c) => !unknown.has(c)).sort();
  const acceptedFrames = frames.published - unknownFrames;
  // In input messages: those decoded, times the share of their frames from a known camera.
  const decoded = Math.max(0, messages.length - decodeRejected);
  s.accepted = frames.published > 0 ? Math.round((decoded * acceptedFrames) / frames.published) : 0;
  s.frames = { published: frames.published, accepted: acceptedFrames, cameras: known };
  withOdCells(s, odCells);
  s.from = iso(frames.lo);
  s.to = frames.hi > 0 ? iso(frames.hi) : null;
  if (unknownFrames > 0) {
    const ids = [...unknown].map(([id, n]) => `${id} (${n} frames)`).join(', ');
    let cams: string[] = [];
    try {
      cams = loadSitesFile(cfg.sitesFile).cameras.map((c) => c.id);
    } catch {
      // reported when loaded above
    }
    s.warnings.push({
      code: 'PASSAGE_INGEST_UNKNOWN_CAMERA',
      message:
        `${unknownFrames} of ${frames.published} frames come from cameras the sites file ${cfg.sitesFile} does not ` +
        `declare: ${ids}. It declares ${cams.length ? cams.slice(0, 10).join(', ') : 'no camera'}` +
        `${cams.length > 10 ? ', …' : ''}. Add these cameras to the sites file, or make the feed's ids match ` +
        `(DeepStream: sensorId / sensor.id).`,
    });
  }
  if (decodeRejected > 0 && format !== 'mot' && decodeRejected >= messages.length / 2) {
    const other = sniffDetectionFormat(payloads);
    const reasons = Object.entries(res.deadLettered)
      .filter(([r]) => r !== 'UNKNOWN_CAMERA')
      .map(([r, n]) => `${r} ${n}`)
      .join(', ');
    const first = res.deadLetterMessages.find((m) => m.reason !== 'UNKNOWN_CAMERA')?.message ?? '';
    s.warnings.push({
      code: 'PASSAGE_INGEST_WRONG_FORMAT',
      message:
        `${decodeRejected} of ${messages.length} payloads could not be read as ${format === 'frames' ? 'generic frames (detections.v1)' : 'DeepStream nvmsgconv'} (${reasons}; first: ${first.slice(0, 160)}). ` +
        (other && other !== format
          ? `They read as ${other === 'frames' ? 'generic detections.v1 frames' : 'DeepStream nvmsgconv payloads'}: run again with --format ${other}.`
          : "Check the producer's schema against docs (DeepStream full or minimal schema, or detections.v1 frames) and --format."),
    });
  }
  const aggregates = (res.published[config.topics.lineCounts] ?? 0) + (res.published[config.topics.movements] ?? 0);
  if (acceptedFrames > 0 && s.stored === 0 && aggregates > 0) {
    s.warnings.push({
      code: 'PASSAGE_INGEST_ALREADY_STORED',
      message:
        `${acceptedFrames} frames gave ${aggregates} count records but no new row: this period is already in the ` +
        'store (loading is idempotent: a file loaded twice is stored once). Use another --data to load it afresh.',
    });
  } else if (acceptedFrames > 0 && s.stored === 0) {
    const far = linesOutOfView(cfg.sitesFile, known);
    s.warnings.push(
      far.length > 0
        ? {
            code: 'PASSAGE_INGEST_LINES_OUT_OF_VIEW',
            message:
              `${acceptedFrames} frames were tracked but no road user crossed a line or zone: they lie out of the ` +
              `cameras' view (more than ${250} m away): ${far.join('; ')}. Check the lines' and zones' coordinates ` +
              '(lon, lat order) and the calibration points in the sites file.',
          }
        : {
            code: 'PASSAGE_INGEST_NO_CROSSINGS',
            message:
              `${acceptedFrames} frames were tracked but no road user crossed a counting line or moved between zones. ` +
              'Check that the lines and zones of the sites file lie where road users are seen in the image ' +
              '(calibration points image ↔ lon/lat) and that the detections carry the classes and scores expected.',
          },
    );
  }
  const code = verdict(s);
  printSummary(s);
  return code;
}

const checkSighting = TypeCompiler.Compile(RawSighting);

/** `--format sightings`: device or plate sightings ({siteId, ts, kind, id}) → tokenizer → OD matcher → od_15m, od_1h. */
export async function ingestSightings(values: Record<string, unknown>, positionals: string[]): Promise<number> {
  if (positionals.length !== 1) {
    throw new PassageError('PASSAGE_CLI_USAGE', 'passage ingest needs one file. Run `passage ingest --help`.');
  }
  const payloads = splitPayloads(readText(positionals[0]));
  const ctx = makeContext(values as { data?: string; config?: string });
  const { config } = ctx;
  const topic = config.topics.sightingsRaw;
  // Validated here too, to report what the tokenizer will refuse and the period of what it accepts.
  const sites = new Set<string>();
  let lo = Number.POSITIVE_INFINITY;
  let hi = Number.NEGATIVE_INFINITY;
  let valid = 0;
  const messages = payloads.map((p) => {
    let v: unknown;
    try {
      v = JSON.parse(p);
    } catch {
      v = undefined;
    }
    if (checkSighting.Check(v)) {
      valid++;
      sites.add(v.siteId);
      if (v.ts < lo) lo = v.ts;
      if (v.ts > hi) hi = v.ts;
    }
    const key = checkSighting.Check(v) ? v.siteId : null;
    return { key, value: Buffer.from(p) };
  });
  let zones: Record<string, string> = config.od.siteZones;
  if (Object.keys(zones).length === 0 && config.sitesFile) {
    zones = Object.fromEntries((loadSitesFile(config.sitesFile).sightingSites ?? []).map((s) => [s.id, s.zoneId]));
  }
  const hasZones = Object.keys(zones).length > 0;
  const unknown = hasZones ? [...sites].filter((s) => !(s in zones)).sort() : [];
  let s: IngestSummary;
  if (config.kafka.brokers.length > 0) {
    await produceKafka(config, ctx.log, topic, messages);
    s = emptySummary('sightings', 'kafka', messages.length);
    s.accepted = valid;
    s.topic = topic;
  } else {
    const store = openStore(storeOptionsFromConfig(config));
    try {
      await migrate(store.client);
      const res = await runEmbeddedIngest(config, store, ctx.log, {
        roles: SIGHTING_ROLES,
        topic,
        messages,
        tables: ['od_15m', 'od_1h'],
      });
      s = emptySummary('sightings', 'embedded', messages.length);
      s.store = store.location;
      s.deadLettered = res.deadLettered;
      s.rowsStored = res.rowsStored;
      s.stored = total(res.rowsStored);
      s.accepted = Math.max(0, messages.length - total(res.deadLettered));
      withOdCells(s, await expandOdAfterIngest(config, store, lo, hi));
    } finally {
      await store.close();
    }
  }
  s.unknownIds = unknown;
  s.from = iso(lo);
  s.to = iso(hi);
  if (!hasZones) {
    s.warnings.push({
      code: 'PASSAGE_INGEST_NO_ZONES',
      message:
        "No sighting site → zone map (config od.siteZones or the sites file's sightingSites): every site is its own " +
        "zone. Set PASSAGE_SITES_FILE to the deployment's sites file to get zone-to-zone trips.",
    });
  } else if (unknown.length > 0) {
    s.warnings.push({
      code: 'PASSAGE_INGEST_UNKNOWN_SITE',
      message:
        `${unknown.length} sighting site(s) are not in the sites file (their sightings are left out of OD): ` +
        `${unknown.slice(0, 10).join(', ')}${unknown.length > 10 ? ', …' : ''}. Add them to sightingSites with their zone.`,
    });
  }
  const code = verdict(s);
  printSummary(s);
  return code;
}
