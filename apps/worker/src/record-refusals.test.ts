import { createLogger, createRedis, HistoryStore, KeySchema, loadConfig, MESSAGE_JOB_NAME, openMessageQueue, type MessageJob, type RedisClient } from '@msgpipe/shared';
import { RedisServer, uniquePrefix, waitFor } from '@msgpipe/testkit';
import type { Queue } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Responder } from './responders/responder.js';
import { createWorker, type MessageWorker } from './worker.js';

const logger = createLogger({ name: 'record-refusals-test', level: 'silent', pretty: false });

describe('a history write Redis refuses (maxmemory reached)', () => {
  // A Redis of its own: the test fills its memory.
  let server: RedisServer;
  let connection: RedisClient;
  let admin: RedisClient;
  let queue: Queue<MessageJob>;
  let history: HistoryStore;
  let worker: MessageWorker | undefined;

  beforeAll(async () => {
    server = await RedisServer.start({ settings: { 'maxmemory-policy': 'noeviction' } });
  });
  afterAll(async () => {
    await worker?.close();
    await queue?.close();
    connection?.disconnect();
    admin?.disconnect();
    await server?.stop();
  });

  // Before, each refused write used one of RESPONDER_ATTEMPTS, and once they were used up the
  // message failed for good with no history entry: accepted, then lost. With one attempt, the
  // refusal came on the last attempt and failed it at once.
  it.each(['5', '1'])('costs the message no attempt (RESPONDER_ATTEMPTS=%s): it waits, delayed, and is written once memory is back', async (attempts) => {
    await worker?.close();
    await queue?.close();
    const config = loadConfig({ REDIS_URL: server.url, REDIS_PREFIX: uniquePrefix('refusals'), LOG_LEVEL: 'silent', RESPONDER_ATTEMPTS: attempts });
    connection ??= createRedis(config.redis, 'worker', 'refusals-test');
    admin ??= createRedis(config.redis, 'worker', 'refusals-admin');
    queue = openMessageQueue(connection, config.redis.prefix, 0);
    history = new HistoryStore(connection, new KeySchema(config.redis.prefix));

    // The responder fills Redis's memory while it answers, so the write that follows is refused.
    let calls = 0;
    const responder: Responder = {
      async respond(message) {
        calls++;
        if (calls === 1) {
          const used = Number(/used_memory:(\d+)/.exec(await admin.info('memory'))![1]);
          await admin.config('SET', 'maxmemory', String(Math.floor(used / 2)));
        }
        return `echo: ${message}`;
      },
    };
    worker = createWorker({ config, connection, logger, responder });
    const job: MessageJob = { id: 'refused-once', ip: '1.2.3.4', message: 'hello', sendTime: new Date().toISOString() };
    await queue.add(MESSAGE_JOB_NAME, job, { jobId: job.id });

    await waitFor('the job delayed after the refused write', async () => (await queue.getJobState(job.id)) === 'delayed');
    expect((await queue.getJob(job.id))!.attemptsMade).toBe(0);
    expect(await history.list(job.ip, 10)).toEqual([]);

    await admin.config('SET', 'maxmemory', '0');
    await waitFor('the job completed', async () => (await queue.getJobState(job.id)) === 'completed');
    expect(await history.list(job.ip, 10)).toEqual([expect.objectContaining({ id: job.id, status: 'completed', response: 'echo: hello' })]);
    expect(calls).toBe(2);
  });
});
