/**
 * Reads what the pipeline stored (ClickHouse: embedded chDB or a server) as evaluation output rows.
 * Only aggregate tables are read; nothing here can see a track or an identifier.
 */

import { join } from 'node:path';
import type { ClickHouseClient } from '@clickhouse/client';
import { loadScenario } from '../synth/scenario.ts';
import { synthesizeSightings } from '../synth/sightings.ts';
import { readTruth } from '../truth/files.ts';
import type { TruthTables } from '../truth/tables.ts';
import { type EvalOutput, type EvalReport, evaluate } from './evaluate.ts';
import { naivePlateOd, type OdDetailGroup, type OdEstimateRow, odDetail } from './od-detail.ts';

async function rows<T>(client: ClickHouseClient, query: string, params: Record<string, unknown>): Promise<T[]> {
  const rs = await client.query({ query, query_params: params, format: 'JSONEachRow' });
  return rs.json<T>();
}

/** Output rows stored between `from` and `to` (epoch ms, inclusive-exclusive). */
export async function readStoredOutput(client: ClickHouseClient, from: number, to: number): Promise<EvalOutput> {
  const p = { from: Math.floor(from / 1000), to: Math.ceil(to / 1000) };
  const lineCounts = (
    await rows<{
      cameraId: string;
      lineId: string;
      direction: 'in' | 'out';
      mode: string;
      minute_ms: string;
      count: string;
    }>(
      client,
      `SELECT camera_id AS cameraId, line_id AS lineId, direction, mode, toUnixTimestamp(minute) * 1000 AS minute_ms,
              sum(count) AS count
       FROM line_counts_1m WHERE minute >= toDateTime({from:UInt32}) AND minute < toDateTime({to:UInt32})
       GROUP BY cameraId, lineId, direction, mode, minute_ms`,
      p,
    )
  ).map((r) => ({
    cameraId: r.cameraId,
    lineId: r.lineId,
    direction: r.direction,
    mode: r.mode,
    minute: Number(r.minute_ms),
    count: Number(r.count),
  }));
  const movements = (
    await rows<{
      cameraId: string;
      fromZone: string;
      toZone: string;
      mode: string;
      windowStart: string;
      count: string;
    }>(
      client,
      `SELECT camera_id AS cameraId, from_zone AS fromZone, to_zone AS toZone, mode,
              toUnixTimestamp(minute) * 1000 AS windowStart, sum(count) AS count
       FROM movements_1m WHERE minute >= toDateTime({from:UInt32}) AND minute < toDateTime({to:UInt32})
       GROUP BY cameraId, fromZone, toZone, mode, windowStart`,
      p,
    )
  ).map((r) => ({ ...r, windowStart: Number(r.windowStart), count: Number(r.count) }));
  // Counter bins (partial rows summed by the counts_bins view). A bin overlapping a health finding other than a
  // gap (stuck at zero, flat line, impossible jump) is reported as missing: a flagged count is not a measurement.
  // So is a bin only partly covered by reports (coverage < 1, migration 0008): its published count is what was
  // counted in the covered part, which the truth of the whole bin cannot score.
  const bins = await rows<{
    sensorId: string;
    direction: string;
    mode: string;
    start_ms: string;
    count: number | null;
  }>(
    client,
    `SELECT sensor_id AS sensorId, direction, mode, toUnixTimestamp(start) * 1000 AS start_ms,
       if(coverage < 1, NULL, count) AS count
     FROM counts_bins WHERE interval = '15m' AND start >= toDateTime({from:UInt32}) AND start < toDateTime({to:UInt32})`,
    p,
  ).catch(() => []);
  const findings = await rows<{ sensorId: string; direction: string; from_ms: string; to_ms: string }>(
    client,
    `SELECT sensor_id AS sensorId, direction, toUnixTimestamp(from) * 1000 AS from_ms, toUnixTimestamp(to) * 1000 AS to_ms
     FROM sensor_health WHERE kind != 'gap' AND to >= toDateTime({from:UInt32}) AND from < toDateTime({to:UInt32})`,
    p,
  ).catch(() => []);
  const flagged = (sensorId: string, direction: string, start: number) =>
    findings.some(
      (f) =>
        f.sensorId === sensorId &&
        (f.direction === '' || f.direction === direction) &&
        Number(f.from_ms) < start + 900_000 &&
        Number(f.to_ms) > start,
    );
  const counters = bins.map((r) => {
    const start = Number(r.start_ms);
    return {
      sensorId: r.sensorId,
      direction: r.direction,
      mode: r.mode,
      start,
      count: r.count === null || flagged(r.sensorId, r.direction, start) ? null : Number(r.count),
    };
  });
  const odRaw = await rows<{
    origin: string;
    destination: string;
    mode: string;
    windowStart: string;
    trips: string;
    expanded: number;
    p50: number;
  }>(
    client,
    `SELECT origin, destination, mode, toUnixTimestamp(window_start) * 1000 AS windowStart, sum(trips) AS trips,
            sum(expanded) AS expanded, max(tt_p50_s) AS p50
     FROM od_15m WHERE suppressed = 0 AND window_start >= toDateTime({from:UInt32}) AND window_start < toDateTime({to:UInt32})
     GROUP BY origin, destination, mode, windowStart`,
    p,
  );
  // Population flows where the expansion was materialised (od_expanded_1h), else the observed trips.
  const expandedRows = await rows<{
    origin: string;
    destination: string;
    mode: string;
    windowStart: string;
    ex: number;
  }>(
    client,
    `SELECT origin, destination, mode, toUnixTimestamp(window_start) * 1000 AS windowStart, sum(expanded) AS ex
     FROM od_expanded_1h FINAL WHERE status != 'retracted' AND window_start >= toDateTime({from:UInt32}) AND window_start < toDateTime({to:UInt32})
     GROUP BY origin, destination, mode, windowStart`,
    // Hourly cells: the clock hour holding `from` too (a scenario starting at :30 departs in it).
    { ...p, from: Math.floor(p.from / 3600) * 3600 },
  ).catch(() => []);
  const expanded = expandedRows.length > 0;
  const cell = (r: { origin: string; destination: string; mode: string; windowStart: string }, trips: number) => ({
    origin: r.origin,
    destination: r.destination,
    mode: r.mode,
    windowStart: Number(r.windowStart),
    trips,
  });
  const od = expanded
    ? expandedRows.map((r) => cell(r, Number(r.ex)))
    : odRaw.map((r) => cell(r, Number(r.expanded) > 0 ? Number(r.expanded) : Number(r.trips)));
  const travelTimes = odRaw
    .filter((r) => Number(r.p50) > 0)
    .map((r) => ({
      origin: r.origin,
      destination: r.destination,
      windowStart: Number(r.windowStart),
      trips: Number(r.trips),
      travelTimeP50S: Number(r.p50),
    }));
  const out: EvalOutput = {};
  if (lineCounts.length) out.lineCounts = lineCounts;
  if (movements.length) out.movements = movements;
  if (counters.length) out.counters = counters;
  if (od.length) out.od = od;
  // With a materialised expansion, travel times are scored even when none was observed.
  if (expanded || travelTimes.length) out.travelTimes = travelTimes;
  return out;
}

