import type { Config } from '@passage/config';
import {
  detectSensorHealth,
  type HealthFlag,
  type HealthOptions,
  INTERVALS_MS,
  type IntervalName,
  type NormalisedCount,
  seriesKey,
} from '@passage/core';
import {
  CountRecord,
  jsonCodec,
  type Operator,
  type OperatorContext,
  type ProcessorRole,
  type SinkRole,
} from '@passage/stream';
import { type Static, Type } from '@sinclair/typebox';
import { CountGuard, type CountGuardOptions, registryCounterIds } from './counts-guard.ts';

/**
 * Role `counts` (docs/ARCHITECTURE.md "Worker roles"): counter feeds (`counts.v1`, any interval) → fixed 1-min / 15-min / hourly bins with
 * explicit gaps (`counts.norm.v1` → `counts_1m`) and sensor health findings (`sensor-health.v1` → `sensor_health`).
 *
 * ## Meaning of a bin (same as @passage/core normaliseCounts)
 * A record is uniform over [start, end). For a bin B it contributes observed time u·|r∩B| and observed count
 * (count/|r|)·u·|r∩B| (count is the uptime-extrapolated estimate, Telraam's convention). A record feeds the
 * configured intervals at least as long as itself (1-min loops → 1m, 15m, 1h; hourly Telraam → 1h), never
 * shorter ones (no invented detail); a record longer than every interval (daily) feeds the longest, uniformly.
 *
 * ## Exactly-once: additive partial rows
 * Observed time and observed count are sums, so the operator emits PARTIAL rows at every checkpoint: what the input
 * consumed since the previous checkpoint adds to each bin (`observedS`, `observedCount`, and their ratio `count`).
 * In Kafka mode a checkpoint runs before every transaction commit, so a bin's partial rows and the offsets of the
 * input they cover commit together: a crash re-delivers exactly the input whose rows were not committed, and the
 * stored sums are exact whatever the batch boundaries. Readers sum partial rows per bin (`counts_bins` view,
 * migration 0003). A bin fed by one record in one checkpoint has one row whose `count` is the record's value bit
 * for bit.
 *
 * ## Published value: what was reported, never a silent extrapolation
 * Each row also carries `reportedCount` = Σ count·|r∩B|/|r| (what the records reported for the part of the bin they
 * cover) and `coveredS`; the store publishes their sums (`counts_bins.count`, migration 0008), so an hourly bin
 * equals the sum of its 15-minute bins however much of the hour was covered. Extrapolation to uncovered time is a
 * separate, flagged column (`count_extrapolated`, `coverage` < 1) read only on request.
 *
 * ## Gaps
 * A bin that the watermark closes without any record of its series is written as an explicit gap row (count
 * null, observed 0), from the series' first bin on; a record with count null (or uptime 0) is a gap too.
 * Gap rows add nothing to the sums, so a late record for that bin still fills it. At end of input, bins are
 * closed up to the latest record end seen.
 *
 * ## Health (sensor_health)
 * Health is judged per sensor × direction on the total over modes (sensors fail as a whole; the zeros of a
 * low-volume mode such as buses say nothing). Each keeps its last `counts.healthHistoryBins` closed bins at its
 * native interval (the shortest one its records feed) and runs `detectSensorHealth` when bins close (findings
 * carry mode ''); a finding is emitted once, when it is final (a run
 * — gap, stuck-at-zero, flat-line — is followed by a closed bin that ends it; an impossible jump has its
 * jumpWindow/2 right-hand neighbours). Flat-line needs ≥ 15 minutes of identical non-zero values. This state is
 * held across checkpoints in memory: after a crash, a run in progress may be reported as two findings or a
 * short one missed (counts themselves stay exact).
 */

