import type { Config } from '@passage/config';
import type { ClickHouseClient } from '@passage/store';
import type { Logger } from '@passage/stream';
import type { Principal } from '../auth.ts';
import type { LiveHub } from '../live.ts';
import type { ApiMetrics } from '../metrics.ts';

export interface ApiContext {
  config: Readonly<Config>;
  store: { client: ClickHouseClient; kind?: string };
  log: Logger;
  live: LiveHub;
  metrics: ApiMetrics;
}

declare module 'fastify' {
  interface FastifyRequest {
    principal: Principal;
  }
  interface FastifyInstance {
    /** In-process live updates: the demo may `app.live.publish(minute)`; otherwise the store is polled. */
    live: LiveHub;
  }
}
