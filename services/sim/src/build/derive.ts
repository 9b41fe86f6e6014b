/**
 * Derived ground truth from SUMO's FCD output: `agents.csv.gz` (one row per simulated agent) and
 * `trajectories.csv.gz` (positions near sensors only). Output is deterministic: fixed number formats, rows sorted
 * by (t, id) in code-unit order, gzip level 9 with a zero mtime in the header (Node's zlib default).
 */
import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { gzipSync } from 'node:zlib';
import type { AgentPlan } from './demand.ts';
import { vtypeById } from './vtypes.ts';

export const AGENTS_HEADER = 'id,mode,vtype,lengthM,widthM,heightM,depart,arrive,origin,destination,plate,device';
export const TRAJECTORIES_HEADER = 't,id,x,y,angle,speed';

export interface Circle {
  x: number;
  y: number;
  r: number;
}

/** Fast "near any sensor" test on a 5 m grid covering the circles. */
export class NearMask {
  private readonly x0: number;
  private readonly y0: number;
  private readonly nx: number;
  private readonly ny: number;
  private readonly cell = 5;
  private readonly bits: Uint8Array;
  private readonly circles: Circle[];

  constructor(circles: Circle[]) {
    this.circles = circles;
    const minX = Math.min(...circles.map((c) => c.x - c.r));
    const minY = Math.min(...circles.map((c) => c.y - c.r));
    const maxX = Math.max(...circles.map((c) => c.x + c.r));
    const maxY = Math.max(...circles.map((c) => c.y + c.r));
    this.x0 = Math.floor(minX / this.cell) * this.cell;
    this.y0 = Math.floor(minY / this.cell) * this.cell;
    this.nx = Math.ceil((maxX - this.x0) / this.cell) + 1;
    this.ny = Math.ceil((maxY - this.y0) / this.cell) + 1;
    // 0 = outside every circle, 1 = inside some circle, 2 = boundary cell (exact test).
    this.bits = new Uint8Array(this.nx * this.ny);
    const half = (this.cell * Math.SQRT2) / 2;
    for (let j = 0; j < this.ny; j++)
      for (let i = 0; i < this.nx; i++) {
        const cx = this.x0 + (i + 0.5) * this.cell;
        const cy = this.y0 + (j + 0.5) * this.cell;
        let state = 0;
        for (const c of circles) {
          const d = Math.hypot(cx - c.x, cy - c.y);
          if (d + half <= c.r) {
            state = 1;
            break;
          }
          if (d - half <= c.r) state = 2;
        }
        this.bits[j * this.nx + i] = state;
      }
  }

  has(x: number, y: number): boolean {
    const i = Math.floor((x - this.x0) / this.cell);
    const j = Math.floor((y - this.y0) / this.cell);
    if (i < 0 || j < 0 || i >= this.nx || j >= this.ny) return false;
    const s = this.bits[j * this.nx + i];
    if (s !== 2) return s === 1;
    for (const c of this.circles) if ((x - c.x) ** 2 + (y - c.y) ** 2 <= c.r * c.r) return true;
    return false;
  }
}

export interface TrajRow {
  t: number;
  id: string;
  x: number;
  y: number;
  angle: number;
  speed: number;
}

const f2 = (v: number): string => {
  const s = (Math.round(v * 100) / 100).toFixed(2);
  return s === '-0.00' ? '0.00' : s;
};
/** Time as a plain decimal (SUMO steps are multiples of 0.5 s or 1 s): 12, 12.5. */
export const fmtT = (t: number): string => String(Math.round(t * 1000) / 1000);

export function trajLine(r: TrajRow): string {
  return `${fmtT(r.t)},${r.id},${f2(r.x)},${f2(r.y)},${f2(r.angle)},${f2(r.speed)}`;
}

export interface Seen {
  first: number;
  last: number;
}

export interface DeriveResult {
  trajectoriesCsv: string;
  trajectoryRows: number;
  seen: Map<string, Seen>;
  /** Last timestep in the FCD file (s). */
  lastT: number;
}

/** Value of attribute `name` in one XML element line ('' when absent). */
function attr(line: string, name: string): string {
  const key = ` ${name}="`;
  const i = line.indexOf(key);
  if (i < 0) return '';
  const start = i + key.length;
  return line.slice(start, line.indexOf('"', start));
}

/**
 * Reads an FCD XML stream (SUMO writes one element per line) and returns the filtered, sorted trajectory CSV
 * and each agent's first/last appearance. Rows are kept when `keep(x, y)`; rows with t ≥ endS are dropped.
 */
export async function deriveFromFcd(
  lines: AsyncIterable<string>,
  keep: (x: number, y: number) => boolean,
  endS = Number.POSITIVE_INFINITY,
): Promise<DeriveResult> {
  const seen = new Map<string, Seen>();
  const parts: string[] = [TRAJECTORIES_HEADER];
  let rows = 0;
  let t = Number.NaN;
  let lastT = Number.NaN;
  let step: TrajRow[] = [];
  const flush = (): void => {
    step.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    for (const r of step) parts.push(trajLine(r));
    rows += step.length;
    step = [];
  };
  for await (const raw of lines) {
    const line = raw.trimStart();
    if (line.startsWith('<timestep')) {
      flush();
      t = Number(attr(line, 'time'));
      continue;
    }
    if (!(line.startsWith('<vehicle') || line.startsWith('<person'))) continue;
    if (!(t < endS)) continue;
    lastT = t;
    const id = attr(line, 'id');
    const s = seen.get(id);
    if (s) s.last = t;
    else seen.set(id, { first: t, last: t });
    const x = Number(attr(line, 'x'));
    const y = Number(attr(line, 'y'));
    if (!keep(x, y)) continue;
    step.push({ t, id, x, y, angle: Number(attr(line, 'angle')), speed: Number(attr(line, 'speed')) });
  }
  flush();
  parts.push('');
  return { trajectoriesCsv: parts.join('\n'), trajectoryRows: rows, seen, lastT };
}

export function fileLines(path: string): AsyncIterable<string> {
  return createInterface({ input: createReadStream(path), crlfDelay: Number.POSITIVE_INFINITY });
}

/**
 * One row per agent that appeared in the simulation, sorted by (depart, id). `arrive` is the last time the agent
 * was seen, empty when it was still travelling at the last simulated step.
 */
export function agentsCsv(plans: AgentPlan[], seen: Map<string, Seen>, lastT: number): { csv: string; rows: number } {
  const rows: { depart: number; id: string; line: string }[] = [];
  for (const p of plans) {
    const s = seen.get(p.id);
    if (!s) continue;
    const v = vtypeById(p.vtype);
    const arrive = s.last < lastT ? fmtT(s.last) : '';
    rows.push({
      depart: s.first,
      id: p.id,
      line: [
        p.id,
        p.mode,
        p.vtype,
        v.lengthM,
        v.widthM,
        v.heightM,
        fmtT(s.first),
        arrive,
        p.origin,
        p.destination,
        p.plate,
        p.device,
      ].join(','),
    });
  }
  rows.sort((a, b) => a.depart - b.depart || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  return { csv: [AGENTS_HEADER, ...rows.map((r) => r.line), ''].join('\n'), rows: rows.length };
}

/** Deterministic gzip: level 9, header mtime 0, OS byte as zlib writes it. */
export function gzip9(text: string | Buffer): Buffer {
  const out = gzipSync(typeof text === 'string' ? Buffer.from(text, 'utf8') : text, { level: 9 });
  out[9] = 3; // OS = Unix whatever the platform, so the bytes do not depend on where the build ran
  return out;
}
