import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The communes of Eure-et-Loir (IGN Admin Express 2018 simplified, Licence Ouverte): see services/store/geo/LICENSE.md. */
export const COMMUNES_GEOJSON_PATH = resolve(
  dirname(fileURLToPath(import.meta.url)),
  '../../geo/communes-28-eure-et-loir.geojson',
);

type Ring = [number, number][];
interface Commune {
  code: string;
  nom: string;
  polygons: Ring[][];
}

let cache: Commune[] | undefined;

function communes(): Commune[] {
  if (cache) return cache;
  const fc = JSON.parse(readFileSync(COMMUNES_GEOJSON_PATH, 'utf8')) as {
    features: { properties: { code: string; nom: string }; geometry: { type: string; coordinates: unknown } }[];
  };
  cache = fc.features.map((f) => ({
    code: f.properties.code,
    nom: f.properties.nom,
    polygons: f.geometry.type === 'Polygon' ? [f.geometry.coordinates as Ring[]] : (f.geometry.coordinates as Ring[][]),
  }));
  return cache;
}

function inRing(ring: Ring, x: number, y: number): boolean {
  let inside = false;
  for (let i = 0, j = ring.length - 1; i < ring.length; j = i++) {
    const [xi, yi] = ring[i];
    const [xj, yj] = ring[j];
    if (yi > y !== yj > y && x < ((xj - xi) * (y - yi)) / (yj - yi) + xi) inside = !inside;
  }
  return inside;
}

/** INSEE code of the commune of Eure-et-Loir containing the point, or null outside the département. */
export function inseeCodeAt(lon: number, lat: number): string | null {
  for (const c of communes()) {
    for (const poly of c.polygons) {
      if (inRing(poly[0], lon, lat) && !poly.slice(1).some((hole) => inRing(hole, lon, lat))) return c.code;
    }
  }
  return null;
}
