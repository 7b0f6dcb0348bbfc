import { freePort } from '@msgpipe/redis-server';
import { parsePrometheusText, request, samplesOf, testRedisUrl, uniquePrefix } from '@msgpipe/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { API_MAIN, childEnv, NodeProcess, WORKER_MAIN } from '../processes.js';
import { ADMIN_TOKEN, clientIps, expectExactlyOnce, sendFromEach, waitUntilReady } from './traffic.js';

const WORKERS = 3;
const IPS = clientIps(22, 10);
const PER_IP = 15;

describe('three worker processes sharing the queue', () => {
  let api: NodeProcess;
  let workers: NodeProcess[] = [];
  let metricsPorts: number[] = [];
  let baseUrl: string;

  beforeAll(async () => {
    const port = await freePort();
    baseUrl = `http://127.0.0.1:${port}`;
    const env = {
      REDIS_URL: testRedisUrl(),
      REDIS_PREFIX: uniquePrefix('e2e-workers'),
      PORT: String(port),
      ADMIN_TOKEN,
      RATE_LIMIT_PER_MINUTE: '0',
      // Few jobs per worker, so no single worker can take the whole stream.
      WORKER_CONCURRENCY: '2',
    };
    metricsPorts = await Promise.all(Array.from({ length: WORKERS }, () => freePort()));
    api = new NodeProcess(API_MAIN, childEnv(env));
    workers = metricsPorts.map((metricsPort) => new NodeProcess(WORKER_MAIN, childEnv({ ...env, WORKER_METRICS_PORT: String(metricsPort) })));
    await api.waitForOutput(/api listening/);
    await waitUntilReady(baseUrl);
    await Promise.all(workers.map((worker) => worker.waitForOutput(/worker metrics listening/)));
    await Promise.all(workers.map((worker) => worker.waitForOutput(/worker consuming/)));
  });

  afterAll(async () => {
    await Promise.all([api, ...workers].map((process) => process?.stop('SIGKILL')));
  });

  it('spreads the work over all three, and every message is in its history exactly once', async () => {
    const sent = await sendFromEach(baseUrl, IPS, PER_IP);
    await expectExactlyOnce(baseUrl, sent);

    const completedBy = await Promise.all(
      metricsPorts.map(async (port) => {
        const samples = parsePrometheusText((await request(`http://127.0.0.1:${port}`, '/metrics')).text);
        return samplesOf(samples, 'msgpipe_worker_jobs_total', { outcome: 'completed' })[0]?.value ?? 0;
      }),
    );
    for (const completed of completedBy) expect(completed, `jobs per worker: ${completedBy.join(', ')}`).toBeGreaterThan(0);
    expect(completedBy.reduce((sum, completed) => sum + completed, 0)).toBe(IPS.length * PER_IP);
  });
});
