import { describe, expect, it } from 'vitest';
import { ipKeySegment, normalizeIp, rateLimitSubject } from './ip.js';

describe('normalizeIp', () => {
  it('keeps a dotted-quad IPv4 address as it is', () => {
    expect(normalizeIp('1.2.3.4')).toBe('1.2.3.4');
    expect(normalizeIp('255.255.255.255')).toBe('255.255.255.255');
    expect(normalizeIp('0.0.0.0')).toBe('0.0.0.0');
  });

  it('trims surrounding white space (as found between X-Forwarded-For entries)', () => {
    expect(normalizeIp('  1.2.3.4 ')).toBe('1.2.3.4');
    expect(normalizeIp(' 2001:DB8::1\t')).toBe('2001:db8::1');
  });

  it.each([
    ['::ffff:1.2.3.4', '1.2.3.4'],
    ['::FFFF:1.2.3.4', '1.2.3.4'],
    ['::ffff:0102:0304', '1.2.3.4'],
    ['::ffff:c000:0280', '192.0.2.128'],
    ['0:0:0:0:0:ffff:7f00:1', '127.0.0.1'],
    ['[::ffff:10.0.0.1]', '10.0.0.1'],
  ])('shows the IPv4-mapped IPv6 address %s as plain IPv4 %s', (raw, expected) => {
    expect(normalizeIp(raw)).toBe(expected);
  });

  it('does not mistake other IPv6 addresses with an embedded IPv4 tail for IPv4-mapped ones', () => {
    // NAT64 (64:ff9b::/96) and deprecated IPv4-compatible (::/96) addresses are genuine IPv6.
    expect(normalizeIp('64:ff9b::1.2.3.4')).toBe('64:ff9b::102:304');
    expect(normalizeIp('::1.2.3.4')).toBe('::102:304');
    expect(normalizeIp('::ffff:0:1.2.3.4')).toBe('::ffff:0:102:304');
  });

  it('writes IPv6 in lower case without leading zeros', () => {
    expect(normalizeIp('2001:0DB8:00AB:0001:0010:0100:1000:ABCD')).toBe('2001:db8:ab:1:10:100:1000:abcd');
  });

  it('compresses the longest run of zero groups to ::', () => {
    expect(normalizeIp('2001:0db8:0000:0000:0000:0000:0000:0001')).toBe('2001:db8::1');
    expect(normalizeIp('2001:db8:0:0:1:0:0:0')).toBe('2001:db8:0:0:1::');
    expect(normalizeIp('1:0:0:2:0:0:0:3')).toBe('1:0:0:2::3');
  });

  it('compresses the first run when two zero runs are equally long', () => {
    expect(normalizeIp('2001:db8:0:0:1:0:0:1')).toBe('2001:db8::1:0:0:1');
    expect(normalizeIp('1:0:0:2:0:0:3:4')).toBe('1::2:0:0:3:4');
  });

  it('never compresses a single zero group', () => {
    expect(normalizeIp('2001:db8:0:1:1:1:1:1')).toBe('2001:db8:0:1:1:1:1:1');
    expect(normalizeIp('2001:db8::1:1:1:1:1')).toBe('2001:db8:0:1:1:1:1:1');
    expect(normalizeIp('1:2:3:4:5:6:7:0')).toBe('1:2:3:4:5:6:7:0');
    expect(normalizeIp('0:1:2:3:4:5:6:7')).toBe('0:1:2:3:4:5:6:7');
  });

  it('handles zero runs at either end and the all-zero and loopback addresses', () => {
    expect(normalizeIp('0:0:0:0:0:0:0:0')).toBe('::');
    expect(normalizeIp('0:0:0:0:0:0:0:1')).toBe('::1');
    expect(normalizeIp('fe80:0:0:0:0:0:0:0')).toBe('fe80::');
    expect(normalizeIp('0:0:1:0:0:0:1:0')).toBe('0:0:1::1:0');
  });

  it('gives every spelling of one address the same canonical text', () => {
    const spellings = [
      '2001:db8::1',
      '2001:DB8::1',
      '2001:0db8:0000:0000:0000:0000:0000:0001',
      '2001:db8:0:0:0:0:0:1',
      '2001:db8:0::0:1',
      '[2001:db8::1]',
      '2001:db8::1%eth0',
      '[2001:db8::0001%25eth0]',
    ];
    expect(new Set(spellings.map(normalizeIp))).toEqual(new Set(['2001:db8::1']));
  });

  it('strips brackets and a %zone', () => {
    expect(normalizeIp('[::1]')).toBe('::1');
    expect(normalizeIp('fe80::1%eth0')).toBe('fe80::1');
    expect(normalizeIp('[fe80::a:b%en0]')).toBe('fe80::a:b');
  });

  it.each([
    '',
    '   ',
    'garbage',
    'localhost',
    '1.2.3',
    '1.2.3.4.5',
    '1.2.3.256',
    '01.2.3.4',
    '1.2.3.4:80',
    '[::1]:443',
    '1.2.3.4/32',
    '2001:db8::/32',
    '2001:db8:::1',
    '2001:db8::1::2',
    '1:2:3:4:5:6:7:8:9',
    '12345::1',
    'g::1',
    '::ffff:1.2.3.999',
    'unknown',
  ])('returns undefined for %j, which is not an IP address', (raw) => {
    expect(normalizeIp(raw)).toBeUndefined();
  });

  it('is idempotent: normalizing a normalized address changes nothing', () => {
    for (const raw of ['1.2.3.4', '::ffff:1.2.3.4', '2001:DB8:0:0:1:0:0:1', 'fe80::1%eth0', '::', '0:1:0:0:0:0:0:0']) {
      const once = normalizeIp(raw);
      expect(once).toBeDefined();
      expect(normalizeIp(once ?? '')).toBe(once);
    }
  });
});

