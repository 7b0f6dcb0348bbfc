import {
  createLogger,
  createRedis,
  ExchangeRecorder,
  HistoryStore,
  KeySchema,
  loadConfig,
  MESSAGE_JOB_NAME,
  MESSAGE_JOB_OPTIONS,
  queueName,
  queuePrefix,
  StatsStore,
  type Config,
  type MessageJob,
  type RedisClient,
} from '@msgpipe/shared';
import { parsePrometheusText, samplesOf, testRedisUrl, uniquePrefix, waitFor } from '@msgpipe/testkit';
import { Queue, UnrecoverableError, type JobsOptions } from 'bullmq';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { serveMetrics } from './metrics-server.js';
import { WorkerMetrics } from './metrics.js';
import { createProcessor } from './process-message.js';
import type { Responder } from './responders/responder.js';
import { createWorker, type MessageWorker } from './worker.js';

const logger = createLogger({ name: 'worker-test', level: 'silent', pretty: false });
const FAST_RETRIES: JobsOptions = { attempts: 3, backoff: { type: 'fixed', delay: 10 } };

let config: Config;
let connection: RedisClient;
let queues: Queue<MessageJob>[];
let history: HistoryStore;
let stats: StatsStore;
let worker: MessageWorker | undefined;

function setUp(env: Record<string, string> = {}) {
  config = loadConfig({ REDIS_URL: testRedisUrl(), REDIS_PREFIX: uniquePrefix('worker'), LOG_LEVEL: 'silent', ...env });
  connection = createRedis(config.redis, 'worker', 'worker-test');
  queues = Array.from(
    { length: config.queuePartitions },
    (_, partition) =>
      new Queue<MessageJob>(queueName(partition), {
        connection,
        prefix: queuePrefix(config.redis.prefix, partition),
        defaultJobOptions: MESSAGE_JOB_OPTIONS,
      }),
  );
  const keys = new KeySchema(config.redis.prefix);
  history = new HistoryStore(connection, keys);
  stats = new StatsStore(connection, keys, config);
}

async function enqueue(message: string, ip = '1.2.3.4', options: JobsOptions = {}, partition = 0): Promise<MessageJob> {
  const job: MessageJob = { id: `job-${Math.random().toString(36).slice(2)}`, ip, message, sendTime: new Date().toISOString() };
  await queues[partition]!.add(MESSAGE_JOB_NAME, job, { jobId: job.id, ...options });
  return job;
}

const historyOf = (ip: string) => history.list(ip, 100);
const entriesWithId = async (ip: string, id: string) => (await historyOf(ip)).filter((entry) => entry.id === id);

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

beforeEach(() => setUp());
afterEach(async () => {
  await worker?.close();
  worker = undefined;
  await Promise.all(queues.map((queue) => queue.close()));
  connection.disconnect();
});

