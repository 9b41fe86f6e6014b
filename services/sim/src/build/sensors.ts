/**
 * Sensors of the scenario: cameras at junctions and on pedestrian places (with counting lines, arm zones and
 * calibration pairs from the pinhole model), counters (loops, pedestrian, bike, Telraam) and sighting sites
 * (Wi-Fi / BLE / ANPR) at every zone entry. Geometry is computed in local metres and written as [lon, lat].
 */

import { imageToGround, inImage, type PinholeSpec, projectToImage } from '../camera.ts';
import { crossSegment } from '../geo.ts';
import type {
  CameraSpec as ScenarioCamera,
  CounterSpec as ScenarioCounter,
  ScenarioLine,
  ScenarioZone,
  SightingSiteSpec,
} from '../synth/scenario.ts';
import { type LonLat, type Origin, toLonLat } from './geo.ts';
import { carriesVehicles, edgeHalfWidth, edgeLanesWidth, type NetEdge, type StreetNet } from './network.ts';
import { createRng, type Rng } from './prng.ts';
import type { Mode } from './vtypes.ts';
import type { ZoneDef } from './zones.ts';

type V2 = [number, number];

// The sensors as written into scenario.json: the reader's types (synth/scenario.ts) plus what only the builder
// writes (which side of a counting line is 'in').
export interface CameraLine extends ScenarioLine {
  inDirection: string;
}
export type CameraZone = ScenarioZone;
export interface Camera extends Omit<ScenarioCamera, 'lines'> {
  lines: CameraLine[];
}
export interface Counter extends ScenarioCounter {
  inDirection: string;
}
export type SightingSite = SightingSiteSpec;

export interface Sensors {
  cameras: Camera[];
  counters: Counter[];
  sightingSites: SightingSite[];
  /** Circles (local metres) around which trajectories are kept. */
  keepCircles: { x: number; y: number; r: number }[];
}

const MOTOR: Mode[] = ['car', 'van', 'truck', 'bus', 'motorcycle'];
const ALL: Mode[] = ['pedestrian', 'bicycle', 'motorcycle', 'car', 'van', 'truck', 'bus'];
const IN_LEFT_TO_RIGHT = "crossing left-to-right of a→b counts as 'in'";

function shapeLength(shape: V2[]): number {
  let s = 0;
  for (let i = 1; i < shape.length; i++) s += Math.hypot(shape[i][0] - shape[i - 1][0], shape[i][1] - shape[i - 1][1]);
  return s;
}

/** Point and unit tangent at distance s along a polyline. */
function along(shape: V2[], s: number): { p: V2; t: V2 } {
  let rest = s;
  for (let i = 1; i < shape.length; i++) {
    const [x0, y0] = shape[i - 1];
    const [x1, y1] = shape[i];
    const len = Math.hypot(x1 - x0, y1 - y0);
    if (rest <= len || i === shape.length - 1) {
      const k = Math.min(rest, len) / len;
      return { p: [x0 + k * (x1 - x0), y0 + k * (y1 - y0)], t: [(x1 - x0) / len, (y1 - y0) / len] };
    }
    rest -= len;
  }
  throw new Error('empty shape');
}

/** Bearing (0 = north, clockwise) of a direction vector, degrees in [0, 360). */
function bearing(v: V2): number {
  const b = (Math.atan2(v[0], v[1]) * 180) / Math.PI;
  return (b + 360) % 360;
}

const COMPASS_FR = ['nord', 'nord-est', 'est', 'sud-est', 'sud', 'sud-ouest', 'ouest', 'nord-ouest'];
const COMPASS_ID = ['n', 'ne', 'e', 'se', 's', 'sw', 'w', 'nw'];
const octant = (deg: number): number => Math.round(deg / 45) % 8;

/**
 * Counting line across a road at p, for traffic moving along t: `a` lies `right` metres to the right of the
 * travel direction, `b` lies `left` metres to its left. Moving along t crosses a→b from its left to its right.
 */
function lineAcross(p: V2, t: V2, right: number, left: number): [V2, V2] {
  const l: V2 = [-t[1], t[0]];
  return [
    [p[0] - right * l[0], p[1] - right * l[1]],
    [p[0] + left * l[0], p[1] + left * l[1]],
  ];
}

