import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RedisServer } from '@msgpipe/redis-server';
import { queueName, queuePrefix } from '@msgpipe/shared';
import { asAdmin, parsePrometheusText, postMessage, request, samplesOf, waitFor, type WaitOptions } from '@msgpipe/testkit';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ScriptedUpstream } from './scripted-upstream.js';
import { aclConfig, startSecuredPipeline, type SecuredPipeline } from './secured-pipeline.js';

/**
 * The least-privilege ACL user of deploy/redis-acl.conf on the paths redis-auth.test.ts's happy
 * path never takes: retries (BullMQ's delayed set and its promotion), failure for good
 * (moveToFinished to `failed` with removeOnFail trimming, the worker's `failed` record, a
 * dashboard retry), lock extension, and the stalled-job checker recovering a killed worker's
 * jobs. Redis checks the ACL on every command a Lua script runs, so a permission missing only
 * there would strand jobs in production; here it shows as a timeout naming the ACL LOG.
 *
 * MSGPIPE_E2E_ACL_FILE runs it against another ACL file (a copy with a permission taken away,
 * to see this test fail; or a change to try before it goes into deploy/).
 */
const ACL_FILE = process.env.MSGPIPE_E2E_ACL_FILE || undefined;

const JOB_LOCK_MS = 2000;
const RESPONDER_ATTEMPTS = 3;
const QUEUE = `${queuePrefix('msgpipe', 0)}:${queueName(0)}`;
/**
 * A denial as the processes log it: NOPERM for a command sent directly, but inside a Lua script
 * Redis 7.0 answers `ERR The user executing the script can't run this command or subcommand`
 * (or `can't access at least one of the keys`), with no NOPERM in it; our hint names redis-acl.conf.
 */
const NO_PERMISSION = /NOPERM|no permissions|user executing the script can't|redis-acl\.conf/i;

const secret = () => randomBytes(18).toString('hex');

interface HistoryMessage {
  id: string;
  message: string;
  status: string;
  response?: string;
  error?: string;
}

