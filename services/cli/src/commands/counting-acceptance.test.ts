/**
 * Acceptance (issue 11): a counter file → `passage ingest` → `passage export --dataset counting` gives sites,
 * channels and measures that validate against the national TableSchema files (schema-comptage-mobilites v0.2.5,
 * copied with its licence in services/store/src/export/schema-comptage-mobilites), and measures equal to the file's
 * hourly values per mode: what the feed reported, never scaled to time it did not cover.
 * Files: the real Telraam month (Karlsruhe, October 2025), the SensorThings and DATEX II examples of @passage/ingest.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { countingSchema } from '@passage/store/export/counting';
import { parseCsv, validateCsv } from '@passage/store/export/tableschema';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { run as exportRun } from './export.ts';
import { run as ingestRun } from './ingest.ts';

const FIXTURES = new URL('../../../ingest/src/counts/fixtures/', import.meta.url);
const fixture = (name: string) => fileURLToPath(new URL(name, FIXTURES));
let tmp: string;
let n = 0;
const saved = process.env.PASSAGE_SITES_FILE;

beforeAll(() => {
  tmp = mkdtempSync(join(tmpdir(), 'one-counting-'));
  process.env.PASSAGE_SITES_FILE = '';
});
afterAll(() => {
  if (saved === undefined) delete process.env.PASSAGE_SITES_FILE;
  else process.env.PASSAGE_SITES_FILE = saved;
  rmSync(tmp, { recursive: true, force: true });
});

/** ingest → export (k = 2, the smallest allowed) → the three CSV files, validated. */
async function ingestAndExport(args: string[], from: string, to: string): Promise<Record<string, string[][]>> {
  const data = join(tmp, `store-${n}`);
  const out = join(tmp, `export-${n++}`);
  const log = vi.spyOn(console, 'log').mockImplementation(() => undefined);
  const err = vi.spyOn(console, 'error').mockImplementation(() => undefined);
  try {
    expect(await ingestRun([...args, '--data', data])).toBe(0);
    const ex = ['--dataset', 'counting', '--from', from, '--to', to, '--k', '2', '--out', out, '--data', data];
    expect(await exportRun(ex)).toBe(0);
  } finally {
    log.mockRestore();
    err.mockRestore();
  }
  const files: Record<string, string[][]> = {};
  for (const t of ['site', 'channel', 'measure'] as const) {
    const text = readFileSync(join(out, `${t}s.csv`), 'utf8');
    expect(validateCsv(countingSchema(t), text), `${t}s.csv`).toEqual([]);
    files[t] = parseCsv(text);
    expect(files[t].length, `${t}s.csv rows`).toBeGreaterThan(1);
  }
  // The three files hold together: every measure's channel is in channels.csv, every channel's site in sites.csv.
  const col = (t: string, name: string) => files[t].slice(1).map((r) => r[files[t][0].indexOf(name)]);
  const channels = new Set(col('channel', 'channel_id'));
  const sites = new Set(col('site', 'site_id'));
  expect(col('measure', 'channel_id').filter((c) => !channels.has(c))).toEqual([]);
  expect(col('channel', 'site_id').filter((s) => !sites.has(s))).toEqual([]);
  return files;
}

/** Σ measures per `start|mode` over the channels (`<sensor>/<direction>/<mode>`); a cell with an empty
 * (suppressed, 0 < c < k) channel is left out. */
function hourlyByMode(measures: string[][]): Map<string, number> {
  const h = measures[0];
  const sum = new Map<string, number>();
  const suppressed = new Set<string>();
  for (const r of measures.slice(1)) {
    const mode = r[h.indexOf('channel_id')].split('/').at(-1) as string;
    const k = `${r[h.indexOf('start_datetime')]}|${mode}`;
    const c = r[h.indexOf('count')];
    if (c === '') suppressed.add(k);
    else sum.set(k, (sum.get(k) ?? 0) + Number(c));
  }
  for (const k of suppressed) sum.delete(k);
  return sum;
}

