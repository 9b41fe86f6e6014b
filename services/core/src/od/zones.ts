/**
 * OD over the zones a deployment can and cannot see (docs/OD-AND-PRIVACY.md, "Coverage and matrix estimation").
 *
 * Every zone of a mode group gets a status:
 * - `observed`: the group's probes (ANPR for `motor`, Wi-Fi/BLE for `all`) sighted devices there in the period;
 *   its cells with another observed zone have a probe prior (the observed trips expanded by detection rates);
 * - `estimated`: no probe sighting, but counters give its origin and/or destination total: its cells are
 *   estimated from the counts alone, with a weak prior (a gravity split of its counted total over the other
 *   zones' totals, coefficient of variation 1), so their intervals are wide;
 * - `unobserved`: neither. No cell is published for it, and its trips are NOT spread over other cells: the part
 *   of a counted zone's total that goes to (comes from) unobserved zones is a cell of its own with the
 *   pseudo-zone `UNOBSERVED_ZONE` as destination (origin), status `residual`.
 * The cells are then fitted to every counted total by GLS (`estimateOdGls`): counts variance = count + (3 %)²,
 * the observed cells' prior variance is their sampling variance plus the model dispersion φ² t₀² estimated from
 * the misfit of the totals whose row or column holds observed cells only (`dispersionFromCounts`).
 *
 * Pure: the caller supplies priors and counted totals.
 */
import { dispersionFromCounts, estimateOdGls, type GlsCell, type GlsCount } from './estimate.ts';

/** Pseudo-zone of trips to or from zones that no sensor of the group observes. */
export const UNOBSERVED_ZONE = '(unobserved)';

export type ZoneStatus = 'observed' | 'estimated' | 'unobserved';
export type CellStatus = 'observed' | 'estimated' | 'residual';

export interface ZonePriorCell {
  origin: string;
  destination: string;
  /** Probe prior: observed trips expanded by detection rates. */
  prior: number;
  /** Its variance (sampling + rates). */
  variance: number;
  /** Trips the probes matched on the cell (for the matched share). */
  observed?: number;
}

export interface CountedTotal {
  zone: string;
  side: 'origin' | 'destination';
  total: number;
}

export interface ZoneEstimateInput {
  /** Every zone of the registry. */
  zones: readonly string[];
  /** Zones whose probes saw devices of the group in the period. */
  observed: ReadonlySet<string>;
  /** Probe priors of cells between observed zones (a pair not listed has prior 0). */
  cells: readonly ZonePriorCell[];
  /** Counted totals (reference counters). */
  totals: readonly CountedTotal[];
  /** Relative standard error of a counted total beyond Poisson. @default 0.03 */
  countRelSe?: number;
  /** Variance of a probe-observed pair nobody was seen on (one expanded trip's worth, typically). @default 1 */
  emptyCellVariance?: number;
}

export interface ZoneEstimateCell {
  origin: string;
  destination: string;
  status: CellStatus;
  prior: number;
  estimate: number;
  sd: number;
  lower95: number;
  upper95: number;
}

export interface ZoneCoverage {
  zone: string;
  status: ZoneStatus;
  /** Counted totals available for the zone. */
  counted: { origin?: number; destination?: number };
  /** Trips matched by probes in its counted row and/or column over its counted totals, when counted. */
  matchedShare?: number;
}

export interface ZoneEstimateResult {
  cells: ZoneEstimateCell[];
  zones: ZoneCoverage[];
  /** Model dispersion φ² added to the probe priors. */
  dispersion: number;
}

