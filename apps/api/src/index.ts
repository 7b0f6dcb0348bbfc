export { createApp, type AppDeps } from './app.js';
export type { AppEnv } from './context.js';
export { MessageQueues } from './message-queues.js';
