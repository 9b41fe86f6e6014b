import type { ClickHouseClient } from '@clickhouse/client';
import { bucketExpr, type Interval, ms, rangeParams, rangeWhere, rows, type TimeRange } from './common.ts';

export interface OdFlow {
  /** Bucket start (epoch ms); with interval 'total', the start of the range. */
  t: number;
  origin: string;
  destination: string;
  /** Observed trips (matched token pairs) in the published (k-anonymous) cells. */
  observed: number;
  /** Flow expanded to the population with reference counts; equals `observed` when no expansion is stored. */
  expanded: number;
  /** Standard error of `expanded` (cells independent: sqrt of the summed variances). */
  stdErr: number;
  /**
   * 95 % interval of the expanded flow, as stored: a bucket of one hourly cell carries that cell's interval from
   * `od_expanded_1h` (`lower95`, `upper95`: the GLS posterior, lower bound clipped at 0); a bucket summing several
   * cells gets the same rule on the sum (expanded ± 1.959964 × stdErr, clipped at 0); an unexpanded cell is
   * [trips, trips]. Upper bound null = none (a cell of status 'unexpanded': the trips are a lower bound).
   */
  ci95: [number, number | null];
  travelTimeP50S: number | null;
  travelTimeP85S: number | null;
  /**
   * How the flow was obtained: 'probe-expanded' = matched probe trips (≥ k) expanded to the population; 'count-estimated'
   * = no probe trip, estimated from counts (the GLS matrix estimation's `estimated` and `residual` cells: a zone the
   * group's probes do not see, fitted to counted totals and lines through route shares); 'mode-composed' = the all-modes
   * group composed by mode (the motor group's estimate + pedestrians and bicycles estimated from the lines and counters
   * that count them, status 'composed'; its observed trips, if any, are the Wi-Fi/BLE trips matched above k);
   * 'mixed' = a bucket of several.
   */
  method: 'probe-expanded' | 'count-estimated' | 'mode-composed' | 'mixed';
}
export interface OdResult {
  from: number;
  to: number;
  interval: Interval | 'total';
  modes: string[];
  /** The stored OD modes read: the requested modes, or the one mode group they map to (odModesFor). */
  odModes: string[];
  k: number;
  minFlow: number;
  flows: OdFlow[];
  /**
   * Cells of the published grid (bucket × origin × destination × stored mode) hidden: suppressed upstream (below k
   * at the matcher) or below k once aggregated to the bucket.
   */
  suppressedCells: number;
  totals: { observed: number; expanded: number };
  /**
   * What the flows can and cannot show, per zone and OD mode group read (od_zone_coverage, migration 0006): the
   * least observed status over the range's hours. 'unobserved' = no probe and no count: the zone has no estimate
   * (its flows are unknown, not 0); 'estimated' = from counts only (wide intervals); 'observed' = probes saw it.
   */
  coverage: OdZoneCoverage[];
}

export interface OdZoneCoverage {
  zone: string;
  odMode: string;
  status: 'observed' | 'estimated' | 'unobserved';
  /** Hours of the range with each status. */
  hours: { observed: number; estimated: number; unobserved: number };
  /** Why it was unobserved in those hours (stable codes of `od_zone_coverage.reason`, sorted; none otherwise). */
  reasons: string[];
}

