import { describe, expect, it } from 'vitest';
import { makeLocalFrame } from '../geo.ts';
import { toLocal, toLonLat } from './geo.ts';

describe('equirectangular projection', () => {
  it('round-trips and has the documented scale', () => {
    const o = { lon: 1.4875, lat: 48.4477 };
    const [lon, lat] = toLonLat(o, 1000, -500);
    const [x, y] = toLocal(o, lon, lat);
    expect(x).toBeCloseTo(1000, 1);
    expect(y).toBeCloseTo(-500, 1);
    // 1° of latitude = R·π/180 ≈ 111 195 m.
    expect(toLocal(o, o.lon, o.lat + 1)[1]).toBeCloseTo(111195.08, 2);
  });
});

describe('local frame', () => {
  it('uses the same local frame as the builder', () => {
    const origin = { lon: 1.4875, lat: 48.4477 };
    const mine = makeLocalFrame(origin).toLocal([1.49, 48.45]);
    const his = toLocal(origin, 1.49, 48.45);
    expect(mine[0]).toBeCloseTo(his[0], 9);
    expect(mine[1]).toBeCloseTo(his[1], 9);
  });
});
