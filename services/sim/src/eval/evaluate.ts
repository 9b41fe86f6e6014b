/**
 * `evaluate({ truth, output })`: compares Passage's outputs with a scenario's ground truth and returns a typed
 * report; `formatReport(report)` renders it as a text table. Inputs are plain arrays of rows (the caller reads
 * them from ClickHouse or elsewhere); every output table is optional and only present tables are evaluated.
 *
 * Cells are re-bucketed on both sides to the evaluation interval (epoch-aligned), so 1-minute pipeline
 * aggregates can be compared with 15-minute truth. Defaults follow traffic-engineering practice: GEH on hourly
 * line counts and counters, 15-minute turning movements and OD; pass criteria GEH < 5 for ≥ 85 % of cells and
 * totals within 5 % (docs/EVALUATION.md).
 */
import { MODES } from '@passage/stream/contracts';
import type { CounterRow, LineCountRow, MovementRow, OdRow, TravelTimeRow, TruthTables } from '../truth/tables.ts';
import {
  bucketStart,
  type CellComparison,
  type ClassScore,
  type ConfusionMatrix,
  classScores,
  compareCells,
  confusionMatrix,
  type GehSummary,
  type GroupTotal,
  MODE_GROUP_NAMES,
  MODE_GROUPS,
  type ModeGroup,
  median,
  poolGeh,
  summarizeGeh,
  totalErrorPct,
  totalsByGroup,
} from './metrics.ts';

/** Pipeline outputs to evaluate (all optional). Row shapes match the truth tables. */
export interface EvalOutput {
  /** 1-minute (or coarser) line counts, e.g. from `line_counts_1m`. */
  lineCounts?: ReadonlyArray<LineCountRow>;
  /** Turning movements; `windowStart` may be a minute (`movements_1m.minute`). */
  movements?: ReadonlyArray<MovementRow>;
  /** OD cells; pass `expanded ?? trips` as `trips` when the pipeline expands samples to population flows. */
  od?: ReadonlyArray<OdRow>;
  /** Normalised counter records (`count: null` = gap, excluded from GEH and reported as gap cells). */
  counters?: ReadonlyArray<CounterRow>;
  /** OD travel times (origin, destination, window, P50). */
  travelTimes?: ReadonlyArray<TravelTimeRow>;
  /** Track-level (truth mode, predicted mode) pairs, for the confusion matrix and macro-F1. */
  modePairs?: ReadonlyArray<{ truth: string; predicted: string }>;
}

export interface EvalOptions {
  /** @default 3600 */
  lineCountIntervalS?: number;
  /** @default 900 */
  movementIntervalS?: number;
  /** @default 900 */
  odIntervalS?: number;
  /** @default 3600 */
  counterIntervalS?: number;
  /** @default 900 */
  travelTimeIntervalS?: number;
  /** @default 5 */
  gehThreshold?: number;
  /** Required share of cells below the GEH threshold. @default 0.85 */
  gehShareRequired?: number;
  /** Largest acceptable total error by mode group, percent. @default 5 */
  totalErrorMaxPct?: number;
  /** Number of worst cells kept per table. @default 5 */
  worst?: number;
}

export interface TableReport {
  intervalS: number;
  geh: GehSummary;
  byGroup: Record<ModeGroup, GroupTotal>;
  /** Totals by mode (truth, output, error %). */
  byMode: Record<string, GroupTotal>;
  /** Cells with the largest GEH. */
  worst: CellComparison[];
  /** GEH < threshold for the required share and every mode group with truth within the total error bound. */
  pass: boolean;
}

export interface CounterReport extends TableReport {
  /** Cells the output reported as gaps (null), left out of the comparison. */
  gapCells: number;
}

