/**
 * Reference counters for the OD expansion, derived from a sites file (scenario.json format) when the
 * operator has not listed them by hand (`od.reference`).
 *
 * Rule (documented in docs/OD-AND-PRIVACY.md):
 * - Only SINGLE-ACCESS zones qualify: kinds `gate`, `parking`, `station` — a road (or stub) through which every
 *   trip starting or ending in the zone passes. Squares, the core, districts and unknown kinds are crossed by
 *   streets in every direction: a counter on one of their streets is not a margin of the zone.
 * - A counter qualifies for a zone when the midpoint of its line lies inside the zone polygon.
 * - Mode group from the counter's modes: only motor modes (loops) → `motor` (ANPR cells); every mode
 *   (pedestrian, bicycle and motor: Telraam-like) → `all` (Wi-Fi/BLE cells). Counters of one non-motor mode
 *   (pedestrian or bike counters) are not a margin of any group and are skipped.
 * - Direction: leaving the zone = crossing the line towards the other zones (the mean of their polygon
 *   centroids). With the crossing rule of the sites file (left → right of a→b is `in`), if the right-hand normal
 *   of a→b points towards the other zones then `in` = leaving = origin margin and `out` = destination margin,
 *   otherwise the reverse.
 * A counter that covers one carriageway only (an inbound loop) counts (almost) nothing in the other direction;
 * the expansion then finds a reference below the observed probe trips and falls back to the ratio estimator
 * (expandOd: `below-observed`).
 */

export interface ReferenceSiteZone {
  id: string;
  kind?: string;
  /** [lon, lat] vertices. */
  polygon?: readonly (readonly [number, number])[];
}

export interface ReferenceSiteCounter {
  id: string;
  modes?: readonly string[];
  line?: { a: readonly [number, number]; b: readonly [number, number] };
}

export interface DerivedReference {
  zone: string;
  margin: 'origin' | 'destination';
  sensorId: string;
  direction: 'in' | 'out';
  odMode: string;
  factor: number;
}

const MOTOR = new Set(['car', 'van', 'truck', 'bus', 'motorcycle']);
const SINGLE_ACCESS = new Set(['gate', 'parking', 'station']);

function isLonLat(p: unknown): p is [number, number] {
  return Array.isArray(p) && p.length === 2 && Number.isFinite(p[0]) && Number.isFinite(p[1]);
}

function inside(x: number, y: number, poly: readonly [number, number][]): boolean {
  let c = false;
  for (let i = 0, j = poly.length - 1; i < poly.length; j = i++) {
    const [xi, yi] = poly[i];
    const [xj, yj] = poly[j];
    if (yi > y !== yj > y && x < ((xj - xi) * (y - yi)) / (yj - yi) + xi) c = !c;
  }
  return c;
}

/** OD mode group a counter with these modes stands for, or null. */
export function counterOdMode(modes: readonly string[] | undefined): string | null {
  if (modes === undefined || modes.length === 0) return null;
  if (modes.every((m) => MOTOR.has(m))) return 'motor';
  const s = new Set(modes);
  if (s.has('pedestrian') && s.has('bicycle') && [...MOTOR].every((m) => s.has(m))) return 'all';
  return null;
}

/**
 * The zones with a valid polygon in local metres around their mean vertex (equirectangular, enough at town scale);
 * null with fewer than two.
 */
function localFrame(zones: readonly ReferenceSiteZone[]): {
  loc: (p: readonly [number, number]) => [number, number];
  polys: { z: ReferenceSiteZone; poly: [number, number][] }[];
} | null {
  const valid = zones.filter((z) => Array.isArray(z.polygon) && z.polygon.length >= 3 && z.polygon.every(isLonLat));
  if (valid.length < 2) return null;
  const all = valid.flatMap((z) => z.polygon as [number, number][]);
  const lon0 = all.reduce((a, p) => a + p[0], 0) / all.length;
  const lat0 = all.reduce((a, p) => a + p[1], 0) / all.length;
  const kx = 111_195 * Math.cos((lat0 * Math.PI) / 180);
  const ky = 111_195;
  const loc = (p: readonly [number, number]): [number, number] => [(p[0] - lon0) * kx, (p[1] - lat0) * ky];
  return { loc, polys: valid.map((z) => ({ z, poly: (z.polygon as [number, number][]).map(loc) })) };
}

