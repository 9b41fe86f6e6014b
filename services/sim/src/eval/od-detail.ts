/**
 * OD acceptance figures (issue 10): per OD mode group and clock-hour cell with at least `minTrips` true trips,
 * the share with GEH < 5, the totals, the share of cells whose stated 95 % interval holds the truth, and a
 * NAIVE PLATE MATCHING baseline on the same sightings, side by side: every plate's reads in time order, each pair
 * of consecutive reads at sites of different zones is one trip from the first zone to the second, counted in the
 * hour of the first read, not expanded. The baseline is written here from the sightings alone and shares nothing
 * with the OD matcher.
 */
import type { OdRow } from '../truth/tables.ts';
import { coverageTest, geh, MODE_GROUPS } from './metrics.ts';

export interface OdEstimateRow {
  origin: string;
  destination: string;
  /** OD mode group ('motor', 'all'). */
  mode: string;
  windowStart: number;
  trips: number;
  lower95?: number;
  upper95?: number;
}

export interface OdDetailGroup {
  /** Cells (origin, destination, clock hour) with ≥ minTrips true trips. */
  cells: number;
  gehLt5Share: number;
  truthTotal: number;
  outputTotal: number;
  totalErrorPct: number;
  /** Of those cells, the ones with an interval, and the share whose 95 % interval holds the truth. */
  intervalCells: number;
  coverage95?: number;
  /**
   * The coverage against the stated 95 % (`coverageTest`): exact binomial p-value, and the chance that calibrated
   * intervals over this many cells land in the 90–98 % acceptance band.
   */
  coverageCheck?: { p: number; chanceInBand: number };
  naive?: { gehLt5Share: number; outputTotal: number; totalErrorPct: number };
  /** Of those cells, the ones with an end in a zone the product reports `unobserved` (refused, not estimated). */
  refusedCells: number;
  /** The group has no output at all (nothing estimated: the product said why in its zone coverage). */
  noEstimate?: true;
  /**
   * At the product's own resolution: truth trips to or from zones reported unobserved summed into the
   * `(unobserved)` pseudo-zone (what the residual cells claim), cells with ≥ minTrips true trips, GEH < 5 share.
   */
  reported?: { cells: number; gehLt5Share: number };
}

/** Pseudo-zone of the estimation's residual cells (@passage/core UNOBSERVED_ZONE). */
const UNOBSERVED = '(unobserved)';

const MOTOR = new Set<string>(MODE_GROUPS.motorVehicles);

/** Naive plate matching (see the module comment): OD rows of group 'motor', per `intervalMs` of the first read. */
export function naivePlateOd(
  sightings: ReadonlyArray<{ siteId: string; ts: number; kind: string; id: string }>,
  siteZone: ReadonlyMap<string, string>,
  intervalMs = 3_600_000,
): OdRow[] {
  const reads = new Map<string, { ts: number; zone: string }[]>();
  for (const s of sightings) {
    const zone = siteZone.get(s.siteId);
    if (s.kind !== 'anpr' || zone === undefined) continue;
    const list = reads.get(s.id) ?? [];
    list.push({ ts: s.ts, zone });
    reads.set(s.id, list);
  }
  const cells = new Map<string, OdRow>();
  for (const list of reads.values()) {
    list.sort((a, b) => a.ts - b.ts);
    for (let i = 0; i + 1 < list.length; i++) {
      if (list[i].zone === list[i + 1].zone) continue;
      const windowStart = Math.floor(list[i].ts / intervalMs) * intervalMs;
      const key = `${list[i].zone}|${list[i + 1].zone}|${windowStart}`;
      const c = cells.get(key) ?? {
        origin: list[i].zone,
        destination: list[i + 1].zone,
        mode: 'motor',
        windowStart,
        trips: 0,
      };
      c.trips++;
      cells.set(key, c);
    }
  }
  return [...cells.values()];
}

