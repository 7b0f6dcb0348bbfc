/**
 * The helpers that start our processes, free of vitest, for programs that are not tests (the
 * benchmark) as well as for tests: `@msgpipe/testkit/processes`.
 */
export { ADMIN_TOKEN, asAdmin } from './admin-token.js';
export { childEnv, withOverrides, type EnvOverrides } from './child-env.js';
export { clientIps } from './client-ips.js';
export { NodeProcess, type NodeProcessOptions, type ProcessExit } from './node-process.js';
export { Pipeline, startPipeline, type PipelineOptions, type PipelineRedis } from './pipeline.js';
export { API_MAIN, LAUNCHER_MAIN, repoRoot, WORKER_MAIN } from './repo-paths.js';
