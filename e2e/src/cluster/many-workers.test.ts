import { clientIps, parsePrometheusText, request, samplesOf, startPipeline, testRedisUrl, type Pipeline } from '@msgpipe/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectExactlyOnce, sendFromEach } from './traffic.js';

const WORKERS = 3;
const IPS = clientIps(22, 10);
const PER_IP = 15;

describe('three worker processes sharing the queue', () => {
  let pipeline: Pipeline;

  beforeAll(async () => {
    pipeline = await startPipeline({
      redis: testRedisUrl(),
      workers: WORKERS,
      workerMetrics: true,
      label: 'e2e-workers',
      // Few jobs per worker, so no single worker can take the whole stream.
      env: { RATE_LIMIT_PER_MINUTE: '0', WORKER_CONCURRENCY: '2' },
    });
    await Promise.all(pipeline.workers.map((worker) => worker.waitForOutput(/worker metrics listening/)));
  });

  afterAll(async () => {
    await pipeline?.kill();
  });

  it('spreads the work over all three, and every message is in its history exactly once', async () => {
    const sent = await sendFromEach(pipeline.baseUrl, IPS, PER_IP);
    await expectExactlyOnce(pipeline.baseUrl, sent);

    const completedBy = await Promise.all(
      pipeline.workers.map(async (worker) => {
        const samples = parsePrometheusText((await request(pipeline.metricsUrlOf(worker), '/metrics')).text);
        return samplesOf(samples, 'msgpipe_worker_jobs_total', { outcome: 'completed' })[0]?.value ?? 0;
      }),
    );
    for (const completed of completedBy) expect(completed, `jobs per worker: ${completedBy.join(', ')}`).toBeGreaterThan(0);
    expect(completedBy.reduce((sum, completed) => sum + completed, 0)).toBe(IPS.length * PER_IP);
  });
});
