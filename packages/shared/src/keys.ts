import { ipKeySegment, rateLimitSubject } from './ip.js';

/**
 * The one place that knows every key name msgpipe writes.
 *
 * Per-IP keys carry the IP in a hash tag (`{…}`), so on Redis Cluster all of one IP's keys
 * share a slot and the worker's per-IP write stays a single atomic script. IPv6 colons are
 * written as `-` so they never split a key segment.
 */
export class KeySchema {
  constructor(readonly prefix: string) {}

  /** LIST of JSON history entries, newest first. */
  history(ip: string): string {
    return `${this.#ip(ip)}:history`;
  }

  /** ZSET of message ids already written to the history (score: write time, ms). */
  written(ip: string): string {
    return `${this.#ip(ip)}:written`;
  }

  /** STRING: an Idempotency-Key's message (key text hashed: clients choose it). */
  idempotency(ip: string, keyHash: string): string {
    return `${this.#ip(ip)}:idem:${keyHash}`;
  }

  /** STRING: GCRA theoretical arrival time of the IP (IPv6: of its /64). */
  rateLimit(ip: string): string {
    return `${this.prefix}:rate:{${ipKeySegment(rateLimitSubject(ip))}}`;
  }

  /** Every key of one IP that an erasure removes. */
  erasable(ip: string): string[] {
    return [this.history(ip), this.written(ip)];
  }

  #ip(ip: string): string {
    return `${this.prefix}:ip:{${ipKeySegment(ip)}}`;
  }
}
