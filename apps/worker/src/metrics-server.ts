import { once } from 'node:events';
import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';
import type { WorkerHealth } from './worker-health.js';

export interface MetricsServer {
  port: number;
  close(): Promise<void>;
}

/**
 * Serves `GET /metrics` from a registry, and `GET /healthz` from `health` when given: a worker
 * has no HTTP API of its own to hang them on.
 */
export async function serveMetrics(registry: Registry, port: number, host: string, health?: () => Promise<WorkerHealth>): Promise<MetricsServer> {
  const server = createServer((request, response) => {
    const path = request.url?.split('?')[0];
    if (request.method === 'GET' && path === '/metrics') {
      registry.metrics().then(
        (text) => response.writeHead(200, { 'content-type': registry.contentType }).end(text),
        (error: Error) => response.writeHead(500, { 'content-type': 'text/plain' }).end(`${error.message}\n`),
      );
      return;
    }
    if (request.method === 'GET' && path === '/healthz' && health) {
      health().then(
        (report) => answerHealth(response, report),
        (error: Error) => response.writeHead(503, { 'content-type': 'text/plain', 'cache-control': 'no-store' }).end(`${error.message}\n`),
      );
      return;
    }
    response.writeHead(404, { 'content-type': 'text/plain' }).end(`Not found: try GET /metrics${health ? ' or GET /healthz' : ''}\n`);
  });
  server.listen(port, host);
  await once(server, 'listening');
  return {
    port: (server.address() as AddressInfo).port,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

function answerHealth(response: ServerResponse, report: WorkerHealth): void {
  response
    .writeHead(report.status === 'ok' ? 200 : 503, { 'content-type': 'application/json', 'cache-control': 'no-store' })
    .end(JSON.stringify(report));
}
