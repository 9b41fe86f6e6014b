/**
 * Local metric frame of a scenario: x east, y north, metres, around an origin (lon0, lat0).
 * Equirectangular projection, the same rule for every consumer (documented in infra/scenarios/README.md):
 *   x = R · (lon − lon0) · π/180 · cos(lat0 · π/180)
 *   y = R · (lat − lat0) · π/180
 * with R = 6 371 008.8 m (IUGG mean Earth radius, core's EARTH_RADIUS_M). Error < 0.1 % within a few km of the origin.
 * The formulas keep their operation order (scenario builds are byte-stable).
 */
import { EARTH_RADIUS_M } from '@passage/core';

export { EARTH_RADIUS_M };

export interface Origin {
  lon: number;
  lat: number;
}

export type LonLat = [number, number];

const DEG = Math.PI / 180;

/** Rounds to 7 decimals (≈ 1 cm), the precision written into scenario.json. */
export function round7(v: number): number {
  return Math.round(v * 1e7) / 1e7;
}

export function toLonLat(origin: Origin, x: number, y: number): LonLat {
  const lat = origin.lat + y / (EARTH_RADIUS_M * DEG);
  const lon = origin.lon + x / (EARTH_RADIUS_M * DEG * Math.cos(origin.lat * DEG));
  return [round7(lon), round7(lat)];
}

export function toLocal(origin: Origin, lon: number, lat: number): [number, number] {
  const x = (lon - origin.lon) * EARTH_RADIUS_M * DEG * Math.cos(origin.lat * DEG);
  const y = (lat - origin.lat) * EARTH_RADIUS_M * DEG;
  return [x, y];
}
