import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { BenchOptions } from './args.js';
import type { BaselineResult } from './baseline.js';
import type { LatencySummary } from './latency.js';
import type { PhaseResult } from './phase.js';
import type { HistoryFootprint } from './redis-probe.js';

export interface BenchResult {
  startedAt: string;
  options: BenchOptions;
  environment: { node: string; cpus: number; loadAverageAtStart: number[]; redisVersion: string; redisStartedByBench: boolean };
  phases: PhaseResult[];
  baseline: BaselineResult | null;
  /** The pipeline's idle run again with ENQUEUE_BATCH_MAX=1, to compare latencies (null: skipped). */
  idleOneByOne: PhaseResult | null;
  /** The minimal reference pipeline (bench/src/reference): the same closed loop, one paced rate. */
  reference: PhaseResult[];
  /** The headline: the best sustained completed/s of the pipeline ÷ the baseline's completed/s. */
  pipelineOverBaseline: number | null;
  /** The best sustained completed/s of the pipeline ÷ the reference's. */
  pipelineOverReference: number | null;
  redisMemory: { usedBeforeMiB: number; usedAfterMiB: number; messages: number; history: HistoryFootprint };
}

const ms = (value: number | null) => (value === null ? '–' : value < 10 ? value.toFixed(1) : value.toFixed(0));
const latency = (summary: LatencySummary, p999 = true) =>
  [summary.p50, summary.p99, ...(p999 ? [summary.p999] : [])].map(ms).join(' / ');
const cores = (phase: PhaseResult) =>
  Object.entries(phase.processes)
    .map(([name, { cpuCores, cpuMsPerMessage }]) => `${name.replace(' (load)', '')} ${cpuCores.toFixed(2)} (${cpuMsPerMessage.toFixed(3)})`)
    .join(', ');

const refusals = (phase: PhaseResult) => Object.values(phase.refused).reduce((sum, n) => sum + n, 0) + phase.failed;

function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, column) => Math.max(...rows.map((row) => row[column]!.length)));
  return rows.map((row) => row.map((cell, column) => (column === 0 ? cell.padEnd(widths[column]!) : cell.padStart(widths[column]!))).join('  ')).join('\n');
}

