export { ensureRedisServerBinary, findExecutable, INSTALL_HINT } from './binary.js';
export { freePort } from './free-port.js';
export { RedisServer, type RedisServerOptions, type RedisTlsFiles } from './redis-server.js';
export { answersPing } from './ping.js';
export { spawnOwned, sweepOrphans } from './owned-process.js';
