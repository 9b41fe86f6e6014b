/**
 * k-anonymity for published aggregates (docs/OD-AND-PRIVACY.md, docs/adr/0002-privacy-model.md): no published cell may rest on fewer than k distinct
 * tokens. Two rules:
 * - `suppress`: a cell below k is kept as a marker with `trips: 0`, `suppressed: true` and no other
 *   measure (no expansion, no travel times), so consumers see that something was withheld.
 * - `merge-to-other`: cells below k are merged, per (windowStart, mode), first into
 *   (origin, 'other'), then what is still below k into ('other', 'other'); a merged cell still below k
 *   is suppressed as above. Cells at or above k pass unchanged.
 * Every output cell records the rule in `rule` (`k5:pass`, `k5:suppress`, `k5:merge-to-other`).
 *
 * Distinct tokens: when cells carry their token sets (`tokens`, only inside the worker, never published)
 * a merged cell counts the union, which is exact. Without token sets the merged count is the sum of
 * `trips`, an upper bound of the distinct count when one token contributes to several merged cells;
 * callers that need the strict guarantee must pass token sets (the OD matcher does).
 */
import { PassageError } from '../errors.ts';

export type KRule = 'suppress' | 'merge-to-other';

export const OTHER_ZONE = 'other';

/** Same shape as `OdCell` in @passage/stream contracts. */
export interface OdCellLike {
  origin: string;
  destination: string;
  mode: string;
  windowStart: number;
  trips: number;
  expanded?: number;
  expandedStdErr?: number;
  travelTimeP50S?: number;
  travelTimeP85S?: number;
  suppressed?: boolean;
  rule?: string;
}

/** A cell as held inside a worker before publication. */
export interface KCellInput extends OdCellLike {
  /** Distinct tokens of the cell (in memory only). */
  tokens?: ReadonlySet<string>;
  /** Travel times of the cell's trips, seconds (in memory only), to recompute quantiles after merging. */
  travelTimesS?: readonly number[];
}

function configError(message: string): PassageError {
  return new PassageError('PASSAGE_PRIVACY_CONFIG', message);
}

/** Linear-interpolation quantile (R type 7) of an ascending array; undefined when empty. */
export function quantileSorted(sorted: ArrayLike<number>, q: number): number | undefined {
  const n = sorted.length;
  if (n === 0) return undefined;
  const h = (n - 1) * q;
  const lo = Math.floor(h);
  const hi = Math.min(lo + 1, n - 1);
  return sorted[lo] + (h - lo) * (sorted[hi] - sorted[lo]);
}

function publish(cell: KCellInput, rule: string): OdCellLike {
  const out: OdCellLike = {
    origin: cell.origin,
    destination: cell.destination,
    mode: cell.mode,
    windowStart: cell.windowStart,
    trips: cell.tokens ? cell.tokens.size : cell.trips,
  };
  if (cell.expanded !== undefined) out.expanded = cell.expanded;
  if (cell.expandedStdErr !== undefined) out.expandedStdErr = cell.expandedStdErr;
  if (cell.travelTimeP50S !== undefined) out.travelTimeP50S = cell.travelTimeP50S;
  if (cell.travelTimeP85S !== undefined) out.travelTimeP85S = cell.travelTimeP85S;
  out.rule = rule;
  return out;
}

function suppressedMarker(cell: OdCellLike, rule: string): OdCellLike {
  return {
    origin: cell.origin,
    destination: cell.destination,
    mode: cell.mode,
    windowStart: cell.windowStart,
    trips: 0,
    suppressed: true,
    rule,
  };
}

function distinct(cell: KCellInput): number {
  return cell.tokens ? cell.tokens.size : cell.trips;
}

function mergeCells(into: KCellInput, from: KCellInput): KCellInput {
  let tokens: Set<string> | undefined;
  if (into.tokens && from.tokens) {
    tokens = new Set(into.tokens);
    for (const t of from.tokens) tokens.add(t);
  }
  const tt = into.travelTimesS && from.travelTimesS ? [...into.travelTimesS, ...from.travelTimesS] : undefined;
  return {
    origin: into.origin,
    destination: into.destination,
    mode: into.mode,
    windowStart: into.windowStart,
    trips: tokens ? tokens.size : into.trips + from.trips,
    tokens,
    travelTimesS: tt,
  };
}

function emptyCell(like: KCellInput, origin: string, destination: string): KCellInput {
  return {
    origin,
    destination,
    mode: like.mode,
    windowStart: like.windowStart,
    trips: 0,
    tokens: like.tokens ? new Set() : undefined,
    travelTimesS: like.travelTimesS ? [] : undefined,
  };
}

function withQuantiles(cell: KCellInput): KCellInput {
  if (!cell.travelTimesS || cell.travelTimesS.length === 0) return cell;
  const sorted = Float64Array.from(cell.travelTimesS).sort();
  return { ...cell, travelTimeP50S: quantileSorted(sorted, 0.5), travelTimeP85S: quantileSorted(sorted, 0.85) };
}

/**
 * Apply k-anonymity to cells. Pure: the input is not modified; token sets and travel-time arrays are never
 * copied to the output.
 */
export function suppressBelowK(cells: readonly KCellInput[], k: number, rule: KRule): OdCellLike[] {
  if (!Number.isInteger(k) || k < 1) throw configError(`k = ${k} must be an integer ≥ 1 (default 5 for exports).`);
  const tag = `k${k}`;
  const passRule = `${tag}:pass`;
  if (rule === 'suppress') {
    return cells.map((c) => (distinct(c) >= k ? publish(c, passRule) : suppressedMarker(c, `${tag}:suppress`)));
  }
  if (rule !== 'merge-to-other') throw configError(`rule "${String(rule)}" must be 'suppress' or 'merge-to-other'.`);
  const mergeRule = `${tag}:merge-to-other`;
  const out: OdCellLike[] = [];
  // Stage 1: per (window, mode, origin) merge small cells into (origin, other).
  const byOrigin = new Map<string, KCellInput>();
  for (const c of cells) {
    if (distinct(c) >= k) {
      out.push(publish(c, passRule));
      continue;
    }
    const key = `${c.windowStart}\u0000${c.mode}\u0000${c.origin}`;
    const prev = byOrigin.get(key) ?? emptyCell(c, c.origin, OTHER_ZONE);
    byOrigin.set(key, mergeCells(prev, c));
  }
  // Stage 2: what is still small goes to (other, other) per (window, mode).
  const byWindow = new Map<string, KCellInput>();
  for (const m of byOrigin.values()) {
    if (distinct(m) >= k) {
      out.push(publish(withQuantiles(m), mergeRule));
      continue;
    }
    const key = `${m.windowStart}\u0000${m.mode}`;
    const prev = byWindow.get(key) ?? emptyCell(m, OTHER_ZONE, OTHER_ZONE);
    byWindow.set(key, mergeCells(prev, m));
  }
  for (const m of byWindow.values()) {
    if (distinct(m) >= k) out.push(publish(withQuantiles(m), mergeRule));
    else out.push(suppressedMarker(m, `${tag}:merge-to-other:suppress`));
  }
  return out;
}
