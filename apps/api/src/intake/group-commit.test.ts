import { isBatchJob, type MessageJob } from '@msgpipe/shared';
import { ADMIN_TOKEN, asAdmin, parsePrometheusText, postMessage, RedisServer, request, samplesOf, Timeouts, waitFor, type TestResponse } from '@msgpipe/testkit';
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startApi, type RunningApi } from '../test/api.fixture.js';
import { startEchoWorker } from '../test/echo-worker.fixture.js';

// Group commit through the real API on a Redis of this file's own (some tests pause its writes):
// many requests at once, then what the queue holds.
let redis: RedisServer;
/** A connection of the test's own: the API's is blocked while its writes are paused. */
let control: Redis;
beforeAll(async () => {
  redis = await RedisServer.start();
  control = new Redis(redis.url);
});
afterAll(async () => {
  control?.disconnect();
  await redis?.stop();
});

const started: Array<{ close(): Promise<void> }> = [];
afterEach(async () => {
  for (const running of started.splice(0).reverse()) await running.close();
});

async function api(env: Record<string, string> = {}): Promise<RunningApi> {
  const running = await startApi({ ENQUEUE_BATCH_MAX: '50', RATE_LIMIT_PER_MINUTE: '0', ...env }, redis.url);
  started.push(running);
  return running;
}

/** Every waiting job of partition 0, as the messages each holds. */
async function jobsWaiting(target: RunningApi): Promise<MessageJob[][]> {
  const jobs = await target.queues.queues[0]!.getJobs(['waiting']);
  return jobs.map((job) => (isBatchJob(job.data) ? job.data.messages : [job.data]));
}

/**
 * Holds the API's enqueues back while `send` runs: Redis pauses writes until every one of
 * `count` messages is on its way (in flight, or holding a place in a batch), however slowly
 * the requests arrive on a busy machine.
 */
async function whilePaused<T>(target: RunningApi, count: number, send: () => Promise<T>): Promise<T> {
  await control.call('CLIENT', 'PAUSE', String(Timeouts.condition), 'WRITE');
  try {
    const sent = send();
    await waitFor(`${count} messages on their way`, () => target.queues.enqueuesInFlight + target.queues.messagesWaitingForBatch >= count);
    await control.call('CLIENT', 'UNPAUSE');
    return await sent;
  } finally {
    await control.call('CLIENT', 'UNPAUSE');
  }
}

/** `count` POSTs at once, from `ips` in turn, `text(n)` each, while Redis holds their enqueues back. */
async function burst(
  target: RunningApi,
  count: number,
  ips: readonly string[],
  { headers = {}, text = (n: number) => `burst ${n}` }: { headers?: Record<string, string>; text?: (n: number) => string } = {},
): Promise<TestResponse[]> {
  return whilePaused(target, count, () =>
    Promise.all(Array.from({ length: count }, (_, n) => postMessage(target.baseUrl, text(n), { localAddress: ips[n % ips.length], headers }))),
  );
}

const IPS = ['127.0.60.1', '127.0.60.2', '127.0.60.3', '127.0.60.4'];

