/**
 * Ground-truth events derived from trajectories and scenario geometry: line crossings, zone-to-zone movements
 * and site passes. These are what happened, not what a sensor saw; the synthesisers add sensor behaviour on top
 * and the truth tables bucket them. Never read by the pipeline.
 *
 * Position of a road user = centre of its footprint (the readers convert SUMO's front-bumper position).
 * Crossing direction: 'in' = from the left of the directed line a→b to its right, on the map with north up
 * (see `crossSegment` in geo.ts); the video core's directed counting lines use the same rule.
 */
import type { Mode } from '@passage/stream/contracts';
import {
  type CrossingDirection,
  crossingDirection,
  crossSegment,
  type LocalPolygon,
  type LocalSegment,
  pointInPolygon,
  sideOf,
} from '../geo.ts';
import type { SimContext } from '../synth/scenario.ts';

export interface CrossingEvent {
  agent: number;
  mode: Mode;
  /** Seconds from scenario start (interpolated between samples). */
  t: number;
  direction: CrossingDirection;
  /** m/s at the crossing. */
  speed: number;
}

const boundsCache = new WeakMap<object, Float64Array>();

/** Per-agent bounding boxes of their trajectory rows, [minX, minY, maxX, maxY] × agents (cached). */
export function agentBounds(ctx: SimContext): Float64Array {
  const cached = boundsCache.get(ctx.traj);
  if (cached) return cached;
  const { traj } = ctx;
  const n = ctx.agents.length;
  const b = new Float64Array(4 * n);
  for (let a = 0; a < n; a++) {
    b[4 * a] = Number.POSITIVE_INFINITY;
    b[4 * a + 1] = Number.POSITIVE_INFINITY;
    b[4 * a + 2] = Number.NEGATIVE_INFINITY;
    b[4 * a + 3] = Number.NEGATIVE_INFINITY;
  }
  for (let r = 0; r < traj.n; r++) {
    const a = traj.agent[r];
    const x = traj.x[r];
    const y = traj.y[r];
    if (x < b[4 * a]) b[4 * a] = x;
    if (y < b[4 * a + 1]) b[4 * a + 1] = y;
    if (x > b[4 * a + 2]) b[4 * a + 2] = x;
    if (y > b[4 * a + 3]) b[4 * a + 3] = y;
  }
  boundsCache.set(ctx.traj, b);
  return b;
}

function outside(b: Float64Array, a: number, minX: number, minY: number, maxX: number, maxY: number): boolean {
  return b[4 * a + 2] < minX || b[4 * a] > maxX || b[4 * a + 3] < minY || b[4 * a + 1] > maxY;
}

/** Largest gap between two samples of an agent over which a path is still considered continuous, seconds. */
export const CONTINUITY_GAP_S = 10;

/**
 * Every crossing of the directed segment by any agent (optionally restricted to some modes), sorted by time.
 * Rows further apart than `CONTINUITY_GAP_S` are not joined.
 */
export function lineCrossings(ctx: SimContext, seg: LocalSegment, modes?: ReadonlySet<Mode>): CrossingEvent[] {
  const { traj, agents } = ctx;
  const out: CrossingEvent[] = [];
  // Bounding box of the segment to skip far moves quickly.
  const minX = Math.min(seg.ax, seg.bx);
  const maxX = Math.max(seg.ax, seg.bx);
  const minY = Math.min(seg.ay, seg.by);
  const maxY = Math.max(seg.ay, seg.by);
  const bounds = agentBounds(ctx);
  for (let a = 0; a < agents.length; a++) {
    const mode = agents[a].mode;
    if (modes && !modes.has(mode)) continue;
    if (outside(bounds, a, minX, minY, maxX, maxY)) continue;
    for (let j = traj.agentStart[a]; j < traj.agentStart[a + 1] - 1; j++) {
      const r = traj.byAgent[j];
      const s = traj.byAgent[j + 1];
      if (traj.t[s] - traj.t[r] > CONTINUITY_GAP_S) continue;
      const px = traj.x[r];
      const py = traj.y[r];
      const qx = traj.x[s];
      const qy = traj.y[s];
      if (Math.max(px, qx) < minX || Math.min(px, qx) > maxX || Math.max(py, qy) < minY || Math.min(py, qy) > maxY) {
        continue;
      }
      const f = crossSegment(seg, px, py, qx, qy);
      if (f < 0) continue;
      out.push({
        agent: a,
        mode,
        t: traj.t[r] + f * (traj.t[s] - traj.t[r]),
        direction: crossingDirection(sideOf(seg, px, py)),
        speed: traj.speed[r] + f * (traj.speed[s] - traj.speed[r]),
      });
    }
  }
  out.sort((p, q) => p.t - q.t || p.agent - q.agent);
  return out;
}

export interface MovementEvent {
  agent: number;
  mode: Mode;
  fromZone: string;
  toZone: string;
  /** When the agent entered its first zone, seconds. */
  tEnter: number;
  /** When it left its last zone (the time the movement is complete), seconds. */
  tExit: number;
}

/**
 * Zone-to-zone movements through one camera's zones: for each continuous visit of an agent, the first zone it
 * entered and the last zone it left. Paths are sampled every ≤ 0.5 m between trajectory rows so that fast
 * vehicles do not skip narrow zones. Visits that touch one zone only (from = to) are not movements.
 */
