/**
 * OD matcher (docs/ARCHITECTURE.md "Worker roles", od-matcher; docs/OD-AND-PRIVACY.md): stateful per token. Tokens are already keyed hashes
 * (privacy/tokenizer.ts); this operator never sees a raw identifier: a token's state is DROPPED as soon as its
 * session can no longer grow, and tokens never appear in the output. {@link OdMatcher.checkpoint} gives the
 * changed state as records holding tokens (keyed hashes) and aggregates only, for a compacted topic written in the
 * transaction of the outputs; {@link OdMatcher.restore} reads them back after a crash.
 *
 * ## Trips
 * A token's sightings, in event-time order, are split into SESSIONS: a new session starts when the gap to
 * the previous sighting exceeds `maxTravelTimeS` (default 45 min), or when the session would last longer
 * than `maxTripDurationS` (default 2 h; the cut keeps the last sighting so no hop is lost). Consecutive
 * sightings at the same site are stored as the first and last of their run (repeated Wi-Fi probes, a car waiting
 * at a light). At emission, sightings at one site less than `visitGapS` (120 s) apart form one VISIT even when
 * another site's sightings come in between (overlapping sniffers hear a phone alternately); visits are ordered
 * by their midpoints and grouped into RUNS of one zone. A session with ≥ 2 runs is one TRIP:
 *   origin = zone of the first run, destination = zone of the last run,
 *   departure = time of the last visit of the first run, arrival = time of the first visit of the last run
 *   (a visit's time: its midpoint, or its edges with `visitTime: 'edges'`), travel time = arrival − departure.
 * A session that stays in its first zone is a ROUND TRIP (origin = destination, travel time = the time away) when
 * two of its visits are at least `roundTripMinDwellS` (300 s) apart — it went out and came back through the
 * zone (typically the same gate) — else it is no trip (a stay, a walk inside the zone). The trip counts in the
 * window of its departure.
 * Sightings flagged `randomised` (locally administered addresses) are left out by default
 * (`randomisedAddresses`): their rotation cuts trips into fragments that would count as short trips.
 *
 * ## Time
 * `onWatermark(wm)` says no sighting older than wm is expected. Sightings with ts ≥ wm − allowedLateness
 * are still accepted (inserted in order), older ones are counted in `late` and dropped.
 * A token closes (trip emitted, state dropped) when wm − allowedLateness > lastSighting + maxTravelTime:
 * no acceptable sighting can extend it any more. A window [w, w+15 min) closes when
 * wm − allowedLateness > w + 15 min + maxTripDuration + maxTravelTime: every trip departing in it is final.
 *
 * ## Bounded memory
 * `maxTokens` caps live tokens; beyond it the token with the oldest last sighting is closed early (its trip
 * so far is emitted) and counted in `counters().evicted`. Sessions are capped at `maxSightingsPerToken`
 * kept sightings (cut like `maxTripDurationS`). Tokens are indexed by expiry bucket, so a watermark costs
 * O(tokens that close), not O(all tokens).
 *
 * ## Cells
 * One OdCell per (window, origin zone, destination zone, mode group) with `trips` = distinct tokens and
 * travel-time p50/p85 computed exactly (R type 7 interpolation) from the cell's travel times. Mode group
 * from `kind` (default: anpr → 'motor', wifi/ble → 'all', since a phone may be carried on foot, on a bike
 * or in a car). With `kAnonymity`, cells pass through suppressBelowK with their token sets (exact distinct
 * counts) before they leave the matcher.
 */
import { PassageError } from '../errors.ts';
import { type KRule, type OdCellLike, quantileSorted, suppressBelowK } from '../privacy/kanon.ts';
import type { SightingKindLike, TokenSightingLike } from '../privacy/tokenizer.ts';
import { UNOBSERVED_ZONE } from './zones.ts';

