import { defineConfig } from 'vitest/config';

// Only the pure parts are tested here; the benchmark itself is `npm run bench`, not a test.
export default defineConfig({
  test: { include: ['src/**/*.test.ts'] },
});
