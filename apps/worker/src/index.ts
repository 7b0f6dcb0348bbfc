export { createProcessor, type ProcessorDeps } from './process-message.js';
export { BUILT_IN_RULES, RulesResponder, type Responder, type ResponderContext, type Rule } from './responder.js';
export { createWorker, MessageWorker, type WorkerDeps } from './worker.js';
export { serveMetrics } from './metrics-server.js';
export { WorkerMetrics } from './metrics.js';
