/**
 * Loud ingest (issue 11, item 2): every `passage ingest` ends with a summary (input, accepted, dead letters by
 * reason, unknown ids, rows stored per table, period) and fails when nothing was stored or most input was rejected.
 * Each case that used to print `{"messages":2000}` and store nothing now says why and what to do.
 *
 * Fixtures: sites-one-camera.json (one top-down camera, 7 calibration pairs, a counting line across the middle of
 * the image) and frames-one-car.jsonl (80 generic detections.v1 frames at 10 fps: one car crossing the line).
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { run } from './ingest.ts';
import type { IngestSummary } from './ingest-report.ts';

const fx = (name: string) => fileURLToPath(new URL(`./fixtures/${name}`, import.meta.url));
const TELRAAM = fileURLToPath(
  new URL('../../../ingest/src/counts/fixtures/segment-9000008311-2025-10-hourly.json', import.meta.url),
);
let tmp: string;
let n = 0;
const savedSites = process.env.PASSAGE_SITES_FILE;

beforeAll(() => {
  tmp = mkdtempSync(join(tmpdir(), 'one-ingest-'));
});
afterAll(() => {
  if (savedSites === undefined) delete process.env.PASSAGE_SITES_FILE;
  else process.env.PASSAGE_SITES_FILE = savedSites;
  rmSync(tmp, { recursive: true, force: true });
});

/** Runs `passage ingest` in-process into a fresh store (or `data`); returns the exit code, the summary and stderr lines. */
async function ingest(
  args: string[],
  sitesFile = '',
  data = join(tmp, `store-${n++}`),
): Promise<{ code: number; summary: IngestSummary; stderr: string[] }> {
  process.env.PASSAGE_SITES_FILE = sitesFile;
  const out: string[] = [];
  const stderr: string[] = [];
  const log = vi.spyOn(console, 'log').mockImplementation((...a: unknown[]) => void out.push(a.join(' ')));
  const err = vi.spyOn(console, 'error').mockImplementation((...a: unknown[]) => void stderr.push(a.join(' ')));
  try {
    const code = await run([...args, '--data', data]);
    return { code, summary: JSON.parse(out[out.length - 1]) as IngestSummary, stderr };
  } finally {
    log.mockRestore();
    err.mockRestore();
  }
}

/** The frames fixture as DeepStream nvmsgconv minimal-schema payloads (`trackingId|left|top|right|bottom|label`). */
function deepStream(sensorId: string): string {
  const frames = readFileSync(fx('frames-one-car.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as { ts: number; frame: number; objects: { bbox: number[] }[] });
  const path = join(tmp, `deepstream-${sensorId}.jsonl`);
  writeFileSync(
    path,
    frames
      .map((f) =>
        JSON.stringify({
          version: '4.0',
          id: String(f.frame),
          '@timestamp': new Date(f.ts).toISOString(),
          sensorId,
          objects: f.objects.map(({ bbox: [x, y, w, h] }) => `1|${x}|${y}|${x + w}|${y + h}|Car`),
        }),
      )
      .join('\n'),
  );
  return path;
}

describe('passage ingest: detections', () => {
  it('generic frames of a declared camera: one crossing stored, summary complete, exit 0', async () => {
    const r = await ingest(['--format', 'frames', fx('frames-one-car.jsonl')], fx('sites-one-camera.json'));
    expect(r.code).toBe(0);
    expect(r.summary).toMatchObject({
      format: 'frames',
      input: 80,
      accepted: 80,
      deadLettered: {},
      unknownIds: [],
      rowsStored: { line_counts_1m: 1, movements_1m: 0 },
      stored: 1,
      from: '2026-03-10T08:00:00.000Z',
      to: '2026-03-10T08:00:07.900Z',
      warnings: [],
    });
  });

  it('DeepStream payloads of the same car: stored the same way', async () => {
    const r = await ingest(['--format', 'deepstream', deepStream('cam-test')], fx('sites-one-camera.json'));
    expect(r.code).toBe(0);
    expect(r.summary.rowsStored).toEqual({ line_counts_1m: 1, movements_1m: 0 });
  });

  it('the same file twice: the second load stores nothing, says the period is already stored, exit 1', async () => {
    const data = join(tmp, 'twice');
    const args = ['--format', 'frames', fx('frames-one-car.jsonl')];
    const first = await ingest(args, fx('sites-one-camera.json'), data);
    expect(first.code).toBe(0);
    expect(first.summary.stored).toBe(1);
    const second = await ingest(args, fx('sites-one-camera.json'), data);
    expect(second.code).toBe(1);
    expect(second.summary).toMatchObject({ input: 80, accepted: 80, stored: 0 });
    expect(second.summary.warnings.map((x) => x.code)).toEqual([
      'PASSAGE_INGEST_ALREADY_STORED',
      'PASSAGE_INGEST_NOTHING_STORED',
    ]);
    expect(second.summary.warnings[0].message).toMatch(/80 frames gave \d+ count records but no new row/);
  });

  it('camera ids that do not match the sites file: UNKNOWN_CAMERA per frame, the ids named, exit 1', async () => {
    const r = await ingest(['--format', 'deepstream', deepStream('cam-7')], fx('sites-one-camera.json'));
    expect(r.code).toBe(1);
    expect(r.summary).toMatchObject({
      input: 80,
      accepted: 0,
      deadLettered: { UNKNOWN_CAMERA: 80 },
      unknownIds: ['cam-7'],
      stored: 0,
    });
    const codes = r.summary.warnings.map((w) => w.code);
    expect(codes).toEqual([
      'PASSAGE_INGEST_UNKNOWN_CAMERA',
      'PASSAGE_INGEST_NOTHING_STORED',
      'PASSAGE_INGEST_MOSTLY_REJECTED',
    ]);
    expect(r.summary.warnings[0].message).toMatch(/cam-7 \(80 frames\).*declares cam-test.*Add these cameras/);
    expect(r.stderr.some((l) => l.startsWith('PASSAGE_INGEST_UNKNOWN_CAMERA: '))).toBe(true);
  });

  it('payloads in another format: the dead letters counted by reason and the right --format named, exit 1', async () => {
    const r = await ingest(['--format', 'deepstream', fx('frames-one-car.jsonl')], fx('sites-one-camera.json'));
    expect(r.code).toBe(1);
    expect(r.summary).toMatchObject({ input: 80, accepted: 0, deadLettered: { SCHEMA: 80 }, stored: 0 });
    const w = r.summary.warnings.find((x) => x.code === 'PASSAGE_INGEST_WRONG_FORMAT');
    expect(w?.message).toMatch(/80 of 80 payloads could not be read as DeepStream.*run again with --format frames/);
  });

  it('lines 1 km from their camera: refused before anything is published, the line and distance named', async () => {
    const sites = JSON.parse(readFileSync(fx('sites-one-camera.json'), 'utf8')) as {
      cameras: { lines: { a: number[]; b: number[] }[] }[];
    };
    for (const l of sites.cameras[0].lines) for (const p of [l.a, l.b]) p[0] += 0.0135; // ≈ 1 km east
    const far = join(tmp, 'sites-far-lines.json');
    writeFileSync(far, JSON.stringify(sites));
    const err = await ingest(['--format', 'frames', fx('frames-one-car.jsonl')], far).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'PASSAGE_REGISTRY_INVALID' });
    expect((err as Error).message).toMatch(
      /cam-test:l-mid.*outside the view of camera "cam-test": it lies \d{3,4} m from the camera/,
    );
  });
});