export interface Arm {
  edge: NetEdge;
  /** Outward unit direction at ~15 m from the junction. */
  u: V2;
  bearing: number;
  halfWidth: number;
}

export function junctionArms(net: StreetNet, node: string): Arm[] {
  return net.edges
    .filter((e) => e.from === node)
    .map((e) => {
      const n = net.node(node);
      const { p } = along(e.shape, Math.min(15, shapeLength(e.shape) / 2));
      const d = Math.hypot(p[0] - n.x, p[1] - n.y);
      const u: V2 = [(p[0] - n.x) / d, (p[1] - n.y) / d];
      return { edge: e, u, bearing: bearing(u), halfWidth: edgeHalfWidth(e) };
    })
    .sort((a, b) => a.bearing - b.bearing);
}

const ZONE_LENGTH_M = 20;

/**
 * Distance from the junction centre where an arm's zone starts: far enough that the rectangles of two arms
 * (street width, along their directions) never overlap, and at least 6 m.
 */
function armClearance(arm: Arm, arms: Arm[]): number {
  let s0 = 6;
  for (const other of arms) {
    if (other === arm) continue;
    const cos = arm.u[0] * other.u[0] + arm.u[1] * other.u[1];
    const theta = Math.acos(Math.max(-1, Math.min(1, cos)));
    if (theta >= Math.PI / 2) {
      s0 = Math.max(s0, other.halfWidth + 0.5);
      continue;
    }
    s0 = Math.max(s0, other.halfWidth / Math.sin(theta) + arm.halfWidth / Math.tan(theta) + 0.5);
  }
  return Math.round(s0 * 10) / 10;
}

/** Where a camera stands and what it is (a camera model: image size, field of view, frame rate). */
export interface CameraSpec {
  id: string;
  name: string;
  /** Junction (node id) the camera looks into, from its widest corner. */
  node: string;
  heightM: number;
  /** Default 100°. */
  hfovDeg?: number;
  /** Default 1920 × 1080. */
  width?: number;
  height?: number;
  /** Default 10. */
  fps?: number;
  /** Distances (m) from the junction centre along the corner's bisector tried for the mast (default 18–34 m). */
  mastDistancesM?: number[];
  /** How the calibration points were taken (default: exact, 3 × 3 grid of image points at z = 0). */
  calibration?: CalibrationSpec;
}

/** Calibration points as an installer clicks them. */
export interface CalibrationSpec {
  /** Image points as shares of width (u) and height (v): every u with every v. */
  us: number[];
  vs: number[];
  /** Only ground points within this distance of the mast (m). Default 90. */
  maxRangeM?: number;
  /** σ of the click error, pixels (rounded to whole pixels). */
  pixelSigma: number;
  /** The clicked map point lies at a height drawn uniformly in ±groundZErrM (kerb, road camber), metres. */
  groundZErrM: number;
}

const EXACT_CALIBRATION: CalibrationSpec = {
  us: [0.15, 0.5, 0.85],
  vs: [0.6, 0.78, 0.95],
  pixelSigma: 0,
  groundZErrM: 0,
};

const CAMERA_SPECS: CameraSpec[] = [
  { id: 'cam-bd-nord', name: 'Boulevard × route de Paris (porte Nord)', node: 'r3a0', heightM: 8 },
  { id: 'cam-bd-est', name: 'Boulevard × route de Sours (porte Est)', node: 'r3a2', heightM: 8 },
  { id: 'cam-bd-sud', name: 'Boulevard × route d’Orléans (porte Sud)', node: 'r3a4', heightM: 8 },
  { id: 'cam-bd-ouest', name: 'Boulevard × route de Courville (porte Ouest)', node: 'r3a6', heightM: 8 },
  { id: 'cam-gare', name: 'Boulevard × avenue de la Gare', node: 'r3a7', heightM: 7 },
  { id: 'cam-parking-ne', name: 'Boulevard × accès Parking Cathédrale Nord', node: 'r3a1', heightM: 7 },
  { id: 'cam-mid-nord', name: 'Rue du Bourg × rue Nord (anneau médian)', node: 'r2a0', heightM: 7 },
  { id: 'cam-mid-est', name: 'Anneau médian × rue Est', node: 'r2a2', heightM: 7 },
  { id: 'cam-marche', name: 'Place du Marché', node: 'r2a5', heightM: 7 },
  { id: 'cam-parvis', name: 'Parvis de la Cathédrale (piéton)', node: 'c', heightM: 6 },
  { id: 'cam-rue-pietonne-sud', name: 'Rue piétonne sud × rue de la Cathédrale', node: 'r1a4', heightM: 6 },
];

