/**
 * The normalised registry every consumer reads (workers, store, API): defaults filled (`siteId`, names, empty
 * lists), camera lines and arms on the map in [lon, lat] whatever space they were drawn in.
 */
import type { SignalControllerDoc } from './schema.ts';

export type LonLat = [number, number];

export interface RegistryCamera {
  id: string;
  siteId: string;
  name: string;
  position: { lon: number; lat: number };
  mountingHeightM?: number;
  headingDeg?: number;
  tiltDeg?: number;
  hfovDeg?: number;
  width?: number;
  height?: number;
  fps?: number;
  calibration: { image: [number, number]; map: LonLat }[];
  lines: { id: string; name: string; a: LonLat; b: LonLat; inDirection?: string }[];
  zones: { id: string; name: string; polygon: LonLat[] }[];
}

export interface RegistryCounter {
  id: string;
  siteId: string;
  name: string;
  kind: string;
  modes: string[];
  line?: { a: LonLat; b: LonLat };
  position?: { lon: number; lat: number };
  inDirection?: string;
  source?: string;
}

export interface RegistrySightingSite {
  id: string;
  name: string;
  zoneId: string;
  kind: 'wifi' | 'ble' | 'anpr';
  position: { lon: number; lat: number };
  radiusM: number;
}

export interface RegistryZone {
  id: string;
  name: string;
  kind: string;
  polygon: LonLat[];
}

export interface Registry {
  name: string;
  timezone: string;
  origin: { lon: number; lat: number };
  zones: RegistryZone[];
  cameras: RegistryCamera[];
  counters: RegistryCounter[];
  sightingSites: RegistrySightingSite[];
  signalControllers: SignalControllerDoc[];
}
