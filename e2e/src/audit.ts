import { createRedis, HistoryStore, KeySchema, queueName, queuePrefix, type RedisClient } from '@msgpipe/shared';
import { Timeouts, waitFor } from '@msgpipe/testkit';

/**
 * The count at the end of a fault test, read straight from Redis (no API needed, so it works
 * with the API stopped): every accepted message has exactly one history entry, completed, and
 * the queue holds nothing unfinished and nothing failed.
 */
export interface AuditResult {
  accepted: number;
  /** Accepted ids with no history entry. */
  missing: string[];
  /** Ids with more than one history entry. */
  duplicated: string[];
  /** Entries whose status is not `completed`. */
  notCompleted: Array<{ id: string; status: string }>;
  /**
   * Entries of messages the client never saw accepted: a request answered 503 (or cut off)
   * after Redis had in fact run the enqueue. Not lost, not duplicated; the client was told to retry.
   */
  unacknowledged: number;
  /**
   * Entries repeating the text of another entry of the same IP. The load driver sends every
   * message with a text of its own, so each is one message enqueued twice (a client's retry
   * of a message the API had in fact taken, under a new id).
   */
  repeatedTexts: number;
  queue: QueueDepths;
}

export interface QueueDepths {
  waiting: number;
  active: number;
  delayed: number;
  failed: number;
}

export class Auditor {
  readonly #redis: RedisClient;
  readonly #history: HistoryStore;
  readonly #queueKey: (type: string) => string;

  /** `historyMaxEntries`: the HISTORY_MAX_ENTRIES the workers run with (must exceed any IP's share). */
  constructor(
    redisUrl: string,
    prefix: string,
    private readonly historyMaxEntries: number,
  ) {
    // The worker role waits out a Redis restart instead of failing the audit's first read.
    this.#redis = createRedis({ url: redisUrl, clusterNodes: undefined, prefix }, 'worker', 'fault-audit');
    this.#redis.on('error', () => {}); // outages are the point of these tests
    this.#history = new HistoryStore(this.#redis, new KeySchema(prefix));
    const base = `${queuePrefix(prefix, 0)}:${queueName(0)}`;
    this.#queueKey = (type) => `${base}:${type}`;
  }

  get redis(): RedisClient {
    return this.#redis;
  }

  async queueDepths(): Promise<QueueDepths> {
    const [waiting, paused, prioritized, active, delayed, failed] = await Promise.all([
      this.#redis.llen(this.#queueKey('wait')),
      this.#redis.llen(this.#queueKey('paused')),
      this.#redis.zcard(this.#queueKey('prioritized')),
      this.#redis.llen(this.#queueKey('active')),
      this.#redis.zcard(this.#queueKey('delayed')),
      this.#redis.zcard(this.#queueKey('failed')),
    ]);
    return { waiting: waiting + paused + prioritized, active, delayed, failed };
  }

  /** Ids of the jobs in the active list, with the token of the worker holding each lock (undefined: lock gone). */
  async activeJobs(): Promise<Map<string, string | undefined>> {
    const ids = await this.#redis.lrange(this.#queueKey('active'), 0, -1);
    const tokens = ids.length === 0 ? [] : await this.#redis.mget(...ids.map((id) => this.#queueKey(`${id}:lock`)));
    return new Map(ids.map((id, index) => [id, tokens[index] ?? undefined]));
  }

  async audit(accepted: Map<string, readonly string[]>): Promise<AuditResult> {
    const result: AuditResult = { accepted: 0, missing: [], duplicated: [], notCompleted: [], unacknowledged: 0, repeatedTexts: 0, queue: await this.queueDepths() };
    for (const [ip, ids] of accepted) {
      result.accepted += ids.length;
      const entries = await this.#history.list(ip, this.historyMaxEntries);
      if (entries.length >= this.historyMaxEntries) throw new Error(`${ip}'s history is full (${entries.length}): raise HISTORY_MAX_ENTRIES or spread the load`);
      const seen = new Map<string, number>();
      const texts = new Set<string>();
      for (const entry of entries) {
        if (texts.has(entry.message)) result.repeatedTexts++;
        texts.add(entry.message);
        seen.set(entry.id, (seen.get(entry.id) ?? 0) + 1);
        if (entry.status !== 'completed') result.notCompleted.push({ id: entry.id, status: entry.status });
      }
      const expected = new Set(ids);
      for (const id of ids) if (!seen.has(id)) result.missing.push(id);
      for (const [id, count] of seen) {
        if (count > 1) result.duplicated.push(id);
        if (!expected.has(id)) result.unacknowledged++;
      }
    }
    return result;
  }

  /** Waits (bounded) until every accepted message is in its history and the queue is idle, then audits. */
  async auditWhenDrained(accepted: Map<string, readonly string[]>, timeoutMs = Timeouts.drain): Promise<AuditResult> {
    let last: AuditResult | undefined;
    try {
      return await waitFor(
        'every accepted message answered and the queue idle',
        async () => {
          last = await this.audit(accepted);
          const { waiting, active, delayed } = last.queue;
          return last.missing.length === 0 && waiting + active + delayed === 0 && last;
        },
        { timeoutMs, intervalMs: 200 },
      );
    } catch (error) {
      const summary = last && { ...last, missing: `${last.missing.length} (e.g. ${last.missing.slice(0, 3).join(', ')})` };
      throw new Error(`${(error as Error).message}; last audit: ${JSON.stringify(summary)}`);
    }
  }

  close(): void {
    this.#redis.disconnect();
  }
}
