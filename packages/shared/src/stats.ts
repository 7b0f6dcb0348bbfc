import type { KeySchema } from './keys.js';
import type { RedisClient } from './redis.js';
import { lastDays, lastMinutes, retainedDays, utcDay } from './stats-time.js';

export interface Sender {
  ip: string;
  count: number;
}

/** The counters and leaderboards, as `GET /v1/stats` shows them (the queue part aside). */
export interface StatsSnapshot {
  totalMessages: number;
  messagesToday: number;
  uniqueIpsToday: number;
  onlineNow: number;
  topSenders: Sender[];
  topSendersToday: Sender[];
}

export interface MinuteCount {
  /** UTC minute, `2026-11-21T10:05`. */
  minute: string;
  count: number;
}

export interface DayCount {
  /** UTC day, `2026-11-21`. */
  day: string;
  count: number;
}

type Reply = [error: Error | null, result: unknown];

function resultOf(replies: Reply[] | null, index: number): unknown {
  const reply = replies?.[index];
  if (!reply) throw new Error('stats transaction returned no reply');
  if (reply[0]) throw reply[0];
  return reply[1];
}

/** ZREVRANGE … WITHSCORES → senders, highest first. */
function senders(flat: unknown): Sender[] {
  const items = flat as string[];
  const result: Sender[] = [];
  for (let index = 0; index < items.length; index += 2) result.push({ ip: items[index]!, count: Number(items[index + 1]) });
  return result;
}

/**
 * Reads the counters the worker keeps (see ExchangeRecorder) and forgets an IP in them. Every
 * key lives in the `{stats}` slot, so each method is one round trip and one atomic step.
 */
export class StatsStore {
  constructor(
    private readonly redis: RedisClient,
    private readonly keys: KeySchema,
    private readonly policy: { onlineWindowSeconds: number },
  ) {}

  /** Totals, today's figures (UTC) and the top `top` senders, all time and today. */
  async read(top: number, now = Date.now()): Promise<StatsSnapshot> {
    const { keys } = this;
    const today = utcDay(now);
    const replies = (await this.redis
      .multi()
      .get(keys.totalMessages())
      .get(keys.messagesIn(today))
      .pfcount(keys.uniqueIps(today))
      // Pruned as it is read as well as written: an idle system still shows nobody online.
      .zremrangebyscore(keys.online(), '-inf', `(${now - this.policy.onlineWindowSeconds * 1000}`)
      .zcard(keys.online())
      .zrevrange(keys.senders(), 0, top - 1, 'WITHSCORES')
      .zrevrange(keys.senders(today), 0, top - 1, 'WITHSCORES')
      .exec()) as Reply[] | null;
    return {
      totalMessages: Number(resultOf(replies, 0) ?? 0),
      messagesToday: Number(resultOf(replies, 1) ?? 0),
      uniqueIpsToday: Number(resultOf(replies, 2)),
      onlineNow: Number(resultOf(replies, 4)),
      topSenders: senders(resultOf(replies, 5)),
      topSendersToday: senders(resultOf(replies, 6)),
    };
  }

  /** Messages sent in each of the last `minutes` minutes (the current one included), oldest first. */
  async messagesPerMinute(minutes: number, now = Date.now()): Promise<MinuteCount[]> {
    const buckets = lastMinutes(now, minutes);
    const counts = await this.redis.mget(...buckets.map((minute) => this.keys.messagesIn(minute)));
    return buckets.map((minute, index) => ({ minute, count: Number(counts[index] ?? 0) }));
  }

  /** Messages sent on each of the last `days` UTC days (today included), oldest first; at most Retention.statsDays are kept. */
  async messagesPerDay(days: number, now = Date.now()): Promise<DayCount[]> {
    const buckets = lastDays(now, days);
    const counts = await this.redis.mget(...buckets.map((day) => this.keys.messagesIn(day)));
    return buckets.map((day, index) => ({ day, count: Number(counts[index] ?? 0) }));
  }

  /**
   * Removes an IP from the leaderboards (every retained day) and the online set. Counts of
   * messages and of unique IPs stay: they are about messages, and a HyperLogLog cannot forget.
   */
  async forget(ip: string, now = Date.now()): Promise<void> {
    const transaction = this.redis.multi().zrem(this.keys.senders(), ip).zrem(this.keys.online(), ip);
    for (const day of retainedDays(now)) transaction.zrem(this.keys.senders(day), ip);
    const replies = (await transaction.exec()) as Reply[] | null;
    replies?.forEach((_, index) => resultOf(replies, index));
  }
}
