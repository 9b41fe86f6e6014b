/**
 * Planner shaping of OD flows (plain TypeScript, no rendering): flows of a step or summed over the period, the
 * fixed width scale of a period, a zone's incoming/outgoing flows with shares, the OD matrix, and the CSV of what
 * the view shows.
 */
import type { OdFlow } from './od.ts';

/** Flows of one step (`t`), or of the whole period summed per origin/destination (`t` undefined). */
export function flowsAt(flows: readonly OdFlow[], t: number | undefined): OdFlow[] {
  if (t !== undefined) return flows.filter((f) => f.t === t);
  const by = new Map<string, OdFlow>();
  for (const f of flows) {
    const key = `${f.origin}\u0000${f.destination}`;
    const o = by.get(key);
    if (!o) {
      by.set(key, { ...f, ci95: [f.ci95[0], f.ci95[1]] });
      continue;
    }
    const w = o.observed + f.observed;
    o.travelTimeP50S =
      o.travelTimeP50S !== null && f.travelTimeP50S !== null && w > 0
        ? (o.travelTimeP50S * o.observed + f.travelTimeP50S * f.observed) / w
        : (o.travelTimeP50S ?? f.travelTimeP50S);
    o.observed = w;
    o.expanded += f.expanded;
    o.stdErr = Math.sqrt(o.stdErr ** 2 + f.stdErr ** 2);
    // The store's rule for a sum of cells (queries/od.ts ci95Sql): ± 1.959964 √Σse², clipped at 0; no upper bound
    // when a summed cell has none.
    const open = o.ci95[1] === null || f.ci95[1] === null;
    o.ci95 = [Math.max(0, o.expanded - 1.959964 * o.stdErr), open ? null : o.expanded + 1.959964 * o.stdErr];
  }
  return [...by.values()];
}

/** The largest zone-to-zone flow of any step: the fixed width scale of the period. */
export function stepMax(flows: readonly OdFlow[]): number {
  let m = 0;
  for (const f of flows) if (f.origin !== f.destination && f.expanded > m) m = f.expanded;
  return m;
}

export interface Share {
  zone: string;
  flow: number;
  share: number;
}
export interface ZoneSummary {
  zone: string;
  incoming: number;
  outgoing: number;
  internal: number;
  /** Incoming flow by origin, largest first; shares of `incoming`. */
  byOrigin: Share[];
  /** Outgoing flow by destination, largest first; shares of `outgoing`. */
  byDestination: Share[];
}

const shares = (m: Map<string, number>, total: number): Share[] =>
  [...m]
    .map(([zone, flow]) => ({ zone, flow, share: total > 0 ? flow / total : 0 }))
    .sort((a, b) => b.flow - a.flow || a.zone.localeCompare(b.zone));

/** Incoming and outgoing flows of a zone (expanded), with the share of each origin and destination. */
export function zoneSummary(flows: readonly OdFlow[], zone: string): ZoneSummary {
  const ins = new Map<string, number>();
  const outs = new Map<string, number>();
  let internal = 0;
  for (const f of flows) {
    if (f.origin === zone && f.destination === zone) internal += f.expanded;
    else if (f.destination === zone) ins.set(f.origin, (ins.get(f.origin) ?? 0) + f.expanded);
    else if (f.origin === zone) outs.set(f.destination, (outs.get(f.destination) ?? 0) + f.expanded);
  }
  const incoming = [...ins.values()].reduce((a, b) => a + b, 0);
  const outgoing = [...outs.values()].reduce((a, b) => a + b, 0);
  return { zone, incoming, outgoing, internal, byOrigin: shares(ins, incoming), byDestination: shares(outs, outgoing) };
}

export interface Matrix {
  zones: string[];
  /** cells[i][j]: flow from zones[i] to zones[j]; null when no published cell. */
  cells: (number | null)[][];
  rowTotals: number[];
  colTotals: number[];
  total: number;
}

/** Origin × destination matrix of expanded flows over `zones` (flows of other zones are left out). */
export function odMatrix(flows: readonly OdFlow[], zones: readonly string[]): Matrix {
  const idx = new Map(zones.map((z, i) => [z, i]));
  const cells: (number | null)[][] = zones.map(() => zones.map(() => null));
  for (const f of flows) {
    const i = idx.get(f.origin);
    const j = idx.get(f.destination);
    if (i === undefined || j === undefined) continue;
    cells[i][j] = (cells[i][j] ?? 0) + f.expanded;
  }
  const rowTotals = cells.map((r) => r.reduce<number>((a, c) => a + (c ?? 0), 0));
  const colTotals = zones.map((_, j) => cells.reduce<number>((a, r) => a + (r[j] ?? 0), 0));
  return { zones: [...zones], cells, rowTotals, colTotals, total: rowTotals.reduce((a, b) => a + b, 0) };
}

/** Sum of expanded flows (what the totals line shows). */
export const totalFlow = (flows: readonly OdFlow[]): number => flows.reduce((a, f) => a + f.expanded, 0);

/** Relative change of `now` against `before` (null when `before` is 0). */
export const change = (now: number, before: number): number | null => (before > 0 ? (now - before) / before : null);

/** CSV (RFC 4180, `,` and a dot; `;` and a decimal comma with `excel`, then a UTF-8 BOM) of the flows shown. */
export function flowsCsv(
  flows: readonly OdFlow[],
  names: ReadonlyMap<string, string>,
  period: { from: number; to: number },
  opts: { excel?: boolean } = {},
): string {
  const sep = opts.excel ? ';' : ',';
  const num = (v: number) => {
    const s = String(Math.round(v * 1000) / 1000);
    return opts.excel ? s.replace('.', ',') : s;
  };
  const cell = (v: string) => (/[",;\n\r]/.test(v) ? `"${v.replaceAll('"', '""')}"` : v);
  const head = ['from', 'to', 'origin', 'origin_name', 'destination', 'destination_name', 'expanded', 'observed'];
  const rows = [...flows]
    .sort((a, b) => a.origin.localeCompare(b.origin) || a.destination.localeCompare(b.destination))
    .map((f) =>
      [
        new Date(period.from).toISOString(),
        new Date(period.to).toISOString(),
        f.origin,
        cell(names.get(f.origin) ?? f.origin),
        f.destination,
        cell(names.get(f.destination) ?? f.destination),
        num(f.expanded),
        num(f.observed),
      ].join(sep),
    );
  return `${opts.excel ? '\ufeff' : ''}${[head.join(sep), ...rows].join('\r\n')}\r\n`;
}
