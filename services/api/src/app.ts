/**
 * The Passage query API (DESIGN §8): Fastify with TypeBox schemas on every route, OpenAPI at /docs, role-based API
 * keys, rate limiting, CORS, stable error codes, the dashboard build at /.
 */
import { existsSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import cors from '@fastify/cors';
import rateLimit from '@fastify/rate-limit';
import fastifyStatic from '@fastify/static';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import { type Config, isPassageError } from '@passage/config';
import type { ClickHouseClient } from '@passage/store';
import type { Logger } from '@passage/stream';
import Fastify, { type FastifyError, type FastifyInstance } from 'fastify';
import { type Access, authorize, KeyRing } from './auth.ts';
import { ErrorBody, STATUS_TEXT, statusOf } from './errors.ts';
import { LiveHub } from './live.ts';
import { ApiMetrics } from './metrics.ts';
import type { ApiContext } from './routes/context.ts';
import { dataRoutes } from './routes/data.ts';
import { systemRoutes } from './routes/system.ts';

/** Where `npm run build -w @passage/dashboard` writes the dashboard. */
export const DASHBOARD_DIST = resolve(dirname(fileURLToPath(import.meta.url)), '../../../dashboards/dist');

export interface BuildAppOptions {
  config: Readonly<Config>;
  store: { client: ClickHouseClient; kind?: string };
  log: Logger;
  /** Directory of the dashboard build served at `/` (default dashboards/dist; skipped when missing). */
  dashboardDir?: string | false;
  /** Poll period of the live route, ms (default 1000). */
  livePollMs?: number;
}

function errorBody(statusCode: number, code: string, message: string) {
  return { statusCode, code, error: STATUS_TEXT[statusCode] ?? 'Error', message };
}

export async function buildApp(opts: BuildAppOptions): Promise<FastifyInstance> {
  const { config, store, log } = opts;
  const app = Fastify({
    loggerInstance: log.child({ service: 'api' }),
    trustProxy: false,
    // Live (SSE) clients hold their connection open: close them all on shutdown instead of waiting.
    forceCloseConnections: true,
    bodyLimit: 64 * 1024,
    ajv: { customOptions: { removeAdditional: false, coerceTypes: true, allErrors: false } },
  });
  const keys = new KeyRing(config.api.keys);
  const metrics = new ApiMetrics();
  const live = new LiveHub(store.client, log, opts.livePollMs ?? 1000);
  const ctx: ApiContext = { config, store, log, live, metrics };
  app.decorate('live', live);
  app.decorateRequest('principal', null as never);
  app.addSchema(ErrorBody);

  app.setErrorHandler((err: FastifyError, req, reply) => {
    if (err.validation) {
      const where = err.validationContext ?? 'request';
      const first = err.validation[0];
      const path = first?.instancePath ? first.instancePath : '';
      const missing = (first?.params as { missingProperty?: string } | undefined)?.missingProperty;
      const subject = `${where}${path}${missing ? `/${missing}` : ''}`;
      const msg = missing ? `${subject} is required` : `${subject} ${first?.message ?? 'is invalid'}`;
      return reply.code(400).send(errorBody(400, 'PASSAGE_BAD_REQUEST', `${msg}; see /docs for the parameters.`));
    }
    if (isPassageError(err)) {
      const status = statusOf(err);
      if (status >= 500) req.log.error({ code: err.code }, err.message);
      return reply.code(status).send(errorBody(status, err.code, err.message));
    }
    const status = err.statusCode ?? 500;
    if (typeof err.code === 'string' && err.code.startsWith('PASSAGE_') && status < 500) {
      return reply.code(status).send(errorBody(status, err.code, err.message));
    }
    if (status === 429) return reply.code(429).send(errorBody(429, 'PASSAGE_RATE_LIMITED', err.message));
    if (status >= 400 && status < 500) {
      return reply.code(status).send(errorBody(status, 'PASSAGE_BAD_REQUEST', err.message));
    }
    req.log.error({ code: 'PASSAGE_INTERNAL', err: { type: err.name, message: err.message } }, 'request failed');
    return reply.code(500).send(errorBody(500, 'PASSAGE_INTERNAL', 'Internal error; the server log has the details.'));
  });
  app.setNotFoundHandler((req, reply) => {
    reply
      .code(404)
      .send(errorBody(404, 'PASSAGE_NOT_FOUND', `No route ${req.method} ${req.url.split('?')[0]}; see /docs.`));
  });

  await app.register(cors, {
    origin: config.api.corsOrigins.length ? [...config.api.corsOrigins] : false,
    methods: ['GET', 'HEAD', 'OPTIONS'],
    allowedHeaders: ['x-api-key', 'authorization', 'content-type'],
  });
  await app.register(rateLimit, {
    max: config.api.rateLimitPerMinute,
    timeWindow: '1 minute',
    keyGenerator: (req) => {
      const k = req.headers['x-api-key'] ?? req.headers.authorization;
      return typeof k === 'string' && k ? `key:${k.slice(-12)}` : `ip:${req.ip}`;
    },
    errorResponseBuilder: (_req, context) => ({
      statusCode: 429,
      code: 'PASSAGE_RATE_LIMITED',
      error: 'Too Many Requests',
      message: `More than ${context.max} requests per minute; retry in ${context.after}.`,
    }),
  });
  await app.register(swagger, {
    openapi: {
      openapi: '3.0.3',
      info: {
        title: 'Passage API',
        version: '1.0.0',
        description:
          'Anonymous mobility flows: counts, turning movements, OD, footfall, sensors, open-data exports, live updates. ' +
          'Public requests (no key) get only open-data aggregates: k-anonymous, hourly or coarser.',
      },
      components: {
        securitySchemes: {
          apiKey: { type: 'apiKey', in: 'header', name: 'x-api-key' },
          bearer: { type: 'http', scheme: 'bearer' },
        },
      },
      security: [{ apiKey: [] }, { bearer: [] }, {}],
    },
  });
  await app.register(swaggerUi, { routePrefix: '/docs' });

  // Authentication before anything else (an unknown key is refused), authorisation once parameters are valid
  // (public access depends on them, e.g. the interval).
  app.addHook('onRequest', async (req) => {
    req.principal = keys.principal(req);
  });
  app.addHook('preHandler', async (req) => {
    const access = (req.routeOptions.config as { access?: Access }).access;
    if (access) authorize(access, req.principal, req);
  });
  app.addHook('onResponse', async (req, reply) => {
    const route = req.routeOptions.url ?? 'unknown';
    if (route.startsWith('/api/') || route === '/healthz') {
      metrics.observe(route, req.method, reply.statusCode, reply.elapsedTime / 1000);
    }
  });

  await app.register(async (scope) => {
    dataRoutes(scope, ctx);
    systemRoutes(scope, ctx);
  });

  const dist = opts.dashboardDir === false ? null : (opts.dashboardDir ?? DASHBOARD_DIST);
  if (dist && existsSync(resolve(dist, 'index.html'))) {
    await app.register(fastifyStatic, { root: resolve(dist), prefix: '/', index: ['index.html'], maxAge: '1h' });
  } else {
    app.get('/', { schema: { hide: true } }, async (_req, reply) =>
      reply
        .type('text/plain; charset=utf-8')
        .send('Passage API. The dashboard is not built: run `npm run build -w @passage/dashboard`. API docs: /docs\n'),
    );
  }
  return app as unknown as FastifyInstance;
}
