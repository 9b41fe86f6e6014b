/**
 * Reads the street geometry of a SUMO network file (`net.xml`, as netconvert writes it) into a `StreetNet`: junction
 * positions and types, and per edge its centre line (the edge's `shape`, else the straight line between its
 * junctions), its vehicle lanes, lane width and sidewalk width. Internal edges, crossings and walking areas are left
 * out. Parsed with fast-xml-parser, entities not expanded (ids are read as written).
 */
import { XMLParser } from 'fast-xml-parser';
import { type EdgeGeom, LANE_WIDTH_M, type NetEdge, type NetNode, type StreetNet, streetNet } from './network.ts';

/** A maintained XML parser (fast-xml-parser), attributes as plain strings, entity processing off. */
const parser = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: '',
  processEntities: false,
  parseAttributeValue: false,
  isArray: (_name: string, _path: unknown, _leaf: boolean, isAttribute: boolean) => !isAttribute,
});

/** An element: its attributes (strings) and child elements (arrays, by tag). */
export type XmlElement = Record<string, string | XmlElement[] | undefined>;

/** The elements `<tag …>` directly under the root element `root` of an XML text. */
export function xmlElements(xml: string, root: string, tag: string): XmlElement[] {
  const doc = parser.parse(xml) as Record<string, XmlElement[]>;
  const top = doc[root]?.[0];
  const list = top?.[tag];
  return Array.isArray(list) ? list : [];
}

/** An attribute's value (undefined when absent). */
export const attr = (e: XmlElement, name: string): string | undefined => {
  const v = e[name];
  return typeof v === 'string' ? v : undefined;
};

/** Parses `x1,y1 x2,y2 …`. */
export function parseShape(s: string): [number, number][] {
  return s
    .trim()
    .split(/\s+/)
    .map((p) => {
      const [x, y] = p.split(',').map(Number);
      return [x, y] as [number, number];
    });
}

export interface NetXmlLane {
  index: number;
  allow: string;
  disallow: string;
  width: number;
  length: number;
}

export interface NetXml {
  net: StreetNet;
  /** Length of each edge's first lane (its sidewalk when it has one), metres. */
  laneLengths: Map<string, number>;
  lanes: Map<string, NetXmlLane[]>;
}

const PEDESTRIAN_ONLY = (l: NetXmlLane): boolean => l.allow.trim() === 'pedestrian';

export function parseNetXml(xml: string): NetXml {
  const nodes: NetNode[] = [];
  for (const j of xmlElements(xml, 'net', 'junction')) {
    const id = attr(j, 'id');
    const type = attr(j, 'type');
    if (type === 'internal' || !id || id.startsWith(':')) continue;
    nodes.push({ id, x: Number(attr(j, 'x')), y: Number(attr(j, 'y')), type: type as NetNode['type'] });
  }
  const pos = new Map(nodes.map((n) => [n.id, [n.x, n.y] as [number, number]]));
  const edges: NetEdge[] = [];
  const laneLengths = new Map<string, number>();
  const lanesByEdge = new Map<string, NetXmlLane[]>();
  for (const el of xmlElements(xml, 'net', 'edge')) {
    const fn = attr(el, 'function');
    if (fn !== undefined && fn !== 'normal') continue;
    const a = { id: attr(el, 'id'), from: attr(el, 'from'), to: attr(el, 'to'), shape: attr(el, 'shape') };
    if (!a.id || a.id.startsWith(':') || !a.from || !a.to) continue;
    const laneEls = Array.isArray(el.lane) ? el.lane : [];
    const lanes: NetXmlLane[] = laneEls.map((la) => {
      const width = attr(la, 'width');
      return {
        index: Number(attr(la, 'index')),
        allow: attr(la, 'allow') ?? '',
        disallow: attr(la, 'disallow') ?? '',
        width: width === undefined ? LANE_WIDTH_M : Number(width),
        length: Number(attr(la, 'length')),
      };
    });
    lanes.sort((p, q) => p.index - q.index);
    const from = pos.get(a.from);
    const to = pos.get(a.to);
    if (!from || !to) throw new Error(`net.xml: edge ${a.id} joins unknown junctions ${a.from}, ${a.to}`);
    const vehicleLanes = lanes.filter((l) => !PEDESTRIAN_ONLY(l));
    const sidewalk = lanes.find(PEDESTRIAN_ONLY);
    const onlyWalk = vehicleLanes.length === 0;
    const geom: EdgeGeom = {
      lanes: onlyWalk ? 1 : vehicleLanes.length,
      laneWidth: onlyWalk ? (sidewalk?.width ?? LANE_WIDTH_M) : vehicleLanes[0].width,
      sidewalk: onlyWalk ? 0 : (sidewalk?.width ?? 0),
      vehicles: !onlyWalk,
    };
    edges.push({
      id: a.id,
      from: a.from,
      to: a.to,
      cls: onlyWalk ? 'pedestrian' : 'street',
      shape: a.shape ? parseShape(a.shape) : [from, to],
      geom,
    });
    if (lanes.length > 0) laneLengths.set(a.id, lanes[0].length);
    lanesByEdge.set(a.id, lanes);
  }
  return { net: streetNet(nodes, edges), laneLengths, lanes: lanesByEdge };
}
