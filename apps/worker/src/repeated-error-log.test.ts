import { describe, expect, it } from 'vitest';
import { RepeatedErrorLog } from './repeated-error-log.js';

describe('RepeatedErrorLog', () => {
  it('logs a message once per interval, then says how often it repeated', () => {
    const lines: Array<{ err: string; repeated?: number }> = [];
    let now = 0;
    const log = new RepeatedErrorLog((fields) => lines.push(fields), 1000, () => now);

    for (let i = 0; i < 500; i++) log.report('OOM command not allowed');
    log.report('another error');
    now = 999;
    log.report('OOM command not allowed');
    now = 1000;
    log.report('OOM command not allowed');
    now = 2500;
    log.report('OOM command not allowed');

    expect(lines).toEqual([
      { err: 'OOM command not allowed' },
      { err: 'another error' },
      { err: 'OOM command not allowed', repeated: 500 },
      { err: 'OOM command not allowed' },
    ]);
  });
});