/** Reference entries for `od.reference` from the zones and counters of a sites file (see the rule above). */
export function deriveOdReference(
  zones: readonly ReferenceSiteZone[],
  counters: readonly ReferenceSiteCounter[],
): DerivedReference[] {
  const frame = localFrame(zones);
  if (frame === null) return [];
  const { loc, polys } = frame;
  const centroid = (poly: [number, number][]): [number, number] => [
    poly.reduce((a, p) => a + p[0], 0) / poly.length,
    poly.reduce((a, p) => a + p[1], 0) / poly.length,
  ];
  const cents = polys.map((p) => centroid(p.poly));
  const out: DerivedReference[] = [];
  for (const c of counters) {
    const odMode = counterOdMode(c.modes);
    if (odMode === null || !c.line || !isLonLat(c.line.a) || !isLonLat(c.line.b)) continue;
    const a = loc(c.line.a);
    const b = loc(c.line.b);
    const mx = (a[0] + b[0]) / 2;
    const my = (a[1] + b[1]) / 2;
    const hit = polys.findIndex((p) => SINGLE_ACCESS.has(p.z.kind ?? '') && inside(mx, my, p.poly));
    if (hit < 0) continue;
    let ox = 0;
    let oy = 0;
    let n = 0;
    cents.forEach((ct, i) => {
      if (i === hit) return;
      ox += ct[0];
      oy += ct[1];
      n++;
    });
    const tx = ox / n - mx;
    const ty = oy / n - my;
    // Right-hand normal of a→b (x east, y north): (dy, −dx).
    const dx = b[0] - a[0];
    const dy = b[1] - a[1];
    const leaving: 'in' | 'out' = dy * tx - dx * ty > 0 ? 'in' : 'out';
    const entering: 'in' | 'out' = leaving === 'in' ? 'out' : 'in';
    const zone = polys[hit].z.id;
    out.push({ zone, margin: 'origin', sensorId: c.id, direction: leaving, odMode, factor: 1 });
    out.push({ zone, margin: 'destination', sensorId: c.id, direction: entering, odMode, factor: 1 });
  }
  return out;
}

/** A counter located in a zone (any kind of zone): the denominator of that zone's probe rate. */
export interface ZoneCounter {
  zone: string;
  sensorId: string;
}

/**
 * Counters whose line midpoint lies inside a zone polygon, for every zone kind and every counter kind (loops,
 * pedestrian and bike counters, Telraam-like): each counts (part of) the people or vehicles passing the zone,
 * the denominator of the zone's probe rate (docs/OD-AND-PRIVACY.md, probe-rate expansion).
 */
export function deriveZoneCounters(
  zones: readonly ReferenceSiteZone[],
  counters: readonly ReferenceSiteCounter[],
): ZoneCounter[] {
  const valid = zones.filter((z) => Array.isArray(z.polygon) && z.polygon.length >= 3 && z.polygon.every(isLonLat));
  const out: ZoneCounter[] = [];
  for (const c of counters) {
    if (!c.line || !isLonLat(c.line.a) || !isLonLat(c.line.b)) continue;
    const mx = (c.line.a[0] + c.line.b[0]) / 2;
    const my = (c.line.a[1] + c.line.b[1]) / 2;
    // Lon/lat directly: point-in-polygon is invariant under the (locally affine) projection.
    const hit = valid.find((z) => inside(mx, my, z.polygon as [number, number][]));
    if (hit) out.push({ zone: hit.id, sensorId: c.id });
  }
  return out;
}

export interface ReferenceSiteCamera {
  id: string;
  /** Counting lines of the camera's junction arms; crossing left → right of a→b is `in` (towards the junction). */
  lines?: readonly { id: string; a: readonly [number, number]; b: readonly [number, number] }[];
}

/** A camera line standing for a zone margin: every mode it counts (`all`) or its motor modes (`motor`). */
export interface CameraArmReference extends DerivedReference {
  /** Count modes the margin sums (the motor classes). */
  modes: readonly string[];
}

/** Largest distance (m) from a camera line to the single-access zone its arm leads into. */
const ARM_MAX_DISTANCE_M = 80;
/** Largest angle between an arm's outward direction and the way to the zone. */
const ARM_MAX_ANGLE_DEG = 45;

