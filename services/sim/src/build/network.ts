/**
 * Synthetic radial-concentric street network in the image of Chartres' old town: a pedestrian core around the
 * cathedral, two inner rings of streets, the ring of boulevards, and radial arms every 45°. Gate roads leave the
 * ring towards N/E/S/W; stubs lead to the station (NW) and two car parks (NE, SE).
 * Coordinates are local metres (x east, y north) around the scenario origin. netconvert keeps them as they are
 * (`--offset.disable-normalization`), so SUMO's x/y are the scenario's local frame.
 */

export interface NetNode {
  id: string;
  x: number;
  y: number;
  type: 'priority' | 'traffic_light' | 'dead_end' | 'right_before_left';
}

export type RoadClass = 'boulevard' | 'gate' | 'avenue' | 'street' | 'lane' | 'shared' | 'pedestrian' | 'stub';

export interface NetEdge {
  id: string;
  from: string;
  to: string;
  cls: RoadClass;
  /** Polyline in local metres, first point = from node, last = to node. */
  shape: [number, number][];
  /**
   * Cross-section read from a SUMO net.xml (netgenerate worlds): vehicle lanes, their width, the sidewalk width and
   * whether vehicles may use the edge. Absent on the hand-built network, whose cross-section is `ROAD_SPECS[cls]`.
   */
  geom?: EdgeGeom;
}

export interface EdgeGeom {
  lanes: number;
  laneWidth: number;
  sidewalk: number;
  vehicles: boolean;
}

interface RoadSpec {
  lanes: number;
  speed: number;
  priority: number;
  sidewalk: number;
  allow?: string;
  width?: number;
}

/** Lane counts, speeds (m/s), priorities and sidewalk widths (m) per road class. */
export const ROAD_SPECS: Record<RoadClass, RoadSpec> = {
  boulevard: { lanes: 2, speed: 13.89, priority: 10, sidewalk: 3 },
  gate: { lanes: 2, speed: 13.89, priority: 9, sidewalk: 2.5 },
  avenue: { lanes: 2, speed: 13.89, priority: 8, sidewalk: 2.5 },
  street: { lanes: 1, speed: 8.33, priority: 6, sidewalk: 2 },
  lane: { lanes: 1, speed: 8.33, priority: 4, sidewalk: 2 },
  shared: { lanes: 1, speed: 5.56, priority: 3, sidewalk: 2 },
  stub: { lanes: 1, speed: 8.33, priority: 5, sidewalk: 2 },
  // Pedestrian street (cathedral close): one 6 m walkway per direction, pedestrians only.
  pedestrian: { lanes: 1, speed: 5.56, priority: 2, sidewalk: 0, allow: 'pedestrian', width: 6 },
};

/** Lane width used by netconvert (default 3.2 m). */
export const LANE_WIDTH_M = 3.2;

/** Width of one lane of this class, metres. */
export function laneWidth(cls: RoadClass): number {
  return ROAD_SPECS[cls].width ?? LANE_WIDTH_M;
}

/** Half of the paved width (carriageway both ways + sidewalks) of a two-way road of this class, metres. */
export function roadHalfWidth(cls: RoadClass): number {
  const s = ROAD_SPECS[cls];
  return s.lanes * laneWidth(cls) + s.sidewalk;
}

/** Width of the vehicle lanes of one direction of the edge, metres. */
export function edgeLanesWidth(e: NetEdge): number {
  return e.geom ? e.geom.lanes * e.geom.laneWidth : ROAD_SPECS[e.cls].lanes * laneWidth(e.cls);
}

/** Half of the paved width of the street the edge belongs to (its carriageway and sidewalk), metres. */
export function edgeHalfWidth(e: NetEdge): number {
  return e.geom ? e.geom.lanes * e.geom.laneWidth + e.geom.sidewalk : roadHalfWidth(e.cls);
}

/** True when vehicles (not only pedestrians) use the edge. */
export function carriesVehicles(e: NetEdge): boolean {
  return e.geom ? e.geom.vehicles : e.cls !== 'pedestrian';
}

export interface NetworkOptions {
  /** Radii of the three circles (core ring, middle ring, boulevards), metres. */
  radii?: [number, number, number];
  /** Radius of the gate nodes (end of the gate roads), metres. */
  gateRadius?: number;
  /** Radius of the station and car-park stub ends, metres. */
  stubRadius?: number;
}

export const ARMS = 8;
export const COMPASS = ['N', 'NE', 'E', 'SE', 'S', 'SW', 'W', 'NW'] as const;

/** Any street network: nodes, directed edges (ids `<from>-<to>`), lookups. */
export interface StreetNet {
  nodes: NetNode[];
  edges: NetEdge[];
  node(id: string): NetNode;
  edge(id: string): NetEdge;
}

/** The radial-concentric network of chartres-centre. */
export interface Network extends StreetNet {
  radii: [number, number, number];
  gateRadius: number;
  stubRadius: number;
}

/** Lookups over nodes and edges. */
export function streetNet(nodes: NetNode[], edges: NetEdge[]): StreetNet {
  const byId = new Map(nodes.map((n) => [n.id, n]));
  const edgeById = new Map(edges.map((e) => [e.id, e]));
  return {
    nodes,
    edges,
    node(id) {
      const n = byId.get(id);
      if (!n) throw new Error(`unknown node ${id}`);
      return n;
    },
    edge(id) {
      const e = edgeById.get(id);
      if (!e) throw new Error(`unknown edge ${id}`);
      return e;
    },
  };
}

/** Point at compass bearing `deg` (0 = north, clockwise) and radius r. */
export function polar(r: number, deg: number): [number, number] {
  const a = (deg * Math.PI) / 180;
  return [round2(r * Math.sin(a)), round2(r * Math.cos(a))];
}

