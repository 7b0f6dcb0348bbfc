import { defineConfig, type ViteUserConfig } from 'vitest/config';
import { Timeouts } from './timeouts.js';

export interface PresetOptions {
  /** Start one throwaway redis-server for the package's run (see redis-global-setup). Default false. */
  redis?: boolean;
}

const here = (file: string) => new URL(file, import.meta.url).pathname;

/**
 * The vitest config every package uses: its tests beside the code, the timeouts of
 * `Timeouts`, a sweep of processes an earlier, killed run left behind, and optionally a Redis.
 */
export function testConfig({ redis = false }: PresetOptions = {}): ViteUserConfig {
  const extension = import.meta.url.endsWith('.ts') ? 'ts' : 'js';
  return defineConfig({
    test: {
      include: ['src/**/*.test.ts'],
      globalSetup: [here(`./sweep-global-setup.${extension}`), ...(redis ? [here(`./redis-global-setup.${extension}`)] : [])],
      testTimeout: Timeouts.test,
      hookTimeout: Timeouts.hook,
      teardownTimeout: Timeouts.hook,
    },
  });
}
