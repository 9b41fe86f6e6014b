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
import {
  dispersionFromCounts,
  estimateOdGls,
  fitVarianceScale,
  type GlsCell,
  type GlsCount,
  refitAtFittedVariances,
} from './estimate.ts';

/** Pseudo-zone of trips to or from zones that no sensor of the group observes. */
export const UNOBSERVED_ZONE = '(unobserved)';

export type ZoneStatus = 'observed' | 'estimated' | 'unobserved';
/**
 * 'absorbed' (with line counts only): matched trips with an `(unobserved)` end (a crossed cordon, see the matcher's
 * `passThrough`) when no zone is left unobserved on that side: their population is in the estimated cells of the
 * zones beyond, so the cell itself is published with 0 (it would otherwise count them twice).
 */
export type CellStatus = 'observed' | 'estimated' | 'residual' | 'absorbed';

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
  /**
   * Counted lines as constraints through route shares (`zoneRouteShares`): each count = Σ_od share(o, d) · t_od.
   * With links, every zone of `zones` is an unknown of the fit (see `estimateWithLinks`).
   */
  links?: ZoneLinks;
}

/** Line counts and the route shares that tie them to OD cells. */
export interface ZoneLinks {
  /** `origin\0destination` → count key → share (expected crossings per trip). */
  shares: ReadonlyMap<string, ReadonlyMap<string, number>>;
  /** Counted value of each key (a line and direction) over the period. */
  counts: readonly { key: string; value: number }[];
  /** Relative standard error of a line count beyond Poisson (tracker misses and double counts). @default 0.1 */
  relSe?: number;
  /**
   * A zone without probes is `estimated` when the counts reduce the prior variance of its cells by at least this
   * share on average; below, the counts hardly see it and it stays `unobserved`. 0.3 until 2026-12-05: with the
   * intervals' width from the fit (`fitVarianceScale`), a zone the counts see less (reductions 0.17–0.28 on sparse
   * copies of the training worlds: car parks, the market, the core, a district) is published with its wide interval
   * rather than refused; those cells covered their truth at 96–100 % and their GEH < 5 share rose (dreux-grid sparser
   * motor 51.6 → 100 % of 31, chartres-centre sparser 82.3 → 91.1 % of 79). @default 0.1
   */
  minVarianceReduction?: number;
  /**
   * The part of each share from lines inside the pair's own end zones (`RouteShares.endShares`): its standard
   * error is `endShareRelSd` × that part, so each line count's variance gets Σ_od (endShareRelSd · e(o, d) · t₀)²
   * at the cells' priors.
   */
  endShares?: ReadonlyMap<string, ReadonlyMap<string, number>>;
  /** @default 0.5 */
  endShareRelSd?: number;
  /**
   * Relative model error of the probe priors with lines, at least: the observed cells' prior variance gets
   * (probeCv · prior)² (the larger of this and the dispersion the pure counts give). The probe rates (devices
   * sighted / counted) that expand matched trips leave out what loses a trip at both ends (misread plates, which
   * are distinct devices that never match; sessions split or cut), so the expanded probe cells come out low; with
   * only their sampling variance the fit keeps them there and hands the counts' surplus to the unprobed pairs.
   * @default 0.2
   */
  probeCv?: number;
  /**
   * Passes of the prior level λ (`countedPriorLevel`) and re-fits of the GLS with each count's variance,
   * max(1, f) + (relSe · f)² (+ its end-share term), from the previous fit's value f of the count (Pearson's χ²)
   * instead of the observed count (Neyman's, the first fit); 0 = the observed counts' variances throughout (as until
   * 2026-12-05). With the observed count as its own variance a line that happened to count few pulls every cell
   * crossing it down and one that counted many pulls up weakly: on sparse copies of the training worlds the motor
   * totals came out 4–8 % low (chartres-centre sparser −8.1 → −4.5 %, gates-only −5.9 → −3.6 %;
   * docs/OD-AND-PRIVACY.md, "Motor totals on sparse layouts"). @default 3
   */
  reweightPasses?: number;
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
  /**
   * Why an `unobserved` zone is: 'no-probe-no-count' (no probe sighting, no counted total) or
   * 'counts-do-not-identify' (the counted lines and totals reduce its cells' prior variance by less than the
   * threshold); the all-modes group composed by mode gives the parts that refuse it ('motor-unobserved',
   * 'pedestrian-not-identified', 'bicycle-not-identified', joined by ',').
   */
  reason?: string;
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
  if (input.links !== undefined && input.links.counts.length > 0) return estimateWithLinks(input, input.links);
  const rel = input.countRelSe ?? 0.03;
  const emptyVar = input.emptyCellVariance ?? 1;
  const counted = countedByZone(input.totals);
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

