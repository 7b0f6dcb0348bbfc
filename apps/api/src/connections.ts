import { createRedis, KeySchema, type Config, type RedisClient } from '@msgpipe/shared';
import { CompletionStream } from './completion-stream.js';
import { MessageQueues } from './message-queues.js';
import { MessageWaiters } from './message-waiters.js';

/** The API process's Redis connections and what lives on them: the deps of createApp. */
export interface ApiConnections {
  /** Commands on the request path: fails fast (see createRedis 'producer'). */
  redis: RedisClient;
  queues: MessageQueues;
  waiters: MessageWaiters;
  completions: CompletionStream;
  close(): Promise<void>;
}

/**
 * Three connections per API process, whatever the traffic: commands, the pub/sub subscriber
 * of `/v1/stream`, and the blocking reads of the QueueEvents behind `?wait`.
 */
export function openConnections(config: Config, onError: (error: Error, connection: string) => void): ApiConnections {
  const redis = createRedis(config.redis, 'producer', 'msgpipe-api');
  const subscriber = createRedis(config.redis, 'producer', 'msgpipe-api-subscriber');
  const events = createRedis(config.redis, 'worker', 'msgpipe-api-events');
  for (const [name, connection] of [['commands', redis], ['subscriber', subscriber], ['events', events]] as const) {
    connection.on('error', (error: Error) => onError(error, name));
  }
  const queues = new MessageQueues(redis, config.redis.prefix, config.queuePartitions);
  const waiters = new MessageWaiters(events, config.redis.prefix, config.queuePartitions);
  const completions = new CompletionStream(subscriber, new KeySchema(config.redis.prefix));
  return {
    redis,
    queues,
    waiters,
    completions,
    async close() {
      await Promise.all([queues.close(), waiters.close(), completions.close()]);
      await redis.quit().catch(() => redis.disconnect());
      events.disconnect();
    },
  };
}
