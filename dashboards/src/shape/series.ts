/** Time series shaping for the site chart and the live stream (plain TypeScript, no rendering). */

export interface Point {
  t: number;
  v: number | null;
}

/** Sums rows by time (nulls stay null only when every row of that time is null). */
export function sumByTime(rows: readonly { t: number; count: number | null }[]): Point[] {
  const m = new Map<number, number | null>();
  for (const r of rows) {
    const prev = m.get(r.t);
    if (r.count === null) m.set(r.t, prev ?? null);
    else m.set(r.t, (prev ?? 0) + r.count);
  }
  return [...m.entries()].sort((a, b) => a[0] - b[0]).map(([t, v]) => ({ t, v }));
}

export interface ChartGeom {
  /** SVG path of the line; gaps (null) break it. */
  d: string;
  xTicks: { x: number; label: string }[];
  yMax: number;
  points: { x: number; y: number; t: number; v: number }[];
}

/** Line-chart geometry in a width × height box with padding; x by time, y from 0 to a rounded max. */
export function lineChart(
  pts: readonly Point[],
  opts: { width: number; height: number; pad?: number; label?: (t: number) => string },
): ChartGeom {
  const pad = opts.pad ?? 28;
  const vals = pts.filter((p) => p.v !== null).map((p) => p.v as number);
  const rawMax = vals.length ? Math.max(...vals) : 1;
  const mag = 10 ** Math.floor(Math.log10(Math.max(1, rawMax)));
  const yMax = Math.ceil(rawMax / mag) * mag || 1;
  const t0 = pts.length ? pts[0].t : 0;
  const t1 = pts.length ? pts[pts.length - 1].t : 1;
  const x = (t: number) => pad + ((opts.width - 2 * pad) * (t - t0)) / Math.max(1, t1 - t0);
  const y = (v: number) => opts.height - pad - ((opts.height - 2 * pad) * v) / yMax;
  let d = '';
  let pen = false;
  const points: ChartGeom['points'] = [];
  for (const p of pts) {
    if (p.v === null) {
      pen = false;
      continue;
    }
    const px = Math.round(x(p.t) * 10) / 10;
    const py = Math.round(y(p.v) * 10) / 10;
    d += `${pen ? 'L' : 'M'}${px},${py} `;
    pen = true;
    points.push({ x: px, y: py, t: p.t, v: p.v });
  }
  const label = opts.label ?? ((t: number) => new Date(t).toISOString().slice(11, 16));
  const step = Math.max(1, Math.ceil(pts.length / 6));
  const xTicks = pts
    .filter((_, i) => i % step === 0)
    .map((p) => ({ x: Math.round(x(p.t) * 10) / 10, label: label(p.t) }));
  return { d: d.trim(), xTicks, yMax, points };
}

/** Incremental parser of a server-sent-events stream: feed text chunks, get complete events. */
export class SseParser {
  private buf = '';

  push(chunk: string): { event: string; data: string; id?: string }[] {
    this.buf += chunk.replace(/\r\n/g, '\n');
    const out: { event: string; data: string; id?: string }[] = [];
    let i = this.buf.indexOf('\n\n');
    while (i >= 0) {
      const block = this.buf.slice(0, i);
      this.buf = this.buf.slice(i + 2);
      let event = 'message';
      let id: string | undefined;
      const data: string[] = [];
      for (const line of block.split('\n')) {
        if (line.startsWith(':')) continue;
        const c = line.indexOf(':');
        const field = c < 0 ? line : line.slice(0, c);
        const value = c < 0 ? '' : line.slice(c + 1).replace(/^ /, '');
        if (field === 'event') event = value;
        else if (field === 'data') data.push(value);
        else if (field === 'id') id = value;
      }
      if (data.length) out.push({ event, data: data.join('\n'), id });
      i = this.buf.indexOf('\n\n');
    }
    return out;
  }
}
