import type { MinuteCount, StatsSnapshot } from '@msgpipe/shared';
import type { Services } from '../context.js';
import type { QueueCounts } from '../message-queues.js';

/** Everything the ops page shows, read in one go. */
export interface Overview {
  generatedAt: Date;
  stats: StatsSnapshot;
  perMinute: MinuteCount[];
  queue: QueueCounts;
}

const CHART_MINUTES = 60;
const TOP_SENDERS = 10;

export async function loadOverview({ stats, queues, redisWork }: Pick<Services, 'stats' | 'queues' | 'redisWork'>): Promise<Overview> {
  const now = Date.now();
  const [snapshot, perMinute, depth] = await redisWork(() =>
    Promise.all([stats.read(TOP_SENDERS, now), stats.messagesPerMinute(CHART_MINUTES, now), queues.counts()]),
  );
  return { generatedAt: new Date(now), stats: snapshot, perMinute, queue: depth.total };
}
