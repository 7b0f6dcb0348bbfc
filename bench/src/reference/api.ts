/**
 * The minimal reference pipeline, API half: Hono on @hono/node-server, `Queue.add`, 202. No
 * rate limit, idempotency, input rules, metrics or logging: the least an HTTP front of a BullMQ
 * pipeline does, measured on the same machine so the real API has a yardstick.
 */
import { randomUUID } from 'node:crypto';
import { serve } from '@hono/node-server';
import { getConnInfo } from '@hono/node-server/conninfo';
import { MESSAGE_JOB_OPTIONS } from '@msgpipe/shared';
import { Queue } from 'bullmq';
import { Hono } from 'hono';
import { Redis } from 'ioredis';
import { REFERENCE_QUEUE } from './names.js';

const { REDIS_URL: redisUrl, REDIS_PREFIX: prefix, PORT: port } = process.env;
if (!redisUrl || !prefix || !port) throw new Error('reference/api.js needs REDIS_URL, REDIS_PREFIX and PORT');

const connection = new Redis(redisUrl, { maxRetriesPerRequest: 1, connectionName: 'msgpipe-bench-reference-api' });
const queue = new Queue(REFERENCE_QUEUE, { connection, prefix, defaultJobOptions: { removeOnComplete: MESSAGE_JOB_OPTIONS.removeOnComplete } });

const app = new Hono().post('/v1/messages', async (c) => {
  const { message } = await c.req.json<{ message: string }>();
  const job = { id: randomUUID(), ip: getConnInfo(c).remote.address ?? 'unknown', message, sendTime: new Date().toISOString() };
  await queue.add('message', job, { jobId: job.id });
  return c.json({ id: job.id, status: 'queued', ip: job.ip, sendTime: job.sendTime }, 202);
});

await queue.waitUntilReady();
const server = serve({ fetch: app.fetch, hostname: '127.0.0.1', port: Number(port) }, () => console.log('reference api listening'));
process.once('SIGTERM', () => server.close(() => void queue.close().finally(() => process.exit(0))));
