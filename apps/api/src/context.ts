import type { HttpBindings } from '@hono/node-server';
import type { Config, HistoryStore, Logger, RedisClient, StatsStore } from '@msgpipe/shared';
import type { MiddlewareHandler } from 'hono';
import type { AdminAuthentication } from './admin/admin-auth.js';
import type { CompletionStream } from './live/completion-stream.js';
import type { Intake } from './intake/intake.js';
import type { StreamLeases } from './live/stream-leases.js';
import type { MessageQueues } from './queues/message-queues.js';
import type { MessageWaiters } from './live/message-waiters.js';
import type { ApiMetrics } from './ops/metrics.js';

export type AppEnv = {
  Bindings: HttpBindings;
  Variables: {
    clientIp: string;
    /** X-Request-Id: the client's when valid, else generated (see request-id.ts). */
    requestId: string;
    /** The error code of an error response, for the metrics. */
    errorCode?: string;
  };
};

/** What the routes work with; built once by createApp. */
export interface Services {
  config: Config;
  redis: RedisClient;
  logger: Logger;
  queues: MessageQueues;
  waiters: MessageWaiters;
  completions: CompletionStream;
  /** STREAMS_PER_IP: each open stream's place in its client's count. */
  streamLeases: StreamLeases;
  history: HistoryStore;
  stats: StatsStore;
  /** Takes messages in: rate limit, Idempotency-Key, enqueue, `?wait`. */
  intake: Intake;
  metrics: ApiMetrics;
  /** Whether a request carries the admin token (throttled per IP): see admin-auth.ts. */
  authenticateAdmin: AdminAuthentication;
  /** In front of every admin route: see admin-only.ts. */
  adminOnly: MiddlewareHandler<AppEnv>;
  /** Runs Redis work on the request path: 503 rather than a hang (within 2 s, as docs/http-api.md promises). */
  redisWork<T>(work: () => Promise<T>): Promise<T>;
}
