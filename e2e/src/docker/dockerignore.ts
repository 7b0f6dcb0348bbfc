/** The build context as Docker makes it: .dockerignore applied by @balena/dockerignore, a port of Docker's matcher. */
import dockerignoreModule from '@balena/dockerignore';
import { readRepoFile } from './repo-files.js';

// A CommonJS module whose types declare `export default`: under NodeNext the function is its `.default`.
const dockerignore = dockerignoreModule.default;

export type ContextFilter = (path: string) => boolean;

/** True for a path (relative to the context) that the rules keep out of the build context. */
export function contextExcludes(rules: string): ContextFilter {
  const matcher = dockerignore().add(rules.split('\n'));
  return (path) => matcher.ignores(path);
}

export const repoContextExcludes = (): ContextFilter => contextExcludes(readRepoFile('.dockerignore'));

/** True for a path that a COPY source pattern (Docker's glob syntax, the same matcher) takes. */
export const copyGlobTakes = (pattern: string): ContextFilter => contextExcludes(pattern);
