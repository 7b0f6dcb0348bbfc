import type { DayCount, KeySchema, MinuteCount, StatsSnapshot } from '@msgpipe/shared';
import type { Services } from '../context.js';
import type { PartitionWaiting, QueueCounts } from '../queues/message-queues.js';
import { groupWorkers, withInFlight, type LiveWorker } from './live-workers.js';

/** A partition's row on the page: its job counts, paused or not, its queue latency. */
export interface PartitionOverview extends PartitionWaiting {
  counts: QueueCounts;
}

/** Everything the ops page shows, read in one go. */
export interface Overview {
  generatedAt: Date;
  stats: StatsSnapshot;
  perMinute: MinuteCount[];
  perDay: DayCount[];
  queue: QueueCounts;
  partitions: PartitionOverview[];
  workers: LiveWorker[];
}

const CHART_MINUTES = 60;
/** Within Retention.statsDays, so every day charted still has its counter. */
export const CHART_DAYS = 30;
const TOP_SENDERS = 10;

export type OverviewSources = Pick<Services, 'stats' | 'queues' | 'redis' | 'redisWork'> & { keys: KeySchema };

export async function loadOverview({ stats, queues, redis, redisWork, keys }: OverviewSources, now = Date.now()): Promise<Overview> {
  const [snapshot, perMinute, perDay, depth, waiting, workers] = await redisWork(() =>
    Promise.all([
      stats.read(TOP_SENDERS, now),
      stats.messagesPerMinute(CHART_MINUTES, now),
      stats.messagesPerDay(CHART_DAYS, now),
      queues.counts(),
      queues.waiting(now),
      queues.workerClients().then((clients) => withInFlight(redis, keys, groupWorkers(clients, now))),
    ]),
  );
  const partitions = waiting.map((partition, index) => ({ ...partition, counts: depth.byQueue[index]!.counts }));
  return { generatedAt: new Date(now), stats: snapshot, perMinute, perDay, queue: depth.total, partitions, workers };
}
