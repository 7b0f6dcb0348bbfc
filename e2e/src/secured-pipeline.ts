import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  asAdmin,
  openEventStream,
  parsePrometheusText,
  postMessage,
  repoRoot,
  request,
  samplesOf,
  startPipeline,
  waitFor,
  type EnvOverrides,
  type NodeProcess,
  type Pipeline,
  type TestResponse,
} from '@msgpipe/testkit';
import { expect } from 'vitest';

/** Helpers for the Redis AUTH / ACL / TLS tests: the built API and one worker on a given REDIS_URL. */

/**
 * An ACL file (default: the shipped deploy/redis-acl.conf) with the msgpipe user's password
 * hash filled in, plus an admin user for the test's own checks (ACL LOG, CLIENT LIST, …).
 */
export function aclConfig(password: string, adminPassword: string, aclFile = join(repoRoot, 'deploy/redis-acl.conf')): string {
  const shipped = readFileSync(aclFile, 'utf8');
  const hash = createHash('sha256').update(password).digest('hex');
  const filled = shipped.replace('#REPLACE_WITH_THE_SHA256_OF_THE_PASSWORD', `#${hash}`);
  expect(filled).not.toBe(shipped);
  return `${filled}\nuser admin on >${adminPassword} ~* &* +@all\n`;
}

/** The pipeline of one worker, and everything the test saw of it, for the secret checks. */
export interface SecuredPipeline extends Pipeline {
  readonly worker: NodeProcess;
  readonly workerMetricsUrl: string;
  /** Every response body and metrics text the test saw. */
  readonly seen: string[];
  /** Everything the processes wrote, plus everything in `seen`. */
  everything(): string;
}

/**
 * Starts the built API and a worker (with its metrics port) on `redisUrl`, and waits until the
 * API listens: not until it is ready, which a refused Redis never lets it be. `extraEnv` adds
 * or removes (undefined) variables, e.g. NODE_EXTRA_CA_CERTS.
 */
export async function startSecuredPipeline(redisUrl: string, extraEnv: EnvOverrides = {}): Promise<SecuredPipeline> {
  const pipeline = await startPipeline({
    redis: redisUrl,
    workers: 1,
    workerMetrics: true,
    ready: false,
    env: {
      REDIS_PREFIX: 'msgpipe', // the product's default, and what the ACL's key and channel patterns allow
      // Only what a test sets: never a CA the test runner itself was given.
      NODE_EXTRA_CA_CERTS: undefined,
      ...extraEnv,
    },
  });
  const worker = pipeline.workers[0]!;
  const seen: string[] = [];
  return Object.assign(pipeline, {
    worker,
    workerMetricsUrl: pipeline.metricsUrlOf(worker),
    seen,
    everything: () => [pipeline.logs(), ...seen].join('\n'),
  });
}

/** A request whose response body the secret checks will look at. */
export async function observed(pipeline: SecuredPipeline, response: Promise<TestResponse>): Promise<TestResponse> {
  const settled = await response;
  pipeline.seen.push(settled.text, JSON.stringify(settled.headers));
  return settled;
}

/**
 * Everything the product does with Redis, once, from `ip`: a message answered through
 * `?wait` and the live stream, the history, stats, readiness, both processes' metrics, the
 * ops page and the queue dashboard (its pages, its Redis panel, its worker list and a clean,
 * which runs one of BullMQ's scripts), and the erasure of the history.
 */
