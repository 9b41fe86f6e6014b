/** Turning-movement diagram geometry and the 15-minute table (plain TypeScript, no rendering). */

export interface Movement {
  id: string;
  fromArm: string;
  toArm: string;
  total: number;
  peakHourVolume: number;
}
export interface TurningMovements {
  site: string;
  movements: Movement[];
  intervals: { start: number; end: number; counts: number[]; total: number }[];
  peakHour: { start: number; end: number; volume: number; peak15Volume: number; phf: number } | null;
  total: number;
}

const ARM_BEARING: Record<string, number> = { n: 0, ne: 45, e: 90, se: 135, s: 180, sw: 225, w: 270, nw: 315 };

/** Bearing (degrees clockwise from north) of an arm letter; unknown arms are spread evenly. */
export function armBearing(arm: string, index = 0, count = 1): number {
  return ARM_BEARING[arm] ?? (360 * index) / Math.max(1, count);
}

export interface ArmGeom {
  arm: string;
  bearing: number;
  /** End of the arm (outside) and its start at the junction box, SVG coordinates (y down). */
  outer: [number, number];
  inner: [number, number];
}
export interface ArrowGeom {
  id: string;
  fromArm: string;
  toArm: string;
  volume: number;
  width: number;
  /** SVG path (quadratic curve through the centre) from the approach to the exit. */
  d: string;
}

const r2 = (v: number) => Math.round(v * 10) / 10;

/**
 * Diagram geometry in a size × size box: one road per arm, one arrow per movement with its width proportional to
 * the volume (`use` = 'total' or 'peak'). Approaches keep to the right of the arm's axis, exits to the left.
 */
export function turningDiagram(
  tm: TurningMovements,
  opts: { size?: number; maxWidth?: number; use?: 'total' | 'peak' } = {},
): { arms: ArmGeom[]; arrows: ArrowGeom[] } {
  const size = opts.size ?? 320;
  const c = size / 2;
  const rOut = size * 0.46;
  const rIn = size * 0.16;
  const lane = size * 0.035;
  const armNames = [...new Set(tm.movements.flatMap((m) => [m.fromArm, m.toArm]))].sort(
    (a, b) => armBearing(a) - armBearing(b),
  );
  const bearing = new Map(armNames.map((a, i) => [a, armBearing(a, i, armNames.length)]));
  const pt = (b: number, r: number, side: number): [number, number] => {
    const rad = (b * Math.PI) / 180;
    // Unit vector along the arm (outwards) and its right-hand normal, SVG y pointing down.
    const ux = Math.sin(rad);
    const uy = -Math.cos(rad);
    return [r2(c + ux * r - uy * side), r2(c + uy * r + ux * side)];
  };
  const arms: ArmGeom[] = armNames.map((a) => ({
    arm: a,
    bearing: bearing.get(a) as number,
    outer: pt(bearing.get(a) as number, rOut, 0),
    inner: pt(bearing.get(a) as number, rIn, 0),
  }));
  const vol = (m: Movement) => (opts.use === 'peak' ? m.peakHourVolume : m.total);
  const max = tm.movements.reduce((a, m) => Math.max(a, vol(m)), 0);
  const maxW = opts.maxWidth ?? size * 0.06;
  const arrows: ArrowGeom[] = tm.movements
    .filter((m) => vol(m) > 0)
    .map((m) => {
      const bf = bearing.get(m.fromArm) as number;
      const bt = bearing.get(m.toArm) as number;
      // Travelling in towards the centre, the approach lane is on the traveller's right = the arm's left side.
      const start = pt(bf, rOut * 0.92, -lane);
      const a1 = pt(bf, rIn, -lane);
      const b1 = pt(bt, rIn, lane);
      const end = pt(bt, rOut * 0.92, lane);
      const d = `M${start[0]},${start[1]} L${a1[0]},${a1[1]} Q${c},${c} ${b1[0]},${b1[1]} L${end[0]},${end[1]}`;
      return {
        id: m.id,
        fromArm: m.fromArm,
        toArm: m.toArm,
        volume: vol(m),
        width: max > 0 ? r2(1 + ((maxW - 1) * vol(m)) / max) : 1,
        d,
      };
    })
    .sort((a, b) => b.volume - a.volume);
  return { arms, arrows };
}

/** The 15-minute table as CSV (one column per movement `from>to`, then the total); times in ISO 8601 UTC. */
export function turningCsv(tm: TurningMovements): string {
  const head = ['interval_start', 'interval_end', ...tm.movements.map((m) => `${m.fromArm}>${m.toArm}`), 'total'];
  const rows = tm.intervals.map((iv) =>
    [new Date(iv.start).toISOString(), new Date(iv.end).toISOString(), ...iv.counts.map(String), String(iv.total)].join(
      ',',
    ),
  );
  return `${[head.join(','), ...rows].join('\n')}\n`;
}