/**
 * Scores what the store holds for a scenario against its truth (`<dir>/truth`): only the tables the pipeline
 * produced are compared. Line counts per `lineCountIntervalS` (default 15 min), movements per 15 min, OD per
 * hour, counters per 15 min. `report` is undefined when the store holds nothing for the scenario's period.
 */
export async function evaluateStored(
  client: ClickHouseClient,
  scenarioDir: string,
  scenario: { start: number; durationS: number },
  options: {
    lineCountIntervalS?: number;
    /** OD acceptance figures with the naive plate-matching baseline (re-synthesises the sightings). @default true */
    odDetail?: boolean;
  } = {},
): Promise<{ output: EvalOutput; report?: EvalReport; odDetail?: Record<string, OdDetailGroup> }> {
  const output = await readStoredOutput(client, scenario.start, scenario.start + scenario.durationS * 1000);
  if (Object.keys(output).length === 0) return { output };
  const truth = await readTruth(join(scenarioDir, 'truth'));
  const t: Partial<TruthTables> = {};
  if (output.lineCounts) t.lineCounts = truth.lineCounts;
  if (output.movements) t.movements = truth.movements;
  if (output.od) t.od = truth.od;
  if (output.counters) t.counters = truth.counters;
  if (output.travelTimes) t.travelTimes = truth.travelTimes;
  const report = evaluate({
    truth: t,
    output,
    options: {
      lineCountIntervalS: options.lineCountIntervalS ?? 900,
      movementIntervalS: 900,
      odIntervalS: 3600,
      counterIntervalS: 900,
    },
  });
  if (!output.od || options.odDetail === false) return { output, report };
  // OD acceptance: the stored hourly cells with their intervals against the truth per clock hour, and naive plate
  // matching of the sightings the replay fed (the scenario's, synthesised from its seed as `passage replay` does).
  const from = scenario.start;
  const to = scenario.start + scenario.durationS * 1000;
  const hourly = await rows<{
    origin: string;
    destination: string;
    mode: string;
    windowStart: string;
    ex: number;
    lo: number;
    hi: number;
  }>(
    client,
    `SELECT origin, destination, mode, toUnixTimestamp(window_start) * 1000 AS windowStart, sum(expanded) AS ex,
            sum(lower95) AS lo, sum(upper95) AS hi
     FROM od_expanded_1h FINAL WHERE status != 'retracted' AND window_start >= toDateTime({from:UInt32}) AND window_start < toDateTime({to:UInt32})
     GROUP BY origin, destination, mode, windowStart`,
    { from: Math.floor(from / 3_600_000) * 3600, to: Math.ceil(to / 1000) },
  ).catch(() => []);
  const est: OdEstimateRow[] =
    hourly.length > 0
      ? hourly.map((r) => ({
          origin: r.origin,
          destination: r.destination,
          mode: r.mode,
          windowStart: Number(r.windowStart),
          trips: Number(r.ex),
          ...(Number(r.hi) > 0 ? { lower95: Number(r.lo), upper95: Number(r.hi) } : {}),
        }))
      : output.od.map((r) => ({ ...r }));
  const ctx = await loadScenario(scenarioDir);
  const siteZone = new Map(ctx.scenario.sightingSites.map((s) => [s.id, s.zoneId]));
  const naive = naivePlateOd(synthesizeSightings(ctx), siteZone);
  // What the product says it cannot see: zones reported unobserved per group and hour (their cells are refused),
  // and every group the layout's probes could observe (a group with no output is reported as such, not skipped).
  const unobservedRows = await rows<{ mode: string; w: string; zone: string }>(
    client,
    `SELECT mode, toUnixTimestamp(window_start) * 1000 AS w, zone FROM od_zone_coverage FINAL
     WHERE status = 'unobserved' AND window_start >= toDateTime({from:UInt32}) AND window_start < toDateTime({to:UInt32})`,
    { from: Math.floor(from / 3_600_000) * 3600, to: Math.ceil(to / 1000) },
  ).catch(() => []);
  const unobserved = new Map<string, Set<string>>();
  for (const r of unobservedRows) {
    const k = `${r.mode}|${Number(r.w)}`;
    unobserved.set(k, (unobserved.get(k) ?? new Set<string>()).add(r.zone));
  }
  const kinds = new Set(ctx.scenario.sightingSites.map((s) => s.kind));
  const groups = [...(kinds.has('anpr') ? ['motor'] : []), ...(kinds.has('wifi') || kinds.has('ble') ? ['all'] : [])];
  return { output, report, odDetail: odDetail(truth.od, est, { naive, from, to, groups, unobserved }) };
}