const CAM_W = 1920;
const CAM_H = 1080;
const CAM_HFOV = 100;
const MAST_DISTANCES_M = [18, 22, 26, 30, 34];

/**
 * A camera at the widest corner of a junction, looking into it: one line across each visible arm (4 m beyond the
 * start of its zone), one zone rectangle per visible arm, calibration pairs from the pinhole model (with the
 * installer's click and height errors when `spec.calibration` says so, drawn from `rng`). Any street network.
 */
export function buildCamera(
  net: StreetNet,
  origin: Origin,
  spec: CameraSpec,
  rng?: Rng,
): { cam: Camera; pin: PinholeSpec } {
  const n = net.node(spec.node);
  const W = spec.width ?? CAM_W;
  const H = spec.height ?? CAM_H;
  const calib = spec.calibration ?? EXACT_CALIBRATION;
  const arms = junctionArms(net, spec.node);
  // Corner: bisector of the widest angular gap between consecutive arms.
  let best = 0;
  let bestGap = -1;
  for (let i = 0; i < arms.length; i++) {
    const next = arms[(i + 1) % arms.length];
    const gap = (next.bearing - arms[i].bearing + 360) % 360 || 360;
    if (gap > bestGap + 1e-6) {
      bestGap = gap;
      best = i;
    }
  }
  const bis = ((arms[best].bearing + bestGap / 2) * Math.PI) / 180;
  const bisU: V2 = [Math.sin(bis), Math.cos(bis)];
  let chosen: { cam: Camera; pin: PinholeSpec; score: number } | null = null;
  for (const dist of spec.mastDistancesM ?? MAST_DISTANCES_M) {
    const px = n.x + dist * bisU[0];
    const py = n.y + dist * bisU[1];
    const pin: PinholeSpec = {
      x: Math.round(px * 100) / 100,
      y: Math.round(py * 100) / 100,
      mountingHeightM: spec.heightM,
      headingDeg: Math.round(bearing([n.x - px, n.y - py]) * 100) / 100,
      tiltDeg: Math.round(((Math.atan2(spec.heightM, dist) * 180) / Math.PI) * 100) / 100,
      hfovDeg: spec.hfovDeg ?? CAM_HFOV,
      width: W,
      height: H,
    };
    const visible = (p: V2): boolean => inImage(pin, projectToImage(pin, p[0], p[1], 0), 10);
    const lines: CameraLine[] = [];
    const zones: CameraZone[] = [];
    const tags = new Set<string>();
    for (const arm of arms) {
      const o = octant(arm.bearing);
      // Two arms in one compass octant (irregular networks): the second is `<compass>2`.
      let tag = COMPASS_ID[o];
      for (let k = 2; tags.has(tag); k++) tag = `${COMPASS_ID[o]}${k}`;
      tags.add(tag);
      const label = `bras ${COMPASS_FR[o]}`;
      const s0 = armClearance(arm, arms);
      for (const s of [s0 + 4, s0 + 2, s0]) {
        const p: V2 = [n.x + s * arm.u[0], n.y + s * arm.u[1]];
        const [a, b] = lineAcross(p, [-arm.u[0], -arm.u[1]], arm.halfWidth + 0.5, arm.halfWidth + 0.5);
        if (visible(a) && visible(b)) {
          lines.push({
            id: `${spec.id}:l-${tag}`,
            name: `${label} (${arm.edge.id.split('-')[1]})`,
            a: toLonLat(origin, a[0], a[1]),
            b: toLonLat(origin, b[0], b[1]),
            inDirection: `${IN_LEFT_TO_RIGHT} (towards the junction)`,
          });
          break;
        }
      }
      const w = arm.halfWidth;
      const l: V2 = [-arm.u[1], arm.u[0]];
      const at = (s: number, side: number): V2 => [n.x + s * arm.u[0] + side * l[0], n.y + s * arm.u[1] + side * l[1]];
      if (visible(at(s0 + ZONE_LENGTH_M / 2, 0))) {
        const poly = [at(s0, -w), at(s0 + ZONE_LENGTH_M, -w), at(s0 + ZONE_LENGTH_M, w), at(s0, w)];
        zones.push({
          id: `${spec.id}:z-${tag}`,
          name: label,
          polygon: poly.map(([x, y]) => toLonLat(origin, x, y)),
        });
      }
    }
    const calibration = calibrationPairs(pin, origin, calib, rng);
    const cam: Camera = {
      id: spec.id,
      siteId: `site-${spec.node}`,
      name: spec.name,
      position: lonLatObj(toLonLat(origin, pin.x, pin.y)),
      mountingHeightM: pin.mountingHeightM,
      headingDeg: pin.headingDeg,
      tiltDeg: pin.tiltDeg,
      hfovDeg: pin.hfovDeg,
      width: pin.width,
      height: pin.height,
      fps: spec.fps ?? 10,
      lines,
      zones,
      calibration,
    };
    const score = lines.length + zones.length;
    if (!chosen || score > chosen.score) chosen = { cam, pin, score };
    if (lines.length === arms.length && zones.length === arms.length) break;
  }
  if (!chosen || chosen.cam.lines.length < 2 || chosen.cam.zones.length < 3 || chosen.cam.calibration.length < 4)
    throw new Error(`camera ${spec.id}: not enough visible lines/zones/calibration points`);
  return chosen;
}

