import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { envSchema } from '@msgpipe/shared';
import { repoRoot } from '@msgpipe/testkit';
import { describe, expect, it } from 'vitest';
import { readMarkdown, type MarkdownDoc } from './markdown-doc.js';

const SKIPPED_FOLDERS = new Set(['node_modules', 'dist', '.git', '.turbo', '.data', 'test-artifacts']);

/** The repository's own files under `folder` whose names pass `wanted`. */
function filesUnder(folder: string, wanted: (name: string) => boolean): string[] {
  return readdirSync(folder, { withFileTypes: true }).flatMap((entry) => {
    const path = join(folder, entry.name);
    if (entry.isDirectory()) return SKIPPED_FOLDERS.has(entry.name) ? [] : filesUnder(path, wanted);
    return wanted(entry.name) ? [path] : [];
  });
}

const docs = new Map<string, MarkdownDoc>(filesUnder(repoRoot, (file) => file.endsWith('.md')).map((file) => [file, readMarkdown(readFileSync(file, 'utf8'))]));

/** Source, docs and configuration: the text a reader of the repository reads. */
const TEXT_FILE = /(\.(ts|md|lua|json|ya?ml|conf|sh)|^Dockerfile|^run)$/;

/**
 * Ways of pointing at a document that is not in the repository: a specification or a tracker
 * issue the project worked from, or a folder beside the clone. Upstream projects' public
 * issues (BullMQ's) are named with their project and are fine.
 */
const OUTSIDE_DOCUMENT = /\bSPEC\b|SPEC\.md|\.\.\/shared\/|\bthe issue\b|\bthe issue's\b|(?<!BullMQ )\bissue \d+\b/i;
const name = (file: string) => relative(repoRoot, file);

/** Where a link goes wrong, or undefined when its file (and its anchor, in a Markdown file) exist. */
function brokenLink(from: string, href: string): string | undefined {
  if (/^[a-z][a-z0-9+.-]*:/i.test(href)) return undefined; // https:, mailto: … are not the repository's
  const [path = '', anchor] = href.split('#', 2);
  const target = path === '' ? from : resolve(dirname(from), decodeURIComponent(path));
  if (!target.startsWith(repoRoot)) return 'points outside the repository';
  if (!existsSync(target)) return `${name(target)} does not exist`;
  if (anchor === undefined || statSync(target).isDirectory()) return undefined;
  const doc = docs.get(target);
  if (!doc) return undefined; // an anchor in a source file is a line number GitHub shows
  return doc.anchors.has(anchor) ? undefined : `${name(target)} has no heading with anchor #${anchor}`;
}

/** The variable names in the first column of a configuration table (`PORT` / `HOST` names two). */
function documentedVariables(): Map<string, string> {
  const found = new Map<string, string>();
  for (const [file, doc] of docs) {
    for (const table of doc.tables.filter(({ heading }) => /^configuration$/i.test(heading))) {
      for (const [first = ''] of table.rows.slice(1)) {
        for (const variable of first.match(/\b[A-Z][A-Z0-9_]{2,}\b/g) ?? []) found.set(variable, name(file));
      }
    }
  }
  return found;
}

/** The top folders of the repository: a code span starting with one names a path in it. */
const TOP_FOLDERS = /^(apps|packages|tools|e2e|bench|deploy|docs|\.ci)\//;

/** Folders the tools create when they run (git-ignored): named by the docs, never committed. */
const CREATED_BY_RUNS = new Set(['bench/profiles/']);

/**
 * The repository path a code span names, if it names one: `apps/api/src/app.ts`, `deploy/`,
 * `e2e/src/faults/` (a trailing `:line` or `#anchor` dropped). Spans with a placeholder or a
 * glob (`<time>`, `N`, `*`) name a pattern, not a path.
 */
