import { describe, expect, it } from 'vitest';
import { parseTrustProxy, resolveClientIp } from './trust-proxy.js';

describe('parseTrustProxy', () => {
  it('expands "loopback" to the IPv4 and IPv6 loopback ranges', () => {
    const trusted = parseTrustProxy('loopback');
    expect(trusted.entries).toEqual(['127.0.0.0/8', '::1/128']);
    expect(trusted.has('127.0.0.1')).toBe(true);
    expect(trusted.has('127.255.0.9')).toBe(true);
    expect(trusted.has('::1')).toBe(true);
    expect(trusted.has('128.0.0.1')).toBe(false);
    expect(trusted.has('::2')).toBe(false);
  });

  it('accepts a comma list of IPv4 and IPv6 CIDRs and single addresses, with spaces', () => {
    const trusted = parseTrustProxy(' 10.0.0.0/8 , 2001:db8::/32,192.0.2.7, fd00::1 ');
    expect(trusted.entries).toEqual(['10.0.0.0/8', '2001:db8::/32', '192.0.2.7', 'fd00::1']);
    expect(trusted.has('10.255.1.2')).toBe(true);
    expect(trusted.has('11.0.0.1')).toBe(false);
    expect(trusted.has('2001:db8:ffff::1')).toBe(true);
    expect(trusted.has('2001:db9::1')).toBe(false);
    expect(trusted.has('192.0.2.7')).toBe(true);
    expect(trusted.has('192.0.2.8')).toBe(false);
    expect(trusted.has('fd00::1')).toBe(true);
    expect(trusted.has('fd00::2')).toBe(false);
  });

  it('normalizes the addresses it is given (case, zeros, IPv4-mapped IPv6)', () => {
    expect(parseTrustProxy('2001:0DB8:0:0:0:0:0:0/32, ::ffff:10.0.0.1').entries).toEqual(['2001:db8::/32', '10.0.0.1']);
  });

  it('accepts the boundary prefix lengths /0 and /32 (IPv4), /128 (IPv6)', () => {
    expect(parseTrustProxy('192.0.2.0/32').has('192.0.2.0')).toBe(true);
    expect(parseTrustProxy('192.0.2.0/32').has('192.0.2.1')).toBe(false);
    expect(parseTrustProxy('0.0.0.0/0').has('203.0.113.50')).toBe(true);
    expect(parseTrustProxy('2001:db8::5/128').has('2001:db8::5')).toBe(true);
    expect(parseTrustProxy('2001:db8::5/128').has('2001:db8::6')).toBe(false);
  });

  it('combines loopback with other entries', () => {
    const trusted = parseTrustProxy('loopback,10.0.0.0/8');
    expect(trusted.has('127.0.0.1')).toBe(true);
    expect(trusted.has('10.1.1.1')).toBe(true);
    expect(trusted.has('192.168.1.1')).toBe(false);
  });

  it('treats an empty list as "trust none"', () => {
    const trusted = parseTrustProxy(' , ');
    expect(trusted.entries).toEqual([]);
    expect(trusted.has('127.0.0.1')).toBe(false);
  });

  it.each([
    '10.0.0.0/33',
    '::1/129',
    'nonsense',
    '10.0.0.0/',
    '10.0.0.0/-1',
    '10.0.0.0/8/8',
    '10.0.0.0/abc',
    '10.0.0.256',
    '/8',
    'localhost',
    'LOOPBACK',
    '10.0.0.0/8 10.1.0.0/16',
  ])('rejects %j with an error that quotes the bad entry', (entry) => {
    expect(() => parseTrustProxy(entry)).toThrow(`"${entry}"`);
  });

  it('names the bad entry, not the whole list, when one entry of several is bad', () => {
    expect(() => parseTrustProxy('loopback, 10.0.0.0/8, 172.16.0.0/99, 192.0.2.1')).toThrow(
      /"172\.16\.0\.0\/99" is none of these/,
    );
  });
});

