import { groupBySlot } from './hash-slot.js';
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

/** One finished message to record: the entry and the IP that sent it. */
export interface ExchangeToRecord {
  ip: string;
  entry: HistoryEntry;
}

const recordExchanges = LuaScript.load(new URL('../lua/record-exchanges.lua', import.meta.url));
const recordHistory = LuaScript.load(new URL('../lua/record-history.lua', import.meta.url));
const countMessageOnce = LuaScript.load(new URL('../lua/count-message-once.lua', import.meta.url));

/** A script's answer for a message it left as it was (1: written, 2: its failed entry replaced). */
const NOTHING_WRITTEN = 0;

/** How long a counting mark left by a worker that died mid-record still guards a retry. */
const COUNTING_MARK_MS = 7 * 24 * 60 * 60 * 1000;

/** An item with what its keys and arguments are computed from. */
interface Prepared extends ExchangeToRecord {
  json: string;
  sentAt: number;
}

/**
 * The worker's one write per finished message: the entry goes to the sender's history (and is
 * published on the IP's completions channel, for live streams) and the message is counted
 * (totals, per-day and per-minute counts, leaderboards, online set, unique IPs), exactly once
 * per message id. A retried or redelivered job records again and changes nothing. recordMany
 * writes many messages in as few script calls as the topology allows, so a busy worker pays a
 * round trip and a script start per flush of messages rather than per message.
 *
 * On a single Redis that is one atomic script for all of them. On Redis Cluster the IPs' keys
 * and the `{stats}` keys live in different slots, so it takes four steps, each atomic in one slot:
 *   1. per IP slot, one call for the messages whose IPs hash there: write each entry unless
 *      written before (an answer replaces a failed entry once); a new id is marked "uncounted"
 *      in its IP's keys.
 *   2. stats slot, one call: count each id that step 1 found uncounted, unless the counting set
 *      has it; it joins that set either way.
 *   3. per IP: clear the uncounted marks.   4. stats slot, one call: drop the ids from the set.
 * Each call is atomic, so a worker that dies mid-record leaves every message of it between two
 * steps, a state the retry completes without counting twice; the history part is atomic in
 * every case. Step 4 waits for every call of step 3: an id that left the counting set while
 * still marked uncounted would be counted again by its retry.
 */
export class ExchangeRecorder {
  constructor(
    private readonly redis: RedisClient,
    private readonly keys: KeySchema,
    private readonly policy: RecorderPolicy,
  ) {}

  /**
   * Whether the message's record is complete: its entry written (answered or failed) and, on a
   * cluster, counted too. A worker that died between the cluster's steps leaves a message
   * written but marked uncounted; recording it again writes nothing and completes the count.
   */
  async isRecorded(ip: string, id: string): Promise<boolean> {
    const [written, failed, uncounted] = await Promise.all([
      this.redis.zscore(this.keys.written(ip), id),
      // A failed id outlives the written ids that newer answers push out (Retention.failedIdsPerIp).
      this.redis.zscore(this.keys.failedIds(ip), id),
      this.redis.isCluster ? this.redis.sismember(this.keys.uncounted(ip), id) : 0,
    ]);
    return (written !== null || failed !== null) && uncounted === 0;
  }

  /**
   * True when this call wrote the entry, false when the message had been recorded before. A
   * message recorded failed is the exception, once: its answer (a retry that succeeded)
   * replaces the failed entry, is published and returns true, and is not counted again.
   */
  async record(ip: string, entry: HistoryEntry, now = Date.now()): Promise<boolean> {
    const [written] = await this.recordMany([{ ip, entry }], now);
    return written === true;
  }

  /**
   * Records every item; answers, in order, true for each this call wrote and false for each
   * recorded before (an id twice in `items` is written by its first item only), as record().
   */
  async recordMany(items: readonly ExchangeToRecord[], now = Date.now()): Promise<boolean[]> {
    if (items.length === 0) return [];
    const prepared = items.map((item) => ({ ...item, json: JSON.stringify(item.entry), sentAt: Date.parse(item.entry.sendTime) }));
    return this.redis.isCluster ? this.#recordOnCluster(prepared, now) : this.#recordInOneScript(prepared, now);
  }

