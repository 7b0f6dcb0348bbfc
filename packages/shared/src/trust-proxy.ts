import { BlockList, isIPv4, isIPv6 } from 'node:net';
import { normalizeIp } from './ip.js';

const LOOPBACK = ['127.0.0.0/8', '::1/128'];

/** The proxies whose X-Forwarded-For is believed (TRUST_PROXY). */
export class TrustedProxies {
  readonly #list = new BlockList();

  constructor(readonly entries: readonly string[]) {
    for (const entry of entries) {
      const [address = '', bits] = entry.split('/');
      const type = isIPv4(address) ? 'ipv4' : 'ipv6';
      if (bits === undefined) this.#list.addAddress(address, type);
      else this.#list.addSubnet(address, Number(bits), type);
    }
  }

  has(ip: string): boolean {
    return this.#list.check(ip, ip.includes(':') ? 'ipv6' : 'ipv4');
  }
}

/** Parses `loopback, 10.0.0.0/8, 2001:db8::/32, 192.0.2.7`; throws with the offending entry. */
export function parseTrustProxy(value: string): TrustedProxies {
  const entries: string[] = [];
  for (const raw of value.split(',').map((part) => part.trim()).filter(Boolean)) {
    if (raw === 'loopback') {
      entries.push(...LOOPBACK);
      continue;
    }
    const [address = '', bits, extra] = raw.split('/');
    const ip = normalizeIp(address);
    const maxBits = ip && isIPv6(ip) ? 128 : 32;
    const validBits = bits === undefined || (/^\d{1,3}$/.test(bits) && Number(bits) <= maxBits);
    if (!ip || !validBits || extra !== undefined) {
      throw new Error(`expected a comma list of IPs, CIDRs or "loopback"; "${raw}" is none of these`);
    }
    entries.push(bits === undefined ? ip : `${ip}/${bits}`);
  }
  return new TrustedProxies(entries);
}

const IPV4_WITH_PORT = /^(\d{1,3}(?:\.\d{1,3}){3}):(\d{1,5})$/;
const BRACKETED_WITH_PORT = /^\[([^\]]+)\]:(\d{1,5})$/;

/**
 * The address of one X-Forwarded-For entry, normalized: a bare IP, `[IPv6]`, or with the port
 * some proxies add, `IPv4:port` or `[IPv6]:port` (the port is dropped). Undefined for anything
 * else: a bare IPv6 address cannot carry a port (`2001:db8::7:443` is an address), and an IPv4
 * address is never bracketed.
 */
function forwardedAddress(entry: string): string | undefined {
  const text = entry.trim();
  const withPort = IPV4_WITH_PORT.exec(text) ?? BRACKETED_WITH_PORT.exec(text);
  if (!withPort) return normalizeIp(text);
  const [, address = '', port = ''] = withPort;
  if (Number(port) > 65_535) return undefined;
  const bracketed = text.startsWith('[');
  if (bracketed && !isIPv6(address.replace(/%.*$/, ''))) return undefined;
  return normalizeIp(address);
}

/**
 * The client address of a request: the socket peer, unless that peer is a trusted proxy, in
 * which case the right-most X-Forwarded-For address that is not itself a trusted proxy.
 * A malformed header entry stops the walk at the last address we could believe.
 */
export function resolveClientIp(
  socketIp: string,
  forwardedFor: string | undefined,
  trusted: TrustedProxies | undefined,
): string {
  if (!trusted || !forwardedFor || !trusted.has(socketIp)) return socketIp;
  let client = socketIp;
  const hops = forwardedFor.split(',');
  for (let index = hops.length - 1; index >= 0; index--) {
    const hop = forwardedAddress(hops[index] ?? '');
    if (!hop) break;
    client = hop;
    if (!trusted.has(hop)) break;
  }
  return client;
}
