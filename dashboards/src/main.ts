/**
 * Passage dashboard shell: navigation by role (the view registry, ./views/registry.ts, with the views of
 * ./views/extra.ts), the API key (a refused key is forgotten and the public view shown), FR/EN, and the planner's
 * OD view: a period (with an optional comparison period), steps within it, the stored OD mode groups, labelled and
 * clickable zones (incoming/outgoing flows, totals, shares by origin), a legend with a width scale fixed over the
 * period, a matrix, flow clustering by zoom, a shareable URL, PNG/CSV export of what is shown. The data officer's
 * open-data view is ./views/opendata.ts; the junction view stays here. Data shaping lives in ./shape (tested).
 */
import './style.css';
import { Api, ApiError } from './api.ts';
import { formats, type Lang, plural, translator } from './i18n.ts';
import {
  buildClusterIndex,
  CITY_ZOOM,
  type ClusterIndex,
  type ClusterLevel,
  type ClusterMarker,
  clusterCentroids,
  clusterFlows,
  clusterMarkers,
  clusterNames,
  clusterTooltip,
  levelAt,
} from './shape/cluster.ts';
import { type Arc, arcTooltip, buckets, type OdFlow, type Site, toArcs, zoneCentroids } from './shape/od.ts';
import { change, flowsAt, flowsCsv, odMatrix, stepMax, totalFlow, zoneSummary } from './shape/planner.ts';
import { sumByTime } from './shape/series.ts';
import { fromLocalInput, STEP_MS, toLocalInput } from './shape/time.ts';
import { type TurningMovements, turningCsv } from './shape/turning.ts';
import { makeContext, showState, userMessage } from './shell.ts';
import { extraViews } from './views/extra.ts';
import { FlowMap } from './views/map.ts';
import { openDataView } from './views/opendata.ts';
import { type DashboardView, type DashRole, viewsFor } from './views/registry.ts';
import { chartSvg, turningSvg } from './views/svg.ts';

interface Extent {
  from: number | null;
  to: number | null;
  od: { from: number; to: number } | null;
  odModes?: string[];
  k: number;
  scenarios: { name: string; timezone: string; origin: { lon: number; lat: number } }[];
}

