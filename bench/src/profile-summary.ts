/**
 * node bench/dist/profile-summary.js FILE.cpuprofile [top]: where a V8 CPU profile (from
 * `npm run bench -- --cpu-prof DIR`) spends its time, by package and by function (self time).
 */
import { readFileSync } from 'node:fs';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

/** Which package a script URL belongs to: node_modules/<name>, node internals, or our own. */
export function packageOf(url: string): string {
  if (url === '') return '(native / idle / gc)';
  if (url.startsWith('node:')) return 'node internals';
  const match = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (match) return match[1]!;
  const own = /\/(apps\/[^/]+|packages\/[^/]+)\//.exec(url);
  return own ? own[1]! : url;
}

const nameOf = (frame: ProfileNode['callFrame']) =>
  `${frame.functionName || '(anonymous)'} ${frame.url.replace(/^.*node_modules\//, '').replace(/^file:\/\/.*\/(apps|packages)\//, '$1/')}:${frame.lineNumber + 1}`;

export function summarize(profile: CpuProfile, top = 25): string {
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const parentOf = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parentOf.set(child, node.id);
  const inclusive = new Map<string, number>();
  const selfByFunction = new Map<string, number>();
  const selfByPackage = new Map<string, number>();
  let total = 0;
  profile.samples.forEach((id, index) => {
    const delta = profile.timeDeltas[index] ?? 0;
    const frame = byId.get(id)?.callFrame;
    if (!frame) return;
    total += delta;
    const name = nameOf(frame);
    // Inclusive time: every distinct function on the sampled stack (recursion counted once).
    const onStack = new Set<string>();
    for (let at: number | undefined = id; at !== undefined; at = parentOf.get(at)) onStack.add(nameOf(byId.get(at)!.callFrame));
    for (const caller of onStack) inclusive.set(caller, (inclusive.get(caller) ?? 0) + delta);
    selfByFunction.set(name, (selfByFunction.get(name) ?? 0) + delta);
    selfByPackage.set(packageOf(frame.url), (selfByPackage.get(packageOf(frame.url)) ?? 0) + delta);
  });
  const rows = (map: Map<string, number>, count: number) =>
    [...map]
      .sort((a, b) => b[1] - a[1])
      .slice(0, count)
      .map(([name, micros]) => `${((micros / total) * 100).toFixed(1).padStart(5)}%  ${name}`);
  return [
    `${(total / 1e6).toFixed(1)} s sampled`,
    '',
    'by package (self):',
    ...rows(selfByPackage, 15),
    '',
    'by function (self):',
    ...rows(selfByFunction, top),
    '',
    'by function (inclusive: itself and what it calls):',
    ...rows(inclusive, top),
  ].join('\n');
}

if (process.argv[1]?.endsWith('profile-summary.js')) {
  const [file, top] = process.argv.slice(2);
  if (!file) throw new Error('usage: node bench/dist/profile-summary.js FILE.cpuprofile [top]');
  process.stdout.write(`${summarize(JSON.parse(readFileSync(file, 'utf8')) as CpuProfile, Number(top ?? 25))}\n`);
}
