import { StreamMetrics } from '@passage/stream';
import { describe, expect, it } from 'vitest';
import { serveMetrics } from './metrics-server.ts';

describe('worker metrics server', () => {
  it('serves Prometheus metrics and a liveness probe', async () => {
    const m = new StreamMetrics();
    m.deadLetters.inc({ role: 'video-flows', reason: 'SCHEMA' }, 3);
    const server = await serveMetrics(m.registry, 0, () => ({ roles: ['video-flows'] }));
    const addr = server.address();
    const port = typeof addr === 'object' && addr ? addr.port : 0;
    try {
      const metrics = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
      expect(metrics).toContain('passage_dead_letters_total{role="video-flows",reason="SCHEMA"} 3');
      const health = await (await fetch(`http://127.0.0.1:${port}/healthz`)).json();
      expect(health).toMatchObject({ status: 'ok', roles: ['video-flows'] });
      expect((await fetch(`http://127.0.0.1:${port}/other`)).status).toBe(404);
    } finally {
      server.close();
    }
  });

  it('readiness follows the roles: 503 on /readyz and /healthz while one is not consuming, /livez stays 200', async () => {
    let ready = false;
    const server = await serveMetrics(new StreamMetrics().registry, 0, () => ({
      ready,
      state: [{ role: 'counts', state: ready ? 'consuming' : 'recovering' }],
    }));
    const addr = server.address();
    const port = typeof addr === 'object' && addr ? addr.port : 0;
    const get = (path: string) => fetch(`http://127.0.0.1:${port}${path}`);
    try {
      for (const path of ['/readyz', '/healthz']) {
        const r = await get(path);
        expect(r.status).toBe(503);
        expect(await r.json()).toMatchObject({ status: 'not-ready', state: [{ state: 'recovering' }] });
      }
      expect((await get('/livez')).status).toBe(200);
      ready = true;
      expect((await get('/readyz')).status).toBe(200);
      expect((await get('/healthz')).status).toBe(200);
    } finally {
      server.close();
    }
  });
});