describe('the ACL user of deploy/redis-acl.conf on the retry, failure and stalled-job paths', () => {
  const password = secret();
  const adminPassword = secret();
  let configDir: string;
  let server: RedisServer;
  let admin: Redis;
  let upstream: ScriptedUpstream;
  let pipeline: SecuredPipeline;

  beforeAll(async () => {
    configDir = mkdtempSync(join(tmpdir(), 'msgpipe-acl-paths-'));
    const configFile = join(configDir, 'redis-acl.conf');
    writeFileSync(configFile, aclConfig(password, adminPassword, ACL_FILE));
    server = await RedisServer.start({ configFile, settings: { save: '', appendonly: 'no' } });
    admin = new Redis({ port: server.port, username: 'admin', password: adminPassword, lazyConnect: true });
    await admin.connect();
    upstream = await ScriptedUpstream.start();
    pipeline = await startSecuredPipeline(`redis://msgpipe:${password}@127.0.0.1:${server.port}`, {
      ...upstream.responderEnv,
      // Left on (the webhook default): its lookups and stores run as msgpipe too.
      RESPONSE_CACHE_TTL_SECONDS: '60',
      RESPONDER_ATTEMPTS: String(RESPONDER_ATTEMPTS),
      // A dead worker's jobs run again once their lock expires; locks are extended every JOB_LOCK_MS / 2.
      JOB_LOCK_MS: String(JOB_LOCK_MS),
      WORKER_CONCURRENCY: '50',
    });
    await waitFor('the API ready', async () => (await request(pipeline.baseUrl, '/readyz')).status === 200);
    await pipeline.worker.waitForOutput(/worker consuming/);
  });
  afterAll(async () => {
    await pipeline?.kill();
    await upstream?.close();
    admin?.disconnect();
    await server?.stop();
    rmSync(configDir, { recursive: true, force: true });
  });

  // A path failing for a missing permission may fail on any of its assertions: name the denials.
  beforeEach(({ onTestFailed }) => {
    onTestFailed(async () => {
      console.error(`ACL LOG after the failure: ${JSON.stringify(await aclDenials().catch((error: Error) => [error.message]))}`);
    });
  });

  /** What Redis denied so far, one line per entry (empty when nothing). */
  async function aclDenials(): Promise<string[]> {
    const entries = (await admin.call('ACL', 'LOG')) as unknown[][];
    return entries.map((entry) => {
      const fields: Record<string, unknown> = {};
      for (let index = 0; index + 1 < entry.length; index += 2) fields[String(entry[index])] = entry[index + 1];
      return `${String(fields.reason)} ${String(fields.context)} object=${String(fields.object)} user=${String(fields.username)} count=${String(fields.count)}`;
    });
  }

  /** waitFor, whose timeout names what Redis denied: a missing permission shows as the cause of the stall. */
  async function until<T>(description: string, check: () => T | undefined | false | Promise<T | undefined | false>, options: WaitOptions = {}): Promise<T> {
    try {
      return await waitFor(description, check, options);
    } catch (error) {
      const denials = await aclDenials().catch((reason: Error) => [`(ACL LOG unreadable: ${reason.message})`]);
      const logged = pipeline.logs().split('\n').filter((line) => NO_PERMISSION.test(line)).slice(0, 5);
      throw new Error(`${(error as Error).message}\nACL LOG: ${JSON.stringify(denials)}\nlog lines: ${JSON.stringify(logged)}`);
    }
  }

  async function send(ip: string, message: string): Promise<string> {
    const accepted = await postMessage(pipeline.baseUrl, message, { localAddress: ip });
    expect(accepted.status, accepted.text).toBe(202);
    return accepted.json().id as string;
  }

  async function historyOf(ip: string): Promise<HistoryMessage[]> {
    const response = await request(pipeline.baseUrl, '/v1/history?limit=100', { localAddress: ip });
    expect(response.status, response.text).toBe(200);
    return response.json().messages as HistoryMessage[];
  }

  /** Waits until every id is in the IP's history (finished), and returns the history. */
  async function finishedHistory(ip: string, ids: readonly string[], timeoutMs?: number): Promise<HistoryMessage[]> {
    return until(
      `${ids.length} messages of ${ip} in its history`,
      async () => {
        const history = await historyOf(ip);
        const present = new Set(history.map((entry) => entry.id));
        return ids.every((id) => present.has(id)) && history;
      },
      { timeoutMs, intervalMs: 50 },
    );
  }

  /** BullMQ's events for `jobId` from the queue's event stream, oldest first (e.g. ['active', 'delayed', …]). */
  async function eventsOf(jobId: string): Promise<string[]> {
    const entries = (await admin.xrange(`${QUEUE}:events`, '-', '+')) as Array<[string, string[]]>;
    const events: string[] = [];
    for (const [, fields] of entries) {
      const record: Record<string, string> = {};
      for (let index = 0; index + 1 < fields.length; index += 2) record[fields[index]!] = fields[index + 1]!;
      if (record.jobId === jobId && record.event) events.push(record.event);
    }
    return events;
  }

  async function workerJobs(outcome: string): Promise<number | undefined> {
    const metrics = await request(pipeline.workerMetricsUrl, '/metrics');
    return samplesOf(parsePrometheusText(metrics.text), 'msgpipe_worker_jobs_total').find((sample) => sample.labels.outcome === outcome)?.value;
  }

  /**
   * A finished job older than its retention (removeOnComplete 1 h, removeOnFail 7 days), put in
   * by the admin, so the next job finishing in that state makes moveToFinished trim it (as msgpipe).
   */
  async function seedExpiredJob(state: 'completed' | 'failed', ageMs: number): Promise<string> {
    const id = `expired-${state}`;
    const finishedOn = Date.now() - ageMs;
    await admin.hset(`${QUEUE}:${id}`, { name: 'message', data: '{}', opts: '{}', timestamp: finishedOn, finishedOn, atm: 1 });
    await admin.zadd(`${QUEUE}:${state}`, finishedOn, id);
    return id;
  }

  async function trimmed(state: 'completed' | 'failed', id: string): Promise<boolean> {
    return (await admin.zscore(`${QUEUE}:${state}`, id)) === null && (await admin.exists(`${QUEUE}:${id}`)) === 0;
  }

  const once = (history: HistoryMessage[], id: string) => history.filter((entry) => entry.id === id);

  it('retries: jobs failing their first attempts wait in the delayed set, come back, and complete, once each', async () => {
    const ip = '127.0.0.41';
    const expired = await seedExpiredJob('completed', 2 * 60 * 60 * 1000);
    const texts = Array.from({ length: 6 }, (_, index) => `flaky ${RESPONDER_ATTEMPTS - 1} retry ${index}`);
    const ids: string[] = [];
    for (const text of texts) ids.push(await send(ip, text));

    // Two failed attempts, each 0.25–1 s of backoff: done within a few seconds.
    const history = await finishedHistory(ip, ids);
    expect(history).toHaveLength(ids.length);
    for (const id of ids) {
      const [entry, ...more] = once(history, id);
      expect(more, id).toEqual([]);
      expect(entry).toMatchObject({ status: 'completed', response: `answered ${id} on call ${RESPONDER_ATTEMPTS}` });
      expect(upstream.callsFor(id).map((call) => call.status)).toEqual([...Array(RESPONDER_ATTEMPTS - 1).fill(503), 200]);
      // Through BullMQ's delayed set and back (promoted, then taken again), each failed attempt.
      const events = await eventsOf(id);
      expect(events.filter((event) => event === 'delayed'), events.join(',')).toHaveLength(RESPONDER_ATTEMPTS - 1);
      expect(events.at(-1)).toBe('completed');
      expect(await admin.zscore(`${QUEUE}:completed`, id)).not.toBeNull();
      const message = await request(pipeline.baseUrl, `/v1/messages/${id}`, { localAddress: ip });
      expect(message.json()).toMatchObject({ id, status: 'completed', ip });
    }
    expect(await workerJobs('retrying')).toBe(ids.length * (RESPONDER_ATTEMPTS - 1));
    expect(await trimmed('completed', expired), 'removeOnComplete trimmed the expired job').toBe(true);

    // The response cache stored each answer (as msgpipe): the same text again is answered from it.
    const again = await send(ip, texts[0]!);
    const [repeat] = once(await finishedHistory(ip, [again]), again);
    expect(repeat).toMatchObject({ status: 'completed', response: `answered ${ids[0]} on call ${RESPONDER_ATTEMPTS}` });
    expect(upstream.callsFor(again)).toEqual([]);
  });

  it('failure for good: the message ends failed, with its error, in the history, the API and BullMQ’s failed set; a dashboard retry changes no history', async () => {
    const ip = '127.0.0.42';
    const expired = await seedExpiredJob('failed', 8 * 24 * 60 * 60 * 1000);
    const doomed = await send(ip, 'doomed (the upstream is down for good)');
    const refused = await send(ip, 'refused (the upstream rejects this one)');

    const history = await finishedHistory(ip, [doomed, refused]);
    expect(history).toHaveLength(2);
    const expected = [
      { id: doomed, error: 'the responder is unavailable', detail: 'webhook answered HTTP 503', calls: RESPONDER_ATTEMPTS, delayed: RESPONDER_ATTEMPTS - 1 },
      { id: refused, error: 'the responder refused the message', detail: 'webhook answered HTTP 400', calls: 1, delayed: 0 },
    ];
    for (const { id, error, detail, calls, delayed } of expected) {
      expect(once(history, id)).toEqual([expect.objectContaining({ id, status: 'failed', error })]);
      expect(upstream.callsFor(id)).toHaveLength(calls);
      const message = await request(pipeline.baseUrl, `/v1/messages/${id}`, { localAddress: ip });
      expect(message.status).toBe(200);
      expect(message.json()).toMatchObject({ id, status: 'failed', error, ip });
      // BullMQ failed the job (moveToFinished, removeOnFail's trimming included) as msgpipe.
      await until(`job ${id} in BullMQ's failed set`, async () => (await admin.zscore(`${QUEUE}:failed`, id)) !== null);
      // The sender reads a generic reason; the dashboard shows admins the detail.
      expect(await admin.hget(`${QUEUE}:${id}`, 'failedReason')).toBe(detail);
      const events = await eventsOf(id);
      expect(events.filter((event) => event === 'delayed'), events.join(',')).toHaveLength(delayed);
      await pipeline.worker.waitForOutput(new RegExp(`"id":"${id}".*message failed for good`));
    }
    expect(await trimmed('failed', expired), 'removeOnFail trimmed the expired job').toBe(true);
    const stats = await request(pipeline.baseUrl, '/v1/stats', { headers: asAdmin });
    expect(stats.json().queue.failed).toBe(2);

    // An operator retries the failed job from the dashboard (BullMQ's reprocessJob, as msgpipe):
    // it runs again, fails again, and the history still holds it once.
    const finishedBefore = Number(await admin.hget(`${QUEUE}:${refused}`, 'finishedOn'));
    const retried = await request(pipeline.baseUrl, `/admin/queues/api/queues/messages/${refused}/retry`, { method: 'PUT', headers: asAdmin });
    expect(retried.status, retried.text).toBe(204);
    await until(
      'the retried job failed again',
      async () => upstream.callsFor(refused).length === 2 && Number(await admin.hget(`${QUEUE}:${refused}`, 'finishedOn')) > finishedBefore && (await admin.zscore(`${QUEUE}:failed`, refused)) !== null,
      { intervalMs: 50 },
    );
    expect(once(await historyOf(ip), refused)).toHaveLength(1);
  });

  it('stalled jobs: locks are extended while a worker holds jobs; after kill -9 the stalled-job checker hands them to another worker, each written once', async () => {
    const ip = '127.0.0.43';
    const ids: string[] = [];
    for (let index = 0; index < 6; index++) ids.push(await send(ip, `hold stalled ${index}`));
    // The only worker so far takes them all and waits on the upstream.
    await until('the worker holding every job', () => ids.every((id) => upstream.callsFor(id).length === 1));

    // Lock extension (BullMQ's extendLocks, every JOB_LOCK_MS / 2) as msgpipe: each lock's
    // time to live goes back up while the job is held, so none stalls on a live worker.
    const lastTtl = new Map<string, number>();
    const extended = new Set<string>();
    await until(
      'every held job’s lock extended',
      async () => {
        for (const id of ids) {
          const ttl = await admin.pttl(`${QUEUE}:${id}:lock`);
          const last = lastTtl.get(id);
          if (last !== undefined && last > 0 && ttl > last) extended.add(id);
          lastTtl.set(id, ttl);
        }
        return extended.size === ids.length;
      },
      { timeoutMs: 4 * JOB_LOCK_MS, intervalMs: 50 },
    );
    for (const id of ids) expect(upstream.callsFor(id), `${id} ran once so far`).toHaveLength(1);

    const survivor = await pipeline.startWorker();
    await survivor.waitForOutput(/worker consuming/);

    const killed = await pipeline.worker.stop('SIGKILL');
    expect(killed.signal).toBe('SIGKILL');
    upstream.release();

    // The locks expire (≤ JOB_LOCK_MS), the survivor's stalled-job checker (every JOB_LOCK_MS)
    // moves the jobs back to wait, and it runs them.
    const history = await finishedHistory(ip, ids, 8 * JOB_LOCK_MS);
    expect(history).toHaveLength(ids.length);
    for (const id of ids) {
      expect(once(history, id)).toEqual([expect.objectContaining({ id, status: 'completed', response: `answered ${id} on call 2` })]);
      expect(upstream.callsFor(id)).toHaveLength(2);
      const events = await eventsOf(id);
      expect(events, events.join(',')).toContain('stalled');
      expect(await admin.hget(`${QUEUE}:${id}`, 'stc')).toBe('1');
    }
    await until(
      'the queue idle',
      async () => (await admin.llen(`${QUEUE}:active`)) + (await admin.llen(`${QUEUE}:wait`)) + (await admin.zcard(`${QUEUE}:delayed`)) === 0,
    );
  });

  it('Redis denied the msgpipe user nothing on any of these paths (empty ACL LOG), and no log line mentions a missing permission', async () => {
    const logLines = pipeline.logs().split('\n').filter((line) => NO_PERMISSION.test(line));
    expect({ aclLog: await aclDenials(), logLines }).toEqual({ aclLog: [], logLines: [] });
    const clients = String(await admin.call('CLIENT', 'LIST'));
    expect(clients).toMatch(/user=msgpipe/);
    expect(clients).not.toMatch(/user=default/);
    expect(pipeline.worker.output).toMatch(/worker consuming/);
    expect(pipeline.workers[1]?.output).toMatch(/worker consuming/);
  });
});
