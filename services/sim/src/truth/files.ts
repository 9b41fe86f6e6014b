/**
 * Truth tables on disk: `<scenario>/truth/*.csv` (plain CSV, header line, times as epoch ms, zero cells
 * omitted). Written by `passage`'s scenario tooling, read by the evaluation.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { PassageError } from '@passage/config';
import { csvRecords } from '@passage/core';
import { loadScenario } from '../synth/scenario.ts';
import type {
  AgentModeRow,
  CounterRow,
  Direction,
  LineCountRow,
  MovementRow,
  OdRow,
  TravelTimeRow,
  TruthOptions,
  TruthTables,
} from './tables.ts';
import { buildTruth } from './tables.ts';

/** File name and column order of each truth table. */
export const TRUTH_FILES = {
  lineCounts: { file: 'line_counts_1m.csv', columns: ['cameraId', 'lineId', 'direction', 'mode', 'minute', 'count'] },
  movements: {
    file: 'movements_15m.csv',
    columns: ['cameraId', 'fromZone', 'toZone', 'mode', 'windowStart', 'count'],
  },
  od: { file: 'od_15m.csv', columns: ['origin', 'destination', 'mode', 'windowStart', 'trips'] },
  counters: { file: 'counters_15m.csv', columns: ['sensorId', 'direction', 'mode', 'start', 'count'] },
  travelTimes: {
    file: 'travel_times_15m.csv',
    columns: ['origin', 'destination', 'windowStart', 'trips', 'travelTimeP50S'],
  },
  agentModes: { file: 'agents_modes.csv', columns: ['mode', 'agents', 'withDevice', 'withPlate'] },
} as const satisfies Record<keyof TruthTables, { file: string; columns: readonly string[] }>;

function cell(v: unknown): string {
  if (v === null || v === undefined) return '';
  const s = String(v);
  return /[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** Rows → CSV text with the given columns. */
export function toCsv(rows: ReadonlyArray<object>, columns: readonly string[]): string {
  const lines = [columns.join(',')];
  for (const r of rows) {
    const rec = r as Record<string, unknown>;
    lines.push(columns.map((c) => cell(rec[c])).join(','));
  }
  return `${lines.join('\n')}\n`;
}

/** Records of a CSV text (core's CSV reader). */
export const parseCsv = csvRecords;

/** Write all truth tables into `<dir>/` (created if needed). */
export async function writeTruth(dir: string, truth: TruthTables): Promise<void> {
  await mkdir(dir, { recursive: true });
  for (const key of Object.keys(TRUTH_FILES) as (keyof TruthTables)[]) {
    const { file, columns } = TRUTH_FILES[key];
    await writeFile(join(dir, file), toCsv(truth[key], columns));
  }
}

async function readTable(dir: string, key: keyof TruthTables): Promise<Record<string, string>[]> {
  const path = join(dir, TRUTH_FILES[key].file);
  try {
    return parseCsv(await readFile(path, 'utf8'));
  } catch (e) {
    throw new PassageError(
      'PASSAGE_SIM_NO_TRUTH',
      `Cannot read ground truth ${path}; generate it with the scenario tooling (writeTruth) first.`,
      { cause: e },
    );
  }
}

const num = (s: string): number => Number(s);

/** Read the truth tables written by `writeTruth`. */
export async function readTruth(dir: string): Promise<TruthTables> {
  const [lc, mv, od, ct, tt, am] = await Promise.all(
    (['lineCounts', 'movements', 'od', 'counters', 'travelTimes', 'agentModes'] as const).map((k) => readTable(dir, k)),
  );
  return {
    lineCounts: lc.map(
      (r): LineCountRow => ({
        cameraId: r.cameraId,
        lineId: r.lineId,
        direction: r.direction as Direction,
        mode: r.mode,
        minute: num(r.minute),
        count: num(r.count),
      }),
    ),
    movements: mv.map(
      (r): MovementRow => ({
        cameraId: r.cameraId,
        fromZone: r.fromZone,
        toZone: r.toZone,
        mode: r.mode,
        windowStart: num(r.windowStart),
        count: num(r.count),
      }),
    ),
    od: od.map(
      (r): OdRow => ({
        origin: r.origin,
        destination: r.destination,
        mode: r.mode,
        windowStart: num(r.windowStart),
        trips: num(r.trips),
      }),
    ),
    counters: ct.map(
      (r): CounterRow => ({
        sensorId: r.sensorId,
        direction: r.direction,
        mode: r.mode,
        start: num(r.start),
        count: r.count === '' ? null : num(r.count),
      }),
    ),
    travelTimes: tt.map(
      (r): TravelTimeRow => ({
        origin: r.origin,
        destination: r.destination,
        windowStart: num(r.windowStart),
        trips: num(r.trips),
        travelTimeP50S: num(r.travelTimeP50S),
      }),
    ),
    agentModes: am.map(
      (r): AgentModeRow => ({
        mode: r.mode,
        agents: num(r.agents),
        withDevice: num(r.withDevice),
        withPlate: num(r.withPlate),
      }),
    ),
  };
}

/** Build the truth tables of a scenario directory and write them to `<dir>/truth/`. Returns the tables. */
export async function writeScenarioTruth(dir: string, options: TruthOptions = {}): Promise<TruthTables> {
  const ctx = await loadScenario(dir);
  const truth = buildTruth(ctx, options);
  await writeTruth(join(dir, 'truth'), truth);
  return truth;
}
