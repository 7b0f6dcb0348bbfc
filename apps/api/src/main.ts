import { randomBytes } from 'node:crypto';
import { createLogger, loadConfigOrExit, redactRedisUrl } from '@msgpipe/shared';
import { createApp } from './app.js';
import { openConnections } from './connections.js';
import { startHttpServer } from './http/http-server.js';
import { startTelemetry } from './tracing/telemetry.js';

// With NODE_ENV=production a missing ADMIN_TOKEN stops the process here (exit 78).
const loaded = loadConfigOrExit(process.env, { role: 'api' });
const logger = createLogger({ name: 'api', level: loaded.logLevel });
// Outside production an unset ADMIN_TOKEN is generated and logged once, so an operator can still get in.
const config = loaded.adminToken ? loaded : { ...loaded, adminToken: randomBytes(24).toString('base64url') };
if (!loaded.adminToken) logger.warn(`ADMIN_TOKEN is not set; this process generated one: ${config.adminToken}`);
// Before anything that makes spans: off (no OTEL_* variable asks for it), it loads nothing.
const tracing = await startTelemetry(config.tracing, logger, config.trustProxy);
const connections = openConnections(config, (error, connection) => logger.warn({ err: error.message, connection }, 'redis connection error'));
const app = createApp({ config, ...connections, logger, tracing });

/**
 * How long the API waits for Redis before it listens: long enough that the first requests
 * meet a connected API rather than 503s while it connects, short enough that a Redis that is
 * down still gets a listening API (/healthz 200, /readyz 503) within seconds.
 */
const REDIS_READY_WAIT_MS = 3000;
/** How long a stop waits for the Redis connections to close once every request is answered. */
const REDIS_CLOSE_GRACE_MS = 1000;

let server: ReturnType<typeof startHttpServer> | undefined;

/** How often, at most, the API logs that it is closing connections over MAX_CONNECTIONS. */
const DROP_LOG_INTERVAL_MS = 10_000;
let dropped = 0;
let dropLogged = 0;
/** Counts connections closed for being over MAX_CONNECTIONS; a flood logs one line per interval, not one per connection. */
function onConnectionDropped(): void {
  dropped++;
  if (Date.now() - dropLogged < DROP_LOG_INTERVAL_MS) return;
  dropLogged = Date.now();
  logger.warn({ dropped, maxConnections: config.maxConnections }, 'closing new connections: MAX_CONNECTIONS are open');
  dropped = 0;
}

let stopping = false;
async function shutdown(signal: string): Promise<void> {
  if (stopping) return;
  stopping = true;
  logger.info({ signal }, 'api stopping: draining requests');
  const forced = setTimeout(() => {
    logger.warn('api shutdown timed out; exiting');
    process.exit(1);
  }, config.shutdownTimeoutMs).unref();
  connections.completions.endStreams();
  if (server) await drain(server);
  // Every request is answered. Closing the Redis connections politely needs Redis: when it is
  // down, that must not turn a clean stop into a timeout (exit 1 after SHUTDOWN_TIMEOUT_MS).
  const closed = await Promise.race([
    connections.close().then(
      () => true,
      (error: Error) => {
        logger.warn({ err: error.message }, 'redis connections closed with an error');
        return true;
      },
    ),
    new Promise<false>((resolve) => setTimeout(resolve, REDIS_CLOSE_GRACE_MS, false).unref()),
  ]);
  if (!closed) logger.warn('redis connections did not close in time (is Redis down?); stopping anyway');
  await flushTraces();
  clearTimeout(forced);
  logger.info('api stopped');
  process.exit(0);
}

/** How long a stop waits for the last spans to reach the collector. */
const TRACES_FLUSH_GRACE_MS = 2000;

/** The spans of the last requests go out before the process ends; a collector that is down does not hold the stop up. */
async function flushTraces(): Promise<void> {
  if (!tracing) return;
  const grace = new Promise<void>((resolve) => setTimeout(resolve, TRACES_FLUSH_GRACE_MS).unref());
  await Promise.race([tracing.shutdown().catch((error: Error) => logger.warn({ err: error.message }, 'traces not flushed')), grace]);
}

/** Stops listening and answers the requests in flight. */
async function drain(listening: NonNullable<typeof server>): Promise<void> {
  // Keep-alive connections turn idle as their last response ends (streams included): close
  // each as soon as it does, rather than waiting out the keep-alive timeout.
  const closeIdle = () => ('closeIdleConnections' in listening ? listening.closeIdleConnections() : undefined);
  const sweeper = setInterval(closeIdle, 100);
  await new Promise<void>((resolve) => {
    listening.close(() => resolve());
    closeIdle();
  });
  clearInterval(sweeper);
}

process.once('SIGTERM', () => void shutdown('SIGTERM'));
process.once('SIGINT', () => void shutdown('SIGINT'));

if (!(await connections.whenReady(REDIS_READY_WAIT_MS))) {
  logger.warn({ waitedMs: REDIS_READY_WAIT_MS }, 'redis is not ready yet; listening anyway: requests that need it answer 503 until it is');
}
if (!stopping) {
  server = startHttpServer({
    fetch: app.fetch,
    port: config.port,
    hostname: config.host,
    maxConnections: config.maxConnections,
    onConnectionDropped,
    onListening: (port) => logger.info({ url: `http://${config.host}:${port}`, redis: redactRedisUrl(config.redis.url) }, 'api listening'),
  });
}