export const NormalisedCountRow = Type.Object(
  {
    sensorId: Type.String({ minLength: 1, maxLength: 128 }),
    interval: Type.Union([Type.Literal('1m'), Type.Literal('15m'), Type.Literal('1h')]),
    start: Type.Number({ minimum: 0 }),
    end: Type.Number({ minimum: 0 }),
    direction: Type.Optional(Type.String({ maxLength: 32 })),
    mode: Type.Optional(Type.String({ maxLength: 32 })),
    /** Estimate for the whole bin from this partial (observedCount / uptime); null = nothing observed. */
    count: Type.Union([Type.Number({ minimum: 0 }), Type.Null()]),
    /** Counted during the observed seconds (count × uptime); null = nothing observed. */
    observedCount: Type.Union([Type.Number({ minimum: 0 }), Type.Null()]),
    /** Seconds of the bin this partial observed. */
    observedS: Type.Number({ minimum: 0 }),
    uptime: Type.Number({ minimum: 0, maximum: 1 }),
    /** What the feed reported for the part of the bin its records cover (Σ count·|r∩B|/|r|): the published value. */
    reportedCount: Type.Optional(Type.Union([Type.Number({ minimum: 0 }), Type.Null()])),
    /** Seconds of the bin covered by records with a value (coverage = coveredS / bin length). */
    coveredS: Type.Optional(Type.Number({ minimum: 0 })),
  },
  { additionalProperties: false },
);
export type NormalisedCountRow = Static<typeof NormalisedCountRow>;

export const SensorHealthFlag = Type.Object(
  {
    sensorId: Type.String({ minLength: 1, maxLength: 128 }),
    mode: Type.Optional(Type.String({ maxLength: 32 })),
    direction: Type.Optional(Type.String({ maxLength: 32 })),
    kind: Type.Union([
      Type.Literal('gap'),
      Type.Literal('stuck-at-zero'),
      Type.Literal('flat-line'),
      Type.Literal('impossible-jump'),
    ]),
    from: Type.Number({ minimum: 0 }),
    to: Type.Number({ minimum: 0 }),
    detail: Type.Optional(Type.String({ maxLength: 256 })),
  },
  { additionalProperties: false },
);
export type SensorHealthFlag = Static<typeof SensorHealthFlag>;

interface Acc {
  observedMs: number;
  observed: number;
  /** Σ count·|r∩B|/|r|: what the records reported for the part of the bin they cover (no extrapolation). */
  reported: number;
  coveredMs: number;
  contributors: number;
  /** The only contributing record when it is aligned with the bin (pass its values through). */
  single: CountRecord | null;
}

interface IntervalState {
  name: IntervalName;
  binMs: number;
  /** Partials since the last checkpoint. */
  open: Map<number, Acc>;
  /** Bins ≥ nextClose that received any record (data or null) and are not closed yet. */
  touched: Set<number>;
  nextClose: number;
}

interface Series {
  proto: { sensorId: string; mode?: string; direction?: string };
  intervals: Map<number, IntervalState>;
}

/** Health is judged on sensor × direction totals over modes (a low-volume mode's zeros say nothing). */
interface HealthSeries {
  proto: { sensorId: string; direction?: string };
  /** Native interval, ms: the shortest interval the sensor's first record feeds. */
  binMs: number;
  nextClose: number;
  /** Full bins (all checkpoints), per mode, until closed. */
  acc: Map<number, Map<string, Acc>>;
  history: NormalisedCount[];
  emitted: Set<string>;
}

/** Event-time period of the health checks of a series with bins up to this long (see close()). */
export const HEALTH_EVAL_MS = 900_000;
/**
 * Series with hourly (or longer) bins are checked every 6 h of event time: a multi-month archive of hourly counts
 * (the Melbourne file) would otherwise re-run the checks over the whole history at every hour.
 */
export const HEALTH_EVAL_LONG_BINS_MS = 6 * 3_600_000;

const newAcc = (): Acc => ({ observedMs: 0, observed: 0, reported: 0, coveredMs: 0, contributors: 0, single: null });

function addTo(acc: Acc, r: CountRecord, b: number, binMs: number, overlap: number): void {
  const u = r.uptime ?? 1;
  if (r.count === null || !(u > 0)) return;
  acc.observedMs += u * overlap;
  acc.observed += (r.count / (r.end - r.start)) * u * overlap;
  acc.reported += (r.count / (r.end - r.start)) * overlap;
  acc.coveredMs += overlap;
  acc.contributors++;
  acc.single = acc.contributors === 1 && r.start === b && r.end === b + binMs ? r : null;
}

