/**
 * Signals routes on a real chDB store: the fixture junction's classified movements (same table as the
 * turning-movement view), PCU, approach totals, heavy share, PHF, peak windows and health flags, and the current
 * vs proposed plan, cross-checked against direct SQL and against each other.
 */
import { loadConfig } from '@passage/config';
import { DEFAULT_PCU } from '@passage/core';
import { migrate, openStore, rows, type Store } from '@passage/store';
import { createLogger } from '@passage/stream';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../app.ts';
import { type FixtureInfo, fillFixture } from '../fixtures/aggregates.ts';
import { fillSignalsFixture, SIGNALS_FIXTURE } from '../fixtures/signals-footfall.ts';

const KEYS = {
  traffic: 'traffic-key-0123456789abcdef',
  planner: 'planner-key-0123456789abcdef',
  admin: 'admin-key-0123456789abcdef0',
};
let store: Store;
let app: FastifyInstance;
let fx: FixtureInfo;
let range: string;
const get = (url: string, key?: string) => app.inject({ method: 'GET', url, headers: key ? { 'x-api-key': key } : {} });

beforeAll(async () => {
  store = openStore({ dataDir: ':memory:' });
  await migrate(store.client);
  fx = await fillFixture(store.client, { hours: 2 });
  await fillSignalsFixture(store.client, fx.start, 2);
  const config = loadConfig({
    env: {},
    overrides: {
      api: {
        keys: [`traffic:${KEYS.traffic}`, `planner:${KEYS.planner}`, `admin:${KEYS.admin}`],
        rateLimitPerMinute: 100000,
      },
    },
  });
  app = await buildApp({ config, store, log: createLogger({ level: 'silent' }), dashboardDir: false });
  range = `from=${new Date(fx.start).toISOString()}&to=${new Date(fx.end).toISOString()}`;
}, 120_000);

afterAll(async () => {
  await app?.close();
  await store?.close();
});

const ID = SIGNALS_FIXTURE.controller;

