import { parseArgs } from 'node:util';
import { loadConfigOrExit } from '@msgpipe/shared';
import { connect, failAndExit, usageAndExit } from './cli.js';
import { formatBytes, ProgressBar } from './progress.js';
import { runBackup } from './run-backup.js';

/** `npm run backup -- --out FILE`: every key under REDIS_PREFIX, with its TTL, to FILE. */
const USAGE = 'usage: npm run backup -- --out FILE   (Redis from REDIS_URL / REDIS_CLUSTER_NODES, keys under REDIS_PREFIX)';

function outFile(): string {
  let parsed;
  try {
    parsed = parseArgs({ options: { out: { type: 'string', short: 'o' }, help: { type: 'boolean', short: 'h' } } });
  } catch (error) {
    usageAndExit(USAGE, (error as Error).message);
  }
  if (parsed.values.help) usageAndExit(USAGE);
  if (!parsed.values.out) usageAndExit(USAGE, 'backup: --out FILE is required');
  return parsed.values.out;
}

const out = outFile();
const config = loadConfigOrExit();
try {
  const redis = await connect(config, 'backup');
  const bar = new ProgressBar(process.stderr, 'backup');
  const summary = await runBackup({
    redis,
    prefix: config.redis.prefix,
    out,
    onProgress: ({ visited, total, written, bytes }) => bar.update(visited, total, `${written} keys, ${formatBytes(bytes)}`),
  }).finally(() => {
    bar.clear();
    redis.disconnect();
  });
  const vanished = summary.vanished > 0 ? ` (${summary.vanished} expired or deleted while being read: skipped)` : '';
  process.stdout.write(
    `backup: ${summary.keys} keys under ${config.redis.prefix}:, ${formatBytes(summary.bytes)} written to ${out} in ${summary.seconds.toFixed(1)} s${vanished}\n`,
  );
  process.exit(0);
} catch (error) {
  failAndExit('backup', error);
}
