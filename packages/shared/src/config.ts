import { z } from 'zod';
import { DEFAULT_IPV6_RATE_LIMIT_PREFIX } from './ip.js';
import { MAX_BATCH_MESSAGES } from './job-data.js';
import { tracingConfigOf, tracingEnvShape, type TracingConfig } from './tracing-config.js';
import { parseTrustProxy } from './trust-proxy.js';

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

/** Variables whose values must never be echoed back, not even in a validation error. */
const SECRET_VARIABLES = new Set(['REDIS_URL', 'ADMIN_TOKEN', 'RESPONDER_SECRET', 'OPENAI_API_KEY']);

const integer = (min: number, max: number) =>
  z.coerce
    .number({ error: `expected an integer from ${min} to ${max}` })
    .int({ error: `expected an integer from ${min} to ${max}` })
    .min(min, { error: `expected an integer from ${min} to ${max}` })
    .max(max, { error: `expected an integer from ${min} to ${max}` });

const redisUrl = z.string().refine(
  (value) => {
    try {
      return ['redis:', 'rediss:'].includes(new URL(value).protocol);
    } catch {
      return false;
    }
  },
  { error: 'expected a redis:// or rediss:// URL' },
);

const hostPortList = z
  .string()
  .transform((value) => value.split(',').map((entry) => entry.trim()).filter(Boolean))
  .pipe(
    z
      .array(
        z
          .string()
          .regex(/^[^\s:]+:\d{1,5}$|^\[[0-9a-fA-F:.]+\]:\d{1,5}$/, { error: 'expected host:port,host:port,…', abort: true })
          .refine(
            (entry) => {
              const port = Number(entry.slice(entry.lastIndexOf(':') + 1));
              return port >= 1 && port <= 65_535;
            },
            { error: 'expected host:port,host:port,… (ports 1–65535)' },
          ),
      )
      .min(1, { error: 'expected host:port,host:port,…' }),
  )
  .transform((entries) =>
    entries.map((entry) => {
      const colon = entry.lastIndexOf(':');
      return { host: entry.slice(0, colon).replace(/^\[|\]$/g, ''), port: Number(entry.slice(colon + 1)) };
    }),
  );

const MAX_QUEUE_PARTITIONS = 64;

/** `0,2` or `0-2,5`: queue partition numbers, sorted and without repeats. */
const partitionList = z.string().transform((value, ctx) => {
  const expected = `expected partition numbers from 0 to ${MAX_QUEUE_PARTITIONS - 1}, as 0,2 or 0-2`;
  const partitions = new Set<number>();
  for (const entry of value.split(',').map((part) => part.trim())) {
    const range = /^(\d{1,2})(?:-(\d{1,2}))?$/.exec(entry);
    const from = Number(range?.[1]);
    const to = Number(range?.[2] ?? range?.[1]);
    if (!range || from > to || to >= MAX_QUEUE_PARTITIONS) {
      ctx.addIssue({ code: 'custom', message: expected });
      return z.NEVER;
    }
    for (let partition = from; partition <= to; partition++) partitions.add(partition);
  }
  return [...partitions].sort((a, b) => a - b);
});

const httpUrl = z.string().refine(
  (value) => {
    try {
      return ['http:', 'https:'].includes(new URL(value).protocol);
    } catch {
      return false;
    }
  },
  { error: 'expected an http:// or https:// URL' },
);

/** The origin `entry` names, as a browser sends it in `Origin`; undefined unless it is a bare http(s) origin. */
function bareOrigin(entry: string): string | undefined {
  let url: URL;
  try {
    url = new URL(entry);
  } catch {
    return undefined;
  }
  const bare = ['http:', 'https:'].includes(url.protocol) && !url.username && !url.password && url.pathname === '/' && !url.search && !url.hash;
  return bare ? url.origin : undefined;
}

/**
 * `https://app.example.com, http://localhost:5173`: the origins whose pages may call the public
 * API from a browser, normalized as browsers send them (lower case, no default port).
 */
