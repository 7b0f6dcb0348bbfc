/**
 * The container deployment, checked without a Docker engine: docker-compose.yml, the Dockerfile
 * and .dockerignore are read as text and held against the repository they package. Runs after
 * `turbo run build`, so every workspace's dist/ exists here as it does in the image's build stage.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, posix } from 'node:path';
import { fileURLToPath } from 'node:url';
import { envSchema, loadConfig } from '@msgpipe/shared';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';

const repoRoot = fileURLToPath(new URL('../../', import.meta.url));
const inRepo = (path: string): string => join(repoRoot, path);
const readRepoFile = (path: string): string => readFileSync(inRepo(path), 'utf8');

// ---------------------------------------------------------------------------------------------
// docker-compose.yml

type Yaml = Record<string, unknown>;

function asRecord(value: unknown, what: string): Yaml {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new Error(`${what}: expected a mapping`);
  return value as Yaml;
}

/** Compose's `${NAME}`, `${NAME:-default}`, `${NAME-default}`, `$NAME` and `$$`. */
const INTERPOLATION = /\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-?+])([^}]*))?\}|\$([A-Za-z_][A-Za-z0-9_]*)/g;

/** The value compose would use when none of the variables is set in the caller's environment. */
function interpolateUnset(value: string): string {
  return value.replace(INTERPOLATION, (match, _braced: string | undefined, operator: string | undefined, argument: string | undefined) => {
    if (match === '$$') return '$';
    if (operator === undefined || operator === '+' || operator === ':+') return '';
    if (operator === '-' || operator === ':-') return argument ?? '';
    throw new Error(`${match}: compose would refuse to start without this variable`);
  });
}

function interpolatedNames(value: unknown, names = new Set<string>()): Set<string> {
  if (typeof value === 'string') {
    for (const match of value.matchAll(INTERPOLATION)) {
      const name = match[1] ?? match[4];
      if (name !== undefined) names.add(name);
    }
  } else if (Array.isArray(value)) {
    for (const item of value) interpolatedNames(item, names);
  } else if (typeof value === 'object' && value !== null) {
    for (const item of Object.values(value)) interpolatedNames(item, names);
  }
  return names;
}

/** A service's `environment`, list or mapping form, values as written (before interpolation). */
function environmentOf(service: Yaml): Map<string, string | undefined> {
  const environment = service.environment;
  if (environment === undefined || environment === null) return new Map();
  if (Array.isArray(environment)) {
    return new Map(
      environment.map((entry) => {
        const text = String(entry);
        const equals = text.indexOf('=');
        return equals < 0 ? [text, undefined] : [text.slice(0, equals), text.slice(equals + 1)];
      }),
    );
  }
  return new Map(
    Object.entries(asRecord(environment, 'environment')).map(([name, value]) => [
      name,
      value === null || value === undefined ? undefined : String(value),
    ]),
  );
}

/** What the container would see with nothing set in the caller's environment. */
function resolvedEnvironment(service: Yaml): Record<string, string> {
  const resolved: Record<string, string> = {};
  for (const [name, value] of environmentOf(service)) if (value !== undefined) resolved[name] = interpolateUnset(value);
  return resolved;
}

function commandArgs(command: unknown): string[] {
  if (Array.isArray(command)) return command.map(String);
  if (typeof command === 'string') return command.trim().split(/\s+/);
  throw new Error('command: expected a list or a string');
}

/** "40s", "1m30s", "500ms" → milliseconds. */
function durationMs(value: unknown): number {
  const text = String(value);
  const units: Record<string, number> = { h: 3_600_000, m: 60_000, s: 1000, ms: 1, us: 0.001, ns: 0.000001 };
  let total = 0;
  let consumed = '';
  for (const match of text.matchAll(/(\d+(?:\.\d+)?)(ms|us|ns|h|m|s)/g)) {
    total += Number(match[1]) * (units[match[2] ?? ''] ?? Number.NaN);
    consumed += match[0];
  }
  if (consumed !== text || consumed === '') throw new Error(`${text}: not a compose duration`);
  return total;
}

