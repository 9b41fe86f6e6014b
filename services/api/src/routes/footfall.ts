/**
 * Footfall routes for planners (issue 14 §5): pedestrian sensors, hourly series, a calendar of local days (totals,
 * fault flags, public holidays, events), stored day-ahead forecasts with their 80 % band, before/after with a
 * counterfactual (`beforeAfter` of @passage/footfall) and the calendar's events. Local days and hours are in
 * `footfall.timeZone`, public holidays of `footfall.country`/`footfall.region`.
 */

import { beforeAfter } from '@passage/footfall/before-after';
import { Calendar, type CalendarEvent } from '@passage/footfall/calendar';
import { type DayFlag, flagDays } from '@passage/footfall/faults';
import { buildGrid, dayKey, dayOf, type HourlyGrid } from '@passage/footfall/grid';
import { hourlySensorCounts, listCalendarEvents, rows } from '@passage/store';
import { type Static, Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import type { Access } from '../auth.ts';
import { apiError, errorResponses } from '../errors.ts';
import { EpochMs, Nullable, parseRange, RangeQuery } from '../schemas.ts';
import type { ApiContext } from './context.ts';

const access: Access = { roles: ['planner'] };
const DAY_MS = 86_400_000;
const SensorList = Type.String({
  minLength: 1,
  maxLength: 1000,
  pattern: '^[^,]{1,128}(,[^,]{1,128}){0,49}$',
  description: 'sensor ids, comma-separated (summed)',
});
const LocalDate = Type.String({ pattern: '^\\d{4}-\\d{2}-\\d{2}$', description: 'local date YYYY-MM-DD' });

const list = (s: string): string[] => [...new Set(s.split(',').map((x) => x.trim()))].filter(Boolean);

interface FootfallSensor {
  id: string;
  name: string;
  siteId: string;
  kind: string;
  lon: number | null;
  lat: number | null;
  first: number | null;
  last: number | null;
}

/** Pedestrian counters of the registry and every series stored with mode `pedestrian` (e.g. an ingested export). */
async function footfallSensors(ctx: ApiContext): Promise<FootfallSensor[]> {
  const r = await rows<{
    id: string;
    name: string;
    site_id: string;
    kind: string;
    lon: number | null;
    lat: number | null;
    f: number | null;
    l: number | null;
  }>(
    ctx.store.client,
    `SELECT ids.id AS id, d.name AS name, d.site_id AS site_id, if(d.kind = '', 'pedestrian', d.kind) AS kind,
       if(d.device_id = '', NULL, d.lon) AS lon, if(d.device_id = '', NULL, d.lat) AS lat, e.f AS f, e.l AS l
     FROM (
       SELECT device_id AS id FROM devices FINAL WHERE kind = 'pedestrian'
       UNION DISTINCT SELECT DISTINCT sensor_id AS id FROM counts_1m WHERE mode = 'pedestrian' AND interval = '1h'
         AND sensor_id NOT IN (SELECT device_id FROM devices FINAL WHERE kind != 'pedestrian')
     ) AS ids
     LEFT JOIN (SELECT device_id, name, site_id, kind, lon, lat FROM devices FINAL) AS d ON d.device_id = ids.id
     LEFT JOIN (
       SELECT sensor_id, toUInt32(toUnixTimestamp(min(start))) AS f, toUInt32(toUnixTimestamp(max(end))) AS l
       FROM counts_1m WHERE interval = '1h' GROUP BY sensor_id
     ) AS e ON e.sensor_id = ids.id
     ORDER BY id`,
  );
  return r.map((x) => ({
    id: x.id,
    name: x.name || x.id,
    siteId: x.site_id,
    kind: x.kind,
    lon: x.lon === null ? null : Number(x.lon),
    lat: x.lat === null ? null : Number(x.lat),
    first: x.f ? Number(x.f) * 1000 : null,
    last: x.l ? Number(x.l) * 1000 : null,
  }));
}

async function sensorIds(ctx: ApiContext, asked: string[]): Promise<string[]> {
  const known = new Set((await footfallSensors(ctx)).map((s) => s.id));
  const unknown = asked.filter((s) => !known.has(s));
  if (unknown.length) {
    throw apiError(
      'PASSAGE_SITE_NOT_FOUND',
      `No footfall sensor ${unknown.join(', ')}: list them with GET /api/v1/footfall/sensors.`,
    );
  }
  return asked;
}

async function loadGrid(ctx: ApiContext, from: number, to: number, sensors?: string[]): Promise<HourlyGrid> {
  const records = await hourlySensorCounts(ctx.store.client, { from, to, sensors });
  return buildGrid(records, ctx.config.footfall.timeZone);
}

async function calendar(ctx: ApiContext, from?: string, to?: string): Promise<Calendar> {
  const events = (await listCalendarEvents(ctx.store.client, { from, to })).map((e) => ({
    ...e,
    kind: e.kind as CalendarEvent['kind'],
  }));
  const { country, region, schoolZone } = ctx.config.footfall;
  const state = region || undefined;
  return Calendar.supports(country, state)
    ? new Calendar({ country, state, schoolZone: schoolZone || undefined, events })
    : new Calendar({ country: 'FR', events });
}

/** Sum over sensors of one local day-hour (null when no sensor counted it). */
function sumCell(g: HourlyGrid, idx: number[], d: number, h: number): number | null {
  let s = 0;
  let n = 0;
  for (const i of idx) {
    const v = g.values[i][d * 24 + h];
    if (!Number.isNaN(v)) {
      s += v;
      n++;
    }
  }
  return n ? s : null;
}

const FLAG_RANK: Record<DayFlag, number> = { ok: 0, drop: 1, stuck: 2, zero: 3, outage: 4 };

export function footfallRoutes(app: FastifyInstance, ctx: ApiContext): void {
  app.get(
    '/api/v1/footfall/sensors',
    {
      config: { access },
      schema: {
        tags: ['footfall'],
        summary:
          'Pedestrian sensors with hourly counts (registry counters and ingested series), with their data extent',
        response: {
          200: Type.Object({
            timezone: Type.String(),
            sensors: Type.Array(
              Type.Object({
                id: Type.String(),
                name: Type.String(),
                siteId: Type.String(),
                kind: Type.String(),
                lon: Nullable(Type.Number()),
                lat: Nullable(Type.Number()),
                first: Nullable(EpochMs),
                last: Nullable(EpochMs),
              }),
            ),
          }),
          ...errorResponses,
        },
      },
    },
    async () => ({ timezone: ctx.config.footfall.timeZone, sensors: await footfallSensors(ctx) }),
  );

  const SeriesQuery = Type.Object({ sensors: SensorList, ...RangeQuery }, { additionalProperties: false });
  app.get(
    '/api/v1/footfall/hourly',
    {
      config: { access },
      schema: {
        tags: ['footfall'],
        summary: 'Hourly pedestrian counts of the sensors (summed) over a range; gaps are null, never zero',
        querystring: SeriesQuery,
        response: {
          200: Type.Object({
            timezone: Type.String(),
            sensors: Type.Array(Type.String()),
            total: Type.Number(),
            points: Type.Array(
              Type.Object({ t: EpochMs, date: Type.String(), hour: Type.Integer(), count: Nullable(Type.Number()) }),
            ),
          }),
          ...errorResponses,
        },
      },
    },
    async (req) => {
      const q = req.query as Static<typeof SeriesQuery>;
      const range = parseRange(q, '1h');
      const sensors = await sensorIds(ctx, list(q.sensors));
      const recs = await hourlySensorCounts(ctx.store.client, { ...range, sensors });
      const g = buildGrid(recs, ctx.config.footfall.timeZone);
      const byT = new Map<number, number | null>();
      for (const r of recs) {
        const prev = byT.get(r.start);
        byT.set(r.start, r.count === null ? (prev ?? null) : (prev ?? 0) + r.count);
      }
      const points: { t: number; date: string; hour: number; count: number | null }[] = [];
      const z = new Intl.DateTimeFormat('en-CA', {
        timeZone: g.timeZone,
        year: 'numeric',
        month: '2-digit',
        day: '2-digit',
        hour: '2-digit',
        hourCycle: 'h23',
      });
      for (let t = Math.ceil(range.from / 3_600_000) * 3_600_000; t < range.to; t += 3_600_000) {
        const p = Object.fromEntries(z.formatToParts(new Date(t)).map((x) => [x.type, x.value]));
        points.push({
          t,
          date: `${p.year}-${p.month}-${p.day}`,
          hour: Number(p.hour),
          count: byT.has(t) ? (byT.get(t) ?? null) : null,
        });
      }
      return {
        timezone: g.timeZone,
        sensors,
        total: points.reduce((a, p) => a + (p.count ?? 0), 0),
        points,
      };
    },
  );

  app.get(
    '/api/v1/footfall/calendar',
    {
      config: { access },
      schema: {
        tags: ['footfall'],
        summary:
          'Calendar heatmap data: local daily totals of the sensors, fault flags kept apart from real drops, public holidays and events',
        querystring: SeriesQuery,
        response: {
          200: Type.Object({
            timezone: Type.String(),
            days: Type.Array(
              Type.Object({
                date: Type.String(),
                weekday: Type.Integer({ description: '1 = Monday … 7 = Sunday' }),
                total: Nullable(Type.Number()),
                hours: Type.Integer({ description: 'sensor-hours counted' }),
                flag: Type.String({ description: 'ok | drop | stuck | zero | outage (worst of the sensors)' }),
                holiday: Nullable(Type.String()),
                events: Type.Array(Type.String()),
              }),
            ),
          }),
          ...errorResponses,
        },
      },
    },
    async (req) => {
      const q = req.query as Static<typeof SeriesQuery>;
      const range = parseRange(q, '1d');
      const sensors = await sensorIds(ctx, list(q.sensors));
      // 5 weeks before the range so that drop flags have their 4-week reference.
      const g = await loadGrid(ctx, range.from - 35 * DAY_MS, range.to, sensors);
      const idx = sensors.map((s) => g.sensors.indexOf(s)).filter((i) => i >= 0);
      const flags = flagDays(g);
      const z = new Intl.DateTimeFormat('en-CA', {
        timeZone: g.timeZone,
        year: 'numeric',
        month: '2-digit',
        day: '2-digit',
      });
      const first = dayOf(z.format(new Date(range.from)));
      const last = dayOf(z.format(new Date(range.to - 1)));
      const cal = await calendar(ctx, dayKey(first), dayKey(last));
      const days = [];
      for (let day = first; day <= last; day++) {
        const d = day - g.firstDay;
        let total = 0;
        let hours = 0;
        let flag: DayFlag = 'ok';
        if (d >= 0 && d < g.days) {
          for (let h = 0; h < 24; h++) {
            const v = sumCell(g, idx, d, h);
            if (v !== null) total += v;
          }
          for (const i of idx) {
            for (let h = 0; h < 24; h++) if (!Number.isNaN(g.values[i][d * 24 + h])) hours++;
            const f = flags[i][d];
            if (FLAG_RANK[f] > FLAG_RANK[flag]) flag = f;
          }
        }
        const date = dayKey(day);
        days.push({
          date,
          weekday: ((day + 3) % 7) + 1,
          total: hours ? total : null,
          hours,
          flag: hours ? flag : 'outage',
          holiday: cal.publicHoliday(date),
          events: cal
            .eventsOn(date)
            .filter((e) => !e.sensors?.length || e.sensors.some((s) => sensors.includes(s)))
            .map((e) => e.name),
        });
      }
      return { timezone: g.timeZone, days };
    },
  );

  const ForecastQuery = Type.Object(
    { sensor: Type.String({ minLength: 1, maxLength: 128 }), ...RangeQuery },
    { additionalProperties: false },
  );
  app.get(
    '/api/v1/footfall/forecast',
    {
      config: { access },
      schema: {
        tags: ['footfall'],
        summary:
          'Stored day-ahead forecasts of a sensor (latest issue of each hour) with the 80 % band, and the counts',
        querystring: ForecastQuery,
        response: {
          200: Type.Object({
            sensor: Type.String(),
            timezone: Type.String(),
            points: Type.Array(
              Type.Object({
                t: EpochMs,
                date: Type.String(),
                hour: Type.Integer(),
                forecast: Type.Number(),
                lo80: Type.Number(),
                hi80: Type.Number(),
                actual: Nullable(Type.Number()),
              }),
            ),
          }),
          ...errorResponses,
        },
      },
    },
    async (req) => {
      const q = req.query as Static<typeof ForecastQuery>;
      const range = parseRange(q, '1h');
      const [sensor] = await sensorIds(ctx, [q.sensor]);
      const f = await rows<{ t: number; date: string; hour: number; forecast: number; lo80: number; hi80: number }>(
        ctx.store.client,
        `SELECT toUInt32(toUnixTimestamp(start)) AS t, toString(date) AS date, hour, forecast, lo80, hi80
         FROM footfall_forecasts_latest WHERE sensor_id = {sensor:String}
           AND start >= toDateTime({from:UInt32}, 'UTC') AND start < toDateTime({to:UInt32}, 'UTC')
         ORDER BY t`,
        { sensor, from: Math.floor(range.from / 1000), to: Math.ceil(range.to / 1000) },
      );
      const actual = new Map(
        (await hourlySensorCounts(ctx.store.client, { ...range, sensors: [sensor] })).map((r) => [r.start, r.count]),
      );
      return {
        sensor,
        timezone: ctx.config.footfall.timeZone,
        points: f.map((x) => ({
          t: Number(x.t) * 1000,
          date: x.date,
          hour: Number(x.hour),
          forecast: Number(x.forecast),
          lo80: Number(x.lo80),
          hi80: Number(x.hi80),
          actual: actual.get(Number(x.t) * 1000) ?? null,
        })),
      };
    },
  );

  const BaQuery = Type.Object(
    {
      sensors: SensorList,
      date: LocalDate,
      preDays: Type.Optional(Type.Integer({ minimum: 14, maximum: 182 })),
      postDays: Type.Optional(Type.Integer({ minimum: 7, maximum: 182 })),
      controls: Type.Optional(SensorList),
    },
    { additionalProperties: false },
  );
  app.get(
    '/api/v1/footfall/before-after',
    {
      config: { access },
      schema: {
        tags: ['footfall'],
        summary:
          'Before/after an intervention date: the site against its counterfactual from control sensors, uplift with its 95 % interval, and the daily series',
        description:
          'Counterfactual = synthetic control, non-negative weights over the other sensors fitted before the date (beforeAfter of @passage/footfall); fault days left out; ' +
          '`result` is null when the data cannot support an estimate (`reason` says why).',
        querystring: BaQuery,
        response: {
          200: Type.Object({
            sensors: Type.Array(Type.String()),
            date: Type.String(),
            preDays: Type.Integer(),
            postDays: Type.Integer(),
            reason: Nullable(Type.String()),
            result: Nullable(
              Type.Object({
                uplift: Type.Number(),
                lo: Type.Number(),
                hi: Type.Number(),
                level: Type.Number(),
                actual: Type.Number(),
                counterfactual: Type.Number(),
                preDaysUsed: Type.Integer(),
                postDaysUsed: Type.Integer(),
                controls: Type.Array(Type.String()),
                lastYear: Type.Boolean(),
                placebosUsed: Type.Integer(),
              }),
            ),
            daily: Type.Array(
              Type.Object({ date: Type.String(), actual: Nullable(Type.Number()), flag: Type.String() }),
            ),
          }),
          ...errorResponses,
        },
      },
    },
    async (req) => {
      const q = req.query as Static<typeof BaQuery>;
      const pre = q.preDays ?? 28;
      const post = q.postDays ?? 28;
      const site = await sensorIds(ctx, list(q.sensors));
      const controls = q.controls ? await sensorIds(ctx, list(q.controls)) : undefined;
      const all = (await footfallSensors(ctx)).map((s) => s.id);
      const day0 = Date.parse(`${q.date}T00:00:00Z`);
      if (Number.isNaN(day0)) throw apiError('PASSAGE_BAD_REQUEST', `querystring/date ${q.date} is not a valid date.`);
      // Enough history for the same weeks one year earlier and the in-time placebos (12 weeks).
      const from = day0 - (364 + pre + post + 7 * 13 + 2) * DAY_MS;
      const g = await loadGrid(ctx, from, day0 + (post + 1) * DAY_MS, all);
      const day = dayOf(q.date) - g.firstDay;
      const flags = flagDays(g);
      // without preDays, beforeAfter averages its 28/56/84-day windows (docs/FOOTFALL.md); `pre` sizes the series
      const r = g.days ? beforeAfter(g, { site, controls, day, preDays: q.preDays, postDays: post, flags }) : null;
      const idx = site.map((s) => g.sensors.indexOf(s)).filter((i) => i >= 0);
      const daily = [];
      for (let d = day - pre; d < day + post; d++) {
        let total = 0;
        let complete = d >= 0 && d < g.days && idx.length > 0;
        let flag: DayFlag = 'ok';
        for (const i of idx) {
          for (let h = 0; h < 24 && complete; h++) {
            const v = g.values[i][d * 24 + h];
            if (Number.isNaN(v)) complete = false;
            else total += v;
          }
          const f = d >= 0 && d < g.days ? flags[i][d] : 'outage';
          if (FLAG_RANK[f] > FLAG_RANK[flag]) flag = f;
        }
        daily.push({ date: dayKey(g.firstDay + d), actual: complete ? total : null, flag });
      }
      return {
        sensors: site,
        date: q.date,
        preDays: pre,
        postDays: post,
        reason: r
          ? null
          : 'Not enough comparable days: the site and ≥ 1 control sensor need counts on most days of the pre and post periods (≥ 2 of each weekday before, ≥ 7 days after).',
        result: r
          ? {
              uplift: r.uplift,
              lo: r.lo,
              hi: r.hi,
              level: r.level,
              actual: r.actual,
              counterfactual: r.counterfactual,
              preDaysUsed: r.preDaysUsed,
              postDaysUsed: r.postDaysUsed,
              controls: r.controls,
              lastYear: r.lastYear,
              placebosUsed: r.placebosUsed,
            }
          : null,
        daily,
      };
    },
  );

  const EventsQuery = Type.Object({ from: LocalDate, to: LocalDate }, { additionalProperties: false });
  app.get(
    '/api/v1/footfall/events',
    {
      config: { access },
      schema: {
        tags: ['footfall'],
        summary:
          'Operator events of the calendar (market days, works, interventions…) and public holidays between two local dates',
        querystring: EventsQuery,
        response: {
          200: Type.Object({
            events: Type.Array(
              Type.Object({
                id: Type.String(),
                kind: Type.String(),
                name: Type.String(),
                from: Type.String(),
                to: Type.String(),
                region: Type.String(),
                sensors: Type.Array(Type.String()),
              }),
            ),
            holidays: Type.Array(Type.Object({ date: Type.String(), name: Type.String() })),
          }),
          ...errorResponses,
        },
      },
    },
    async (req) => {
      const q = req.query as Static<typeof EventsQuery>;
      const a = dayOf(q.from);
      const b = dayOf(q.to);
      if (!(b >= a) || b - a > 5 * 366) {
        throw apiError('PASSAGE_BAD_RANGE', 'querystring/to must be on or after querystring/from, within 5 years.');
      }
      const events = await listCalendarEvents(ctx.store.client, q);
      const cal = await calendar(ctx, q.from, q.to);
      const holidays = [];
      for (let d = a; d <= b; d++) {
        const name = cal.publicHoliday(dayKey(d));
        if (name) holidays.push({ date: dayKey(d), name });
      }
      return { events, holidays };
    },
  );
}
