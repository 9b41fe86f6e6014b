/**
 * Traffic-engineer walk of the Signals view in real Chromium, French then English: the numbers of the turning
 * movement, approach and plan tables equal the API's answer to the very requests the view made, the stage diagram
 * draws the API's greens, health flags show on the flagged quarter hour, and the CSV is in local time with
 * readable movement names (French: `;`, decimal comma, BOM). Screenshots in .artifacts/screenshots/ (<role>-<lang>-<step>.png).
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { chromiumAvailable, saveShot } from './harness.ts';
import { signalsView } from './views/signals.ts';
import {
  browserWalk,
  expectFitsPhone,
  expectNoOtherLanguage,
  fmtNumber,
  navButton,
  openView,
  TRAFFIC_KEY,
} from './views-harness.ts';

interface Mv {
  timezone: string;
  movements: { key: string; name: string; vehicles: number; pcu: number }[];
  approaches: { arm: string; vehicles: number; pcu: number; heavyShare: number; phf: number | null }[];
  intervals: { start: number; total: number; flags: string[] }[];
}
interface PlanSide {
  cycleS: number;
  delayS: number;
  control: 'fixed' | 'actuated';
  groups: { group: string; greens: [number, number][]; maxGreenS: number | null }[];
  approaches: { approach: string; flowPcuH: number; delayS: number; X: number; los: string }[];
}
interface Plan {
  current: PlanSide;
  proposed: PlanSide;
}

const available = chromiumAvailable();
describe.skipIf(!available && process.env.CI !== 'true')('Signals view in Chromium (traffic role)', () => {
  const w = browserWalk('/api/v1/signals/');

  const text = (sel: string) => w.page.locator(sel).first().textContent();

  async function checkNumbers(lang: 'fr' | 'en') {
    await w.page.locator('[data-table="approach-plan"]').waitFor({ timeout: 60_000 });
    const mvUrl = w.last('/movements?');
    const planUrl = w.last('/plan?');
    const mv = await w.server.get<Mv>(mvUrl, TRAFFIC_KEY);
    const plan = await w.server.get<Plan>(planUrl, TRAFFIC_KEY);
    const f = (v: number, d = 0) => fmtNumber(lang, v, d);
    expect(mv.movements.length).toBe(12);
    for (const m of mv.movements) {
      const row = `[data-table="movements"] tr[data-key="${m.key}"]`;
      expect(await text(`${row} td:first-child`)).toBe(m.name);
      expect(await text(`${row} [data-col="vehicles"]`)).toBe(f(m.vehicles));
      expect(await text(`${row} [data-col="pcu"]`)).toBe(f(m.pcu, 1));
    }
    for (const a of mv.approaches) {
      const row = `[data-table="approaches"] tr[data-arm="${a.arm}"]`;
      expect(await text(`${row} [data-col="pcu"]`)).toBe(f(a.pcu, 1));
      expect(await text(`${row} [data-col="heavy"]`)).toBe(`${f(100 * a.heavyShare, 1)} %`);
      expect(await text(`${row} [data-col="phf"]`)).toBe(a.phf === null ? '–' : f(a.phf, 2));
    }
    for (const i of mv.intervals) {
      const row = `[data-table="intervals"] tr[data-start="${i.start}"]`;
      expect(await text(`${row} [data-col="total"]`)).toBe(f(i.total, 1));
      expect(await w.page.locator(`${row} [data-flag]`).count()).toBe(i.flags.length);
    }
    expect(mv.intervals.some((i) => i.flags.includes('fault'))).toBe(true);
    for (const a of plan.current.approaches) {
      const p = plan.proposed.approaches.find((x) => x.approach === a.approach) as PlanSide['approaches'][number];
      const row = `[data-table="approach-plan"] tr[data-approach="${a.approach}"]`;
      expect(await text(`${row} [data-col="flow"]`)).toBe(f(a.flowPcuH));
      expect(await text(`${row} [data-col="cur-delay"]`)).toBe(f(a.delayS, 1));
      expect(await text(`${row} [data-col="cur-vc"]`)).toBe(f(a.X, 2));
      expect(await text(`${row} [data-col="prop-delay"]`)).toBe(f(p.delayS, 1));
      expect(await text(`${row} [data-col="prop-los"]`)).toBe(p.los);
    }
    expect(await text('[data-approach="overall"] [data-col="prop-delay"]')).toBe(f(plan.proposed.delayS, 1));
    // Stage diagrams: one bar per green of each group, as the API gives them.
    for (const [which, side] of [
      ['current', plan.current],
      ['proposed', plan.proposed],
    ] as const) {
      const svg = w.page.locator('svg.stage').nth(which === 'current' ? 0 : 1);
      expect(Number(await svg.getAttribute('data-cycle'))).toBe(side.cycleS);
      expect(await svg.getAttribute('data-control')).toBe(side.control);
      // a vehicle-actuated plan names each actuated group's maximum green, as the API gives it
      expect(await svg.locator('text.max-green').count()).toBe(side.groups.filter((g) => g.maxGreenS !== null).length);
      for (const g of side.groups.filter((x) => x.maxGreenS !== null)) {
        expect(await svg.locator(`text.max-green[data-group="${g.group}"]`).textContent()).toBe(
          lang === 'fr' ? `vert max ${g.maxGreenS} s` : `max green ${g.maxGreenS} s`,
        );
      }
      for (const g of side.groups) {
        const bars = svg.locator(`rect[data-group="${g.group}"]`);
        expect(await bars.count()).toBe(g.greens.length);
        expect([
          Number(await bars.first().getAttribute('data-start')),
          Number(await bars.first().getAttribute('data-end')),
        ]).toEqual(g.greens[0]);
      }
    }
    // the fixture's proposal is vehicle-actuated (the product default); the current plan is fixed-time
    expect([plan.current.control, plan.proposed.control]).toEqual(['fixed', 'actuated']);
    expect(plan.proposed.groups.filter((g) => g.maxGreenS !== null).length).toBeGreaterThan(0);
    expect(await w.page.locator('svg.day rect[data-current]').count()).toBeGreaterThanOrEqual(2);
    expect(await w.page.locator('svg.day rect[data-proposed]').count()).toBeGreaterThanOrEqual(1);
    return mv;
  }

  it('French: tables equal the API, flags, stage diagrams, CSV in local time', async () => {
    await openView(w.page, w.server.url, TRAFFIC_KEY, 'fr', 'signals');
    expect(await navButton(w.page, 'signals').textContent()).toBe('Feux');
    const mv = await checkNumbers('fr');
    expect(await text('[data-role="movements"] h3')).toBe('Mouvements tournants par classe');
    expect(await w.page.locator('[data-table="movements"] th').allInnerTexts()).toContain('Poids lourds');
    expect(await w.page.locator('[data-flag="fault"]').first().textContent()).toBe('défaut capteur');
    const [dl] = await Promise.all([w.page.waitForEvent('download'), w.page.click('[data-role="csv"]')]);
    const csv = readFileSync((await dl.path()) as string, 'utf8');
    const lines = csv.split('\r\n');
    expect(lines[0]).toBe('\ufeffDébut (Europe/Paris);Fin (Europe/Paris);Mouvement;Véhicules;UVP;État');
    expect(lines).toHaveLength(mv.intervals.length * mv.movements.length + 2);
    const first = mv.movements[0];
    // First data row: the first quarter hour in local time (UTC+1), readable movement name, decimal comma.
    expect(lines[1]).toMatch(new RegExp(`^2026-03-10 07:30;2026-03-10 07:45;${first.name};\\d+;\\d+(,\\d+)?;`));
    expect(await expectNoOtherLanguage(w.page, 'signals', signalsView.strings as never, 'fr')).toEqual([]);
    await saveShot(w.page, 'traffic-fr-signals', { fullPage: true });
    // The French view at phone width (390 px) fits too.
    await expectFitsPhone(w.page, 'signals', 'traffic-fr-signals-390px');
    // A custom peak window in local time: 07:30–08:00 holds the first two quarter hours of the data.
    await w.page.fill('[data-role="peaks"]', 'M=07:30-08:00');
    await w.page.dispatchEvent('[data-role="peaks"]', 'change');
    await w.page.locator('[data-table="peaks"] tr[data-peak="M"]').waitFor({ timeout: 30_000 });
    const m = await w.server.get<{ peaks: { name: string; intervals: number; total: number }[] }>(
      w.last('/movements?'),
      TRAFFIC_KEY,
    );
    expect(w.last('/movements?')).toContain('peaks=M%3D07%3A30-08%3A00');
    expect(m.peaks).toMatchObject([{ name: 'M', intervals: 2 }]);
    expect(await text('tr[data-peak="M"] [data-col="pcu"]')).toBe(fmtNumber('fr', m.peaks[0].total, 1));
  }, 120_000);

  it('English: the same numbers in English formats after switching the language', async () => {
    await w.page.click('#lang');
    await w.page.waitForFunction(() => document.documentElement.lang === 'en', null, { timeout: 30_000 });
    await w.page.waitForFunction(
      () => document.querySelector('[data-role="movements"] h3')?.textContent === 'Turning movements by class',
      null,
      {
        timeout: 60_000,
      },
    );
    await checkNumbers('en');
    expect(await w.page.locator('[data-flag="fault"]').first().textContent()).toBe('sensor fault');
    expect(await expectNoOtherLanguage(w.page, 'signals', signalsView.strings as never, 'en')).toEqual([]);
    await saveShot(w.page, 'traffic-en-signals', { fullPage: true });
    // At phone width (390 px) the view fits: wide tables and charts scroll inside their own boxes.
    await expectFitsPhone(w.page, 'signals', 'traffic-en-signals-390px');
  }, 120_000);
});
