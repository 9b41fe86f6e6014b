/**
 * "Footfall" view for planners (issue 14 §5): sensor selection, date pickers (initialised from the shell's period),
 * a calendar heatmap of local daily totals (fault days kept apart from real drops, holidays and events marked),
 * the hourly series with the stored forecast band and events on the time axis, the before/after chart with its
 * estimate and interval, a table of the days; PNG export of the charts and CSV of the table.
 * Data: GET /api/v1/footfall/{sensors,calendar,hourly,forecast,before-after,events} (role planner).
 */
import type { DashboardView, Lang, ViewContext } from './registry.ts';
import { csvText, download, ensureStyle, esc, localMidnight, svgToPng, viewLifecycle } from './view-kit.ts';

interface Sensor {
  id: string;
  name: string;
  first: number | null;
  last: number | null;
}
interface Day {
  date: string;
  weekday: number;
  total: number | null;
  hours: number;
  flag: string;
  holiday: string | null;
  events: string[];
}
interface HourPoint {
  t: number;
  date: string;
  hour: number;
  count: number | null;
}
interface ForecastPoint {
  t: number;
  forecast: number;
  lo80: number;
  hi80: number;
}
interface Ba {
  date: string;
  reason: string | null;
  result: {
    uplift: number;
    lo: number;
    hi: number;
    level: number;
    actual: number;
    counterfactual: number;
    postDaysUsed: number;
    controls: string[];
  } | null;
  daily: { date: string; actual: number | null; flag: string }[];
}
interface Events {
  events: { id: string; kind: string; name: string; from: string; to: string; sensors: string[] }[];
  holidays: { date: string; name: string }[];
}

const STRINGS: Record<Lang, Record<string, string>> = {
  fr: {
    sensors: 'Capteurs',
    from: 'Du',
    to: 'au',
    intervention: 'Date de l’intervention',
    apply: 'Afficher',
    noSensor: 'Aucun capteur piéton avec des comptages horaires : importez des comptages (passage ingest).',
    pickSensor: 'Choisissez au moins un capteur.',
    heatmapTitle: 'Calendrier de la fréquentation (total journalier)',
    hourlyTitle: 'Fréquentation horaire',
    forecastLegend: 'prévision J-1 et intervalle à 80 %',
    countsLegend: 'comptages',
    noForecast: 'Pas de prévision enregistrée pour {sensor} sur cette période (rôle forecast).',
    baTitle: 'Avant / après l’intervention',
    baEstimate: 'Effet estimé : {uplift} (intervalle à {level} : {lo} à {hi}), contrôles : {controls}',
    baNone: 'Estimation impossible : pas assez de jours comparables autour de cette date.',
    actual: 'observé',
    counterfactual: 'contrefactuel (sans intervention)',
    tableTitle: 'Jours',
    date: 'Date',
    weekday: 'Jour',
    total: 'Total',
    hours: 'Heures comptées',
    flag: 'État',
    holiday: 'Jour férié',
    events: 'Évènements',
    flag_ok: 'normal',
    flag_drop: 'baisse réelle',
    flag_outage: 'panne',
    flag_zero: 'zéros suspects',
    flag_stuck: 'valeur bloquée',
    png: 'Exporter le graphique (PNG)',
    csv: 'Exporter le tableau (CSV)',
    wd1: 'lun.',
    wd2: 'mar.',
    wd3: 'mer.',
    wd4: 'jeu.',
    wd5: 'ven.',
    wd6: 'sam.',
    wd7: 'dim.',
    low: 'faible',
    high: 'élevée',
    faultLegend: 'panne ou défaut (exclu des analyses)',
    holidayLegend: 'jour férié',
    eventLegend: 'évènement',
    pedestrians: 'piétons',
    perHour: 'piétons / h',
    perDay: 'piétons / jour',
  },
  en: {
    sensors: 'Sensors',
    from: 'From',
    to: 'to',
    intervention: 'Intervention date',
    apply: 'Show',
    noSensor: 'No pedestrian sensor with hourly counts: ingest some counts (passage ingest).',
    pickSensor: 'Choose at least one sensor.',
    heatmapTitle: 'Footfall calendar (daily total)',
    hourlyTitle: 'Hourly footfall',
    forecastLegend: 'day-ahead forecast and 80 % interval',
    countsLegend: 'counts',
    noForecast: 'No stored forecast for {sensor} in this period (forecast role).',
    baTitle: 'Before / after the intervention',
    baEstimate: 'Estimated effect: {uplift} ({level} interval: {lo} to {hi}), controls: {controls}',
    baNone: 'No estimate: not enough comparable days around this date.',
    actual: 'observed',
    counterfactual: 'counterfactual (without intervention)',
    tableTitle: 'Days',
    date: 'Date',
    weekday: 'Day',
    total: 'Total',
    hours: 'Hours counted',
    flag: 'Status',
    holiday: 'Public holiday',
    events: 'Events',
    flag_ok: 'normal',
    flag_drop: 'real drop',
    flag_outage: 'outage',
    flag_zero: 'suspect zeros',
    flag_stuck: 'stuck value',
    png: 'Export the chart (PNG)',
    csv: 'Export the table (CSV)',
    wd1: 'Mon',
    wd2: 'Tue',
    wd3: 'Wed',
    wd4: 'Thu',
    wd5: 'Fri',
    wd6: 'Sat',
    wd7: 'Sun',
    low: 'low',
    high: 'high',
    faultLegend: 'outage or fault (left out of analyses)',
    holidayLegend: 'public holiday',
    eventLegend: 'event',
    pedestrians: 'pedestrians',
    perHour: 'pedestrians / h',
    perDay: 'pedestrians / day',
  },
};

