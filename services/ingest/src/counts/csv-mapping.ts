/**
 * Counts from a CSV export, read through a mapping file (docs/COUNTS-CSV.md): which column holds the date, the
 * hour or the start/end instants, the sensor id and the count, in which time zone local times are, which cells
 * mean "missing". Sensor ids are kept as the file writes them.
 *
 * ## Local times and daylight saving
 * A local date + hour is turned into an instant with the IANA zone of the mapping (`Intl`, no table of ours):
 * - an hour that occurs twice (clocks go back) is the first occurrence unless `ambiguous: "later"`; the other
 *   occurrence, absent from the file, stays a gap;
 * - an hour that does not exist (clocks go forward) is skipped and counted in `skippedNonexistent` (read as the
 *   next hour it would collide with that hour's own row and double it).
 * Missing cells (`missing`, e.g. `NaN`, empty) become records with count null (gaps stay gaps, never zeros);
 * absent rows are simply absent (the counts role writes gap bins for them).
 */
import { splitCsvLine, ZoneClock } from '@passage/core';
import type { CountRecord } from '@passage/stream/contracts';
import { type CountsResult, fail, ok } from './result.ts';

export interface CsvMapping {
  /** IANA time zone of local dates and times, e.g. `Australia/Melbourne`. Ignored for instants with an offset. */
  timezone?: string;
  /** Mode written on every record (e.g. `pedestrian`). */
  mode?: string;
  /** Direction written on every record, unless `columns.direction` gives one per row. */
  direction?: string;
  /** Length of one row's interval when there is no end column: `1h`, `15m`, `1m`, `1d` or seconds. @default '1h' */
  interval?: string;
  columns: {
    /** Local date column (with `dateFormat`), or a local date-time when `hour` is absent. */
    date?: string;
    /** Tokens `yyyy`, `MM`, `MMM` (Jan…Dec), `dd`, `d`, `HH`, `H`, `mm`, `ss`; others literal. @default 'yyyy-MM-dd' */
    dateFormat?: string;
    /** Hour of the day 0–23, local. */
    hour?: string;
    /** ISO 8601 start instant with offset (instead of `date`). */
    start?: string;
    /** ISO 8601 end instant with offset (optional; else start + interval). */
    end?: string;
    sensor: string;
    count: string;
    direction?: string;
  };
  /** Cell values meaning "no data". @default ['', 'NaN', 'NA', 'null'] */
  missing?: string[];
  /** Field separator. @default ',' */
  delimiter?: string;
  /** Which occurrence a repeated local hour (clocks going back) is. @default 'earlier' */
  ambiguous?: 'earlier' | 'later';
}

/** The national counting schema's `measures.csv` (schema-comptage-mobilites), one channel = one series. */
export const MEASURES_CSV_MAPPING: CsvMapping = {
  columns: { start: 'start_datetime', end: 'end_datetime', sensor: 'channel_id', count: 'count' },
  missing: [''],
};

export interface CsvParseStats {
  rows: number;
  records: number;
  /** Rows whose count cell is a missing marker (kept as gap records, count null). */
  missing: number;
  /** Rows without a sensor id (skipped). */
  skippedNoSensor: number;
  /** Local hours that do not exist in the zone (clocks going forward), skipped. */
  skippedNonexistent: number;
  /** Local hours that exist twice (clocks going back), read as `ambiguous`. */
  ambiguous: number;
}

export interface CsvParseOptions {
  /** Called every `progressEvery` rows with the share of characters read (0..1). */
  onProgress?: (done: number) => void;
  progressEvery?: number;
}

const MONTHS = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'];
const INTERVALS: Record<string, number> = { '1m': 60_000, '15m': 900_000, '1h': 3_600_000, '1d': 86_400_000 };