const originList = z.string().transform((value, ctx) => {
  const origins = new Set<string>();
  for (const entry of value.split(',').map((part) => part.trim()).filter(Boolean)) {
    const origin = bareOrigin(entry);
    if (!origin) {
      const hint = entry === '*' ? ' ("*" is not accepted: every site could then spend its visitors\' budgets)' : '';
      ctx.addIssue({ code: 'custom', message: `expected a comma list of origins such as https://app.example.com; "${entry}" is not one${hint}` });
      return z.NEVER;
    }
    origins.add(origin);
  }
  return [...origins];
});

const trustProxy = z.string().transform((value, ctx) => {
  try {
    return parseTrustProxy(value);
  } catch (error) {
    ctx.addIssue({ code: 'custom', message: (error as Error).message });
    return z.NEVER;
  }
});

/**
 * Every environment variable msgpipe reads, with its default. Empty strings count as unset,
 * so `FOO=` in a compose file means "use the default".
 */
export const envSchema = z.object({
  PORT: integer(0, 65_535).default(3000),
  HOST: z.string().min(1).default('127.0.0.1'),
  REDIS_URL: redisUrl.optional(),
  REDIS_CLUSTER_NODES: hostPortList.optional(),
  REDIS_PREFIX: z
    .string()
    .regex(/^[A-Za-z0-9_.-]{1,64}$/, { error: 'expected 1–64 letters, digits, "_", "." or "-"' })
    .default('msgpipe'),
  ADMIN_TOKEN: z.string().min(16, { error: 'expected at least 16 characters' }).optional(),
  ADMIN_AUTH_FAILURES_PER_MINUTE: integer(0, 10_000).default(10),
  TRUST_PROXY: trustProxy.optional(),
  CORS_ORIGINS: originList.optional(),
  RATE_LIMIT_PER_MINUTE: integer(0, 1_000_000).default(60),
  RATE_LIMIT_IPV6_PREFIX: integer(16, 128).default(DEFAULT_IPV6_RATE_LIMIT_PREFIX),
  READ_RATE_LIMIT_PER_MINUTE: integer(0, 1_000_000).default(600),
  STREAMS_PER_IP: integer(0, 10_000).default(20),
  MAX_CONNECTIONS: integer(0, 1_000_000).default(10_000),
  MESSAGE_MAX_BYTES: integer(1, 1_048_576).default(8192),
  HISTORY_MAX_ENTRIES: integer(1, 10_000).default(100),
  HISTORY_TTL_SECONDS: integer(60, 31_536_000).default(604_800),
  ONLINE_WINDOW_SECONDS: integer(1, 86_400).default(300),
  WORKER_CONCURRENCY: integer(1, 1000).default(50),
  QUEUE_PARTITIONS: integer(1, MAX_QUEUE_PARTITIONS).default(1),
  ENQUEUE_BATCH_MAX: integer(1, MAX_BATCH_MESSAGES).default(50),
  ENQUEUE_BATCH_MAX_BYTES: integer(1024, 16_777_216).default(1_048_576),
  WORKER_PARTITIONS: partitionList.optional(),
  WORKER_METRICS_PORT: integer(1, 65_535).optional(),
  JOB_LOCK_MS: integer(1000, 600_000).default(30_000),
  RESPONDER: z.enum(['rules', 'webhook', 'openai'], { error: 'expected rules, webhook or openai' }).default('rules'),
  RESPONDER_RULES_FILE: z.string().optional(),
  RESPONDER_URL: httpUrl.optional(),
  RESPONDER_SECRET: z.string().min(16, { error: 'expected at least 16 characters' }).optional(),
  RESPONDER_TIMEOUT_MS: integer(100, 600_000).default(10_000),
  RESPONDER_ATTEMPTS: integer(1, 20).default(5),
  RESPONDER_MAX_PER_SECOND: integer(0, 1_000_000).default(0),
  RESPONSE_CACHE_TTL_SECONDS: integer(0, 86_400).optional(),
  RESPONSE_MAX_BYTES: integer(1024, 16_777_216).default(65_536),
  OPENAI_BASE_URL: httpUrl.optional(),
  OPENAI_API_KEY: z.string().optional(),
  OPENAI_MODEL: z.string().optional(),
  OPENAI_SYSTEM_PROMPT: z.string().optional(),
  OPENAI_MAX_TOKENS: integer(1, 1_000_000).default(4096),
  OPENAI_MAX_TOKENS_FIELD: z
    .enum(['max_completion_tokens', 'max_tokens'], { error: 'expected max_completion_tokens or max_tokens' })
    .default('max_completion_tokens'),
  LOG_LEVEL: z.enum(LOG_LEVELS, { error: `expected one of ${LOG_LEVELS.join(', ')}` }).default('info'),
  ACCESS_LOG_LEVEL: z.enum(LOG_LEVELS, { error: `expected one of ${LOG_LEVELS.join(', ')}` }).default('info'),
  ...tracingEnvShape,
  SHUTDOWN_TIMEOUT_MS: integer(0, 600_000).default(10_000),
  LOCAL_REDIS_PORT: integer(1, 65_535).default(6390),
  LOCAL_REDIS_DIR: z.string().default('.data/redis'),
  WORKERS: integer(1, 64).default(1),
  /** Node's own convention; `production` makes the API insist on ADMIN_TOKEN. */
  NODE_ENV: z.string().optional(),
});

