import type { KeySchema } from './keys.js';
import type { RedisClient } from './redis.js';

export type MessageStatus = 'queued' | 'processing' | 'completed' | 'failed';

/** One exchange as stored in an IP's history (and shown by the API). */
export interface HistoryEntry {
  id: string;
  message: string;
  sendTime: string;
  status: Extract<MessageStatus, 'completed' | 'failed'>;
  response?: string;
  error?: string;
  respondedAt: string;
}

export interface HistoryPolicy {
  maxEntries: number;
  ttlSeconds: number;
}

/**
 * Reads and erases per-IP message histories: capped, expiring lists that ExchangeRecorder
 * writes exactly once per message id.
 */
export class HistoryStore {
  constructor(
    private readonly redis: RedisClient,
    private readonly keys: KeySchema,
  ) {}

  /** Newest first. */
  async list(ip: string, limit: number): Promise<HistoryEntry[]> {
    const raw = await this.redis.lrange(this.keys.history(ip), 0, limit - 1);
    return raw.map((item) => JSON.parse(item) as HistoryEntry);
  }

  async find(ip: string, id: string): Promise<HistoryEntry | undefined> {
    const raw = await this.redis.lrange(this.keys.history(ip), 0, -1);
    // Quotes inside message text are escaped in JSON, so this marker only matches the id field.
    const marker = `"id":${JSON.stringify(id)}`;
    const match = raw.find((item) => item.includes(marker));
    return match === undefined ? undefined : (JSON.parse(match) as HistoryEntry);
  }

  /**
   * The entries written after message `id`, newest first, at most `limit`: what a stream that
   * saw `id` last has missed. Undefined when the IP's written-id guard does not know `id` (never
   * one of its messages, or too old to be remembered), found with one look-up; all `limit`
   * newest entries when `id` is remembered but has left the history.
   */
  async since(ip: string, id: string, limit: number): Promise<HistoryEntry[] | undefined> {
    // Its rank among the written ids, newest first: how many were written after it.
    const writtenAfter = await this.redis.zrevrank(this.keys.written(ip), id);
    if (writtenAfter === null) return undefined;
    const newest = await this.list(ip, Math.min(writtenAfter + 1, limit));
    const at = newest.findIndex((entry) => entry.id === id);
    if (at !== -1) return newest.slice(0, at);
    if (writtenAfter + 1 >= limit) return newest;
    // The written ids' order (workers' clocks, ties within a millisecond) disagrees with the
    // history's, or the history was erased since: look through all of it.
    const all = await this.list(ip, limit);
    const seen = all.findIndex((entry) => entry.id === id);
    return seen === -1 ? all : all.slice(0, seen);
  }

  /**
   * Whether the message was recorded in the IP's history, answered or failed (as long as the
   * written or the failed ids remember it). One round trip: both keys are in the IP's slot.
   */
  async isWritten(ip: string, id: string): Promise<boolean> {
    const replies = await this.redis.multi().zscore(this.keys.written(ip), id).zscore(this.keys.failedIds(ip), id).exec();
    if (!replies) throw new Error('isWritten: the transaction was discarded');
    return replies.some(([error, score]) => {
      if (error) throw error;
      return score !== null;
    });
  }

  /**
   * Removes the IP's history, and the rest of what erasable() names (one slot: one DEL). Its
   * written ids stay, until they expire (Retention.writtenIdsSeconds): a job run again later
   * (redelivered, retried from the dashboard) then finds its message written and writes
   * nothing back, counting nothing.
   */
  async erase(ip: string): Promise<void> {
    await this.redis.del(...this.keys.erasable(ip));
  }
}
