/**
 * OD of a mode no probe observes (pedestrians, bicycles: their phones randomise their addresses), estimated from
 * what counts it (docs/OD-AND-PRIVACY.md, "All modes where phones randomise"). Pure arithmetic.
 *
 * Unknowns: every ordered pair of distinct zones. Counts: each counted line and direction of the mode (camera lines,
 * pedestrian and bicycle counters), Σ_od p(o, d, line, direction) · t_od with the route shares of the mode's route
 * model (`zoneRouteShares` with `travel` 'walk' or 'cycle'), variance f + (relSe · f)² with f the fitted count
 * (`fitWithFittedVariances`: the observed count at the first fit). Prior: one common level λ for every pair,
 * Σ counts / Σ route-share coefficients (see below), with a wide variance (standard deviation priorCv · λ): the counts,
 * not the prior, shape the matrix; with the zones' kinds, the prior is then reshaped by kind from that first fit
 * (`kindGravityPrior`) and the fit repeated. GLS (`estimateOdGls`, non-negative). Intervals: the error variance of
 * the estimates with the pairs' true trips spread about that prior as t₀ + (pairCv · t₀)² (`glsErrorVariance`; not the
 * fit's flat wide variance, which a pair the counts do not see would keep), multiplied by the counts' variance scale
 * (`fitVarianceScale`, as for the motor group with lines), plus the route model's error (routeCv).
 *
 * Identification: a zone is `estimated` when the counts reduce the prior variance of its cells by at least
 * `minVarianceReduction` on average, else `unobserved`: its cells are refused (not published, never 0) and their
 * estimates summed into the residual cells `(zone, (unobserved))`, `((unobserved), zone)`,
 * `((unobserved), (unobserved))`, so the mode's total stays whole without a pair resting on what nothing counts.
 * Round trips (o = d) are not estimated (a line cannot tell out-and-back from staying away).
 */
import {
  estimateOdGls,
  fitVarianceScale,
  type GlsCell,
  type GlsCount,
  type GlsResult,
  glsErrorVariance,
  refitAtFittedVariances,
} from './estimate.ts';
import { type CellStatus, linkCounts, residualCell, UNOBSERVED_ZONE, type ZoneStatus } from './zones.ts';

export interface CountedModeInput {
  zones: readonly string[];
  /** `origin\0destination` → count key (`lineId|in` / `lineId|out`) → expected crossings per trip. */
  shares: ReadonlyMap<string, ReadonlyMap<string, number>>;
  /** The mode's count of each key over the period. */
  counts: readonly { key: string; value: number }[];
  /** Relative standard error of a count beyond Poisson (tracker misses, double counts, route choice). @default 0.15 */
  relSe?: number;
  /** Prior standard deviation of a cell as a multiple of the prior level. @default 5 */
  priorCv?: number;
  /** As the motor group's (`ZoneLinks.minVarianceReduction`, 0.3 until 2026-12-05). @default 0.1 */
  minVarianceReduction?: number;
  /**
   * Relative error of a cell's estimate from the route model (route choice, where in a zone a walk starts, lines
   * counting fewer crossings per trip than the model implies), added to its posterior variance as (routeCv · t̂)²:
   * the fit does not show it (the counts' misfit after the fit is 0.8–1.3, the error goes into the wrong cells,
   * not into the residuals). Measured against the training worlds' truth: the lines' and counters' counts differ
   * from what the true OD implies through the walk model by 20–25 % beyond Poisson (0–46 % for bicycles).
   * @default 0.3
   */
  routeCv?: number;
  /**
   * Relative spread of a pair's true trips about its prior (the kind-gravity shape, or the flat level λ without
   * kinds), for the intervals only: the error variance of the estimates is taken with the pairs' true trips spread
   * as t₀ + (pairCv · t₀)² about that prior (`glsErrorVariance`) instead of the fit's own flat (priorCv · λ)², which
   * stays in the directions the counts do not see (a gate → car park pair that no walker takes kept ±5 λ). 1 = an
   * exponential spread about the mean (the maximum-entropy law of a positive quantity of known mean), plus Poisson.
   * @default 1
   */
  pairCv?: number;
  /**
   * Re-fits with each count's variance taken from the previous fit's value of it instead of the observed count
   * (`fitWithFittedVariances`); 0 = the observed counts' variances. @default 3
   */
  reweightPasses?: number;
  /**
   * Zone → kind (gate, parking, station, square, core, district): with it, the pairs the counts cannot tell apart take
   * a gravity shape pooled by kind (`kindGravityPrior`) rather than the flat level; without it, the flat level.
   */
  zoneKinds?: ReadonlyMap<string, string>;
}

export interface CountedModeCell {
  origin: string;
  destination: string;
  /** 'estimated' (both ends identified by the counts) or 'residual' (an end is `(unobserved)`). */
  status: Extract<CellStatus, 'estimated' | 'residual'>;
  estimate: number;
  sd: number;
  lower95: number;
  upper95: number;
}

