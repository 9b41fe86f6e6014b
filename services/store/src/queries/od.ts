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
  /** 95 % interval of the expanded flow: expanded ± 1.96 × stdErr, floored at the observed trips. */
  ci95: [number, number];
  travelTimeP50S: number | null;
  travelTimeP85S: number | null;
}
export interface OdResult {
  from: number;
  to: number;
  interval: Interval | 'total';
  modes: string[];
  k: number;
  minFlow: number;
  flows: OdFlow[];
  /** Cells hidden: suppressed upstream (below k at the matcher) or below k after aggregation. */
  suppressedCells: number;
  totals: { observed: number; expanded: number };
}

/**
 * OD flows between zones from `od_15m`: upstream-suppressed cells are never read back, cells are summed over
 * the selected modes and the interval, and any aggregated cell below k observed trips is hidden. `minFlow`
 * filters on the expanded flow.
 */
export async function odFlows(
  client: ClickHouseClient,
  opts: TimeRange & { interval: '15m' | '1h' | '1d' | 'total'; modes?: string[]; minFlow?: number; k: number },
): Promise<OdResult> {
  const modeWhere = opts.modes?.length ? 'AND mode IN {modes:Array(String)}' : '';
  const r = await rows<{
    t: number;
    origin: string;
    destination: string;
    obs: number;
    ex: number;
    v: number;
    t50: number | null;
    t85: number | null;
    sup: number;
  }>(
    client,
    `SELECT toUInt32(toUnixTimestamp(${bucketExpr('window_start', opts.interval)})) AS t, origin, destination,
       toFloat64(sumIf(trips, suppressed = 0)) AS obs,
       sumIf(if(expanded > 0, expanded, toFloat64(trips)), suppressed = 0) AS ex,
       sumIf(expanded_se * expanded_se, suppressed = 0) AS v,
       if(obs > 0, sumIf(tt_p50_s * trips, suppressed = 0) / obs, NULL) AS t50,
       if(obs > 0, sumIf(tt_p85_s * trips, suppressed = 0) / obs, NULL) AS t85,
       toUInt32(countIf(suppressed = 1)) AS sup
     FROM od_15m WHERE ${rangeWhere('window_start')} ${modeWhere}
     GROUP BY t, origin, destination ORDER BY t, origin, destination`,
    { ...rangeParams(opts), modes: opts.modes ?? [] },
  );
  // Population flows: hourly expansions (od_expanded_1h, docs/OD-AND-PRIVACY.md) replace the
  // observed counts where they exist, for hourly or coarser intervals.
  const expandedBy = new Map<string, { ex: number; v: number }>();
  if (opts.interval !== '15m') {
    const e = await rows<{ t: number; origin: string; destination: string; ex: number; v: number }>(
      client,
      `SELECT toUInt32(toUnixTimestamp(${bucketExpr('window_start', opts.interval)})) AS t, origin, destination,
         sum(expanded) AS ex, sum(expanded_se * expanded_se) AS v
       FROM od_expanded_1h FINAL WHERE ${rangeWhere('window_start')} ${modeWhere}
       GROUP BY t, origin, destination`,
      { ...rangeParams(opts), modes: opts.modes ?? [] },
    );
    for (const x of e) expandedBy.set(`${x.t}|${x.origin}|${x.destination}`, { ex: Number(x.ex), v: Number(x.v) });
  }
  for (const x of r) {
    const e = expandedBy.get(`${x.t}|${x.origin}|${x.destination}`);
    if (e && e.ex >= Number(x.obs)) {
      x.ex = e.ex;
      x.v = e.v;
    }
  }
  const minFlow = opts.minFlow ?? 0;
  const flows: OdFlow[] = [];
  let suppressedCells = 0;
  for (const x of r) {
    const observed = Number(x.obs);
    if (observed < opts.k) {
      suppressedCells += Math.max(1, Number(x.sup));
      continue;
    }
    suppressedCells += Number(x.sup) > 0 ? 1 : 0;
    const expanded = Number(x.ex);
    if (expanded < minFlow) continue;
    const stdErr = Math.sqrt(Number(x.v));
    flows.push({
      t: ms(x.t),
      origin: x.origin,
      destination: x.destination,
      observed,
      expanded,
      stdErr,
      ci95: [Math.max(observed, expanded - 1.96 * stdErr), expanded + 1.96 * stdErr],
      travelTimeP50S: x.t50 === null ? null : Number(x.t50),
      travelTimeP85S: x.t85 === null ? null : Number(x.t85),
    });
  }
  return {
    from: opts.from,
    to: opts.to,
    interval: opts.interval,
    modes: opts.modes ?? [],
    k: opts.k,
    minFlow,
    flows,
    suppressedCells,
    totals: {
      observed: flows.reduce((a, f) => a + f.observed, 0),
      expanded: flows.reduce((a, f) => a + f.expanded, 0),
    },
  };
}
