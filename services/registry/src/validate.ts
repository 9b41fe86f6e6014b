/**
 * Validation of a site registry: every error at once, each with its JSON path (RFC 6901 pointer) and a code.
 * Errors make the registry unusable (the loader refuses it); warnings are printed and the registry is used.
 *
 * Checks beyond the JSON Schema (thresholds are exported and documented in docs/SITES.md):
 * - duplicate ids (per collection; line and arm ids over the whole registry; a site id used by two kinds);
 * - unknown references (a sighting site's zone, a controller's cameras, arms and groups);
 * - calibration: degenerate pairs, or an RMS reprojection error above MAX_REPROJECTION_M on the ground or
 *   MAX_REPROJECTION_GROSS_PX in the image (a warning above MAX_REPROJECTION_PX: lens distortion or a misplaced pair);
 * - a line or arm outside its camera's view: above the horizon, with its middle outside the image, or farther
 *   than MAX_VIEW_DISTANCE_M from the camera;
 * - arms of one camera that overlap; polygons that cross themselves or have no area;
 * - signal plans whose greens leave the cycle, are shorter than the group's minimum green, or name unknown groups.
 */
import { fitHomography, type GroundHomography, LocalFrame } from '@passage/core';
import { TypeCompiler } from '@sinclair/typebox/compiler';
import type { LonLat, Registry, RegistryCamera, RegistryCounter } from './model.ts';
import { type RegistryDocument, RegistrySchema } from './schema.ts';

/** Largest RMS reprojection error of a camera calibration, image pixels. */
export const MAX_REPROJECTION_PX = 5;
/** RMS image reprojection error beyond which a calibration is refused whatever its ground error, pixels. */
export const MAX_REPROJECTION_GROSS_PX = 25;
/**
 * Largest RMS reprojection error of a camera calibration on the ground, metres: beyond it a road user's position,
 * hence which side of a line or which arm it is on, is uncertain by more than a metre.
 */
export const MAX_REPROJECTION_M = 1;
/** Two arms of one camera may share at most this share of the smaller one (more: an error; less: a warning). */
export const MAX_ARM_OVERLAP_SHARE = 0.1;
/** Farthest a camera line or arm may lie from its camera, metres. */
export const MAX_VIEW_DISTANCE_M = 200;
/** Modes a counter may list. */
export const COUNTER_MODES = ['pedestrian', 'bicycle', 'motorcycle', 'car', 'van', 'truck', 'bus', 'heavy', 'all'];

export interface Issue {
  path: string;
  code: string;
  message: string;
}

export interface CalibrationReport {
  cameraId: string;
  pairs: number;
  /** RMS reprojection error in the image, pixels (null: the calibration could not be fitted). */
  rmsPx: number | null;
  /** RMS and largest reprojection error on the ground, metres. */
  rmsM: number | null;
  maxErrM: number | null;
}

export interface ValidationResult {
  errors: Issue[];
  warnings: Issue[];
  calibration: CalibrationReport[];
  /** The normalised registry (lines and arms on the map, defaults filled); null when there are errors. */
  registry: Registry | null;
}

const check = TypeCompiler.Compile(RegistrySchema);

const HINTS: Record<string, string> = {
  polygon: 'draw the outline as ≥ 3 [lon, lat] points',
  position: 'give the position as {"lon": …, "lat": …}',
  radiusM: 'give the detection radius in metres',
  calibration: 'give ≥ 4 image ↔ map pairs: [{"image": [u, v], "map": [lon, lat]}, …]',
  zoneId: 'name the OD zone (an id of zones[]) the site belongs to',
  kind: 'give the kind (see docs/SITES.md)',
};

function schemaIssues(doc: unknown): Issue[] {
  const out: Issue[] = [];
  const seen = new Set<string>();
  for (const e of check.Errors(doc)) {
    const path = e.path || '/';
    // One message per path (unions report each branch): the first is the most specific.
    if (seen.has(path)) continue;
    seen.add(path);
    let message = e.message;
    const missing = /Expected required property/.test(e.message);
    const key = path.split('/').pop() ?? '';
    if (missing) message = `"${key}" is missing${HINTS[key] ? `: ${HINTS[key]}` : ''}`;
    else if (/Unexpected property/.test(e.message)) message = `"${key}" is not a registry field (misspelt?)`;
    out.push({ path, code: 'PASSAGE_REGISTRY_SCHEMA', message });
  }
  // Parents of a missing child report "Expected union value" etc.: keep the most specific paths only.
  return out.filter((i) => !out.some((j) => j !== i && j.path.startsWith(`${i.path}/`)));
}

