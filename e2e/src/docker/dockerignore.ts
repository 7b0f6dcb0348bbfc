/** .dockerignore rules, as Docker applies them to paths of the build context. */
import { posix } from 'node:path';
import { readRepoFile } from './repo-files.js';

export function globToRegExp(glob: string): RegExp {
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
export function dockerIgnored(rules: Array<{ negate: boolean; pattern: RegExp }>, path: string): boolean {
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

export type DockerignoreRules = Array<{ negate: boolean; pattern: RegExp }>;

export function readDockerignore(): DockerignoreRules {
  return readRepoFile('.dockerignore')
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'))
    .map((line) => {
      const negate = line.startsWith('!');
      const pattern = posix.normalize((negate ? line.slice(1) : line).trim()).replace(/^\/+/, '');
      return { negate, pattern: globToRegExp(pattern) };
    });
}