describe('counter file → ingest → national counting schema', () => {
  it('Telraam month: every published hour × mode equals the file; sites and channels filled', async () => {
    const f = await ingestAndExport(
      ['--format', 'telraam', fixture('segment-9000008311-2025-10-hourly.json')],
      '2025-10-01',
      '2025-11-01',
    );
    expect(f.site.slice(1).map((r) => r[0])).toEqual(['site-telraam:9000008311']);
    expect(f.channel.length - 1).toBe(8); // 4 modes × 2 directions (lft, rgt)
    const file = JSON.parse(readFileSync(fixture('segment-9000008311-2025-10-hourly.json'), 'utf8')) as {
      data: Record<string, number | string>[];
    };
    const published = hourlyByMode(f.measure);
    const MODES = { car: 'car', heavy: 'heavy', bike: 'bicycle', pedestrian: 'pedestrian' } as const;
    let compared = 0;
    let withSuppressed = 0;
    for (const row of file.data) {
      if (Number(row.uptime) === 0) continue; // a gap: published empty
      const t = new Date(String(row.date)).toISOString().replace('.000Z', 'Z');
      for (const [field, mode] of Object.entries(MODES)) {
        const p = published.get(`${t}|${mode}`);
        if (p === undefined) {
          withSuppressed++;
          continue;
        }
        expect(Math.abs(p - Number(row[field])), `${t} ${mode}`).toBeLessThanOrEqual(0.0101); // 2 decimals × 2
        compared++;
      }
    }
    expect(compared).toBe(1263);
    expect(withSuppressed).toBe(362 * 4 - 1263); // hours where a direction counted 0 < c < 2
  });

  it('SensorThings: the hour holds what was observed (42 + 57 of 15-min reports, the third a gap), not × 2', async () => {
    const f = await ingestAndExport(
      ['--format', 'sensorthings', fixture('sensorthings-observations-interval.json')],
      '2025-10-01',
      '2025-10-02',
    );
    const h = f.measure[0];
    const cell = (ch: string, start: string) =>
      f.measure.find((r) => r[h.indexOf('channel_id')] === ch && r[h.indexOf('start_datetime')] === start)?.[
        h.indexOf('count')
      ];
    expect(cell('sta:12/in/all', '2025-10-01T07:00:00Z')).toBe('99');
    expect(cell('sta:ds-13/in/all', '2025-10-01T05:00:00Z')).toBe('181');
    expect(f.site.length - 1).toBe(2);
  });

  it('DATEX II: a 1-minute flow of 820 veh/h is 13.67 vehicles in its hour; the 70 veh/h site (1.17) is suppressed', async () => {
    const f = await ingestAndExport(
      ['--format', 'datex2', '--period-s', '60', fixture('datex2-measured-data.xml')],
      '2026-04-08',
      '2026-04-09',
    );
    const h = f.measure[0];
    const counts = Object.fromEntries(
      f.measure.slice(1).map((r) => [r[h.indexOf('channel_id')], r[h.indexOf('count')]]),
    );
    expect(counts['datex2:MB631.B8/0/in/all']).toBe('13.67');
    expect(Object.values(counts).filter((c) => c === '').length).toBeGreaterThan(0);
    expect(f.site.length - 1).toBe(3);
  });

  it('an export with nothing in it fails: exit 1, the empty file, why, and the period the store holds', async () => {
    const run = async (args: string[]) => {
      const errs: string[] = [];
      const log = vi.spyOn(console, 'log').mockImplementation(() => undefined);
      const err = vi.spyOn(console, 'error').mockImplementation((...a: unknown[]) => void errs.push(a.join(' ')));
      try {
        return { code: await run2(args), err: errs.join('\n') };
      } finally {
        log.mockRestore();
        err.mockRestore();
      }
    };
    const run2 = async (args: string[]) => (args[0] === 'ingest' ? ingestRun(args.slice(1)) : exportRun(args));
    const data = join(tmp, 'store-empty-export');
    const ex = (from: string, to: string, out: string) => [
      ...['--dataset', 'counting', '--from', from, '--to', to, '--out', join(tmp, out), '--data', data],
    ];
    // A store nothing was ingested into (the silent case of issue 11: three files of 0 rows, exit 0).
    const none = await run(ex('2025-10-01', '2025-10-02', 'x-none'));
    expect(none.code).toBe(1);
    expect(none.err).toMatch(/no rows in .*sites\.csv.*: no site is registered/);
    expect(none.err).toMatch(/the store holds no counts/);
    // The Telraam month, exported for a day it does not cover.
    const telraam = fixture('segment-9000008311-2025-10-hourly.json');
    expect((await run(['ingest', '--format', 'telraam', telraam, '--data', data])).code).toBe(0);
    const outside = await run(ex('2024-01-01', '2024-01-02', 'x-outside'));
    expect(outside.code).toBe(1);
    expect(outside.err).toMatch(/no rows in \S*measures\.csv: nothing was stored in that period/);
    expect(outside.err).toMatch(/from 2025-10-01T00:00:00\.000Z to 2025-11-01T00:00:00\.000Z/);
  });
});
