/**
 * Configuration and outputs of per-camera counting. Ground coordinates are the local metric frame
 * (x east, y north, metres; see geometry/local-frame.ts). Times are epoch milliseconds.
 */

/** Road-user modes; the same list as `MODES` in @passage/stream contracts (core imports nothing of ours). */
export const MODES = ['pedestrian', 'bicycle', 'motorcycle', 'car', 'van', 'truck', 'bus'] as const;
export type Mode = (typeof MODES)[number];

export type Direction = 'in' | 'out';

/**
 * A directed counting line, the segment a → b on the ground.
 *
 * Direction convention (shared with the ground-truth generator in @passage/sim):
 *
 *                      LEFT of a→b:  cross(b − a, p − a) > 0
 *                           · p₀
 *                           │   'in'  = LEFT → RIGHT
 *            a ●────────────┼────────────► b
 *                           ▼   'out' = RIGHT → LEFT
 *                           · p₁
 *                      RIGHT of a→b: cross(b − a, p − a) < 0
 *
 *   Example: a = (0, 0), b = (10, 0) points east; north (y > 0) is on the left, so a road user moving south
 *   across it counts 'in'. (This is in the ground frame, y north; in image pixels, y down, sides flip.)
 */
export interface CountingLine {
  id: string;
  a: readonly [number, number];
  b: readonly [number, number];
  /** Hysteresis: a side counts only once the smoothed position is more than this far from the line. @default 0.5 */
  marginM?: number;
  /**
   * The crossing point may lie this far beyond either end of the segment. @default 0: the drawn segment is the
   * definition of the count (what a manual count or the ground truth counts); position noise at the ends is
   * symmetric, while any tolerance adds road users on paths passing just beyond an end (a sidewalk, a parallel
   * lane), a bias that grows with their traffic.
   */
  extentTolM?: number;
}

/** A zone (polygon on the ground). Arm zones (the default) take part in turning movements. */
export interface Zone {
  id: string;
  /** Vertices (metres), in order, not closed (the last vertex connects back to the first). ≥ 3 vertices. */
  polygon: readonly (readonly [number, number])[];
  /** Approach/exit arm of a junction (used for movements). Non-arm zones only record visits and dwell. @default true */
  arm?: boolean;
  /** Entry/exit needs this many consecutive frames on the new side … @default 3 */
  minFrames?: number;
  /** … or this distance (metres) travelled on the new side, whichever comes first. @default 2 */
  minDistM?: number;
}

export interface CameraCounterOptions {
  lines?: readonly CountingLine[];
  zones?: readonly Zone[];
  /**
   * Exponential smoothing of the positions used for side and zone decisions:
   * s ← s + alpha·(p − s). 1 = no smoothing. @default 0.5
   */
  smoothing?: number;
  /**
   * The camera's frame interval (ms): a track's typical interval between updates until it has one of its own, for
   * the time-aware smoothing of its second position. Without it the second position is smoothed by `smoothing`
   * whatever its gap, so a track whose first position was reckoned back a second before its first box (the camera
   * pipeline's border entries) was counted up to a frame late across a line in that gap (at 5 fps 0.5–0.7 s:
   * another road user's crossing was then nearer in time). Unknown (the default): the first interval seen.
   */
  frameMs?: number;
  /** Window (ms) of each least-squares speed fit. @default 2000 */
  speedWindowMs?: number;
  /** Minimum time span (ms) for a speed fit to count. @default 500 */
  speedMinSpanMs?: number;
  /** Ring of samples kept per track for speed (bounds the window at high frame rates). @default 64 */
  speedCapacity?: number;
  /** Initial number of track slots (grows by doubling). @default 64 */
  initialCapacity?: number;
}

export interface LineCrossing {
  lineId: string;
  direction: Direction;
  /** When the smoothed position crossed the line (interpolated between frames), epoch ms. */
  ts: number;
  /** Least-squares speed over the speed window ending at the crossing, km/h; null if not measurable. */
  speedKmh: number | null;
}

export interface ZoneVisit {
  zoneId: string;
  /** First frame of the run that confirmed the entry. */
  entryTs: number;
  /** First frame of the run that confirmed the exit, or the track's last frame if it ended inside. */
  exitTs: number;
  dwellS: number;
  /** false when the track ended while inside the zone. */
  closed: boolean;
}

export interface TurningMovement {
  fromZone: string;
  toZone: string;
  /** Entry into the approach zone. */
  entryTs: number;
  /** Exit from the exit zone (or the track's end inside it): the movement is bucketed by this time. */
  exitTs: number;
  /** exitTs − entryTs, seconds: time spent passing through the junction. */
  dwellS: number;
}

export interface TrackSummary {
  trackId: number;
  firstTs: number;
  lastTs: number;
  frames: number;
  /** Length of the smoothed ground path, metres. */
  pathLengthM: number;
  /** Mean of the windowed least-squares speeds over the track, km/h; null for too short tracks. */
  speedKmh: number | null;
  crossings: LineCrossing[];
  zones: ZoneVisit[];
  movement: TurningMovement | null;
}
