/**
 * 1-minute aggregation of finished tracks into the anonymous `LineCount` and `Movement` rows of the event
 * contracts (@passage/stream contracts.ts; the shapes are repeated here structurally because core imports
 * nothing of ours). Line crossings are bucketed by the minute of the crossing, movements by the minute of
 * the exit from the exit zone. Speeds are km/h. Next to each row comes a mergeable {@link SpeedHistogram}
 * (same index) for mean and V85 over any roll-up.
 */
import { SpeedHistogram } from './histogram.ts';
import type { Direction, Mode, TrackSummary } from './types.ts';

export const MINUTE_MS = 60_000;

/** Same fields as `LineCount` in @passage/stream contracts. */
export interface LineCountRow {
  siteId: string;
  cameraId: string;
  lineId: string;
  direction: Direction;
  mode: Mode;
  minute: number;
  count: number;
  speedSum: number;
  speedCount: number;
}

/** Same fields as `Movement` in @passage/stream contracts. */
export interface MovementRow {
  siteId: string;
  cameraId: string;
  fromZone: string;
  toZone: string;
  mode: Mode;
  minute: number;
  count: number;
  speedSum: number;
  speedCount: number;
  dwellSumS: number;
}

export interface MinuteAggregates {
  lineCounts: LineCountRow[];
  /** lineSpeeds[i] is the speed distribution of lineCounts[i]. */
  lineSpeeds: SpeedHistogram[];
  movements: MovementRow[];
  /** movementSpeeds[i] is the speed distribution of movements[i]. */
  movementSpeeds: SpeedHistogram[];
}

export function minuteOf(ts: number, bucketMs = MINUTE_MS): number {
  return Math.floor(ts / bucketMs) * bucketMs;
}

interface LineCell {
  row: LineCountRow;
  hist: SpeedHistogram;
}
interface MoveCell {
  row: MovementRow;
  hist: SpeedHistogram;
}

/**
 * Accumulates classified track summaries of one camera; `flush(watermark)` returns and forgets every bucket
 * that ends at or before the watermark (event time), so late tracks within the allowed lateness still land in
 * their open bucket.
 */
export class MinuteAggregator {
  readonly siteId: string;
  readonly cameraId: string;
  readonly bucketMs: number;
  private readonly lines = new Map<string, LineCell>();
  private readonly moves = new Map<string, MoveCell>();

  constructor(options: { siteId: string; cameraId: string; bucketMs?: number }) {
    this.siteId = options.siteId;
    this.cameraId = options.cameraId;
    this.bucketMs = options.bucketMs ?? MINUTE_MS;
  }

  /** Adds a finished track with its mode (classifier output). */
  add(summary: TrackSummary, mode: Mode): void {
    for (const c of summary.crossings) {
      const minute = minuteOf(c.ts, this.bucketMs);
      const key = `${c.lineId}\u0000${c.direction}\u0000${mode}\u0000${minute}`;
      let cell = this.lines.get(key);
      if (!cell) {
        cell = {
          row: {
            siteId: this.siteId,
            cameraId: this.cameraId,
            lineId: c.lineId,
            direction: c.direction,
            mode,
            minute,
            count: 0,
            speedSum: 0,
            speedCount: 0,
          },
          hist: new SpeedHistogram(),
        };
        this.lines.set(key, cell);
      }
      cell.row.count++;
      if (c.speedKmh !== null && Number.isFinite(c.speedKmh)) {
        cell.row.speedSum += c.speedKmh;
        cell.row.speedCount++;
        cell.hist.add(c.speedKmh);
      }
    }
    const m = summary.movement;
    if (m) {
      const minute = minuteOf(m.exitTs, this.bucketMs);
      const key = `${m.fromZone}\u0000${m.toZone}\u0000${mode}\u0000${minute}`;
      let cell = this.moves.get(key);
      if (!cell) {
        cell = {
          row: {
            siteId: this.siteId,
            cameraId: this.cameraId,
            fromZone: m.fromZone,
            toZone: m.toZone,
            mode,
            minute,
            count: 0,
            speedSum: 0,
            speedCount: 0,
            dwellSumS: 0,
          },
          hist: new SpeedHistogram(),
        };
        this.moves.set(key, cell);
      }
      cell.row.count++;
      cell.row.dwellSumS += Math.max(0, m.dwellS);
      if (summary.speedKmh !== null && Number.isFinite(summary.speedKmh)) {
        cell.row.speedSum += summary.speedKmh;
        cell.row.speedCount++;
        cell.hist.add(summary.speedKmh);
      }
    }
  }

