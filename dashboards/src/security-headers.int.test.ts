/**
 * The Content Security Policy and the other security headers of the API (services/api/src/security.ts) in real
 * Chromium: the dashboard (with a key and without: the public, hourly view) and the API docs load and work with no
 * CSP violation. A violation here means the policy would break the dashboard for users.
 */
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromiumAvailable, ensureDist, launchChromium, PLANNER_KEY, startFixtureApi, waitOdDrawn } from './harness.ts';

const available = chromiumAvailable();
if (!available) console.warn('SKIP security headers browser test: /usr/bin/chromium is missing.');

describe.skipIf(!available && process.env.CI !== 'true')('security headers in Chromium', () => {
  let server: Awaited<ReturnType<typeof startFixtureApi>>;
  let browser: Browser;

  beforeAll(async () => {
    await ensureDist();
    server = await startFixtureApi({ hours: 2 });
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  /** Opens `path`, runs `ready`, and returns the CSP violations reported by the page and the main response. */
  async function open(path: string, ready: (p: import('playwright-core').Page) => Promise<void>) {
    const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    const violations: string[] = [];
    page.on('console', (m) => {
      if (/Content Security Policy|Refused to/i.test(m.text())) violations.push(m.text().slice(0, 300));
    });
    const odUrls: string[] = [];
    page.on('request', (r) => {
      if (r.url().includes('/api/v1/od?')) odUrls.push(r.url());
    });
    const res = await page.goto(`${server.url}${path}`);
    await ready(page);
    const error = await page.evaluate(() => document.body.dataset.error ?? '');
    await page.close();
    return { headers: res?.headers() ?? {}, violations, error, odUrls };
  }

  it('the dashboard with a key: sent with the headers, drawn with no CSP violation', async () => {
    const r = await open(`/#key=${PLANNER_KEY}`, (p) => waitOdDrawn(p, 1));
    expect(r.headers['content-security-policy']).toContain("script-src 'self'");
    expect(r.headers['x-content-type-options']).toBe('nosniff');
    expect(r.headers['x-frame-options']).toBe('DENY');
    expect(r.headers['referrer-policy']).toBe('no-referrer');
    expect(r.violations).toEqual([]);
    expect(r.error).toBe('');
  });

  it('the public dashboard (no key) asks for whole clock hours and draws with no CSP violation', async () => {
    const r = await open('/', (p) => waitOdDrawn(p, 1));
    expect(r.violations).toEqual([]);
    expect(r.error).toBe('');
    const u = new URL(r.odUrls[0]);
    for (const t of [u.searchParams.get('from'), u.searchParams.get('to')]) {
      expect(Date.parse(t ?? '') % 3_600_000).toBe(0);
    }
  });

  it('the API docs (Swagger UI) render with no CSP violation', async () => {
    const r = await open('/docs', (p) => p.waitForSelector('.opblock', { timeout: 30_000 }).then(() => undefined));
    expect(r.violations).toEqual([]);
  });
});
