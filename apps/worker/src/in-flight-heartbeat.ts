import { Retention, type KeySchema, type RedisClient } from '@msgpipe/shared';
import type { InFlightMessages } from './in-flight.js';

/** How long a stop waits for the count's removal. */
const GOODBYE_GRACE_MS = 1000;

/**
 * Publishes this process's in-flight count for the ops page (KeySchema.workerInFlight), every
 * Retention.workerInFlightRefreshSeconds, with a TTL of a few refreshes: a process that dies
 * without a goodbye drops off by itself. One SET per refresh, nothing per message.
 */
export class InFlightHeartbeat {
  readonly #timer: NodeJS.Timeout;
  readonly #key: string;
  #pending: Promise<unknown> | undefined;

  constructor(
    private readonly redis: RedisClient,
    keys: KeySchema,
    workerName: string,
    private readonly inFlight: InFlightMessages,
  ) {
    this.#key = keys.workerInFlight(workerName);
    this.#beat();
    this.#timer = setInterval(() => this.#beat(), Retention.workerInFlightRefreshSeconds * 1000).unref();
  }

  #beat(): void {
    // A Redis that does not answer gets one SET at a time, not a queue of them.
    if (this.#pending) return;
    this.#pending = this.redis
      .set(this.#key, String(this.inFlight.count), 'PX', Retention.workerInFlightSeconds * 1000)
      .catch(() => undefined) // the connection's owner logs its errors; the next refresh tries again
      .finally(() => (this.#pending = undefined));
  }

  /**
   * Stops refreshing and removes the count, so a stopped process leaves the page at once. Only
   * on a live connection and for a moment: a stop during an outage must not wait for Redis.
   */
  async stop(): Promise<void> {
    clearInterval(this.#timer);
    if (this.redis.status !== 'ready') return;
    const grace = new Promise<void>((resolve) => setTimeout(resolve, GOODBYE_GRACE_MS).unref());
    await Promise.race([this.redis.del(this.#key).catch(() => undefined), grace]);
  }
}
