/**
 * Loud ingest (issue 11, item 2): every `passage ingest` ends with one summary — what was read, accepted,
 * dead-lettered (by reason), which ids the deployment does not know, how many rows reached the store, the period
 * covered — plus warnings that say what to do. The command fails (exit ≠ 0) when nothing was stored or when most
 * of the input was rejected: a file that silently stores nothing is the failure this module exists to prevent.
 */
import type { Config } from '@passage/config';
import { parseDeepStream, parseDetectionFrame } from '@passage/ingest';
import type { Store } from '@passage/store';
import type { Logger } from '@passage/stream';
import { loadSitesFile, materialiseExpandedOd, startEmbedded } from '@passage/workers';

export interface IngestWarning {
  code: string;
  message: string;
}

export interface IngestSummary {
  format: string;
  mode: 'embedded' | 'kafka';
  /** Messages or records read from the file. */
  input: number;
  /** Input the pipeline took (decoded, validated, from a known source). */
  accepted: number;
  /** Dead letters by reason (docs/ERRORS.md § dead-letter reasons). */
  deadLettered: Record<string, number>;
  /** Camera, sensor or site ids of the input that the deployment (sites file, store registry) does not know. */
  unknownIds: string[];
  /** New rows per table (embedded mode; Kafka mode: the workers store them, not counted here). */
  rowsStored: Record<string, number>;
  /** Σ rowsStored; null in Kafka mode. */
  stored: number | null;
  from: string | null;
  to: string | null;
  warnings: IngestWarning[];
  /** Counter files: records and distinct sensors (kept from the former summary). */
  records?: number;
  sensors?: number;
  topic?: string;
  store?: string;
  /** Detections: frames that reached the video pipeline, those from a declared camera, and those cameras. */
  frames?: { published: number; accepted: number; cameras: string[] };
  /**
   * Embedded mode: hourly OD cells of the population expansion recomputed over the ingested period
   * (`expandOdAfterIngest`); absent when the store holds no OD there.
   */
  odExpandedCells?: number;
}

const MINUTE = 60_000;

/**
 * After an embedded ingest of sightings, counts or detections: the hourly population expansion of the OD
 * (`od_expanded_1h`, `od_zone_coverage`) recomputed over the ingested period [lo, hi] (minute-aligned, the
 * reference counts totalled over it), as `passage replay` does at its end and the workers every minute. It reads
 * the stored OD, counter and camera counts, so the file loaded last completes it, in any order; without it a
 * city loading files got only the matched trips (dreux-grid loaded file by file: motor OD 58 % of cells GEH < 5,
 * −62 % of trips, all modes none, against 100 % / 78 % replayed). Skipped when the store has no OD in those hours.
 */
export async function expandOdAfterIngest(
  config: Config,
  store: Store,
  lo: number,
  hi: number,
): Promise<number | undefined> {
  if (!(Number.isFinite(lo) && Number.isFinite(hi) && hi >= lo)) return undefined;
  const from = Math.floor(lo / MINUTE) * MINUTE;
  const to = Math.ceil((hi + 1) / MINUTE) * MINUTE;
  const rs = await store.client.query({
    query: `SELECT count() AS n FROM od_1h WHERE window_start >= fromUnixTimestamp({f:Int64})
              AND window_start < fromUnixTimestamp({t:Int64})`,
    query_params: { f: Math.floor(from / 3_600_000) * 3600, t: Math.ceil(to / 3_600_000) * 3600 },
    format: 'JSONEachRow',
  });
  if (Number((await rs.json<{ n: string }>())[0]?.n ?? 0) === 0) return undefined;
  const hours = Math.ceil(to / 3_600_000) - Math.floor(from / 3_600_000);
  process.stderr.write(`recomputing the OD population expansion over ${hours} hour(s)…\n`);
  const started = Date.now();
  const cells = await materialiseExpandedOd(store.client, config, { from, to, extent: { from, to } });
  process.stderr.write(
    `OD population expansion: ${cells} hourly cells in ${((Date.now() - started) / 1000).toFixed(1)} s\n`,
  );
  return cells;
}

/** Sets `odExpandedCells` of a summary when the expansion ran. */
export function withOdCells(s: IngestSummary, cells: number | undefined): IngestSummary {
  if (cells !== undefined) s.odExpandedCells = cells;
  return s;
}

