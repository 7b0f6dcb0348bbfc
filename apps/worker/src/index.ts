export { exponentialBackoffMs, MAX_BACKOFF_MS, MAX_RETRY_AFTER_MS, responderBackoffStrategy } from './backoff.js';
export { MeasuredResponder } from './measured-responder.js';
export { serveMetrics } from './metrics-server.js';
export { WorkerMetrics } from './metrics.js';
export { createProcessor, RECENT_HISTORY_ENTRIES, type ProcessorDeps } from './process-message.js';
export { CachingResponder, type ResponseCacheOptions } from './response-cache.js';
export * from './responders/index.js';
export { createWorker, MessageWorker, responderLimiter, type WorkerDeps } from './worker.js';
