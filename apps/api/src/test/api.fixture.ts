import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import type { ServerType } from '@hono/node-server';
import {
  createLogger,
  ExchangeRecorder,
  HistoryStore,
  KeySchema,
  loadConfig,
  StatsStore,
  type Config,
  type Logger,
  type RedisClient,
} from '@msgpipe/shared';
import { testRedisUrl, uniquePrefix, waitFor } from '@msgpipe/testkit';
import { createApp } from '../app.js';
import { openConnections } from '../connections.js';
import { startHttpServer, type HttpTimeouts } from '../http/http-server.js';
import type { MessageQueues } from '../queues/message-queues.js';
import type { MessageWaiters } from '../live/message-waiters.js';

export interface RunningApi {
  baseUrl: string;
  /** The app the server serves, for what it can say of itself (its routes). */
  app: ReturnType<typeof createApp>;
  config: Config;
  redis: RedisClient;
  queues: MessageQueues;
  /** `?wait`'s subscriptions, as the app uses them. */
  waiters: MessageWaiters;
  keys: KeySchema;
  history: HistoryStore;
  /** Writes finished messages as a worker would (history and counters). */
  recorder: ExchangeRecorder;
  stats: StatsStore;
  close(): Promise<void>;
}

/**
 * The real API (createApp + the production HTTP server and its timeouts, which `timeouts` may
 * shorten) on a free port, against a real Redis, with its own key prefix. Tests talk to it
 * over HTTP like any client.
 */
export async function startApi(
  env: Record<string, string> = {},
  redisUrl = testRedisUrl(),
  timeouts: Partial<HttpTimeouts> = {},
  /** Where the app logs; default a silent logger (LOG_LEVEL in `env` aside). */
  appLogger?: Logger,
): Promise<RunningApi> {
  const config = loadConfig({
    REDIS_URL: redisUrl,
    REDIS_PREFIX: uniquePrefix('api'),
    HOST: '127.0.0.1',
    LOG_LEVEL: 'silent',
    ...env,
  });
  const logger = appLogger ?? createLogger({ name: 'api-test', level: config.logLevel, pretty: false });
  const connections = openConnections(config, () => {}); // outages are what some tests are about
  const { redis, queues } = connections;
  await waitFor('the test Redis connections', () => redis.status === 'ready' && connections.completions.ready);
  const app = createApp({ config, ...connections, logger });
  const server: ServerType = startHttpServer({ fetch: app.fetch, port: 0, hostname: config.host, timeouts, maxConnections: config.maxConnections });
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  const host = config.host.includes(':') ? `[${config.host === '::' ? '::1' : config.host}]` : config.host;
  const keys = new KeySchema(config.redis.prefix, { ipv6RateLimitPrefix: config.ipv6RateLimitPrefix });

  return {
    baseUrl: `http://${host}:${port}`,
    app,
    config,
    redis,
    queues,
    waiters: connections.waiters,
    keys,
    history: new HistoryStore(redis, keys),
    recorder: new ExchangeRecorder(redis, keys, config),
    stats: new StatsStore(redis, keys, config),
    async close() {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        if ('closeAllConnections' in server) server.closeAllConnections();
      });
      await connections.close();
    },
  };
}
