export { ensureRedisServerBinary, findExecutable, INSTALL_HINT } from './binary.js';
export { freePort } from './free-port.js';
export { RedisServer, type RedisServerOptions } from './redis-server.js';
export { answersPing } from './ping.js';
