import { HistoryStore, isRedisUnavailableError, KeySchema, StatsStore, type Config, type Logger, type RedisClient } from '@msgpipe/shared';
import { OpenAPIHono } from '@hono/zod-openapi';
import type { Hono } from 'hono';
import { HTTPException } from 'hono/http-exception';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { requestLog } from './http/access-log.js';
import { adminAuthentication, adminCheck } from './admin/admin-auth.js';
import { AdminAuthThrottle } from './admin/admin-auth-throttle.js';
import { adminOnly } from './admin/admin-only.js';
import { chatPage } from './pages/chat-page.js';
import { clientIp } from './http/client-ip.js';
import type { CompletionStream } from './live/completion-stream.js';
import { listedOriginsCors, refuseUnlistedOrigins } from './http/cross-origin.js';
import type { AppEnv, Services } from './context.js';
import { DASHBOARD_PATH, queueDashboard } from './admin/dashboard.js';
import { withinDeadline } from './http/deadline.js';
import { docsPage } from './pages/docs-page.js';
import { errorResponse } from './http/error-response.js';
import { AppError, UnavailableError } from './http/errors.js';
import { httpMetrics } from './http/http-metrics.js';
import { Admission } from './intake/admission.js';
import { IdempotencyKeys } from './intake/idempotency.js';
import { Intake } from './intake/intake.js';
import { readBudget } from './http/read-budget.js';
import { StreamLeases } from './live/stream-leases.js';
import type { MessageQueues } from './queues/message-queues.js';
import type { MessageWaiters } from './live/message-waiters.js';
import { ApiMetrics } from './ops/metrics.js';
import { serveOpenApiDocument } from './openapi/document.js';
import { refuseInvalid } from './openapi/validation.js';
import { OPS_PATH, opsPage } from './ops/ops-page.js';
import { healthRoutes } from './routes/health.js';
import { historyRoutes } from './routes/history.js';
import { messageRoutes } from './routes/messages.js';
import { metricsRoutes } from './routes/metrics.js';
import { statsRoutes } from './routes/stats.js';
import { streamRoutes } from './routes/stream.js';
import { securityHeaders } from './http/security-headers.js';
import type { ApiTracing } from './tracing/telemetry.js';

export interface AppDeps {
  config: Config;
  /** The producer connection (fails fast): see createRedis(…, 'producer'). */
  redis: RedisClient;
  queues: MessageQueues;
  /** `?wait`: on the completions' subscriber. */
  waiters: MessageWaiters;
  /** `/v1/stream` (and `?wait`): the pub/sub subscriber. */
  completions: CompletionStream;
  logger: Logger;
  /** OpenTelemetry spans of requests and enqueues, when tracing is on (see telemetry.ts). */
  tracing?: ApiTracing;
}

/** A Redis outage answers 503 within 2 s (docs/http-api.md); leave room for the response itself. */
const REDIS_DEADLINE_MS = 1800;

export function createApp({ config, redis, queues, waiters, completions, logger, tracing }: AppDeps): Hono<AppEnv> {
  const keys = new KeySchema(config.redis.prefix, { ipv6RateLimitPrefix: config.ipv6RateLimitPrefix });
  const redisWork: Services['redisWork'] = (work) => withinDeadline(redis, REDIS_DEADLINE_MS, work);
  const history = new HistoryStore(redis, keys);
  const metrics = new ApiMetrics({ queues, redisWork });
  const idempotency = new IdempotencyKeys(redis, keys);
  const admission = new Admission(redis, keys, idempotency, config.rateLimitPerMinute);
  const throttle = new AdminAuthThrottle(redis, keys, config.adminAuthFailuresPerMinute, redisWork);
  const isAdmin = adminCheck(config.adminToken);
  const authenticateAdmin = adminAuthentication(isAdmin, throttle);
  const services: Services = {
    config,
    redis,
    logger,
    queues,
    waiters,
    completions,
    streamLeases: new StreamLeases(redis, keys, config.streamsPerIp),
    history,
    stats: new StatsStore(redis, keys, config),
    intake: new Intake({ queues, history, admission, idempotency, waiters, metrics, redisWork, tracing }),
    metrics,
    authenticateAdmin,
    adminOnly: adminOnly(authenticateAdmin),
    redisWork,
  };

  const app = new OpenAPIHono<AppEnv>({ defaultHook: refuseInvalid });
  // First, so every answer carries the request id and the access log times everything.
  app.use(requestLog({ logger, level: config.accessLogLevel }));
  if (tracing) app.use(tracing.middleware);
  app.use(httpMetrics(services.metrics));
  app.use(securityHeaders());
  app.use(clientIp(config.trustProxy));
  // Pages of other sites, before anything spends a budget: CORS for the listed, refusal for the rest.
  app.use('/v1/*', listedOriginsCors(config.corsOrigins));
  app.use('/v1/*', refuseUnlistedOrigins(config.corsOrigins));
  const reads = readBudget({ redis, keys, limitPerMinute: config.readRateLimitPerMinute, isAdmin, redisWork });
  app.on('GET', ['/v1/history', '/v1/messages/:id', '/v1/stream'], reads);
  app.route('/', healthRoutes(services));
  app.route('/', metricsRoutes(services));
  app.route('/v1', messageRoutes(services));
  app.route('/v1', historyRoutes(services));
  app.route('/v1', statsRoutes(services));
  app.route('/v1', streamRoutes(services));
  app.route('/', chatPage());
  // The ops page and the queue dashboard under it: one guard for everything below /admin.
  app.use(OPS_PATH, services.adminOnly);
  app.use(`${OPS_PATH}/*`, services.adminOnly);
  app.route(DASHBOARD_PATH, queueDashboard(queues));
  app.route(OPS_PATH, opsPage(services));
  app.route('/', docsPage());
  // Last: the document is generated from every route mounted before it.
  serveOpenApiDocument(app);

  app.notFound((c) => errorResponse(c, new AppError('not_found', `No route for ${c.req.method} ${c.req.path}.`)));
  app.onError((error, c) => {
    if (error instanceof AppError) return errorResponse(c, error);
    if (error instanceof HTTPException && error.status < 500) {
      // Hono's own refusals keep their status (a 4xx of its choosing) under one code.
      return errorResponse(c, new AppError('bad_request', error.message || 'Bad request.'), {}, error.status as ContentfulStatusCode);
    }
    logger.error({ err: error, requestId: c.get('requestId'), method: c.req.method, path: c.req.path }, 'request failed');
    // Redis trouble that escaped redisWork (a new route that forgot it) is still a 503, not a 500.
    if (isRedisUnavailableError(error)) return errorResponse(c, new UnavailableError());
    return errorResponse(c, new AppError('internal', 'Something went wrong on our side.'));
  });
  return app;
}
