/**
 * Footfall routes on a real chDB store with 66 days of hourly counts at four sensors (fixtures/signals-footfall.ts):
 * sensors, hourly series, calendar days with fault flags and holidays, stored forecasts, before/after with an
 * injected +20 % effect and a placebo date, events.
 */
import { loadConfig } from '@passage/config';
import { migrate, openStore, type Store } from '@passage/store';
import { createLogger } from '@passage/stream';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../app.ts';
import { fillFixture } from '../fixtures/aggregates.ts';
import { FOOTFALL_FIXTURE as F, fillFootfallFixture } from '../fixtures/signals-footfall.ts';

const KEYS = { traffic: 'traffic-key-0123456789abcdef', planner: 'planner-key-0123456789abcdef' };
let store: Store;
let app: FastifyInstance;
let hourly: Map<string, number[]>;
const get = (url: string, key: string | undefined = KEYS.planner) =>
  app.inject({ method: 'GET', url, headers: key ? { 'x-api-key': key } : {} });
/** Hour index in the fixture series of a UTC instant (local = UTC+1 in winter). */
const idx = (iso: string) => (Date.parse(iso) - Date.parse(`${F.firstDate}T00:00:00+01:00`)) / 3_600_000;

beforeAll(async () => {
  store = openStore({ dataDir: ':memory:' });
  await migrate(store.client);
  await fillFixture(store.client, { hours: 2 });
  hourly = (await fillFootfallFixture(store.client)).hourly;
  const config = loadConfig({
    env: {},
    overrides: {
      api: { keys: [`traffic:${KEYS.traffic}`, `planner:${KEYS.planner}`], rateLimitPerMinute: 100000 },
      footfall: { timeZone: F.timeZone, country: 'FR' },
    },
  });
  app = await buildApp({ config, store, log: createLogger({ level: 'silent' }), dashboardDir: false });
}, 120_000);

afterAll(async () => {
  await app?.close();
  await store?.close();
});

