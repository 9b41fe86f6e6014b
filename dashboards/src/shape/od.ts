/** OD data shaping for the flow map (plain TypeScript, no rendering). */

import type { OdFlow } from '@passage/store/queries/od';

export interface Site {
  id: string;
  name: string;
  kind: string;
  lon: number;
  lat: number;
  volume?: number | null;
}

/** The API's OD flow (one definition: the store's query result type; type-only, nothing enters the bundle). */
export type { OdFlow } from '@passage/store/queries/od';

export interface Arc {
  origin: string;
  destination: string;
  source: [number, number];
  target: [number, number];
  flow: number;
  observed: number;
  stdErr: number;
  /** 95 % interval; no upper bound (null) when a summed cell was not expanded. */
  ci95: [number, number | null];
  /** Line width in pixels, proportional to the flow (sqrt-free: linear between minWidth and maxWidth). */
  width: number;
  travelTimeP50S: number | null;
}

export const MODES = ['pedestrian', 'bicycle', 'motorcycle', 'car', 'van', 'truck', 'bus'] as const;

/** Zone centroids by id, from the sites list (kind 'zone'). */
export function zoneCentroids(sites: readonly Site[]): Map<string, [number, number]> {
  const out = new Map<string, [number, number]>();
  for (const s of sites) if (s.kind === 'zone') out.set(s.id, [s.lon, s.lat]);
  return out;
}

/**
 * Arcs of one time bucket: flows between two placed zones (unknown or merged 'other' zones are left out), at or
 * above `minFlow`, widths scaled to the largest flow of the bucket.
 */
export function toArcs(
  flows: readonly OdFlow[],
  centroids: ReadonlyMap<string, [number, number]>,
  opts: { minFlow?: number; minWidth?: number; maxWidth?: number; t?: number; maxFlow?: number } = {},
): Arc[] {
  const minFlow = opts.minFlow ?? 0;
  const minW = opts.minWidth ?? 1;
  const maxW = opts.maxWidth ?? 14;
  const kept = flows.filter(
    (f) =>
      (opts.t === undefined || f.t === opts.t) &&
      f.expanded >= minFlow &&
      f.origin !== f.destination &&
      centroids.has(f.origin) &&
      centroids.has(f.destination),
  );
  // A fixed scale (`maxFlow`, e.g. the largest flow of any step of the period) keeps widths comparable across steps.
  const max = opts.maxFlow ?? kept.reduce((m, f) => Math.max(m, f.expanded), 0);
  return kept
    .map((f) => ({
      origin: f.origin,
      destination: f.destination,
      source: centroids.get(f.origin) as [number, number],
      target: centroids.get(f.destination) as [number, number],
      flow: f.expanded,
      observed: f.observed,
      stdErr: f.stdErr,
      ci95: f.ci95,
      width: max > 0 ? minW + ((maxW - minW) * Math.min(f.expanded, max)) / max : minW,
      travelTimeP50S: f.travelTimeP50S,
    }))
    .sort((a, b) => a.flow - b.flow);
}

/** Time buckets [start, end) covering an extent at a step (ms). */
export function buckets(from: number, to: number, stepMs: number): { start: number; end: number }[] {
  const out: { start: number; end: number }[] = [];
  const first = Math.floor(from / stepMs) * stepMs;
  for (let t = first; t < to; t += stepMs) out.push({ start: t, end: t + stepMs });
  return out;
}

/** Marker radius (m) of a site by volume: area proportional to the volume, between rMin and rMax. */
export function siteRadius(volume: number | null | undefined, maxVolume: number, rMin = 12, rMax = 60): number {
  if (!volume || volume <= 0 || maxVolume <= 0) return rMin;
  return rMin + (rMax - rMin) * Math.sqrt(volume / maxVolume);
}

const fmt = (v: number) => (v >= 100 ? String(Math.round(v)) : v.toFixed(1).replace(/\.0$/, ''));

/** Tooltip text of an arc: names, expanded flow with its 95 % interval, observed trips, travel time. */
export function arcTooltip(
  a: Arc,
  names: ReadonlyMap<string, string>,
  t: (k: string) => string,
  num: (v: number) => string = fmt,
): string {
  const lines = [
    `${names.get(a.origin) ?? a.origin} → ${names.get(a.destination) ?? a.destination}`,
    `${t('flow')}: ${num(a.flow)} (${t('ci95')} ${a.ci95[1] === null ? `≥ ${num(a.ci95[0])}` : `${num(a.ci95[0])}–${num(a.ci95[1])}`})`,
    `${t('observed')}: ${num(a.observed)} · ±${num(a.stdErr)} (${t('stdErr')})`,
  ];
  if (a.travelTimeP50S !== null) lines.push(`${t('travelTime')}: ${Math.round(a.travelTimeP50S / 60)} min`);
  return lines.join('\n');
}