/** The container side of a `ports` entry: "3000:3000", "127.0.0.1:8080:3000/tcp" or the long form. */
function containerPort(entry: unknown): number {
  if (typeof entry === 'object' && entry !== null) return Number(asRecord(entry, 'ports entry').target);
  const text = String(entry).replace(/\/(tcp|udp)$/, '');
  return Number(text.slice(text.lastIndexOf(':') + 1));
}

interface Mount {
  source: string | undefined;
  target: string;
  readOnly: boolean;
}

function mountsOf(service: Yaml): Mount[] {
  const volumes = service.volumes;
  if (!Array.isArray(volumes)) return [];
  return volumes.map((volume): Mount => {
    if (typeof volume === 'string') {
      const [first, second, mode] = volume.split(':');
      return second === undefined
        ? { source: undefined, target: first ?? '', readOnly: false }
        : { source: first, target: second, readOnly: (mode ?? '').split(',').includes('ro') };
    }
    const long = asRecord(volume, 'volumes entry');
    return {
      source: long.source === undefined ? undefined : String(long.source),
      target: String(long.target),
      readOnly: long.read_only === true,
    };
  });
}

const isBindSource = (source: string | undefined): source is string =>
  source !== undefined && (source.startsWith('.') || source.startsWith('/') || source.startsWith('~'));

// ---------------------------------------------------------------------------------------------
// Dockerfile

interface Placement {
  /** Absolute path in the image. */
  dest: string;
  /** Undefined for the build context, else the stage copied from. */
  from: string | undefined;
  /** Relative to the context, or absolute in the `from` stage. */
  source: string;
}

interface Copy {
  line: number;
  from: string | undefined;
  sources: string[];
  stage: Stage;
}

interface Stage {
  name: string | undefined;
  /** The image the stage starts from, followed through earlier stages. */
  image: string;
  parent: Stage | undefined;
  /** Every stage of the Dockerfile, to follow COPY --from. */
  all: Stage[];
  workdir: string;
  env: Map<string, string>;
  user: string | undefined;
  cmd: string[] | undefined;
  /** Every file or directory put in the image by COPY so far, oldest first (parents' included). */
  placements: Placement[];
  /** RUN commands (parents' included), each with what had been copied in when it ran. */
  runs: Array<{ line: number; command: string; placements: Placement[] }>;
}

interface Dockerfile {
  stages: Stage[];
  copies: Copy[];
  stage(name: string): Stage;
  final: Stage;
}

/** Docker's logical lines: comments dropped, `\` continuations joined. */
function logicalLines(text: string): Array<{ line: number; text: string }> {
  const lines: Array<{ line: number; text: string }> = [];
  let buffer = '';
  let start = 0;
  text.split('\n').forEach((raw, index) => {
    const trimmed = raw.trim();
    if (trimmed === '' || trimmed.startsWith('#')) return;
    if (buffer === '') start = index + 1;
    if (trimmed.endsWith('\\')) {
      buffer += `${trimmed.slice(0, -1)} `;
      return;
    }
    lines.push({ line: start, text: buffer + trimmed });
    buffer = '';
  });
  if (buffer !== '') lines.push({ line: start, text: buffer.trim() });
  return lines;
}

function takeFlags(rest: string): { flags: Map<string, string>; rest: string } {
  const flags = new Map<string, string>();
  let remaining = rest;
  for (let match = /^--([\w-]+)(?:=(\S*))?\s+/.exec(remaining); match; match = /^--([\w-]+)(?:=(\S*))?\s+/.exec(remaining)) {
    flags.set(match[1] ?? '', match[2] ?? '');
    remaining = remaining.slice(match[0].length);
  }
  return { flags, rest: remaining };
}

const execForm = (rest: string): string[] | undefined =>
  rest.startsWith('[') ? (JSON.parse(rest) as unknown[]).map(String) : undefined;

