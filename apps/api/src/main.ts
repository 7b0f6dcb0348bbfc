import { randomBytes } from 'node:crypto';
import { serve } from '@hono/node-server';
import { createLogger, createRedis, loadConfigOrExit, redactRedisUrl } from '@msgpipe/shared';
import { createApp } from './app.js';
import { MessageQueues } from './message-queues.js';

const loaded = loadConfigOrExit();
const logger = createLogger({ name: 'api', level: loaded.logLevel });
// SPEC: an unset ADMIN_TOKEN is generated and logged once, so an operator can still get in.
const config = loaded.adminToken ? loaded : { ...loaded, adminToken: randomBytes(24).toString('base64url') };
if (!loaded.adminToken) logger.warn(`ADMIN_TOKEN is not set; this process generated one: ${config.adminToken}`);
const redis = createRedis(config.redis, 'producer', 'msgpipe-api');
redis.on('error', (error) => logger.warn({ err: error.message }, 'redis connection error'));
const queues = new MessageQueues(redis, config.redis.prefix, config.queuePartitions);
const app = createApp({ config, redis, queues, logger });

const server = serve(
  {
    fetch: app.fetch,
    port: config.port,
    hostname: config.host,
    serverOptions: { headersTimeout: 10_000, requestTimeout: 30_000, keepAliveTimeout: 65_000 },
  },
  (info) => logger.info({ url: `http://${config.host}:${info.port}`, redis: redactRedisUrl(config.redis.url) }, 'api listening'),
);

let stopping = false;
async function shutdown(signal: string): Promise<void> {
  if (stopping) return;
  stopping = true;
  logger.info({ signal }, 'api stopping: draining requests');
  const forced = setTimeout(() => {
    logger.warn('api shutdown timed out; exiting');
    process.exit(1);
  }, config.shutdownTimeoutMs).unref();
  await new Promise<void>((resolve) => {
    server.close(() => resolve());
    if ('closeIdleConnections' in server) server.closeIdleConnections();
  });
  await queues.close();
  await redis.quit().catch(() => redis.disconnect());
  clearTimeout(forced);
  logger.info('api stopped');
  process.exit(0);
}
process.once('SIGTERM', () => void shutdown('SIGTERM'));
process.once('SIGINT', () => void shutdown('SIGINT'));