export interface CountedModeResult {
  cells: CountedModeCell[];
  zones: { zone: string; status: Exclude<ZoneStatus, 'observed'>; varianceReduction: number }[];
  /** Prior level λ (trips per pair); 0 when no count holds a pair (then every zone is unobserved). */
  level: number;
  misfit: number;
  /** Counts used (keys some pair's route crosses). */
  counts: number;
}

const Z95 = 1.959964;

/**
 * GLS fit whose count variances come from the fitted counts rather than the observed ones (Pearson's χ² rather than
 * Neyman's): a count's variance is max(1, f) + (relSe · f)² with f = the previous fit's value of that count, `passes`
 * re-fits after the first (which starts from the observed counts). With the observed count as its own variance, a
 * line that happened to count few gets a small variance and pulls every cell crossing it down, one that counted many
 * a large variance and pulls up weakly: the fitted totals come out low (measured on dreux-grid's bicycles: the
 * estimate −12.8 % of the true trips where the counts are −2.6 % of what the true OD implies; −5.4 % after 3 passes).
 */
export function fitWithFittedVariances(
  cells: readonly GlsCell[],
  counts: readonly GlsCount[],
  relSe: number,
  passes: number,
): GlsResult {
  return fitWithFittedCounts(cells, counts, relSe, passes).solution;
}

/** `fitWithFittedVariances` with the counts (their last variances) the solution was fitted with. */
function fitWithFittedCounts(
  cells: readonly GlsCell[],
  counts: readonly GlsCount[],
  relSe: number,
  passes: number,
): { solution: GlsResult; counts: readonly GlsCount[] } {
  return refitAtFittedVariances(
    counts,
    (c) => estimateOdGls(cells, c),
    (r) => r.fitted,
    (_, f) => Math.max(1, f) + (relSe * f) ** 2,
    passes,
  );
}

/**
 * Gravity-shaped prior of the ordered pairs (o ≠ d) from a first fit t̂: t₀(o, d) = T · P(kind o) · A(kind d) / Σ P A
 * over the pairs, T = Σ t̂, P(k) and A(k) the mean row and column sums of t̂ over the zones of kind k (a zone without
 * a kind is its own). The pairs the counts cannot tell apart (routes across the same lines) then share their trips
 * like the zones of their kinds do where the counts see them, instead of evenly: on dreux-grid's sparser copy the
 * north gate, which no camera sees, had as many walkers to the market as the north district (73 each of 0 and 163
 * true) because their walks cross the same lines; the three gates the cameras see have almost none. Null when the
 * first fit is all 0.
 */
export function kindGravityPrior(
  cells: readonly { origin: string; destination: string }[],
  estimate: readonly number[],
  zoneKinds: ReadonlyMap<string, string>,
): number[] | null {
  const kindOf = (z: string) => zoneKinds.get(z) ?? `zone:${z}`;
  const row = new Map<string, number>();
  const col = new Map<string, number>();
  let total = 0;
  cells.forEach((c, i) => {
    row.set(c.origin, (row.get(c.origin) ?? 0) + estimate[i]);
    col.set(c.destination, (col.get(c.destination) ?? 0) + estimate[i]);
    total += estimate[i];
  });
  const zones = [...new Set(cells.flatMap((c) => [c.origin, c.destination]))];
  const byKind = (sums: Map<string, number>) => {
    const acc = new Map<string, { sum: number; n: number }>();
    for (const z of zones) {
      const a = acc.get(kindOf(z)) ?? { sum: 0, n: 0 };
      a.sum += sums.get(z) ?? 0;
      a.n++;
      acc.set(kindOf(z), a);
    }
    return (z: string) => {
      const a = acc.get(kindOf(z));
      return a ? a.sum / a.n : 0;
    };
  };
  const p = byKind(row);
  const q = byKind(col);
  let den = 0;
  for (const c of cells) den += p(c.origin) * q(c.destination);
  if (!(total > 0) || !(den > 0)) return null;
  return cells.map((c) => (total * p(c.origin) * q(c.destination)) / den);
}

