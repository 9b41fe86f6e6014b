/**
 * The Passage query API (docs/ARCHITECTURE.md, docs/CONFIGURATION.md): Fastify with TypeBox schemas on every route, OpenAPI at /docs, role-based API
 * keys, rate limiting (per validated key, per address without one, and of failed key checks per address), CORS,
 * security headers, one error body for every status (docs/ERRORS.md), the dashboard build at /.
 */
import { existsSync } from 'node:fs';
import type { Socket } from 'node:net';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import cors from '@fastify/cors';
import rateLimit from '@fastify/rate-limit';
import fastifyStatic from '@fastify/static';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import { type Config, isPassageError, PassageError } from '@passage/config';
import type { ClickHouseClient } from '@passage/store';
import type { Logger } from '@passage/stream';
import Fastify, { type FastifyError, type FastifyInstance, type FastifyRequest } from 'fastify';
import { type Access, AuthFailures, authorize, KeyRing } from './auth.ts';
import { CODE_OF_STATUS, ErrorBody, errorBody, statusOf, statusText } from './errors.ts';
import { LiveHub } from './live.ts';
import { ApiMetrics } from './metrics.ts';
import { snapPublicRange } from './public-view.ts';
import type { ApiContext } from './routes/context.ts';
import { dataRoutes } from './routes/data.ts';
import { footfallRoutes } from './routes/footfall.ts';
import { signalsRoutes } from './routes/signals.ts';
import { systemRoutes } from './routes/system.ts';
import { securityHeaders } from './security.ts';

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

const BODY_LIMIT = 64 * 1024;

/** Query parameters whose values are never logged (a key sent in the URL by mistake). */
const SECRET_PARAM = /key|token|secret|passw|auth|session/i;

function paramName(raw: string): string {
  try {
    return decodeURIComponent(raw.replace(/\+/g, ' '));
  } catch {
    return raw; // a malformed escape: test the name as sent
  }
}

/** A request as the log shows it: no headers, and secret-looking query parameters masked. */
function requestForLog(req: FastifyRequest) {
  const q = req.url.indexOf('?');
  const masked = (p: string) => {
    const raw = p.split('=')[0];
    return SECRET_PARAM.test(paramName(raw)) ? `${raw}=[redacted]` : p;
  };
  const url =
    q < 0
      ? req.url
      : `${req.url.slice(0, q)}?${req.url
          .slice(q + 1)
          .split('&')
          .map(masked)
          .join('&')}`;
  return { method: req.method, url, host: req.host, remoteAddress: req.ip };
}

/**
 * Answers what Node's HTTP parser rejects before Fastify sees a request (headers over the limit: 431; a malformed
 * request: 400) with the same body and headers as every other error.
 */
function clientErrorHandler(headers: Record<string, string>) {
  return (err: Error & { code?: string }, socket: Socket): void => {
    if (err.code === 'ECONNRESET' || !socket.writable) {
      socket.destroy();
      return;
    }
    const status = err.code === 'HPE_HEADER_OVERFLOW' ? 431 : err.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? 408 : 400;
    const body = JSON.stringify(
      status === 431
        ? errorBody(
            431,
            'PASSAGE_HEADERS_TOO_LARGE',
            'The request headers are too large (16 KiB at most): send fewer or shorter headers.',
          )
        : errorBody(status, 'PASSAGE_BAD_REQUEST', 'The request is not valid HTTP.'),
    );
    const lines = Object.entries({
      ...headers,
      'content-type': 'application/json; charset=utf-8',
      'content-length': String(Buffer.byteLength(body)),
      connection: 'close',
    }).map(([k, v]) => `${k}: ${v}\r\n`);
    socket.end(`HTTP/1.1 ${status} ${statusText(status)}\r\n${lines.join('')}\r\n${body}`);
  };
}

export async function buildApp(opts: BuildAppOptions): Promise<FastifyInstance> {
  const { config, store, log } = opts;
  const headers = securityHeaders(config);
  const app = Fastify({
    loggerInstance: log.child({ service: 'api' }, { serializers: { req: requestForLog } }),
    // The client address (rate limits) is the socket's, or X-Forwarded-For from the configured proxies only.
    trustProxy: config.api.trustProxy
      ? config.api.trustProxy
          .split(',')
          .map((a) => a.trim())
          .filter(Boolean)
      : false,
    // Live (SSE) clients hold their connection open: close them all on shutdown instead of waiting.
    forceCloseConnections: true,
    bodyLimit: BODY_LIMIT,
    clientErrorHandler: clientErrorHandler(headers),
    ajv: { customOptions: { removeAdditional: false, coerceTypes: true, allErrors: false } },
  });
  const keys = new KeyRing(config.api.keys);
  const authFailures = new AuthFailures(config.api.authFailuresPerMinute);
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
    if (status === 413) {
      const msg = `The request body is larger than ${BODY_LIMIT} bytes; the API reads query parameters only.`;
      return reply.code(413).send(errorBody(413, 'PASSAGE_BODY_TOO_LARGE', msg));
    }
    if (status >= 400 && status < 500) {
      return reply.code(status).send(errorBody(status, CODE_OF_STATUS[status] ?? 'PASSAGE_BAD_REQUEST', err.message));
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
    // Runs after authentication: a request here has no key or a valid one, named by a hash of it.
    keyGenerator: (req) => {
      const p = req.principal;
      return p && p.role !== 'public' ? `key:${p.keyId}` : `ip:${req.ip}`;
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

  // Security headers first, so that every answer has them, errors included.
  app.addHook('onRequest', async (_req, reply) => {
    reply.headers(headers);
  });
  // Authentication before anything else (an unknown key is refused; an address that sent too many unknown keys
  // may not send one until its minute ends), authorisation once parameters are valid (public access depends on
  // them, e.g. the interval).
  app.addHook('onRequest', async (req, reply) => {
    if (KeyRing.presented(req) !== null) {
      const wait = authFailures.blockedFor(req.ip);
      if (wait > 0) {
        reply.header('retry-after', String(wait));
        throw new PassageError(
          'PASSAGE_AUTH_RATE_LIMITED',
          `Too many requests with an unknown API key from this address; retry in ${wait} s with a valid key.`,
        );
      }
    }
    try {
      req.principal = keys.principal(req);
    } catch (e) {
      authFailures.record(req.ip);
      throw e;
    }
  });
  app.addHook('preHandler', async (req) => {
    const access = (req.routeOptions.config as { access?: Access }).access;
    if (access) authorize(access, req.principal, req);
    // The public view is served on whole, closed clock hours only, so public answers cannot be differenced.
    if (req.principal.role === 'public' && req.query && typeof req.query === 'object') {
      snapPublicRange(req.query as Record<string, unknown>, Date.now());
    }
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
    signalsRoutes(scope, ctx);
    footfallRoutes(scope, ctx);
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
