/**
 * Streaming readers for a scenario's gzip CSV files. Trajectories are held as a struct of typed arrays
 * (≈ 40 bytes per row: 3 M rows ≈ 120 MB), sorted by time, with a per-agent index for path walks.
 */
import { createReadStream } from 'node:fs';
import { createGunzip } from 'node:zlib';
import { PassageError } from '@passage/config';
import { MODES, type Mode } from '@passage/stream/contracts';

/** One road user of agents.csv.gz. */
export interface Agent {
  /** Dense index (row order of agents.csv), used by the typed arrays. */
  index: number;
  id: string;
  mode: Mode;
  vtype: string;
  lengthM: number;
  widthM: number;
  heightM: number;
  /** Seconds from scenario start. */
  depart: number;
  /** Seconds from scenario start; NaN if the agent had not arrived when the simulation ended. */
  arrive: number;
  origin: string;
  destination: string;
  /** Licence plate (motor vehicles), '' if none. */
  plate: string;
  /** Device identifier carried (phone), '' if none. */
  device: string;
}

/** Trajectory samples, sorted by (t, agent). x, y = centre of the road user's footprint, local metres. */
export interface Trajectories {
  n: number;
  t: Float64Array;
  agent: Int32Array;
  x: Float64Array;
  y: Float64Array;
  /** Heading, degrees, 0 = north, clockwise (SUMO convention). */
  angle: Float32Array;
  /** m/s. */
  speed: Float32Array;
  /** Distinct sample times and the first row of each: rows of step k are stepStart[k] .. stepStart[k+1]-1. */
  stepTimes: Float64Array;
  stepStart: Int32Array;
  /** Row indices ordered by (agent, t); rows of agent a are byAgent[agentStart[a] .. agentStart[a+1]-1]. */
  byAgent: Int32Array;
  agentStart: Int32Array;
  /** Next row of the same agent if it follows within `maxGapS`, else -1. */
  nextRow: Int32Array;
  /** Largest time difference interpolated over, seconds. */
  maxGapS: number;
}

/**
 * Iterate the lines of a gzip text file in batches (header included as the first line of the first batch).
 * Uses Node's streaming gunzip; ~1–2 s for 3 M short lines on one core.
 */
export async function* readGzLines(path: string): AsyncGenerator<string[]> {
  const stream = createReadStream(path, { highWaterMark: 1 << 20 }).pipe(createGunzip({ chunkSize: 1 << 20 }));
  stream.setEncoding('utf8');
  let rest = '';
  for await (const chunk of stream as AsyncIterable<string>) {
    const text = rest + chunk;
    const lines = text.split('\n');
    rest = lines.pop() ?? '';
    yield lines;
  }
  if (rest.length > 0) yield [rest];
}

function headerIndex(header: string, required: readonly string[], path: string): Map<string, number> {
  const cols = header.trim().split(',');
  const idx = new Map(cols.map((c, i) => [c.trim(), i]));
  const missing = required.filter((c) => !idx.has(c));
  if (missing.length > 0) {
    throw new PassageError(
      'PASSAGE_SIM_BAD_CSV',
      `${path}: missing column(s) ${missing.join(', ')}; expected header ${required.join(',')} (infra/scenarios/README.md).`,
    );
  }
  return idx;
}

const AGENT_COLUMNS = [
  'id',
  'mode',
  'vtype',
  'lengthM',
  'widthM',
  'heightM',
  'depart',
  'arrive',
  'origin',
  'destination',
  'plate',
  'device',
] as const;

