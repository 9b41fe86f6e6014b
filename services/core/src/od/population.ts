/**
 * Population OD from the stored observed matrix, probe sightings and reference counts (docs/OD-AND-PRIVACY.md,
 * "Expansion" and "Coverage and matrix estimation"). Pure: the worker (services/workers od-matcher.ts `expandOd`)
 * reads the store and hands the rows over; everything here is arithmetic, unit-tested without a store.
 *
 * For each period of `periodMs` and OD mode group:
 * 1. Observed matrix: the period's cells summed over their windows. A cell published as suppressed (1 … k − 1
 *    distinct tokens, the exact number withheld) enters the seed at k / 2, the mean of that range under a uniform
 *    prior: leaving it at 0 would hand its trips to the published cells of its row and column. Such a seed only
 *    shapes the other cells: a cell with no published trip behind it is never output as an OD pair (`withheld`
 *    counts them; their estimated trips together form one `WITHHELD_ZONE` cell per period and group, so the counted
 *    totals stay whole), and no pair's value rests on a suppressed cell alone; a published cell with a seeded share comes
 *    out with `seeded: true` and an se widened by the withheld count's spread.
 * 2. Reference margins (`refs`): Σ factor × (counts of the sensor in the period, its direction and modes). A
 *    sensor's null bins (gaps) are imputed by the mean of its non-null bins in the period; a sensor with a
 *    stuck-at-zero, flat-line or impossible-jump finding overlapping the period is left out.
 * 3. 'gls' (default): zone coverage, probe prior expanded by detection rates, GLS fit to the counted totals with
 *    intervals, unobserved zones kept apart (estimateZoneOd). 'ipf': the biproportional expansion (observed
 *    structure scaled to the margins, ratio estimator for zones without a reference).
 */
import type { OdCellLike } from '../privacy/kanon.ts';
import { expandOdCells } from './expand.ts';
import { estimateCountedModeOd } from './modes.ts';
import { expandByProbeRate } from './probe-rate.ts';
import type { DerivedReference } from './reference.ts';
import { estimateZoneOd, UNOBSERVED_ZONE, type ZoneCoverage, type ZonePriorCell } from './zones.ts';

/** Counter classes of motor vehicles (loops' modes and Telraam's `car` / `heavy`). */
export const MOTOR_COUNT_MODES = ['car', 'van', 'truck', 'bus', 'motorcycle', 'heavy'];

/** A count bin of a reference counter (the store's `counts_bins`); count null = gap. */
export interface PopulationCountBin {
  sensorId: string;
  start: number;
  end: number;
  direction: string;
  mode: string;
  count: number | null;
}

/** A health finding of a counter ('gap' findings are ignored: gaps are imputed). */
export interface PopulationSensorFlag {
  sensorId: string;
  kind: string;
  direction: string;
  mode: string;
  from: number;
  to: number;
}

/** Distinct devices sighted at a sighting site in a window (k-anonymous aggregate, never a token). */
export interface PopulationSiteDevices {
  zone: string;
  kind: string;
  windowStart: number;
  devices: number;
  suppressed: boolean;
}

/** The deployment's OD zones, the probe kinds sited in each, and each counter's population group. */
export interface PopulationRegistry {
  zones: string[];
  kinds: Map<string, Set<string>>;
  /** Counter id → 'motor' (motor modes only), 'all' (every mode), 'mixed' (some motor modes), 'none'. */
  counterGroup: Map<string, 'motor' | 'all' | 'mixed' | 'none'>;
  /** Zones every trip from or to crosses one access (kind gate, parking, station). */
  singleAccess?: ReadonlySet<string>;
  /** Zone → its kind in the sites file (gate, parking, station, square, core, district): see `kindGravityPrior`. */
  zoneKinds?: ReadonlyMap<string, string>;
}

/** A reference counter of a zone margin (`od.reference`, or derived from the sites file). */
export type PopulationReference = Pick<DerivedReference, 'zone' | 'margin' | 'sensorId' | 'odMode' | 'factor'> & {
  direction?: string;
  modes?: readonly string[];
};

export interface PopulationInput {
  /** Observed cells (hourly or 15-min, published and suppressed markers), windows in [from, to). */
  cells: readonly OdCellLike[];
  /** Start of the first period (hour-aligned for hourly cells) and end of the range (ms). */
  from: number;
  to: number;
  /** @default 3 600 000 */
  periodMs?: number;
  /** k of the k-anonymity rule the cells were published under. */
  k: number;
  refs: readonly PopulationReference[];
  zoneCounters: readonly { zone: string; sensorId: string }[];
  devices: readonly PopulationSiteDevices[];
  bins: readonly PopulationCountBin[];
  flags: readonly PopulationSensorFlag[];
  registry: PopulationRegistry;
  /**
   * The interval the input actually covers, when the stream starts or stops inside a period: reference counts
   * are totalled over its intersection with the period. Default: unbounded (missing bins are gaps, imputed).
   */
  extent?: { from: number; to: number };
  /** @default 'gls' */
  method?: 'gls' | 'ipf';
  /**
   * Route shares of the zone pairs over counted lines (`zoneRouteShares` on the deployment's road network): the
   * `motor` group's GLS then also fits the lines' motor counts (both directions), so zones without probes are
   * estimated where the counts see them (`estimateZoneOd` links). Keys `lineId|in` / `lineId|out`; `lines` are
   * the sensor ids whose bins are line counts; `endShares` the part of each share from lines inside the pair's own
   * end zones (`RouteShares.endShares`: uncertain, added to the lines' variances).
   */
  routes?: {
    shares: ReadonlyMap<string, ReadonlyMap<string, number>>;
    lines: readonly string[];
    endShares?: ReadonlyMap<string, ReadonlyMap<string, number>>;
  };
  /**
   * Route shares of the zone pairs for the modes no probe observes (pedestrians: 'walk', bicycles: 'cycle') over
   * every line that counts them (camera lines, pedestrian and bicycle counters; `lines` their sensor ids). With
   * them, a period whose `all` group the Wi-Fi/BLE probes do not observe in every zone (randomised addresses) gets
   * its all-modes OD composed by mode instead (see `composeAllModes`).
   */
  modeRoutes?: readonly {
    mode: string;
    shares: ReadonlyMap<string, ReadonlyMap<string, number>>;
    lines: readonly string[];
  }[];
}

