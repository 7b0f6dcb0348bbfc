import { html } from 'hono/html';
import { formatClock, formatDuration, formatNumber } from './format.js';
import type { LiveWorker } from './live-workers.js';

function workerRow({ name, address, since, queues, inFlight }: LiveWorker, now: Date) {
  return html`<tr><td><code>${name}</code></td><td><code>${address}</code></td><td>${queues.join(', ')}</td>
    <td class="nowrap" title="${since.toISOString()}">${formatClock(since)} <small>(${formatDuration((now.getTime() - since.getTime()) / 1000)})</small></td>
    <td class="num">${inFlight === undefined ? '–' : formatNumber(inFlight)}</td></tr>`;
}

/** The worker processes connected now (BullMQ's client list) and the messages each has in flight. */
export function workersTable(workers: readonly LiveWorker[], now: Date) {
  return html`<section class="panel"><h2>Workers <small>connected now</small></h2>
    <table data-testid="workers"><thead><tr><th>host:pid</th><th>address</th><th>partitions</th><th>since</th><th class="num">in flight</th></tr></thead><tbody>
    ${workers.length === 0 ? html`<tr><td colspan="5" class="empty alert">no worker is connected: messages wait</td></tr>` : workers.map((worker) => workerRow(worker, now))}
    </tbody></table></section>`;
}
