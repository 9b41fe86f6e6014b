/**
 * Browser-test fixture for the signals and footfall views: the shared fixture store (`fillFixture`) plus the
 * signal controller, heavy vehicles and camera health event of the fixture junction and 66 days of hourly
 * footfall with forecasts and events (`@passage/api/fixtures/signals-footfall`), served by the real API with a
 * traffic and a planner key (harness.ts serves a planner key only).
 */
import { mkdirSync } from 'node:fs';
import { loadConfig } from '@passage/config';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, expect } from 'vitest';
import { ensureDist, launchChromium, SCREENSHOTS_DIR, saveShot } from './harness.ts';

export const TRAFFIC_KEY = 'traffic-dashboard-key-0123456789';
export const PLANNER_KEY_VIEWS = 'planner-dashboard-key-abcdef0123';

export async function startViewsApi() {
  const { migrate, openStore } = await import('@passage/store');
  const { startApi } = await import('@passage/api');
  const { fillFixture } = await import('@passage/api/fixtures/aggregates');
  const { fillFootfallFixture, fillSignalsFixture } = await import('@passage/api/fixtures/signals-footfall');
  const { createLogger } = await import('@passage/stream');
  const store = openStore({ dataDir: ':memory:' });
  await migrate(store.client);
  const fixture = await fillFixture(store.client, { hours: 2 });
  await fillSignalsFixture(store.client, fixture.start, 2);
  await fillFootfallFixture(store.client);
  const api = await startApi({
    config: loadConfig({
      env: {},
      overrides: {
        api: { keys: [`traffic:${TRAFFIC_KEY}`, `planner:${PLANNER_KEY_VIEWS}`], rateLimitPerMinute: 100000 },
        footfall: { timeZone: 'Europe/Paris', country: 'FR' },
      },
    }),
    store,
    log: createLogger({ level: 'silent' }),
    port: 0,
    host: '127.0.0.1',
    buildDashboard: false,
  });
  return {
    url: api.url,
    fixture,
    /** GET on the API with a key (what the view asked, read again by the test). */
    get: async <T>(pathAndQuery: string, key: string): Promise<T> => {
      const r = await fetch(`${api.url}${pathAndQuery}`, { headers: { 'x-api-key': key } });
      if (!r.ok) throw new Error(`${pathAndQuery}: ${r.status} ${await r.text()}`);
      return (await r.json()) as T;
    },
    close: async () => {
      await api.close();
      await store.close();
    },
  };
}

/** Opens the dashboard in `lang` with `key`, then the contributed view `view` from the navigation. */
export async function openView(page: Page, url: string, key: string, lang: 'fr' | 'en', view: string): Promise<void> {
  await page.addInitScript((l) => localStorage.setItem('passage.lang', l), lang);
  await page.goto(`${url}/#key=${key}`);
  const button = navButton(page, view);
  await button.waitFor({ timeout: 60_000 });
  await button.click();
}

/** The navigation button of a contributed view (`data-view`, or the shell's `data-tab="x:<id>"`). */
export function navButton(page: Page, view: string) {
  return page.locator(`button[data-view="${view}"], button[data-tab="x:${view}"]`).first();
}

/** Number as the view formats it (ctx.fmt.number: locale grouping, at most `digits` decimals). */
export function fmtNumber(lang: 'fr' | 'en', v: number, digits = 0): string {
  return new Intl.NumberFormat(lang === 'fr' ? 'fr-FR' : 'en-GB', {
    maximumFractionDigits: digits,
    minimumFractionDigits: 0,
  }).format(v);
}

/**
 * A browser walk's fixtures (call inside `describe`): the dashboard build, the API over the fixture store, one
 * Chromium page that records the API requests whose URL contains `record` (path and query, as the view sent them).
 */
export function browserWalk(record: string) {
  const w = {
    server: undefined as unknown as Awaited<ReturnType<typeof startViewsApi>>,
    browser: undefined as unknown as Browser,
    page: undefined as unknown as Page,
    asked: [] as string[],
    /** The last recorded request containing `part`. */
    last: (part: string) => w.asked.filter((u) => u.includes(part)).at(-1) as string,
  };
  beforeAll(async () => {
    await ensureDist();
    w.server = await startViewsApi();
    w.browser = await launchChromium();
    w.page = await w.browser.newPage({ viewport: { width: 1280, height: 1400 }, acceptDownloads: true });
    w.page.on('request', (r) => {
      if (r.url().includes(record)) w.asked.push(r.url().slice(w.server.url.length));
    });
    mkdirSync(SCREENSHOTS_DIR, { recursive: true });
  }, 120_000);
  afterAll(async () => {
    await w.browser?.close();
    await w.server?.close();
  });
  return w;
}

/**
 * Fails when a string of the view's other language is visible in its root (an untranslated string): every
 * string of `other` that differs from its `lang` counterpart, placeholders cut out, of 5 characters or more;
 * `data` (names of sensors, places: data, not interface text) is cut out of the text first.
 */
export async function expectNoOtherLanguage(
  page: Page,
  view: string,
  strings: Record<'fr' | 'en', Record<string, string>>,
  lang: 'fr' | 'en',
  data: readonly string[] = [],
): Promise<string[]> {
  const other = lang === 'fr' ? 'en' : 'fr';
  let shown = (await page.locator(`[data-view-root="${view}"]`).textContent()) ?? '';
  for (const d of data) shown = shown.replaceAll(d, ' ');
  const probes = Object.entries(strings[other])
    .filter(([k, v]) => v !== strings[lang][k])
    .flatMap(([, v]) => v.split(/\{[^}]*\}/))
    .map((v) => v.trim())
    .filter((v) => v.length >= 5 && !Object.values(strings[lang]).some((own) => own.includes(v)));
  return probes.filter((p) => shown.includes(p));
}

/**
 * At phone width (390 px) the view fits: wide tables and charts scroll inside their own boxes. Saves `shot` (full
 * page), then restores the desktop viewport.
 */
export async function expectFitsPhone(page: Page, view: string, shot: string): Promise<void> {
  await page.setViewportSize({ width: 390, height: 900 });
  await page.waitForTimeout(300);
  const root = page.locator(`[data-view-root="${view}"]`);
  expect(await root.evaluate((e) => e.getBoundingClientRect().right)).toBeLessThanOrEqual(390);
  expect(await root.evaluate((e) => e.scrollWidth <= e.clientWidth)).toBe(true);
  expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(391);
  await saveShot(page, shot, { fullPage: true });
  await page.setViewportSize({ width: 1280, height: 1400 });
}