  const cells: UnknownCell[] = [];
  for (const o of known) {
    for (const d of known) {
      const so = status.get(o);
      const sd = status.get(d);
      if (so === 'observed' && sd === 'observed') {
        cells.push(probeCell(prior, o, d, emptyVar));
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
  const counts = totalCounts(cells, new Map([...counted].filter(([z]) => status.get(z) !== 'unobserved')), rel);
  const { r, dispersion } = fitWithDispersion(cells, counts);
  const out = cells.map((c, i) => resultCell(c, r, i));
  return { cells: out, zones: zoneCoverage(status, counted, input.cells, 'no-probe-no-count'), dispersion };
}

type UnknownCell = { origin: string; destination: string; status: CellStatus; glsCell: GlsCell };

/** A cell between two zones the probes observe: its probe prior, or 0 with `emptyVar` when nobody was seen on it. */
function probeCell(prior: ReadonlyMap<string, ZonePriorCell>, o: string, d: string, emptyVar: number): UnknownCell {
  const p = prior.get(`${o}\u0000${d}`);
  return {
    origin: o,
    destination: d,
    status: 'observed',
    glsCell: p ? { prior: p.prior, variance: p.variance } : { prior: 0, variance: emptyVar },
  };
}

/** The fitted cell i. */
function resultCell(c: UnknownCell, r: ReturnType<typeof estimateOdGls>, i: number): ZoneEstimateCell {
  return {
    origin: c.origin,
    destination: c.destination,
    status: c.status,
    prior: c.glsCell.prior,
    estimate: r.estimate[i],
    sd: r.sd[i],
    lower95: r.lower[i],
    upper95: r.upper[i],
  };
}

/** Counted totals per zone and side. */
function countedByZone(totals: readonly CountedTotal[]): Map<string, { origin?: number; destination?: number }> {
  const counted = new Map<string, { origin?: number; destination?: number }>();
  for (const t of totals) {
    if (!(t.total >= 0)) continue;
    const c = counted.get(t.zone) ?? {};
    c[t.side] = (c[t.side] ?? 0) + t.total;
    counted.set(t.zone, c);
  }
  return counted;
}

/** A zone's counted total = the sum of its row (origin) or column (destination); `pure` when all are observed. */
function totalCounts(
  cells: readonly UnknownCell[],
  counted: ReadonlyMap<string, { origin?: number; destination?: number }>,
  rel: number,
): (GlsCount & { pure: boolean })[] {
  const counts: (GlsCount & { pure: boolean })[] = [];
  for (const [z, c] of counted) {
    for (const side of ['origin', 'destination'] as const) {
      const v = c[side];
      if (v === undefined) continue;
      const idx = cells
        .map((x, i) => ((side === 'origin' ? x.origin : x.destination) === z ? i : -1))
        .filter((i) => i >= 0);
      if (idx.length === 0) continue;
      counts.push({
        cells: idx,
        value: v,
        variance: Math.max(1, v) + (rel * v) ** 2,
        pure: idx.every((i) => cells[i].status === 'observed'),
      });
    }
  }
  return counts;
}

/**
 * GLS fit with the model dispersion φ² (from the pure counts' misfit, at least `minDispersion`) added to the
 * observed cells' priors.
 */
function fitWithDispersion(
  cells: readonly UnknownCell[],
  counts: readonly (GlsCount & { pure: boolean })[],
  minDispersion = 0,
) {
  const glsCells = cells.map((c) => c.glsCell);
  const dispersion = Math.max(
    minDispersion,
    dispersionFromCounts(
      glsCells,
      counts.filter((c) => c.pure),
    ),
  );
  const withModel = glsCells.map((c, i) =>
    cells[i].status === 'observed' ? { prior: c.prior, variance: c.variance + dispersion * c.prior * c.prior } : c,
  );
  return { r: estimateOdGls(withModel, counts), dispersion, withModel };
}

/** Coverage rows: status, counted totals and the matched share of each zone, sorted by zone. */
function zoneCoverage(
  status: ReadonlyMap<string, ZoneStatus>,
  counted: ReadonlyMap<string, { origin?: number; destination?: number }>,
  priors: readonly ZonePriorCell[],
  unobservedReason: string,
): ZoneCoverage[] {
  const zones: ZoneCoverage[] = [...status].map(([zone, s]) => {
    const c = counted.get(zone) ?? {};
    const cov: ZoneCoverage = {
      zone,
      status: s,
      counted: c,
      ...(s === 'unobserved' ? { reason: unobservedReason } : {}),
    };
    const tot = (c.origin ?? 0) + (c.destination ?? 0);
    if (tot > 0) {
      let seen = 0;
      for (const p of priors) {
        if (c.origin !== undefined && p.origin === zone) seen += p.observed ?? 0;
        if (c.destination !== undefined && p.destination === zone) seen += p.observed ?? 0;
      }
      cov.matchedShare = s === 'observed' ? seen / tot : 0;
    }
    return cov;
  });
  return zones.sort((a, b) => (a.zone < b.zone ? -1 : a.zone > b.zone ? 1 : 0));
}

/**
 * Estimation with counted lines (docs/OD-AND-PRIVACY.md, "Counts as constraints: route shares"). Unknowns: every
 * ordered pair of zones of the registry (o ≠ d; round trips only where probes observe both ends, o = d cells of
 * an unprobed zone are not estimated). Priors: the probe prior for pairs of observed zones (plus the dispersion
 * φ² t₀² from the zone totals' misfit, as without links); for a pair with a zone the group's probes do not see, an
 * uninformative prior: standard deviation t̄ (the mean of the observed off-diagonal priors), mean λ = the common
 * level of those pairs that fits the counts best (`countedPriorLevel`; t̄ when no count holds such a pair). Counts: the zone totals (variance count + (3 %)²) and every line count, Σ share · t (variance
 * count + (relSe · count)²). After the fit, a zone without probes whose cells' variance the counts reduced by less
 * than `minVarianceReduction` on average is `unobserved`: its cells are not published, their estimates are summed
 * into the residual cells `(zone, (unobserved))`, `((unobserved), zone)` and `((unobserved), (unobserved))`
 * (sd: root of the summed variances, the cells' covariances left out). Matched trips with an `(unobserved)` end
 * that no residual cell holds are `absorbed` cells of 0 (their trips are in the estimated cells).
 */
function estimateWithLinks(input: ZoneEstimateInput, links: ZoneLinks): ZoneEstimateResult {
  const rel = input.countRelSe ?? 0.03;
  const linkRel = links.relSe ?? 0.1;
  const emptyVar = input.emptyCellVariance ?? 1;
  const minReduction = links.minVarianceReduction ?? 0.1;
  const zones = [...new Set([...input.zones, ...input.observed])].filter((z) => z !== UNOBSERVED_ZONE);
  const probed = (z: string) => input.observed.has(z);
  const prior = new Map(input.cells.map((c) => [`${c.origin}\u0000${c.destination}`, c]));
  let sum = 0;
  let n = 0;
  for (const o of zones) {
    for (const d of zones) {
      if (o === d || !probed(o) || !probed(d)) continue;
      sum += prior.get(`${o}\u0000${d}`)?.prior ?? 0;
      n++;
    }
  }
  const tbar = n > 0 ? sum / n : 0;
  // Scale of the uninformative prior (its standard deviation): the observed pairs' mean.
  const scale = Math.max(tbar, 1);
  const cells: UnknownCell[] = [];
  for (const o of zones) {
    for (const d of zones) {
      if (probed(o) && probed(d)) {
        cells.push(probeCell(prior, o, d, emptyVar));
      } else if (o !== d) {
        cells.push({
          origin: o,
          destination: d,
          status: 'estimated',
          glsCell: { prior: scale, variance: scale * scale },
        });
      }
    }
  }
  const counted = countedByZone(input.totals);
  const counts = totalCounts(cells, counted, rel);
  const lineCounts = linkCounts(cells, links.shares, links.counts, linkRel);
  for (const c of lineCounts) counts.push({ ...c, pure: false });
  // Count variances from fitted values (Pearson's χ²) rather than from the counts themselves (Neyman's): with the
  // observed count as its own variance, a line that happened to count few pulls every cell crossing it down, one that
  // counted many pulls up weakly, and the fitted totals come out low (see `countedPriorLevel`, the re-fits below).
  const first = counts.length - lineCounts.length;
  const relOf = (a: number) => (a >= first ? linkRel : rel);
  const countVariance = (a: number, f: number) => Math.max(1, f) + (relOf(a) * f) ** 2;
  // The prior level of the unprobed pairs from the counts (see countedPriorLevel), not borrowed from the probed ones.
  const passes = links.reweightPasses ?? 3;
  const level = countedPriorLevel(cells, counts, countVariance, passes);
  if (level !== undefined) {
    for (const c of cells) if (c.status === 'estimated') c.glsCell = { prior: level, variance: c.glsCell.variance };
  }
  // Route-model error of lines inside a pair's own end zones, at the cells' priors (see endShareVariance).
  const endExtra =
    links.endShares === undefined
      ? lineCounts.map(() => 0)
      : endShareVariance(cells, lineCounts, links.endShares, links.endShareRelSd ?? 0.5);
  endExtra.forEach((v, k) => {
    counts[first + k] = { ...counts[first + k], variance: counts[first + k].variance + v };
  });
  // The probe priors' model error (probeCv): at least (0.2 · prior)² on each observed cell. Then `reweightPasses`
  // re-fits, each count's variance from the previous fit's value of it (+ its end-share term).
  const probeCv = links.probeCv ?? 0.2;
  const { solution: fit, counts: fitCounts } = refitAtFittedVariances(
    counts,
    (c) => fitWithDispersion(cells, c, probeCv * probeCv),
    (x) => x.r.fitted,
    (a, f) => countVariance(a, f) + (a >= first ? endExtra[a - first] : 0),
    passes,
  );
  const { r, dispersion, withModel } = fit;
  // Which unprobed zones the counts see: a property of the layout (the counts and the routes), judged with the probe
  // priors' sampling variance alone; their model error would make the counts look less informative about the
  // unprobed pairs (measured on a sparser chartres-centre copy: one more zone refused, GEH < 5 70.9 → 68.4 %).
  const seen = probeCv > 0 ? fitWithDispersion(cells, fitCounts) : { r, withModel };
  const reduction = new Map<string, { sum: number; n: number }>();
  cells.forEach((c, i) => {
    if (c.status !== 'estimated') return;
    const v0 = seen.withModel[i].variance;
    const red = v0 > 0 ? 1 - (seen.r.sd[i] * seen.r.sd[i]) / v0 : 0;
    for (const z of new Set([c.origin, c.destination])) {
      if (probed(z)) continue;
      const a = reduction.get(z) ?? { sum: 0, n: 0 };
      a.sum += red;
      a.n++;
      reduction.set(z, a);
    }
  });
  const status = new Map<string, ZoneStatus>();
  for (const z of zones) {
    const red = reduction.get(z);
    status.set(
      z,
      probed(z) ? 'observed' : red !== undefined && red.sum / red.n >= minReduction ? 'estimated' : 'unobserved',
    );
  }
  // Intervals from the fit itself: every posterior variance is multiplied by the counts' variance scale s²
  // (`fitVarianceScale`: the Birge ratio rᵀS⁻¹r / m of the counts at the prior, shrunk towards 1 by 20 pseudo-counts),
  // which leaves the estimates and the zones' status unchanged: a layout whose counts the model fits well (s² < 1)
  // gets narrower intervals, one it fits badly wider ones. Bounded below by the sampling error: an observed cell's
  // posterior with the probe priors' sampling variance alone (without probeCv), and every cell's Poisson √t̂. Before
  // (2026-12-05), the variances were only widened (misfit > 1), never narrowed: on the training worlds and their
  // sparse copies the misfit is 0.37–0.80, and dreux-grid's motor intervals covered 100 % of its 31 cells.
  const fitScale = Math.sqrt(fitVarianceScale(r.misfit, counts.length));
  const sdOut = r.sd.map((v, i) =>
    Math.max(v * fitScale, cells[i].status === 'observed' ? seen.r.sd[i] : 0, Math.sqrt(Math.max(0, r.estimate[i]))),
  );
  const fitted = {
    ...r,
    sd: sdOut,
    lower: r.estimate.map((v, i) => Math.max(0, v - 1.959964 * sdOut[i])),
    upper: r.estimate.map((v, i) => v + 1.959964 * sdOut[i]),
  };
  const out: ZoneEstimateCell[] = [];
  const residual = new Map<string, { estimate: number; variance: number; prior: number }>();
  cells.forEach((c, i) => {
    const uo = status.get(c.origin) === 'unobserved';
    const ud = status.get(c.destination) === 'unobserved';
    if (!uo && !ud) {
      out.push(resultCell(c, fitted, i));
      return;
    }
    const key = `${uo ? UNOBSERVED_ZONE : c.origin}\u0000${ud ? UNOBSERVED_ZONE : c.destination}`;
    const a = residual.get(key) ?? { estimate: 0, variance: 0, prior: 0 };
    a.estimate += fitted.estimate[i];
    a.variance += fitted.sd[i] * fitted.sd[i];
    a.prior += c.glsCell.prior;
    residual.set(key, a);
  });
  // Matched trips with an (unobserved) end and no residual cell to hold them: absorbed, published at 0.
  for (const p of input.cells) {
    if (p.origin !== UNOBSERVED_ZONE && p.destination !== UNOBSERVED_ZONE) continue;
    const key = `${p.origin}\u0000${p.destination}`;
    if (residual.has(key)) continue;
    out.push({
      origin: p.origin,
      destination: p.destination,
      status: 'absorbed',
      prior: p.prior,
      estimate: 0,
      sd: 0,
      lower95: 0,
      upper95: 0,
    });
  }
  for (const [key, a] of residual) out.push({ ...residualCell(key, a.estimate, a.variance), prior: a.prior });
  return { cells: out, zones: zoneCoverage(status, counted, input.cells, 'counts-do-not-identify'), dispersion };
}

/**
 * A residual cell (`origin\0destination` key, an end `(unobserved)`): the sum of the refused cells' estimates, sd
 * the root of their summed variances (covariances left out), 95 % interval clipped at 0.
 */
export function residualCell(
  key: string,
  estimate: number,
  variance: number,
): {
  origin: string;
  destination: string;
  status: 'residual';
  estimate: number;
  sd: number;
  lower95: number;
  upper95: number;
} {
  const [origin, destination] = key.split('\u0000');
  const sd = Math.sqrt(variance);
  return {
    origin,
    destination,
    status: 'residual',
    estimate,
    sd,
    lower95: Math.max(0, estimate - 1.959964 * sd),
    upper95: estimate + 1.959964 * sd,
  };
}

/**
 * Extra variance of each line count (`lineCounts`, as linkCounts returns them) from the route model's guess of where
 * in its end zones a trip starts or ends: a line inside the pair's own origin or destination zone is crossed or not
 * depending on that, so the part e(o, d) of the share from such lines has standard error relSd · e(o, d), and the
 * count Σ share · t gets Σ_od (relSd · e(o, d) · t₀)² (cells' errors taken as independent). Measured on eval-only
 * copies of chartres-centre with plates at the gates only: the market camera's lines counted 4–32 motor crossings an
 * hour where the true OD through the route model implies 22–58 (its trips end before the square's junction), and
 * the fit set the market's cells to 0; relSd 0.5 kept every zone of the training worlds' copies identified (1.0
 * refused the dreux-grid car park and core, whose own trips do cross their inner lines).
 */
export function endShareVariance(
  cells: readonly { origin: string; destination: string; glsCell: GlsCell }[],
  lineCounts: readonly { key: string }[],
  endShares: ReadonlyMap<string, ReadonlyMap<string, number>>,
  relSd: number,
): number[] {
  const byKey = new Map<string, number>();
  for (const c of cells) {
    const m = endShares.get(`${c.origin}\u0000${c.destination}`);
    if (m === undefined) continue;
    for (const [key, e] of m) byKey.set(key, (byKey.get(key) ?? 0) + (relSd * e * c.glsCell.prior) ** 2);
  }
  return lineCounts.map((l) => byKey.get(l.key) ?? 0);
}

/**
 * Line counts as GLS counts over `cells`: each count Σ share(o, d) · t_od over the cells whose pair's route crosses
 * its line in its direction, variance count + (relSe · count)² (at least 1). Counts no cell's route crosses are left
 * out; each keeps its `key`.
 */
export function linkCounts(
  cells: readonly { origin: string; destination: string }[],
  shares: ReadonlyMap<string, ReadonlyMap<string, number>>,
  counts: readonly { key: string; value: number }[],
  relSe: number,
): (GlsCount & { key: string })[] {
  const index = new Map(cells.map((c, i) => [`${c.origin}\u0000${c.destination}`, i]));
  const byKey = new Map<string, { cells: number[]; coefficients: number[] }>();
  for (const [pair, m] of shares) {
    const i = index.get(pair);
    if (i === undefined) continue;
    for (const [key, share] of m) {
      if (!(share > 0)) continue;
      const e = byKey.get(key) ?? { cells: [], coefficients: [] };
      e.cells.push(i);
      e.coefficients.push(share);
      byKey.set(key, e);
    }
  }
  const out: (GlsCount & { key: string })[] = [];
  for (const l of counts) {
    const e = byKey.get(l.key);
    if (e === undefined || !(l.value >= 0)) continue;
    out.push({ ...e, key: l.key, value: l.value, variance: Math.max(1, l.value) + (relSe * l.value) ** 2 });
  }
  return out;
}

/**
 * Common prior level λ of the unprobed pairs (status `estimated`) that fits the counts best, by weighted least
 * squares with every other cell at its prior: λ = Σ wₐ rₐ uₐ / Σ wₐ uₐ², rₐ = cₐ − Σ_{i probed} aₐᵢ t₀ᵢ (what the
 * count leaves to the unprobed pairs), uₐ = Σ_{i unprobed} aₐᵢ, wₐ = 1 / var(cₐ); at least 0. Undefined when no
 * count holds an unprobed pair. Borrowing the probed pairs' mean instead (gates to gates: the busiest pairs) put
 * that level on every pair the counts cannot tell apart, and the sum of those pairs into the total: measured on
 * sparse copies of dreux-grid and chartres-centre, λ = 0.24–0.69 × that mean and motor totals 1–3 % lower (docs/OD-AND-PRIVACY.md).
 * With `varianceAt` (count index, fitted value → variance), `passes` more solutions each weigh a count by the variance
 * at its fitted value under the previous λ, Σ probed aₐᵢ t₀ᵢ + λ uₐ, instead of at its observed value: with the
 * observed value a count that happened to come out low gets the largest weight and pulls λ down (two counts of the
 * same two pairs counted 16 and 24: λ = 9.6 per pair at the observed variances, 10 at the fitted ones; zones.test.ts).
 */
export function countedPriorLevel(
  cells: readonly { status: CellStatus; glsCell: GlsCell }[],
  counts: readonly GlsCount[],
  varianceAt?: (a: number, fitted: number) => number,
  passes = 3,
): number | undefined {
  const parts = counts.map((c) => {
    let rest = c.value;
    let u = 0;
    c.cells.forEach((i, k) => {
      const a = c.coefficients?.[k] ?? 1;
      if (cells[i].status === 'estimated') u += a;
      else rest -= a * cells[i].glsCell.prior;
    });
    return { rest, u, probed: c.value - rest };
  });
  const solve = (variance: (a: number) => number) => {
    let num = 0;
    let den = 0;
    parts.forEach(({ rest, u }, a) => {
      num += (rest * u) / variance(a);
      den += (u * u) / variance(a);
    });
    return den > 0 ? Math.max(0, num / den) : undefined;
  };
  let level = solve((a) => counts[a].variance);
  if (varianceAt === undefined) return level;
  for (let k = 0; k < passes && level !== undefined; k++) {
    const l = level;
    level = solve((a) => varianceAt(a, Math.max(0, parts[a].probed + l * parts[a].u)));
  }
  return level;
}
