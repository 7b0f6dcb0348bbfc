import { isRedisUnavailableError, type RedisClient } from '@msgpipe/shared';
import { UnavailableError } from './errors.js';

/**
 * Runs Redis work that must answer within `ms`, or fails with 503. The connection's own
 * command timeout catches a stalled server; this also catches BullMQ waiting for a connection
 * that is not ready (it waits forever by design) and anything else that would hang a request.
 */
export async function withinDeadline<T>(redis: RedisClient, ms: number, work: () => Promise<T>): Promise<T> {
  if (redis.status !== 'ready') throw new UnavailableError();
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new UnavailableError()), ms);
  });
  try {
    return await Promise.race([work(), deadline]);
  } catch (error) {
    throw isRedisUnavailableError(error) ? new UnavailableError() : error;
  } finally {
    clearTimeout(timer);
  }
}