describe('resolveClientIp', () => {
  const loopbackAndLan = parseTrustProxy('loopback, 10.0.0.0/8, fd00::/8');

  it('uses the socket address when TRUST_PROXY is unset, whatever X-Forwarded-For says', () => {
    expect(resolveClientIp('127.0.0.1', '203.0.113.9', undefined)).toBe('127.0.0.1');
    expect(resolveClientIp('198.51.100.4', '203.0.113.9, 10.0.0.1', undefined)).toBe('198.51.100.4');
  });

  it('uses the socket address when the peer is not a trusted proxy', () => {
    expect(resolveClientIp('198.51.100.4', '203.0.113.9', loopbackAndLan)).toBe('198.51.100.4');
    expect(resolveClientIp('2001:db8::1', '203.0.113.9', loopbackAndLan)).toBe('2001:db8::1');
  });

  it('uses the socket address of a trusted proxy that sent no X-Forwarded-For', () => {
    expect(resolveClientIp('127.0.0.1', undefined, loopbackAndLan)).toBe('127.0.0.1');
    expect(resolveClientIp('127.0.0.1', '', loopbackAndLan)).toBe('127.0.0.1');
  });

  it('believes a trusted proxy: the right-most X-Forwarded-For entry', () => {
    expect(resolveClientIp('127.0.0.1', '203.0.113.9', loopbackAndLan)).toBe('203.0.113.9');
  });

  it('ignores entries left of the first untrusted hop, which the client could have forged', () => {
    expect(resolveClientIp('127.0.0.1', '1.1.1.1, 2.2.2.2, 203.0.113.9', loopbackAndLan)).toBe('203.0.113.9');
  });

  it('walks back through a chain of several trusted proxies to the first untrusted hop', () => {
    expect(resolveClientIp('127.0.0.1', '6.6.6.6, 203.0.113.9, 10.0.0.7, 10.1.2.3', loopbackAndLan)).toBe(
      '203.0.113.9',
    );
    expect(resolveClientIp('::1', '203.0.113.9, fd00::2, 10.0.0.1', loopbackAndLan)).toBe('203.0.113.9');
  });

  it('returns the left-most entry when every hop is a trusted proxy (the request started inside)', () => {
    expect(resolveClientIp('127.0.0.1', '10.0.0.2, 10.0.0.1', loopbackAndLan)).toBe('10.0.0.2');
  });

  it('returns the client address normalized (IPv6 in RFC 5952 form, IPv4-mapped as IPv4)', () => {
    expect(resolveClientIp('127.0.0.1', '2001:0DB8:0:0:0:0:0:0001', loopbackAndLan)).toBe('2001:db8::1');
    expect(resolveClientIp('127.0.0.1', '[2001:db8::2]', loopbackAndLan)).toBe('2001:db8::2');
    expect(resolveClientIp('127.0.0.1', '::ffff:203.0.113.9', loopbackAndLan)).toBe('203.0.113.9');
  });

  it('drops the port some proxies write after an address: IPv4:port and [IPv6]:port', () => {
    expect(resolveClientIp('127.0.0.1', '198.51.100.7:5555', loopbackAndLan)).toBe('198.51.100.7');
    expect(resolveClientIp('127.0.0.1', '[2001:db8::7]:443', loopbackAndLan)).toBe('2001:db8::7');
    expect(resolveClientIp('127.0.0.1', '203.0.113.9:1, 10.0.0.7:8080, [fd00::2]:443', loopbackAndLan)).toBe('203.0.113.9');
  });

  it('reads a bare IPv6 address whole: it cannot carry a port', () => {
    expect(resolveClientIp('127.0.0.1', '2001:db8::7:443', loopbackAndLan)).toBe('2001:db8::7:443');
  });

  it('stops at the last believable hop on a malformed port or bracket', () => {
    for (const entry of ['198.51.100.7:', '198.51.100.7:65536', '198.51.100.7:1:2', '[198.51.100.7]:80', '[2001:db8::7]:', '[2001:db8::7]:x', '[2001:db8::7', '[garbage]:80']) {
      expect(resolveClientIp('127.0.0.1', `203.0.113.9, ${entry}, 10.0.0.5`, loopbackAndLan), entry).toBe('10.0.0.5');
    }
  });

  it('tolerates missing spaces and extra white space between entries', () => {
    expect(resolveClientIp('127.0.0.1', '1.1.1.1,203.0.113.9 ,  10.0.0.1', loopbackAndLan)).toBe('203.0.113.9');
  });

  it('falls back to the socket address when the right-most entry is malformed, never inventing an IP', () => {
    for (const header of ['garbage', '203.0.113.9, garbage', '203.0.113.9:99999', '[2001:db8::1]:', 'unknown', ',', ' ']) {
      expect(resolveClientIp('127.0.0.1', header, loopbackAndLan), header).toBe('127.0.0.1');
    }
  });

  it('stops at the last believable hop when a malformed entry sits behind trusted proxies', () => {
    // The trusted 10.0.0.5 forwarded a bogus entry: 10.0.0.5 is the last address we can vouch for.
    expect(resolveClientIp('127.0.0.1', '203.0.113.9, garbage, 10.0.0.5', loopbackAndLan)).toBe('10.0.0.5');
  });

  it('only ever returns the socket address or an address literally present in the header', () => {
    const headers = [
      'a, b, c',
      '1.1.1.1, 10.0.0.1, nonsense',
      '999.1.1.1',
      '10.0.0.1, , 10.0.0.2',
      '::ffff:zz',
      '1.1.1.1; 2.2.2.2',
      '"1.1.1.1"',
      'for=1.1.1.1',
    ];
    for (const header of headers) {
      const result = resolveClientIp('127.0.0.1', header, loopbackAndLan);
      const present = header.split(',').map((hop) => hop.trim());
      expect(result === '127.0.0.1' || present.includes(result), `${header} -> ${result}`).toBe(true);
    }
  });
});