function round2(v: number): number {
  return Math.round(v * 100) / 100;
}

export const ringNode = (ring: number, arm: number): string => `r${ring}a${((arm % ARMS) + ARMS) % ARMS}`;
export const GATE_ARMS: Record<'N' | 'E' | 'S' | 'W', number> = { N: 0, E: 2, S: 4, W: 6 };
export const STUBS = {
  station: { arm: 7, node: 'stn' },
  parkNE: { arm: 1, node: 'pk1' },
  parkSE: { arm: 3, node: 'pk2' },
};

export function buildNetwork(opts: NetworkOptions = {}): Network {
  const radii = opts.radii ?? [120, 250, 380];
  const gateRadius = opts.gateRadius ?? 600;
  const stubRadius = opts.stubRadius ?? 470;
  const nodes: NetNode[] = [];
  const edges: NetEdge[] = [];
  const byId = new Map<string, NetNode>();
  const addNode = (id: string, x: number, y: number, type: NetNode['type']): void => {
    const n = { id, x, y, type };
    nodes.push(n);
    byId.set(id, n);
  };
  const straight = (from: string, to: string, cls: RoadClass): void => {
    const a = byId.get(from);
    const b = byId.get(to);
    if (!a || !b) throw new Error(`unknown node ${from} or ${to}`);
    edges.push({
      id: `${from}-${to}`,
      from,
      to,
      cls,
      shape: [
        [a.x, a.y],
        [b.x, b.y],
      ],
    });
    edges.push({
      id: `${to}-${from}`,
      from: to,
      to: from,
      cls,
      shape: [
        [b.x, b.y],
        [a.x, a.y],
      ],
    });
  };
  const arc = (ring: number, arm: number, cls: RoadClass): void => {
    const r = radii[ring - 1];
    const from = ringNode(ring, arm);
    const to = ringNode(ring, arm + 1);
    const pts: [number, number][] = [];
    const steps = 8;
    for (let i = 0; i <= steps; i++) pts.push(polar(r, (arm + i / steps) * (360 / ARMS)));
    edges.push({ id: `${from}-${to}`, from, to, cls, shape: pts });
    edges.push({ id: `${to}-${from}`, from: to, to: from, cls, shape: [...pts].reverse() });
  };

  addNode('c', 0, 0, 'priority');
  const gateArms = new Set(Object.values(GATE_ARMS));
  for (let ring = 1; ring <= 3; ring++) {
    for (let arm = 0; arm < ARMS; arm++) {
      const [x, y] = polar(radii[ring - 1], arm * 45);
      // Signals where the boulevards meet the gate roads, and on the middle ring at the main avenues.
      const tls = ((ring === 3 || ring === 2) && gateArms.has(arm)) || (ring === 3 && arm === STUBS.station.arm);
      addNode(ringNode(ring, arm), x, y, tls ? 'traffic_light' : ring === 1 ? 'right_before_left' : 'priority');
    }
  }
  for (const [name, arm] of Object.entries(GATE_ARMS)) {
    const [x, y] = polar(gateRadius, arm * 45);
    addNode(`g${name}`, x, y, 'priority');
  }
  for (const s of Object.values(STUBS)) {
    const [x, y] = polar(stubRadius, s.arm * 45);
    addNode(s.node, x, y, 'priority');
  }

  for (let arm = 0; arm < ARMS; arm++) {
    straight('c', ringNode(1, arm), 'pedestrian');
    straight(ringNode(1, arm), ringNode(2, arm), gateArms.has(arm) ? 'street' : 'lane');
    straight(ringNode(2, arm), ringNode(3, arm), gateArms.has(arm) ? 'avenue' : 'street');
    arc(1, arm, 'shared');
    arc(2, arm, 'street');
    arc(3, arm, 'boulevard');
  }
  for (const [name, arm] of Object.entries(GATE_ARMS)) straight(ringNode(3, arm), `g${name}`, 'gate');
  for (const s of Object.values(STUBS)) straight(ringNode(3, s.arm), s.node, 'stub');

  return { radii, gateRadius, stubRadius, ...streetNet(nodes, edges) };
}

const fmt = (v: number): string => (Math.round(v * 100) / 100).toFixed(2);

export function nodesXml(net: StreetNet): string {
  const lines = ['<?xml version="1.0" encoding="UTF-8"?>', '<nodes>'];
  for (const n of net.nodes) lines.push(`  <node id="${n.id}" x="${fmt(n.x)}" y="${fmt(n.y)}" type="${n.type}"/>`);
  lines.push('</nodes>', '');
  return lines.join('\n');
}

export function edgesXml(net: StreetNet): string {
  const lines = ['<?xml version="1.0" encoding="UTF-8"?>', '<edges>'];
  for (const e of net.edges) {
    const s = ROAD_SPECS[e.cls];
    const shape = e.shape.length > 2 ? ` shape="${e.shape.map(([x, y]) => `${fmt(x)},${fmt(y)}`).join(' ')}"` : '';
    const allow = s.allow ? ` allow="${s.allow}"` : '';
    const width = s.width ? ` width="${s.width}"` : '';
    const sidewalk = s.sidewalk > 0 ? ` sidewalkWidth="${s.sidewalk}"` : '';
    lines.push(
      `  <edge id="${e.id}" from="${e.from}" to="${e.to}" numLanes="${s.lanes}" speed="${s.speed}" priority="${s.priority}"${allow}${width}${sidewalk}${shape}/>`,
    );
  }
  lines.push('</edges>', '');
  return lines.join('\n');
}