describe('signals routes', () => {
  it('lists the registry junction with its groups and time-of-day plans; traffic and admin only', async () => {
    const r = await get('/api/v1/signals', KEYS.traffic);
    expect(r.statusCode).toBe(200);
    const j = r.json().junctions;
    expect(j).toHaveLength(1);
    expect(j[0]).toMatchObject({ id: ID, siteId: 'site-r3a0', timezone: 'Europe/Paris', cameraIds: ['cam-bd-nord'] });
    expect(j[0].groups.map((g: { id: string }) => g.id)).toEqual(['NS', 'EW', 'P1']);
    expect(j[0].plans.map((p: { id: string; cycleS: number }) => [p.id, p.cycleS])).toEqual([
      ['AM', 90],
      ['OFF', 60],
    ]);
    expect((await get('/api/v1/signals', KEYS.admin)).statusCode).toBe(200);
    const planner = await get('/api/v1/signals', KEYS.planner);
    expect(planner.statusCode).toBe(403);
    expect(planner.json().code).toBe('PASSAGE_FORBIDDEN');
    expect((await get('/api/v1/signals')).statusCode).toBe(401);
    const doc = (await get('/docs/json')).json() as { paths: Record<string, unknown> };
    for (const p of [
      '/api/v1/signals',
      '/api/v1/signals/{id}/movements',
      '/api/v1/signals/{id}/plan',
      '/api/v1/footfall/sensors',
      '/api/v1/footfall/hourly',
      '/api/v1/footfall/calendar',
      '/api/v1/footfall/forecast',
      '/api/v1/footfall/before-after',
      '/api/v1/footfall/events',
    ]) {
      expect(doc.paths, p).toHaveProperty([p]);
    }
    const missing = await get(`/api/v1/signals/nope/movements?${range}`, KEYS.traffic);
    expect(missing.statusCode).toBe(404);
    expect(missing.json().code).toBe('PASSAGE_SITE_NOT_FOUND');
    const badPeaks = await get(`/api/v1/signals/${ID}/movements?${range}&peaks=AM=7h-9h`, KEYS.traffic);
    expect(badPeaks.statusCode).toBe(400);
  });

  it('classified movements equal the store, in PCU, with approach totals, heavy share, PHF, peaks and flags', async () => {
    const r = await get(`/api/v1/signals/${ID}/movements?${range}`, KEYS.traffic);
    expect(r.statusCode).toBe(200);
    const m = r.json();
    const sql = await rows<{ from_zone: string; to_zone: string; mode: string; c: number }>(
      store.client,
      `SELECT from_zone, to_zone, mode, toFloat64(sum(count)) AS c FROM movements_15m
       WHERE camera_id = 'cam-bd-nord' AND window_start >= toDateTime({f:UInt32}) AND window_start < toDateTime({t:UInt32})
       GROUP BY from_zone, to_zone, mode`,
      { f: fx.start / 1000, t: fx.end / 1000 },
    );
    expect(sql.length).toBeGreaterThan(20);
    for (const x of sql) {
      const mv = m.movements.find((y: { key: string }) => y.key === `${x.from_zone}>${x.to_zone}`);
      expect(mv.byMode[m.modes.indexOf(x.mode)]).toBe(Number(x.c));
    }
    const pcu = (mode: string) => DEFAULT_PCU[mode as keyof typeof DEFAULT_PCU];
    const pcuSql = sql.reduce((a, x) => a + Number(x.c) * pcu(x.mode), 0);
    const pcuApi = m.movements.reduce((a: number, x: { pcu: number }) => a + x.pcu, 0);
    expect(pcuApi).toBeCloseTo(pcuSql, 6);
    expect(m.intervals).toHaveLength(8);
    expect(m.intervals.reduce((a: number, i: { total: number }) => a + i.total, 0)).toBeCloseTo(pcuSql, 6);
    expect(m.movements[0].name).toBe('bras est → bras nord');
    // Heavy share of the north arm: trucks and buses over vehicles (pedestrians excluded).
    const north = sql.filter((x) => x.from_zone === 'cam-bd-nord:z-n');
    const veh = north.filter((x) => x.mode !== 'pedestrian').reduce((a, x) => a + Number(x.c), 0);
    const heavy = north.filter((x) => x.mode === 'truck' || x.mode === 'bus').reduce((a, x) => a + Number(x.c), 0);
    const n = m.approaches.find((a: { arm: string }) => a.arm === 'cam-bd-nord:z-n');
    expect(heavy).toBeGreaterThan(10);
    expect(n.vehicles).toBe(veh);
    expect(n.heavyShare).toBeCloseTo(heavy / veh, 9);
    expect(n.name).toBe('bras nord');
    expect(n.phf).toBeGreaterThan(0.25);
    expect(n.phf).toBeLessThanOrEqual(1);
    // PHF recomputed from the 15-minute table for that approach.
    const keys = m.movements.map((x: { from: string }) => x.from);
    const series = m.intervals.map((i: { pcu: number[] }) =>
      i.pcu.reduce((a, v, k) => a + (keys[k] === 'cam-bd-nord:z-n' ? v : 0), 0),
    );
    let best = 0;
    for (let i = 0; i + 4 <= series.length; i++) {
      const s = series[i] + series[i + 1] + series[i + 2] + series[i + 3];
      if (s > series.slice(best, best + 4).reduce((a: number, b: number) => a + b, 0)) best = i;
    }
    const hour = series.slice(best, best + 4);
    expect(n.phf).toBeCloseTo(hour.reduce((a: number, b: number) => a + b, 0) / (4 * Math.max(...hour)), 9);
    // Peak windows in local time (Europe/Paris, UTC+1): AM 07:00–09:00 covers 07:30–09:00 of the data, PM none.
    const [am, pm] = m.peaks;
    expect([am.name, am.intervals, pm.name, pm.intervals]).toEqual(['AM', 6, 'PM', 0]);
    expect(am.total).toBeCloseTo(
      m.intervals.slice(0, 6).reduce((a: number, i: { total: number }) => a + i.total, 0),
      6,
    );
    // The camera's health event (07:00–07:10 UTC) flags exactly the interval starting at 07:00 UTC.
    const flagged = m.intervals
      .filter((i: { flags: string[] }) => i.flags.includes('fault'))
      .map((i: { start: number }) => i.start);
    expect(flagged).toEqual([fx.start + 30 * 60_000]);
    expect(m.health).toHaveLength(1);
  });

  it('evaluates the current AM plan and a proposal on the busiest 15 minutes; proposed periods cover the data', async () => {
    const mv = (await get(`/api/v1/signals/${ID}/movements?${range}`, KEYS.traffic)).json();
    const r = await get(`/api/v1/signals/${ID}/plan?${range}`, KEYS.traffic);
    expect(r.statusCode).toBe(200);
    const p = r.json();
    const busiest = mv.intervals.reduce((b: { total: number }, i: { total: number }) => (i.total > b.total ? i : b));
    expect(p.designFrom).toBe(busiest.start);
    expect(p.current.planId).toBe('AM');
    expect(p.current.cycleS).toBe(90);
    expect(p.current.control).toBe('fixed');
    expect(p.current.groups).toEqual([
      { group: 'NS', kind: 'vehicle', greens: [[0, 40]], maxGreenS: null },
      { group: 'EW', kind: 'vehicle', greens: [[45, 85]], maxGreenS: null },
      { group: 'P1', kind: 'pedestrian', greens: [[0, 12]], maxGreenS: null },
    ]);
    // Design flow of each approach = 4 × its PCU in the busiest interval.
    for (const a of p.current.approaches) {
      const q = busiest.pcu.reduce(
        (s: number, v: number, k: number) => s + (mv.movements[k].from === a.approach ? v : 0),
        0,
      );
      expect(a.flowPcuH).toBeCloseTo(4 * q, 6);
      expect(a.X).toBeGreaterThan(0);
      expect(a.los).toMatch(/^[A-F]$/);
    }
    expect(p.proposed.cycleS).toBeGreaterThanOrEqual(40);
    expect(p.proposed.cycleS).toBeLessThanOrEqual(120);
    expect(p.proposed.delayS).toBeLessThan(p.current.delayS);
    const ns = p.proposed.groups.find((g: { group: string }) => g.group === 'NS').greens;
    expect(ns[0][0]).toBe(0);
    // vehicle-actuated (the product default): each vehicle group may run up to twice its vehicle-only green on
    // top of the fixed walk interval it shares with P1; the pedestrian group's walk stays fixed
    expect(p.proposed.control).toBe('actuated');
    const walk = p.proposed.groups.find((g: { group: string }) => g.group === 'P1');
    expect(walk.maxGreenS).toBeNull();
    const [pw0, pw1] = walk.greens[0];
    for (const g of p.proposed.groups.filter((x: { kind: string }) => x.kind === 'vehicle')) {
      const green = g.greens.reduce((a: number, [x, y]: [number, number]) => a + y - x, 0);
      const fixed = g.greens[0][0] === pw0 ? pw1 - pw0 : 0; // NS shares its first seconds with the walk
      expect(g.maxGreenS, g.group).toBe(fixed + 2 * (green - fixed));
    }
    expect(p.periods.current.map((x: { plan: string }) => x.plan)).toEqual(['AM', 'OFF']);
    expect(p.periods.proposed.length).toBeGreaterThanOrEqual(1);
    expect(p.periods.proposed[0].from).toBe('07:30');
    expect(p.periods.proposed.at(-1).to).toBe('09:30');
    const forced = (await get(`/api/v1/signals/${ID}/plan?${range}&plan=OFF`, KEYS.traffic)).json();
    expect(forced.current.cycleS).toBe(60);
  });
});
