/**
 * The Dockerfile, checked without a Docker engine: every COPY followed to the repository it
 * packages (the build context is checked in dockerignore.test.ts). Runs after `turbo run build`, so every workspace's dist/ exists here
 * as it does in the image's build stage.
 */
import { existsSync } from 'node:fs';
import { posix } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseDockerfile, repoPathIn } from './dockerfile.js';
import { dockerfile, scriptInImage } from './image.js';
import { inRepo, readRepoFile, workspaceNamed, workspaces } from './repo-files.js';

/** The last Node line past its end of life (Node 20, 2026-04-30): the image must be newer. */
const MAX_END_OF_LIFE_NODE = 20;
/** Debian releases with regular security support, for the image's `node:N-DEBIAN-slim` variant. */
const SUPPORTED_DEBIAN = ['trixie'];

describe('Dockerfile', () => {
  it('starts every stage from one supported Node LTS image, that the docs name and "engines" admits', () => {
    const images = new Set(dockerfile.stages.map((stage) => stage.image));
    expect(images.size, `one base image for every stage, not ${[...images].join(', ')}`).toBe(1);
    const [image = ''] = images;
    const [, major = '', debian = ''] = /^node:(\d+)-(\w+)-slim$/.exec(image) ?? [];
    expect(major, `${image}: expected node:MAJOR-DEBIAN-slim`).not.toBe('');
    // Even majors become LTS; 20 reached its end of life on 2026-04-30.
    expect(Number(major) % 2, `${image}: odd majors never become LTS`).toBe(0);
    expect(Number(major)).toBeGreaterThan(MAX_END_OF_LIFE_NODE);
    // Debian 12 bookworm left regular security support on 2026-06-10: trixie or later.
    expect(SUPPORTED_DEBIAN, `${image}: not a supported Debian release`).toContain(debian);
    const engines = (JSON.parse(readRepoFile('package.json')) as { engines: { node: string } }).engines.node;
    const [, minimumMajor = ''] = /^>=\s*(\d+)(\.\d+)*$/.exec(engines) ?? [];
    expect(minimumMajor, `engines.node ${engines}: expected >=MAJOR.MINOR`).not.toBe('');
    expect(Number(major)).toBeGreaterThanOrEqual(Number(minimumMajor));
    expect(readRepoFile('docs/operations.md'), 'docs/operations.md (Docker) names the image').toContain(image);
  });

  it('copies from stages that exist, paths that the build stage has after `npm run build`', () => {
    const stageCopies = dockerfile.copies.filter((copy) => copy.from !== undefined);
    expect(stageCopies.length).toBeGreaterThan(0);
    for (const copy of stageCopies) {
      dockerfile.stage(copy.from ?? '');
      for (const { written, repoPath } of copy.sources) {
        expect(repoPath, `Dockerfile:${copy.line} COPY --from=${copy.from} ${written}: not in that stage`).toBeDefined();
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

  it('leaves no dependency install script undecided, so no npm ci prints an install-scripts warning', () => {
    const lockfile = JSON.parse(readRepoFile('package-lock.json')) as { packages: Record<string, { hasInstallScript?: boolean }> };
    const withScripts = Object.entries(lockfile.packages)
      .filter(([, entry]) => entry.hasInstallScript === true)
      .map(([path]) => path.slice(path.lastIndexOf('node_modules/') + 'node_modules/'.length));
    expect(withScripts).toContain('msgpackr-extract');
    const { allowScripts = {} } = JSON.parse(readRepoFile('package.json')) as { allowScripts?: Record<string, boolean> };
    const decided = new Set(Object.keys(allowScripts).map((entry) => entry.replace(/(.)@.*$/, '$1')));
    expect(withScripts.filter((name) => !decided.has(name)), 'add them to package.json "allowScripts" (docs/development.md: Install scripts)').toEqual([]);
    expect(allowScripts['msgpackr-extract'], 'its prebuilt addon loads without the script').toBe(false);
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

  it('ships the backup tool: backup.js and restore.js, with the dependencies npm ci --omit=dev installs', () => {
    for (const script of ['tools/backup/dist/backup.js', 'tools/backup/dist/restore.js']) {
      expect(scriptInImage(script), `${script} is not in the final image`).toBe(script);
      expect(existsSync(inRepo(script)), `npm run build does not produce ${script}`).toBe(true);
    }
    const lockfile = JSON.parse(readRepoFile('package-lock.json')) as { packages: Record<string, { dev?: boolean; dependencies?: Record<string, string> }> };
    for (const dependency of Object.keys(lockfile.packages['tools/backup']?.dependencies ?? {})) {
      if (workspaceNamed.has(dependency)) continue; // a workspace: its dist/ is checked below
      expect(lockfile.packages[`node_modules/${dependency}`]?.dev, `${dependency} would be left out by --omit=dev`).not.toBe(true);
    }
  });

  it('starts the api by default, from a file that the build produces', () => {
    const [program, script = '', ...rest] = dockerfile.final.cmd ?? [];
    expect(program).toBe('node');
    expect(rest).toEqual([]);
    expect(script).toBe('apps/api/dist/main.js');
    expect(scriptInImage(script), `${script} is not in the final image`).toBe('apps/api/dist/main.js');
    expect(existsSync(inRepo('apps/api/dist/main.js')), 'npm run build produces apps/api/dist/main.js').toBe(true);
  });

  it('puts dist/ (and lua/ where there is one) of every workspace the apps and the backup tool need at run time into the image', () => {
    const needed = new Set(['apps/api', 'apps/worker', 'tools/backup']);
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

describe('parseDockerfile', () => {
  it('keeps the spaces inside the words of an exec-form CMD or COPY', () => {
    const parsed = parseDockerfile('FROM node AS base\nCOPY ["docs/a b.md", "/srv/"]\nCMD ["node", "-e", "console.log(1 + 2)"]\n');
    expect(parsed.final.cmd).toEqual(['node', '-e', 'console.log(1 + 2)']);
    expect(parsed.copies[0]?.sources.map((source) => source.written)).toEqual(['docs/a b.md']);
  });
});
