/**
 * Local metric frame around an origin: x east, y north, metres. Equirectangular projection
 * (the scenario builder uses the same rule, so ground truth and measurements share one frame):
 *
 *   x = R · cos(lat0) · Δlon · π/180,   y = R · Δlat · π/180,   R = 6 371 008.8 m (IUGG mean radius).
 *
 * Accurate to well under a centimetre per 100 m for the few hundred metres a camera sees.
 */
export const EARTH_RADIUS_M = 6371008.8;

const DEG = Math.PI / 180;

export interface LonLat {
  lon: number;
  lat: number;
}

export interface XY {
  x: number;
  y: number;
}

/** lon/lat (degrees) → local metres around `origin`. */
export function toLocal(origin: LonLat, lon: number, lat: number): XY {
  return {
    x: EARTH_RADIUS_M * Math.cos(origin.lat * DEG) * (lon - origin.lon) * DEG,
    y: EARTH_RADIUS_M * (lat - origin.lat) * DEG,
  };
}

/** Local metres around `origin` → lon/lat (degrees). Exact inverse of {@link toLocal}. */
export function toLonLat(origin: LonLat, x: number, y: number): LonLat {
  return {
    lon: origin.lon + x / (EARTH_RADIUS_M * Math.cos(origin.lat * DEG) * DEG),
    lat: origin.lat + y / (EARTH_RADIUS_M * DEG),
  };
}

/**
 * The same projection with the constants precomputed, for hot loops: no allocation per call
 * (write into caller-owned arrays).
 */
export class LocalFrame {
  readonly origin: Readonly<LonLat>;
  private readonly mPerDegLon: number;
  private readonly mPerDegLat: number;

  constructor(origin: LonLat) {
    if (!Number.isFinite(origin.lon) || !Number.isFinite(origin.lat) || Math.abs(origin.lat) >= 90) {
      throw new RangeError('LocalFrame origin must have finite lon and |lat| < 90 degrees');
    }
    this.origin = Object.freeze({ lon: origin.lon, lat: origin.lat });
    this.mPerDegLat = EARTH_RADIUS_M * DEG;
    this.mPerDegLon = this.mPerDegLat * Math.cos(origin.lat * DEG);
  }

  x(lon: number): number {
    return (lon - this.origin.lon) * this.mPerDegLon;
  }

  y(lat: number): number {
    return (lat - this.origin.lat) * this.mPerDegLat;
  }

  lon(x: number): number {
    return this.origin.lon + x / this.mPerDegLon;
  }

  lat(y: number): number {
    return this.origin.lat + y / this.mPerDegLat;
  }

  /** Writes [x, y] of each (lon, lat) pair of `lonLat` (interleaved) into `out` (interleaved). */
  toLocalMany(lonLat: ArrayLike<number>, out: Float64Array, count = lonLat.length >> 1): Float64Array {
    for (let i = 0; i < count; i++) {
      out[2 * i] = (lonLat[2 * i] - this.origin.lon) * this.mPerDegLon;
      out[2 * i + 1] = (lonLat[2 * i + 1] - this.origin.lat) * this.mPerDegLat;
    }
    return out;
  }
}
