/**
 * API and dashboard latency over demo-like data (3 hours of fixture aggregates for the chartres-centre scenario:
 * ~55k line-count rows, ~55k movement rows, ~2.5k OD cells): p50 / p95 of the OD and turning-movement routes over
 * real HTTP on loopback (bounded loop), and the dashboard's time to the first drawn OD map in headless Chromium.
 */
import {
  chromiumAvailable,
  ensureDist,
  launchChromium,
  PLANNER_KEY,
  startFixtureApi,
  waitOdDrawn,
} from '@passage/dashboard/harness';
import { median } from './_util.ts';

function quantile(xs: number[], q: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))];
}

async function timeRoute(url: string, n: number, key?: string): Promise<{ p50: number; p95: number }> {
  const headers = key ? { 'x-api-key': key } : undefined;
  for (let i = 0; i < 3; i++) await (await fetch(url, { headers })).arrayBuffer();
  const ms: number[] = [];
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    const res = await fetch(url, { headers });
    await res.arrayBuffer();
    if (res.status !== 200) throw new Error(`${url} → ${res.status}`);
    ms.push(performance.now() - t0);
  }
  return { p50: quantile(ms, 0.5), p95: quantile(ms, 0.95) };
}

export async function run(): Promise<Record<string, number>> {
  await ensureDist();
  const server = await startFixtureApi({ hours: 3 });
  const out: Record<string, number> = {};
  try {
    const from = new Date(server.fixture.start).toISOString();
    const to = new Date(server.fixture.end).toISOString();
    const N = 40;
    const od15 = await timeRoute(`${server.url}/api/v1/od?from=${from}&to=${to}&interval=15m`, N, PLANNER_KEY);
    const odHour = await timeRoute(`${server.url}/api/v1/od?from=${from}&to=${to}&interval=1h&modes=car,bicycle`, N);
    const tm = await timeRoute(
      `${server.url}/api/v1/turning-movements?site=site-c&from=${from}&to=${to}`,
      N,
      PLANNER_KEY,
    );
    out.od_15m_p50_ms = od15.p50;
    out.od_15m_p95_ms = od15.p95;
    out.od_hourly_public_p50_ms = odHour.p50;
    out.od_hourly_public_p95_ms = odHour.p95;
    out.turning_movements_p50_ms = tm.p50;
    out.turning_movements_p95_ms = tm.p95;
    if (chromiumAvailable()) {
      const browser = await launchChromium();
      try {
        const times: number[] = [];
        for (let i = 0; i < 3; i++) {
          const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
          await page.goto(`${server.url}/#key=${PLANNER_KEY}`);
          await waitOdDrawn(page, 1);
          times.push(
            await page.evaluate(() => performance.getEntriesByName('passage:od-drawn')[0]?.startTime ?? Number.NaN),
          );
          await page.close();
        }
        out.dashboard_first_od_map_cold_ms = times[0];
        out.dashboard_first_od_map_warm_ms = median(times.slice(1));
      } finally {
        await browser.close();
      }
    }
  } finally {
    await server.close();
  }
  return out;
}
