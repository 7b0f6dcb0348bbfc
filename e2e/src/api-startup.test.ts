import { freePort, RedisServer } from '@msgpipe/redis-server';
import { postMessage, request, startOneNodeCluster, startPipeline, testRedisUrl, waitFor, type Pipeline } from '@msgpipe/testkit';
import { afterEach, describe, expect, it } from 'vitest';

describe('API start-up: the built API and Redis', () => {
  const started: Pipeline[] = [];
  afterEach(async () => {
    await Promise.all(started.splice(0).map((pipeline) => pipeline.kill()));
  });

  /** The built API alone, resolved the moment it says it is listening: what these tests are about. */
  async function startApi(redisUrl: string, env: Record<string, string> = {}): Promise<Pipeline> {
    const pipeline = await startPipeline({ redis: redisUrl, workers: 0, ready: false, label: 'startup', env });
    started.push(pipeline);
    return pipeline;
  }

  it.each(['standalone', 'cluster'] as const)('on %s, accepts the very first message the moment it says it is listening', async (topology) => {
    // An API listening before its Redis connections are up answers the first requests 503,
    // most of all on a cluster, whose slot map takes a moment to load.
    const cluster = topology === 'cluster' ? await startOneNodeCluster() : undefined;
    try {
      for (let run = 0; run < 3; run++) {
        const { api, baseUrl } = cluster
          ? await startApi(cluster.url, { REDIS_CLUSTER_NODES: `127.0.0.1:${cluster.port}` })
          : await startApi(testRedisUrl());
        expect((await postMessage(baseUrl, 'the first one')).status).toBe(202);
        expect((await request(baseUrl, '/readyz')).status).toBe(200);
        expect(api.output).not.toMatch(/redis is not ready yet/);
      }
    } finally {
      await cluster?.stop();
    }
  });

  it('listens anyway while Redis is down, answers 503 until it comes up, then accepts without a restart', async () => {
    const redisPort = await freePort();
    const { api, baseUrl } = await startApi(`redis://127.0.0.1:${redisPort}`);
    expect(api.output).toMatch(/redis is not ready yet/);
    expect((await request(baseUrl, '/healthz')).status).toBe(200);
    expect((await request(baseUrl, '/readyz')).status).toBe(503);
    const early = await postMessage(baseUrl, 'too early');
    expect(early.status).toBe(503);
    expect(early.json().error.code).toBe('unavailable');

    const redis = await RedisServer.start({ port: redisPort });
    try {
      await waitFor('/readyz to answer 200 once Redis is up', async () => (await request(baseUrl, '/readyz')).status === 200);
      expect((await postMessage(baseUrl, 'now it is up')).status).toBe(202);
    } finally {
      await redis.stop();
    }
  });
});
