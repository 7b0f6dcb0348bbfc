import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts'],
    globalSetup: ['@msgpipe/testkit/redis-global-setup'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
