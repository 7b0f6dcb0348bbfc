import { BATCH_FORMAT, ExchangeRecorder, MESSAGE_JOB_NAME, type BatchJob, type MessageJobData } from '@msgpipe/shared';
import { waitFor } from '@msgpipe/testkit';
import type { Job, Queue } from 'bullmq';
import pLimit from 'p-limit';
import { describe, expect, it } from 'vitest';
import { createMessageAttempt } from './message-attempt.js';
import { WorkerMetrics } from './metrics.js';
import { pipelinePerTest, silentLogger } from './pipeline.fixture.js';
import { createBatchProcessor } from './process-batch.js';
import { PermanentResponderError } from './responders/errors.js';
import { FailureReason } from './responders/failure-reasons.js';
import type { Responder } from './responders/responder.js';

const newPipeline = pipelinePerTest();

/** Answers `ok: <message>`, counting calls per message; `fails(message, call)` may throw instead. */
function scripted(fails: (message: string, call: number) => Error | undefined = () => undefined): Responder & { calls: Map<string, number> } {
  return {
    calls: new Map(),
    async respond(message) {
      const call = (this.calls.get(message) ?? 0) + 1;
      this.calls.set(message, call);
      const error = fails(message, call);
      if (error) throw error;
      return `ok: ${message}`;
    },
  };
}

