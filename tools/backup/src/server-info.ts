import type { RedisClient } from '@msgpipe/shared';
import { dataNodes } from './scan-keys.js';

/** The Redis version of the (first) data node, recorded in the backup header. */
export async function redisVersion(redis: RedisClient): Promise<string> {
  const [node] = dataNodes(redis);
  const info = node ? await node.info('server') : '';
  return /^redis_version:(\S+)/m.exec(info)?.[1] ?? 'unknown';
}
