/**
 * Per-camera counting: directed line crossings, zone visits and turning movements, speeds.
 *
 * Fed once per frame with the confirmed tracks' ground foot points (metres) from the tracker; a finished track
 * is turned into a {@link TrackSummary} by {@link CameraCounter.finish}. State lives in typed arrays indexed by
 * a track slot (struct of arrays); the per-frame work is O(tracks × (lines + zone edges)) and allocates
 * nothing except when an event (crossing, zone entry) happens.
 *
 * Rules
 * -----
 * Smoothing. Side and zone decisions use an exponentially smoothed position s ← s + α·(p − s).
 *
 * Lines (hysteresis). For each (track, line) the counter keeps the last CONFIRMED side: the side the smoothed
 * position was on when it was more than `marginM` from the (infinite) line. Positions inside the ±margin band
 * never change the confirmed side. A crossing is counted when the confirmed side flips (LEFT → RIGHT = 'in',
 * RIGHT → LEFT = 'out', see {@link CountingLine}) AND, since the previous confirmation, the smoothed path
 * crossed the line (sign change of the signed distance) at a point within the segment extended by
 * `extentTolM` (default 0: the drawn segment) at both ends. Hence:
 *   - jitter inside the band (a road user stopped ON the line) never counts, and the single crossing is
 *     counted when it finally leaves on the far side (at the time of its last pass through the line);
 *   - a path that passes around the end of the segment does not count;
 *   - a track that first appears inside the band has no confirmed side until it leaves the band.
 * U-turns. A track counts at most once per (line, direction): in → back out → in again gives one 'in' and
 * one 'out'. The return crossing is a real opposite-direction crossing and is counted as such; repeated
 * crossings in a direction already counted (dithering at a stop line larger than the margin) are not.
 *
 * Zones (hysteresis). A zone is entered when the smoothed position has been inside the polygon for
 * `minFrames` consecutive frames or has travelled `minDistM` inside, whichever comes first; the entry time
 * is the first frame of that run (distance counts between consecutive positions both inside, so one long step
 * from far outside does not enter by itself). Exits are symmetric. A track that ends inside a zone closes its visit at
 * its last frame (`closed: false`). Dwell = exit − entry.
 *
 * Movements. Over the arm zones visited, in order of entry: approach = the first arm zone entered, exit = the
 * last arm zone entered (and left, or in which the track ended). A movement exists only when they differ.
 * Its time is the exit from the exit zone; its dwell is exit − approach entry (time through the junction).
 *
 * Speed. Least-squares velocity over a sliding window of the raw positions (`speedWindowMs`), sampled every
 * half window; the track speed is the mean of those samples; a line crossing carries the windowed speed at
 * the moment it is counted.
 */
import { pointInPolygon } from '../geometry/polygon.ts';
import { MS_TO_KMH } from '../geometry/speed.ts';
import type {
  CameraCounterOptions,
  CountingLine,
  LineCrossing,
  TrackSummary,
  TurningMovement,
  Zone,
  ZoneVisit,
} from './types.ts';

interface CompiledLines {
  ids: string[];
  ax: Float64Array;
  ay: Float64Array;
  /** unit direction */
  ux: Float64Array;
  uy: Float64Array;
  len: Float64Array;
  margin: Float64Array;
  tol: Float64Array;
}

interface CompiledZones {
  ids: string[];
  arm: Uint8Array;
  minFrames: Int32Array;
  minDist: Float64Array;
  /** vertex coordinates of all zones, concatenated */
  vx: Float64Array;
  vy: Float64Array;
  /** start offset and vertex count of each zone in vx/vy */
  off: Int32Array;
  cnt: Int32Array;
  minX: Float64Array;
  minY: Float64Array;
  maxX: Float64Array;
  maxY: Float64Array;
}

