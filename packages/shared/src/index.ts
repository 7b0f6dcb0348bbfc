export { Coalescer, type CoalescerLimits } from './coalescer.js';
export { groupBySlot, hashSlotOf } from './hash-slot.js';
export { ConfigError, envSchema, loadConfig, loadConfigOrExit, type Config, type Env, type LoadOptions, type ProcessRole } from './config.js';
export { ExchangeRecorder, type ExchangeToRecord, type RecorderPolicy } from './exchange-recorder.js';
export { HistoryStore, type HistoryEntry, type HistoryPolicy, type MessageStatus } from './history.js';
export { BATCH_FORMAT, batchIdOf, batchMessageId, batchMessagesOf, carriedMessages, InvalidJobDataError, isBatchJob, MAX_BATCH_MESSAGES, singleMessageOf, type BatchJob, type MessageJobData } from './job-data.js';
export { DEFAULT_IPV6_RATE_LIMIT_PREFIX, ipKeySegment, normalizeIp, rateLimitSubject } from './ip.js';
export { KeySchema } from './keys.js';
export { createLogger, REDACTED_PATHS, type Logger, type LoggerSettings } from './logger.js';
export { LuaScript } from './lua-script.js';
export {
  MAX_MESSAGE_ATTEMPTS,
  MESSAGE_JOB_NAME,
  MESSAGE_JOB_OPTIONS,
  openMessageQueue,
  partitionOf,
  RESPONDER_BACKOFF_TYPE,
  queueName,
  queuePrefix,
  type MessageJob,
} from './queue.js';
export {
  createRedis,
  isRedisUnavailableError,
  redactRedisUrl,
  type ConnectionRole,
  type RedisClient,
} from './redis.js';
export { explainConnectionErrors, redisErrorHint, withRedisHint } from './redis-error-hints.js';
export { Retention } from './retention.js';
export { isRequestId, isTraceparent, isTracestate, MAX_TRACESTATE_CHARS, REQUEST_ID_PATTERN, type TraceCarrier } from './trace-context.js';
export { tracingConfigOf, type OtlpProtocol, type TraceSampler, type TracingConfig } from './tracing-config.js';
export { StatsStore, type DayCount, type MinuteCount, type Sender, type StatsSnapshot } from './stats.js';
export { dayExpiresAt, lastDays, lastMinutes, minuteExpiresAt, utcDay, utcMinute } from './stats-time.js';
export { parseTrustProxy, resolveClientIp, TrustedProxies } from './trust-proxy.js';
