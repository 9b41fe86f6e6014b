/**
 * Site registry (or scenario) metadata → `sites`, `devices`, `scenarios`, `basemap_features` (migrations 0001,
 * 0002). A file is read and validated by @passage/registry, the same validation the workers use at load: a file
 * the workers accept loads here, and a bad one is refused with PASSAGE_REGISTRY_INVALID listing every error.
 *
 * - sites: one per camera junction (`intersection`, the cameras' `siteId`), one per counter (`counter`, its
 *   `siteId`, geometry = the counting line) and one per OD zone (`zone`, geometry = the polygon).
 * - devices: cameras (`camera`, config = lines, zones and optics), counters (`loop|pedestrian|bike|telraam`,
 *   config = modes, line, direction rule) and sighting sites (`wifi|ble|anpr`, site = their zone).
 * - basemap_features: OD zones and, when the scenario folder has `sumo/nodes.nod.xml` + `sumo/edges.edg.xml`,
 *   the streets of the network (one LineString per street, both directions merged).
 * Geometries are GeoJSON strings in [lon, lat] (WGS 84). Reloading replaces rows (ReplacingMergeTree + FINAL).
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { ClickHouseClient } from '@clickhouse/client';
import { PassageError } from '@passage/config';
import {
  loadRegistry,
  type Registry,
  type RegistryCamera,
  type RegistryCounter,
  type RegistrySightingSite,
  type RegistryZone,
} from '@passage/registry';

export type LonLat = [number, number];

/** The registry's shapes (@passage/registry model); a scenario.json camera may come without calibration here. */
export type ScenarioCameraLine = RegistryCamera['lines'][number];
export type ScenarioCameraZone = RegistryCamera['zones'][number];
export type ScenarioCamera = Omit<RegistryCamera, 'calibration'> & { calibration?: RegistryCamera['calibration'] };
export type ScenarioCounter = Omit<RegistryCounter, 'line'> & {
  line: { a: LonLat; b: LonLat };
  faulty?: { type: string; fromS: number; toS: number };
};
export type ScenarioSightingSite = Omit<RegistrySightingSite, 'kind'> & { kind: string };
export type ScenarioZone = RegistryZone;
/** What the metadata rows are made of: a scenario.json or a validated registry (counters may lack geometry). */
export interface MetadataSource {
  name: string;
  zones: ScenarioZone[];
  cameras: ScenarioCamera[];
  counters: (RegistryCounter & { faulty?: ScenarioCounter['faulty'] })[];
  sightingSites: ScenarioSightingSite[];
  signalControllers?: Registry['signalControllers'];
}
/** The part of `scenario.json` (infra/scenarios/README.md) the store reads. */
export interface ScenarioFile {
  name: string;
  timezone: string;
  origin: { lon: number; lat: number };
  start: number;
  durationS: number;
  network?: string;
  zones: ScenarioZone[];
  cameras: ScenarioCamera[];
  counters: ScenarioCounter[];
  sightingSites: ScenarioSightingSite[];
}

export interface StreetFeature {
  id: string;
  name: string;
  kind: 'boulevard' | 'street' | 'pedestrian';
  coordinates: LonLat[];
}

export function readScenarioFile(path: string): ScenarioFile {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (cause) {
    throw new PassageError(
      'PASSAGE_SCENARIO_NOT_FOUND',
      `Cannot read the scenario file ${path}: build the scenario first (passage sim build <name>) or check the path.`,
      { cause },
    );
  }
  const s = JSON.parse(text) as ScenarioFile;
  for (const key of ['zones', 'cameras', 'counters', 'sightingSites'] as const) {
    if (!Array.isArray(s[key])) {
      throw new PassageError(
        'PASSAGE_SCENARIO_INVALID',
        `${path}: "${key}" must be an array (see infra/scenarios/README.md).`,
      );
    }
  }
  return s;
}

const R = 6_371_008.8;
const DEG = Math.PI / 180;
const r7 = (v: number): number => Math.round(v * 1e7) / 1e7;

/** Local metres → [lon, lat], the equirectangular rule of infra/scenarios/README.md. */
export function localToLonLat(origin: { lon: number; lat: number }, x: number, y: number): LonLat {
  return [r7(origin.lon + x / (R * DEG * Math.cos(origin.lat * DEG))), r7(origin.lat + y / (R * DEG))];
}

