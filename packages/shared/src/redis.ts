import { Cluster, Redis, type ClusterOptions, type RedisOptions } from 'ioredis';
import type { Config } from './config.js';
import { explainConnectionErrors } from './redis-error-hints.js';
import { slotRefreshDiagnosis } from './slot-refresh-diagnosis.js';

export type RedisClient = Redis | Cluster;

/**
 * - `producer`: the API's connection. Fails fast: no offline queue, short connect and command
 *   timeouts, so a dead or stalled Redis turns into a 503 within two seconds, never a hang.
 * - `worker`: what BullMQ workers require (`maxRetriesPerRequest: null`); commands wait out
 *   an outage and are resent on reconnect, which the idempotent history write tolerates.
 */
export type ConnectionRole = 'producer' | 'worker';

const PRODUCER_COMMAND_TIMEOUT_MS = 1500;
const CONNECT_TIMEOUT_MS = 2000;

/** Reconnect forever, backing off to one attempt every two seconds. */
const reconnectBackoff = (attempt: number) => Math.min(100 * attempt, 2000);

function optionsFor(role: ConnectionRole, connectionName: string): RedisOptions {
  const common: RedisOptions = {
    connectionName,
    connectTimeout: CONNECT_TIMEOUT_MS,
    retryStrategy: reconnectBackoff,
  };
  return role === 'producer'
    ? { ...common, enableOfflineQueue: false, maxRetriesPerRequest: 1, commandTimeout: PRODUCER_COMMAND_TIMEOUT_MS }
    : { ...common, enableOfflineQueue: true, maxRetriesPerRequest: null };
}

function credentialsFrom(url: string): Pick<RedisOptions, 'username' | 'password' | 'tls'> {
  const parsed = new URL(url);
  return {
    ...(parsed.username && { username: decodeURIComponent(parsed.username) }),
    ...(parsed.password && { password: decodeURIComponent(parsed.password) }),
    ...(parsed.protocol === 'rediss:' && { tls: {} }),
  };
}

/**
 * A Redis connection for one role: standalone from REDIS_URL, or cluster from REDIS_CLUSTER_NODES.
 * Its errors say what to do about a wrong password, a missing ACL permission or an untrusted
 * TLS certificate (see redis-error-hints). `rediss://` verifies the server's certificate
 * against Node's CAs, to which NODE_EXTRA_CA_CERTS adds a private CA.
 */
export function createRedis(redis: Config['redis'], role: ConnectionRole, connectionName = `msgpipe-${role}`): RedisClient {
  const client = connect(redis, role, connectionName);
  const diagnose = redis.clusterNodes && slotRefreshDiagnosis(redis.clusterNodes[0]!, clusterRedisOptions(redis, role, connectionName));
  explainConnectionErrors(client, diagnose || undefined);
  return client;
}

/** What a cluster connection gives every node connection: the role's options and the URL's credentials. */
function clusterRedisOptions(redis: Config['redis'], role: ConnectionRole, connectionName: string): RedisOptions {
  return { ...optionsFor(role, connectionName), ...credentialsFrom(redis.url) };
}

function connect(redis: Config['redis'], role: ConnectionRole, connectionName: string): RedisClient {
  const options = optionsFor(role, connectionName);
  if (redis.clusterNodes) {
    const clusterOptions: ClusterOptions = {
      redisOptions: clusterRedisOptions(redis, role, connectionName),
      enableOfflineQueue: options.enableOfflineQueue ?? true,
      clusterRetryStrategy: reconnectBackoff,
    };
    return new Cluster([...redis.clusterNodes], clusterOptions);
  }
  return new Redis(redis.url, options);
}

/** A Redis URL fit for logs: the password replaced (ioredis also takes one as `?password=`). */
export function redactRedisUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    if (parsed.searchParams.has('password')) parsed.searchParams.set('password', '***');
    return parsed.toString();
  } catch {
    return '[unparseable url]';
  }
}

const UNAVAILABLE_MESSAGES =
  /Stream isn't writeable|Command timed out|Connection is closed|ECONNREFUSED|ECONNRESET|ETIMEDOUT|EPIPE|ENOTFOUND|Reached the max retries|All keys in the pipeline|Failed to refresh slots cache|None of startup nodes|Cluster isn't ready|Cluster is disconnect|Node is disconnected|Too many Cluster redirections/;
const UNAVAILABLE_REPLIES = /^(OOM|LOADING|READONLY|MASTERDOWN|CLUSTERDOWN|TRYAGAIN|BUSY|NOAUTH|WRONGPASS|MISCONF)\b/;

/** True for errors that mean "Redis cannot serve us right now" rather than a bug of ours. */
export function isRedisUnavailableError(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  if (error.name === 'MaxRetriesPerRequestError' || error.name === 'ClusterAllFailedError') return true;
  return UNAVAILABLE_MESSAGES.test(error.message) || UNAVAILABLE_REPLIES.test(error.message);
}