export interface OdReport extends TableReport {
  /**
   * false when the output's modes are not Passage modes but OD mode groups ('motor': motor vehicles, 'all': every
   * mode, as the od-matcher publishes them): each group is then compared with the truth of its modes, in
   * `groups`; this report pools them (cells and GEH share over every group; pass = every group passes).
   */
  byModeCompared: boolean;
  /** Per OD mode group (when `byModeCompared` is false): cells (origin, destination, window) of that group. */
  groups?: Record<string, TableReport>;
}

/** Passage modes an OD mode group stands for ('motor', 'all', or a Passage mode itself). */
function odGroupMembers(group: string): ReadonlySet<string> {
  if (group === 'motor') return new Set(MODE_GROUPS.motorVehicles);
  if (modeSet.has(group)) return new Set([group]);
  return modeSet;
}

export interface TravelTimeReport {
  intervalS: number;
  /** Cells present on both sides. */
  cells: number;
  medianAbsErrorS: number;
  medianAbsErrorPct: number;
}

export interface ModeReport {
  confusion: ConfusionMatrix;
  perClass: Record<string, ClassScore>;
  macroF1: number;
  accuracy: number;
}

export interface EvalReport {
  lineCounts?: TableReport;
  movements?: TableReport;
  od?: OdReport;
  counters?: CounterReport;
  travelTimes?: TravelTimeReport;
  modes?: ModeReport;
  /** Every evaluated table passes. */
  pass: boolean;
  criteria: { gehThreshold: number; gehShareRequired: number; totalErrorMaxPct: number };
}

export interface EvaluateInput {
  truth: Partial<TruthTables>;
  output: EvalOutput;
  options?: EvalOptions;
}

const modeSet = new Set<string>(MODES);

