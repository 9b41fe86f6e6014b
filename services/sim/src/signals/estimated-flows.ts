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
  // Per hour: the window's quarters in it and their weights.
  const weightOf = (q: number): number => {
    const h = Math.floor(q / HOUR_MS) * HOUR_MS;
    const mine = quarters.filter((x) => x >= h && x < h + HOUR_MS);
    const total = mine.reduce((a, x) => a + (input.quarterWeights.get(x) ?? 0), 0);
    return total > 0 ? (input.quarterWeights.get(q) ?? 0) / total : 1 / mine.length;
  };
  // Vehicles per quarter per movement.
  const perQuarter = new Map<number, Map<string, number>>(quarters.map((q) => [q, new Map<string, number>()]));
  for (const c of input.cells) {
    const m = input.movements.get(`${c.origin}\u0000${c.destination}`);
    if (!m || !(c.trips > 0)) continue;
    for (const q of quarters) {
      if (Math.floor(q / HOUR_MS) * HOUR_MS !== Math.floor(c.t / HOUR_MS) * HOUR_MS) continue;
      const w = weightOf(q);
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

/** What the stores and the world give the estimation of every junction without a camera (read once). */
export interface EstimatedDemand {
  cells: HourlyOdCell[];
  movements: Map<string, Map<string, number>>;
  quarterWeights: Map<number, number>;
  /** Counted motor vehicles' mean PCU and heavy share (the class mix of every camera's movements). */
  pcuPerVehicle: number;
  heavyShare: number;
  /** Data window of the counted movements, epoch ms, quarter-aligned. */
  from: number;
  to: number;
}

/**
 * Reads the estimated motor OD and the cameras' counted motor profile and class mix from the store, and the route
 * model's movements at `junctions` (SUMO node ids) from the world's network and zones. Undefined when the store
 * has no OD or no counted movement in the window.
 */
export async function readEstimatedDemand(
  client: ClickHouseClient,
  scenarioDir: string,
  junctions: ReadonlySet<string>,
  opts: { from?: number; to?: number; k: number; pcu?: Partial<Record<Mode, number>> },
): Promise<EstimatedDemand | undefined> {
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
  const pcu = { ...DEFAULT_PCU, ...(opts.pcu ?? {}) } as Record<string, number>;
  const motor = new Set<string>(MOTOR_MODES);
  const quarterWeights = new Map<number, number>();
  let vehicles = 0;
  let pcus = 0;
  let heavy = 0;
  for (const m of moves) {
    if (!motor.has(m.mode)) continue;
    quarterWeights.set(m.start, (quarterWeights.get(m.start) ?? 0) + m.count);
    vehicles += m.count;
    pcus += m.count * (pcu[m.mode] ?? 1);
    if ((HEAVY_MODES as readonly string[]).includes(m.mode)) heavy += m.count;
  }
  if (vehicles === 0) return undefined;
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
  if (od.flows.length === 0) return undefined;
  const net = parseSumoNet(gunzipSync(readFileSync(join(scenarioDir, 'sumo', 'net.xml.gz'))).toString('utf8'));
  const zones = (scenario.zones ?? [])
    .filter((z) => (z.polygon?.length ?? 0) >= 3)
    .map((z) => ({ id: z.id, polygon: (z.polygon ?? []).map(([lon, lat]) => toLocal(scenario.origin, lon, lat)) }));
  const { movements } = zoneRouteShares(net.edges, zones, [], { movementsAt: junctions });
  return {
    cells: od.flows.map((f) => ({ t: f.t, origin: f.origin, destination: f.destination, trips: f.expanded })),
    movements: movements ?? new Map(),
    quarterWeights,
    pcuPerVehicle: pcus / vehicles,
    heavyShare: heavy / vehicles,
    from,
    to,
  };
}
