/**
 * The Dockerfile, parsed by dockerfile-ast and followed COPY by COPY, to know which repository
 * path each path of an image comes from.
 */
import { existsSync, statSync } from 'node:fs';
import { posix } from 'node:path';
import { Add, Cmd, Copy, DockerfileParser, Env, From, type Instruction, type JSONInstruction, Run, User, Workdir } from 'dockerfile-ast';
import { inRepo } from './repo-files.js';

interface Placement {
  /** Absolute path in the image. */
  dest: string;
  /** The repository path it holds; undefined when it comes from nothing this repository makes. */
  source: string | undefined;
}

export interface CopyStep {
  line: number;
  /** Undefined for the build context, else the stage copied from. */
  from: string | undefined;
  /** Each source as written, and the repository path it stands for (undefined: none). */
  sources: Array<{ written: string; repoPath: string | undefined }>;
}

export interface Stage {
  name: string | undefined;
  /** The image the stage starts from, followed through earlier stages. */
  image: string;
  parent: Stage | undefined;
  workdir: string;
  env: Map<string, string>;
  user: string | undefined;
  cmd: string[] | undefined;
  /** Every file or directory COPY put in the image so far, oldest first (parents' included). */
  placements: Placement[];
  /** RUN commands (parents' included), each with what had been copied in when it ran. */
  runs: Array<{ line: number; command: string; placements: Placement[] }>;
}

export interface Dockerfile {
  stages: Stage[];
  copies: CopyStep[];
  stage(name: string): Stage;
  final: Stage;
}

/** COPY flags that change which files land where, which this model does not follow. */
const UNFOLLOWED_COPY_FLAGS = new Set(['parents', 'exclude']);

/**
 * The words of an exec-form (JSON) instruction, undefined for the shell form. Parsed from the
 * instruction's text because dockerfile-ast's JSON strings drop the spaces inside a word.
 */
function execForm(instruction: JSONInstruction): string[] | undefined {
  if (instruction.getJSONStrings().length === 0) return undefined;
  return (JSON.parse(instruction.getArgumentsContent() ?? '[]') as unknown[]).map(String);
}

const isRepoFile = (path: string | undefined): boolean => path !== undefined && existsSync(inRepo(path)) && statSync(inRepo(path)).isFile();

/**
 * The repository path that an image path of a stage holds. A path under a stage's copy of the
 * whole context maps to the same path in the repository, which is what the build stage's
 * `npm run build` fills with dist/ exactly as the local build does.
 */
export function repoPathIn(stage: Stage | undefined, imagePath: string, placements = stage?.placements ?? []): string | undefined {
  const path = posix.normalize(imagePath);
  for (const placement of [...placements].reverse()) {
    const under = path === placement.dest || path.startsWith(`${placement.dest === '/' ? '' : placement.dest}/`);
    if (!under) continue;
    if (placement.source === undefined) return undefined;
    return posix.join(placement.source, path.slice(placement.dest.length)).replace(/\/+$/, '') || '.';
  }
  return undefined;
}

function newStage(from: From, stages: Stage[]): Stage {
  const image = from.getImage() ?? '';
  const parent = stages.find((stage) => stage.name === image);
  return {
    name: from.getBuildStage() ?? undefined,
    image: parent?.image ?? image,
    parent,
    workdir: parent?.workdir ?? '/',
    env: new Map(parent?.env),
    user: parent?.user,
    cmd: parent?.cmd,
    placements: [...(parent?.placements ?? [])],
    runs: [...(parent?.runs ?? [])],
  };
}

function applyCopy(copy: Copy, stage: Stage, stages: Stage[], line: number): CopyStep {
  const where = `Dockerfile:${line}`;
  const flags = copy.getFlags();
  const unfollowed = flags.filter((flag) => UNFOLLOWED_COPY_FLAGS.has(flag.getName()));
  if (unfollowed.length > 0 || copy.getHeredocs().length > 0) throw new Error(`${where}: COPY --parents, --exclude and heredocs are not followed`);
  const words = execForm(copy) ?? copy.getArguments().map((word) => word.getValue());
  if (words.some((word) => word.includes('$'))) throw new Error(`${where}: variables in COPY are not followed`);
  const from = flags.find((flag) => flag.getName() === 'from')?.getValue() ?? undefined;
  const origin = from === undefined ? undefined : stages.find((candidate) => candidate.name === from);
  const dest = words.at(-1) ?? '';
  const destination = posix.resolve(stage.workdir, dest);
  const sources = words.slice(0, -1).map((written) => ({
    written,
    repoPath: from === undefined ? posix.normalize(written).replace(/^\/+/, '') : repoPathIn(origin, posix.resolve(origin?.workdir ?? '/', written)),
  }));
  const intoDirectory = dest.endsWith('/') || sources.length > 1;
  for (const { repoPath } of sources) {
    // A directory's contents go to the destination; a file goes into it when it is a directory.
    const intoIt = intoDirectory && repoPath !== undefined && isRepoFile(repoPath);
    stage.placements.push({ dest: intoIt ? posix.join(destination, posix.basename(repoPath)) : destination, source: repoPath });
  }
  return { line, from, sources };
}

function applyInstruction(instruction: Instruction, stage: Stage, line: number): void {
  if (instruction instanceof Workdir) stage.workdir = posix.resolve(stage.workdir, instruction.getArgumentsContent() ?? '');
  else if (instruction instanceof Env) for (const property of instruction.getProperties()) stage.env.set(property.getName(), property.getValue() ?? '');
  else if (instruction instanceof User) stage.user = instruction.getArgumentsContent()?.split(':')[0];
  else if (instruction instanceof Run) stage.runs.push({ line, command: instruction.getArgumentsContent() ?? '', placements: [...stage.placements] });
  else if (instruction instanceof Cmd) stage.cmd = execForm(instruction) ?? ['/bin/sh', '-c', instruction.getArgumentsContent() ?? ''];
  else if (instruction instanceof Add) throw new Error(`Dockerfile:${line}: use COPY (only COPY is followed)`);
}

export function parseDockerfile(text: string): Dockerfile {
  const stages: Stage[] = [];
  const copies: CopyStep[] = [];
  for (const instruction of DockerfileParser.parse(text).getInstructions()) {
    const line = instruction.getRange().start.line + 1;
    const stage = stages.at(-1);
    if (instruction instanceof From) stages.push(newStage(instruction, stages));
    else if (stage === undefined) continue; // ARGs before the first FROM
    else if (instruction instanceof Copy) copies.push(applyCopy(instruction, stage, stages, line));
    else applyInstruction(instruction, stage, line);
  }
  const final = stages.at(-1);
  if (final === undefined) throw new Error('Dockerfile: no FROM');
  return {
    stages,
    copies,
    final,
    stage(name) {
      const found = stages.find((stage) => stage.name === name);
      if (found === undefined) throw new Error(`Dockerfile: no stage named ${name}`);
      return found;
    },
  };
}
