/**
 * API hardening (issue 12, item 7): security headers on every answer, failed key checks rate-limited per client
 * address, the request limiter keyed on a hash of a validated key, no key in the logs, and one error body shape
 * for every status (431 and 413 included). No store is queried except where a route is made to fail (500).
 */
import { request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import { type Config, loadConfig } from '@passage/config';
import { createLogger } from '@passage/stream';
import type { FastifyInstance } from 'fastify';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { buildApp } from './app.ts';

// Two valid keys that end with the same 12 characters (`456789abcdef`).
const PLANNER = 'planner-key-0123456789abcdef';
const TRAFFIC = 'traffic-key-0123456789abcdef';
const ADMIN = 'admin-key-0123456789abcdef00';
const store = { client: {} as never, kind: 'none' };

function config(api: Record<string, unknown> = {}): Config {
  return loadConfig({
    env: {},
    overrides: {
      api: { keys: [`planner:${PLANNER}`, `traffic:${TRAFFIC}`, `admin:${ADMIN}`], rateLimitPerMinute: 1000, ...api },
    },
  }) as Config;
}

async function withApp<T>(
  f: (app: FastifyInstance) => Promise<T>,
  api: Record<string, unknown> = {},
  log = createLogger({ level: 'silent' }),
): Promise<T> {
  const app = await buildApp({ config: config(api), store, log, dashboardDir: false });
  try {
    await app.ready();
    return await f(app);
  } finally {
    await app.close();
  }
}

const get = (app: FastifyInstance, url: string, key?: string, ip = '203.0.113.7') =>
  app.inject({ url, remoteAddress: ip, headers: key ? { 'x-api-key': key } : {} });

const STATUS_TEXT: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  413: 'Payload Too Large',
  429: 'Too Many Requests',
  431: 'Request Header Fields Too Large',
  500: 'Internal Server Error',
};

function expectErrorBody(status: number, body: unknown, code?: string): void {
  expect(Object.keys(body as object).sort(), JSON.stringify(body)).toEqual(['code', 'error', 'message', 'statusCode']);
  const b = body as { statusCode: number; code: string; error: string; message: string };
  expect(b.statusCode).toBe(status);
  expect(b.code).toMatch(/^PASSAGE_[A-Z_]+$/);
  if (code) expect(b.code).toBe(code);
  expect(b.error).toBe(STATUS_TEXT[status]);
  expect(b.message.length).toBeGreaterThan(10);
}

describe('security headers', () => {
  it('are on every answer: pages, API, 404, 401, 429', async () => {
    await withApp(
      async (app) => {
        const answers = [
          await get(app, '/'),
          await get(app, '/api/v1/ui-config'),
          await get(app, '/no/such/route'),
          await get(app, '/api/v1/ui-config', 'wrong-key-0123456789abcdef'),
          await get(app, '/metrics', PLANNER),
        ];
        for (let i = 0; i < 3; i++) answers.push(await get(app, '/api/v1/exports', undefined, '198.51.100.1'));
        expect(answers.map((a) => a.statusCode)).toEqual([200, 200, 404, 401, 403, 200, 200, 429]);
        for (const a of answers) {
          const csp = String(a.headers['content-security-policy']);
          expect(csp, a.body).toContain("default-src 'self'");
          expect(csp).toContain("script-src 'self'");
          expect(csp).toContain("object-src 'none'");
          expect(csp).toContain("frame-ancestors 'none'");
          expect(csp).not.toMatch(/script-src [^;]*'unsafe-inline'/);
          expect(a.headers['x-content-type-options']).toBe('nosniff');
          expect(a.headers['x-frame-options']).toBe('DENY');
          expect(a.headers['referrer-policy']).toBe('no-referrer');
        }
      },
      { rateLimitPerMinute: 2 },
    );
  });

  it('allow the configured map style and its tiles', async () => {
    await withApp(
      async (app) => {
        const csp = String((await get(app, '/')).headers['content-security-policy']);
        expect(csp).toMatch(/connect-src 'self' data: blob: https:\/\/tiles\.example\.org https:/);
        expect(csp).toContain("worker-src 'self' blob:");
      },
      { mapStyleUrl: 'https://tiles.example.org/styles/liberty.json' },
    );
  });
});

