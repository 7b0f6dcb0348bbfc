import { describe, expect, it } from 'vitest';
import { formatBytes, ProgressBar } from './progress.js';

function fakeStream(isTTY: boolean) {
  const written: string[] = [];
  const stream = { isTTY, write: (text: string) => written.push(text) } as unknown as NodeJS.WriteStream;
  return { stream, written };
}

describe('ProgressBar', () => {
  it('redraws one line in place on a terminal, and clears it', () => {
    const { stream, written } = fakeStream(true);
    const bar = new ProgressBar(stream, 'backup');
    bar.update(15, 30, '15 keys');
    expect(written).toEqual([`\rbackup [${'#'.repeat(15)}${'.'.repeat(15)}] 50% 15 keys\x1b[K`]);
    bar.update(16, 30, 'too soon');
    expect(written).toHaveLength(1);
    bar.update(30, 30, 'done');
    expect(written[1]).toMatch(/^\rbackup \[#{30}\] 100% done/);
    bar.clear();
    expect(written[2]).toBe('\r\x1b[K');
  });

  it('shows only the detail while the total is unknown', () => {
    const { stream, written } = fakeStream(true);
    new ProgressBar(stream, 'restore').update(7, 0, 'verifying 7 keys');
    expect(written).toEqual(['\rrestore verifying 7 keys\x1b[K']);
  });

  it('writes nothing when not on a terminal', () => {
    const { stream, written } = fakeStream(false);
    const bar = new ProgressBar(stream, 'backup');
    bar.update(1, 2, 'x');
    bar.clear();
    expect(written).toEqual([]);
  });
});

it('formatBytes', () => {
  expect([formatBytes(512), formatBytes(2048), formatBytes(5 * 1024 * 1024)]).toEqual(['512 B', '2.0 KB', '5.0 MB']);
});
