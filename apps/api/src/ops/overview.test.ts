import { createRedis, queueName, queuePrefix, utcDay, type HistoryEntry } from '@msgpipe/shared';
import { ADMIN_TOKEN, waitFor } from '@msgpipe/testkit';
import { Worker } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApi, type RunningApi } from '../test/api.fixture.js';
import { CHART_DAYS, loadOverview, type OverviewSources } from './overview.js';

// Times are derived from the clock at the start (the stats keys expire relative to it), then
// passed to the loader, so no figure depends on how long a step took.
const NOW = Date.now();
const SECOND = 1000;
const DAY = 24 * 60 * 60 * SECOND;

let api: RunningApi;
let sources: OverviewSources;
beforeAll(async () => {
  api = await startApi({ ADMIN_TOKEN, QUEUE_PARTITIONS: '2' });
  sources = { stats: api.stats, queues: api.queues, redis: api.redis, keys: api.keys, redisWork: (work) => work() };
});
afterAll(() => api.close());

let counter = 0;
function entry(sentAt: number): HistoryEntry {
  counter++;
  const time = new Date(sentAt).toISOString();
  return { id: `overview-${counter}`, message: 'm', sendTime: time, status: 'completed', response: 'r', respondedAt: time };
}

describe('the ops page overview', () => {
  it('charts messages per UTC day over the last 30 days, today last', async () => {
    for (const daysAgo of [0, 0, 1, 29, 30]) await api.recorder.record('192.0.2.80', entry(NOW - daysAgo * DAY), NOW);
    const { perDay } = await loadOverview(sources, NOW);
    expect(perDay).toHaveLength(CHART_DAYS);
    expect(perDay.at(-1)).toEqual({ day: utcDay(NOW), count: 2 });
    expect(perDay.at(-2)).toEqual({ day: utcDay(NOW - DAY), count: 1 });
    expect(perDay[0]).toEqual({ day: utcDay(NOW - 29 * DAY), count: 1 });
  });

  it('gives each partition its queue latency from the real queued jobs, and says which are paused', async () => {
    const sendTime = new Date(NOW).toISOString();
    await api.queues.enqueue({ id: 'o'.repeat(22), ip: '192.0.2.81', message: 'waiting', sendTime });
    const overview = await loadOverview(sources, NOW + 75 * SECOND);
    const [waiting] = overview.partitions.filter((partition) => partition.counts.waiting === 1);
    expect(waiting).toMatchObject({ paused: false, oldestWaitingSeconds: 75 });
    expect(overview.queue.waiting).toBe(1);

    await api.queues.queues[1]!.pause();
    const paused = await loadOverview(sources, NOW + 80 * SECOND);
    expect(paused.partitions.map(({ queue, paused }) => ({ queue, paused }))).toEqual([
      { queue: 'messages', paused: false },
      { queue: 'messages-1', paused: true },
    ]);
    await api.queues.queues[1]!.resume();
  });

  it('lists the live workers by name, with their address, partitions and published in-flight count', async () => {
    expect((await loadOverview(sources)).workers).toEqual([]);
    // A BullMQ worker named as a worker process names its workers, on the partition with nothing
    // waiting; its in-flight count as the process publishes it (KeySchema.workerInFlight).
    const connection = createRedis(api.config.redis, 'worker', 'overview-test');
    const worker = new Worker(queueName(1), async () => {}, { connection, prefix: queuePrefix(api.config.redis.prefix, 1), name: 'ops-host:4711' });
    try {
      await worker.waitUntilReady();
      await api.redis.set(api.keys.workerInFlight('ops-host:4711'), '3', 'PX', 15_000);
      const workers = await waitFor('the worker to connect', async () => {
        const { workers } = await loadOverview(sources);
        return workers.length > 0 && workers;
      });
      expect(workers).toEqual([{ name: 'ops-host:4711', address: expect.stringMatching(/^127\.0\.0\.1:\d+$/), since: expect.any(Date), queues: ['messages-1'], inFlight: 3 }]);
      expect(workers[0]!.since.getTime()).toBeLessThanOrEqual(Date.now());
    } finally {
      await worker.close();
      connection.disconnect();
    }
  });
});
