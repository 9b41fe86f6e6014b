/**
 * "Signals" view for the traffic regulation team (issue 13 §3/§5, issue 15 traffic engineer): a junction picker,
 * the classified turning-movement table (vehicles per class, PCU, approach totals with heavy share and PHF, peak
 * windows, 15-minute intervals with sensor-health flags, CSV in local time with readable movement names), the
 * current vs proposed stage diagram (SVG), the per-approach delay / LOS / v/c table and the plan periods over the
 * day. Data: GET /api/v1/signals, /api/v1/signals/:id/movements and /plan (role traffic).
 */
import type { DashboardView, Lang, ViewContext } from './registry.ts';
import { csvText, download, ensureStyle, esc, localStamp, resolvePeriod, viewLifecycle } from './view-kit.ts';

interface Junction {
  id: string;
  name: string;
  timezone: string;
  plans: { id: string; cycleS: number; from: string | null; to: string | null }[];
}
interface Movements {
  junction: string;
  timezone: string;
  modes: string[];
  movements: { key: string; from: string; to: string; name: string; byMode: number[]; vehicles: number; pcu: number }[];
  intervals: { start: number; end: number; pcu: number[]; vehicles: number[]; total: number; flags: string[] }[];
  approaches: {
    arm: string;
    name: string;
    vehicles: number;
    pcu: number;
    heavyShare: number;
    phf: number | null;
    peakHourStart: number | null;
  }[];
  peaks: {
    name: string;
    from: string;
    to: string;
    intervals: number;
    total: number;
    approaches: { arm: string; pcu: number; phf: number | null }[];
  }[];
  health: { cameraId: string; kind: string; from: number; to: number; detail: string }[];
}
interface PlanSide {
  planId: string;
  cycleS: number;
  delayS: number;
  los: string;
  control?: 'fixed' | 'actuated';
  groups: { group: string; kind: string; greens: [number, number][]; maxGreenS?: number | null }[];
  approaches: {
    approach: string;
    name: string;
    flowPcuH: number;
    delayS: number;
    los: string;
    X: number;
    queue95Pcu: number;
  }[];
}
interface Plan {
  designFrom: number | null;
  designTo: number | null;
  current: PlanSide | null;
  proposed: PlanSide | null;
  Y: number | null;
  nearCapacity: boolean;
  periods: {
    current: { plan: string; from: string | null; to: string | null; cycleS: number }[];
    proposed: { from: string; to: string; plan: string; cycleS: number; currentDelayS: number; delayS: number }[];
  };
}

