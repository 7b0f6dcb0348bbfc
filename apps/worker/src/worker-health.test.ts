import { RedisServer, waitFor } from '@msgpipe/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serveMetrics, type MetricsServer } from './metrics-server.js';
import { Pipeline } from './pipeline.fixture.js';
import type { MessageWorker } from './worker.js';
import { workerHealth, type WorkerHealth } from './worker-health.js';

/** Short, so a stalled Redis shows at once; the default is for compose's 3 s healthcheck timeout. */
const PING_TIMEOUT_MS = 300;

describe('a worker’s GET /healthz (what the compose healthcheck asks)', () => {
  // A Redis of its own: the test stops it.
  let redis: RedisServer;
  let pipeline: Pipeline;
  let worker: MessageWorker;
  let server: MetricsServer;

  beforeAll(async () => {
    redis = await RedisServer.start();
    pipeline = new Pipeline({ REDIS_URL: redis.url });
    worker = pipeline.startWorker();
    await worker.ready();
    server = await serveMetrics(worker.metrics.registry, 0, '127.0.0.1', () => workerHealth(pipeline.connection, worker.workers, PING_TIMEOUT_MS));
  });
  afterAll(async () => {
    await server?.close();
    await pipeline?.close();
    await redis?.stop();
  });

  async function health(): Promise<{ status: number; body: WorkerHealth; cacheControl: string | null }> {
    const response = await fetch(`http://127.0.0.1:${server.port}/healthz`);
    return { status: response.status, body: (await response.json()) as WorkerHealth, cacheControl: response.headers.get('cache-control') };
  }

  it('answers 200 while the worker consumes and Redis is ready', async () => {
    expect(await health()).toEqual({ status: 200, body: { status: 'ok', redis: 'ready', consuming: true }, cacheControl: 'no-store' });
    const metrics = await fetch(`http://127.0.0.1:${server.port}/metrics`);
    expect(metrics.status).toBe(200);
    await metrics.text();
  });

  it('answers 503 while Redis is down, and 200 again once it is back on the same port, consuming again', async () => {
    const { port, dir } = redis;
    await redis.stop();
    const down = await waitFor('a 503 from /healthz', async () => {
      const answer = await health();
      return answer.status === 503 && answer;
    });
    expect(down.body.status).toBe('unavailable');
    expect(down.body.redis).not.toBe('ready');

    redis = await RedisServer.start({ port, dir });
    const up = await waitFor('a 200 from /healthz', async () => {
      const answer = await health();
      return answer.status === 200 && answer;
    });
    expect(up.body).toEqual({ status: 'ok', redis: 'ready', consuming: true });
    // Healthy means working: a message sent now is answered.
    const job = await pipeline.enqueue('after the outage', '192.0.2.7');
    expect(await pipeline.finished(job)).toBe('completed');
  });

  it('answers 503 while Redis is stalled (connected, not answering), and 200 once it resumes', async () => {
    redis.signal('SIGSTOP');
    try {
      expect(await health()).toEqual({ status: 503, body: { status: 'unavailable', redis: 'unresponsive', consuming: true }, cacheControl: 'no-store' });
    } finally {
      redis.signal('SIGCONT');
    }
    const up = await waitFor('a 200 from /healthz', async () => {
      const answer = await health();
      return answer.status === 200 && answer;
    });
    expect(up.body.redis).toBe('ready');
  });

  it('answers 503 once the worker is stopping, while Redis is still ready', async () => {
    await pipeline.stopWorker();
    expect(await health()).toEqual({ status: 503, body: { status: 'unavailable', redis: 'ready', consuming: false }, cacheControl: 'no-store' });
  });

  it('serves no /healthz without a health report, and 404 for other paths', async () => {
    expect((await fetch(`http://127.0.0.1:${server.port}/other`)).status).toBe(404);
    const bare = await serveMetrics(worker.metrics.registry, 0, '127.0.0.1');
    try {
      expect((await fetch(`http://127.0.0.1:${bare.port}/healthz`)).status).toBe(404);
    } finally {
      await bare.close();
    }
  });
});
