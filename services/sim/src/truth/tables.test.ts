import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { makeMiniCity, miniCityContext, subsetCity } from '../synth/fixtures/mini-city.ts';
import { readTruth, writeTruth } from './files.ts';
import { buildTruth, truthMovementEvents, truthZoneTrips } from './tables.ts';

const city = makeMiniCity();

describe('ground truth on single road users', () => {
  it('counts a southbound car through the north arm as one "in" crossing and one n→s movement', () => {
    const car = city.agents.find((a) => a.mode === 'car' && a.origin === 'z-n' && a.destination === 'z-s');
    expect(car).toBeDefined();
    const ctx = miniCityContext(subsetCity(city, (a) => a.id === car?.id));
    const t = buildTruth(ctx);
    expect(t.lineCounts).toEqual([
      expect.objectContaining({ cameraId: 'cam-x', lineId: 'l-north', direction: 'in', mode: 'car', count: 1 }),
    ]);
    expect(t.movements).toEqual([
      expect.objectContaining({ cameraId: 'cam-x', fromZone: 'arm-n', toZone: 'arm-s', mode: 'car', count: 1 }),
    ]);
    expect(t.od).toEqual([
      {
        origin: 'z-n',
        destination: 'z-s',
        mode: 'car',
        windowStart: city.scenario.start + Math.floor((car?.depart ?? 0) / 900) * 900_000,
        trips: 1,
      },
    ]);
    // The crossing happens ~135 m after departure at ~10 m/s, inside the minute of the row's bucket.
    const minute = t.lineCounts[0].minute;
    expect((minute - city.scenario.start) / 1000).toBeGreaterThanOrEqual(Math.floor((car?.depart ?? 0) / 60) * 60);
  });

  it('counts a road user leaving by the north arm as "out" and by the east arm (eastbound) as "in"', () => {
    const car = city.agents.find((a) => a.mode === 'car' && a.origin === 'z-e' && a.destination === 'z-n');
    const ctx = miniCityContext(subsetCity(city, (a) => a.id === car?.id));
    const t = buildTruth(ctx);
    const dirs = Object.fromEntries(t.lineCounts.map((r) => [r.lineId, r.direction]));
    // l-east is drawn south → north: its left is west, so a westbound car (coming from the east) crosses out.
    expect(dirs).toEqual({ 'l-east': 'out', 'l-north': 'out' });
  });
});

describe('ground truth on the mini city', () => {
  const ctx = miniCityContext(city);
  const truth = buildTruth(ctx);

  it('is consistent: every movement goes between two different arms, OD covers every agent', () => {
    const events = truthMovementEvents(ctx);
    expect(events.length).toBeGreaterThan(50);
    expect(events.every((e) => e.fromZone !== e.toZone && e.tExit >= e.tEnter)).toBe(true);
    expect(truth.od.reduce((s, r) => s + r.trips, 0)).toBe(city.agents.length);
    expect(truth.agentModes.reduce((s, r) => s + r.agents, 0)).toBe(city.agents.length);
    // Each movement's from/to matches the agent's OD arms (the mini city has no detours).
    const byAgent = new Map(city.agents.map((a) => [a.index, a]));
    const mismatch = events.filter((e) => `arm-${byAgent.get(e.agent)?.origin.slice(2)}` !== e.fromZone);
    expect(mismatch.length).toBe(0);
  });

  it('is small and deterministic', () => {
    const again = buildTruth(miniCityContext(makeMiniCity()));
    expect(again).toEqual(truth);
    expect(truth.lineCounts.length).toBeLessThan(500);
  });

  it('round-trips through the truth CSV files', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'passage-truth-'));
    try {
      await writeTruth(dir, truth);
      expect(await readTruth(dir)).toEqual(truth);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('has travel times between sighting zones', () => {
    expect(truth.travelTimes.length).toBeGreaterThan(0);
    for (const r of truth.travelTimes) {
      expect(r.origin).not.toBe(r.destination);
      expect(r.travelTimeP50S).toBeGreaterThan(0);
    }
  });
});

describe('travel-time truth from trajectories', () => {
  it('times each agent from leaving its origin polygon to entering its destination’s, whatever the sensors', () => {
    const ctx = miniCityContext(city);
    const trips = truthZoneTrips(ctx);
    expect(trips.length).toBeGreaterThan(city.agents.length / 2);
    for (const t of trips) {
      const a = city.agents[t.agent];
      // Inside the agent's own trip, and strictly shorter than door to door (it starts and ends inside its zones).
      expect(t.departS).toBeGreaterThanOrEqual(a.depart);
      expect(t.travelS).toBeGreaterThan(0);
      if (Number.isFinite(a.arrive)) expect(t.departS + t.travelS).toBeLessThanOrEqual(a.arrive + 1e-9);
    }
    // Independent of sensor placement: the same without any sighting site (the matcher's inputs).
    const bare = miniCityContext({ ...city, scenario: { ...city.scenario, sightingSites: [] } });
    expect(truthZoneTrips(bare)).toEqual(trips);
  });
});
