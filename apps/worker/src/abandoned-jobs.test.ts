import { createRedis, type HistoryEntry } from '@msgpipe/shared';
import { waitFor } from '@msgpipe/testkit';
import { afterEach, describe, expect, it } from 'vitest';
import { pipelinePerTest, silentLogger, type Pipeline } from './pipeline.fixture.js';
import { TransientResponderError } from './responders/errors.js';
import { FailureReason } from './responders/failure-reasons.js';
import type { Responder } from './responders/responder.js';
import { createWorker, MAX_STALLED_COUNT, type MessageWorker } from './worker.js';

const newPipeline = pipelinePerTest();
const subscribers: Array<ReturnType<typeof createRedis>> = [];
afterEach(() => {
  for (const subscriber of subscribers.splice(0)) subscriber.disconnect();
});

/**
 * A responder on which a "poison" message never returns: its worker is stopped while it waits
 * (as a worker that a poison message crashes), time after time. A "flaky" message fails its
 * first call (it goes on in a job of its own); anything else is answered.
 */
function poisonous(): Responder & { calls: Map<string, number> } {
  return {
    calls: new Map(),
    async respond(message) {
      const call = (this.calls.get(message) ?? 0) + 1;
      this.calls.set(message, call);
      if (message.startsWith('poison')) return new Promise<string>(() => {});
      if (message.startsWith('flaky') && call === 1) throw new TransientResponderError('upstream hiccup');
      return `ok: ${message}`;
    },
  };
}

/** Everything published on the IP's completions channel (what `/v1/stream` and `?wait` hear). */
async function listen(pipeline: Pipeline, ip: string): Promise<HistoryEntry[]> {
  const heard: HistoryEntry[] = [];
  const subscriber = createRedis(pipeline.config.redis, 'worker', 'abandoned-jobs-test');
  subscribers.push(subscriber);
  subscriber.on('message', (_channel: string, payload: string) => heard.push(JSON.parse(payload) as HistoryEntry));
  await subscriber.subscribe(pipeline.keys.completions(ip));
  return heard;
}

describe('a job BullMQ fails by itself, its workers having died on it more often than allowed', () => {
  it('ends failed, visibly: its messages not answered yet are recorded failed and published, for a job of its own and for a batch', async () => {
    // SHUTDOWN_TIMEOUT_MS 0: a worker stopped leaves its jobs at once, as one that died.
    const pipeline = newPipeline({ JOB_LOCK_MS: '1000', SHUTDOWN_TIMEOUT_MS: '0' });
    const responder = poisonous();
    const [ip, otherIp] = ['198.51.100.90', '198.51.100.91'];
    const heard = await listen(pipeline, ip);
    const alone = await pipeline.enqueue('poison, alone', ip);
    const batch = await pipeline.enqueueBatch([
      { ip, message: 'poison, in a batch' },
      { ip: otherIp, message: 'fine, in a batch' },
      { ip: otherIp, message: 'flaky, in a batch' },
    ]);
    const [poisonInBatch, fine, flaky] = batch.messages;

    const starts = MAX_STALLED_COUNT + 1;
    for (let start = 1; start <= starts; start++) {
      const worker: MessageWorker = createWorker({ config: pipeline.config, connection: pipeline.connection, logger: silentLogger, responder });
      await waitFor(`start ${start} of both poison messages`, () => responder.calls.get('poison, alone') === start && responder.calls.get('poison, in a batch') === start);
      if (start === 1) await waitFor('the flaky message in a job of its own', async () => (await pipeline.queue.getJobState(flaky!.id)) !== 'unknown');
      await worker.close();
    }

    // The next worker to take the jobs finds BullMQ's verdict: it fails them without a call.
    pipeline.startWorker({ responder });
    expect(await pipeline.finished(alone)).toBe('failed');
    expect(await pipeline.finished(batch)).toBe('failed');
    for (const job of [alone, batch]) expect((await pipeline.queue.getJob(job.id))?.failedReason).toBe('job stalled more than allowable limit');
    // The batch's poison message went on alone, carrying its failure, and failed there: a
    // failed job of its own on the dashboard, to retry.
    expect(await pipeline.finished(poisonInBatch!)).toBe('failed');
    expect((await pipeline.queue.getJob(poisonInBatch!.id))?.failedReason).toBe(FailureReason.abandoned);
    expect(responder.calls.get('poison, alone')).toBe(starts);
    expect(responder.calls.get('poison, in a batch')).toBe(starts);

    // Both poison messages: failed, once, in their IP's history, and published.
    const error = FailureReason.abandoned;
    expect(await pipeline.entriesOf(alone)).toEqual([expect.objectContaining({ status: 'failed', error, message: 'poison, alone' })]);
    expect(await pipeline.entriesOf(poisonInBatch!)).toEqual([expect.objectContaining({ status: 'failed', error })]);
    await waitFor('both failures published', () => heard.length === 2);
    expect(heard.map((entry) => [entry.id, entry.status]).sort()).toEqual([[alone.id, 'failed'], [poisonInBatch!.id, 'failed']].sort());
    // The batch's other messages ended as they were: answered in the batch, or in a job of their own.
    expect(await pipeline.finished(flaky!)).toBe('completed');
    expect(await pipeline.entriesOf(fine!)).toEqual([expect.objectContaining({ status: 'completed' })]);
    expect(await pipeline.entriesOf(flaky!)).toEqual([expect.objectContaining({ status: 'completed', response: 'ok: flaky, in a batch' })]);
    expect((await pipeline.stats.read(10)).totalMessages).toBe(4);
    expect(await pipeline.metric('msgpipe_worker_jobs_total', { outcome: 'failed' })).toBe(2);
  });
});