describe('MessageWorker', () => {
  it('answers a message and writes the exchange to the IP history', async () => {
    worker = createWorker({ config, connection, logger });
    const job = await enqueue('hello', '1.2.3.4');

    const [entry] = await waitFor('the history entry', async () => {
      const entries = await historyOf('1.2.3.4');
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
    await waitFor('the job to complete', async () => (await queues[0]!.getJobState(job.id)) === 'completed');
  });

  it('retries a transient responder failure and still writes exactly one entry', async () => {
    const responder = flaky(2);
    worker = createWorker({ config, connection, logger, responder });
    const job = await enqueue('try again', '1.2.3.5', FAST_RETRIES);

    await waitFor('the job to complete', async () => (await queues[0]!.getJobState(job.id)) === 'completed');
    expect(responder.calls).toBe(3);
    expect(await entriesWithId('1.2.3.5', job.id)).toEqual([expect.objectContaining({ status: 'completed', response: 'echo: try again' })]);
  });

  it('records a message that fails every attempt as failed, with its error, once', async () => {
    const responder = flaky(Infinity);
    worker = createWorker({ config, connection, logger, responder });
    const job = await enqueue('doomed', '1.2.3.6', FAST_RETRIES);

    await waitFor('the job to fail', async () => (await queues[0]!.getJobState(job.id)) === 'failed');
    expect(responder.calls).toBe(3);
    const entries = await entriesWithId('1.2.3.6', job.id);
    expect(entries).toEqual([expect.objectContaining({ status: 'failed', error: 'upstream hiccup', message: 'doomed' })]);
    expect(entries[0]!.response).toBeUndefined();
  });

  it('fails at once, without retries, on an unrecoverable error', async () => {
    const responder = flaky(Infinity, () => new UnrecoverableError('rejected by upstream'));
    worker = createWorker({ config, connection, logger, responder });
    const job = await enqueue('bad request', '1.2.3.7', FAST_RETRIES);

    await waitFor('the job to fail', async () => (await queues[0]!.getJobState(job.id)) === 'failed');
    expect(responder.calls).toBe(1);
    expect(await entriesWithId('1.2.3.7', job.id)).toEqual([expect.objectContaining({ status: 'failed', error: 'rejected by upstream' })]);
  });

  it('writes once when the same job is delivered twice (a crash after the write)', async () => {
    const job = await enqueue('delivered twice', '1.2.3.8');
    const bullJob = (await queues[0]!.getJob(job.id))!;
    const recorder = new ExchangeRecorder(connection, new KeySchema(config.redis.prefix), config);
    const process = createProcessor({ responder: flaky(0), recorder, history, logger, metrics: new WorkerMetrics(), maxAttempts: 5 });

    await process(bullJob);
    await process(bullJob);
    expect(await entriesWithId('1.2.3.8', job.id)).toHaveLength(1);
    expect((await stats.read(10)).topSenders).toEqual([{ ip: '1.2.3.8', count: 1 }]);
  });

  it('counts every message once in the stats, retried and failed ones included', async () => {
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
    worker = createWorker({ config, connection, logger, responder });
    const jobs = [
      ...(await Promise.all(Array.from({ length: 6 }, (_, n) => enqueue(`fine ${n}`, '10.1.0.1', FAST_RETRIES)))),
      ...(await Promise.all(Array.from({ length: 3 }, (_, n) => enqueue(`flaky ${n}`, '10.1.0.2', FAST_RETRIES)))),
      await enqueue('doomed', '10.1.0.3', FAST_RETRIES),
    ];
    await waitFor('every job to finish', async () => {
      const states = await Promise.all(jobs.map((job) => queues[0]!.getJobState(job.id)));
      return states.every((state) => state === 'completed' || state === 'failed');
    });

    const snapshot = await stats.read(10);
    expect(snapshot.totalMessages).toBe(10);
    expect(snapshot.messagesToday).toBe(10);
    expect(snapshot.uniqueIpsToday).toBe(3);
    expect(snapshot.onlineNow).toBe(3);
    expect(snapshot.topSenders).toEqual([
      { ip: '10.1.0.1', count: 6 },
      { ip: '10.1.0.2', count: 3 },
      { ip: '10.1.0.3', count: 1 },
    ]);

    const samples = parsePrometheusText(await worker.metrics.registry.metrics());
    const jobsWith = (outcome: string) => samplesOf(samples, 'msgpipe_worker_jobs_total', { outcome })[0]?.value;
    expect(jobsWith('completed')).toBe(9);
    expect(jobsWith('retrying')).toBe(3 + 2);
    expect(jobsWith('failed')).toBe(1);
    expect(samplesOf(samples, 'msgpipe_message_end_to_end_seconds_count')[0]?.value).toBe(10);
    expect(samplesOf(samples, 'msgpipe_worker_job_processing_seconds_count', { outcome: 'completed' })[0]?.value).toBe(9);
  });

  it('serves its Prometheus metrics over HTTP, process metrics included', async () => {
    worker = createWorker({ config, connection, logger });
    const job = await enqueue('measured', '10.1.0.4');
    await waitFor('the entry', async () => (await entriesWithId('10.1.0.4', job.id)).length === 1);
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
    worker = createWorker({ config, connection, logger });
    const job = await enqueue('charted', '10.1.0.5');
    await waitFor('the job to complete', async () => (await queues[0]!.getJobState(job.id)) === 'completed');
    const metrics = await waitFor('a completed data point', async () => {
      const found = await queues[0]!.getMetrics('completed');
      return found.meta.count >= 1 && found;
    });
    expect(metrics.meta.count).toBe(1);
  });

  it('lets jobs in flight finish on close, and takes no new ones', async () => {
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
    worker = createWorker({ config: { ...config, workerConcurrency: 1 }, connection, logger, responder });
    const inFlight = await enqueue('in flight', '1.2.3.9');
    await waitFor('the job to start', () => started === 1);
    const queued = await enqueue('queued behind', '1.2.3.9');

    let closed = false;
    const closing = worker.close().then(() => (closed = true));
    await waitFor('the job to still be active while closing', async () => (await queues[0]!.getJobState(inFlight.id)) === 'active');
    expect(closed).toBe(false);
    release();
    await closing;
    worker = undefined;

    expect(await entriesWithId('1.2.3.9', inFlight.id)).toHaveLength(1);
    expect(await queues[0]!.getJobState(queued.id)).toBe('waiting');
    expect(started).toBe(1);
  });

  it('gives up waiting after SHUTDOWN_TIMEOUT_MS and leaves the job for stalled-job recovery', async () => {
    const responder: Responder = { respond: () => new Promise<string>(() => {}) };
    worker = createWorker({ config: { ...config, shutdownTimeoutMs: 200 }, connection, logger, responder });
    const stuck = await enqueue('never answered', '1.2.3.10');
    await waitFor('the job to start', async () => (await queues[0]!.getJobState(stuck.id)) === 'active');

    await worker.close();
    worker = undefined;
    expect(await queues[0]!.getJobState(stuck.id)).toBe('active');
    expect(await historyOf('1.2.3.10')).toEqual([]);
  });
});

describe('queue partitions', () => {
  beforeEach(async () => {
    await Promise.all(queues.map((queue) => queue.close()));
    connection.disconnect();
    setUp({ QUEUE_PARTITIONS: '3' });
  });

  it('consumes every partition by default', async () => {
    worker = createWorker({ config, connection, logger });
    expect(worker.workers.map((w) => w.name)).toEqual(['messages', 'messages-1', 'messages-2']);
    const jobs = await Promise.all([0, 1, 2].map((partition) => enqueue(`to ${partition}`, `10.0.0.${partition}`, {}, partition)));

    for (const [partition, job] of jobs.entries()) {
      await waitFor(`partition ${partition}'s message`, async () => (await entriesWithId(`10.0.0.${partition}`, job.id)).length === 1);
    }
  });

  it('consumes only WORKER partitions it is given', async () => {
    worker = createWorker({ config, connection, logger, partitions: [1] });
    const skipped = await enqueue('partition 0', '10.0.1.0', {}, 0);
    const taken = await enqueue('partition 1', '10.0.1.1', {}, 1);
    await waitFor('partition 1 message', async () => (await entriesWithId('10.0.1.1', taken.id)).length === 1);
    expect(await queues[0]!.getJobState(skipped.id)).toBe('waiting');
  });
});