export function emptySummary(format: string, mode: IngestSummary['mode'], input: number): IngestSummary {
  return {
    format,
    mode,
    input,
    accepted: 0,
    deadLettered: {},
    unknownIds: [],
    rowsStored: {},
    stored: mode === 'kafka' ? null : 0,
    from: null,
    to: null,
    warnings: [],
  };
}

export const iso = (t: number): string | null => (Number.isFinite(t) ? new Date(t).toISOString() : null);

export function period(times: Iterable<[number, number]>): { from: string | null; to: string | null } {
  let lo = Number.POSITIVE_INFINITY;
  let hi = Number.NEGATIVE_INFINITY;
  for (const [a, b] of times) {
    if (a < lo) lo = a;
    if (b > hi) hi = b;
  }
  return { from: iso(lo), to: iso(hi) };
}

async function tableRows(store: Store, tables: readonly string[]): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const t of tables) {
    const rs = await store.client.query({ query: `SELECT count() AS n FROM ${t}`, format: 'JSONEachRow' });
    const [r] = await rs.json<{ n: string | number }>();
    out[t] = Number(r?.n ?? 0);
  }
  return out;
}

const CHUNK = 5000;

/**
 * Publishes messages through the given embedded roles into `store` and measures what happened: dead letters by
 * reason (and their messages), rows added per table. The pipeline is closed at the end (bins flushed).
 */
export async function runEmbeddedIngest(
  config: Config,
  store: Store,
  log: Logger,
  o: {
    roles: readonly string[];
    topic: string;
    messages: readonly { key: string | null; value: Buffer }[];
    tables: readonly string[];
    /** Extra topics whose published message count is reported (e.g. frames accepted by ingest-detections). */
    watch?: readonly string[];
    /** Sees every message published on one intermediate topic (e.g. the frames ingest-detections emits). */
    tap?: { topic: string; onRecord: (value: string) => void };
  },
): Promise<{
  deadLettered: Record<string, number>;
  deadLetterMessages: { reason: string; message: string }[];
  rowsStored: Record<string, number>;
  published: Record<string, number>;
}> {
  const before = await tableRows(store, o.tables);
  const emb = await startEmbedded(config, store, log, undefined, { roles: o.roles });
  const deadLettered: Record<string, number> = {};
  const deadLetterMessages: { reason: string; message: string }[] = [];
  emb.bus.subscribe(config.topics.dlq, async (records) => {
    for (const r of records) {
      let reason = 'UNKNOWN';
      try {
        const d = JSON.parse(Buffer.from(r.value ?? '').toString('utf8')) as { reason?: string; message?: string };
        reason = d.reason ?? reason;
        if (deadLetterMessages.length < 10_000) deadLetterMessages.push({ reason, message: d.message ?? '' });
      } catch {
        // a dead letter that is not JSON still counts
      }
      deadLettered[reason] = (deadLettered[reason] ?? 0) + 1;
    }
  });
  const tap = o.tap;
  if (tap) {
    emb.bus.subscribe(tap.topic, async (records) => {
      for (const r of records) tap.onRecord(Buffer.from(r.value ?? '').toString('utf8'));
    });
  }
  try {
    for (let i = 0; i < o.messages.length; i += CHUNK) await emb.bus.publish(o.topic, o.messages.slice(i, i + CHUNK));
  } finally {
    await emb.close();
  }
  const after = await tableRows(store, o.tables);
  const rowsStored: Record<string, number> = {};
  for (const t of o.tables) rowsStored[t] = after[t] - before[t];
  const published: Record<string, number> = {};
  for (const t of o.watch ?? []) published[t] = emb.bus.published.get(t) ?? 0;
  return { deadLettered, deadLetterMessages, rowsStored, published };
}

/** Sum of a reason map. */
export const total = (m: Record<string, number>): number => Object.values(m).reduce((a, b) => a + b, 0);

/**
 * Guesses which detection format failing payloads are in, to tell the user which `--format` to give.
 * Returns the format that reads most of the sample, or null.
 */
export function sniffDetectionFormat(payloads: readonly string[]): 'deepstream' | 'frames' | null {
  const sample = payloads.slice(0, 50);
  if (sample.length === 0) return null;
  let ds = 0;
  let fr = 0;
  for (const p of sample) {
    if (parseDetectionFrame(p).ok) fr++;
    else if (parseDeepStream(p).ok) ds++;
  }
  if (fr > sample.length / 2) return 'frames';
  if (ds > sample.length / 2) return 'deepstream';
  return null;
}

