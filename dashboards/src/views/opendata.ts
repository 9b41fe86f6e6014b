/**
 * The data officer's open-data view (a registry view, open to everyone): period and interval, a preview of each
 * export with its row count and its suppressed / gap cells, the per-file disclosure report, each dataset's metadata
 * (licence, producer, schema and version, update frequency), the DCAT catalogue, and CSV options (`;` with decimal
 * commas and a UTF-8 BOM for French spreadsheets). Times are UTC, as in the files.
 */
import type { DashboardView, Lang, ViewContext } from './registry.ts';

interface ExportsList {
  k: number;
  rule: string;
  licence: string;
  licenceUrl: string;
  producer: string;
  producerFr: string;
  datasets: {
    name: string;
    title: string;
    titleFr: string;
    formats: string[];
    schema: string;
    schemaVersion: string;
    updateFrequency: string;
  }[];
}
interface FileReport {
  dataset: string;
  file: string;
  rows: number;
  suppressedCells: number;
  gapCells: number;
}
interface Preview extends FileReport {
  columns: string[];
  preview: (string | number | boolean | null)[][];
}

const esc = (s: string) => s.replace(/[&<>"]/g, (c) => `&#${c.charCodeAt(0)};`);
const utcInput = (iso: string) => (iso ? new Date(iso).toISOString().slice(0, 16) : '');
const fromUtcInput = (v: string) => (/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}$/.test(v) ? new Date(`${v}:00Z`) : null);

const strings: Record<Lang, Record<string, string>> = {
  en: {
    odIntro:
      'Open data under the {licence}: k-anonymous aggregates, hourly or coarser. Counting data follows the national counting schema (transport.data.gouv.fr).',
    odK: 'Privacy rule: a cell resting on fewer than k = {k} travellers is withheld (k-anonymity); zero counts are published.',
    odPeriod: 'Period (UTC, as in the files)',
    odInterval: 'Interval',
    odDataset: 'Dataset',
    odExcel: 'Spreadsheet CSV: separator “;”, decimal comma, UTF-8 BOM (Excel in French)',
    odPreview: 'Preview',
    odReport: 'Disclosure report',
    odCatalog: 'Catalogue (DCAT, JSON-LD)',
    odRows: '{rows} rows · {sup} cells suppressed (below k) · {gap} gaps (no data measured)',
    odFirst: 'First {n} rows of {file}',
    odFile: 'File',
    odRowsCol: 'Rows',
    odSupCol: 'Suppressed (below k)',
    odGapCol: 'Gaps (no data)',
    odMeta: 'Datasets',
    odTitle: 'Dataset',
    odFormats: 'Download',
    odSchema: 'Schema (version)',
    odFreq: 'Update frequency',
    odLicence: 'Licence',
    odProducer: 'Producer',
    freq_hourly: 'hourly (continuous)',
    freq_irregular: 'when sites change',
    odEmptyCell: 'empty count: suppressed (below k) or gap, see the report',
    odBadPeriod: 'The end of the period must be after its start.',
    i1h: '1 hour',
    i1d: '1 day',
  },
  fr: {
    odIntro:
      'Données ouvertes sous {licence} : agrégats k-anonymes, à l’heure ou plus grossiers. Les comptages suivent le schéma national de comptage des mobilités (transport.data.gouv.fr).',
    odK: 'Règle de confidentialité : une cellule reposant sur moins de k = {k} voyageurs est retirée (k-anonymat) ; les comptes nuls sont publiés.',
    odPeriod: 'Période (UTC, comme dans les fichiers)',
    odInterval: 'Pas de temps',
    odDataset: 'Jeu de données',
    odExcel: 'CSV pour tableur : séparateur « ; », virgule décimale, BOM UTF-8 (Excel en français)',
    odPreview: 'Aperçu',
    odReport: 'Rapport de diffusion',
    odCatalog: 'Catalogue (DCAT, JSON-LD)',
    odRows: '{rows} lignes · {sup} cellules retirées (sous k) · {gap} lacunes (aucune mesure)',
    odFirst: '{n} premières lignes de {file}',
    odFile: 'Fichier',
    odRowsCol: 'Lignes',
    odSupCol: 'Retirées (sous k)',
    odGapCol: 'Lacunes (aucune mesure)',
    odMeta: 'Jeux de données',
    odTitle: 'Jeu de données',
    odFormats: 'Télécharger',
    odSchema: 'Schéma (version)',
    odFreq: 'Fréquence de mise à jour',
    odLicence: 'Licence',
    odProducer: 'Producteur',
    freq_hourly: 'horaire (en continu)',
    freq_irregular: 'quand les sites changent',
    odEmptyCell: 'compte vide : retiré (sous k) ou lacune, voir le rapport',
    odBadPeriod: 'La fin de la période doit être après son début.',
    i1h: '1 heure',
    i1d: '1 jour',
  },
};

export const openDataView: DashboardView = {
  id: 'opendata',
  title: { en: 'Open data', fr: 'Données ouvertes' },
  roles: ['public', 'planner', 'traffic', 'data-officer', 'admin'],
  strings,
  mount(el: HTMLElement, ctx: ViewContext) {
    const t = ctx.t;
    const colon = ctx.lang === 'fr' ? '\u00a0: ' : ': ';
    let list: ExportsList | null = null;
    let period = { ...ctx.period };
    let seq = 0;
    el.innerHTML = `<div class="opendata">
      <p id="od-intro"></p><p id="od-k" class="muted"></p>
      <form id="od-form" class="box">
        <div class="row wrap"><b>${esc(t('odPeriod'))}</b>
          <label><span>${esc(t('periodFrom'))}</span> <input id="od-from" type="datetime-local" /></label>
          <label><span>${esc(t('periodTo'))}</span> <input id="od-to" type="datetime-local" /></label>
          <label><span>${esc(t('odInterval'))}</span> <select id="od-interval"><option value="1h">${esc(t('i1h'))}</option><option value="1d">${esc(t('i1d'))}</option></select></label></div>
        <div class="row wrap"><label><span>${esc(t('odDataset'))}</span> <select id="od-dataset"></select></label>
          <label><input id="od-excel" type="checkbox" ${ctx.lang === 'fr' ? 'checked' : ''}/> <span>${esc(t('odExcel'))}</span></label></div>
        <div class="row wrap"><button type="submit" id="od-preview-btn">${esc(t('odPreview'))}</button>
          <button type="button" id="od-report-btn">${esc(t('odReport'))}</button>
          <a id="od-catalog" href="/api/v1/catalog" target="_blank" rel="noopener">${esc(t('odCatalog'))}</a>
          <span id="od-error" class="warn" role="alert" hidden></span></div>
      </form>
      <div id="od-out"></div>
      <h3>${esc(t('odMeta'))}</h3>
      <div id="od-meta"></div>
    </div>`;
    const $ = <T extends HTMLElement = HTMLElement>(s: string) => el.querySelector(s) as T;
    $<HTMLInputElement>('#od-from').value = utcInput(period.from);
    $<HTMLInputElement>('#od-to').value = utcInput(period.to);

    const params = () => ({ from: period.from, to: period.to, interval: $<HTMLSelectElement>('#od-interval').value });
    const downloadHref = (name: string, format: string) => {
      const q = new URLSearchParams({ ...params(), format });
      if (format === 'csv' && $<HTMLInputElement>('#od-excel').checked) {
        q.set('sep', ';');
        q.set('bom', 'true');
      }
      return `/api/v1/exports/${name}?${q}`;
    };

    const renderMeta = () => {
      const box = $('#od-meta');
      if (!list) return;
      $('#od-intro').textContent = t('odIntro', { licence: list.licence });
      $('#od-k').textContent = t('odK', { k: list.k });
      const sel = $<HTMLSelectElement>('#od-dataset');
      const current = sel.value;
      sel.innerHTML = list.datasets
        .map((d) => `<option value="${esc(d.name)}">${esc(ctx.lang === 'fr' ? d.titleFr : d.title)}</option>`)
        .join('');
      if (current) sel.value = current;
      const rows = list.datasets
        .map(
          (
            d,
          ) => `<tr data-dataset="${esc(d.name)}"><td class="name">${esc(ctx.lang === 'fr' ? d.titleFr : d.title)}</td>
          <td>${d.formats.map((f) => `<a class="export" data-format="${f}" href="${esc(downloadHref(d.name, f))}">${f.toUpperCase()}</a>`).join(' ')}</td>
          <td class="name">${esc(d.schema)} (${esc(d.schemaVersion)})</td><td class="name">${esc(t(`freq_${d.updateFrequency}`))}</td></tr>`,
        )
        .join('');
      box.innerHTML = `<div class="table-wrap"><table id="od-datasets"><thead><tr><th>${esc(t('odTitle'))}</th><th>${esc(t('odFormats'))}</th><th>${esc(t('odSchema'))}</th><th>${esc(t('odFreq'))}</th></tr></thead><tbody>${rows}</tbody></table></div>
        <p>${esc(t('odLicence'))}${colon}<a href="${esc(list.licenceUrl)}" target="_blank" rel="noopener">${esc(list.licence)}</a> · ${esc(t('odProducer'))}${colon}<span>${esc(ctx.lang === 'fr' ? list.producerFr : list.producer)}</span></p>`;
    };

    const load = async () => {
      const box = $('#od-meta');
      ctx.showState(box, 'loading');
      try {
        list = await ctx.fetchJson<ExportsList>('/api/v1/exports');
        delete box.dataset.state;
        renderMeta();
      } catch (e) {
        ctx.showState(box, 'error', (e as Error).message);
      }
    };

    const readPeriod = (): boolean => {
      const from = fromUtcInput($<HTMLInputElement>('#od-from').value);
      const to = fromUtcInput($<HTMLInputElement>('#od-to').value);
      const err = $('#od-error');
      if (!from || !to || from >= to) {
        err.textContent = t('odBadPeriod');
        err.hidden = false;
        return false;
      }
      err.hidden = true;
      period = { from: from.toISOString(), to: to.toISOString() };
      renderMeta();
      return true;
    };

    const cell = (v: string | number | boolean | null) =>
      v === null || v === ''
        ? `<td class="empty" title="${esc(t('odEmptyCell'))}">∅</td>`
        : `<td>${esc(typeof v === 'number' ? ctx.fmt.number(v, 3) : String(v))}</td>`;

    const preview = async () => {
      if (!readPeriod()) return;
      const out = $('#od-out');
      const my = ++seq;
      ctx.showState(out, 'loading');
      try {
        const name = $<HTMLSelectElement>('#od-dataset').value;
        const p = await ctx.fetchJson<Preview>(`/api/v1/exports/${name}/preview`, params());
        if (my !== seq) return;
        delete out.dataset.state;
        if (p.rows === 0) {
          ctx.showState(out, 'empty');
          return;
        }
        out.innerHTML = `<p id="od-counts" data-rows="${p.rows}" data-suppressed="${p.suppressedCells}" data-gaps="${p.gapCells}">${esc(
          t('odRows', { rows: p.rows, sup: p.suppressedCells, gap: p.gapCells }),
        )}</p><div class="table-wrap"><table id="od-preview"><caption>${esc(t('odFirst', { n: p.preview.length, file: p.file }))}</caption>
          <thead><tr>${p.columns.map((c) => `<th>${esc(c)}</th>`).join('')}</tr></thead>
          <tbody>${p.preview.map((r) => `<tr>${r.map(cell).join('')}</tr>`).join('')}</tbody></table></div>`;
      } catch (e) {
        if (my === seq) ctx.showState(out, 'error', (e as Error).message);
      }
    };

    const report = async () => {
      if (!readPeriod()) return;
      const out = $('#od-out');
      const my = ++seq;
      ctx.showState(out, 'loading');
      try {
        const r = await ctx.fetchJson<{ k: number; files: FileReport[] }>('/api/v1/exports/report', params());
        if (my !== seq) return;
        delete out.dataset.state;
        out.innerHTML = `<div class="table-wrap"><table id="od-report"><caption>${esc(t('odReport'))} — ${esc(
          ctx.fmt.date(new Date(period.from)),
        )} ${esc(ctx.fmt.time(new Date(period.from)))} → ${esc(ctx.fmt.date(new Date(period.to)))} ${esc(ctx.fmt.time(new Date(period.to)))} · k = ${r.k}</caption>
          <thead><tr><th>${esc(t('odFile'))}</th><th>${esc(t('odRowsCol'))}</th><th>${esc(t('odSupCol'))}</th><th>${esc(t('odGapCol'))}</th></tr></thead>
          <tbody>${r.files
            .map(
              (x) =>
                `<tr data-file="${esc(x.file)}"><td class="name">${esc(x.file)}</td><td>${ctx.fmt.number(x.rows)}</td><td>${ctx.fmt.number(x.suppressedCells)}</td><td>${ctx.fmt.number(x.gapCells)}</td></tr>`,
            )
            .join('')}</tbody></table></div>`;
      } catch (e) {
        if (my === seq) ctx.showState(out, 'error', (e as Error).message);
      }
    };

    $('#od-form').addEventListener('submit', (e) => {
      e.preventDefault();
      void preview();
    });
    $('#od-report-btn').addEventListener('click', () => void report());
    $('#od-excel').addEventListener('change', renderMeta);
    $('#od-interval').addEventListener('change', renderMeta);
    const off = ctx.onPeriodChange((p) => {
      period = { ...p };
      $<HTMLInputElement>('#od-from').value = utcInput(p.from);
      $<HTMLInputElement>('#od-to').value = utcInput(p.to);
      renderMeta();
    });
    void load();
    return { unmount: () => off() };
  },
};