  /** Returns (and forgets) the buckets with minute + bucketMs ≤ watermark; all of them by default. */
  flush(watermark = Number.POSITIVE_INFINITY): MinuteAggregates {
    const out: MinuteAggregates = { lineCounts: [], lineSpeeds: [], movements: [], movementSpeeds: [] };
    const lineKeys = [...this.lines.keys()].sort();
    for (const k of lineKeys) {
      const cell = this.lines.get(k) as LineCell;
      if (cell.row.minute + this.bucketMs > watermark) continue;
      out.lineCounts.push(cell.row);
      out.lineSpeeds.push(cell.hist);
      this.lines.delete(k);
    }
    const moveKeys = [...this.moves.keys()].sort();
    for (const k of moveKeys) {
      const cell = this.moves.get(k) as MoveCell;
      if (cell.row.minute + this.bucketMs > watermark) continue;
      out.movements.push(cell.row);
      out.movementSpeeds.push(cell.hist);
      this.moves.delete(k);
    }
    return out;
  }

  get pendingBuckets(): number {
    return this.lines.size + this.moves.size;
  }

  /** Copies of the open rows (counts and speed sums only, no histograms): a checkpoint of this aggregator. */
  rows(): { lineCounts: LineCountRow[]; movements: MovementRow[] } {
    return {
      lineCounts: [...this.lines.values()].map((c) => ({ ...c.row })),
      movements: [...this.moves.values()].map((c) => ({ ...c.row })),
    };
  }

  /**
   * Adds checkpointed rows ({@link rows}) to the open buckets (their counts and speed sums; the speed histograms of
   * restored rows are not carried over).
   */
  addRows(rows: { lineCounts: readonly LineCountRow[]; movements: readonly MovementRow[] }): void {
    for (const r of rows.lineCounts) {
      this.#merge(this.lines, `${r.lineId}\u0000${r.direction}\u0000${r.mode}\u0000${r.minute}`, r, (c) => c);
    }
    for (const r of rows.movements) {
      this.#merge(this.moves, `${r.fromZone}\u0000${r.toZone}\u0000${r.mode}\u0000${r.minute}`, r, (c) => {
        c.dwellSumS += r.dwellSumS;
      });
    }
  }

  #merge<R extends LineCountRow | MovementRow>(
    cells: Map<string, { row: R; hist: SpeedHistogram }>,
    key: string,
    r: R,
    extra: (row: R) => unknown,
  ): void {
    const cell = cells.get(key);
    if (!cell) {
      cells.set(key, { row: { ...r, siteId: this.siteId, cameraId: this.cameraId }, hist: new SpeedHistogram() });
      return;
    }
    cell.row.count += r.count;
    cell.row.speedSum += r.speedSum;
    cell.row.speedCount += r.speedCount;
    extra(cell.row);
  }
}

/** Stateless form: aggregates a batch of classified tracks at once. */
export function aggregateMinutes(
  siteId: string,
  cameraId: string,
  tracks: Iterable<{ summary: TrackSummary; mode: Mode }>,
  bucketMs = MINUTE_MS,
): MinuteAggregates {
  const agg = new MinuteAggregator({ siteId, cameraId, bucketMs });
  for (const t of tracks) agg.add(t.summary, t.mode);
  return agg.flush();
}

/**
 * Combines rows of finer buckets into coarser ones (e.g. 1-minute → 15-minute), merging the speed
 * histograms alongside. Row `minute` becomes the start of the coarser bucket.
 */
export function rollUpLineCounts(
  rows: readonly LineCountRow[],
  hists: readonly SpeedHistogram[],
  bucketMs: number,
): { rows: LineCountRow[]; hists: SpeedHistogram[] } {
  const cells = new Map<string, { row: LineCountRow; hist: SpeedHistogram }>();
  rows.forEach((r, i) => {
    const minute = minuteOf(r.minute, bucketMs);
    const key = `${r.siteId}\u0000${r.cameraId}\u0000${r.lineId}\u0000${r.direction}\u0000${r.mode}\u0000${minute}`;
    let cell = cells.get(key);
    if (!cell) {
      cell = { row: { ...r, minute, count: 0, speedSum: 0, speedCount: 0 }, hist: new SpeedHistogram() };
      cells.set(key, cell);
    }
    cell.row.count += r.count;
    cell.row.speedSum += r.speedSum;
    cell.row.speedCount += r.speedCount;
    if (hists[i]) cell.hist.merge(hists[i]);
  });
  const out = { rows: [] as LineCountRow[], hists: [] as SpeedHistogram[] };
  for (const c of cells.values()) {
    out.rows.push(c.row);
    out.hists.push(c.hist);
  }
  return out;
}
