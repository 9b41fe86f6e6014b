import { createServer, type Server } from 'node:http';
import type { Registry } from 'prom-client';

/**
 * Serves on 127.0.0.1, Kubernetes style: `GET /metrics` (Prometheus text format); `GET /livez` (the process
 * answers: 200); `GET /readyz` and `GET /healthz` (200 while `health()` does not say `ready: false`, else 503 with
 * `status: 'not-ready'` — e.g. a role that lost its broker and is reconnecting), with `health()`'s details.
 */
export function serveMetrics(
  registry: Registry,
  port: number,
  health: () => object & { ready?: boolean } = () => ({}),
): Promise<Server> {
  const server = createServer(async (req, res) => {
    const base = { pid: process.pid, uptimeS: Math.round(process.uptime()) };
    if (req.url === '/healthz' || req.url === '/readyz') {
      const h = health();
      const ready = h.ready !== false;
      res.statusCode = ready ? 200 : 503;
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ status: ready ? 'ok' : 'not-ready', ...base, ...h }));
    } else if (req.url === '/livez') {
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ status: 'ok', ...base }));
    } else if (req.url === '/metrics') {
      res.setHeader('content-type', registry.contentType);
      res.end(await registry.metrics());
    } else {
      res.statusCode = 404;
      res.end('see /metrics, /livez, /readyz and /healthz\n');
    }
  });
  return new Promise((resolve) => server.listen(port, '127.0.0.1', () => resolve(server)));
}
