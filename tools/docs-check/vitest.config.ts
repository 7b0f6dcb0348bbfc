import { testConfig } from '@msgpipe/testkit/vitest-preset';

export default testConfig();