describe('group commit (ENQUEUE_BATCH_MAX=50)', () => {
  it('sends a lone message at once, as a job of its own', async () => {
    const target = await api();
    const response = await postMessage(target.baseUrl, 'alone', { localAddress: IPS[0] });
    expect(response.status).toBe(202);
    const job = await target.queues.queues[0]!.getJob(response.json().id);
    expect(job?.data).toMatchObject({ id: response.json().id, message: 'alone', ip: IPS[0] });
  });

  it('puts messages that arrive while an enqueue is under way into shared jobs, each message once', async () => {
    const target = await api({ ADMIN_TOKEN });
    const responses = await burst(target, 200, IPS);
    expect(responses.map((response) => response.status)).toEqual(responses.map(() => 202));
    const jobs = await jobsWaiting(target);
    const queued = jobs.flat();
    expect(queued.map((message) => message.id).sort()).toEqual(responses.map((response) => response.json().id).sort());
    expect(jobs.length).toBeLessThan(200);
    expect(Math.max(...jobs.map((messages) => messages.length))).toBeLessThanOrEqual(50);
    expect(jobs.some((messages) => messages.length > 1)).toBe(true);
    // The metrics count messages per job, and nothing is left in flight.
    const metrics = parsePrometheusText((await request(target.baseUrl, '/metrics', { headers: asAdmin })).text);
    expect(samplesOf(metrics, 'msgpipe_enqueue_messages_per_job_sum')[0]?.value).toBe(200);
    expect(samplesOf(metrics, 'msgpipe_enqueue_messages_per_job_count')[0]?.value).toBe(jobs.length);
    expect(samplesOf(metrics, 'msgpipe_enqueues_in_flight')[0]?.value).toBe(0);
  });

  it('shows each message of a queued and of an active batch to its sender and an admin, and to nobody else', async () => {
    const target = await api({ ADMIN_TOKEN });
    const responses = await burst(target, 60, IPS);
    const ids = responses.map((response) => response.json().id as string);
    const batched = (await jobsWaiting(target)).find((messages) => messages.length > 1)![0]!;
    const get = (id: string, ip: string) => request(target.baseUrl, `/v1/messages/${id}`, { localAddress: ip });

    expect((await get(batched.id, batched.ip)).json()).toMatchObject({ id: batched.id, status: 'queued', message: batched.message });
    const other = IPS.find((ip) => ip !== batched.ip)!;
    expect((await get(batched.id, other)).status).toBe(404);
    expect((await request(target.baseUrl, `/v1/messages/${batched.id}`, { headers: asAdmin })).json()).toMatchObject({ id: batched.id, ip: batched.ip, status: 'queued' });

    let release!: () => void;
    const hold = new Promise<void>((resolve) => (release = resolve));
    started.push(await startEchoWorker(target, { hold }));
    started.push({ close: async () => release() }); // before the worker closes: it waits for its jobs
    const active = await waitFor('a batch active', async () => {
      const jobs = await target.queues.queues[0]!.getJobs(['active']);
      return jobs.map((job) => job.data).find(isBatchJob);
    });
    const member = active.messages[0]!;
    expect((await get(member.id, member.ip)).json()).toMatchObject({ id: member.id, status: 'processing' });
    release();
    const done = await waitFor('every message answered', async () => {
      const views = await Promise.all(responses.map((response, n) => get(ids[n]!, IPS[n % IPS.length]!)));
      return views.every((view) => view.json().status === 'completed') && views;
    });
    expect(done[0]!.json()).toMatchObject({ status: 'completed', response: 'echo: burst 0' });
    for (const ip of IPS) expect(new Set((await target.history.list(ip, 100)).map((entry) => entry.id)).size).toBe(15);
  });

  it('keeps the rate limit exact: 31 messages of one IP at once with a limit of 30 refuse exactly one', async () => {
    const target = await api({ RATE_LIMIT_PER_MINUTE: '30' });
    const responses = await burst(target, 31, ['127.0.61.1']);
    expect(responses.filter((response) => response.status === 202)).toHaveLength(30);
    expect(responses.filter((response) => response.status === 429)).toHaveLength(1);
    expect((await jobsWaiting(target)).flat()).toHaveLength(30);
  });

  it('makes requests with one Idempotency-Key, at once or later, one message', async () => {
    const target = await api();
    const first = await burst(target, 20, ['127.0.62.1'], { headers: { 'idempotency-key': 'same' } });
    const later = await postMessage(target.baseUrl, 'again', { localAddress: '127.0.62.1', headers: { 'idempotency-key': 'same' } });
    const ids = new Set([...first, later].map((response) => response.json().id));
    expect(ids.size).toBe(1);
    const queued = (await jobsWaiting(target)).flat().filter((message) => message.ip === '127.0.62.1');
    expect(queued.map((message) => message.id)).toEqual([...ids]);
  });

  it('makes requests with one Idempotency-Key inside one batch one message, in one job', async () => {
    const target = await api();
    const ip = '127.0.62.2';
    const sent = await whilePaused(target, 31, () =>
      Promise.all([
        postMessage(target.baseUrl, 'opener', { localAddress: '127.0.62.3' }),
        ...Array.from({ length: 30 }, (_, n) =>
          n % 3 === 2
            ? postMessage(target.baseUrl, `plain ${n}`, { localAddress: '127.0.62.4' })
            : postMessage(target.baseUrl, 'keyed', { localAddress: ip, headers: { 'idempotency-key': 'batched' } }),
        ),
      ]),
    );
    expect(sent.map((response) => response.status)).toEqual(sent.map(() => 202));
    const keyed = sent.slice(1).filter((_, n) => n % 3 !== 2);
    expect((await jobsWaiting(target)).some((messages) => messages.length > 1)).toBe(true);
    expect(keyed.map((response) => response.status)).toEqual(keyed.map(() => 202));
    const ids = new Set(keyed.map((response) => response.json().id));
    expect(ids.size).toBe(1);
    const queued = (await jobsWaiting(target)).flat().filter((message) => ids.has(message.id));
    expect(queued).toHaveLength(1);
  });

  it('lets a repeat that waits for its answer not hold back the batch it arrived with', async () => {
    const target = await api();
    const ip = '127.0.63.1';
    const headers = { 'content-type': 'application/json', 'idempotency-key': 'waited' };
    const send = (path: string) => request(target.baseUrl, path, { method: 'POST', localAddress: ip, headers, body: JSON.stringify({ message: 'unanswered' }) });
    const original = await send('/v1/messages');
    expect(original.status).toBe(202);
    // No worker runs yet: the repeat cannot be answered before the others are queued.
    let repeatSettled = false;
    let repeat!: Promise<TestResponse>;
    const others = await whilePaused(target, 12, () => {
      const opener = postMessage(target.baseUrl, 'opener', { localAddress: '127.0.63.2' });
      repeat = send('/v1/messages?wait=30000').finally(() => (repeatSettled = true));
      const batched = Array.from({ length: 10 }, (_, n) => postMessage(target.baseUrl, `with the repeat ${n}`, { localAddress: '127.0.63.3' }));
      return Promise.all([opener, ...batched]);
    });
    expect(others.map((response) => response.status)).toEqual(others.map(() => 202));
    expect(repeatSettled).toBe(false);
    started.push(await startEchoWorker(target));
    expect((await repeat).json()).toMatchObject({ id: original.json().id, status: 'completed' });
  });

  it('keeps each job within ENQUEUE_BATCH_MAX_BYTES of text', async () => {
    const target = await api({ ENQUEUE_BATCH_MAX_BYTES: '1024' });
    await burst(target, 40, IPS, { text: (n) => `${'x'.repeat(300)}${n}` });
    const jobs = await jobsWaiting(target);
    expect(jobs.flat()).toHaveLength(40);
    expect(Math.max(...jobs.map((messages) => messages.length))).toBe(3);
  });

  it('with ENQUEUE_BATCH_MAX=1 sends every message as a job of its own', async () => {
    const target = await api({ ENQUEUE_BATCH_MAX: '1' });
    await burst(target, 100, IPS);
    const jobs = await jobsWaiting(target);
    expect(jobs).toHaveLength(100);
    expect(jobs.every((messages) => messages.length === 1)).toBe(true);
  });
});