export function estimateCountedModeOd(input: CountedModeInput): CountedModeResult {
  const relSe = input.relSe ?? 0.15;
  const cv = input.priorCv ?? 5;
  const minReduction = input.minVarianceReduction ?? 0.1;
  const routeCv = input.routeCv ?? 0.3;
  const zones = [...new Set(input.zones)].filter((z) => z !== UNOBSERVED_ZONE);
  const cells: { origin: string; destination: string; status: CellStatus; glsCell: GlsCell }[] = [];
  for (const o of zones) {
    for (const d of zones) {
      if (o !== d) cells.push({ origin: o, destination: d, status: 'estimated', glsCell: { prior: 1, variance: 1 } });
    }
  }
  const counts = linkCounts(cells, input.shares, input.counts, relSe);
  // Prior level: the ratio Σ counts / Σ coefficients (what one trip per pair would make the lines count). Not the
  // weighted fit of the motor group (countedPriorLevel): lines that count almost nobody of the mode (a gate's arm
  // for pedestrians) have the smallest variances and would pull the level of every pair to nearly 0, with a prior
  // standard deviation too small for the other counts to move it.
  let sc = 0;
  let su = 0;
  for (const c of counts) {
    sc += c.value;
    for (const a of c.coefficients ?? []) su += a;
  }
  const level = su > 0 ? sc / su : 0;
  if (!(level > 0) || counts.length === 0) {
    return {
      cells: [],
      zones: zones.map((zone) => ({ zone, status: 'unobserved' as const, varianceReduction: 0 })),
      level: 0,
      misfit: 1,
      counts: counts.length,
    };
  }
  const v0 = (cv * level) ** 2;
  const passes = input.reweightPasses ?? 3;
  const fit = (priors: readonly number[]) => {
    const glsCells = priors.map((prior) => ({ prior, variance: v0 }));
    const f = fitWithFittedCounts(glsCells, counts, relSe, passes);
    return { r: f.solution, glsCells, counts: f.counts };
  };
  let priors = cells.map(() => level);
  let f = fit(priors);
  // Directions the counts do not see keep their prior: a gravity shape from this fit's margins pooled by zone kind
  // instead of the flat level, then the fit again (same variances: the counts still decide what they see).
  const shape = input.zoneKinds === undefined ? null : kindGravityPrior(cells, f.r.estimate, input.zoneKinds);
  if (shape !== null) {
    priors = shape;
    f = fit(priors);
  }
  const r = f.r;
  // Error variance of these estimates with the pairs' true trips spread about their prior as t₀ + (pairCv · t₀)²
  // rather than the fit's flat (priorCv · λ)² (wide so that the counts, not the prior, decide): in the directions
  // the counts do not see, a pair the kinds say is nearly empty no longer keeps ±priorCv · λ (docs/OD-AND-PRIVACY.md,
  // "Interval calibration from the fit"). The estimates and the zones' status stay those of the fit.
  const pairCv = input.pairCv ?? 1;
  const errVar = glsErrorVariance(
    f.glsCells,
    f.counts,
    r.zeroed,
    priors.map((t) => t + (pairCv * t) ** 2),
  );
  // The counts' variance scale from the fit (fitVarianceScale: narrower where the counts fit the prior well).
  const widen = Math.sqrt(fitVarianceScale(r.misfit, counts.length));
  const reduction = new Map<string, { sum: number; n: number }>();
  cells.forEach((c, i) => {
    const red = 1 - (r.sd[i] * r.sd[i]) / v0;
    for (const z of [c.origin, c.destination]) {
      const a = reduction.get(z) ?? { sum: 0, n: 0 };
      a.sum += red;
      a.n++;
      reduction.set(z, a);
    }
  });
  const zoneRows = zones.map((zone) => {
    const a = reduction.get(zone);
    const varianceReduction = a && a.n > 0 ? a.sum / a.n : 0;
    return {
      zone,
      status: varianceReduction >= minReduction ? ('estimated' as const) : ('unobserved' as const),
      varianceReduction,
    };
  });
  const hidden = new Set(zoneRows.filter((z) => z.status === 'unobserved').map((z) => z.zone));
  const out: CountedModeCell[] = [];
  const residual = new Map<string, { estimate: number; variance: number }>();
  cells.forEach((c, i) => {
    const sd = Math.max(
      Math.sqrt(errVar[i] * widen * widen + (routeCv * r.estimate[i]) ** 2),
      Math.sqrt(Math.max(0, r.estimate[i])),
    );
    const uo = hidden.has(c.origin);
    const ud = hidden.has(c.destination);
    if (!uo && !ud) {
      out.push({
        origin: c.origin,
        destination: c.destination,
        status: 'estimated',
        estimate: r.estimate[i],
        sd,
        lower95: Math.max(0, r.estimate[i] - Z95 * sd),
        upper95: r.estimate[i] + Z95 * sd,
      });
      return;
    }
    const key = `${uo ? UNOBSERVED_ZONE : c.origin}\u0000${ud ? UNOBSERVED_ZONE : c.destination}`;
    const a = residual.get(key) ?? { estimate: 0, variance: 0 };
    a.estimate += r.estimate[i];
    a.variance += sd * sd;
    residual.set(key, a);
  });
  for (const [key, a] of residual) out.push(residualCell(key, a.estimate, a.variance));
  return { cells: out, zones: zoneRows, level, misfit: r.misfit, counts: counts.length };
}
