import { ExchangeRecorder } from '@msgpipe/shared';
import { parsePrometheusText, samplesOf, waitFor } from '@msgpipe/testkit';
import { UnrecoverableError, type JobsOptions } from 'bullmq';
import { describe, expect, it } from 'vitest';
import { createMessageAttempt } from './message-attempt.js';
import { serveMetrics } from './metrics-server.js';
import { WorkerMetrics } from './metrics.js';
import { pipelinePerTest, silentLogger } from './pipeline.fixture.js';
import { createProcessor } from './process-message.js';
import type { Responder } from './responders/responder.js';

const FAST_RETRIES: JobsOptions = { attempts: 3, backoff: { type: 'fixed', delay: 10 } };

const newPipeline = pipelinePerTest();

/** A responder that fails its first `failures` calls, then answers. */
function flaky(failures: number, error: () => Error = () => new Error('upstream hiccup')): Responder & { calls: number } {
  return {
    calls: 0,
    async respond(message) {
      this.calls++;
      if (this.calls <= failures) throw error();
      return `echo: ${message}`;
    },
  };
}

describe('MessageWorker', () => {
  it('answers a message and writes the exchange to the IP history', async () => {
    const pipeline = newPipeline();
    pipeline.startWorker();
    const job = await pipeline.enqueue('hello', '1.2.3.4');

    const [entry] = await waitFor('the history entry', async () => {
      const entries = await pipeline.historyOf('1.2.3.4');
      return entries.length > 0 && entries;
    });
    expect(entry).toEqual({
      id: job.id,
      message: 'hello',
      sendTime: job.sendTime,
      status: 'completed',
      response: 'Hello, user from 1.2.3.4!',
      respondedAt: expect.stringMatching(/Z$/),
    });
    expect(Date.parse(entry!.respondedAt)).toBeGreaterThanOrEqual(Date.parse(job.sendTime));
    expect(await pipeline.finished(job)).toBe('completed');
  });

  it('retries a transient responder failure and still writes exactly one entry', async () => {
    const pipeline = newPipeline();
    const responder = flaky(2);
    pipeline.startWorker({ responder });
    const job = await pipeline.enqueue('try again', '1.2.3.5', FAST_RETRIES);

    expect(await pipeline.finished(job)).toBe('completed');
    expect(responder.calls).toBe(3);
    expect(await pipeline.entriesOf(job)).toEqual([expect.objectContaining({ status: 'completed', response: 'echo: try again' })]);
  });

  it('records a message that fails every attempt as failed, with its error, once', async () => {
    const pipeline = newPipeline();
    const responder = flaky(Infinity);
    pipeline.startWorker({ responder });
    const job = await pipeline.enqueue('doomed', '1.2.3.6', FAST_RETRIES);

    expect(await pipeline.finished(job)).toBe('failed');
    expect(responder.calls).toBe(3);
    const entries = await pipeline.entriesOf(job);
    // An error that is no responder error of ours may say anything: its sender gets the generic reason.
    expect(entries).toEqual([expect.objectContaining({ status: 'failed', error: 'the responder failed', message: 'doomed' })]);
    expect(entries[0]!.response).toBeUndefined();
  });

  it('fails at once, without retries, on an unrecoverable error', async () => {
    const pipeline = newPipeline();
    const responder = flaky(Infinity, () => new UnrecoverableError('rejected by upstream'));
    pipeline.startWorker({ responder });
    const job = await pipeline.enqueue('bad request', '1.2.3.7', FAST_RETRIES);

    expect(await pipeline.finished(job)).toBe('failed');
    expect(responder.calls).toBe(1);
    expect(await pipeline.entriesOf(job)).toEqual([expect.objectContaining({ status: 'failed', error: 'the responder failed' })]);
    expect((await pipeline.queue.getJob(job.id))!.failedReason).toBe('rejected by upstream');
  });

  it('writes once when the same job is delivered twice (a crash after the write)', async () => {
    const pipeline = newPipeline();
    const job = await pipeline.enqueue('delivered twice', '1.2.3.8');
    const bullJob = (await pipeline.queue.getJob(job.id))!;
    const recorder = new ExchangeRecorder(pipeline.connection, pipeline.keys, pipeline.config);
    const metrics = new WorkerMetrics();
    const attempt = createMessageAttempt({ responder: flaky(0), recorder, history: pipeline.history, logger: silentLogger, metrics });
    const process = createProcessor({ attempt, history: pipeline.history, metrics, maxAttempts: 5, processBatch: () => Promise.reject(new Error('not a batch')) });

    await process(bullJob);
    await process(bullJob);
    expect(await pipeline.entriesOf(job)).toHaveLength(1);
    expect((await pipeline.stats.read(10)).topSenders).toEqual([{ ip: '1.2.3.8', count: 1 }]);
  });

  it('counts every message once in the stats, retried and failed ones included', async () => {
    const pipeline = newPipeline();
    const responder: Responder & { calls: Map<string, number> } = {
      calls: new Map(),
      async respond(message) {
        const calls = (this.calls.get(message) ?? 0) + 1;
        this.calls.set(message, calls);
        if (message.startsWith('flaky') && calls === 1) throw new Error('first attempt fails');
        if (message.startsWith('doomed')) throw new Error('never works');
        return `ok: ${message}`;
      },
    };
    pipeline.startWorker({ responder });
    const jobs = [
      ...(await Promise.all(Array.from({ length: 6 }, (_, n) => pipeline.enqueue(`fine ${n}`, '10.1.0.1', FAST_RETRIES)))),
      ...(await Promise.all(Array.from({ length: 3 }, (_, n) => pipeline.enqueue(`flaky ${n}`, '10.1.0.2', FAST_RETRIES)))),
      await pipeline.enqueue('doomed', '10.1.0.3', FAST_RETRIES),
    ];
    await Promise.all(jobs.map((job) => pipeline.finished(job)));

    const snapshot = await pipeline.stats.read(10);
    expect(snapshot.totalMessages).toBe(10);
    expect(snapshot.messagesToday).toBe(10);
    expect(snapshot.uniqueIpsToday).toBe(3);
    expect(snapshot.onlineNow).toBe(3);
    expect(snapshot.topSenders).toEqual([
      { ip: '10.1.0.1', count: 6 },
      { ip: '10.1.0.2', count: 3 },
      { ip: '10.1.0.3', count: 1 },
    ]);

    expect(await pipeline.metric('msgpipe_worker_jobs_total', { outcome: 'completed' })).toBe(9);
    expect(await pipeline.metric('msgpipe_worker_jobs_total', { outcome: 'retrying' })).toBe(3 + 2);
    expect(await pipeline.metric('msgpipe_worker_jobs_total', { outcome: 'failed' })).toBe(1);
    expect(await pipeline.metric('msgpipe_message_end_to_end_seconds_count')).toBe(10);
    expect(await pipeline.metric('msgpipe_worker_job_processing_seconds_count', { outcome: 'completed' })).toBe(9);
  });

  it('serves its Prometheus metrics over HTTP, process metrics included', async () => {
    const pipeline = newPipeline();
    const worker = pipeline.startWorker();
    const job = await pipeline.enqueue('measured', '10.1.0.4');
    await waitFor('the entry', async () => (await pipeline.entriesOf(job)).length === 1);
    const server = await serveMetrics(worker.metrics.registry, 0, '127.0.0.1');
    try {
      const response = await fetch(`http://127.0.0.1:${server.port}/metrics`);
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
      const samples = parsePrometheusText(await response.text());
      expect(samplesOf(samples, 'msgpipe_worker_jobs_total', { outcome: 'completed' })[0]?.value).toBe(1);
      expect(samplesOf(samples, 'process_cpu_seconds_total')).toHaveLength(1);
      expect(samplesOf(samples, 'nodejs_eventloop_lag_seconds')).toHaveLength(1);
      expect((await fetch(`http://127.0.0.1:${server.port}/other`)).status).toBe(404);
    } finally {
      await server.close();
    }
  });

  it('records BullMQ metrics, so the dashboard charts have data', async () => {
    const pipeline = newPipeline();
    pipeline.startWorker();
    const job = await pipeline.enqueue('charted', '10.1.0.5');
    expect(await pipeline.finished(job)).toBe('completed');
    const metrics = await waitFor('a completed data point', async () => {
      const found = await pipeline.queue.getMetrics('completed');
      return found.meta.count >= 1 && found;
    });
    expect(metrics.meta.count).toBe(1);
  });

  it('lets jobs in flight finish on close, and takes no new ones', async () => {
    const pipeline = newPipeline({ WORKER_CONCURRENCY: '1' });
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    let started = 0;
    const responder: Responder = {
      async respond(message) {
        started++;
        await gate;
        return `late: ${message}`;
      },
    };
    pipeline.startWorker({ responder });
    const inFlight = await pipeline.enqueue('in flight', '1.2.3.9');
    await waitFor('the job to start', () => started === 1);
    const queued = await pipeline.enqueue('queued behind', '1.2.3.9');

    let closed = false;
    const closing = pipeline.stopWorker().then(() => (closed = true));
    await waitFor('the job to still be active while closing', async () => (await pipeline.stateOf(inFlight)) === 'active');
    expect(closed).toBe(false);
    release();
    await closing;

    expect(await pipeline.entriesOf(inFlight)).toHaveLength(1);
    expect(await pipeline.stateOf(queued)).toBe('waiting');
    expect(started).toBe(1);
  });

  it('gives up waiting after SHUTDOWN_TIMEOUT_MS and leaves the job for stalled-job recovery', async () => {
    const pipeline = newPipeline({ SHUTDOWN_TIMEOUT_MS: '200' });
    pipeline.startWorker({ responder: { respond: () => new Promise<string>(() => {}) } });
    const stuck = await pipeline.enqueue('never answered', '1.2.3.10');
    await waitFor('the job to start', async () => (await pipeline.stateOf(stuck)) === 'active');

    await pipeline.stopWorker();
    expect(await pipeline.stateOf(stuck)).toBe('active');
    expect(await pipeline.historyOf('1.2.3.10')).toEqual([]);
  });
});

