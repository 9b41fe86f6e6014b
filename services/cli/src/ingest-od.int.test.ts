/**
 * The documented file path gives the OD that a replay gives: five minutes of dreux-grid written in the documented
 * formats (detection frames, counts.v1, sightings) and loaded with `passage ingest`, file by file in two orders,
 * against the same five minutes replayed. Every embedded ingest recomputes the hourly population expansion over
 * its period (`expandOdAfterIngest`), so the file loaded last completes it; before, a city loading files got only
 * the matched trips (no `od_expanded_1h`).
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { loadScenario, replayRecords } from '@passage/sim';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runPassage } from './run-cli.ts';

const REPO = resolve(import.meta.dirname, '../../..');
const WORLD = join(REPO, 'infra/scenarios/dreux-grid');
const tmp = mkdtempSync(join(tmpdir(), 'passage-ingest-od-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
const FROM_S = 1200;
const TO_S = 1500;

const passage = runPassage;

type Cell = { origin: string; destination: string; mode: string; w: string; expanded: number; status: string };

/** The stored population expansion, sorted (`passage query` prints one JSON row per line). */
async function expansion(data: string): Promise<Cell[]> {
  const r = await passage([
    'query',
    `SELECT origin, destination, mode, toString(window_start) AS w, round(expanded, 6) AS expanded, status
     FROM od_expanded_1h FINAL WHERE status != 'retracted' ORDER BY origin, destination, mode, w`,
    '--data',
    data,
  ]);
  expect(r.code, r.err).toBe(0);
  return r.out
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as Cell);
}

const files = { frames: join(tmp, 'frames.jsonl'), counts: join(tmp, 'counts.json'), sightings: join(tmp, 's.jsonl') };
const sites = { PASSAGE_SITES_FILE: join(WORLD, 'scenario.json') };

beforeAll(async () => {
  // The replayed records, written as the documented files.
  const sim = await loadScenario(WORLD);
  const out = { frames: [] as string[], counts: [] as unknown[], sightings: [] as string[] };
  for (const r of replayRecords(sim, { fromS: FROM_S, toS: TO_S })) {
    if (r.topic === 'detections') out.frames.push(JSON.stringify(r.value));
    else if (r.topic === 'sightingsRaw') out.sightings.push(JSON.stringify(r.value));
    else out.counts.push(r.value);
  }
  mkdirSync(tmp, { recursive: true });
  writeFileSync(files.frames, `${out.frames.join('\n')}\n`);
  writeFileSync(files.sightings, `${out.sightings.join('\n')}\n`);
  writeFileSync(files.counts, JSON.stringify(out.counts));
  const r = await passage([
    'replay',
    WORLD,
    '--from',
    String(FROM_S),
    '--until',
    String(TO_S),
    '--data',
    join(tmp, 'replayed'),
  ]);
  expect(r.code, r.err).toBe(0);
}, 300_000);

describe('passage ingest of the documented files = passage replay, for the OD', () => {
  it('sightings last, or first: the same hourly population expansion as the replay', async () => {
    const replayed = await expansion(join(tmp, 'replayed'));
    // both OD groups, with cells estimated from the counts (not only matched trips)
    expect(new Set(replayed.map((c) => c.mode))).toEqual(new Set(['all', 'motor']));
    expect(replayed.filter((c) => c.status !== 'observed').length).toBeGreaterThan(0);
    for (const order of [
      ['frames', 'counts', 'sightings'],
      ['sightings', 'frames', 'counts'],
    ] as const) {
      const data = join(tmp, order.join('-'));
      const summaries: { odExpandedCells?: number }[] = [];
      for (const f of order) {
        const format = f === 'counts' ? 'json' : f;
        const r = await passage(['ingest', '--format', format, files[f], '--data', data], sites);
        expect(r.code, r.err).toBe(0);
        summaries.push(JSON.parse(r.out.slice(r.out.indexOf('{'))));
      }
      // Only a load with OD in the store recomputes it; the last one always does here.
      expect(summaries.at(-1)?.odExpandedCells).toBe(replayed.length);
      if (order[0] === 'frames') expect(summaries[0].odExpandedCells).toBeUndefined();
      expect(await expansion(data), order.join(' → ')).toEqual(replayed);
    }
  }, 300_000);
});
