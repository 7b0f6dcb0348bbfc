import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { RedisClient } from './redis.js';

/**
 * A Lua script from this package's `lua/` folder, run by EVALSHA with a fallback to EVAL
 * when the server has not cached it yet (after a restart or a failover).
 */
const INCLUDE = /^--- @include "([^"]+)"$/gm;

function withIncludes(file: URL): string {
  return readFileSync(file, 'utf8').replace(INCLUDE, (_, included: string) => withIncludes(new URL(included, file)));
}

export class LuaScript {
  readonly sha: string;

  private constructor(
    readonly name: string,
    readonly source: string,
  ) {
    this.sha = createHash('sha1').update(source).digest('hex');
  }

  /**
   * Reads a script next to the calling module's package, e.g.
   * `LuaScript.load(new URL('../lua/x.lua', import.meta.url))`: `src/` and `dist/` sit at the
   * same depth, so the same URL works from sources under test and from the build.
   * A line `--- @include "includes/y.lua"` is replaced by that file (relative to the script),
   * as in BullMQ's scripts, so scripts can share Lua functions.
   */
  static load(file: URL): LuaScript {
    return new LuaScript(file.pathname.split('/').pop() ?? 'script', withIncludes(file));
  }

  async run(redis: RedisClient, keys: readonly string[], args: ReadonlyArray<string | number>): Promise<unknown> {
    try {
      return await redis.evalsha(this.sha, keys.length, ...keys, ...args);
    } catch (error) {
      if (!(error instanceof Error) || !error.message.startsWith('NOSCRIPT')) throw error;
      return redis.eval(this.source, keys.length, ...keys, ...args);
    }
  }
}