const STRINGS: Record<Lang, Record<string, string>> = {
  fr: {
    junction: 'Carrefour',
    peaksInput: 'Pointes',
    peaksHint: 'Plages de pointe en heure locale : NOM=HH:MM-HH:MM, séparées par des virgules',
    noJunction: 'Aucun carrefour à feux dans le registre : ajoutez ses contrôleurs (docs/SITES.md).',
    noMovements: 'Aucun mouvement tournant enregistré sur cette période : choisissez une autre période.',
    periodLabel: 'Période : {from} – {to}',
    end: 'Fin',
    movementsTitle: 'Mouvements tournants par classe',
    movement: 'Mouvement',
    vehicles: 'Véhicules',
    pcu: 'UVP',
    approachesTitle: 'Totaux par branche',
    approach: 'Branche',
    heavyShare: 'Poids lourds',
    phf: 'FHP',
    peakHour: 'Heure de pointe',
    peaksTitle: 'Périodes de pointe',
    peak: 'Pointe',
    window: 'Plage',
    intervals: 'Quarts d’heure',
    intervalsTitle: 'Quarts d’heure et état des capteurs',
    start: 'Début',
    total: 'Total UVP',
    flags: 'État',
    flag_gap: 'lacune',
    flag_fault: 'défaut capteur',
    flag_low: 'anormalement bas',
    ok: 'ok',
    csv: 'Exporter le tableau (CSV)',
    planTitle: 'Plan de feux : actuel et proposé',
    current: 'Actuel',
    proposed: 'Proposé',
    cycle: 'Cycle {n} s',
    actuated: 'commande par détection',
    maxGreen: 'vert max {n} s',
    designFlows: 'Débits de dimensionnement : quart d’heure le plus chargé, {from}–{to}',
    nearCapacity: 'Carrefour proche de la saturation (Y = {y}) : le plan proposé ne suffira pas.',
    delay: 'Retard (s/UVP)',
    los: 'NS',
    vc: 'v/c',
    queue: 'File 95e (UVP)',
    flow: 'Débit (UVP/h)',
    overall: 'Ensemble',
    group: 'Groupe',
    pedestrian: 'piétons',
    periodsTitle: 'Plans sur la journée',
    currentPlans: 'Plans actuels',
    proposedPlans: 'Plans proposés',
    periodPlan: '{plan} : cycle {cycle} s',
    proposedPeriod: '{from}–{to} : cycle {cycle} s, retard {cur} → {new} s/UVP',
    seconds: 's',
    legendGreen: 'vert',
    legendNote:
      'UVP : voiture et utilitaire 1, deux-roues motorisé 0,4, vélo 0,2, poids lourd et bus 2 ; FHP = volume horaire / (4 × quart d’heure de pointe).',
    mode_car: 'Voitures',
    mode_van: 'Utilitaires',
    mode_truck: 'Poids lourds',
    mode_bus: 'Bus',
    mode_motorcycle: 'Deux-roues mot.',
    mode_bicycle: 'Vélos',
    mode_pedestrian: 'Piétons',
  },
  en: {
    junction: 'Junction',
    peaksInput: 'Peaks',
    peaksHint: 'Peak windows in local time: NAME=HH:MM-HH:MM, comma-separated',
    noJunction: 'No signalised junction in the registry: add its controllers (docs/SITES.md).',
    noMovements: 'No turning movements stored in this period: choose another period.',
    periodLabel: 'Period: {from} – {to}',
    end: 'End',
    movementsTitle: 'Turning movements by class',
    movement: 'Movement',
    vehicles: 'Vehicles',
    pcu: 'PCU',
    approachesTitle: 'Approach totals',
    approach: 'Approach',
    heavyShare: 'Heavy vehicles',
    phf: 'PHF',
    peakHour: 'Peak hour',
    peaksTitle: 'Peak windows',
    peak: 'Peak',
    window: 'Window',
    intervals: 'Quarter hours',
    intervalsTitle: 'Quarter hours and sensor health',
    start: 'Start',
    total: 'Total PCU',
    flags: 'Health',
    flag_gap: 'gap',
    flag_fault: 'sensor fault',
    flag_low: 'unusually low',
    ok: 'ok',
    csv: 'Export the table (CSV)',
    planTitle: 'Signal plan: current and proposed',
    current: 'Current',
    proposed: 'Proposed',
    cycle: 'Cycle {n} s',
    actuated: 'vehicle-actuated',
    maxGreen: 'max green {n} s',
    designFlows: 'Design flows: busiest quarter hour, {from}–{to}',
    nearCapacity: 'Junction near capacity (Y = {y}): the proposed plan will not be enough.',
    delay: 'Delay (s/PCU)',
    los: 'LOS',
    vc: 'v/c',
    queue: '95th queue (PCU)',
    flow: 'Flow (PCU/h)',
    overall: 'Overall',
    group: 'Group',
    pedestrian: 'pedestrians',
    periodsTitle: 'Plans over the day',
    currentPlans: 'Current plans',
    proposedPlans: 'Proposed plans',
    periodPlan: '{plan}: cycle {cycle} s',
    proposedPeriod: '{from}–{to}: cycle {cycle} s, delay {cur} → {new} s/PCU',
    seconds: 's',
    legendGreen: 'green',
    legendNote:
      'PCU: car and van 1, motorcycle 0.4, bicycle 0.2, truck and bus 2; PHF = hourly volume / (4 × peak quarter hour).',
    mode_car: 'Cars',
    mode_van: 'Vans',
    mode_truck: 'Trucks',
    mode_bus: 'Buses',
    mode_motorcycle: 'Motorcycles',
    mode_bicycle: 'Bicycles',
    mode_pedestrian: 'Pedestrians',
  },
};