/** Reference total of one zone margin over one period, and how it was obtained. */
export interface ZoneMargin {
  /** Start of the expansion period (ms). */
  periodStart: number;
  zone: string;
  margin: 'origin' | 'destination';
  mode: string;
  total: number;
  /**
   * 'counters' (reference counts), 'ratio' (observed × the ratio estimator), 'observed' (no reference at all),
   * 'probe-rate' / 'probe-ratio' (the group has no reference counter: cells expanded by 1 / (ρ_o ρ_d) with the
   * zone's own probe rate or the pooled one; total = the zone's expanded row or column sum).
   */
  source: 'counters' | 'ratio' | 'observed' | 'probe-rate' | 'probe-ratio' | 'estimated';
  /** Probe-rate sources: the zone's rate ρ (distinct devices / counted). */
  rate?: number;
}

export interface ExpandedOdCell extends OdCellLike {
  /** Start of the expansion period (ms). */
  periodStart: number;
  /** Part of the cell's seed is a suppressed (below-k) marker entered at k / 2 (see expandOd). */
  seeded?: boolean;
  /**
   * GLS estimation (the default): 'observed' = both zones seen by the group's probes; 'estimated' = one zone has
   * no probe and the cell comes from its counted totals (weak prior, wide interval); 'residual' = trips of a
   * counted zone to or from zones nothing observes (origin or destination `(unobserved)`); 'unexpanded' = matched
   * trips published as they are, the group having neither a probe rate nor a counted total (a lower bound, no
   * interval: `upper95` 0); 'withheld' = the sum of the cells observed only as suppressed markers (origin and
   * destination `WITHHELD_ZONE`); 'absorbed' = matched trips with an `(unobserved)` end whose population the
   * estimated cells of the zones beyond hold (line counts in use, no zone left unobserved): expanded 0;
   * 'composed' = an all-modes cell composed by mode (composeAllModes: motor + pedestrian + bicycle estimates).
   */
  status?: 'observed' | 'estimated' | 'residual' | 'unexpanded' | 'withheld' | 'absorbed' | 'composed';
  /** 95 % interval of `expanded` (GLS posterior, lower bound clipped at 0). */
  lower95?: number;
  upper95?: number;
}

/** Per period, mode group and zone: what observes it and what share of its counted traffic probes matched. */
export interface ZoneCoverageRow extends ZoneCoverage {
  periodStart: number;
  mode: string;
  /** Probe kinds of the sites file at the zone (anpr, wifi, ble) and counters located in it. */
  probeKinds: string[];
  counters: string[];
}

export interface ExpandOdResult {
  cells: ExpandedOdCell[];
  margins: ZoneMargin[];
  /** Zone coverage per period and group (GLS estimation only). */
  coverage: ZoneCoverageRow[];
  /** Reference counters left out of a period because of health findings (sensor ids). */
  excludedSensors: { periodStart: number; sensorId: string; kind: string }[];
  /**
   * Per period and group: cells whose only observation is a suppressed (below-k) marker. Their seed shaped the
   * other cells, but they are not output (a reader would take them as results): how many, and the population
   * flow the estimation gave them together (a share of the counted totals no published cell carries).
   */
  withheld: { periodStart: number; mode: string; cells: number; expanded: number }[];
}

/**
 * Line-like counts of the access of single-access zones (gate, parking, station) whose plates sight devices but
 * that no counter gives a total (`zones`): every trip from or to such a zone passes its access, so the crossings
 * there are its row plus its column (a round trip twice) ≈ D_z / ρ̄, D_z the distinct devices sighted at its sites
 * and ρ̄ the pooled probe rate of the counted zones (devices / counted, the same misread bias on both sides). Key
 * `zone|probe-crossings`, coefficient 1 on each cell of the zone's row and column, 2 on (z, z); fitted like a
 * camera line (variance count + (10 %)²). Without it the GLS had only the plate-matched cells and the flat level
 * λ for such a zone's trips to unprobed zones: on an eval-only copy of chartres-centre with plates at the gates
 * only and the south gate's camera and loop removed, the south gate's estimated trips were 233 from / 293 to of
 * 570 / 476 true. Returns copies (the shares given are not changed).
 */
