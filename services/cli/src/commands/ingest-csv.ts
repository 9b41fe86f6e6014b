/**
 * `passage ingest --format csv --mapping <mapping.json> <file.csv[.gz]>` and `--format measures <measures.csv>`:
 * count exports read through a mapping (docs/COUNTS-CSV.md), plain or gzipped, with a progress bar on stderr.
 */
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { PassageError } from '@passage/config';
import { type CsvMapping, type CsvParseStats, MEASURES_CSV_MAPPING, parseMappedCsv } from '@passage/ingest';
import type { CountRecord } from '@passage/stream';

/** A one-line progress bar on stderr (only when stderr is a terminal or PASSAGE_PROGRESS=1). */
export function progressBar(label: string): (done: number) => void {
  const on = process.stderr.isTTY || process.env.PASSAGE_PROGRESS === '1';
  let last = -1;
  return (done) => {
    if (!on) return;
    const pct = Math.floor(Math.min(1, Math.max(0, done)) * 100);
    if (pct === last) return;
    last = pct;
    const w = 30;
    const fill = Math.round((pct / 100) * w);
    process.stderr.write(`\r${label} [${'#'.repeat(fill)}${'.'.repeat(w - fill)}] ${String(pct).padStart(3)}%`);
    if (pct === 100) process.stderr.write('\n');
  };
}

function readText(path: string): string {
  let buf: Buffer;
  try {
    buf = readFileSync(path);
  } catch (e) {
    throw new PassageError('PASSAGE_INGEST_FILE', `Cannot read ${path}: ${(e as NodeJS.ErrnoException).code}.`);
  }
  // gzip magic number, whatever the file name says
  if (buf[0] === 0x1f && buf[1] === 0x8b) buf = gunzipSync(buf);
  return buf.toString('utf8');
}

/** Reads the mapping file of `--mapping`; a bad file is PASSAGE_INGEST_MAPPING. */
export function readMapping(path: string): CsvMapping {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new PassageError(
      'PASSAGE_INGEST_MAPPING',
      `Cannot read the mapping ${path}: ${(e as NodeJS.ErrnoException).code}.`,
    );
  }
  try {
    return JSON.parse(text) as CsvMapping;
  } catch {
    throw new PassageError('PASSAGE_INGEST_MAPPING', `The mapping ${path} is not valid JSON. See docs/COUNTS-CSV.md.`);
  }
}

/** Parses a CSV counts file (`format` csv with a mapping, or measures) into records and parse statistics. */
export function readCsvCounts(
  format: 'csv' | 'measures',
  file: string,
  mappingPath: string | undefined,
): { records: CountRecord[]; stats: CsvParseStats } {
  if (format === 'csv' && !mappingPath) {
    throw new PassageError('PASSAGE_CLI_USAGE', '--format csv needs --mapping <mapping.json> (docs/COUNTS-CSV.md).');
  }
  const mapping = format === 'measures' ? MEASURES_CSV_MAPPING : readMapping(mappingPath as string);
  const text = readText(file);
  const res = parseMappedCsv(text, mapping, { onProgress: progressBar('reading') });
  if (!res.ok) {
    throw new PassageError(res.reason, `The CSV file could not be read: ${res.detail}. See docs/COUNTS-CSV.md.`);
  }
  return { records: res.value, stats: res.stats as CsvParseStats };
}
