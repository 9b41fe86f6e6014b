/**
 * Validation of the cameras' queue-discharge measurement (issue 13, item 2) against the simulation itself: the same
 * `DischargeMeter` fed with the world's SUMO trajectories (true positions and speeds, zones from scenario.json) gives
 * SUMO's own saturated headways per camera, approach and movement. Evaluation only (it reads the truth): the planner
 * never uses it.
 */
import { DEFAULT_PCU, DischargeMeter, type DischargeRow, type Mode, type TrackSummary } from '@passage/core';
import { pointInPolygon } from '../geo.ts';
import type { SimContext } from '../synth/scenario.ts';

/** Gap (s) between trajectory rows of one agent that ends a visit (as the truth tables do). */
const GAP_S = 2;

/** SUMO's own saturated headways per camera (rows of `DischargeMeter`, all periods). */
export function truthDischarge(ctx: SimContext): Map<string, DischargeRow[]> {
  const { traj, agents } = ctx;
  const out = new Map<string, DischargeRow[]>();
  for (const cam of ctx.cameras) {
    const zones = cam.zones;
    const meter = new DischargeMeter({ pcu: DEFAULT_PCU });
    const zoneAt = (x: number, y: number): number => {
      for (let z = 0; z < zones.length; z++) if (pointInPolygon(zones[z].poly, x, y)) return z;
      return -1;
    };
    for (let a = 0; a < agents.length; a++) {
      const mode = agents[a].mode as Mode;
      if (!(DEFAULT_PCU[mode] > 0) || mode === 'bicycle') continue;
      const j0 = traj.agentStart[a];
      const j1 = traj.agentStart[a + 1];
      // zone runs: [zone, first t, last t, stopped]
      const runs: { z: number; t0: number; t1: number; stopped: boolean }[] = [];
      let prevT = Number.NEGATIVE_INFINITY;
      const stopTimes: number[] = [];
      const flush = (): void => {
        // the visit's first zone and its last other zone make the movement; the first zone's run is the approach
        const zr = runs.filter((r) => r.z >= 0);
        const from = zr[0];
        const to = zr.findLast((r) => r.z !== from?.z);
        runs.length = 0;
        if (!from || !to) return;
        const ms = (s: number): number => ctx.scenario.start + s * 1000;
        const summary: TrackSummary = {
          trackId: 0,
          firstTs: ms(from.t0),
          lastTs: ms(to.t1),
          frames: 0,
          pathLengthM: 0,
          speedKmh: null,
          crossings: [],
          zones: [{ zoneId: zones[from.z].id, entryTs: ms(from.t0), exitTs: ms(from.t1), dwellS: 0, closed: true }],
          movement: {
            fromZone: zones[from.z].id,
            toZone: zones[to.z].id,
            entryTs: ms(from.t0),
            exitTs: ms(to.t1),
            dwellS: to.t1 - from.t0,
          },
        };
        // the agent's stops (0 km/h) before it left the approach
        const stops = stopTimes.filter((x) => x <= from.t1).map(ms);
        meter.add(summary, mode, stops, new Array<number>(stops.length).fill(0), stops.length);
      };
      for (let j = j0; j < j1; j++) {
        const r = traj.byAgent[j];
        const t = traj.t[r];
        if (t - prevT > GAP_S) {
          flush();
          stopTimes.length = 0;
        }
        prevT = t;
        if (traj.speed[r] < 1.5) stopTimes.push(t);
        const z = zoneAt(traj.x[r], traj.y[r]);
        if (z < 0) {
          if (runs.length > 0 && runs[runs.length - 1].z !== -1) runs.push({ z: -1, t0: t, t1: t, stopped: false });
          continue;
        }
        const last = runs[runs.length - 1];
        if (last && last.z === z) {
          last.t1 = t;
          if (traj.speed[r] < 1.5) last.stopped = true;
        } else runs.push({ z, t0: t, t1: t, stopped: traj.speed[r] < 1.5 });
      }
      flush();
    }
    meter.flushAll();
    out.set(cam.spec.id, meter.take(true));
  }
  return out;
}

/** Summed discharge of one camera × approach × movement. */
export interface DischargeSums {
  headways: number;
  headwaySumS: number;
  pcuSum: number;
}