describe('passage ingest: counter feeds and sightings', () => {
  it('the Telraam month: records, rows stored, period; exit 0', async () => {
    const r = await ingest(['--format', 'telraam', TELRAAM]);
    expect(r.code).toBe(0);
    expect(r.summary).toMatchObject({
      format: 'telraam',
      input: 5944,
      accepted: 5944,
      deadLettered: {},
      records: 5944,
      sensors: 1,
      from: '2025-10-01T00:00:00.000Z',
      to: '2025-11-01T00:00:00.000Z',
    });
    // 743 reported hours + the missing one (25 Oct, the DST change) as an explicit gap, × 4 modes × 2 directions.
    expect(r.summary.rowsStored.counts_1m).toBe(744 * 8);
  });

  it('a file of gaps only: nothing observed, exit 1', async () => {
    const path = join(tmp, 'gaps.json');
    const start = Date.parse('2026-03-10T08:00:00Z');
    writeFileSync(
      path,
      JSON.stringify(
        [0, 1, 2].map((i) => ({
          sensorId: 'loop-x',
          start: start + i * 900_000,
          end: start + (i + 1) * 900_000,
          count: null,
        })),
      ),
    );
    const r = await ingest(['--format', 'json', path]);
    expect(r.code).toBe(1);
    expect(r.summary.warnings.map((w) => w.code)).toContain('PASSAGE_INGEST_ONLY_GAPS');
  });

  it('sightings: tokenised and matched into OD rows, the missing zone map said; exit 0', async () => {
    const t0 = Date.parse('2026-03-10T08:00:00Z');
    const lines: string[] = [];
    for (let d = 0; d < 12; d++) {
      const id = `00:1b:44:11:3a:${d.toString(16).padStart(2, '0')}`; // universal (not randomised) addresses
      lines.push(JSON.stringify({ siteId: 'site-a', ts: t0 + d * 10_000, kind: 'wifi', id }));
      lines.push(JSON.stringify({ siteId: 'site-b', ts: t0 + 300_000 + d * 10_000, kind: 'wifi', id }));
    }
    lines.push('{"siteId": "site-a", "ts": "yesterday"}');
    const path = join(tmp, 'sightings.jsonl');
    writeFileSync(path, lines.join('\n'));
    const r = await ingest(['--format', 'sightings', path]);
    expect(r.summary).toMatchObject({ format: 'sightings', input: 25, accepted: 24, deadLettered: { SCHEMA: 1 } });
    expect(r.summary.stored).toBeGreaterThan(0);
    expect(r.summary.warnings.map((w) => w.code)).toEqual(['PASSAGE_INGEST_NO_ZONES']);
    expect(r.code).toBe(0);
  });
});
