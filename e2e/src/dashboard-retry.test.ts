import { queueName, queuePrefix } from '@msgpipe/shared';
import { asAdmin, openEventStream, postMessage, request, startPipeline, testRedisUrl, waitFor, type EventStream, type Pipeline } from '@msgpipe/testkit';
import { FailureReason } from '@msgpipe/worker';
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ScriptedUpstream } from './scripted-upstream.js';

/**
 * Retries from the queue dashboard, through the built API and worker with a real webhook
 * upstream: what a retry of a message that failed for good, or of one erased since, does to
 * the history, the stats, `GET /v1/messages/{id}`, `?wait` and `/v1/stream`.
 */
describe('a retry from the dashboard', () => {
  let upstream: ScriptedUpstream;
  let pipeline: Pipeline;
  let redis: Redis;
  let queue: string;
  const streams: EventStream[] = [];

  beforeAll(async () => {
    upstream = await ScriptedUpstream.start();
    upstream.holding = false;
    // No response cache: each retry is a call the upstream sees.
    pipeline = await startPipeline({ redis: testRedisUrl(), label: 'dashboard-retry', env: { ...upstream.responderEnv, RESPONSE_CACHE_TTL_SECONDS: '0' } });
    redis = new Redis(testRedisUrl());
    queue = `${queuePrefix(pipeline.prefix, 0)}:${queueName(0)}`;
  });
  afterEach(() => {
    for (const stream of streams.splice(0)) stream.close();
  });
  afterAll(async () => {
    await pipeline?.kill();
    await upstream?.close();
    redis?.disconnect();
  });

  async function send(ip: string, message: string, headers: Record<string, string> = {}): Promise<string> {
    const accepted = await postMessage(pipeline.baseUrl, message, { localAddress: ip, headers });
    expect(accepted.status, accepted.text).toBe(202);
    return accepted.json().id as string;
  }

  const getMessage = (ip: string, id: string) => request(pipeline.baseUrl, `/v1/messages/${id}`, { localAddress: ip });
  const historyOf = async (ip: string) => (await request(pipeline.baseUrl, '/v1/history?limit=100', { localAddress: ip })).json().messages as Array<{ id: string; status: string }>;
  const stats = async () => (await request(pipeline.baseUrl, '/v1/stats?top=100', { headers: asAdmin })).json() as { totalMessages: number; topSenders: Array<{ ip: string; count: number }> };

  /** Waits until the message's job has ended (completed or failed) `ends` times in all. */
  async function jobEnded(id: string, ends: number): Promise<string> {
    return waitFor(`job ${id} to end ${ends} times`, async () => {
      const [attempts, completed, failed] = await Promise.all([redis.hget(`${queue}:${id}`, 'atm'), redis.zscore(`${queue}:completed`, id), redis.zscore(`${queue}:failed`, id)]);
      return Number(attempts) >= ends && (completed !== null ? 'completed' : failed !== null && 'failed');
    });
  }

  async function retry(id: string): Promise<void> {
    const retried = await request(pipeline.baseUrl, `/admin/queues/api/queues/${queueName(0)}/${id}/retry`, { method: 'PUT', headers: asAdmin });
    expect(retried.status, retried.text).toBe(204);
  }

  async function stream(ip: string): Promise<EventStream> {
    const events = await openEventStream(pipeline.baseUrl, '/v1/stream', { localAddress: ip });
    expect(events.status).toBe(200);
    streams.push(events);
    return events;
  }

  it('of a message that failed for good, once the upstream answers, replaces the failure with the answer everywhere, counted once', async () => {
    const ip = '127.0.0.71';
    const events = await stream(ip);
    const key = { 'idempotency-key': 'dashboard-retry-1' };
    const id = await send(ip, 'refused 1 then answered', key);
    const [failure] = await events.take(1);
    expect(JSON.parse(failure!.data)).toMatchObject({ id, status: 'failed', error: FailureReason.refused });
    expect(await jobEnded(id, 1)).toBe('failed');
    expect((await getMessage(ip, id)).json()).toMatchObject({ id, status: 'failed' });
    const before = await stats();
    expect(before.topSenders).toContainEqual({ ip, count: 1 });

    await retry(id);

    // The stream hears the message again, answered now.
    const [, answer] = await events.take(2);
    expect(answer!.id).toBe(id);
    const answered = { id, status: 'completed', ip, message: 'refused 1 then answered', response: `answered ${id} on call 2` };
    expect(JSON.parse(answer!.data)).toMatchObject(answered);
    expect(await jobEnded(id, 2)).toBe('completed');
    expect(upstream.callsFor(id).map((call) => call.status)).toEqual([400, 200]);
    const shown = (await getMessage(ip, id)).json();
    expect(shown).toMatchObject(answered);
    expect(shown).not.toHaveProperty('error');
    expect((await historyOf(ip)).filter((entry) => entry.id === id)).toEqual([expect.objectContaining({ status: 'completed' })]);
    // `?wait` with the message's Idempotency-Key gets the answer at once.
    const repeated = await request(pipeline.baseUrl, '/v1/messages?wait=5000', {
      method: 'POST',
      localAddress: ip,
      headers: { 'content-type': 'application/json', ...key },
      body: JSON.stringify({ message: 'refused 1 then answered' }),
    });
    expect(repeated.status).toBe(200);
    expect(repeated.json()).toMatchObject(answered);
    // Counted when it failed, not again.
    const after = await stats();
    expect(after.totalMessages).toBe(before.totalMessages);
    expect(after.topSenders).toContainEqual({ ip, count: 1 });
  });

  it('of messages erased since, answered or failed, writes none of them back and counts nothing', async () => {
    const ip = '127.0.0.72';
    const events = await stream(ip);
    const answeredId = await send(ip, 'plain hello');
    const failedId = await send(ip, 'refused 1 erased before its retry');
    await events.take(2);
    expect(await jobEnded(answeredId, 1)).toBe('completed');
    expect(await jobEnded(failedId, 1)).toBe('failed');
    expect(await historyOf(ip)).toHaveLength(2);
    const before = await stats();

    expect((await request(pipeline.baseUrl, '/v1/history', { method: 'DELETE', localAddress: ip })).status).toBe(204);
    await retry(answeredId);
    await retry(failedId);

    // Both ran again (the upstream answered both this time) and wrote nothing.
    expect(await jobEnded(answeredId, 2)).toBe('completed');
    expect(await jobEnded(failedId, 2)).toBe('completed');
    expect(upstream.callsFor(answeredId)).toHaveLength(2);
    expect(upstream.callsFor(failedId).map((call) => call.status)).toEqual([400, 200]);
    expect(await historyOf(ip)).toEqual([]);
    expect((await getMessage(ip, answeredId)).status).toBe(404);
    expect((await getMessage(ip, failedId)).status).toBe(404);
    const after = await stats();
    expect(after.totalMessages).toBe(before.totalMessages);
    expect(after.topSenders.map((sender) => sender.ip)).not.toContain(ip);
    expect(events.events).toHaveLength(2);
  });
});
