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
  /**
   * Check that the dashboard build is there (default true): when dashboards/dist is missing, one warning says how to
   * build it and the API serves without it. The API never builds it: `npm run build` does, once.
   */
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

/** True when the dashboard build (`npm run build`) is in dashboards/dist. */
export function dashboardBuilt(): boolean {
  return existsSync(resolve(DASHBOARD_DIST, 'index.html'));
}

/** Starts the API (and the dashboard at /) on `port`; the demo and `passage api` call this. */
export async function startApi(opts: StartApiOptions): Promise<RunningApi> {
  if (opts.buildDashboard !== false && !dashboardBuilt()) {
    opts.log.warn(
      { code: 'PASSAGE_DASHBOARD_BUILD', dir: DASHBOARD_DIST },
      'the dashboard is not built: run `npm run build` (API only until then)',
    );
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
