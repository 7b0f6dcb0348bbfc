import { readdirSync, readFileSync } from 'node:fs';
import { join, posix } from 'node:path';
import { repoRoot } from '@msgpipe/testkit';

export const inRepo = (path: string): string => join(repoRoot, path);
export const readRepoFile = (path: string): string => readFileSync(inRepo(path), 'utf8');

/** Every file of the repository, relative to its root, outside node_modules and .git. */
export function repoFiles(directory = '.', found: string[] = []): string[] {
  for (const entry of readdirSync(inRepo(directory), { withFileTypes: true })) {
    if (entry.name === 'node_modules' || entry.name === '.git') continue;
    const path = posix.join(directory, entry.name);
    if (entry.isDirectory()) repoFiles(path, found);
    else found.push(path);
  }
  return found;
}


const lockfile = JSON.parse(readRepoFile('package-lock.json')) as { packages: Record<string, { name?: string }> };
/** Workspace folders, as npm ci checks them against the lockfile. */
export const workspaces = Object.keys(lockfile.packages).filter((path) => path !== '' && !path.includes('node_modules'));
/** A workspace's folder, by package name. */
export const workspaceNamed = new Map(workspaces.map((workspace) => [lockfile.packages[workspace]?.name, workspace]));
