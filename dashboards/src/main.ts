/**
 * Passage dashboard: OD flow map (time slider, play, modes, minimum flow), site counts, junction turning
 * movements, open-data exports; French / English; live updates over SSE when an API key is given. Flows can be
 * clustered by zoom (zones merged when close on screen). The base map is offline GeoJSON, or a MapLibre style when
 * the API's `api.mapStyleUrl` is set (GET /api/v1/ui-config). Data shaping lives in ./shape (tested), drawing in
 * ./views.
 */
import './style.css';
import { Api, ApiError } from './api.ts';
import { clock, type Lang, translator } from './i18n.ts';
import {
  buildClusterIndex,
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
import { type Arc, arcTooltip, buckets, MODES, type OdFlow, type Site, toArcs, zoneCentroids } from './shape/od.ts';
import { sumByTime } from './shape/series.ts';
import { type TurningMovements, turningCsv } from './shape/turning.ts';
import { makeContext } from './shell.ts';
import { extraViews } from './views/extra.ts';
import { FlowMap } from './views/map.ts';
import { type DashboardView, type DashRole, viewsFor } from './views/registry.ts';
import { chartSvg, turningSvg } from './views/svg.ts';

interface Extent {
  from: number | null;
  to: number | null;
  od: { from: number; to: number } | null;
  k: number;
  scenarios: { name: string; timezone: string; origin: { lon: number; lat: number } }[];
}

const $ = <T extends HTMLElement = HTMLElement>(sel: string) => document.querySelector(sel) as T;

function initialKey(): string {
  const m = /(?:^#|&)key=([^&]+)/.exec(location.hash);
  if (m) {
    const k = decodeURIComponent(m[1]);
    localStorage.setItem('passage.key', k);
    history.replaceState(null, '', location.pathname + location.search);
    return k;
  }
  return localStorage.getItem('passage.key') ?? '';
}

const state = {
  lang: (localStorage.getItem('passage.lang') ?? (navigator.language.startsWith('fr') ? 'fr' : 'en')) as Lang,
  tab: 'map' as string,
  role: 'public' as DashRole,
  period: { from: '', to: '' },
  extent: null as Extent | null,
  timezone: 'Europe/Paris',
  sites: [] as Site[],
  names: new Map<string, string>(),
  interval: '1h' as '15m' | '1h',
  buckets: [] as { start: number; end: number }[],
  index: 0,
  modes: new Set<string>(MODES),
  minFlow: 0,
  lastOd: { flows: 0, hidden: 0, arcs: [] as Arc[] },
  /** Zone-to-zone flows of the shown bucket, as the API sent them (re-shaped on zoom when clustering). */
  rawFlows: [] as OdFlow[],
  cluster: localStorage.getItem('passage.cluster') === '1',
  clusterIndex: null as ClusterIndex | null,
  clusterLevel: null as ClusterLevel | null,
  /** Display names of zones and of the clusters of the current level. */
  odNames: new Map<string, string>(),
  zoom: 14.6,
  odSeq: 0,
  playing: undefined as number | undefined,
  selectedSite: null as Site | null,
  tm: null as TurningMovements | null,
  liveAbort: undefined as AbortController | undefined,
  liveSites: new Set<string>(),
};
const api = new Api(initialKey());
let t = translator(state.lang);
let map: FlowMap | undefined;
let odRequests = 0;
let firstOdDrawn = false;
let odDraws = 0;

function fmtTime(ts: number): string {
  return clock(ts, state.timezone, state.lang);
}

function applyI18n(): void {
  document.documentElement.lang = state.lang;
  document.title = t('title');
  for (const el of document.querySelectorAll<HTMLElement>('[data-i18n]')) el.textContent = t(el.dataset.i18n as string);
  for (const el of document.querySelectorAll<HTMLElement>('[data-i18n-title]'))
    el.title = t(el.dataset.i18nTitle as string);
  $('#lang').textContent = state.lang === 'fr' ? 'EN' : 'FR';
  renderModes();
  renderSlider();
  renderStats();
  if (state.selectedSite) void showSite(state.selectedSite);
  if (state.tab === 'intersection') renderTurning();
  if (state.tab === 'exports') void renderExports();
}

function renderModes(): void {
  $('#modes').innerHTML = MODES.map(
    (m) =>
      `<label><input type="checkbox" name="mode" value="${m}" ${state.modes.has(m) ? 'checked' : ''}/> ${t(m)}</label>`,
  ).join('');
}

function renderSlider(): void {
  const s = $<HTMLInputElement>('#slider');
  s.max = String(Math.max(0, state.buckets.length - 1));
  s.value = String(state.index);
  const b = state.buckets[state.index];
  $('#time-label').textContent = b ? `${fmtTime(b.start)}–${fmtTime(b.end)} (${state.interval})` : '–';
  $('#play').textContent = state.playing ? t('pause') : t('play');
}

function renderStats(): void {
  const clusters =
    state.cluster && state.clusterLevel ? ` · ${state.clusterLevel.clusters.length} ${t('clusters')}` : '';
  $('#od-stats').textContent =
    `${state.lastOd.arcs.length} ${t('flows')} · ${state.lastOd.hidden} ${t('hidden')}${clusters}`;
}

/** Arcs (and cluster discs) of the current flows at the current zoom, clustered or not; hands them to the map. */
function drawOd(): void {
  if (!map) return;
  let arcs: Arc[];
  let markers: ClusterMarker[] = [];
  const level = state.cluster && state.clusterIndex ? levelAt(state.clusterIndex, state.zoom) : null;
  state.clusterLevel = level;
  if (level) {
    const { flows, internal } = clusterFlows(state.rawFlows, level);
    state.odNames = clusterNames(level, state.names);
    arcs = toArcs(flows, clusterCentroids(level), { minFlow: state.minFlow });
    markers = clusterMarkers(level, internal, state.odNames);
    document.body.dataset.clusters = String(level.clusters.length);
  } else {
    state.odNames = state.names;
    arcs = toArcs(state.rawFlows, zoneCentroids(state.sites), { minFlow: state.minFlow });
    delete document.body.dataset.clusters;
  }
  state.lastOd = { ...state.lastOd, arcs };
  map.update({ arcs, clusters: markers });
  renderStats();
}

function onZoom(zoom: number): void {
  state.zoom = zoom;
  document.body.dataset.zoom = zoom.toFixed(2);
  if (!state.cluster || !state.clusterIndex) return;
  // Re-shape only when the zoom crosses into another cluster level (no new request).
  if (levelAt(state.clusterIndex, zoom) !== state.clusterLevel) drawOd();
}

async function refreshOd(): Promise<void> {
  const b = state.buckets[state.index];
  if (!b || !map) return;
  const seq = ++state.odSeq;
  const modes = state.modes.size === MODES.length ? undefined : [...state.modes].join(',');
  if (state.modes.size === 0) {
    state.rawFlows = [];
    state.lastOd = { flows: 0, hidden: 0, arcs: [] };
    drawOd();
    return;
  }
  odRequests++;
  document.body.dataset.odRequests = String(odRequests);
  document.body.dataset.odPending = '1';
  try {
    const r = await api.get<{ flows: OdFlow[]; suppressedCells: number }>('/api/v1/od', {
      from: new Date(b.start).toISOString(),
      to: new Date(b.end).toISOString(),
      interval: state.interval,
      modes,
      minFlow: state.minFlow || undefined,
    });
    if (seq !== state.odSeq) return;
    state.rawFlows = r.flows;
    state.lastOd = { flows: r.flows.length, hidden: r.suppressedCells, arcs: [] };
    drawOd();
  } catch (e) {
    $('#od-stats').textContent = (e as Error).message;
    document.body.dataset.odPending = '0';
  }
}

async function showSite(s: Site): Promise<void> {
  state.selectedSite = s;
  const panel = $('#site-panel');
  const ext = state.extent;
  if (!ext?.from || !ext.to) return;
  const interval = api.key ? '15m' : '1h';
  panel.innerHTML = `<h3>${s.name}</h3><p class="muted">${t('siteChart')} (${interval})</p><div id="site-chart">…</div>`;
  try {
    const range = { from: new Date(ext.from).toISOString(), to: new Date(ext.to).toISOString(), interval };
    let rows: { t: number; count: number | null }[];
    if (s.kind === 'intersection') {
      const r = await api.get<{ rows: { t: number; direction: string; count: number | null }[] }>(
        '/api/v1/line-counts',
        {
          site: s.id,
          ...range,
        },
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
    const pts = sumByTime(rows);
    const total = pts.reduce((a, p) => a + (p.v ?? 0), 0);
    $('#site-chart').innerHTML = pts.length
      ? `${chartSvg(pts, { width: 320, height: 160, label: fmtTime })}<p>${t('total')}: ${Math.round(total)}</p>`
      : `<p>${t('noData')}</p>`;
  } catch (e) {
    $('#site-chart').textContent = (e as Error).message;
  }
}

function renderTurning(): void {
  const out = $('#tm-out');
  const tm = state.tm;
  if (!tm) return;
  if (tm.movements.length === 0) {
    out.innerHTML = `<p>${t('noData')}</p>`;
    return;
  }
  const ph = tm.peakHour;
  const head = tm.movements.map((m) => `<th>${m.fromArm.toUpperCase()}→${m.toArm.toUpperCase()}</th>`).join('');
  const body = tm.intervals
    .map((iv) => {
      const peak = ph && iv.start >= ph.start && iv.start < ph.end ? ' class="peak"' : '';
      return `<tr${peak}><td>${fmtTime(iv.start)}</td>${iv.counts.map((c) => `<td>${c}</td>`).join('')}<td><b>${iv.total}</b></td></tr>`;
    })
    .join('');
  out.innerHTML = `<div class="tm-grid"><div>${turningSvg(tm)}</div><div>
    <p>${t('peakHour')}: <b>${ph ? `${fmtTime(ph.start)}–${fmtTime(ph.end)} (${ph.volume})` : '–'}</b></p>
    <p>${t('phf')}: <b id="phf">${ph ? ph.phf.toFixed(2) : '–'}</b></p>
    <button id="tm-csv">${t('downloadCsv')}</button></div></div>
    <div class="table-wrap"><table id="tm-table"><thead><tr><th>${t('time')}</th>${head}<th>${t('total')}</th></tr></thead><tbody>${body}</tbody></table></div>`;
  $('#tm-csv').addEventListener('click', () => {
    const blob = new Blob([turningCsv(tm)], { type: 'text/csv' });
    const a = document.createElement('a');
    a.href = URL.createObjectURL(blob);
    a.download = `turning-movements-${tm.site}.csv`;
    document.body.append(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(a.href), 1000);
  });
}

async function loadTurning(): Promise<void> {
  const site = $<HTMLSelectElement>('#tm-site').value;
  const ext = state.extent;
  const out = $('#tm-out');
  if (!api.key) {
    out.innerHTML = `<p class="warn">${t('needKey')}</p>`;
    return;
  }
  if (!site || !ext?.from || !ext.to) return;
  out.textContent = '…';
  try {
    state.tm = await api.get<TurningMovements>('/api/v1/turning-movements', {
      site,
      from: new Date(ext.from).toISOString(),
      to: new Date(ext.to).toISOString(),
    });
    renderTurning();
  } catch (e) {
    out.innerHTML = `<p class="warn">${e instanceof ApiError && e.status < 500 ? t('needKey') : ''} ${(e as Error).message}</p>`;
  }
}

async function renderExports(): Promise<void> {
  const ext = state.extent;
  const box = $('#exports-list');
  try {
    const r = await api.get<{ k: number; datasets: { name: string; title: string; formats: string[] }[] }>(
      '/api/v1/exports',
    );
    const from = ext?.from ? new Date(ext.from).toISOString() : '';
    const to = ext?.to ? new Date(ext.to).toISOString() : '';
    box.innerHTML = `<p>k = ${r.k}</p><ul>${r.datasets
      .map(
        (d) =>
          `<li><b>${d.title}</b> ${d.formats
            .map(
              (f) =>
                `<a class="export" href="${api.url(`/api/v1/exports/${d.name}`, { from, to, format: f })}">${f}</a>`,
            )
            .join(' ')}</li>`,
      )
      .join('')}</ul>`;
  } catch (e) {
    box.textContent = (e as Error).message;
  }
}

const periodListeners = new Set<(p: { from: string; to: string }) => void>();
let mounted: { view: DashboardView; handle: ReturnType<DashboardView['mount']> } | null = null;

/** Navigation buttons of the registry's views this role may open. */
function renderExtraNav(): void {
  $('#extra-nav').innerHTML = viewsFor(extraViews, state.role)
    .map((v) => `<button type="button" data-view="${v.id}">${v.title[state.lang]}</button>`)
    .join('');
  for (const el of document.querySelectorAll<HTMLElement>('[data-view]')) {
    el.classList.toggle('active', state.tab === `x:${el.dataset.view}`);
    el.addEventListener('click', () => setTab(`x:${el.dataset.view}`));
  }
}

function mountExtra(id: string): void {
  mounted?.handle.unmount();
  mounted = null;
  const view = extraViews.find((v) => v.id === id);
  const el = $('#view-extra');
  el.innerHTML = '';
  if (!view) return;
  const ctx = makeContext(view, { ...state }, api, (cb) => {
    periodListeners.add(cb);
    return () => periodListeners.delete(cb);
  });
  mounted = { view, handle: view.mount(el, ctx) };
}

function setTab(tab: string): void {
  state.tab = tab;
  const extra = tab.startsWith('x:');
  if (!extra && mounted) {
    mounted.handle.unmount();
    mounted = null;
  }
  for (const el of document.querySelectorAll<HTMLElement>('[data-view]'))
    el.classList.toggle('active', tab === `x:${el.dataset.view}`);
  if (extra) {
    for (const el of document.querySelectorAll<HTMLElement>('[data-tab]')) el.classList.remove('active');
    for (const el of document.querySelectorAll<HTMLElement>('section.view')) el.hidden = el.id !== 'view-extra';
    mountExtra(tab.slice(2));
    return;
  }
  for (const el of document.querySelectorAll<HTMLElement>('[data-tab]'))
    el.classList.toggle('active', el.dataset.tab === tab);
  for (const el of document.querySelectorAll<HTMLElement>('section.view')) el.hidden = el.id !== `view-${tab}`;
  if (tab === 'intersection') void loadTurning();
  if (tab === 'exports') void renderExports();
}

function togglePlay(): void {
  if (state.playing) {
    clearInterval(state.playing);
    state.playing = undefined;
  } else {
    state.playing = window.setInterval(() => {
      state.index = (state.index + 1) % Math.max(1, state.buckets.length);
      renderSlider();
      void refreshOd();
    }, 1500);
  }
  renderSlider();
}

function startLive(): void {
  state.liveAbort?.abort();
  state.liveAbort = undefined;
  const label = $('#live');
  if (!api.key) {
    label.textContent = `${t('live')}: ${t('liveOff')}`;
    return;
  }
  const ctrl = new AbortController();
  state.liveAbort = ctrl;
  api
    .stream(
      '/api/v1/live',
      (event, data) => {
        if (event !== 'minute') return;
        const m = JSON.parse(data) as { minute: number; sites: { siteId: string; count: number }[] };
        state.liveSites = new Set(m.sites.map((s) => s.siteId));
        const total = m.sites.reduce((a, s) => a + s.count, 0);
        label.textContent = `${t('live')} ${fmtTime(m.minute)} · ${Math.round(total)}`;
        document.body.dataset.liveMinute = String(m.minute);
        map?.update({ liveSites: state.liveSites });
      },
      ctrl.signal,
    )
    .catch(() => {
      if (!ctrl.signal.aborted) label.textContent = `${t('live')}: –`;
    });
}

/** The key's role; a refused key is forgotten (never kept in the browser) and the public view is shown. */
async function resolveRole(): Promise<void> {
  try {
    const r = await api.get<{ role: DashRole }>('/api/v1/whoami');
    state.role = r.role;
  } catch (e) {
    if (e instanceof ApiError && (e.code === 'PASSAGE_BAD_KEY' || e.code === 'PASSAGE_AUTH_RATE_LIMITED')) {
      api.key = '';
      localStorage.removeItem('passage.key');
      $('#key').setAttribute('value', '');
      ($('#key') as HTMLInputElement).value = '';
      document.body.dataset.keyRefused = '1';
      $('#notice').dataset.i18n = 'badKeyDropped';
      $('#notice').textContent = t('badKeyDropped');
      $('#notice').hidden = false;
    }
    state.role = 'public';
  }
  document.body.dataset.role = state.role;
}

async function main(): Promise<void> {
  $('#key').setAttribute('value', api.key);
  await resolveRole();
  renderExtraNav();
  const [extent, sitesRes, basemap, ui] = await Promise.all([
    api.get<Extent>('/api/v1/extent'),
    api.get<{ sites: Site[] }>('/api/v1/sites'),
    api.get<unknown>('/api/v1/basemap'),
    // An API without the route (older version) means no map style: the offline base map.
    api.get<{ mapStyleUrl: string | null }>('/api/v1/ui-config').catch(() => ({ mapStyleUrl: null })),
  ]);
  state.extent = extent;
  state.timezone = extent.scenarios[0]?.timezone ?? 'Europe/Paris';
  state.sites = sitesRes.sites;
  state.names = new Map(sitesRes.sites.map((s) => [s.id, s.name]));
  state.interval = api.key ? '15m' : '1h';
  if (extent.from !== null && extent.to !== null) {
    const span = extent.od ?? { from: extent.from, to: extent.to };
    state.buckets = buckets(span.from, span.to, state.interval === '15m' ? 900_000 : 3_600_000);
    const withVol = await api.get<{ sites: Site[] }>('/api/v1/sites', {
      from: new Date(extent.from).toISOString(),
      to: new Date(extent.to).toISOString(),
    });
    state.sites = withVol.sites;
  }
  const origin = extent.scenarios[0]?.origin ?? {
    lon: state.sites[0]?.lon ?? 1.4875,
    lat: state.sites[0]?.lat ?? 48.4477,
  };
  state.clusterIndex = buildClusterIndex(
    state.sites.filter((s) => s.kind === 'zone').map((s) => ({ id: s.id, lon: s.lon, lat: s.lat })),
  );
  const note = $('.note');
  note.dataset.i18n = ui.mapStyleUrl ? 'basemapNoteStyle' : 'basemapNote';
  map = await FlowMap.create({
    parent: $('#map'),
    center: [origin.lon, origin.lat],
    zoom: state.zoom,
    styleUrl: ui.mapStyleUrl,
    onSiteClick: (s) => void showSite(s),
    tooltip: ({ arc, site, cluster }) =>
      arc
        ? arcTooltip(arc, state.odNames, t)
        : cluster
          ? clusterTooltip(cluster, state.names, t)
          : site
            ? `${site.name}\n${t('volume')}: ${site.volume ?? '–'}`
            : null,
    onZoom,
    onOdDrawn: (n) => {
      document.body.dataset.odDrawn = String(n);
      document.body.dataset.odDraws = String(++odDraws);
      document.body.dataset.odPending = '0';
      if (n > 0 && !firstOdDrawn) {
        firstOdDrawn = true;
        performance.mark('passage:od-drawn');
      }
    },
  });
  document.body.dataset.zoom = state.zoom.toFixed(2);
  document.body.dataset.baseMap = map.baseMap;
  map.update({ sites: state.sites, basemap });
  api
    .get<unknown>('/api/v1/basemap/communes')
    .then((communes) => map?.update({ communes }))
    .catch(() => {});
  $('#tm-site').innerHTML = state.sites
    .filter((s) => s.kind === 'intersection')
    .map((s) => `<option value="${s.id}">${s.name}</option>`)
    .join('');
  applyI18n();
  await refreshOd();
  startLive();
}

function wire(): void {
  $('#slider').addEventListener('input', (e) => {
    state.index = Number((e.target as HTMLInputElement).value);
    renderSlider();
    void refreshOd();
  });
  $('#play').addEventListener('click', togglePlay);
  $('#modes').addEventListener('change', (e) => {
    const el = e.target as HTMLInputElement;
    if (el.checked) state.modes.add(el.value);
    else state.modes.delete(el.value);
    void refreshOd();
  });
  $('#min-flow').addEventListener('change', (e) => {
    state.minFlow = Math.max(0, Number((e.target as HTMLInputElement).value) || 0);
    void refreshOd();
  });
  const cluster = $<HTMLInputElement>('#cluster');
  cluster.checked = state.cluster;
  cluster.addEventListener('change', () => {
    state.cluster = cluster.checked;
    localStorage.setItem('passage.cluster', state.cluster ? '1' : '0');
    drawOd();
  });
  $('#lang').addEventListener('click', () => {
    state.lang = state.lang === 'fr' ? 'en' : 'fr';
    localStorage.setItem('passage.lang', state.lang);
    t = translator(state.lang);
    applyI18n();
    renderExtraNav();
    if (mounted) {
      if (mounted.handle.setLang) mounted.handle.setLang(state.lang);
      else mountExtra(mounted.view.id);
    }
  });
  $('#key').addEventListener('change', (e) => {
    api.key = (e.target as HTMLInputElement).value.trim();
    if (api.key) localStorage.setItem('passage.key', api.key);
    else localStorage.removeItem('passage.key');
    location.reload();
  });
  for (const el of document.querySelectorAll<HTMLElement>('[data-tab]')) {
    el.addEventListener('click', () => setTab(el.dataset.tab as string));
  }
  $('#tm-site').addEventListener('change', () => void loadTurning());
}

wire();
main().catch((e) => {
  document.body.dataset.error = (e as Error).message;
  $('#od-stats').textContent = (e as Error).message;
});