/**
 * Camera lines as zone margins (docs/OD-AND-PRIVACY.md, "Camera arms as margins"): a junction camera's arm that
 * leads straight into a single-access zone (gate, parking, station) counts every trip starting there (`in`,
 * towards the junction: origin margin) and ending there (`out`: destination margin). An arm qualifies when its
 * line's midpoint lies in no zone, the zone's polygon is within 80 m of it, and the way to the zone is within 45° of
 * the arm's outward direction (from the mean of the camera's line midpoints through the line's midpoint). Margins
 * already given by a counter (`taken`: `zone|margin|odMode`) are left to the counter; an arm is used for one zone
 * only (the nearest). Motor margins only (the line's motor classes): people on foot or by bike cross an arm's line
 * on their way along the street as well as to and from the zone, so its every-mode count is no zone margin
 * (on dreux-grid it put the `all` total at +458 %).
 */
export function deriveCameraArmReferences(
  zones: readonly ReferenceSiteZone[],
  cameras: readonly ReferenceSiteCamera[],
  taken: ReadonlySet<string> = new Set(),
): CameraArmReference[] {
  const frame = localFrame(zones);
  if (frame === null) return [];
  const { loc, polys } = frame;
  // Nearest point of a polygon's boundary to (x, y).
  const nearest = (x: number, y: number, poly: [number, number][]): [number, number] => {
    let best: [number, number] = poly[0];
    let bd = Number.POSITIVE_INFINITY;
    for (let i = 0, j = poly.length - 1; i < poly.length; j = i++) {
      const [ax, ay] = poly[j];
      const [bx, by] = poly[i];
      const ex = bx - ax;
      const ey = by - ay;
      const l2 = ex * ex + ey * ey;
      const t = l2 > 0 ? Math.max(0, Math.min(1, ((x - ax) * ex + (y - ay) * ey) / l2)) : 0;
      const px = ax + t * ex;
      const py = ay + t * ey;
      const d = (px - x) ** 2 + (py - y) ** 2;
      if (d < bd) {
        bd = d;
        best = [px, py];
      }
    }
    return best;
  };
  const cosMax = Math.cos((ARM_MAX_ANGLE_DEG * Math.PI) / 180);
  const out: CameraArmReference[] = [];
  for (const cam of cameras) {
    const lines = (cam.lines ?? []).filter((l) => isLonLat(l.a) && isLonLat(l.b));
    if (lines.length < 2) continue;
    const mids = lines.map((l) => {
      const a = loc(l.a);
      const b = loc(l.b);
      return { l, a, b, m: [(a[0] + b[0]) / 2, (a[1] + b[1]) / 2] as [number, number] };
    });
    const cx = mids.reduce((s, x) => s + x.m[0], 0) / mids.length;
    const cy = mids.reduce((s, x) => s + x.m[1], 0) / mids.length;
    for (const { l, a, b, m } of mids) {
      if (polys.some((p) => inside(m[0], m[1], p.poly))) continue;
      const ux = m[0] - cx;
      const uy = m[1] - cy;
      const un = Math.hypot(ux, uy);
      if (un === 0) continue;
      let best: { zone: string; d: number } | null = null;
      for (const p of polys) {
        if (!SINGLE_ACCESS.has(p.z.kind ?? '')) continue;
        const q = nearest(m[0], m[1], p.poly);
        const vx = q[0] - m[0];
        const vy = q[1] - m[1];
        const d = Math.hypot(vx, vy);
        if (d > ARM_MAX_DISTANCE_M || (d > 0 && (ux * vx + uy * vy) / (un * d) < cosMax)) continue;
        if (best === null || d < best.d) best = { zone: p.z.id, d };
      }
      if (best === null) continue;
      // `in` = towards the junction = leaving the zone, whichever way the line was drawn: check it against the
      // outward direction (right-hand normal of a→b is (dy, −dx); crossing left → right moves along it).
      const dx = b[0] - a[0];
      const dy = b[1] - a[1];
      const inIsInward = dy * ux - dx * uy < 0;
      const leaving: 'in' | 'out' = inIsInward ? 'in' : 'out';
      const entering: 'in' | 'out' = inIsInward ? 'out' : 'in';
      for (const [margin, direction] of [
        ['origin', leaving],
        ['destination', entering],
      ] as const) {
        if (taken.has(`${best.zone}|${margin}|motor`)) continue;
        out.push({ zone: best.zone, margin, sensorId: l.id, direction, odMode: 'motor', factor: 1, modes: [...MOTOR] });
      }
    }
  }
  return out;
}