/** What each responder cannot start without. */
const REQUIRED_BY_RESPONDER = {
  rules: [],
  webhook: ['RESPONDER_URL', 'RESPONDER_SECRET'],
  openai: ['OPENAI_BASE_URL', 'OPENAI_API_KEY', 'OPENAI_MODEL'],
} as const satisfies Record<string, ReadonlyArray<keyof z.output<typeof envSchema>>>;

/**
 * What the API cannot start without in production: a token it generated for itself would
 * differ from one API process to the next, so behind a load balancer an admin would get 401s
 * at random. Workers and tools never check the token.
 */
function requiredByRole(env: { NODE_ENV?: string; ADMIN_TOKEN?: string }, role: ProcessRole | undefined): string[] {
  if (role === 'api' && env.NODE_ENV === 'production' && env.ADMIN_TOKEN === undefined) {
    return ['ADMIN_TOKEN: required when NODE_ENV=production (every API process must share one token)'];
  }
  return [];
}

/** Which msgpipe process loads the configuration, for what only that process needs. */
export type ProcessRole = 'api' | 'worker';

export interface LoadOptions {
  role?: ProcessRole;
}

export type Env = z.output<typeof envSchema>;

export type ResponderConfig =
  | { readonly kind: 'rules'; readonly rulesFile: string | undefined }
  | { readonly kind: 'webhook'; readonly url: string; readonly secret: string }
  | {
      readonly kind: 'openai';
      readonly baseUrl: string;
      readonly apiKey: string;
      readonly model: string;
      readonly systemPrompt: string | undefined;
      /** OPENAI_MAX_TOKENS, sent as OPENAI_MAX_TOKENS_FIELD: the longest completion to generate. */
      readonly maxTokens: number;
      readonly maxTokensField: Env['OPENAI_MAX_TOKENS_FIELD'];
    };