/** Haversine distance, metres. */
function metres(a: readonly [number, number], b: readonly [number, number]): number {
  const r = 6_371_008.8;
  const rad = Math.PI / 180;
  const dLat = (b[1] - a[1]) * rad;
  const dLon = (b[0] - a[0]) * rad;
  const h = Math.sin(dLat / 2) ** 2 + Math.cos(a[1] * rad) * Math.cos(b[1] * rad) * Math.sin(dLon / 2) ** 2;
  return 2 * r * Math.asin(Math.sqrt(h));
}

/** A camera sees a street, not a district: lines and zones farther than this from it cannot be crossed in view. */
export const MAX_VIEW_M = 250;

/**
 * Counting lines and zones of the given cameras that lie too far from the camera to be in its view (a lon/lat
 * swap, a copy-pasted site, a wrong datum). One message per camera.
 */
export function linesOutOfView(sitesFile: string, cameraIds: Iterable<string>): string[] {
  const out: string[] = [];
  let cams: { id: string; position?: { lon: number; lat: number }; lines?: unknown[]; zones?: unknown[] }[];
  try {
    cams = (loadSitesFile(sitesFile) as unknown as { cameras?: typeof cams }).cameras ?? [];
  } catch {
    return out;
  }
  const want = new Set(cameraIds);
  for (const c of cams) {
    if (!want.has(c.id) || !c.position) continue;
    const at: [number, number] = [c.position.lon, c.position.lat];
    const far: string[] = [];
    for (const l of (c.lines ?? []) as { id?: string; a?: unknown; b?: unknown }[]) {
      const pts = [l.a, l.b].filter((p): p is [number, number] => Array.isArray(p) && p.length === 2);
      if (pts.length === 0) continue; // lines in image pixels are in view by construction
      const d = Math.max(...pts.map((p) => metres(at, p)));
      if (d > MAX_VIEW_M) far.push(`line ${l.id ?? '?'} ${Math.round(d)} m away`);
    }
    for (const z of (c.zones ?? []) as { id?: string; polygon?: unknown }[]) {
      const pts = Array.isArray(z.polygon) ? (z.polygon as [number, number][]) : [];
      if (pts.length === 0 || !pts.every((p) => Array.isArray(p) && p.length === 2)) continue;
      const d = Math.min(...pts.map((p) => metres(at, p)));
      if (d > MAX_VIEW_M) far.push(`zone ${z.id ?? '?'} ${Math.round(d)} m away`);
    }
    if (far.length > 0) out.push(`camera ${c.id}: ${far.join(', ')}`);
  }
  return out;
}

/**
 * The verdict: warnings for nothing stored / most input rejected, and the exit code (0 ok, 1 failed).
 */
export function verdict(s: IngestSummary): number {
  const rejected = total(s.deadLettered);
  const failedShare = s.input > 0 ? (s.input - s.accepted) / s.input : 0;
  let code = 0;
  if (s.input === 0) {
    s.warnings.push({
      code: 'PASSAGE_INGEST_EMPTY',
      message: 'The file holds no input for this format. Check the file and --format.',
    });
    code = 1;
  }
  if (s.mode === 'embedded' && s.input > 0 && s.stored === 0) {
    s.warnings.push({
      code: 'PASSAGE_INGEST_NOTHING_STORED',
      message:
        `Nothing was stored from ${s.input} input ${s.input === 1 ? 'message' : 'messages'}` +
        (rejected > 0
          ? ` (${rejected} dead-lettered). See the other warnings for why.`
          : s.accepted >= s.input && s.warnings.length === 0
            ? ': every message was accepted but gave no new row, so this period is most likely already in the store ' +
              '(loading is idempotent: a file loaded twice is stored once). Use another --data to load it afresh.'
            : '. See the other warnings for why.'),
    });
    code = 1;
  }
  if (s.warnings.some((w) => w.code === 'PASSAGE_INGEST_ONLY_GAPS')) code = 1;
  if (s.input > 0 && failedShare > 0.5) {
    s.warnings.push({
      code: 'PASSAGE_INGEST_MOSTLY_REJECTED',
      message: `${s.input - s.accepted} of ${s.input} input messages were rejected (${Math.round(failedShare * 100)} %).`,
    });
    code = 1;
  }
  return code;
}

/** Prints the summary (JSON on stdout) and each warning (stderr, one line each). */
export function printSummary(s: IngestSummary): void {
  for (const w of s.warnings) console.error(`${w.code}: ${w.message}`);
  console.log(JSON.stringify(s));
}