/** Zone coverage of the hours in [from, to) for the given OD mode groups (every group when empty). */
export async function odZoneCoverage(
  client: ClickHouseClient,
  opts: TimeRange & { odModes: readonly string[] },
): Promise<OdZoneCoverage[]> {
  const r = await rows<{ zone: string; mode: string; o: number; e: number; u: number; why: string[] }>(
    client,
    `SELECT zone, mode, toUInt32(countIf(status = 'observed')) AS o, toUInt32(countIf(status = 'estimated')) AS e,
       toUInt32(countIf(status = 'unobserved')) AS u,
       arraySort(arrayDistinct(arrayFlatten(groupArrayIf(splitByChar(',', toString(reason)), reason != '')))) AS why
     FROM od_zone_coverage FINAL
     WHERE window_start >= toStartOfHour(fromUnixTimestamp({from:Int64})) AND window_start < fromUnixTimestamp({to:Int64})
       AND (length({modes:Array(String)}) = 0 OR has({modes:Array(String)}, mode))
     GROUP BY zone, mode ORDER BY mode, zone`,
    { from: Math.floor(opts.from / 1000), to: Math.ceil(opts.to / 1000), modes: [...opts.odModes] },
  );
  return r.map((x) => {
    const hours = { observed: Number(x.o), estimated: Number(x.e), unobserved: Number(x.u) };
    const status = hours.unobserved > 0 ? 'unobserved' : hours.estimated > 0 ? 'estimated' : 'observed';
    return { zone: x.zone, odMode: x.mode, status, hours, reasons: x.why ?? [] };
  });
}

/** OD mode groups the matcher writes (ANPR → motor vehicles, Wi-Fi/BLE → all travellers): never summed together. */
export const OD_GROUPS = ['all', 'motor'] as const;
const MOTOR = new Set(['motorcycle', 'car', 'van', 'truck', 'bus']);

/**
 * Which stored OD modes a request for `modes` reads. Stored cells are either per mode (summable) or per mode group
 * (`all`, `motor`: overlapping populations measured by different radios, never summed): a request for all modes,
 * or for any pedestrian/bicycle mode, reads the `all` group; one for motor modes only reads `motor`.
 */
export function odModesFor(stored: readonly string[], modes: readonly string[] | undefined): string[] {
  const groups = stored.filter((m) => (OD_GROUPS as readonly string[]).includes(m));
  if (groups.length === 0) return [...(modes ?? [])];
  const motorOnly = modes !== undefined && modes.length > 0 && modes.every((m) => MOTOR.has(m));
  const want = motorOnly ? 'motor' : 'all';
  return [groups.includes(want) ? want : groups[0]];
}

/** The label of a flow from its cells: all composed, all count-estimated, all probe-expanded, else mixed. */
function odMethod(observed: number, estimated: number, composed: number, cells: number): OdFlow['method'] {
  if (composed > 0) return composed >= cells ? 'mode-composed' : 'mixed';
  return estimated === 0 ? 'probe-expanded' : observed === 0 ? 'count-estimated' : 'mixed';
}

/** An `od_expanded_1h` row written before migration 0006: no interval stored (0, 0). */
const LEGACY = "upper95 = 0 AND status != 'unexpanded'";

/**
 * The one SQL of OD cells shared by the API (odFlows) and the open-data export (odTable), so that both publish the
 * same observed, expanded, standard error and interval for a cell. Per bucket × origin × destination × mode:
 *  - source: the hourly cells of `od_1h` (kind 'od'), where the matcher applied k per hour, when the range holds
 *    any (intervals of an hour or more); else the 15-minute cells of `od_15m` (k applied per 15 min);
 *  - obs: observed trips of the published (not suppressed) source rows; sup: suppressed source rows;
 *  - ex, v, lo, hi: the population expansion of `od_expanded_1h` (latest computation: expanded, expanded_se²,
 *    lower95, upper95) for each published hourly cell whose expansion is at least its observed trips, else the
 *    observed trips with variance 0 and interval [n, n]; expansion rows of cells with no published trips (derived
 *    from suppressed cells) are never read; cells: published hourly cells summed (0 in the 15-minute branch, which
 *    stores no interval); open: those with no upper bound (status 'unexpanded', upper95 0). Rows written before
 *    migration 0006 (no interval stored: 0, 0) get the rule the stored intervals follow (expanded ± 1.959964 se);
 *    a cell stored as 'absorbed' (matched trips with an `(unobserved)` end whose population the count-estimated
 *    cells hold) is published with expanded 0, [0, 0], its observed trips unchanged;
 *  - t50, t85: trips-weighted means of the source rows' travel-time quantiles;
 *  - comp: cells of status 'composed' among them (the all-modes group composed by mode, with or without probe trips);
 *  - est: count-estimated cells (hourly branch only): `od_expanded_1h` rows of status 'estimated', 'residual' or
 *    'composed'
 *    with no observed trip and no published `od_1h` cell (a zone the group's probes do not see, estimated from
 *    counts: no token behind them, so k does not apply), with their stored interval (obs 0, cells = est).
 * `modes` empty = every stored mode (rows stay per mode). Callers hide cells with obs < k unless est > 0.
 */