export function probeCrossingCounts(
  registryZones: readonly string[],
  zones: readonly string[],
  devices: ReadonlyMap<string, number>,
  pooledRate: number,
  shares: ReadonlyMap<string, ReadonlyMap<string, number>>,
): { shares: Map<string, Map<string, number>>; counts: { key: string; value: number }[] } {
  const out = new Map<string, Map<string, number>>([...shares].map(([k, m]) => [k, new Map(m)]));
  const counts: { key: string; value: number }[] = [];
  if (!(pooledRate > 0)) return { shares: out, counts };
  for (const z of zones) {
    const d = devices.get(z) ?? 0;
    if (!(d > 0)) continue;
    const key = `${z}|probe-crossings`;
    for (const o of registryZones) {
      for (const pair of [`${z}\u0000${o}`, `${o}\u0000${z}`]) {
        const m = out.get(pair) ?? new Map<string, number>();
        m.set(key, o === z ? 2 : 1);
        out.set(pair, m);
      }
    }
    counts.push({ key, value: d / pooledRate });
  }
  return { shares: out, counts };
}

/**
 * Pseudo-zone of the one cell per period and group that carries the estimated trips of every withheld cell
 * together (origin = destination = this, status 'withheld', observed 0): the counted totals stay whole without any
 * OD pair's value resting on a suppressed marker.
 */
export const WITHHELD_ZONE = '(below k)';

