/**
 * The dashboard per role in real Chromium against the real API (fixture store), in French and English: the public
 * (no key: the OD map, no 403 wall; a wrong key is forgotten and the public view stays; a translated, actionable
 * error with no stale arcs; usable at 390 px), the data officer (lands on open data: preview with row counts equal
 * to the download, disclosure report, metadata, spreadsheet CSV, DCAT catalogue), the traffic engineer (lands on
 * the junction view). Every French page is walked for untranslated text. Screenshots go to .artifacts/screenshots/.
 */
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  chromiumAvailable,
  ensureDist,
  launchChromium,
  OFFICER_KEY,
  saveShot,
  startFixtureApi,
  TRAFFIC_KEY,
  untranslatedTexts,
  waitOdDrawn,
} from './harness.ts';
import { DICT } from './i18n.ts';
import { openDataView } from './views/opendata.ts';

const available = chromiumAvailable();

/** English strings that differ from their French translation (identical words such as "Total" are fine). */
const ENGLISH = [
  ...Object.entries(DICT.en)
    .filter(([k, v]) => (DICT.fr as Record<string, string>)[k] !== v)
    .map(([, v]) => v),
  ...Object.entries(openDataView.strings?.en ?? {})
    .filter(([k, v]) => openDataView.strings?.fr[k] !== v)
    .map(([, v]) => v),
];
/** Proper nouns, codes and units that read the same in both languages. */
const ALLOW = [
  'Passage',
  'EN',
  'FR',
  'CSV',
  'PARQUET',
  'GEOJSON',
  'k',
  '▶',
  'Licence Ouverte / Open Licence 2.0 (Etalab)',
];