/** count and uptime of an accumulated bin; null count = nothing observed. */
function binValue(acc: Acc | undefined, binMs: number): { count: number | null; uptime: number; observed: number } {
  if (acc === undefined || acc.observedMs <= 0) return { count: null, uptime: 0, observed: 0 };
  if (acc.single !== null) {
    const u = acc.single.uptime ?? 1;
    return { count: acc.single.count, uptime: u, observed: acc.observed };
  }
  const uptime = Math.min(1, acc.observedMs / binMs);
  return { count: acc.observed / uptime, uptime, observed: acc.observed };
}

export interface CountsOperatorOptions {
  intervals: readonly IntervalName[];
  utcOffsetMinutes: number;
  historyBins: number;
  /** Value guard rails (counts-guard.ts); without it every decoded record is binned. */
  guard?: CountGuardOptions;
}

export class CountsOperator implements Operator<CountRecord> {
  readonly name = 'counts';
  private readonly series = new Map<string, Series>();
  private readonly healthSeries = new Map<string, HealthSeries>();
  private readonly intervals: { name: IntervalName; ms: number }[];
  private readonly opts: CountsOperatorOptions;
  private maxEnd = Number.NEGATIVE_INFINITY;

  private readonly guard: CountGuard | null;

  constructor(opts: CountsOperatorOptions) {
    this.opts = opts;
    this.guard = opts.guard ? new CountGuard(opts.guard) : null;
    this.intervals = [...new Set(opts.intervals)]
      .map((name) => ({ name, ms: INTERVALS_MS[name] }))
      .sort((a, b) => a.ms - b.ms);
  }

  processBatch(events: readonly CountRecord[], ctx?: OperatorContext): void {
    for (const r of events) {
      const refused = this.guard?.check(r);
      if (refused) {
        ctx?.metrics.deadLetters.inc({ role: this.name, reason: refused.reason });
        ctx?.emit('dlq', r.sensorId, {
          topic: this.opts.guard?.topic ?? '',
          partition: -1,
          offset: '',
          reason: refused.reason,
          message: refused.message.slice(0, 300),
          excerpt: '',
          ts: Date.now(),
        });
        continue;
      }
      const len = r.end - r.start;
      if (!(len > 0)) continue;
      if (r.end > this.maxEnd) this.maxEnd = r.end;
      let fit = this.intervals.filter((i) => i.ms >= len);
      if (fit.length === 0) fit = [this.intervals[this.intervals.length - 1]];
      const key = seriesKey(r);
      let s = this.series.get(key);
      if (s === undefined) {
        const proto: Series['proto'] = { sensorId: r.sensorId };
        if (r.mode !== undefined) proto.mode = r.mode;
        if (r.direction !== undefined) proto.direction = r.direction;
        s = { proto, intervals: new Map() };
        this.series.set(key, s);
      }
      const hkey = `${r.sensorId}\u0000${r.direction ?? ''}`;
      let h = this.healthSeries.get(hkey);
      if (h === undefined) {
        const proto: HealthSeries['proto'] = { sensorId: r.sensorId };
        if (r.direction !== undefined) proto.direction = r.direction;
        const binMs = fit[0].ms;
        h = {
          proto,
          binMs,
          nextClose: Math.floor(r.start / binMs) * binMs,
          acc: new Map(),
          history: [],
          emitted: new Set(),
        };
        this.healthSeries.set(hkey, h);
      }
      for (let b = Math.floor(r.start / h.binMs) * h.binMs; b < r.end; b += h.binMs) {
        const overlap = Math.min(r.end, b + h.binMs) - Math.max(r.start, b);
        if (overlap <= 0 || b < h.nextClose) continue;
        let modes = h.acc.get(b);
        if (modes === undefined) {
          modes = new Map();
          h.acc.set(b, modes);
        }
        const m = r.mode ?? '';
        let acc = modes.get(m);
        if (acc === undefined) {
          acc = newAcc();
          modes.set(m, acc);
        }
        addTo(acc, r, b, h.binMs, overlap);
      }
      for (const iv of fit) {
        let st = s.intervals.get(iv.ms);
        const first = Math.floor(r.start / iv.ms) * iv.ms;
        if (st === undefined) {
          st = { name: iv.name, binMs: iv.ms, open: new Map(), touched: new Set(), nextClose: first };
          s.intervals.set(iv.ms, st);
        }
        for (let b = first; b < r.end; b += iv.ms) {
          const overlap = Math.min(r.end, b + iv.ms) - Math.max(r.start, b);
          if (overlap <= 0) continue;
          let acc = st.open.get(b);
          if (acc === undefined) {
            acc = newAcc();
            st.open.set(b, acc);
          }
          addTo(acc, r, b, iv.ms, overlap);
          if (b >= st.nextClose) st.touched.add(b);
        }
      }
    }
  }

