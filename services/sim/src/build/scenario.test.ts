import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { inImage, type PinholeSpec, projectToImage } from '../camera.ts';
import { generateDemand, insideStretches } from './demand.ts';
import { toLocal } from './geo.ts';
import { scenarioModel } from './scenario.ts';
import { requireSumo, SUMO_MISSING_CODE } from './sumo.ts';

const here = dirname(fileURLToPath(import.meta.url));
const committed = join(here, '../../../../infra/scenarios/chartres-centre/scenario.json');

describe('scenario model', () => {
  const model = scenarioModel({ name: 'chartres-centre' });
  const s = model.scenario;

  // [regression pin] infra/scenarios/chartres-centre/scenario.json was written by this builder (`passage sim build
  // chartres-centre`); the test proves the model (zones, sensor placement, calibration pairs) still produces it,
  // not that it is right (the tests below check its properties). A deliberate change of the world is a scenario
  // change: rebuild it with `passage sim build chartres-centre`, commit the files, re-measure every figure on it.
  it('[regression pin] matches the committed scenario.json', () => {
    expect(JSON.parse(JSON.stringify(s))).toEqual(JSON.parse(readFileSync(committed, 'utf8')));
  });

  it('has the zones, cameras, counters and sighting sites the issue asks for', () => {
    expect(s.start).toBe(Date.parse('2026-03-10T07:30:00+01:00'));
    expect(s.zones.length).toBeGreaterThanOrEqual(8);
    expect(new Set(s.zones.map((z) => z.kind))).toEqual(
      new Set(['gate', 'parking', 'station', 'square', 'core', 'district']),
    );
    expect(s.cameras.length).toBeGreaterThanOrEqual(10);
    for (const c of s.cameras) {
      expect(c.lines.length, c.id).toBeGreaterThanOrEqual(2);
      expect(c.zones.length, c.id).toBeGreaterThanOrEqual(3);
      expect(c.calibration.length, c.id).toBeGreaterThanOrEqual(4);
      expect(c.mountingHeightM).toBeGreaterThanOrEqual(6);
      expect(c.mountingHeightM).toBeLessThanOrEqual(8);
    }
    expect(s.counters.length).toBeGreaterThanOrEqual(6);
    expect(s.counters.filter((c) => c.faulty).length).toBe(2);
    for (const k of ['loop', 'pedestrian', 'bike', 'telraam']) expect(s.counters.some((c) => c.kind === k)).toBe(true);
    for (const z of s.zones) {
      const kinds = new Set(s.sightingSites.filter((x) => x.zoneId === z.id).map((x) => x.kind));
      expect(kinds, z.id).toEqual(new Set(['wifi', 'ble', 'anpr']));
    }
    expect(new Set(s.sightingSites.map((x) => x.id)).size).toBe(s.sightingSites.length);
    expect(new Set(s.sightingSites.map((x) => x.kind))).toEqual(new Set(['wifi', 'ble', 'anpr']));
  });

  it('calibration pairs and lines agree with the pinhole model', () => {
    for (const c of s.cameras) {
      const [x, y] = toLocal(s.origin, c.position.lon, c.position.lat);
      const pin: PinholeSpec = { ...c, x, y };
      for (const p of c.calibration) {
        const [gx, gy] = toLocal(s.origin, p.map[0], p.map[1]);
        const uv = projectToImage(pin, gx, gy, 0);
        // lon/lat are rounded to 1e-7° (≈ 1 cm): a fraction of a pixel.
        expect(Math.abs((uv?.[0] ?? 1e9) - p.image[0]), c.id).toBeLessThan(1.5);
        expect(Math.abs((uv?.[1] ?? 1e9) - p.image[1]), c.id).toBeLessThan(1.5);
      }
      for (const l of c.lines)
        for (const e of [l.a, l.b]) {
          const [ex, ey] = toLocal(s.origin, e[0], e[1]);
          expect(inImage(pin, projectToImage(pin, ex, ey, 0)), l.id).toBe(true);
        }
    }
  });

  it('generates a reproducible demand', () => {
    const len = (): number => 100;
    const a = generateDemand(model.zones, len, 7, { durationS: 600 });
    const b = generateDemand(model.zones, len, 7, { durationS: 600 });
    const c = generateDemand(model.zones, len, 8, { durationS: 600 });
    expect(a).toEqual(b);
    expect(a).not.toEqual(c);
    expect(new Set(a.map((p) => p.id)).size).toBe(a.length);
    const plates = a.filter((p) => p.plate);
    expect(plates.every((p) => /^[A-HJ-NP-TV-Z]{2}-\d{3}-[A-HJ-NP-TV-Z]{2}$/.test(p.plate))).toBe(true);
    expect(plates.every((p) => p.mode !== 'pedestrian' && p.mode !== 'bicycle')).toBe(true);
    const peds = a.filter((p) => p.mode === 'pedestrian');
    const share = peds.filter((p) => p.device).length / peds.length;
    expect(share).toBeGreaterThan(0.4);
    expect(share).toBeLessThan(0.6);
    expect(a.filter((p) => p.device).every((p) => /^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/.test(p.device))).toBe(true);
    // A device's own address is universal (bit 0x02 of the first octet clear); only rotated ones are local.
    expect(a.filter((p) => p.device).every((p) => (Number.parseInt(p.device.slice(0, 2), 16) & 0x02) === 0)).toBe(true);
  });

  it('starts and ends the trips of squares, districts and the core inside the zone polygon', () => {
    const shapeLen = (sh: [number, number][]) =>
      sh.slice(1).reduce((acc, p, i) => acc + Math.hypot(p[0] - sh[i][0], p[1] - sh[i][1]), 0);
    const len = (e: string): number => shapeLen(model.net.edge(e).shape);
    const plans = generateDemand(model.zones, len, 7, { durationS: 900 }, (e) => model.net.edge(e).shape);
    const zone = new Map(model.zones.map((z) => [z.id, z]));
    let checked = 0;
    for (const p of plans) {
      for (const [zid, edge, pos] of [
        [p.origin, p.fromEdge, p.departPos],
        [p.destination, p.toEdge, p.arrivalPos],
      ] as const) {
        const z = zone.get(zid);
        if (!z || !['square', 'district', 'core'].includes(z.kind) || pos === undefined) continue;
        const inside = insideStretches(model.net.edge(edge).shape, z.polygon);
        expect(
          inside.some(([a, b]) => pos >= a - 0.1 && pos <= b + 0.1),
          `${p.id} ${zid} ${edge}@${pos}`,
        ).toBe(true);
        checked++;
      }
    }
    expect(checked).toBeGreaterThan(500);
  });

  it('rings the area zones with a cordon: Wi-Fi and BLE (and ANPR on roads) where streets cross the boundary', () => {
    for (const z of model.zones.filter((x) => ['square', 'district', 'core'].includes(x.kind))) {
      const units = s.sightingSites.filter((x) => x.zoneId === z.id && /-c\d+$/.test(x.id));
      const wifi = units.filter((u) => u.kind === 'wifi');
      expect(wifi.length, z.id).toBeGreaterThanOrEqual(4);
      expect(units.filter((u) => u.kind === 'ble').length, z.id).toBe(wifi.length);
      for (const u of units) {
        const [x, y] = toLocal(s.origin, u.position.lon, u.position.lat);
        // On the boundary: distance to the nearest polygon edge below 1 m.
        const d = Math.min(
          ...z.polygon.map((a, i) => {
            const b = z.polygon[(i + 1) % z.polygon.length];
            const t = Math.max(
              0,
              Math.min(
                1,
                ((x - a[0]) * (b[0] - a[0]) + (y - a[1]) * (b[1] - a[1])) / ((b[0] - a[0]) ** 2 + (b[1] - a[1]) ** 2),
              ),
            );
            return Math.hypot(x - a[0] - t * (b[0] - a[0]), y - a[1] - t * (b[1] - a[1]));
          }),
        );
        expect(d, u.id).toBeLessThan(1);
      }
    }
  });
});

describe('SUMO missing', () => {
  it('throws PASSAGE_SUMO_MISSING with the install command', () => {
    const path = process.env.PATH;
    process.env.PATH = '/nonexistent';
    try {
      expect(() => requireSumo()).toThrowError(/apt-get install sumo sumo-tools/);
      try {
        requireSumo();
      } catch (e) {
        expect((e as { code: string }).code).toBe(SUMO_MISSING_CODE);
      }
    } finally {
      process.env.PATH = path;
    }
    expect(spawnSync('true').status).toBe(0);
  });
});
