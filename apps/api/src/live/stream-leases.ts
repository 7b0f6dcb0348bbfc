import { randomUUID } from 'node:crypto';
import { LuaScript, Retention, type KeySchema, type RedisClient } from '@msgpipe/shared';

const leaseStream = LuaScript.load(new URL('../../lua/lease-stream.lua', import.meta.url));

const LEASE_MS = Retention.streamLeaseSeconds * 1000;

/** One open stream's place in its client's count. */
export interface StreamLease {
  /** Extends the lease; the stream's heartbeat calls it, well within the lease's length. */
  renew(): Promise<void>;
  release(): Promise<void>;
}

const UNCOUNTED: StreamLease = { renew: async () => {}, release: async () => {} };

/**
 * STREAMS_PER_IP: the `/v1/stream` connections one client (an IPv4 address, an IPv6 network of
 * RATE_LIMIT_IPV6_PREFIX bits) may hold at once. The count lives in Redis so that it holds over
 * every API process; each stream holds a lease there rather than a counter, so the places of a
 * process that dies without closing its streams come free by themselves once their leases end.
 */
export class StreamLeases {
  constructor(
    private readonly redis: RedisClient,
    private readonly keys: KeySchema,
    /** 0: no cap, and no Redis work. */
    readonly maxPerClient: number,
    private readonly leaseMs = LEASE_MS,
  ) {}

  /** A lease for one more stream of the client of `ip`, or undefined when it holds the most it may. */
  async take(ip: string): Promise<StreamLease | undefined> {
    if (this.maxPerClient === 0) return UNCOUNTED;
    const key = this.keys.streamLeases(ip);
    const id = randomUUID();
    const lease = (max: number) => leaseStream.run(this.redis, [key], [id, this.leaseMs, max]);
    if ((await lease(this.maxPerClient)) !== 1) return undefined;
    return {
      renew: async () => {
        await lease(0);
      },
      release: async () => {
        await this.redis.zrem(key, id);
      },
    };
  }
}
