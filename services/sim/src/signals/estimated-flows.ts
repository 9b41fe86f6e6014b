/**
 * Design flows for signalised junctions no camera watches, estimated from what Passage stored elsewhere: the
 * estimated motor OD (the API's hourly `/api/v1/od` point values, count-estimated pairs included) assigned to the
 * network by the OD's own route model (`zoneRouteShares` with `movementsAt`: the turning movements each zone pair's
 * fastest paths make at those junctions), spread over the hour's quarters in the profile the cameras counted, in
 * passenger-car units by the counted class mix (docs/SIGNALS.md, "Junctions without a camera"). A transport
 * planner's assignment, not a count: the plan made from it says so (`flowSource: 'od-estimate'`), and the
 * closed-loop check reports those junctions apart. No truth and no true route is read.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import type { ClickHouseClient } from '@clickhouse/client';
import { DEFAULT_PCU, HEAVY_MODES, type Mode, parseSumoNet, zoneRouteShares } from '@passage/core';
import { classifiedMovements, odFlows } from '@passage/store';
import { type Origin, toLocal } from '../build/geo.ts';

const QUARTER_MS = 900_000;
const HOUR_MS = 3_600_000;

/** Motor classes of the OD's motor group. */
const MOTOR_MODES = ['motorcycle', 'car', 'van', 'truck', 'bus'] as const;

/** One estimated OD cell: trips of [t, t + 1 h) from one zone to another. */
export interface HourlyOdCell {
  t: number;
  origin: string;
  destination: string;
  trips: number;
}

/**
 * Each quarter's share of its hour's trips, among the given quarters (epoch ms of their starts; those of an hour
 * that lie in the analysed or simulated window): in proportion to `weights` (e.g. the counted motor vehicles), evenly
 * when none of the hour's quarters has a weight.
 */
export function hourQuarterShares(
  quarters: readonly number[],
  weights: ReadonlyMap<number, number>,
): Map<number, number> {
  const byHour = new Map<number, number[]>();
  for (const q of quarters) {
    const h = Math.floor(q / HOUR_MS) * HOUR_MS;
    byHour.set(h, [...(byHour.get(h) ?? []), q]);
  }
  const out = new Map<number, number>();
  for (const qs of byHour.values()) {
    const total = qs.reduce((a, q) => a + (weights.get(q) ?? 0), 0);
    for (const q of qs) out.set(q, total > 0 ? (weights.get(q) ?? 0) / total : 1 / qs.length);
  }
  return out;
}

export interface EstimatedFlowsInput {
  cells: readonly HourlyOdCell[];
  /** `origin\0destination` → `inEdge>outEdge` → expected times per trip (RouteShares.movements). */
  movements: ReadonlyMap<string, ReadonlyMap<string, number>>;
  /** The junction's movements (`inEdge>outEdge`): the others are ignored. */
  served: ReadonlySet<string>;
  /**
   * Counted motor vehicles per quarter (epoch ms of its start) over the analysed window: an hourly cell's trips
   * fall in its quarters in proportion (evenly over the window's quarters of that hour when none is counted).
   */
  quarterWeights: ReadonlyMap<number, number>;
  /** Analysed window [from, to), epoch ms, quarter-aligned. */
  from: number;
  to: number;
  pcuPerVehicle: number;
  /** `peak15`: the junction's busiest quarter as an hourly rate; `mean`: the window's mean hourly flow. */
  design: 'peak15' | 'mean';
  demandScale?: number;
}

/**
 * PCU per hour per movement of one junction (pure; see the module comment), with the design window chosen like
 * the measured junctions' (`designFlows` of plan-world).
 */
export function estimatedDesignFlows(input: EstimatedFlowsInput): {
  flows: Map<string, number>;
  from: number;
  to: number;
  hours: number;
} {
  const quarters: number[] = [];
  for (let q = input.from; q < input.to; q += QUARTER_MS) quarters.push(q);
  const shares = hourQuarterShares(quarters, input.quarterWeights);
  // Vehicles per quarter per movement.
  const perQuarter = new Map<number, Map<string, number>>(quarters.map((q) => [q, new Map<string, number>()]));
  for (const c of input.cells) {
    const m = input.movements.get(`${c.origin}\u0000${c.destination}`);
    if (!m || !(c.trips > 0)) continue;
    for (const q of quarters) {
      if (Math.floor(q / HOUR_MS) * HOUR_MS !== Math.floor(c.t / HOUR_MS) * HOUR_MS) continue;
      const w = shares.get(q) ?? 0;
      if (!(w > 0)) continue;
      const acc = perQuarter.get(q) as Map<string, number>;
      for (const [k, share] of m) {
        if (input.served.has(k)) acc.set(k, (acc.get(k) ?? 0) + c.trips * w * share);
      }
    }
  }
  const sum = (m: Map<string, number>) => [...m.values()].reduce((a, b) => a + b, 0);
  let pick = quarters;
  if (input.design === 'peak15' && quarters.length > 0) {
    // the busiest quarter (the earliest of equals)
    const best = quarters.reduce((b, q) =>
      sum(perQuarter.get(q) as Map<string, number>) > sum(perQuarter.get(b) as Map<string, number>) ? q : b,
    );
    pick = [best];
  }
  const hours = (pick.length * QUARTER_MS) / HOUR_MS;
  const flows = new Map<string, number>();
  const factor = (input.pcuPerVehicle * (input.demandScale ?? 1)) / Math.max(hours, 1e-9);
  for (const q of pick) {
    for (const [k, v] of perQuarter.get(q) as Map<string, number>) flows.set(k, (flows.get(k) ?? 0) + v * factor);
  }
  const from = pick[0] ?? input.from;
  return { flows, from, to: from + pick.length * QUARTER_MS, hours };
}

