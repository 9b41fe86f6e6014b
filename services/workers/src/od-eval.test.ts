/**
 * Evaluation of counts and OD against the chartres-centre ground truth (infra/scenarios/chartres-centre/truth):
 * the scenario's synthetic counter records and raw sightings go through the embedded counts, tokenizer and
 * od-matcher roles into chDB; the expanded OD matrix (expandOd: IPF to the gate loops' counts) is compared with
 * the truth OD per OD pair over the simulated hour, travel times with the truth site-to-site travel times, and
 * the normalised counts with the counters' truth.
 */
import { join } from 'node:path';
import { type Config, loadConfig } from '@passage/config';
import { geh, loadScenario, readTruth, synthesizeCounts, synthesizeSightings, truthSiteTrips } from '@passage/sim';
import { migrate, openStore, type Store } from '@passage/store';
import { countBins, odCells, sensorHealth, siteDevices } from '@passage/store/queries/od-counts';
import { createLogger } from '@passage/stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expandOd, odReference, odZoneCounters } from './roles/od-matcher.ts';
import { startEmbedded } from './runtime.ts';

const DIR = join(import.meta.dirname, '../../../infra/scenarios/chartres-centre');
const MOTOR = new Set(['car', 'van', 'truck', 'bus', 'motorcycle']);
const log = createLogger({ level: 'warn' });
let store: Store;

beforeAll(async () => {
  store = openStore({ dataDir: ':memory:' });
  await migrate(store.client);
});
afterAll(async () => {
  await store.close();
});