const CSS = `
.ff { padding: 12px; display: grid; grid-template-columns: minmax(0, 1fr); gap: 14px; max-width: 1200px; box-sizing: border-box; }
.ff > *, .ff section { min-width: 0; }
.ff h3 { margin: 4px 0; font-size: 1rem; }
.ff .row { display: flex; gap: 10px; flex-wrap: wrap; align-items: center; }
.ff .scroll { overflow-x: auto; }
.ff table { border-collapse: collapse; font-size: 0.85rem; }
.ff th, .ff td { padding: 3px 8px; border-bottom: 1px solid #ccc3; text-align: right; white-space: nowrap; }
.ff th:first-child, .ff td:first-child { text-align: left; }
.ff .muted { opacity: 0.75; font-size: 0.8rem; }
.ff svg text { font: 11px sans-serif; fill: #444; }
.ff svg .axis { stroke: #888; }
.ff svg .counts { fill: none; stroke: #1565c0; stroke-width: 1.4; }
.ff svg .band { fill: #ff9f1c55; stroke: none; }
.ff svg .fc { fill: none; stroke: #e65100; stroke-width: 1; stroke-dasharray: 3 2; }
.ff svg .event { stroke: #8e24aa; stroke-width: 1.2; stroke-dasharray: 4 3; }
.ff svg .eventlabel { fill: #8e24aa; }
.ff svg .cf { fill: none; stroke: #e65100; stroke-width: 2; stroke-dasharray: 6 3; }
.ff svg .cfband { fill: #e6510033; }
.ff svg .date { stroke: #000; stroke-width: 1.5; }
.ff svg .fault { fill: url(#hatch); }
.ff svg .holiday { stroke: #000; stroke-width: 1.5; }
.ff .sensors label { margin-right: 8px; white-space: nowrap; }
.ff .estimate { font-weight: bold; }
`;

const W = 760;
const H = 240;
const PAD = { l: 56, r: 12, t: 14, b: 34 };

const localDate = (t: number, timeZone: string) =>
  new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' }).format(new Date(t));
const addDays = (date: string, n: number) =>
  new Date(Date.parse(`${date}T00:00:00Z`) + n * 86_400_000).toISOString().slice(0, 10);

