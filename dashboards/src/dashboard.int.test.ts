/**
 * The dashboard in real Chromium (system /usr/bin/chromium, SwiftShader WebGL) against the real API over a
 * fixture-filled store: the OD layer draws, the time slider and the mode filter change the request and the
 * drawing, the junction view shows a turning-movement diagram whose CSV downloads. Screenshots are kept in
 * dashboards/screenshots/.
 */
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  chromiumAvailable,
  countPixels,
  diffPixels,
  ensureDist,
  launchChromium,
  PLANNER_KEY,
  startFixtureApi,
  waitOdDrawn,
} from './harness.ts';

const HERE = dirname(fileURLToPath(import.meta.url));
const SHOTS = resolve(HERE, '../screenshots');
const available = chromiumAvailable();
if (!available) console.warn('SKIP dashboard browser test: /usr/bin/chromium is missing (apt-get install chromium).');

describe.skipIf(!available)('dashboard in Chromium', () => {
  let server: Awaited<ReturnType<typeof startFixtureApi>>;
  let browser: Browser;
  let page: Page;
  const odUrls: string[] = [];

  beforeAll(async () => {
    await ensureDist();
    server = await startFixtureApi({ hours: 2 });
    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 1280, height: 800 }, acceptDownloads: true });
    page.on('request', (r) => {
      if (r.url().includes('/api/v1/od?')) odUrls.push(r.url());
    });
    mkdirSync(SHOTS, { recursive: true });
  });
  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  const mapShot = async (name: string) => {
    const png = await page.locator('#map').screenshot();
    writeFileSync(resolve(SHOTS, `${name}.png`), png);
    return png;
  };

  it('draws the OD flow map over the offline base map', async () => {
    await page.goto(`${server.url}/#key=${PLANNER_KEY}`);
    await waitOdDrawn(page, 1);
    expect(await page.evaluate(() => document.body.dataset.error ?? '')).toBe('');
    expect(Number(await page.evaluate(() => document.body.dataset.odDrawn))).toBeGreaterThan(10);
    // The key moved from the URL to local storage: the URL no longer shows it.
    expect(page.url()).not.toContain(PLANNER_KEY);
    expect(odUrls[0]).toContain('interval=15m');
    const png = await mapShot('map-initial');
    const px = await countPixels(page, png);
    expect(px.arc).toBeGreaterThan(2000);
    expect(px.nonBackground).toBeGreaterThan(px.total * 0.1);
    await page.screenshot({ path: resolve(SHOTS, 'dashboard.png') });
    mkdirSync(resolve(HERE, '../../docs'), { recursive: true });
    copyFileSync(resolve(SHOTS, 'dashboard.png'), resolve(HERE, '../../docs/dashboard.png'));
  });

  it('moving the time slider requests another window and redraws the flows', async () => {
    const before = await mapShot('map-before-slider');
    const n = odUrls.length;
    await page.evaluate(() => {
      const s = document.querySelector('#slider') as HTMLInputElement;
      s.value = String(Math.min(Number(s.max), 5));
      s.dispatchEvent(new Event('input', { bubbles: true }));
    });
    await waitOdDrawn(page, n + 1);
    const url = new URL(odUrls[odUrls.length - 1]);
    expect(new URL(odUrls[n - 1]).searchParams.get('from')).not.toBe(url.searchParams.get('from'));
    expect(Date.parse(url.searchParams.get('to') as string) - Date.parse(url.searchParams.get('from') as string)).toBe(
      900_000,
    );
    const after = await mapShot('map-after-slider');
    expect(await diffPixels(page, before, after)).toBeGreaterThan(500);
    expect((await countPixels(page, after)).arc).toBeGreaterThan(1000);
  });

  it('the mode filter changes the request and the drawing', async () => {
    const before = await mapShot('map-all-modes');
    const n = odUrls.length;
    await page.locator('input[name="mode"][value="car"]').uncheck();
    await waitOdDrawn(page, n + 1);
    const modes = new URL(odUrls[odUrls.length - 1]).searchParams.get('modes') ?? '';
    expect(modes.split(',')).not.toContain('car');
    expect(modes.split(',')).toContain('pedestrian');
    const after = await mapShot('map-without-cars');
    expect(await diffPixels(page, before, after)).toBeGreaterThan(300);
  });

  it('the junction view shows a turning-movement diagram and downloads its 15-minute CSV', async () => {
    await page.locator('[data-tab="intersection"]').click();
    await page.locator('#tm-site').selectOption('site-r3a0');
    const svg = page.locator('svg.turning');
    await svg.waitFor({ timeout: 30_000 });
    expect(Number(await svg.getAttribute('data-movements'))).toBe(12);
    expect(await page.locator('#tm-table tbody tr').count()).toBe(8);
    expect(Number(await page.locator('#phf').textContent())).toBeGreaterThan(0.25);
    await page.screenshot({ path: resolve(SHOTS, 'intersection.png') });
    const [download] = await Promise.all([page.waitForEvent('download'), page.locator('#tm-csv').click()]);
    expect(download.suggestedFilename()).toBe('turning-movements-site-r3a0.csv');
    const csv = readFileSync((await download.path()) as string, 'utf8')
      .trim()
      .split('\n');
    expect(csv).toHaveLength(9);
    expect(csv[0]).toMatch(/^interval_start,interval_end,.*,total$/);
  });

  it('switches language and lists the open-data exports', async () => {
    await page.locator('[data-tab="exports"]').click();
    await page.locator('a.export').first().waitFor();
    const before = await page.locator('[data-tab="exports"]').textContent();
    await page.locator('#lang').click();
    const after = await page.locator('[data-tab="exports"]').textContent();
    expect(new Set([before, after])).toEqual(new Set(['Open data', 'Données ouvertes']));
    const href = await page.locator('a.export').first().getAttribute('href');
    const res = await page.request.get(`${server.url}${href}`);
    expect(res.status()).toBe(200);
  });
});