/** Parse agents.csv content lines (header first). */
export function parseAgents(lines: Iterable<string>, path = 'agents.csv'): Agent[] {
  const agents: Agent[] = [];
  let idx: Map<string, number> | undefined;
  const modes = new Set<string>(MODES);
  for (const raw of lines) {
    const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    if (line.length === 0) continue;
    if (!idx) {
      idx = headerIndex(line, AGENT_COLUMNS, path);
      continue;
    }
    const f = line.split(',');
    const col = (name: (typeof AGENT_COLUMNS)[number]): string => f[idx?.get(name) ?? -1] ?? '';
    const mode = col('mode');
    if (!modes.has(mode)) {
      throw new PassageError(
        'PASSAGE_SIM_BAD_CSV',
        `${path}: agent ${col('id')} has mode '${mode}', expected one of ${MODES.join(', ')}.`,
      );
    }
    const arrive = col('arrive');
    agents.push({
      index: agents.length,
      id: col('id'),
      mode: mode as Mode,
      vtype: col('vtype'),
      lengthM: Number(col('lengthM')),
      widthM: Number(col('widthM')),
      heightM: Number(col('heightM')),
      depart: Number(col('depart')),
      arrive: arrive === '' ? Number.NaN : Number(arrive),
      origin: col('origin'),
      destination: col('destination'),
      plate: col('plate'),
      device: col('device'),
    });
  }
  return agents;
}

export async function readAgents(path: string): Promise<Agent[]> {
  const all: string[] = [];
  for await (const batch of readGzLines(path)) for (const l of batch) all.push(l);
  return parseAgents(all, path);
}

/** Growable struct of arrays used while parsing. */
class RowBuffer {
  n = 0;
  t = new Float64Array(1 << 16);
  agent = new Int32Array(1 << 16);
  x = new Float64Array(1 << 16);
  y = new Float64Array(1 << 16);
  angle = new Float32Array(1 << 16);
  speed = new Float32Array(1 << 16);

  push(t: number, agent: number, x: number, y: number, angle: number, speed: number): void {
    if (this.n === this.t.length) this.grow();
    const i = this.n++;
    this.t[i] = t;
    this.agent[i] = agent;
    this.x[i] = x;
    this.y[i] = y;
    this.angle[i] = angle;
    this.speed[i] = speed;
  }

  private grow(): void {
    const cap = this.t.length * 2;
    const g = <T extends Float64Array | Float32Array | Int32Array>(a: T, C: new (n: number) => T): T => {
      const b = new C(cap);
      b.set(a);
      return b;
    };
    this.t = g(this.t, Float64Array);
    this.agent = g(this.agent, Int32Array);
    this.x = g(this.x, Float64Array);
    this.y = g(this.y, Float64Array);
    this.angle = g(this.angle, Float32Array);
    this.speed = g(this.speed, Float32Array);
  }
}

export interface TrajectoryOptions {
  /**
   * Which point of the road user x, y designate: SUMO's fcd-output gives the front bumper of vehicles
   * ('front'; pedestrians are always at their body centre); the readers convert it to the footprint centre.
   * Default: 'front' (infra/scenarios/README.md).
   */
  positionRef?: 'front' | 'center';
  /** Largest gap between two samples of an agent that is interpolated over, seconds (default 1.5). */
  maxGapS?: number;
}

/** Parse trajectory CSV lines (header first) into a `RowBuffer`; unknown agent ids raise an error. */
function parseTrajectoryLines(
  lines: string[],
  state: { cols?: number[]; buf: RowBuffer; ids: Map<string, number>; path: string },
): void {
  const { buf, ids } = state;
  for (const raw of lines) {
    if (raw.length === 0) continue;
    if (!state.cols) {
      const idx = headerIndex(raw, ['t', 'id', 'x', 'y', 'angle', 'speed'], state.path);
      state.cols = ['t', 'id', 'x', 'y', 'angle', 'speed'].map((c) => idx.get(c) ?? 0);
      continue;
    }
    const f = raw.split(',');
    const c = state.cols;
    const id = f[c[1]];
    const a = ids.get(id);
    if (a === undefined) {
      throw new PassageError(
        'PASSAGE_SIM_BAD_CSV',
        `${state.path}: trajectory row for unknown agent '${id}'; agents.csv.gz and trajectories.csv.gz must come from the same build.`,
      );
    }
    buf.push(+f[c[0]], a, +f[c[2]], +f[c[3]], +f[c[4]], +f[c[5]]);
  }
}