describe.skipIf(!available && process.env.CI !== 'true')('dashboard per role in Chromium', () => {
  let server: Awaited<ReturnType<typeof startFixtureApi>>;
  let browser: Browser;
  let page: Page;
  let from: string;
  let to: string;
  const body = (k: string, p = page) => p.evaluate((key) => document.body.dataset[key] ?? '', k);
  const untranslated = (p = page) => untranslatedTexts(p, ENGLISH, ALLOW);

  beforeAll(async () => {
    await ensureDist();
    server = await startFixtureApi({ hours: 2 });
    const ext = (await (await fetch(`${server.url}/api/v1/extent`)).json()) as { od: { from: number; to: number } };
    from = new Date(ext.od.from).toISOString();
    to = new Date(ext.od.to).toISOString();
    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 1280, height: 800 }, acceptDownloads: true });
    // A server error during a test is printed with its body (the page only shows the translated message).
    page.on('response', async (r) => {
      if (r.status() >= 500) console.warn(`HTTP ${r.status()} ${r.url()}: ${(await r.text()).slice(0, 300)}`);
    });
  });
  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  it('public FR: the OD map without a key, no 403, hourly steps only, every visible string in French', async () => {
    const odUrls: string[] = [];
    page.on('request', (r) => {
      if (r.url().includes('/api/v1/od?')) odUrls.push(r.url());
    });
    await page.goto(`${server.url}/#lang=fr&c=0`);
    await waitOdDrawn(page, 1);
    expect(await body('role')).toBe('public');
    expect(await body('odState')).toBe('ready');
    expect(Number(await body('odDrawn'))).toBeGreaterThan(10);
    expect(new URL(odUrls[0]).searchParams.get('interval')).toBe('1h');
    expect(await page.locator('#p-interval option').allTextContents()).toEqual(['1 heure', '1 jour']);
    expect(await page.locator('#nav button').allTextContents()).toEqual(['Carte des flux', 'Données ouvertes']);
    const text = (await page.locator('body').textContent()) ?? '';
    expect(text).not.toMatch(/403|PASSAGE_|Forbidden/);
    expect(await page.locator('#role').textContent()).toBe('Rôle\u00a0: public');
    expect(await untranslated()).toEqual([]);
    await saveShot(page, 'public-fr-map');
  });

  it('public FR: an API error is translated and actionable, with no stale arcs', async () => {
    await page.locator('#p-from').fill('2024-01-01T00:00');
    await page.locator('#p-apply').click();
    await page.waitForFunction(() => document.body.dataset.odState === 'error', null, { timeout: 30_000 });
    expect(await body('odError')).toBe('PASSAGE_BAD_RANGE');
    const msg = (await page.locator('#map-state').textContent()) ?? '';
    expect(msg).toContain('choisissez une période plus courte ou un pas plus grossier');
    expect(await page.locator('#map-state [role="alert"]').count()).toBe(1);
    expect(await body('arcs')).not.toBe('');
    expect(await page.evaluate(() => document.body.dataset.arcs)).toBe('0');
    expect(await untranslated()).toEqual([]);
    await saveShot(page, 'public-fr-error');
    // End before start: said at the picker, nothing asked.
    await page.locator('#p-from').fill('2030-01-01T00:00');
    await page.locator('#p-apply').click();
    expect(await page.locator('#period-error').textContent()).toBe('La fin de la période doit être après son début.');
    // A period without data (in a page of its own): said in French, with what to do; no arcs.
    const p = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    try {
      await p.goto(`${server.url}/#lang=fr&c=0`);
      await waitOdDrawn(p, 1);
      await p.locator('#p-from').fill('2026-03-12T08:00');
      await p.locator('#p-to').fill('2026-03-12T10:00');
      await p.locator('#p-apply').click();
      await p.waitForFunction(() => document.body.dataset.odState === 'empty', null, { timeout: 30_000 });
      const empty = (await p.locator('#map-state').textContent()) ?? '';
      expect(empty).toContain('Aucun flux publié pour cette période et ces voyageurs');
      expect(empty).toContain('choisissez une autre période ou un autre groupe.');
      expect(await body('arcs', p)).toBe('0');
      expect(await untranslated(p)).toEqual([]);
      await saveShot(p, 'public-fr-empty');
    } finally {
      await p.close();
    }
  });

  it('public EN at 390 px: the map is usable on a phone', async () => {
    const phone = await browser.newPage({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true });
    try {
      await phone.goto(`${server.url}/#lang=en&c=0`);
      await waitOdDrawn(phone, 1);
      const box = await phone.locator('#map').boundingBox();
      expect(box?.width).toBeGreaterThanOrEqual(380);
      expect(box?.height).toBeGreaterThanOrEqual(300);
      expect(await phone.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(391);
      expect(await phone.locator('#od-stats').textContent()).toMatch(/^Total trips: [\d,]+ · \d+ flows/);
      // The walk does find English: the same page in English has many of the strings it looks for.
      const english = await untranslated(phone);
      expect(english).toEqual(expect.arrayContaining(['Flow map', 'Period', 'Apply']));
      await saveShot(phone, 'public-en-390px');
      // An API error at phone width, in English and actionable, with no stale arcs.
      await phone.locator('#p-from').fill('2024-01-01T00:00');
      await phone.locator('#p-apply').click();
      await phone.waitForFunction(() => document.body.dataset.odState === 'error', null, { timeout: 30_000 });
      expect(await phone.locator('#map-state').textContent()).toContain(
        'choose a shorter period or a coarser interval',
      );
      expect(await body('arcs', phone)).toBe('0');
      await saveShot(phone, 'public-en-390px-error');
      // The same phone view in French: French number formats, the map still full width.
      await phone.goto(`${server.url}/#lang=fr&c=0`);
      await phone.reload();
      await waitOdDrawn(phone, 1);
      expect((await phone.locator('#map').boundingBox())?.width).toBeGreaterThanOrEqual(380);
      expect(await phone.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(391);
      expect(await phone.locator('#od-stats').textContent()).toMatch(
        /^Total des déplacements\u00a0: [\d\u202f]+ · \d+ flux/,
      );
      expect(await untranslated(phone)).toEqual([]);
      await saveShot(phone, 'public-fr-390px');
    } finally {
      await phone.close();
    }
  });

  /** The officer's period and interval picker set to one-day steps: the OD preview counts the daily download's rows. */
  const dailyOdPreview = async () => {
    await page.locator('#od-from').fill(from.slice(0, 16));
    await page.locator('#od-to').fill(to.slice(0, 16));
    await page.locator('#od-interval').selectOption('1d');
    await page.locator('#od-dataset').selectOption('od');
    await page.locator('#od-preview-btn').click();
    await page.locator('#od-preview').waitFor();
    const counts = page.locator('#od-counts');
    const csv = await (
      await fetch(`${server.url}/api/v1/exports/od?from=${from}&to=${to}&interval=1d&format=csv`)
    ).text();
    const lines = csv.trim().split('\n');
    expect(lines.length - 1).toBeGreaterThan(20);
    expect(Number(await counts.getAttribute('data-rows'))).toBe(lines.length - 1);
    const win = lines[0].split(',');
    const [ws, we] = lines[1].split(',').slice(win.indexOf('window_start'), win.indexOf('window_end') + 1);
    expect(Date.parse(we) - Date.parse(ws)).toBe(86_400_000);
    return { counts, lines };
  };

  /**
   * A page opened with a wrong key: the key is sent once (the API counts 10 failed key checks a minute per address,
   * then refuses every key from it), forgotten, the public map is drawn, the notice says so.
   */
  const wrongKey = async (lang: 'fr' | 'en', notice: string) => {
    const p = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    const bad = `wrong-key-${lang}-0123456789abcdef`;
    const withBadKey: string[] = [];
    p.on('request', (r) => {
      if (r.headers()['x-api-key'] === bad) withBadKey.push(new URL(r.url()).pathname);
    });
    try {
      await p.goto(`${server.url}/#key=${bad}&lang=${lang}`);
      await waitOdDrawn(p, 1);
      expect(withBadKey).toEqual(['/api/v1/whoami']);
      expect(await body('keyRefused', p)).toBe('1');
      expect(await body('role', p)).toBe('public');
      expect(await p.locator('#notice').textContent()).toContain(notice);
      expect(await p.evaluate(() => localStorage.getItem('passage.key'))).toBeNull();
      expect(p.url()).not.toContain('wrong-key');
      expect(Number(await body('odDrawn', p))).toBeGreaterThan(10);
      await saveShot(p, `public-${lang}-wrong-key`);
    } finally {
      await p.close();
    }
  };

  it('a wrong key is sent once and forgotten; the public view stays and says so (FR, then EN)', async () => {
    await wrongKey('fr', 'La clé d’API a été refusée et oubliée');
    await wrongKey('en', 'The API key was refused and forgotten: the public view is shown.');
  });

  it('data officer FR: lands on open data; preview counts equal the download; report; spreadsheet CSV; catalogue', async () => {
    await page.goto(`${server.url}/#key=${OFFICER_KEY}&lang=fr`);
    await page.reload();
    await page.locator('#od-datasets').waitFor({ timeout: 60_000 });
    expect(await body('tab')).toBe('x:opendata');
    expect(await page.locator('#od-datasets td.name').first().textContent()).toBe(
      'Sites de comptage (schéma national, sites.csv)',
    );
    await page.locator('#od-from').fill(from.slice(0, 16));
    await page.locator('#od-to').fill(to.slice(0, 16));
    await page.locator('#od-dataset').selectOption('footfall');
    await page.locator('#od-preview-btn').click();
    await page.locator('#od-preview').waitFor();
    const counts = page.locator('#od-counts');
    const csv = await (await fetch(`${server.url}/api/v1/exports/footfall?from=${from}&to=${to}&format=csv`)).text();
    const lines = csv.trim().split('\n');
    expect(Number(await counts.getAttribute('data-rows'))).toBe(lines.length - 1);
    const sup = lines[0].split(',').indexOf('suppressed');
    expect(Number(await counts.getAttribute('data-suppressed'))).toBe(
      lines.slice(1).filter((l) => l.split(',')[sup] === 'true').length,
    );
    expect(await counts.textContent()).toMatch(
      /^\d[\d\u202f]* lignes · \d+ cellules retirées \(sous k\) · \d+ lacunes/,
    );
    expect(await untranslated()).toEqual([]);
    await saveShot(page, 'officer-fr-preview');

    await page.locator('#od-report-btn').click();
    await page.locator('#od-report').waitFor();
    expect(await page.locator('#od-report tbody tr').count()).toBe(6);
    const measures = page.locator('#od-report tr[data-file="passage-counting-measures.csv"] td');
    expect(Number(((await measures.nth(2).textContent()) ?? '').replace(/\s/g, ''))).toBeGreaterThan(0);
    await saveShot(page, 'officer-fr-report');

    // French spreadsheets: ; and a BOM, from the download link itself.
    const href = (await page.locator('tr[data-dataset="od"] a[data-format="csv"]').getAttribute('href')) ?? '';
    expect(href).toContain('sep=%3B');
    const bytes = Buffer.from(await (await fetch(`${server.url}${href}`)).arrayBuffer());
    expect([...bytes.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
    expect(bytes.subarray(3, 30).toString()).toMatch(/^window_start;window_end;/);
    const cat = (await (
      await fetch(`${server.url}${await page.locator('#od-catalog').getAttribute('href')}`)
    ).json()) as {
      '@type': string;
    };
    expect(cat['@type']).toBe('dcat:Catalog');
    // Metadata of each dataset: licence, producer, schema and version, update frequency.
    const meta = (await page.locator('#od-meta').textContent()) ?? '';
    expect(meta).toContain('Licence\u00a0: Licence Ouverte / Open Licence 2.0 (Etalab)');
    expect(meta).toContain('Producteur\u00a0: Passage (analyse libre des flux de mobilité)');
    const od = page.locator('#od-datasets tr[data-dataset="od"] td');
    expect(await od.nth(2).textContent()).toMatch(/^\S.* \(\d+(\.\d+)*\)$/);
    expect(await od.nth(3).textContent()).toBe('horaire (en continu)');
    // One-day steps in French: the daily OD preview counts the rows of the daily download, in French formats.
    expect(await page.locator('#od-interval option').allTextContents()).toEqual(['1 heure', '1 jour']);
    const { counts: daily, lines: days } = await dailyOdPreview();
    expect(await daily.textContent()).toMatch(/^\d[\d\u202f]* lignes · \d[\d\u202f]* cellules retirées \(sous k\)/);
    expect(await daily.textContent()).toContain(`${new Intl.NumberFormat('fr-FR').format(days.length - 1)} lignes`);
    // The preview's column heads are the file's schema names (as in the download), the same in both languages.
    expect(await untranslatedTexts(page, ENGLISH, [...ALLOW, ...days[0].split(',')])).toEqual([]);
    await saveShot(page, 'officer-fr-daily');
  });

  it('data officer EN: daily interval, preview and row counts, report, metadata, plain CSV, catalogue in English', async () => {
    await page.locator('#lang').click();
    await page.locator('#od-datasets').waitFor();
    expect(await page.locator('#view-extra h3').textContent()).toBe('Datasets');
    expect(await page.locator('#od-datasets td.name').first().textContent()).toBe(
      'Counting sites (national schema, sites.csv)',
    );
    // Period and interval picker: one day steps; the OD preview counts the rows of the daily download.
    const { counts, lines } = await dailyOdPreview();
    expect(await counts.textContent()).toMatch(/^[\d,]+ rows · [\d,]+ cells suppressed \(below k\) · \d+ gaps/);
    expect(await page.locator('#od-preview caption').textContent()).toMatch(/^First \d+ rows of /);
    const hidden = Number(await counts.getAttribute('data-suppressed'));
    await saveShot(page, 'officer-en-preview');
    // Disclosure report of the same period and interval: the OD file's hidden cells are the preview's.
    await page.locator('#od-report-btn').click();
    await page.locator('#od-report').waitFor();
    expect(await page.locator('#od-report caption').textContent()).toContain('Disclosure report');
    expect(await page.locator('#od-report tbody tr').count()).toBe(6);
    const odRow = page.locator('#od-report tr[data-file="passage-od.csv"] td');
    const int = async (i: number) => Number(((await odRow.nth(i).textContent()) ?? '').replace(/,/g, ''));
    expect(await int(1)).toBe(lines.length - 1);
    expect(await int(2)).toBe(hidden);
    await saveShot(page, 'officer-en-report');
    // Metadata in English; the CSV link is plain (`,`, no BOM) unless the spreadsheet option is ticked.
    const meta = (await page.locator('#od-meta').textContent()) ?? '';
    expect(meta).toContain('Licence: Licence Ouverte / Open Licence 2.0 (Etalab)');
    expect(meta).toContain('Producer: Passage (open-source mobility-flow analytics)');
    expect(await page.locator('#od-datasets tr[data-dataset="od"] td').nth(3).textContent()).toBe(
      'hourly (continuous)',
    );
    expect(await page.locator('#od-excel').isChecked()).toBe(false);
    const href = (await page.locator('tr[data-dataset="od"] a[data-format="csv"]').getAttribute('href')) ?? '';
    expect(href).not.toContain('sep=');
    expect(href).toContain('interval=1d');
    const bytes = Buffer.from(await (await fetch(`${server.url}${href}`)).arrayBuffer());
    expect(bytes.subarray(0, 25).toString()).toBe('window_start,window_end,o');
    const cat = (await (
      await fetch(`${server.url}${await page.locator('#od-catalog').getAttribute('href')}`)
    ).json()) as {
      '@type': string;
    };
    expect(cat['@type']).toBe('dcat:Catalog');
    expect(await page.locator('#od-catalog').textContent()).toBe('Catalogue (DCAT, JSON-LD)');
    await saveShot(page, 'officer-en-datasets', { fullPage: true });
  });

  it('traffic engineer: lands on the junction view in French and English', async () => {
    await page.evaluate(() => localStorage.setItem('passage.lang', 'fr'));
    await page.goto(`${server.url}/#key=${TRAFFIC_KEY}`);
    await page.reload();
    await page.waitForFunction(() => document.body.dataset.role === 'traffic', null, { timeout: 60_000 });
    // The landing tab is chosen after the role is known (a later task): wait for it rather than race it.
    await page
      .waitForFunction(() => Boolean(document.body.dataset.tab), null, { timeout: 30_000 })
      .catch(() => undefined);
    const tab = await body('tab');
    expect(['x:signals', 'intersection']).toContain(tab);
    expect(await page.locator('#nav button.active').textContent()).not.toBe('');
    await page.waitForTimeout(1500);
    const text = (await page.locator('main').textContent()) ?? '';
    expect(text).not.toMatch(/403|PASSAGE_|Forbidden/);
    await saveShot(page, 'traffic-fr-landing');
    await page.locator('#lang').click();
    await page.waitForTimeout(1000);
    expect(await page.locator('#nav [data-tab="map"]').textContent()).toBe('Flow map');
    await saveShot(page, 'traffic-en-landing');
  });

  it('traffic engineer: sensor health beside a counter’s counts, as the API gives it, in French and English', async () => {
    const get = async <T>(path: string) =>
      (await (await fetch(`${server.url}${path}`, { headers: { 'x-api-key': TRAFFIC_KEY } })).json()) as T;
    const health = await get<{
      sensors: { sensorId: string; siteId: string; status: string; gapIntervals: number; events: unknown[] }[];
    }>(`/api/v1/sensors/health?from=${from}&to=${to}`);
    const bad = health.sensors.find((x) => x.status !== 'ok') as (typeof health.sensors)[number];
    expect(bad).toBeDefined();
    const sites = (await get<{ sites: { id: string; name: string }[] }>('/api/v1/sites')).sites;
    const site = sites.find((x) => x.id === bad.siteId) as { id: string; name: string };
    const mine = health.sensors.filter((x) => x.siteId === site.id);
    await page.evaluate(() => localStorage.setItem('passage.lang', 'fr'));
    await page.goto(`${server.url}/#key=${TRAFFIC_KEY}&v=map&lang=fr&c=0`);
    await page.reload();
    await waitOdDrawn(page, 1);
    await page.locator('#site-search').fill(site.name);
    await page.locator('#site-search').dispatchEvent('change');
    const panel = page.locator('#site-health');
    await panel.waitFor({ timeout: 30_000 });
    const rank = ['ok', 'gaps', 'silent', 'faulty'];
    const worst = mine.map((x) => x.status).sort((a, b) => rank.indexOf(b) - rank.indexOf(a))[0];
    expect(await panel.getAttribute('data-status')).toBe(worst);
    expect(await page.locator('#site-health li').count()).toBe(mine.length);
    const li = page.locator(`#site-health li[data-sensor="${bad.sensorId}"]`);
    expect(await li.getAttribute('data-status')).toBe(bad.status);
    expect(Number(await li.getAttribute('data-gaps'))).toBe(bad.gapIntervals);
    const frText = (await li.textContent()) ?? '';
    expect(frText).toMatch(
      bad.status === 'faulty' ? /défaut signalé.*signalé \d{2}:\d{2}–\d{2}:\d{2}/ : /relevés manquants|aucun relevé/,
    );
    expect(await page.locator('#site-health b').textContent()).toBe('État des capteurs');
    expect(await untranslated()).toEqual([]);
    await panel.scrollIntoViewIfNeeded();
    await saveShot(page, 'traffic-fr-health');
    await page.locator('#lang').click();
    await expect.poll(() => page.locator('#site-health b').textContent(), { timeout: 30_000 }).toBe('Sensor health');
    expect((await page.locator(`#site-health li[data-sensor="${bad.sensorId}"]`).textContent()) ?? '').toMatch(
      bad.status === 'faulty' ? /fault flagged.*flagged \d{2}:\d{2}–\d{2}:\d{2}/ : /gaps in the reports|no report/,
    );
    await panel.scrollIntoViewIfNeeded();
    await saveShot(page, 'traffic-en-health');
  });
});
