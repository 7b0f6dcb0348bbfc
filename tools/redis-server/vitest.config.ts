// By path, not by package name: the testkit depends on this package, not the other way round.
import { testConfig } from '../testkit/src/vitest-preset.js';

export default testConfig();
