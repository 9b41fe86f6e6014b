/**
 * Route shares of OD cells over counting lines: the link between what lines count and which OD cells they count
 * (docs/OD-AND-PRIVACY.md, "Counts as constraints: route shares"). Pure: the caller parses the road network (a SUMO
 * `net.xml`, `parseSumoNet`) and puts zones, network and lines in one plane (local metres).
 *
 * Route model (deterministic user optimum without congestion, "all or nothing" per pair of edges, as in the
 * first step of transport planning practice and in SUMO's duarouter without rerouting):
 * - a zone's edges are the vehicle edges whose midpoint lies in its polygon; a trip of the zone starts at the middle
 *   of one of them and ends at the middle of one of the destination zone's edges, every edge of a zone equally
 *   likely;
 * - each start edge → end edge pair takes the fastest path (length / speed), edge-based Dijkstra without U-turns
 *   except at dead ends (netconvert's `no-turnarounds.except-deadend`);
 * - the share p(o, d, line, direction) is the mean, over the pairs of edges, of the number of times the path
 *   crosses the line in that direction ('in' = from the left of a→b to its right, the counting convention).
 * A line count is then Σ_od p(o, d, line) · t_od + error: a linear constraint of the GLS (`estimateOdGls`).
 */

import { pointInPolygon } from '../geometry/polygon.ts';

/** A directed road edge in local metres. */
export interface RoadEdge {
  id: string;
  from: string;
  to: string;
  /** Centre line of its vehicle lanes, ≥ 2 points. */
  shape: readonly (readonly [number, number])[];
  length: number;
  /** m/s. */
  speed: number;
}

export interface RouteZone {
  id: string;
  /** Polygon, local metres. */
  polygon: readonly (readonly [number, number])[];
}

/** A directed counting line a→b in local metres. */
export interface RouteLine {
  id: string;
  a: readonly [number, number];
  b: readonly [number, number];
}

export interface RouteShares {
  /** Zone → its edges (ids). */
  zoneEdges: Map<string, string[]>;
  /** `origin\0destination` → `lineId|in` / `lineId|out` → share (expected crossings per trip). */
  shares: Map<string, Map<string, number>>;
  /**
   * The part of each share from lines lying inside the pair's own origin or destination zone (line midpoint in its
   * polygon), same keys: whether a trip crosses such a line depends on where in the zone it starts or ends, which
   * the model guesses (the middle of one of the zone's edges), so this part is uncertain (`endShares` of the GLS).
   */
  endShares: Map<string, Map<string, number>>;
  /**
   * With `options.movementsAt`: per pair (same keys), the turning movements its paths make at those junctions,
   * `inEdge>outEdge` → share (expected times per trip), for estimating turning flows where no camera counts them.
   */
  movements?: Map<string, Map<string, number>>;
}

function inside(x: number, y: number, poly: readonly (readonly [number, number])[]): boolean {
  return pointInPolygon(
    x,
    y,
    poly.map((p) => p[0]),
    poly.map((p) => p[1]),
  );
}

/** Point at a fraction of a polyline's length. */
function pointAt(shape: readonly (readonly [number, number])[], f: number): [number, number] {
  let total = 0;
  for (let i = 1; i < shape.length; i++)
    total += Math.hypot(shape[i][0] - shape[i - 1][0], shape[i][1] - shape[i - 1][1]);
  let left = total * f;
  for (let i = 1; i < shape.length; i++) {
    const seg = Math.hypot(shape[i][0] - shape[i - 1][0], shape[i][1] - shape[i - 1][1]);
    if (left <= seg || i === shape.length - 1) {
      const g = seg > 0 ? Math.min(1, left / seg) : 0;
      return [
        shape[i - 1][0] + g * (shape[i][0] - shape[i - 1][0]),
        shape[i - 1][1] + g * (shape[i][1] - shape[i - 1][1]),
      ];
    }
    left -= seg;
  }
  return [shape[0][0], shape[0][1]];
}

/**
 * Crossings of a line by a polyline: the fraction of the polyline's length at each crossing and its direction
 * ('in' = from the left of a→b to its right).
 */
