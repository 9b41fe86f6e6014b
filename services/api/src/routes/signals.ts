/**
 * Signals routes for the traffic regulation team (issue 13 §3/§5): junctions with signal controllers of the site
 * registry (store table `signal_controllers`), their classified turning movements in passenger-car units with
 * approach totals, heavy share, PHF per approach, peak windows and health flags, and the current plan against a
 * proposed one (cycle of least HCM delay, Webster splits, HCM delay, LOS, degree of saturation; `planJunction` of
 * @passage/core with `PRODUCT_PLAN_DEFAULTS`)
 * with time-of-day plan periods. Movements come from the same table as the turning-movement view
 * (`classifiedMovements`), so the numbers agree.
 */
import {
  type JunctionPlan,
  movementKey,
  PRODUCT_PLAN_DEFAULTS,
  planControl,
  planJunction,
  segmentTimeOfDay,
  ZoneClock,
} from '@passage/core';
import { type ControllerRow, classifiedMovements, getSite, listScenarios, rows } from '@passage/store';
import { type Static, Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import type { Access } from '../auth.ts';
import { apiError, errorResponses } from '../errors.ts';
import { EpochMs, Id, Nullable, parseRange, RangeQuery } from '../schemas.ts';
import type { ApiContext } from './context.ts';
import {
  armBearings,
  groupGreens,
  isHeavy,
  type LonLat,
  minutesOf,
  movementTable,
  pcuFactors,
  pcuOf,
  peakHour,
  planAt,
  type RegistryController,
  toCoreController,
  vehiclesOf,
} from './signals-model.ts';

const access: Access = { roles: ['traffic'] };
const DAY_MS = 86_400_000;
const Q15 = 900_000;
const HHMM = '([01]\\d|2[0-3]):[0-5]\\d';
const DEFAULT_PEAKS = 'AM=07:00-09:00,PM=16:00-19:00';

const Greens = Type.Array(Type.Tuple([Type.Number(), Type.Number()]));
const Junction = Type.Object({
  id: Type.String(),
  siteId: Type.String(),
  name: Type.String(),
  cameraIds: Type.Array(Type.String()),
  timezone: Type.String(),
  groups: Type.Array(
    Type.Object({
      id: Type.String(),
      kind: Type.String(),
      minGreenS: Nullable(Type.Number()),
      amberS: Nullable(Type.Number()),
      movements: Type.Array(
        Type.Object({
          from: Type.String(),
          to: Type.String(),
          /** Entry lanes serving it (0 = kerb side); null: not given (one lane group per group and arm). */
          lanes: Nullable(Type.Array(Type.Integer())),
          turn: Nullable(Type.String()),
          permitted: Type.Boolean(),
        }),
      ),
    }),
  ),
  approaches: Type.Array(
    Type.Object({
      arm: Type.String(),
      lanes: Type.Integer(),
      laneStorageM: Type.Array(Type.Number()),
      fedByJunction: Nullable(Type.Boolean()),
    }),
  ),
  plans: Type.Array(
    Type.Object({
      id: Type.String(),
      cycleS: Type.Number(),
      offsetS: Type.Number(),
      from: Nullable(Type.String()),
      to: Nullable(Type.String()),
      days: Type.Array(Type.Integer()),
    }),
  ),
});
const ApproachPlan = Type.Object({
  approach: Type.String(),
  name: Type.String(),
  flowPcuH: Type.Number(),
  delayS: Type.Number(),
  los: Type.String(),
  X: Type.Number({ description: 'degree of saturation v/c (largest of its lane groups)' }),
  queue95Pcu: Type.Number(),
});
const PlanOut = Type.Object({
  planId: Type.String(),
  cycleS: Type.Number(),
  delayS: Type.Number(),
  los: Type.String(),
  control: Type.Union([Type.Literal('fixed'), Type.Literal('actuated')], {
    description:
      'actuated: the adjustable vehicle greens end on a detector gap, between the minimum green and maxGreenS (greens = the fixed-time plan they were derived from)',
  }),
  groups: Type.Array(
    Type.Object({
      group: Type.String(),
      kind: Type.String(),
      greens: Greens,
      maxGreenS: Nullable(
        Type.Number({ description: 'green per cycle when its actuated phases run to their maximum; null if fixed' }),
      ),
    }),
  ),
  approaches: Type.Array(ApproachPlan),
});

interface Arm {
  id: string;
  name: string;
  centroid: LonLat;
}

interface Loaded {
  c: RegistryController;
  timezone: string;
  arms: Map<string, Arm>;
}

async function loadControllers(ctx: ApiContext, id?: string): Promise<Loaded[]> {
  const exists = await rows<{ result: number }>(ctx.store.client, 'EXISTS TABLE signal_controllers');
  if (!Number(exists[0]?.result)) return [];
  const r = await rows<ControllerRow>(
    ctx.store.client,
    `SELECT controller_id, site_id, name, camera_ids, config, scenario FROM signal_controllers FINAL
     ${id ? 'WHERE controller_id = {id:String}' : ''} ORDER BY name, controller_id`,
    { id: id ?? '' },
  );
  const scenarios = await listScenarios(ctx.store.client);
  const out: Loaded[] = [];
  for (const x of r) {
    const cfg = JSON.parse(x.config || '{}') as Partial<RegistryController>;
    const c: RegistryController = {
      id: x.controller_id,
      siteId: x.site_id,
      name: x.name,
      cameraIds: x.camera_ids,
      signalGroups: cfg.signalGroups ?? [],
      ...(cfg.approaches ? { approaches: cfg.approaches } : {}),
      intergreens: cfg.intergreens ?? [],
      plans: cfg.plans ?? [],
    };
    const arms = new Map<string, Arm>();
    const site = c.siteId ? await getSite(ctx.store.client, c.siteId) : null;
    if (site && c.cameraIds.length === 0) c.cameraIds = site.cameras.map((k) => k.id);
    for (const cam of site?.cameras ?? []) {
      if (!c.cameraIds.includes(cam.id)) continue;
      for (const z of cam.zones) {
        const n = z.polygon.length || 1;
        const centroid: LonLat = [
          z.polygon.reduce((a, p) => a + p[0], 0) / n,
          z.polygon.reduce((a, p) => a + p[1], 0) / n,
        ];
        arms.set(z.id, { id: z.id, name: z.name || z.id, centroid });
      }
    }
    const timezone = scenarios.find((s) => s.name === x.scenario)?.timezone ?? 'UTC';
    out.push({ c, timezone, arms });
  }
  return out;
}

async function loadOne(ctx: ApiContext, id: string): Promise<Loaded> {
  const [j] = await loadControllers(ctx, id);
  if (!j) {
    throw apiError('PASSAGE_SITE_NOT_FOUND', 'No signal controller with this id: list them with GET /api/v1/signals.');
  }
  return j;
}

/** Local minute of the day and ISO weekday of an instant. */
function localOf(z: ZoneClock, t: number): { minute: number; weekday: number; day: number } {
  const l = t + z.offsetAt(t);
  const day = Math.floor(l / DAY_MS);
  return { minute: Math.floor((l - day * DAY_MS) / 60_000), weekday: ((day + 3) % 7) + 1, day };
}

function parsePeaks(s: string): { name: string; from: string; to: string }[] {
  return s.split(',').map((p, i) => {
    const m = new RegExp(`^(?:([A-Za-z0-9_-]{1,16})=)?(${HHMM})-(${HHMM})$`).exec(p.trim());
    if (!m) {
      throw apiError(
        'PASSAGE_BAD_REQUEST',
        `querystring/peaks ${JSON.stringify(p)} is not NAME=HH:MM-HH:MM; e.g. ${DEFAULT_PEAKS}.`,
      );
    }
    return { name: m[1] ?? `P${i + 1}`, from: m[2], to: m[4] };
  });
}

const inWindow = (minute: number, f: number, t: number) =>
  f <= t ? minute >= f && minute < t : minute >= f || minute < t;

export function signalsRoutes(app: FastifyInstance, ctx: ApiContext): void {
  app.get(
    '/api/v1/signals',
    {
      config: { access },
      schema: {
        tags: ['signals'],
        summary:
          'Signalised junctions of the site registry: signal groups, movements served and their lanes, approaches, time-of-day plans',
        response: { 200: Type.Object({ junctions: Type.Array(Junction) }), ...errorResponses },
      },
    },
    async () => {
      const all = await loadControllers(ctx);
      return {
        junctions: all.map(({ c, timezone }) => ({
          id: c.id,
          siteId: c.siteId,
          name: c.name,
          cameraIds: c.cameraIds,
          timezone,
          groups: c.signalGroups.map((g) => ({
            id: g.id,
            kind: g.kind ?? 'vehicle',
            minGreenS: g.minGreenS ?? null,
            amberS: g.amberS ?? null,
            movements: (g.movements ?? []).map((m) => ({
              from: m.from,
              to: m.to,
              lanes: m.lanes ?? null,
              turn: m.turn ?? null,
              permitted: m.permitted === true,
            })),
          })),
          approaches: (c.approaches ?? []).map((a) => ({
            arm: a.arm,
            lanes: a.laneStorageM?.length ?? 1,
            laneStorageM: a.laneStorageM ?? [],
            fedByJunction: a.fedByJunction ?? null,
          })),
          plans: c.plans.map((p) => ({
            id: p.id,
            cycleS: p.cycleS,
            offsetS: p.offsetS ?? 0,
            from: p.from ?? null,
            to: p.to ?? null,
            days: p.days ?? [],
          })),
        })),
      };
    },
  );

  const MovementsQuery = Type.Object(
    {
      ...RangeQuery,
      peaks: Type.Optional(
        Type.String({
          maxLength: 200,
          description: `peak windows in local time, NAME=HH:MM-HH:MM comma-separated (default ${DEFAULT_PEAKS})`,
        }),
      ),
    },
    { additionalProperties: false },
  );
  const NumArr = Type.Array(Type.Number());
  app.get(
    '/api/v1/signals/:id/movements',
    {
      config: { access },
      schema: {
        tags: ['signals'],
        summary:
          'Classified turning movements of a junction per 15 min: vehicles per class, PCU, approach totals, heavy share, PHF per approach, peak windows, health flags',
        description:
          'PCU factors: car/van 1, motorcycle 0.4, bicycle 0.2, truck/bus 2, pedestrian 0 (`pcuFactors`). PHF per approach ' +
          '= V_hour / (4 × V_peak15) over its four consecutive 15-minute intervals with the largest PCU sum. Flags per ' +
          "interval: 'gap' (no movement recorded), 'fault' (a health event of a camera), 'low' (under a quarter of the " +
          'median interval).',
        params: Type.Object({ id: Id }, { additionalProperties: false }),
        querystring: MovementsQuery,
        response: {
          200: Type.Object({
            junction: Type.String(),
            name: Type.String(),
            timezone: Type.String(),
            from: EpochMs,
            to: EpochMs,
            pcuFactors: Type.Record(Type.String(), Type.Number()),
            modes: Type.Array(Type.String()),
            movements: Type.Array(
              Type.Object({
                key: Type.String(),
                from: Type.String(),
                to: Type.String(),
                name: Type.String(),
                byMode: NumArr,
                vehicles: Type.Number(),
                pcu: Type.Number(),
              }),
            ),
            intervals: Type.Array(
              Type.Object({
                start: EpochMs,
                end: EpochMs,
                pcu: NumArr,
                vehicles: NumArr,
                total: Type.Number({ description: 'PCU of all movements' }),
                flags: Type.Array(Type.String()),
              }),
            ),
            approaches: Type.Array(
              Type.Object({
                arm: Type.String(),
                name: Type.String(),
                vehicles: Type.Number(),
                pcu: Type.Number(),
                heavyShare: Type.Number(),
                phf: Nullable(Type.Number()),
                peakHourStart: Nullable(EpochMs),
                peakHourPcu: Nullable(Type.Number()),
              }),
            ),
            peaks: Type.Array(
              Type.Object({
                name: Type.String(),
                from: Type.String(),
                to: Type.String(),
                intervals: Type.Integer(),
                pcu: NumArr,
                total: Type.Number(),
                approaches: Type.Array(
                  Type.Object({ arm: Type.String(), pcu: Type.Number(), phf: Nullable(Type.Number()) }),
                ),
              }),
            ),
            health: Type.Array(
              Type.Object({
                cameraId: Type.String(),
                kind: Type.String(),
                from: EpochMs,
                to: EpochMs,
                detail: Type.String(),
              }),
            ),
          }),
          ...errorResponses,
        },
      },
    },
    async (req) => {
      const { id } = req.params as { id: string };
      const query = req.query as Static<typeof MovementsQuery>;
      const range = parseRange(query, '15m');
      const peaks = parsePeaks(query.peaks ?? DEFAULT_PEAKS);
      const j = await loadOne(ctx, id);
      const f = pcuFactors();
      const data = await classifiedMovements(ctx.store.client, { ...range, cameras: j.c.cameraIds });
      const tab = movementTable(data, range.from, range.to);
      const z = new ZoneClock(j.timezone);
      const name = (arm: string) => j.arms.get(arm)?.name ?? arm;
      const split = (k: string) => k.split('>') as [string, string];
      const pcuAt = (i: number) => tab.keys.map((_, m) => pcuOf(tab.counts[i][m], tab.modes, f));
      const vehAt = (i: number) => tab.keys.map((_, m) => vehiclesOf(tab.counts[i][m], tab.modes, f));
      // Health: camera events and intervals without any movement or far below the usual level.
      const health = await cameraHealth(ctx, j.c.cameraIds, range);
      const totalsVeh = tab.starts.map((_, i) => vehAt(i).reduce((a, b) => a + b, 0));
      const nonZero = totalsVeh.filter((v) => v > 0).sort((a, b) => a - b);
      const median = nonZero.length ? nonZero[Math.floor(nonZero.length / 2)] : 0;
      const anyData = data.length > 0;
      const intervals = tab.starts.map((start, i) => {
        const pcu = pcuAt(i);
        const flags: string[] = [];
        if (anyData && totalsVeh[i] === 0 && tab.counts[i].every((m) => m.every((c) => c === 0))) flags.push('gap');
        if (health.some((h) => h.from < start + Q15 && h.to > start)) flags.push('fault');
        if (totalsVeh[i] > 0 && totalsVeh[i] < median / 4) flags.push('low');
        return { start, end: start + Q15, pcu, vehicles: vehAt(i), total: pcu.reduce((a, b) => a + b, 0), flags };
      });
      const armsIn = [...new Set(tab.keys.map((k) => split(k)[0]))].sort();
      const approachSeries = (arm: string, idx: number[]) =>
        idx.map((i) => tab.keys.reduce((a, k, m) => a + (split(k)[0] === arm ? intervals[i].pcu[m] : 0), 0));
      const allIdx = tab.starts.map((_, i) => i);
      const approaches = armsIn.map((arm) => {
        let veh = 0;
        let pcu = 0;
        let heavy = 0;
        tab.keys.forEach((k, m) => {
          if (split(k)[0] !== arm) return;
          for (const row of tab.counts) {
            veh += vehiclesOf(row[m], tab.modes, f);
            pcu += pcuOf(row[m], tab.modes, f);
            heavy += row[m].reduce((a, c, q) => a + (isHeavy(tab.modes[q]) ? c : 0), 0);
          }
        });
        const ph = peakHour(approachSeries(arm, allIdx));
        return {
          arm,
          name: name(arm),
          vehicles: veh,
          pcu,
          heavyShare: veh > 0 ? heavy / veh : 0,
          phf: ph ? ph.phf : null,
          peakHourStart: ph ? tab.starts[ph.index] : null,
          peakHourPcu: ph ? ph.volume : null,
        };
      });
      const local = tab.starts.map((t) => localOf(z, t).minute);
      const peakOut = peaks.map((p) => {
        const idx = allIdx.filter((i) => inWindow(local[i], minutesOf(p.from), minutesOf(p.to)));
        const pcu = tab.keys.map((_, m) => idx.reduce((a, i) => a + intervals[i].pcu[m], 0));
        return {
          name: p.name,
          from: p.from,
          to: p.to,
          intervals: idx.length,
          pcu,
          total: pcu.reduce((a, b) => a + b, 0),
          approaches: armsIn.map((arm) => {
            const s = approachSeries(arm, idx);
            return { arm, pcu: s.reduce((a, b) => a + b, 0), phf: peakHour(s)?.phf ?? null };
          }),
        };
      });
      return {
        junction: j.c.id,
        name: j.c.name,
        timezone: j.timezone,
        from: range.from,
        to: range.to,
        pcuFactors: { ...f },
        modes: tab.modes,
        movements: tab.keys.map((k, m) => {
          const [a, b] = split(k);
          const byMode = tab.modes.map((_, q) => tab.counts.reduce((s, row) => s + row[m][q], 0));
          return {
            key: k,
            from: a,
            to: b,
            name: `${name(a)} → ${name(b)}`,
            byMode,
            vehicles: vehiclesOf(byMode, tab.modes, f),
            pcu: pcuOf(byMode, tab.modes, f),
          };
        }),
        intervals,
        approaches,
        peaks: peakOut,
        health,
      };
    },
  );

  const PlanQuery = Type.Object(
    {
      ...RangeQuery,
      plan: Type.Optional(Id),
      design: Type.Optional(Type.Union([Type.Literal('peak15'), Type.Literal('mean')])),
    },
    { additionalProperties: false },
  );
  app.get(
    '/api/v1/signals/:id/plan',
    {
      config: { access },
      schema: {
        tags: ['signals'],
        summary:
          'Current plan vs proposed (cycle of least HCM delay, Webster splits, same stages, vehicle-actuated greens): per-approach HCM delay, LOS, v/c, 95th-percentile queue; plan periods over the day',
        description:
          'Design flows: the busiest 15 minutes of the range in PCU as an hourly rate (design=peak15, HCM T = 0.25 h) or ' +
          'the mean hourly flow (design=mean). The current plan is the registry plan in effect at the design interval ' +
          '(or `plan`). Proposed periods: time-of-day segmentation of the 15-minute PCU movements (segmentTimeOfDay), ' +
          'each with its own plan.',
        params: Type.Object({ id: Id }, { additionalProperties: false }),
        querystring: PlanQuery,
        response: {
          200: Type.Object({
            junction: Type.String(),
            timezone: Type.String(),
            designFrom: Nullable(EpochMs),
            designTo: Nullable(EpochMs),
            flowsPcuH: Type.Record(Type.String(), Type.Number()),
            current: Nullable(PlanOut),
            proposed: Nullable(PlanOut),
            Y: Nullable(Type.Number()),
            lostTimeS: Nullable(Type.Number()),
            nearCapacity: Type.Boolean(),
            periods: Type.Object({
              current: Type.Array(
                Type.Object({
                  plan: Type.String(),
                  from: Nullable(Type.String()),
                  to: Nullable(Type.String()),
                  cycleS: Type.Number(),
                }),
              ),
              proposed: Type.Array(
                Type.Object({
                  from: Type.String(),
                  to: Type.String(),
                  plan: Type.String(),
                  cycleS: Type.Number(),
                  currentDelayS: Type.Number(),
                  delayS: Type.Number(),
                }),
              ),
            }),
          }),
          ...errorResponses,
        },
      },
    },
    async (req) => {
      const { id } = req.params as { id: string };
      const query = req.query as Static<typeof PlanQuery>;
      const range = parseRange(query, '15m');
      const j = await loadOne(ctx, id);
      const f = pcuFactors();
      const z = new ZoneClock(j.timezone);
      const bearings = armBearings(new Map([...j.arms].map(([k, a]) => [k, a.centroid])));
      const data = await classifiedMovements(ctx.store.client, { ...range, cameras: j.c.cameraIds });
      const tab = movementTable(data, range.from, range.to);
      const periodsCurrent = j.c.plans.map((p) => ({
        plan: p.id,
        from: p.from ?? null,
        to: p.to ?? null,
        cycleS: p.cycleS,
      }));
      const empty = {
        junction: j.c.id,
        timezone: j.timezone,
        designFrom: null,
        designTo: null,
        flowsPcuH: {},
        current: null,
        proposed: null,
        Y: null,
        lostTimeS: null,
        nearCapacity: false,
        periods: { current: periodsCurrent, proposed: [] },
      };
      if (data.length === 0 || j.c.plans.length === 0) return empty;
      const pcuRow = (i: number) => tab.keys.map((_, m) => pcuOf(tab.counts[i][m], tab.modes, f));
      const pcus = tab.starts.map((_, i) => pcuRow(i));
      const design = (idx: number[], mode: 'peak15' | 'mean') => {
        const use = idx.filter((i) => pcus[i].some((v) => v > 0));
        let chosen = use;
        if (mode === 'peak15' && use.length) {
          const best = use.reduce((b, i) => (sum(pcus[i]) > sum(pcus[b]) ? i : b), use[0]);
          chosen = [best];
        }
        const hours = Math.max(1, chosen.length) * 0.25;
        const flows = new Map<string, number>();
        tab.keys.forEach((k, m) => {
          const [a, b] = k.split('>');
          flows.set(movementKey(a, b), chosen.reduce((s, i) => s + pcus[i][m], 0) / hours);
        });
        return { flows, chosen };
      };
      const planFor = (t: number) => {
        if (query.plan) {
          const p = j.c.plans.find((x) => x.id === query.plan);
          if (!p) throw apiError('PASSAGE_BAD_REQUEST', `querystring/plan ${query.plan} is not a plan of ${j.c.id}.`);
          return p;
        }
        const l = localOf(z, t);
        return planAt(j.c.plans, l.minute, l.weekday) ?? j.c.plans[0];
      };
      const evaluate = (flows: Map<string, number>, t: number) => {
        const p = planFor(t);
        const core = toCoreController(j.c, p, bearings);
        const minGreen = Math.min(...j.c.signalGroups.map((g) => g.minGreenS ?? 5));
        return {
          p,
          plan: planJunction(core, flows, {
            ...PRODUCT_PLAN_DEFAULTS,
            minGreenS: Number.isFinite(minGreen) ? minGreen : 5,
          }),
        };
      };
      const all = tab.starts.map((_, i) => i);
      const d = design(all, query.design ?? 'peak15');
      const at = tab.starts[d.chosen[0] ?? 0];
      const { p, plan } = evaluate(d.flows, at);
      const out = (which: 'current' | 'proposed', jp: JunctionPlan, planId: string) => {
        const e = jp[which];
        return {
          planId,
          cycleS: e.cycleS,
          delayS: e.delayS,
          los: e.los,
          control: planControl(e.phases),
          groups: groupGreens(j.c, e.phases),
          // an approach no camera sees (a group serving no arm) has no measured flow to show
          approaches: e.approaches
            .filter((a) => j.arms.has(a.approach))
            .map((a) => ({
              approach: a.approach,
              name: j.arms.get(a.approach)?.name ?? a.approach,
              flowPcuH: a.flowPcuH,
              delayS: a.delayS,
              los: a.los,
              X: a.X,
              queue95Pcu: a.queue95Pcu,
            })),
        };
      };
      // Time-of-day periods: 15-minute slots of the local day (mean over the days of the range), segmented.
      const slots = new Map<number, { n: number; v: number[] }>();
      tab.starts.forEach((t, i) => {
        if (!pcus[i].some((v) => v > 0)) return;
        const s = Math.floor(localOf(z, t).minute / 15);
        const cur = slots.get(s) ?? { n: 0, v: tab.keys.map(() => 0) };
        cur.n++;
        pcus[i].forEach((v, m) => {
          cur.v[m] += v;
        });
        slots.set(s, cur);
      });
      const slotIds = [...slots.keys()].sort((a, b) => a - b);
      const vectors = slotIds.map((s) => {
        const x = slots.get(s) as { n: number; v: number[] };
        return x.v.map((v) => v / x.n);
      });
      const starts = segmentTimeOfDay(vectors, 4, 4);
      const hhmm = (slot: number) =>
        `${String(Math.floor((slot * 15) / 60) % 24).padStart(2, '0')}:${String((slot * 15) % 60).padStart(2, '0')}`;
      const proposedPeriods = starts.map((s, k) => {
        const endIdx = k + 1 < starts.length ? starts[k + 1] : slotIds.length;
        const mine = slotIds.slice(s, endIdx);
        const idx = all.filter((i) => mine.includes(Math.floor(localOf(z, tab.starts[i]).minute / 15)));
        const dd = design(idx, query.design ?? 'peak15');
        const ev = evaluate(dd.flows, tab.starts[dd.chosen[0] ?? idx[0]]);
        return {
          from: hhmm(mine[0]),
          to: hhmm(mine[mine.length - 1] + 1),
          plan: ev.p.id,
          cycleS: ev.plan.proposed.cycleS,
          currentDelayS: ev.plan.current.delayS,
          delayS: ev.plan.proposed.delayS,
        };
      });
      return {
        junction: j.c.id,
        timezone: j.timezone,
        designFrom: at,
        designTo: d.chosen.length ? tab.starts[d.chosen[d.chosen.length - 1]] + Q15 : null,
        flowsPcuH: Object.fromEntries(d.flows),
        current: out('current', plan, p.id),
        proposed: out('proposed', plan, `${p.id}-proposed`),
        Y: plan.Y,
        lostTimeS: plan.lostTimeS,
        nearCapacity: plan.nearCapacity,
        periods: { current: periodsCurrent, proposed: proposedPeriods },
      };
    },
  );
}

const sum = (v: readonly number[]) => v.reduce((a, b) => a + b, 0);

async function cameraHealth(ctx: ApiContext, cameras: readonly string[], range: { from: number; to: number }) {
  if (cameras.length === 0) return [];
  const r = await rows<{ sensor_id: string; kind: string; f: number; t: number; detail: string }>(
    ctx.store.client,
    `SELECT sensor_id, kind, toUInt32(toUnixTimestamp(from)) AS f, toUInt32(toUnixTimestamp(to)) AS t, detail
     FROM sensor_health WHERE sensor_id IN {cameras:Array(String)}
       AND from < toDateTime({to:UInt32}, 'UTC') AND to > toDateTime({from:UInt32}, 'UTC')
     ORDER BY sensor_id, f`,
    { cameras: [...cameras], from: Math.floor(range.from / 1000), to: Math.ceil(range.to / 1000) },
  );
  return r.map((x) => ({
    cameraId: x.sensor_id,
    kind: x.kind,
    from: Number(x.f) * 1000,
    to: Number(x.t) * 1000,
    detail: x.detail,
  }));
}