describe('rate limiting', () => {
  it('limits failed key checks per client address', async () => {
    await withApp(
      async (app) => {
        const codes: number[] = [];
        for (let i = 0; i < 4; i++) {
          codes.push((await get(app, '/api/v1/ui-config', `guess-${i}-0123456789abcdef`, '192.0.2.1')).statusCode);
        }
        expect(codes).toEqual([401, 401, 401, 429]);
        const blocked = await get(app, '/metrics', ADMIN, '192.0.2.1');
        expect(blocked.statusCode).toBe(429);
        expectErrorBody(429, blocked.json(), 'PASSAGE_AUTH_RATE_LIMITED');
        expect(Number(blocked.headers['retry-after'])).toBeGreaterThan(0);
        // Without a key the address is still served (public data); other addresses are not affected.
        expect((await get(app, '/api/v1/ui-config', undefined, '192.0.2.1')).statusCode).toBe(200);
        expect((await get(app, '/metrics', ADMIN, '192.0.2.2')).statusCode).toBe(200);
      },
      { authFailuresPerMinute: 3 },
    );
  });

  it('behind a configured proxy, limits failed key checks per forwarded client, not per proxy', async () => {
    await withApp(
      async (app) => {
        const via = (client: string, key: string) =>
          app.inject({
            url: '/metrics',
            remoteAddress: '10.1.2.3',
            headers: { 'x-api-key': key, 'x-forwarded-for': client },
          });
        const codes: number[] = [];
        for (let i = 0; i < 3; i++) codes.push((await via('198.51.100.66', `guess-${i}-0123456789abcdef`)).statusCode);
        codes.push((await via('198.51.100.66', ADMIN)).statusCode);
        codes.push((await via('198.51.100.67', ADMIN)).statusCode);
        expect(codes).toEqual([401, 401, 429, 429, 200]);
      },
      { authFailuresPerMinute: 2, trustProxy: '10.0.0.0/8' },
    );
  });

  it('keys the request limiter on the validated key, not on the last characters of the header', async () => {
    await withApp(
      async (app) => {
        const codes: number[] = [];
        for (let i = 0; i < 3; i++) codes.push((await get(app, '/api/v1/ui-config', PLANNER, '192.0.2.10')).statusCode);
        // Another key with the same last 12 characters has its own budget.
        codes.push((await get(app, '/api/v1/ui-config', TRAFFIC, '192.0.2.10')).statusCode);
        codes.push((await get(app, '/api/v1/ui-config', PLANNER, '192.0.2.11')).statusCode);
        expect(codes).toEqual([200, 200, 200, 200, 429]);
      },
      { rateLimitPerMinute: 3 },
    );
  });
});

describe('no secret in the logs', () => {
  it('neither a valid nor an unknown key appears in any log line, at trace level', async () => {
    let logs = '';
    const sink = new Writable({
      write(chunk, _enc, cb) {
        logs += chunk.toString();
        cb();
      },
    });
    const unknown = 'unknown-key-fedcba9876543210';
    await withApp(
      async (app) => {
        await get(app, '/api/v1/ui-config', PLANNER);
        await get(app, '/api/v1/ui-config', unknown);
        await app.inject({ url: '/api/v1/sites', headers: { authorization: `Bearer ${ADMIN}` } }); // 500: no store
        await app.inject({ url: `/nowhere?key=${unknown}` });
        await app.inject({ url: `/api/v1/ui-config?%E0%A4%A=1&api%5Fkey=${unknown}` }); // malformed escape
      },
      {},
      pino({ level: 'trace' }, sink),
    );
    expect(logs).toContain('request completed');
    for (const secret of [PLANNER, ADMIN, unknown, PLANNER.slice(-12)]) expect(logs).not.toContain(secret);
  });
});

describe('one error body for every status', () => {
  it('400, 401, 403, 404, 413, 429 and 500 have {statusCode, code, error, message}', async () => {
    await withApp(
      async (app) => {
        const cases: [number, Promise<{ statusCode: number; json: () => unknown }>][] = [
          [400, get(app, '/api/v1/exports/od?from=yesterday&to=today', undefined, '192.0.2.31')],
          [401, get(app, '/api/v1/ui-config', 'nope-nope-0123456789abcdef', '192.0.2.32')],
          [403, get(app, '/metrics', PLANNER, '192.0.2.33')],
          [404, get(app, '/api/v1/nothing', undefined, '192.0.2.34')],
          [
            413,
            app.inject({
              method: 'POST',
              url: '/api/v1/sites',
              remoteAddress: '192.0.2.35',
              headers: { 'content-type': 'application/json' },
              payload: JSON.stringify({ pad: 'x'.repeat(70_000) }),
            }),
          ],
          [500, get(app, '/api/v1/sites', ADMIN, '192.0.2.36')],
        ];
        for (const [status, p] of cases) {
          const r = await p;
          expect(r.statusCode, JSON.stringify(r.json())).toBe(status);
          expectErrorBody(status, r.json());
        }
        await get(app, '/api/v1/ui-config', undefined, '198.51.100.9');
        const limited = await get(app, '/api/v1/ui-config', undefined, '198.51.100.9');
        expect(limited.statusCode).toBe(429);
        expectErrorBody(429, limited.json(), 'PASSAGE_RATE_LIMITED');
      },
      { rateLimitPerMinute: 1 },
    );
  });

  it('431 (headers too large, refused by the HTTP parser) has the same body and the security headers', async () => {
    await withApp(async (app) => {
      await app.listen({ host: '127.0.0.1', port: 0 });
      const { port } = app.server.address() as AddressInfo;
      const r = await new Promise<{ status: number; headers: Record<string, unknown>; body: string }>((ok, fail) => {
        const req = request(
          { host: '127.0.0.1', port, path: '/api/v1/ui-config', headers: { 'x-big': 'y'.repeat(20_000) } },
          (res) => {
            let body = '';
            res.on('data', (c) => {
              body += c;
            });
            res.on('end', () => ok({ status: res.statusCode ?? 0, headers: res.headers, body }));
          },
        );
        req.on('error', fail);
        req.end();
      });
      expect(r.status).toBe(431);
      expectErrorBody(431, JSON.parse(r.body), 'PASSAGE_HEADERS_TOO_LARGE');
      expect(r.headers['x-content-type-options']).toBe('nosniff');
      expect(String(r.headers['content-security-policy'])).toContain("frame-ancestors 'none'");
    });
  });
});