export function estimateZoneOd(input: ZoneEstimateInput): ZoneEstimateResult {
  const rel = input.countRelSe ?? 0.03;
  const emptyVar = input.emptyCellVariance ?? 1;
  const counted = new Map<string, { origin?: number; destination?: number }>();
  for (const t of input.totals) {
    if (!(t.total >= 0)) continue;
    const c = counted.get(t.zone) ?? {};
    c[t.side] = (c[t.side] ?? 0) + t.total;
    counted.set(t.zone, c);
  }
  const status = new Map<string, ZoneStatus>();
  for (const z of input.zones) {
    status.set(z, input.observed.has(z) ? 'observed' : counted.has(z) ? 'estimated' : 'unobserved');
  }
  for (const z of input.observed) if (!status.has(z)) status.set(z, 'observed');
  for (const z of counted.keys()) if (!status.has(z)) status.set(z, 'estimated');
  const known = [...status].filter(([, s]) => s !== 'unobserved').map(([z]) => z);
  const anyUnobserved = [...status.values()].some((s) => s === 'unobserved');
  const prior = new Map(input.cells.map((c) => [`${c.origin}\u0000${c.destination}`, c]));

  // Gravity split for estimated zones: a zone's counted total over the other side's totals (counted, or the
  // probe priors' margins when not counted).
  const sideTotal = (z: string, side: 'origin' | 'destination'): number => {
    const c = counted.get(z)?.[side];
    if (c !== undefined) return c;
    let s = 0;
    for (const p of input.cells) if ((side === 'origin' ? p.origin : p.destination) === z) s += p.prior;
    return s;
  };
  const destWeights = new Map(known.map((z) => [z, sideTotal(z, 'destination')]));
  const origWeights = new Map(known.map((z) => [z, sideTotal(z, 'origin')]));
  const sumD = [...destWeights.values()].reduce((a, b) => a + b, 0);
  const sumO = [...origWeights.values()].reduce((a, b) => a + b, 0);

  const cells: { origin: string; destination: string; status: CellStatus; glsCell: GlsCell }[] = [];
  for (const o of known) {
    for (const d of known) {
      const so = status.get(o);
      const sd = status.get(d);
      if (so === 'observed' && sd === 'observed') {
        const p = prior.get(`${o}\u0000${d}`);
        cells.push({
          origin: o,
          destination: d,
          status: 'observed',
          glsCell: p ? { prior: p.prior, variance: p.variance } : { prior: 0, variance: emptyVar },
        });
      } else {
        // Gravity prior from whichever end is counted (the mean of both when both are).
        const parts: number[] = [];
        const co = counted.get(o)?.origin;
        const cd = counted.get(d)?.destination;
        if (co !== undefined && sumD > 0) parts.push((co * (destWeights.get(d) ?? 0)) / sumD);
        if (cd !== undefined && sumO > 0) parts.push((cd * (origWeights.get(o) ?? 0)) / sumO);
        const t0 = parts.length > 0 ? parts.reduce((a, b) => a + b, 0) / parts.length : 0;
        cells.push({ origin: o, destination: d, status: 'estimated', glsCell: { prior: t0, variance: t0 * t0 + 1 } });
      }
    }
  }
  // Residual cells: the part of a counted total that goes to (comes from) zones nothing observes, and the trips
  // probes matched with an unobserved end (a crossed zone at that end, see the matcher's `passThrough`). Their
  // prior is those matched trips (expanded), a lower bound: the variance stays that of the whole counted total.
  const residualPrior = (o: string, d: string) => prior.get(`${o}\u0000${d}`)?.prior ?? 0;
  const residualZones = new Map<string, { origin: boolean; destination: boolean }>();
  const mark = (z: string, side: 'origin' | 'destination') => {
    if (status.get(z) === 'unobserved' || z === UNOBSERVED_ZONE) return;
    const r = residualZones.get(z) ?? { origin: false, destination: false };
    r[side] = true;
    residualZones.set(z, r);
  };
  if (anyUnobserved) {
    for (const [z, c] of counted) {
      if (c.origin !== undefined) mark(z, 'origin');
      if (c.destination !== undefined) mark(z, 'destination');
    }
  }
  for (const p of input.cells) {
    if (p.destination === UNOBSERVED_ZONE) mark(p.origin, 'origin');
    if (p.origin === UNOBSERVED_ZONE) mark(p.destination, 'destination');
  }
  for (const [z, r] of residualZones) {
    for (const side of ['origin', 'destination'] as const) {
      if (!r[side]) continue;
      const [o, d] = side === 'origin' ? [z, UNOBSERVED_ZONE] : [UNOBSERVED_ZONE, z];
      const t0 = residualPrior(o, d);
      const scale = Math.max(counted.get(z)?.[side] ?? 0, t0);
      cells.push({
        origin: o,
        destination: d,
        status: 'residual',
        glsCell: { prior: t0, variance: scale * scale + 1 },
      });
    }
  }
  const counts: (GlsCount & { pure: boolean })[] = [];
  for (const [z, c] of counted) {
    if (status.get(z) === 'unobserved') continue;
    for (const side of ['origin', 'destination'] as const) {
      const v = c[side];
      if (v === undefined) continue;
      const idx = cells
        .map((x, i) => ((side === 'origin' ? x.origin : x.destination) === z ? i : -1))
        .filter((i) => i >= 0);
      counts.push({
        cells: idx,
        value: v,
        variance: Math.max(1, v) + (rel * v) ** 2,
        pure: idx.every((i) => cells[i].status === 'observed'),
      });
    }
  }
  const glsCells = cells.map((c) => c.glsCell);
  const dispersion = dispersionFromCounts(
    glsCells,
    counts.filter((c) => c.pure),
  );
  const withModel = glsCells.map((c, i) =>
    cells[i].status === 'observed' ? { prior: c.prior, variance: c.variance + dispersion * c.prior * c.prior } : c,
  );
  const r = estimateOdGls(withModel, counts);
  const out: ZoneEstimateCell[] = cells.map((c, i) => ({
    origin: c.origin,
    destination: c.destination,
    status: c.status,
    prior: c.glsCell.prior,
    estimate: r.estimate[i],
    sd: r.sd[i],
    lower95: r.lower[i],
    upper95: r.upper[i],
  }));
  const zones: ZoneCoverage[] = [...status].map(([zone, s]) => {
    const c = counted.get(zone) ?? {};
    const cov: ZoneCoverage = { zone, status: s, counted: c };
    const tot = (c.origin ?? 0) + (c.destination ?? 0);
    if (tot > 0) {
      let seen = 0;
      for (const p of input.cells) {
        if (c.origin !== undefined && p.origin === zone) seen += p.observed ?? 0;
        if (c.destination !== undefined && p.destination === zone) seen += p.observed ?? 0;
      }
      cov.matchedShare = s === 'observed' ? seen / tot : 0;
    }
    return cov;
  });
  return { cells: out, zones: zones.sort((a, b) => (a.zone < b.zone ? -1 : a.zone > b.zone ? 1 : 0)), dispersion };
}