export function odCellsSql(o: { interval: Interval | 'total'; modes: boolean; hourly: boolean }): string {
  const modeWhere = o.modes ? 'AND mode IN {modes:Array(String)}' : '';
  const hourlyHere = `(SELECT count() FROM od_1h WHERE kind = 'od' AND ${rangeWhere('window_start')} ${modeWhere}) > 0`;
  const useHourly = o.hourly ? hourlyHere : '0';
  return `
    SELECT toUInt32(toUnixTimestamp(${bucketExpr('o.window_start', o.interval)})) AS t, o.origin AS origin,
      o.destination AS destination, o.mode AS mode, toFloat64(sum(o.n)) AS obs,
      sum(if(e.ab > 0, 0, if(e.ex > 0 AND e.ex >= o.n, e.ex, toFloat64(o.n)))) AS ex,
      sum(if(e.ab > 0, 0, if(e.ex > 0 AND e.ex >= o.n, e.v, 0))) AS v,
      sum(if(e.ab > 0, 0, if(e.ex > 0 AND e.ex >= o.n, e.lo, toFloat64(o.n)))) AS lo,
      sum(if(e.ab > 0, 0, if(e.ex > 0 AND e.ex >= o.n, e.hi, toFloat64(o.n)))) AS hi,
      toUInt32(countIf(o.n > 0)) AS cells, toUInt32(countIf(e.ex > 0 AND e.ex >= o.n AND e.un > 0)) AS open,
      if(obs > 0, sum(o.p50 * o.n) / obs, NULL) AS t50, if(obs > 0, sum(o.p85 * o.n) / obs, NULL) AS t85,
      toUInt32(sum(o.sup)) AS sup, toUInt32(0) AS est,
      toUInt32(sum(if(e.ab = 0 AND e.ex > 0 AND e.ex >= o.n, e.cm, 0))) AS comp
    FROM (
      SELECT window_start, origin, destination, mode, sumIf(trips, suppressed = 0) AS n,
        if(n > 0, sumIf(tt_p50_s * trips, suppressed = 0) / n, 0) AS p50,
        if(n > 0, sumIf(tt_p85_s * trips, suppressed = 0) / n, 0) AS p85,
        countIf(suppressed = 1) AS sup
      FROM od_1h WHERE kind = 'od' AND ${rangeWhere('window_start')} ${modeWhere} AND ${useHourly}
      GROUP BY window_start, origin, destination, mode
    ) AS o LEFT JOIN (
      SELECT window_start, origin, destination, mode, sum(expanded) AS ex, sum(expanded_se * expanded_se) AS v,
        sum(if(${LEGACY}, greatest(0, expanded - 1.959964 * expanded_se), lower95)) AS lo,
        sum(if(${LEGACY}, expanded + 1.959964 * expanded_se, upper95)) AS hi, countIf(status = 'unexpanded') AS un,
        countIf(status = 'absorbed') AS ab, countIf(status = 'composed') AS cm
      FROM od_expanded_1h FINAL WHERE observed > 0 AND ${rangeWhere('window_start')} ${modeWhere}
      GROUP BY window_start, origin, destination, mode
    ) AS e ON e.window_start = o.window_start AND e.origin = o.origin AND e.destination = o.destination
      AND e.mode = o.mode
    GROUP BY t, origin, destination, mode
    UNION ALL
    SELECT toUInt32(toUnixTimestamp(${bucketExpr('window_start', o.interval)})) AS t, origin, destination, mode,
      toFloat64(sumIf(trips, suppressed = 0)) AS obs,
      sumIf(if(expanded > 0, expanded, toFloat64(trips)), suppressed = 0) AS ex,
      sumIf(expanded_se * expanded_se, suppressed = 0) AS v, ex AS lo, ex AS hi, toUInt32(0) AS cells,
      toUInt32(0) AS open,
      if(obs > 0, sumIf(tt_p50_s * trips, suppressed = 0) / obs, NULL) AS t50,
      if(obs > 0, sumIf(tt_p85_s * trips, suppressed = 0) / obs, NULL) AS t85,
      toUInt32(countIf(suppressed = 1)) AS sup, toUInt32(0) AS est, toUInt32(0) AS comp
    FROM od_15m WHERE ${rangeWhere('window_start')} ${modeWhere} AND NOT ${useHourly}
    GROUP BY t, origin, destination, mode
    UNION ALL
    SELECT toUInt32(toUnixTimestamp(${bucketExpr('window_start', o.interval)})) AS t, origin, destination, mode,
      toFloat64(0) AS obs, sum(expanded) AS ex, sum(expanded_se * expanded_se) AS v, sum(lower95) AS lo,
      sum(upper95) AS hi, toUInt32(count()) AS cells, toUInt32(0) AS open,
      CAST(NULL AS Nullable(Float64)) AS t50, CAST(NULL AS Nullable(Float64)) AS t85, toUInt32(0) AS sup,
      toUInt32(count()) AS est, toUInt32(countIf(status = 'composed')) AS comp
    FROM od_expanded_1h FINAL
    WHERE observed = 0 AND status IN ('estimated', 'residual', 'composed') AND expanded > 0 AND ${rangeWhere('window_start')}
      ${modeWhere} AND ${useHourly}
      AND (window_start, origin, destination, mode) NOT IN (
        SELECT window_start, origin, destination, mode FROM od_1h
        WHERE kind = 'od' AND suppressed = 0 AND trips > 0 AND ${rangeWhere('window_start')})
    GROUP BY t, origin, destination, mode`;
}