type XY = [number, number];

function cross(o: XY, a: XY, b: XY): number {
  return (a[0] - o[0]) * (b[1] - o[1]) - (a[1] - o[1]) * (b[0] - o[0]);
}

/** Proper intersection of segments p1p2 and q1q2 (touching at an end does not count). */
function segmentsCross(p1: XY, p2: XY, q1: XY, q2: XY): boolean {
  const d1 = cross(q1, q2, p1);
  const d2 = cross(q1, q2, p2);
  const d3 = cross(p1, p2, q1);
  const d4 = cross(p1, p2, q2);
  const eps = 1e-9;
  return ((d1 > eps && d2 < -eps) || (d1 < -eps && d2 > eps)) && ((d3 > eps && d4 < -eps) || (d3 < -eps && d4 > eps));
}

function inside(p: XY, poly: XY[]): boolean {
  let c = false;
  for (let i = 0, j = poly.length - 1; i < poly.length; j = i++) {
    const [xi, yi] = poly[i];
    const [xj, yj] = poly[j];
    if (yi > p[1] !== yj > p[1] && p[0] < ((xj - xi) * (p[1] - yi)) / (yj - yi) + xi) c = !c;
  }
  return c;
}

export function polygonArea(poly: XY[]): number {
  let a = 0;
  for (let i = 0, j = poly.length - 1; i < poly.length; j = i++) a += poly[j][0] * poly[i][1] - poly[i][0] * poly[j][1];
  return a / 2;
}

function selfIntersects(poly: XY[]): boolean {
  const n = poly.length;
  for (let i = 0; i < n; i++) {
    for (let j = i + 2; j < n; j++) {
      if (i === 0 && j === n - 1) continue;
      if (segmentsCross(poly[i], poly[(i + 1) % n], poly[j], poly[(j + 1) % n])) return true;
    }
  }
  return false;
}

/** Two simple polygons share area (an edge crossing, or one inside the other). */
export function polygonsOverlap(a: XY[], b: XY[]): boolean {
  for (let i = 0; i < a.length; i++) {
    for (let j = 0; j < b.length; j++) {
      if (segmentsCross(a[i], a[(i + 1) % a.length], b[j], b[(j + 1) % b.length])) return true;
    }
  }
  const centroid = (p: XY[]): XY => [
    p.reduce((s, q) => s + q[0], 0) / p.length,
    p.reduce((s, q) => s + q[1], 0) / p.length,
  ];
  return inside(centroid(a), b) || inside(centroid(b), a);
}

function isConvex(p: XY[]): boolean {
  let sign = 0;
  for (let i = 0; i < p.length; i++) {
    const c = cross(p[i], p[(i + 1) % p.length], p[(i + 2) % p.length]);
    if (Math.abs(c) < 1e-12) continue;
    if (sign === 0) sign = Math.sign(c);
    else if (Math.sign(c) !== sign) return false;
  }
  return true;
}

/** Area shared by a polygon and a convex polygon (Sutherland–Hodgman clipping). */
function sharedArea(subject: XY[], convex: XY[]): number {
  const ccw = polygonArea(convex) > 0;
  let out = subject;
  for (let i = 0; i < convex.length && out.length > 0; i++) {
    const a = convex[i];
    const b = convex[(i + 1) % convex.length];
    const side = (p: XY) => (ccw ? cross(a, b, p) >= 0 : cross(a, b, p) <= 0);
    const cut = (p: XY, q: XY): XY => {
      const d1 = cross(a, b, p);
      const d2 = cross(a, b, q);
      const t = d1 / (d1 - d2);
      return [p[0] + t * (q[0] - p[0]), p[1] + t * (q[1] - p[1])];
    };
    const src = out;
    out = [];
    for (let k = 0; k < src.length; k++) {
      const p = src[k];
      const q = src[(k + 1) % src.length];
      if (side(q)) {
        if (!side(p)) out.push(cut(p, q));
        out.push(q);
      } else if (side(p)) out.push(cut(p, q));
    }
  }
  return out.length >= 3 ? Math.abs(polygonArea(out)) : 0;
}

