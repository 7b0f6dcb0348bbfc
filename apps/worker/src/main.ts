import { createLogger, createRedis, loadConfigOrExit, redactRedisUrl } from '@msgpipe/shared';
import { serveMetrics } from './metrics-server.js';
import { createResponder } from './responders/index.js';
import type { Responder } from './responders/responder.js';
import { startTelemetry } from './telemetry.js';
import { workerHealth } from './worker-health.js';
import { createWorker } from './worker.js';

const config = loadConfigOrExit();
// Before connecting to anything: a worker with a bad rules file must not take a single message.
let responder: Responder;
try {
  responder = createResponder(config);
} catch (error) {
  process.stderr.write(`Cannot start the ${config.responder.kind} responder: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(78); // EX_CONFIG, as for a bad environment variable
}
const logger = createLogger({ name: 'worker', level: config.logLevel });
// Before the worker is built: off (no OTEL_* variable asks for it), it loads nothing.
const tracing = await startTelemetry(config.tracing, logger);
const connection = createRedis(config.redis, 'worker', 'msgpipe-worker');
connection.on('error', (error) => logger.warn({ err: error.message }, 'redis connection error'));
const worker = createWorker({ config, connection, logger, responder, partitions: config.workerPartitions, tracing });
worker
  .ready()
  .then(() => logger.info({ redis: redactRedisUrl(config.redis.url), concurrency: config.workerConcurrency, queues: worker.workers.map((queue) => queue.name) }, 'worker consuming'))
  .catch((error: Error) => logger.error({ err: error.message }, 'worker failed to start'));
const metricsServer =
  config.workerMetricsPort === undefined
    ? undefined
    : await serveMetrics(worker.metrics.registry, config.workerMetricsPort, config.host, () => workerHealth(connection, worker.workers));
if (metricsServer) {
  const base = `http://${config.host}:${metricsServer.port}`;
  logger.info({ url: `${base}/metrics`, health: `${base}/healthz` }, 'worker metrics listening');
}

/** How long a stop waits for Redis to acknowledge QUIT. */
const QUIT_GRACE_MS = 1000;

/**
 * QUIT on a connection that is reconnecting waits in the offline queue until Redis is back,
 * which may be never: a stop during an outage hung forever on it. Only a live connection gets
 * a polite goodbye, and even that is bounded.
 */
async function closeRedis(): Promise<void> {
  if (connection.status === 'ready') {
    const grace = new Promise<void>((resolve) => setTimeout(resolve, QUIT_GRACE_MS).unref());
    await Promise.race([connection.quit().catch(() => undefined), grace]);
  }
  connection.disconnect();
}

/** How long a stop waits for the last spans to reach the collector. */
const TRACES_FLUSH_GRACE_MS = 2000;

/** The last messages' spans go out before the process ends; a collector that is down does not hold the stop up. */
async function flushTraces(): Promise<void> {
  if (!tracing) return;
  const grace = new Promise<void>((resolve) => setTimeout(resolve, TRACES_FLUSH_GRACE_MS).unref());
  await Promise.race([tracing.shutdown().catch((error: Error) => logger.warn({ err: error.message }, 'traces not flushed')), grace]);
}

let stopping = false;
async function shutdown(signal: string): Promise<void> {
  if (stopping) return;
  stopping = true;
  logger.info({ signal }, 'worker stopping: finishing jobs in flight');
  await worker.close();
  await metricsServer?.close();
  await closeRedis();
  await flushTraces();
  logger.info('worker stopped');
  process.exit(0);
}
process.once('SIGTERM', () => void shutdown('SIGTERM'));
process.once('SIGINT', () => void shutdown('SIGINT'));