function byMode<T, O>(
  truth: ReadonlyArray<T>,
  output: ReadonlyArray<O>,
  tm: (r: T) => string,
  tv: (r: T) => number,
  om: (r: O) => string,
  ov: (r: O) => number,
): Record<string, GroupTotal> {
  const acc: Record<string, GroupTotal> = {};
  const get = (m: string): GroupTotal => {
    acc[m] ??= { truth: 0, output: 0, errorPct: 0 };
    return acc[m];
  };
  for (const r of truth) get(tm(r)).truth += tv(r);
  for (const r of output) get(om(r)).output += ov(r);
  for (const v of Object.values(acc)) v.errorPct = totalErrorPct(v.truth, v.output);
  return Object.fromEntries(Object.entries(acc).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

function tableReport<T, O>(
  intervalS: number,
  truth: ReadonlyArray<T>,
  output: ReadonlyArray<O>,
  key: { truth: (r: T) => string; output: (r: O) => string },
  value: { truth: (r: T) => number; output: (r: O) => number },
  mode: { truth: (r: T) => string; output: (r: O) => string },
  o: Required<EvalOptions>,
): TableReport {
  const cells = compareCells(truth, output, key.truth, value.truth, key.output, value.output);
  const geh = summarizeGeh(cells, o.gehThreshold);
  const byGroup = totalsByGroup(truth, output, mode.truth, value.truth, mode.output, value.output);
  const groupsOk = MODE_GROUP_NAMES.every(
    (g) => byGroup[g].truth === 0 || Math.abs(byGroup[g].errorPct) <= o.totalErrorMaxPct,
  );
  return {
    intervalS,
    geh,
    byGroup,
    byMode: byMode(truth, output, mode.truth, value.truth, mode.output, value.output),
    worst: [...cells].sort((a, b) => b.geh - a.geh || (a.key < b.key ? -1 : 1)).slice(0, o.worst),
    pass: geh.shareBelow >= o.gehShareRequired && groupsOk,
  };
}

/** Compare outputs with truth. Pure: no I/O. */
export function evaluate(input: EvaluateInput): EvalReport {
  const o: Required<EvalOptions> = {
    lineCountIntervalS: 3600,
    movementIntervalS: 900,
    odIntervalS: 900,
    counterIntervalS: 3600,
    travelTimeIntervalS: 900,
    gehThreshold: 5,
    gehShareRequired: 0.85,
    totalErrorMaxPct: 5,
    worst: 5,
    ...input.options,
  };
  const { truth, output } = input;
  const report: EvalReport = {
    pass: true,
    criteria: {
      gehThreshold: o.gehThreshold,
      gehShareRequired: o.gehShareRequired,
      totalErrorMaxPct: o.totalErrorMaxPct,
    },
  };

  if (output.lineCounts && truth.lineCounts) {
    const iv = o.lineCountIntervalS;
    const k = (r: LineCountRow): string =>
      `${r.cameraId}|${r.lineId}|${r.direction}|${r.mode}|${bucketStart(r.minute, iv)}`;
    report.lineCounts = tableReport(
      iv,
      truth.lineCounts,
      output.lineCounts,
      { truth: k, output: k },
      { truth: (r) => r.count, output: (r) => r.count },
      { truth: (r) => r.mode, output: (r) => r.mode },
      o,
    );
  }
  if (output.movements && truth.movements) {
    const iv = o.movementIntervalS;
    const k = (r: MovementRow): string =>
      `${r.cameraId}|${r.fromZone}>${r.toZone}|${r.mode}|${bucketStart(r.windowStart, iv)}`;
    report.movements = tableReport(
      iv,
      truth.movements,
      output.movements,
      { truth: k, output: k },
      { truth: (r) => r.count, output: (r) => r.count },
      { truth: (r) => r.mode, output: (r) => r.mode },
      o,
    );
  }
  if (output.od && truth.od) {
    const iv = o.odIntervalS;
    const compared = output.od.every((r) => modeSet.has(r.mode));
    if (compared) {
      const k = (r: OdRow): string => `${r.origin}>${r.destination}|${r.mode}|${bucketStart(r.windowStart, iv)}`;
      const rep = tableReport(
        iv,
        truth.od,
        output.od,
        { truth: k, output: k },
        { truth: (r) => r.trips, output: (r) => r.trips },
        { truth: (r) => r.mode, output: (r) => r.mode },
        o,
      );
      report.od = { ...rep, byModeCompared: true };
    } else {
      // OD mode groups: each against the truth of its modes; a group's total must be within the bound as a whole
      // (its output cannot be split by mode).
      const k = (r: OdRow): string => `${r.origin}>${r.destination}|${bucketStart(r.windowStart, iv)}`;
      const groups: Record<string, TableReport> = {};
      for (const g of [...new Set(output.od.map((r) => r.mode))].sort()) {
        const members = odGroupMembers(g);
        const rep = tableReport(
          iv,
          truth.od.filter((r) => members.has(r.mode)),
          output.od.filter((r) => r.mode === g),
          { truth: k, output: k },
          { truth: (r) => r.trips, output: (r) => r.trips },
          { truth: (r) => r.mode, output: () => '' },
          o,
        );
        rep.pass = rep.geh.shareBelow >= o.gehShareRequired && Math.abs(rep.geh.totalErrorPct) <= o.totalErrorMaxPct;
        groups[g] = rep;
      }
      // The pooled report: GEH over every group's cells (totals summed over groups, so a trip of the `all` and the
      // `motor` group counts in both); no per-mode totals (the groups' outputs have no mode).
      const all = Object.values(groups);
      report.od = {
        intervalS: iv,
        geh: poolGeh(
          all.map((r) => r.geh),
          o.gehThreshold,
        ),
        byGroup: totalsByGroup([], [], String, Number, String, Number),
        byMode: {},
        worst: Object.entries(groups)
          .flatMap(([g, r]) => r.worst.map((c) => ({ ...c, key: `${g}|${c.key}` })))
          .sort((a, b) => b.geh - a.geh)
          .slice(0, o.worst),
        pass: all.every((r) => r.pass),
        byModeCompared: false,
        groups,
      };
    }
  }
  if (output.counters && truth.counters) {
    const iv = o.counterIntervalS;
    const k = (r: CounterRow): string => `${r.sensorId}|${r.direction}|${r.mode}|${bucketStart(r.start, iv)}`;
    const gapKeys = new Set(output.counters.filter((r) => r.count === null).map(k));
    const t = truth.counters.filter((r) => !gapKeys.has(k(r)));
    const out = output.counters.filter((r) => !gapKeys.has(k(r)));
    report.counters = {
      ...tableReport(
        iv,
        t,
        out,
        { truth: k, output: k },
        { truth: (r) => r.count ?? 0, output: (r) => r.count ?? 0 },
        { truth: (r) => r.mode, output: (r) => r.mode },
        o,
      ),
      gapCells: gapKeys.size,
    };
  }
  if (output.travelTimes && truth.travelTimes) {
    const iv = o.travelTimeIntervalS;
    const k = (r: TravelTimeRow): string => `${r.origin}>${r.destination}|${bucketStart(r.windowStart, iv)}`;
    // Truth medians per re-bucketed cell: trip-weighted median of the cell medians (exact when iv = truth bucket).
    const truthCells = new Map<string, number[]>();
    for (const r of truth.travelTimes) {
      const list = truthCells.get(k(r)) ?? [];
      for (let i = 0; i < r.trips; i++) list.push(r.travelTimeP50S);
      truthCells.set(k(r), list);
    }
    const abs: number[] = [];
    const pct: number[] = [];
    for (const r of output.travelTimes) {
      const tt = truthCells.get(k(r));
      if (!tt || !Number.isFinite(r.travelTimeP50S)) continue;
      const ref = median(tt);
      abs.push(Math.abs(r.travelTimeP50S - ref));
      if (ref > 0) pct.push((Math.abs(r.travelTimeP50S - ref) / ref) * 100);
    }
    report.travelTimes = {
      intervalS: iv,
      cells: abs.length,
      medianAbsErrorS: abs.length > 0 ? median(abs) : Number.NaN,
      medianAbsErrorPct: pct.length > 0 ? median(pct) : Number.NaN,
    };
  }
  if (output.modePairs) {
    const labels = [...MODES, ...new Set(output.modePairs.flatMap((p) => [p.truth, p.predicted]))].filter(
      (l, i, a) => a.indexOf(l) === i,
    );
    const confusion = confusionMatrix(output.modePairs, labels);
    const s = classScores(confusion);
    report.modes = { confusion, perClass: s.perClass, macroF1: s.macroF1, accuracy: s.accuracy };
  }
  report.pass = [report.lineCounts, report.movements, report.od, report.counters].every((r) => !r || r.pass);
  return report;
}

function pctStr(v: number, digits = 1): string {
  if (!Number.isFinite(v)) return Number.isNaN(v) ? '–' : v > 0 ? '+∞' : '−∞';
  return `${v > 0 ? '+' : ''}${v.toFixed(digits)} %`;
}

function pad(s: string, n: number, right = false): string {
  return right ? s.padStart(n) : s.padEnd(n);
}

function intervalStr(s: number): string {
  return s % 3600 === 0 ? `${s / 3600} h` : s % 60 === 0 ? `${s / 60} min` : `${s} s`;
}

/** Render a report as a plain-text table. */
export function formatReport(report: EvalReport): string {
  const lines: string[] = [];
  const tables: [string, TableReport | undefined][] = [
    ['line counts', report.lineCounts],
    ['turning movements', report.movements],
    ['OD', report.od],
    ['counters', report.counters],
  ];
  const head = `${pad('table', 19)}${pad('interval', 9, true)}${pad('cells', 7, true)}${pad(`GEH<${report.criteria.gehThreshold}`, 9, true)}${pad('mean GEH', 10, true)}${pad('max GEH', 9, true)}${pad('truth', 9, true)}${pad('output', 9, true)}${pad('error', 10, true)}  result`;
  lines.push(head, '-'.repeat(head.length));
  const rows: [string, TableReport | undefined][] = tables.flatMap(([name, t]): [string, TableReport | undefined][] =>
    name === 'OD' && report.od?.groups
      ? Object.entries(report.od.groups).map(([g, r]): [string, TableReport] => [`OD ${g}`, r])
      : [[name, t]],
  );
  for (const [name, t] of rows) {
    if (!t) continue;
    const g = t.geh;
    lines.push(
      `${pad(name, 19)}${pad(intervalStr(t.intervalS), 9, true)}${pad(String(g.cells), 7, true)}${pad(`${(g.shareBelow * 100).toFixed(1)} %`, 9, true)}${pad(g.meanGeh.toFixed(2), 10, true)}${pad(g.maxGeh.toFixed(2), 9, true)}${pad(String(Math.round(g.truthTotal)), 9, true)}${pad(String(Math.round(g.outputTotal)), 9, true)}${pad(pctStr(g.totalErrorPct), 10, true)}  ${t.pass ? 'PASS' : 'FAIL'}`,
    );
  }
  lines.push('');
  lines.push('Total count error by mode group');
  lines.push(`${pad('table', 19)}${MODE_GROUP_NAMES.map((g) => pad(g, 16, true)).join('')}`);
  for (const [name, t] of tables) {
    if (!t || (name === 'OD' && report.od?.groups)) continue;
    lines.push(
      `${pad(name, 19)}${MODE_GROUP_NAMES.map((g) => pad(t.byGroup[g].truth === 0 && t.byGroup[g].output === 0 ? '–' : pctStr(t.byGroup[g].errorPct), 16, true)).join('')}`,
    );
  }
  if (report.counters) lines.push(`counters: ${report.counters.gapCells} gap cell(s) reported as null, not compared`);
  if (report.od?.groups)
    lines.push(
      `OD: mode groups (${Object.keys(report.od.groups).join(', ')}), each against the truth of its modes; totals per group`,
    );
  if (report.travelTimes) {
    const tt = report.travelTimes;
    lines.push('');
    lines.push(
      `Travel time (${intervalStr(tt.intervalS)} cells): ${tt.cells} cell(s), median absolute error ${Number.isFinite(tt.medianAbsErrorS) ? `${tt.medianAbsErrorS.toFixed(1)} s` : '–'} (${Number.isFinite(tt.medianAbsErrorPct) ? `${tt.medianAbsErrorPct.toFixed(1)} %` : '–'})`,
    );
  }
  if (report.modes) {
    const m = report.modes;
    const used = m.confusion.labels
      .map((l, i) => ({ l, i }))
      .filter(({ i }) => m.confusion.matrix[i].some((v) => v > 0) || m.confusion.matrix.some((row) => row[i] > 0));
    lines.push('');
    lines.push(
      `Mode confusion (rows truth, columns predicted); macro-F1 ${m.macroF1.toFixed(3)}, accuracy ${(m.accuracy * 100).toFixed(1)} %`,
    );
    lines.push(`${pad('', 12)}${used.map(({ l }) => pad(l, 11, true)).join('')}${pad('F1', 8, true)}`);
    for (const { l, i } of used) {
      lines.push(
        `${pad(l, 12)}${used.map(({ i: j }) => pad(String(m.confusion.matrix[i][j]), 11, true)).join('')}${pad(m.perClass[l].support > 0 ? m.perClass[l].f1.toFixed(3) : '–', 8, true)}`,
      );
    }
  }
  lines.push('');
  const c = report.criteria;
  lines.push(
    `Overall: ${report.pass ? 'PASS' : 'FAIL'} (GEH < ${c.gehThreshold} for ≥ ${Math.round(c.gehShareRequired * 100)} % of cells and mode-group totals within ${c.totalErrorMaxPct} %)`,
  );
  return lines.join('\n');
}
