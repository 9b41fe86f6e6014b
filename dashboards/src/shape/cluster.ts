/**
 * Zone clustering for the OD flow map (plain TypeScript, no rendering), in the manner of flowmap.gl: zone centroids
 * are merged greedily, level by level from the most detailed zoom down, whenever they are closer on screen than a
 * radius in pixels. Each level merges the clusters of the level above it, so clusters nest: zooming in expands a
 * cluster into exactly the clusters it was made of. Flows between clusters are the sums of the zone flows.
 */
import type { OdFlow } from './od.ts';

/** Web Mercator world size of zoom 0 in pixels (deck.gl and MapLibre both use 512-pixel tiles). */
export const WORLD_PX = 512;

/** Zoom the flow map opens at on a desktop screen: a town centre of ~2 km across fills the view. */
export const CITY_ZOOM = 14.6;

/**
 * Merge radius in screen pixels at a level's zoom. 120 px (not flowmap.gl's 40) because OD zones are few and large:
 * at the city zoom, zones whose centres are closer than ~180 px on screen (120 px at the level's integer zoom) are
 * merged, so the default view shows flows between groups of neighbouring zones; one zoom level in expands them.
 */
export const CLUSTER_RADIUS_PX = 120;

export interface ClusterInput {
  id: string;
  lon: number;
  lat: number;
  /** Weight of the zone in the centroid of its clusters and in their order (default 1). */
  weight?: number;
}

export interface Cluster {
  /** The zone id when the cluster holds one zone, else `c<zoom>:<id of its heaviest part>`. */
  id: string;
  lon: number;
  lat: number;
  /** Zone ids, heaviest first. */
  zones: string[];
  weight: number;
}

export interface ClusterLevel {
  /** Integer zoom: the level used for view zooms in [zoom, zoom + 1). */
  zoom: number;
  clusters: Cluster[];
  /** Zone id → id of its cluster at this level. */
  clusterOf: ReadonlyMap<string, string>;
}

export interface ClusterIndex {
  minZoom: number;
  /** Zoom at and beyond which every zone is its own cluster. */
  maxZoom: number;
  radiusPx: number;
  /** levels[i] is zoom minZoom + i; the last one is maxZoom (no clustering). */
  levels: ClusterLevel[];
}

/** Mercator position of a lon/lat in world units (0..1 across the world at any zoom). */
export function mercator(lon: number, lat: number): [number, number] {
  const s = Math.sin((Math.max(-85.05, Math.min(85.05, lat)) * Math.PI) / 180);
  return [lon / 360 + 0.5, 0.5 - Math.log((1 + s) / (1 - s)) / (4 * Math.PI)];
}

/** Inverse of `mercator`. */
export function unmercator(x: number, y: number): [number, number] {
  const lat = (Math.atan(Math.sinh(Math.PI * (1 - 2 * y))) * 180) / Math.PI;
  return [(x - 0.5) * 360, lat];
}

interface Work {
  id: string;
  x: number;
  y: number;
  zones: string[];
  weight: number;
}

const byWeight = (a: Work, b: Work) => b.weight - a.weight || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);

/** Greedy merge of `items` closer than `r` world units: heaviest first, each takes its unassigned neighbours. */
function mergeLevel(items: Work[], r: number, zoom: number): Work[] {
  const sorted = [...items].sort(byWeight);
  const grid = new Map<string, number[]>();
  const cell = (v: number) => Math.floor(v / r);
  sorted.forEach((w, i) => {
    const k = `${cell(w.x)},${cell(w.y)}`;
    const list = grid.get(k);
    if (list) list.push(i);
    else grid.set(k, [i]);
  });
  const taken = new Uint8Array(sorted.length);
  const out: Work[] = [];
  for (let i = 0; i < sorted.length; i++) {
    if (taken[i]) continue;
    taken[i] = 1;
    const seed = sorted[i];
    const parts = [seed];
    const cx = cell(seed.x);
    const cy = cell(seed.y);
    for (let gx = cx - 1; gx <= cx + 1; gx++) {
      for (let gy = cy - 1; gy <= cy + 1; gy++) {
        for (const j of grid.get(`${gx},${gy}`) ?? []) {
          if (taken[j]) continue;
          const o = sorted[j];
          if ((o.x - seed.x) ** 2 + (o.y - seed.y) ** 2 <= r * r) {
            taken[j] = 1;
            parts.push(o);
          }
        }
      }
    }
    if (parts.length === 1) {
      out.push(seed);
      continue;
    }
    parts.sort(byWeight);
    const weight = parts.reduce((a, p) => a + p.weight, 0);
    out.push({
      id: `c${zoom}:${seed.id.replace(/^c\d+:/, '')}`,
      x: parts.reduce((a, p) => a + p.x * p.weight, 0) / weight,
      y: parts.reduce((a, p) => a + p.y * p.weight, 0) / weight,
      zones: parts.flatMap((p) => p.zones),
      weight,
    });
  }
  return out;
}