function attrs(tag: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const m of tag.matchAll(/([A-Za-z_]+)="([^"]*)"/g)) out[m[1]] = m[2];
  return out;
}

/** Streets of a SUMO plain network (nodes.nod.xml + edges.edg.xml), both directions of a street merged. */
export function streetsFromSumoPlain(
  nodesXml: string,
  edgesXml: string,
  origin: { lon: number; lat: number },
): StreetFeature[] {
  const nodes = new Map<string, [number, number]>();
  for (const m of nodesXml.matchAll(/<node\s[^>]*>/g)) {
    const a = attrs(m[0]);
    nodes.set(a.id, [Number(a.x), Number(a.y)]);
  }
  const seen = new Set<string>();
  const out: StreetFeature[] = [];
  for (const m of edgesXml.matchAll(/<edge\s[^>]*>/g)) {
    const a = attrs(m[0]);
    const key = [a.from, a.to].sort().join('|');
    if (seen.has(key)) continue;
    seen.add(key);
    const from = nodes.get(a.from);
    const to = nodes.get(a.to);
    if (!from || !to) continue;
    const pts: [number, number][] = a.shape
      ? a.shape.split(' ').map((p) => p.split(',').map(Number) as [number, number])
      : [from, to];
    const speed = Number(a.speed ?? 0);
    const kind: StreetFeature['kind'] = /pedestrian/.test(a.allow ?? '')
      ? 'pedestrian'
      : speed >= 13
        ? 'boulevard'
        : 'street';
    out.push({ id: a.id, name: a.id, kind, coordinates: pts.map(([x, y]) => localToLonLat(origin, x, y)) });
  }
  return out;
}

function centroid(points: LonLat[]): LonLat {
  let x = 0;
  let y = 0;
  for (const p of points) {
    x += p[0];
    y += p[1];
  }
  return [r7(x / points.length), r7(y / points.length)];
}

function closedRing(points: LonLat[]): LonLat[] {
  if (points.length === 0) return points;
  const [f, l] = [points[0], points[points.length - 1]];
  return f[0] === l[0] && f[1] === l[1] ? points : [...points, f];
}

export interface SiteRow {
  site_id: string;
  name: string;
  kind: string;
  lon: number;
  lat: number;
  geometry: string;
  scenario: string;
}
export interface DeviceRow {
  device_id: string;
  site_id: string;
  kind: string;
  name: string;
  lon: number;
  lat: number;
  config: string;
}
export interface BasemapRow {
  scenario: string;
  layer: string;
  feature_id: string;
  name: string;
  kind: string;
  geometry: string;
}

/** Pure mapping of a scenario to metadata rows (tested without a store). */
export interface ControllerRow {
  controller_id: string;
  site_id: string;
  name: string;
  camera_ids: string[];
  config: string;
  scenario: string;
}