/**
 * The 95 % interval columns `lo95`, `hi95` of a bucket from odCellsSql's sums (column names given): one
 * hourly cell keeps its stored interval; a sum of several (or the 15-minute cells) gets expanded ± 1.959964 × √v,
 * clipped at 0, the rule the stored intervals follow (services/core/src/od/estimate.ts); no upper bound (NULL) when
 * a summed cell has none.
 */
export function ci95Sql(c: { ex: string; v: string; lo: string; hi: string; cells: string; open: string }): string {
  return `if(${c.cells} = 1, ${c.lo}, greatest(0, ${c.ex} - 1.959964 * sqrt(${c.v}))) AS lo95,
    if(${c.open} > 0, NULL, if(${c.cells} = 1, ${c.hi}, ${c.ex} + 1.959964 * sqrt(${c.v}))) AS hi95`;
}

/** Stored OD modes in a range (per-mode cells, or the mode groups `all`, `motor`). */
export async function storedOdModes(client: ClickHouseClient, range: TimeRange): Promise<string[]> {
  const r = await rows<{ mode: string }>(
    client,
    `SELECT DISTINCT mode FROM (SELECT mode FROM od_15m WHERE ${rangeWhere('window_start')}
       UNION ALL SELECT mode FROM od_1h WHERE kind = 'od' AND ${rangeWhere('window_start')}) ORDER BY mode`,
    rangeParams(range),
  );
  return r.map((x) => x.mode);
}

