/** Small helpers shared by the signals and footfall views: escaping, CSV (Excel-friendly per language), downloads. */
import type { Lang, ViewContext } from './registry.ts';

export const esc = (s: string): string =>
  s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] as string);

/**
 * CSV text: French uses `;` and a decimal comma with a UTF-8 BOM (opens as columns in a French Excel), English
 * `,` and a decimal point. Numbers are written with at most `digits` decimals, without thousands separators.
 */
export function csvText(lang: Lang, header: string[], rows: (string | number | null)[][], digits = 2): string {
  const sep = lang === 'fr' ? ';' : ',';
  const cell = (v: string | number | null): string => {
    if (v === null) return '';
    if (typeof v === 'number') {
      const s = String(Math.round(v * 10 ** digits) / 10 ** digits);
      return lang === 'fr' ? s.replace('.', ',') : s;
    }
    return /[";,\n]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v;
  };
  const lines = [header, ...rows].map((r) => r.map(cell).join(sep));
  return `${lang === 'fr' ? '\ufeff' : ''}${lines.join('\r\n')}\r\n`;
}

/** Starts a download of `data` (a Blob or a data: URL) as `name`. */
export function download(name: string, data: Blob | string): void {
  const a = document.createElement('a');
  a.download = name;
  a.href = typeof data === 'string' ? data : URL.createObjectURL(data);
  document.body.append(a);
  a.click();
  a.remove();
  if (typeof data !== 'string') setTimeout(() => URL.revokeObjectURL(a.href), 10_000);
}

/** PNG data URL of an inline SVG element (white background, the view's `css` inlined), at `scale` × its size. */
export async function svgToPng(svg: SVGSVGElement, css: string, scale = 2): Promise<string> {
  const w = Number(svg.getAttribute('width')) || svg.clientWidth || 800;
  const h = Number(svg.getAttribute('height')) || svg.clientHeight || 300;
  const clone = svg.cloneNode(true) as SVGSVGElement;
  clone.setAttribute('xmlns', 'http://www.w3.org/2000/svg');
  clone.insertAdjacentHTML('afterbegin', `<style>${css}</style>`);
  const url = `data:image/svg+xml;charset=utf-8,${encodeURIComponent(new XMLSerializer().serializeToString(clone))}`;
  const img = new Image();
  await new Promise<void>((ok, ko) => {
    img.onload = () => ok();
    img.onerror = () => ko(new Error('svg'));
    img.src = url;
  });
  const c = document.createElement('canvas');
  c.width = w * scale;
  c.height = h * scale;
  const g = c.getContext('2d') as CanvasRenderingContext2D;
  g.fillStyle = '#ffffff';
  g.fillRect(0, 0, c.width, c.height);
  g.drawImage(img, 0, 0, c.width, c.height);
  return c.toDataURL('image/png');
}

/** Wall-clock parts of an instant in a time zone (numbers: year, month, day, hour, minute). */
function zoneParts(t: number, timeZone: string): Record<string, number> {
  return Object.fromEntries(
    new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
    })
      .formatToParts(new Date(t))
      .filter((x) => x.type !== 'literal')
      .map((x) => [x.type, Number(x.value)]),
  );
}

const pad2 = (v: number) => String(v).padStart(2, '0');

/** `YYYY-MM-DD HH:MM` of an instant in a time zone (CSV in local time). */
export function localStamp(t: number, timeZone: string): string {
  const p = zoneParts(t, timeZone);
  return `${p.year}-${pad2(p.month)}-${pad2(p.day)} ${pad2(p.hour)}:${pad2(p.minute)}`;
}

/** Local midnight of `YYYY-MM-DD` in a time zone, as an ISO instant. */
export function localMidnight(date: string, timeZone: string): string {
  const wall = Date.parse(`${date}T00:00:00Z`);
  const offsetAt = (t: number) => {
    const p = zoneParts(t, timeZone);
    return Date.UTC(p.year, p.month - 1, p.day, p.hour, p.minute) - t;
  };
  return new Date(wall - offsetAt(wall - offsetAt(wall))).toISOString();
}

/**
 * Lifecycle of a view: follows the shell's period (`onPeriod` with a complete period) and unmounts (stops
 * following, empties the element); `state.disposed` tells pending loads to drop their answer.
 */
export function viewLifecycle(
  el: HTMLElement,
  ctx: Pick<ViewContext, 'onPeriodChange'>,
  onPeriod: (p: { from: string; to: string }) => void,
) {
  const state = { disposed: false };
  const off = ctx.onPeriodChange((p) => {
    if (p.from && p.to) onPeriod(p);
  });
  return {
    state,
    handle: {
      unmount() {
        state.disposed = true;
        off();
        el.innerHTML = '';
      },
    },
  };
}

/** Adds a view's scoped stylesheet once per document. */
export function ensureStyle(id: string, css: string): void {
  if (document.querySelector(`style[data-view-style="${id}"]`)) return;
  const s = document.createElement('style');
  s.dataset.viewStyle = id;
  s.textContent = css;
  document.head.append(s);
}

/** The period to show: the shell's, else the last `days` of the stored data (GET /api/v1/extent). */
export async function resolvePeriod(
  period: { from: string; to: string },
  extent: () => Promise<{ from: number | null; to: number | null }>,
  days: number,
): Promise<{ from: string; to: string } | null> {
  if (period.from && period.to) return period;
  const e = await extent();
  if (e.from === null || e.to === null) return null;
  const from = Math.max(e.from, e.to - days * 86_400_000);
  return { from: new Date(from).toISOString(), to: new Date(e.to).toISOString() };
}
