import { createRedis, HistoryStore, isBatchJob, KeySchema, queueName, queuePrefix, type MessageJobData, type RedisClient } from '@msgpipe/shared';
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

/** A job in one of a queue's lists, and the ids of the messages it carries (more than 1: a batch). */
export interface ListedJob {
  id: string;
  partition: number;
  messages: string[];
  /** The worker that took it (BullMQ's `processedBy`: the process's `host:pid`), once taken. */
  processedBy: string | undefined;
}

export interface AuditorOptions {
  /** REDIS_CLUSTER_NODES (`host:port,…`): audit a Redis Cluster, `redisUrl` then giving only credentials. */
  clusterNodes?: string;
  /** QUEUE_PARTITIONS: the queues to look in. Default 1. */
  partitions?: number;
}

export class Auditor {
  readonly #redis: RedisClient;
  readonly #keys: KeySchema;
  readonly #history: HistoryStore;
  /** Per partition: a key of its queue. A partition's keys share one slot, so one call may take several. */
  readonly #queueKeys: Array<(type: string) => string>;

  /** `historyMaxEntries`: the HISTORY_MAX_ENTRIES the workers run with (must exceed any IP's share). */
  constructor(
    redisUrl: string,
    prefix: string,
    private readonly historyMaxEntries: number,
    { clusterNodes, partitions = 1 }: AuditorOptions = {},
  ) {
    const nodes = clusterNodes?.split(',').map((node) => {
      const [host = '', port = ''] = node.split(':');
      return { host, port: Number(port) };
    });
    // The worker role waits out a Redis restart instead of failing the audit's first read.
    this.#redis = createRedis({ url: redisUrl, clusterNodes: nodes, prefix }, 'worker', 'fault-audit');
    this.#redis.on('error', () => {}); // outages are the point of these tests
    this.#keys = new KeySchema(prefix);
    this.#history = new HistoryStore(this.#redis, this.#keys);
    this.#queueKeys = Array.from({ length: partitions }, (_, partition) => {
      const base = `${queuePrefix(prefix, partition)}:${queueName(partition)}`;
      return (type: string) => `${base}:${type}`;
    });
  }

  get redis(): RedisClient {
    return this.#redis;
  }

  /** Jobs by state, summed over the partitions. */
  async queueDepths(): Promise<QueueDepths> {
    const depths = await Promise.all(
      this.#queueKeys.map(async (key) => {
        const [waiting, paused, prioritized, active, delayed, failed] = await Promise.all([
          this.#redis.llen(key('wait')),
          this.#redis.llen(key('paused')),
          this.#redis.zcard(key('prioritized')),
          this.#redis.llen(key('active')),
          this.#redis.zcard(key('delayed')),
          this.#redis.zcard(key('failed')),
        ]);
        return { waiting: waiting + paused + prioritized, active, delayed, failed };
      }),
    );
    return depths.reduce((sum, depth) => ({
      waiting: sum.waiting + depth.waiting,
      active: sum.active + depth.active,
      delayed: sum.delayed + depth.delayed,
      failed: sum.failed + depth.failed,
    }));
  }

  /** Ids of the jobs in the active lists, with the token of the worker holding each lock (undefined: lock gone). */
  async activeJobs(): Promise<Map<string, string | undefined>> {
    const active = new Map<string, string | undefined>();
    for (const key of this.#queueKeys) {
      const ids = await this.#redis.lrange(key('active'), 0, -1);
      const tokens = ids.length === 0 ? [] : await this.#redis.mget(...ids.map((id) => key(`${id}:lock`)));
      ids.forEach((id, index) => active.set(id, tokens[index] ?? undefined));
    }
    return active;
  }

  /** The jobs in every partition's `wait` or `active` list, with the messages each carries. */
  async jobsIn(list: 'wait' | 'active'): Promise<ListedJob[]> {
    const jobs: ListedJob[] = [];
    for (const [partition, key] of this.#queueKeys.entries()) {
      const ids = await this.#redis.lrange(key(list), 0, -1);
      const fields = await Promise.all(ids.map((id) => this.#redis.hmget(key(id), 'data', 'pb')));
      ids.forEach((id, index) => {
        const [data, processedBy] = fields[index]!;
        // A job finished and removed since the list was read carries nothing to count.
        if (!data) return;
        const parsed = JSON.parse(data) as MessageJobData;
        const messages = isBatchJob(parsed) ? parsed.messages.map((message) => message.id) : [parsed.id];
        jobs.push({ id, partition, messages, processedBy: processedBy ?? undefined });
      });
    }
    return jobs;
  }

  /** How often each job was found stalled (its worker gone) and handed on: BullMQ's `stc` field; 0 once removed. */
  async timesStalled(jobs: readonly ListedJob[]): Promise<number[]> {
    return Promise.all(jobs.map(async ({ id, partition }) => Number((await this.#redis.hget(this.#queueKeys[partition]!(id), 'stc')) ?? 0)));
  }

  /** Each IP's message count on the all-time leaderboard (0 if absent): for more IPs than `/v1/stats` lists. */
  async senderCounts(ips: readonly string[]): Promise<Map<string, number>> {
    const scores = ips.length === 0 ? [] : await this.#redis.zmscore(this.#keys.senders(), ...ips);
    return new Map(ips.map((ip, index) => [ip, Number(scores[index] ?? 0)]));
  }

  /**
   * Ids written to these IPs' histories but still marked not yet counted (Redis Cluster): none
   * once every record has finished, a retry's included. (Ids a killed worker left in the
   * `{stats}` counting set are another matter: by design they stay, harmless, for 7 days.)
   */
  async uncountedMarks(ips: readonly string[]): Promise<number> {
    const sizes = await Promise.all(ips.map((ip) => this.#redis.scard(this.#keys.uncounted(ip))));
    return sizes.reduce((sum, size) => sum + size, 0);
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