function compileLines(lines: readonly CountingLine[]): CompiledLines {
  const n = lines.length;
  const c: CompiledLines = {
    ids: [],
    ax: new Float64Array(n),
    ay: new Float64Array(n),
    ux: new Float64Array(n),
    uy: new Float64Array(n),
    len: new Float64Array(n),
    margin: new Float64Array(n),
    tol: new Float64Array(n),
  };
  const seen = new Set<string>();
  lines.forEach((l, i) => {
    if (seen.has(l.id)) throw new RangeError(`counting line id "${l.id}" is used twice`);
    seen.add(l.id);
    const dx = l.b[0] - l.a[0];
    const dy = l.b[1] - l.a[1];
    const len = Math.hypot(dx, dy);
    if (!(len > 0) || !Number.isFinite(len)) {
      throw new RangeError(`counting line "${l.id}" needs two distinct finite end points a and b`);
    }
    c.ids.push(l.id);
    c.ax[i] = l.a[0];
    c.ay[i] = l.a[1];
    c.ux[i] = dx / len;
    c.uy[i] = dy / len;
    c.len[i] = len;
    c.margin[i] = l.marginM ?? 0.5;
    c.tol[i] = l.extentTolM ?? 0;
  });
  return c;
}

function compileZones(zones: readonly Zone[]): CompiledZones {
  const n = zones.length;
  const total = zones.reduce((s, z) => s + z.polygon.length, 0);
  const c: CompiledZones = {
    ids: [],
    arm: new Uint8Array(n),
    minFrames: new Int32Array(n),
    minDist: new Float64Array(n),
    vx: new Float64Array(total),
    vy: new Float64Array(total),
    off: new Int32Array(n),
    cnt: new Int32Array(n),
    minX: new Float64Array(n),
    minY: new Float64Array(n),
    maxX: new Float64Array(n),
    maxY: new Float64Array(n),
  };
  const seen = new Set<string>();
  let o = 0;
  zones.forEach((z, i) => {
    if (seen.has(z.id)) throw new RangeError(`zone id "${z.id}" is used twice`);
    seen.add(z.id);
    if (z.polygon.length < 3) throw new RangeError(`zone "${z.id}" needs at least 3 vertices`);
    c.ids.push(z.id);
    c.arm[i] = z.arm === false ? 0 : 1;
    c.minFrames[i] = Math.max(1, z.minFrames ?? 3);
    c.minDist[i] = z.minDistM ?? 2;
    c.off[i] = o;
    c.cnt[i] = z.polygon.length;
    let x0 = Number.POSITIVE_INFINITY;
    let y0 = Number.POSITIVE_INFINITY;
    let x1 = Number.NEGATIVE_INFINITY;
    let y1 = Number.NEGATIVE_INFINITY;
    for (const [x, y] of z.polygon) {
      if (!Number.isFinite(x) || !Number.isFinite(y)) throw new RangeError(`zone "${z.id}" has a non-finite vertex`);
      c.vx[o] = x;
      c.vy[o] = y;
      o++;
      x0 = Math.min(x0, x);
      y0 = Math.min(y0, y);
      x1 = Math.max(x1, x);
      y1 = Math.max(y1, y);
    }
    c.minX[i] = x0;
    c.minY[i] = y0;
    c.maxX[i] = x1;
    c.maxY[i] = y1;
  });
  return c;
}

const IN_BIT = 1;
const OUT_BIT = 2;

export class CameraCounter {
  readonly lineIds: readonly string[];
  readonly zoneIds: readonly string[];

  private readonly lines: CompiledLines;
  private readonly zones: CompiledZones;
  private readonly nl: number;
  private readonly nz: number;
  private readonly alpha: number;
  private readonly speedWindowMs: number;
  private readonly speedMinSpanMs: number;
  private readonly ringCap: number;

  private readonly zoneIndex = new Map<string, number>();
  private readonly slotOf = new Map<number, number>();
  private free: number[] = [];
  private cap = 0;
  private used = 0;