describe('ipKeySegment', () => {
  it('leaves IPv4 unchanged', () => {
    expect(ipKeySegment('1.2.3.4')).toBe('1.2.3.4');
  });

  it('replaces every IPv6 colon with "-", so no colon splits a key segment', () => {
    expect(ipKeySegment('2001:db8::1')).toBe('2001-db8--1');
    expect(ipKeySegment('::1')).toBe('--1');
    expect(ipKeySegment('fe80::')).toBe('fe80--');
    expect(ipKeySegment('2001:db8:1:2:3:4:5:6')).not.toContain(':');
  });
});

describe('rateLimitSubject', () => {
  it('counts an IPv4 address on its own', () => {
    expect(rateLimitSubject('1.2.3.4')).toBe('1.2.3.4');
    expect(rateLimitSubject('1.2.3.5')).toBe('1.2.3.5');
  });

  it('counts an IPv6 address by its /64, in RFC 5952 form', () => {
    expect(rateLimitSubject('2001:db8:1:2:3:4:5:6')).toBe('2001:db8:1:2::/64');
    expect(rateLimitSubject('2001:db8::1')).toBe('2001:db8::/64');
    expect(rateLimitSubject('::1')).toBe('::/64');
    expect(rateLimitSubject('fe80::abcd')).toBe('fe80::/64');
    expect(rateLimitSubject('2001:0:0:0:1::')).toBe('2001::/64');
    expect(rateLimitSubject('2001:db8:0:ab:ffff:ffff:ffff:ffff')).toBe('2001:db8:0:ab::/64');
  });

  it('puts every address of one /64 under one subject and different /64s under different ones', () => {
    const sameNetwork = ['2001:db8:1:2::1', '2001:db8:1:2::2', '2001:db8:1:2:ffff:ffff:ffff:ffff', '2001:db8:1:2:1:2:3:4'];
    expect(new Set(sameNetwork.map((ip) => rateLimitSubject(ip))).size).toBe(1);
    expect(rateLimitSubject('2001:db8:1:3::1')).not.toBe(rateLimitSubject('2001:db8:1:2::1'));
  });

  const subjectAt = (ipv6PrefixBits: number) => (ip: string) => rateLimitSubject(ip, { ipv6PrefixBits });

  it('counts by a shorter or longer prefix when told, masking inside a group too', () => {
    expect(subjectAt(56)('2001:db8:1:2:3:4:5:6')).toBe('2001:db8:1::/56');
    expect(subjectAt(56)('2001:db8:1:2ff:3:4:5:6')).toBe('2001:db8:1:200::/56');
    expect(subjectAt(48)('2001:db8:1:2ff:3:4:5:6')).toBe('2001:db8:1::/48');
    expect(subjectAt(52)('2001:db8:ffff:ffff::1')).toBe('2001:db8:ffff:f000::/52');
    expect(subjectAt(128)('2001:db8:1:2:3:4:5:6')).toBe('2001:db8:1:2:3:4:5:6/128');
    expect(subjectAt(16)('2001:db8:1:2:3:4:5:6')).toBe('2001::/16');
    expect(subjectAt(48)('1.2.3.4')).toBe('1.2.3.4');
  });

  it('puts the 256 /64s of a /56 under one subject at /56, and the 65,536 of a /48 at /48', () => {
    const ofOne56 = ['2001:db8:1:200::1', '2001:db8:1:2ff::1', '2001:db8:1:2a0:ffff::1'];
    expect(new Set(ofOne56.map(subjectAt(56))).size).toBe(1);
    expect(subjectAt(56)('2001:db8:1:300::1')).not.toBe(subjectAt(56)('2001:db8:1:200::1'));
    const ofOne48 = ['2001:db8:1::1', '2001:db8:1:ffff::1', '2001:db8:1:1234:5678::9'];
    expect(new Set(ofOne48.map(subjectAt(48))).size).toBe(1);
    expect(subjectAt(48)('2001:db8:2::1')).not.toBe(subjectAt(48)('2001:db8:1::1'));
  });
});