export function lineCrossings(
  shape: readonly (readonly [number, number])[],
  line: RouteLine,
): { at: number; direction: 'in' | 'out' }[] {
  const side = (px: number, py: number) =>
    (line.b[0] - line.a[0]) * (py - line.a[1]) - (line.b[1] - line.a[1]) * (px - line.a[0]);
  const lens: number[] = [];
  let total = 0;
  for (let i = 1; i < shape.length; i++) {
    const l = Math.hypot(shape[i][0] - shape[i - 1][0], shape[i][1] - shape[i - 1][1]);
    lens.push(l);
    total += l;
  }
  const out: { at: number; direction: 'in' | 'out' }[] = [];
  let run = 0;
  for (let i = 1; i < shape.length; i++) {
    const [px, py] = shape[i - 1];
    const [qx, qy] = shape[i];
    const sp = side(px, py);
    const sq = side(qx, qy);
    if (sp >= 0 !== sq >= 0) {
      const dx = qx - px;
      const dy = qy - py;
      const sa = dx * (line.a[1] - py) - dy * (line.a[0] - px);
      const sb = dx * (line.b[1] - py) - dy * (line.b[0] - px);
      if (!((sa > 0 && sb > 0) || (sa < 0 && sb < 0))) {
        const f = sp / (sp - sq);
        out.push({ at: total > 0 ? (run + f * lens[i - 1]) / total : 0, direction: sp >= 0 ? 'in' : 'out' });
      }
    }
    run += lens[i - 1];
  }
  return out;
}

/**
 * How a mode moves on the network: 'drive' (the default: one-way streets, no U-turn except at a dead end, fastest
 * path by length / speed), 'cycle' (the same streets, at most 5.5 m/s: the shortest path wherever the speed limit is
 * above a bicycle's), 'walk' (every street both ways, turning anywhere, shortest path by length: a pedestrian on a
 * sidewalk, as SUMO walks people along an edge in either direction).
 */
export type RouteTravel = 'drive' | 'cycle' | 'walk';

/** Bicycle speed of the 'cycle' route model (m/s; SUMO's bicycle vType maximum). */
const CYCLE_SPEED = 5.5;

