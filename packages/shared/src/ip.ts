import { isIPv4, isIPv6 } from 'node:net';

/** Expands any valid IPv6 text (with `::` or an embedded IPv4 tail) to eight 16-bit groups. */
function ipv6Groups(address: string): number[] {
  let text = address;
  const embedded = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (embedded?.[1]) {
    const [a, b, c, d] = embedded[1].split('.').map(Number) as [number, number, number, number];
    text = `${text.slice(0, embedded.index)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head = '', tail] = text.split('::');
  const parse = (part: string) => (part === '' ? [] : part.split(':').map((group) => parseInt(group, 16)));
  const left = parse(head);
  const right = tail === undefined ? [] : parse(tail);
  const zeros = new Array<number>(8 - left.length - right.length).fill(0);
  return [...left, ...zeros, ...right];
}

/** RFC 5952: lower case, no leading zeros, the longest run (≥ 2) of zero groups as `::`. */
function formatIpv6(groups: number[]): string {
  let bestStart = -1;
  let bestLength = 1;
  for (let start = 0; start < 8; ) {
    if (groups[start] !== 0) {
      start++;
      continue;
    }
    let end = start;
    while (end < 8 && groups[end] === 0) end++;
    if (end - start > bestLength) [bestStart, bestLength] = [start, end - start];
    start = end;
  }
  const hex = groups.map((group) => group.toString(16));
  if (bestStart === -1) return hex.join(':');
  return `${hex.slice(0, bestStart).join(':')}::${hex.slice(bestStart + bestLength).join(':')}`;
}

/**
 * The canonical text of a client address, or undefined when it is not an IP address:
 * IPv4 dotted quad, IPv4-mapped IPv6 as IPv4, other IPv6 in RFC 5952 form (zone dropped).
 */
export function normalizeIp(raw: string): string | undefined {
  const address = raw.trim().replace(/^\[(.*)\]$/, '$1').replace(/%.*$/, '');
  if (isIPv4(address)) return address;
  if (!isIPv6(address)) return undefined;
  const groups = ipv6Groups(address);
  const isV4Mapped = groups.slice(0, 5).every((group) => group === 0) && groups[5] === 0xffff;
  if (isV4Mapped) {
    const [high = 0, low = 0] = groups.slice(6);
    return [high >> 8, high & 0xff, low >> 8, low & 0xff].join('.');
  }
  return formatIpv6(groups);
}

/** An IP as one Redis key segment: IPv6 colons become `-` so they never split a key. */
export function ipKeySegment(ip: string): string {
  return ip.replaceAll(':', '-');
}

/** The IPv6 prefix length a rate limit counts by default: one subscriber's usual /64. */
export const DEFAULT_IPV6_RATE_LIMIT_PREFIX = 64;

/**
 * Whom a rate limit counts: an IPv4 address, or the network of an IPv6 address (its first
 * `ipv6PrefixBits` bits), because one subscriber holds a whole prefix (a /64 at least, often a
 * /56 or a /48) and could otherwise rotate addresses inside it.
 */
export function rateLimitSubject(ip: string, { ipv6PrefixBits = DEFAULT_IPV6_RATE_LIMIT_PREFIX }: { ipv6PrefixBits?: number } = {}): string {
  if (!ip.includes(':')) return ip;
  const network = ipv6Groups(ip).map((group, index) => {
    const bitsInGroup = Math.min(16, Math.max(0, ipv6PrefixBits - index * 16));
    return group & ((0xffff << (16 - bitsInGroup)) & 0xffff);
  });
  return `${formatIpv6(network)}/${ipv6PrefixBits}`;
}
