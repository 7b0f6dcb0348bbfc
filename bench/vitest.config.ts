import { testConfig } from '@msgpipe/testkit/vitest-preset';

// Only the pure parts are tested here; the benchmark itself is `npm run bench`, not a test.
export default testConfig();
