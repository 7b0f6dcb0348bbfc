import { RedisServer } from '@msgpipe/redis-server';
import { ADMIN_TOKEN, asAdmin, Contract, postMessage, request, waitFor } from '@msgpipe/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApi, type RunningApi } from '../test/api.fixture.js';

describe('health and unknown routes', () => {
  let api: RunningApi;
  beforeAll(async () => {
    api = await startApi();
  });
  afterAll(() => api.close());

  it('answers /healthz and /readyz with 200 while Redis answers', async () => {
    expect((await request(api.baseUrl, '/healthz')).json()).toEqual({ status: 'ok' });
    const ready = await request(api.baseUrl, '/readyz');
    expect(ready.status).toBe(200);
    expect(ready.json()).toEqual({ status: 'ready' });
  });

  it.each([
    ['GET', '/nope'],
    ['PUT', '/v1/messages'],
    ['GET', '/v1/messages'],
  ])('answers %s %s with a JSON 404', async (method, path) => {
    const response = await request(api.baseUrl, path, { method });
    expect(response.status).toBe(404);
    expect(response.headers['content-type']).toMatch(/application\/json/);
    expect(response.json().error.code).toBe('not_found');
  });
});

describe('Redis outages', () => {
  let redis: RedisServer;
  let api: RunningApi;
  beforeAll(async () => {
    redis = await RedisServer.start();
    api = await startApi({ RATE_LIMIT_PER_MINUTE: '0', ADMIN_TOKEN }, redis.url);
  });
  afterAll(async () => {
    await api.close();
    await redis.stop();
  });

  /** A 503 in the error shape, with Retry-After, within the promised two seconds. */
  async function expectQuick503(send: () => Promise<{ status: number; headers: Record<string, unknown>; json(): any }>) {
    const started = Date.now();
    const response = await send();
    expect(Date.now() - started).toBeLessThan(Contract.unavailableWithinMs);
    expect(response.status).toBe(503);
    expect(response.json().error.code).toBe('unavailable');
    expect(response.headers['retry-after']).toBeDefined();
  }

  it('answers 503 quickly while Redis is stalled, and recovers by itself when it resumes', async () => {
    redis.signal('SIGSTOP');
    try {
      await expectQuick503(() => postMessage(api.baseUrl, 'during the stall'));
      await expectQuick503(() => request(api.baseUrl, '/readyz'));
      await expectQuick503(() => request(api.baseUrl, '/v1/history'));
      // Admin routes too, though the admin token's throttle asks Redis first.
      await expectQuick503(() => request(api.baseUrl, '/v1/stats', { headers: asAdmin }));
      await expectQuick503(() => request(api.baseUrl, '/admin', { headers: asAdmin }));
    } finally {
      redis.signal('SIGCONT');
    }
    await waitFor('POST to be accepted again', async () => (await postMessage(api.baseUrl, 'after')).status === 202);
    expect((await request(api.baseUrl, '/readyz')).status).toBe(200);
  });

  it('answers 503 quickly while Redis is down, and recovers when it is back on the same port', async () => {
    const { port, dir } = redis;
    await redis.stop();
    await expectQuick503(() => postMessage(api.baseUrl, 'while down'));
    await expectQuick503(() => request(api.baseUrl, '/readyz'));
    await expectQuick503(() => request(api.baseUrl, '/v1/stats', { headers: asAdmin }));

    redis = await RedisServer.start({ port, dir });
    await waitFor('POST to be accepted again', async () => (await postMessage(api.baseUrl, 'back')).status === 202);
    expect((await request(api.baseUrl, '/readyz')).status).toBe(200);
  });
});