export interface OdMatcherOptions {
  /** Longest gap between two sightings of one trip, s. @default 2700 */
  maxTravelTimeS?: number;
  /** Longest trip (first to last sighting), s; longer sessions are cut. @default 7200 */
  maxTripDurationS?: number;
  /** Aggregation window by departure time, ms. @default 900_000 */
  windowMs?: number;
  /** Sightings older than watermark − allowedLatenessMs are dropped as late. @default 60_000 */
  allowedLatenessMs?: number;
  /** Cap on live tokens; the one with the oldest last sighting is closed early beyond it. @default 500_000 */
  maxTokens?: number;
  /** Cap on kept sightings per token session. @default 256 */
  maxSightingsPerToken?: number;
  /**
   * Site → zone. Without it every site is its own zone. With it, sightings at sites it does not know are
   * dropped and counted in `unknownSite`.
   */
  siteZone?: ReadonlyMap<string, string> | Readonly<Record<string, string>>;
  /** kind → mode group of the output cells. @default anpr → 'motor', wifi/ble → 'all' */
  modeGroup?: (kind: SightingKindLike) => string;
  /** Apply k-anonymity before cells leave the matcher. */
  kAnonymity?: { k: number; rule: KRule };
  /**
   * Time of a visit (departure from the origin, arrival at the destination): 'midpoint' = mean of the visit's
   * first and last sighting (≈ closest approach to the site); 'edges' = last sighting at the origin, first at
   * the destination. @default 'midpoint'
   */
  visitTime?: 'midpoint' | 'edges';
  /**
   * Sightings at one site less than this apart are one visit, even when sightings at other sites come in
   * between (sniffers with overlapping ranges hear a phone alternately). @default 120
   */
  visitGapS?: number;
  /**
   * Also aggregate trips per coarser departure window (e.g. 3_600_000: the hourly product population flows are
   * published at), with k-anonymity applied at THAT level on its own distinct-token sets; read with
   * {@link OdMatcher.drainCoarse}. Must be a multiple of `windowMs`. @default undefined (off)
   */
  coarseWindowMs?: number;
  /**
   * With `coarseWindowMs`: also count distinct tokens per sighting site per coarse window (the probe rate's
   * numerator of the expansion), k-anonymous (sites with fewer than k distinct tokens are suppressed). Only the
   * count leaves the matcher. @default false
   */
  siteDevices?: boolean;
  /**
   * Sightings of randomised (locally administered) Wi-Fi/BLE addresses, flagged `randomised` by the tokenizer:
   * 'skip' leaves them out of trips and site counts (an address that rotates every few minutes cuts a trip into
   * fragments, each counted as a trip between wherever its pieces were seen); 'keep' treats them like any token.
   * Skipped sightings are counted in `counters().randomised`. @default 'skip'
   */
  randomisedAddresses?: 'skip' | 'keep';
  /**
   * ROUND TRIPS: a session whose visits all fall in one zone but which is out of sight for at least this long
   * between two of its visits (the gap between the two visits' times, `visitTime` rule) left the zone and came
   * back through it (a car entering and leaving by the same gate, a resident going out and back): it is reported
   * as a trip origin = destination = that zone, departure = the visit before the longest gap, arrival = the
   * visit after it, travel time = the time away (the dwell outside the zone, travel included). Shorter gaps are
   * a stay or a walk inside the zone (no trip). 0 turns round trips off (the sessions are dropped as before).
   * @default 300
   */
  roundTripMinDwellS?: number;
  /**
   * PASS-THROUGH: a first (last) run of visits that enters a zone by one site and leaves it by another (a cordon
   * crossed) says the device went THROUGH that zone, so its trip started (ended) outside every observed zone:
   * 'unobserved' reports that end as `UNOBSERVED_ZONE` (and drops a trip with both ends unobserved); 'zone' credits
   * the crossed zone (the previous rule: trips to zones without sensors were counted as trips to the last zone
   * crossed). @default 'unobserved'
   */
  passThrough?: 'unobserved' | 'zone';
}

/** Distinct tokens sighted at one site over one coarse window (aggregate, k-anonymous). */
export interface SiteDevicesCell {
  siteId: string;
  zone: string;
  kind: SightingKindLike;
  windowStart: number;
  /** Distinct tokens (0 when suppressed). */
  devices: number;
  suppressed?: boolean;
  rule?: string;
}

export interface OdMatcherCounters {
  sightings: number;
  /** Sightings merged into an existing visit (same site as the previous one). */
  deduplicated: number;
  late: number;
  unknownSite: number;
  /** Sightings of randomised addresses left out (`randomisedAddresses: 'skip'`). */
  randomised: number;
  evicted: number;
  tokensClosed: number;
  trips: number;
  /** Trips whose departure window had already been closed (should stay 0). */
  lateTrips: number;
  /** Of `trips`: round trips (origin = destination, out of sight ≥ roundTripMinDwellS between two visits). */
  roundTrips: number;
  /** Of `trips`: trips with one end `UNOBSERVED_ZONE` (a zone crossed at that end, `passThrough`). */
  unobservedEnds: number;
  /** Sessions that only crossed zones (both ends unobserved): no trip. */
  passThroughOnly: number;
  cellsEmitted: number;
}

/**
 * One record of the matcher's checkpoint (a compacted topic: `key` is the compaction key). It holds TOKENS (keyed
 * hashes, the tokenizer's output) and aggregates only, never a raw identifier: `meta` (watermark, closed windows,
 * counters), `t:<n>` (the live tokens whose hash falls in bucket n, with their site/time sequences), `c:<n>` (open
 * 15-min and coarse cells: distinct tokens and travel times), `s:<n>` (per-site distinct tokens of open coarse
 * windows). The key space is bounded (1 + 256 + 64 + 16 keys), so the compacted topic stays small.
 */
export interface OdStateRecord {
  key: string;
  value: OdStateValue;
}

export interface OdStateValue {
  v: 1;
  meta?: { wm: number; closedBefore: number; coarseClosedBefore: number; counters: OdMatcherCounters };
  tokens?: { t: string; g: string; s: (string | number)[] }[];
  cells?: { l: 'f' | 'c'; w: number; o: string; d: string; m: string; tk: string[]; tt: number[] }[];
  sites?: { w: number; s: string; k: SightingKindLike; tk: string[] }[];
}