describe('footfall routes', () => {
  it('lists pedestrian sensors (registry counters and pedestrian series), planners only', async () => {
    const r = await get('/api/v1/footfall/sensors');
    expect(r.statusCode).toBe(200);
    expect(r.json().sensors.map((s: { id: string }) => s.id)).toEqual([
      'ped-gare',
      'ped-m1',
      'ped-m2',
      'ped-rue-pietonne-sud',
    ]);
    expect(r.json().sensors[0].name).toBe('Compteur piétons avenue de la Gare');
    expect((await get('/api/v1/footfall/sensors', KEYS.traffic)).statusCode).toBe(403);
    expect((await get('/api/v1/footfall/sensors', '')).statusCode).toBe(401);
    const unknown = await get('/api/v1/footfall/hourly?sensors=nope&from=2026-02-01&to=2026-02-02');
    expect([unknown.statusCode, unknown.json().code]).toEqual([404, 'PASSAGE_SITE_NOT_FOUND']);
  });

  it('hourly series sum the sensors, local date and hour, gaps null', async () => {
    const from = '2026-02-02T00:00:00Z';
    const r = (
      await get(`/api/v1/footfall/hourly?sensors=ped-gare,ped-m1&from=${from}&to=2026-02-03T00:00:00Z`)
    ).json();
    expect(r.points).toHaveLength(24);
    const i0 = idx(from);
    const expected = Array.from(
      { length: 24 },
      (_, k) => hourly.get('ped-gare')![i0 + k] + hourly.get('ped-m1')![i0 + k],
    );
    expect(r.points.map((p: { count: number }) => p.count)).toEqual(expected);
    expect(r.total).toBe(expected.reduce((a, b) => a + b, 0));
    expect(r.points[0]).toMatchObject({ date: '2026-02-02', hour: 1 });
    const gap = (
      await get('/api/v1/footfall/hourly?sensors=ped-m2&from=2026-01-20T00:00:00Z&to=2026-01-20T12:00:00Z')
    ).json();
    expect(gap.points.every((p: { count: number | null }) => p.count === null)).toBe(true);
  });

  it('calendar days: local totals, the outage day flagged, New Year holiday, events of the selected sensors', async () => {
    const r = (
      await get('/api/v1/footfall/calendar?sensors=ped-gare,ped-m2&from=2025-12-31T23:00:00Z&to=2026-02-28T23:00:00Z')
    ).json();
    expect(r.days).toHaveLength(59);
    const day = (d: string) => r.days.find((x: { date: string }) => x.date === d);
    expect(day('2026-01-01').holiday).toBe('Nouvel An');
    expect(day('2026-01-20')).toMatchObject({ flag: 'outage', hours: 24 });
    const d0 = idx('2026-02-02T00:00:00+01:00');
    const tot = [...hourly.get('ped-gare')!.slice(d0, d0 + 24), ...hourly.get('ped-m2')!.slice(d0, d0 + 24)].reduce(
      (a, b) => a + b,
      0,
    );
    expect(day('2026-02-02')).toMatchObject({ total: tot, hours: 48, flag: 'ok', weekday: 1 });
    expect(day('2026-02-09').events).toEqual(['Rue piétonne']);
    expect(day('2026-02-21').events).toEqual(['Marché']);
    const other = (
      await get('/api/v1/footfall/calendar?sensors=ped-m1&from=2026-02-08T23:00:00Z&to=2026-02-09T23:00:00Z')
    ).json();
    expect(other.days[0].events).toEqual([]);
  });

  it('forecasts: the stored band with the counts beside it', async () => {
    const r = (
      await get('/api/v1/footfall/forecast?sensor=ped-gare&from=2026-02-28T23:00:00Z&to=2026-03-07T23:00:00Z')
    ).json();
    expect(r.points).toHaveLength(F.forecastDays * 24);
    for (const p of r.points) {
      expect(p.lo80).toBeLessThanOrEqual(p.forecast);
      expect(p.hi80).toBeGreaterThanOrEqual(p.forecast);
    }
    const first = r.points[0];
    expect(first).toMatchObject({
      date: '2026-03-01',
      hour: 0,
      actual: hourly.get('ped-gare')![idx('2026-02-28T23:00:00Z')],
    });
    expect((await get('/api/v1/footfall/forecast?sensor=ped-m1&from=2026-03-01&to=2026-03-02')).json().points).toEqual(
      [],
    );
  });

  it('before/after finds the injected +20 % with an interval excluding 0; a placebo date includes 0', async () => {
    const r = (await get(`/api/v1/footfall/before-after?sensors=${F.site}&date=${F.intervention}&postDays=26`)).json();
    expect(r.result.uplift).toBeGreaterThan(F.uplift - 0.03);
    expect(r.result.uplift).toBeLessThan(F.uplift + 0.03);
    expect(r.result.lo).toBeGreaterThan(0);
    expect(r.result.controls).not.toContain(F.site);
    expect(r.daily).toHaveLength(28 + 26);
    expect(r.daily[28].date).toBe(F.intervention);
    const placebo = (
      await get(`/api/v1/footfall/before-after?sensors=${F.site}&date=2026-01-26&preDays=21&postDays=14`)
    ).json();
    expect(placebo.result.lo).toBeLessThanOrEqual(0);
    expect(placebo.result.hi).toBeGreaterThanOrEqual(0);
    const none = (await get(`/api/v1/footfall/before-after?sensors=${F.site}&date=2026-01-03&postDays=7`)).json();
    expect(none.result).toBeNull();
    expect(none.reason).toMatch(/Not enough/);
  });

  it('events and public holidays between two local dates', async () => {
    const r = (await get('/api/v1/footfall/events?from=2026-01-01&to=2026-03-07')).json();
    expect(r.events.map((e: { id: string }) => e.id)).toEqual(['ev-pietonne', 'ev-marche']);
    expect(r.holidays).toEqual([{ date: '2026-01-01', name: 'Nouvel An' }]);
    expect((await get('/api/v1/footfall/events?from=2026-03-07&to=2026-01-01')).statusCode).toBe(400);
  });
});
