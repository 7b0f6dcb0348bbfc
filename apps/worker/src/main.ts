import { createLogger, createRedis, loadConfigOrExit, redactRedisUrl } from '@msgpipe/shared';
import { serveMetrics } from './metrics-server.js';
import { createWorker } from './worker.js';

const config = loadConfigOrExit();
const logger = createLogger({ name: 'worker', level: config.logLevel });
const connection = createRedis(config.redis, 'worker', 'msgpipe-worker');
connection.on('error', (error) => logger.warn({ err: error.message }, 'redis connection error'));
const worker = createWorker({ config, connection, logger });
worker
  .ready()
  .then(() => logger.info({ redis: redactRedisUrl(config.redis.url), concurrency: config.workerConcurrency }, 'worker consuming'))
  .catch((error: Error) => logger.error({ err: error.message }, 'worker failed to start'));
const metricsServer =
  config.workerMetricsPort === undefined ? undefined : await serveMetrics(worker.metrics.registry, config.workerMetricsPort, config.host);
if (metricsServer) logger.info({ url: `http://${config.host}:${metricsServer.port}/metrics` }, 'worker metrics listening');

let stopping = false;
async function shutdown(signal: string): Promise<void> {
  if (stopping) return;
  stopping = true;
  logger.info({ signal }, 'worker stopping: finishing jobs in flight');
  await worker.close();
  await metricsServer?.close();
  await connection.quit().catch(() => connection.disconnect());
  logger.info('worker stopped');
  process.exit(0);
}
process.once('SIGTERM', () => void shutdown('SIGTERM'));
process.once('SIGINT', () => void shutdown('SIGINT'));