/** Shared area of two simple polygons when one is convex, else null (not measured). */
export function overlapArea(a: XY[], b: XY[]): number | null {
  if (isConvex(b)) return sharedArea(a, b);
  if (isConvex(a)) return sharedArea(b, a);
  return null;
}

function duplicates(items: readonly { id: string }[], at: string, what: string, errors: Issue[]): void {
  const first = new Map<string, number>();
  items.forEach((x, i) => {
    const f = first.get(x.id);
    if (f === undefined) first.set(x.id, i);
    else {
      errors.push({
        path: `${at}/${i}/id`,
        code: 'PASSAGE_REGISTRY_DUPLICATE_ID',
        message: `${what} id "${x.id}" is already used at ${at}/${f}: ids must be unique`,
      });
    }
  });
}

const r7 = (v: number): number => Math.round(v * 1e7) / 1e7;

interface CameraGeometry {
  frame: LocalFrame;
  h: GroundHomography;
}

/** Image pixel → [lon, lat] through the camera's homography; null above the horizon. */
function pixelToMap(g: CameraGeometry, p: readonly [number, number]): LonLat | null {
  const out = [0, 0];
  g.h.imageToGround(p[0], p[1], out);
  if (!Number.isFinite(out[0]) || !Number.isFinite(out[1])) return null;
  return [r7(g.frame.lon(out[0])), r7(g.frame.lat(out[1]))];
}

/** [lon, lat] → image pixel; null when the point is behind the camera's ground horizon. */
function mapToPixel(g: CameraGeometry, p: LonLat): [number, number] | null {
  const m = g.h.inv;
  const x = g.frame.x(p[0]);
  const y = g.frame.y(p[1]);
  const w = m[6] * x + m[7] * y + m[8];
  if (!(w > 1e-12)) return null;
  return [(m[0] * x + m[1] * y + m[2]) / w, (m[3] * x + m[4] * y + m[5]) / w];
}

/**
 * Validates a registry document (already in registry form: see `registryFromScenario` for scenario.json) and
 * returns every error and warning, the calibration report, and the normalised registry when it is usable.
 */
