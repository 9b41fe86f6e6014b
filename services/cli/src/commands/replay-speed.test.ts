/**
 * Issue 11, item 4: a replay at any speed stores the same rows, health findings and evaluation. Before the counts
 * role judged health at fixed event-time instants, `--speed 60` and `--speed max` closed different numbers of bins
 * per batch, so counter health saw different histories (an extra stuck-at-zero, other expected values) and
 * `passage eval` differed; before video-flows emitted by event time (emission epochs), its checkpoints split minute
 * rows wherever a batch ended. Each speed replays into its own store, then every stored table (delivery bookkeeping
 * aside) and `passage eval --json` are compared: counts and sightings of the committed scenario's whole hour, then
 * every stream for 12 minutes (the detections of a whole hour cost a minute or more per speed).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { openStore } from '@passage/store';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { run as evalRun } from './eval.ts';
import { run as replayRun } from './replay.ts';

const SCENARIO = resolve(fileURLToPath(new URL('.', import.meta.url)), '../../../../infra/scenarios/chartres-centre');
const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

/** Every stored aggregate, in a canonical order, without delivery bookkeeping (_src, _offset, computed_at). */
const TABLES = [
  'SELECT * EXCEPT (_src, _offset) FROM line_counts_1m ORDER BY ALL',
  'SELECT * EXCEPT (_src, _offset) FROM movements_1m ORDER BY ALL',
  // The 15-minute roll-ups (SummingMergeTree): exact fixed-point sums (migration 0011), compared as stored.
  'SELECT * FROM line_counts_15m FINAL ORDER BY ALL',
  'SELECT * FROM movements_15m FINAL ORDER BY ALL',
  'SELECT * EXCEPT (_src, _offset) FROM counts_1m ORDER BY ALL',
  'SELECT sensor_id, interval, start, direction, mode, count, raw_count, observed_s, covered_s FROM counts_bins ORDER BY ALL',
  'SELECT sensor_id, kind, from, to, mode, direction, detail FROM sensor_health ORDER BY ALL',
  'SELECT * EXCEPT (_src, _offset) FROM od_15m ORDER BY ALL',
  'SELECT * EXCEPT (_src, _offset) FROM od_1h ORDER BY ALL',
  'SELECT * EXCEPT (computed_at) FROM od_expanded_1h FINAL ORDER BY ALL',
  'SELECT * EXCEPT (computed_at) FROM od_zone_coverage FINAL ORDER BY ALL',
];
const [LINES, MOVES, LINES_15M, MOVES_15M, RAW_COUNTS, BINS, HEALTH, , OD_1H] = TABLES.keys();

async function snapshot(dataDir: string): Promise<string[]> {
  const store = openStore({ dataDir });
  try {
    const out: string[] = [];
    for (const q of TABLES) {
      const rs = await store.client.query({ query: q, format: 'JSONEachRow' });
      out.push(JSON.stringify(await rs.json()));
    }
    return out;
  } finally {
    await store.close();
  }
}

async function captured(fn: () => Promise<number>): Promise<{ code: number; out: string }> {
  const lines: string[] = [];
  const spy = vi.spyOn(console, 'log').mockImplementation((...a: unknown[]) => void lines.push(a.join(' ')));
  const err = vi.spyOn(console, 'error').mockImplementation(() => undefined);
  try {
    return { code: await fn(), out: lines.join('\n') };
  } finally {
    spy.mockRestore();
    err.mockRestore();
  }
}

/** Replays `args` at --speed max and --speed 60 into two stores; every table above and `passage eval --json` equal. */
async function bothSpeeds(args: string[]): Promise<number[]> {
  const stores: Record<string, string> = {};
  for (const speed of ['max', '60']) {
    const dir = mkdtempSync(join(tmpdir(), `one-speed-${speed}-`));
    dirs.push(dir);
    stores[speed] = dir;
    const r = await captured(() => replayRun([SCENARIO, '--speed', speed, ...args, '--data', dir]));
    expect(r.code).toBe(0);
  }
  const [a, b] = [await snapshot(stores.max), await snapshot(stores['60'])];
  for (let i = 0; i < TABLES.length; i++) expect(b[i], TABLES[i]).toBe(a[i]);
  const evals = [];
  for (const speed of ['max', '60']) {
    const r = await captured(() => evalRun([SCENARIO, '--json', '--data', stores[speed]]));
    expect(r.code).toBe(0);
    evals.push(r.out);
  }
  expect(evals[0].length).toBeGreaterThan(100);
  expect(evals[1]).toBe(evals[0]);
  return a.map((t) => (JSON.parse(t) as unknown[]).length);
}

describe('replay speed does not change what is stored or evaluated', () => {
  it('--speed 60 and --speed max: identical counts, health findings, OD rows and passage eval --json', async () => {
    const rows = await bothSpeeds(['--only', 'counts,sightingsRaw']);
    expect(rows[BINS]).toBeGreaterThan(1000); // counter bins
    expect(rows[HEALTH]).toBeGreaterThan(0); // health findings
    expect(rows[OD_1H]).toBeGreaterThan(0); // hourly OD cells
  }, 600_000);

  it('every stream, 12 minutes (> 50,000 frames: checkpoints mid-replay): identical camera rows too', async () => {
    const rows = await bothSpeeds(['--until', '720']);
    expect(rows[LINES]).toBeGreaterThan(1000); // line-count rows of the cameras
    expect(rows[MOVES]).toBeGreaterThan(500); // turning-movement rows
    expect(rows[LINES_15M]).toBeGreaterThan(300); // their 15-minute roll-ups, speed and dwell sums included
    expect(rows[MOVES_15M]).toBeGreaterThan(150);
    expect(rows[RAW_COUNTS]).toBeGreaterThan(100);
  }, 600_000);
});