/** Validates a parsed mapping document; returns a message naming the problem, or null. */
export function checkMapping(m: unknown): string | null {
  if (typeof m !== 'object' || m === null) return 'the mapping is not a JSON object';
  const o = m as CsvMapping;
  const c = o.columns as CsvMapping['columns'] | undefined;
  if (typeof c !== 'object' || c === null) return '"columns" is missing';
  if (typeof c.sensor !== 'string' || typeof c.count !== 'string')
    return '"columns.sensor" and "columns.count" are required';
  if (c.start === undefined && c.date === undefined)
    return 'give "columns.date" (local) or "columns.start" (ISO instant)';
  if (c.date !== undefined && typeof o.timezone !== 'string') return '"timezone" is required with local dates';
  if (o.timezone !== undefined) {
    try {
      new Intl.DateTimeFormat('en-US', { timeZone: o.timezone });
    } catch {
      return `unknown time zone "${o.timezone}" (use an IANA name such as Europe/Paris)`;
    }
  }
  if (o.interval !== undefined && intervalMs(o.interval) === null) return `unknown interval "${o.interval}"`;
  return null;
}

function intervalMs(s: string): number | null {
  if (s in INTERVALS) return INTERVALS[s];
  const n = Number(s);
  return Number.isFinite(n) && n > 0 ? n * 1000 : null;
}

type DateParts = { y: number; mo: number; d: number; h: number; mi: number; s: number };

/** Compiles a date format into a parser of local date parts (null when the text does not match). */
export function compileDateFormat(fmt: string): (s: string) => DateParts | null {
  const tokens = ['yyyy', 'MMM', 'MM', 'dd', 'd', 'HH', 'H', 'mm', 'ss'];
  const fields: string[] = [];
  let re = '';
  for (let i = 0; i < fmt.length; ) {
    const t = tokens.find((k) => fmt.startsWith(k, i));
    if (t) {
      fields.push(t);
      re += t === 'MMM' ? '([A-Za-z]{3})' : t === 'yyyy' ? '(\\d{4})' : t.length === 1 ? '(\\d{1,2})' : '(\\d{2})';
      i += t.length;
    } else {
      re += fmt[i].replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
      i++;
    }
  }
  const rx = new RegExp(`^${re}$`);
  return (s) => {
    const m = rx.exec(s.trim());
    if (!m) return null;
    const p: DateParts = { y: 0, mo: 0, d: 1, h: 0, mi: 0, s: 0 };
    for (let k = 0; k < fields.length; k++) {
      const v = m[k + 1];
      const f = fields[k];
      if (f === 'yyyy') p.y = Number(v);
      else if (f === 'MMM') {
        const i = MONTHS.indexOf(v.toLowerCase());
        if (i < 0) return null;
        p.mo = i;
      } else if (f === 'MM') p.mo = Number(v) - 1;
      else if (f === 'dd' || f === 'd') p.d = Number(v);
      else if (f === 'HH' || f === 'H') p.h = Number(v);
      else if (f === 'mm') p.mi = Number(v);
      else p.s = Number(v);
    }
    return p;
  };
}

