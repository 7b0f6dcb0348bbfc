import { createHash } from 'node:crypto';
import { createServer } from 'node:net';
import { once } from 'node:events';
import { createRedis, KeySchema } from '@msgpipe/shared';
import { waitFor } from '@msgpipe/testkit';
import { afterEach, describe, expect, it } from 'vitest';
import { WorkerMetrics } from './metrics.js';
import { pipelinePerTest, type Pipeline, silentLogger } from './pipeline.fixture.js';
import { CachingResponder } from './response-cache.js';
import { upstreamPerTest, type FakeUpstream } from './upstream.fixture.js';

const SECRET = 'cache-test-secret-0123456789';

const newPipeline = pipelinePerTest();
const startUpstream = upstreamPerTest();

/**
 * A webhook that answers every call differently, naming the sender it was told, so a cached
 * answer (and whose it was) is recognisable; `cacheControl` is its Cache-Control header.
 */
async function countingWebhookPipeline(env: Record<string, string>, cacheControl?: string): Promise<{ pipeline: Pipeline; upstream: FakeUpstream }> {
  const upstream = await startUpstream((call, index) => ({
    headers: cacheControl === undefined ? {} : ({ 'cache-control': cacheControl } as Record<string, string>),
    json: { response: `answer #${index + 1} for ${(JSON.parse(call.body) as { ip: string }).ip}` },
  }));
  const pipeline = newPipeline({ RESPONDER: 'webhook', RESPONDER_URL: upstream.url, RESPONDER_SECRET: SECRET, ...env });
  pipeline.startWorker();
  return { pipeline, upstream };
}

async function send(pipeline: Pipeline, message: string, ip: string): Promise<string | undefined> {
  const job = await pipeline.enqueue(message, ip);
  expect(await pipeline.finished(job)).toBe('completed');
  return (await pipeline.entriesOf(job))[0]?.response;
}

const textHash = (kind: string, text: string) => createHash('sha256').update(`${kind}\0${text}`).digest('hex');
const cacheKeyOf = (pipeline: Pipeline, kind: string, text: string) => pipeline.keys.responseCache(textHash(kind, text));