const CSS = `
.sig { padding: 12px; display: grid; grid-template-columns: minmax(0, 1fr); gap: 16px; max-width: 1200px; box-sizing: border-box; }
.sig > *, .sig section { min-width: 0; }
.sig input[data-role="peaks"] { max-width: 100%; }
.sig h3 { margin: 4px 0; font-size: 1rem; }
.sig .scroll { overflow-x: auto; }
.sig table { border-collapse: collapse; font-size: 0.85rem; }
.sig th, .sig td { padding: 3px 8px; border-bottom: 1px solid #ccc3; text-align: right; white-space: nowrap; }
.sig th:first-child, .sig td:first-child { text-align: left; }
.sig .flag { display: inline-block; padding: 0 6px; border-radius: 8px; font-size: 0.75rem; margin-left: 4px; }
.sig .flag-gap { background: #9e9e9e; color: #fff; }
.sig .flag-fault { background: #c62828; color: #fff; }
.sig .flag-low { background: #f9a825; color: #000; }
.sig .muted { opacity: 0.75; font-size: 0.8rem; }
.sig .los-E, .sig .los-F { color: #c62828; font-weight: bold; }
.sig svg text { font: 11px sans-serif; fill: currentColor; }
.sig svg .green { fill: #2e7d32; }
.sig svg .ped { fill: #1565c0; }
.sig svg .red { fill: #c6282833; }
.sig svg .grid { stroke: #8884; }
.sig .row { display: flex; gap: 12px; flex-wrap: wrap; align-items: center; }
@media (max-width: 500px) { .sig { padding: 6px; } }
`;

const W = 560;

/**
 * Stage diagram: one bar per signal group over the cycle, green where the group is green; a vehicle-actuated plan
 * names each group's maximum green in a column on the right.
 */
function stageSvg(side: PlanSide, t: ViewContext['t'], label: string): string {
  const rowH = 18;
  const left = 100;
  const actuated = side.control === 'actuated';
  const width = W - left - 10 - (actuated ? 90 : 0);
  const h = 30 + side.groups.length * rowH + 18;
  const x = (s: number) => left + (s / side.cycleS) * width;
  const ticks: string[] = [];
  const step = side.cycleS > 100 ? 20 : 10;
  for (let s = 0; s <= side.cycleS; s += step) {
    ticks.push(
      `<line class="grid" x1="${x(s)}" x2="${x(s)}" y1="24" y2="${h - 16}"/><text x="${x(s)}" y="${h - 4}" text-anchor="middle">${s}</text>`,
    );
  }
  const rows = side.groups
    .map((g, i) => {
      const y = 28 + i * rowH;
      const bars = g.greens
        .map(
          ([a, b]) =>
            `<rect class="${g.kind === 'pedestrian' ? 'ped' : 'green'}" data-group="${esc(g.group)}" data-start="${a}" data-end="${b}" x="${x(a)}" y="${y}" width="${Math.max(1, x(b) - x(a))}" height="${rowH - 4}"><title>${esc(g.group)} ${a}–${b} ${t('seconds')}</title></rect>`,
        )
        .join('');
      const name = g.kind === 'pedestrian' ? `${g.group} (${t('pedestrian')})` : g.group;
      const max =
        g.maxGreenS != null
          ? `<text class="max-green" data-group="${esc(g.group)}" data-max-green="${g.maxGreenS}" x="${W - 6}" y="${y + 12}" text-anchor="end">${esc(t('maxGreen', { n: g.maxGreenS }))}</text>`
          : '';
      return `<text x="4" y="${y + 12}">${esc(name)}</text><rect class="red" x="${left}" y="${y}" width="${width}" height="${rowH - 4}"/>${bars}${max}`;
    })
    .join('');
  const title = [label, t('cycle', { n: side.cycleS }), ...(actuated ? [t('actuated')] : [])].join(' · ');
  return `<svg class="stage" data-plan="${esc(side.planId)}" data-cycle="${side.cycleS}" data-control="${side.control ?? 'fixed'}" width="${W}" height="${h}" viewBox="0 0 ${W} ${h}" role="img" aria-label="${esc(label)}">
<text x="4" y="14" font-weight="bold">${esc(title)}</text>${ticks.join('')}${rows}</svg>`;
}

