/** The ops page's style and script, inline under its CSP nonce: no front-end build. */

export const STYLE = `
:root{color-scheme:light dark;--bg:#f6f7f9;--fg:#1d2330;--muted:#6b7280;--panel:#fff;--line:#e3e6eb;--accent:#2563eb;--alert:#dc2626;--warn:#b45309;--ok:#15803d}
@media (prefers-color-scheme:dark){:root{--bg:#111318;--fg:#e7e9ee;--muted:#9aa1ad;--panel:#1a1d24;--line:#2a2e37;--accent:#60a5fa;--warn:#f59e0b;--ok:#4ade80}}
*{box-sizing:border-box}body{margin:0;font:15px/1.45 system-ui,sans-serif;background:var(--bg);color:var(--fg)}
header{display:flex;align-items:center;gap:1rem;padding:.9rem 1.5rem;border-bottom:1px solid var(--line);background:var(--panel)}
header h1{font-size:1.1rem;margin:0}header a{margin-left:auto;color:var(--accent);font-weight:600;text-decoration:none}
main{max-width:1180px;margin:0 auto;padding:1.2rem 1.5rem}
.tiles{display:grid;grid-template-columns:repeat(auto-fit,minmax(170px,1fr));gap:.8rem;margin-bottom:1rem}
.tile,.panel{background:var(--panel);border:1px solid var(--line);border-radius:10px;padding:.8rem 1rem}
.tile .value{font-size:1.8rem;font-weight:650;font-variant-numeric:tabular-nums;white-space:nowrap}.tile .label{color:var(--muted)}
.headline .tile{border-top:3px solid var(--accent)}.headline .tile.alert{border-top-color:var(--alert)}.headline .tile.warn{border-top-color:var(--warn)}.headline .tile.ok{border-top-color:var(--ok)}
.tile.alert .value,.alert{color:var(--alert)}.tile.warn .value,td.warn{color:var(--warn)}.tile.ok .value{color:var(--ok)}
.badge{display:inline-block;padding:0 .5rem;border-radius:999px;font-size:.8rem;font-weight:600;border:1px solid currentColor;color:var(--muted)}
.badge.ok{color:var(--ok)}.badge.alert{color:var(--alert)}
.panel{margin-bottom:1rem}.panel h2{font-size:.95rem;margin:0 0 .6rem}.panel h2 small,h3 small{color:var(--muted);font-weight:400}
h3{font-size:.95rem;margin:.8rem 0 .4rem}
.chart{width:100%;height:auto}.chart .bar{fill:var(--accent)}.chart .axis{stroke:var(--line)}.chart .tick{fill:var(--muted);font-size:11px}
.columns{display:grid;grid-template-columns:repeat(auto-fit,minmax(340px,1fr));gap:1rem}
@media (min-width:1000px){.columns.wide-first{grid-template-columns:3fr 2fr}}
table{width:100%;border-collapse:collapse}th,td{text-align:left;padding:.3rem .2rem;border-bottom:1px solid var(--line);vertical-align:top}
th{color:var(--muted);font-weight:500;white-space:nowrap}.nowrap{white-space:nowrap}.num{text-align:right;font-variant-numeric:tabular-nums}.empty{color:var(--muted)}
td small{color:var(--muted)}td code{white-space:nowrap}.text{white-space:pre-wrap;overflow-wrap:anywhere}
.search form{display:flex;gap:.5rem}.search input{flex:1;font:inherit;padding:.45rem .7rem;border:1px solid var(--line);border-radius:8px;background:var(--bg);color:var(--fg)}
.search button{font:inherit;font-weight:600;padding:.45rem 1rem;border:0;border-radius:8px;background:var(--accent);color:#fff;cursor:pointer}
.fields{display:grid;grid-template-columns:max-content 1fr;gap:.2rem 1rem;margin:0}.fields dt{color:var(--muted)}.fields dd{margin:0}
.note{margin:.6rem 0 0}
.stamp{color:var(--muted);font-size:.85rem}#status{font-size:.85rem;color:var(--muted)}#status.down{color:var(--alert)}
`;

/**
 * Polls the live fragment every 2 s while the tab is visible, and at once when it becomes
 * visible again: a page left open in a background tab costs the API nothing. The search box
 * asks /admin/search and shows the answer (an escaped HTML fragment) below it.
 */
export const SCRIPT = `
const live = document.getElementById('live'), status = document.getElementById('status');
const PERIOD_MS = 2000;
let timer;
async function refresh() {
  try {
    const response = await fetch('/admin/live', { headers: { accept: 'text/html' }, cache: 'no-store' });
    if (!response.ok) throw new Error('HTTP ' + response.status);
    live.innerHTML = await response.text();
    status.textContent = document.visibilityState === 'visible' ? '● live' : '● paused while hidden'; status.className = '';
  } catch (error) {
    status.textContent = '● disconnected (' + error.message + '), retrying'; status.className = 'down';
  }
}
function poll() {
  clearInterval(timer);
  timer = undefined;
  if (document.visibilityState === 'visible') timer = setInterval(refresh, PERIOD_MS);
  else status.textContent = '● paused while hidden';
}
document.addEventListener('visibilitychange', () => {
  if (document.visibilityState === 'visible') refresh();
  poll();
});
poll();

const form = document.getElementById('search'), result = document.getElementById('search-result');
form.addEventListener('submit', async (event) => {
  event.preventDefault();
  const query = new FormData(form).get('q');
  try {
    const response = await fetch('/admin/search?q=' + encodeURIComponent(query), { headers: { accept: 'text/html' }, cache: 'no-store' });
    if (!(response.headers.get('content-type') || '').startsWith('text/html')) throw new Error('HTTP ' + response.status);
    result.innerHTML = await response.text();
  } catch (error) {
    result.textContent = 'Search failed (' + error.message + '); try again.';
  }
});
`;