/**
 * Image ↔ map pairs. Exact: the image point's ground intersection. Clicked: the installer picks a ground feature
 * at height z (±groundZErrM: a kerb, the road's camber) whose map position is exact, and clicks its image
 * position with a Gaussian error, rounded to whole pixels.
 */
function calibrationPairs(pin: PinholeSpec, origin: Origin, c: CalibrationSpec, rng?: Rng): Camera['calibration'] {
  const out: Camera['calibration'] = [];
  const noisy = c.pixelSigma > 0 || c.groundZErrM > 0;
  if (noisy && !rng) throw new Error('calibration noise needs a random stream');
  for (const fv of c.vs)
    for (const fu of c.us) {
      const uv: [number, number] = [Math.round(fu * pin.width), Math.round(fv * pin.height)];
      const g = imageToGround(pin, uv[0], uv[1]);
      if (!g || Math.hypot(g[0] - pin.x, g[1] - pin.y) > (c.maxRangeM ?? 90)) continue;
      if (!noisy || !rng) {
        out.push({ image: uv, map: toLonLat(origin, g[0], g[1]) });
        continue;
      }
      const z = rng.range(-c.groundZErrM, c.groundZErrM);
      const [u, v] = projectToImage(pin, g[0], g[1], z) ?? uv;
      const clicked: [number, number] = [
        Math.min(pin.width - 1, Math.max(0, Math.round(u + rng.normal(0, c.pixelSigma)))),
        Math.min(pin.height - 1, Math.max(0, Math.round(v + rng.normal(0, c.pixelSigma)))),
      ];
      out.push({ image: clicked, map: toLonLat(origin, g[0], g[1]) });
    }
  return out;
}

const lonLatObj = ([lon, lat]: LonLat): { lon: number; lat: number } => ({ lon, lat });

export interface CounterSpec {
  id: string;
  name: string;
  kind: Counter['kind'];
  modes: Mode[];
  edge: string;
  /** Fraction of the edge length where the line lies. */
  at: number;
  /** 'inbound' = the edge's own carriageway; 'carriageway' = both directions; 'full' = kerb to kerb incl. sidewalks. */
  span: 'inbound' | 'carriageway' | 'full';
  faulty?: Counter['faulty'];
}