function repositoryPath(span: string): string | undefined {
  const path = span.trim().replace(/[:#].*$/, '');
  if (!TOP_FOLDERS.test(path) || CREATED_BY_RUNS.has(path) || /[\s<>*{}…]/.test(path) || /\/[A-Z]+(\.|$)/.test(path)) return undefined;
  return path;
}

/**
 * A build output (`apps/api/dist/main.js`) exists once `npm run build` has run, which these
 * checks do not wait for: it is checked by the source it is built from.
 */
const sourceOf = (path: string) => path.replace(/\/dist\//, '/src/').replace(/\.js$/, '.ts').replace(/\.d\.ts$/, '.ts');

/** Variables documented beside msgpipe's own because they change what it does, read by others. */
const READ_BY_OTHERS = new Set(['NODE_EXTRA_CA_CERTS']);

/** Every Lua script of the apps and packages, relative to the repository. */
function luaScripts(): string[] {
  const found: string[] = [];
  for (const folder of ['apps/api/lua', 'apps/worker/lua', 'packages/shared/lua']) {
    const walk = (path: string): void => {
      for (const entry of readdirSync(join(repoRoot, path), { withFileTypes: true })) {
        if (entry.isDirectory()) walk(join(path, entry.name));
        else if (entry.name.endsWith('.lua')) found.push(join(path, entry.name));
      }
    };
    walk(folder);
  }
  return found;
}

describe('the docs', () => {
  it('are found: the README and more', () => {
    expect([...docs.keys()].map(name)).toContain('README.md');
  });

  it('link only to files and headings that exist', () => {
    const broken = [...docs].flatMap(([file, doc]) =>
      doc.links.flatMap(({ value, line }) => {
        const problem = brokenLink(file, value);
        return problem ? [`${name(file)}:${line}: ${value}: ${problem}`] : [];
      }),
    );
    expect(broken).toEqual([]);
  });

  it('name only npm scripts the root package.json has', () => {
    const scripts = Object.keys((JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as { scripts: object }).scripts);
    const unknown = [...docs].flatMap(([file, doc]) =>
      doc.npmScripts.filter(({ value }) => !scripts.includes(value)).map(({ value, line }) => `${name(file)}:${line}: npm run ${value}`),
    );
    expect(unknown).toEqual([]);
  });

  it('document every environment variable the configuration reads, and none it no longer reads', () => {
    const read = Object.keys(envSchema.shape);
    const documented = documentedVariables();
    expect(read.filter((variable) => !documented.has(variable))).toEqual([]);
    const gone = [...documented].filter(([variable]) => !read.includes(variable) && !READ_BY_OTHERS.has(variable));
    expect(gone.map(([variable, file]) => `${file}: ${variable}`)).toEqual([]);
  });

  it('name only repository paths that exist', () => {
    const missing = [...docs].flatMap(([file, doc]) =>
      doc.codeSpans
        .map(({ value, line }) => ({ path: repositoryPath(value), line }))
        .filter(({ path }) => path !== undefined && !existsSync(join(repoRoot, sourceOf(path))))
        .map(({ path, line }) => `${name(file)}:${line}: ${path}`),
    );
    expect(missing).toEqual([]);
  });

  it('are all the repository needs: no file points at a document outside it', () => {
    // This file spells the patterns out, so it is the one file not read.
    const files = filesUnder(repoRoot, (file) => TEXT_FILE.test(file) && file !== 'package-lock.json').filter((file) => file !== fileURLToPath(import.meta.url));
    const pointers = files.flatMap((file) =>
      readFileSync(file, 'utf8')
        .split('\n')
        .flatMap((text, index) => (OUTSIDE_DOCUMENT.test(text) ? [`${name(file)}:${index + 1}: ${text.trim().slice(0, 120)}`] : [])),
    );
    expect(files.length).toBeGreaterThan(100);
    expect(pointers).toEqual([]);
  });

  it('list every Lua script in the Redis data layout', () => {
    const layout = readFileSync(join(repoRoot, 'docs/redis.md'), 'utf8');
    expect(luaScripts().filter((script) => !layout.includes(`](../${script})`))).toEqual([]);
  });
});
