/**
 * OD matcher benchmark: 1,000,000 synthetic token sightings (one day, 50 sites in 10 zones, ~100k devices,
 * 30 % ANPR / 70 % Wi-Fi, repeated probes per visit, 2–6 visits per trip, slight out-of-order arrival),
 * fed in event-time order with a watermark every 1,000 sightings (max event time − 30 s).
 * Measures sightings/s of `onSighting` + `onWatermark` (median of 3 runs, fresh matcher each; wall clock and
 * per CPU second of the process, the latter being steadier on a shared machine), the peak
 * number of live tokens, and heap growth; a second pass caps `maxTokens` at 5,000 to show the bound and the
 * evictions it costs.
 *
 * `node --import tsx bench/od.ts` prints a table and writes `.bench/od.json`; with `BENCH_OD_ROLES=1` it also runs the
 * sightings (tokens used as raw ids) through the embedded tokenizer → od-matcher → sink-od roles ({@link runRoles}).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { OdMatcher, type OdMatcherOptions, type TokenSightingLike } from '@passage/core';
import { mulberry32 } from '@passage/core/prng';
import { median } from './_util.ts';

const N = Number(process.env.BENCH_OD_SIGHTINGS ?? 1_000_000);
const DAY = 86_400_000;
const T0 = Date.parse('2025-10-01T00:00:00Z');

const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

export function synthesise(
  n: number,
  seed = 42,
): { sightings: TokenSightingLike[]; devices: number; multiVisit: number } {
  const rnd = mulberry32(seed);
  const sites = Array.from({ length: 50 }, (_, i) => `site-${i}`);
  const out: TokenSightingLike[] = [];
  let devices = 0;
  let multiVisit = 0;
  while (out.length < n) {
    devices++;
    let token = '';
    for (let k = 0; k < 22; k++) token += B64[Math.floor(rnd() * 64)];
    const kind: TokenSightingLike['kind'] = rnd() < 0.3 ? 'anpr' : 'wifi';
    // Departure time: two peaks (08:00, 17:30) over a flat base.
    const u = rnd();
    const centre = u < 0.35 ? 8 * 3_600_000 : u < 0.7 ? 17.5 * 3_600_000 : rnd() * DAY;
    let t = T0 + Math.min(DAY - 1, Math.max(0, centre + (u < 0.7 ? (rnd() - 0.5) * 4 * 3_600_000 : 0)));
    const visits = 2 + Math.floor(rnd() * 5) - (rnd() < 0.2 ? 1 : 0); // 1..6, a fifth seen at one site only
    if (visits >= 2) multiVisit++;
    let site = Math.floor(rnd() * sites.length);
    for (let v = 0; v < visits && out.length < n; v++) {
      const probes = kind === 'anpr' ? 1 : 1 + Math.floor(rnd() * 4);
      for (let p = 0; p < probes && out.length < n; p++) {
        out.push({ siteId: sites[site], ts: Math.round(t), kind, token });
        t += 10_000 + rnd() * 30_000;
      }
      t += 120_000 + rnd() * 1_080_000; // 2–20 min to the next site
      site = (site + 1 + Math.floor(rnd() * (sites.length - 1))) % sites.length;
    }
  }
  out.sort((a, b) => a.ts - b.ts);
  // Out-of-order arrival: 2 % of sightings swapped with a neighbour up to 20 positions later.
  for (let i = 0; i < out.length - 20; i++) {
    if (rnd() < 0.02) {
      const j = i + 1 + Math.floor(rnd() * 20);
      const x = out[i];
      out[i] = out[j];
      out[j] = x;
    }
  }
  return { sightings: out, devices, multiVisit };
}

function feed(m: OdMatcher, sightings: readonly TokenSightingLike[]): number {
  let maxTs = 0;
  let cells = 0;
  for (let i = 0; i < sightings.length; i++) {
    const s = sightings[i];
    m.onSighting(s);
    if (s.ts > maxTs) maxTs = s.ts;
    if (i % 1000 === 999) cells += m.onWatermark(maxTs - 30_000).length;
  }
  cells += m.flush().length;
  return cells;
}

export async function run(): Promise<Record<string, number>> {
  const siteZone = Object.fromEntries(Array.from({ length: 50 }, (_, i) => [`site-${i}`, `zone-${i % 10}`]));
  const { sightings, devices, multiVisit } = synthesise(N);
  const opts: OdMatcherOptions = { siteZone };
  // Warm-up on a slice.
  feed(new OdMatcher(opts), sightings.slice(0, 100_000));
  const rates: number[] = [];
  const cpuRates: number[] = [];
  let last: OdMatcher | null = null;
  let cells = 0;
  let heapGrowth = 0;
  for (let r = 0; r < 3; r++) {
    globalThis.gc?.();
    const heap0 = process.memoryUsage().heapUsed;
    const m = new OdMatcher(opts);
    const t0 = performance.now();
    const cpu0 = process.cpuUsage();
    cells = feed(m, sightings);
    const dt = performance.now() - t0;
    const cpu = process.cpuUsage(cpu0);
    cpuRates.push(sightings.length / ((cpu.user + cpu.system) / 1e6));
    heapGrowth = Math.max(heapGrowth, process.memoryUsage().heapUsed - heap0);
    rates.push(sightings.length / (dt / 1000));
    last = m;
  }
  const m = last as OdMatcher;
  const c = m.counters();
  // Capped pass.
  const capped = new OdMatcher({ ...opts, maxTokens: 5_000 });
  const t1 = performance.now();
  feed(capped, sightings);
  const cappedRate = sightings.length / ((performance.now() - t1) / 1000);
  return {
    sightings: sightings.length,
    devices,
    devicesMultiVisit: multiVisit,
    sightingsPerSec: median(rates),
    sightingsPerCpuSec: median(cpuRates),
    peakStateTokens: m.peakStateSize(),
    finalStateTokens: m.stateSize(),
    heapGrowthMiB: heapGrowth / 2 ** 20,
    trips: c.trips,
    cells,
    late: c.late,
    lateTrips: c.lateTrips,
    deduplicated: c.deduplicated,
    'capped5k.sightingsPerSec': cappedRate,
    'capped5k.peakStateTokens': capped.peakStateSize(),
    'capped5k.evicted': capped.counters().evicted,
    'capped5k.trips': capped.counters().trips,
  };
}

/**
 * The same sightings as raw ids through the embedded tokenizer → od-matcher → sink-od roles (in-process bus,
 * chDB in memory): sightings/s end to end (JSON encode/decode, HMAC, matching, k-anonymity, inserts) and the
 * matcher's peak live tokens (`passage_state_size{state="peakTokens"}`).
 */