const COUNTER_SPECS: CounterSpec[] = [
  {
    id: 'loop-porte-nord-in',
    name: 'Boucle route de Paris (entrant)',
    kind: 'loop',
    modes: MOTOR,
    edge: 'gN-r3a0',
    at: 0.5,
    span: 'inbound',
  },
  {
    id: 'loop-porte-est',
    name: 'Boucle route de Sours (2 sens)',
    kind: 'loop',
    modes: MOTOR,
    edge: 'gE-r3a2',
    at: 0.5,
    span: 'carriageway',
    faulty: { type: 'gap', fromS: 1200, toS: 1800 },
  },
  {
    id: 'loop-porte-sud-in',
    name: 'Boucle route d’Orléans (entrant)',
    kind: 'loop',
    modes: MOTOR,
    edge: 'gS-r3a4',
    at: 0.5,
    span: 'inbound',
  },
  {
    id: 'loop-porte-ouest',
    name: 'Boucle route de Courville (2 sens)',
    kind: 'loop',
    modes: MOTOR,
    edge: 'gW-r3a6',
    at: 0.5,
    span: 'carriageway',
  },
  {
    id: 'loop-avenue-nord',
    name: 'Boucle rue Nord (2 sens)',
    kind: 'loop',
    modes: MOTOR,
    edge: 'r3a0-r2a0',
    at: 0.5,
    span: 'carriageway',
  },
  {
    id: 'ped-rue-pietonne-sud',
    name: 'Compteur piétons rue piétonne sud',
    kind: 'pedestrian',
    modes: ['pedestrian'],
    edge: 'r1a4-c',
    at: 0.5,
    span: 'full',
  },
  {
    id: 'ped-gare',
    name: 'Compteur piétons avenue de la Gare',
    kind: 'pedestrian',
    modes: ['pedestrian'],
    edge: 'stn-r3a7',
    at: 0.5,
    span: 'full',
    faulty: { type: 'stuck-zero', fromS: 2400, toS: 3000 },
  },
  {
    id: 'bike-rue-ouest',
    name: 'Compteur vélos rue Ouest',
    kind: 'bike',
    modes: ['bicycle'],
    edge: 'r2a6-r1a6',
    at: 0.5,
    span: 'carriageway',
  },
  {
    id: 'telraam-anneau-est',
    name: 'Telraam anneau médian est',
    kind: 'telraam',
    modes: ALL,
    edge: 'r2a2-r2a3',
    at: 0.5,
    span: 'full',
  },
  // Telraam-like counters (every mode, both directions) at the town gates, beside the loops: the reference
  // counts of the people entering and leaving by each gate, which the Wi-Fi/BLE OD survey is expanded to.
  {
    id: 'telraam-porte-nord',
    name: 'Telraam route de Paris',
    kind: 'telraam',
    modes: ALL,
    edge: 'gN-r3a0',
    at: 0.5,
    span: 'full',
  },
  {
    id: 'telraam-porte-est',
    name: 'Telraam route de Sours',
    kind: 'telraam',
    modes: ALL,
    edge: 'gE-r3a2',
    at: 0.5,
    span: 'full',
  },
  {
    id: 'telraam-porte-sud',
    name: 'Telraam route d’Orléans',
    kind: 'telraam',
    modes: ALL,
    edge: 'gS-r3a4',
    at: 0.5,
    span: 'full',
  },
  {
    id: 'telraam-porte-ouest',
    name: 'Telraam route de Courville',
    kind: 'telraam',
    modes: ALL,
    edge: 'gW-r3a6',
    at: 0.5,
    span: 'full',
  },
];

export function buildCounter(net: StreetNet, origin: Origin, spec: CounterSpec): { counter: Counter; at: V2 } {
  const e = net.edge(spec.edge);
  const { p, t } = along(e.shape, shapeLength(e.shape) * spec.at);
  const lanes = edgeLanesWidth(e);
  const [right, left] =
    spec.span === 'inbound'
      ? [lanes + 0.2, 0.2]
      : spec.span === 'carriageway'
        ? [lanes + 0.2, lanes + 0.2]
        : [edgeHalfWidth(e) + 0.5, edgeHalfWidth(e) + 0.5];
  const [a, b] = lineAcross(p, t, right, left);
  const siteNode = spec.at < 0.5 ? e.from : spec.at > 0.5 ? e.to : null;
  return {
    counter: {
      id: spec.id,
      siteId: siteNode ? `site-${siteNode}` : `site-${spec.id}`,
      name: spec.name,
      kind: spec.kind,
      modes: spec.modes,
      line: { a: toLonLat(origin, a[0], a[1]), b: toLonLat(origin, b[0], b[1]) },
      inDirection: `${IN_LEFT_TO_RIGHT} (travel along ${spec.edge}, from ${e.from} to ${e.to})`,
      ...(spec.faulty ? { faulty: spec.faulty } : {}),
    },
    at: p,
  };
}

