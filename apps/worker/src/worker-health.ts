import type { RedisClient } from '@msgpipe/shared';
import type { Worker } from 'bullmq';

/** What `GET /healthz` of a worker reports. */
export interface WorkerHealth {
  status: 'ok' | 'unavailable';
  /**
   * The worker connection: `ready` when Redis answered a PING just now; else the ioredis
   * status (`reconnecting`, …), or `unresponsive` for a connection that is up but got no
   * answer in time (a stalled or overloaded server).
   */
  redis: string;
  /** Every partition's BullMQ worker is running its main loop and not paused (a stop pauses first). */
  consuming: boolean;
}

/** How long a health check waits for Redis's PONG: below the compose healthcheck's 3 s timeout. */
export const HEALTH_PING_TIMEOUT_MS = 2000;

/**
 * Healthy while this process takes jobs: Redis answers on its connection and every queue's
 * worker runs. A worker that lost Redis, whose main loop ended, or that is stopping answers
 * 503, so that an orchestrator neither counts it as capacity nor waits on it forever.
 * One PING per check, and only when asked: nothing on the message path.
 */
export async function workerHealth(
  connection: Pick<RedisClient, 'status' | 'ping'>,
  workers: ReadonlyArray<Pick<Worker, 'isRunning' | 'isPaused'>>,
  pingTimeoutMs = HEALTH_PING_TIMEOUT_MS,
): Promise<WorkerHealth> {
  const consuming = workers.length > 0 && workers.every((worker) => worker.isRunning() && !worker.isPaused());
  // Not ready: a PING would only wait in the offline queue.
  const redis = connection.status === 'ready' ? await answers(connection, pingTimeoutMs) : connection.status;
  return { status: redis === 'ready' && consuming ? 'ok' : 'unavailable', redis, consuming };
}

async function answers(connection: Pick<RedisClient, 'ping'>, timeoutMs: number): Promise<string> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<string>((resolve) => (timer = setTimeout(resolve, timeoutMs, 'unresponsive')));
  try {
    return await Promise.race([connection.ping().then(() => 'ready', () => 'unresponsive'), timeout]);
  } finally {
    clearTimeout(timer);
  }
}