/** Build the indexes of `Trajectories` from raw rows. */
export function indexTrajectories(
  raw: {
    t: ArrayLike<number>;
    agent: ArrayLike<number>;
    x: ArrayLike<number>;
    y: ArrayLike<number>;
    angle: ArrayLike<number>;
    speed: ArrayLike<number>;
    n: number;
  },
  agents: ReadonlyArray<Agent>,
  options: TrajectoryOptions = {},
): Trajectories {
  const n = raw.n;
  const maxGapS = options.maxGapS ?? 1.5;
  // Order by (t, agent); files written by the builder are already in this order (checked in O(n)).
  let order: Int32Array | undefined;
  for (let i = 1; i < n; i++) {
    if (raw.t[i] < raw.t[i - 1] || (raw.t[i] === raw.t[i - 1] && raw.agent[i] < raw.agent[i - 1])) {
      order = new Int32Array(n);
      for (let k = 0; k < n; k++) order[k] = k;
      order.sort((p, q) => raw.t[p] - raw.t[q] || raw.agent[p] - raw.agent[q]);
      break;
    }
  }
  const t = new Float64Array(n);
  const agent = new Int32Array(n);
  const x = new Float64Array(n);
  const y = new Float64Array(n);
  const angle = new Float32Array(n);
  const speed = new Float32Array(n);
  const front = (options.positionRef ?? 'front') === 'front';
  for (let k = 0; k < n; k++) {
    const i = order ? order[k] : k;
    t[k] = raw.t[i];
    const a = raw.agent[i];
    agent[k] = a;
    angle[k] = raw.angle[i];
    speed[k] = raw.speed[i];
    if (front && agents[a].mode !== 'pedestrian') {
      const half = agents[a].lengthM / 2;
      const r = (raw.angle[i] * Math.PI) / 180;
      x[k] = raw.x[i] - half * Math.sin(r);
      y[k] = raw.y[i] - half * Math.cos(r);
    } else {
      x[k] = raw.x[i];
      y[k] = raw.y[i];
    }
  }
  // Steps.
  const times: number[] = [];
  const starts: number[] = [];
  for (let k = 0; k < n; k++) {
    if (k === 0 || t[k] !== t[k - 1]) {
      times.push(t[k]);
      starts.push(k);
    }
  }
  starts.push(n);
  // Per-agent order: counting sort by agent (stable, so time order is kept).
  const nAgents = agents.length;
  const agentStart = new Int32Array(nAgents + 1);
  for (let k = 0; k < n; k++) agentStart[agent[k] + 1]++;
  for (let a = 0; a < nAgents; a++) agentStart[a + 1] += agentStart[a];
  const fill = agentStart.slice(0, nAgents);
  const byAgent = new Int32Array(n);
  for (let k = 0; k < n; k++) byAgent[fill[agent[k]]++] = k;
  const nextRow = new Int32Array(n).fill(-1);
  for (let a = 0; a < nAgents; a++) {
    for (let j = agentStart[a]; j < agentStart[a + 1] - 1; j++) {
      const r = byAgent[j];
      const s = byAgent[j + 1];
      if (t[s] - t[r] <= maxGapS) nextRow[r] = s;
    }
  }
  return {
    n,
    t,
    agent,
    x,
    y,
    angle,
    speed,
    stepTimes: Float64Array.from(times),
    stepStart: Int32Array.from(starts),
    byAgent,
    agentStart,
    nextRow,
    maxGapS,
  };
}

/** Stream trajectories.csv.gz into typed arrays and index them. */
export async function readTrajectories(
  path: string,
  agents: ReadonlyArray<Agent>,
  options: TrajectoryOptions = {},
): Promise<Trajectories> {
  const state = { buf: new RowBuffer(), ids: new Map(agents.map((a) => [a.id, a.index])), path } as {
    cols?: number[];
    buf: RowBuffer;
    ids: Map<string, number>;
    path: string;
  };
  for await (const batch of readGzLines(path)) parseTrajectoryLines(batch, state);
  return indexTrajectories(state.buf, agents, options);
}
