import { createRedis, loadConfig, type RedisClient } from '@msgpipe/shared';
import { RedisServer } from '@msgpipe/redis-server';
import { waitFor } from '@msgpipe/testkit';
import { afterEach, describe, expect, it } from 'vitest';
import { MessageQueues } from './message-queues.js';

describe('MessageQueues', () => {
  let redis: RedisServer | undefined;
  let connection: RedisClient | undefined;
  let queues: MessageQueues | undefined;
  afterEach(async () => {
    redis?.signal('SIGCONT');
    await queues?.close();
    connection?.disconnect();
    await redis?.stop();
  });

  it('enqueues again once Redis answers, when it stalled while the queues were starting', async () => {
    redis = await RedisServer.start();
    const config = loadConfig({ REDIS_URL: redis.url, REDIS_PREFIX: 'stalled-start' });
    connection = createRedis(config.redis, 'producer', 'queues-test');
    await waitFor('the connection to be ready', () => connection!.status === 'ready');

    // BullMQ starts a queue by asking Redis its version. Stalled, that times out, and BullMQ
    // kept the failure for good: every later enqueue failed until the process restarted.
    redis.signal('SIGSTOP');
    queues = new MessageQueues(connection, config.redis.prefix, 1);
    const first = queues.queues[0];
    let replaced = 0;
    queues.onReplaced(() => replaced++);
    const job = { id: 'a'.repeat(22), ip: '10.0.0.1', message: 'hello', sendTime: new Date().toISOString() };
    await expect(queues.enqueue(job)).rejects.toThrow();
    redis.signal('SIGCONT');
    expect(replaced).toBe(1); // so the dashboard lists the new queue
    expect(queues.queues[0]).not.toBe(first);

    await waitFor('an enqueue to succeed', () => queues!.enqueue(job).then(() => true));
    expect(await queues.find(job.ip, job.id)).toMatchObject({ status: 'queued', job: { message: 'hello' } });
  });
});
