import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts'],
    globalSetup: ['@msgpipe/testkit/redis-global-setup'],
    testTimeout: 20_000,
  },
});
