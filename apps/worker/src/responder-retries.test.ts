import { waitFor } from '@msgpipe/testkit';
import { afterEach, describe, expect, it } from 'vitest';
import { pipelinePerTest, type Pipeline, silentLogger } from './pipeline.fixture.js';
import { TransientResponderError } from './responders/errors.js';
import type { Responder } from './responders/responder.js';
import { verifyWebhookSignature } from './responders/webhook-signature.js';
import { upstreamPerTest, type FakeUpstream, type UpstreamHandler } from './upstream.fixture.js';
import { createWorker } from './worker.js';

const SECRET = 'retry-test-secret-0123456789';

const newPipeline = pipelinePerTest();
const startUpstream = upstreamPerTest();

/** A webhook receiver (checking every signature) and a worker calling it. */
async function webhookPipeline(handler: UpstreamHandler, env: Record<string, string> = {}): Promise<{ pipeline: Pipeline; upstream: FakeUpstream; validSignatures: boolean[] }> {
  const validSignatures: boolean[] = [];
  const upstream = await startUpstream((call, index) => {
    validSignatures.push(verifyWebhookSignature(SECRET, call.headers['msgpipe-signature'] as string | undefined, call.body, 60));
    return handler(call, index);
  });
  const pipeline = newPipeline({ RESPONDER: 'webhook', RESPONDER_URL: upstream.url, RESPONDER_SECRET: SECRET, ...env });
  pipeline.startWorker();
  return { pipeline, upstream, validSignatures };
}

describe('responder retries through BullMQ', () => {
  it('completes with the webhook\'s answer after two 500s, once in the history, every call signed', async () => {
    const { pipeline, upstream, validSignatures } = await webhookPipeline((call, index) =>
      index < 2 ? { status: 500, json: { error: 'down' } } : { json: { response: `third time lucky: ${(JSON.parse(call.body) as { message: string }).message}` } },
    );
    const job = await pipeline.enqueue('are you there?', '203.0.113.9');

    // Between attempts the job waits as `delayed`, which the dashboard shows.
    await waitFor('the first retry to wait as delayed', async () => (await pipeline.queue.getJobState(job.id)) === 'delayed');
    expect(await pipeline.finished(job)).toBe('completed');

    expect(await pipeline.entriesOf(job)).toEqual([
      expect.objectContaining({ id: job.id, status: 'completed', response: 'third time lucky: are you there?', message: 'are you there?' }),
    ]);
    expect(upstream.calls).toHaveLength(3);
    expect(validSignatures).toEqual([true, true, true]);
    expect(new Set(upstream.calls.map((call) => (JSON.parse(call.body) as { id: string }).id))).toEqual(new Set([job.id]));
    expect(await pipeline.metric('msgpipe_responder_calls_total', { responder: 'webhook', outcome: 'transient' })).toBe(2);
    expect(await pipeline.metric('msgpipe_responder_calls_total', { responder: 'webhook', outcome: 'ok' })).toBe(1);
    expect(await pipeline.metric('msgpipe_worker_jobs_total', { outcome: 'retrying' })).toBe(2);
    expect(await pipeline.metric('msgpipe_responder_call_seconds_count', { responder: 'webhook', outcome: 'ok' })).toBe(1);
  });

  it('fails at once on a permanent failure (HTTP 400): one call, recorded as failed with its reason', async () => {
    const { pipeline, upstream } = await webhookPipeline(() => ({ status: 400, json: { error: 'we do not take questions' } }));
    const job = await pipeline.enqueue('a question?', '203.0.113.10');

    expect(await pipeline.finished(job)).toBe('failed');
    expect(upstream.calls).toHaveLength(1);
    expect(await pipeline.entriesOf(job)).toEqual([expect.objectContaining({ status: 'failed', error: 'the responder refused the message' })]);
    // The dashboard, for admins, shows the detail.
    expect((await pipeline.queue.getJob(job.id))!.failedReason).toBe('webhook answered HTTP 400');
    expect(await pipeline.metric('msgpipe_responder_calls_total', { responder: 'webhook', outcome: 'permanent' })).toBe(1);
    expect(await pipeline.metric('msgpipe_worker_jobs_total', { outcome: 'failed' })).toBe(1);
  });

  it('fails for good on a 5 MB answer: one call, nothing of it in the history or the cache', async () => {
    const { pipeline, upstream } = await webhookPipeline(() => ({ json: { response: 'x'.repeat(5_000_000) } }));
    const job = await pipeline.enqueue('tell me everything', '203.0.113.15');

    expect(await pipeline.finished(job)).toBe('failed');
    expect(upstream.calls).toHaveLength(1);
    const [entry] = await pipeline.entriesOf(job);
    expect(entry).toMatchObject({ status: 'failed' });
    expect(entry!.response).toBeUndefined();
    expect(JSON.stringify(entry).length).toBeLessThan(1000);
    expect(await pipeline.connection.keys(`${pipeline.keys.prefix}:cache:*`)).toEqual([]);
    expect(await pipeline.metric('msgpipe_responder_calls_total', { responder: 'webhook', outcome: 'permanent' })).toBe(1);
  });

  it('stops after RESPONDER_ATTEMPTS, though the job itself allows more', async () => {
    const { pipeline, upstream } = await webhookPipeline(() => ({ status: 503, json: { error: 'still down' } }), { RESPONDER_ATTEMPTS: '2' });
    const job = await pipeline.enqueue('persistent', '203.0.113.11');

    expect(await pipeline.finished(job)).toBe('failed');
    const failed = (await pipeline.queue.getJob(job.id))!;
    expect(failed.opts.attempts).toBe(20);
    expect(failed.attemptsMade).toBe(2);
    expect(upstream.calls).toHaveLength(2);
    expect(await pipeline.entriesOf(job)).toEqual([expect.objectContaining({ status: 'failed', error: 'the responder is unavailable' })]);
  });

  it('waits out a 429\'s Retry-After before the next attempt', async () => {
    const { pipeline, upstream } = await webhookPipeline((_, index) =>
      index === 0 ? { status: 429, headers: { 'retry-after': '1' }, json: { error: 'slow down' } } : { json: { response: 'thanks for waiting' } },
    );
    const job = await pipeline.enqueue('patient', '203.0.113.12');

    expect(await pipeline.finished(job)).toBe('completed');
    const [first, second] = upstream.calls;
    // The backoff alone would have retried after 0.25–0.5 s.
    expect(second!.at - first!.at).toBeGreaterThanOrEqual(950);
    expect(await pipeline.entriesOf(job)).toEqual([expect.objectContaining({ status: 'completed', response: 'thanks for waiting' })]);
  });

  it('leaves a per-job built-in backoff to BullMQ: a fixed 10 ms ignores even a long Retry-After', async () => {
    const pipeline = newPipeline();
    let calls = 0;
    const responder: Responder = {
      async respond(message) {
        calls++;
        if (calls === 1) throw new TransientResponderError('busy', { retryAfterMs: 60_000 });
        return `ok: ${message}`;
      },
    };
    pipeline.startWorker({ responder });
    const job = await pipeline.enqueue('quick', '203.0.113.13', { attempts: 3, backoff: { type: 'fixed', delay: 10 } });

    expect(await pipeline.finished(job, 5000)).toBe('completed');
    expect(calls).toBe(2);
  });

  it('gives the openai responder the IP\'s earlier exchanges from the history', async () => {
    const conversations: unknown[] = [];
    const upstream = await startUpstream((call) => {
      const { messages } = JSON.parse(call.body) as { messages: Array<{ content: string }> };
      conversations.push(messages);
      return { json: { choices: [{ message: { role: 'assistant', content: `answer ${messages.length}` } }] } };
    });
    const pipeline = newPipeline({ RESPONDER: 'openai', OPENAI_BASE_URL: `${upstream.url}/v1/`, OPENAI_API_KEY: 'sk-x', OPENAI_MODEL: 'm' });
    pipeline.startWorker();

    const first = await pipeline.enqueue('first', '203.0.113.14');
    expect(await pipeline.finished(first)).toBe('completed');
    const second = await pipeline.enqueue('second', '203.0.113.14');
    expect(await pipeline.finished(second)).toBe('completed');

    expect(conversations).toEqual([
      [{ role: 'user', content: 'first' }],
      [
        { role: 'user', content: 'first' },
        { role: 'assistant', content: 'answer 1' },
        { role: 'user', content: 'second' },
      ],
    ]);
    expect(upstream.calls[0]!.path).toBe('/v1/chat/completions');
    expect(await pipeline.entriesOf(second)).toEqual([expect.objectContaining({ response: 'answer 3' })]);
  });
});

