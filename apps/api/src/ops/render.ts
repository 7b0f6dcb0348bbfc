import type { Sender } from '@msgpipe/shared';
import { html, raw } from 'hono/html';
import { DASHBOARD_PATH } from '../dashboard.js';
import { perMinuteChart } from './chart.js';
import type { Overview } from './overview.js';

const number = (value: number) => value.toLocaleString('en-US');

function tile(label: string, value: number, testId: string, tone = '') {
  return html`<div class="tile ${tone}"><div class="value" data-testid="${testId}">${number(value)}</div><div class="label">${label}</div></div>`;
}

function senders(title: string, list: Sender[], testId: string) {
  return html`<section class="panel"><h2>${title}</h2>
    <table data-testid="${testId}"><thead><tr><th>IP</th><th class="num">messages</th></tr></thead><tbody>
    ${list.length === 0 ? html`<tr><td colspan="2" class="empty">nobody yet</td></tr>` : list.map(({ ip, count }) => html`<tr><td><code>${ip}</code></td><td class="num">${number(count)}</td></tr>`)}
    </tbody></table></section>`;
}

/** The part of the page that refreshes itself: numbers, chart, leaderboards. */
export function renderLive({ generatedAt, stats, perMinute, queue }: Overview) {
  const lastMinute = perMinute.at(-1)?.count ?? 0;
  const lastHour = perMinute.reduce((sum, { count }) => sum + count, 0);
  return html`<div class="tiles">
      ${tile('messages this minute', lastMinute, 'this-minute')}
      ${tile('messages today', stats.messagesToday, 'messages-today')}
      ${tile('unique IPs today', stats.uniqueIpsToday, 'unique-ips-today')}
      ${tile('online now', stats.onlineNow, 'online-now')}
      ${tile('total messages', stats.totalMessages, 'total-messages')}
    </div>
    <section class="panel"><h2>Messages per minute, last hour <small>${number(lastHour)} in all</small></h2>${perMinuteChart(perMinute)}</section>
    <div class="tiles">
      ${tile('waiting', queue.waiting, 'queue-waiting')}
      ${tile('active', queue.active, 'queue-active')}
      ${tile('delayed (retrying)', queue.delayed, 'queue-delayed')}
      ${tile('failed jobs', queue.failed, 'queue-failed', queue.failed > 0 ? 'alert' : '')}
      ${tile('completed (kept 1 h)', queue.completed, 'queue-completed')}
    </div>
    <div class="columns">${senders('Top senders today', stats.topSendersToday, 'top-today')}${senders('Top senders, all time', stats.topSenders, 'top-all-time')}</div>
    <p class="stamp">updated <time data-testid="updated-at" datetime="${generatedAt.toISOString()}">${generatedAt.toISOString().slice(11, 19)} UTC</time></p>`;
}

const STYLE = `
:root{color-scheme:light dark;--bg:#f6f7f9;--fg:#1d2330;--muted:#6b7280;--panel:#fff;--line:#e3e6eb;--accent:#2563eb;--alert:#dc2626}
@media (prefers-color-scheme:dark){:root{--bg:#111318;--fg:#e7e9ee;--muted:#9aa1ad;--panel:#1a1d24;--line:#2a2e37;--accent:#60a5fa}}
*{box-sizing:border-box}body{margin:0;font:15px/1.45 system-ui,sans-serif;background:var(--bg);color:var(--fg)}
header{display:flex;align-items:center;gap:1rem;padding:.9rem 1.5rem;border-bottom:1px solid var(--line);background:var(--panel)}
header h1{font-size:1.1rem;margin:0}header a{margin-left:auto;color:var(--accent);font-weight:600;text-decoration:none}
main{max-width:1100px;margin:0 auto;padding:1.2rem 1.5rem}
.tiles{display:grid;grid-template-columns:repeat(auto-fit,minmax(170px,1fr));gap:.8rem;margin-bottom:1rem}
.tile,.panel{background:var(--panel);border:1px solid var(--line);border-radius:10px;padding:.8rem 1rem}
.tile .value{font-size:1.8rem;font-weight:650;font-variant-numeric:tabular-nums}.tile .label{color:var(--muted)}
.tile.alert .value{color:var(--alert)}
.panel{margin-bottom:1rem}.panel h2{font-size:.95rem;margin:0 0 .6rem}.panel h2 small{color:var(--muted);font-weight:400}
.chart{width:100%;height:auto}.chart .bar{fill:var(--accent)}.chart .axis{stroke:var(--line)}.chart .tick{fill:var(--muted);font-size:11px}
.columns{display:grid;grid-template-columns:repeat(auto-fit,minmax(300px,1fr));gap:1rem}
table{width:100%;border-collapse:collapse}th,td{text-align:left;padding:.3rem .2rem;border-bottom:1px solid var(--line)}
th{color:var(--muted);font-weight:500}.num{text-align:right;font-variant-numeric:tabular-nums}.empty{color:var(--muted)}
.stamp{color:var(--muted);font-size:.85rem}#status{font-size:.85rem;color:var(--muted)}#status.down{color:var(--alert)}
`;

/** Polls the live fragment and swaps it in: the page stays current with no front-end build. */
const SCRIPT = `
const live = document.getElementById('live'), status = document.getElementById('status');
async function refresh() {
  try {
    const response = await fetch('/admin/live', { headers: { accept: 'text/html' }, cache: 'no-store' });
    if (!response.ok) throw new Error('HTTP ' + response.status);
    live.innerHTML = await response.text();
    status.textContent = '● live'; status.className = '';
  } catch (error) {
    status.textContent = '● disconnected (' + error.message + '), retrying'; status.className = 'down';
  }
}
setInterval(refresh, 2000);
`;

/** The whole ops page; `nonce` lets its inline style and script run under the page's CSP. */
export function renderPage(overview: Overview, nonce: string | undefined) {
  return html`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>msgpipe · operations</title><style nonce="${nonce}">${raw(STYLE)}</style></head>
<body><header><h1>msgpipe · operations</h1><span id="status">● live</span><a href="${DASHBOARD_PATH}" data-testid="dashboard-link">Queue dashboard →</a></header>
<main id="live">${renderLive(overview)}</main>
<script type="module" nonce="${nonce}">${raw(SCRIPT)}</script></body></html>`;
}