  /** Partial rows of everything consumed since the last checkpoint (additive: see the file comment). */
  checkpoint(ctx: OperatorContext): void {
    for (const s of this.series.values()) {
      for (const st of s.intervals.values()) {
        if (st.open.size === 0) continue;
        const bins = [...st.open.keys()].sort((a, b) => a - b);
        for (const b of bins) this.emitRow(ctx, s, st, b, st.open.get(b));
        st.open.clear();
      }
    }
  }

  onWatermark(wm: number, ctx: OperatorContext): void {
    this.guard?.prune(wm);
    this.close(Math.min(wm, this.maxEnd), ctx, wm === Number.POSITIVE_INFINITY);
  }

  snapshot(): Record<string, number> {
    let open = 0;
    let history = 0;
    for (const s of this.series.values()) for (const st of s.intervals.values()) open += st.open.size + st.touched.size;
    for (const h of this.healthSeries.values()) history += h.history.length + h.acc.size;
    return { series: this.series.size, openBins: open, healthBins: history, messageIds: this.guard?.size ?? 0 };
  }

  private emitRow(ctx: OperatorContext, s: Series, st: IntervalState, b: number, acc: Acc | undefined): void {
    const v = binValue(acc, st.binMs);
    const row: NormalisedCountRow = {
      sensorId: s.proto.sensorId,
      interval: st.name,
      start: b,
      end: b + st.binMs,
      count: v.count,
      observedCount: v.count === null ? null : v.observed,
      observedS: v.count === null ? 0 : (acc as Acc).observedMs / 1000,
      uptime: v.uptime,
      reportedCount: v.count === null ? null : (acc as Acc).single !== null ? v.count : (acc as Acc).reported,
      coveredS: v.count === null ? 0 : (acc as Acc).coveredMs / 1000,
    };
    if (s.proto.direction !== undefined) row.direction = s.proto.direction;
    if (s.proto.mode !== undefined) row.mode = s.proto.mode;
    ctx.emit('norm', s.proto.sensorId, row);
  }

  /** Close bins ending at or before `limit`: gap rows for untouched bins, health on native bins. */
  private close(limit: number, ctx: OperatorContext, final: boolean): void {
    if (!Number.isFinite(limit)) return;
    for (const s of this.series.values()) {
      for (const st of s.intervals.values()) {
        while (st.nextClose + st.binMs <= limit) {
          const b = st.nextClose;
          if (!st.touched.has(b)) this.emitRow(ctx, s, st, b, undefined);
          st.touched.delete(b);
          st.nextClose += st.binMs;
        }
      }
    }
    for (const h of this.healthSeries.values()) {
      while (h.nextClose + h.binMs <= limit) {
        const b = h.nextClose;
        // Total over modes: Σ of each mode's estimate; null when no mode observed anything.
        let count: number | null = null;
        let uptime = 0;
        for (const acc of h.acc.get(b)?.values() ?? []) {
          const v = binValue(acc, h.binMs);
          if (v.count === null) continue;
          count = (count ?? 0) + v.count;
          uptime = Math.max(uptime, v.uptime);
        }
        h.acc.delete(b);
        h.history.push({ ...h.proto, start: b, end: b + h.binMs, count, uptime });
        h.nextClose += h.binMs;
        if (h.history.length > this.opts.historyBins) h.history.splice(0, h.history.length - this.opts.historyBins);
        // Health runs at fixed event-time instants (every HEALTH_EVAL_MS, or every bin when bins are longer), on
        // the history up to that instant: its findings (expected values included) never depend on how many bins
        // one batch closes, i.e. on replay speed or Kafka batch sizes (issue 11, item 4).
        const every =
          h.binMs >= 3_600_000 ? Math.max(h.binMs, HEALTH_EVAL_LONG_BINS_MS) : Math.max(h.binMs, HEALTH_EVAL_MS);
        if (h.nextClose % every === 0) this.health(h, ctx, false);
      }
      if (final) this.health(h, ctx, true);
    }
  }