describe('queue partitions', () => {
  it('consumes every partition by default', async () => {
    const pipeline = newPipeline({ QUEUE_PARTITIONS: '3' });
    const worker = pipeline.startWorker();
    expect(worker.workers.map((w) => w.name)).toEqual(['messages', 'messages-1', 'messages-2']);
    const jobs = await Promise.all([0, 1, 2].map((partition) => pipeline.enqueue(`to ${partition}`, `10.0.0.${partition}`, {}, partition)));

    for (const [partition, job] of jobs.entries()) {
      await waitFor(`partition ${partition}'s message`, async () => (await pipeline.entriesOf(job)).length === 1);
      // The job was on that partition's queue (not only on partition 0's).
      expect(await pipeline.queues[partition]!.getJob(job.id)).toBeDefined();
    }
  });

  it('consumes only WORKER partitions it is given', async () => {
    const pipeline = newPipeline({ QUEUE_PARTITIONS: '3' });
    pipeline.startWorker({ partitions: [1] });
    const skipped = await pipeline.enqueue('partition 0', '10.0.1.0', {}, 0);
    const taken = await pipeline.enqueue('partition 1', '10.0.1.1', {}, 1);
    await waitFor('partition 1 message', async () => (await pipeline.entriesOf(taken)).length === 1);
    expect(await pipeline.queues[0]!.getJobState(skipped.id)).toBe('waiting');
  });
});
