import { fileURLToPath } from 'node:url';

/** The repository root: this file sits at the same depth in tools/testkit/src and dist. */
export const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));

/** The built apps, relative to repoRoot (the processes' working directory). */
export const API_MAIN = 'apps/api/dist/main.js';
export const WORKER_MAIN = 'apps/worker/dist/main.js';
export const LAUNCHER_MAIN = 'tools/launcher/dist/main.js';
