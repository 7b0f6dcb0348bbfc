export { createApp, type AppDeps } from './app.js';
export { CompletionStream } from './live/completion-stream.js';
export { openConnections, type ApiConnections } from './connections.js';
export type { AppEnv } from './context.js';
export { MessageQueues } from './queues/message-queues.js';
export { MessageWaiters, type Outcome, type Waiting } from './live/message-waiters.js';