/** The day as a bar: current plans' time windows above, proposed periods below. */
function daySvg(plan: Plan, t: ViewContext['t']): string {
  const left = 110;
  const width = W - left - 10;
  const x = (hhmm: string) => left + ((Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3, 5))) / 1440) * width;
  const colours = ['#3a86ff', '#ff9f1c', '#8f5cff', '#2ec4b6', '#e71d36'];
  const seg = (from: string, to: string, y: number, c: string, title: string, attrs: string) => {
    const a = x(from);
    const b = x(to);
    const parts =
      a <= b || to === '00:00'
        ? [[a, to === '00:00' ? left + width : b]]
        : [
            [a, left + width],
            [left, b],
          ];
    return parts
      .map(
        ([p, q]) =>
          `<rect ${attrs} x="${p}" y="${y}" width="${Math.max(1, q - p)}" height="16" fill="${c}"><title>${esc(title)}</title></rect>`,
      )
      .join('');
  };
  const cur = plan.periods.current
    .map((p, i) =>
      seg(
        p.from ?? '00:00',
        p.to ?? '00:00',
        8,
        colours[i % colours.length],
        t('periodPlan', { plan: p.plan, cycle: p.cycleS }),
        `data-current="${esc(p.plan)}"`,
      ),
    )
    .join('');
  const prop = plan.periods.proposed
    .map((p, i) =>
      seg(
        p.from,
        p.to,
        34,
        colours[(i + 2) % colours.length],
        t('periodPlan', { plan: `${p.from}–${p.to}`, cycle: p.cycleS }),
        `data-proposed="${p.from}"`,
      ),
    )
    .join('');
  const ticks = [0, 3, 6, 9, 12, 15, 18, 21, 24]
    .map((h) => {
      const xx = left + (h / 24) * width;
      return `<line class="grid" x1="${xx}" x2="${xx}" y1="4" y2="54"/><text x="${xx}" y="68" text-anchor="middle">${h}h</text>`;
    })
    .join('');
  return `<svg class="day" width="${W}" height="74" viewBox="0 0 ${W} 74" role="img" aria-label="${esc(t('periodsTitle'))}">
<text x="4" y="20">${esc(t('currentPlans'))}</text><text x="4" y="46">${esc(t('proposedPlans'))}</text>${ticks}${cur}${prop}</svg>`;
}