export function validateRegistry(doc: unknown): ValidationResult {
  const errors: Issue[] = [];
  const warnings: Issue[] = [];
  const calibration: CalibrationReport[] = [];
  if (doc === null || typeof doc !== 'object' || Array.isArray(doc)) {
    errors.push({ path: '/', code: 'PASSAGE_REGISTRY_SCHEMA', message: 'a registry is a JSON object' });
    return { errors, warnings, calibration, registry: null };
  }
  errors.push(...schemaIssues(doc));
  if (errors.length > 0) {
    // Go on with what can be read, so that one run lists the semantic errors too.
  }
  const d = doc as RegistryDocument;
  const arr = <T>(v: unknown): T[] => (Array.isArray(v) ? (v as T[]) : []);
  const zones = arr<NonNullable<RegistryDocument['zones']>[number]>(d.zones);
  const cameras = arr<NonNullable<RegistryDocument['cameras']>[number]>(d.cameras);
  const counters = arr<NonNullable<RegistryDocument['counters']>[number]>(d.counters);
  const sites = arr<NonNullable<RegistryDocument['sightingSites']>[number]>(d.sightingSites);
  const controllers = arr<NonNullable<RegistryDocument['signalControllers']>[number]>(d.signalControllers);
  const ok = <T extends { id?: unknown }>(x: T): boolean =>
    x !== null && typeof x === 'object' && typeof x.id === 'string';

  duplicates(zones.filter(ok), '/zones', 'zone', errors);
  duplicates(cameras.filter(ok), '/cameras', 'camera', errors);
  duplicates(counters.filter(ok), '/counters', 'counter', errors);
  duplicates(sites.filter(ok), '/sightingSites', 'sighting site', errors);
  duplicates(controllers.filter(ok), '/signalControllers', 'signal controller', errors);

  const isPoint = (p: unknown): p is [number, number] =>
    Array.isArray(p) && p.length === 2 && Number.isFinite(p[0]) && Number.isFinite(p[1]);
  const isRing = (p: unknown): p is [number, number][] =>
    Array.isArray(p) && p.length >= 3 && Array.from(p).every(isPoint);

  // OD zones: simple polygons with an area.
  const zoneIds = new Set<string>();
  zones.forEach((z, i) => {
    if (!ok(z)) return;
    zoneIds.add(z.id);
    if (!isRing(z.polygon)) return; // reported by the schema
    const frame = new LocalFrame({ lon: z.polygon[0][0], lat: Math.max(-89, Math.min(89, z.polygon[0][1])) });
    const local = z.polygon.map((p) => [frame.x(p[0]), frame.y(p[1])] as XY);
    if (Math.abs(polygonArea(local)) < 1) {
      errors.push({
        path: `/zones/${i}/polygon`,
        code: 'PASSAGE_REGISTRY_GEOMETRY',
        message: `zone "${z.id}" has no area (< 1 m²)`,
      });
    } else if (selfIntersects(local)) {
      errors.push({
        path: `/zones/${i}/polygon`,
        code: 'PASSAGE_REGISTRY_GEOMETRY',
        message: `the outline of zone "${z.id}" crosses itself: list its corners in order around it`,
      });
    }
  });

  // Cameras: calibration, lines and arms.
  const geometryIds = new Map<string, string>();
  const siteKind = new Map<string, { kind: string; path: string }>();
  const claimSite = (id: string, kind: string, path: string) => {
    const prev = siteKind.get(id);
    if (prev && prev.kind !== kind) {
      errors.push({
        path,
        code: 'PASSAGE_REGISTRY_DUPLICATE_ID',
        message: `site id "${id}" is also the ${prev.kind} at ${prev.path}: a site id names one kind of place`,
      });
    } else if (!prev) siteKind.set(id, { kind, path });
  };
  for (const z of zones) if (ok(z)) claimSite(z.id, 'OD zone', `/zones/${zones.indexOf(z)}`);
  const normCameras: RegistryCamera[] = [];
  const armsOfCamera = new Map<string, Set<string>>();
  cameras.forEach((c, i) => {
    if (!ok(c)) return;
    const at = `/cameras/${i}`;
    const siteId = typeof c.siteId === 'string' ? c.siteId : `site-${c.id}`;
    claimSite(siteId, 'camera junction', `${at}/siteId`);
    const lines = arr<NonNullable<typeof c.lines>[number]>(c.lines);
    const czones = arr<NonNullable<typeof c.zones>[number]>(c.zones);
    for (const [list, what, key] of [
      [lines, 'line', 'lines'],
      [czones, 'arm', 'zones'],
    ] as const) {
      list.forEach((x, j) => {
        if (!ok(x)) return;
        const prev = geometryIds.get(x.id);
        if (prev) {
          errors.push({
            path: `${at}/${key}/${j}/id`,
            code: 'PASSAGE_REGISTRY_DUPLICATE_ID',
            message: `${what} id "${x.id}" is already used at ${prev}: line and arm ids are unique in the registry`,
          });
        } else geometryIds.set(x.id, `${at}/${key}/${j}`);
      });
    }
    armsOfCamera.set(c.id, new Set(czones.filter(ok).map((z) => z.id)));
    const pos = c.position;
    if (!pos || !Number.isFinite(pos.lon) || !Number.isFinite(pos.lat) || Math.abs(pos.lat) >= 90) return;
    const pairs = arr<{ image: unknown; map: unknown }>(c.calibration).filter(
      (p) => isPoint(p?.image) && isPoint(p?.map),
    );
    if (pairs.length < 4) return; // reported by the schema
    const frame = new LocalFrame({ lon: pos.lon, lat: pos.lat });
    let geo: CameraGeometry | null = null;
    try {
      const fit = fitHomography(
        pairs.map((p) => ({
          image: p.image as [number, number],
          ground: [frame.x((p.map as LonLat)[0]), frame.y((p.map as LonLat)[1])],
        })),
      );
      calibration.push({
        cameraId: c.id,
        pairs: pairs.length,
        rmsPx: fit.rmsPx,
        rmsM: fit.rmsM,
        maxErrM: fit.maxErrM,
      });
      const worst = `worst: pair ${fit.maxErrIndex}, ${fit.maxErrM.toFixed(2)} m`;
      if (!(fit.rmsM <= MAX_REPROJECTION_M && fit.rmsPx <= MAX_REPROJECTION_GROSS_PX)) {
        errors.push({
          path: `${at}/calibration`,
          code: 'PASSAGE_REGISTRY_CALIBRATION_ERROR',
          message:
            `camera "${c.id}": the calibration pairs disagree by ${fit.rmsM.toFixed(2)} m RMS on the ground ` +
            `and ${fit.rmsPx.toFixed(1)} px in the image (limits ${MAX_REPROJECTION_M} m, ${MAX_REPROJECTION_GROSS_PX} px; ${worst}): ` +
            're-measure that pair or remove it',
        });
      } else geo = { frame, h: fit.homography };
      if (geo && fit.rmsPx > MAX_REPROJECTION_PX) {
        warnings.push({
          path: `${at}/calibration`,
          code: 'PASSAGE_REGISTRY_CALIBRATION_ERROR',
          message:
            `camera "${c.id}": the calibration pairs disagree by ${fit.rmsPx.toFixed(1)} px RMS in the image (above ${MAX_REPROJECTION_PX} px; ` +
            `${fit.rmsM.toFixed(2)} m on the ground, ${worst}): lens distortion or a misplaced pair; positions far from the pairs are less sure`,
        });
      }
      if (pairs.length === 4) {
        warnings.push({
          path: `${at}/calibration`,
          code: 'PASSAGE_REGISTRY_CALIBRATION_ERROR',
          message: `camera "${c.id}": 4 pairs always fit exactly, so their error cannot be checked: add 2 or more pairs`,
        });
      }
    } catch (e) {
      calibration.push({ cameraId: c.id, pairs: pairs.length, rmsPx: null, rmsM: null, maxErrM: null });
      errors.push({
        path: `${at}/calibration`,
        code: 'PASSAGE_CALIBRATION_DEGENERATE',
        message: `camera "${c.id}": ${(e as Error).message}`,
      });
    }
    if (!geo) return;
    const g = geo;
    const W = c.width;
    const H = c.height;
    // Checks a map point lies in view; returns the map point (converting image points) or null after an error.
    const toMap = (p: [number, number], space: string | undefined, path: string, what: string): LonLat | null => {
      if (space === 'image') {
        if (W !== undefined && H !== undefined && (p[0] < 0 || p[0] > W || p[1] < 0 || p[1] > H)) {
          errors.push({
            path,
            code: 'PASSAGE_REGISTRY_OUT_OF_VIEW',
            message: `${what}: pixel [${p}] is outside the ${W}×${H} image`,
          });
          return null;
        }
        const m = pixelToMap(g, p);
        if (m === null) {
          errors.push({
            path,
            code: 'PASSAGE_REGISTRY_OUT_OF_VIEW',
            message: `${what}: pixel [${p}] is above the horizon of the calibrated ground plane: draw it on the road surface`,
          });
        }
        return m;
      }
      return [p[0], p[1]];
    };
    const inView = (pts: LonLat[], path: string, what: string): void => {
      const mid: LonLat = [
        pts.reduce((s, p) => s + p[0], 0) / pts.length,
        pts.reduce((s, p) => s + p[1], 0) / pts.length,
      ];
      const dist = Math.hypot(frame.x(mid[0]), frame.y(mid[1]));
      const px = mapToPixel(g, mid);
      let why = '';
      const far = dist >= 10_000 ? `${Math.round(dist / 1000)} km` : `${Math.round(dist)} m`;
      if (dist > MAX_VIEW_DISTANCE_M) why = `it lies ${far} from the camera (limit ${MAX_VIEW_DISTANCE_M} m)`;
      else if (px === null) why = 'it is behind the camera or above its horizon';
      else if (W !== undefined && H !== undefined && (px[0] < 0 || px[0] > W || px[1] < 0 || px[1] > H)) {
        why = `its middle projects to pixel [${Math.round(px[0])}, ${Math.round(px[1])}], outside the ${W}×${H} image`;
      }
      if (why) {
        errors.push({
          path,
          code: 'PASSAGE_REGISTRY_OUT_OF_VIEW',
          message: `${what} is outside the view of camera "${c.id}": ${why}. Check its coordinates (lon/lat order) or its camera`,
        });
      }
    };
    const normLines: RegistryCamera['lines'] = [];
    lines.forEach((l, j) => {
      if (!ok(l) || !isPoint(l.a) || !isPoint(l.b)) return;
      const path = `${at}/lines/${j}`;
      const a = toMap(l.a, l.space, `${path}/a`, `line "${l.id}"`);
      const b = toMap(l.b, l.space, `${path}/b`, `line "${l.id}"`);
      if (!a || !b) return;
      if (Math.hypot(frame.x(a[0]) - frame.x(b[0]), frame.y(a[1]) - frame.y(b[1])) < 0.5) {
        errors.push({
          path,
          code: 'PASSAGE_REGISTRY_GEOMETRY',
          message: `line "${l.id}" is shorter than 0.5 m on the ground`,
        });
        return;
      }
      if (l.space !== 'image') inView([a, b], path, `line "${l.id}"`);
      normLines.push({
        id: l.id,
        name: l.name ?? l.id,
        a,
        b,
        ...(l.inDirection ? { inDirection: l.inDirection } : {}),
      });
    });
    const normZones: RegistryCamera['zones'] = [];
    const localArms: { id: string; j: number; poly: XY[] }[] = [];
    czones.forEach((z, j) => {
      if (!ok(z) || !isRing(z.polygon)) return;
      const path = `${at}/zones/${j}`;
      const poly: LonLat[] = [];
      for (let k = 0; k < z.polygon.length; k++) {
        const m = toMap(z.polygon[k], z.space, `${path}/polygon/${k}`, `arm "${z.id}"`);
        if (!m) return;
        poly.push(m);
      }
      const local = poly.map((p) => [frame.x(p[0]), frame.y(p[1])] as XY);
      if (Math.abs(polygonArea(local)) < 0.5) {
        errors.push({
          path: `${path}/polygon`,
          code: 'PASSAGE_REGISTRY_GEOMETRY',
          message: `arm "${z.id}" has no area on the ground`,
        });
        return;
      }
      if (selfIntersects(local)) {
        errors.push({
          path: `${path}/polygon`,
          code: 'PASSAGE_REGISTRY_GEOMETRY',
          message: `the outline of arm "${z.id}" crosses itself`,
        });
        return;
      }
      if (z.space !== 'image') inView(poly, path, `arm "${z.id}"`);
      for (const o of localArms) {
        if (!polygonsOverlap(o.poly, local)) continue;
        const shared = overlapArea(o.poly, local);
        const share =
          shared === null ? 1 : shared / Math.min(Math.abs(polygonArea(o.poly)), Math.abs(polygonArea(local)));
        const size =
          shared === null ? '' : ` by ${shared.toFixed(1)} m² (${(100 * share).toFixed(1)} % of the smaller)`;
        (share > MAX_ARM_OVERLAP_SHARE ? errors : warnings).push({
          path: `${path}/polygon`,
          code: 'PASSAGE_REGISTRY_OVERLAP',
          message:
            `arms "${o.id}" (${at}/zones/${o.j}) and "${z.id}" of camera "${c.id}" overlap${size}: ` +
            (share > MAX_ARM_OVERLAP_SHARE
              ? `above ${100 * MAX_ARM_OVERLAP_SHARE} %, a road user in both could not be given one movement; shrink them`
              : 'a road user on the shared corner may be seen in both; shrink them'),
        });
      }
      localArms.push({ id: z.id, j, poly: local });
      normZones.push({ id: z.id, name: z.name ?? z.id, polygon: poly });
    });
    const optics: Partial<RegistryCamera> = {};
    for (const k of ['mountingHeightM', 'headingDeg', 'tiltDeg', 'hfovDeg', 'width', 'height', 'fps'] as const) {
      if (c[k] !== undefined) (optics as Record<string, number>)[k] = c[k] as number;
    }
    normCameras.push({
      id: c.id,
      siteId,
      name: c.name ?? c.id,
      position: { lon: pos.lon, lat: pos.lat },
      ...optics,
      calibration: pairs.map((p) => ({ image: p.image as [number, number], map: p.map as LonLat })),
      lines: normLines,
      zones: normZones,
    });
  });

  // Counters.
  const normCounters: RegistryCounter[] = [];
  counters.forEach((c, i) => {
    if (!ok(c)) return;
    const at = `/counters/${i}`;
    const siteId = typeof c.siteId === 'string' ? c.siteId : `site-${c.id}`;
    claimSite(siteId, 'counting site', `${at}/siteId`);
    for (const [j, m] of arr<string>(c.modes).entries()) {
      if (!COUNTER_MODES.includes(m)) {
        warnings.push({
          path: `${at}/modes/${j}`,
          code: 'PASSAGE_REGISTRY_SCHEMA',
          message: `mode "${m}" is not one of ${COUNTER_MODES.join(', ')}: its counts will not be matched to a mode`,
        });
      }
    }
    if (!c.line && !c.position) {
      warnings.push({
        path: at,
        code: 'PASSAGE_REGISTRY_NO_GEOMETRY',
        message: `counter "${c.id}" has no "line" (or "position"): it is stored and exported without a place; add "line": {"a": [lon, lat], "b": [lon, lat]} across the street it counts`,
      });
    }
    normCounters.push({
      id: c.id,
      siteId,
      name: c.name ?? c.id,
      kind: c.kind,
      modes: arr<string>(c.modes),
      ...(c.line ? { line: c.line as { a: LonLat; b: LonLat } } : {}),
      ...(c.position ? { position: c.position } : {}),
      ...(c.inDirection ? { inDirection: c.inDirection } : {}),
      ...(c.source ? { source: c.source } : {}),
    });
  });

  // Sighting sites: their zone must exist.
  sites.forEach((s, i) => {
    if (!ok(s) || typeof s.zoneId !== 'string') return;
    if (!zoneIds.has(s.zoneId)) {
      errors.push({
        path: `/sightingSites/${i}/zoneId`,
        code: 'PASSAGE_REGISTRY_UNKNOWN_REF',
        message: `sighting site "${s.id}" names zone "${s.zoneId}", which is not in zones[]: add the zone with its polygon or fix the id`,
      });
    }
  });

  // Signal controllers: cameras, arms, groups, plans.
  const cameraIds = new Set(cameras.filter(ok).map((c) => c.id));
  controllers.forEach((sc, i) => {
    if (!ok(sc)) return;
    const at = `/signalControllers/${i}`;
    const cams = arr<string>(sc.cameraIds);
    cams.forEach((id, j) => {
      if (!cameraIds.has(id)) {
        errors.push({
          path: `${at}/cameraIds/${j}`,
          code: 'PASSAGE_REGISTRY_UNKNOWN_REF',
          message: `camera "${id}" is not in cameras[]`,
        });
      }
    });
    const arms = new Set<string>();
    for (const id of cams.length ? cams : [...cameraIds]) for (const a of armsOfCamera.get(id) ?? []) arms.add(a);
    const groups = arr<NonNullable<typeof sc.signalGroups>[number]>(sc.signalGroups);
    duplicates(groups.filter(ok), `${at}/signalGroups`, 'signal group', errors);
    const groupIds = new Map(groups.filter(ok).map((g) => [g.id, g]));
    groups.forEach((g, j) => {
      arr<{ from: string; to: string }>(g?.movements).forEach((m, k) => {
        for (const end of ['from', 'to'] as const) {
          if (typeof m?.[end] === 'string' && !arms.has(m[end])) {
            errors.push({
              path: `${at}/signalGroups/${j}/movements/${k}/${end}`,
              code: 'PASSAGE_REGISTRY_UNKNOWN_REF',
              message: `arm "${m[end]}" is not an arm (zones[] id) of the controller's cameras`,
            });
          }
        }
      });
    });
    const approaches = arr<NonNullable<typeof sc.approaches>[number]>(sc.approaches);
    const lanesOfArm = new Map<string, number>();
    approaches.forEach((a, j) => {
      if (typeof a?.arm !== 'string') return;
      if (!arms.has(a.arm)) {
        errors.push({
          path: `${at}/approaches/${j}/arm`,
          code: 'PASSAGE_REGISTRY_UNKNOWN_REF',
          message: `arm "${a.arm}" is not an arm (zones[] id) of the controller's cameras`,
        });
      }
      if (Array.isArray(a.laneStorageM)) lanesOfArm.set(a.arm, a.laneStorageM.length);
    });
    groups.forEach((g, j) => {
      arr<{ from: string; lanes?: number[] }>(g?.movements).forEach((m, k) => {
        const n = lanesOfArm.get(m?.from);
        const bad = n === undefined ? undefined : arr<number>(m?.lanes).find((l) => l >= n);
        if (bad !== undefined) {
          errors.push({
            path: `${at}/signalGroups/${j}/movements/${k}/lanes`,
            code: 'PASSAGE_REGISTRY_UNKNOWN_REF',
            message: `lane ${bad} of arm "${m.from}" does not exist: its approach lists ${n} lane(s) in laneStorageM`,
          });
        }
      });
    });
    arr<{ from: string; to: string }>(sc.intergreens).forEach((ig, j) => {
      for (const end of ['from', 'to'] as const) {
        if (typeof ig?.[end] === 'string' && !groupIds.has(ig[end])) {
          errors.push({
            path: `${at}/intergreens/${j}/${end}`,
            code: 'PASSAGE_REGISTRY_UNKNOWN_REF',
            message: `signal group "${ig[end]}" is not in signalGroups[]`,
          });
        }
      }
    });
    arr<NonNullable<typeof sc.plans>[number]>(sc.plans).forEach((p, j) => {
      arr<{ group: string; startS: number; endS: number }>(p?.greens).forEach((gr, k) => {
        const path = `${at}/plans/${j}/greens/${k}`;
        const g = groupIds.get(gr?.group);
        if (!g) {
          errors.push({
            path: `${path}/group`,
            code: 'PASSAGE_REGISTRY_UNKNOWN_REF',
            message: `signal group "${gr?.group}" is not in signalGroups[]`,
          });
          return;
        }
        if (!(gr.endS > gr.startS) || gr.endS > p.cycleS) {
          errors.push({
            path,
            code: 'PASSAGE_REGISTRY_GEOMETRY',
            message: `green of "${gr.group}" must satisfy startS < endS ≤ cycleS (${p.cycleS} s)`,
          });
        } else if (g.minGreenS !== undefined && gr.endS - gr.startS < g.minGreenS) {
          errors.push({
            path,
            code: 'PASSAGE_REGISTRY_GEOMETRY',
            message: `green of "${gr.group}" lasts ${gr.endS - gr.startS} s, below its minimum green ${g.minGreenS} s`,
          });
        }
      });
    });
  });

  if (errors.length > 0) return { errors, warnings, calibration, registry: null };
  // Map origin: given, else the first camera, zone, sighting site or placed counter; (0, 0) for a registry without any place.
  const placed = normCounters.find((c) => c.line || c.position);
  const origin = d.origin ??
    normCameras[0]?.position ??
    (zones[0] ? { lon: zones[0].polygon[0][0], lat: zones[0].polygon[0][1] } : undefined) ??
    sites[0]?.position ??
    (placed?.line ? { lon: placed.line.a[0], lat: placed.line.a[1] } : placed?.position) ?? { lon: 0, lat: 0 };
  const registry: Registry = {
    name: d.name ?? 'registry',
    timezone: d.timezone ?? 'UTC',
    origin,
    zones: zones.map((z) => ({
      id: z.id,
      name: z.name ?? z.id,
      kind: z.kind ?? 'other',
      polygon: z.polygon as LonLat[],
    })),
    cameras: normCameras,
    counters: normCounters,
    sightingSites: sites.map((s) => ({ ...s, name: s.name ?? s.id })),
    signalControllers: controllers,
  };
  return { errors, warnings, calibration, registry };
}
