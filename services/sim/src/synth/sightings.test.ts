import { RawSighting } from '@passage/stream/contracts';
import { Value } from '@sinclair/typebox/value';
import { describe, expect, it } from 'vitest';
import { sitePasses } from '../truth/events.ts';
import { makeMiniCity, miniCityContext } from './fixtures/mini-city.ts';
import { DEFAULT_SIGHTING_NOISE, MOTOR_MODES, macAt, synthesizeSightings } from './sightings.ts';

const city = makeMiniCity();
const ctx = miniCityContext(city);

describe('sightings synthesiser', () => {
  const s = synthesizeSightings(ctx);

  it('emits valid RawSightings sorted by time', () => {
    expect(s.length).toBeGreaterThan(50);
    expect(s.every((r) => Value.Check(RawSighting, r))).toBe(true);
    for (let i = 1; i < s.length; i++) expect(s[i].ts).toBeGreaterThanOrEqual(s[i - 1].ts);
    expect(new Set(s.map((r) => r.kind))).toEqual(new Set(['wifi', 'ble', 'anpr']));
  });

  it('reads 85–95 % of plates passing an ANPR site', () => {
    let passes = 0;
    let reads = 0;
    for (let seed = 1; seed <= 20; seed++) {
      reads += synthesizeSightings(ctx, { seed }).filter((r) => r.kind === 'anpr').length;
    }
    ctx.sites.forEach((site, i) => {
      if (site.spec.kind !== 'anpr') return;
      passes +=
        20 * sitePasses(ctx, i, (a) => ctx.agents[a].plate !== '' && MOTOR_MODES.has(ctx.agents[a].mode)).length;
    });
    expect(reads / passes).toBeGreaterThan(0.85);
    expect(reads / passes).toBeLessThan(0.95);
  });

  it('rotates the MAC of a stated share of devices, keeps the others', () => {
    const devices = Array.from({ length: 2000 }, (_, i) => `dev-${i}`);
    const rotating = devices.filter(
      (d) => macAt(7, d, 'wifi', 0, DEFAULT_SIGHTING_NOISE) !== macAt(7, d, 'wifi', 1800, DEFAULT_SIGHTING_NOISE),
    );
    expect(rotating.length / devices.length).toBeGreaterThan(0.31);
    expect(rotating.length / devices.length).toBeLessThan(0.39);
    // Rotated addresses are locally administered.
    const first = Number.parseInt(macAt(7, rotating[0], 'wifi', 100, DEFAULT_SIGHTING_NOISE).slice(0, 2), 16);
    expect(first & 0x02).toBe(2);
    // A stable device keeps its own MAC when it is one.
    expect(macAt(7, 'aa:bb:cc:dd:ee:0f', 'wifi', 1234, { ...DEFAULT_SIGHTING_NOISE, wifiRandomShare: 0 })).toBe(
      'aa:bb:cc:dd:ee:0f',
    );
  });

  it('detects a Wi-Fi pass with probability < 1', () => {
    const wifiSite = ctx.sites.findIndex((x) => x.spec.kind === 'wifi');
    const passes = sitePasses(ctx, wifiSite, (a) => ctx.agents[a].device !== '');
    const seen = new Set(s.filter((r) => r.kind === 'wifi').map((r) => r.id));
    // Count passes with at least one sighting by looking the device's MAC up at the pass time.
    let detected = 0;
    for (const p of passes) {
      const mac = macAt(city.scenario.seed, ctx.agents[p.agent].device, 'wifi', p.tEnter, DEFAULT_SIGHTING_NOISE);
      if (seen.has(mac)) detected++;
    }
    expect(detected / passes.length).toBeGreaterThan(0.3);
    expect(detected / passes.length).toBeLessThan(0.85);
  });

  it('is deterministic', () => {
    expect(synthesizeSightings(ctx)).toEqual(s);
    expect(synthesizeSightings(ctx, { seed: 99 })).not.toEqual(s);
  });
});
