export { ensureRedisServerBinary, findExecutable, INSTALL_HINT } from './binary.js';
export { freePort } from './free-port.js';
export { RedisServer, type RedisServerOptions, type RedisTlsFiles } from './redis-server.js';
export { answersPing } from './ping.js';
export { runOwned, spawnOwned, sweepOrphans, type RunError, type RunOptions, type RunResult } from './owned-process.js';
