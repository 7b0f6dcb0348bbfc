import { request } from '@msgpipe/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApi, type RunningApi } from '../api.fixture.js';
import { startEchoWorker } from '../echo-worker.fixture.js';

let api: RunningApi;
let idle: RunningApi;
let worker: { close(): Promise<void> };
beforeAll(async () => {
  api = await startApi({ RATE_LIMIT_PER_MINUTE: '0', QUEUE_PARTITIONS: '2' });
  worker = await startEchoWorker(api);
  idle = await startApi(); // no worker: nothing it accepts ever finishes
});
afterAll(async () => {
  await worker.close();
  await api.close();
  await idle.close();
});

const post = (target: RunningApi, message: string, query: string, localAddress: string, headers = {}) =>
  request(target.baseUrl, `/v1/messages${query}`, {
    method: 'POST',
    localAddress,
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify({ message }),
  });

describe('POST /v1/messages?wait=MS', () => {
  it('answers 200 with the completed message when the response arrives in time', async () => {
    const response = await post(api, 'hello wait', '?wait=10000', '127.0.0.111');
    expect(response.status).toBe(200);
    const body = response.json();
    expect(body).toEqual({
      id: expect.stringMatching(/^[A-Za-z0-9_-]{22}$/),
      status: 'completed',
      message: 'hello wait',
      ip: '127.0.0.111',
      sendTime: expect.stringMatching(/Z$/),
      response: 'echo: hello wait',
      respondedAt: expect.stringMatching(/Z$/),
    });
    expect(response.headers.location).toBe(`/v1/messages/${body.id}`);
    // The same as a later GET says.
    expect((await request(api.baseUrl, `/v1/messages/${body.id}`, { localAddress: '127.0.0.111' })).json()).toEqual(body);
  });

  it('answers 200 with the failed message, and its error, when it fails in time', async () => {
    const response = await post(api, 'fail please', '?wait=10000', '127.0.0.112');
    expect(response.status).toBe(200);
    expect(response.json()).toMatchObject({ status: 'failed', error: 'told to fail', message: 'fail please' });
  });

  it('serves many concurrent waiters from many clients, each its own answer', async () => {
    const clients = Array.from({ length: 20 }, (_, index) => `127.0.0.${120 + index}`);
    const responses = await Promise.all(clients.map((ip) => post(api, `from ${ip}`, '?wait=10000', ip)));
    for (const [index, response] of responses.entries()) {
      expect(response.status).toBe(200);
      expect(response.json()).toMatchObject({ ip: clients[index], response: `echo: from ${clients[index]}` });
    }
  });

  it('answers the usual 202 when the response does not come within MS', async () => {
    const started = Date.now();
    const response = await post(idle, 'nobody answers', '?wait=300', '127.0.0.113');
    expect(response.status).toBe(202);
    expect(response.json()).toMatchObject({ status: 'queued', ip: '127.0.0.113' });
    expect(Date.now() - started).toBeGreaterThanOrEqual(250);
  });

  it('does not wait at all for wait=0', async () => {
    const response = await post(idle, 'no wait', '?wait=0', '127.0.0.114');
    expect(response.status).toBe(202);
  });

  it('answers a repeated Idempotency-Key with the finished message at once', async () => {
    const headers = { 'idempotency-key': 'wait-repeat-1' };
    const first = await post(api, 'once', '?wait=10000', '127.0.0.115', headers);
    expect(first.status).toBe(200);
    const repeat = await post(api, 'once', '?wait=10000', '127.0.0.115', headers);
    expect(repeat.status).toBe(200);
    expect(repeat.json()).toEqual(first.json());
  });

  it.each(['-1', '30001', 'soon', '1.5', ''])('rejects wait=%s with 400 invalid_query and enqueues nothing', async (wait) => {
    const before = (await idle.queues.counts()).total.waiting;
    const response = await post(idle, 'bad wait', `?wait=${wait}`, '127.0.0.116');
    expect(response.status).toBe(400);
    expect(response.json().error.code).toBe('invalid_query');
    expect((await idle.queues.counts()).total.waiting).toBe(before);
  });
});
