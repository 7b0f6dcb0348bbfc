/**
 * The baseline's consumer, a process of its own like a pipeline worker: a plain BullMQ Worker
 * (concurrency 50) whose processor does nothing. It reports its completed count to the bench
 * over IPC whenever asked.
 */
import { Worker } from 'bullmq';
import { Redis } from 'ioredis';

const [redisUrl, prefix, queue] = process.argv.slice(2);
if (!redisUrl || !prefix || !queue || !process.send) throw new Error('usage: forked by the bench with <redis url> <prefix> <queue>');

const connection = new Redis(redisUrl, { maxRetriesPerRequest: null, connectionName: 'msgpipe-bench-baseline-worker' });
let completed = 0;
const worker = new Worker(queue, async () => undefined, { connection, prefix, concurrency: 50 });
worker.on('completed', () => completed++);
await worker.waitUntilReady();
process.send({ ready: true });
process.on('message', async (request: { count?: true; stop?: true }) => {
  if (request.count) process.send!({ completed });
  if (request.stop) {
    await worker.close();
    connection.disconnect();
    process.exit(0);
  }
});