export function scenarioRows(
  s: MetadataSource,
  streets: StreetFeature[] = [],
): { sites: SiteRow[]; devices: DeviceRow[]; basemap: BasemapRow[]; controllers: ControllerRow[] } {
  const sites: SiteRow[] = [];
  const devices: DeviceRow[] = [];
  const basemap: BasemapRow[] = [];
  for (const z of s.zones) {
    const ring = closedRing(z.polygon);
    const [lon, lat] = centroid(z.polygon);
    const geometry = JSON.stringify({ type: 'Polygon', coordinates: [ring] });
    sites.push({ site_id: z.id, name: z.name, kind: 'zone', lon, lat, geometry, scenario: s.name });
    basemap.push({ scenario: s.name, layer: 'zones', feature_id: z.id, name: z.name, kind: z.kind, geometry });
  }
  const bySite = new Map<string, ScenarioCamera[]>();
  for (const c of s.cameras) {
    const list = bySite.get(c.siteId) ?? [];
    list.push(c);
    bySite.set(c.siteId, list);
  }
  for (const [siteId, cams] of bySite) {
    const mids = cams.flatMap((c) => c.lines.map((l) => centroid([l.a, l.b])));
    const [lon, lat] = mids.length ? centroid(mids) : [cams[0].position.lon, cams[0].position.lat];
    const geometry = JSON.stringify({ type: 'Point', coordinates: [lon, lat] });
    sites.push({ site_id: siteId, name: cams[0].name, kind: 'intersection', lon, lat, geometry, scenario: s.name });
    for (const c of cams) {
      const {
        id,
        siteId: _s,
        name,
        position,
        lines,
        zones,
        ...optics
      } = c as ScenarioCamera & { calibration?: unknown };
      delete (optics as { calibration?: unknown }).calibration;
      devices.push({
        device_id: id,
        site_id: siteId,
        kind: 'camera',
        name,
        lon: position.lon,
        lat: position.lat,
        config: JSON.stringify({ ...optics, lines, zones }),
      });
    }
  }
  for (const c of s.counters) {
    // A counter without geometry (a feed that does not say where it is) is stored without a place: lon/lat 0 and
    // an empty geometry; `passage sites validate` and `passage ingest` say what to add.
    const [lon, lat] = c.line ? centroid([c.line.a, c.line.b]) : c.position ? [c.position.lon, c.position.lat] : [0, 0];
    const geometry = c.line
      ? JSON.stringify({ type: 'LineString', coordinates: [c.line.a, c.line.b] })
      : c.position
        ? JSON.stringify({ type: 'Point', coordinates: [lon, lat] })
        : '';
    sites.push({ site_id: c.siteId, name: c.name, kind: 'counter', lon, lat, geometry, scenario: s.name });
    devices.push({
      device_id: c.id,
      site_id: c.siteId,
      kind: c.kind,
      name: c.name,
      lon,
      lat,
      config: JSON.stringify({
        modes: c.modes,
        line: c.line,
        inDirection: c.inDirection ?? '',
        faulty: c.faulty,
        ...(c.source ? { source: c.source } : {}),
      }),
    });
  }
  for (const ss of s.sightingSites) {
    devices.push({
      device_id: ss.id,
      site_id: ss.zoneId,
      kind: ss.kind,
      name: ss.name,
      lon: ss.position.lon,
      lat: ss.position.lat,
      config: JSON.stringify({ zoneId: ss.zoneId, radiusM: ss.radiusM }),
    });
  }
  for (const st of streets) {
    basemap.push({
      scenario: s.name,
      layer: 'streets',
      feature_id: st.id,
      name: st.name,
      kind: st.kind,
      geometry: JSON.stringify({ type: 'LineString', coordinates: st.coordinates }),
    });
  }
  return { sites, devices, basemap, controllers: controllerRows(s.name, s.signalControllers ?? []) };
}

/** Store rows of a registry's signal controllers (groups, approaches, intergreens and plans as JSON). */
function controllerRows(scenario: string, controllers: NonNullable<Registry['signalControllers']>): ControllerRow[] {
  return controllers.map((c) => ({
    controller_id: c.id,
    site_id: c.siteId ?? '',
    name: c.name ?? c.id,
    camera_ids: c.cameraIds ?? [],
    config: JSON.stringify({
      signalGroups: c.signalGroups,
      ...(c.approaches ? { approaches: c.approaches } : {}),
      intergreens: c.intergreens ?? [],
      plans: c.plans ?? [],
    }),
    scenario,
  }));
}

/**
 * Stores signal controllers beside a registry already loaded (`scenario` = its name): a simulated world's
 * controllers read from its SUMO network (`registryControllersOfWorld` of @passage/sim). Idempotent (FINAL reads).
 */
export async function loadSignalControllers(
  client: ClickHouseClient,
  scenario: string,
  controllers: NonNullable<Registry['signalControllers']>,
): Promise<number> {
  const values = controllerRows(scenario, controllers);
  if (values.length) await client.insert({ table: 'signal_controllers', values, format: 'JSONEachRow' });
  return values.length;
}

export interface LoadMetadataResult {
  scenario: string;
  sites: number;
  devices: number;
  streets: number;
}

