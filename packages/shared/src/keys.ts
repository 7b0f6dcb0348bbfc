import { DEFAULT_IPV6_RATE_LIMIT_PREFIX, ipKeySegment, rateLimitSubject } from './ip.js';

/**
 * The one place that knows every key name msgpipe writes.
 *
 * Per-IP keys carry the IP in a hash tag (`{…}`), so on Redis Cluster all of one IP's keys
 * share a slot and the worker's per-IP write stays a single atomic script. IPv6 colons are
 * written as `-` so they never split a key segment.
 *
 * The global aggregates (counters, leaderboards, online set, unique IPs) all carry the
 * `{stats}` tag: one slot, so updating or reading them is one atomic step on a cluster too.
 * Days and minutes are UTC, as `2026-11-21` and `2026-11-21T10:05`.
 */
export interface KeySchemaOptions {
  /** The IPv6 network a per-IP limit counts (RATE_LIMIT_IPV6_PREFIX); 64 by default. */
  ipv6RateLimitPrefix?: number;
}

export class KeySchema {
  readonly #ipv6RateLimitPrefix: number;

  constructor(
    readonly prefix: string,
    { ipv6RateLimitPrefix = DEFAULT_IPV6_RATE_LIMIT_PREFIX }: KeySchemaOptions = {},
  ) {
    this.#ipv6RateLimitPrefix = ipv6RateLimitPrefix;
  }

  /** LIST of JSON history entries, newest first. */
  history(ip: string): string {
    return `${this.#ip(ip)}:history`;
  }

  /** ZSET of message ids already written to the history (score: write time, ms). */
  written(ip: string): string {
    return `${this.#ip(ip)}:written`;
  }

  /**
   * ZSET of the ids written to the history as `failed` (score: write time): the entries an
   * answer may still replace, once, when the message is retried (e.g. from the dashboard).
   */
  failedIds(ip: string): string {
    return `${this.#ip(ip)}:failed`;
  }

  /** SET (Redis Cluster only): ids written to the history but not yet counted in the stats. */
  uncounted(ip: string): string {
    return `${this.#ip(ip)}:uncounted`;
  }

  /** STRING: an Idempotency-Key's message (key text hashed: clients choose it). */
  idempotency(ip: string, keyHash: string): string {
    return `${this.#ip(ip)}:idem:${keyHash}`;
  }

  /** STRING: GCRA theoretical arrival time of the IP (IPv6: of its network, a /64 by default). */
  rateLimit(ip: string): string {
    return `${this.prefix}:rate:{${this.#rateSubject(ip)}}`;
  }

  /** STRING: GCRA theoretical arrival time of the client's reads (READ_RATE_LIMIT_PER_MINUTE). */
  readRateLimit(ip: string): string {
    return `${this.prefix}:reads:{${this.#rateSubject(ip)}}`;
  }

  /** ZSET: the client's open `/v1/stream` connections over every API process, lease id → lease end (ms). */
  streamLeases(ip: string): string {
    return `${this.prefix}:streams:{${this.#rateSubject(ip)}}`;
  }

  /**
   * STRING: failed admin authentications of the IP (IPv6: of its /64) in the minute that
   * began with the first of them; it expires with that minute. Not erasable by the IP.
   */
  adminAuthFailures(ip: string): string {
    return `${this.prefix}:admin-auth-failures:{${this.#rateSubject(ip)}}`;
  }

  /** Pub/sub channel (not a key): the IP's finished messages, as history entry JSON. */
  completions(ip: string): string {
    return `${this.#ip(ip)}:completed`;
  }

  /**
   * STRING: a cached response to one message text (sha256 hex of responder kind + text) that
   * its upstream marked shareable (Cache-Control: public), for any sender of that text.
   */
  responseCache(textHash: string): string {
    return `${this.prefix}:cache:${textHash}`;
  }

  /** HASH text hash → cached response (JSON, with its expiry): answers meant for this IP only. */
  responseCacheOf(ip: string): string {
    return `${this.#ip(ip)}:cache`;
  }

  /** STRING: when the next responder call may start (ms), under RESPONDER_MAX_PER_SECOND. */
  responderPace(): string {
    return `${this.prefix}:responder:pace`;
  }

  /**
   * STRING: the messages a worker process has in flight (a batch job counts its messages),
   * rewritten every few seconds while it runs; it expires soon after the process stops.
   * `workerName` is the name the process gives its BullMQ workers (host:pid).
   */
  workerInFlight(workerName: string): string {
    return `${this.prefix}:worker:${workerName}:in-flight`;
  }

  /**
   * Every key of one IP that an erasure removes. The written and failed ids stay: they hold no
   * message text, and without them a later run of a job would write an erased message back.
   */
  erasable(ip: string): string[] {
    return [this.history(ip), this.uncounted(ip), this.responseCacheOf(ip)];
  }

  /** STRING: messages written, all time. */
  totalMessages(): string {
    return `${this.#stats}:messages`;
  }

  /** STRING: messages sent on a day (or in a minute: `2026-11-21T10:05`). */
  messagesIn(dayOrMinute: string): string {
    return `${this.#stats}:messages:${dayOrMinute}`;
  }

  /** ZSET leaderboard ip → messages, all time (or of one day). */
  senders(day?: string): string {
    return day === undefined ? `${this.#stats}:senders` : `${this.#stats}:senders:${day}`;
  }

  /** ZSET ip → last send time (ms) of the IPs online now. */
  online(): string {
    return `${this.#stats}:online`;
  }

  /** HyperLogLog of the distinct IPs that sent on a day. */
  uniqueIps(day: string): string {
    return `${this.#stats}:ips:${day}`;
  }

  /** ZSET (Redis Cluster only): ids being counted right now, id → start (ms). */
  counting(): string {
    return `${this.#stats}:counting`;
  }

  get #stats(): string {
    return `${this.prefix}:{stats}`;
  }

  /** An IP's rate-limit subject as a key segment: the IPv6 network, `-` for `:`. */
  #rateSubject(ip: string): string {
    return ipKeySegment(rateLimitSubject(ip, { ipv6PrefixBits: this.#ipv6RateLimitPrefix }));
  }

  #ip(ip: string): string {
    return `${this.prefix}:ip:{${ipKeySegment(ip)}}`;
  }
}
