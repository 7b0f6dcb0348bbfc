import { RedisServer } from '@msgpipe/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApi, type RunningApi } from '../test/api.fixture.js';
import { startEchoWorker } from '../test/echo-worker.fixture.js';
import { withinDeadline } from '../http/deadline.js';
import { AppError } from '../http/errors.js';
import { ApiMetrics } from '../ops/metrics.js';
import { Admission } from './admission.js';
import { IdempotencyKeys } from './idempotency.js';
import { Intake } from './intake.js';

// The intake on its own, no HTTP: what submit() answers and what it leaves in Redis.
let api: RunningApi;
let worker: { close(): Promise<void> };
beforeAll(async () => {
  api = await startApi();
  worker = await startEchoWorker(api);
});
afterAll(async () => {
  await worker?.close();
  await api?.close();
});

/** An intake on the test API's Redis and queues, with its own limit and clock, as createApp builds it. */
function intakeOn(target: RunningApi, { limit = 0, now = Date.now } = {}): Intake {
  const redisWork = <T>(work: () => Promise<T>) => withinDeadline(target.redis, 1800, work);
  const idempotency = new IdempotencyKeys(target.redis, target.keys);
  return new Intake({
    queues: target.queues,
    history: target.history,
    admission: new Admission(target.redis, target.keys, idempotency, limit),
    idempotency,
    waiters: target.waiters,
    metrics: new ApiMetrics({ queues: target.queues, redisWork }),
    redisWork,
    now,
  });
}

describe('Intake.submit', () => {
  it('accepts a new message into its queue, sent at the time of its clock', async () => {
    const sentAt = Date.now() - 5000;
    const result = await intakeOn(api, { now: () => sentAt }).submit({ ip: '192.0.2.1', message: 'hello' });
    expect(result).toMatchObject({ kind: 'accepted', message: { ip: '192.0.2.1', sendTime: new Date(sentAt).toISOString() } });
    if (result.kind !== 'accepted') throw new Error('unreachable');
    const queued = await api.queues.find('192.0.2.1', result.message.id);
    expect(queued?.job).toMatchObject({ id: result.message.id, message: 'hello' });
  });

  it('answers a repeated Idempotency-Key with the first message and enqueues nothing; keys are per IP', async () => {
    const intake = intakeOn(api);
    const first = await intake.submit({ ip: '192.0.2.2', message: 'once', idempotencyKey: 'k-1' });
    const again = await intake.submit({ ip: '192.0.2.2', message: 'twice', idempotencyKey: 'k-1' });
    const otherIp = await intake.submit({ ip: '192.0.2.3', message: 'mine', idempotencyKey: 'k-1' });
    expect(first.kind).toBe('accepted');
    expect(again).toEqual({ kind: 'repeat', message: (first as { message: unknown }).message, rate: undefined });
    expect(otherIp.kind).toBe('accepted');
    expect((otherIp as { message: { id: string } }).message.id).not.toBe((first as { message: { id: string } }).message.id);
  });

  it('refuses past the rate limit, exactly, and stores nothing for the refused message', async () => {
    const intake = intakeOn(api, { limit: 2 });
    const results = [];
    for (let n = 0; n < 3; n++) results.push(await intake.submit({ ip: '192.0.2.4', message: `m${n}`, idempotencyKey: `rate-${n}` }));
    expect(results.map((result) => result.kind)).toEqual(['accepted', 'accepted', 'refused']);
    expect(results[2]).toMatchObject({ kind: 'refused', rate: { allowed: false, remaining: 0 } });
    // Only the admitted messages' keys were claimed, and only they are queued.
    expect(await api.redis.keys(api.keys.idempotency('192.0.2.4', '*'))).toHaveLength(2);
    const queued = await Promise.all(results.slice(0, 2).map((result) => api.queues.find('192.0.2.4', (result as { message: { id: string } }).message.id)));
    expect(queued.map((found) => found?.job.message)).toEqual(['m0', 'm1']);
  });

  it('waits for the answer when asked, and gives the finished entry', async () => {
    const result = await intakeOn(api).submit({ ip: '192.0.2.5', message: 'are you there?', waitMs: 10_000 });
    expect(result).toMatchObject({ kind: 'finished', entry: { status: 'completed', response: 'echo: are you there?' } });
  });

  it('gives a repeat of a finished message its entry when asked to wait', async () => {
    const intake = intakeOn(api);
    await intake.submit({ ip: '192.0.2.6', message: 'first', idempotencyKey: 'done', waitMs: 10_000 });
    const repeat = await intake.submit({ ip: '192.0.2.6', message: 'first', idempotencyKey: 'done', waitMs: 10_000 });
    expect(repeat).toMatchObject({ kind: 'finished', entry: { response: 'echo: first' } });
  });

  it('throws domain errors, not HTTP ones: a malformed key, and Redis unavailable', async () => {
    const malformed = intakeOn(api).submit({ ip: '192.0.2.7', message: 'x', idempotencyKey: 'has space' });
    await expect(malformed).rejects.toMatchObject({ code: 'invalid_idempotency_key' });
    await expect(malformed).rejects.toBeInstanceOf(AppError);

    const redis = await RedisServer.start();
    const stalled = await startApi({}, redis.url);
    try {
      redis.signal('SIGSTOP');
      const deadline = intakeOn(stalled);
      await expect(deadline.submit({ ip: '192.0.2.8', message: 'x' })).rejects.toMatchObject({ code: 'unavailable' });
    } finally {
      redis.signal('SIGCONT');
      await stalled.close();
      await redis.stop();
    }
  });
});