const TOKEN_BUCKETS = 256;
const CELL_BUCKETS = 64;
const SITE_BUCKETS = 16;

/** FNV-1a 32-bit: a stable bucket of a string. */
function bucketOf(s: string, n: number): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return (h >>> 0) % n;
}

/** JSON has no infinities: ±Infinity travel as null. */
const finite = (x: number): number | null => (Number.isFinite(x) ? x : null);
const unfinite = (x: number | null | undefined, inf: number): number => (typeof x === 'number' ? x : inf);

interface TokenState {
  token: string;
  group: string;
  /** Flat [siteIndex, ts, siteIndex, ts, …] in event-time order. */
  seq: number[];
  bucket: number;
}

interface CellAcc {
  origin: string;
  destination: string;
  mode: string;
  windowStart: number;
  tokens: Set<string>;
  travelTimesS: number[];
}

function configError(message: string): PassageError {
  return new PassageError('PASSAGE_OD_CONFIG', message);
}

const defaultModeGroup = (kind: SightingKindLike): string => (kind === 'anpr' ? 'motor' : 'all');
const BUCKET_MS = 60_000;

export class OdMatcher {
  readonly maxTravelTimeMs: number;
  readonly maxTripDurationMs: number;
  readonly windowMs: number;
  readonly allowedLatenessMs: number;
  readonly maxTokens: number;
  readonly maxSightingsPerToken: number;
  readonly visitTime: 'midpoint' | 'edges';
  readonly visitGapMs: number;
  readonly roundTripMinDwellMs: number;
  readonly passThrough: 'unobserved' | 'zone';
  readonly #modeGroup: (kind: SightingKindLike) => string;
  readonly #zoneOf: ((siteId: string) => string | undefined) | null;
  readonly #kAnonymity: { k: number; rule: KRule } | undefined;