const $ = <T extends HTMLElement = HTMLElement>(sel: string) => document.querySelector(sel) as T;
const esc = (s: string) => s.replace(/[&<>"]/g, (c) => `&#${c.charCodeAt(0)};`);
const MOTOR = ['motorcycle', 'car', 'van', 'truck', 'bus'];
const LIVE_ROLES: DashRole[] = ['planner', 'traffic', 'admin'];
/** Roles that see sensor health (GET /api/v1/sensors/health) beside the counts. */
const HEALTH_ROLES: DashRole[] = ['traffic', 'admin'];

interface SensorHealthRow {
  sensorId: string;
  siteId: string;
  name: string;
  intervals: number;
  gapIntervals: number;
  status: 'ok' | 'gaps' | 'silent' | 'faulty';
  events: { kind: string; from: number; to: number }[];
}

/** View state read from / written to the URL hash (shareable link; never the key). */
function readHash(): URLSearchParams {
  const h = new URLSearchParams(location.hash.replace(/^#/, ''));
  const key = h.get('key');
  if (key) {
    localStorage.setItem('passage.key', key);
    h.delete('key');
    history.replaceState(null, '', `${location.pathname}${location.search}${h.size ? `#${h}` : ''}`);
  }
  return h;
}
const hash = readHash();

const state = {
  lang: (hash.get('lang') ??
    localStorage.getItem('passage.lang') ??
    (navigator.language.startsWith('fr') ? 'fr' : 'en')) as Lang,
  tab: hash.get('v') ?? '',
  role: 'public' as DashRole,
  extent: null as Extent | null,
  timezone: 'Europe/Paris',
  sites: [] as Site[],
  names: new Map<string, string>(),
  zones: [] as Site[],
  /** The chosen period (ms) and its steps. */
  period: { from: 0, to: 0 },
  compare: null as { from: number; to: number } | null,
  interval: (hash.get('i') ?? '') as '' | '15m' | '1h' | '1d',
  buckets: [] as { start: number; end: number }[],
  /** 0 = the whole period; i ≥ 1 = step i - 1. */
  step: Number(hash.get('s') ?? 0) || 0,
  group: hash.get('g') ?? 'all',
  odView: (hash.get('m') === 'matrix' ? 'matrix' : 'map') as 'map' | 'matrix',
  zone: hash.get('z'),
  minFlow: Number(hash.get('min') ?? 0) || 0,
  /** Flows of the period (every step), as the API sent them; `cmpFlows` those of the comparison period. */
  flows: [] as OdFlow[],
  cmpFlows: null as OdFlow[] | null,
  suppressed: 0,
  scaleMax: 0,
  shown: [] as OdFlow[],
  // Clustering is on unless switched off (`c=0` in the link, or the checkbox remembered in the browser).
  cluster: (hash.get('c') ?? localStorage.getItem('passage.cluster')) !== '0',
  clusterIndex: null as ClusterIndex | null,
  clusterLevel: null as ClusterLevel | null,
  odNames: new Map<string, string>(),
  zoom: CITY_ZOOM,
  odSeq: 0,
  odState: 'loading' as 'loading' | 'ready' | 'empty' | 'error',
  odError: '',
  playing: undefined as number | undefined,
  selectedSite: null as Site | null,
  tm: null as TurningMovements | null,
  liveAbort: undefined as AbortController | undefined,
  liveMinute: null as null | { minute: number; total: number },
};
const api = new Api(localStorage.getItem('passage.key') ?? '');
// The first request with the key goes alone (whoami); if it is refused, the others leave without it (api.ts).
api.onKeyRefused = () => {
  localStorage.removeItem('passage.key');
  document.body.dataset.keyRefused = '1';
  const n = $('#notice');
  n.dataset.i18n = 'badKeyDropped';
  n.textContent = t('badKeyDropped');
  n.hidden = false;
};
let t = translator(state.lang);
let f = formats(state.lang, state.timezone);
let map: FlowMap | undefined;
let odRequests = 0;
let firstOdDrawn = false;
let odDraws = 0;
const periodListeners = new Set<(p: { from: string; to: string }) => void>();
const views: DashboardView[] = [openDataView, ...extraViews];
let mounted: { view: DashboardView; el: HTMLElement; handle: ReturnType<DashboardView['mount']> } | null = null;

const iso = (ms: number) => new Date(ms).toISOString();
const num = (v: number) => f.number(v, v >= 100 ? 0 : 1);
const pct = (v: number) => f.number(v * 100, 1) + '\u202f%';
const signedPct = (v: number | null) => (v === null ? '–' : `${v > 0 ? '+' : v < 0 ? '−' : '±'}${pct(Math.abs(v))}`);
const zoneName = (id: string) => state.names.get(id) ?? id;
const keyed = () => state.role !== 'public';
/** "Label: value" with the language's punctuation (French: no-break space before the colon). */
const lv = (label: string, value: string) => (state.lang === 'fr' ? `${label}\u00a0: ${value}` : `${label}: ${value}`);

function writeHash(): void {
  const h = new URLSearchParams();
  h.set('v', state.tab || 'map');
  h.set('lang', state.lang);
  if (state.period.from) {
    h.set('from', iso(state.period.from));
    h.set('to', iso(state.period.to));
  }
  if (state.compare) {
    h.set('cf', iso(state.compare.from));
    h.set('ct', iso(state.compare.to));
  }
  if (state.interval) h.set('i', state.interval);
  h.set('g', state.group);
  if (state.step) h.set('s', String(state.step));
  if (state.zone) h.set('z', state.zone);
  if (state.odView === 'matrix') h.set('m', 'matrix');
  if (state.minFlow) h.set('min', String(state.minFlow));
  h.set('c', state.cluster ? '1' : '0');
  history.replaceState(null, '', `${location.pathname}${location.search}#${h}`);
}

// ---------------------------------------------------------------- navigation and roles

const TABS: { id: string; key: string; roles: DashRole[] }[] = [
  { id: 'map', key: 'tabMap', roles: ['public', 'planner', 'traffic', 'data-officer', 'admin'] },
  { id: 'intersection', key: 'tabIntersection', roles: ['planner', 'traffic', 'admin'] },
];

function renderNav(): void {
  const own = TABS.filter((x) => x.roles.includes(state.role)).map(
    (x) => `<button type="button" data-tab="${x.id}">${esc(t(x.key))}</button>`,
  );
  const reg = viewsFor(views, state.role).map(
    (v) => `<button type="button" data-tab="x:${v.id}">${esc(v.title[state.lang])}</button>`,
  );
  $('#nav').innerHTML = [...own, ...reg].join('');
  for (const el of document.querySelectorAll<HTMLElement>('#nav [data-tab]')) {
    el.classList.toggle('active', el.dataset.tab === state.tab);
    el.addEventListener('click', () => setTab(el.dataset.tab as string));
  }
}

/** The landing view of a role: junctions for traffic engineers, open data for data officers, else the OD map. */
function landing(): string {
  const allowed = new Set([
    ...TABS.filter((x) => x.roles.includes(state.role)).map((x) => x.id),
    ...viewsFor(views, state.role).map((v) => `x:${v.id}`),
  ]);
  if (state.tab && allowed.has(state.tab)) return state.tab;
  if (state.role === 'traffic') {
    const junction = viewsFor(extraViews, 'traffic').find((v) => /signal|junction|carrefour/i.test(v.id));
    return junction ? `x:${junction.id}` : 'intersection';
  }
  if (state.role === 'data-officer') return `x:${openDataView.id}`;
  return 'map';
}

function mountView(id: string): void {
  mounted?.handle.unmount();
  mounted = null;
  const view = views.find((v) => v.id === id);
  const el = $('#view-extra');
  el.innerHTML = '';
  if (!view) return;
  if (!viewsFor([view], state.role).length) {
    showState(el, 'error', t('viewNotAllowed'), state.lang);
    return;
  }
  const ctx = makeContext(
    view,
    {
      lang: state.lang,
      role: state.role,
      timezone: state.timezone,
      period: { from: iso(state.period.from), to: iso(state.period.to) },
    },
    api,
    (cb) => {
      periodListeners.add(cb);
      return () => periodListeners.delete(cb);
    },
  );
  mounted = { view, el, handle: view.mount(el, ctx) };
}

function setTab(tab: string): void {
  state.tab = tab;
  for (const el of document.querySelectorAll<HTMLElement>('#nav [data-tab]'))
    el.classList.toggle('active', el.dataset.tab === tab);
  const section = tab.startsWith('x:') ? 'view-extra' : `view-${tab}`;
  for (const el of document.querySelectorAll<HTMLElement>('section.view')) el.hidden = el.id !== section;
  document.body.dataset.tab = tab;
  if (tab.startsWith('x:')) mountView(tab.slice(2));
  else if (mounted) {
    mounted.handle.unmount();
    mounted = null;
  }
  if (tab === 'intersection') void loadTurning();
  writeHash();
}

/** The key's role; a refused key is forgotten (never kept in the browser) and the public view is shown. */
async function resolveRole(): Promise<void> {
  try {
    state.role = (await api.get<{ role: DashRole }>('/api/v1/whoami')).role;
  } catch {
    state.role = 'public';
  }
  document.body.dataset.role = state.role;
  $<HTMLInputElement>('#key').value = api.key;
}

// ---------------------------------------------------------------- i18n

function applyI18n(): void {
  document.documentElement.lang = state.lang;
  document.title = t('title');
  for (const el of document.querySelectorAll<HTMLElement>('[data-i18n]')) el.textContent = t(el.dataset.i18n as string);
  for (const el of document.querySelectorAll<HTMLElement>('[data-i18n-title]'))
    el.title = t(el.dataset.i18nTitle as string);
  for (const el of document.querySelectorAll<HTMLElement>('[data-i18n-placeholder]'))
    (el as HTMLInputElement).placeholder = t(el.dataset.i18nPlaceholder as string);
  $('#lang').textContent = state.lang === 'fr' ? 'EN' : 'FR';
  $('#lang').title = state.lang === 'fr' ? 'English' : 'Français';
  $('#role').textContent = lv(t('role'), t(`role${state.role[0].toUpperCase()}${state.role.slice(1)}`));
  renderNav();
  renderPeriod();
  renderGroups();
  renderSlider();
  renderLive();
  renderOd();
  renderSiteList();
  if (state.selectedSite) void showSite(state.selectedSite);
  if (state.tab === 'intersection') renderTurning();
  if (mounted) {
    if (mounted.handle.setLang) mounted.handle.setLang(state.lang);
    else mountView(mounted.view.id);
  }
}

// ---------------------------------------------------------------- period, steps, groups

function renderPeriod(): void {
  const tz = state.timezone;
  if (state.period.from) {
    $<HTMLInputElement>('#p-from').value = toLocalInput(state.period.from, tz);
    $<HTMLInputElement>('#p-to').value = toLocalInput(state.period.to, tz);
  }
  const cmp = $<HTMLInputElement>('#cmp-on');
  cmp.checked = state.compare !== null;
  $('#cmp-box').hidden = state.compare === null;
  if (state.compare) {
    $<HTMLInputElement>('#c-from').value = toLocalInput(state.compare.from, tz);
    $<HTMLInputElement>('#c-to').value = toLocalInput(state.compare.to, tz);
  }
  const iv = $<HTMLSelectElement>('#p-interval');
  const opts = keyed() ? ['15m', '1h', '1d'] : ['1h', '1d'];
  iv.innerHTML = opts.map((o) => `<option value="${o}">${esc(t(`iv${o}`))}</option>`).join('');
  iv.value = state.interval;
  $('#tz-note').textContent = t('timesIn', { tz });
}

/** Options of the OD mode selector: the stored mode groups, or "all modes" and each stored mode. */
function groupOptions(): string[] {
  const stored = state.extent?.odModes ?? [];
  const groups = stored.filter((m) => m === 'all' || m === 'motor');
  if (groups.length) return groups;
  return ['all', ...stored.filter((m) => m !== 'all')];
}

function groupLabel(g: string): string {
  const stored = state.extent?.odModes ?? [];
  if (g === 'all') return t(stored.includes('all') ? 'groupAll' : 'allModes');
  if (g === 'motor') return t('groupMotor');
  return t(g);
}

function renderGroups(): void {
  const opts = groupOptions();
  // Before the extent is known the URL's group stays; after, a group the store does not hold falls back to the first.
  if (state.extent && !opts.includes(state.group)) state.group = opts[0] ?? 'all';
  $('#od-group').innerHTML = opts.map((g) => `<option value="${g}">${esc(groupLabel(g))}</option>`).join('');
  $<HTMLSelectElement>('#od-group').value = state.group;
}

/** The `modes` parameter of the OD request for a group (the API reads the stored group it maps to). */
function modesParam(g: string): string | undefined {
  if (g === 'all') return undefined;
  if (g === 'motor') return MOTOR.join(',');
  return g;
}

function stepLabel(): string {
  const b = state.buckets[state.step - 1];
  const span = b ?? { start: state.period.from, end: state.period.to };
  const day = f.date(span.start);
  const whole = state.step === 0 ? `${t('wholePeriod')} · ` : '';
  return `${whole}${day} ${f.time(span.start)}–${f.time(span.end)}`;
}

function renderSlider(): void {
  const s = $<HTMLInputElement>('#slider');
  s.max = String(state.buckets.length);
  s.value = String(state.step);
  $('#time-label').textContent = state.period.from ? stepLabel() : '–';
  $('#play').textContent = state.playing ? t('pause') : t('play');
}

function setPeriod(from: number, to: number, notify = true): void {
  state.period = { from, to };
  const iv = state.interval || (keyed() ? '1h' : '1h');
  state.buckets = buckets(from, to, STEP_MS[iv]);
  if (state.step > state.buckets.length) state.step = 0;
  if (notify) for (const cb of periodListeners) cb({ from: iso(from), to: iso(to) });
}

// ---------------------------------------------------------------- OD

function showOdState(kind: 'loading' | 'empty' | 'error' | 'ready', message?: string): void {
  state.odState = kind;
  const el = $('#map-state');
  document.body.dataset.odState = kind;
  if (kind === 'ready') {
    el.hidden = true;
    el.innerHTML = '';
    delete el.dataset.state;
    return;
  }
  el.hidden = false;
  showState(el, kind, message, state.lang);
}

/** Requests the period's flows (and the comparison's): one request per period, steps are shaped in the browser. */
async function refreshOd(): Promise<void> {
  if (!state.period.from) return;
  const seq = ++state.odSeq;
  // Nothing stale under a new period or group: the arcs go, the loading state shows until the new ones are drawn.
  state.flows = [];
  state.cmpFlows = null;
  state.shown = [];
  map?.update({ arcs: [], clusters: [] });
  document.body.dataset.arcs = '0';
  showOdState('loading');
  renderStats();
  odRequests++;
  document.body.dataset.odRequests = String(odRequests);
  document.body.dataset.odPending = '1';
  const req = (p: { from: number; to: number }) =>
    api.get<{ flows: OdFlow[]; suppressedCells: number }>('/api/v1/od', {
      from: iso(p.from),
      to: iso(p.to),
      interval: state.interval || '1h',
      modes: modesParam(state.group),
    });
  try {
    const [r, c] = await Promise.all([req(state.period), state.compare ? req(state.compare) : null]);
    if (seq !== state.odSeq) return;
    state.flows = r.flows;
    state.suppressed = r.suppressedCells;
    state.cmpFlows = c ? c.flows : null;
    state.scaleMax = stepMax(r.flows);
    state.odError = '';
    if (r.flows.length === 0) showOdState('empty', t('odEmpty'));
    else showOdState('ready');
    drawOd();
  } catch (e) {
    if (seq !== state.odSeq) return;
    state.odError = userMessage(e, state.lang);
    showOdState('error', state.odError);
    document.body.dataset.odPending = '0';
    document.body.dataset.odError = e instanceof ApiError ? e.code : 'PASSAGE_NETWORK';
    renderStats();
  }
}

/** The flows the view shows: the step (or the whole period), the zone's when one is selected, at least minFlow. */
function currentFlows(): OdFlow[] {
  const step = state.buckets[state.step - 1];
  return flowsAt(state.flows, step ? Math.floor(step.start / 1000) * 1000 : undefined);
}

function drawOd(): void {
  if (!map) return;
  const all = currentFlows().filter((x) => x.expanded >= state.minFlow);
  const shown = state.zone ? all.filter((x) => x.origin === state.zone || x.destination === state.zone) : all;
  state.shown = shown;
  // Widths: fixed over the period (largest step flow) when stepping; the largest total for the whole period.
  const maxFlow = state.step === 0 ? stepMax(all) : state.scaleMax;
  let arcs: Arc[];
  let markers: ClusterMarker[] = [];
  const level = state.cluster && state.clusterIndex && !state.zone ? levelAt(state.clusterIndex, state.zoom) : null;
  state.clusterLevel = level;
  if (level) {
    // Period totals keep the `t` of each pair's first cell: one `t` for all, else a cluster pair splits into arcs.
    const t0 = shown[0]?.t ?? 0;
    const { flows, internal } = clusterFlows(state.step === 0 ? shown.map((x) => ({ ...x, t: t0 })) : shown, level);
    state.odNames = clusterNames(level, state.names);
    arcs = toArcs(flows, clusterCentroids(level), { maxFlow: Math.max(maxFlow, stepMax(flows)) });
    markers = clusterMarkers(level, internal, state.odNames);
    document.body.dataset.clusters = String(level.clusters.length);
  } else {
    state.odNames = state.names;
    arcs = toArcs(shown, zoneCentroids(state.sites), { maxFlow });
    delete document.body.dataset.clusters;
  }
  // Zones left alone by the clustering stay labelled and clickable; merged ones are drawn as their cluster's disc.
  const zones = state.zones
    .filter((z) => !level || level.clusterOf.get(z.id) === z.id)
    .map((z) => ({ id: z.id, name: z.name, lon: z.lon, lat: z.lat }));
  map.update({ arcs, clusters: markers, zones, selectedZone: state.zone });
  document.body.dataset.arcs = String(arcs.length);
  renderOd();
}

function renderLegend(): void {
  const max = state.step === 0 ? stepMax(state.shown) : state.scaleMax;
  const el = $('#legend');
  if (!state.flows.length) {
    el.hidden = true;
    return;
  }
  el.hidden = false;
  el.innerHTML = `<div class="legend-title">${esc(t('legendTitle'))}</div>
    <div class="legend-grad"><span>${esc(t('legendOrigin'))}</span><i></i><span>${esc(t('legendDestination'))}</span></div>
    <div class="legend-w"><b style="height:1px"></b> ${esc(num(0))} <b style="height:14px"></b> <span id="legend-max">${esc(num(max))}</span></div>
    <div class="muted">${esc(t(state.step === 0 ? 'legendScaleTotal' : 'legendScaleFixed'))}</div>`;
}

function renderStats(): void {
  const el = $('#od-stats');
  if (state.odState === 'error') {
    el.textContent = state.odError;
    return;
  }
  if (state.odState === 'loading') {
    el.textContent = t('loading');
    return;
  }
  const total = totalFlow(state.shown);
  el.dataset.total = String(total);
  const parts = [
    lv(t('totalTrips'), num(total)),
    plural(state.lang, 'nFlows', state.shown.length, f.number(state.shown.length)),
    plural(state.lang, 'nHidden', state.suppressed, f.number(state.suppressed)),
  ];
  if (state.cluster && state.clusterLevel)
    parts.push(
      plural(state.lang, 'nClusters', state.clusterLevel.clusters.length, String(state.clusterLevel.clusters.length)),
    );
  if (state.cmpFlows) {
    const before = totalFlow(compareFlows());
    parts.push(t('vsCompare', { n: num(before), p: signedPct(change(total, before)) }));
  }
  el.textContent = parts.join(' · ');
}

/** The comparison period's flows matching what is shown (whole comparison period, same zone selection). */
function compareFlows(): OdFlow[] {
  const all = flowsAt(state.cmpFlows ?? [], undefined).filter((x) => x.expanded >= state.minFlow);
  return state.zone ? all.filter((x) => x.origin === state.zone || x.destination === state.zone) : all;
}

function renderZonePanel(): void {
  const el = $('#zone-panel');
  if (!state.zone || state.odState !== 'ready') {
    el.innerHTML = `<p class="muted">${esc(t('clickZone'))}</p>`;
    return;
  }
  const s = zoneSummary(state.shown, state.zone);
  const c = state.cmpFlows ? zoneSummary(compareFlows(), state.zone) : null;
  const delta = (now: number, before: number | undefined) =>
    c ? ` <span class="delta">(${esc(signedPct(change(now, before ?? 0)))})</span>` : '';
  const rows = (list: typeof s.byOrigin, cls: string) =>
    list.length
      ? `<table class="${cls}"><tbody>${list
          .map(
            (x) =>
              `<tr data-zone="${esc(x.zone)}"><td class="name">${esc(zoneName(x.zone))}</td><td>${esc(num(x.flow))}</td><td>${esc(pct(x.share))}</td></tr>`,
          )
          .join('')}</tbody></table>`
      : `<p class="muted">${esc(t('noData'))}</p>`;
  el.innerHTML = `<h3>${esc(zoneName(state.zone))} <button type="button" id="zone-clear">${esc(t('clearZone'))}</button></h3>
    <p>${esc(lv(t('zoneIn'), ''))}<b id="zone-in">${esc(num(s.incoming))}</b>${delta(s.incoming, c?.incoming)}
    · ${esc(lv(t('zoneOut'), ''))}<b id="zone-out">${esc(num(s.outgoing))}</b>${delta(s.outgoing, c?.outgoing)}</p>
    <h4>${esc(t('byOrigin'))}</h4>${rows(s.byOrigin, 'by-origin')}
    <h4>${esc(t('byDestination'))}</h4>${rows(s.byDestination, 'by-destination')}`;
  $('#zone-clear').addEventListener('click', () => selectZone(null));
}

function renderMatrix(): void {
  const el = $('#matrix');
  el.hidden = state.odView !== 'matrix';
  if (state.odView !== 'matrix') return;
  if (state.odState !== 'ready') {
    el.innerHTML = '';
    return;
  }
  const ids = state.zones.map((z) => z.id);
  const m = odMatrix(
    currentFlows().filter((x) => x.expanded >= state.minFlow),
    ids,
  );
  const head = ids.map((z) => `<th scope="col">${esc(zoneName(z))}</th>`).join('');
  const body = m.cells
    .map(
      (r, i) =>
        `<tr${ids[i] === state.zone ? ' class="sel"' : ''}><th scope="row">${esc(zoneName(ids[i]))}</th>${r
          .map((c) => `<td>${c === null ? '<span class="muted">·</span>' : esc(num(c))}</td>`)
          .join('')}<td class="tot">${esc(num(m.rowTotals[i]))}</td></tr>`,
    )
    .join('');
  el.innerHTML = `<div class="table-wrap"><table id="od-matrix"><caption>${esc(t('matrixCaption'))} — ${esc(stepLabel())}</caption>
    <thead><tr><th>${esc(t('matrixCorner'))}</th>${head}<th>${esc(t('total'))}</th></tr></thead><tbody>${body}</tbody>
    <tfoot><tr><th>${esc(t('total'))}</th>${m.colTotals.map((c) => `<td class="tot">${esc(num(c))}</td>`).join('')}<td class="tot" id="matrix-total">${esc(num(m.total))}</td></tr></tfoot></table></div>
    <p class="muted">${esc(t('matrixNote'))}</p>`;
}

function renderOd(): void {
  renderStats();
  renderLegend();
  renderZonePanel();
  renderMatrix();
  for (const el of document.querySelectorAll<HTMLInputElement>('input[name="od-view"]'))
    el.checked = el.value === state.odView;
}

function selectZone(zone: string | null): void {
  if (zone === state.zone) return;
  state.zone = zone;
  writeHash();
  drawOd();
}

function onZoom(zoom: number): void {
  state.zoom = zoom;
  document.body.dataset.zoom = zoom.toFixed(2);
  if (!state.cluster || !state.clusterIndex) return;
  if (levelAt(state.clusterIndex, zoom) !== state.clusterLevel) drawOd();
}

function download(name: string, href: string): void {
  const a = document.createElement('a');
  a.href = href;
  a.download = name;
  document.body.append(a);
  a.click();
  a.remove();
}

function exportCsv(): void {
  const step = state.buckets[state.step - 1];
  const span = step ? { from: step.start, to: step.end } : state.period;
  const csv = flowsCsv(state.shown, state.names, span, { excel: state.lang === 'fr' });
  const url = URL.createObjectURL(new Blob([csv], { type: 'text/csv;charset=utf-8' }));
  download(`passage-od-${state.group}-${iso(span.from).slice(0, 13)}.csv`, url);
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}

async function exportPng(): Promise<void> {
  if (!map) return;
  const png = await map.snapshot();
  download(`passage-od-${state.group}-${iso(state.period.from).slice(0, 13)}.png`, png);
}

// ---------------------------------------------------------------- sites and junctions

function renderSiteList(): void {
  $('#site-list').innerHTML = state.sites
    .filter((s) => s.kind !== 'zone')
    .map((s) => `<option value="${esc(s.name)}"></option>`)
    .join('');
}

async function showSite(s: Site): Promise<void> {
  state.selectedSite = s;
  const panel = $('#site-panel');
  const ext = state.extent;
  if (!ext?.from || !ext.to) return;
  const interval = keyed() ? '15m' : '1h';
  panel.innerHTML = `<h3>${esc(s.name)}</h3><p class="muted">${esc(t('siteChart', { iv: t(`iv${interval}`) }))}</p><div id="site-chart"></div>`;
  const box = $('#site-chart');
  showState(box, 'loading', undefined, state.lang);
  // Sensor health where the counts are shown (traffic engineers): the counters of this site over the period.
  const health =
    s.kind !== 'intersection' && HEALTH_ROLES.includes(state.role)
      ? api
          .get<{ sensors: SensorHealthRow[] }>('/api/v1/sensors/health', {
            from: iso(state.period.from),
            to: iso(state.period.to),
          })
          .then((r) => r.sensors.filter((x) => x.siteId === s.id))
          .catch(() => null)
      : Promise.resolve(null);
  try {
    const range = { from: iso(state.period.from), to: iso(state.period.to), interval };
    let rows: { t: number; count: number | null }[];
    if (s.kind === 'intersection') {
      const r = await api.get<{ rows: { t: number; direction: string; count: number | null }[] }>(
        '/api/v1/line-counts',
        { site: s.id, ...range },
      );
      rows = r.rows.filter((x) => x.direction === 'in');
    } else {
      rows = (
        await api.get<{ rows: { t: number; count: number | null }[] }>('/api/v1/sensors/counts', {
          site: s.id,
          ...range,
        })
      ).rows;
    }
    if (state.selectedSite !== s) return;
    const pts = sumByTime(rows);
    const total = pts.reduce((a, p) => a + (p.v ?? 0), 0);
    if (!pts.length) showState(box, 'empty', undefined, state.lang);
    else {
      delete box.dataset.state;
      box.innerHTML = `${chartSvg(pts, { width: 300, height: 150, label: f.time })}<p>${esc(t('chartUnit'))}</p><p>${esc(lv(t('total'), ''))}<b>${esc(num(total))}</b></p>`;
    }
    const sensors = await health;
    if (sensors?.length && state.selectedSite === s) box.insertAdjacentHTML('beforeend', healthHtml(sensors));
  } catch (e) {
    showState(box, 'error', userMessage(e, state.lang), state.lang);
  }
}

/** One line per counter of a site: its status, intervals without a report, flagged spans (local times). */
function healthHtml(sensors: SensorHealthRow[]): string {
  const rank = { ok: 0, gaps: 1, silent: 2, faulty: 3 } as const;
  const worst = sensors.reduce((w, x) => (rank[x.status] > rank[w] ? x.status : w), 'ok' as SensorHealthRow['status']);
  const items = sensors
    .map((x) => {
      const parts = [t(`health_${x.status}`)];
      if (x.gapIntervals > 0)
        parts.push(t('healthGaps', { n: f.number(x.gapIntervals), total: f.number(x.intervals) }));
      if (x.events.length)
        parts.push(t('healthEvents', { spans: x.events.map((e) => `${f.time(e.from)}–${f.time(e.to)}`).join(', ') }));
      return `<li data-sensor="${esc(x.sensorId)}" data-status="${x.status}" data-gaps="${x.gapIntervals}">${esc(
        lv(x.name, parts.join(' · ')),
      )}</li>`;
    })
    .join('');
  return `<div id="site-health" data-status="${worst}" class="${worst === 'ok' ? '' : 'warn'}"><b>${esc(
    t('sensorHealth'),
  )}</b><ul>${items}</ul></div>`;
}

function renderTurning(): void {
  const out = $('#tm-out');
  const tm = state.tm;
  if (!tm) return;
  if (tm.movements.length === 0) {
    showState(out, 'empty', undefined, state.lang);
    return;
  }
  delete out.dataset.state;
  const ph = tm.peakHour;
  const head = tm.movements.map((m) => `<th>${m.fromArm.toUpperCase()}→${m.toArm.toUpperCase()}</th>`).join('');
  const body = tm.intervals
    .map((iv) => {
      const peak = ph && iv.start >= ph.start && iv.start < ph.end ? ' class="peak"' : '';
      return `<tr${peak}><td>${f.time(iv.start)}</td>${iv.counts.map((c) => `<td>${f.number(c)}</td>`).join('')}<td><b>${f.number(iv.total)}</b></td></tr>`;
    })
    .join('');
  out.innerHTML = `<div class="tm-grid"><div>${turningSvg(tm)}</div><div>
    <p>${esc(lv(t('peakHour'), ''))}<b>${ph ? `${f.time(ph.start)}–${f.time(ph.end)} (${f.number(ph.volume)})` : '–'}</b></p>
    <p>${esc(lv(t('phf'), ''))}<b id="phf" data-value="${ph ? ph.phf.toFixed(2) : ''}">${ph ? f.number(ph.phf, 2) : '–'}</b></p>
    <button id="tm-csv">${esc(t('downloadCsv'))}</button></div></div>
    <div class="table-wrap"><table id="tm-table"><thead><tr><th>${esc(t('time'))}</th>${head}<th>${esc(t('total'))}</th></tr></thead><tbody>${body}</tbody></table></div>`;
  $('#tm-csv').addEventListener('click', () => {
    const url = URL.createObjectURL(new Blob([turningCsv(tm)], { type: 'text/csv' }));
    download(`turning-movements-${tm.site}.csv`, url);
    setTimeout(() => URL.revokeObjectURL(url), 1000);
  });
}

async function loadTurning(): Promise<void> {
  const site = $<HTMLSelectElement>('#tm-site').value;
  const out = $('#tm-out');
  if (!keyed()) {
    showState(out, 'error', t('needKey'), state.lang);
    return;
  }
  if (!site || !state.period.from) {
    showState(out, 'empty', undefined, state.lang);
    return;
  }
  state.tm = null;
  showState(out, 'loading', undefined, state.lang);
  try {
    const tm = await api.get<TurningMovements>('/api/v1/turning-movements', {
      site,
      from: iso(state.period.from),
      to: iso(state.period.to),
    });
    if ($<HTMLSelectElement>('#tm-site').value !== site) return;
    state.tm = tm;
    renderTurning();
  } catch (e) {
    showState(out, 'error', userMessage(e, state.lang), state.lang);
  }
}

// ---------------------------------------------------------------- live

function renderLive(): void {
  const label = $('#live');
  if (!api.key || !LIVE_ROLES.includes(state.role)) label.textContent = lv(t('live'), t('liveOff'));
  else if (state.liveMinute)
    label.textContent = `${t('live')} ${f.time(state.liveMinute.minute)} · ${num(state.liveMinute.total)}`;
  else label.textContent = lv(t('live'), '–');
}

function startLive(): void {
  state.liveAbort?.abort();
  state.liveAbort = undefined;
  renderLive();
  if (!api.key || !LIVE_ROLES.includes(state.role)) return;
  const ctrl = new AbortController();
  state.liveAbort = ctrl;
  api
    .stream(
      '/api/v1/live',
      (event, data) => {
        if (event !== 'minute') return;
        const m = JSON.parse(data) as { minute: number; sites: { siteId: string; count: number }[] };
        state.liveMinute = { minute: m.minute, total: m.sites.reduce((a, s) => a + s.count, 0) };
        renderLive();
        document.body.dataset.liveMinute = String(m.minute);
        map?.update({ liveSites: new Set(m.sites.map((s) => s.siteId)) });
      },
      ctrl.signal,
    )
    .catch(() => {
      if (!ctrl.signal.aborted) {
        state.liveMinute = null;
        renderLive();
      }
    });
}

// ---------------------------------------------------------------- start

/** Where the map opens before the extent is known (Châteaudun). */
const DEFAULT_ORIGIN = { lon: 1.4875, lat: 48.4477 };

/** The flow map, made as soon as the UI config says which base map to draw (centred once the extent is known). */
function createMap(ui: { mapStyleUrl: string | null }): Promise<FlowMap> {
  // A phone shows the whole town: one zoom level out.
  if ($('#map').clientWidth < 700) state.zoom = 13.7;
  return FlowMap.create({
    parent: $('#map'),
    center: [DEFAULT_ORIGIN.lon, DEFAULT_ORIGIN.lat],
    zoom: state.zoom,
    styleUrl: ui.mapStyleUrl,
    onSiteClick: (s) => void showSite(s),
    onZoneClick: (z) => selectZone(z),
    tooltip: ({ arc, site, cluster, zone }) =>
      arc
        ? arcTooltip(arc, state.odNames, t, num)
        : cluster
          ? clusterTooltip(cluster, state.names, t, num)
          : zone
            ? `${zone.name}\n${t('clickZoneShort')}`
            : site
              ? `${site.name}\n${lv(t('volume'), site.volume === null || site.volume === undefined ? '–' : num(site.volume))}`
              : null,
    onZoom,
    onOdDrawn: (n) => {
      if (state.odState === 'loading') return;
      document.body.dataset.odDrawn = String(n);
      document.body.dataset.odDraws = String(++odDraws);
      document.body.dataset.odPending = '0';
      if (n > 0 && !firstOdDrawn) {
        firstOdDrawn = true;
        performance.mark('passage:od-drawn');
      }
    },
  });
}

async function main(): Promise<void> {
  $<HTMLInputElement>('#key').value = api.key;
  applyI18n();
  showOdState('loading');
  // Everything the first OD map needs is asked at once: role, extent, sites, base map.
  const role = resolveRole();
  // The same for every role: asked without the key, so the map is not held by the key check.
  const uiConfig = api
    .get<{ mapStyleUrl: string | null }>('/api/v1/ui-config', {}, { anonymous: true })
    .catch(() => ({ mapStyleUrl: null }));
  // The map (WebGL context, shader compilation: ~1–2 s with software rendering) is made while the data is asked.
  const mapMade = uiConfig.then(createMap);
  // With a stored key these wait for whoami's answer (one request per load carries a key that may be refused).
  const [extent, sitesRes, basemap, ui] = await Promise.all([
    api.get<Extent>('/api/v1/extent'),
    api.get<{ sites: Site[] }>('/api/v1/sites'),
    api.get<unknown>('/api/v1/basemap'),
    uiConfig,
  ] as const);
  await role;
  state.extent = extent;
  state.timezone = extent.scenarios[0]?.timezone ?? 'Europe/Paris';
  f = formats(state.lang, state.timezone);
  state.sites = sitesRes.sites;
  state.zones = sitesRes.sites.filter((s) => s.kind === 'zone');
  state.names = new Map(sitesRes.sites.map((s) => [s.id, s.name]));
  if (!keyed() && state.interval === '15m') state.interval = '1h';
  if (!state.interval) state.interval = '1h';
  const span = extent.od ?? (extent.from !== null && extent.to !== null ? { from: extent.from, to: extent.to } : null);
  const hf = Date.parse(hash.get('from') ?? '');
  const ht = Date.parse(hash.get('to') ?? '');
  if (hf < ht) setPeriod(hf, ht, false);
  else if (span) setPeriod(span.from, span.to, false);
  const cf = Date.parse(hash.get('cf') ?? '');
  const ct = Date.parse(hash.get('ct') ?? '');
  if (cf < ct) state.compare = { from: cf, to: ct };
  state.tab = landing();
  setTab(state.tab);
  // The first OD request leaves now, while the map is being created (it only needs the period).
  const firstOd = span ? refreshOd() : Promise.resolve();
  const origin =
    extent.scenarios[0]?.origin ??
    (state.sites[0] ? { lon: state.sites[0].lon, lat: state.sites[0].lat } : DEFAULT_ORIGIN);
  state.clusterIndex = buildClusterIndex(state.zones.map((s) => ({ id: s.id, lon: s.lon, lat: s.lat })));
  $('.note').dataset.i18n = ui.mapStyleUrl ? 'basemapNoteStyle' : 'basemapNote';
  map = await mapMade;
  map.recenter([origin.lon, origin.lat]);
  document.body.dataset.zoom = state.zoom.toFixed(2);
  document.body.dataset.baseMap = map.baseMap;
  map.update({ sites: state.sites, basemap });
  applyI18n();
  if (!span) {
    showOdState('empty', t('storeEmpty'));
    document.body.dataset.odPending = '0';
    // No arcs to draw first: the base map is drawn at once.
    map.update({ arcs: [] });
  } else {
    await firstOd;
    if (state.odState === 'ready' || state.odState === 'empty') drawOd();
    else map.update({ arcs: [], clusters: [] });
  }
  // Not needed for the first map: site volumes of the period, communes, live updates.
  if (span)
    api
      .get<{ sites: Site[] }>('/api/v1/sites', { from: iso(state.period.from), to: iso(state.period.to) })
      .then((r) => {
        state.sites = r.sites;
        map?.update({ sites: r.sites });
      })
      .catch(() => {});
  api
    .get<unknown>('/api/v1/basemap/communes')
    .then((communes) => map?.update({ communes }))
    .catch(() => {});
  $('#tm-site').innerHTML = state.sites
    .filter((s) => s.kind === 'intersection')
    .map((s) => `<option value="${esc(s.id)}">${esc(s.name)}</option>`)
    .join('');
  if (state.tab === 'intersection') void loadTurning();
  startLive();
}

function applyPeriodInputs(): void {
  const tz = state.timezone;
  const from = fromLocalInput($<HTMLInputElement>('#p-from').value, tz);
  const to = fromLocalInput($<HTMLInputElement>('#p-to').value, tz);
  const err = $('#period-error');
  if (!(from < to)) {
    err.textContent = t('badPeriod');
    err.hidden = false;
    return;
  }
  err.hidden = true;
  if ($<HTMLInputElement>('#cmp-on').checked) {
    const cf = fromLocalInput($<HTMLInputElement>('#c-from').value, tz);
    const ct = fromLocalInput($<HTMLInputElement>('#c-to').value, tz);
    state.compare = cf < ct ? { from: cf, to: ct } : { from: from - (to - from), to: from };
  } else state.compare = null;
  state.interval = $<HTMLSelectElement>('#p-interval').value as typeof state.interval;
  state.step = 0;
  setPeriod(from, to);
  renderPeriod();
  renderSlider();
  writeHash();
  void refreshOd();
  if (state.selectedSite) void showSite(state.selectedSite);
  if (state.tab === 'intersection') void loadTurning();
}

function wire(): void {
  $('#slider').addEventListener('input', (e) => {
    state.step = Number((e.target as HTMLInputElement).value);
    renderSlider();
    writeHash();
    drawOd();
  });
  $('#play').addEventListener('click', () => {
    if (state.playing) {
      clearInterval(state.playing);
      state.playing = undefined;
    } else {
      state.playing = window.setInterval(() => {
        state.step = (state.step % state.buckets.length) + 1;
        renderSlider();
        drawOd();
      }, 1200);
    }
    renderSlider();
  });
  $('#period-form').addEventListener('submit', (e) => {
    e.preventDefault();
    applyPeriodInputs();
  });
  $('#cmp-on').addEventListener('change', () => {
    const on = $<HTMLInputElement>('#cmp-on').checked;
    $('#cmp-box').hidden = !on;
    if (on && !$<HTMLInputElement>('#c-from').value) {
      const len = state.period.to - state.period.from;
      $<HTMLInputElement>('#c-from').value = toLocalInput(state.period.from - len, state.timezone);
      $<HTMLInputElement>('#c-to').value = toLocalInput(state.period.from, state.timezone);
    }
  });
  $('#od-group').addEventListener('change', (e) => {
    state.group = (e.target as HTMLSelectElement).value;
    writeHash();
    void refreshOd();
  });
  $('#min-flow').addEventListener('change', (e) => {
    state.minFlow = Math.max(0, Number((e.target as HTMLInputElement).value) || 0);
    writeHash();
    drawOd();
  });
  for (const el of document.querySelectorAll<HTMLInputElement>('input[name="od-view"]'))
    el.addEventListener('change', () => {
      state.odView = el.value as 'map' | 'matrix';
      writeHash();
      renderMatrix();
    });
  const cluster = $<HTMLInputElement>('#cluster');
  cluster.checked = state.cluster;
  cluster.addEventListener('change', () => {
    state.cluster = cluster.checked;
    localStorage.setItem('passage.cluster', state.cluster ? '1' : '0');
    writeHash();
    drawOd();
  });
  $('#export-csv').addEventListener('click', exportCsv);
  $('#export-png').addEventListener('click', () => void exportPng());
  $('#share').addEventListener('click', () => {
    writeHash();
    const url = location.href;
    $<HTMLInputElement>('#share-url').value = url;
    $('#share-url').hidden = false;
    void navigator.clipboard?.writeText(url).catch(() => {});
    $('#share-note').textContent = t('linkReady');
  });
  $('#site-search').addEventListener('change', (e) => {
    const name = (e.target as HTMLInputElement).value.trim().toLowerCase();
    const s = state.sites.find((x) => x.kind !== 'zone' && x.name.toLowerCase() === name);
    if (s) void showSite(s);
  });
  $('#lang').addEventListener('click', () => {
    state.lang = state.lang === 'fr' ? 'en' : 'fr';
    localStorage.setItem('passage.lang', state.lang);
    t = translator(state.lang);
    f = formats(state.lang, state.timezone);
    if (state.odState === 'error' && state.odError) void refreshOd();
    applyI18n();
    writeHash();
  });
  $('#key-form').addEventListener('submit', (e) => {
    e.preventDefault();
    const key = $<HTMLInputElement>('#key').value.trim();
    if (key) localStorage.setItem('passage.key', key);
    else localStorage.removeItem('passage.key');
    location.reload();
  });
  $('#tm-site').addEventListener('change', () => void loadTurning());
}

wire();
main().catch((e) => {
  document.body.dataset.error = e instanceof ApiError ? e.code : String((e as Error).message);
  showOdState('error', userMessage(e, state.lang));
  document.body.dataset.odPending = '0';
});
