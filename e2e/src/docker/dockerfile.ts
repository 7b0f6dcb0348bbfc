/** A Dockerfile followed COPY by COPY, to know where each path of an image comes from. */
import { existsSync, statSync } from 'node:fs';
import { posix } from 'node:path';
import { inRepo } from './repo-files.js';


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

export interface Stage {
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

export interface Dockerfile {
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

export function parseDockerfile(text: string): Dockerfile {
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
export function repoPathIn(stage: Stage | undefined, imagePath: string, placements = stage?.placements ?? []): string | undefined {
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