export interface Config {
  readonly port: number;
  readonly host: string;
  readonly redis: {
    /** Unset means "the launcher's local Redis"; apps fall back to redis://127.0.0.1:LOCAL_REDIS_PORT. */
    readonly url: string;
    readonly clusterNodes: ReadonlyArray<{ host: string; port: number }> | undefined;
    readonly prefix: string;
  };
  readonly adminToken: string | undefined;
  /** Failed admin authentications a client IP (IPv6: /64) may make in a minute; 0: no limit. */
  readonly adminAuthFailuresPerMinute: number;
  readonly trustProxy: ReturnType<typeof parseTrustProxy> | undefined;
  /** CORS_ORIGINS: origins whose pages may call the public API from a browser; none by default. */
  readonly corsOrigins: readonly string[];
  readonly rateLimitPerMinute: number;
  /** The IPv6 network every per-IP limit counts as one client (RATE_LIMIT_IPV6_PREFIX). */
  readonly ipv6RateLimitPrefix: number;
  /** Reads (GET history, GET a message, stream connects) per client per minute; 0: no limit. */
  readonly readRateLimitPerMinute: number;
  /** `/v1/stream` connections one client may hold at once, over every API process; 0: no cap. */
  readonly streamsPerIp: number;
  /** Open HTTP connections per API process; beyond it new ones are closed at once. 0: no cap. */
  readonly maxConnections: number;
  readonly messageMaxBytes: number;
  readonly history: { readonly maxEntries: number; readonly ttlSeconds: number };
  readonly onlineWindowSeconds: number;
  readonly workerConcurrency: number;
  readonly queuePartitions: number;
  /**
   * Group commit (ENQUEUE_BATCH_MAX, ENQUEUE_BATCH_MAX_BYTES): at most this many messages, and
   * this much text, in one job; 1 sends every message as a job of its own.
   */
  readonly enqueueBatch: { readonly maxMessages: number; readonly maxBytes: number };
  /** The partitions a worker consumes (WORKER_PARTITIONS); unset: all of QUEUE_PARTITIONS. */
  readonly workerPartitions: readonly number[] | undefined;
  /**
   * How long a worker's lock on a job lasts without renewal: a crashed worker's jobs are run
   * again after this (and within twice this, when the stalled-job check next runs).
   */
  readonly jobLockMs: number;
  /** Where a worker serves its Prometheus metrics (on HOST); unset: it serves none. */
  readonly workerMetricsPort: number | undefined;
  readonly responder: ResponderConfig;
  readonly responderPolicy: {
    readonly timeoutMs: number;
    /** Calls per message before it fails for good (transient failures only). */
    readonly attempts: number;
    /** Responder calls per second over all workers; 0: no cap. */
    readonly maxPerSecond: number;
    /** 0: no cache. Default 60, but 0 for openai, whose answers depend on the conversation. */
    readonly cacheTtlSeconds: number;
    /** RESPONSE_MAX_BYTES: the most of an upstream's reply that is read; a longer one fails the message for good. */
    readonly maxResponseBytes: number;
  };
  readonly logLevel: Env['LOG_LEVEL'];
  /** The level of the API's line per request: below LOG_LEVEL (or silent) turns those lines off. */
  readonly accessLogLevel: Env['ACCESS_LOG_LEVEL'];
  /** OpenTelemetry tracing from the standard OTEL_* variables; undefined: off. */
  readonly tracing: TracingConfig | undefined;
  readonly shutdownTimeoutMs: number;
  readonly localRedisPort: number;
  /** The launcher's Redis data directory, relative to the repository root unless absolute. */
  readonly localRedisDir: string;
  readonly workers: number;
}

