import { createRedis, redactRedisUrl, type Config, type RedisClient } from '@msgpipe/shared';
import { withDeadline } from './deadline.js';

const CONNECT_TIMEOUT_MS = 10_000;

/** Exit codes: 0 done, 78 bad configuration (loadConfigOrExit), 1 anything else. */
export const EXIT_FAILURE = 1;

/** Connects (every master, on a cluster) or fails within CONNECT_TIMEOUT_MS, naming the server without its password. */
export async function connect(config: Config, tool: string): Promise<RedisClient> {
  const redis = createRedis(config.redis, 'worker', `msgpipe-${tool}`);
  const where = config.redis.clusterNodes
    ? `the cluster ${config.redis.clusterNodes.map((node) => `${node.host}:${node.port}`).join(',')}`
    : redactRedisUrl(config.redis.url);
  // The connection would retry for ever; an operator at a terminal wants to hear at once.
  let onError: (error: Error) => void = () => {};
  const refused = new Promise<never>((_, reject) => (onError = reject));
  refused.catch(() => {}); // settled through the race below
  redis.on('error', onError);
  try {
    await withDeadline(Promise.race([redis.ping(), refused]), CONNECT_TIMEOUT_MS, `connecting to ${where}`);
  } catch (error) {
    redis.disconnect();
    throw new Error(`cannot reach Redis at ${where}: ${(error as Error).message}`, { cause: error });
  } finally {
    redis.off('error', onError);
  }
  // Later connection errors are retried by the client; the per-step deadlines report a Redis that stays away.
  redis.on('error', () => {});
  return redis;
}

/** Prints `tool: message` and exits 1; an error's message is all a user needs (no stack). */
export function failAndExit(tool: string, error: unknown): never {
  const message = error instanceof Error ? error.message : String(error);
  process.stderr.write(`${tool}: ${message}\n`);
  process.exit(EXIT_FAILURE);
}

export function usageAndExit(usage: string, problem?: string): never {
  if (problem) {
    process.stderr.write(`${problem}\n${usage}\n`);
    process.exit(EXIT_FAILURE);
  }
  process.stdout.write(`${usage}\n`);
  process.exit(0);
}
