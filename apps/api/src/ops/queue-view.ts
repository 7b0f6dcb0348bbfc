import { html } from 'hono/html';
import { formatDuration, formatNumber } from './format.js';
import type { Overview, PartitionOverview } from './overview.js';
import { tile } from './tiles.js';

/** Queue latency at or above this shows in red: messages are waiting longer than anyone expects. */
export const LATENCY_ALERT_SECONDS = 60;

const latencyTone = (seconds: number) => (seconds >= LATENCY_ALERT_SECONDS ? 'alert' : seconds > 0 ? 'warn' : 'ok');

/** The figures an operator looks at first: queue latency, backlog, work in flight, workers, paused. */
export function headlineTiles({ partitions, queue, workers }: Overview) {
  const latency = Math.max(0, ...partitions.map((partition) => partition.oldestWaitingSeconds));
  const inFlight = workers.reduce((sum, worker) => sum + (worker.inFlight ?? 0), 0);
  const paused = partitions.filter((partition) => partition.paused).map((partition) => partition.queue);
  return html`<div class="tiles headline">
    ${tile('queue latency (oldest waiting)', formatDuration(latency), 'queue-latency', latencyTone(latency))}
    ${tile('messages waiting', queue.waiting, 'queue-waiting')}
    ${tile('messages in flight', inFlight, 'in-flight')}
    ${tile('workers', workers.length, 'worker-count', workers.length === 0 ? 'alert' : '')}
    ${tile(paused.length === 0 ? 'all partitions consuming' : `paused: ${paused.join(', ')}`, paused.length === 0 ? 'running' : 'paused', 'paused', paused.length === 0 ? 'ok' : 'alert')}
  </div>`;
}

/** Job counts over every partition (waiting is among the headline tiles). */
export function jobTiles({ queue }: Overview) {
  return html`<div class="tiles">
    ${tile('jobs active', queue.active, 'queue-active')}
    ${tile('delayed (retrying)', queue.delayed, 'queue-delayed')}
    ${tile('failed jobs', queue.failed, 'queue-failed', queue.failed > 0 ? 'alert' : '')}
    ${tile('completed (kept 1 h)', queue.completed, 'queue-completed')}
  </div>`;
}

function partitionRow({ queue, paused, oldestWaitingSeconds, counts }: PartitionOverview) {
  return html`<tr><td><code>${queue}</code></td><td>${paused ? html`<span class="badge alert">paused</span>` : html`<span class="badge ok">running</span>`}</td>
    <td class="num">${formatNumber(counts.waiting)}</td><td class="num">${formatNumber(counts.active)}</td><td class="num">${formatNumber(counts.delayed)}</td>
    <td class="num ${latencyTone(oldestWaitingSeconds)}">${formatDuration(oldestWaitingSeconds)}</td></tr>`;
}

/** One row per queue partition: state, depth and queue latency. */
export function partitionsTable({ partitions }: Overview) {
  return html`<section class="panel"><h2>Partitions</h2>
    <table data-testid="partitions"><thead><tr><th>queue</th><th>state</th><th class="num">waiting</th><th class="num">active</th><th class="num">delayed</th><th class="num">oldest waiting</th></tr></thead>
    <tbody>${partitions.map(partitionRow)}</tbody></table></section>`;
}
