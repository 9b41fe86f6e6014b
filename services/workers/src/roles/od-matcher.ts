import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { type Config, PassageError } from '@passage/config';
import {
  counterOdMode,
  deriveCameraArmReferences,
  deriveOdReference,
  deriveZoneCounters,
  type ExpandOdResult,
  estimatePopulationOd,
  LocalFrame,
  MOTOR_COUNT_MODES,
  type OdCellLike,
  OdMatcher,
  type OdStateValue,
  type PopulationRegistry,
  parseSumoNet,
  type RouteShares,
  type SiteDevicesCell,
  type ZoneCounter,
  zoneRouteShares,
} from '@passage/core';
import type { ClickHouseClient } from '@passage/store';
import {
  countBins,
  lineCountBins,
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
 * Role `od-matcher` (docs/ARCHITECTURE.md "Worker roles"): `sightings.v1` (tokens) → `od.v1` (anonymous OD cells) → `od_15m`.
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
 * checkpoints. Under Kafka the state (live tokens with their site/time sequences, open cells' token sets and
 * travel times, the watermark and counters: TOKENS only, keyed hashes, never a raw id) is checkpointed as a
 * changelog to the compacted topic `<topics.od>.state` in the same transaction as the outputs and the input
 * offsets (@passage/core OdMatcher.checkpoint), and restored on start: a SIGKILL loses only the sightings the
 * runtime still held for event-time ordering (docs/OD-AND-PRIVACY.md, Delivery). Run ONE instance (cells of
 * several instances would be k-anonymised on partial token sets; the state topic has one partition). A graceful
 * stop publishes open windows as they are and checkpoints the emptied state; later trips of those windows form a
 * second row of the same cell, summed by the queries (each row is k-anonymous on its own). Embedded runs keep the
 * state in memory only.
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

  /**
   * Sightings held until the watermark passes them, then handed to the matcher in event-time order (ties by
   * {@link compareSightings}, then arrival): sessions depend on order, so a backfill over many partitions equals a
   * paced replay. Held here rather than by the runtime (`ordered`) so that they are checkpointed with the state.
   * Buckets by token hash (`h:<n>`), each marked dirty when it changes.
   */
  readonly #held = new Map<number, HeldSighting[]>();
  #seq = 0;
  readonly #heldDirty = new Set<number>();

  processBatch(events: readonly TokenSighting[]): void {
    for (const e of events) {
      const b = heldBucket(e.token);
      let list = this.#held.get(b);
      if (list === undefined) {
        list = [];
        this.#held.set(b, list);
      }
      list.push({ e, q: this.#seq++ });
      this.#heldDirty.add(b);
    }
  }

  /** Hands the held sightings strictly before `wm` to the matcher, in order. */
  #release(wm: number): void {
    const ready: HeldSighting[] = [];
    for (const [b, list] of this.#held) {
      const keep = list.filter((h) => h.e.ts >= wm);
      if (keep.length === list.length) continue;
      for (const h of list) if (h.e.ts < wm) ready.push(h);
      this.#heldDirty.add(b);
      if (keep.length === 0) this.#held.delete(b);
      else this.#held.set(b, keep);
    }
    ready.sort((a, b) => a.e.ts - b.e.ts || compareSightings(a.e, b.e) || a.q - b.q);
    this.matcher.onSightings(ready.map((h) => h.e));
  }

  heldSightings(): number {
    let n = 0;
    for (const l of this.#held.values()) n += l.length;
    return n;
  }

  /** Set once the runtime restored a checkpoint (Kafka): from then on every batch checkpoints its changes. */
  #checkpointing = false;

  restore(values: readonly Buffer[], ctx: OperatorContext): void {
    const state: OdStateValue[] = [];
    for (const v of values) {
      const x = JSON.parse(v.toString('utf8')) as OdStateValue | { held: HeldSighting[] };
      if ('held' in x) {
        for (const h of x.held) {
          const b = heldBucket(h.e.token);
          this.#held.set(b, [...(this.#held.get(b) ?? []), h]);
          if (h.q >= this.#seq) this.#seq = h.q + 1;
        }
      } else state.push(x);
    }
    this.matcher.restore(state);
    this.#checkpointing = true;
    ctx.log.info(
      { tokens: this.matcher.stateSize(), openWindows: this.matcher.openWindows(), held: this.heldSightings() },
      'od-matcher state restored from the checkpoint topic',
    );
  }

  checkpoint(ctx: OperatorContext): void {
    if (!this.#checkpointing) return;
    for (const r of this.matcher.checkpoint()) ctx.emit('state', r.key, r.value);
    for (const b of this.#heldDirty) ctx.emit('state', `h:${b}`, { held: this.#held.get(b) ?? [] });
    this.#heldDirty.clear();
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
    this.#release(wm);
    if (!Number.isFinite(wm)) return; // end of input: onClose flushes
    this.warnIfMostlyRandomised(ctx);
    this.publish(this.matcher.onWatermark(wm), ctx);
  }

  onClose(ctx: OperatorContext): void {
    this.publish(this.matcher.flush(), ctx);
    // What was just published must not come back after a restart: the emptied state is checkpointed too.
    this.checkpoint(ctx);
  }

  snapshot(): Record<string, number> {
    const c = this.matcher.counters();
    return {
      tokens: this.matcher.stateSize(),
      peakTokens: this.matcher.peakStateSize(),
      openWindows: this.matcher.openWindows(),
      heldForOrder: this.heldSightings(),
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
    // Sessions and visits depend on the order of a token's sightings: the operator holds them until the watermark
    // passes them and hands them to the matcher in event-time order (checkpointed with its state), so a backfill
    // over many partitions equals a paced replay; sightings behind the watermark go to the dead-letter topic.
    lateEvents: 'dead-letter',
    outputs: { od: config.topics.od, odHourly: config.topics.odHourly, state: odStateTopic(config) },
    state: { stream: 'state' },
    create: () => new OdMatcherOperator(config),
  };
}

/** The od-matcher's compacted checkpoint topic (tokens and aggregates only, one partition). */
export const odStateTopic = (config: Config): string => `${config.topics.od}.state`;

const cmp = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);
/** Order of sightings of equal event time (any fixed order: it makes runs identical). */
const compareSightings = (a: TokenSighting, b: TokenSighting): number =>
  cmp(a.siteId, b.siteId) || cmp(a.kind, b.kind) || cmp(a.token, b.token);

/** A sighting held for ordering and its arrival number (a token, never a raw id: checkpointed as is). */
interface HeldSighting {
  e: TokenSighting;
  q: number;
}
const HELD_BUCKETS = 64;
function heldBucket(token: string): number {
  let h = 0;
  for (let i = 0; i < token.length; i++) h = (h * 31 + token.charCodeAt(i)) | 0;
  return (h >>> 0) % HELD_BUCKETS;
}

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
  const file = odSitesFile(config.sitesFile);
  const counters = deriveOdReference(file.zones ?? [], file.counters ?? []);
  // Camera arms leading into a single-access zone stand for the margins no counter gives (deriveCameraArmReferences).
  const taken = new Set(counters.map((r) => `${r.zone}|${r.margin}|${r.odMode}`));
  return [...counters, ...deriveCameraArmReferences(file.zones ?? [], file.cameras ?? [], taken)];
}

/** The parts of the sites file the OD expansion reads. */
function odSitesFile(path: string): {
  zones?: { id: string; kind?: string; polygon?: [number, number][] }[];
  counters?: { id: string; modes?: string[]; line?: { a: [number, number]; b: [number, number] } }[];
  cameras?: { id: string; lines?: { id: string; a: [number, number]; b: [number, number] }[] }[];
} {
  return loadSitesFile(path) as unknown as ReturnType<typeof odSitesFile>;
}

/**
 * Counters located in each zone (any zone and counter kind), the denominators of the probe rates: `od.zoneCounters`
 * is not a setting yet, so they come from the sites file (@passage/core deriveZoneCounters); none without it.
 */
export function odZoneCounters(config: Config): ZoneCounter[] {
  if (!config.sitesFile) return [];
  const file = odSitesFile(config.sitesFile);
  // A camera arm that is a zone's margin also counts what passes the zone (both directions).
  const arms = new Map<string, string>();
  for (const r of odReference(config)) if (r.sensorId.length > 0) arms.set(r.sensorId, r.zone);
  const cameraLines = new Set((file.cameras ?? []).flatMap((c) => (c.lines ?? []).map((l) => l.id)));
  return [
    ...deriveZoneCounters(file.zones ?? [], file.counters ?? []),
    ...[...arms].filter(([id]) => cameraLines.has(id)).map(([sensorId, zone]) => ({ zone, sensorId })),
  ];
}

/** OD zones of the sites file and the probe kinds (anpr, wifi, ble) of the sighting sites in each. */
export function odRegistry(config: Config): PopulationRegistry {
  const kinds = new Map<string, Set<string>>();
  const counterGroup = new Map<string, 'motor' | 'all' | 'mixed' | 'none'>();
  if (!config.sitesFile) return { zones: [], kinds, counterGroup };
  const file = loadSitesFile(config.sitesFile) as unknown as {
    zones?: { id: string; kind?: string }[];
    sightingSites?: { zoneId: string; kind: string }[];
    counters?: { id: string; modes?: string[] }[];
    cameras?: { lines?: { id: string }[] }[];
  };
  // Camera lines: their motor classes stand for the motor group; not a margin of people (see
  // deriveCameraArmReferences), so never the `all` group's.
  for (const c of file.cameras ?? []) for (const l of c.lines ?? []) counterGroup.set(l.id, 'mixed');
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
  const singleAccess = new Set(
    (file.zones ?? []).filter((z) => ['gate', 'parking', 'station'].includes(z.kind ?? '')).map((z) => z.id),
  );
  const zoneKinds = new Map((file.zones ?? []).flatMap((z) => (z.kind ? [[z.id, z.kind] as const] : [])));
  return { zones: (file.zones ?? []).map((z) => z.id), kinds, counterGroup, singleAccess, zoneKinds };
}

/** The road network file of the OD route model (`od.network`, else `sumo/net.xml[.gz]` beside the sites file). */
export function odNetworkPath(config: Config): string | null {
  const set = config.od.network;
  if (set === 'none') return null;
  if (set !== '') return resolve(set);
  if (!config.sitesFile) return null;
  for (const name of ['sumo/net.xml.gz', 'sumo/net.xml']) {
    const p = join(dirname(resolve(config.sitesFile)), name);
    if (existsSync(p)) return p;
  }
  return null;
}

/** Route shares of the motor group over the camera lines, and of the modes no probe sees over what counts them. */
export interface OdRoutes {
  shares: RouteShares;
  lines: string[];
  modes: { mode: string; shares: RouteShares; lines: string[] }[];
}

const routeCache = new Map<string, OdRoutes>();

/**
 * Route shares of the sites file's zone pairs over its camera lines on the road network (@passage/core
 * zoneRouteShares), or null without a network. Computed once per network, sites file and their modification times.
 */
export function odRoutes(config: Config): OdRoutes | null {
  const path = odNetworkPath(config);
  if (path === null || !config.sitesFile) return null;
  const netError = (why: string) =>
    new PassageError(
      'PASSAGE_OD_NETWORK',
      `OD road network ${path}: ${why}. Give a SUMO net.xml in local metres around the sites file's origin (od.network), or set od.network to "none".`,
    );
  if (!existsSync(path)) throw netError('no such file');
  const key = `${path}|${statSync(path).mtimeMs}|${resolve(config.sitesFile)}|${statSync(config.sitesFile).mtimeMs}`;
  const hit = routeCache.get(key);
  if (hit) return hit;
  const raw = readFileSync(path);
  const xml = (path.endsWith('.gz') ? gunzipSync(raw) : raw).toString('utf8');
  const net = parseSumoNet(xml);
  if (net.projParameter !== '!') throw netError(`projected network (projParameter "${net.projParameter}")`);
  if (net.edges.length === 0) throw netError('no vehicle edge');
  const file = loadSitesFile(config.sitesFile) as unknown as {
    origin?: { lon: number; lat: number };
    zones?: { id: string; polygon?: [number, number][] }[];
    cameras?: { lines?: { id: string; a: [number, number]; b: [number, number] }[] }[];
    counters?: { id: string; modes?: string[]; line?: { a: [number, number]; b: [number, number] } }[];
  };
  // The registry's map origin: the sites file's `origin`, else its first camera, zone or site (give it explicitly
  // with a network, whose local metres are around it).
  const frame = new LocalFrame(file.origin ?? { lon: 0, lat: 0 });
  const loc = (p: readonly [number, number]): [number, number] => [frame.x(p[0]), frame.y(p[1])];
  const zones = (file.zones ?? [])
    .filter((z) => Array.isArray(z.polygon) && z.polygon.length >= 3)
    .map((z) => ({ id: z.id, polygon: (z.polygon ?? []).map(loc) }));
  const lines = (file.cameras ?? []).flatMap((c) =>
    (c.lines ?? []).map((l) => ({ id: l.id, a: loc(l.a), b: loc(l.b) })),
  );
  // Pedestrians and bicycles: camera lines (they count every mode) and the counters of the mode, on foot along
  // every street both ways, by bicycle along the streets' directions (zoneRouteShares `travel`).
  const modes = (
    [
      ['pedestrian', 'walk'],
      ['bicycle', 'cycle'],
    ] as const
  ).map(([mode, travel]) => {
    const counters = (file.counters ?? []).flatMap((c) =>
      c.line && (c.modes ?? []).includes(mode) ? [{ id: c.id, a: loc(c.line.a), b: loc(c.line.b) }] : [],
    );
    const all = [...lines, ...counters];
    const network = travel === 'walk' ? net.walkEdges : net.cycleEdges;
    return { mode, shares: zoneRouteShares(network, zones, all, { travel }), lines: all.map((l) => l.id) };
  });
  const res = { shares: zoneRouteShares(net.edges, zones, lines), lines: lines.map((l) => l.id), modes };
  routeCache.set(key, res);
  return res;
}

/**
 * Population flows of [from, to): reads the observed cells (od_1h when the matcher wrote them, else od_15m), the
 * sites' distinct devices, the reference counters' bins and health findings, and hands them to the pure estimation
 * of @passage/core (`estimatePopulationOd`, docs/OD-AND-PRIVACY.md). I/O only: the maths are tested in core.
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
  const refs = odReference(config);
  const zoneCounters = odZoneCounters(config);
  const devices = await siteDevices(client, { from, to: q.to });
  const routes = (q.method ?? 'gls') === 'gls' ? odRoutes(config) : null;
  const sensors = [
    ...new Set([
      ...refs.map((r) => r.sensorId),
      ...zoneCounters.map((z) => z.sensorId),
      ...(routes?.lines ?? []),
      ...(routes?.modes ?? []).flatMap((m) => m.lines),
    ]),
  ];
  // Counter bins, and the 15-min bins of camera lines used as margins (a sensor id is one or the other).
  const bins = [
    ...(sensors.length > 0 ? await countBins(client, { from: q.from, to: q.to, sensorIds: sensors }) : []),
    ...(await lineCountBins(client, { from: q.from, to: q.to, lineIds: sensors })),
  ];
  const flags = sensors.length > 0 ? await sensorHealth(client, { from: q.from, to: q.to, sensorIds: sensors }) : [];
  return estimatePopulationOd({
    cells,
    from,
    to: q.to,
    periodMs,
    k: config.privacy.k,
    refs,
    zoneCounters,
    devices,
    bins,
    flags,
    registry: odRegistry(config),
    ...(q.extent ? { extent: q.extent } : {}),
    method: q.method ?? 'gls',
    ...(routes
      ? {
          routes: { shares: routes.shares.shares, lines: routes.lines, endShares: routes.shares.endShares },
          modeRoutes: routes.modes.map((m) => ({ mode: m.mode, shares: m.shares.shares, lines: m.lines })),
        }
      : {}),
  });
}

/**
 * The period the stored reference counts cover (counter bins, a bin ending where its observed seconds end, and camera
 * line minutes), or undefined when none is stored: a live stream's leading edge, or where a backfill stops mid-hour. The workers' periodic expansion passes
 * it as `extent`, so an hour the counts cover in part is totalled over what was counted instead of imputed to the
 * whole hour (a 45-minute backfill otherwise expanded its last hour's trips by 60 / 45, unlike `passage replay`
 * and `passage ingest`, which give the period they loaded).
 */
export async function storedCountsExtent(client: ClickHouseClient): Promise<{ from: number; to: number } | undefined> {
  const rs = await client.query({
    query: `SELECT min(p.lo) AS lo, max(p.hi) AS hi, sum(p.n) AS n FROM (
              SELECT toInt64(min(toUnixTimestamp(start))) AS lo,
                     toInt64(max(toUnixTimestamp(start) + least(toInt64(observed_s), toInt64(dateDiff('second', start, end))))) AS hi,
                     toInt64(count()) AS n FROM counts_1m
              UNION ALL
              SELECT toInt64(min(toUnixTimestamp(minute))), toInt64(max(toUnixTimestamp(minute))) + 60, toInt64(count())
              FROM line_counts_1m
            ) AS p WHERE p.n > 0`,
    format: 'JSONEachRow',
  });
  const r = (await rs.json<{ lo: string; hi: string; n: string }>())[0];
  if (!r || Number(r.n) === 0) return undefined;
  return { from: Number(r.lo) * 1000, to: Number(r.hi) * 1000 };
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
      status: (c.status ?? 'observed') as string,
      lower95: c.lower95 ?? 0,
      upper95: c.upper95 ?? 0,
    }));
  const written = rows.length;
  // A cell an earlier computation of these hours stored and this one no longer gives (withheld now, a status
  // changed) would survive `FINAL` (latest computation per cell wins): it is retracted by a zero row, status
  // 'retracted', that every reader leaves out (observed 0, expanded 0).
  const fresh = new Set(rows.map((x) => `${x.origin}\u0000${x.destination}\u0000${x.mode}\u0000${x.window_start}`));
  const prev = await client.query({
    query: `SELECT origin, destination, mode, toUnixTimestamp(window_start) AS w FROM od_expanded_1h FINAL
            WHERE window_start >= fromUnixTimestamp({from:Int64}) AND window_start < fromUnixTimestamp({to:Int64})
              AND status != 'retracted'`,
    query_params: { from: from / 1000, to: to / 1000 },
    format: 'JSONEachRow',
  });
  for (const p of await prev.json<{ origin: string; destination: string; mode: string; w: number | string }>()) {
    if (fresh.has(`${p.origin}\u0000${p.destination}\u0000${p.mode}\u0000${Number(p.w)}`)) continue;
    rows.push({
      origin: p.origin,
      destination: p.destination,
      mode: p.mode,
      window_start: Number(p.w),
      observed: 0,
      expanded: 0,
      expanded_se: 0,
      status: 'retracted',
      lower95: 0,
      upper95: 0,
    });
  }
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
    reason: z.reason ?? '',
  }));
  if (coverage.length > 0) await client.insert({ table: 'od_zone_coverage', values: coverage, format: 'JSONEachRow' });
  return written;
}