/** The figures above for each group present in `output` (truth OD: Passage modes, any window length). */
export function odDetail(
  truth: ReadonlyArray<OdRow>,
  output: ReadonlyArray<OdEstimateRow>,
  options: {
    naive?: ReadonlyArray<OdRow>;
    intervalMs?: number;
    minTrips?: number;
    from?: number;
    to?: number;
    /** Groups the layout could observe: evaluated (as `noEstimate`) even when the output has none of them. */
    groups?: readonly string[];
    /** Zones the product reports unobserved, per `${group}|${interval start}`. */
    unobserved?: ReadonlyMap<string, ReadonlySet<string>>;
  } = {},
): Record<string, OdDetailGroup> {
  const iv = options.intervalMs ?? 3_600_000;
  const minTrips = options.minTrips ?? 20;
  const from = options.from ?? Number.NEGATIVE_INFINITY;
  const to = options.to ?? Number.POSITIVE_INFINITY;
  const key = (o: string, d: string, w: number) => `${o}|${d}|${Math.floor(w / iv) * iv}`;
  const out: Record<string, OdDetailGroup> = {};
  for (const g of [...new Set([...output.map((r) => r.mode), ...(options.groups ?? [])])].sort()) {
    const truthCells = new Map<string, number>();
    for (const r of truth) {
      if (r.windowStart < from || r.windowStart >= to) continue;
      if (g === 'motor' && !MOTOR.has(r.mode)) continue;
      const k = key(r.origin, r.destination, r.windowStart);
      truthCells.set(k, (truthCells.get(k) ?? 0) + r.trips);
    }
    const est = new Map<string, { v: number; lo?: number; hi?: number }>();
    let outputTotal = 0;
    for (const r of output) {
      if (r.mode !== g) continue;
      outputTotal += r.trips;
      const k = key(r.origin, r.destination, r.windowStart);
      const e = est.get(k) ?? { v: 0 };
      e.v += r.trips;
      if (r.lower95 !== undefined && r.upper95 !== undefined && r.upper95 > 0) {
        // Intervals of cells summed over windows add (conservative: their errors are not independent).
        e.lo = (e.lo ?? 0) + r.lower95;
        e.hi = (e.hi ?? 0) + r.upper95;
      }
      est.set(k, e);
    }
    const big = [...truthCells].filter(([, v]) => v >= minTrips);
    const hidden = (zone: string, k: string) =>
      options.unobserved?.get(`${g}|${k.slice(k.lastIndexOf('|') + 1)}`)?.has(zone) ?? false;
    const refused = big.filter(([k]) => {
      const [o, d] = k.split('|');
      return hidden(o, k) || hidden(d, k);
    }).length;
    // The product's resolution: unobserved zones merged into the residual pseudo-zone.
    const merged = new Map<string, number>();
    for (const [k, v] of truthCells) {
      const [o, d, w] = k.split('|');
      const mo = hidden(o, k) ? UNOBSERVED : o;
      const md = hidden(d, k) ? UNOBSERVED : d;
      if (mo === UNOBSERVED && md === UNOBSERVED) continue;
      const mk = `${mo}|${md}|${w}`;
      merged.set(mk, (merged.get(mk) ?? 0) + v);
    }
    const mergedBig = [...merged].filter(([, v]) => v >= minTrips);
    const truthTotal = [...truthCells.values()].reduce((a, b) => a + b, 0);
    const withIv = big.filter(([k]) => est.get(k)?.hi !== undefined);
    const covered = withIv.filter(([k, v]) => {
      const e = est.get(k) as { lo: number; hi: number };
      return v >= e.lo && v <= e.hi;
    }).length;
    const pct = (o: number) => (truthTotal > 0 ? ((o - truthTotal) / truthTotal) * 100 : Number.NaN);
    const rep: OdDetailGroup = {
      cells: big.length,
      gehLt5Share: big.filter(([k, v]) => geh(est.get(k)?.v ?? 0, v) < 5).length / Math.max(1, big.length),
      truthTotal,
      outputTotal,
      totalErrorPct: pct(outputTotal),
      intervalCells: withIv.length,
      ...(withIv.length > 0
        ? { coverage95: covered / withIv.length, coverageCheck: coverageTest(covered, withIv.length) }
        : {}),
      refusedCells: refused,
      ...(est.size === 0 ? { noEstimate: true as const } : {}),
    };
    if (options.unobserved !== undefined) {
      rep.reported = {
        cells: mergedBig.length,
        gehLt5Share:
          mergedBig.filter(([k, v]) => geh(est.get(k)?.v ?? 0, v) < 5).length / Math.max(1, mergedBig.length),
      };
    }
    if (g === 'motor' && options.naive) {
      const nv = new Map<string, number>();
      let nTotal = 0;
      for (const r of options.naive) {
        if (r.windowStart < Math.floor(from / iv) * iv || r.windowStart >= to) continue;
        const k = key(r.origin, r.destination, r.windowStart);
        nv.set(k, (nv.get(k) ?? 0) + r.trips);
        nTotal += r.trips;
      }
      rep.naive = {
        gehLt5Share: big.filter(([k, v]) => geh(nv.get(k) ?? 0, v) < 5).length / Math.max(1, big.length),
        outputTotal: nTotal,
        totalErrorPct: pct(nTotal),
      };
    }
    out[g] = rep;
  }
  return out;
}

/** Plain-text lines of `odDetail` (for `passage eval`). */
export function formatOdDetail(detail: Record<string, OdDetailGroup>, minTrips = 20): string[] {
  const p = (v: number) => `${(v * 100).toFixed(1)} %`;
  const s = (v: number) => `${v > 0 ? '+' : ''}${v.toFixed(1)} %`;
  const lines = [
    `OD acceptance (clock-hour cells with ≥ ${minTrips} true trips; naive plate matching on the same sightings)`,
  ];
  for (const [g, r] of Object.entries(detail)) {
    lines.push(
      `  ${g.padEnd(6)} ${String(r.cells).padStart(4)} cells  GEH<5 ${p(r.gehLt5Share).padStart(7)}  total ${s(r.totalErrorPct).padStart(8)}` +
        `  95 % interval coverage ${r.coverage95 === undefined ? '–' : `${p(r.coverage95)} of ${r.intervalCells}`}` +
        (r.coverageCheck
          ? ` (binomial p ${r.coverageCheck.p.toFixed(2)} against 95 %; calibrated intervals land in 90–98 % with chance ${p(r.coverageCheck.chanceInBand)})`
          : '') +
        (r.naive ? `  | naive: GEH<5 ${p(r.naive.gehLt5Share)}, total ${s(r.naive.totalErrorPct)}` : ''),
    );
    const notes: string[] = [];
    if (r.noEstimate) notes.push('no estimate (see od_zone_coverage)');
    if (r.refusedCells > 0) notes.push(`${r.refusedCells} of the cells refused (an end in an unobserved zone)`);
    if (r.reported) {
      notes.push(
        `at the reported resolution (unobserved zones merged): GEH<5 ${p(r.reported.gehLt5Share)} of ${r.reported.cells}`,
      );
    }
    if (notes.length > 0) lines.push(`         ${notes.join('; ')}`);
  }
  return lines;
}
