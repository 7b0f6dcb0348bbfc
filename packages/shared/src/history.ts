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

  /** Whether the message was recorded in the IP's history (as long as the written-id guard remembers it). */
  async isWritten(ip: string, id: string): Promise<boolean> {
    return (await this.redis.zscore(this.keys.written(ip), id)) !== null;
  }

  /** Removes the IP's history and its written-id guard (all in one slot: one DEL). */
  async erase(ip: string): Promise<void> {
    await this.redis.del(...this.keys.erasable(ip));
  }
}
