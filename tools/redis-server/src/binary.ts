import { spawnSync } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';

const EXTRA_DIRECTORIES = ['/usr/bin', '/usr/sbin', '/usr/local/bin', '/opt/homebrew/bin'];

/** The path of an executable on PATH (or in the usual system folders), if there is one. */
export function findExecutable(name: string): string | undefined {
  const directories = [...(process.env.PATH ?? '').split(delimiter), ...EXTRA_DIRECTORIES];
  for (const directory of directories.filter(Boolean)) {
    const candidate = join(directory, name);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here; keep looking
    }
  }
  return undefined;
}

export const INSTALL_HINT = [
  'redis-server was not found on PATH. Install it, then run the command again:',
  '  Debian/Ubuntu: sudo apt-get install -y redis-server',
  '  Fedora/RHEL:   sudo dnf install -y redis',
  '  macOS:         brew install redis',
  'or point msgpipe at a Redis you already run: REDIS_URL=redis://host:6379 npm start',
].join('\n');

/**
 * The redis-server binary: found on the machine, or installed with apt-get when we are root
 * on a Debian-like system. Anything else stops with instructions rather than guessing.
 */
export function ensureRedisServerBinary(log: (line: string) => void = () => {}): string {
  const found = findExecutable('redis-server');
  if (found) return found;
  const isRoot = process.getuid?.() === 0;
  if (!isRoot || !findExecutable('apt-get')) throw new Error(INSTALL_HINT);

  log('redis-server is missing: installing it with apt-get (this takes a minute, once)…');
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  const run = (args: string[]) => spawnSync('apt-get', args, { stdio: ['ignore', 'ignore', 'inherit'], env });
  let result = run(['install', '-y', '-q', 'redis-server']);
  if (result.status !== 0) {
    run(['update', '-q']);
    result = run(['install', '-y', '-q', 'redis-server']);
  }
  const installed = findExecutable('redis-server');
  if (result.status !== 0 || !installed) throw new Error(`apt-get could not install redis-server.\n${INSTALL_HINT}`);
  return installed;
}
