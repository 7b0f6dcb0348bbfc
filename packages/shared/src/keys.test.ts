import { describe, expect, it } from 'vitest';
import { hashSlotOf } from './hash-slot.js';
import { KeySchema } from './keys.js';

const keys = new KeySchema('msgpipe');
const IDEMPOTENCY_HASH = '0123456789abcdef0123456789abcdef';

/** Every key of one IP that KeySchema names (the rate-limit key separately: IPv6 counts by /64). */
function perIpKeys(schema: KeySchema, ip: string): string[] {
  return [schema.history(ip), schema.written(ip), schema.uncounted(ip), schema.idempotency(ip, IDEMPOTENCY_HASH), ...schema.erasable(ip)];
}

/** Redis glob match, the way `redis-cli --scan --pattern` uses it (only `*` needed here). */
function globMatches(pattern: string, key: string): boolean {
  const regex = new RegExp(`^${pattern.split('*').map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('.*')}$`);
  return regex.test(key);
}

describe('KeySchema', () => {
  it('starts every key with the prefix', () => {
    for (const schema of [keys, new KeySchema('tenant-7.prod')]) {
      for (const ip of ['1.2.3.4', '2001:db8::1']) {
        for (const key of [...perIpKeys(schema, ip), schema.rateLimit(ip)]) {
          expect(key.startsWith(`${schema.prefix}:`), key).toBe(true);
        }
      }
    }
  });

  it('gives each kind of key a distinct, readable name', () => {
    expect(keys.history('1.2.3.4')).toBe('msgpipe:ip:{1.2.3.4}:history');
    expect(keys.written('1.2.3.4')).toBe('msgpipe:ip:{1.2.3.4}:written');
    expect(keys.idempotency('1.2.3.4', 'abc')).toBe('msgpipe:ip:{1.2.3.4}:idem:abc');
    expect(keys.rateLimit('1.2.3.4')).toBe('msgpipe:rate:{1.2.3.4}');
    const all = [keys.history('1.2.3.4'), keys.written('1.2.3.4'), keys.idempotency('1.2.3.4', 'abc'), keys.rateLimit('1.2.3.4')];
    expect(new Set(all).size).toBe(all.length);
  });

  it('puts the IPv4 address in every per-IP key, so a scan for *1.2.3.4* finds them all', () => {
    for (const key of [...perIpKeys(keys, '1.2.3.4'), keys.rateLimit('1.2.3.4')]) {
      expect(globMatches('*1.2.3.4*', key), key).toBe(true);
    }
  });

  it('puts an IPv6 address in every per-IP key with ":" written as "-"', () => {
    for (const key of perIpKeys(keys, '2001:db8::1')) {
      expect(key).toContain('{2001-db8--1}');
      expect(globMatches('*2001-db8--1*', key), key).toBe(true);
    }
    expect(keys.history('::1')).toBe('msgpipe:ip:{--1}:history');
  });

  it('keeps the IPv6 colons out of the key: the only colons are the separators', () => {
    const key = keys.history('2001:db8:1:2:3:4:5:6');
    expect(key.split(':')).toEqual(['msgpipe', 'ip', '{2001-db8-1-2-3-4-5-6}', 'history']);
  });

  it('names the rate-limit key of an IPv6 address by its /64, shared by the whole /64', () => {
    expect(keys.rateLimit('2001:db8:1:2::7')).toBe('msgpipe:rate:{2001-db8-1-2--/64}');
    expect(keys.rateLimit('2001:db8:1:2:ffff::1')).toBe(keys.rateLimit('2001:db8:1:2::7'));
    expect(keys.rateLimit('2001:db8:1:3::7')).not.toBe(keys.rateLimit('2001:db8:1:2::7'));
  });

  it('names the failed admin authentications of an IP, IPv6 by its /64 as the rate limit, apart from what an erasure removes', () => {
    expect(keys.adminAuthFailures('1.2.3.4')).toBe('msgpipe:admin-auth-failures:{1.2.3.4}');
    expect(keys.adminAuthFailures('2001:db8:1:2::7')).toBe('msgpipe:admin-auth-failures:{2001-db8-1-2--/64}');
    expect(keys.adminAuthFailures('2001:db8:1:2:ffff::1')).toBe(keys.adminAuthFailures('2001:db8:1:2::7'));
    expect(keys.erasable('1.2.3.4')).not.toContain(keys.adminAuthFailures('1.2.3.4'));
  });

  it('names it by the network of RATE_LIMIT_IPV6_PREFIX bits when given one', () => {
    const per48 = new KeySchema('msgpipe', { ipv6RateLimitPrefix: 48 });
    expect(per48.rateLimit('2001:db8:1:2::7')).toBe('msgpipe:rate:{2001-db8-1--/48}');
    expect(per48.rateLimit('2001:db8:1:ffff::7')).toBe(per48.rateLimit('2001:db8:1:2::7'));
    expect(per48.rateLimit('1.2.3.4')).toBe(keys.rateLimit('1.2.3.4'));
  });

  it('names the read budget and the stream leases per client, by the same subject as the rate key', () => {
    expect(keys.readRateLimit('1.2.3.4')).toBe('msgpipe:reads:{1.2.3.4}');
    expect(keys.streamLeases('1.2.3.4')).toBe('msgpipe:streams:{1.2.3.4}');
    expect(keys.readRateLimit('2001:db8:1:2::7')).toBe('msgpipe:reads:{2001-db8-1-2--/64}');
    expect(keys.streamLeases('2001:db8:1:2:ffff::1')).toBe('msgpipe:streams:{2001-db8-1-2--/64}');
    const per48 = new KeySchema('msgpipe', { ipv6RateLimitPrefix: 48 });
    expect(per48.streamLeases('2001:db8:1:2::7')).toBe('msgpipe:streams:{2001-db8-1--/48}');
  });

  it("names a worker process's in-flight count after the name it gives its BullMQ workers", () => {
    expect(keys.workerInFlight('host-1:4242')).toBe('msgpipe:worker:host-1:4242:in-flight');
  });

  it("lists the history, the uncounted marks and the IP's cached answers as what an erasure removes, not the written-id guard", () => {
    expect(keys.erasable('1.2.3.4')).toEqual([keys.history('1.2.3.4'), keys.uncounted('1.2.3.4'), keys.responseCacheOf('1.2.3.4')]);
  });

  it('names the response cache keys and the completions channel', () => {
    expect(keys.completions('2001:db8::1')).toBe('msgpipe:ip:{2001-db8--1}:completed');
    expect(keys.responseCache('ab12')).toBe('msgpipe:cache:ab12');
    expect(keys.responseCacheOf('2001:db8::1')).toBe('msgpipe:ip:{2001-db8--1}:cache');
  });

  it('names the global stats keys readably, with the UTC day or minute they count', () => {
    expect(keys.totalMessages()).toBe('msgpipe:{stats}:messages');
    expect(keys.messagesIn('2026-11-21')).toBe('msgpipe:{stats}:messages:2026-11-21');
    expect(keys.messagesIn('2026-11-21T10:05')).toBe('msgpipe:{stats}:messages:2026-11-21T10:05');
    expect(keys.senders()).toBe('msgpipe:{stats}:senders');
    expect(keys.senders('2026-11-21')).toBe('msgpipe:{stats}:senders:2026-11-21');
    expect(keys.online()).toBe('msgpipe:{stats}:online');
    expect(keys.uniqueIps('2026-11-21')).toBe('msgpipe:{stats}:ips:2026-11-21');
    expect(keys.counting()).toBe('msgpipe:{stats}:counting');
  });

  it('puts every global stats key in one slot, so each update or read of them is one atomic step', () => {
    const day = '2026-11-21';
    const stats = [
      keys.totalMessages(),
      keys.messagesIn(day),
      keys.messagesIn(`${day}T10:05`),
      keys.senders(),
      keys.senders(day),
      keys.online(),
      keys.uniqueIps(day),
      keys.counting(),
    ];
    expect(new Set(stats.map(hashSlotOf)).size).toBe(1);
  });

  it.each(['1.2.3.4', '203.0.113.250', '2001:db8::1', '::1', 'fe80::a:b:c:d', '2001:db8:1:2:3:4:5:6'])(
    'hashes every per-IP key of %s to the same Redis Cluster slot',
    (ip) => {
      const slots = new Set(perIpKeys(keys, ip).map(hashSlotOf));
      expect(slots.size).toBe(1);
      // Different prefixes do not change the slot: the hash tag is the IP alone.
      expect(hashSlotOf(new KeySchema('other').history(ip))).toBe([...slots][0]);
    },
  );

  it('puts an IPv4 address\'s rate-limit key in the same slot as its other keys', () => {
    expect(hashSlotOf(keys.rateLimit('198.51.100.23'))).toBe(hashSlotOf(keys.history('198.51.100.23')));
  });

  it('spreads different IPs over many slots rather than piling them onto one', () => {
    const ips = Array.from({ length: 500 }, (_, index) => `10.${index >> 8}.${index & 255}.1`);
    const slots = new Set(ips.map((ip) => hashSlotOf(keys.history(ip))));
    // 500 random draws from 16384 slots collide only a handful of times.
    expect(slots.size).toBeGreaterThan(480);
    expect(hashSlotOf(keys.history('1.2.3.4'))).not.toBe(hashSlotOf(keys.history('1.2.3.5')));
  });
});
