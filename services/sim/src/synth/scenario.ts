/**
 * A committed scenario as the synthesiser and the truth builder read it (format: infra/scenarios/README.md).
 * `loadScenario(dir)` reads scenario.json, agents.csv.gz and trajectories.csv.gz into a `SimContext`
 * with the geometry already converted to the local metric frame.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Mode } from '@passage/stream/contracts';
import {
  type LocalFrame,
  type LocalPolygon,
  type LocalSegment,
  type LonLat,
  makeLocalFrame,
  toLocalPolygon,
  toLocalSegment,
} from '../geo.ts';
import type { DetectorConventionSpec } from './detector-convention.ts';
import { type Agent, readAgents, readTrajectories, type Trajectories } from './readers.ts';

export interface ScenarioLine {
  id: string;
  name: string;
  a: LonLat;
  b: LonLat;
}
export interface ScenarioZone {
  id: string;
  name: string;
  polygon: LonLat[];
}
export interface CityZone extends ScenarioZone {
  kind: string;
}
export interface CameraSpec {
  id: string;
  siteId: string;
  name: string;
  position: { lon: number; lat: number };
  mountingHeightM: number;
  /** 0 = north, clockwise, degrees. */
  headingDeg: number;
  /** Downward tilt, degrees. */
  tiltDeg: number;
  hfovDeg: number;
  width: number;
  height: number;
  fps: number;
  lines: ScenarioLine[];
  zones: ScenarioZone[];
  calibration: { image: [number, number]; map: LonLat }[];
}
export type CounterKind = 'loop' | 'pedestrian' | 'bike' | 'telraam';
export interface CounterFault {
  type: 'gap' | 'stuck-zero';
  fromS: number;
  toS: number;
}
export interface CounterSpec {
  id: string;
  siteId: string;
  name: string;
  kind: CounterKind;
  modes: Mode[];
  line: { a: LonLat; b: LonLat };
  faulty?: CounterFault;
}
export interface SightingSiteSpec {
  id: string;
  name: string;
  zoneId: string;
  kind: 'wifi' | 'ble' | 'anpr';
  position: { lon: number; lat: number };
  radiusM: number;
}
export interface Scenario {
  name: string;
  timezone: string;
  origin: { lon: number; lat: number };
  /** Epoch ms of t = 0. */
  start: number;
  durationS: number;
  seed: number;
  zones: CityZone[];
  cameras: CameraSpec[];
  counters: CounterSpec[];
  sightingSites: SightingSiteSpec[];
  /** How the synthesisers render this world's sensors (optional; every field has a default). */
  synth?: ScenarioSynth;
}

/** The optional `synth` field of scenario.json. */
export interface ScenarioSynth {
  /** Detector convention of the cameras' edge analytics (`services/sim/src/synth/detector-convention.ts`). */
  detector?: DetectorConventionSpec;
  [other: string]: unknown;
}

/** Camera geometry in the local frame. */
export interface LocalCamera {
  spec: CameraSpec;
  x: number;
  y: number;
  lines: { id: string; seg: LocalSegment }[];
  zones: { id: string; poly: LocalPolygon }[];
}
export interface LocalCounter {
  spec: CounterSpec;
  seg: LocalSegment;
}
export interface LocalSite {
  spec: SightingSiteSpec;
  x: number;
  y: number;
}

/** Everything the synthesisers and the truth builder need, in memory. */
export interface SimContext {
  scenario: Scenario;
  frame: LocalFrame;
  agents: Agent[];
  traj: Trajectories;
  cameras: LocalCamera[];
  counters: LocalCounter[];
  sites: LocalSite[];
}

export function localiseScenario(scenario: Scenario): Pick<SimContext, 'frame' | 'cameras' | 'counters' | 'sites'> {
  const frame = makeLocalFrame(scenario.origin);
  const cameras = scenario.cameras.map((spec): LocalCamera => {
    const [x, y] = frame.toLocal([spec.position.lon, spec.position.lat]);
    return {
      spec,
      x,
      y,
      lines: spec.lines.map((l) => ({ id: l.id, seg: toLocalSegment(frame, l.a, l.b) })),
      zones: spec.zones.map((z) => ({ id: z.id, poly: toLocalPolygon(frame, z.polygon) })),
    };
  });
  const counters = scenario.counters.map(
    (spec): LocalCounter => ({ spec, seg: toLocalSegment(frame, spec.line.a, spec.line.b) }),
  );
  const sites = scenario.sightingSites.map((spec): LocalSite => {
    const [x, y] = frame.toLocal([spec.position.lon, spec.position.lat]);
    return { spec, x, y };
  });
  return { frame, cameras, counters, sites };
}

/** Build a context from in-memory parts (fixtures, tests). */
export function makeSimContext(scenario: Scenario, agents: Agent[], traj: Trajectories): SimContext {
  return { scenario, agents, traj, ...localiseScenario(scenario) };
}

/** Read a scenario directory (scenario.json, agents.csv.gz, trajectories.csv.gz). */
export async function loadScenario(dir: string): Promise<SimContext> {
  const scenario = JSON.parse(await readFile(join(dir, 'scenario.json'), 'utf8')) as Scenario;
  const agents = await readAgents(join(dir, 'agents.csv.gz'));
  const traj = await readTrajectories(join(dir, 'trajectories.csv.gz'), agents);
  return makeSimContext(scenario, agents, traj);
}
