import { type Config, PassageError } from '@passage/config';
import {
  counterOdMode,
  deriveOdReference,
  deriveZoneCounters,
  estimateZoneOd,
  expandByProbeRate,
  expandOdCells,
  type OdCellLike,
  OdMatcher,
  type SiteDevicesCell,
  UNOBSERVED_ZONE,
  type ZoneCounter,
  type ZoneCoverage,
  type ZonePriorCell,
} from '@passage/core';
import type { ClickHouseClient } from '@passage/store';
import {
  type CountBin,
  countBins,
  odCells,
  odHourlyCells,
  sensorHealth,
  siteDevices,
} from '@passage/store/queries/od-counts';
import {
  jsonCodec,
  OdCell,
  type Operator,
  type OperatorContext,
  type ProcessorRole,
  type SinkRole,
  TokenSighting,
} from '@passage/stream';
import { type Static, Type } from '@sinclair/typebox';
import { loadSitesFile } from '../sites.ts';

/**
 * Role `od-matcher` (DESIGN §4): `sightings.v1` (tokens) → `od.v1` (anonymous OD cells) → `od_15m`.
 *
 * The @passage/core OdMatcher turns each token's sightings into trips (origin zone of the first visit →
 * destination zone of the last visit, travel time between them) and aggregates them per 15-minute departure
 * window; a window is published once final (watermark past window end + max trip duration + max travel time),
 * with k-anonymity applied (`privacy.k`, `od.kRule`) on exact distinct-token sets, and exact p50/p85 travel
 * times. Token state is bounded (`od.maxTokens`, evicting the token seen longest ago) and dropped as soon as its
 * session cannot grow. The runtime hands the matcher each token's sightings in event-time order once its watermark
 * (the tokenizer's, the minimum over every raw partition, minus `stream.allowedLatenessMs`) has passed them, and
 * dead-letters sightings behind it (`LATE_EVENT`, `passage_late_events_total`): a backfill over any number of
 * partitions gives the same cells as a paced replay.
 *
 * State metrics (`passage_state_size{role="od-matcher"}`): tokens (live), peakTokens, openWindows, and the
 * monotonic counters late, evicted, lateTrips, unknownSite, randomised (sightings of randomised addresses left out,
 * `od.randomisedAddresses`), trips.
 *
 * Delivery: a cell needs its whole window's tokens (k-anonymity, quantiles), so no partial cells are emitted at
 * checkpoints; token state is memory only (never persisted: it holds tokens). Consequences, documented in
 * docs/OD-AND-PRIVACY.md: run ONE instance (cells of several instances would be k-anonymised
 * on partial token sets); a crash loses the trips of windows still open (no double counting); a graceful stop
 * publishes open windows as they are, and their later trips form a second row of the same cell, summed by the
 * queries (each row is k-anonymous on its own).
 *
 * Expansion to population flows needs reference counts from the counts pipeline (another topic), so it is
 * computed at read time by {@link expandOd}; the stream writes `expanded = 0`, `expanded_se = 0`.
 */
export class OdMatcherOperator implements Operator<TokenSighting> {
  readonly name = 'od-matcher';
  readonly matcher: OdMatcher;

  constructor(config: Config) {
    // Sighting site → zone: configured, or else from the sites file's sighting sites.
    let zones: Record<string, string> = config.od.siteZones;
    if (Object.keys(zones).length === 0 && config.sitesFile) {
      zones = Object.fromEntries((loadSitesFile(config.sitesFile).sightingSites ?? []).map((s) => [s.id, s.zoneId]));
    }
    this.matcher = new OdMatcher({
      maxTravelTimeS: config.privacy.maxTravelTimeS,
      maxTripDurationS: Math.max(config.od.maxTripDurationS, config.privacy.maxTravelTimeS),
      windowMs: config.od.windowMs,
      allowedLatenessMs: 0,
      maxTokens: config.od.maxTokens,
      siteZone: Object.keys(zones).length > 0 ? zones : undefined,
      kAnonymity: { k: config.privacy.k, rule: config.od.kRule },
      randomisedAddresses: config.od.randomisedAddresses,
      roundTripMinDwellS: config.od.roundTripMinDwellS,
      passThrough: config.od.passThrough,
      // The hourly product (population flows) is k-anonymised on its own hourly distinct-token sets.
      ...(HOUR_MS % config.od.windowMs === 0 ? { coarseWindowMs: HOUR_MS, siteDevices: true } : {}),
    });
  }

  processBatch(events: readonly TokenSighting[]): void {
    this.matcher.onSightings(events);
  }

  #warnedRandomised = false;