/**
 * What Passage stored of a world's motor traffic, with the world's zones and network: the estimated motor OD (the
 * API's hourly point values, count-estimated pairs included), the cameras' counted motor vehicles per quarter and
 * class, and the OD route model's zone edges (and, with `movementsAt`, its turning movements at those junctions).
 * Shared by the estimate of junctions without a camera (below) and the screen (`screen.ts`). No truth is read.
 */
export interface MeasuredDemand {
  /** Window read [from, to), epoch ms: the one asked for, else the counted movements' extent (quarter-aligned). */
  from: number;
  to: number;
  cells: HourlyOdCell[];
  /** Counted motor vehicles per quarter start, and per class, over the window. */
  quarterWeights: Map<number, number>;
  classCounts: Partial<Record<(typeof MOTOR_MODES)[number], number>>;
  /** Zone → its vehicle edges; the SUMO network's vehicle edges (local metres). */
  zoneEdges: Map<string, string[]>;
  edges: ReturnType<typeof parseSumoNet>['edges'];
  /** With `movementsAt`: `origin\0destination` → `inEdge>outEdge` → share (RouteShares.movements). */
  movements: Map<string, Map<string, number>>;
}

/** Reads `MeasuredDemand`; undefined when the store has no counted motor movement in the window. */
export async function readMeasuredDemand(
  client: ClickHouseClient,
  scenarioDir: string,
  opts: { from?: number; to?: number; k: number; movementsAt?: ReadonlySet<string> },
): Promise<MeasuredDemand | undefined> {
  const scenario = JSON.parse(readFileSync(join(scenarioDir, 'scenario.json'), 'utf8')) as {
    origin: Origin;
    zones?: { id: string; polygon?: [number, number][] }[];
    cameras?: { id: string }[];
  };
  const moves = await classifiedMovements(client, {
    cameras: (scenario.cameras ?? []).map((c) => c.id),
    from: opts.from,
    to: opts.to,
  });
  const motor = new Set<string>(MOTOR_MODES);
  const quarterWeights = new Map<number, number>();
  const classCounts: MeasuredDemand['classCounts'] = {};
  for (const m of moves) {
    if (!motor.has(m.mode)) continue;
    quarterWeights.set(m.start, (quarterWeights.get(m.start) ?? 0) + m.count);
    const c = m.mode as (typeof MOTOR_MODES)[number];
    classCounts[c] = (classCounts[c] ?? 0) + m.count;
  }
  if (quarterWeights.size === 0) return undefined;
  const starts = [...quarterWeights.keys()];
  const from = opts.from ?? Math.min(...starts);
  const to = opts.to ?? Math.max(...starts) + QUARTER_MS;
  const od = await odFlows(client, {
    from: Math.floor(from / HOUR_MS) * HOUR_MS,
    to,
    interval: '1h',
    modes: [...MOTOR_MODES],
    k: opts.k,
  });
  const net = parseSumoNet(gunzipSync(readFileSync(join(scenarioDir, 'sumo', 'net.xml.gz'))).toString('utf8'));
  const zones = (scenario.zones ?? [])
    .filter((z) => (z.polygon?.length ?? 0) >= 3)
    .map((z) => ({ id: z.id, polygon: (z.polygon ?? []).map(([lon, lat]) => toLocal(scenario.origin, lon, lat)) }));
  const routes = zoneRouteShares(net.edges, zones, [], opts.movementsAt ? { movementsAt: opts.movementsAt } : {});
  return {
    from,
    to,
    cells: od.flows.map((f) => ({ t: f.t, origin: f.origin, destination: f.destination, trips: f.expanded })),
    quarterWeights,
    classCounts,
    zoneEdges: routes.zoneEdges,
    edges: net.edges,
    movements: routes.movements ?? new Map(),
  };
}

/** The mean PCU and the heavy share of the counted motor vehicles (their class mix). */
export function classMix(
  counts: MeasuredDemand['classCounts'],
  pcu: Partial<Record<Mode, number>> = {},
): { pcuPerVehicle: number; heavyShare: number } {
  const w = { ...DEFAULT_PCU, ...pcu } as Record<string, number>;
  let n = 0;
  let p = 0;
  let heavy = 0;
  for (const [c, v] of Object.entries(counts)) {
    n += v;
    p += v * (w[c] ?? 1);
    if ((HEAVY_MODES as readonly string[]).includes(c)) heavy += v;
  }
  return n > 0 ? { pcuPerVehicle: p / n, heavyShare: heavy / n } : { pcuPerVehicle: 1, heavyShare: 0 };
}