/** Route shares of every ordered pair of distinct zones over the lines (see the module comment). */
export function zoneRouteShares(
  roadEdges: readonly RoadEdge[],
  zones: readonly RouteZone[],
  lines: readonly RouteLine[],
  options: { travel?: RouteTravel; movementsAt?: ReadonlySet<string> } = {},
): RouteShares {
  const travel = options.travel ?? 'drive';
  // Junctions (SUMO node ids) whose turning movements are recorded: on the vehicle network only.
  const movementsAt = travel === 'drive' ? options.movementsAt : undefined;
  // Where on its start and end edges a trip begins and ends: uniformly along them on foot and by bicycle (a walk
  // starts at a door anywhere along a street); vehicles at the middle (a gate's traffic enters at the edge's start,
  // a car park's leaves by its exit: the middle is the compromise the motor figures were measured with).
  const uniform = travel !== 'drive';
  const edges: RoadEdge[] = [...roadEdges];
  // On foot every edge is also walked backwards (its sidewalk, whatever the traffic's direction): edge i's twin
  // is the reversed copy, and a walk starting (ending) on an edge leaves (reaches) it by either end.
  const twin = new Int32Array(roadEdges.length).fill(-1);
  if (travel === 'walk') {
    roadEdges.forEach((e, i) => {
      twin[i] = edges.length;
      edges.push({ ...e, id: `${e.id}#rev`, from: e.to, to: e.from, shape: [...e.shape].reverse() });
    });
  }
  const byId = new Map(edges.map((e, i) => [e.id, i]));
  const zoneEdges = new Map<string, string[]>();
  for (const z of zones) zoneEdges.set(z.id, []);
  const taken = new Set<string>();
  /** The zone a point lies in, if any. */
  const zoneAt = (x: number, y: number) => zones.find((z) => z.polygon.length >= 3 && inside(x, y, z.polygon));
  for (const e of roadEdges) {
    const z = zoneAt(...pointAt(e.shape, 0.5));
    if (z) {
      zoneEdges.get(z.id)?.push(e.id);
      taken.add(e.id);
    }
  }
  // A zone drawn smaller than its access road (a car park or a station polygon around the stub's end): the edges
  // with a point of their shape inside it, else the edge nearest to its centroid (and its reverse).
  for (const z of zones) {
    const list = zoneEdges.get(z.id) ?? [];
    if (list.length > 0 || z.polygon.length < 3) continue;
    for (const e of roadEdges) {
      if (taken.has(e.id)) continue;
      if ([0.1, 0.25, 0.5, 0.75, 0.9].some((f) => inside(...pointAt(e.shape, f), z.polygon))) list.push(e.id);
    }
    if (list.length === 0) {
      const cx = z.polygon.reduce((a, p) => a + p[0], 0) / z.polygon.length;
      const cy = z.polygon.reduce((a, p) => a + p[1], 0) / z.polygon.length;
      let best: RoadEdge | undefined;
      let bestD = Number.POSITIVE_INFINITY;
      for (const e of roadEdges) {
        const [mx, my] = pointAt(e.shape, 0.5);
        const d = Math.hypot(mx - cx, my - cy);
        if (d < bestD) {
          bestD = d;
          best = e;
        }
      }
      if (best !== undefined) {
        const b = best;
        for (const e of roadEdges) if (e === b || (e.from === b.to && e.to === b.from)) list.push(e.id);
      }
    }
    zoneEdges.set(z.id, list);
  }
  // Out-edges per junction; an edge's reverse (U-turn) is allowed only at a dead end.
  const outOf = new Map<string, number[]>();
  edges.forEach((e, i) => {
    const l = outOf.get(e.from) ?? [];
    l.push(i);
    outOf.set(e.from, l);
  });
  const next = edges.map((e) => {
    const all = outOf.get(e.to) ?? [];
    if (travel === 'walk') return all;
    const noU = all.filter((j) => !(edges[j].to === e.from && edges[j].from === e.to));
    return noU.length > 0 ? noU : all;
  });
  const cost = edges.map((e) =>
    travel === 'walk'
      ? e.length
      : e.length / Math.max(0.1, travel === 'cycle' ? Math.min(e.speed, CYCLE_SPEED) : e.speed),
  );

  // The zone each line lies in (its midpoint inside the polygon), if any.
  const lineZone = new Map(lines.map((l) => [l.id, zoneAt((l.a[0] + l.b[0]) / 2, (l.a[1] + l.b[1]) / 2)?.id] as const));
  // Crossings of each edge with each line.
  const cross = edges.map((e) =>
    lines.flatMap((l) =>
      lineCrossings(e.shape, l).map((c) => ({ key: `${l.id}|${c.direction}`, at: c.at, zone: lineZone.get(l.id) })),
    ),
  );
  const endShares = new Map<string, Map<string, number>>();
  const shares = new Map<string, Map<string, number>>();
  const movements = new Map<string, Map<string, number>>();
  const n = edges.length;
  const dist = new Float64Array(n);
  const prev = new Int32Array(n);
  for (const o of zones) {
    const starts = (zoneEdges.get(o.id) ?? []).map((id) => byId.get(id) as number);
    // Per destination zone: crossing counts summed over (start, end) pairs, and the number of connected pairs.
    const acc = new Map<
      string,
      { pairs: number; counts: Map<string, number>; inEnd: Map<string, number>; moves: Map<string, number> }
    >();
    for (const s of starts) {
      dist.fill(Number.POSITIVE_INFINITY);
      prev.fill(-1);
      // Binary heap of (cost to the end of the edge, edge).
      const heap: [number, number][] = [];
      const push = (d: number, i: number) => {
        heap.push([d, i]);
        let k = heap.length - 1;
        while (k > 0) {
          const p = (k - 1) >> 1;
          if (heap[p][0] <= heap[k][0]) break;
          [heap[p], heap[k]] = [heap[k], heap[p]];
          k = p;
        }
      };
      const pop = (): [number, number] => {
        const top = heap[0];
        const last = heap.pop() as [number, number];
        if (heap.length > 0) {
          heap[0] = last;
          let k = 0;
          for (;;) {
            const l = 2 * k + 1;
            const r = l + 1;
            let m = k;
            if (l < heap.length && heap[l][0] < heap[m][0]) m = l;
            if (r < heap.length && heap[r][0] < heap[m][0]) m = r;
            if (m === k) break;
            [heap[m], heap[k]] = [heap[k], heap[m]];
            k = m;
          }
        }
        return top;
      };
      const sources = twin[s] >= 0 ? [s, twin[s]] : [s];
      for (const x of sources) {
        dist[x] = cost[x] / 2;
        push(dist[x], x);
      }
      while (heap.length > 0) {
        const [d, i] = pop();
        if (d > dist[i]) continue;
        for (const j of next[i]) {
          const nd = d + cost[j];
          if (nd < dist[j]) {
            dist[j] = nd;
            prev[j] = i;
            push(nd, j);
          }
        }
      }
      for (const d of zones) {
        if (d.id === o.id) continue;
        const a = acc.get(d.id) ?? {
          pairs: 0,
          counts: new Map<string, number>(),
          inEnd: new Map<string, number>(),
          moves: new Map<string, number>(),
        };
        acc.set(d.id, a);
        for (const eid of zoneEdges.get(d.id) ?? []) {
          const e0 = byId.get(eid) as number;
          // On foot, the end edge is reached by whichever end is nearer.
          const t = twin[e0] >= 0 && dist[twin[e0]] < dist[e0] ? twin[e0] : e0;
          if (e0 === s || !Number.isFinite(dist[t])) continue;
          a.pairs++;
          // Walk back from the end edge: the whole of the middle edges; on the start and end edges, a crossing at
          // a fraction `at` of the edge counts with the probability that a start (end) uniform along the edge lies
          // before (after) it: `at` on the start edge, 1 − `at` on the end edge (both when they are one edge).
          for (let i = t; i >= 0; i = prev[i]) {
            const first = sources.includes(i);
            for (const c of cross[i]) {
              const w = uniform
                ? (first ? c.at : 1) * (i === t ? 1 - c.at : 1)
                : (first && c.at < 0.5) || (i === t && c.at >= 0.5)
                  ? 0
                  : 1;
              if (!(w > 0)) continue;
              a.counts.set(c.key, (a.counts.get(c.key) ?? 0) + w);
              if (c.zone === o.id || c.zone === d.id) a.inEnd.set(c.key, (a.inEnd.get(c.key) ?? 0) + w);
            }
            if (first) break;
            // the turn from the previous edge into this one, at the junction between them
            if (movementsAt?.has(edges[i].from) && prev[i] >= 0) {
              const k = `${edges[prev[i]].id}>${edges[i].id}`;
              a.moves.set(k, (a.moves.get(k) ?? 0) + 1);
            }
          }
        }
      }
    }
    for (const [d, a] of acc) {
      if (a.pairs === 0) continue;
      const m = new Map<string, number>();
      for (const [k, v] of a.counts) m.set(k, v / a.pairs);
      shares.set(`${o.id}\u0000${d}`, m);
      if (a.inEnd.size > 0) endShares.set(`${o.id}\u0000${d}`, new Map([...a.inEnd].map(([k, v]) => [k, v / a.pairs])));
      if (a.moves.size > 0) movements.set(`${o.id}\u0000${d}`, new Map([...a.moves].map(([k, v]) => [k, v / a.pairs])));
    }
  }
  return { zoneEdges, shares, endShares, ...(movementsAt ? { movements } : {}) };
}