  // per slot
  private trackId = new Float64Array(0);
  private sx = new Float64Array(0);
  private sy = new Float64Array(0);
  /** Typical time between two updates of the track (ms), for time-aware smoothing across gaps. */
  private dtNom = new Float64Array(0);
  /** The camera's frame interval (ms; 0 unknown): `dtNom` of a track that has none yet. */
  private readonly frameMs: number;
  private firstTs = new Float64Array(0);
  private lastTs = new Float64Array(0);
  private frames = new Int32Array(0);
  private pathLen = new Float64Array(0);
  private ringHead = new Int32Array(0);
  private ringSize = new Int32Array(0);
  private ringT = new Float64Array(0);
  private ringX = new Float64Array(0);
  private ringY = new Float64Array(0);
  private hopTs = new Float64Array(0);
  private speedSum = new Float64Array(0);
  private speedCnt = new Int32Array(0);
  private crossings: LineCrossing[][] = [];
  private visits: ZoneVisit[][] = [];
  // per slot × line
  private side = new Int8Array(0);
  private prevD = new Float64Array(0);
  private prevT = new Float64Array(0);
  private hit = new Uint8Array(0);
  private hitTs = new Float64Array(0);
  private counted = new Uint8Array(0);
  // per slot × zone
  private zin = new Uint8Array(0);
  private run = new Int32Array(0);
  private runTs = new Float64Array(0);
  private runDist = new Float64Array(0);
  private openVisit = new Int32Array(0);

  constructor(options: CameraCounterOptions = {}) {
    this.lines = compileLines(options.lines ?? []);
    this.zones = compileZones(options.zones ?? []);
    this.nl = this.lines.ids.length;
    this.nz = this.zones.ids.length;
    this.lineIds = this.lines.ids;
    this.zoneIds = this.zones.ids;
    for (let i = 0; i < this.zones.ids.length; i++) this.zoneIndex.set(this.zones.ids[i], i);
    const a = options.smoothing ?? 0.5;
    if (!(a > 0 && a <= 1)) throw new RangeError('smoothing must be in (0, 1]');
    this.alpha = a;
    this.frameMs = options.frameMs ?? 0;
    if (!(this.frameMs >= 0)) throw new RangeError('frameMs must be ≥ 0');
    this.speedWindowMs = options.speedWindowMs ?? 2000;
    this.speedMinSpanMs = options.speedMinSpanMs ?? 500;
    this.ringCap = Math.max(2, options.speedCapacity ?? 64);
    this.grow(Math.max(1, options.initialCapacity ?? 64));
  }

  /** Number of tracks currently held. */
  get activeTracks(): number {
    return this.used;
  }

