/**
 * Counts normalisation (docs/ARCHITECTURE.md "Worker roles", counts): counter feeds arrive at their own intervals (Telraam
 * hourly, loops every minute, DATEX II periods); downstream wants fixed 1-min, 15-min or hourly bins with
 * explicit gaps.
 *
 * ## What `count` and `uptime` mean in Passage (Telraam's convention)
 * - `uptime` u ∈ [0, 1] is the share of the interval during which the sensor was actually counting
 *   (Telraam API: "the portion of the reporting interval that was actively spent counting the traffic").
 * - `count` is the ESTIMATE FOR THE WHOLE INTERVAL, already extrapolated for uptime: what the sensor
 *   would have counted at u = 1. Telraam publishes counts this way (in its API example
 *   uptime 0.73, heavy 78.0821917808 = 57 / 0.73), which is why its values are fractional.
 *   A feed that reports raw observed counts is converted with `countIs: 'observed'` (count = observed / u).
 * - `count: null` is a gap: nothing usable was reported (also when u = 0). Missing is never zero.
 *
 * ## Re-binning
 * Each input record is assumed uniform over [start, end) — in time and in uptime. For a target bin B:
 *   observed time  T_B = Σ_r u_r · |r ∩ B|
 *   observed count N_B = Σ_r (count_r / |r|) · u_r · |r ∩ B|
 *   uptime_B = T_B / |B|,  count_B = N_B / uptime_B  (Telraam's extrapolation, applied to the bin)
 * so summing hourly bins of an hourly feed returns its values unchanged (a bin with one aligned record
 * passes count and uptime through bit for bit), 15-min bins of an hourly record each get count/4 at the
 * same uptime (flagged `disaggregated`), and 1-min records aggregate to 15 min weighted by their uptime.
 * A bin with T_B = 0 has count null and uptime 0. `minUptime` (default 0) turns bins below it into gaps
 * while keeping their uptime, for consumers that only trust well-covered bins (Telraam suggests treating
 * low-uptime hours with care).
 */
import { PassageError } from '../errors.ts';

/** Same shape as `CountRecord` in @passage/stream contracts. */
export interface CountRecordLike {
  sensorId: string;
  start: number;
  end: number;
  direction?: string;
  mode?: string;
  count: number | null;
  uptime?: number;
}

export interface NormalisedCount {
  sensorId: string;
  mode?: string;
  direction?: string;
  start: number;
  end: number;
  /** Uptime-extrapolated estimate for the bin; null = gap. */
  count: number | null;
  /** Share of the bin observed, 0..1 (0 for a gap). */
  uptime: number;
  /** True when a longer record was split uniformly over shorter bins. */
  disaggregated?: boolean;
}

export const INTERVALS_MS = { '1m': 60_000, '15m': 900_000, '1h': 3_600_000 } as const;
export type IntervalName = keyof typeof INTERVALS_MS;

export interface NormaliseOptions {
  interval: IntervalName;
  /** Bins are produced from `from` (rounded down) to `to` (exclusive); default: the records' extent. */
  from?: number;
  to?: number;
  /** @default 'extrapolated' */
  countIs?: 'extrapolated' | 'observed';
  /** Bins whose uptime is below this become gaps. @default 0 */
  minUptime?: number;
  /** Bin alignment offset, ms (bins start at k·interval + offset). @default 0 */
  offsetMs?: number;
}

function configError(message: string): PassageError {
  return new PassageError('PASSAGE_COUNTS_CONFIG', message);
}

export function seriesKey(r: { sensorId: string; mode?: string; direction?: string }): string {
  return `${r.sensorId}\u0000${r.mode ?? ''}\u0000${r.direction ?? ''}`;
}

interface BinAcc {
  observedTime: number;
  observed: number;
  contributors: number;
  single: CountRecordLike | null;
  disaggregated: boolean;
}

/**
 * Normalise records of any number of series (sensor × mode × direction) to fixed bins with explicit gaps.
 * Output sorted by series then start. Records with end ≤ start are ignored. Overlapping records of one
 * series are both counted (de-duplicate upstream, e.g. by keeping the latest version of a record).
 */
export function normaliseCounts(records: readonly CountRecordLike[], options: NormaliseOptions): NormalisedCount[] {
  const binMs = INTERVALS_MS[options.interval];
  if (binMs === undefined) throw configError(`interval "${options.interval}" must be one of 1m, 15m, 1h.`);
  const minUptime = options.minUptime ?? 0;
  const offset = options.offsetMs ?? 0;
  const countIs = options.countIs ?? 'extrapolated';
  if (!(minUptime >= 0 && minUptime <= 1)) throw configError('minUptime must be within 0..1.');
  const floorBin = (t: number) => Math.floor((t - offset) / binMs) * binMs + offset;
  const series = new Map<string, { proto: CountRecordLike; bins: Map<number, BinAcc> }>();
  let minT = Number.POSITIVE_INFINITY;
  let maxT = Number.NEGATIVE_INFINITY;
  for (const r of records) {
    if (!(r.end > r.start)) continue;
    const key = seriesKey(r);
    let s = series.get(key);
    if (s === undefined) {
      s = { proto: r, bins: new Map() };
      series.set(key, s);
    }
    minT = Math.min(minT, r.start);
    maxT = Math.max(maxT, r.end);
    const len = r.end - r.start;
    const u = r.uptime ?? 1;
    const valid = r.count !== null && u > 0;
    // Observed count per ms of observed time.
    const extrapolated = r.count === null ? 0 : countIs === 'observed' ? (u > 0 ? r.count / u : 0) : r.count;
    const rate = extrapolated / len;
    for (let b = floorBin(r.start); b < r.end; b += binMs) {
      const overlap = Math.min(r.end, b + binMs) - Math.max(r.start, b);
      if (overlap <= 0) continue;
      let acc = s.bins.get(b);
      if (acc === undefined) {
        acc = { observedTime: 0, observed: 0, contributors: 0, single: null, disaggregated: false };
        s.bins.set(b, acc);
      }
      if (!valid) continue;
      acc.observedTime += u * overlap;
      acc.observed += rate * u * overlap;
      acc.contributors++;
      acc.single = acc.contributors === 1 && r.start === b && r.end === b + binMs ? r : null;
      if (len > binMs) acc.disaggregated = true;
    }
  }
  const from = floorBin(options.from ?? minT);
  const to = options.to ?? maxT;
  const out: NormalisedCount[] = [];
  const keys = [...series.keys()].sort();
  for (const key of keys) {
    const { proto, bins } = series.get(key) as { proto: CountRecordLike; bins: Map<number, BinAcc> };
    for (let b = from; b < to; b += binMs) {
      const acc = bins.get(b);
      const row: NormalisedCount = { sensorId: proto.sensorId, start: b, end: b + binMs, count: null, uptime: 0 };
      if (proto.mode !== undefined) row.mode = proto.mode;
      if (proto.direction !== undefined) row.direction = proto.direction;
      if (acc !== undefined && acc.observedTime > 0) {
        if (acc.single !== null && countIs === 'extrapolated') {
          row.count = acc.single.count;
          row.uptime = acc.single.uptime ?? 1;
        } else {
          row.uptime = Math.min(1, acc.observedTime / binMs);
          row.count = acc.observed / row.uptime;
        }
        if (row.uptime < minUptime) row.count = null;
        if (acc.disaggregated) row.disaggregated = true;
      }
      out.push(row);
    }
  }
  return out;
}