const median = (v: number[]) => {
  const s = [...v].sort((a, b) => a - b);
  return s.length === 0
    ? Number.NaN
    : s.length % 2
      ? s[(s.length - 1) / 2]
      : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

describe('chartres-centre: counts and OD against the ground truth', () => {
  it('expanded OD, travel times, counts and sensor health', { timeout: 300_000 }, async () => {
    const ctx = await loadScenario(DIR);
    const truth = await readTruth(join(DIR, 'truth'));
    const { scenario } = ctx;
    const from = scenario.start;
    const to = scenario.start + scenario.durationS * 1000;
    // No hand-written od.reference: the reference counters are derived from the sites file (odReference).
    const config: Config = loadConfig({
      env: {},
      overrides: {
        sitesFile: join(DIR, 'scenario.json'),
        counts: { utcOffsetMinutes: 60 },
      },
    });
    const refs = odReference(config);
    expect(refs.filter((r) => r.margin === 'origin').map((r) => `${r.zone}:${r.sensorId}:${r.direction}`)).toEqual([
      'gate-n:loop-porte-nord-in:in',
      'gate-e:loop-porte-est:in',
      'gate-s:loop-porte-sud-in:in',
      'gate-w:loop-porte-ouest:in',
      'gate-n:telraam-porte-nord:in',
      'gate-e:telraam-porte-est:in',
      'gate-s:telraam-porte-sud:in',
      'gate-w:telraam-porte-ouest:in',
      // Camera arms leading into the station and the north-east car park (deriveCameraArmReferences: motor only).
      'station:cam-gare:l-nw:in',
      'park-ne:cam-parking-ne:l-ne:in',
    ]);
    const counts = synthesizeCounts(ctx, { intervalS: 60 });
    const raw = synthesizeSightings(ctx);
    const emb = await startEmbedded(config, store, log, undefined, {
      roles: ['counts', 'tokenizer', 'od-matcher', 'sink-counts', 'sink-sensor-health', 'sink-od', 'sink-od-hourly'],
    });
    for (let i = 0; i < counts.length; i += 1000) {
      await emb.bus.publish(
        config.topics.counts,
        counts.slice(i, i + 1000).map((r) => ({ key: r.sensorId, value: Buffer.from(JSON.stringify(r)) })),
      );
    }
    for (let i = 0; i < raw.length; i += 500) {
      await emb.bus.publish(
        config.topics.sightingsRaw,
        raw.slice(i, i + 500).map((s) => ({ key: s.siteId, value: Buffer.from(JSON.stringify(s)) })),
      );
    }
    await emb.close();
    const report: Record<string, unknown> = { sightings: raw.length, countRecords: counts.length };

    // --- OD × hour: expanded vs truth. The expansion runs per clock hour (the published product, od_expanded_1h);
    // the simulated hour may straddle two clock hours: their expanded flows are summed per OD (no traffic outside it)
    // and compared with the truth of the simulated hour. `source`: the hourly k-anonymous cells (od_1h, the
    // default) or the 15-min cells (od_15m, the previous basis) for comparison.
    const HOUR = 3_600_000;
    const truthOd = new Map<string, number>();
    for (const r of truth.od) {
      if (r.windowStart < from || r.windowStart >= to) continue;
      for (const g of MOTOR.has(r.mode) ? ['motor', 'all'] : ['all']) {
        const k = `${g}|${r.origin}|${r.destination}`;
        truthOd.set(k, (truthOd.get(k) ?? 0) + r.trips);
      }
    }
    // Zones a group can observe at both ends (ANPR for motor; the same radio, Wi-Fi or BLE, for all).
    const kindsOf = new Map<string, Set<string>>();
    for (const site of scenario.sightingSites) {
      const k = kindsOf.get(site.zoneId) ?? new Set<string>();
      k.add(site.kind);
      kindsOf.set(site.zoneId, k);
    }
    const observable = (g: string, o: string, d: string) => {
      const ko = kindsOf.get(o) ?? new Set();
      const kd = kindsOf.get(d) ?? new Set();
      return g === 'motor' ? ko.has('anpr') && kd.has('anpr') : ['wifi', 'ble'].some((k) => ko.has(k) && kd.has(k));
    };
    const odReport = async (source: '1h' | '15m') => {
      // 15-min cells: one period over the simulated hour (the previous evaluation); hourly cells: clock hours, the
      // reference counts bounded by the simulated interval.
      const exp = await expandOd(store.client, config, {
        from,
        to,
        periodMs: source === '1h' ? HOUR : to - from,
        source,
        extent: { from, to },
      });
      const out = new Map<string, { expanded: number; observed: number; se2: number }>();
      for (const c of exp.cells) {
        const k = `${c.mode}|${c.origin}|${c.destination}`;
        const a = out.get(k) ?? { expanded: 0, observed: 0, se2: 0 };
        a.expanded += c.expanded ?? 0;
        a.observed += c.trips;
        a.se2 += (c.expandedStdErr ?? 0) ** 2;
        out.set(k, a);
      }
      const rep: Record<string, unknown> = {};
      for (const g of ['motor', 'all']) {
        const rows = [...truthOd].filter(([k, v]) => k.startsWith(`${g}|`) && v >= 20);
        const gehs = rows.map(([k, v]) => geh(out.get(k)?.expanded ?? 0, v));
        const obsRows = rows.filter(([k]) => observable(g, k.split('|')[1], k.split('|')[2]));
        const obsGehs = obsRows.map(([k, v]) => geh(out.get(k)?.expanded ?? 0, v));
        // Coverage of the stated uncertainty: share of cells with |expanded − truth| ≤ 2 se.
        const covered = rows.filter(([k, v]) => {
          const o = out.get(k);
          return o !== undefined && Math.abs(o.expanded - v) <= 2 * Math.sqrt(o.se2);
        }).length;
        const sumOf = (pred: (k: string) => boolean, m: Map<string, number>) =>
          [...m].filter(([k]) => k.startsWith(`${g}|`) && pred(k)).reduce((a, [, v]) => a + v, 0);
        rep[`od.${g}`] = {
          cellsTruthGe20: rows.length,
          gehLt5Share: gehs.filter((x) => x < 5).length / Math.max(1, gehs.length),
          medianGeh: median(gehs),
          observableCellsTruthGe20: obsRows.length,
          observableGehLt5Share: obsGehs.filter((x) => x < 5).length / Math.max(1, obsGehs.length),
          observableMedianGeh: median(obsGehs),
          within2SeShare: covered / Math.max(1, rows.length),
          truthTotal: sumOf(() => true, truthOd),
          expandedTotal: [...out].filter(([k]) => k.startsWith(`${g}|`)).reduce((a, [, v]) => a + v.expanded, 0),
          observedTotal: [...out].filter(([k]) => k.startsWith(`${g}|`)).reduce((a, [, v]) => a + v.observed, 0),
          worst: rows
            .map(([k, v]) => ({
              k,
              truth: v,
              expanded: Math.round(out.get(k)?.expanded ?? 0),
              observed: out.get(k)?.observed ?? 0,
            }))
            .sort((a, b) => geh(b.expanded, b.truth) - geh(a.expanded, a.truth))
            .slice(0, 5),
        };
      }
      return { rep, exp };
    };
    const hourly = await odReport('1h');
    const quarter = await odReport('15m');
    Object.assign(report, hourly.rep);
    report.from15mCells = quarter.rep;
    const expanded = hourly.exp;
    // Per clock hour: each published hourly cell (od_expanded_1h) against the truth of the same clock hour (the
    // simulated hour straddles two: each is covered for the part the scenario simulates).
    const truthHour = new Map<string, number>();
    for (const r of truth.od) {
      if (r.windowStart < from || r.windowStart >= to) continue;
      const h = Math.floor(r.windowStart / HOUR) * HOUR;
      for (const g of MOTOR.has(r.mode) ? ['motor', 'all'] : ['all']) {
        const k = `${g}|${r.origin}|${r.destination}|${h}`;
        truthHour.set(k, (truthHour.get(k) ?? 0) + r.trips);
      }
    }
    const expHour = new Map<string, number>();
    const ivHour = new Map<string, [number, number]>();
    for (const c of expanded.cells) {
      const k = `${c.mode}|${c.origin}|${c.destination}|${c.periodStart}`;
      expHour.set(k, (expHour.get(k) ?? 0) + (c.expanded ?? 0));
      if (c.lower95 !== undefined && c.upper95 !== undefined && c.upper95 > 0) ivHour.set(k, [c.lower95, c.upper95]);
    }
    report.perClockHour = Object.fromEntries(
      ['motor', 'all'].map((g) => {
        const rows = [...truthHour].filter(([k, v]) => k.startsWith(`${g}|`) && v >= 20);
        const gehs = rows.map(([k, v]) => geh(expHour.get(k) ?? 0, v));
        return [
          g,
          {
            cellsTruthGe20: rows.length,
            gehLt5Share: gehs.filter((x) => x < 5).length / Math.max(1, gehs.length),
            medianGeh: median(gehs),
            // Share of the cells whose stated 95 % interval (GLS posterior) holds the truth.
            interval95Coverage:
              rows.filter(([k, v]) => {
                const iv = ivHour.get(k);
                return iv !== undefined && v >= iv[0] && v <= iv[1];
              }).length / Math.max(1, rows.length),
          },
        ];
      }),
    );
    report.margins = expanded.margins.map(
      (m) =>
        `${m.mode}@${(m.periodStart - from) / 60_000}min ${m.margin}:${m.zone}=${Math.round(m.total)}(${m.source}${m.rate !== undefined ? ` ρ=${m.rate.toFixed(3)}` : ''})`,
    );
    report.excludedSensors = expanded.excludedSensors;
    report.siteDevices = (await siteDevices(store.client, { from: Math.floor(from / HOUR) * HOUR, to })).map(
      (d) => `${d.siteId}@${(d.windowStart - from) / 60_000}min=${d.suppressed ? 'suppressed' : d.devices}`,
    );
    report.zoneCounters = odZoneCounters(config).map((z) => `${z.zone}:${z.sensorId}`);

    // --- Travel times: p50 of published 15-min cells vs truth p50 (same zones, same window of the first pass).
    // truth/travel_times_15m.csv pools plate (ANPR) and device (Wi-Fi/BLE) trips in one cell; the same-source truth
    // (truthSiteTrips: plate trips for `motor`, device trips for `all`) compares like with like.
    const stored = await odCells(store.client, { from, to });
    const truthTt = new Map(truth.travelTimes.map((r) => [`${r.origin}|${r.destination}|${r.windowStart}`, r]));
    const hops = new Map<string, number[]>();
    for (const t of truthSiteTrips(ctx)) {
      const w = from + Math.floor(t.departS / 900) * 900_000;
      const k = `${t.via === 'plate' ? 'motor' : 'all'}|${t.origin}|${t.destination}|${w}`;
      const list = hops.get(k) ?? [];
      list.push(t.travelS);
      hops.set(k, list);
    }
    const ttErr: Record<string, number[]> = { motor: [], all: [] };
    const ttErrSame: Record<string, number[]> = { motor: [], all: [] };
    for (const c of stored) {
      if (c.suppressed || c.travelTimeP50S === undefined || c.origin === c.destination) continue;
      const t = truthTt.get(`${c.origin}|${c.destination}|${c.windowStart}`);
      if (t && t.trips >= 5) ttErr[c.mode]?.push(Math.abs(c.travelTimeP50S - t.travelTimeP50S) / t.travelTimeP50S);
      const h = hops.get(`${c.mode}|${c.origin}|${c.destination}|${c.windowStart}`);
      if (h && h.length >= 5) ttErrSame[c.mode]?.push(Math.abs(c.travelTimeP50S - median(h)) / median(h));
    }
    report.travelTimePooledMedianRelError = median([...ttErr.motor, ...ttErr.all]);
    report.travelTime = Object.fromEntries(
      Object.entries(ttErr).map(([g, e]) => [
        g,
        {
          cells: e.length,
          medianRelError: median(e),
          sameSourceCells: ttErrSame[g].length,
          sameSourceMedianRelError: median(ttErrSame[g]),
        },
      ]),
    );

    // --- Counts: 15-min bins vs the counters' truth, per sensor over the hour.
    const bins = await countBins(store.client, { from, to, interval: '15m' });
    const faulty = new Set(scenario.counters.filter((c) => c.faulty).map((c) => c.id));
    const perSensor = new Map<string, { out: number; truth: number; input: number }>();
    const get = (s: string) => {
      const a = perSensor.get(s) ?? { out: 0, truth: 0, input: 0 };
      perSensor.set(s, a);
      return a;
    };
    for (const b of bins) if (b.count !== null) get(b.sensorId).out += b.count;
    for (const r of counts) if (r.count !== null) get(r.sensorId).input += r.count;
    for (const r of truth.counters) if (r.start >= from && r.start < to) get(r.sensorId).truth += r.count ?? 0;
    const countErr = Object.fromEntries(
      [...perSensor].map(([s, v]) => [
        s,
        {
          truth: v.truth,
          input: v.input,
          out: Math.round(v.out * 1000) / 1000,
          errPct: Math.round((1000 * (v.out - v.truth)) / v.truth) / 10,
          inputVsTruthPct: Math.round((1000 * (v.input - v.truth)) / v.truth) / 10,
        },
      ]),
    );
    report.counts = countErr;
    const flags = await sensorHealth(store.client, { from, to });
    report.health = flags
      .filter((f) => faulty.has(f.sensorId) || f.kind !== 'stuck-at-zero')
      .map(
        (f) => `${f.sensorId}/${f.mode}/${f.direction}:${f.kind}@${(f.from - from) / 1000}-${(f.to - from) / 1000}s`,
      );
    report.healthFindings = flags.length;
    console.log(JSON.stringify(report, null, 2));

    // Assertions: what this pipeline achieves on this scenario (docs/OD-AND-PRIVACY.md).
    const motor = report['od.motor'] as { gehLt5Share: number; cellsTruthGe20: number };
    expect(motor.cellsTruthGe20).toBeGreaterThan(10);
    // The published product: OD × clock-hour cells with ≥ 20 true trips, GEH < 5 on ≥ 85 % of them, both groups.
    const perHour = report.perClockHour as Record<
      string,
      { cellsTruthGe20: number; gehLt5Share: number; interval95Coverage: number }
    >;
    // Issue 10's targets: ≥ 85 % (motor), ≥ 75 % (all modes: 75.4 % measured; cells the Wi-Fi/BLE probes saw only
    // below k are withheld, not estimated, since issue 11).
    for (const [g, target] of [
      ['motor', 0.85],
      ['all', 0.75],
    ] as const) {
      expect(perHour[g].cellsTruthGe20, g).toBeGreaterThan(50);
      expect(perHour[g].gehLt5Share, g).toBeGreaterThanOrEqual(target);
    }
    // 95 % intervals of the ANPR matrix hold the truth of 90–98 % of its cells (96.2 % measured). Not asserted for
    // `all` here: this coverage counts a cell without an estimate (withheld) as missed (74.6 %); over the cells
    // with an interval, as `passage eval` reports it, 93.8 % (docs/EVALUATION.md).
    expect(perHour.motor.interval95Coverage).toBeGreaterThanOrEqual(0.9);
    expect(perHour.motor.interval95Coverage).toBeLessThanOrEqual(0.98);
    // Summed over the simulated hour, the ANPR matrix too.
    expect(motor.gehLt5Share).toBeGreaterThanOrEqual(0.85);
    const tt = report.travelTime as Record<string, { medianRelError: number; sameSourceMedianRelError: number }>;
    expect(tt.motor.medianRelError).toBeLessThanOrEqual(0.1);
    expect(tt.motor.sameSourceMedianRelError).toBeLessThanOrEqual(0.1);
    expect(report.travelTimePooledMedianRelError as number).toBeLessThanOrEqual(0.1);
    // Faulty sensors flagged in their fault window.
    const est = flags.filter((f) => f.sensorId === 'loop-porte-est' && f.kind === 'gap');
    expect(est.some((f) => f.from === from + 1_200_000 && f.to === from + 1_800_000)).toBe(true);
    expect(flags.some((f) => f.sensorId === 'ped-gare' && f.kind === 'stuck-at-zero')).toBe(true);
    // The pipeline is faithful to its input: healthy sensors' 15-min bins sum to what the counters reported.
    for (const [s, v] of Object.entries(countErr)) {
      if (!faulty.has(s)) expect(Math.abs(v.out - v.input), s).toBeLessThan(1e-6);
    }
  });
});
