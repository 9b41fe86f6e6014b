/**
 * Headless-Chromium harness shared by the dashboard browser test and bench/api.ts: a fixture-filled store behind
 * the real API (dashboard build served at /), Chromium from the system (no browser download), and pixel helpers
 * that decode screenshots inside the page (no PNG library).
 */
import { existsSync, mkdirSync, readdirSync, statSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { loadConfig } from '@passage/config';
import type { Page } from 'playwright-core';
import { buildDashboard, DASHBOARD_DIST, DASHBOARD_ROOT } from './build.ts';

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
export const TRAFFIC_KEY = 'traffic-dashboard-key-0123456789';
export const OFFICER_KEY = 'officer-dashboard-key-0123456789';

export function chromiumAvailable(): boolean {
  return existsSync(CHROMIUM_PATH);
}

export async function launchChromium() {
  const { chromium } = await import('playwright-core');
  return chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS });
}

/** Newest modification time (ms) of the dashboard's sources: src (tests excepted), index.html, Vite config. */
function sourcesMtime(): number {
  let newest = 0;
  const walk = (dir: string) => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const p = join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (!/\.test\.ts$/.test(e.name)) newest = Math.max(newest, statSync(p).mtimeMs);
    }
  };
  walk(join(DASHBOARD_ROOT, 'src'));
  for (const f of ['index.html', 'vite.config.ts', 'package.json'])
    newest = Math.max(newest, statSync(join(DASHBOARD_ROOT, f)).mtimeMs);
  return newest;
}

/** Builds dashboards/dist when missing or older than the dashboard's sources. */
export async function ensureDist(): Promise<void> {
  const index = `${DASHBOARD_DIST}/index.html`;
  if (!existsSync(index) || statSync(index).mtimeMs < sourcesMtime()) await buildDashboard();
}

/**
 * In-memory store with `hours` of fixture aggregates, served by the API on a free loopback port; `mapStyleUrl`
 * sets `api.mapStyleUrl` (the MapLibre style drawn under the flow map). `startAnother` serves the same store with
 * another API (other settings) on another port, closed with the first.
 */
export async function startFixtureApi(opts: { hours?: number; mapStyleUrl?: string } = {}) {
  const { migrate, openStore } = await import('@passage/store');
  const { startApi } = await import('@passage/api');
  const { fillFixture } = await import('@passage/api/fixtures/aggregates');
  const { createLogger } = await import('@passage/stream');
  const store = openStore({ dataDir: ':memory:' });
  await migrate(store.client);
  const fixture = await fillFixture(store.client, { hours: opts.hours ?? 2 });
  const serve = (mapStyleUrl: string) =>
    startApi({
      config: loadConfig({
        env: {},
        overrides: {
          api: {
            keys: [`planner:${PLANNER_KEY}`, `traffic:${TRAFFIC_KEY}`, `data-officer:${OFFICER_KEY}`],
            rateLimitPerMinute: 100000,
            mapStyleUrl,
          },
        },
      }),
      store,
      log: createLogger({ level: 'silent' }),
      port: 0,
      host: '127.0.0.1',
      buildDashboard: false,
    });
  const api = await serve(opts.mapStyleUrl ?? '');
  const others: { close(): Promise<void> }[] = [];
  return {
    url: api.url,
    fixture,
    app: api.app,
    startAnother: async (o: { mapStyleUrl?: string }) => {
      const other = await serve(o.mapStyleUrl ?? '');
      others.push(other);
      return { url: other.url };
    },
    close: async () => {
      for (const o of others) await o.close();
      await api.close();
      await store.close();
    },
  };
}

/** Colours of the test MapLibre style (`serveTestStyle`). */
export const TEST_STYLE = { background: [46, 125, 50] as const, block: [240, 230, 200] as const };

/**
 * A minimal MapLibre style served on a free loopback port (CORS open): a green background layer and a GeoJSON
 * source (one pale block of `blockM` metres around `center`) drawn as a fill layer. No tiles, no glyphs, no network.
 */
