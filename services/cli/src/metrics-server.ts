import { createServer, type Server } from 'node:http';
import type { Registry } from 'prom-client';

/** Serves `GET /metrics` (Prometheus text format) and `GET /healthz` (liveness) on 127.0.0.1. */
export function serveMetrics(registry: Registry, port: number, health: () => object = () => ({})): Promise<Server> {
  const server = createServer(async (req, res) => {
    if (req.url === '/healthz') {
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ status: 'ok', pid: process.pid, uptimeS: Math.round(process.uptime()), ...health() }));
    } else if (req.url === '/metrics') {
      res.setHeader('content-type', registry.contentType);
      res.end(await registry.metrics());
    } else {
      res.statusCode = 404;
      res.end('see /metrics and /healthz\n');
    }
  });
  return new Promise((resolve) => server.listen(port, '127.0.0.1', () => resolve(server)));
}
