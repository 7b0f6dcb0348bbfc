import { createRedis, isBatchJob, queuePrefix, type MessageJob, type MessageJobData } from '@msgpipe/shared';
import { UnrecoverableError, Worker } from 'bullmq';
import type { RunningApi } from './api.fixture.js';

/**
 * A real BullMQ worker on the test API's queues that does what the worker app does, minus the
 * responders: it answers `echo: <message>`, or fails for good a message starting with "fail".
 * Like the worker app it records the answer in the history and returns nothing, so the job
 * holds no copy of it. The API package does not depend on the worker app; its tests need
 * jobs to finish.
 */
export async function startEchoWorker(api: RunningApi, { hold }: { hold?: Promise<void> } = {}): Promise<{ close(): Promise<void> }> {
  const connection = createRedis(api.config.redis, 'worker', 'echo-worker');
  async function answer({ id, ip, message, sendTime }: MessageJob): Promise<void> {
    const respondedAt = new Date().toISOString();
    if (message.startsWith('fail')) {
      await api.recorder.record(ip, { id, message, sendTime, status: 'failed', error: 'told to fail', respondedAt });
      throw new UnrecoverableError('told to fail');
    }
    await api.recorder.record(ip, { id, message, sendTime, status: 'completed', response: `echo: ${message}`, respondedAt });
  }
  const workers = api.queues.queues.map(
    (queue, partition) =>
      new Worker<MessageJobData, void>(
        queue.name,
        async (job) => {
          await hold; // `hold`: jobs stay active until it resolves
          // A batch (format 2) one message after another; the worker app's own handling of
          // failures inside a batch is tested in apps/worker.
          for (const message of isBatchJob(job.data) ? job.data.messages : [job.data]) await answer(message);
        },
        // As the worker app: many jobs at once, so a held job does not hide the others.
        { connection, prefix: queuePrefix(api.config.redis.prefix, partition), concurrency: 50 },
      ),
  );
  await Promise.all(workers.map((worker) => worker.waitUntilReady()));
  return {
    async close() {
      await Promise.all(workers.map((worker) => worker.close()));
      connection.disconnect();
    },
  };
}