function niceMax(v: number): number {
  if (v <= 0) return 1;
  const p = 10 ** Math.floor(Math.log10(v));
  for (const m of [1, 2, 2.5, 5, 10]) if (m * p >= v) return m * p;
  return 10 * p;
}

function mount(el: HTMLElement, ctx: ViewContext) {
  ensureStyle('footfall', CSS);
  const { t } = ctx;
  const n = (v: number, d = 0) => ctx.fmt.number(v, d);
  const signedPct = (v: number) => `${v >= 0 ? '+' : '−'}${ctx.fmt.number(Math.abs(100 * v), 1)} %`;
  let tz = 'UTC';
  let sensors: Sensor[] = [];
  let days: Day[] = [];

  el.innerHTML = `<div class="ff" data-view-root="footfall">
  <div class="row sensors" data-role="sensors"></div>
  <div class="row">
    <label>${esc(t('from'))} <input type="date" data-role="from" /></label>
    <label>${esc(t('to'))} <input type="date" data-role="to" /></label>
    <label>${esc(t('intervention'))} <input type="date" data-role="date" /></label>
    <button type="button" data-role="apply">${esc(t('apply'))}</button>
  </div>
  <div data-role="body"></div></div>`;
  const $ = <T extends HTMLElement>(r: string) => el.querySelector(`[data-role="${r}"]`) as T;
  const body = $<HTMLElement>('body');
  const fromIn = $<HTMLInputElement>('from');
  const toIn = $<HTMLInputElement>('to');
  const dateIn = $<HTMLInputElement>('date');

  const selected = () =>
    [...el.querySelectorAll<HTMLInputElement>('[data-role="sensors"] input:checked')].map((i) => i.value);

  const heatmap = (ds: Day[]): string => {
    if (!ds.length) return '';
    const cell = 16;
    const firstWd = ds[0].weekday;
    const weeks = Math.ceil((ds.length + firstWd - 1) / 7);
    const max = Math.max(1, ...ds.map((d) => (d.flag === 'ok' || d.flag === 'drop' ? (d.total ?? 0) : 0)));
    const left = 40;
    const w = left + weeks * (cell + 2) + 10;
    const h = 7 * (cell + 2) + 44;
    const colour = (v: number) => {
      const x = Math.min(1, v / max);
      const l = 95 - 60 * x;
      return `hsl(210, 70%, ${l}%)`;
    };
    const rects = ds
      .map((d, i) => {
        const k = i + firstWd - 1;
        const x = left + Math.floor(k / 7) * (cell + 2);
        const y = 14 + (k % 7) * (cell + 2);
        const fault = d.flag === 'outage' || d.flag === 'zero' || d.flag === 'stuck';
        const title = [
          `${ctx.fmt.date(new Date(`${d.date}T12:00:00Z`))}`,
          d.total === null ? '–' : `${n(d.total)} ${t('pedestrians')}`,
          t(`flag_${d.flag}`),
          d.holiday ?? '',
          ...d.events,
        ]
          .filter(Boolean)
          .join(' · ');
        const dot = d.events.length ? `<circle cx="${x + cell - 4}" cy="${y + 4}" r="3" fill="#8e24aa"/>` : '';
        return `<rect data-date="${d.date}" data-total="${d.total ?? ''}" data-flag="${d.flag}" x="${x}" y="${y}" width="${cell}" height="${cell}" rx="2" class="${fault ? 'fault' : ''} ${d.holiday ? 'holiday' : ''}" ${fault ? '' : `fill="${d.total === null ? '#eee' : colour(d.total)}"`}><title>${esc(title)}</title></rect>${dot}`;
      })
      .join('');
    const labels = [1, 3, 5, 7]
      .map((wd) => `<text x="2" y="${14 + (wd - 1) * (cell + 2) + 12}">${esc(t(`wd${wd}`))}</text>`)
      .join('');
    const ly = 7 * (cell + 2) + 30;
    const legend = `<rect x="${left}" y="${ly - 10}" width="12" height="12" fill="${colour(0)}"/><text x="${left + 16}" y="${ly}">${esc(t('low'))}</text>
      <rect x="${left + 60}" y="${ly - 10}" width="12" height="12" fill="${colour(max)}"/><text x="${left + 76}" y="${ly}">${esc(t('high'))} (${n(max)})</text>
      <rect x="${left + 170}" y="${ly - 10}" width="12" height="12" class="fault"/><text x="${left + 186}" y="${ly}">${esc(t('faultLegend'))}</text>`;
    return `<svg class="heatmap" width="${Math.max(w, 480)}" height="${h}" viewBox="0 0 ${Math.max(w, 480)} ${h}" role="img" aria-label="${esc(t('heatmapTitle'))}">
      <defs><pattern id="hatch" width="6" height="6" patternUnits="userSpaceOnUse" patternTransform="rotate(45)"><rect width="6" height="6" fill="#ddd"/><line x1="0" y1="0" x2="0" y2="6" stroke="#888" stroke-width="2"/></pattern></defs>
      ${labels}${rects}${legend}</svg>`;
  };

  const hourlyChart = (pts: HourPoint[], fc: ForecastPoint[], ev: Events, from: number, to: number): string => {
    const iw = W - PAD.l - PAD.r;
    const ih = H - PAD.t - PAD.b;
    const max = niceMax(Math.max(1, ...pts.map((p) => p.count ?? 0), ...fc.map((f) => f.hi80)));
    const x = (tt: number) => PAD.l + ((tt - from) / Math.max(1, to - from)) * iw;
    const y = (v: number) => PAD.t + ih - (v / max) * ih;
    let d = '';
    let pen = false;
    for (const p of pts) {
      if (p.count === null) {
        pen = false;
        continue;
      }
      d += `${pen ? 'L' : 'M'}${x(p.t).toFixed(1)},${y(p.count).toFixed(1)}`;
      pen = true;
    }
    const band = fc.length
      ? `<path class="band" d="M${fc.map((f) => `${x(f.t).toFixed(1)},${y(f.hi80).toFixed(1)}`).join('L')}L${[...fc]
          .reverse()
          .map((f) => `${x(f.t).toFixed(1)},${y(f.lo80).toFixed(1)}`)
          .join(
            'L',
          )}Z"/><path class="fc" d="M${fc.map((f) => `${x(f.t).toFixed(1)},${y(f.forecast).toFixed(1)}`).join('L')}"/>`
      : '';
    const marks = [
      ...ev.events.map((e) => ({ date: e.from, name: e.name })),
      ...ev.holidays.map((h) => ({ date: h.date, name: h.name })),
    ]
      .map((e) => ({ ...e, t: Date.parse(localMidnight(e.date, tz)) }))
      .filter((e) => e.t >= from && e.t < to)
      .map(
        (e, i) =>
          `<line class="event" data-event="${esc(e.name)}" x1="${x(e.t)}" x2="${x(e.t)}" y1="${PAD.t}" y2="${PAD.t + ih}"/><text class="eventlabel" x="${x(e.t) + 3}" y="${PAD.t + 10 + (i % 3) * 12}">${esc(e.name)}</text>`,
      )
      .join('');
    const yTicks = [0, 0.5, 1]
      .map((f) => `<text x="${PAD.l - 4}" y="${y(f * max) + 4}" text-anchor="end">${n(f * max)}</text>`)
      .join('');
    const span = to - from;
    const stepDays = Math.max(1, Math.ceil(span / 86_400_000 / 8));
    const xTicks: string[] = [];
    for (let day = localDate(from, tz); ; day = addDays(day, stepDays)) {
      const tt = Date.parse(localMidnight(day, tz));
      if (tt >= to) break;
      if (tt >= from)
        xTicks.push(
          `<text x="${x(tt)}" y="${H - PAD.b + 14}" text-anchor="middle">${esc(ctx.fmt.date(new Date(tt + 43_200_000)))}</text>`,
        );
    }
    return `<svg class="hourly" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" role="img" aria-label="${esc(t('hourlyTitle'))}">
      <line class="axis" x1="${PAD.l}" x2="${PAD.l + iw}" y1="${PAD.t + ih}" y2="${PAD.t + ih}"/><line class="axis" x1="${PAD.l}" x2="${PAD.l}" y1="${PAD.t}" y2="${PAD.t + ih}"/>
      <text x="${PAD.l}" y="${PAD.t - 3}">${esc(t('perHour'))}</text>${yTicks}${xTicks.join('')}${band}<path class="counts" d="${d}"/>${marks}
      <text x="${W - PAD.r}" y="${H - 4}" text-anchor="end"><tspan fill="#1565c0">— ${esc(t('countsLegend'))}</tspan>${fc.length ? `  <tspan fill="#e65100">▬ ${esc(t('forecastLegend'))}</tspan>` : ''}</text></svg>`;
  };

  const baChart = (ba: Ba): string => {
    const iw = W - PAD.l - PAD.r;
    const ih = H - PAD.t - PAD.b;
    const nDays = ba.daily.length;
    const max = niceMax(Math.max(1, ...ba.daily.map((d) => d.actual ?? 0)) * 1.1);
    const x = (i: number) => PAD.l + (i / Math.max(1, nDays - 1)) * iw;
    const y = (v: number) => PAD.t + ih - (v / max) * ih;
    const iDate = ba.daily.findIndex((d) => d.date === ba.date);
    let d = '';
    let pen = false;
    ba.daily.forEach((p, i) => {
      if (p.actual === null) {
        pen = false;
        return;
      }
      d += `${pen ? 'L' : 'M'}${x(i).toFixed(1)},${y(p.actual).toFixed(1)}`;
      pen = true;
    });
    let cf = '';
    if (ba.result && iDate >= 0) {
      const r = ba.result;
      // Mean daily level of the post period: observed, counterfactual and the counterfactual's interval.
      const per = (v: number) => v / Math.max(1, r.postDaysUsed);
      const cfm = per(r.counterfactual);
      const lo = per(r.actual / (1 + r.hi));
      const hi = per(r.actual / (1 + r.lo));
      cf = `<rect class="cfband" x="${x(iDate)}" y="${y(hi)}" width="${x(nDays - 1) - x(iDate)}" height="${Math.max(1, y(lo) - y(hi))}"/>
        <line class="cf" data-role="cf" data-level="${cfm}" x1="${x(iDate)}" x2="${x(nDays - 1)}" y1="${y(cfm)}" y2="${y(cfm)}"/>`;
    }
    const marker =
      iDate >= 0
        ? `<line class="date" x1="${x(iDate)}" x2="${x(iDate)}" y1="${PAD.t}" y2="${PAD.t + ih}"/><text x="${x(iDate) + 3}" y="${PAD.t + 10}">${esc(ctx.fmt.date(new Date(`${ba.date}T12:00:00Z`)))}</text>`
        : '';
    const yTicks = [0, 0.5, 1]
      .map((f) => `<text x="${PAD.l - 4}" y="${y(f * max) + 4}" text-anchor="end">${n(f * max)}</text>`)
      .join('');
    const xTicks = ba.daily
      .map((p, i) =>
        i % 7 === 0
          ? `<text x="${x(i)}" y="${H - PAD.b + 14}" text-anchor="middle">${esc(ctx.fmt.date(new Date(`${p.date}T12:00:00Z`)))}</text>`
          : '',
      )
      .join('');
    return `<svg class="ba" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" role="img" aria-label="${esc(t('baTitle'))}">
      <line class="axis" x1="${PAD.l}" x2="${PAD.l + iw}" y1="${PAD.t + ih}" y2="${PAD.t + ih}"/><line class="axis" x1="${PAD.l}" x2="${PAD.l}" y1="${PAD.t}" y2="${PAD.t + ih}"/>
      <text x="${PAD.l}" y="${PAD.t - 3}">${esc(t('perDay'))}</text>${yTicks}${xTicks}${cf}<path class="counts" d="${d}"/>${marker}
      <text x="${W - PAD.r}" y="${H - 4}" text-anchor="end"><tspan fill="#1565c0">— ${esc(t('actual'))}</tspan>  <tspan fill="#e65100">- - ${esc(t('counterfactual'))}</tspan></text></svg>`;
  };

  const table = (ds: Day[]) =>
    `<table data-table="days"><thead><tr><th>${esc(t('date'))}</th><th>${esc(t('weekday'))}</th><th>${esc(t('total'))}</th><th>${esc(t('hours'))}</th><th>${esc(t('flag'))}</th><th>${esc(t('holiday'))}</th><th>${esc(t('events'))}</th></tr></thead><tbody>${ds
      .map(
        (d) =>
          `<tr data-date="${d.date}"><td>${esc(ctx.fmt.date(new Date(`${d.date}T12:00:00Z`)))}</td><td>${esc(t(`wd${d.weekday}`))}</td><td data-col="total">${d.total === null ? '–' : n(d.total)}</td><td>${n(d.hours)}</td><td>${esc(t(`flag_${d.flag}`))}</td><td>${esc(d.holiday ?? '')}</td><td>${esc(d.events.join(', '))}</td></tr>`,
      )
      .join('')}</tbody></table>`;

  const csv = () =>
    csvText(
      ctx.lang,
      [t('date'), t('weekday'), t('total'), t('hours'), t('flag'), t('holiday'), t('events')],
      days.map((d) => [
        d.date,
        t(`wd${d.weekday}`),
        d.total,
        d.hours,
        t(`flag_${d.flag}`),
        d.holiday ?? '',
        d.events.join(', '),
      ]),
      0,
    );

  const load = async () => {
    const ids = selected();
    if (!ids.length) {
      ctx.showState(body, 'empty', t('pickSensor'));
      return;
    }
    if (!fromIn.value || !toIn.value) return;
    const from = localMidnight(fromIn.value, tz);
    const to = localMidnight(addDays(toIn.value, 1), tz);
    ctx.showState(body, 'loading');
    try {
      const q = { sensors: ids.join(','), from, to };
      const [cal, hourly, fc, ev, ba] = await Promise.all([
        ctx.fetchJson<{ days: Day[] }>('/api/v1/footfall/calendar', q),
        ctx.fetchJson<{ points: HourPoint[]; total: number }>('/api/v1/footfall/hourly', q),
        ctx.fetchJson<{ points: ForecastPoint[] }>('/api/v1/footfall/forecast', { sensor: ids[0], from, to }),
        ctx.fetchJson<Events>('/api/v1/footfall/events', { from: fromIn.value, to: toIn.value }),
        dateIn.value
          ? ctx.fetchJson<Ba>('/api/v1/footfall/before-after', { sensors: ids.join(','), date: dateIn.value })
          : Promise.resolve(null),
      ]);
      if (gone()) return;
      days = cal.days;
      if (days.every((d) => d.total === null)) {
        ctx.showState(body, 'empty');
        return;
      }
      const relevant: Events = {
        holidays: ev.holidays,
        events: ev.events.filter((e) => !e.sensors.length || e.sensors.some((s) => ids.includes(s))),
      };
      const sensorName = sensors.find((s) => s.id === ids[0])?.name ?? ids[0];
      let baHtml = '';
      if (ba) {
        const r = ba.result;
        const estimate = r
          ? t('baEstimate', {
              uplift: signedPct(r.uplift),
              level: `${n(r.level * 100)} %`,
              lo: signedPct(r.lo),
              hi: signedPct(r.hi),
              controls: r.controls.map((c) => sensors.find((s) => s.id === c)?.name ?? c).join(', '),
            })
          : t('baNone');
        baHtml = `<section data-role="ba"><div class="row"><h3>${esc(t('baTitle'))}</h3><button type="button" data-png="ba">${esc(t('png'))}</button></div>
          <p class="estimate" data-role="estimate" ${r ? `data-uplift="${r.uplift}" data-lo="${r.lo}" data-hi="${r.hi}"` : ''}>${esc(estimate)}</p>
          <div class="scroll">${baChart(ba)}</div></section>`;
      }
      body.dataset.state = 'ready';
      body.innerHTML = `<section data-role="heatmap"><h3>${esc(t('heatmapTitle'))}</h3><div class="scroll">${heatmap(days)}</div></section>
        <section data-role="hourly"><div class="row"><h3>${esc(t('hourlyTitle'))}</h3><button type="button" data-png="hourly">${esc(t('png'))}</button></div>
        ${fc.points.length ? '' : `<p class="muted" data-role="no-forecast">${esc(t('noForecast', { sensor: sensorName }))}</p>`}
        <div class="scroll">${hourlyChart(hourly.points, fc.points, relevant, Date.parse(from), Date.parse(to))}</div></section>
        ${baHtml}
        <section data-role="days"><div class="row"><h3>${esc(t('tableTitle'))}</h3><button type="button" data-role="csv">${esc(t('csv'))}</button></div>
        <div class="scroll">${table(days)}</div></section>`;
      body
        .querySelector('[data-role="csv"]')
        ?.addEventListener('click', () =>
          download(`footfall-${fromIn.value}-${toIn.value}.csv`, new Blob([csv()], { type: 'text/csv;charset=utf-8' })),
        );
      for (const b of body.querySelectorAll<HTMLButtonElement>('[data-png]')) {
        b.addEventListener('click', async () => {
          const svg = body.querySelector(`svg.${b.dataset.png}`) as SVGSVGElement | null;
          if (svg) download(`footfall-${b.dataset.png}.png`, await svgToPng(svg, CSS.replaceAll('.ff ', '')));
        });
      }
    } catch (e) {
      if (!gone()) ctx.showState(body, 'error', (e as Error).message);
    }
  };

  const setRange = (p: { from: string; to: string }) => {
    fromIn.value = localDate(Date.parse(p.from), tz);
    toIn.value = localDate(Date.parse(p.to) - 1, tz);
  };

  const start = async () => {
    ctx.showState(body, 'loading');
    try {
      const r = await ctx.fetchJson<{ timezone: string; sensors: Sensor[] }>('/api/v1/footfall/sensors');
      if (gone()) return;
      tz = r.timezone;
      sensors = r.sensors.filter((s) => s.last !== null);
      if (!sensors.length) {
        ctx.showState(body, 'empty', t('noSensor'));
        return;
      }
      $('sensors').innerHTML = `<b>${esc(t('sensors'))}</b> ${sensors
        .map(
          (s, i) =>
            `<label><input type="checkbox" value="${esc(s.id)}" ${i === 0 ? 'checked' : ''}/> ${esc(s.name)}</label>`,
        )
        .join('')}`;
      // The shell's period when it spans at least a week, else the last 8 weeks of the sensors' data.
      const span = ctx.period.from && ctx.period.to ? Date.parse(ctx.period.to) - Date.parse(ctx.period.from) : 0;
      const last = Math.max(...sensors.map((s) => s.last as number));
      setRange(
        span >= 7 * 86_400_000
          ? ctx.period
          : { from: new Date(last - 56 * 86_400_000).toISOString(), to: new Date(last).toISOString() },
      );
      const ev = await ctx.fetchJson<Events>('/api/v1/footfall/events', { from: fromIn.value, to: toIn.value });
      const intervention = ev.events.find((e) => e.kind === 'intervention');
      dateIn.value = intervention?.from ?? '';
      await load();
    } catch (e) {
      if (!gone()) ctx.showState(body, 'error', (e as Error).message);
    }
  };
  $('apply').addEventListener('click', () => void load());
  $('sensors').addEventListener('change', () => void load());
  const life = viewLifecycle(el, ctx, (p) => {
    setRange(p);
    void load();
  });
  const gone = () => life.state.disposed;
  void start();
  return life.handle;
}

export const footfallView: DashboardView = {
  id: 'footfall',
  title: { fr: 'Fréquentation', en: 'Footfall' },
  roles: ['planner'],
  strings: STRINGS,
  mount,
};