function mount(el: HTMLElement, ctx: ViewContext) {
  ensureStyle('signals', CSS);
  const { t } = ctx;
  const n = (v: number, d = 0) => ctx.fmt.number(v, d);
  const pct = (v: number) => `${ctx.fmt.number(100 * v, 1)} %`;
  let junctions: Junction[] = [];
  let period: { from: string; to: string } | null = null;
  let last: { mv: Movements; plan: Plan } | null = null;

  el.innerHTML = `<div class="sig" data-view-root="signals">
  <div class="row"><label>${esc(t('junction'))} <select data-role="junction"></select></label>
  <label>${esc(t('peaksInput'))} <input data-role="peaks" size="30" value="AM=07:00-09:00,PM=16:00-19:00" pattern="^([A-Za-z0-9_\\-]{1,16}=)?\\d{2}:\\d{2}-\\d{2}:\\d{2}(,([A-Za-z0-9_\\-]{1,16}=)?\\d{2}:\\d{2}-\\d{2}:\\d{2})*$" title="${esc(t('peaksHint'))}" /></label>
  <span class="muted" data-role="period"></span></div>
  <div data-role="body"></div></div>`;
  const select = el.querySelector('[data-role="junction"]') as HTMLSelectElement;
  const body = el.querySelector('[data-role="body"]') as HTMLElement;
  const periodLabel = el.querySelector('[data-role="period"]') as HTMLElement;
  const peaksIn = el.querySelector('[data-role="peaks"]') as HTMLInputElement;

  const csv = (mv: Movements): string => {
    const rows: (string | number | null)[][] = [];
    for (const i of mv.intervals) {
      mv.movements.forEach((m, k) => {
        rows.push([
          localStamp(i.start, mv.timezone),
          localStamp(i.end, mv.timezone),
          m.name,
          i.vehicles[k],
          i.pcu[k],
          i.flags.map((f) => t(`flag_${f}`)).join(' ') || t('ok'),
        ]);
      });
    }
    return csvText(
      ctx.lang,
      [
        `${t('start')} (${mv.timezone})`,
        `${t('end')} (${mv.timezone})`,
        t('movement'),
        t('vehicles'),
        t('pcu'),
        t('flags'),
      ],
      rows,
    );
  };

  const render = (mv: Movements, plan: Plan) => {
    last = { mv, plan };
    if (mv.movements.length === 0) {
      ctx.showState(body, 'empty', t('noMovements'));
      return;
    }
    const tz = mv.timezone;
    const time = (ms: number) => localStamp(ms, tz).slice(11);
    const flagsHtml = (f: string[]) =>
      f.length
        ? f.map((x) => `<span class="flag flag-${x}" data-flag="${x}">${esc(t(`flag_${x}`))}</span>`).join('')
        : `<span class="muted">${esc(t('ok'))}</span>`;
    const movRows = mv.movements
      .map(
        (m) =>
          `<tr data-key="${esc(m.key)}"><td>${esc(m.name)}</td>${m.byMode.map((c) => `<td>${n(c)}</td>`).join('')}<td data-col="vehicles">${n(m.vehicles)}</td><td data-col="pcu">${n(m.pcu, 1)}</td></tr>`,
      )
      .join('');
    const appRows = mv.approaches
      .map(
        (a) =>
          `<tr data-arm="${esc(a.arm)}"><td>${esc(a.name)}</td><td data-col="vehicles">${n(a.vehicles)}</td><td data-col="pcu">${n(a.pcu, 1)}</td><td data-col="heavy">${pct(a.heavyShare)}</td><td data-col="phf">${a.phf === null ? '–' : n(a.phf, 2)}</td><td>${a.peakHourStart === null ? '–' : `${time(a.peakHourStart)}–${time(a.peakHourStart + 3_600_000)}`}</td></tr>`,
      )
      .join('');
    const peakRows = mv.peaks
      .map(
        (p) =>
          `<tr data-peak="${esc(p.name)}"><td>${esc(p.name)}</td><td>${esc(p.from)}–${esc(p.to)}</td><td>${n(p.intervals)}</td><td data-col="pcu">${n(p.total, 1)}</td>${mv.approaches
            .map((a) => {
              const x = p.approaches.find((y) => y.arm === a.arm);
              return `<td>${x?.phf == null ? '–' : n(x.phf, 2)}</td>`;
            })
            .join('')}</tr>`,
      )
      .join('');
    const intRows = mv.intervals
      .map(
        (i) =>
          `<tr data-start="${i.start}"><td>${time(i.start)}–${time(i.end)}</td><td data-col="total">${n(i.total, 1)}</td><td>${flagsHtml(i.flags)}</td></tr>`,
      )
      .join('');
    let planHtml = '';
    if (plan.current && plan.proposed) {
      const cur = plan.current;
      const prop = plan.proposed;
      const rows = cur.approaches
        .map((a) => {
          const p = prop.approaches.find((x) => x.approach === a.approach);
          const cell = (s: { delayS: number; los: string; X: number } | undefined, w: string) =>
            s
              ? `<td data-col="${w}-delay">${n(s.delayS, 1)}</td><td data-col="${w}-los" class="los-${s.los}">${s.los}</td><td data-col="${w}-vc">${n(s.X, 2)}</td>`
              : '<td>–</td><td>–</td><td>–</td>';
          return `<tr data-approach="${esc(a.approach)}"><td>${esc(a.name)}</td><td data-col="flow">${n(a.flowPcuH)}</td>${cell(a, 'cur')}${cell(p, 'prop')}<td>${n(a.queue95Pcu, 1)} → ${p ? n(p.queue95Pcu, 1) : '–'}</td></tr>`;
        })
        .join('');
      const overall = `<tr data-approach="overall"><td><b>${esc(t('overall'))}</b></td><td></td><td data-col="cur-delay">${n(cur.delayS, 1)}</td><td class="los-${cur.los}">${cur.los}</td><td></td><td data-col="prop-delay">${n(prop.delayS, 1)}</td><td class="los-${prop.los}">${prop.los}</td><td></td><td></td></tr>`;
      const design =
        plan.designFrom !== null && plan.designTo !== null
          ? `<p class="muted">${esc(t('designFlows', { from: time(plan.designFrom), to: time(plan.designTo) }))}</p>`
          : '';
      const warn = plan.nearCapacity
        ? `<p class="flag flag-fault" role="alert">${esc(t('nearCapacity', { y: n(plan.Y ?? 0, 2) }))}</p>`
        : '';
      planHtml = `<section data-role="plan"><h3>${esc(t('planTitle'))}</h3>${design}${warn}
        <div class="scroll">${stageSvg(cur, t, t('current'))}</div><div class="scroll">${stageSvg(prop, t, t('proposed'))}</div>
        <div class="scroll"><table data-table="approach-plan"><thead><tr><th>${esc(t('approach'))}</th><th>${esc(t('flow'))}</th>
        <th>${esc(t('current'))} · ${esc(t('delay'))}</th><th>${esc(t('los'))}</th><th>${esc(t('vc'))}</th>
        <th>${esc(t('proposed'))} · ${esc(t('delay'))}</th><th>${esc(t('los'))}</th><th>${esc(t('vc'))}</th><th>${esc(t('queue'))}</th></tr></thead>
        <tbody>${rows}${overall}</tbody></table></div>
        <h3>${esc(t('periodsTitle'))}</h3><div class="scroll">${daySvg(plan, t)}</div>
        <ul data-role="proposed-periods">${plan.periods.proposed
          .map(
            (p) =>
              `<li>${esc(t('proposedPeriod', { from: p.from, to: p.to, cycle: p.cycleS, cur: n(p.currentDelayS, 1), new: n(p.delayS, 1) }))}</li>`,
          )
          .join('')}</ul></section>`;
    }
    body.dataset.state = 'ready';
    body.innerHTML = `<section data-role="movements"><div class="row"><h3>${esc(t('movementsTitle'))}</h3>
      <button type="button" data-role="csv">${esc(t('csv'))}</button></div>
      <div class="scroll"><table data-table="movements"><thead><tr><th>${esc(t('movement'))}</th>${mv.modes
        .map((m) => `<th>${esc(t(`mode_${m}`))}</th>`)
        .join(
          '',
        )}<th>${esc(t('vehicles'))}</th><th>${esc(t('pcu'))}</th></tr></thead><tbody>${movRows}</tbody></table></div>
      <p class="muted">${esc(t('legendNote'))}</p>
      <h3>${esc(t('approachesTitle'))}</h3><div class="scroll"><table data-table="approaches"><thead><tr><th>${esc(t('approach'))}</th><th>${esc(t('vehicles'))}</th><th>${esc(t('pcu'))}</th><th>${esc(t('heavyShare'))}</th><th>${esc(t('phf'))}</th><th>${esc(t('peakHour'))}</th></tr></thead><tbody>${appRows}</tbody></table></div>
      <h3>${esc(t('peaksTitle'))}</h3><div class="scroll"><table data-table="peaks"><thead><tr><th>${esc(t('peak'))}</th><th>${esc(t('window'))}</th><th>${esc(t('intervals'))}</th><th>${esc(t('pcu'))}</th>${mv.approaches
        .map((a) => `<th>${esc(t('phf'))} ${esc(a.name)}</th>`)
        .join('')}</tr></thead><tbody>${peakRows}</tbody></table></div>
      <h3>${esc(t('intervalsTitle'))}</h3><div class="scroll"><table data-table="intervals"><thead><tr><th>${esc(t('start'))}</th><th>${esc(t('total'))}</th><th>${esc(t('flags'))}</th></tr></thead><tbody>${intRows}</tbody></table></div>
      </section>${planHtml}`;
    body.querySelector('[data-role="csv"]')?.addEventListener('click', () => {
      if (last)
        download(
          `turning-movements-${last.mv.junction}.csv`,
          new Blob([csv(last.mv)], { type: 'text/csv;charset=utf-8' }),
        );
    });
  };

  const load = async () => {
    const id = select.value;
    if (!id || !period) return;
    ctx.showState(body, 'loading');
    try {
      const q = { from: period.from, to: period.to };
      const peaks: Record<string, string> =
        peaksIn.checkValidity() && peaksIn.value.trim() ? { peaks: peaksIn.value.trim() } : {};
      const [mv, plan] = await Promise.all([
        ctx.fetchJson<Movements>(`/api/v1/signals/${encodeURIComponent(id)}/movements`, { ...q, ...peaks }),
        ctx.fetchJson<Plan>(`/api/v1/signals/${encodeURIComponent(id)}/plan`, q),
      ]);
      if (gone() || select.value !== id) return;
      render(mv, plan);
    } catch (e) {
      if (!gone()) ctx.showState(body, 'error', (e as Error).message);
    }
  };

  const setPeriod = (p: { from: string; to: string }) => {
    period = p;
    const at = (iso: string) => `${ctx.fmt.date(new Date(iso))} ${ctx.fmt.time(new Date(iso))}`;
    periodLabel.textContent = t('periodLabel', { from: at(p.from), to: at(p.to) });
  };

  const start = async () => {
    ctx.showState(body, 'loading');
    try {
      const [list, p] = await Promise.all([
        ctx.fetchJson<{ junctions: Junction[] }>('/api/v1/signals'),
        resolvePeriod(ctx.period, () => ctx.fetchJson<{ from: number | null; to: number | null }>('/api/v1/extent'), 1),
      ]);
      if (gone()) return;
      junctions = list.junctions;
      select.innerHTML = junctions.map((j) => `<option value="${esc(j.id)}">${esc(j.name)}</option>`).join('');
      if (junctions.length === 0) {
        ctx.showState(body, 'empty', t('noJunction'));
        return;
      }
      if (!p) {
        ctx.showState(body, 'empty', t('noMovements'));
        return;
      }
      setPeriod(p);
      await load();
    } catch (e) {
      if (!gone()) ctx.showState(body, 'error', (e as Error).message);
    }
  };
  select.addEventListener('change', () => void load());
  peaksIn.addEventListener('change', () => {
    if (peaksIn.checkValidity()) void load();
  });
  const life = viewLifecycle(el, ctx, (p) => {
    setPeriod(p);
    void load();
  });
  const gone = () => life.state.disposed;
  void start();
  return life.handle;
}

export const signalsView: DashboardView = {
  id: 'signals',
  title: { fr: 'Feux', en: 'Signals' },
  roles: ['traffic'],
  strings: STRINGS,
  mount,
};
