import type { HistoryEntry, HistoryPolicy } from './history.js';
import type { KeySchema } from './keys.js';
import { LuaScript } from './lua-script.js';
import type { RedisClient } from './redis.js';
import { Retention } from './retention.js';
import { dayExpiresAt, minuteExpiresAt, utcDay, utcMinute } from './stats-time.js';

export interface RecorderPolicy {
  history: HistoryPolicy;
  onlineWindowSeconds: number;
  /** Senders kept per leaderboard; default Retention.leaderboardSize. */
  leaderboardSize?: number;
}

const recordExchange = LuaScript.load(new URL('../lua/record-exchange.lua', import.meta.url));
const recordHistory = LuaScript.load(new URL('../lua/record-history.lua', import.meta.url));
const countMessageOnce = LuaScript.load(new URL('../lua/count-message-once.lua', import.meta.url));

/** How long a counting mark left by a worker that died mid-record still guards a retry. */
const COUNTING_MARK_MS = 7 * 24 * 60 * 60 * 1000;

/**
 * The worker's one write per finished message: the entry goes to the sender's history (and is
 * published on the IP's completions channel, for live streams) and the message is counted (totals, per-day and per-minute counts, leaderboards, online set, unique
 * IPs), exactly once per message id. A retried or redelivered job records again and changes
 * nothing.
 *
 * On a single Redis that is one atomic script. On Redis Cluster the IP's keys and the `{stats}`
 * keys live in different slots, so it takes four steps, each atomic in one slot:
 *   1. IP slot: write the entry unless written before; a new id is marked "uncounted".
 *   2. stats slot: if the id is still uncounted, count it unless the counting set has it.
 *   3. IP slot: clear the uncounted mark.   4. stats slot: drop the id from the counting set.
 * A worker that dies between any two steps leaves a state the retry completes without counting
 * twice; the history part is atomic in every case.
 */
export class ExchangeRecorder {
  constructor(
    private readonly redis: RedisClient,
    private readonly keys: KeySchema,
    private readonly policy: RecorderPolicy,
  ) {}

  /** True when this call wrote the entry, false when the message had been recorded before. */
  async record(ip: string, entry: HistoryEntry, now = Date.now()): Promise<boolean> {
    const history = [entry.id, JSON.stringify(entry), this.policy.history.maxEntries, this.policy.history.ttlSeconds, now, Retention.writtenIdsPerIp];
    const stats = this.#statsArguments(ip, entry, now);
    const channel = this.keys.completions(ip);
    if (!this.redis.isCluster) {
      const written = await recordExchange.run(
        this.redis,
        [this.keys.history(ip), this.keys.written(ip), ...stats.keys],
        [...history, ...stats.args, channel],
      );
      return written === 1;
    }

    const [written, toCount] = (await recordHistory.run(
      this.redis,
      [this.keys.history(ip), this.keys.written(ip), this.keys.uncounted(ip)],
      [...history, channel],
    )) as [number, number];
    if (toCount === 1) {
      await countMessageOnce.run(this.redis, [this.keys.counting(), ...stats.keys], [entry.id, now, COUNTING_MARK_MS, ...stats.args]);
      await this.redis.srem(this.keys.uncounted(ip), entry.id);
      await this.redis.zrem(this.keys.counting(), entry.id);
    }
    return written === 1;
  }

  #statsArguments(ip: string, entry: HistoryEntry, now: number) {
    const { keys, policy } = this;
    const sentAt = Date.parse(entry.sendTime);
    const day = utcDay(sentAt);
    return {
      keys: [
        keys.totalMessages(),
        keys.messagesIn(day),
        keys.messagesIn(utcMinute(sentAt)),
        keys.senders(),
        keys.senders(day),
        keys.online(),
        keys.uniqueIps(day),
      ],
      args: [
        ip,
        sentAt,
        dayExpiresAt(sentAt),
        minuteExpiresAt(sentAt),
        now - policy.onlineWindowSeconds * 1000,
        policy.onlineWindowSeconds,
        policy.leaderboardSize ?? Retention.leaderboardSize,
      ],
    };
  }
}