/** Time base of a scenario.json (absent from a registry). */
function scenarioTimeBase(path: string): { start: number; durationS: number; network?: string } | null {
  try {
    const doc = JSON.parse(readFileSync(path, 'utf8')) as { start?: unknown; durationS?: unknown; network?: unknown };
    if (typeof doc.start !== 'number') return null;
    return {
      start: doc.start,
      durationS: typeof doc.durationS === 'number' ? doc.durationS : 0,
      network: typeof doc.network === 'string' ? doc.network : undefined,
    };
  } catch {
    return null;
  }
}

/** A validated registry as the rows' source. */
export function registrySource(
  r: Registry,
): MetadataSource & { timezone: string; origin: { lon: number; lat: number } } {
  return {
    name: r.name,
    timezone: r.timezone,
    origin: r.origin,
    zones: r.zones,
    cameras: r.cameras,
    counters: r.counters,
    sightingSites: r.sightingSites,
    signalControllers: r.signalControllers,
  };
}

/**
 * Loads site metadata into the store: `source` is a sites file path (the registry of docs/SITES.md, or a
 * scenario.json; streets are read from the `sumo/` folder beside it when present) or rows already in memory.
 * The file is validated like the workers validate it (PASSAGE_REGISTRY_INVALID with every error). Idempotent
 * (rows are replaced, not duplicated, in FINAL reads).
 */
export async function loadScenarioMetadata(
  client: ClickHouseClient,
  source:
    | string
    | {
        scenario: MetadataSource & {
          timezone?: string;
          origin: { lon: number; lat: number };
          start?: number;
          durationS?: number;
          network?: string;
        };
        streets?: StreetFeature[];
      },
): Promise<LoadMetadataResult> {
  let scenario: MetadataSource & {
    timezone?: string;
    origin: { lon: number; lat: number };
    start?: number;
    durationS?: number;
    network?: string;
  };
  let streets: StreetFeature[] = [];
  if (typeof source === 'string') {
    scenario = { ...registrySource(loadRegistry(source)), ...(scenarioTimeBase(source) ?? {}) };
    const dir = join(dirname(source), 'sumo');
    const nodes = join(dir, 'nodes.nod.xml');
    const edges = join(dir, 'edges.edg.xml');
    if (existsSync(nodes) && existsSync(edges)) {
      streets = streetsFromSumoPlain(readFileSync(nodes, 'utf8'), readFileSync(edges, 'utf8'), scenario.origin);
    }
  } else {
    scenario = source.scenario;
    streets = source.streets ?? [];
  }
  const rows = scenarioRows(scenario, streets);
  const ins = (table: string, values: object[]) =>
    values.length ? client.insert({ table, values: values as Record<string, unknown>[], format: 'JSONEachRow' }) : null;
  await ins('sites', rows.sites);
  await ins('devices', rows.devices);
  await ins('basemap_features', rows.basemap);
  await ins('signal_controllers', rows.controllers);
  // A registry without any place (only counters of feeds that do not say where they are) gives no map origin.
  const noPlace = scenario.origin.lon === 0 && scenario.origin.lat === 0 && scenario.start === undefined;
  if (!noPlace)
    await ins('scenarios', [
      {
        name: scenario.name,
        timezone: scenario.timezone ?? 'UTC',
        origin_lon: scenario.origin.lon,
        origin_lat: scenario.origin.lat,
        start: Math.floor((scenario.start ?? 0) / 1000),
        duration_s: scenario.durationS ?? 0,
        description: scenario.network ?? '',
      },
    ]);
  return { scenario: scenario.name, sites: rows.sites.length, devices: rows.devices.length, streets: streets.length };
}

/**
 * Registers sites and devices of a validated registry held in memory (e.g. the counters a feed describes), without
 * a `scenarios` row (a feed has no time zone or map origin to give the dashboard).
 */
export async function loadRegistryMetadata(client: ClickHouseClient, registry: Registry): Promise<LoadMetadataResult> {
  const rows = scenarioRows(registrySource(registry));
  if (rows.sites.length) await client.insert({ table: 'sites', values: rows.sites, format: 'JSONEachRow' });
  if (rows.devices.length) await client.insert({ table: 'devices', values: rows.devices, format: 'JSONEachRow' });
  return { scenario: registry.name, sites: rows.sites.length, devices: rows.devices.length, streets: 0 };
}
