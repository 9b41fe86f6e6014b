/**
 * MOTChallenge text format: one box per line, `frame,id,left,top,width,height,conf,x,y,z`
 * (2D challenges use -1 for x, y, z; some files stop after `conf` or carry class/visibility there).
 * Separators as py-motmetrics' loader accepts them: commas, spaces or tabs.
 */

/** Rows of a MOTChallenge file, column-wise. */
export interface MotRows {
  /** Number of rows. */
  readonly n: number;
  readonly frame: Int32Array;
  /** Object / hypothesis id (-1 for detections). */
  readonly id: Float64Array;
  /** Box left, top, width, height in pixels. */
  readonly x: Float64Array;
  readonly y: Float64Array;
  readonly w: Float64Array;
  readonly h: Float64Array;
  /** Column 7: detection score, ground-truth "consider" flag, or -1. NaN when absent. */
  readonly conf: Float64Array;
  /** Column 8: class id in MOT16+ ground truth (or 3D x in MOT15); NaN when absent. */
  readonly cls: Float64Array;
}

/** Malformed MOTChallenge text; `code` is stable. */
export class MotFormatError extends Error {
  readonly code = 'PASSAGE_MOT_FORMAT';
  constructor(
    message: string,
    readonly line: number,
  ) {
    super(message);
    this.name = 'MotFormatError';
  }
}

const SEP = /[\s,]+/;

/** Parses MOTChallenge text (`frame,id,left,top,width,height,conf,…`). Blank lines are skipped. */
export function parseMot(text: string): MotRows {
  const lines = text.split('\n');
  let cap = lines.length;
  const frame = new Int32Array(cap);
  const id = new Float64Array(cap);
  const x = new Float64Array(cap);
  const y = new Float64Array(cap);
  const w = new Float64Array(cap);
  const h = new Float64Array(cap);
  const conf = new Float64Array(cap);
  const cls = new Float64Array(cap);
  let n = 0;
  for (let li = 0; li < lines.length; li++) {
    const line = lines[li].trim();
    if (line.length === 0) continue;
    const f = line.split(SEP);
    if (f.length < 6) {
      throw new MotFormatError(
        `MOT line ${li + 1} has ${f.length} fields; expected at least 6 (frame,id,left,top,width,height[,conf,…]).`,
        li + 1,
      );
    }
    const fr = Number(f[0]);
    if (!Number.isInteger(fr)) {
      throw new MotFormatError(`MOT line ${li + 1}: frame "${f[0]}" is not an integer.`, li + 1);
    }
    frame[n] = fr;
    id[n] = Number(f[1]);
    x[n] = Number(f[2]);
    y[n] = Number(f[3]);
    w[n] = Number(f[4]);
    h[n] = Number(f[5]);
    conf[n] = f.length > 6 ? Number(f[6]) : Number.NaN;
    cls[n] = f.length > 7 ? Number(f[7]) : Number.NaN;
    if (Number.isNaN(id[n] + x[n] + y[n] + w[n] + h[n])) {
      throw new MotFormatError(`MOT line ${li + 1}: id and box fields must be numbers.`, li + 1);
    }
    n++;
  }
  cap = n;
  return {
    n,
    frame: frame.slice(0, cap),
    id: id.slice(0, cap),
    x: x.slice(0, cap),
    y: y.slice(0, cap),
    w: w.slice(0, cap),
    h: h.slice(0, cap),
    conf: conf.slice(0, cap),
    cls: cls.slice(0, cap),
  };
}

/** Keeps rows whose `conf` column is ≥ `min` (rows without the column are kept). */
export function filterMotByConfidence(rows: MotRows, min: number): MotRows {
  let n = 0;
  const keep = new Uint8Array(rows.n);
  for (let i = 0; i < rows.n; i++) {
    if (!(rows.conf[i] < min)) {
      keep[i] = 1;
      n++;
    }
  }
  if (n === rows.n) return rows;
  const pick = <T extends Int32Array | Float64Array>(a: T, out: T): T => {
    let k = 0;
    for (let i = 0; i < rows.n; i++) if (keep[i]) out[k++] = a[i];
    return out;
  };
  return {
    n,
    frame: pick(rows.frame, new Int32Array(n)),
    id: pick(rows.id, new Float64Array(n)),
    x: pick(rows.x, new Float64Array(n)),
    y: pick(rows.y, new Float64Array(n)),
    w: pick(rows.w, new Float64Array(n)),
    h: pick(rows.h, new Float64Array(n)),
    conf: pick(rows.conf, new Float64Array(n)),
    cls: pick(rows.cls, new Float64Array(n)),
  };
}

/**
 * Indices of rows grouped by frame: frames ascending, rows in file order within a frame.
 * `start[k]..start[k+1]` indexes `order` for the k-th frame `frames[k]`.
 */
export interface MotFrameIndex {
  readonly frames: Int32Array;
  readonly start: Int32Array;
  readonly order: Int32Array;
}

export function indexMotByFrame(rows: MotRows): MotFrameIndex {
  const order = new Int32Array(rows.n);
  for (let i = 0; i < rows.n; i++) order[i] = i;
  // Stable sort by frame (Array.prototype.sort on typed arrays is not guaranteed stable pre-ES2019
  // semantics for typed arrays, so break ties by index explicitly).
  order.sort((a, b) => rows.frame[a] - rows.frame[b] || a - b);
  const frames: number[] = [];
  const start: number[] = [];
  for (let k = 0; k < order.length; k++) {
    const f = rows.frame[order[k]];
    if (frames.length === 0 || frames[frames.length - 1] !== f) {
      frames.push(f);
      start.push(k);
    }
  }
  start.push(order.length);
  return { frames: Int32Array.from(frames), start: Int32Array.from(start), order };
}

function fmt(v: number): string {
  return Number.isInteger(v) ? String(v) : String(Math.round(v * 1000) / 1000);
}

/** One MOT line `frame,id,left,top,width,height,conf,-1,-1,-1` (values rounded to 1/1000). */
export function formatMotLine(
  frame: number,
  id: number,
  x: number,
  y: number,
  w: number,
  h: number,
  conf: number,
): string {
  return `${frame},${id},${fmt(x)},${fmt(y)},${fmt(w)},${fmt(h)},${fmt(conf)},-1,-1,-1`;
}