describe('RESPONDER_MAX_PER_SECOND', () => {
  const echo = (call: { body: string }) => ({ json: { response: `re: ${(JSON.parse(call.body) as { message: string }).message}` } });

  /**
   * 7 calls at 3 a second start 1/3 s apart at the soonest: the 7th at least 2 s after the
   * first could start, which is after `before`.
   */
  function expectPaced(calls: ReadonlyArray<{ at: number }>, before: number): void {
    const times = calls.map((call) => call.at).sort((a, b) => a - b);
    expect(times).toHaveLength(7);
    expect(times[6]! - before).toBeGreaterThanOrEqual(2000);
  }

  it('paces responder calls over every worker of the queue', async () => {
    const { pipeline, upstream } = await webhookPipeline(echo, { RESPONDER_MAX_PER_SECOND: '3', RESPONSE_CACHE_TTL_SECONDS: '0' });
    // A second worker (as another process would be) on the same queue shares the one budget.
    const second = createWorker({ config: pipeline.config, connection: pipeline.connection, logger: silentLogger });
    const before = Date.now();
    try {
      const jobs = await Promise.all(Array.from({ length: 7 }, (_, n) => pipeline.enqueue(`message ${n}`, `203.0.114.${n}`)));
      for (const job of jobs) expect(await pipeline.finished(job)).toBe('completed');
    } finally {
      await second.close();
    }
    expectPaced(upstream.calls, before);
  });

  it('counts the calls of a batch one by one, not the batch as one job', async () => {
    const { pipeline, upstream } = await webhookPipeline(echo, { RESPONDER_MAX_PER_SECOND: '3', RESPONSE_CACHE_TTL_SECONDS: '0' });
    const before = Date.now();
    const batch = await pipeline.enqueueBatch(Array.from({ length: 7 }, (_, n) => ({ message: `batched ${n}`, ip: `203.0.115.${n}` })));
    expect(await pipeline.finished(batch)).toBe('completed');
    expectPaced(upstream.calls, before);
    // Its one key has a TTL, as every key does.
    expect(await pipeline.connection.pttl(pipeline.keys.responderPace())).toBeGreaterThan(0);
  });
});
