import { Redis, type RedisOptions } from 'ioredis';
import { redisErrorHint } from './redis-error-hints.js';

const SLOT_REFRESH_FAILED = /^Failed to refresh slots cache/;
/** At most one diagnosing connection this often, however often the refresh fails. */
const PROBE_INTERVAL_MS = 10_000;

/**
 * ioredis's Cluster loads its slot map over connections whose errors it drops, so an untrusted
 * TLS certificate (or a wrong password) shows only as "Failed to refresh slots cache.". For
 * such an error this gives the hint found so far, and when due opens one connection of its own
 * to a startup node, with the same options, to find out why: the failures after it carry the
 * hint (the first cannot, the probe takes a moment).
 */
export function slotRefreshDiagnosis(node: { host: string; port: number }, options: RedisOptions): (error: Error) => string | undefined {
  let hint: string | undefined;
  let probedAt = -Infinity;
  return (error) => {
    if (!SLOT_REFRESH_FAILED.test(error.message)) return undefined;
    if (Date.now() - probedAt >= PROBE_INTERVAL_MS) {
      probedAt = Date.now();
      void probe(node, options).then((found) => (hint = found));
    }
    return hint;
  };
}

async function probe(node: { host: string; port: number }, options: RedisOptions): Promise<string | undefined> {
  const client = new Redis({
    ...options,
    host: node.host,
    port: node.port,
    connectionName: 'msgpipe-slot-refresh-diagnosis',
    lazyConnect: true,
    retryStrategy: () => null,
    maxRetriesPerRequest: 0,
    enableOfflineQueue: false,
  });
  // The first error is the cause (a TLS handshake's, say); connect() may reject with a later
  // "Connection is closed." instead.
  let cause: Error | undefined;
  client.on('error', (error: Error) => (cause ??= error));
  try {
    await client.connect();
    await client.call('CLUSTER', 'SLOTS');
    return undefined;
  } catch (error) {
    const reason = cause ?? error;
    return reason instanceof Error ? redisErrorHint(reason) : undefined;
  } finally {
    client.disconnect();
  }
}