/** Population OD of every period and mode group of `input` (see the module comment). */
export function estimatePopulationOd(input: PopulationInput): ExpandOdResult {
  const { cells, from, to, refs, zoneCounters, devices, bins, flags, registry } = input;
  const periodMs = input.periodMs ?? 3_600_000;
  const kAnon = input.k;
  const suppressedSeed = kAnon / 2;
  const seedRelSd = kAnon > 2 ? Math.sqrt(((kAnon - 1) ** 2 - 1) / 12) / suppressedSeed : 0;
  const extFrom = input.extent?.from ?? Number.NEGATIVE_INFINITY;
  const extTo = input.extent?.to ?? Number.POSITIVE_INFINITY;
  const method = input.method ?? 'gls';
  const periodOf = (t: number) => from + Math.floor((t - from) / periodMs) * periodMs;
  const out: ExpandOdResult = { cells: [], margins: [], coverage: [], excludedSensors: [], withheld: [] };
  const withheldVar = new Map<string, number>();
  const withhold = (periodStart: number, mode: string, expanded: number, sd: number) => {
    let w = out.withheld.find((x) => x.periodStart === periodStart && x.mode === mode);
    if (w === undefined) {
      w = { periodStart, mode, cells: 0, expanded: 0 };
      out.withheld.push(w);
    }
    w.cells++;
    w.expanded += expanded;
    const k = `${periodStart}|${mode}`;
    // The withheld cells' errors add up (taken as independent).
    withheldVar.set(k, (withheldVar.get(k) ?? 0) + sd * sd);
  };

  // Per sensor: the finest interval it has, and its bins.
  const finest = new Map<string, number>();
  for (const b of bins) {
    const len = b.end - b.start;
    if (len <= periodMs && len < (finest.get(b.sensorId) ?? Number.POSITIVE_INFINITY)) finest.set(b.sensorId, len);
  }
  const refTotal = (
    periodStart: number,
    r: { sensorId: string; direction?: string; modes?: readonly string[]; factor: number },
  ): { total: number; excluded?: string } | null => {
    const bad = flags.find(
      (f) =>
        f.sensorId === r.sensorId &&
        f.kind !== 'gap' &&
        (r.direction === undefined || f.direction === '' || f.direction === r.direction) &&
        (f.mode === '' || r.modes === undefined || r.modes.includes(f.mode)) &&
        f.to > periodStart &&
        f.from < periodStart + periodMs,
    );
    if (bad) return { total: 0, excluded: bad.kind };
    const len = finest.get(r.sensorId);
    if (len === undefined) return null;
    const series = new Map<string, PopulationCountBin[]>();
    for (const b of bins) {
      if (b.sensorId !== r.sensorId || b.end - b.start !== len) continue;
      if (b.start < periodStart || b.end > periodStart + periodMs) continue;
      if (b.start < extFrom || b.end > extTo) continue;
      if (r.direction !== undefined && b.direction !== r.direction) continue;
      if (r.modes !== undefined && !r.modes.includes(b.mode)) continue;
      const k = `${b.direction}|${b.mode}`;
      const list = series.get(k) ?? [];
      list.push(b);
      series.set(k, list);
    }
    if (series.size === 0) return null;
    // Bin slots of the period inside the input's extent (a stream starting or stopping mid-period).
    const span = Math.min(periodStart + periodMs, extTo) - Math.max(periodStart, extFrom);
    const nBins = Math.max(0, span) / len;
    let total = 0;
    for (const list of series.values()) {
      const covered = list.filter((b) => b.count !== null);
      if (covered.length === 0) return null;
      const sum = covered.reduce((a, b) => a + (b.count as number), 0);
      total += (sum * nBins) / covered.length;
    }
    return { total: total * r.factor };
  };

  // Counted totals of the group's reference counters per zone side, without the impossible ones (below the probe
  // trips observed at the zone: wrong direction, one carriageway, a failing sensor).
  const countedTotals = (
    periodStart: number,
    mode: string,
    seen: Record<'origin' | 'destination', Map<string, number>>,
  ): Record<'origin' | 'destination', Map<string, number>> => {
    const res = { origin: new Map<string, number>(), destination: new Map<string, number>() };
    for (const side of ['origin', 'destination'] as const) {
      const ref = res[side];
      for (const r of refs) {
        if (r.margin !== side || r.odMode !== mode) continue;
        const t = refTotal(periodStart, r);
        if (t === null) continue;
        if (t.excluded !== undefined) {
          out.excludedSensors.push({ periodStart, sensorId: r.sensorId, kind: t.excluded });
          continue;
        }
        ref.set(r.zone, (ref.get(r.zone) ?? 0) + t.total);
      }
      for (const [z, v] of ref) {
        if (v < (seen[side].get(z) ?? 0)) {
          ref.delete(z);
          for (const r of refs) {
            if (r.zone === z && r.margin === side && r.odMode === mode) {
              out.excludedSensors.push({ periodStart, sensorId: r.sensorId, kind: 'below-observed' });
            }
          }
        }
      }
    }
    return res;
  };
  // GLS estimation of one period × group (docs/OD-AND-PRIVACY.md, "Coverage and matrix estimation").
  const glsGroup = (
    periodStart: number,
    mode: string,
    matrix: OdCellLike[],
    published: Map<string, number>,
    seen: Record<'origin' | 'destination', Map<string, number>>,
  ): void => {
    const kinds = mode === 'motor' ? ['anpr'] : ['wifi', 'ble'];
    const countModes = mode === 'motor' ? MOTOR_COUNT_MODES : undefined;
    // Probe rates: distinct devices at the zone's sites over what its best counter counts (both directions).
    const dev = new Map<string, number>();
    for (const d of devices) {
      if (d.suppressed || periodOf(d.windowStart) !== periodStart || !kinds.includes(d.kind)) continue;
      dev.set(d.zone, (dev.get(d.zone) ?? 0) + d.devices);
    }
    const counted = new Map<string, number>();
    for (const zc of zoneCounters) {
      // Only counters of the group's population: motor classes for `motor`, all-mode counters for `all` (a loop
      // or a pedestrian counter sees a different population from the phones).
      const kind = registry.counterGroup.get(zc.sensorId);
      if (mode === 'motor' ? kind === 'none' : kind !== 'all') continue;
      const t = refTotal(periodStart, {
        sensorId: zc.sensorId,
        factor: 1,
        ...(countModes ? { modes: countModes } : {}),
      });
      if (t === null || t.excluded !== undefined) continue;
      // One counter per zone (the largest count): a loop and a Telraam on the same road count the same vehicles.
      counted.set(zc.zone, Math.max(counted.get(zc.zone) ?? 0, t.total));
    }
    const totals = countedTotals(periodStart, mode, seen);
    const byKey = new Map(matrix.map((c) => [`${c.origin}\u0000${c.destination}`, c]));
    const seedVar = (c: OdCellLike, expanded: number) => {
      const pub = published.get(`${c.origin}\u0000${c.destination}`) ?? 0;
      const seeded = c.trips - pub;
      return seeded > 0 ? (expanded * (seeded / c.trips) * seedRelSd) ** 2 : 0;
    };
    const observedZones = new Set<string>();
    if (devices.length > 0) {
      // Devices sighted at a zone make it observed only when its probes also matched published trips to or from it:
      // sightings that never form a trip above k (randomised addresses) say nothing about its cells, and taking
      // them for observed would publish its pairs as 0.
      for (const [z, v] of dev) {
        if (v > 0 && (seen.origin.get(z) ?? 0) + (seen.destination.get(z) ?? 0) > 0) observedZones.add(z);
      }
    } else {
      for (const c of matrix) observedZones.add(c.origin).add(c.destination);
    }
    // Prior of the observed cells. When every zone is observed, the counted totals are made of observed cells
    // only and the ratio estimator (Σ counted / Σ observed over the counted zones) is unbiased; when some zone is
    // not, the counted totals also hold its trips and would inflate the ratio: the probe rates (devices sighted
    // at a zone over what its counter counts, whatever their destination) expand each cell instead.
    const allObserved = registry.zones.length > 0 && registry.zones.every((z) => observedZones.has(z));
    let prior: ZonePriorCell[];
    let unexpanded = false;
    const rated = expandByProbeRate(matrix, dev, counted);
    if (rated.pooledRate !== undefined && !allObserved) {
      prior = rated.cells.map((c) => ({
        origin: c.origin,
        destination: c.destination,
        prior: c.expanded ?? 0,
        variance: (c.expandedStdErr ?? 0) ** 2 + seedVar(c, c.expanded ?? 0),
        observed: published.get(`${c.origin}\u0000${c.destination}`) ?? 0,
      }));
    } else {
      // No probe rate (no counter in an observed zone): the ratio estimator over the counted origin totals.
      let refSum = 0;
      let obsSum = 0;
      for (const [z, v] of totals.origin) {
        const o = seen.origin.get(z) ?? 0;
        if (o > 0) {
          refSum += v;
          obsSum += o;
        }
      }
      const ratio = obsSum > 0 ? refSum / obsSum : 1;
      // Neither a probe rate nor a counted total: nothing scales the matched trips to the population. They are
      // published as they are, status 'unexpanded' (a lower bound, no interval).
      unexpanded = obsSum === 0;
      prior = matrix.map((c) => ({
        origin: c.origin,
        destination: c.destination,
        prior: c.trips * ratio,
        variance: c.trips * ratio * ratio + seedVar(c, c.trips * ratio),
        observed: published.get(`${c.origin}\u0000${c.destination}`) ?? 0,
      }));
    }
    const list: { zone: string; side: 'origin' | 'destination'; total: number }[] = [];
    for (const side of ['origin', 'destination'] as const) {
      for (const [zone, total] of totals[side]) list.push({ zone, side, total });
    }
    // Counted lines (motor classes, each direction) through the route shares of the zone pairs.
    const linkCounts: { key: string; value: number }[] = [];
    // Only where the group's probes miss a zone: with every zone observed, the probe prior and the zone totals
    // determine the cells, and the route model's error (route choice, line placement) would only add bias
    // (chartres-centre, measured: motor GEH < 5 100 % → 97.5 %, interval coverage 96.2 % → 88.6 % with the lines).
    if (mode === 'motor' && input.routes !== undefined && !allObserved) {
      for (const id of input.routes.lines) {
        for (const direction of ['in', 'out']) {
          const t = refTotal(periodStart, { sensorId: id, direction, modes: MOTOR_COUNT_MODES, factor: 1 });
          if (t !== null && t.excluded === undefined) linkCounts.push({ key: `${id}|${direction}`, value: t.total });
        }
      }
    }
    // A single-access zone the plates see but no counter counts: its access crossings from its devices.
    let linkShares = input.routes?.shares;
    if (linkShares !== undefined && linkCounts.length > 0 && rated.pooledRate !== undefined) {
      const uncounted = [...observedZones].filter(
        (z) => registry.singleAccess?.has(z) && !totals.origin.has(z) && !totals.destination.has(z),
      );
      const pc = probeCrossingCounts(registry.zones, uncounted, dev, rated.pooledRate, linkShares);
      linkShares = pc.shares;
      linkCounts.push(...pc.counts);
    }
    const res = estimateZoneOd({
      zones: registry.zones,
      observed: observedZones,
      ...(linkCounts.length > 0 && linkShares
        ? {
            links: {
              shares: linkShares,
              counts: linkCounts,
              ...(input.routes?.endShares ? { endShares: input.routes.endShares } : {}),
            },
          }
        : {}),
      // Matched trips with an unobserved end: with every zone observed they are trips whose real end the probes
      // missed, a share the ratio estimator already restores in the complete cells (kept, they would count twice);
      // otherwise mostly trips to or from the zones nothing observes: the residual cells' prior.
      cells: prior.filter(
        (c) =>
          (observedZones.has(c.origin) || (c.origin === UNOBSERVED_ZONE && !allObserved)) &&
          (observedZones.has(c.destination) || (c.destination === UNOBSERVED_ZONE && !allObserved)),
      ),
      totals: list,
    });
    for (const z of res.zones) {
      out.coverage.push({
        ...z,
        periodStart,
        mode,
        probeKinds: [...(registry.kinds.get(z.zone) ?? [])].filter((k) => kinds.includes(k)).sort(),
        counters: zoneCounters.filter((c) => c.zone === z.zone).map((c) => c.sensorId),
      });
    }
    const sums = { origin: new Map<string, number>(), destination: new Map<string, number>() };
    for (const c of res.cells) {
      const src = byKey.get(`${c.origin}\u0000${c.destination}`);
      const pub = published.get(`${c.origin}\u0000${c.destination}`) ?? 0;
      if (c.estimate <= 0 && pub === 0 && (c.status === 'observed' || c.status === 'absorbed')) continue;
      sums.origin.set(c.origin, (sums.origin.get(c.origin) ?? 0) + c.estimate);
      sums.destination.set(c.destination, (sums.destination.get(c.destination) ?? 0) + c.estimate);
      // Observed only as a suppressed marker: its seed shaped the fit, the cell itself is not a result.
      if (pub === 0 && src !== undefined && src.trips > 0) {
        withhold(periodStart, mode, c.estimate, c.sd);
        continue;
      }
      const cell: ExpandedOdCell = {
        origin: c.origin,
        destination: c.destination,
        mode,
        windowStart: periodStart,
        trips: pub,
        expanded: c.estimate,
        expandedStdErr: c.sd,
        lower95: c.lower95,
        upper95: c.upper95,
        status: c.status,
        periodStart,
      };
      if (unexpanded && c.status === 'observed') {
        cell.status = 'unexpanded';
        cell.lower95 = c.estimate;
        cell.upper95 = 0;
      }
      if (src !== undefined && src.trips > pub) cell.seeded = true;
      if (pub > 0 && src?.travelTimeP50S !== undefined) {
        cell.travelTimeP50S = src.travelTimeP50S;
        cell.travelTimeP85S = src.travelTimeP85S;
      }
      out.cells.push(cell);
    }
    for (const side of ['origin', 'destination'] as const) {
      for (const [zone, total] of sums[side]) {
        out.margins.push({
          periodStart,
          zone,
          margin: side,
          mode,
          total,
          source: totals[side].has(zone) ? 'counters' : 'estimated',
        });
      }
    }
  };

  const groups = new Map<string, OdCellLike[]>();
  for (const c of cells) {
    const p = periodOf(c.windowStart);
    const k = `${p}|${c.mode}`;
    const list = groups.get(k) ?? [];
    list.push(c);
    groups.set(k, list);
  }
  if (method === 'gls') {
    // A group whose probes saw nothing in a period (every address randomised, sniffers down) still has counted
    // zones: they are estimated from the counts, and the coverage says why.
    const periods = new Set<number>([...groups.keys()].map((k) => Number(k.slice(0, k.indexOf('|')))));
    for (const b of bins) if (b.start >= from && b.start < to) periods.add(periodOf(b.start));
    for (const p of periods) {
      // Every group a sensor of the sites file could observe: its zones get a coverage row even when nothing
      // was matched (all its zones then 'unobserved' or 'estimated').
      const probeGroups = [...registry.kinds.values()].flatMap((k) => [
        ...(k.has('anpr') ? ['motor'] : []),
        ...(k.has('wifi') || k.has('ble') ? ['all'] : []),
      ]);
      for (const mode of new Set([...refs.map((r) => r.odMode), ...probeGroups]))
        if (!groups.has(`${p}|${mode}`)) groups.set(`${p}|${mode}`, []);
    }
  }
  for (const [k, list] of groups) {
    const periodStart = Number(k.slice(0, k.indexOf('|')));
    const mode = k.slice(k.indexOf('|') + 1);
    // 1. observed matrix for the period (suppressed cells seeded at k / 2, see above)
    const byOd = new Map<string, OdCellLike>();
    const published = new Map<string, number>();
    for (const c of list) {
      const key = `${c.origin}\u0000${c.destination}`;
      const prev = byOd.get(key);
      published.set(key, (published.get(key) ?? 0) + (c.suppressed ? 0 : c.trips));
      const trips = c.suppressed ? suppressedSeed : c.trips;
      if (prev === undefined) {
        byOd.set(key, {
          origin: c.origin,
          destination: c.destination,
          mode,
          windowStart: periodStart,
          trips,
          ...(trips > 0 && !c.suppressed ? { travelTimeP50S: c.travelTimeP50S, travelTimeP85S: c.travelTimeP85S } : {}),
        });
      } else {
        // Trips-weighted mean of the windows' quantiles (an approximation of the period's quantile).
        if (trips > 0 && !c.suppressed && c.travelTimeP50S !== undefined) {
          const w = prev.trips + trips;
          prev.travelTimeP50S = ((prev.travelTimeP50S ?? 0) * prev.trips + c.travelTimeP50S * trips) / w;
          prev.travelTimeP85S = ((prev.travelTimeP85S ?? 0) * prev.trips + (c.travelTimeP85S ?? 0) * trips) / w;
        }
        prev.trips += trips;
      }
    }
    const matrix = [...byOd.values()].filter((c) => c.trips > 0);
    // Output cell: the published trips back in `trips`; a seeded share widens the se by the withheld count's
    // spread (uniform on 1 … k − 1: relative sd √((k−1)² − 1) / √12 / (k / 2) of the seed).
    const emit = (c: OdCellLike): void => {
      const pub = published.get(`${c.origin}\u0000${c.destination}`) ?? 0;
      if (pub === 0) withhold(periodStart, mode, c.expanded ?? 0, unseed(c).expandedStdErr ?? 0);
      else out.cells.push(unseed(c));
    };
    const unseed = (c: OdCellLike): ExpandedOdCell => {
      const pub = published.get(`${c.origin}\u0000${c.destination}`) ?? 0;
      const seeded = c.trips - pub;
      if (seeded <= 0) return { ...c, periodStart };
      const e = c.expanded ?? 0;
      const seedShare = e * (seeded / c.trips);
      const se = Math.sqrt((c.expandedStdErr ?? 0) ** 2 + (seedShare * seedRelSd) ** 2);
      return { ...c, trips: pub, expandedStdErr: se, seeded: true, periodStart };
    };
    // Margins of the seed (the ratio estimator's denominators), and of the published trips alone (what probes
    // certainly saw: the floor a reference count cannot be below).
    const observed = { origin: new Map<string, number>(), destination: new Map<string, number>() };
    const seen = { origin: new Map<string, number>(), destination: new Map<string, number>() };
    for (const c of matrix) {
      const pub = published.get(`${c.origin}\u0000${c.destination}`) ?? 0;
      for (const side of ['origin', 'destination'] as const) {
        observed[side].set(c[side], (observed[side].get(c[side]) ?? 0) + c.trips);
        seen[side].set(c[side], (seen[side].get(c[side]) ?? 0) + pub);
      }
    }
    if (method === 'gls') {
      glsGroup(periodStart, mode, matrix, published, seen);
      continue;
    }
    // Probe-rate expansion: a group without any reference counter (docs/OD-AND-PRIVACY.md: the Wi-Fi/BLE group without an all-mode
    // counter at a single-access zone) is expanded by 1 / (ρ_o ρ_d), ρ = distinct devices / counted at the zone.
    if (!refs.some((r) => r.odMode === mode) && devices.length > 0) {
      const dev = new Map<string, number>();
      for (const d of devices) {
        if (d.suppressed || periodOf(d.windowStart) !== periodStart) continue;
        if ((d.kind === 'anpr' ? 'motor' : 'all') !== mode) continue;
        dev.set(d.zone, (dev.get(d.zone) ?? 0) + d.devices);
      }
      const counted = new Map<string, number>();
      for (const zc of zoneCounters) {
        const t = refTotal(periodStart, { sensorId: zc.sensorId, factor: 1 });
        if (t === null) continue;
        if (t.excluded !== undefined) {
          out.excludedSensors.push({ periodStart, sensorId: zc.sensorId, kind: t.excluded });
          continue;
        }
        counted.set(zc.zone, (counted.get(zc.zone) ?? 0) + t.total);
      }
      if ([...counted.values()].some((v) => v > 0)) {
        const res = expandByProbeRate(matrix, dev, counted);
        const rate = new Map(res.zones.map((z) => [z.zone, z]));
        for (const side of ['origin', 'destination'] as const) {
          const sums = new Map<string, number>();
          for (const c of res.cells) sums.set(c[side], (sums.get(c[side]) ?? 0) + (c.expanded ?? 0));
          for (const [z, total] of sums) {
            const r = rate.get(z);
            out.margins.push({
              periodStart,
              zone: z,
              margin: side,
              mode,
              total,
              source: r?.source ?? 'observed',
              ...(r ? { rate: r.rate } : {}),
            });
          }
        }
        for (const c of res.cells) emit(c);
        continue;
      }
    }
    // 2–3. margins
    const totals = { origin: {} as Record<string, number>, destination: {} as Record<string, number> };
    const counted = countedTotals(periodStart, mode, seen);
    for (const side of ['origin', 'destination'] as const) {
      const ref = counted[side];
      let refSum = 0;
      let obsSum = 0;
      for (const [z, v] of ref) {
        const o = observed[side].get(z) ?? 0;
        if (o > 0) {
          refSum += v;
          obsSum += o;
        }
      }
      const ratio = obsSum > 0 ? refSum / obsSum : 1;
      for (const [z, o] of observed[side]) {
        const r = ref.get(z);
        const usable = r !== undefined && r > 0;
        totals[side][z] = usable ? r : o * ratio;
        out.margins.push({
          periodStart,
          zone: z,
          margin: side,
          mode,
          total: totals[side][z],
          source: usable ? 'counters' : obsSum > 0 ? 'ratio' : 'observed',
        });
      }
    }
    // 4. IPF
    const res = expandOdCells(matrix, { originTotals: totals.origin, destinationTotals: totals.destination });
    for (const c of res.cells) emit(c);
  }
  if (method === 'gls' && input.modeRoutes !== undefined && input.modeRoutes.length > 0) {
    const periods = new Set(out.coverage.filter((z) => z.mode === 'motor').map((z) => z.periodStart));
    for (const p of periods) {
      if (!composeAllModes(out, input, p, refTotal)) continue;
      // The motor group's withheld share (cells observed only below k) is the all group's.
      withheldVar.set(`${p}|${ALL}`, withheldVar.get(`${p}|motor`) ?? 0);
      const w = out.withheld.find((x) => x.periodStart === p && x.mode === 'motor');
      if (w !== undefined) out.withheld.push({ ...w, mode: ALL });
    }
  }
  for (const w of out.withheld) {
    if (!(w.expanded > 0)) continue;
    const sd = Math.sqrt(withheldVar.get(`${w.periodStart}|${w.mode}`) ?? 0);
    out.cells.push({
      origin: WITHHELD_ZONE,
      destination: WITHHELD_ZONE,
      mode: w.mode,
      windowStart: w.periodStart,
      periodStart: w.periodStart,
      trips: 0,
      expanded: w.expanded,
      expandedStdErr: sd,
      lower95: Math.max(0, w.expanded - 1.959964 * sd),
      upper95: w.expanded + 1.959964 * sd,
      status: 'withheld',
    });
  }
  return out;
}