function centroid(poly: V2[]): V2 {
  let x = 0;
  let y = 0;
  for (const p of poly) {
    x += p[0];
    y += p[1];
  }
  return [x / poly.length, y / poly.length];
}

/**
 * Sighting sites per zone kind, and their detection radius (m). Every zone has an ANPR camera at its vehicle
 * entry (an ANPR OD survey's cordon: a trip between two zones is read at both ends) and both radios, Wi-Fi and
 * BLE (a footfall sniffer unit listens to both), so an OD pair is observable by every kind of probe. A zone may
 * have a second sniffer of one radio elsewhere (the centre of a square, the entry of a district).
 * Radii of sites added at a point that already has one stay within that point's keep circle, so the kept
 * trajectories (and every video result) do not depend on them.
 */
const SIGHTING_KINDS: Record<
  ZoneDef['kind'],
  { kind: SightingSite['kind']; radiusM: number; where: 'entry' | 'centre' }[]
> = {
  gate: [
    { kind: 'anpr', radiusM: 15, where: 'entry' },
    { kind: 'wifi', radiusM: 40, where: 'entry' },
    { kind: 'ble', radiusM: 25, where: 'entry' },
  ],
  parking: [
    { kind: 'anpr', radiusM: 15, where: 'entry' },
    { kind: 'ble', radiusM: 25, where: 'entry' },
    { kind: 'wifi', radiusM: 25, where: 'entry' },
  ],
  station: [
    { kind: 'anpr', radiusM: 15, where: 'entry' },
    { kind: 'wifi', radiusM: 50, where: 'centre' },
    { kind: 'ble', radiusM: 25, where: 'centre' },
  ],
  // Area zones: a cordon of units where streets cross their boundary (buildSensors), nothing inside.
  square: [],
  district: [],
  core: [],
};

/** Radius (m) around cameras' junctions and counters within which trajectories are kept. */
export const KEEP_RADIUS = { camera: 70, counter: 30, sightingMargin: 5 };

/** A sighting unit of one radio or plate reader at a zone's entry or centre. */
export interface SightingUnit {
  kind: SightingSite['kind'];
  radiusM: number;
  where: 'entry' | 'centre';
}

/** Which sensors a world has: cameras, counters, and per zone its sighting units and cordon. */
export interface SensorLayout {
  cameras: CameraSpec[];
  counters: CounterSpec[];
  /** Units at the zone's entry or centre. */
  sites(zone: ZoneDef): readonly SightingUnit[];
  /**
   * Kinds of the cordon units of an area zone, one unit wherever a street crosses its polygon (ANPR only where
   * vehicles pass); empty: no cordon.
   */
  cordon(zone: ZoneDef): readonly SightingSite['kind'][];
}

const AREA_KINDS: ReadonlySet<ZoneDef['kind']> = new Set(['square', 'district', 'core']);

/** chartres-centre: the dense layout (every zone seen by ANPR, Wi-Fi and BLE). */
export const CHARTRES_LAYOUT: SensorLayout = {
  cameras: CAMERA_SPECS,
  counters: COUNTER_SPECS,
  sites: (z) => SIGHTING_KINDS[z.kind],
  cordon: (z) => (AREA_KINDS.has(z.kind) ? ['wifi', 'ble', 'anpr'] : []),
};

/**
 * Places a layout's sensors on any street network. Calibration noise (when a camera's spec asks for it) is drawn
 * from `createRng(seed, 'calibration:<cameraId>')`.
 */
