import { createRedis, type HistoryEntry, type MessageJob } from '@msgpipe/shared';
import { waitFor } from '@msgpipe/testkit';
import { afterEach, describe, expect, it } from 'vitest';
import { Pipeline } from './pipeline.fixture.js';
import { FailureReason } from './responders/failure-reasons.js';
import { FakeUpstream } from './upstream.fixture.js';

let pipeline: Pipeline | undefined;
let upstream: FakeUpstream | undefined;
let subscriber: ReturnType<typeof createRedis> | undefined;
afterEach(async () => {
  subscriber?.disconnect();
  await pipeline?.close();
  await upstream?.close();
  [pipeline, upstream, subscriber] = [undefined, undefined, undefined];
});

/**
 * A webhook that refuses (HTTP 400: a permanent failure) the first call about each message whose
 * text starts with "refused once", and answers every other call; a worker calling it.
 */
async function start(): Promise<{ pipeline: Pipeline; upstream: FakeUpstream; callsFor(id: string): number }> {
  const refusedOnce = new Set<string>();
  upstream = await FakeUpstream.start((call) => {
    const { id, message } = JSON.parse(call.body) as { id: string; message: string };
    if (message.startsWith('refused once') && !refusedOnce.has(id)) {
      refusedOnce.add(id);
      return { status: 400, json: { error: 'not now' } };
    }
    return { json: { response: `answered: ${message}` } };
  });
  pipeline = new Pipeline({ RESPONDER: 'webhook', RESPONDER_URL: upstream.url, RESPONDER_SECRET: 'retry-failed-secret-0123456789' });
  pipeline.startWorker();
  const calls = upstream.calls;
  return { pipeline, upstream, callsFor: (id) => calls.filter((call) => (JSON.parse(call.body) as { id: string }).id === id).length };
}

/** Everything published on the IP's completions channel (what `/v1/stream` and `?wait` hear), from now on. */
async function listen(on: Pipeline, ip: string): Promise<HistoryEntry[]> {
  const heard: HistoryEntry[] = [];
  subscriber = createRedis(on.config.redis, 'worker', 'retry-failed-test');
  subscriber.on('message', (_channel: string, payload: string) => heard.push(JSON.parse(payload) as HistoryEntry));
  await subscriber.subscribe(on.keys.completions(ip));
  return heard;
}

/**
 * What the dashboard's retry button does (bull-board: job.retry in the job's state, failed or
 * completed); resolves with the state the job ends in again. Each end counts an attempt.
 */
async function retryFromDashboard(on: Pipeline, message: Pick<MessageJob, 'id'>): Promise<string> {
  const queue = on.queueOf(message);
  const job = (await queue.getJob(message.id))!;
  const { attemptsMade } = job;
  await job.retry((await job.getState()) as 'failed' | 'completed');
  return waitFor(`job ${message.id} to end again`, async () => {
    const again = await queue.getJob(message.id);
    const state = await queue.getJobState(message.id);
    return again !== undefined && again.attemptsMade > attemptsMade && (state === 'completed' || state === 'failed') && state;
  });
}

describe('a message that failed for good, retried from the dashboard once the upstream answers', () => {
  it('has its failed entry replaced by the answer: once in the history, counted once, published for the stream and ?wait', async () => {
    const { pipeline, callsFor } = await start();
    const ip = '203.0.113.60';
    const heard = await listen(pipeline, ip);
    const message = await pipeline.enqueue('refused once, then fine', ip);
    expect(await pipeline.finished(message)).toBe('failed');
    expect(await pipeline.entriesOf(message)).toEqual([expect.objectContaining({ status: 'failed', error: FailureReason.refused })]);
    const later = await pipeline.enqueue('a later message', ip);
    expect(await pipeline.finished(later)).toBe('completed');

    expect(await retryFromDashboard(pipeline, message)).toBe('completed');

    expect(callsFor(message.id)).toBe(2);
    const history = await pipeline.historyOf(ip);
    expect(history.map((entry) => [entry.id, entry.status])).toEqual([
      [message.id, 'completed'],
      [later.id, 'completed'],
    ]);
    expect(history[0]).toMatchObject({ message: 'refused once, then fine', response: 'answered: refused once, then fine' });
    expect(history[0]).not.toHaveProperty('error');
    const stats = await pipeline.stats.read(10);
    expect(stats.totalMessages).toBe(2);
    expect(stats.topSenders).toEqual([{ ip, count: 2 }]);
    await waitFor('the answer published', () => heard.filter((entry) => entry.id === message.id).length === 2);
    expect(heard.filter((entry) => entry.id === message.id).map((entry) => entry.status)).toEqual(['failed', 'completed']);

    // A second retry (of the completed job now) changes nothing: the answer is recorded.
    expect(await retryFromDashboard(pipeline, message)).toBe('completed');
    expect(await pipeline.historyOf(ip)).toEqual(history);
    expect((await pipeline.stats.read(10)).totalMessages).toBe(2);
  });

  it('asks the responder again for a message that failed for good inside a batch, rather than failing with the failure it carried', async () => {
    const { pipeline, callsFor } = await start();
    const ip = '203.0.113.61';
    const batch = await pipeline.enqueueBatch([
      { ip, message: 'refused once, in a batch' },
      { ip, message: 'fine, in a batch' },
    ]);
    const [refused] = batch.messages;
    expect(await pipeline.finished(batch)).toBe('completed');
    // It went on alone, carrying its failure, and failed there without a second call.
    expect(await pipeline.finished(refused!)).toBe('failed');
    expect(callsFor(refused!.id)).toBe(1);
    expect(await pipeline.entriesOf(refused!)).toEqual([expect.objectContaining({ status: 'failed', error: FailureReason.refused })]);

    expect(await retryFromDashboard(pipeline, refused!)).toBe('completed');

    expect(callsFor(refused!.id)).toBe(2);
    expect(await pipeline.entriesOf(refused!)).toEqual([expect.objectContaining({ status: 'completed', response: 'answered: refused once, in a batch' })]);
    expect((await pipeline.historyOf(ip)).map((entry) => entry.status)).toEqual(['completed', 'completed']);
    expect((await pipeline.stats.read(10)).totalMessages).toBe(2);
  });
});