describe('a batch job (format 2)', () => {
  it('answers every message of many IPs once, counts each, and completes the one job', async () => {
    const pipeline = newPipeline();
    const responder = scripted();
    pipeline.startWorker({ responder });
    const ips = Array.from({ length: 10 }, (_, index) => `10.9.0.${index + 1}`);
    const batch = await pipeline.enqueueBatch(ips.flatMap((ip) => [{ ip, message: `first from ${ip}` }, { ip, message: `second from ${ip}` }]));

    expect(await pipeline.finished(batch)).toBe('completed');
    for (const ip of ips) {
      const history = await pipeline.historyOf(ip);
      expect(history.map((entry) => entry.response)).toEqual([`ok: second from ${ip}`, `ok: first from ${ip}`]);
    }
    expect([...responder.calls.values()].every((calls) => calls === 1)).toBe(true);
    const stats = await pipeline.stats.read(100);
    expect(stats.totalMessages).toBe(20);
    expect(stats.topSenders).toHaveLength(10);
    expect(await pipeline.metric('msgpipe_worker_jobs_total', { outcome: 'completed' })).toBe(20);
  });

  it('fails one message for good and retries another alone, while the others complete', async () => {
    const pipeline = newPipeline();
    const responder = scripted((message, call) => {
      if (message === 'doomed') return new PermanentResponderError('upstream said 400', { reason: FailureReason.refused });
      if (message === 'flaky' && call === 1) return new Error('upstream hiccup');
      return undefined;
    });
    pipeline.startWorker({ responder });
    const batch = await pipeline.enqueueBatch([
      { ip: '10.9.1.1', message: 'fine' },
      { ip: '10.9.1.2', message: 'doomed' },
      { ip: '10.9.1.3', message: 'flaky' },
      { ip: '10.9.1.1', message: 'also fine' },
    ]);
    const [fine, doomed, flaky, alsoFine] = batch.messages;

    expect(await pipeline.finished(batch)).toBe('completed');
    expect(await pipeline.entriesOf(fine!)).toEqual([expect.objectContaining({ status: 'completed', response: 'ok: fine' })]);
    expect(await pipeline.entriesOf(alsoFine!)).toEqual([expect.objectContaining({ status: 'completed' })]);
    // The doomed one fails in a job of its own, without asking the responder again.
    expect(await pipeline.finished(doomed!)).toBe('failed');
    // It carries the reason its sender is told; the detail stayed in the batch's log line.
    expect((await pipeline.queue.getJob(doomed!.id))?.failedReason).toBe('the responder refused the message');
    expect(await pipeline.entriesOf(doomed!)).toEqual([expect.objectContaining({ status: 'failed', error: 'the responder refused the message' })]);
    // The flaky one goes on as a job of its own, its id as job id, its first attempt behind it.
    const alone = await waitFor('the flaky message in a job of its own', () => pipeline.queue.getJob(flaky!.id));
    expect(alone.data).toMatchObject({ ...flaky, attemptsBefore: 1 });
    expect(await pipeline.finished(flaky!)).toBe('completed');
    expect(await pipeline.entriesOf(flaky!)).toEqual([expect.objectContaining({ status: 'completed', response: 'ok: flaky' })]);
    expect(Object.fromEntries(responder.calls)).toEqual({ fine: 1, 'also fine': 1, doomed: 1, flaky: 2 });
    expect(await pipeline.metric('msgpipe_worker_jobs_total', { outcome: 'failed' })).toBe(1);
    expect((await pipeline.stats.read(10)).totalMessages).toBe(4);
  });

  it("counts a message's attempts in its batch: alone, it fails for good at RESPONDER_ATTEMPTS, where the dashboard shows it", async () => {
    const pipeline = newPipeline({ RESPONDER_ATTEMPTS: '2' });
    const responder = scripted((message) => (message === 'never' ? new Error('upstream down') : undefined));
    pipeline.startWorker({ responder });
    const batch = await pipeline.enqueueBatch([
      { ip: '10.9.4.1', message: 'never' },
      { ip: '10.9.4.1', message: 'fine' },
    ]);
    const [never] = batch.messages;

    expect(await pipeline.finished(batch)).toBe('completed');
    expect(await pipeline.finished(never!)).toBe('failed');
    expect(responder.calls.get('never')).toBe(2);
    expect(await pipeline.entriesOf(never!)).toEqual([expect.objectContaining({ status: 'failed', error: 'the responder failed' })]);
  });

  it('run again after a crash, answers only the messages it had not recorded', async () => {
    const pipeline = newPipeline();
    const batch = await pipeline.enqueueBatch(Array.from({ length: 6 }, (_, index) => ({ ip: `10.9.2.${index + 1}`, message: `m${index}` })));
    const job = (await (pipeline.queue as Queue<MessageJobData>).getJob(batch.id)) as Job<BatchJob>;
    const recorder = new ExchangeRecorder(pipeline.connection, pipeline.keys, pipeline.config);
    // The first run recorded half the batch before its worker died.
    for (const message of batch.messages.slice(0, 3)) {
      await recorder.record(message.ip, { ...message, status: 'completed', response: 'from the first run', respondedAt: new Date().toISOString() });
    }
    const responder = scripted();
    const metrics = new WorkerMetrics();
    const processBatch = createBatchProcessor({
      attempt: createMessageAttempt({ responder, recorder, history: pipeline.history, logger: silentLogger, metrics }),
      records: recorder,
      metrics,
      logger: silentLogger,
      maxAttempts: 5,
      limit: pLimit(10),
      handOn: () => Promise.reject(new Error('nothing fails here')),
    });

    // BullMQ counts each start: this is the batch's second.
    job.attemptsStarted = 2;
    await processBatch(job);
    expect([...responder.calls.keys()].sort()).toEqual(['m3', 'm4', 'm5']);
    for (const message of batch.messages) expect(await pipeline.entriesOf(message)).toHaveLength(1);
    expect((await pipeline.stats.read(10)).totalMessages).toBe(6);
  });

  it("looks nothing up on a batch's first start: it runs every message, and the history still keeps each once", async () => {
    const pipeline = newPipeline();
    const batch = await pipeline.enqueueBatch([
      { ip: '10.9.5.1', message: 'also sent alone, and recorded' },
      { ip: '10.9.5.1', message: 'new' },
    ]);
    const [sentTwice] = batch.messages;
    const recorder = new ExchangeRecorder(pipeline.connection, pipeline.keys, pipeline.config);
    await recorder.record(sentTwice!.ip, { ...sentTwice!, status: 'completed', response: 'the first answer', respondedAt: new Date().toISOString() });
    const responder = scripted();
    pipeline.startWorker({ responder });

    expect(await pipeline.finished(batch)).toBe('completed');
    expect((await (pipeline.queue as Queue<MessageJobData>).getJob(batch.id))?.attemptsStarted).toBe(1);
    expect(responder.calls.size).toBe(2);
    expect(await pipeline.entriesOf(sentTwice!)).toEqual([expect.objectContaining({ response: 'the first answer' })]);
  });

  it('keeps WORKER_CONCURRENCY messages in flight, not jobs, alone or in batches', async () => {
    const pipeline = newPipeline({ WORKER_CONCURRENCY: '3' });
    let inFlight = 0;
    let most = 0;
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    pipeline.startWorker({
      responder: {
        async respond(message) {
          most = Math.max(most, ++inFlight);
          await gate;
          inFlight--;
          return `ok: ${message}`;
        },
      },
    });
    // Two jobs of one message first, so the worker's three jobs hold both kinds.
    const alone = [await pipeline.enqueue('alone 1', '10.9.3.1'), await pipeline.enqueue('alone 2', '10.9.3.1')];
    const batches = await Promise.all([0, 1].map((n) => pipeline.enqueueBatch(Array.from({ length: 6 }, (_, index) => ({ ip: '10.9.3.1', message: `b${n} m${index}` })))));
    await waitFor('three jobs active, three messages in flight', async () => (await pipeline.queue.getActiveCount()) === 3 && inFlight >= 3);
    expect(most).toBe(3);
    release();
    for (const job of [...alone, ...batches]) expect(await pipeline.finished(job)).toBe('completed');
    expect(most).toBe(3);
    expect(await pipeline.historyOf('10.9.3.1')).toHaveLength(14);
  });

  it('fails a malformed batch with a clear reason and writes nothing', async () => {
    const pipeline = newPipeline();
    pipeline.startWorker();
    const queue = pipeline.queue as Queue<MessageJobData>;
    const bad = { v: BATCH_FORMAT, messages: [{ id: 'fake-1', ip: 'not an address', message: 'hi', sendTime: new Date().toISOString() }] };
    await queue.add(MESSAGE_JOB_NAME, bad as unknown as BatchJob, { jobId: 'bad-batch' });

    expect(await pipeline.finished({ id: 'bad-batch' })).toBe('failed');
    expect((await queue.getJob('bad-batch'))?.failedReason).toMatch(/^invalid job data: messages\.0\.ip/);
    expect(await pipeline.historyOf('not an address')).toEqual([]);
  });
});