export function buildSensors(
  net: StreetNet,
  origin: Origin,
  zones: ZoneDef[],
  layout: SensorLayout = CHARTRES_LAYOUT,
  seed = 0,
): Sensors {
  const keepCircles: Sensors['keepCircles'] = [];
  const cameras = layout.cameras.map((spec) => {
    const { cam } = buildCamera(net, origin, spec, createRng(seed, `calibration:${spec.id}`));
    const n = net.node(spec.node);
    keepCircles.push({ x: n.x, y: n.y, r: KEEP_RADIUS.camera });
    return cam;
  });
  const counters = layout.counters.map((spec) => {
    const { counter, at } = buildCounter(net, origin, spec);
    keepCircles.push({ x: at[0], y: at[1], r: KEEP_RADIUS.counter });
    return counter;
  });
  const sightingSites: SightingSite[] = [];
  for (const z of zones)
    for (const k of layout.sites(z)) {
      const p = k.where === 'entry' ? z.entry : (z.centre ?? centroid(z.polygon));
      // The first site of a kind in a zone is `<kind>-<zone>`, a second one `<kind>-<zone>-<where>`.
      const first = !sightingSites.some((x) => x.zoneId === z.id && x.kind === k.kind);
      sightingSites.push({
        id: first ? `${k.kind}-${z.id}` : `${k.kind}-${z.id}-${k.where}`,
        name: `${k.kind.toUpperCase()} ${z.name}`,
        zoneId: z.id,
        kind: k.kind,
        position: lonLatObj(toLonLat(origin, p[0], p[1])),
        radiusM: k.radiusM,
      });
      keepCircles.push({ x: p[0], y: p[1], r: k.radiusM + KEEP_RADIUS.sightingMargin });
    }
  // Cordon of the area zones (squares, districts, the core): a sniffer unit (Wi-Fi and BLE; ANPR where vehicles
  // pass) wherever a street crosses the zone's boundary, so every trip starting or ending inside the zone passes
  // one on its way out or in (an OD survey's cordon). One unit per crossing (both directions of a street).
  for (const z of zones) {
    const cordonKinds = layout.cordon(z);
    if (cordonKinds.length === 0) continue;
    const units: { p: V2; vehicles: boolean }[] = [];
    for (const e of net.edges) {
      for (const p of boundaryCrossings(e.shape, z.polygon)) {
        const near = units.find((u) => Math.hypot(u.p[0] - p[0], u.p[1] - p[1]) < CORDON.mergeM);
        if (near) near.vehicles ||= carriesVehicles(e);
        else units.push({ p, vehicles: carriesVehicles(e) });
      }
    }
    units.sort((a, b) => Math.atan2(a.p[0], a.p[1]) - Math.atan2(b.p[0], b.p[1]) || a.p[0] - b.p[0]);
    units.forEach((u, i) => {
      const kinds: { kind: SightingSite['kind']; radiusM: number }[] = [];
      if (cordonKinds.includes('wifi')) kinds.push({ kind: 'wifi', radiusM: CORDON.radioRadiusM });
      if (cordonKinds.includes('ble')) kinds.push({ kind: 'ble', radiusM: CORDON.radioRadiusM });
      if (u.vehicles && cordonKinds.includes('anpr')) kinds.push({ kind: 'anpr', radiusM: CORDON.anprRadiusM });
      for (const k of kinds) {
        sightingSites.push({
          id: `${k.kind}-${z.id}-c${i + 1}`,
          name: `${k.kind.toUpperCase()} ${z.name} (cordon ${i + 1})`,
          zoneId: z.id,
          kind: k.kind,
          position: lonLatObj(toLonLat(origin, u.p[0], u.p[1])),
          radiusM: k.radiusM,
        });
        keepCircles.push({ x: u.p[0], y: u.p[1], r: k.radiusM + KEEP_RADIUS.sightingMargin });
      }
    });
  }
  return { cameras, counters, sightingSites, keepCircles };
}

/** Cordon units: crossings closer than `mergeM` are one unit; detection radii (m). */
const CORDON = { mergeM: 15, radioRadiusM: 15, anprRadiusM: 12 };

/** Points where a polyline crosses a polygon's boundary (each polygon side as a segment, geo.crossSegment). */
function boundaryCrossings(shape: readonly V2[], poly: readonly V2[]): V2[] {
  const out: V2[] = [];
  const sides = poly.map(([ax, ay], j) => {
    const [bx, by] = poly[(j + 1) % poly.length];
    return { ax, ay, bx, by };
  });
  for (let i = 1; i < shape.length; i++) {
    const [px, py] = shape[i - 1];
    const [qx, qy] = shape[i];
    for (const side of sides) {
      const f = crossSegment(side, px, py, qx, qy);
      if (f >= 0) out.push([px + f * (qx - px), py + f * (qy - py)]);
    }
  }
  return out;
}