  /**
   * One frame: ground positions (metres) of the confirmed tracks. Non-finite positions (foot point above the
   * horizon) are skipped. `count` defaults to trackIds.length, so preallocated arrays can be reused.
   */
  update(
    ts: number,
    trackIds: ArrayLike<number>,
    xs: ArrayLike<number>,
    ys: ArrayLike<number>,
    count = trackIds.length,
  ): void {
    const L = this.lines;
    const Z = this.zones;
    const nl = this.nl;
    const nz = this.nz;
    const alpha = this.alpha;
    for (let i = 0; i < count; i++) {
      const x = xs[i];
      const y = ys[i];
      if (!Number.isFinite(x) || !Number.isFinite(y)) continue;
      const id = trackIds[i];
      let s = this.slotOf.get(id);
      if (s === undefined) s = this.alloc(id, ts);
      else if (!(ts > this.lastTs[s])) continue; // same or older frame for this track: ignore

      // smoothing and path
      let step = 0;
      let sx: number;
      let sy: number;
      const prevTs = this.lastTs[s];
      if (this.frames[s] === 0) {
        sx = x;
        sy = y;
        this.firstTs[s] = ts;
      } else {
        const ox = this.sx[s];
        const oy = this.sy[s];
        // Time-aware smoothing: `alpha` per typical frame interval, so after a gap (occlusion, a stitched
        // track) the smoothed point catches up with the new position and a line crossing in the gap is timed by
        // linear interpolation over the gap instead of at its end.
        const dt = ts - prevTs;
        const nom = this.dtNom[s] > 0 ? this.dtNom[s] : this.frameMs;
        let a = alpha;
        if (nom > 0 && dt > 1.5 * nom) a = 1 - (1 - alpha) ** (dt / nom);
        if (nom > 0 && dt <= 3 * nom) this.dtNom[s] = nom + 0.2 * (dt - nom);
        else if (!(nom > 0)) this.dtNom[s] = dt;
        sx = ox + a * (x - ox);
        sy = oy + a * (y - oy);
        step = Math.hypot(sx - ox, sy - oy);
      }
      this.sx[s] = sx;
      this.sy[s] = sy;
      this.pathLen[s] += step;
      this.frames[s]++;
      this.lastTs[s] = ts;

      // speed ring (raw positions)
      const rc = this.ringCap;
      const rbase = s * rc;
      const h = this.ringHead[s];
      this.ringT[rbase + h] = ts;
      this.ringX[rbase + h] = x;
      this.ringY[rbase + h] = y;
      this.ringHead[s] = (h + 1) % rc;
      if (this.ringSize[s] < rc) this.ringSize[s]++;
      if (ts - this.hopTs[s] >= this.speedWindowMs / 2) {
        const v = this.ringSpeed(s, this.speedWindowMs, this.speedMinSpanMs);
        if (!Number.isNaN(v)) {
          this.speedSum[s] += v;
          this.speedCnt[s]++;
          this.hopTs[s] = ts;
        }
      }

      // lines
      for (let l = 0; l < nl; l++) {
        const rx = sx - L.ax[l];
        const ry = sy - L.ay[l];
        const d = L.ux[l] * ry - L.uy[l] * rx; // signed distance, > 0 = LEFT of a→b
        const t = L.ux[l] * rx + L.uy[l] * ry; // position along a→b, metres
        const k = s * nl + l;
        const pd = this.prevD[k];
        if (!Number.isNaN(pd) && pd > 0 !== d > 0) {
          const frac = pd / (pd - d);
          const zt = this.prevT[k] + frac * (t - this.prevT[k]);
          if (zt >= -L.tol[l] && zt <= L.len[l] + L.tol[l]) {
            this.hit[k] = 1;
            this.hitTs[k] = prevTs + frac * (ts - prevTs);
          }
        }
        this.prevD[k] = d;
        this.prevT[k] = t;
        const m = L.margin[l];
        const ns = d > m ? 1 : d < -m ? -1 : 0;
        if (ns !== 0) {
          const os = this.side[k];
          if (os !== 0 && os !== ns && this.hit[k] === 1) {
            const bit = os > 0 ? IN_BIT : OUT_BIT; // LEFT → RIGHT = 'in'
            if ((this.counted[k] & bit) === 0) {
              this.counted[k] |= bit;
              const v = this.ringSpeed(s, this.speedWindowMs, this.speedMinSpanMs);
              this.crossings[s].push({
                lineId: L.ids[l],
                direction: bit === IN_BIT ? 'in' : 'out',
                ts: this.hitTs[k],
                speedKmh: Number.isNaN(v) ? null : v * MS_TO_KMH,
              });
            }
          }
          this.side[k] = ns;
          this.hit[k] = 0;
        }
      }

      // zones
      for (let z = 0; z < nz; z++) {
        const inside =
          sx >= Z.minX[z] &&
          sx <= Z.maxX[z] &&
          sy >= Z.minY[z] &&
          sy <= Z.maxY[z] &&
          pointInPolygon(sx, sy, Z.vx, Z.vy, Z.off[z], Z.cnt[z]);
        const k = s * nz + z;
        if ((inside ? 1 : 0) === this.zin[k]) {
          this.run[k] = 0;
          continue;
        }
        // distance counts only between consecutive positions both on the new side
        if (this.run[k] === 0) {
          this.runTs[k] = ts;
          this.runDist[k] = 0;
        } else {
          this.runDist[k] += step;
        }
        this.run[k]++;
        if (this.run[k] >= Z.minFrames[z] || this.runDist[k] >= Z.minDist[z]) {
          this.run[k] = 0;
          if (inside) {
            this.zin[k] = 1;
            this.openVisit[k] = this.visits[s].length;
            this.visits[s].push({
              zoneId: Z.ids[z],
              entryTs: this.runTs[k],
              exitTs: Number.NaN,
              dwellS: Number.NaN,
              closed: false,
            });
          } else {
            this.zin[k] = 0;
            const vi = this.openVisit[k];
            if (vi >= 0) {
              const visit = this.visits[s][vi];
              visit.exitTs = this.runTs[k];
              visit.dwellS = (visit.exitTs - visit.entryTs) / 1000;
              visit.closed = true;
            }
            this.openVisit[k] = -1;
          }
        }
      }
    }
  }

