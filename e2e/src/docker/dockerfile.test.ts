/**
 * The Dockerfile and .dockerignore, checked without a Docker engine: every COPY followed to the
 * repository it packages. Runs after `turbo run build`, so every workspace's dist/ exists here
 * as it does in the image's build stage.
 */
import { existsSync } from 'node:fs';
import { posix } from 'node:path';
import { describe, expect, it } from 'vitest';
import { dockerfilePath } from './compose-file.js';
import { parseDockerfile, repoPathIn } from './dockerfile.js';
import { dockerIgnored, globToRegExp, readDockerignore } from './dockerignore.js';
import { inRepo, readRepoFile, repoFiles, workspaceNamed, workspaces } from './repo-files.js';

const dockerfile = parseDockerfile(readRepoFile(dockerfilePath()));

function scriptInImage(script: string): string | undefined {
  return repoPathIn(dockerfile.final, posix.resolve(dockerfile.final.workdir, script));
}

describe('Dockerfile', () => {
  it('has a build stage on node:20-bookworm-slim and a runtime stage, the last one', () => {
    expect(dockerfile.stage('build').image).toBe('node:20-bookworm-slim');
    expect(dockerfile.final.image).toBe('node:20-bookworm-slim');
    expect(dockerfile.final).not.toBe(dockerfile.stage('build'));
  });

  it('copies sources that exist: every non-glob COPY source from the context is in the repo, and not .dockerignored', () => {
    const rules = readDockerignore();
    let files: string[] | undefined;
    const contextCopies = dockerfile.copies.filter((copy) => copy.from === undefined);
    expect(contextCopies.length).toBeGreaterThan(0);
    for (const copy of contextCopies) {
      for (const source of copy.sources) {
        const where = `Dockerfile:${copy.line} COPY ${source}`;
        if (/[*?[]/.test(source)) {
          const glob = globToRegExp(posix.normalize(source).replace(/^\/+/, ''));
          files ??= repoFiles();
          expect(files.some((file) => glob.test(file)), `${where} matches no file`).toBe(true);
          continue;
        }
        expect(existsSync(inRepo(source)), `${where}: no such file`).toBe(true);
        if (posix.normalize(source) !== '.') expect(dockerIgnored(rules, source), `${where} is excluded by .dockerignore`).toBe(false);
      }
    }
    // The context leaves out what the image makes itself, and what it must not contain.
    for (const path of ['node_modules/zod/package.json', 'apps/api/node_modules/x', 'apps/api/dist/main.js', '.git/HEAD', '.data/redis/dump.rdb', '.turbo/cache/x']) {
      expect(dockerIgnored(rules, path), `.dockerignore lets ${path} into the context`).toBe(true);
    }
  });

  it('copies from stages that exist, paths that the build stage has after `npm run build`', () => {
    const stageCopies = dockerfile.copies.filter((copy) => copy.from !== undefined);
    expect(stageCopies.length).toBeGreaterThan(0);
    for (const copy of stageCopies) {
      const origin = dockerfile.stage(copy.from ?? '');
      for (const source of copy.sources) {
        const repoPath = repoPathIn(origin, posix.resolve(origin.workdir, source));
        expect(repoPath, `Dockerfile:${copy.line} COPY --from=${copy.from} ${source}: not in that stage`).toBeDefined();
        expect(existsSync(inRepo(repoPath ?? '')), `Dockerfile:${copy.line}: ${repoPath} does not exist after the build`).toBe(true);
      }
    }
  });

  it('gives every `npm ci` the lockfile and every workspace package.json, in place', () => {
    const installs = dockerfile.stages.flatMap((stage) => stage.runs.filter((run) => /\bnpm\s+ci\b/.test(run.command)).map((run) => ({ stage, run })));
    expect(installs.length).toBeGreaterThanOrEqual(2);
    expect(workspaces).toEqual(expect.arrayContaining(['apps/api', 'apps/worker', 'packages/shared', 'e2e']));
    for (const { stage, run } of installs) {
      for (const file of ['package.json', 'package-lock.json', ...workspaces.map((workspace) => `${workspace}/package.json`)]) {
        const imagePath = posix.join(stage.workdir, file);
        expect(repoPathIn(stage, imagePath, run.placements), `Dockerfile:${run.line} npm ci runs without ${imagePath}`).toBe(file);
      }
    }
  });

  it('builds every workspace in the build stage: npm ci, then npm run build', () => {
    const commands = dockerfile.stage('build').runs.map((run) => run.command);
    const install = commands.findIndex((command) => /\bnpm\s+ci\b/.test(command) && !/--omit[= ]dev/.test(command));
    const build = commands.findIndex((command) => /\bnpm\s+run\s+build\b|\bturbo\s+run\s+build\b/.test(command));
    expect(install, 'npm ci with dev dependencies').toBeGreaterThanOrEqual(0);
    expect(build, 'npm run build after npm ci').toBeGreaterThan(install);
  });

  it('runs production dependencies only, as NODE_ENV=production and the unprivileged user node', () => {
    const { final } = dockerfile;
    expect(final.runs.some((run) => /\bnpm\s+ci\b.*--omit[= ]dev\b/.test(run.command) && final.runs.indexOf(run) >= (final.parent?.runs.length ?? 0))).toBe(true);
    expect(final.runs.some((run) => /\bnpm\s+(ci|install)\b(?!.*--omit[= ]dev)/.test(run.command))).toBe(false);
    expect(final.env.get('NODE_ENV')).toBe('production');
    expect(final.user).toBe('node');
  });

  it('starts the api by default, from a file that the build produces', () => {
    const [program, script = '', ...rest] = dockerfile.final.cmd ?? [];
    expect(program).toBe('node');
    expect(rest).toEqual([]);
    expect(script).toBe('apps/api/dist/main.js');
    expect(scriptInImage(script), `${script} is not in the final image`).toBe('apps/api/dist/main.js');
    expect(existsSync(inRepo('apps/api/dist/main.js')), 'npm run build produces apps/api/dist/main.js').toBe(true);
  });

  it('puts dist/ (and lua/ where there is one) of every workspace the apps need at run time into the image', () => {
    const needed = new Set(['apps/api', 'apps/worker']);
    for (const workspace of needed) {
      const manifest = JSON.parse(readRepoFile(`${workspace}/package.json`)) as { dependencies?: Record<string, string> };
      for (const dependency of Object.keys(manifest.dependencies ?? {})) {
        const directory = workspaceNamed.get(dependency);
        if (directory !== undefined) needed.add(directory);
      }
    }
    expect([...needed]).toContain('packages/shared');
    for (const workspace of needed) {
      const manifest = JSON.parse(readRepoFile(`${workspace}/package.json`)) as { exports?: { '.'?: { default?: string } } };
      const entry = manifest.exports?.['.']?.default;
      const inImage = (path: string) => repoPathIn(dockerfile.final, posix.join(dockerfile.final.workdir, workspace, path));
      expect(inImage('dist'), `${workspace}/dist is not in the final image`).toBe(`${workspace}/dist`);
      if (entry !== undefined) {
        const file = posix.join(workspace, entry);
        expect(inImage(entry), `${file} (its "exports") is not in the final image`).toBe(file);
        expect(existsSync(inRepo(file)), `npm run build does not produce ${file}`).toBe(true);
      }
      if (existsSync(inRepo(`${workspace}/lua`))) {
        expect(inImage('lua'), `${workspace}/lua is read at run time but is not in the final image`).toBe(`${workspace}/lua`);
      }
    }
  });
});
