import { queueName, queuePrefix, type RedisClient } from '@msgpipe/shared';
import { QueueEvents } from 'bullmq';

export type Outcome = 'completed' | 'failed';

/**
 * `POST /v1/messages?wait=MS`: one QueueEvents listener per queue partition for the whole API
 * process (not a connection per request), fanned out to the requests waiting on a job id.
 */
export class MessageWaiters {
  readonly #listeners: QueueEvents[];
  readonly #waiting = new Map<string, Set<(outcome: Outcome) => void>>();

  /** `connection`: a worker-role connection of its own (QueueEvents blocks on it). */
  constructor(connection: RedisClient, redisPrefix: string, partitions: number) {
    this.#listeners = Array.from({ length: partitions }, (_, partition) => {
      const events = new QueueEvents(queueName(partition), { connection, prefix: queuePrefix(redisPrefix, partition) });
      events.on('completed', ({ jobId }) => this.#settle(jobId, 'completed'));
      // Emitted once the job is failed for good; attempts that will be retried are not failures yet.
      events.on('failed', ({ jobId }) => this.#settle(jobId, 'failed'));
      events.on('error', () => {}); // the connection reconnects by itself; a waiter times out meanwhile
      return events;
    });
  }

  async ready(): Promise<void> {
    await Promise.all(this.#listeners.map((events) => events.waitUntilReady()));
  }

  /**
   * Registers interest in a job before it is enqueued (so its end cannot be missed), and
   * returns how it ended, or undefined when `ms` passed first. Call `cancel` if the enqueue fails.
   */
  expect(id: string, ms: number): { outcome: Promise<Outcome | undefined>; cancel(): void } {
    let settle!: (outcome: Outcome | undefined) => void;
    const outcome = new Promise<Outcome | undefined>((resolve) => (settle = resolve));
    const listener = (value: Outcome) => finish(value);
    const timer = setTimeout(() => finish(undefined), ms);
    const finish = (value: Outcome | undefined) => {
      clearTimeout(timer);
      const listeners = this.#waiting.get(id);
      listeners?.delete(listener);
      if (listeners?.size === 0) this.#waiting.delete(id);
      settle(value);
    };
    const listeners = this.#waiting.get(id) ?? new Set();
    listeners.add(listener);
    this.#waiting.set(id, listeners);
    return { outcome, cancel: () => finish(undefined) };
  }

  #settle(id: string, outcome: Outcome): void {
    for (const listener of [...(this.#waiting.get(id) ?? [])]) listener(outcome);
  }

  async close(): Promise<void> {
    await Promise.all(this.#listeners.map((events) => events.close()));
  }
}
