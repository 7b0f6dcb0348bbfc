import type { KeySchema, RedisClient } from '@msgpipe/shared';
import type { WorkerClient } from '../queues/message-queues.js';

/** A worker process as the ops page lists it. */
export interface LiveWorker {
  /** host:pid, as the process names its BullMQ workers. */
  name: string;
  address: string;
  /** When its oldest connection opened: about when the process started consuming. */
  since: Date;
  /** The partitions it consumes. */
  queues: string[];
  /** Messages of the jobs it runs now, as it last published them; undefined if it has not. */
  inFlight: number | undefined;
}

/** The most workers the page lists; CLIENT LIST is bounded by Redis' maxclients, the page by this. */
export const MAX_LISTED_WORKERS = 100;

/** What a worker name must look like before it becomes part of a key: anyone with Redis access can name a connection. */
const WORKER_NAME = /^[A-Za-z0-9._:-]{1,100}$/;

/** One row per worker process, from its connections to each partition, by name. */
export function groupWorkers(byQueue: ReadonlyArray<{ queue: string; clients: readonly WorkerClient[] }>, now: number): LiveWorker[] {
  const workers = new Map<string, LiveWorker>();
  for (const { queue, clients } of byQueue) {
    for (const { name, address, ageSeconds } of clients) {
      const since = new Date(now - ageSeconds * 1000);
      const worker = workers.get(name);
      if (!worker) {
        workers.set(name, { name, address, since, queues: [queue], inFlight: undefined });
        continue;
      }
      if (!worker.queues.includes(queue)) worker.queues.push(queue);
      if (since < worker.since) worker.since = since;
    }
  }
  return [...workers.values()].sort((a, b) => a.name.localeCompare(b.name)).slice(0, MAX_LISTED_WORKERS);
}

/** Fills in each worker's published in-flight count (one GET each: the keys lie in different slots). */
export async function withInFlight(redis: RedisClient, keys: KeySchema, workers: LiveWorker[]): Promise<LiveWorker[]> {
  const counts = await Promise.all(workers.map(({ name }) => (WORKER_NAME.test(name) ? redis.get(keys.workerInFlight(name)) : null)));
  return workers.map((worker, index) => {
    const count = Number(counts[index] ?? NaN);
    return { ...worker, inFlight: Number.isSafeInteger(count) && count >= 0 ? count : undefined };
  });
}