/** The OD group of every mode (Wi-Fi/BLE probes, or composed by mode: see composeAllModes). */
const ALL = 'all';

/**
 * Pseudo-zone of the all-modes cell that holds the round trips (o = d) when the group is composed by mode: only the
 * motor group estimates round trips, so no zone's own (z, z) all-modes cell is published (status 'residual').
 */
export const ROUND_TRIPS_ZONE = '(round trips)';

/**
 * All-modes OD of one period composed by mode (docs/OD-AND-PRIVACY.md, "All modes by mode"): the `motor` group's
 * estimate (plates and counts) + one estimate per mode no probe tells apart (`estimateCountedModeOd`: pedestrians and
 * bicycles from the lines and counters that count them; phones randomise their addresses, and a Wi-Fi/BLE device
 * says nothing of its mode). A zone any part leaves unobserved is unobserved for the sum: its cells are refused
 * (summed into the residual cells with `(unobserved)` ends, never published as 0 nor spread over other cells); round
 * trips (o = d: only the motor group estimates them) are one `ROUND_TRIPS_ZONE` cell. Variances add (the parts'
 * errors taken as independent); the cells are count-estimated (observed 0: no token of the group behind them).
 * Replaces the `all` group's cells, withheld share and coverage of the period (the caller gives it the motor group's
 * withheld share). False, nothing changed: a mode has no count in the period.
 */
