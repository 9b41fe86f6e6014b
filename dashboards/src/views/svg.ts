/** Small SVG renderers (chart, turning-movement diagram) over the shaping modules' geometry. */
import type { Point } from '../shape/series.ts';
import { lineChart } from '../shape/series.ts';
import { type TurningMovements, turningDiagram } from '../shape/turning.ts';

const esc = (s: string) => s.replace(/[&<>"]/g, (c) => `&#${c.charCodeAt(0)};`);

export function chartSvg(pts: Point[], opts: { width: number; height: number; label: (t: number) => string }): string {
  const g = lineChart(pts, opts);
  const pad = 28;
  const ticks = g.xTicks
    .map((t) => `<text x="${t.x}" y="${opts.height - 8}" text-anchor="middle">${esc(t.label)}</text>`)
    .join('');
  const dots = g.points.map((p) => `<circle cx="${p.x}" cy="${p.y}" r="2.5"><title>${p.v}</title></circle>`).join('');
  return `<svg class="chart" viewBox="0 0 ${opts.width} ${opts.height}" width="${opts.width}" height="${opts.height}" role="img">
  <line x1="${pad}" y1="${opts.height - pad}" x2="${opts.width - pad}" y2="${opts.height - pad}" class="axis"/>
  <line x1="${pad}" y1="${pad}" x2="${pad}" y2="${opts.height - pad}" class="axis"/>
  <text x="${pad - 4}" y="${pad + 4}" text-anchor="end">${g.yMax}</text><text x="${pad - 4}" y="${opts.height - pad}" text-anchor="end">0</text>
  ${ticks}<path d="${g.d}" class="series"/>${dots}</svg>`;
}

const COLORS = ['#ff9f1c', '#e71d36', '#2ec4b6', '#8f5cff', '#ffd23f', '#3a86ff', '#fb5607', '#06d6a0'];

export function turningSvg(tm: TurningMovements, size = 360): string {
  const { arms, arrows } = turningDiagram(tm, { size, use: 'total' });
  const armIdx = new Map(arms.map((a, i) => [a.arm, i]));
  const roads = arms
    .map(
      (a) =>
        `<line x1="${a.inner[0]}" y1="${a.inner[1]}" x2="${a.outer[0]}" y2="${a.outer[1]}" class="road"/>` +
        `<text x="${a.outer[0]}" y="${a.outer[1]}" class="arm" text-anchor="middle" dy="4">${esc(a.arm.toUpperCase())}</text>`,
    )
    .join('');
  const paths = arrows
    .map(
      (a) =>
        `<path d="${a.d}" class="move" stroke="${COLORS[(armIdx.get(a.fromArm) ?? 0) % COLORS.length]}" stroke-width="${a.width}" marker-end="url(#arrow)"><title>${esc(`${a.fromArm.toUpperCase()} → ${a.toArm.toUpperCase()}: ${a.volume}`)}</title></path>`,
    )
    .join('');
  return `<svg class="turning" data-movements="${arrows.length}" viewBox="0 0 ${size} ${size}" width="${size}" height="${size}" role="img">
  <defs><marker id="arrow" viewBox="0 0 10 10" refX="5" refY="5" markerUnits="userSpaceOnUse" markerWidth="12" markerHeight="12" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="#dde"/></marker></defs>
  <circle cx="${size / 2}" cy="${size / 2}" r="${size * 0.16}" class="box"/>${roads}${paths}</svg>`;
}