  /** Ends a track and returns what it did; null if the counter never saw it. Frees its slot. */
  finish(trackId: number): TrackSummary | null {
    const s = this.slotOf.get(trackId);
    if (s === undefined) return null;
    const summary = this.summarise(s);
    this.slotOf.delete(trackId);
    this.free.push(s);
    this.used--;
    this.crossings[s] = [];
    this.visits[s] = [];
    return summary;
  }

  /** Ends every track last seen before `ts − maxIdleMs` (safety net when the tracker's end signal is lost). */
  finishIdle(ts: number, maxIdleMs: number): TrackSummary[] {
    const out: TrackSummary[] = [];
    for (const [id, s] of this.slotOf) {
      if (ts - this.lastTs[s] > maxIdleMs) {
        const summary = this.finish(id);
        if (summary) out.push(summary);
      }
    }
    return out;
  }

  /** Ends every track (shutdown, end of a replay). */
  finishAll(): TrackSummary[] {
    const out: TrackSummary[] = [];
    for (const id of [...this.slotOf.keys()]) {
      const summary = this.finish(id);
      if (summary) out.push(summary);
    }
    return out;
  }

  private summarise(s: number): TrackSummary {
    const lastTs = this.lastTs[s];
    const visits = this.visits[s];
    // a pending exit run (track ended just after stepping out) closes the visit at the run start
    for (let z = 0; z < this.nz; z++) {
      const k = s * this.nz + z;
      const vi = this.openVisit[k];
      if (vi < 0) continue;
      const v = visits[vi];
      if (this.run[k] > 0 && this.zin[k] === 1) {
        v.exitTs = this.runTs[k];
        v.closed = true;
      } else {
        v.exitTs = lastTs;
        v.closed = false;
      }
      v.dwellS = (v.exitTs - v.entryTs) / 1000;
    }
    let movement: TurningMovement | null = null;
    let first: ZoneVisit | null = null;
    let last: ZoneVisit | null = null;
    for (const v of visits) {
      if (this.zones.arm[this.zoneIndex.get(v.zoneId) ?? -1] !== 1) continue;
      if (first === null) first = v;
      last = v;
    }
    if (first && last && first.zoneId !== last.zoneId) {
      movement = {
        fromZone: first.zoneId,
        toZone: last.zoneId,
        entryTs: first.entryTs,
        exitTs: last.exitTs,
        dwellS: (last.exitTs - first.entryTs) / 1000,
      };
    }
    let speed: number;
    if (this.speedCnt[s] > 0) speed = this.speedSum[s] / this.speedCnt[s];
    else speed = this.ringSpeed(s, Number.POSITIVE_INFINITY, Math.min(200, this.speedMinSpanMs));
    return {
      trackId: this.trackId[s],
      firstTs: this.firstTs[s],
      lastTs,
      frames: this.frames[s],
      pathLengthM: this.pathLen[s],
      speedKmh: Number.isNaN(speed) ? null : speed * MS_TO_KMH,
      crossings: this.crossings[s],
      zones: visits,
      movement,
    };
  }

  /** Least-squares speed (m/s) over the newest samples within `windowMs` of the newest; NaN if not measurable. */
  private ringSpeed(s: number, windowMs: number, minSpanMs: number): number {
    const rc = this.ringCap;
    const base = s * rc;
    const size = this.ringSize[s];
    if (size < 2) return Number.NaN;
    const newest = (this.ringHead[s] - 1 + rc) % rc;
    const tEnd = this.ringT[base + newest];
    let n = 0;
    let st = 0;
    let sx = 0;
    let sy = 0;
    let tStart = tEnd;
    while (n < size) {
      const idx = base + ((newest - n + rc) % rc);
      const t = this.ringT[idx];
      if (tEnd - t > windowMs) break;
      tStart = t;
      st += (t - tEnd) / 1000;
      sx += this.ringX[idx];
      sy += this.ringY[idx];
      n++;
    }
    if (n < 2 || tEnd - tStart < minSpanMs) return Number.NaN;
    const mt = st / n;
    const mx = sx / n;
    const my = sy / n;
    let stt = 0;
    let stx = 0;
    let sty = 0;
    for (let j = 0; j < n; j++) {
      const idx = base + ((newest - j + rc) % rc);
      const dt = (this.ringT[idx] - tEnd) / 1000 - mt;
      stt += dt * dt;
      stx += dt * (this.ringX[idx] - mx);
      sty += dt * (this.ringY[idx] - my);
    }
    if (!(stt > 0)) return Number.NaN;
    return Math.hypot(stx / stt, sty / stt);
  }