export interface DischargeAgreement {
  /** Per `camera|approach|movement`: SUMO's own and the video's sums. */
  groups: { key: string; sumo: DischargeSums; video: DischargeSums; ratio: number | null }[];
  /** Groups with at least `floor` saturated headways on both sides. */
  compared: number;
  /** Median of video / SUMO saturation flow over them, and mean |ratio − 1|. */
  medianRatio: number;
  meanAbsError: number;
}

const satOf = (s: DischargeSums): number => (s.headwaySumS > 0 ? (3600 * s.pcuSum) / s.headwaySumS : Number.NaN);

/**
 * Video against SUMO's own discharge: per camera, approach and movement, both sides summed over all periods; the
 * saturation flows compared where each side has at least `floor` saturated headways.
 */
export function dischargeAgreement(
  sumo: ReadonlyMap<string, readonly DischargeRow[]>,
  video: readonly ({ cameraId: string; fromZone: string; toZone: string } & DischargeSums)[],
  floor = 30,
): DischargeAgreement {
  const acc = new Map<string, { sumo: DischargeSums; video: DischargeSums }>();
  const cell = (k: string) => {
    let c = acc.get(k);
    if (!c) {
      c = {
        sumo: { headways: 0, headwaySumS: 0, pcuSum: 0 },
        video: { headways: 0, headwaySumS: 0, pcuSum: 0 },
      };
      acc.set(k, c);
    }
    return c;
  };
  const add = (to: DischargeSums, r: DischargeSums) => {
    to.headways += r.headways;
    to.headwaySumS += r.headwaySumS;
    to.pcuSum += r.pcuSum;
  };
  for (const [cam, rows] of sumo) for (const r of rows) add(cell(`${cam}|${r.fromZone}|${r.toZone}`).sumo, r);
  for (const r of video) add(cell(`${r.cameraId}|${r.fromZone}|${r.toZone}`).video, r);
  const groups = [...acc]
    .sort((a, b) => (a[0] < b[0] ? -1 : 1))
    .map(([key, c]) => ({
      key,
      ...c,
      ratio: c.sumo.headways >= floor && c.video.headways >= floor ? satOf(c.video) / satOf(c.sumo) : null,
    }));
  const ratios = groups.flatMap((g) => (g.ratio === null ? [] : [g.ratio])).sort((a, b) => a - b);
  const n = ratios.length;
  return {
    groups,
    compared: n,
    medianRatio: n === 0 ? Number.NaN : n % 2 ? ratios[(n - 1) / 2] : (ratios[n / 2 - 1] + ratios[n / 2]) / 2,
    meanAbsError: n === 0 ? Number.NaN : ratios.reduce((a, r) => a + Math.abs(r - 1), 0) / n,
  };
}

/**
 *   node --import tsx services/sim/src/signals/discharge-check.ts --scenario infra/scenarios/chartres-centre \
 *     --data <store of `passage replay`> [--floor 30]
 */
async function main(): Promise<void> {
  const { parseArgs } = await import('node:util');
  const { loadScenario } = await import('../synth/scenario.ts');
  const { openStore, queueDischarge } = await import('@passage/store');
  const { values } = parseArgs({
    options: { scenario: { type: 'string' }, data: { type: 'string' }, floor: { type: 'string', default: '30' } },
  });
  if (!values.scenario || !values.data) throw new Error('--scenario <world dir> --data <store dir>');
  const sumo = truthDischarge(await loadScenario(values.scenario));
  const store = openStore({ dataDir: values.data });
  try {
    const video = await queueDischarge(store.client, { cameras: [...sumo.keys()] });
    const a = dischargeAgreement(sumo, video, Number(values.floor));
    const f = (s: DischargeSums) => `${s.headways} ${satOf(s).toFixed(0)}`;
    console.log('camera|approach|movement  SUMO: headways PCU/h  video: headways PCU/h  ratio');
    for (const g of a.groups) {
      if (Math.max(g.sumo.headways, g.video.headways) < Number(values.floor)) continue;
      console.log(`${g.key}  ${f(g.sumo)}  ${f(g.video)}  ${g.ratio === null ? '-' : g.ratio.toFixed(3)}`);
    }
    console.log(
      `compared ${a.compared}: median video/SUMO ${a.medianRatio.toFixed(3)}, mean |ratio - 1| ${(100 * a.meanAbsError).toFixed(1)} %`,
    );
  } finally {
    await store.close();
  }
}

if (process.argv[1]?.endsWith('discharge-check.ts')) await main();
