/**
 * Signal controllers of a SUMO network (`tlLogic` + the `connection`s that name a `tl` and `linkIndex`) as
 * Passage `SignalController`s, their approaches tied to the camera arms that watch them, and proposed plans
 * written back as a SUMO additional file of `tlLogic`s that `sumo -a` loads over the network.
 *
 * Parsed with fast-xml-parser (entities off: SUMO files carry none, and nothing external is ever resolved).
 * Coordinates: the scenario's local frame is SUMO's x/y (infra/scenarios/README.md), so camera zones in
 * [lon, lat] are converted with the scenario origin before matching.
 */
import {
  planControl,
  pointInPolygon,
  type SignalController,
  type SignalLink,
  type SignalPhase,
  type Turn,
} from '@passage/core';
import { XMLParser } from 'fast-xml-parser';
import { type Origin, toLocal } from '../build/geo.ts';

export interface NetEdgeInfo {
  id: string;
  from: string;
  to: string;
  /** Centre line of its rightmost vehicle lane (local metres). */
  shape: [number, number][];
  /** Length and speed limit of that lane, metres and m/s. */
  lengthM: number;
  speedMps: number;
}

export interface SumoTls {
  controller: SignalController;
  /** Junction (SUMO node) the program controls; for joined programs, the first one. */
  junction: string;
  programId: string;
  type: string;
  /** Incoming and outgoing edges of its vehicle links. */
  incoming: string[];
  outgoing: string[];
}

export interface SumoNet {
  tls: SumoTls[];
  edges: Map<string, NetEdgeInfo>;
  junctions: Map<string, { x: number; y: number; type: string }>;
}

const asArray = <T>(v: T | T[] | undefined): T[] => (v === undefined ? [] : Array.isArray(v) ? v : [v]);

interface XmlNode {
  [key: string]: string | XmlNode | XmlNode[];
}

/**
 * Reads the signal programs and the geometry needed to place them from a `net.xml` text (or the `tlLogic`s of an
 * additional file, without geometry).
 */
export function readSumoNet(xml: string): SumoNet {
  const parser = new XMLParser({
    ignoreAttributes: false,
    attributeNamePrefix: '',
    processEntities: false,
    allowBooleanAttributes: true,
    parseAttributeValue: false,
  });
  const doc = parser.parse(xml) as { net?: XmlNode; additional?: XmlNode };
  const net = doc.net ?? doc.additional ?? {};
  const edges = new Map<string, NetEdgeInfo>();
  const laneLength = new Map<string, number>();
  /** Pedestrian crossing edge → its length (the crossing's), metres. */
  const crossingLength = new Map<string, number>();
  for (const e of asArray(net.edge as XmlNode | XmlNode[])) {
    const id = String(e.id);
    if (e.function === 'crossing') {
      const lane = asArray(e.lane as XmlNode | XmlNode[])[0];
      if (lane?.length !== undefined) crossingLength.set(id, Number(lane.length));
    }
    if (id.startsWith(':') || (e.function !== undefined && e.function !== 'normal')) continue;
    const lanes = asArray(e.lane as XmlNode | XmlNode[]);
    for (const l of lanes) if (l.length !== undefined) laneLength.set(String(l.id), Number(l.length));
    const vehicleLane = lanes.find((l) => String(l.allow ?? '') !== 'pedestrian') ?? lanes[0];
    const shape = String(vehicleLane?.shape ?? '')
      .trim()
      .split(/\s+/)
      .filter(Boolean)
      .map((p) => p.split(',').map(Number) as [number, number]);
    edges.set(id, {
      id,
      from: String(e.from),
      to: String(e.to),
      shape,
      lengthM: Number(vehicleLane?.length ?? 0),
      speedMps: Number(vehicleLane?.speed ?? 13.89),
    });
  }
  const junctions = new Map<string, { x: number; y: number; type: string }>();
  for (const j of asArray(net.junction as XmlNode | XmlNode[])) {
    const id = String(j.id);
    if (id.startsWith(':')) continue;
    junctions.set(id, { x: Number(j.x), y: Number(j.y), type: String(j.type) });
  }
  // Neighbouring nodes of each node: an approach whose upstream node has a single neighbour enters the network
  // there (its queue waits outside); any other approach is fed by a junction its queue can block.
  const neighbours = new Map<string, Set<string>>();
  for (const e of edges.values()) {
    for (const [a, b] of [
      [e.from, e.to],
      [e.to, e.from],
    ]) {
      const n = neighbours.get(a) ?? new Set<string>();
      n.add(b);
      neighbours.set(a, n);
    }
  }
  const conns = asArray(net.connection as XmlNode | XmlNode[]).filter((c) => c.tl !== undefined);
  const tls: SumoTls[] = [];
  for (const t of asArray(net.tlLogic as XmlNode | XmlNode[])) {
    const id = String(t.id);
    const phases: SignalPhase[] = asArray(t.phase as XmlNode | XmlNode[]).map((p) => ({
      durationS: Number(p.duration),
      state: String(p.state),
    }));
    const links: SignalLink[] = [];
    const incoming = new Set<string>();
    const outgoing = new Set<string>();
    let junction = '';
    for (const c of conns) {
      if (String(c.tl) !== id) continue;
      const from = String(c.from);
      const to = String(c.to);
      const pedestrian = from.startsWith(':') || to.startsWith(':');
      links.push({
        index: Number(c.linkIndex),
        from,
        to,
        lane: `${from}_${c.fromLane}`,
        turn: String(c.dir) as Turn,
        pedestrian,
        storageM: pedestrian ? undefined : laneLength.get(`${from}_${c.fromLane}`),
        crossingM: pedestrian ? crossingLength.get(to) : undefined,
        fedByJunction: pedestrian ? undefined : (neighbours.get(edges.get(from)?.from ?? '')?.size ?? 0) >= 2,
      });
      if (!pedestrian) {
        incoming.add(from);
        outgoing.add(to);
        junction ||= edges.get(from)?.to ?? '';
      }
    }
    links.sort((a, b) => a.index - b.index);
    tls.push({
      controller: { id, links, phases, offsetS: Number(t.offset ?? 0) },
      junction: junction || id,
      programId: String(t.programID ?? '0'),
      type: String(t.type ?? 'static'),
      incoming: [...incoming],
      outgoing: [...outgoing],
    });
  }
  return { tls, edges, junctions };
}