/** Parses a CSV export with `mapping` into count records (see the file comment for times, gaps and stats). */
export function parseMappedCsv(
  text: string,
  mapping: CsvMapping,
  opts: CsvParseOptions = {},
): CountsResult & { stats?: CsvParseStats } {
  const bad = checkMapping(mapping);
  if (bad) return fail('PASSAGE_COUNTS_SCHEMA', `mapping: ${bad}`);
  const sep = mapping.delimiter ?? ',';
  const missing = new Set(mapping.missing ?? ['', 'NaN', 'NA', 'null']);
  const len = intervalMs(mapping.interval ?? '1h') as number;
  const c = mapping.columns;
  let pos = text.charCodeAt(0) === 0xfeff ? 1 : 0;
  const nextLine = (): string | null => {
    if (pos >= text.length) return null;
    let nl = text.indexOf('\n', pos);
    if (nl < 0) nl = text.length;
    let line = text.slice(pos, nl);
    if (line.endsWith('\r')) line = line.slice(0, -1);
    pos = nl + 1;
    return line;
  };
  const header = nextLine();
  if (header === null) return fail('PASSAGE_COUNTS_EMPTY', 'the file is empty');
  const names = splitCsvLine(header, sep).map((h) => h.trim());
  const col = (n: string | undefined): number => (n === undefined ? -1 : names.indexOf(n));
  const needed = [c.sensor, c.count, c.date, c.hour, c.start, c.end, c.direction].filter((n) => n !== undefined);
  for (const n of needed) {
    if (col(n) < 0) return fail('PASSAGE_COUNTS_SCHEMA', `column "${n}" not in the header (${names.join(', ')})`);
  }
  const iSensor = col(c.sensor);
  const iCount = col(c.count);
  const iDate = col(c.date);
  const iHour = col(c.hour);
  const iStart = col(c.start);
  const iEnd = col(c.end);
  const iDir = col(c.direction);
  const parseDate = compileDateFormat(c.dateFormat ?? 'yyyy-MM-dd');
  const clock = mapping.timezone ? new ZoneClock(mapping.timezone) : null;
  const later = mapping.ambiguous === 'later';
  const stats: CsvParseStats = {
    rows: 0,
    records: 0,
    missing: 0,
    skippedNoSensor: 0,
    skippedNonexistent: 0,
    ambiguous: 0,
  };
  const dateCache = new Map<string, DateParts | null>();
  const out: CountRecord[] = [];
  const every = opts.progressEvery ?? 50_000;
  for (let line = nextLine(), n = 2; line !== null; line = nextLine(), n++) {
    if (line.trim() === '') continue;
    stats.rows++;
    if (opts.onProgress && stats.rows % every === 0) opts.onProgress(pos / text.length);
    const cells = splitCsvLine(line, sep);
    const sensorId = (cells[iSensor] ?? '').trim();
    if (sensorId === '' || missing.has(sensorId)) {
      stats.skippedNoSensor++;
      continue;
    }
    let start: number;
    let end: number;
    if (iStart >= 0) {
      start = Date.parse((cells[iStart] ?? '').trim());
      end = iEnd >= 0 ? Date.parse((cells[iEnd] ?? '').trim()) : start + len;
      if (!Number.isFinite(start) || !Number.isFinite(end) || end <= start) {
        return fail('PASSAGE_COUNTS_TIME', `line ${n}: start/end not ISO 8601 instants with end > start`);
      }
    } else {
      const ds = cells[iDate] ?? '';
      let p = dateCache.get(ds);
      if (p === undefined) {
        p = parseDate(ds);
        dateCache.set(ds, p);
      }
      if (p === null) return fail('PASSAGE_COUNTS_TIME', `line ${n}: date does not match "${c.dateFormat}"`);
      let h = p.h;
      if (iHour >= 0) {
        h = Number(cells[iHour]);
        if (!Number.isInteger(h) || h < 0 || h > 23) return fail('PASSAGE_COUNTS_TIME', `line ${n}: hour not 0–23`);
      }
      const wall = Date.UTC(p.y, p.mo, p.d, h, p.mi, p.s);
      const ts = (clock as ZoneClock).instants(wall);
      if (ts.length === 0) {
        stats.skippedNonexistent++;
        continue;
      }
      if (ts.length > 1) stats.ambiguous++;
      start = later ? ts[ts.length - 1] : ts[0];
      end = start + len;
    }
    const raw = (cells[iCount] ?? '').trim();
    let count: number | null = null;
    if (missing.has(raw)) stats.missing++;
    else {
      count = Number(raw);
      if (!Number.isFinite(count) || count < 0) {
        return fail('PASSAGE_COUNTS_SCHEMA', `line ${n}: count is not a number ≥ 0 nor a missing marker`);
      }
    }
    const r: CountRecord = { sensorId, start, end, count };
    if (mapping.mode) r.mode = mapping.mode;
    const dir = iDir >= 0 ? (cells[iDir] ?? '').trim() : mapping.direction;
    if (dir) r.direction = dir;
    out.push(r);
  }
  stats.records = out.length;
  opts.onProgress?.(1);
  if (out.length === 0) return fail('PASSAGE_COUNTS_EMPTY', 'no data row');
  return { ...ok(out), stats };
}