export class ConfigError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(`Invalid configuration:\n${problems.map((problem) => `  - ${problem}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

function withoutEmptyValues(env: NodeJS.ProcessEnv): Record<string, string> {
  const cleaned: Record<string, string> = {};
  for (const [name, value] of Object.entries(env)) {
    if (value !== undefined && value.trim() !== '') cleaned[name] = value.trim();
  }
  return cleaned;
}

/** Parses and validates the environment once; throws a ConfigError naming every bad variable. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env, { role }: LoadOptions = {}): Config {
  const cleaned = withoutEmptyValues(env);
  const result = envSchema.safeParse(cleaned);
  if (!result.success) {
    const problems = result.error.issues.map((issue) => {
      const name = String(issue.path[0] ?? 'environment');
      const raw = cleaned[name];
      const shown = raw === undefined || SECRET_VARIABLES.has(name) ? '' : ` (got ${JSON.stringify(raw)})`;
      return `${name}: ${issue.message}${shown}`;
    });
    throw new ConfigError([...problems, ...requiredByRole(cleaned, role)]);
  }
  const e = result.data;
  const missing = [
    ...REQUIRED_BY_RESPONDER[e.RESPONDER].filter((name) => e[name] === undefined || e[name] === '').map((name) => `${name}: required when RESPONDER=${e.RESPONDER}`),
    ...requiredByRole(e, role),
  ];
  if (missing.length > 0) throw new ConfigError(missing);
  return {
    port: e.PORT,
    host: e.HOST,
    redis: {
      url: e.REDIS_URL ?? `redis://127.0.0.1:${e.LOCAL_REDIS_PORT}`,
      clusterNodes: e.REDIS_CLUSTER_NODES,
      prefix: e.REDIS_PREFIX,
    },
    adminToken: e.ADMIN_TOKEN,
    adminAuthFailuresPerMinute: e.ADMIN_AUTH_FAILURES_PER_MINUTE,
    trustProxy: e.TRUST_PROXY,
    corsOrigins: e.CORS_ORIGINS ?? [],
    rateLimitPerMinute: e.RATE_LIMIT_PER_MINUTE,
    ipv6RateLimitPrefix: e.RATE_LIMIT_IPV6_PREFIX,
    readRateLimitPerMinute: e.READ_RATE_LIMIT_PER_MINUTE,
    streamsPerIp: e.STREAMS_PER_IP,
    maxConnections: e.MAX_CONNECTIONS,
    messageMaxBytes: e.MESSAGE_MAX_BYTES,
    history: { maxEntries: e.HISTORY_MAX_ENTRIES, ttlSeconds: e.HISTORY_TTL_SECONDS },
    onlineWindowSeconds: e.ONLINE_WINDOW_SECONDS,
    workerConcurrency: e.WORKER_CONCURRENCY,
    queuePartitions: e.QUEUE_PARTITIONS,
    enqueueBatch: { maxMessages: e.ENQUEUE_BATCH_MAX, maxBytes: e.ENQUEUE_BATCH_MAX_BYTES },
    workerPartitions: e.WORKER_PARTITIONS,
    workerMetricsPort: e.WORKER_METRICS_PORT,
    jobLockMs: e.JOB_LOCK_MS,
    responder: responderConfig(e),
    responderPolicy: {
      timeoutMs: e.RESPONDER_TIMEOUT_MS,
      attempts: e.RESPONDER_ATTEMPTS,
      maxPerSecond: e.RESPONDER_MAX_PER_SECOND,
      cacheTtlSeconds: e.RESPONSE_CACHE_TTL_SECONDS ?? (e.RESPONDER === 'openai' ? 0 : 60),
      maxResponseBytes: e.RESPONSE_MAX_BYTES,
    },
    logLevel: e.LOG_LEVEL,
    accessLogLevel: e.ACCESS_LOG_LEVEL,
    tracing: tracingConfigOf(e),
    shutdownTimeoutMs: e.SHUTDOWN_TIMEOUT_MS,
    localRedisPort: e.LOCAL_REDIS_PORT,
    localRedisDir: e.LOCAL_REDIS_DIR,
    workers: e.WORKERS,
  };
}

function responderConfig(e: Env): ResponderConfig {
  switch (e.RESPONDER) {
    case 'rules':
      return { kind: 'rules', rulesFile: e.RESPONDER_RULES_FILE };
    case 'webhook':
      return { kind: 'webhook', url: e.RESPONDER_URL!, secret: e.RESPONDER_SECRET! };
    case 'openai':
      return {
        kind: 'openai',
        baseUrl: e.OPENAI_BASE_URL!,
        apiKey: e.OPENAI_API_KEY!,
        model: e.OPENAI_MODEL!,
        systemPrompt: e.OPENAI_SYSTEM_PROMPT,
        maxTokens: e.OPENAI_MAX_TOKENS,
        maxTokensField: e.OPENAI_MAX_TOKENS_FIELD,
      };
  }
}

/** For entry points: a bad environment ends the process with a message naming the variable. */
export function loadConfigOrExit(env: NodeJS.ProcessEnv = process.env, options: LoadOptions = {}): Config {
  try {
    return loadConfig(env, options);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    process.stderr.write(`${error.message}\n`);
    process.exit(78); // EX_CONFIG
  }
}