/** Point at `distM` from the start (or, negative, from the end) of a polyline. */
export function pointAlong(shape: readonly [number, number][], distM: number): [number, number] {
  const pts = distM >= 0 ? shape : [...shape].reverse();
  let left = Math.abs(distM);
  for (let i = 1; i < pts.length; i++) {
    const [x0, y0] = pts[i - 1];
    const [x1, y1] = pts[i];
    const len = Math.hypot(x1 - x0, y1 - y0);
    if (len >= left) {
      const f = len > 0 ? left / len : 0;
      return [x0 + (x1 - x0) * f, y0 + (y1 - y0) * f];
    }
    left -= len;
  }
  return pts[pts.length - 1];
}

export interface CameraArms {
  id: string;
  zones: { id: string; polygon: [number, number][] }[];
}

export interface TlsCoverage {
  tls: SumoTls;
  camera: string;
  /** Camera zone id → the edge entering the junction from that arm / leaving it into that arm. */
  inEdgeOfZone: Map<string, string>;
  outEdgeOfZone: Map<string, string>;
  /** Incoming edges with no camera zone: their movements are not measured. */
  unobservedIncoming: string[];
}

/**
 * Which camera watches which signalised junction, arm by arm: a point 12 m (then 20, 30 m) before the end of each
 * incoming edge, and after the start of each outgoing edge, is looked up in the camera's zone polygons. A junction
 * is covered by the camera that matches most of its incoming edges (at least two).
 */
export function matchCamerasToTls(net: SumoNet, cameras: readonly CameraArms[], origin: Origin): TlsCoverage[] {
  const local = cameras.map((c) => ({
    id: c.id,
    zones: c.zones.map((z) => {
      const pts = z.polygon.map(([lon, lat]) => toLocal(origin, lon, lat));
      return { id: z.id, xs: pts.map((q) => q[0]), ys: pts.map((q) => q[1]) };
    }),
  }));
  const zoneAt = (cam: (typeof local)[number], shape: [number, number][], sign: 1 | -1): string | null => {
    for (const d of [12, 20, 30, 6]) {
      const p = pointAlong(shape, sign * d);
      const z = cam.zones.find((zz) => pointInPolygon(p[0], p[1], zz.xs, zz.ys));
      if (z) return z.id;
    }
    return null;
  };
  const out: TlsCoverage[] = [];
  for (const t of net.tls) {
    let best: TlsCoverage | null = null;
    for (const cam of local) {
      const inEdgeOfZone = new Map<string, string>();
      const outEdgeOfZone = new Map<string, string>();
      const unobserved: string[] = [];
      for (const e of t.incoming) {
        const z = zoneAt(cam, net.edges.get(e)?.shape ?? [], -1);
        if (z && !inEdgeOfZone.has(z)) inEdgeOfZone.set(z, e);
        else unobserved.push(e);
      }
      for (const e of t.outgoing) {
        const z = zoneAt(cam, net.edges.get(e)?.shape ?? [], 1);
        if (z && !outEdgeOfZone.has(z)) outEdgeOfZone.set(z, e);
      }
      if (inEdgeOfZone.size >= 2 && (!best || inEdgeOfZone.size > best.inEdgeOfZone.size)) {
        best = { tls: t, camera: cam.id, inEdgeOfZone, outEdgeOfZone, unobservedIncoming: unobserved };
      }
    }
    if (best) out.push(best);
  }
  return out;
}