/**
 * Cluster levels of zones for zooms minZoom..maxZoom: at zoom z, clusters whose centres are less than `radiusPx`
 * screen pixels apart are merged (a cluster's centre is the weighted mean of its zones in Mercator).
 */
export function buildClusterIndex(
  zones: readonly ClusterInput[],
  opts: { radiusPx?: number; minZoom?: number; maxZoom?: number } = {},
): ClusterIndex {
  const radiusPx = opts.radiusPx ?? CLUSTER_RADIUS_PX;
  const minZoom = opts.minZoom ?? 0;
  const maxZoom = opts.maxZoom ?? 20;
  let items: Work[] = zones.map((z) => {
    const [x, y] = mercator(z.lon, z.lat);
    const weight = z.weight !== undefined && z.weight > 0 ? z.weight : 1;
    return { id: z.id, x, y, zones: [z.id], weight };
  });
  const toLevel = (zoom: number, ws: Work[]): ClusterLevel => {
    const clusterOf = new Map<string, string>();
    const clusters = ws.map((w) => {
      for (const z of w.zones) clusterOf.set(z, w.id);
      const [lon, lat] = unmercator(w.x, w.y);
      return { id: w.id, lon, lat, zones: w.zones, weight: w.weight };
    });
    return { zoom, clusters, clusterOf };
  };
  const levels: ClusterLevel[] = [toLevel(maxZoom, items)];
  for (let z = maxZoom - 1; z >= minZoom; z--) {
    items = mergeLevel(items, radiusPx / (WORLD_PX * 2 ** z), z);
    levels.push(toLevel(z, items));
  }
  levels.reverse();
  return { minZoom, maxZoom, radiusPx, levels };
}

/** The level drawn at a (fractional) view zoom. */
export function levelAt(index: ClusterIndex, zoom: number): ClusterLevel {
  const z = Math.min(index.maxZoom, Math.max(index.minZoom, Math.floor(zoom)));
  return index.levels[z - index.minZoom];
}

/** Cluster centres by id (the centroids `toArcs` places arcs between). */
export function clusterCentroids(level: ClusterLevel): Map<string, [number, number]> {
  return new Map(level.clusters.map((c) => [c.id, [c.lon, c.lat]]));
}

/** Display names of clusters: the heaviest zone's name, `+n` for the others (one-zone clusters keep their name). */
export function clusterNames(level: ClusterLevel, names: ReadonlyMap<string, string>): Map<string, string> {
  const out = new Map(names);
  for (const c of level.clusters) {
    const first = names.get(c.zones[0]) ?? c.zones[0];
    out.set(c.id, c.zones.length > 1 ? `${first} +${c.zones.length - 1}` : first);
  }
  return out;
}

export interface ClusteredFlows {
  /** Flows between different clusters, one per (t, origin cluster, destination cluster). */
  flows: OdFlow[];
  /** Expanded flow that stays inside a cluster, by cluster id (trips between zones of one cluster). */
  internal: Map<string, number>;
}

/**
 * Sums zone-to-zone flows into cluster-to-cluster flows. Expanded and observed trips add up; standard errors add in
 * quadrature (independent cells); the 95 % interval is the sum of the bounds (conservative); the median travel
 * time is the flow-weighted mean of the cells' medians (an approximation). Zones outside the index (e.g. `other`)
 * keep their id. Flows within one cluster go to `internal`; a zone's flow to itself is left out.
 */
