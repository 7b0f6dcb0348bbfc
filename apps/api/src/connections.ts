import { createRedis, KeySchema, type Config, type RedisClient } from '@msgpipe/shared';
import { CompletionStream } from './live/completion-stream.js';
import { MessageQueues } from './queues/message-queues.js';
import { MessageWaiters } from './live/message-waiters.js';

/** The API process's Redis connections and what lives on them: the deps of createApp. */
export interface ApiConnections {
  /** Commands on the request path: fails fast (see createRedis 'producer'). */
  redis: RedisClient;
  queues: MessageQueues;
  waiters: MessageWaiters;
  completions: CompletionStream;
  /** True once both connections are ready; false if `ms` passed first (Redis down or slow). */
  whenReady(ms: number): Promise<boolean>;
  close(): Promise<void>;
}

function ready(client: RedisClient): Promise<void> {
  return client.status === 'ready' ? Promise.resolve() : new Promise((resolve) => client.once('ready', () => resolve()));
}

/**
 * Two connections per API process, whatever the traffic: commands, and the pub/sub subscriber
 * that `/v1/stream` and `?wait` share (subscribed to an IP's channel only while one listens).
 */
/**
 * Enqueues under way at once per partition before arrivals wait to go together: one keeps the
 * most messages per job; more would shorten the wait behind a slow add.
 */
const ENQUEUES_IN_FLIGHT = 1;

export function openConnections(config: Config, onError: (error: Error, connection: string) => void): ApiConnections {
  const redis = createRedis(config.redis, 'producer', 'msgpipe-api');
  const subscriber = createRedis(config.redis, 'producer', 'msgpipe-api-subscriber');
  for (const [name, connection] of [['commands', redis], ['subscriber', subscriber]] as const) {
    connection.on('error', (error: Error) => onError(error, name));
  }
  const queues = new MessageQueues(redis, config.redis.prefix, config.queuePartitions, { ...config.enqueueBatch, maxInFlight: ENQUEUES_IN_FLIGHT });
  const completions = new CompletionStream(subscriber, new KeySchema(config.redis.prefix));
  const waiters = new MessageWaiters(completions);
  return {
    redis,
    queues,
    waiters,
    completions,
    async whenReady(ms) {
      let timer: NodeJS.Timeout | undefined;
      const timedOut = new Promise<false>((resolve) => (timer = setTimeout(resolve, ms, false)));
      try {
        return await Promise.race([Promise.all([ready(redis), ready(subscriber)]).then(() => true), timedOut]);
      } finally {
        clearTimeout(timer);
      }
    },
    async close() {
      await Promise.all([queues.close(), completions.close()]);
      await redis.quit().catch(() => redis.disconnect());
    },
  };
}
