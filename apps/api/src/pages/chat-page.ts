import { createRoute } from '@hono/zod-openapi';
import { html, raw } from 'hono/html';
import { errorResponses, htmlPage } from '../openapi/responses.js';
import { documentedRoutes } from '../openapi/validation.js';

const STYLE = `
:root{color-scheme:light dark;--bg:#f6f7f9;--fg:#1d2330;--muted:#6b7280;--panel:#fff;--line:#e3e6eb;--mine:#2563eb;--theirs:#eef1f5;--alert:#dc2626}
@media (prefers-color-scheme:dark){:root{--bg:#111318;--fg:#e7e9ee;--muted:#9aa1ad;--panel:#1a1d24;--line:#2a2e37;--mine:#3b82f6;--theirs:#252a33}}
*{box-sizing:border-box}body{margin:0;font:16px/1.45 system-ui,sans-serif;background:var(--bg);color:var(--fg);display:flex;flex-direction:column;height:100vh}
header{padding:.8rem 1.2rem;border-bottom:1px solid var(--line);background:var(--panel);display:flex;gap:1rem;align-items:baseline}
header h1{font-size:1.1rem;margin:0}header small{color:var(--muted)}
#log{flex:1;overflow-y:auto;padding:1rem 1.2rem;display:flex;flex-direction:column;gap:.9rem;max-width:820px;width:100%;margin:0 auto}
.exchange{display:flex;flex-direction:column;gap:.3rem}
.bubble{max-width:75%;padding:.5rem .8rem;border-radius:14px;white-space:pre-wrap;overflow-wrap:anywhere}
.mine{align-self:flex-end;background:var(--mine);color:#fff;border-bottom-right-radius:4px}
.reply{align-self:flex-start;background:var(--theirs);border-bottom-left-radius:4px}
.reply.pending{color:var(--muted);font-style:italic}.reply.failed{color:var(--alert)}
.meta{font-size:.75rem;color:var(--muted)}.mine+.meta{align-self:flex-end}
form{display:flex;gap:.6rem;padding:.8rem 1.2rem;border-top:1px solid var(--line);background:var(--panel);max-width:820px;width:100%;margin:0 auto}
input{flex:1;font:inherit;padding:.6rem .8rem;border:1px solid var(--line);border-radius:10px;background:var(--bg);color:inherit}
button{font:inherit;padding:.6rem 1.1rem;border:0;border-radius:10px;background:var(--mine);color:#fff;cursor:pointer}
#notice{color:var(--alert);font-size:.85rem;text-align:center;min-height:1.2em;margin:0}
`;

/**
 * The page's own JavaScript: it speaks only the public API (POST /v1/messages, GET
 * /v1/history, GET /v1/stream) and builds every element with textContent, so nothing a
 * message contains is ever interpreted as HTML.
 */
const SCRIPT = `
const log = document.getElementById('log'), form = document.querySelector('form'), input = form.elements.message;
const notice = document.getElementById('notice'), who = document.getElementById('who');
const exchanges = new Map();

function element(tag, className, text) {
  const node = document.createElement(tag);
  node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}
const clock = (iso) => new Date(iso).toLocaleTimeString();

/** One exchange, keyed by message id: the message now, the reply when it exists. */
function show(message) {
  let exchange = exchanges.get(message.id);
  if (!exchange) {
    const node = element('div', 'exchange');
    node.dataset.id = message.id;
    node.append(element('div', 'bubble mine', message.message), element('div', 'meta', 'sent ' + clock(message.sendTime)));
    const reply = element('div', 'bubble reply');
    node.append(reply);
    exchange = { node, reply };
    exchanges.set(message.id, exchange);
    log.append(node);
  }
  const { reply } = exchange;
  if (message.status === 'completed') {
    reply.className = 'bubble reply';
    reply.textContent = message.response;
  } else if (message.status === 'failed') {
    reply.className = 'bubble reply failed';
    reply.textContent = 'failed: ' + (message.error || 'unknown error');
  } else if (!reply.textContent || reply.classList.contains('pending')) {
    reply.className = 'bubble reply pending';
    reply.textContent = message.status === 'processing' ? 'thinking…' : 'queued…';
  }
  log.scrollTop = log.scrollHeight;
}

async function loadHistory() {
  const response = await fetch('/v1/history?limit=20');
  if (!response.ok) return;
  const body = await response.json();
  who.textContent = 'you are ' + body.ip;
  for (const message of body.messages.reverse()) show(message);
}

form.addEventListener('submit', async (event) => {
  event.preventDefault();
  const text = input.value;
  if (!text.trim()) return;
  notice.textContent = '';
  try {
    const response = await fetch('/v1/messages', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ message: text }),
    });
    const body = await response.json();
    if (!response.ok) {
      notice.textContent = body.error ? body.error.message : 'The message was not accepted (' + response.status + ').';
      return;
    }
    input.value = '';
    show({ ...body, message: text });
  } catch (error) {
    notice.textContent = 'Could not reach msgpipe: ' + error.message;
  }
});

// The browser reconnects by itself and sends Last-Event-ID; the server fills the gap.
const stream = new EventSource('/v1/stream');
stream.addEventListener('message', (event) => show(JSON.parse(event.data)));
stream.addEventListener('open', () => { document.body.dataset.stream = 'open'; });
loadHistory();
input.focus();
`;

const page = createRoute({
  method: 'get',
  path: '/',
  summary: 'The chat page',
  tags: ['pages'],
  responses: { 200: htmlPage('A page to try msgpipe in a browser.'), ...errorResponses() },
});

/** `GET /`: a small chat page for trying msgpipe in a browser. No build step. */
export function chatPage() {
  return documentedRoutes().openapi(page, (c) =>
    c.html(html`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>msgpipe · chat</title><style nonce="${c.get('secureHeadersNonce')}">${raw(STYLE)}</style></head>
<body><header><h1>msgpipe</h1><small id="who"></small></header>
<main id="log" aria-live="polite"></main>
<p id="notice" role="status"></p>
<form><input name="message" autocomplete="off" placeholder="Say something…" maxlength="8192" aria-label="Message"><button type="submit">Send</button></form>
<script type="module" nonce="${c.get('secureHeadersNonce')}">${raw(SCRIPT)}</script></body></html>`),
  );
}
