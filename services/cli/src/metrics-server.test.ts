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
});