export async function runRoles(n = N): Promise<Record<string, number>> {
  const { loadConfig } = await import('@passage/config');
  const { migrate, openStore } = await import('@passage/store');
  const { createLogger } = await import('@passage/stream');
  const { startEmbedded } = await import('@passage/workers');
  const siteZone = Object.fromEntries(Array.from({ length: 50 }, (_, i) => [`site-${i}`, `zone-${i % 10}`]));
  const { sightings } = synthesise(n);
  const raw = sightings.map((s) =>
    Buffer.from(JSON.stringify({ siteId: s.siteId, ts: s.ts, kind: s.kind, id: s.token })),
  );
  const store = openStore({ dataDir: ':memory:' });
  await migrate(store.client);
  const config = loadConfig({ env: {}, overrides: { od: { siteZones: siteZone } } });
  const emb = await startEmbedded(config, store, createLogger({ level: 'warn' }), undefined, {
    roles: ['tokenizer', 'od-matcher', 'sink-od'],
  });
  globalThis.gc?.();
  const rss0 = process.memoryUsage().rss;
  let rssPeak = rss0;
  const t0 = performance.now();
  for (let i = 0; i < raw.length; i += 1000) {
    await emb.bus.publish(
      config.topics.sightingsRaw,
      raw.slice(i, i + 1000).map((value, j) => ({ key: sightings[i + j].siteId, value })),
    );
    if (i % 100_000 === 0) rssPeak = Math.max(rssPeak, process.memoryUsage().rss);
  }
  const state = await emb.metrics.stateSize.get();
  await emb.close();
  const dt = (performance.now() - t0) / 1000;
  const st = (name: string) =>
    state.values.find((v) => v.labels.role === 'od-matcher' && v.labels.state === name)?.value ?? Number.NaN;
  const rows = await (
    await store.client.query({ query: 'SELECT count() AS n, sum(trips) AS t FROM od_15m', format: 'JSONEachRow' })
  ).json<{ n: string; t: string }>();
  await store.close();
  return {
    'roles.sightings': raw.length,
    'roles.sightingsPerSec': raw.length / dt,
    'roles.peakStateTokens': st('peakTokens'),
    'roles.late': st('late'),
    'roles.odRows': Number(rows[0].n),
    'roles.tripsPublished': Number(rows[0].t),
    'roles.rssGrowthMiB': (rssPeak - rss0) / 2 ** 20,
  };
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const r = { ...(await run()), ...(process.env.BENCH_OD_ROLES === '1' ? await runRoles() : {}) };
  const w = Math.max(...Object.keys(r).map((k) => k.length));
  console.log(`OD matcher, ${r.sightings.toLocaleString('en-US')} synthetic sightings (one day, 50 sites / 10 zones)`);
  for (const [k, v] of Object.entries(r)) {
    console.log(`  ${k.padEnd(w)}  ${Number.isInteger(v) ? v.toLocaleString('en-US') : v.toFixed(1)}`);
  }
  mkdirSync(new URL('../.bench/', import.meta.url), { recursive: true });
  writeFileSync(new URL('../.bench/od.json', import.meta.url), `${JSON.stringify(r, null, 2)}\n`);
}
