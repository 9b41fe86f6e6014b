/**
 * What a counter feed says about its sensors, so that ingest can register them in the site registry of the store
 * (docs/SITES.md) and ask for what the feed lacks.
 *
 * - Telraam reports: segment (or instance) ids; modes car, heavy, bicycle, pedestrian; no geometry (the segment's
 *   geometry comes from Telraam's segments API, not the reports).
 * - OGC SensorThings: the Datastream; a position when the observations expand `Datastream/Thing/Locations`
 *   (`$expand=Datastream($expand=Thing($expand=Locations))`) or carry a `FeatureOfInterest` with a GeoJSON point.
 * - DATEX II: measurement sites (`datex2:<site>/<index>`); a position when the same document holds a
 *   MeasurementSiteTablePublication with the site's `pointCoordinates` (otherwise it is in the site table).
 * - counts.v1 JSON: sensor ids only.
 */
import type { CountRecord } from '@passage/stream/contracts';
import { isRecord, readJson } from './result.ts';
import { attr, child, descendants, parseXml, type XmlElement } from './xml.ts';

export interface FeedCounter {
  id: string;
  name: string;
  kind: string;
  source: string;
  modes: string[];
  position?: { lon: number; lat: number };
}

export interface FeedDescription {
  counters: FeedCounter[];
  /** Per sensor, what the feed does not give and the registry needs (e.g. 'position'). */
  lacking: { sensorId: string; missing: string[]; hint: string }[];
}

type Format = 'telraam' | 'sensorthings' | 'datex2' | 'json' | string;

const HINTS: Record<string, string> = {
  telraam:
    "Telraam reports carry no geometry: add the segment to the sites file's counters[] with a \"line\" across the street (the segment's geometry is served by Telraam's segments API)",
  sensorthings:
    'the observations do not expand Datastream/Thing/Locations: fetch them with $expand=Datastream($expand=Thing($expand=Locations)), or add the counter with its "line" to the sites file',
  datex2:
    'MeasuredData names the measurement site but not where it is: add the site with its "line" or "position" to the sites file (from the MeasurementSiteTablePublication)',
  json: 'counts.v1 records carry only the sensor id: add the counter (kind, modes, "line") to the sites file',
};

function point(v: unknown): { lon: number; lat: number } | undefined {
  if (!isRecord(v)) return undefined;
  const g = isRecord(v.location) ? v.location : isRecord(v.feature) ? v.feature : v;
  const geom = g.type === 'Feature' && isRecord(g.geometry) ? g.geometry : g;
  if (geom.type !== 'Point' || !Array.isArray(geom.coordinates)) return undefined;
  const [lon, lat] = geom.coordinates as unknown[];
  if (typeof lon !== 'number' || typeof lat !== 'number' || Math.abs(lon) > 180 || Math.abs(lat) >= 90)
    return undefined;
  return { lon, lat };
}

function sensorThingsPositions(
  input: unknown,
): Map<string, { position?: { lon: number; lat: number }; name?: string }> {
  const out = new Map<string, { position?: { lon: number; lat: number }; name?: string }>();
  const parsed = readJson(input);
  if (!parsed.ok) return out;
  const doc = parsed.value;
  const list = Array.isArray(doc) ? doc : isRecord(doc) && Array.isArray(doc.value) ? doc.value : [doc];
  for (const o of list) {
    if (!isRecord(o) || !isRecord(o.Datastream)) continue;
    const ds = o.Datastream;
    const id = ds['@iot.id'];
    if (typeof id !== 'number' && typeof id !== 'string') continue;
    const thing = isRecord(ds.Thing) ? ds.Thing : undefined;
    const locs = thing && Array.isArray(thing.Locations) ? thing.Locations : [];
    const position = locs.map(point).find((p) => p !== undefined) ?? point(o.FeatureOfInterest);
    const name = typeof ds.name === 'string' ? ds.name : typeof thing?.name === 'string' ? thing.name : undefined;
    out.set(`sta:${id}`, { position, name });
  }
  return out;
}

function datex2Positions(input: unknown): Map<string, { lon: number; lat: number }> {
  const out = new Map<string, { lon: number; lat: number }>();
  if (typeof input !== 'string') return out;
  const root = parseXml(input);
  if (root === null) return out;
  for (const rec of descendants(root, 'measurementSiteRecord')) {
    const id = attr(rec, 'id');
    const pc = descendants(rec, 'pointCoordinates')[0];
    if (!id || pc === undefined) continue;
    const num = (el: XmlElement | undefined) => (el === undefined ? Number.NaN : Number(el.text.trim()));
    const lat = num(child(pc, 'latitude'));
    const lon = num(child(pc, 'longitude'));
    if (Number.isFinite(lat) && Number.isFinite(lon)) out.set(id, { lon, lat });
  }
  return out;
}

/** Describes the sensors of a parsed counter feed (`records` from the adapter of `format`, `input` its text). */
export function describeCountFeed(format: Format, input: unknown, records: readonly CountRecord[]): FeedDescription {
  const modes = new Map<string, Set<string>>();
  for (const r of records) {
    let m = modes.get(r.sensorId);
    if (!m) {
      m = new Set();
      modes.set(r.sensorId, m);
    }
    if (r.mode) m.add(r.mode);
  }
  const sta = format === 'sensorthings' ? sensorThingsPositions(input) : new Map();
  const dx = format === 'datex2' ? datex2Positions(input) : new Map<string, { lon: number; lat: number }>();
  const counters: FeedCounter[] = [];
  const lacking: FeedDescription['lacking'] = [];
  for (const [id, m] of [...modes].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))) {
    let position: { lon: number; lat: number } | undefined;
    let name = id;
    if (format === 'sensorthings') {
      const d = sta.get(id);
      position = d?.position;
      if (d?.name) name = d.name;
    } else if (format === 'datex2') {
      position = dx.get(id.slice('datex2:'.length).replace(/\/[^/]*$/, ''));
    }
    const kind = format === 'telraam' ? 'telraam' : format === 'datex2' ? 'loop' : 'other';
    const c: FeedCounter = { id, name, kind, source: String(format), modes: [...m].sort() };
    if (c.modes.length === 0) c.modes = format === 'datex2' ? ['car', 'van', 'truck', 'bus', 'motorcycle'] : [];
    if (position) c.position = position;
    counters.push(c);
    const missing = position ? [] : ['position'];
    if (c.modes.length === 0) missing.push('modes');
    if (missing.length) lacking.push({ sensorId: id, missing, hint: HINTS[format] ?? HINTS.json });
  }
  return { counters, lacking };
}