  async #recordInOneScript(items: readonly Prepared[], now: number): Promise<boolean[]> {
    const keys = items.flatMap((item) => [this.keys.history(item.ip), this.keys.written(item.ip), this.keys.failedIds(item.ip), ...this.#statsKeys(item)]);
    const args = [
      ...this.#historyArguments(now),
      ...this.#sharedStatsArguments(now),
      ...items.flatMap((item) => [...this.#historyItemArguments(item), ...this.#messageStatsArguments(item)]),
    ];
    const written = (await recordExchanges.run(this.redis, keys, args)) as number[];
    return written.map((reply) => reply !== NOTHING_WRITTEN);
  }

  async #recordOnCluster(items: readonly Prepared[], now: number): Promise<boolean[]> {
    const written = items.map(() => false);
    const uncounted = items.map(() => false);
    // Step 1: the groups' slots differ, so their calls are independent.
    await Promise.all(
      groupBySlot(items, (item) => this.keys.history(item.ip)).map(async (group) => {
        const keys = group.flatMap((index) => this.#ipKeys(items[index]!));
        const args = [...this.#historyArguments(now), ...group.flatMap((index) => this.#historyItemArguments(items[index]!))];
        const replies = (await recordHistory.run(this.redis, keys, args)) as Array<[number, number]>;
        group.forEach((index, n) => {
          written[index] = replies[n]![0] !== NOTHING_WRITTEN;
          uncounted[index] = replies[n]![1] === 1;
        });
      }),
    );
    const toCount = items.filter((_, index) => uncounted[index]);
    if (toCount.length === 0) return written;

    // Step 2: the counting set is keyed by id, so each id goes once.
    const byId = new Map(toCount.map((item) => [item.entry.id, item]));
    await countMessageOnce.run(
      this.redis,
      [this.keys.counting(), ...[...byId.values()].flatMap((item) => this.#statsKeys(item))],
      [now, COUNTING_MARK_MS, ...this.#sharedStatsArguments(now), ...[...byId.values()].flatMap((item) => [item.entry.id, ...this.#messageStatsArguments(item)])],
    );
    // Step 3: one SREM per IP (IPs that share a slot still have sets of their own).
    const idsByMark = new Map<string, string[]>();
    for (const item of toCount) {
      const key = this.keys.uncounted(item.ip);
      const ids = idsByMark.get(key);
      if (ids) ids.push(item.entry.id);
      else idsByMark.set(key, [item.entry.id]);
    }
    await Promise.all([...idsByMark].map(([key, ids]) => this.redis.srem(key, ...ids)));
    // Step 4, only once every mark of step 3 is gone (see the class comment).
    await this.redis.zrem(this.keys.counting(), ...byId.keys());
    return written;
  }

  #ipKeys({ ip }: Prepared): string[] {
    return [this.keys.history(ip), this.keys.written(ip), this.keys.failedIds(ip), this.keys.uncounted(ip)];
  }

  /** The history part's values every message of a call shares (append-history.lua's). */
  #historyArguments(now: number): number[] {
    const { maxEntries, ttlSeconds } = this.policy.history;
    return [maxEntries, ttlSeconds, now, Retention.writtenIdsPerIp, Math.max(ttlSeconds, Retention.writtenIdsSeconds), Retention.failedIdsPerIp];
  }

  #historyItemArguments({ ip, entry, json }: Prepared): Array<string | number> {
    return [entry.id, json, this.keys.completions(ip), entry.status === 'failed' ? 1 : 0];
  }

  #statsKeys({ sentAt }: Prepared): string[] {
    const { keys } = this;
    const day = utcDay(sentAt);
    return [
      keys.totalMessages(),
      keys.messagesIn(day),
      keys.messagesIn(utcMinute(sentAt)),
      keys.senders(),
      keys.senders(day),
      keys.online(),
      keys.uniqueIps(day),
    ];
  }

  /** Each message's values for the count (countMessageAt's messageArgAt). */
  #messageStatsArguments({ ip, sentAt }: Prepared): Array<string | number> {
    return [ip, sentAt, dayExpiresAt(sentAt), minuteExpiresAt(sentAt)];
  }

  /** The count's values every message of a call shares (countMessageAt's sharedArgAt). */
  #sharedStatsArguments(now: number): number[] {
    const { onlineWindowSeconds, leaderboardSize = Retention.leaderboardSize } = this.policy;
    return [now - onlineWindowSeconds * 1000, onlineWindowSeconds, leaderboardSize];
  }
}