function envPairs(rest: string): Array<[string, string]> {
  const unquote = (value: string) => value.replace(/^"(.*)"$/, '$1').replace(/^'(.*)'$/, '$1');
  if (!/^[A-Za-z_][A-Za-z0-9_]*=/.test(rest)) {
    const [name = '', ...value] = rest.split(/\s+/);
    return [[name, unquote(value.join(' '))]];
  }
  return [...rest.matchAll(/([A-Za-z_][A-Za-z0-9_]*)=("[^"]*"|'[^']*'|\S*)/g)].map((match) => [match[1] ?? '', unquote(match[2] ?? '')]);
}

function parseDockerfile(text: string): Dockerfile {
  const stages: Stage[] = [];
  const copies: Copy[] = [];
  const byName = (name: string) => stages.find((stage) => stage.name === name);
  let current: Stage | undefined;

  for (const { line, text: instruction } of logicalLines(text)) {
    const [, keyword = '', rawRest = ''] = /^(\S+)\s*(.*)$/.exec(instruction) ?? [];
    const { flags, rest } = takeFlags(rawRest);
    const command = keyword.toUpperCase();
    if (command === 'FROM') {
      const [image = '', as, name] = rest.split(/\s+/);
      const parent = byName(image);
      current = {
        name: as?.toUpperCase() === 'AS' ? name : undefined,
        image: parent?.image ?? image,
        parent,
        all: stages,
        workdir: parent?.workdir ?? '/',
        env: new Map(parent?.env),
        user: parent?.user,
        cmd: parent?.cmd,
        placements: [...(parent?.placements ?? [])],
        runs: [...(parent?.runs ?? [])],
      };
      stages.push(current);
      continue;
    }
    if (current === undefined) {
      if (command === 'ARG') continue;
      throw new Error(`Dockerfile:${line}: ${command} before FROM`);
    }
    const stage = current;
    switch (command) {
      case 'WORKDIR':
        stage.workdir = posix.resolve(stage.workdir, rest);
        break;
      case 'ENV':
        for (const [name, value] of envPairs(rest)) stage.env.set(name, value);
        break;
      case 'USER':
        stage.user = rest.split(':')[0];
        break;
      case 'CMD':
        stage.cmd = execForm(rest) ?? ['/bin/sh', '-c', rest];
        break;
      case 'RUN':
        stage.runs.push({ line, command: rest, placements: [...stage.placements] });
        break;
      case 'ADD':
        throw new Error(`Dockerfile:${line}: use COPY (this test only follows COPY)`);
      case 'COPY': {
        const words = execForm(rest) ?? rest.split(/\s+/);
        const dest = words.at(-1) ?? '';
        const sources = words.slice(0, -1);
        const from = flags.get('from');
        if (words.some((word) => word.includes('$'))) throw new Error(`Dockerfile:${line}: variables in COPY are not followed`);
        copies.push({ line, from, sources, stage });
        const destination = posix.resolve(stage.workdir, dest);
        const intoDirectory = dest.endsWith('/') || sources.length > 1;
        for (const source of sources) {
          // A directory's contents go to the destination; a file goes into it when it is a directory.
          const isFile = from === undefined ? isRepoFile(source) : isRepoFile(repoPathIn(byName(from), source) ?? '');
          stage.placements.push({
            dest: intoDirectory && isFile ? posix.join(destination, posix.basename(source)) : destination,
            from,
            source,
          });
        }
        break;
      }
      default:
        break;
    }
  }
  const final = stages.at(-1);
  if (final === undefined) throw new Error('Dockerfile: no FROM');
  return {
    stages,
    copies,
    final,
    stage(name) {
      const found = byName(name);
      if (found === undefined) throw new Error(`Dockerfile: no stage named ${name}`);
      return found;
    },
  };

  function isRepoFile(path: string): boolean {
    return path !== '' && existsSync(inRepo(path)) && statSync(inRepo(path)).isFile();
  }
}

/**
 * Where an image path of a stage comes from in this repository: followed through COPY (from
 * the context, or from another stage and on from there). A path under a stage's copy of the
 * whole context maps to the same path in the repository, which is what the build stage's
 * `npm run build` fills with dist/ exactly as the local build does.
 */
function repoPathIn(stage: Stage | undefined, imagePath: string, placements = stage?.placements ?? []): string | undefined {
  if (stage === undefined) return undefined;
  const path = posix.normalize(imagePath);
  for (const placement of [...placements].reverse()) {
    if (path !== placement.dest && !path.startsWith(`${placement.dest === '/' ? '' : placement.dest}/`)) continue;
    const rest = path.slice(placement.dest.length);
    if (placement.from === undefined) return posix.normalize(posix.join(placement.source, rest)).replace(/^\/+/, '') || '.';
    const origin = stage.all.find((candidate) => candidate.name === placement.from);
    return repoPathIn(origin, posix.join(placement.source, rest));
  }
  return undefined;
}

// ---------------------------------------------------------------------------------------------
// .dockerignore

function globToRegExp(glob: string): RegExp {
  let pattern = '';
  for (let index = 0; index < glob.length; index++) {
    const char = glob[index] ?? '';
    if (char === '*' && glob[index + 1] === '*') {
      if (glob[index + 2] === '/') {
        pattern += '(?:.*/)?';
        index += 2;
      } else {
        pattern += '.*';
        index += 1;
      }
    } else if (char === '*') pattern += '[^/]*';
    else if (char === '?') pattern += '[^/]';
    else pattern += char.replace(/[.+^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^${pattern}$`);
}

/** True when .dockerignore keeps the path (relative to the context) out of the build context. */
function dockerIgnored(rules: Array<{ negate: boolean; pattern: RegExp }>, path: string): boolean {
  const parts = posix.normalize(path).replace(/^\/+/, '').split('/');
  let ignored = false;
  for (const rule of rules) {
    for (let length = 1; length <= parts.length; length++) {
      if (rule.pattern.test(parts.slice(0, length).join('/'))) {
        ignored = !rule.negate;
        break;
      }
    }
  }
  return ignored;
}

function repoFiles(directory = '.', found: string[] = []): string[] {
  for (const entry of readdirSync(inRepo(directory), { withFileTypes: true })) {
    if (entry.name === 'node_modules' || entry.name === '.git') continue;
    const path = posix.join(directory, entry.name);
    if (entry.isDirectory()) repoFiles(path, found);
    else found.push(path);
  }
  return found;
}

// ---------------------------------------------------------------------------------------------

const compose = asRecord(parseYaml(readRepoFile('docker-compose.yml'), { merge: true }), 'docker-compose.yml');
const services = asRecord(compose.services, 'services');
const service = (name: string): Yaml => asRecord(services[name], `services.${name}`);
const ENV_NAMES = new Set([...Object.keys(envSchema.shape), 'NODE_ENV']);

const lockfile = JSON.parse(readRepoFile('package-lock.json')) as { packages: Record<string, { name?: string }> };
/** Workspace folders, as npm ci checks them against the lockfile. */
const workspaces = Object.keys(lockfile.packages).filter((path) => path !== '' && !path.includes('node_modules'));

/** The Dockerfile that compose builds for the api service. */
function dockerfilePath(): string {
  const build = service('api').build;
  const context = typeof build === 'string' ? build : String(asRecord(build, 'api.build').context ?? '.');
  const file = typeof build === 'string' ? 'Dockerfile' : String(asRecord(build, 'api.build').dockerfile ?? 'Dockerfile');
  if (posix.normalize(context) !== '.') throw new Error(`api.build: context ${context}, expected the repository root`);
  return file;
}
const dockerfile = parseDockerfile(readRepoFile(dockerfilePath()));

/** The repository file that `node <script>` runs in the final image (cwd = its WORKDIR). */
function scriptInImage(script: string): string | undefined {
  return repoPathIn(dockerfile.final, posix.resolve(dockerfile.final.workdir, script));
}

describe('docker-compose.yml', () => {
  it('has the redis, api and worker services', () => {
    expect(Object.keys(services)).toEqual(expect.arrayContaining(['redis', 'api', 'worker']));
  });

  it('lets `docker compose up --scale worker=N` start N workers: no container_name, no ports', () => {
    expect(service('worker')).not.toHaveProperty('container_name');
    expect(service('worker')).not.toHaveProperty('ports');
  });

  it('runs the api and the worker from the same image', () => {
    const api = service('api');
    const worker = service('worker');
    expect(api.build, 'the api service builds the image').toBeDefined();
    if (worker.build !== undefined) expect(worker.build).toEqual(api.build);
    expect(worker.image).toBe(api.image);
  });

  it('sets only environment variables that msgpipe reads (keys of envSchema, or NODE_ENV)', () => {
    for (const name of ['api', 'worker']) {
      const unknown = [...environmentOf(service(name)).keys()].filter((variable) => !ENV_NAMES.has(variable));
      expect(unknown, `${name}: variables envSchema does not define`).toEqual([]);
      expect(service(name), `${name}: an env_file could set any name`).not.toHaveProperty('env_file');
    }
    const interpolated = [...interpolatedNames(compose)].filter((variable) => !ENV_NAMES.has(variable));
    expect(interpolated, '${VARIABLES} taken from the caller that envSchema does not define').toEqual([]);
  });

  it('gives the api and the worker a valid configuration for the same Redis, keys and queues', () => {
    const api = resolvedEnvironment(service('api'));
    const worker = resolvedEnvironment(service('worker'));
    const apiConfig = loadConfig(api);
    const workerConfig = loadConfig(worker);
    for (const name of ['REDIS_URL', 'REDIS_PREFIX', 'QUEUE_PARTITIONS', 'REDIS_CLUSTER_NODES'] as const) {
      expect(worker[name], `${name} differs between api and worker`).toBe(api[name]);
    }
    expect(workerConfig.redis).toEqual(apiConfig.redis);
    const redisUrl = new URL(apiConfig.redis.url);
    expect(Object.keys(services), 'REDIS_URL names a compose service').toContain(redisUrl.hostname);
    expect(redisUrl.port || '6379').toBe('6379');
    expect(api.NODE_ENV).toBe('production');
    expect(worker.NODE_ENV).toBe('production');
  });

  it('publishes the port the api listens on, on every interface of its container', () => {
    const config = loadConfig(resolvedEnvironment(service('api')));
    expect(config.host).toBe('0.0.0.0');
    const ports = service('api').ports;
    expect(Array.isArray(ports) && ports.map(containerPort)).toEqual([config.port]);
  });

  it('starts the api and the workers once Redis answers, and restarts them', () => {
    for (const name of ['api', 'worker']) {
      const dependsOn = asRecord(service(name).depends_on, `${name}.depends_on`);
      expect(asRecord(dependsOn.redis, `${name}.depends_on.redis`).condition).toBe('service_healthy');
      expect(service(name).restart).toBe('unless-stopped');
    }
  });

  it('gives SIGTERM time to drain: stop_grace_period on api and worker, longer than the api shutdown timeout', () => {
    const apiGrace = durationMs(service('api').stop_grace_period);
    const workerGrace = durationMs(service('worker').stop_grace_period);
    expect(apiGrace).toBeGreaterThan(loadConfig(resolvedEnvironment(service('api'))).shutdownTimeoutMs);
    expect(workerGrace).toBeGreaterThan(10_000); // Docker's default, which would cut jobs in flight
  });

  it('runs the worker entry point that the build produces, and the api on the image default', () => {
    const [program, script = '', ...rest] = commandArgs(service('worker').command);
    expect(program).toBe('node');
    expect(rest).toEqual([]);
    expect(script).toBe('apps/worker/dist/main.js');
    expect(scriptInImage(script), `${script} is not in the final image`).toBe('apps/worker/dist/main.js');
    expect(existsSync(inRepo('apps/worker/dist/main.js')), 'npm run build produces apps/worker/dist/main.js').toBe(true);
    expect(service('api').command, 'the api runs the image CMD').toBeUndefined();
  });

  describe('redis', () => {
    const redis = service('redis');
    const args = commandArgs(redis.command);
    const configPath = args[1] ?? '';
    const overrides = new Map<string, string[]>();
    for (let index = 2; index < args.length; ) {
      const name = args[index] ?? '';
      const values: string[] = [];
      for (index++; index < args.length && !(args[index] ?? '').startsWith('--'); index++) values.push(args[index] ?? '');
      overrides.set(name, values);
    }

    it('is redis 7 started with a config file', () => {
      expect(redis.image).toMatch(/^redis:7(\.|-|$)/);
      expect(args[0]).toBe('redis-server');
      expect(configPath).toMatch(/^\/.*\.conf$/);
    });

    it('reads deploy/redis.conf, mounted read-only, as that config file', () => {
      const mount = mountsOf(redis).find((candidate) => candidate.target === configPath);
      expect(mount, `nothing is mounted at ${configPath}`).toBeDefined();
      expect(isBindSource(mount?.source) && posix.normalize(mount?.source ?? '')).toBe('deploy/redis.conf');
      expect(mount?.readOnly).toBe(true);
      expect(existsSync(inRepo('deploy/redis.conf'))).toBe(true);
    });

    it('keeps AOF on and never evicts: in deploy/redis.conf, not overridden on the command line', () => {
      const conf = readRepoFile('deploy/redis.conf');
      expect(conf).toMatch(/^\s*appendonly\s+yes\s*$/m);
      expect(conf).toMatch(/^\s*maxmemory-policy\s+noeviction\s*$/m);
      expect(overrides.get('--appendonly') ?? ['yes']).toEqual(['yes']);
      expect(overrides.get('--maxmemory-policy') ?? ['noeviction']).toEqual(['noeviction']);
    });

    it('listens on the compose network, and keeps its data in a named volume', () => {
      expect(overrides.get('--bind')).toEqual(['0.0.0.0']);
      expect(overrides.get('--protected-mode')).toEqual(['no']);
      const [dir] = overrides.get('--dir') ?? [];
      const data = mountsOf(redis).find((mount) => mount.target === dir);
      expect(data, `no volume at --dir ${dir}`).toBeDefined();
      expect(Object.keys(asRecord(compose.volumes, 'volumes'))).toContain(data?.source);
      expect(redis, 'Redis stays on the compose network').not.toHaveProperty('ports');
    });

    it('has a healthcheck that pings it', () => {
      const test = commandArgs(asRecord(redis.healthcheck, 'redis.healthcheck').test).join(' ');
      expect(test).toMatch(/redis-cli\b.*\bping\b/);
    });
  });
});

describe('Dockerfile', () => {
  it('has a build stage on node:20-bookworm-slim and a runtime stage, the last one', () => {
    expect(dockerfile.stage('build').image).toBe('node:20-bookworm-slim');
    expect(dockerfile.final.image).toBe('node:20-bookworm-slim');
    expect(dockerfile.final).not.toBe(dockerfile.stage('build'));
  });

  it('copies sources that exist: every non-glob COPY source from the context is in the repo, and not .dockerignored', () => {
    const rules = readRepoFile('.dockerignore')
      .split('\n')
      .map((line) => line.trim())
      .filter((line) => line !== '' && !line.startsWith('#'))
      .map((line) => {
        const negate = line.startsWith('!');
        const pattern = posix.normalize((negate ? line.slice(1) : line).trim()).replace(/^\/+/, '');
        return { negate, pattern: globToRegExp(pattern) };
      });
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
    const directoryOf = new Map(workspaces.map((workspace) => [lockfile.packages[workspace]?.name, workspace]));
    const needed = new Set(['apps/api', 'apps/worker']);
    for (const workspace of needed) {
      const manifest = JSON.parse(readRepoFile(`${workspace}/package.json`)) as { dependencies?: Record<string, string> };
      for (const dependency of Object.keys(manifest.dependencies ?? {})) {
        const directory = directoryOf.get(dependency);
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
