/**
 * Who may be given a cached answer, and for how long, from the upstream's Cache-Control:
 *
 * - `no-store` or `no-cache`: not cached.
 * - `public` or `s-maxage`: the same for everyone who sends that text (a shared cache).
 * - `private`, a bare `max-age`, or no Cache-Control at all: only for the sender it was made
 *   for. The webhook is told the sender's IP and the openai conversation is the IP's, so an
 *   answer the upstream did not call shareable may be personal.
 *
 * The time is the directive's (`s-maxage` before `max-age` when shared), never more than
 * RESPONSE_CACHE_TTL_SECONDS, which is also the time when the upstream names none. A time of 0,
 * or one that does not parse, means not cached. This is an application cache of POST answers,
 * not an HTTP cache: only these directives count.
 */
export type CachePolicy = { scope: 'none' } | { scope: 'shared' | 'sender'; ttlSeconds: number };

const NOT_CACHED: CachePolicy = { scope: 'none' };

/** Directive name (lower case) → its value, unquoted; undefined for a directive without one. */
function directives(cacheControl: string): Map<string, string | undefined> {
  const parsed = new Map<string, string | undefined>();
  for (const part of cacheControl.split(',')) {
    const [name, ...rest] = part.split('=');
    const key = name!.trim().toLowerCase();
    if (key === '' || parsed.has(key)) continue;
    parsed.set(key, rest.length === 0 ? undefined : rest.join('=').trim().replace(/^"(.*)"$/, '$1'));
  }
  return parsed;
}

/** Seconds from a delta-seconds value: NaN when it is not one. */
const seconds = (value: string | undefined) => (value !== undefined && /^\d+$/.test(value) ? Number(value) : NaN);

export function cachePolicyOf(cacheControl: string | null | undefined, maxTtlSeconds: number): CachePolicy {
  const found = directives(cacheControl ?? '');
  if (found.has('no-store') || found.has('no-cache')) return NOT_CACHED;
  const shared = !found.has('private') && (found.has('public') || found.has('s-maxage'));
  const lifetime = shared && found.has('s-maxage') ? 's-maxage' : 'max-age';
  const ttlSeconds = found.has(lifetime) ? Math.min(seconds(found.get(lifetime)), maxTtlSeconds) : maxTtlSeconds;
  if (!(ttlSeconds > 0)) return NOT_CACHED;
  return { scope: shared ? 'shared' : 'sender', ttlSeconds };
}