  private alloc(id: number, ts: number): number {
    if (this.free.length === 0) this.grow(this.cap * 2);
    const s = this.free.pop() as number;
    this.slotOf.set(id, s);
    this.used++;
    this.trackId[s] = id;
    this.sx[s] = 0;
    this.sy[s] = 0;
    this.dtNom[s] = 0;
    this.firstTs[s] = ts;
    this.lastTs[s] = Number.NEGATIVE_INFINITY;
    this.frames[s] = 0;
    this.pathLen[s] = 0;
    this.ringHead[s] = 0;
    this.ringSize[s] = 0;
    this.hopTs[s] = Number.NEGATIVE_INFINITY;
    this.speedSum[s] = 0;
    this.speedCnt[s] = 0;
    this.crossings[s] = [];
    this.visits[s] = [];
    const nl = this.nl;
    for (let k = s * nl; k < (s + 1) * nl; k++) {
      this.side[k] = 0;
      this.prevD[k] = Number.NaN;
      this.prevT[k] = 0;
      this.hit[k] = 0;
      this.hitTs[k] = 0;
      this.counted[k] = 0;
    }
    const nz = this.nz;
    for (let k = s * nz; k < (s + 1) * nz; k++) {
      this.zin[k] = 0;
      this.run[k] = 0;
      this.runTs[k] = 0;
      this.runDist[k] = 0;
      this.openVisit[k] = -1;
    }
    return s;
  }

  private grow(newCap: number): void {
    const old = this.cap;
    const nl = this.nl;
    const nz = this.nz;
    const rc = this.ringCap;
    const f64 = (a: Float64Array, per: number) => {
      const b = new Float64Array(newCap * per);
      b.set(a);
      return b;
    };
    const i32 = (a: Int32Array, per: number) => {
      const b = new Int32Array(newCap * per);
      b.set(a);
      return b;
    };
    const u8 = (a: Uint8Array, per: number) => {
      const b = new Uint8Array(newCap * per);
      b.set(a);
      return b;
    };
    this.trackId = f64(this.trackId, 1);
    this.sx = f64(this.sx, 1);
    this.sy = f64(this.sy, 1);
    this.dtNom = f64(this.dtNom, 1);
    this.firstTs = f64(this.firstTs, 1);
    this.lastTs = f64(this.lastTs, 1);
    this.frames = i32(this.frames, 1);
    this.pathLen = f64(this.pathLen, 1);
    this.ringHead = i32(this.ringHead, 1);
    this.ringSize = i32(this.ringSize, 1);
    this.ringT = f64(this.ringT, rc);
    this.ringX = f64(this.ringX, rc);
    this.ringY = f64(this.ringY, rc);
    this.hopTs = f64(this.hopTs, 1);
    this.speedSum = f64(this.speedSum, 1);
    this.speedCnt = i32(this.speedCnt, 1);
    const side = new Int8Array(newCap * nl);
    side.set(this.side);
    this.side = side;
    this.prevD = f64(this.prevD, nl);
    this.prevT = f64(this.prevT, nl);
    this.hit = u8(this.hit, nl);
    this.hitTs = f64(this.hitTs, nl);
    this.counted = u8(this.counted, nl);
    this.zin = u8(this.zin, nz);
    this.run = i32(this.run, nz);
    this.runTs = f64(this.runTs, nz);
    this.runDist = f64(this.runDist, nz);
    this.openVisit = i32(this.openVisit, nz);
    for (let s = old; s < newCap; s++) {
      this.crossings.push([]);
      this.visits.push([]);
    }
    // free list: lowest slots are popped first
    for (let s = newCap - 1; s >= old; s--) this.free.push(s);
    this.cap = newCap;
  }
}
