import type { RedisClient } from '@msgpipe/shared';
import type { Worker } from 'bullmq';

/** What `GET /healthz` of a worker reports. */
export interface WorkerHealth {
  status: 'ok' | 'unavailable';
  /** The worker connection's ioredis status: `ready` when commands go through. */
  redis: string;
  /** Every partition's BullMQ worker is running its main loop and not paused (a stop pauses first). */
  consuming: boolean;
}

/**
 * Healthy while this process takes jobs: its Redis connection is ready and every queue's
 * worker runs. A worker that lost Redis, whose main loop ended, or that is stopping answers
 * 503, so that an orchestrator neither counts it as capacity nor waits on it forever.
 * Reads two fields only: cheap enough to be polled every few seconds.
 */
export function workerHealth(connection: Pick<RedisClient, 'status'>, workers: ReadonlyArray<Pick<Worker, 'isRunning' | 'isPaused'>>): WorkerHealth {
  const consuming = workers.length > 0 && workers.every((worker) => worker.isRunning() && !worker.isPaused());
  const redis = connection.status;
  return { status: redis === 'ready' && consuming ? 'ok' : 'unavailable', redis, consuming };
}