export function clusterFlows(flows: readonly OdFlow[], level: ClusterLevel): ClusteredFlows {
  const groups = new Map<string, { f: OdFlow; se2: number; ttW: number; ttSum: number }>();
  const internal = new Map<string, number>();
  for (const f of flows) {
    if (f.origin === f.destination) continue;
    const o = level.clusterOf.get(f.origin) ?? f.origin;
    const d = level.clusterOf.get(f.destination) ?? f.destination;
    if (o === d) {
      internal.set(o, (internal.get(o) ?? 0) + f.expanded);
      continue;
    }
    const key = `${f.t}\u0000${o}\u0000${d}`;
    let g = groups.get(key);
    if (!g) {
      g = {
        f: {
          t: f.t,
          origin: o,
          destination: d,
          observed: 0,
          expanded: 0,
          stdErr: 0,
          ci95: [0, 0],
          travelTimeP50S: null,
          travelTimeP85S: null,
          method: f.method,
        },
        se2: 0,
        ttW: 0,
        ttSum: 0,
      };
      groups.set(key, g);
    }
    g.f.observed += f.observed;
    g.f.expanded += f.expanded;
    // Probe-expanded and count-estimated flows summed into one cluster flow: mixed (as the API labels a bucket).
    if (g.f.method !== f.method) g.f.method = 'mixed';
    // An open upper bound (unexpanded cell) keeps the sum's upper bound open.
    const hi = g.f.ci95[1] === null || f.ci95[1] === null ? null : g.f.ci95[1] + f.ci95[1];
    g.f.ci95 = [g.f.ci95[0] + f.ci95[0], hi];
    g.se2 += f.stdErr * f.stdErr;
    if (f.travelTimeP50S !== null && f.expanded > 0) {
      g.ttW += f.expanded;
      g.ttSum += f.travelTimeP50S * f.expanded;
    }
  }
  const out: OdFlow[] = [];
  for (const g of groups.values()) {
    g.f.stdErr = Math.sqrt(g.se2);
    g.f.travelTimeP50S = g.ttW > 0 ? g.ttSum / g.ttW : null;
    out.push(g.f);
  }
  return { flows: out, internal };
}

/** A cluster of several zones as drawn on the map (one-zone clusters are not drawn: the zone is). */
export interface ClusterMarker {
  id: string;
  name: string;
  lon: number;
  lat: number;
  zones: string[];
  /** Expanded flow between zones of the cluster (not drawn as arcs). */
  internal: number;
  /** Disc radius in pixels: grows with the square root of the zone count. */
  radiusPx: number;
}

/** Discs of the clusters that hold more than one zone. */
export function clusterMarkers(
  level: ClusterLevel,
  internal: ReadonlyMap<string, number>,
  names: ReadonlyMap<string, string>,
): ClusterMarker[] {
  return level.clusters
    .filter((c) => c.zones.length > 1)
    .map((c) => ({
      id: c.id,
      name: names.get(c.id) ?? c.id,
      lon: c.lon,
      lat: c.lat,
      zones: c.zones,
      internal: internal.get(c.id) ?? 0,
      radiusPx: 6 + 5 * Math.sqrt(c.zones.length),
    }));
}

/** Tooltip text of a cluster disc: its name, its zones' names and the flow that stays inside it. */
export function clusterTooltip(
  c: ClusterMarker,
  names: ReadonlyMap<string, string>,
  t: (k: string) => string,
  num?: (v: number) => string,
): string {
  const flow = num
    ? num(c.internal)
    : c.internal >= 100
      ? String(Math.round(c.internal))
      : c.internal.toFixed(1).replace(/\.0$/, '');
  return [
    c.name,
    `${t('clusterZones')} (${c.zones.length}): ${c.zones.map((z) => names.get(z) ?? z).join(', ')}`,
    `${t('internalFlow')}: ${flow}`,
  ].join('\n');
}
