import type { HistoryEntry, KeySchema, RedisClient } from '@msgpipe/shared';

type Listener = (entry: HistoryEntry) => void;

/**
 * The finished messages of the IPs that have a `/v1/stream` open, from the workers' pub/sub
 * channels: one subscriber connection per API process, subscribed to an IP's channel while at
 * least one of its streams is open, fanned out in memory.
 */
export class CompletionStream {
  readonly #listeners = new Map<string, Set<Listener>>();
  readonly #ending = new AbortController();
  /** Aborted when the process shuts down: open streams end, so the server can drain. */
  readonly ending: AbortSignal = this.#ending.signal;

  /** `subscriber`: a connection of its own; it turns into subscriber mode. */
  constructor(
    private readonly subscriber: RedisClient,
    private readonly keys: KeySchema,
  ) {
    subscriber.on('message', (channel: string, payload: string) => {
      const listeners = this.#listeners.get(channel);
      if (!listeners) return;
      const entry = JSON.parse(payload) as HistoryEntry;
      for (const listener of listeners) listener(entry);
    });
  }

  get ready(): boolean {
    return this.subscriber.status === 'ready';
  }

  /** Resolves once the IP's channel is subscribed; the returned function unsubscribes. */
  async subscribe(ip: string, listener: Listener): Promise<() => Promise<void>> {
    const channel = this.keys.completions(ip);
    let listeners = this.#listeners.get(channel);
    if (!listeners) {
      listeners = new Set();
      this.#listeners.set(channel, listeners);
    }
    listeners.add(listener);
    try {
      await this.subscriber.subscribe(channel);
    } catch (error) {
      await this.#remove(channel, listener);
      throw error;
    }
    return () => this.#remove(channel, listener);
  }

  async #remove(channel: string, listener: Listener): Promise<void> {
    const listeners = this.#listeners.get(channel);
    if (!listeners?.delete(listener) || listeners.size > 0) return;
    this.#listeners.delete(channel);
    await this.subscriber.unsubscribe(channel).catch(() => {}); // gone with the connection anyway
  }

  /** Ends every open stream (clients reconnect elsewhere with Last-Event-ID). */
  endStreams(): void {
    this.#ending.abort();
  }

  async close(): Promise<void> {
    this.endStreams();
    this.#listeners.clear();
    this.subscriber.disconnect();
  }
}
