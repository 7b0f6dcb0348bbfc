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
 * Two connections per API process, whatever the traffic: commands, and the pub/sub subscriber
 * that `/v1/stream` and `?wait` share (subscribed to an IP's channel only while one listens).
 */
export function openConnections(config: Config, onError: (error: Error, connection: string) => void): ApiConnections {
  const redis = createRedis(config.redis, 'producer', 'msgpipe-api');
  const subscriber = createRedis(config.redis, 'producer', 'msgpipe-api-subscriber');
  for (const [name, connection] of [['commands', redis], ['subscriber', subscriber]] as const) {
    connection.on('error', (error: Error) => onError(error, name));
  }
  const queues = new MessageQueues(redis, config.redis.prefix, config.queuePartitions);
  const completions = new CompletionStream(subscriber, new KeySchema(config.redis.prefix));
  const waiters = new MessageWaiters(completions);
  return {
    redis,
    queues,
    waiters,
    completions,
    async close() {
      await Promise.all([queues.close(), completions.close()]);
      await redis.quit().catch(() => redis.disconnect());
    },
  };
}
