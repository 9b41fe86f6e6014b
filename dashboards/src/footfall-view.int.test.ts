/**
 * Planner walk of the Footfall view in real Chromium, French then English, over 66 days of fixture footfall: the
 * calendar heatmap and the day table equal the API's answer to the requests the view made, the outage day is
 * marked as a fault, events sit on the time axis, the stored forecast band is drawn, the before/after estimate
 * (+20 % injected at ped-gare) is shown with its interval, and the chart exports as PNG and the table as CSV.
 * Screenshots in .artifacts/screenshots/ (<role>-<lang>-<step>.png).
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { chromiumAvailable, saveShot } from './harness.ts';
import { footfallView } from './views/footfall.ts';
import {
  browserWalk,
  expectFitsPhone,
  expectNoOtherLanguage,
  fmtNumber,
  navButton,
  openView,
  PLANNER_KEY_VIEWS,
} from './views-harness.ts';

interface Cal {
  days: { date: string; total: number | null; flag: string; holiday: string | null; events: string[] }[];
}
interface Ba {
  result: { uplift: number; lo: number; hi: number };
}

const available = chromiumAvailable();
describe.skipIf(!available && process.env.CI !== 'true')('Footfall view in Chromium (planner role)', () => {
  const w = browserWalk('/api/v1/footfall/');

  const sensorNames = async () =>
    (await w.page.locator('[data-role="sensors"] label').allTextContents()).map((x) => x.trim());
  const text = async (sel: string) => (await w.page.locator(sel).first().textContent()) ?? '';

  async function check(lang: 'fr' | 'en') {
    await w.page.locator('[data-table="days"]').waitFor({ timeout: 60_000 });
    const cal = await w.server.get<Cal>(w.last('/calendar?'), PLANNER_KEY_VIEWS);
    const ba = await w.server.get<Ba>(w.last('/before-after?'), PLANNER_KEY_VIEWS);
    expect(cal.days.length).toBeGreaterThanOrEqual(50);
    expect(await w.page.locator('svg.heatmap rect[data-date]').count()).toBe(cal.days.length);
    for (const d of cal.days) {
      expect(await text(`[data-table="days"] tr[data-date="${d.date}"] [data-col="total"]`)).toBe(
        d.total === null ? '–' : fmtNumber(lang, d.total),
      );
      expect(await w.page.locator(`svg.heatmap rect[data-date="${d.date}"]`).getAttribute('data-flag')).toBe(d.flag);
    }
    // The intervention event of the fixture is on the hourly chart's time axis; the forecast band is drawn.
    expect(await w.page.locator('svg.hourly line[data-event="Rue piétonne"]').count()).toBe(1);
    expect(await w.page.locator('svg.hourly path.band').count()).toBe(1);
    expect(await w.page.locator('[data-role="no-forecast"]').count()).toBe(0);
    // Before/after: the estimate shown is the API's, in the language's formats.
    const est = w.page.locator('[data-role="estimate"]');
    expect(Number(await est.getAttribute('data-uplift'))).toBeCloseTo(ba.result.uplift, 9);
    const pct = (v: number) => `+${fmtNumber(lang, 100 * v, 1)} %`;
    const shown = await est.textContent();
    expect(shown).toContain(pct(ba.result.uplift));
    expect(shown).toContain(pct(ba.result.lo));
    expect(shown).toContain(pct(ba.result.hi));
    expect(ba.result.uplift).toBeGreaterThan(0.17);
    expect(ba.result.uplift).toBeLessThan(0.23);
    expect(await w.page.locator('svg.ba line[data-role="cf"]').count()).toBe(1);
    return cal;
  }

  it('French: heatmap and table equal the API, events, forecast band, before/after, PNG and CSV exports', async () => {
    await openView(w.page, w.server.url, PLANNER_KEY_VIEWS, 'fr', 'footfall');
    expect(await navButton(w.page, 'footfall').textContent()).toBe('Fréquentation');
    const cal = await check('fr');
    expect(await text('[data-role="ba"] h3')).toBe('Avant / après l’intervention');
    expect(await text('[data-role="estimate"]')).toMatch(/^Effet estimé : \+\d+,\d %/);
    const outage = cal.days.find((d) => d.flag === 'outage' && d.total !== null);
    if (outage)
      expect(await w.page.locator(`svg.heatmap rect[data-date="${outage.date}"]`).getAttribute('class')).toContain(
        'fault',
      );
    const [png] = await Promise.all([w.page.waitForEvent('download'), w.page.click('[data-png="ba"]')]);
    const bytes = readFileSync((await png.path()) as string);
    expect(bytes.subarray(1, 4).toString()).toBe('PNG');
    expect(bytes.length).toBeGreaterThan(5000);
    const [dl] = await Promise.all([w.page.waitForEvent('download'), w.page.click('[data-role="csv"]')]);
    const csv = readFileSync((await dl.path()) as string, 'utf8').split('\r\n');
    expect(csv[0]).toBe('\ufeffDate;Jour;Total;Heures comptées;État;Jour férié;Évènements');
    expect(csv).toHaveLength(cal.days.length + 2);
    const d = cal.days.find((x) => x.date === '2026-02-09') as Cal['days'][number];
    expect(csv).toContain(`2026-02-09;lun.;${d.total};24;normal;;Rue piétonne`);
    expect(
      await expectNoOtherLanguage(w.page, 'footfall', footfallView.strings as never, 'fr', await sensorNames()),
    ).toEqual([]);
    await saveShot(w.page, 'planner-fr-footfall', { fullPage: true });
    // The French view at phone width (390 px) fits too.
    await expectFitsPhone(w.page, 'footfall', 'planner-fr-footfall-390px');
  }, 120_000);

  it('English: the same numbers in English formats after switching the language', async () => {
    await w.page.click('#lang');
    await w.page.waitForFunction(() => document.documentElement.lang === 'en', null, { timeout: 30_000 });
    await w.page.waitForFunction(
      () => document.querySelector('[data-role="ba"] h3')?.textContent === 'Before / after the intervention',
      null,
      {
        timeout: 60_000,
      },
    );
    await check('en');
    expect(await text('[data-role="estimate"]')).toMatch(/^Estimated effect: \+\d+\.\d %/);
    expect(
      await expectNoOtherLanguage(w.page, 'footfall', footfallView.strings as never, 'en', await sensorNames()),
    ).toEqual([]);
    await saveShot(w.page, 'planner-en-footfall', { fullPage: true });
    // At phone width (390 px) the view fits: wide tables and charts scroll inside their own boxes.
    await expectFitsPhone(w.page, 'footfall', 'planner-en-footfall-390px');
  }, 120_000);
});
