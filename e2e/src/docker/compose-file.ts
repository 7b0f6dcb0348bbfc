/** docker-compose.yml read as compose would read it, for checks without a Docker engine. */
import { posix } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { readRepoFile } from './repo-files.js';

type Yaml = Record<string, unknown>;

export function asRecord(value: unknown, what: string): Yaml {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new Error(`${what}: expected a mapping`);
  return value as Yaml;
}

/** Compose's `${NAME}`, `${NAME:-default}`, `${NAME-default}`, `$NAME` and `$$`. */
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

export function interpolatedNames(value: unknown, names = new Set<string>()): Set<string> {
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
export function environmentOf(service: Yaml): Map<string, string | undefined> {
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

/** What the container would see with `caller` as the environment of `docker compose` (by default, nothing set). */
export function resolvedEnvironment(service: Yaml, caller: Record<string, string> = {}): Record<string, string> {
  const resolved: Record<string, string> = {};
  for (const [name, value] of environmentOf(service)) if (value !== undefined) resolved[name] = interpolate(value, caller);
  return resolved;
}

export function commandArgs(command: unknown): string[] {
  if (Array.isArray(command)) return command.map(String);
  if (typeof command === 'string') return command.trim().split(/\s+/);
  throw new Error('command: expected a list or a string');
}

/**
 * The program and arguments Docker runs for a service's healthcheck, in its container:
 * `[CMD, program, …args]` as given, `[CMD-SHELL, line]` and a bare string through `/bin/sh -c`.
 */
export function healthcheckArgs(service: Yaml, name: string): string[] {
  const test = asRecord(service.healthcheck, `${name}.healthcheck`).test;
  if (typeof test === 'string') return ['/bin/sh', '-c', test];
  const [kind, ...rest] = commandArgs(test);
  if (kind === 'CMD') return rest;
  if (kind === 'CMD-SHELL') return ['/bin/sh', '-c', rest.join(' ')];
  throw new Error(`${name}.healthcheck.test: expected CMD or CMD-SHELL, got ${kind}`);
}

/** "40s", "1m30s", "500ms" → milliseconds. */
export function durationMs(value: unknown): number {
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

export function mountsOf(service: Yaml): Mount[] {
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

export const isBindSource = (source: string | undefined): source is string =>
  source !== undefined && (source.startsWith('.') || source.startsWith('/') || source.startsWith('~'));


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