  #watermark = Number.NEGATIVE_INFINITY;
  readonly #tokens = new Map<string, TokenState>();
  /** expiry bucket → tokens whose (lastTs + maxTravelTime) falls in it. */
  readonly #buckets = new Map<number, Set<TokenState>>();
  #minBucket = Number.POSITIVE_INFINITY;
  readonly #siteIndex = new Map<string, number>();
  readonly #siteZones: string[] = [];
  /** windowStart → cellKey → accumulator. */
  readonly #windows = new Map<number, Map<string, CellAcc>>();
  #closedBefore = Number.NEGATIVE_INFINITY;
  readonly coarseWindowMs: number | undefined;
  readonly #coarse = new Map<number, Map<string, CellAcc>>();
  #coarseClosedBefore = Number.NEGATIVE_INFINITY;
  readonly #siteDevices: boolean;
  readonly #skipRandomised: boolean;
  /** coarse windowStart → site index → distinct tokens (memory only). */
  readonly #siteAcc = new Map<number, Map<number, { kind: SightingKindLike; tokens: Set<string> }>>();
  readonly #siteIds: string[] = [];
  #coarseOut: OdCellLike[] = [];
  #siteOut: SiteDevicesCell[] = [];
  #peakTokens = 0;
  /** Checkpoint buckets changed since the last {@link OdMatcher.checkpoint}. */
  readonly #dirty = new Set<string>();
  readonly #counters: OdMatcherCounters = {
    sightings: 0,
    deduplicated: 0,
    late: 0,
    unknownSite: 0,
    randomised: 0,
    evicted: 0,
    tokensClosed: 0,
    trips: 0,
    lateTrips: 0,
    roundTrips: 0,
    unobservedEnds: 0,
    passThroughOnly: 0,
    cellsEmitted: 0,
  };

  constructor(options: OdMatcherOptions = {}) {
    this.maxTravelTimeMs = (options.maxTravelTimeS ?? 2700) * 1000;
    this.maxTripDurationMs = (options.maxTripDurationS ?? 7200) * 1000;
    this.windowMs = options.windowMs ?? 900_000;
    this.allowedLatenessMs = options.allowedLatenessMs ?? 60_000;
    this.maxTokens = options.maxTokens ?? 500_000;
    this.maxSightingsPerToken = options.maxSightingsPerToken ?? 256;
    this.visitTime = options.visitTime ?? 'midpoint';
    this.visitGapMs = (options.visitGapS ?? 120) * 1000;
    this.roundTripMinDwellMs = (options.roundTripMinDwellS ?? 300) * 1000;
    this.passThrough = options.passThrough ?? 'unobserved';
    this.#modeGroup = options.modeGroup ?? defaultModeGroup;
    this.#kAnonymity = options.kAnonymity;
    this.coarseWindowMs = options.coarseWindowMs;
    this.#siteDevices = options.siteDevices === true && options.coarseWindowMs !== undefined;
    this.#skipRandomised = (options.randomisedAddresses ?? 'skip') === 'skip';
    const sz = options.siteZone;
    this.#zoneOf =
      sz === undefined ? null : sz instanceof Map ? (s) => sz.get(s) : (s) => (sz as Record<string, string>)[s];
    if (!(this.maxTravelTimeMs > 0)) throw configError('maxTravelTimeS must be > 0 (default 2700).');
    if (!(this.maxTripDurationMs >= this.maxTravelTimeMs)) {
      throw configError('maxTripDurationS must be ≥ maxTravelTimeS (default 7200).');
    }
    if (!(this.windowMs > 0)) throw configError('windowMs must be > 0 (default 900000).');
    if (!(this.visitGapMs >= 0)) throw configError('visitGapS must be ≥ 0 (default 120).');
    if (!(this.roundTripMinDwellMs >= 0)) {
      throw configError('roundTripMinDwellS must be ≥ 0 (default 300; 0 = no round trips).');
    }
    if (
      this.coarseWindowMs !== undefined &&
      !(this.coarseWindowMs >= this.windowMs && this.coarseWindowMs % this.windowMs === 0)
    ) {
      throw configError('coarseWindowMs must be a multiple of windowMs (e.g. 3600000).');
    }
    if (!(this.allowedLatenessMs >= 0)) throw configError('allowedLatenessMs must be ≥ 0 (default 60000).');
    if (!(Number.isInteger(this.maxTokens) && this.maxTokens >= 1)) throw configError('maxTokens must be ≥ 1.');
    if (!(Number.isInteger(this.maxSightingsPerToken) && this.maxSightingsPerToken >= 4)) {
      throw configError('maxSightingsPerToken must be an integer ≥ 4 (default 256).');
    }
  }

  /** Live tokens held in memory. */
  stateSize(): number {
    return this.#tokens.size;
  }

  /** Highest stateSize() seen so far. */
  peakStateSize(): number {
    return this.#peakTokens;
  }

  /** Metric-ready counters (monotonic). */
  counters(): Readonly<OdMatcherCounters> {
    return { ...this.#counters };
  }

  /** Windows with at least one trip that are not closed yet. */
  openWindows(): number {
    return this.#windows.size;
  }

  onSightings(batch: readonly TokenSightingLike[]): void {
    for (let i = 0; i < batch.length; i++) this.onSighting(batch[i]);
  }

  onSighting(s: TokenSightingLike): void {
    this.#counters.sightings++;
    if (s.randomised === true && this.#skipRandomised) {
      this.#counters.randomised++;
      return;
    }
    const ts = s.ts;
    if (ts < this.#watermark - this.allowedLatenessMs) {
      this.#counters.late++;
      return;
    }
    const site = this.#site(s.siteId);
    if (site < 0) {
      this.#counters.unknownSite++;
      return;
    }
    if (this.#siteDevices) this.#addSiteDevice(site, s.kind, s.token, ts);
    this.#dirty.add(`t:${bucketOf(s.token, TOKEN_BUCKETS)}`);
    let st = this.#tokens.get(s.token);
    if (st === undefined) {
      st = { token: s.token, group: this.#modeGroup(s.kind), seq: [site, ts], bucket: 0 };
      this.#tokens.set(s.token, st);
      this.#index(st);
      if (this.#tokens.size > this.maxTokens) this.#evictOldest();
      if (this.#tokens.size > this.#peakTokens) this.#peakTokens = this.#tokens.size;
      return;
    }
    const seq = st.seq;
    const n = seq.length;
    const lastTs = seq[n - 1];
    if (ts >= lastTs) {
      if (ts - lastTs > this.maxTravelTimeMs) {
        // Gap: the session so far is complete.
        this.#emitSession(st);
        seq.length = 0;
        seq.push(site, ts);
      } else if (ts - seq[1] > this.maxTripDurationMs || n >= 2 * this.maxSightingsPerToken) {
        this.#cutSession(st, site, ts);
      } else if (seq[n - 2] === site) {
        // Same site as the previous sighting: keep only first and last of the visit.
        this.#counters.deduplicated++;
        if (n >= 4 && seq[n - 4] === site) seq[n - 1] = ts;
        else seq.push(site, ts);
      } else {
        seq.push(site, ts);
      }
    } else {
      this.#insertLate(st, site, ts);
    }
    this.#reindex(st);
  }

  /**
   * Advance event time. Closes tokens that can no longer grow (their trips go to the cells, their state is
   * dropped) and returns the cells of every window that is now final.
   */
  onWatermark(wm: number): OdCellLike[] {
    if (wm <= this.#watermark) return [];
    this.#watermark = wm;
    const horizon = wm - this.allowedLatenessMs;
    // Tokens whose lastTs + maxTravelTime < horizon.
    const lastBucket = Math.floor(horizon / BUCKET_MS);
    for (let b = this.#minBucket; b <= lastBucket && this.#buckets.size > 0; b++) {
      const set = this.#buckets.get(b);
      if (set === undefined) continue;
      for (const st of set) {
        const expiry = st.seq[st.seq.length - 1] + this.maxTravelTimeMs;
        if (expiry < horizon) this.#close(st);
      }
      if (set.size === 0) this.#buckets.delete(b);
      else break;
    }
    this.#minBucket = this.#buckets.size === 0 ? Number.POSITIVE_INFINITY : this.#lowestBucket();
    // Windows whose every trip is final.
    const closeBefore = horizon - this.maxTripDurationMs - this.maxTravelTimeMs;
    const out: OdCellLike[] = [];
    const ready = [...this.#windows.keys()].filter((w) => w + this.windowMs < closeBefore).sort((a, b) => a - b);
    for (const w of ready) {
      const cells = this.#windows.get(w) as Map<string, CellAcc>;
      this.#windows.delete(w);
      out.push(...this.#publish([...cells.values()]));
    }
    const newClosed = Math.floor(closeBefore / this.windowMs) * this.windowMs;
    if (newClosed > this.#closedBefore) this.#closedBefore = newClosed;
    this.#counters.cellsEmitted += out.length;
    if (this.coarseWindowMs !== undefined) {
      const cw = this.coarseWindowMs;
      for (const w of [...this.#coarse.keys()].filter((x) => x + cw < closeBefore).sort((a, b) => a - b)) {
        const cells = this.#coarse.get(w) as Map<string, CellAcc>;
        this.#coarse.delete(w);
        this.#coarseOut.push(...this.#publish([...cells.values()]));
      }
      const newCoarse = Math.floor(closeBefore / cw) * cw;
      if (newCoarse > this.#coarseClosedBefore) this.#coarseClosedBefore = newCoarse;
      // Site windows are complete once no acceptable sighting can fall in them.
      for (const w of [...this.#siteAcc.keys()].filter((x) => x + cw < horizon).sort((a, b) => a - b)) {
        this.#publishSites(w);
      }
    }
    return out;
  }

  /**
   * The checkpoint records of every bucket changed since the last call, and `meta` (empty when nothing changed).
   * Written by the od-matcher role to a compacted topic in the same Kafka transaction as its outputs and input
   * offsets, and read back by {@link OdMatcher.restore} after a crash: tokens and aggregates only (no raw id).
   */
  checkpoint(): OdStateRecord[] {
    if (this.#dirty.size === 0) return [];
    const dirty = new Set(this.#dirty);
    this.#dirty.clear();
    const buckets = new Map<string, OdStateValue>();
    for (const k of dirty) buckets.set(k, { v: 1 });
    const at = (k: string): OdStateValue | undefined => buckets.get(k);
    const ids = this.#siteIds;
    for (const st of this.#tokens.values()) {
      const b = at(`t:${bucketOf(st.token, TOKEN_BUCKETS)}`);
      if (b === undefined) continue;
      const seq: (string | number)[] = [];
      for (let i = 0; i < st.seq.length; i += 2) seq.push(ids[st.seq[i]], st.seq[i + 1]);
      (b.tokens ??= []).push({ t: st.token, g: st.group, s: seq });
    }
    for (const [l, windows] of [
      ['f', this.#windows],
      ['c', this.#coarse],
    ] as const) {
      for (const [w, cells] of windows) {
        for (const [key, a] of cells) {
          const b = at(`c:${bucketOf(key, CELL_BUCKETS)}`);
          if (b === undefined) continue;
          (b.cells ??= []).push({
            l,
            w,
            o: a.origin,
            d: a.destination,
            m: a.mode,
            tk: [...a.tokens],
            tt: a.travelTimesS,
          });
        }
      }
    }
    for (const [w, m] of this.#siteAcc) {
      for (const [site, acc] of m) {
        const b = at(`s:${bucketOf(ids[site], SITE_BUCKETS)}`);
        if (b !== undefined) (b.sites ??= []).push({ w, s: ids[site], k: acc.kind, tk: [...acc.tokens] });
      }
    }
    const out: OdStateRecord[] = [...buckets].map(([key, value]) => ({ key, value }));
    out.push({
      key: 'meta',
      value: {
        v: 1,
        meta: {
          wm: finite(this.#watermark) as number,
          closedBefore: finite(this.#closedBefore) as number,
          coarseClosedBefore: finite(this.#coarseClosedBefore) as number,
          counters: { ...this.#counters },
        },
      },
    });
    return out;
  }

  /**
   * Restores the state of a checkpoint (the latest value of each key, in any order) into a fresh matcher: the
   * live tokens, open windows, watermark and counters as they were when the records' transaction committed.
   * Sightings at sites no longer known are left out.
   */
  restore(values: readonly OdStateValue[]): void {
    for (const v of values) {
      if (v.v !== 1) throw configError(`checkpoint record version ${String(v.v)} is not supported (expected 1).`);
      if (v.meta) {
        this.#watermark = unfinite(v.meta.wm, Number.NEGATIVE_INFINITY);
        this.#closedBefore = unfinite(v.meta.closedBefore, Number.NEGATIVE_INFINITY);
        this.#coarseClosedBefore = unfinite(v.meta.coarseClosedBefore, Number.NEGATIVE_INFINITY);
        Object.assign(this.#counters, v.meta.counters);
      }
      for (const t of v.tokens ?? []) {
        const seq: number[] = [];
        for (let i = 0; i + 1 < t.s.length; i += 2) {
          const site = this.#site(String(t.s[i]));
          if (site >= 0) seq.push(site, Number(t.s[i + 1]));
        }
        if (seq.length === 0) continue;
        const st: TokenState = { token: t.t, group: t.g, seq, bucket: 0 };
        this.#tokens.set(t.t, st);
        this.#index(st);
      }
      for (const c of v.cells ?? []) {
        const windows = c.l === 'f' ? this.#windows : this.#coarse;
        let cells = windows.get(c.w);
        if (cells === undefined) {
          cells = new Map();
          windows.set(c.w, cells);
        }
        cells.set(`${c.o}\u0000${c.d}\u0000${c.m}`, {
          origin: c.o,
          destination: c.d,
          mode: c.m,
          windowStart: c.w,
          tokens: new Set(c.tk),
          travelTimesS: [...c.tt],
        });
      }
      for (const x of v.sites ?? []) {
        const site = this.#site(x.s);
        if (site < 0) continue;
        let m = this.#siteAcc.get(x.w);
        if (m === undefined) {
          m = new Map();
          this.#siteAcc.set(x.w, m);
        }
        m.set(site, { kind: x.k, tokens: new Set(x.tk) });
      }
    }
    this.#minBucket = this.#buckets.size === 0 ? Number.POSITIVE_INFINITY : this.#lowestBucket();
    if (this.#tokens.size > this.#peakTokens) this.#peakTokens = this.#tokens.size;
  }

  /**
   * Coarse-window cells (k-anonymous at the coarse level) and per-site distinct-token counts that became final
   * since the last call. Empty without `coarseWindowMs`.
   */
  drainCoarse(): { cells: OdCellLike[]; sites: SiteDevicesCell[] } {
    const out = { cells: this.#coarseOut, sites: this.#siteOut };
    this.#coarseOut = [];
    this.#siteOut = [];
    return out;
  }

  #addSiteDevice(site: number, kind: SightingKindLike, token: string, ts: number): void {
    const cw = this.coarseWindowMs as number;
    const w = Math.floor(ts / cw) * cw;
    let m = this.#siteAcc.get(w);
    if (m === undefined) {
      m = new Map();
      this.#siteAcc.set(w, m);
    }
    let acc = m.get(site);
    if (acc === undefined) {
      acc = { kind, tokens: new Set() };
      m.set(site, acc);
    }
    if (!acc.tokens.has(token)) {
      acc.tokens.add(token);
      this.#dirty.add(`s:${bucketOf(this.#siteIds[site], SITE_BUCKETS)}`);
    }
  }

  #publishSites(w: number): void {
    const m = this.#siteAcc.get(w);
    this.#siteAcc.delete(w);
    if (m === undefined) return;
    const k = this.#kAnonymity?.k ?? 1;
    // By site id (not the process-local index): a matcher restored from a checkpoint emits in the same order.
    const ids = this.#siteIds;
    for (const [site, acc] of [...m].sort((a, b) => (ids[a[0]] < ids[b[0]] ? -1 : ids[a[0]] > ids[b[0]] ? 1 : 0))) {
      this.#dirty.add(`s:${bucketOf(this.#siteIds[site], SITE_BUCKETS)}`);
      const n = acc.tokens.size;
      acc.tokens.clear();
      const pass = n >= k;
      const cell: SiteDevicesCell = {
        siteId: this.#siteIds[site],
        zone: this.#siteZones[site],
        kind: acc.kind,
        windowStart: w,
        devices: pass ? n : 0,
      };
      if (this.#kAnonymity !== undefined) cell.rule = `k${k}:${pass ? 'pass' : 'suppress'}`;
      if (!pass) cell.suppressed = true;
      this.#siteOut.push(cell);
    }
  }

  /** Close every token and every window (end of input). Token state is empty afterwards. */
  flush(): OdCellLike[] {
    for (const st of [...this.#tokens.values()]) this.#close(st);
    this.#buckets.clear();
    this.#minBucket = Number.POSITIVE_INFINITY;
    const out: OdCellLike[] = [];
    for (const w of [...this.#windows.keys()].sort((a, b) => a - b)) {
      out.push(...this.#publish([...(this.#windows.get(w) as Map<string, CellAcc>).values()]));
    }
    this.#windows.clear();
    this.#counters.cellsEmitted += out.length;
    for (const w of [...this.#coarse.keys()].sort((a, b) => a - b)) {
      this.#coarseOut.push(...this.#publish([...(this.#coarse.get(w) as Map<string, CellAcc>).values()]));
    }
    this.#coarse.clear();
    for (const w of [...this.#siteAcc.keys()].sort((a, b) => a - b)) this.#publishSites(w);
    return out;
  }

  #site(siteId: string): number {
    let i = this.#siteIndex.get(siteId);
    if (i !== undefined) return i;
    let zone: string | undefined = siteId;
    if (this.#zoneOf !== null) zone = this.#zoneOf(siteId);
    if (zone === undefined) return -1;
    i = this.#siteZones.length;
    this.#siteZones.push(zone);
    this.#siteIds.push(siteId);
    this.#siteIndex.set(siteId, i);
    return i;
  }

  #bucketOf(st: TokenState): number {
    return Math.floor((st.seq[st.seq.length - 1] + this.maxTravelTimeMs) / BUCKET_MS);
  }

  #index(st: TokenState): void {
    const b = this.#bucketOf(st);
    st.bucket = b;
    let set = this.#buckets.get(b);
    if (set === undefined) {
      set = new Set();
      this.#buckets.set(b, set);
    }
    set.add(st);
    if (b < this.#minBucket) this.#minBucket = b;
  }

  #reindex(st: TokenState): void {
    const b = this.#bucketOf(st);
    if (b === st.bucket) return;
    const old = this.#buckets.get(st.bucket);
    if (old !== undefined) {
      old.delete(st);
      if (old.size === 0) this.#buckets.delete(st.bucket);
    }
    this.#index(st);
  }

  #lowestBucket(): number {
    let min = Number.POSITIVE_INFINITY;
    for (const b of this.#buckets.keys()) if (b < min) min = b;
    return min;
  }

  #evictOldest(): void {
    if (this.#minBucket === Number.POSITIVE_INFINITY) this.#minBucket = this.#lowestBucket();
    while (this.#buckets.size > 0) {
      const set = this.#buckets.get(this.#minBucket);
      if (set === undefined || set.size === 0) {
        this.#buckets.delete(this.#minBucket);
        this.#minBucket = this.#lowestBucket();
        continue;
      }
      const st = set.values().next().value as TokenState;
      this.#close(st);
      this.#counters.evicted++;
      return;
    }
  }

  /** Emit the token's trip, drop its state. */
  #close(st: TokenState): void {
    this.#emitSession(st);
    const set = this.#buckets.get(st.bucket);
    if (set !== undefined) {
      set.delete(st);
      if (set.size === 0) this.#buckets.delete(st.bucket);
    }
    this.#tokens.delete(st.token);
    this.#dirty.add(`t:${bucketOf(st.token, TOKEN_BUCKETS)}`);
    st.seq.length = 0;
    this.#counters.tokensClosed++;
  }

  /** Session too long or too many sightings: emit it, continue from its last sighting. */
  #cutSession(st: TokenState, site: number, ts: number): void {
    const seq = st.seq;
    const lastSite = seq[seq.length - 2];
    const lastTs = seq[seq.length - 1];
    this.#emitSession(st);
    seq.length = 0;
    seq.push(lastSite, lastTs, site, ts);
  }

  #insertLate(st: TokenState, site: number, ts: number): void {
    const seq = st.seq;
    if (ts < seq[1] - this.maxTravelTimeMs) {
      // Belongs to an earlier session that was already emitted.
      this.#counters.late++;
      return;
    }
    let i = seq.length - 2;
    while (i >= 0 && seq[i + 1] > ts) i -= 2;
    seq.splice(i + 2, 0, site, ts);
  }

  #emitSession(st: TokenState): void {
    const seq = st.seq;
    const n = seq.length;
    if (n < 4) return;
    const zones = this.#siteZones;
    // 1. Site visits: sightings at one site less than `visitGapMs` apart, even when sightings at another site
    // come in between (two sniffers with overlapping ranges hear the same phone alternately), ordered by their
    // midpoints. The sequence is flat [site, ts, …] in event-time order.
    const visits: { site: number; first: number; last: number }[] = [];
    for (let i = 0; i < n; i += 2) {
      const site = seq[i];
      const ts = seq[i + 1];
      // The latest visit of this site (sessions hold few visits: a backward scan beats a map).
      let vi = visits.length - 1;
      while (vi >= 0 && visits[vi].site !== site) vi--;
      if (vi >= 0 && ts - visits[vi].last <= this.visitGapMs) visits[vi].last = ts;
      else visits.push({ site, first: ts, last: ts });
    }
    if (visits.length < 2) return;
    visits.sort((p, q) => p.first + p.last - (q.first + q.last) || p.site - q.site);
    // 2. Zone runs. The origin is the zone of the first visits: they may span several of its sites (a zone with a
    // cordon of sniffers); the departure is timed at the last site visited in that run. Symmetrically for the
    // destination. A session that never leaves its first zone is not a trip (a stay, or a walk inside the zone
    // that a zone-level survey cannot tell from one).
    const m = visits.length;
    const originZone = zones[visits[0].site];
    const destinationZone = zones[visits[m - 1].site];
    const mid = this.visitTime === 'midpoint';
    let j = 1;
    while (j < m && zones[visits[j].site] === originZone) j++;
    let k = m - 1;
    if (j >= m) {
      // One zone only: a round trip when the device was out of sight long enough between two visits (the
      // longest gap), else a stay or a walk inside the zone (no trip).
      if (this.roundTripMinDwellMs <= 0) return;
      let best = -1;
      let bestGap = -1;
      for (let i = 0; i + 1 < m; i++) {
        const gap = mid
          ? (visits[i + 1].first + visits[i + 1].last - visits[i].first - visits[i].last) / 2
          : visits[i + 1].first - visits[i].last;
        if (gap > bestGap) {
          bestGap = gap;
          best = i;
        }
      }
      if (best < 0 || bestGap < this.roundTripMinDwellMs) return;
      j = best + 1;
      k = best + 1;
      this.#counters.roundTrips++;
    } else {
      while (k - 1 >= 0 && zones[visits[k - 1].site] === destinationZone) k--;
    }
    let origin = originZone;
    let destination = destinationZone;
    if (this.passThrough === 'unobserved' && originZone !== destinationZone) {
      // Entered by one site and left by another: crossed, the trip's end lies outside the observed zones.
      if (visits[0].site !== visits[j - 1].site) origin = UNOBSERVED_ZONE;
      if (visits[k].site !== visits[m - 1].site) destination = UNOBSERVED_ZONE;
      if (origin === UNOBSERVED_ZONE && destination === UNOBSERVED_ZONE) {
        this.#counters.passThroughOnly++;
        return;
      }
      if (origin === UNOBSERVED_ZONE || destination === UNOBSERVED_ZONE) this.#counters.unobservedEnds++;
    }
    // Time of a site visit: its midpoint (default; estimates the closest approach to the site, since probes
    // come at random moments while the device is in range) or its edges (last sighting at the origin, first
    // at the destination: shorter by about one probe interval).
    const dep = visits[j - 1];
    const arr = visits[k];
    const departure = mid ? (dep.first + dep.last) / 2 : dep.last;
    const arrival = mid ? (arr.first + arr.last) / 2 : arr.first;
    const cw = this.coarseWindowMs;
    const windowStart = Math.floor(departure / this.windowMs) * this.windowMs;
    this.#counters.trips++;
    if (windowStart < this.#closedBefore) {
      this.#counters.lateTrips++;
      return;
    }
    const travelS = (arrival - departure) / 1000;
    this.#addTrip(this.#windows, windowStart, origin, destination, st, travelS);
    if (cw !== undefined) {
      const coarseStart = Math.floor(departure / cw) * cw;
      if (coarseStart >= this.#coarseClosedBefore) {
        this.#addTrip(this.#coarse, coarseStart, origin, destination, st, travelS);
      }
    }
  }

  #addTrip(
    windows: Map<number, Map<string, CellAcc>>,
    windowStart: number,
    origin: string,
    destination: string,
    st: TokenState,
    travelS: number,
  ): void {
    const key = `${origin}\u0000${destination}\u0000${st.group}`;
    let cells = windows.get(windowStart);
    if (cells === undefined) {
      cells = new Map();
      windows.set(windowStart, cells);
    }
    let acc = cells.get(key);
    if (acc === undefined) {
      acc = { origin, destination, mode: st.group, windowStart, tokens: new Set(), travelTimesS: [] };
      cells.set(key, acc);
    }
    if (!acc.tokens.has(st.token)) {
      acc.tokens.add(st.token);
      acc.travelTimesS.push(travelS);
      this.#dirty.add(`c:${bucketOf(key, CELL_BUCKETS)}`);
    }
  }

  #publish(accs: CellAcc[]): OdCellLike[] {
    for (const a of accs)
      this.#dirty.add(`c:${bucketOf(`${a.origin}\u0000${a.destination}\u0000${a.mode}`, CELL_BUCKETS)}`);
    accs.sort((a, b) =>
      a.origin < b.origin
        ? -1
        : a.origin > b.origin
          ? 1
          : a.destination < b.destination
            ? -1
            : a.destination > b.destination
              ? 1
              : a.mode < b.mode
                ? -1
                : a.mode > b.mode
                  ? 1
                  : 0,
    );
    if (this.#kAnonymity !== undefined) {
      const out = suppressBelowK(
        accs.map((a) => {
          const sorted = Float64Array.from(a.travelTimesS).sort();
          return {
            origin: a.origin,
            destination: a.destination,
            mode: a.mode,
            windowStart: a.windowStart,
            trips: a.tokens.size,
            travelTimeP50S: quantileSorted(sorted, 0.5),
            travelTimeP85S: quantileSorted(sorted, 0.85),
            tokens: a.tokens,
            travelTimesS: a.travelTimesS,
          };
        }),
        this.#kAnonymity.k,
        this.#kAnonymity.rule,
      );
      for (const a of accs) a.tokens.clear();
      return out;
    }
    return accs.map((a) => {
      const sorted = Float64Array.from(a.travelTimesS).sort();
      const cell: OdCellLike = {
        origin: a.origin,
        destination: a.destination,
        mode: a.mode,
        windowStart: a.windowStart,
        trips: a.tokens.size,
        travelTimeP50S: quantileSorted(sorted, 0.5),
        travelTimeP85S: quantileSorted(sorted, 0.85),
      };
      a.tokens.clear();
      return cell;
    });
  }
}