function composeAllModes(
  out: ExpandOdResult,
  input: PopulationInput,
  periodStart: number,
  refTotal: (
    p: number,
    r: { sensorId: string; direction?: string; modes?: readonly string[]; factor: number },
  ) => { total: number; excluded?: string } | null,
): boolean {
  const own = out.coverage.filter((z) => z.periodStart === periodStart && z.mode === ALL);
  const motorCov = out.coverage.filter((z) => z.periodStart === periodStart && z.mode === 'motor');
  const zones = input.registry.zones;
  const hidden = new Set(motorCov.filter((z) => z.status === 'unobserved').map((z) => z.zone));
  const why = new Map<string, string[]>([...hidden].map((z) => [z, ['motor-unobserved']]));
  const parts: { origin: string; destination: string; estimate: number; variance: number }[] = [];
  for (const c of out.cells) {
    if (c.periodStart !== periodStart || c.mode !== 'motor' || c.status === 'absorbed') continue;
    const sd = c.expandedStdErr ?? 0;
    parts.push({ origin: c.origin, destination: c.destination, estimate: c.expanded ?? c.trips, variance: sd * sd });
  }
  for (const m of input.modeRoutes ?? []) {
    const counts: { key: string; value: number }[] = [];
    for (const id of m.lines) {
      for (const direction of ['in', 'out']) {
        const t = refTotal(periodStart, { sensorId: id, direction, modes: [m.mode], factor: 1 });
        if (t !== null && t.excluded === undefined) counts.push({ key: `${id}|${direction}`, value: t.total });
        // A line that counted other road users in the period and none of this mode counted 0 of it (a bin is
        // written only for what was counted); a counter of the mode without any bin has a gap, no count.
        else if (t === null && refTotal(periodStart, { sensorId: id, factor: 1 }) !== null)
          counts.push({ key: `${id}|${direction}`, value: 0 });
      }
    }
    const res = estimateCountedModeOd({
      zones,
      shares: m.shares,
      counts,
      ...(input.registry.zoneKinds ? { zoneKinds: input.registry.zoneKinds } : {}),
    });
    // A mode nothing counts in the period: no composition (the all group keeps its own probes' estimate).
    if (res.counts === 0) return false;
    for (const z of res.zones) {
      if (z.status !== 'unobserved') continue;
      hidden.add(z.zone);
      why.set(z.zone, [...(why.get(z.zone) ?? []), `${m.mode}-not-identified`]);
    }
    for (const c of res.cells) {
      parts.push({ origin: c.origin, destination: c.destination, estimate: c.estimate, variance: c.sd * c.sd });
    }
  }
  // Composed only when it leaves no more zones unobserved than the group's own probes do (with randomised
  // addresses they observe none; counters alone, without camera lines, identify few zones).
  const ownSeen = own.filter((z) => z.status !== 'unobserved').length;
  if (zones.length - hidden.size < ownSeen) return false;
  // Trips the group's probes matched and published (≥ k) stay the cells' observed trips: the composed estimate is
  // their expansion (one row per cell, as every reader joins it), their travel times kept.
  const matched = new Map<string, ExpandedOdCell>();
  for (const c of out.cells) {
    if (c.periodStart === periodStart && c.mode === ALL && c.trips > 0)
      matched.set(`${c.origin}\u0000${c.destination}`, c);
  }
  const sum = new Map<string, { estimate: number; variance: number }>();
  for (const c of parts) {
    const o = hidden.has(c.origin) ? UNOBSERVED_ZONE : c.origin;
    const d = hidden.has(c.destination) ? UNOBSERVED_ZONE : c.destination;
    // Round trips: only the motor group estimates them, an all-modes (z, z) would lack the other modes': they are
    // kept together in one ROUND_TRIPS_ZONE cell.
    const key = o === d && o !== UNOBSERVED_ZONE ? `${ROUND_TRIPS_ZONE}\u0000${ROUND_TRIPS_ZONE}` : `${o}\u0000${d}`;
    const a = sum.get(key) ?? { estimate: 0, variance: 0 };
    a.estimate += c.estimate;
    a.variance += c.variance;
    sum.set(key, a);
  }
  out.cells = out.cells.filter((c) => !(c.periodStart === periodStart && c.mode === ALL));
  out.withheld = out.withheld.filter((w) => !(w.periodStart === periodStart && w.mode === ALL));
  for (const [key, a] of sum) {
    if (!(a.estimate > 0)) continue;
    const [origin, destination] = key.split('\u0000');
    const sd = Math.sqrt(a.variance);
    const seen = matched.get(key);
    out.cells.push({
      origin,
      destination,
      mode: ALL,
      windowStart: periodStart,
      periodStart,
      trips: seen?.trips ?? 0,
      ...(seen?.travelTimeP50S !== undefined
        ? { travelTimeP50S: seen.travelTimeP50S, travelTimeP85S: seen.travelTimeP85S }
        : {}),
      expanded: a.estimate,
      expandedStdErr: sd,
      lower95: Math.max(0, a.estimate - 1.959964 * sd),
      upper95: a.estimate + 1.959964 * sd,
      status:
        origin === UNOBSERVED_ZONE || destination === UNOBSERVED_ZONE || origin === ROUND_TRIPS_ZONE
          ? 'residual'
          : 'composed',
    });
  }
  const ownBy = new Map(own.map((z) => [z.zone, z]));
  out.coverage = out.coverage.filter((z) => !(z.periodStart === periodStart && z.mode === ALL));
  for (const z of motorCov) {
    const o = ownBy.get(z.zone);
    out.coverage.push({
      zone: z.zone,
      status: hidden.has(z.zone) ? 'unobserved' : 'estimated',
      ...(hidden.has(z.zone) ? { reason: (why.get(z.zone) ?? []).join(',') } : {}),
      counted: o?.counted ?? {},
      periodStart,
      mode: ALL,
      probeKinds: o?.probeKinds ?? [],
      counters: o?.counters ?? z.counters,
    });
  }
  return true;
}