export async function serveTestStyle(center: [number, number], blockM = 150) {
  const dLat = blockM / 111_320;
  const dLon = blockM / (111_320 * Math.cos((center[1] * Math.PI) / 180));
  const [lon, lat] = center;
  const hex = (c: readonly number[]) => `#${c.map((v) => v.toString(16).padStart(2, '0')).join('')}`;
  const style = {
    version: 8,
    name: 'passage-test',
    sources: {
      blocks: {
        type: 'geojson',
        attribution: 'Passage test style',
        data: {
          type: 'FeatureCollection',
          features: [
            {
              type: 'Feature',
              properties: {},
              geometry: {
                type: 'Polygon',
                coordinates: [
                  [
                    [lon - dLon, lat - dLat],
                    [lon + dLon, lat - dLat],
                    [lon + dLon, lat + dLat],
                    [lon - dLon, lat + dLat],
                    [lon - dLon, lat - dLat],
                  ],
                ],
              },
            },
          ],
        },
      },
    },
    layers: [
      { id: 'background', type: 'background', paint: { 'background-color': hex(TEST_STYLE.background) } },
      { id: 'blocks', type: 'fill', source: 'blocks', paint: { 'fill-color': hex(TEST_STYLE.block) } },
    ],
  };
  let requests = 0;
  const server = createServer((req, res) => {
    res.setHeader('access-control-allow-origin', '*');
    if (req.url === '/style.json') {
      requests++;
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(style));
    } else res.writeHead(404).end();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/style.json`,
    requests: () => requests,
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}

/** Pixels of a PNG within `tol` (sum of channel differences) of a colour. */
export function countColour(page: Page, png: Buffer, rgb: readonly number[], tol = 24): Promise<number> {
  return page.evaluate(
    async ([b64, c, t]) => {
      const img = await createImageBitmap(await (await fetch(`data:image/png;base64,${b64}`)).blob());
      const cv = new OffscreenCanvas(img.width, img.height);
      const g = cv.getContext('2d') as OffscreenCanvasRenderingContext2D;
      g.drawImage(img, 0, 0);
      const d = g.getImageData(0, 0, img.width, img.height).data;
      let n = 0;
      for (let i = 0; i < d.length; i += 4) {
        if (Math.abs(d[i] - c[0]) + Math.abs(d[i + 1] - c[1]) + Math.abs(d[i + 2] - c[2]) <= t) n++;
      }
      return n;
    },
    [png.toString('base64'), [...rgb], tol] as const,
  );
}

/**
 * Pixels of a PNG that are arc-coloured (orange → red), cluster-coloured (violet discs), and that differ from the
 * dark background.
 */
export function countPixels(
  page: Page,
  png: Buffer,
): Promise<{ arc: number; cluster: number; nonBackground: number; total: number }> {
  return page.evaluate(async (b64) => {
    const blob = await (await fetch(`data:image/png;base64,${b64}`)).blob();
    const img = await createImageBitmap(blob);
    const c = new OffscreenCanvas(img.width, img.height);
    const g = c.getContext('2d') as OffscreenCanvasRenderingContext2D;
    g.drawImage(img, 0, 0);
    const d = g.getImageData(0, 0, img.width, img.height).data;
    let arc = 0;
    let cluster = 0;
    let nonBackground = 0;
    for (let i = 0; i < d.length; i += 4) {
      const r = d[i];
      const gg = d[i + 1];
      const b = d[i + 2];
      if (r > 170 && b < 140 && r - b > 80 && r - gg > 40) arc++;
      if (b > 150 && r > 100 && b - gg > 60 && r - gg > 20) cluster++;
      if (Math.abs(r - 15) + Math.abs(gg - 23) + Math.abs(b - 32) > 30) nonBackground++;
    }
    return { arc, cluster, nonBackground, total: d.length / 4 };
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

/**
 * Share of the pixels that are arc-coloured in `mask` whose colour in `png` is within `tol` of one of `colours`
 * (e.g. what the base map alone shows where the arcs were drawn).
 */
export function shareUnderArcs(
  page: Page,
  mask: Buffer,
  png: Buffer,
  colours: readonly (readonly number[])[],
  tol = 30,
): Promise<{ arcPixels: number; share: number }> {
  return page.evaluate(
    async ([m, p, cs, t]) => {
      const decode = async (b64: string) => {
        const img = await createImageBitmap(await (await fetch(`data:image/png;base64,${b64}`)).blob());
        const c = new OffscreenCanvas(img.width, img.height);
        const g = c.getContext('2d') as OffscreenCanvasRenderingContext2D;
        g.drawImage(img, 0, 0);
        return g.getImageData(0, 0, img.width, img.height).data;
      };
      const [a, b] = [await decode(m), await decode(p)];
      let arcPixels = 0;
      let hits = 0;
      for (let i = 0; i < Math.min(a.length, b.length); i += 4) {
        const [r, g, bl] = [a[i], a[i + 1], a[i + 2]];
        if (!(r > 170 && bl < 140 && r - bl > 80 && r - g > 40)) continue;
        arcPixels++;
        if (cs.some((c) => Math.abs(b[i] - c[0]) + Math.abs(b[i + 1] - c[1]) + Math.abs(b[i + 2] - c[2]) <= t)) hits++;
      }
      return { arcPixels, share: arcPixels ? hits / arcPixels : 0 };
    },
    [mask.toString('base64'), png.toString('base64'), colours.map((c) => [...c]), tol] as const,
  );
}

/** Number of OD frames the map has drawn so far (arcs handed to the map and rendered). */
export async function odDraws(page: Page): Promise<number> {
  return Number(await page.evaluate(() => document.body.dataset.odDraws ?? 0));
}

/** Waits until the map has drawn more than `after` OD frames, then two animation frames. */
export async function waitOdRedrawn(page: Page, after: number): Promise<void> {
  await page.waitForFunction((n) => Number(document.body.dataset.odDraws ?? 0) > n, after, { timeout: 30_000 });
  await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(() => r(null)))));
}

/**
 * Zooms the map with mouse-wheel steps at its centre until the view zoom (body data-zoom) lies in [min, max).
 * Returns the zoom reached.
 */
export async function wheelZoomTo(page: Page, min: number, max: number): Promise<number> {
  const box = await page.locator('#map').boundingBox();
  if (!box) throw new Error('no #map');
  await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
  const zoom = async () => Number(await page.evaluate(() => document.body.dataset.zoom));
  for (let i = 0; i < 60; i++) {
    const z = await zoom();
    if (z >= min && z < max) return z;
    await page.mouse.wheel(0, z >= max ? 80 : -80);
    await page.waitForTimeout(40);
  }
  throw new Error(`zoom ${await zoom()} not brought into [${min}, ${max})`);
}

/**
 * Screenshots kept as CI artefacts (gitignored): <repo>/.artifacts/screenshots, one `<role>-<lang>-<step>.png` per
 * step of the browser walks. .ci/run empties it before the tests and reports what the run left there.
 */
export const SCREENSHOTS_DIR = join(DASHBOARD_ROOT, '..', '.artifacts', 'screenshots');
/** `<role>-<lang>-<step>`: role public|planner|traffic|officer, lang fr|en, step lower-case words and digits. */
export const SHOT_NAME = /^(public|planner|traffic|officer)-(fr|en)-[a-z0-9]+(-[a-z0-9]+)*$/;

/** Saves a screenshot (the viewport, or the full page) as SCREENSHOTS_DIR/<role>-<lang>-<step>.png. */
export async function saveShot(page: Page, name: string, opts: { fullPage?: boolean } = {}): Promise<Buffer> {
  if (!SHOT_NAME.test(name)) throw new Error(`screenshot name ${name}: want <role>-<lang>-<step> (${SHOT_NAME})`);
  mkdirSync(SCREENSHOTS_DIR, { recursive: true });
  return page.screenshot({ path: join(SCREENSHOTS_DIR, `${name}.png`), fullPage: opts.fullPage ?? false });
}

/** Page position of a lon/lat on the map (Web Mercator, 512-px tiles, north up, as deck.gl draws it). */
export async function mapPoint(
  page: Page,
  lonLat: [number, number],
  center: [number, number],
  zoom: number,
): Promise<{ x: number; y: number }> {
  const box = await page.locator('#map').boundingBox();
  if (!box) throw new Error('no #map');
  const merc = (lon: number, lat: number) => {
    const s = Math.sin((lat * Math.PI) / 180);
    return [lon / 360 + 0.5, 0.5 - Math.log((1 + s) / (1 - s)) / (4 * Math.PI)];
  };
  const [x, y] = merc(...lonLat);
  const [cx, cy] = merc(...center);
  const scale = 512 * 2 ** zoom;
  return { x: box.x + box.width / 2 + (x - cx) * scale, y: box.y + box.height / 2 + (y - cy) * scale };
}

/**
 * Visible text of the page that is not translated: text nodes (and placeholders/titles of controls) of visible
 * elements that equal an English string of `en` while the page is in French, or that look like a raw key
 * (camelCase word). `allow` lists proper nouns and codes that stay as they are.
 */
export function untranslatedTexts(page: Page, en: readonly string[], allow: readonly string[]): Promise<string[]> {
  return page.evaluate(
    ([enList, allowList]) => {
      const english = new Set(enList.map((s) => s.trim()));
      const allowed = new Set(allowList);
      const out = new Set<string>();
      const visible = (el: Element) => {
        const h = el as HTMLElement;
        if (h.closest('[hidden]')) return false;
        const r = h.getBoundingClientRect();
        const st = getComputedStyle(h);
        return r.width > 0 && r.height > 0 && st.visibility !== 'hidden' && st.display !== 'none';
      };
      const check = (raw: string) => {
        const s = raw.replace(/\s+/g, ' ').trim();
        if (!s || allowed.has(s)) return;
        if (/^[\d\s.,:;·–—%+−±→↓()/\-\u00a0\u202f]*$/.test(s)) return; // numbers, times, punctuation
        if (
          english.has(s) ||
          /^[a-z]+[A-Z][A-Za-z]*$/.test(s) || // a raw key
          /\bPASSAGE_[A-Z_]+\b/.test(s) || // a raw error code
          /\b(the|and|with|for|this|per|from|of|is|are|not|no data|please)\b/i.test(s) // English prose
        )
          out.add(s);
      };
      const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
      for (let n = walker.nextNode(); n; n = walker.nextNode()) {
        const p = n.parentElement;
        if (!p || ['SCRIPT', 'STYLE', 'OPTION'].includes(p.tagName) || !visible(p)) continue;
        check(n.textContent ?? '');
      }
      for (const el of document.querySelectorAll<HTMLSelectElement>('select')) {
        if (visible(el)) for (const o of el.options) check(o.textContent ?? '');
      }
      for (const el of document.querySelectorAll<HTMLElement>('[title],[placeholder]')) {
        if (!visible(el)) continue;
        check(el.getAttribute('title') ?? '');
        check(el.getAttribute('placeholder') ?? '');
      }
      return [...out];
    },
    [en, allow] as const,
  );
}
