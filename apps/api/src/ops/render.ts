import type { Sender } from '@msgpipe/shared';
import { html, raw } from 'hono/html';
import { DASHBOARD_PATH } from '../admin/dashboard.js';
import { perDayChart, perMinuteChart } from './chart.js';
import { formatClock, formatNumber } from './format.js';
import type { Overview } from './overview.js';
import { SCRIPT, STYLE } from './page-assets.js';
import { headlineTiles, jobTiles, partitionsTable } from './queue-view.js';
import { searchForm } from './search-view.js';
import { tile } from './tiles.js';
import { workersTable } from './workers-view.js';

function senders(title: string, list: Sender[], testId: string) {
  return html`<section class="panel"><h2>${title}</h2>
    <table data-testid="${testId}"><thead><tr><th>IP</th><th class="num">messages</th></tr></thead><tbody>
    ${list.length === 0 ? html`<tr><td colspan="2" class="empty">nobody yet</td></tr>` : list.map(({ ip, count }) => html`<tr><td><code>${ip}</code></td><td class="num">${formatNumber(count)}</td></tr>`)}
    </tbody></table></section>`;
}

const sum = (counts: ReadonlyArray<{ count: number }>) => counts.reduce((total, { count }) => total + count, 0);

/** The part of the page that refreshes itself: queue health, workers, numbers, charts, leaderboards. */
export function renderLive(overview: Overview) {
  const { generatedAt, stats, perMinute, perDay, workers } = overview;
  return html`${headlineTiles(overview)}
    <div class="columns wide-first">${workersTable(workers, generatedAt)}${partitionsTable(overview)}</div>
    <div class="tiles">
      ${tile('messages this minute', perMinute.at(-1)?.count ?? 0, 'this-minute')}
      ${tile('messages today', stats.messagesToday, 'messages-today')}
      ${tile('unique IPs today', stats.uniqueIpsToday, 'unique-ips-today')}
      ${tile('online now', stats.onlineNow, 'online-now')}
      ${tile('total messages', stats.totalMessages, 'total-messages')}
    </div>
    <section class="panel"><h2>Messages per minute, last hour <small>${formatNumber(sum(perMinute))} in all</small></h2>${perMinuteChart(perMinute)}</section>
    ${jobTiles(overview)}
    <section class="panel"><h2>Messages per day, last ${perDay.length} days <small>${formatNumber(sum(perDay))} in all (UTC days)</small></h2>${perDayChart(perDay)}</section>
    <div class="columns">${senders('Top senders today', stats.topSendersToday, 'top-today')}${senders('Top senders, all time', stats.topSenders, 'top-all-time')}</div>
    <p class="stamp">updated <time data-testid="updated-at" datetime="${generatedAt.toISOString()}">${formatClock(generatedAt)}</time></p>`;
}

/** The whole ops page; `nonce` lets its inline style and script run under the page's CSP. */
export function renderPage(overview: Overview, nonce: string | undefined) {
  return html`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>msgpipe · operations</title><style nonce="${nonce}">${raw(STYLE)}</style></head>
<body><header><h1>msgpipe · operations</h1><span id="status">● live</span><a href="${DASHBOARD_PATH}" data-testid="dashboard-link">Queue dashboard →</a></header>
<main>${searchForm()}<div id="live">${renderLive(overview)}</div></main>
<script type="module" nonce="${nonce}">${raw(SCRIPT)}</script></body></html>`;
}