  /**
   * With `od.randomisedAddresses = skip`, a fleet where most phones randomise leaves little to match: say so once
   * (a count and a share only), with what to do.
   */
  private warnIfMostlyRandomised(ctx: OperatorContext): void {
    if (this.#warnedRandomised) return;
    const c = this.matcher.counters();
    if (c.sightings < 1000 || c.randomised <= c.sightings / 2) return;
    this.#warnedRandomised = true;
    ctx.log.warn(
      { randomised: c.randomised, sightings: c.sightings, share: Math.round((100 * c.randomised) / c.sightings) },
      'most sightings are randomised Wi-Fi/BLE addresses and are left out of OD matching: if the phones around ' +
        'your sniffers mostly randomise, set od.randomisedAddresses = keep (trips then include fragments)',
    );
  }

  onWatermark(wm: number, ctx: OperatorContext): void {
    if (!Number.isFinite(wm)) return; // end of input: onClose flushes
    this.warnIfMostlyRandomised(ctx);
    this.publish(this.matcher.onWatermark(wm), ctx);
  }

  onClose(ctx: OperatorContext): void {
    this.publish(this.matcher.flush(), ctx);
  }

  snapshot(): Record<string, number> {
    const c = this.matcher.counters();
    return {
      tokens: this.matcher.stateSize(),
      peakTokens: this.matcher.peakStateSize(),
      openWindows: this.matcher.openWindows(),
      late: c.late,
      evicted: c.evicted,
      lateTrips: c.lateTrips,
      unknownSite: c.unknownSite,
      randomised: c.randomised,
      trips: c.trips,
    };
  }

  private publish(cells: OdCellLike[], ctx: OperatorContext): void {
    const hourly = this.matcher.drainCoarse();
    for (const c of hourly.cells) ctx.emit('odHourly', `${c.origin}>${c.destination}`, hourlyOdRecord(c));
    for (const s of hourly.sites) ctx.emit('odHourly', s.siteId, hourlySiteRecord(s));
    if (cells.length > 0) {
      const suppressed = cells.filter((c) => c.suppressed).length;
      ctx.log.debug({ cells: cells.length, suppressed, tokens: this.matcher.stateSize() }, 'od cells published');
    }
    for (const c of cells) ctx.emit('od', `${c.origin}>${c.destination}`, publishedCell(c));
  }
}

export function odMatcherRole(config: Config): ProcessorRole<TokenSighting> {
  return {
    name: 'od-matcher',
    input: config.topics.sightings,
    codec: jsonCodec(TokenSighting, { maxBytes: config.stream.maxMessageBytes }),
    eventTime: (s) => s.ts,
    // Sessions and visits depend on the order of a token's sightings: the runtime hands them over in event-time
    // order once the watermark passes them, so a backfill over many partitions equals a paced replay; sightings
    // behind the watermark go to the dead-letter topic (LATE_EVENT).
    ordered: true,
    compareEvents: (a, b) => cmp(a.siteId, b.siteId) || cmp(a.kind, b.kind) || cmp(a.token, b.token),
    outputs: { od: config.topics.od, odHourly: config.topics.odHourly },
    create: () => new OdMatcherOperator(config),
  };
}

const cmp = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

export function odSink(config: Config): SinkRole<OdCell> {
  return {
    name: 'sink-od',
    input: config.topics.od,
    codec: jsonCodec(OdCell),
    table: 'od_15m',
    toRow: (v) => ({
      origin: v.origin,
      destination: v.destination,
      mode: v.mode,
      window_start: Math.floor(v.windowStart / 1000),
      trips: v.trips,
      expanded: v.expanded ?? 0,
      expanded_se: v.expandedStdErr ?? 0,
      tt_p50_s: v.travelTimeP50S ?? 0,
      tt_p85_s: v.travelTimeP85S ?? 0,
      suppressed: v.suppressed ? 1 : 0,
      rule: v.rule ?? '',
    }),
  };
}

const HOUR_MS = 3_600_000;

/**
 * `od.hourly.v1`: hourly k-anonymous aggregates of the od-matcher. kind 'od': an OD cell per hour of departure
 * (trips = distinct tokens, k applied at the hourly level); kind 'site': distinct tokens sighted at a site in the
 * hour (origin = site id, destination = its zone, mode = radio; suppressed below k). Never carries a token.
 */
export const OdHourlyRecord = Type.Object(
  {
    kind: Type.Union([Type.Literal('od'), Type.Literal('site')]),
    origin: Type.String({ minLength: 1, maxLength: 128 }),
    destination: Type.String({ minLength: 1, maxLength: 128 }),
    mode: Type.String({ maxLength: 32 }),
    windowStart: Type.Integer(),
    trips: Type.Integer({ minimum: 0 }),
    travelTimeP50S: Type.Optional(Type.Number({ minimum: 0 })),
    travelTimeP85S: Type.Optional(Type.Number({ minimum: 0 })),
    suppressed: Type.Optional(Type.Boolean()),
    rule: Type.Optional(Type.String({ maxLength: 64 })),
  },
  { additionalProperties: false },
);
export type OdHourlyRecord = Static<typeof OdHourlyRecord>;

/** The published form of a cell: counts, travel-time quantiles and the k rule; no token ever. */
function publishedCell(c: OdCellLike): OdCell {
  const out: OdCell = {
    origin: c.origin,
    destination: c.destination,
    mode: c.mode,
    windowStart: c.windowStart,
    trips: c.trips,
  };
  if (c.travelTimeP50S !== undefined) out.travelTimeP50S = c.travelTimeP50S;
  if (c.travelTimeP85S !== undefined) out.travelTimeP85S = c.travelTimeP85S;
  if (c.suppressed) out.suppressed = true;
  if (c.rule !== undefined) out.rule = c.rule;
  return out;
}

function hourlyOdRecord(c: OdCellLike): OdHourlyRecord {
  return { kind: 'od', ...publishedCell(c) };
}

function hourlySiteRecord(s: SiteDevicesCell): OdHourlyRecord {
  const out: OdHourlyRecord = {
    kind: 'site',
    origin: s.siteId,
    destination: s.zone,
    mode: s.kind,
    windowStart: s.windowStart,
    trips: s.devices,
  };
  if (s.suppressed) out.suppressed = true;
  if (s.rule !== undefined) out.rule = s.rule;
  return out;
}

export function odHourlySink(config: Config): SinkRole<OdHourlyRecord> {
  return {
    name: 'sink-od-hourly',
    input: config.topics.odHourly,
    codec: jsonCodec(OdHourlyRecord),
    table: 'od_1h',
    toRow: (v) => ({
      kind: v.kind,
      origin: v.origin,
      destination: v.destination,
      mode: v.mode,
      window_start: Math.floor(v.windowStart / 1000),
      trips: v.trips,
      tt_p50_s: v.travelTimeP50S ?? 0,
      tt_p85_s: v.travelTimeP85S ?? 0,
      suppressed: v.suppressed ? 1 : 0,
      rule: v.rule ?? '',
    }),
  };
}

type OdReference = Config['od']['reference'][number];

/**
 * Reference counters of the expansion: `od.reference` when set, else derived from the sites file
 * (@passage/core deriveOdReference: counters whose line lies in a gate, parking or station zone; motor-only
 * counters → `motor`, all-mode counters → `all`; leaving the zone towards the other zones = origin margin).
 */
export function odReference(config: Config): OdReference[] {
  if (config.od.reference.length > 0 || !config.sitesFile) return config.od.reference;
  const file = loadSitesFile(config.sitesFile) as unknown as {
    zones?: { id: string; kind?: string; polygon?: [number, number][] }[];
    counters?: { id: string; modes?: string[]; line?: { a: [number, number]; b: [number, number] } }[];
  };
  return deriveOdReference(file.zones ?? [], file.counters ?? []);
}

/**
 * Counters located in each zone (any zone and counter kind), the denominators of the probe rates: `od.zoneCounters`
 * is not a setting yet, so they come from the sites file (@passage/core deriveZoneCounters); none without it.
 */
export function odZoneCounters(config: Config): ZoneCounter[] {
  if (!config.sitesFile) return [];
  const file = loadSitesFile(config.sitesFile) as unknown as {
    zones?: { id: string; kind?: string; polygon?: [number, number][] }[];
    counters?: { id: string; modes?: string[]; line?: { a: [number, number]; b: [number, number] } }[];
  };
  return deriveZoneCounters(file.zones ?? [], file.counters ?? []);
}

/** Counter classes of motor vehicles (loops' modes and Telraam's `car` / `heavy`). */
const MOTOR_COUNT_MODES = ['car', 'van', 'truck', 'bus', 'motorcycle', 'heavy'];

/** OD zones of the sites file and the probe kinds (anpr, wifi, ble) of the sighting sites in each. */
export function odRegistry(config: Config): {
  zones: string[];
  kinds: Map<string, Set<string>>;
  /** Counter id → 'motor' (motor modes only), 'all' (every mode), 'mixed' (some motor modes), 'none'. */
  counterGroup: Map<string, 'motor' | 'all' | 'mixed' | 'none'>;
} {
  const kinds = new Map<string, Set<string>>();
  const counterGroup = new Map<string, 'motor' | 'all' | 'mixed' | 'none'>();
  if (!config.sitesFile) return { zones: [], kinds, counterGroup };
  const file = loadSitesFile(config.sitesFile) as unknown as {
    zones?: { id: string }[];
    sightingSites?: { zoneId: string; kind: string }[];
    counters?: { id: string; modes?: string[] }[];
  };
  for (const c of file.counters ?? []) {
    const g = counterOdMode(c.modes);
    counterGroup.set(
      c.id,
      g !== null
        ? (g as 'motor' | 'all')
        : (c.modes ?? []).some((m) => MOTOR_COUNT_MODES.includes(m))
          ? 'mixed'
          : 'none',
    );
  }
  for (const s of file.sightingSites ?? []) {
    const k = kinds.get(s.zoneId) ?? new Set<string>();
    k.add(s.kind);
    kinds.set(s.zoneId, k);
  }
  return { zones: (file.zones ?? []).map((z) => z.id), kinds, counterGroup };
}

/** Reference total of one zone margin over one period, and how it was obtained. */
export interface ZoneMargin {
  /** Start of the expansion period (ms). */
  periodStart: number;
  zone: string;
  margin: 'origin' | 'destination';
  mode: string;
  total: number;
  /**
   * 'counters' (reference counts), 'ratio' (observed × the ratio estimator), 'observed' (no reference at all),
   * 'probe-rate' / 'probe-ratio' (the group has no reference counter: cells expanded by 1 / (ρ_o ρ_d) with the
   * zone's own probe rate or the pooled one; total = the zone's expanded row or column sum).
   */
  source: 'counters' | 'ratio' | 'observed' | 'probe-rate' | 'probe-ratio' | 'estimated';
  /** Probe-rate sources: the zone's rate ρ (distinct devices / counted). */
  rate?: number;
}

export interface ExpandedOdCell extends OdCellLike {
  /** Start of the expansion period (ms). */
  periodStart: number;
  /** Part of the cell's seed is a suppressed (below-k) marker entered at k / 2 (see expandOd). */
  seeded?: boolean;
  /**
   * GLS estimation (the default): 'observed' = both zones seen by the group's probes; 'estimated' = one zone has
   * no probe and the cell comes from its counted totals (weak prior, wide interval); 'residual' = trips of a
   * counted zone to or from zones nothing observes (origin or destination `(unobserved)`); 'unexpanded' = matched
   * trips published as they are, the group having neither a probe rate nor a counted total (a lower bound, no
   * interval: `upper95` 0).
   */
  status?: 'observed' | 'estimated' | 'residual' | 'unexpanded';
  /** 95 % interval of `expanded` (GLS posterior, lower bound clipped at 0). */
  lower95?: number;
  upper95?: number;
}

/** Per period, mode group and zone: what observes it and what share of its counted traffic probes matched. */
export interface ZoneCoverageRow extends ZoneCoverage {
  periodStart: number;
  mode: string;
  /** Probe kinds of the sites file at the zone (anpr, wifi, ble) and counters located in it. */
  probeKinds: string[];
  counters: string[];
}

export interface ExpandOdResult {
  cells: ExpandedOdCell[];
  margins: ZoneMargin[];
  /** Zone coverage per period and group (GLS estimation only). */
  coverage: ZoneCoverageRow[];
  /** Reference counters left out of a period because of health findings (sensor ids). */
  excludedSensors: { periodStart: number; sensorId: string; kind: string }[];
}

/**
 * Expansion of the stored observed OD matrix to population flows (docs/OD-AND-PRIVACY.md).
 *
 * For each period of `periodMs` (default 1 h) and OD mode group:
 * 1. Observed matrix: the period's cells summed over their windows. A cell published as suppressed (1 … k − 1
 *    distinct tokens, the exact number withheld) enters the seed at k / 2, the mean of that range under a uniform
 *    prior: leaving it at 0 would hand its trips to the published cells of its row and column, and an OD pair
 *    seen by a few probes every hour would never be estimated. Such a cell comes out with `trips: 0` (nothing is
 *    published about it beyond the marker) and `seeded: true`; its se adds the spread of the withheld count.
 * 2. Reference margins from `od.reference`: Σ factor × (counts of the sensor in the period, its direction and
 *    modes). A sensor's null bins (gaps) are imputed by the mean of its non-null bins in the period (count over
 *    the covered bins × bins / covered bins); a sensor with a stuck-at-zero, flat-line or impossible-jump finding
 *    overlapping the period is left out.
 * 3. Zones without a usable reference get the ratio estimator: target = observed margin × R, with
 *    R = Σ reference / Σ observed over the zones that have one (per margin side; R = 1 when none).
 * 4. IPF (@passage/core ipf, rows then columns, tolerance 1e-6) of the observed matrix to those margins;
 *    se = expanded / √observed (Poisson, reference counts taken as exact).
 */
export async function expandOd(
  client: ClickHouseClient,
  config: Config,
  q: {
    from: number;
    to: number;
    periodMs?: number;
    /** Observed cells: 'auto' (default) = od_1h when it holds cells in the range, else od_15m. */
    source?: 'auto' | '1h' | '15m';
    /**
     * The interval the input actually covers, when the stream starts or stops inside a period (a replay, a
     * scenario): reference counts are totalled over its intersection with the period, so a partly covered period
     * is not imputed to a whole one. Default: unbounded (missing bins are gaps, imputed).
     */
    extent?: { from: number; to: number };
    /**
     * 'gls' (default): zone coverage, probe prior expanded by detection rates, GLS fit to the counted totals with
     * intervals, unobserved zones kept apart (see estimateZoneOd). 'ipf': the previous biproportional expansion
     * (observed structure scaled to the margins; trips of unobserved zones spread over observed cells).
     */
    method?: 'gls' | 'ipf';
  },
): Promise<ExpandOdResult> {
  const periodMs = q.periodMs ?? 3_600_000;
  const kAnon = config.privacy.k;
  const suppressedSeed = kAnon / 2;
  const seedRelSd = kAnon > 2 ? Math.sqrt(((kAnon - 1) ** 2 - 1) / 12) / suppressedSeed : 0;
  // Observed cells: the hourly k-anonymous cells (od_1h) when the matcher wrote them, else the 15-min ones.
  // Hourly cells need hour-aligned periods: `from` is aligned down to the hour.
  const hourFrom = Math.floor(q.from / HOUR_MS) * HOUR_MS;
  let source = q.source ?? 'auto';
  let cells: OdCellLike[] = [];
  if (source !== '15m') {
    cells = await odHourlyCells(client, { from: hourFrom, to: q.to });
    if (source === 'auto') source = cells.length > 0 ? '1h' : '15m';
  }
  if (source === '15m') cells = await odCells(client, { from: q.from, to: q.to });
  const from = source === '1h' ? hourFrom : q.from;
  if (source === '1h' && periodMs % HOUR_MS !== 0) {
    throw new PassageError(
      'PASSAGE_OD_PERIOD',
      `periodMs ${periodMs} must be a multiple of one hour with hourly OD cells.`,
    );
  }
  const extFrom = q.extent?.from ?? Number.NEGATIVE_INFINITY;
  const extTo = q.extent?.to ?? Number.POSITIVE_INFINITY;
  const refs = odReference(config);
  const zoneCounters = odZoneCounters(config);
  const devices = await siteDevices(client, { from, to: q.to });
  const sensors = [...new Set([...refs.map((r) => r.sensorId), ...zoneCounters.map((z) => z.sensorId)])];
  const bins = sensors.length > 0 ? await countBins(client, { from: q.from, to: q.to, sensorIds: sensors }) : [];
  const flags = sensors.length > 0 ? await sensorHealth(client, { from: q.from, to: q.to, sensorIds: sensors }) : [];
  const periodOf = (t: number) => from + Math.floor((t - from) / periodMs) * periodMs;
  const out: ExpandOdResult = { cells: [], margins: [], coverage: [], excludedSensors: [] };
  const method = q.method ?? 'gls';
  const registry = odRegistry(config);

  // Per sensor: the finest interval it has, and its bins.
  const finest = new Map<string, number>();
  for (const b of bins) {
    const len = b.end - b.start;
    if (len <= periodMs && len < (finest.get(b.sensorId) ?? Number.POSITIVE_INFINITY)) finest.set(b.sensorId, len);
  }
  const refTotal = (
    periodStart: number,
    r: { sensorId: string; direction?: string; modes?: readonly string[]; factor: number },
  ): { total: number; excluded?: string } | null => {
    const bad = flags.find(
      (f) =>
        f.sensorId === r.sensorId &&
        f.kind !== 'gap' &&
        (r.direction === undefined || f.direction === '' || f.direction === r.direction) &&
        (f.mode === '' || r.modes === undefined || r.modes.includes(f.mode)) &&
        f.to > periodStart &&
        f.from < periodStart + periodMs,
    );
    if (bad) return { total: 0, excluded: bad.kind };
    const len = finest.get(r.sensorId);
    if (len === undefined) return null;
    const series = new Map<string, CountBin[]>();
    for (const b of bins) {
      if (b.sensorId !== r.sensorId || b.end - b.start !== len) continue;
      if (b.start < periodStart || b.end > periodStart + periodMs) continue;
      if (b.start < extFrom || b.end > extTo) continue;
      if (r.direction !== undefined && b.direction !== r.direction) continue;
      if (r.modes !== undefined && !r.modes.includes(b.mode)) continue;
      const k = `${b.direction}|${b.mode}`;
      const list = series.get(k) ?? [];
      list.push(b);
      series.set(k, list);
    }
    if (series.size === 0) return null;
    // Bin slots of the period inside the input's extent (a stream starting or stopping mid-period).
    const span = Math.min(periodStart + periodMs, extTo) - Math.max(periodStart, extFrom);
    const nBins = Math.max(0, span) / len;
    let total = 0;
    for (const list of series.values()) {
      const covered = list.filter((b) => b.count !== null);
      if (covered.length === 0) return null;
      const sum = covered.reduce((a, b) => a + (b.count as number), 0);
      total += (sum * nBins) / covered.length;
    }
    return { total: total * r.factor };
  };

  // Counted totals of the group's reference counters per zone side, without the impossible ones (below the probe
  // trips observed at the zone: wrong direction, one carriageway, a failing sensor).
  const countedTotals = (
    periodStart: number,
    mode: string,
    seen: Record<'origin' | 'destination', Map<string, number>>,
  ): Record<'origin' | 'destination', Map<string, number>> => {
    const res = { origin: new Map<string, number>(), destination: new Map<string, number>() };
    for (const side of ['origin', 'destination'] as const) {
      const ref = res[side];
      for (const r of refs) {
        if (r.margin !== side || r.odMode !== mode) continue;
        const t = refTotal(periodStart, r);
        if (t === null) continue;
        if (t.excluded !== undefined) {
          out.excludedSensors.push({ periodStart, sensorId: r.sensorId, kind: t.excluded });
          continue;
        }
        ref.set(r.zone, (ref.get(r.zone) ?? 0) + t.total);
      }
      for (const [z, v] of ref) {
        if (v < (seen[side].get(z) ?? 0)) {
          ref.delete(z);
          for (const r of refs) {
            if (r.zone === z && r.margin === side && r.odMode === mode) {
              out.excludedSensors.push({ periodStart, sensorId: r.sensorId, kind: 'below-observed' });
            }
          }
        }
      }
    }
    return res;
  };
  // GLS estimation of one period × group (docs/OD-AND-PRIVACY.md, "Coverage and matrix estimation").
  const glsGroup = (
    periodStart: number,
    mode: string,
    matrix: OdCellLike[],
    published: Map<string, number>,
    seen: Record<'origin' | 'destination', Map<string, number>>,
  ): void => {
    const kinds = mode === 'motor' ? ['anpr'] : ['wifi', 'ble'];
    const countModes = mode === 'motor' ? MOTOR_COUNT_MODES : undefined;
    // Probe rates: distinct devices at the zone's sites over what its best counter counts (both directions).
    const dev = new Map<string, number>();
    for (const d of devices) {
      if (d.suppressed || periodOf(d.windowStart) !== periodStart || !kinds.includes(d.kind)) continue;
      dev.set(d.zone, (dev.get(d.zone) ?? 0) + d.devices);
    }
    const counted = new Map<string, number>();
    for (const zc of zoneCounters) {
      // Only counters of the group's population: motor classes for `motor`, all-mode counters for `all` (a loop
      // or a pedestrian counter sees a different population from the phones).
      const kind = registry.counterGroup.get(zc.sensorId);
      if (mode === 'motor' ? kind === 'none' : kind !== 'all') continue;
      const t = refTotal(periodStart, {
        sensorId: zc.sensorId,
        factor: 1,
        ...(countModes ? { modes: countModes } : {}),
      });
      if (t === null || t.excluded !== undefined) continue;
      // One counter per zone (the largest count): a loop and a Telraam on the same road count the same vehicles.
      counted.set(zc.zone, Math.max(counted.get(zc.zone) ?? 0, t.total));
    }
    const totals = countedTotals(periodStart, mode, seen);
    const byKey = new Map(matrix.map((c) => [`${c.origin}\u0000${c.destination}`, c]));
    const seedVar = (c: OdCellLike, expanded: number) => {
      const pub = published.get(`${c.origin}\u0000${c.destination}`) ?? 0;
      const seeded = c.trips - pub;
      return seeded > 0 ? (expanded * (seeded / c.trips) * seedRelSd) ** 2 : 0;
    };
    const observedZones = new Set<string>();
    if (devices.length > 0) {
      for (const [z, v] of dev) if (v > 0) observedZones.add(z);
    } else {
      for (const c of matrix) observedZones.add(c.origin).add(c.destination);
    }
    // Prior of the observed cells. When every zone is observed, the counted totals are made of observed cells
    // only and the ratio estimator (Σ counted / Σ observed over the counted zones) is unbiased; when some zone is
    // not, the counted totals also hold its trips and would inflate the ratio: the probe rates (devices sighted
    // at a zone over what its counter counts, whatever their destination) expand each cell instead.
    const allObserved = registry.zones.length > 0 && registry.zones.every((z) => observedZones.has(z));
    let prior: ZonePriorCell[];
    let unexpanded = false;
    const rated = expandByProbeRate(matrix, dev, counted);
    if (rated.pooledRate !== undefined && !allObserved) {
      prior = rated.cells.map((c) => ({
        origin: c.origin,
        destination: c.destination,
        prior: c.expanded ?? 0,
        variance: (c.expandedStdErr ?? 0) ** 2 + seedVar(c, c.expanded ?? 0),
        observed: published.get(`${c.origin}\u0000${c.destination}`) ?? 0,
      }));
    } else {
      // No probe rate (no counter in an observed zone): the ratio estimator over the counted origin totals.
      let refSum = 0;
      let obsSum = 0;
      for (const [z, v] of totals.origin) {
        const o = seen.origin.get(z) ?? 0;
        if (o > 0) {
          refSum += v;
          obsSum += o;
        }
      }
      const ratio = obsSum > 0 ? refSum / obsSum : 1;
      // Neither a probe rate nor a counted total: nothing scales the matched trips to the population. They are
      // published as they are, status 'unexpanded' (a lower bound, no interval).
      unexpanded = obsSum === 0;
      prior = matrix.map((c) => ({
        origin: c.origin,
        destination: c.destination,
        prior: c.trips * ratio,
        variance: c.trips * ratio * ratio + seedVar(c, c.trips * ratio),
        observed: published.get(`${c.origin}\u0000${c.destination}`) ?? 0,
      }));
    }
    const list: { zone: string; side: 'origin' | 'destination'; total: number }[] = [];
    for (const side of ['origin', 'destination'] as const) {
      for (const [zone, total] of totals[side]) list.push({ zone, side, total });
    }
    const res = estimateZoneOd({
      zones: registry.zones,
      observed: observedZones,
      // Matched trips with an unobserved end: with every zone observed they are trips whose real end the probes
      // missed, a share the ratio estimator already restores in the complete cells (kept, they would count twice);
      // otherwise mostly trips to or from the zones nothing observes: the residual cells' prior.
      cells: prior.filter(
        (c) =>
          (observedZones.has(c.origin) || (c.origin === UNOBSERVED_ZONE && !allObserved)) &&
          (observedZones.has(c.destination) || (c.destination === UNOBSERVED_ZONE && !allObserved)),
      ),
      totals: list,
    });
    for (const z of res.zones) {
      out.coverage.push({
        ...z,
        periodStart,
        mode,
        probeKinds: [...(registry.kinds.get(z.zone) ?? [])].filter((k) => kinds.includes(k)).sort(),
        counters: zoneCounters.filter((c) => c.zone === z.zone).map((c) => c.sensorId),
      });
    }
    const sums = { origin: new Map<string, number>(), destination: new Map<string, number>() };
    for (const c of res.cells) {
      const src = byKey.get(`${c.origin}\u0000${c.destination}`);
      const pub = published.get(`${c.origin}\u0000${c.destination}`) ?? 0;
      if (c.estimate <= 0 && pub === 0 && c.status === 'observed') continue;
      sums.origin.set(c.origin, (sums.origin.get(c.origin) ?? 0) + c.estimate);
      sums.destination.set(c.destination, (sums.destination.get(c.destination) ?? 0) + c.estimate);
      const cell: ExpandedOdCell = {
        origin: c.origin,
        destination: c.destination,
        mode,
        windowStart: periodStart,
        trips: pub,
        expanded: c.estimate,
        expandedStdErr: c.sd,
        lower95: c.lower95,
        upper95: c.upper95,
        status: c.status,
        periodStart,
      };
      if (unexpanded && c.status === 'observed') {
        cell.status = 'unexpanded';
        cell.lower95 = c.estimate;
        cell.upper95 = 0;
      }
      if (src !== undefined && src.trips > pub) cell.seeded = true;
      if (pub > 0 && src?.travelTimeP50S !== undefined) {
        cell.travelTimeP50S = src.travelTimeP50S;
        cell.travelTimeP85S = src.travelTimeP85S;
      }
      out.cells.push(cell);
    }
    for (const side of ['origin', 'destination'] as const) {
      for (const [zone, total] of sums[side]) {
        out.margins.push({
          periodStart,
          zone,
          margin: side,
          mode,
          total,
          source: totals[side].has(zone) ? 'counters' : 'estimated',
        });
      }
    }
  };

  const groups = new Map<string, OdCellLike[]>();
  for (const c of cells) {
    const p = periodOf(c.windowStart);
    const k = `${p}|${c.mode}`;
    const list = groups.get(k) ?? [];
    list.push(c);
    groups.set(k, list);
  }
  if (method === 'gls') {
    // A group whose probes saw nothing in a period (every address randomised, sniffers down) still has counted
    // zones: they are estimated from the counts, and the coverage says why.
    const periods = new Set<number>([...groups.keys()].map((k) => Number(k.slice(0, k.indexOf('|')))));
    for (const b of bins) if (b.start >= from && b.start < q.to) periods.add(periodOf(b.start));
    for (const p of periods) {
      // Every group a sensor of the sites file could observe: its zones get a coverage row even when nothing
      // was matched (all its zones then 'unobserved' or 'estimated').
      const probeGroups = [...registry.kinds.values()].flatMap((k) => [
        ...(k.has('anpr') ? ['motor'] : []),
        ...(k.has('wifi') || k.has('ble') ? ['all'] : []),
      ]);
      for (const mode of new Set([...refs.map((r) => r.odMode), ...probeGroups]))
        if (!groups.has(`${p}|${mode}`)) groups.set(`${p}|${mode}`, []);
    }
  }
  for (const [k, list] of groups) {
    const periodStart = Number(k.slice(0, k.indexOf('|')));
    const mode = k.slice(k.indexOf('|') + 1);
    // 1. observed matrix for the period (suppressed cells seeded at k / 2, see above)
    const byOd = new Map<string, OdCellLike>();
    const published = new Map<string, number>();
    for (const c of list) {
      const key = `${c.origin}\u0000${c.destination}`;
      const prev = byOd.get(key);
      published.set(key, (published.get(key) ?? 0) + (c.suppressed ? 0 : c.trips));
      const trips = c.suppressed ? suppressedSeed : c.trips;
      if (prev === undefined) {
        byOd.set(key, {
          origin: c.origin,
          destination: c.destination,
          mode,
          windowStart: periodStart,
          trips,
          ...(trips > 0 && !c.suppressed ? { travelTimeP50S: c.travelTimeP50S, travelTimeP85S: c.travelTimeP85S } : {}),
        });
      } else {
        // Trips-weighted mean of the windows' quantiles (an approximation of the period's quantile).
        if (trips > 0 && !c.suppressed && c.travelTimeP50S !== undefined) {
          const w = prev.trips + trips;
          prev.travelTimeP50S = ((prev.travelTimeP50S ?? 0) * prev.trips + c.travelTimeP50S * trips) / w;
          prev.travelTimeP85S = ((prev.travelTimeP85S ?? 0) * prev.trips + (c.travelTimeP85S ?? 0) * trips) / w;
        }
        prev.trips += trips;
      }
    }
    const matrix = [...byOd.values()].filter((c) => c.trips > 0);
    // Output cell: the published trips back in `trips`; a seeded share widens the se by the withheld count's
    // spread (uniform on 1 … k − 1: relative sd √((k−1)² − 1) / √12 / (k / 2) of the seed).
    const unseed = (c: OdCellLike): ExpandedOdCell => {
      const pub = published.get(`${c.origin}\u0000${c.destination}`) ?? 0;
      const seeded = c.trips - pub;
      if (seeded <= 0) return { ...c, periodStart };
      const e = c.expanded ?? 0;
      const seedShare = e * (seeded / c.trips);
      const se = Math.sqrt((c.expandedStdErr ?? 0) ** 2 + (seedShare * seedRelSd) ** 2);
      return { ...c, trips: pub, expandedStdErr: se, seeded: true, periodStart };
    };
    // Margins of the seed (the ratio estimator's denominators), and of the published trips alone (what probes
    // certainly saw: the floor a reference count cannot be below).
    const observed = { origin: new Map<string, number>(), destination: new Map<string, number>() };
    const seen = { origin: new Map<string, number>(), destination: new Map<string, number>() };
    for (const c of matrix) {
      const pub = published.get(`${c.origin}\u0000${c.destination}`) ?? 0;
      for (const side of ['origin', 'destination'] as const) {
        observed[side].set(c[side], (observed[side].get(c[side]) ?? 0) + c.trips);
        seen[side].set(c[side], (seen[side].get(c[side]) ?? 0) + pub);
      }
    }
    if (method === 'gls') {
      glsGroup(periodStart, mode, matrix, published, seen);
      continue;
    }
    // Probe-rate expansion: a group without any reference counter (docs/OD-AND-PRIVACY.md: the Wi-Fi/BLE group without an all-mode
    // counter at a single-access zone) is expanded by 1 / (ρ_o ρ_d), ρ = distinct devices / counted at the zone.
    if (!refs.some((r) => r.odMode === mode) && devices.length > 0) {
      const dev = new Map<string, number>();
      for (const d of devices) {
        if (d.suppressed || periodOf(d.windowStart) !== periodStart) continue;
        if ((d.kind === 'anpr' ? 'motor' : 'all') !== mode) continue;
        dev.set(d.zone, (dev.get(d.zone) ?? 0) + d.devices);
      }
      const counted = new Map<string, number>();
      for (const zc of zoneCounters) {
        const t = refTotal(periodStart, { sensorId: zc.sensorId, factor: 1 });
        if (t === null) continue;
        if (t.excluded !== undefined) {
          out.excludedSensors.push({ periodStart, sensorId: zc.sensorId, kind: t.excluded });
          continue;
        }
        counted.set(zc.zone, (counted.get(zc.zone) ?? 0) + t.total);
      }
      if ([...counted.values()].some((v) => v > 0)) {
        const res = expandByProbeRate(matrix, dev, counted);
        const rate = new Map(res.zones.map((z) => [z.zone, z]));
        for (const side of ['origin', 'destination'] as const) {
          const sums = new Map<string, number>();
          for (const c of res.cells) sums.set(c[side], (sums.get(c[side]) ?? 0) + (c.expanded ?? 0));
          for (const [z, total] of sums) {
            const r = rate.get(z);
            out.margins.push({
              periodStart,
              zone: z,
              margin: side,
              mode,
              total,
              source: r?.source ?? 'observed',
              ...(r ? { rate: r.rate } : {}),
            });
          }
        }
        for (const c of res.cells) out.cells.push(unseed(c));
        continue;
      }
    }
    // 2–3. margins
    const totals = { origin: {} as Record<string, number>, destination: {} as Record<string, number> };
    const counted = countedTotals(periodStart, mode, seen);
    for (const side of ['origin', 'destination'] as const) {
      const ref = counted[side];
      let refSum = 0;
      let obsSum = 0;
      for (const [z, v] of ref) {
        const o = observed[side].get(z) ?? 0;
        if (o > 0) {
          refSum += v;
          obsSum += o;
        }
      }
      const ratio = obsSum > 0 ? refSum / obsSum : 1;
      for (const [z, o] of observed[side]) {
        const r = ref.get(z);
        const usable = r !== undefined && r > 0;
        totals[side][z] = usable ? r : o * ratio;
        out.margins.push({
          periodStart,
          zone: z,
          margin: side,
          mode,
          total: totals[side][z],
          source: usable ? 'counters' : obsSum > 0 ? 'ratio' : 'observed',
        });
      }
    }
    // 4. IPF
    const res = expandOdCells(matrix, { originTotals: totals.origin, destinationTotals: totals.destination });
    for (const c of res.cells) out.cells.push(unseed(c));
  }
  return out;
}

/**
 * Computes the expansion of [from, to) hour by hour and stores it in `od_expanded_1h` (latest computation
 * wins), where the API and the evaluation read population flows. Returns the number of cells written.
 */
export async function materialiseExpandedOd(
  client: ClickHouseClient,
  config: Config,
  q: { from: number; to: number; extent?: { from: number; to: number } },
): Promise<number> {
  const hour = 3_600_000;
  const from = Math.floor(q.from / hour) * hour;
  const to = Math.ceil(q.to / hour) * hour;
  const r = await expandOd(client, config, { from, to, periodMs: hour, ...(q.extent ? { extent: q.extent } : {}) });
  const rows = r.cells
    .filter((c) => c.trips > 0 || (c.expanded ?? 0) > 0)
    .map((c) => ({
      origin: c.origin,
      destination: c.destination,
      mode: c.mode,
      window_start: Math.floor(c.periodStart / 1000),
      observed: c.trips,
      expanded: c.expanded ?? c.trips,
      expanded_se: c.expandedStdErr ?? 0,
      status: c.status ?? 'observed',
      lower95: c.lower95 ?? 0,
      upper95: c.upper95 ?? 0,
    }));
  if (rows.length > 0) await client.insert({ table: 'od_expanded_1h', values: rows, format: 'JSONEachRow' });
  const coverage = r.coverage.map((z) => ({
    window_start: Math.floor(z.periodStart / 1000),
    mode: z.mode,
    zone: z.zone,
    status: z.status,
    probe_kinds: z.probeKinds,
    counters: z.counters,
    counted_origin: z.counted.origin ?? null,
    counted_destination: z.counted.destination ?? null,
    matched_share: z.matchedShare ?? null,
  }));
  if (coverage.length > 0) await client.insert({ table: 'od_zone_coverage', values: coverage, format: 'JSONEachRow' });
  return rows.length;
}
