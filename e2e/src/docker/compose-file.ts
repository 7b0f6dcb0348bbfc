/**
 * docker-compose.yml, parsed by `yaml` and read as compose would read it, for checks without a
 * Docker engine. Only the forms the file uses are read; any other throws rather than misreads.
 */
import { posix } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { readRepoFile } from './repo-files.js';

type Yaml = Record<string, unknown>;

export function asRecord(value: unknown, what: string): Yaml {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new Error(`${what}: expected a mapping`);
  return value as Yaml;
}

/** Compose's `${NAME}`, `${NAME:-default}`, `${NAME-default}`, `${NAME:?error}`, `$NAME` and `$$`. */
const INTERPOLATION = /\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-?+])([^}]*))?\}|\$([A-Za-z_][A-Za-z0-9_]*)/g;

/**
 * The value compose would use with `caller` as the environment it runs in (by default, one
 * that sets none of the variables). Throws where compose would refuse to start (`${NAME:?…}`).
 */
export function interpolate(value: string, caller: Record<string, string> = {}): string {
  return value.replace(INTERPOLATION, (match, braced: string | undefined, operator: string | undefined, argument: string | undefined, bare: string | undefined) => {
    if (match === '$$') return '$';
    const given = caller[braced ?? bare ?? ''];
    // With a colon, an empty value counts as unset.
    const set = operator?.startsWith(':') ? given !== undefined && given !== '' : given !== undefined;
    switch (operator?.replace(':', '')) {
      case undefined:
        return given ?? '';
      case '-':
        return set ? given! : (argument ?? '');
      case '+':
        return set ? (argument ?? '') : '';
      default:
        if (!set) throw new Error(`${match}: compose would refuse to start without this variable`);
        return given!;
    }
  });
}

/** Every variable that compose takes from its caller anywhere in `value`. */
export const interpolatedNames = (value: unknown): Set<string> =>
  new Set([...JSON.stringify(value).matchAll(INTERPOLATION)].flatMap((match) => match[1] ?? match[4] ?? []));

/** A service's `environment` (the mapping form), values as written (before interpolation). */
export function environmentOf(service: Yaml): Map<string, string | undefined> {
  const environment = asRecord(service.environment ?? {}, 'environment (the mapping form)');
  return new Map(Object.entries(environment).map(([name, value]) => [name, value === null ? undefined : String(value)]));
}

/** What the container would see with `caller` as the environment of `docker compose` (by default, nothing set). */
export function resolvedEnvironment(service: Yaml, caller: Record<string, string> = {}): Record<string, string> {
  const resolved: Record<string, string> = {};
  for (const [name, value] of environmentOf(service)) if (value !== undefined) resolved[name] = interpolate(value, caller);
  return resolved;
}

export function commandArgs(command: unknown, what: string): string[] {
  if (!Array.isArray(command)) throw new Error(`${what}: expected the list form`);
  return command.map(String);
}

/**
 * The program and arguments Docker runs for a service's healthcheck, in its container:
 * `[CMD, program, …args]` as given, `[CMD-SHELL, line]` and a bare string through `/bin/sh -c`.
 */
export function healthcheckArgs(service: Yaml, name: string): string[] {
  const test = asRecord(service.healthcheck, `${name}.healthcheck`).test;
  if (typeof test === 'string') return ['/bin/sh', '-c', test];
  const [kind, ...rest] = commandArgs(test, `${name}.healthcheck.test`);
  if (kind === 'CMD') return rest;
  if (kind === 'CMD-SHELL') return ['/bin/sh', '-c', rest.join(' ')];
  throw new Error(`${name}.healthcheck.test: expected CMD or CMD-SHELL, got ${kind}`);
}

const DURATION_UNITS: Record<string, number> = { h: 3_600_000, m: 60_000, s: 1000, ms: 1 };

/** "40s", "1m30s", "500ms" → milliseconds. */
export function durationMs(value: unknown): number {
  const text = String(value);
  const parts = [...text.matchAll(/(\d+(?:\.\d+)?)(ms|h|m|s)/g)];
  if (parts.length === 0 || parts.map((part) => part[0]).join('') !== text) throw new Error(`${text}: not a compose duration`);
  return parts.reduce((total, [, amount, unit = '']) => total + Number(amount) * (DURATION_UNITS[unit] ?? Number.NaN), 0);
}

/** The container side of a `ports` entry: "3000:3000", "127.0.0.1:8080:3000/tcp" or the long form. */
export function containerPort(entry: unknown): number {
  if (typeof entry === 'object' && entry !== null) return Number(asRecord(entry, 'ports entry').target);
  const text = String(entry).replace(/\/(tcp|udp)$/, '');
  return Number(text.slice(text.lastIndexOf(':') + 1));
}

export interface Mount {
  source: string | undefined;
  target: string;
  readOnly: boolean;
}

/** The `volumes` of a service, in the short form `[SOURCE:]TARGET[:MODE]`. */
export function mountsOf(service: Yaml): Mount[] {
  const volumes = service.volumes ?? [];
  if (!Array.isArray(volumes)) throw new Error('volumes: expected a list');
  return volumes.map((volume): Mount => {
    if (typeof volume !== 'string') throw new Error('volumes: expected the short form [SOURCE:]TARGET[:MODE]');
    const [first = '', second, mode = ''] = volume.split(':');
    if (second === undefined) return { source: undefined, target: first, readOnly: false };
    return { source: first, target: second, readOnly: mode.split(',').includes('ro') };
  });
}

export const isBindSource = (source: string | undefined): source is string =>
  source !== undefined && (source.startsWith('.') || source.startsWith('/') || source.startsWith('~'));

/** What `docker compose up` is run with: the admin token, which the API cannot start without. */
export const OPERATOR_ENV = { ADMIN_TOKEN: 'the-operators-admin-token' };

export const compose = asRecord(parseYaml(readRepoFile('docker-compose.yml'), { merge: true }), 'docker-compose.yml');
export const services = asRecord(compose.services, 'services');
export const service = (name: string): Yaml => asRecord(services[name], `services.${name}`);
/** The services that run msgpipe's image (built here, or the image the api builds). */
export const imageServices = (): string[] =>
  Object.keys(services).filter((name) => service(name).build !== undefined || (service(name).image !== undefined && service(name).image === service('api').image));

/** The Dockerfile that compose builds for the api service. */
export function dockerfilePath(): string {
  const build = service('api').build;
  const context = typeof build === 'string' ? build : String(asRecord(build, 'api.build').context ?? '.');
  const file = typeof build === 'string' ? 'Dockerfile' : String(asRecord(build, 'api.build').dockerfile ?? 'Dockerfile');
  if (posix.normalize(context) !== '.') throw new Error(`api.build: context ${context}, expected the repository root`);
  return file;
}