/** Attribute of an XML start tag. */
function xmlAttr(tag: string, name: string): string | undefined {
  const m = new RegExp(`\\s${name}="([^"]*)"`).exec(tag);
  return m ? m[1] : undefined;
}

/**
 * The vehicle edges of a SUMO network (`net.xml`, as netconvert writes it): internal edges, and lanes allowing
 * pedestrians only (sidewalks), left out; shape = the middle vehicle lane's, speed = the fastest lane's. Coordinates
 * as in the file (with `projParameter="!"`, local metres around the scenario origin). Returns also the location
 * element's `projParameter` (the caller refuses projected networks it cannot convert), and the edges people walk
 * (`walkEdges`: every edge with a lane allowing pedestrians, footpaths and pedestrian squares included) and cycle on
 * (`cycleEdges`: a lane allowing bicycles), shaped like the vehicle edges where they are one (the street's middle
 * lane), else by their own middle lane.
 */
export function parseSumoNet(xml: string): {
  edges: RoadEdge[];
  walkEdges: RoadEdge[];
  cycleEdges: RoadEdge[];
  projParameter: string;
} {
  const loc = /<location\b[^>]*>/.exec(xml);
  const projParameter = loc ? (xmlAttr(loc[0], 'projParameter') ?? '!') : '!';
  // Junction positions: an edge's lane shape stops at the junction's border; it is extended to the junction centres
  // so that consecutive edges join and a line drawn near a junction is crossed.
  const junctions = new Map<string, [number, number]>();
  for (const j of xml.matchAll(/<junction\b[^>]*>/g)) {
    const id = xmlAttr(j[0], 'id');
    const x = Number(xmlAttr(j[0], 'x'));
    const y = Number(xmlAttr(j[0], 'y'));
    if (id && !id.startsWith(':') && Number.isFinite(x) && Number.isFinite(y)) junctions.set(id, [x, y]);
  }
  const allows = (lane: string, cls: RegExp): boolean => {
    const allow = xmlAttr(lane, 'allow');
    if (allow !== undefined) return cls.test(allow) || /\ball\b/.test(allow);
    const disallow = xmlAttr(lane, 'disallow') ?? '';
    return !cls.test(disallow) && !/\ball\b/.test(disallow);
  };
  const edges: RoadEdge[] = [];
  const walkEdges: RoadEdge[] = [];
  const cycleEdges: RoadEdge[] = [];
  const re = /<edge\b([^>]*?)(\/>|>([\s\S]*?)<\/edge>)/g;
  for (let m = re.exec(xml); m !== null; m = re.exec(xml)) {
    const head = m[1];
    const id = xmlAttr(head, 'id');
    const from = xmlAttr(head, 'from');
    const to = xmlAttr(head, 'to');
    const fn = xmlAttr(head, 'function');
    if (!id || id.startsWith(':') || !from || !to || (fn !== undefined && fn !== 'normal')) continue;
    const lanes = [...(m[3] ?? '').matchAll(/<lane\b[^>]*>/g)].map((l) => l[0]);
    const a = junctions.get(from);
    const b = junctions.get(to);
    const edgeOf = (list: string[]): RoadEdge | null => {
      if (list.length === 0) return null;
      const mid = list[Math.floor((list.length - 1) / 2)];
      const shape = (xmlAttr(mid, 'shape') ?? '')
        .trim()
        .split(/\s+/)
        .map((p) => p.split(',').map(Number) as [number, number])
        .filter((p) => p.length >= 2 && Number.isFinite(p[0]) && Number.isFinite(p[1]));
      if (shape.length < 2) return null;
      return {
        id: id as string,
        from: from as string,
        to: to as string,
        shape: [...(a ? [a] : []), ...shape, ...(b ? [b] : [])],
        length: Number(xmlAttr(mid, 'length') ?? 0),
        speed: Math.max(...list.map((l) => Number(xmlAttr(l, 'speed') ?? 13.89))),
      };
    };
    const vehicle = edgeOf(
      lanes.filter((l) => {
        const allow = xmlAttr(l, 'allow');
        const disallow = xmlAttr(l, 'disallow') ?? '';
        if (allow !== undefined) return /\b(passenger|private|all)\b/.test(allow);
        return !/\b(passenger|all)\b/.test(disallow);
      }),
    );
    if (vehicle !== null) edges.push(vehicle);
    const walk = lanes.some((l) => allows(l, /\bpedestrian\b/));
    if (walk) {
      const e = vehicle ?? edgeOf(lanes.filter((l) => allows(l, /\bpedestrian\b/)));
      if (e !== null) walkEdges.push(e);
    }
    const bikes = lanes.filter((l) => allows(l, /\bbicycle\b/));
    if (bikes.length > 0) {
      const e = vehicle ?? edgeOf(bikes);
      if (e !== null)
        cycleEdges.push({ ...e, speed: Math.max(...bikes.map((l) => Number(xmlAttr(l, 'speed') ?? 13.89))) });
    }
  }
  return { edges, walkEdges, cycleEdges, projParameter };
}
