/**
 * Variables that tell a process of ours which Redis, keys, port, token or share of the work is
 * its own. Set in the test runner's environment (a developer's shell, a CI job), they would
 * point a test's processes at something else, so a child gets them only from the test.
 */
const POINTING_ELSEWHERE = [
  'REDIS_URL',
  'REDIS_CLUSTER_NODES',
  'REDIS_PREFIX',
  'ADMIN_TOKEN',
  'PORT',
  'HOST',
  'WORKERS',
  'QUEUE_PARTITIONS',
  'WORKER_PARTITIONS',
  'WORKER_METRICS_PORT',
];

/** Overrides of an environment: a value sets the variable, undefined removes it. */
export type EnvOverrides = Record<string, string | undefined>;

/** The environment of a child process: ours, minus what would point it elsewhere, plus `overrides`. */
export function childEnv(overrides: EnvOverrides): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, NODE_ENV: 'production', LOG_LEVEL: 'info' };
  for (const name of POINTING_ELSEWHERE) delete env[name];
  // A developer's OTEL_* (a collector of theirs) would trace the test's processes there too.
  for (const name of Object.keys(env)) if (name.startsWith('OTEL_')) delete env[name];
  return withOverrides(env, overrides);
}

/** `env` with `overrides` applied, as a new object. */
export function withOverrides(env: NodeJS.ProcessEnv, overrides: EnvOverrides): NodeJS.ProcessEnv {
  const result = { ...env };
  for (const [name, value] of Object.entries(overrides)) {
    if (value === undefined) delete result[name];
    else result[name] = value;
  }
  return result;
}
