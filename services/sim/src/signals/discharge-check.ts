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