describe('response cache', () => {
  it('never gives one sender the answer made for another when the upstream says nothing about caching', async () => {
    const { pipeline, upstream } = await countingWebhookPipeline({ RESPONSE_CACHE_TTL_SECONDS: '60' });

    expect(await send(pipeline, 'who am I?', '127.0.7.2')).toBe('answer #1 for 127.0.7.2');
    expect(await send(pipeline, 'who am I?', '127.0.7.3')).toBe('answer #2 for 127.0.7.3');
    // Each sender's own answer is cached for them.
    expect(await send(pipeline, 'who am I?', '127.0.7.2')).toBe('answer #1 for 127.0.7.2');
    expect(await send(pipeline, 'who am I?', '127.0.7.3')).toBe('answer #2 for 127.0.7.3');

    expect(upstream.calls).toHaveLength(2);
    expect(await pipeline.connection.exists(cacheKeyOf(pipeline, 'webhook', 'who am I?'))).toBe(0);
    const ttl = await pipeline.connection.ttl(pipeline.keys.responseCacheOf('127.0.7.2'));
    expect(ttl).toBeGreaterThan(50);
    expect(ttl).toBeLessThanOrEqual(60);
    expect(await pipeline.metric('msgpipe_response_cache_requests_total', { result: 'hit' })).toBe(2);
    expect(await pipeline.metric('msgpipe_response_cache_requests_total', { result: 'miss' })).toBe(2);
  });

  it('keeps a Cache-Control: private answer for its sender only, for its max-age', async () => {
    const { pipeline, upstream } = await countingWebhookPipeline({ RESPONSE_CACHE_TTL_SECONDS: '60' }, 'private, max-age=1');

    expect(await send(pipeline, 'mine', '198.51.100.20')).toBe('answer #1 for 198.51.100.20');
    expect(await send(pipeline, 'mine', '198.51.100.21')).toBe('answer #2 for 198.51.100.21');
    expect(await send(pipeline, 'mine', '198.51.100.20')).toBe('answer #1 for 198.51.100.20');
    expect(upstream.calls).toHaveLength(2);

    // After its max-age, though the sender's cache lives on (RESPONSE_CACHE_TTL_SECONDS), it is asked again.
    const key = pipeline.keys.responseCacheOf('198.51.100.20');
    await waitFor('the private answer to go stale', async () => {
      const entry = await pipeline.connection.hget(key, textHash('webhook', 'mine'));
      return entry !== null && (JSON.parse(entry) as { expiresAt: number }).expiresAt < Date.now();
    });
    expect(await send(pipeline, 'mine', '198.51.100.20')).toBe('answer #3 for 198.51.100.20');
  });

  it('shares a Cache-Control: public answer by text: the second sender never reaches the webhook', async () => {
    const { pipeline, upstream } = await countingWebhookPipeline({ RESPONSE_CACHE_TTL_SECONDS: '60' }, 'public, max-age=30');

    expect(await send(pipeline, 'what is msgpipe?', '198.51.100.1')).toBe('answer #1 for 198.51.100.1');
    expect(await send(pipeline, 'what is msgpipe?', '198.51.100.2')).toBe('answer #1 for 198.51.100.1');
    expect(await send(pipeline, 'something else', '198.51.100.2')).toBe('answer #2 for 198.51.100.2');

    expect(upstream.calls).toHaveLength(2);
    const key = cacheKeyOf(pipeline, 'webhook', 'what is msgpipe?');
    expect(await pipeline.connection.get(key)).toBe('answer #1 for 198.51.100.1');
    const ttl = await pipeline.connection.ttl(key);
    expect(ttl).toBeGreaterThan(20);
    expect(ttl).toBeLessThanOrEqual(30);
    expect(await pipeline.metric('msgpipe_response_cache_requests_total', { result: 'hit' })).toBe(1);
    expect(await pipeline.metric('msgpipe_response_cache_requests_total', { result: 'miss' })).toBe(2);
    expect(await pipeline.metric('msgpipe_responder_calls_total', { responder: 'webhook', outcome: 'ok' })).toBe(2);
  });

  it('keeps a shared answer no longer than RESPONSE_CACHE_TTL_SECONDS, whatever its max-age', async () => {
    const { pipeline, upstream } = await countingWebhookPipeline({ RESPONSE_CACHE_TTL_SECONDS: '60' }, 'public, max-age=86400');
    await send(pipeline, 'long-lived?', '198.51.100.22');
    expect(await pipeline.connection.ttl(cacheKeyOf(pipeline, 'webhook', 'long-lived?'))).toBeLessThanOrEqual(60);
  });

  it.each(['no-store', 'no-cache', 'public, max-age=0'])('caches nothing the upstream marks %j', async (cacheControl) => {
    const { pipeline, upstream } = await countingWebhookPipeline({ RESPONSE_CACHE_TTL_SECONDS: '60' }, cacheControl);

    expect(await send(pipeline, 'fresh please', '198.51.100.23')).toBe('answer #1 for 198.51.100.23');
    expect(await send(pipeline, 'fresh please', '198.51.100.23')).toBe('answer #2 for 198.51.100.23');
    expect(upstream.calls).toHaveLength(2);
    expect(await pipeline.connection.exists(cacheKeyOf(pipeline, 'webhook', 'fresh please'), pipeline.keys.responseCacheOf('198.51.100.23'))).toBe(0);
  });

  it("forgets a sender's cached answers when their history is erased", async () => {
    const { pipeline } = await countingWebhookPipeline({ RESPONSE_CACHE_TTL_SECONDS: '60' });
    expect(await send(pipeline, 'remember me?', '198.51.100.24')).toBe('answer #1 for 198.51.100.24');

    await pipeline.history.erase('198.51.100.24');

    expect(await pipeline.connection.exists(pipeline.keys.responseCacheOf('198.51.100.24'))).toBe(0);
    expect(await send(pipeline, 'remember me?', '198.51.100.24')).toBe('answer #2 for 198.51.100.24');
  });

  it('asks again once the cached answer has expired', async () => {
    const { pipeline, upstream } = await countingWebhookPipeline({ RESPONSE_CACHE_TTL_SECONDS: '1' }, 'public');

    expect(await send(pipeline, 'short-lived', '198.51.100.3')).toBe('answer #1 for 198.51.100.3');
    const key = cacheKeyOf(pipeline, 'webhook', 'short-lived');
    expect(await pipeline.connection.exists(key)).toBe(1);
    await waitFor('the cached answer to expire', async () => (await pipeline.connection.exists(key)) === 0);

    expect(await send(pipeline, 'short-lived', '198.51.100.3')).toBe('answer #2 for 198.51.100.3');
    expect(upstream.calls).toHaveLength(2);
  });

  it('is off with RESPONSE_CACHE_TTL_SECONDS=0: every message reaches the webhook', async () => {
    const { pipeline, upstream } = await countingWebhookPipeline({ RESPONSE_CACHE_TTL_SECONDS: '0' });

    expect(await send(pipeline, 'again', '198.51.100.4')).toBe('answer #1 for 198.51.100.4');
    expect(await send(pipeline, 'again', '198.51.100.4')).toBe('answer #2 for 198.51.100.4');

    expect(upstream.calls).toHaveLength(2);
    expect(await pipeline.connection.exists(cacheKeyOf(pipeline, 'webhook', 'again'), pipeline.keys.responseCacheOf('198.51.100.4'))).toBe(0);
    expect(await pipeline.metric('msgpipe_response_cache_requests_total', { result: 'miss' })).toBeUndefined();
  });

  it('never caches rules replies, which carry the sender\'s IP', async () => {
    const pipeline = newPipeline({ RESPONDER: 'rules', RESPONSE_CACHE_TTL_SECONDS: '60' });
    pipeline.startWorker();

    expect(await send(pipeline, 'hello', '198.51.100.5')).toBe('Hello, user from 198.51.100.5!');
    expect(await send(pipeline, 'hello', '198.51.100.6')).toBe('Hello, user from 198.51.100.6!');
    expect(await pipeline.connection.exists(cacheKeyOf(pipeline, 'rules', 'hello'))).toBe(0);
  });

  it('answers the message when the cache lookup fails (a key of the wrong type), and repairs the entry', async () => {
    const { pipeline } = await countingWebhookPipeline({ RESPONSE_CACHE_TTL_SECONDS: '60' }, 'public, max-age=60');
    const key = cacheKeyOf(pipeline, 'webhook', 'odd key');
    await pipeline.connection.rpush(key, 'not a string'); // GET now fails with WRONGTYPE
    await pipeline.connection.set(pipeline.keys.responseCacheOf('198.51.100.7'), 'not a hash'); // and HGET too

    expect(await send(pipeline, 'odd key', '198.51.100.7')).toBe('answer #1 for 198.51.100.7');
    expect(await pipeline.connection.get(key)).toBe('answer #1 for 198.51.100.7');
    expect(await pipeline.metric('msgpipe_response_cache_requests_total', { result: 'miss' })).toBe(1);
  });

  it('answers without the cache when Redis cannot be reached at all', async () => {
    const closed = createServer().listen(0, '127.0.0.1');
    await once(closed, 'listening');
    const { port } = closed.address() as { port: number };
    closed.close();
    // A connection that fails its commands at once instead of queueing them.
    const unreachable = createRedis({ url: `redis://127.0.0.1:${port}`, clusterNodes: undefined, prefix: 'nowhere' }, 'producer');
    unreachable.on('error', () => {});
    try {
      const metrics = new WorkerMetrics();
      const responder = new CachingResponder(
        { respond: async (message) => `fresh: ${message}` },
        { redis: unreachable, keys: new KeySchema('nowhere'), ttlSeconds: 60, kind: 'webhook', metrics, logger: silentLogger },
      );
      const context = { id: 'm1', ip: '1.2.3.4', sendTime: new Date().toISOString(), history: async () => [] };
      expect(await responder.respond('hi', context)).toBe('fresh: hi');
      expect((await metrics.responseCacheRequests.get()).values).toEqual([expect.objectContaining({ labels: { result: 'miss' }, value: 1 })]);
    } finally {
      unreachable.disconnect();
    }
  });
});
