/**
 * The minimal reference pipeline, worker half: a BullMQ Worker (concurrency 50) whose job is one
 * MULTI: the exchange pushed onto the IP's history list, bounded and expiring, and published on
 * the IP's completions channel (which is how the bench sees it finish). No counters,
 * leaderboards, exactly-once guard, retries policy or metrics.
 */
import { KeySchema, type MessageJob } from '@msgpipe/shared';
import { Worker } from 'bullmq';
import { Redis } from 'ioredis';
import { REFERENCE_QUEUE } from './names.js';

const { REDIS_URL: redisUrl, REDIS_PREFIX: prefix } = process.env;
if (!redisUrl || !prefix) throw new Error('reference/worker.js needs REDIS_URL and REDIS_PREFIX');

const HISTORY_MAX_ENTRIES = 100;
const HISTORY_TTL_SECONDS = 7 * 24 * 60 * 60;
const keys = new KeySchema(prefix);
const connection = new Redis(redisUrl, { maxRetriesPerRequest: null, connectionName: 'msgpipe-bench-reference-worker' });
// A connection of its own for the MULTI: ioredis copies every script defined on a connection
// (BullMQ defines dozens) into each MULTI it starts there.
const writer = new Redis(redisUrl, { maxRetriesPerRequest: null, connectionName: 'msgpipe-bench-reference-writer' });

const worker = new Worker<MessageJob>(
  REFERENCE_QUEUE,
  async ({ data: { id, ip, message, sendTime } }) => {
    const entry = JSON.stringify({ id, message, sendTime, status: 'completed', response: `You said: ${message}`, respondedAt: new Date().toISOString() });
    const history = keys.history(ip);
    await writer
      .multi()
      .lpush(history, entry)
      .ltrim(history, 0, HISTORY_MAX_ENTRIES - 1)
      .expire(history, HISTORY_TTL_SECONDS)
      .publish(keys.completions(ip), entry)
      .exec();
  },
  { connection, prefix, concurrency: 50 },
);
await worker.waitUntilReady();
console.log('reference worker consuming');
process.once('SIGTERM', () => void worker.close().finally(() => process.exit(0)));
