import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Config } from '@passage/config';
import type { ClickHouseClient } from '@passage/store';
import type { Logger } from '@passage/stream';
import type { FastifyInstance } from 'fastify';
import { buildApp, DASHBOARD_DIST } from './app.ts';

export interface StartApiOptions {
  config: Readonly<Config>;
  store: { client: ClickHouseClient; kind?: string };
  log: Logger;
  /** Port to listen on (default config.api.port; 0 = a free port). */
  port?: number;
  host?: string;
  /** Build the dashboard (vite) when dashboards/dist is missing. Default true. */
  buildDashboard?: boolean;
  livePollMs?: number;
}

export interface RunningApi {
  app: FastifyInstance;
  /** e.g. http://127.0.0.1:8080 */
  url: string;
  port: number;
  close(): Promise<void>;
}

/** Builds the dashboard into dashboards/dist if it is missing (vite build, ~10–30 s). */
export async function ensureDashboardBuilt(log?: Logger): Promise<string> {
  if (existsSync(resolve(DASHBOARD_DIST, 'index.html'))) return DASHBOARD_DIST;
  log?.info({ dir: DASHBOARD_DIST }, 'building the dashboard (vite)');
  const { buildDashboard } = await import('@passage/dashboard/build');
  await buildDashboard();
  return DASHBOARD_DIST;
}

/** Starts the API (and the dashboard at /) on `port`; the demo and `passage api` call this. */
export async function startApi(opts: StartApiOptions): Promise<RunningApi> {
  if (opts.buildDashboard !== false) {
    try {
      await ensureDashboardBuilt(opts.log);
    } catch (e) {
      opts.log.warn({ code: 'PASSAGE_DASHBOARD_BUILD', err: (e as Error).message }, 'dashboard build failed; API only');
    }
  }
  const app = await buildApp({ config: opts.config, store: opts.store, log: opts.log, livePollMs: opts.livePollMs });
  const host = opts.host ?? opts.config.api.host;
  await app.listen({ port: opts.port ?? opts.config.api.port, host });
  const addr = app.server.address();
  const port = typeof addr === 'object' && addr ? addr.port : (opts.port ?? 0);
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
  opts.log.info({ url }, 'API listening (docs at /docs)');
  return { app, url, port, close: () => app.close() };
}