/** The terminal summary: one line per phase (the reference's last), then the baseline, the ratios and memory. */
export function formatReport(result: BenchResult): string {
  const phases = [
    ...result.phases,
    ...(result.idleOneByOne ? [result.idleOneByOne] : []),
    ...result.reference.map((phase) => ({ ...phase, name: `reference ${phase.name}` })),
  ];
  const rows = [
    ['phase', 'accepted/s', 'completed/s', 'msgs/job', 'backlog', 'drain s', 'HTTP p50/p99/p99.9 ms', 'e2e p50/p99 ms', 'refused'],
    ...phases.map((phase) => [
      phase.name,
      String(phase.acceptedPerSecond),
      String(phase.completedPerSecond),
      phase.messagesPerJob === undefined ? '–' : phase.messagesPerJob.toFixed(1),
      String(phase.backlogAtEnd),
      phase.drainSeconds === null ? 'timeout' : phase.drainSeconds.toFixed(1),
      latency(phase.httpLatencyMs),
      latency(phase.endToEndMs, false),
      String(refusals(phase)),
    ]),
  ];
  const lines = [
    `msgpipe bench ${result.startedAt}: ${result.options.workers} worker(s), ${result.options.clientIps} client IPs, Redis ${result.environment.redisVersion}, ${result.environment.cpus} CPUs (load ${result.environment.loadAverageAtStart.map((n) => n.toFixed(1)).join(' ')})`,
    '',
    table(rows),
    '',
    'CPU in cores while loaded (1.00 = one core busy), and (in brackets) CPU ms per accepted message:',
    ...phases.map((phase) => `  ${phase.name.padEnd(32)} ${cores(phase)}`),
  ];
  lines.push(...comparisons(result));
  const rss = Object.entries(result.phases.at(-1)?.processes ?? {})
    .filter(([, figures]) => figures.rssMiB !== undefined)
    .map(([name, figures]) => `${name} ${figures.rssMiB} MiB (${figures.rssStartMiB} → ${figures.rssEndMiB})`);
  lines.push(`Peak RSS in the last phase (start → end): ${rss.join(', ')}`);
  const last = result.phases.at(-1);
  if (last && last.seconds >= 60) {
    const tenths = Object.entries(last.processes)
      .filter(([, figures]) => figures.rssTenthsMiB?.length)
      .map(([name, figures]) => `${name} ${figures.rssTenthsMiB!.join(' ')}`);
    lines.push(`  peak RSS in each tenth of it, MiB (flat memory: no climb from tenth to tenth): ${tenths.join('; ')}`);
  }
  const { usedBeforeMiB, usedAfterMiB, messages, history } = result.redisMemory;
  const kib = (bytes: number | null) => (bytes === null ? '–' : `${(bytes / 1024).toFixed(0)} KiB`);
  lines.push(
    `Redis used_memory: ${usedBeforeMiB} MiB before, ${usedAfterMiB} MiB after ${messages} messages ` +
      `(${kib(messages ? ((usedAfterMiB - usedBeforeMiB) * 1024 * 1024 * 1000) / messages : null)} per 1,000 messages, BullMQ's retained jobs and events included)`,
    `  histories: ${history.entries} entries over ${history.ips} IPs, ${kib(history.historyBytesPer1000Entries)} per 1,000 entries; ` +
      `written-id sets: ${history.writtenIds} ids, ${kib(history.writtenBytesPer1000Ids)} per 1,000 ids`,
  );
  if (result.baseline) {
    const { baseline } = result;
    lines.push(
      '',
      `Baseline (plain BullMQ Queue.add + no-op Worker, concurrency 50, same Redis): added ${baseline.addedPerSecond}/s, completed ${baseline.completedPerSecond}/s, ` +
        `add p50/p99 ${latency(baseline.addLatencyMs, false)} ms;\n  CPU (ms per job): ${Object.entries(baseline.cpu).map(([name, { cpuCores, cpuMsPerJob }]) => `${name} ${cpuCores.toFixed(2)} (${cpuMsPerJob.toFixed(3)})`).join(', ')}`,
    );
  }
  if (result.reference.length) {
    lines.push('', 'Reference: the minimal pipeline of bench/src/reference (Hono → Queue.add → Worker, concurrency 50 → one MULTI), nothing else, same Redis and load.');
  }
  if (result.pipelineOverBaseline !== null) {
    lines.push(`HEADLINE pipeline / baseline = ${result.pipelineOverBaseline.toFixed(2)} (best sustained completed/s of the pipeline ÷ the baseline's)`);
  }
  if (result.pipelineOverReference !== null) {
    lines.push(`         pipeline / reference = ${result.pipelineOverReference.toFixed(2)} (the same ÷ the minimal reference pipeline's)`);
  }
  return lines.join('\n');
}

/** Group commit's targets as figures of this run: idle latencies against a job per message, Redis CPU against the reference. */
function comparisons(result: BenchResult): string[] {
  const lines: string[] = [];
  const idle = result.phases.find((phase) => phase.name.startsWith('idle '));
  const alone = result.idleOneByOne;
  if (idle && alone) {
    const delta = (key: 'httpLatencyMs' | 'endToEndMs', at: 'p50' | 'p99') => {
      const [batched, single] = [idle[key][at], alone[key][at]];
      return batched === null || single === null ? '–' : `${batched - single >= 0 ? '+' : ''}${(batched - single).toFixed(1)}`;
    };
    lines.push(
      `Idle ${idle.targetRate}/s, batched minus ENQUEUE_BATCH_MAX=1: HTTP p50 ${delta('httpLatencyMs', 'p50')} ms, p99 ${delta('httpLatencyMs', 'p99')} ms; ` +
        `e2e p50 ${delta('endToEndMs', 'p50')} ms, p99 ${delta('endToEndMs', 'p99')} ms`,
    );
  }
  const closed = (phases: readonly PhaseResult[]) => phases.find((phase) => phase.name.startsWith('closed '));
  const [pipeline, reference] = [closed(result.phases), closed(result.reference)];
  const redisMs = (phase: PhaseResult | undefined) => phase?.redisMsPerFinishedMessage;
  if (redisMs(pipeline) && redisMs(reference)) {
    lines.push(
      `Redis CPU per message, closed loop until drained: pipeline ${redisMs(pipeline)!.toFixed(3)} ms, reference ${redisMs(reference)!.toFixed(3)} ms ` +
        `(pipeline / reference = ${(redisMs(pipeline)! / redisMs(reference)!).toFixed(2)})`,
    );
  }
  return lines;
}

/** Writes the result as bench/results/<timestamp>.json; returns the path. */
export function writeResult(result: BenchResult, dir: string): string {
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `${result.startedAt.replace(/[:.]/g, '-')}.json`);
  writeFileSync(file, `${JSON.stringify(result, null, 2)}\n`);
  return file;
}
