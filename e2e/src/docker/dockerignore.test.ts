/**
 * The build context that .dockerignore leaves, held against what the Dockerfile copies from it
 * and what `npm run build` in the image reads. Runs after `turbo run build`, so dist/ exists here.
 */
import { existsSync, statSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { contextExcludes, copyGlobTakes, repoContextExcludes } from './dockerignore.js';
import { dockerfile } from './image.js';
import { inRepo, repoFiles, workspaces } from './repo-files.js';

const excluded = repoContextExcludes();

/** The repository files a COPY source from the context takes: a file, a directory's files, or a glob's matches. */
function filesTaken(source: string, allFiles: () => string[]): string[] {
  if (/[*?[]/.test(source)) return allFiles().filter(copyGlobTakes(source));
  if (!existsSync(inRepo(source))) return [];
  return statSync(inRepo(source)).isDirectory() ? repoFiles(source) : [source];
}

describe('.dockerignore', () => {
  it('lets in every file that a COPY from the context names (`COPY . .` takes the context as it is)', () => {
    const contextCopies = dockerfile.copies.filter((copy) => copy.from === undefined);
    expect(contextCopies.length).toBeGreaterThan(0);
    let all: string[] | undefined;
    for (const copy of contextCopies) {
      for (const { written, repoPath = '' } of copy.sources) {
        if (repoPath === '.') continue;
        const where = `Dockerfile:${copy.line} COPY ${written}`;
        const files = filesTaken(repoPath, () => (all ??= repoFiles()));
        expect(files, `${where} takes no file of the repository`).not.toEqual([]);
        expect(files.filter(excluded), `${where}: .dockerignore keeps these out of the context`).toEqual([]);
      }
    }
  });

  it('lets in what `npm run build` reads: root manifests and configs, each workspace’s package.json, tsconfig and src/', () => {
    const needed = ['package.json', 'package-lock.json', 'tsconfig.json', 'turbo.json'];
    for (const workspace of workspaces) {
      needed.push(`${workspace}/package.json`);
      for (const file of ['tsconfig.json', 'tsconfig.build.json']) if (existsSync(inRepo(`${workspace}/${file}`))) needed.push(`${workspace}/${file}`);
      if (existsSync(inRepo(`${workspace}/src`))) needed.push(...repoFiles(`${workspace}/src`));
    }
    expect(needed.filter((file) => !existsSync(inRepo(file)))).toEqual([]);
    expect(needed.filter(excluded), '.dockerignore keeps these out of the context').toEqual([]);
  });

  it('keeps out what the image makes itself and what it must not contain: dependencies, builds, data, secrets, .git', () => {
    const mustStayOut = [
      'node_modules/zod/package.json',
      'apps/api/node_modules/x',
      'apps/api/dist/main.js',
      'packages/shared/tsconfig.tsbuildinfo',
      '.turbo/cache/x',
      '.git/HEAD',
      '.data/redis/dump.rdb',
      'e2e/test-artifacts/trace.zip',
      '.env',
      'apps/api/.env',
    ];
    expect(mustStayOut.filter((path) => !excluded(path)), '.dockerignore lets these into the context').toEqual([]);
  });

  it('applies Docker’s patterns, character classes and exceptions included', () => {
    const excludes = contextExcludes('# the Lua scripts\napps/*/l[a-z]a\n!apps/worker/lua\n');
    const paths = ['apps/api/lua/history.lua', 'apps/worker/lua/record.lua', 'apps/api/src/main.ts'];
    expect(paths.filter(excludes)).toEqual(['apps/api/lua/history.lua']);
  });
});