export function zoneMovements(
  ctx: SimContext,
  zones: ReadonlyArray<{ id: string; poly: LocalPolygon }>,
): MovementEvent[] {
  const { traj, agents } = ctx;
  const out: MovementEvent[] = [];
  if (zones.length === 0) return out;
  let minX = Number.POSITIVE_INFINITY;
  let minY = Number.POSITIVE_INFINITY;
  let maxX = Number.NEGATIVE_INFINITY;
  let maxY = Number.NEGATIVE_INFINITY;
  for (const z of zones) {
    minX = Math.min(minX, z.poly.minX);
    minY = Math.min(minY, z.poly.minY);
    maxX = Math.max(maxX, z.poly.maxX);
    maxY = Math.max(maxY, z.poly.maxY);
  }
  const zoneAt = (x: number, y: number): number => {
    if (x < minX || x > maxX || y < minY || y > maxY) return -1;
    for (let z = 0; z < zones.length; z++) if (pointInPolygon(zones[z].poly, x, y)) return z;
    return -1;
  };
  const bounds = agentBounds(ctx);
  for (let a = 0; a < agents.length; a++) {
    if (outside(bounds, a, minX, minY, maxX, maxY)) continue;
    let first = -1;
    let last = -1;
    let tEnter = 0;
    let tLastIn = 0;
    const flush = (): void => {
      if (first >= 0 && last >= 0 && first !== last) {
        out.push({
          agent: a,
          mode: agents[a].mode,
          fromZone: zones[first].id,
          toZone: zones[last].id,
          tEnter,
          tExit: tLastIn,
        });
      }
      first = -1;
      last = -1;
    };
    const visit = (z: number, t: number): void => {
      if (z < 0) return;
      if (first < 0) {
        first = z;
        tEnter = t;
      }
      last = z;
      tLastIn = t;
    };
    const j0 = traj.agentStart[a];
    const j1 = traj.agentStart[a + 1];
    for (let j = j0; j < j1; j++) {
      const r = traj.byAgent[j];
      if (j > j0) {
        const p = traj.byAgent[j - 1];
        const dt = traj.t[r] - traj.t[p];
        if (dt > CONTINUITY_GAP_S) {
          flush();
        } else {
          const dist = Math.hypot(traj.x[r] - traj.x[p], traj.y[r] - traj.y[p]);
          const n = Math.ceil(dist / 0.5);
          for (let k = 1; k < n; k++) {
            const f = k / n;
            visit(
              zoneAt(traj.x[p] + f * (traj.x[r] - traj.x[p]), traj.y[p] + f * (traj.y[r] - traj.y[p])),
              traj.t[p] + f * dt,
            );
          }
        }
      }
      visit(zoneAt(traj.x[r], traj.y[r]), traj.t[r]);
    }
    flush();
  }
  out.sort((p, q) => p.tExit - q.tExit || p.agent - q.agent);
  return out;
}

export interface SitePass {
  agent: number;
  siteIndex: number;
  tEnter: number;
  tExit: number;
  /** Time of closest approach to the site, seconds. */
  tClosest: number;
}

/**
 * Passes of agents within `radiusM` of a point: maximal runs of samples inside the radius (runs split where the
 * trajectory has a gap longer than `CONTINUITY_GAP_S`). `filter` selects the agents considered.
 */
export function sitePasses(ctx: SimContext, siteIndex: number, filter: (agent: number) => boolean): SitePass[] {
  const { traj, agents } = ctx;
  const site = ctx.sites[siteIndex];
  const r2 = site.spec.radiusM * site.spec.radiusM;
  const out: SitePass[] = [];
  const bounds = agentBounds(ctx);
  const rr = site.spec.radiusM;
  for (let a = 0; a < agents.length; a++) {
    if (!filter(a)) continue;
    if (outside(bounds, a, site.x - rr, site.y - rr, site.x + rr, site.y + rr)) continue;
    let inPass = false;
    let tEnter = 0;
    let tExit = 0;
    let best = Number.POSITIVE_INFINITY;
    let tBest = 0;
    let prevT = Number.NEGATIVE_INFINITY;
    const close = (): void => {
      if (inPass) out.push({ agent: a, siteIndex, tEnter, tExit, tClosest: tBest });
      inPass = false;
      best = Number.POSITIVE_INFINITY;
    };
    for (let j = traj.agentStart[a]; j < traj.agentStart[a + 1]; j++) {
      const r = traj.byAgent[j];
      const t = traj.t[r];
      if (t - prevT > CONTINUITY_GAP_S) close();
      prevT = t;
      const dx = traj.x[r] - site.x;
      const dy = traj.y[r] - site.y;
      const d2 = dx * dx + dy * dy;
      if (d2 <= r2) {
        if (!inPass) {
          inPass = true;
          tEnter = t;
        }
        tExit = t;
        if (d2 < best) {
          best = d2;
          tBest = t;
        }
      } else {
        close();
      }
    }
    close();
  }
  out.sort((p, q) => p.tClosest - q.tClosest || p.agent - q.agent);
  return out;
}