/** XML attribute escaping of ids and states. */
const esc = (s: string): string => s.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;');

type TlLogicPlan = { id: string; programId: string; offsetS?: number; phases: readonly SignalPhase[] };

/** The `tlLogic` elements of some plans. */
function tlLogicLines(plans: readonly TlLogicPlan[]): string[] {
  const lines: string[] = [];
  for (const p of plans) {
    // A program with a vehicle-actuated phase is SUMO's `actuated` type (detectors built on its lanes); its other
    // phases have no bounds and keep their durations.
    const type = planControl(p.phases) === 'actuated' ? 'actuated' : 'static';
    lines.push(
      `    <tlLogic id="${esc(p.id)}" type="${type}" programID="${esc(p.programId)}" offset="${Math.round(p.offsetS ?? 0)}">`,
    );
    for (const ph of p.phases) {
      const bounds =
        ph.maxDurS !== undefined
          ? ` minDur="${Math.round(ph.minDurS ?? ph.durationS)}" maxDur="${Math.round(ph.maxDurS)}"`
          : '';
      lines.push(`        <phase duration="${Math.round(ph.durationS)}" state="${esc(ph.state)}"${bounds}/>`);
    }
    lines.push('    </tlLogic>');
  }
  return lines;
}

const additional = (body: readonly string[]): string =>
  ['<?xml version="1.0" encoding="UTF-8"?>', '<additional>', ...body, '</additional>', ''].join('\n');

/** A SUMO additional file with one `tlLogic` per plan (same id and program id as the network's, so it replaces it). */
export function tlLogicXml(plans: readonly TlLogicPlan[]): string {
  return additional(tlLogicLines(plans));
}

/** A junction's time-of-day plans: each period's phases from its begin, seconds of simulation time. */
export interface TimeOfDayProgram {
  id: string;
  offsetS?: number;
  periods: readonly { beginS: number; phases: readonly SignalPhase[] }[];
}

/**
 * Time-of-day plans as a SUMO additional file: a junction with one period gets one `tlLogic` (program
 * `passage`, as `tlLogicXml`); one with several gets a `tlLogic` per period (`passage-1`, `passage-2`, …) and a
 * WAUT that starts the first and switches to each next one at its begin (SUMO switches at once).
 */
export function timeOfDayXml(programs: readonly TimeOfDayProgram[]): string {
  const logics: string[] = [];
  const wauts: string[] = [];
  for (const p of programs) {
    const periods = [...p.periods].sort((a, b) => a.beginS - b.beginS);
    if (periods.length <= 1) {
      logics.push(
        ...tlLogicLines([{ id: p.id, programId: 'passage', offsetS: p.offsetS, phases: periods[0]?.phases ?? [] }]),
      );
      continue;
    }
    logics.push(
      ...tlLogicLines(
        periods.map((q, i) => ({ id: p.id, programId: `passage-${i + 1}`, offsetS: p.offsetS, phases: q.phases })),
      ),
    );
    wauts.push(`    <WAUT id="passage-${esc(p.id)}" refTime="0" startProg="passage-1">`);
    for (const [i, q] of periods.entries()) {
      if (i > 0) wauts.push(`        <wautSwitch time="${Math.max(0, Math.round(q.beginS))}" to="passage-${i + 1}"/>`);
    }
    wauts.push('    </WAUT>', `    <wautJunction wautID="passage-${esc(p.id)}" junctionID="${esc(p.id)}"/>`);
  }
  return additional([...logics, ...wauts]);
}
