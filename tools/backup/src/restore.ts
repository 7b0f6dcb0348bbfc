import { parseArgs } from 'node:util';
import { loadConfigOrExit } from '@msgpipe/shared';
import { connect, failAndExit, usageAndExit } from './cli.js';
import { formatBytes, ProgressBar } from './progress.js';
import { runRestore } from './run-restore.js';

/** `npm run restore -- FILE [--replace]`: loads a backup back, keeping each key's expiry. */
const USAGE = 'usage: npm run restore -- FILE [--replace]   (Redis from REDIS_URL / REDIS_CLUSTER_NODES; REDIS_PREFIX must be the backup\'s)';

function parseArguments(): { file: string; replace: boolean } {
  let parsed;
  try {
    parsed = parseArgs({ allowPositionals: true, options: { replace: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } } });
  } catch (error) {
    usageAndExit(USAGE, (error as Error).message);
  }
  if (parsed.values.help) usageAndExit(USAGE);
  if (parsed.positionals.length !== 1) usageAndExit(USAGE, 'restore: give exactly one backup FILE');
  return { file: parsed.positionals[0]!, replace: parsed.values.replace ?? false };
}

const { file, replace } = parseArguments();
const config = loadConfigOrExit();
try {
  const redis = await connect(config, 'restore');
  const bar = new ProgressBar(process.stderr, 'restore');
  const summary = await runRestore({
    redis,
    prefix: config.redis.prefix,
    file,
    replace,
    onProgress: ({ phase, done, total }) => bar.update(done, total, total > 0 ? `${phase} ${done}/${total} keys` : `${phase} ${done} keys`),
  }).finally(() => {
    bar.clear();
    redis.disconnect();
  });
  const expired = summary.expired > 0 ? ` (${summary.expired} skipped: their TTL ran out since the backup)` : '';
  process.stdout.write(
    `restore: ${summary.restored} keys restored under ${config.redis.prefix}: from ${file} (${formatBytes(summary.bytes)}) in ${summary.seconds.toFixed(1)} s${expired}\n`,
  );
  process.exit(0);
} catch (error) {
  failAndExit('restore', error);
}