  private health(s: HealthSeries, ctx: OperatorContext, final: boolean): void {
    if (s.history.length === 0) return;
    const binMs = s.binMs;
    const o: HealthOptions = {
      utcOffsetMinutes: this.opts.utcOffsetMinutes,
      flatMinIntervals: Math.max(4, Math.ceil(900_000 / binMs)),
    };
    const half = 4; // max(2, floor(jumpWindow / 2)) with the default jumpWindow 8
    const lastEnd = s.history[s.history.length - 1].end;
    const firstStart = s.history[0].start;
    for (const f of detectSensorHealth(s.history, o)) {
      const ready = final || (f.kind === 'impossible-jump' ? f.to + half * binMs <= lastEnd : f.to < lastEnd);
      const id = `${f.kind}|${f.to}`;
      if (!ready || s.emitted.has(id)) continue;
      s.emitted.add(id);
      ctx.emit('health', f.sensorId, toHealthFlag(f));
    }
    for (const id of s.emitted) if (Number(id.slice(id.indexOf('|') + 1)) < firstStart) s.emitted.delete(id);
  }
}

function toHealthFlag(f: HealthFlag): SensorHealthFlag {
  const out: SensorHealthFlag = { sensorId: f.sensorId, kind: f.kind, from: f.from, to: f.to };
  if (f.mode !== undefined) out.mode = f.mode;
  if (f.direction !== undefined) out.direction = f.direction;
  if (f.detail !== undefined) out.detail = f.detail.slice(0, 256);
  return out;
}

export function countsRole(config: Config): ProcessorRole<CountRecord> {
  return {
    name: 'counts',
    input: config.topics.counts,
    codec: jsonCodec(CountRecord, { maxBytes: config.stream.maxMessageBytes }),
    eventTime: (r) => r.start,
    // Both ends are guarded: a record ending in 2099 would otherwise open (and gap-fill) every bin up to it.
    timestamps: (r) => [r.start, r.end],
    outputs: { norm: config.topics.countsNorm, health: config.topics.sensorHealth },
    create: () =>
      new CountsOperator({
        intervals: config.counts.intervals,
        utcOffsetMinutes: config.counts.utcOffsetMinutes,
        historyBins: config.counts.healthHistoryBins,
        guard: {
          maxPerHour: config.counts.maxPerHour,
          dedupWindowMs: config.counts.dedupWindowMs,
          knownSensors: registryCounterIds(config),
          registryPath: config.sitesFile,
          topic: config.topics.counts,
        },
      }),
  };
}

const sec = (ms: number) => Math.floor(ms / 1000);

export function countsSink(config: Config): SinkRole<NormalisedCountRow> {
  return {
    name: 'sink-counts',
    input: config.topics.countsNorm,
    codec: jsonCodec(NormalisedCountRow),
    table: 'counts_1m',
    toRow: (v) => ({
      sensor_id: v.sensorId,
      interval: v.interval,
      start: sec(v.start),
      end: sec(v.end),
      direction: v.direction ?? '',
      mode: v.mode ?? '',
      count: v.count,
      raw_count: v.observedCount,
      uptime: v.uptime,
      observed_s: v.observedS,
      reported: v.reportedCount === undefined ? v.observedCount : v.reportedCount,
      covered_s: v.coveredS ?? v.observedS,
    }),
  };
}

export function sensorHealthSink(config: Config): SinkRole<SensorHealthFlag> {
  return {
    name: 'sink-sensor-health',
    input: config.topics.sensorHealth,
    codec: jsonCodec(SensorHealthFlag),
    table: 'sensor_health',
    toRow: (v) => ({
      sensor_id: v.sensorId,
      kind: v.kind,
      from: sec(v.from),
      to: sec(v.to),
      detail: v.detail ?? '',
      mode: v.mode ?? '',
      direction: v.direction ?? '',
    }),
  };
}
