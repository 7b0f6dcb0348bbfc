import { ADMIN_TOKEN, asAdmin, parsePrometheusText, postMessage, request, type Sample, samplesOf, waitFor } from '@msgpipe/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApi, type RunningApi } from '../test/api.fixture.js';


let api: RunningApi;
beforeAll(async () => {
  api = await startApi({ ADMIN_TOKEN, RATE_LIMIT_PER_MINUTE: '2', QUEUE_PARTITIONS: '2' });
});
afterAll(() => api.close());

async function scrape(): Promise<Sample[]> {
  const response = await request(api.baseUrl, '/metrics', { headers: asAdmin });
  expect(response.status).toBe(200);
  expect(response.headers['content-type']).toMatch(/^text\/plain; version=0\.0\.4/);
  return parsePrometheusText(response.text);
}

const valueOf = (samples: Sample[], name: string, labels: Record<string, string> = {}) => samplesOf(samples, name, labels)[0]?.value;

describe('GET /metrics', () => {
  it('counts requests by route pattern and status, and times them', async () => {
    await request(api.baseUrl, '/healthz');
    await request(api.baseUrl, '/v1/messages/AAAAAAAAAAAAAAAAAAAAAA', { localAddress: '127.0.0.61' });
    await request(api.baseUrl, '/v1/messages/BBBBBBBBBBBBBBBBBBBBBB', { localAddress: '127.0.0.61' });
    await request(api.baseUrl, '/no/such/route');

    const samples = await scrape();
    expect(valueOf(samples, 'msgpipe_http_requests_total', { method: 'GET', route: '/healthz', status: '200' })).toBe(1);
    // Parameterised routes count under their pattern, never the raw path.
    expect(valueOf(samples, 'msgpipe_http_requests_total', { method: 'GET', route: '/v1/messages/:id', status: '404' })).toBe(2);
    expect(valueOf(samples, 'msgpipe_http_requests_total', { route: 'unmatched', status: '404' })).toBe(1);
    expect(samples.some((sample) => sample.labels.route?.includes('AAAA'))).toBe(false);
    expect(valueOf(samples, 'msgpipe_http_request_duration_seconds_count', { method: 'GET', route: '/healthz' })).toBe(1);
    expect(valueOf(samples, 'msgpipe_http_request_duration_seconds_bucket', { method: 'GET', route: '/healthz', le: '+Inf' })).toBe(1);
  });

  it('counts accepted messages, and rejected ones by reason', async () => {
    const from = { localAddress: '127.0.0.62' };
    expect((await postMessage(api.baseUrl, 'one', from)).status).toBe(202);
    expect((await postMessage(api.baseUrl, 'two', from)).status).toBe(202);
    expect((await postMessage(api.baseUrl, 'three', from)).status).toBe(429);
    expect((await postMessage(api.baseUrl, '   ', { localAddress: '127.0.0.63' })).status).toBe(400);
    const tooLarge = await request(api.baseUrl, '/v1/messages', {
      method: 'POST',
      localAddress: '127.0.0.64',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ message: 'x'.repeat(20_000) }),
    });
    expect(tooLarge.status).toBe(413);

    const samples = await scrape();
    expect(valueOf(samples, 'msgpipe_messages_accepted_total')).toBe(2);
    expect(valueOf(samples, 'msgpipe_messages_rejected_total', { reason: 'rate_limited' })).toBe(1);
    expect(valueOf(samples, 'msgpipe_messages_rejected_total', { reason: 'empty_message' })).toBe(1);
    expect(valueOf(samples, 'msgpipe_messages_rejected_total', { reason: 'message_too_large' })).toBe(1);
    expect(valueOf(samples, 'msgpipe_http_requests_total', { method: 'POST', route: '/v1/messages', status: '202' })).toBe(2);
  });

  it('reports queue depth per partition and state, read at scrape time', async () => {
    const samples = await scrape();
    const waiting = samplesOf(samples, 'msgpipe_queue_jobs', { state: 'waiting' });
    expect(waiting.map((sample) => sample.labels.queue).sort()).toEqual(['messages', 'messages-1']);
    // The two accepted messages above wait, with no worker running.
    expect(waiting.reduce((sum, sample) => sum + sample.value, 0)).toBe(2);
    for (const state of ['active', 'completed', 'failed', 'delayed']) {
      expect(samplesOf(samples, 'msgpipe_queue_jobs', { state }), state).toHaveLength(2);
    }
    expect(valueOf(samples, 'msgpipe_redis_up')).toBe(1);
  });

  it('reports queue latency per partition, growing while no worker takes the waiting messages', async () => {
    const oldest = async () => {
      const ages = samplesOf(await scrape(), 'msgpipe_queue_oldest_waiting_seconds');
      expect(ages.map((sample) => sample.labels.queue).sort()).toEqual(['messages', 'messages-1']);
      return Math.max(...ages.map((sample) => sample.value));
    };
    // The two accepted messages above still wait: no worker runs here.
    const first = await waitFor('an age above 0', async () => {
      const age = await oldest();
      return age > 0 && age;
    });
    await waitFor('the age to grow', async () => (await oldest()) > first);
  });

  it('still answers a scrape while Redis is unreachable, with msgpipe_redis_up 0', async () => {
    const cut = await startApi({ ADMIN_TOKEN });
    cut.redis.disconnect();
    try {
      const response = await request(cut.baseUrl, '/metrics', { headers: asAdmin });
      expect(response.status).toBe(200);
      expect(valueOf(parsePrometheusText(response.text), 'msgpipe_redis_up')).toBe(0);
    } finally {
      await cut.close();
    }
  });

  it('includes the Node process metrics', async () => {
    const samples = await scrape();
    for (const name of ['process_cpu_seconds_total', 'process_resident_memory_bytes', 'nodejs_eventloop_lag_seconds', 'nodejs_heap_size_used_bytes']) {
      expect(samplesOf(samples, name), name).toHaveLength(1);
    }
  });

  it('never shows the Redis URL or the admin token', async () => {
    const response = await request(api.baseUrl, '/metrics', { headers: asAdmin });
    expect(response.text).not.toContain(ADMIN_TOKEN);
    expect(response.text).not.toContain(api.config.redis.url);
  });
});