/**
 * OD flows between zones (odCellsSql). k is applied to the cells of the published grid, bucket × origin ×
 * destination × stored mode (the rows of the open-data export, odTable), BEFORE anything is summed across modes: a
 * per-mode cell below k observed trips is hidden and adds nothing, and a flow of several modes (all modes, or a
 * list of stored per-mode cells) is the sum of its published per-mode cells. So the API, the dashboard and the
 * export give the same number for the same period and mode group, and no all-modes flow minus published per-mode
 * flows reveals a hidden cell. Upstream-suppressed cells are never read back; a mode group (`all`, `motor`) is read
 * on its own (odModesFor). `minFlow` filters on the expanded flow. `suppressedCells` counts the hidden per-mode
 * cells (odSuppressedCells of the export, for the same interval).
 */
export async function odFlows(
  client: ClickHouseClient,
  opts: TimeRange & { interval: '15m' | '1h' | '1d' | 'total'; modes?: string[]; minFlow?: number; k: number },
): Promise<OdResult> {
  const odModes = odModesFor(await storedOdModes(client, opts), opts.modes);
  const r = await rows<{
    t: number;
    origin: string;
    destination: string;
    tobs: number;
    tex: number;
    tv: number;
    tt50: number | null;
    tt85: number | null;
    hidden: number;
    test: number;
    tcomp: number;
    tcells: number;
    lo95: number;
    hi95: number | null;
  }>(
    client,
    `SELECT t, origin, destination, sumIf(c.obs, pub) AS tobs, sumIf(c.ex, pub) AS tex, sumIf(c.v, pub) AS tv,
       ${ci95Sql({
         ex: 'tex',
         v: 'tv',
         lo: 'sumIf(c.lo, pub)',
         hi: 'sumIf(c.hi, pub)',
         cells: 'sumIf(c.cells, pub)',
         open: 'sumIf(c.open, pub)',
       })},
       if(tobs > 0, sumIf(c.t50 * c.obs, pub) / tobs, NULL) AS tt50,
       if(tobs > 0, sumIf(c.t85 * c.obs, pub) / tobs, NULL) AS tt85, toUInt32(countIf(NOT pub)) AS hidden,
       toUInt32(sumIf(c.est, pub)) AS test, toUInt32(sumIf(c.comp, pub)) AS tcomp,
       toUInt32(sumIf(c.cells, pub)) AS tcells
     FROM (SELECT *, obs >= {k:UInt32} OR est > 0 AS pub
       FROM (${odCellsSql({ interval: opts.interval, modes: odModes.length > 0, hourly: opts.interval !== '15m' })})) AS c
     GROUP BY t, origin, destination ORDER BY t, origin, destination`,
    { ...rangeParams(opts), modes: odModes, k: opts.k },
  );
  const minFlow = opts.minFlow ?? 0;
  const flows: OdFlow[] = [];
  let suppressedCells = 0;
  for (const x of r) {
    suppressedCells += Number(x.hidden);
    const observed = Number(x.tobs);
    const estimatedCells = Number(x.test);
    if (observed < opts.k && estimatedCells === 0) continue;
    const expanded = Number(x.tex);
    if (expanded < minFlow) continue;
    const stdErr = Math.sqrt(Number(x.tv));
    flows.push({
      t: ms(x.t),
      origin: x.origin,
      destination: x.destination,
      observed,
      expanded,
      stdErr,
      ci95: [Number(x.lo95), x.hi95 === null ? null : Number(x.hi95)],
      travelTimeP50S: x.tt50 === null ? null : Number(x.tt50),
      travelTimeP85S: x.tt85 === null ? null : Number(x.tt85),
      method: odMethod(observed, estimatedCells, Number(x.tcomp), Number(x.tcells)),
    });
  }
  return {
    from: opts.from,
    to: opts.to,
    interval: opts.interval,
    modes: opts.modes ?? [],
    odModes,
    k: opts.k,
    minFlow,
    flows,
    suppressedCells,
    totals: {
      observed: flows.reduce((a, f) => a + f.observed, 0),
      expanded: flows.reduce((a, f) => a + f.expanded, 0),
    },
    coverage: await odZoneCoverage(client, { from: opts.from, to: opts.to, odModes }),
  };
}
