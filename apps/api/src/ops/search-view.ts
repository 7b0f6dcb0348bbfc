import { Retention, type HistoryEntry } from '@msgpipe/shared';
import { html } from 'hono/html';
import type { MessageView } from '../routes/message-view.js';
import type { SearchResult } from './search.js';

/** Message texts and answers shown in a list are cut here; the message itself shows in full. */
const LIST_TEXT_CHARS = 160;
const cut = (text: string) => (text.length > LIST_TEXT_CHARS ? `${text.slice(0, LIST_TEXT_CHARS)}…` : text);
const badge = (status: string) => html`<span class="badge ${status === 'failed' ? 'alert' : status === 'completed' ? 'ok' : ''}">${status}</span>`;

/** The search box; the script shows its answer in #search-result, outside the part that refreshes. */
export function searchForm() {
  return html`<section class="panel search"><form id="search" action="/admin/search" method="get" role="search">
      <input name="q" type="search" data-testid="search-input" placeholder="message id or IP address" aria-label="message id or IP address" maxlength="100" required>
      <button type="submit" data-testid="search-button">Search</button></form>
    <div id="search-result" data-testid="search-result" aria-live="polite"></div></section>`;
}

function messageView(message: MessageView) {
  return html`<h3>Message <code>${message.id}</code> ${badge(message.status)}</h3>
    <dl class="fields"><dt>from</dt><dd><code data-testid="search-ip">${message.ip}</code></dd><dt>sent</dt><dd>${message.sendTime}</dd>
    ${message.respondedAt ? html`<dt>answered</dt><dd>${message.respondedAt}</dd>` : ''}
    <dt>message</dt><dd class="text" data-testid="search-message">${message.message}</dd>
    ${message.response !== undefined ? html`<dt>response</dt><dd class="text">${message.response}</dd>` : ''}
    ${message.error !== undefined ? html`<dt>error</dt><dd class="text alert">${message.error}</dd>` : ''}</dl>`;
}

function historyRow({ id, sendTime, status, message, response, error }: HistoryEntry) {
  return html`<tr><td>${sendTime.slice(0, 19).replace('T', ' ')}</td><td><code>${id}</code></td><td>${badge(status)}</td><td class="text">${cut(message)}</td><td class="text">${cut(response ?? error ?? '')}</td></tr>`;
}

function historyView(ip: string, entries: readonly HistoryEntry[]) {
  if (entries.length === 0) return html`<p class="note">No history kept for <code>${ip}</code>: it sent nothing lately, or its history was erased.</p>`;
  return html`<h3>History of <code>${ip}</code> <small>newest ${entries.length}</small></h3>
    <table data-testid="search-history"><thead><tr><th>sent (UTC)</th><th>id</th><th>status</th><th>message</th><th>response or error</th></tr></thead>
    <tbody>${entries.map(historyRow)}</tbody></table>`;
}

const KEPT_HOURS = Retention.completedJobSeconds / 3600;

/** The answer to a search, as an HTML fragment: every text from outside escaped by hono/html. */
export function renderSearchResult(result: SearchResult) {
  switch (result.kind) {
    case 'message':
      return messageView(result.message);
    case 'history':
      return historyView(result.ip, result.entries);
    case 'no-message':
      return html`<p class="note" data-testid="search-note">No message <code>${result.id}</code> in the queues. Finished jobs are kept ${KEPT_HOURS} h; after that, search the sender's IP for its history.</p>`;
    case 'invalid':
      return html`<p class="note alert" data-testid="search-note">“${result.query}”: ${result.reason}</p>`;
  }
}
