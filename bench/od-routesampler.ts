/**
 * Evaluation only (not product code): SUMO's routeSampler, the reference of issue 10 item 3, fed the same counts as
 * Passage's OD estimation on a replayed world, scored like `passage eval`'s OD acceptance (clock-hour motor cells
 * with ≥ 20 true trips, GEH < 5 share, total).
 *
 *   npx passage replay infra/scenarios/dreux-grid --to embedded --speed max --data /tmp/od-dreux-grid
 *   SUMO_HOME=/usr/share/sumo PYTHON=<python with numpy + scipy> npx tsx bench/od-routesampler.ts dreux-grid /tmp/od-dreux-grid
 *
 * Inputs to routeSampler: candidate routes = duarouter's fastest route between every pair of zone edges of two
 * different zones (the zone edges of `zoneRouteShares`, the same route model as Passage's), counts = the stored motor
 * counts of the hour per camera line and direction (`line_counts_15m`, the product's tracker) and per counter and
 * direction (`counts_bins`, gaps extrapolated), each put on the edge its line crosses in that direction. routeSampler (`--optimize
 * full`, scipy's linear program) picks route flows matching the edge counts; each output vehicle's OD is the zones of
 * its first and last edge. No probe data, no intervals: routeSampler has neither.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { LocalFrame, lineCrossings, parseSumoNet, zoneRouteShares } from '@passage/core';
import { openStore } from '@passage/store';

const [world, data] = process.argv.slice(2);
if (!world || !data) throw new Error('usage: od-routesampler.ts <world> <replay data dir>');
const sumoHome = process.env.SUMO_HOME ?? '/usr/share/sumo';
const python = process.env.PYTHON ?? 'python3';
const dir = join('infra/scenarios', world);
const out = join('/tmp', `od-routesampler-${world}`);
mkdirSync(out, { recursive: true });
const MOTOR = ['car', 'van', 'truck', 'bus', 'motorcycle', 'heavy'];

type LonLat = [number, number];
const s = JSON.parse(readFileSync(join(dir, 'scenario.json'), 'utf8')) as {
  origin: { lon: number; lat: number };
  start: number;
  zones: { id: string; polygon: LonLat[] }[];
  cameras: { lines: { id: string; a: LonLat; b: LonLat }[] }[];
  counters: { id: string; modes: string[]; line?: { a: LonLat; b: LonLat } }[];
};
const f = new LocalFrame(s.origin);
const loc = (p: LonLat): [number, number] => [f.x(p[0]), f.y(p[1])];
const netPath = join(dir, 'sumo/net.xml.gz');
const net = parseSumoNet(gunzipSync(readFileSync(netPath)).toString('utf8'));
const zones = s.zones.map((z) => ({ id: z.id, polygon: z.polygon.map(loc) }));
const { zoneEdges } = zoneRouteShares(net.edges, zones, []);
const zoneOf = new Map<string, string>();
for (const [z, es] of zoneEdges) for (const e of es) zoneOf.set(e, z);

// Line (and direction) → the edge it is crossed on in that direction (the first edge by crossing position).
const lines = [
  ...s.cameras.flatMap((c) => c.lines.map((l) => ({ id: l.id, a: loc(l.a), b: loc(l.b), camera: true }))),
  ...s.counters
    .filter((c) => c.line && c.modes.some((m) => MOTOR.includes(m)))
    .map((c) => ({
      id: c.id,
      a: loc((c.line as { a: LonLat }).a),
      b: loc((c.line as { b: LonLat }).b),
      camera: false,
    })),
];
const edgeOf = new Map<string, string>();
for (const l of lines) {
  for (const e of net.edges) {
    for (const c of lineCrossings(e.shape, l)) {
      const k = `${l.id}|${c.direction}`;
      if (!edgeOf.has(k)) edgeOf.set(k, e.id);
    }
  }
}

const hour = Math.floor(s.start / 3_600_000) * 3_600_000;
const store = openStore({ dataDir: data });
const q = async <T>(query: string): Promise<T[]> =>
  (await store.client.query({ query, format: 'JSONEachRow' })).json<T>();
const counted = new Map<string, number>();
const add = (k: string, n: number) => counted.set(k, (counted.get(k) ?? 0) + n);
const span = `window_start >= toDateTime(${hour / 1000}) AND window_start < toDateTime(${hour / 1000 + 3600})`;
for (const r of await q<{ line_id: string; direction: string; n: number }>(
  `SELECT line_id, direction, sum(count) AS n FROM line_counts_15m WHERE ${span}
     AND mode IN ('${MOTOR.join("','")}') GROUP BY line_id, direction`,
)) {
  add(`${r.line_id}|${r.direction}`, Number(r.n));
}
for (const r of await q<{ sensor_id: string; direction: string; n: number }>(
  `SELECT sensor_id, direction, sum(coalesce(count_extrapolated, count)) AS n FROM counts_bins
     WHERE interval = '1h' AND ${span.replaceAll('window_start', 'start')} AND mode IN ('${MOTOR.join("','")}')
     GROUP BY sensor_id, direction HAVING n IS NOT NULL`,
)) {
  add(`${r.sensor_id}|${r.direction}`, Number(r.n));
}
await store.close();

// One count per edge: the mean of the lines that sit on it (cameras and counters on one road count the same cars).
const perEdge = new Map<string, number[]>();
for (const [k, n] of counted) {
  const e = edgeOf.get(k);
  if (e === undefined) continue;
  const list = perEdge.get(e) ?? [];
  list.push(n);
  perEdge.set(e, list);
}
writeFileSync(
  join(out, 'counts.xml'),
  `<data>\n  <interval id="h" begin="0" end="3600">\n${[...perEdge]
    .map(([e, v]) => `    <edge id="${e}" entered="${(v.reduce((a, b) => a + b, 0) / v.length).toFixed(0)}"/>`)
    .join('\n')}\n  </interval>\n</data>\n`,
);
// Candidate routes: duarouter between every pair of zone edges of two different zones.
const trips: string[] = [];
let n = 0;
for (const [o, oe] of zoneEdges) {
  for (const [d, de] of zoneEdges) {
    if (o === d) continue;
    for (const a of oe)
      for (const b of de) if (a !== b) trips.push(`  <trip id="t${n++}" depart="0" from="${a}" to="${b}"/>`);
  }
}
writeFileSync(join(out, 'trips.xml'), `<routes>\n${trips.join('\n')}\n</routes>\n`);
execFileSync(
  'duarouter',
  [
    '-n',
    netPath,
    '--route-files',
    join(out, 'trips.xml'),
    '-o',
    join(out, 'candidates.rou.xml'),
    '--ignore-errors',
    '--no-warnings',
    '--no-step-log',
  ],
  { stdio: 'inherit' },
);
execFileSync(
  python,
  [
    join(sumoHome, 'tools/routeSampler.py'),
    '-r',
    join(out, 'candidates.rou.xml'),
    '-d',
    join(out, 'counts.xml'),
    '-o',
    join(out, 'sampled.rou.xml'),
    '--optimize',
    'full',
    '--seed',
    '42',
  ],
  { stdio: 'inherit', env: { ...process.env, SUMO_HOME: sumoHome } },
);
// OD of the sampled vehicles (first and last edge's zones).
const xml = readFileSync(join(out, 'sampled.rou.xml'), 'utf8');
const routes = new Map<string, string>();
for (const m of xml.matchAll(/<route id="([^"]+)" edges="([^"]+)"/g)) routes.set(m[1], m[2]);
const od = new Map<string, number>();
for (const m of xml.matchAll(/<vehicle\b[^>]*?(?:route="([^"]+)")?[^>]*>(?:\s*<route edges="([^"]+)")?/g)) {
  const edges = (m[2] ?? routes.get(m[1] ?? '') ?? '').split(/\s+/).filter(Boolean);
  if (edges.length === 0) continue;
  const k = `${zoneOf.get(edges[0]) ?? '?'}>${zoneOf.get(edges[edges.length - 1]) ?? '?'}`;
  od.set(k, (od.get(k) ?? 0) + 1);
}
const truth = new Map<string, number>();
for (const row of readFileSync(join(dir, 'truth/od_15m.csv'), 'utf8').trim().split('\n').slice(1)) {
  const [o, d, mode, ws, t] = row.split(',');
  if (!MOTOR.includes(mode) || Math.floor(Number(ws) / 3_600_000) * 3_600_000 !== hour) continue;
  truth.set(`${o}>${d}`, (truth.get(`${o}>${d}`) ?? 0) + Number(t));
}
let cells = 0;
let pass = 0;
for (const [k, t] of truth) {
  if (t < 20) continue;
  cells++;
  const m = od.get(k) ?? 0;
  if (Math.sqrt((2 * (m - t) ** 2) / (m + t)) < 5) pass++;
}
const tTot = [...truth.values()].reduce((a, b) => a + b, 0);
const oTot = [...od.values()].reduce((a, b) => a + b, 0);
console.log(
  JSON.stringify({
    world,
    hour: new Date(hour).toISOString(),
    countedEdges: perEdge.size,
    candidateRoutes: trips.length,
    cells,
    gehLt5Share: cells > 0 ? pass / cells : null,
    truthTotal: tTot,
    outputTotal: oTot,
    totalErrorPct: tTot > 0 ? (100 * (oTot - tTot)) / tTot : null,
  }),
);
