/**
 * Headless-Chromium harness shared by the dashboard browser test and bench/api.ts: a fixture-filled store behind
 * the real API (dashboard build served at /), Chromium from the system (no browser download), and pixel helpers
 * that decode screenshots inside the page (no PNG library).
 */
import { existsSync } from 'node:fs';
import { loadConfig } from '@passage/config';
import type { Page } from 'playwright-core';
import { buildDashboard, DASHBOARD_DIST } from './build.ts';

export const CHROMIUM_PATH = process.env.PASSAGE_CHROMIUM ?? '/usr/bin/chromium';
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--use-angle=swiftshader',
  '--enable-unsafe-swiftshader',
];
export const PLANNER_KEY = 'planner-dashboard-key-0123456789';

export function chromiumAvailable(): boolean {
  return existsSync(CHROMIUM_PATH);
}

export async function launchChromium() {
  const { chromium } = await import('playwright-core');
  return chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS });
}

/** Builds dashboards/dist when missing. */
export async function ensureDist(): Promise<void> {
  if (!existsSync(`${DASHBOARD_DIST}/index.html`)) await buildDashboard();
}

/** In-memory store with `hours` of fixture aggregates, served by the API on a free loopback port. */
export async function startFixtureApi(opts: { hours?: number } = {}) {
  const { migrate, openStore } = await import('@passage/store');
  const { startApi } = await import('@passage/api');
  const { fillFixture } = await import('@passage/api/fixtures/aggregates');
  const { createLogger } = await import('@passage/stream');
  const store = openStore({ dataDir: ':memory:' });
  await migrate(store.client);
  const fixture = await fillFixture(store.client, { hours: opts.hours ?? 2 });
  const config = loadConfig({
    env: {},
    overrides: { api: { keys: [`planner:${PLANNER_KEY}`], rateLimitPerMinute: 100000 } },
  });
  const api = await startApi({
    config,
    store,
    log: createLogger({ level: 'silent' }),
    port: 0,
    host: '127.0.0.1',
    buildDashboard: false,
  });
  return {
    url: api.url,
    fixture,
    app: api.app,
    close: async () => {
      await api.close();
      await store.close();
    },
  };
}

/** Pixels of a PNG that are arc-coloured (orange → red) and that differ from the dark background. */
export function countPixels(page: Page, png: Buffer): Promise<{ arc: number; nonBackground: number; total: number }> {
  return page.evaluate(async (b64) => {
    const blob = await (await fetch(`data:image/png;base64,${b64}`)).blob();
    const img = await createImageBitmap(blob);
    const c = new OffscreenCanvas(img.width, img.height);
    const g = c.getContext('2d') as OffscreenCanvasRenderingContext2D;
    g.drawImage(img, 0, 0);
    const d = g.getImageData(0, 0, img.width, img.height).data;
    let arc = 0;
    let nonBackground = 0;
    for (let i = 0; i < d.length; i += 4) {
      const r = d[i];
      const gg = d[i + 1];
      const b = d[i + 2];
      if (r > 170 && b < 140 && r - b > 80 && r - gg > 40) arc++;
      if (Math.abs(r - 15) + Math.abs(gg - 23) + Math.abs(b - 32) > 30) nonBackground++;
    }
    return { arc, nonBackground, total: d.length / 4 };
  }, png.toString('base64'));
}

/** Number of pixels that differ (sum of channel differences > 48) between two same-size PNGs. */
export function diffPixels(page: Page, a: Buffer, b: Buffer): Promise<number> {
  return page.evaluate(
    async ([x, y]) => {
      const decode = async (b64: string) => {
        const img = await createImageBitmap(await (await fetch(`data:image/png;base64,${b64}`)).blob());
        const c = new OffscreenCanvas(img.width, img.height);
        const g = c.getContext('2d') as OffscreenCanvasRenderingContext2D;
        g.drawImage(img, 0, 0);
        return g.getImageData(0, 0, img.width, img.height).data;
      };
      const [p, q] = [await decode(x), await decode(y)];
      let n = 0;
      for (let i = 0; i < Math.min(p.length, q.length); i += 4) {
        if (Math.abs(p[i] - q[i]) + Math.abs(p[i + 1] - q[i + 1]) + Math.abs(p[i + 2] - q[i + 2]) > 48) n++;
      }
      return n;
    },
    [a.toString('base64'), b.toString('base64')] as const,
  );
}

/** Waits until the map reports a drawn OD frame after `afterRequests` OD requests, then two animation frames. */
export async function waitOdDrawn(page: Page, afterRequests = 1): Promise<void> {
  await page.waitForFunction(
    (n) => Number(document.body.dataset.odRequests ?? 0) >= n && document.body.dataset.odPending === '0',
    afterRequests,
    { timeout: 60_000 },
  );
  await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(() => r(null)))));
}
