import { describe, expect, it } from 'vitest';
import { clientIps } from './client-ips.js';

describe('clientIps', () => {
  it('gives distinct 127.<block>.x.y addresses with no .0 or .255 host part', () => {
    const addresses = clientIps(7, 60_000);
    expect(new Set(addresses).size).toBe(addresses.length);
    expect(addresses.slice(0, 2)).toEqual(['127.7.0.1', '127.7.0.2']);
    expect(addresses[253]).toBe('127.7.0.254');
    expect(addresses[254]).toBe('127.7.1.1');
    const valid = /^127\.7\.(?:\d|[1-9]\d|1\d\d|2[0-4]\d|25[0-5])\.(?:[1-9]\d?|1\d\d|2[0-4]\d|25[0-4])$/;
    expect(addresses.filter((address) => !valid.test(address))).toEqual([]);
  });

  it('keeps blocks apart, and refuses block 0 (hand-written addresses, 127.0.0.1 among them)', () => {
    const [first, second] = [clientIps(21, 300), clientIps(22, 300)];
    expect(first.filter((address) => second.includes(address))).toEqual([]);
    expect(() => clientIps(0, 1)).toThrow(RangeError);
    expect(() => clientIps(256, 1)).toThrow(RangeError);
  });
});