export async function exerciseEverything(pipeline: SecuredPipeline, ip: string): Promise<void> {
  const { baseUrl } = pipeline;
  await pipeline.worker.waitForOutput(/worker consuming/);
  // Each connection authenticates on its own: the stream's subscriber may be the last one ready.
  const stream = await waitFor('the event stream to open', async () => {
    const opened = await openEventStream(baseUrl, '/v1/stream', { localAddress: ip });
    if (opened.status === 200) return opened;
    opened.close();
    return undefined;
  });
  try {
    const answered = await observed(
      pipeline,
      request(baseUrl, '/v1/messages?wait=10000', {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'idempotency-key': `auth-${ip}` },
        body: JSON.stringify({ message: 'hello over a secured Redis' }),
        localAddress: ip,
      }),
    );
    expect(answered.status, `${answered.text}\n${pipeline.api.output}`).toBe(200);
    const message = answered.json();
    expect(message).toMatchObject({ status: 'completed', ip, response: `Hello, user from ${ip}!` });
    const [event] = await stream.take(1);
    expect(event!.id).toBe(message.id);
    pipeline.seen.push(event!.data);

    const history = (await observed(pipeline, request(baseUrl, '/v1/history', { localAddress: ip }))).json();
    expect(history.messages.map((entry: { id: string }) => entry.id)).toEqual([message.id]);
    // The answer is recorded (and ?wait answered) before BullMQ moves the job to completed.
    const stats = await waitFor('the job completed in BullMQ', async () => {
      const current = (await observed(pipeline, request(baseUrl, '/v1/stats', { headers: asAdmin }))).json();
      return current.queue.completed === 1 && current;
    });
    expect(stats).toMatchObject({ totalMessages: 1, uniqueIpsToday: 1, topSenders: [{ ip, count: 1 }] });
    expect((await observed(pipeline, request(baseUrl, '/readyz'))).status).toBe(200);

    const apiMetrics = await observed(pipeline, request(baseUrl, '/metrics', { headers: asAdmin }));
    expect(samplesOf(parsePrometheusText(apiMetrics.text), 'msgpipe_redis_up')[0]?.value).toBe(1);
    expect(samplesOf(parsePrometheusText(apiMetrics.text), 'msgpipe_queue_oldest_waiting_seconds', { queue: 'messages' })[0]?.value).toBe(0);
    const workerMetrics = await observed(pipeline, request(pipeline.workerMetricsUrl, '/metrics'));
    const completed = samplesOf(parsePrometheusText(workerMetrics.text), 'msgpipe_worker_jobs_total').find((sample) => sample.labels.outcome === 'completed');
    expect(completed?.value).toBe(1);

    const opsPage = await observed(pipeline, request(baseUrl, '/admin', { headers: asAdmin }));
    expect(opsPage.status).toBe(200);
    // The ops page finds the worker in CLIENT LIST and reads the count it publishes.
    expect(opsPage.text).toMatch(/data-testid="worker-count">[1-9]/);
    expect((await observed(pipeline, request(baseUrl, '/admin/queues', { headers: asAdmin }))).status).toBe(200);
    const queues = (await observed(pipeline, request(baseUrl, '/admin/queues/api/queues?activeQueue=messages&status=completed', { headers: asAdmin }))).json();
    expect(queues.queues[0].counts.completed).toBe(1);
    expect(queues.queues[0].jobs.map((job: { id: string }) => job.id)).toEqual([message.id]);
    const redisPanel = (await observed(pipeline, request(baseUrl, '/admin/queues/api/redis/stats', { headers: asAdmin }))).json();
    expect(redisPanel.version).toMatch(/^\d+\.\d+/);
    // bull-board lists workers by their connection names (CLIENT LIST); null if it may not.
    const { workers } = (await observed(pipeline, request(baseUrl, '/admin/queues/api/queues/messages/workers', { headers: asAdmin }))).json();
    expect(workers.length).toBeGreaterThan(0);
    // Cleans jobs older than bull-board's 5 s grace (none yet): BullMQ's clean script runs all the same.
    const cleaned = await observed(pipeline, request(baseUrl, '/admin/queues/api/queues/messages/clean/completed', { method: 'PUT', headers: asAdmin }));
    expect(cleaned.status).toBe(200);

    expect((await observed(pipeline, request(baseUrl, '/v1/history', { method: 'DELETE', localAddress: ip }))).status).toBe(204);
    expect((await request(baseUrl, '/v1/history', { localAddress: ip })).json().messages).toEqual([]);
  } finally {
    stream.close();
  }
}

/** While Redis refuses us: readiness and POST answer 503 unavailable (with Retry-After) well within 2 s. */
export async function expectUnavailable(pipeline: SecuredPipeline, ip: string): Promise<void> {
  const started = performance.now();
  const ready = await observed(pipeline, request(pipeline.baseUrl, '/readyz'));
  const posted = await observed(pipeline, postMessage(pipeline.baseUrl, 'refused?', { localAddress: ip }));
  expect(performance.now() - started).toBeLessThan(4000); // two requests, each within 2 s
  expect(ready.status).toBe(503);
  expect(posted.status).toBe(503);
  expect(posted.json().error.code).toBe('unavailable');
  expect(posted.headers['retry-after']).toBe('2');
  const metrics = await observed(pipeline, request(pipeline.baseUrl, '/metrics', { headers: asAdmin }));
  expect(samplesOf(parsePrometheusText(metrics.text), 'msgpipe_redis_up')[0]?.value).toBe(0);
}

/** No secret anywhere in what the processes wrote or served; `label` names the scenario. */
export function expectNoSecrets(pipeline: SecuredPipeline, secrets: readonly string[]): void {
  const everything = pipeline.everything();
  expect(everything.length).toBeGreaterThan(0);
  for (const secret of secrets) {
    expect(secret.length).toBeGreaterThanOrEqual(12); // short strings could occur by chance
    expect(everything.includes(secret), `a secret appeared in the output:\n${everything}`).toBe(false);
  }
}
