// The admin status page (README, "Admin listener: metrics, health, sessions"). Every value from the server is put on
// the page as text (textContent, never innerHTML): user names and reasons are chosen by
// clients and backends. The POSTs carry X-Mailproxy-Admin: 1, which the admin listener
// wants on every action (docs/SECURITY.md); this page is same-origin, so it may send it.
// With admin.token-file the listener serves these files to anyone (they hold no data) and
// wants the bearer token on every request for data: the operator types it into the page,
// which keeps it in this tab's sessionStorage (gone when the tab closes) and sends it to
// this listener only.
'use strict';

const REFRESH_MS = 2000;
const TOKEN_KEY = 'mailproxy-admin-token';
let previousLogins = null;

function headers(extra) {
  const h = Object.assign({}, extra);
  const token = sessionStorage.getItem(TOKEN_KEY);
  if (token) h['Authorization'] = 'Bearer ' + token;
  return h;
}

function el(tag, text, cls) {
  const e = document.createElement(tag);
  if (text !== undefined && text !== null) e.textContent = String(text);
  if (cls) e.className = cls;
  return e;
}

function row(cells) {
  const tr = document.createElement('tr');
  for (const c of cells) {
    const td = document.createElement('td');
    if (c instanceof Node) td.appendChild(c); else td.textContent = c === null || c === undefined ? '' : String(c);
    tr.appendChild(td);
  }
  return tr;
}

function fill(tableId, rows) {
  const body = document.querySelector('#' + tableId + ' tbody');
  body.replaceChildren(...rows.map(row));
}

function ago(iso) {
  if (!iso) return '';
  const s = Math.max(0, Math.round((Date.now() - Date.parse(iso)) / 1000));
  if (s < 120) return s + ' s ago';
  if (s < 7200) return Math.round(s / 60) + ' min ago';
  return new Date(iso).toLocaleString();
}

async function post(path, params) {
  const r = await fetch(path + '?' + new URLSearchParams(params), {
    method: 'POST', headers: headers({ 'X-Mailproxy-Admin': '1' }), credentials: 'same-origin'
  });
  const text = await r.text();
  document.getElementById('action').textContent = r.status + ': ' + text.trim();
  refresh();
}

function serverState(s) {
  if (s.draining) return ['draining', 'draining'];
  return s.protocols.every(p => p.up) ? ['up', 'up'] : ['down', 'down'];
}

function showPools(pools) {
  const box = document.getElementById('pools');
  const parts = [];
  for (const pool of pools) {
    const div = el('div', null, 'pool');
    div.appendChild(el('h3', 'pool ' + pool.name));
    const table = el('table');
    const head = el('tr');
    for (const h of ['server', 'state', 'weight', 'sessions', 'protocol', 'since', 'why', 'last check', 'action']) head.appendChild(el('th', h));
    table.appendChild(el('thead')).appendChild(head);
    const body = table.appendChild(el('tbody'));
    for (const s of pool.servers) {
      const [label, cls] = serverState(s);
      const button = el('button', s.draining ? 'Undrain' : 'Drain');
      button.dataset.server = s.id;
      button.addEventListener('click', () => post(s.draining ? '/undrain' : '/drain', { server: s.id }));
      s.protocols.forEach((p, i) => {
        const state = el('span', p.up ? (s.draining ? 'draining' : 'up') : 'down', 'state ' + (p.up ? cls : 'down'));
        const tr = row([i === 0 ? s.id : '', state, i === 0 ? s.weight : '', i === 0 ? s.sessions : '',
          p.protocol + ' ' + p.target, p.since ? ago(p.since) : 'start', p.why || '',
          p.lastCheck ? p.lastCheck + ' (' + ago(p.lastCheckAt) + ')' : 'none yet', i === 0 ? button : '']);
        tr.dataset.server = s.id;
        tr.dataset.protocol = p.protocol;
        tr.dataset.state = label;
        body.appendChild(tr);
      });
    }
    div.appendChild(table);
    parts.push(div);
  }
  box.replaceChildren(...parts);
}

// Prometheus text format: name{labels} value; only our counters, summed by one label.
function sumBy(metrics, name, label) {
  const out = new Map();
  const re = new RegExp('^' + name + '\\{([^}]*)\\} (\\S+)$');
  for (const line of metrics.split('\n')) {
    const m = re.exec(line);
    if (!m) continue;
    const lm = new RegExp(label + '="([^"]*)"').exec(m[1]);
    if (!lm) continue;
    out.set(lm[1], (out.get(lm[1]) || 0) + Number(m[2]));
  }
  return out;
}

function showCounters(metrics) {
  const now = Date.now();
  const logins = sumBy(metrics, 'mailproxy_logins_total', 'result');
  const rows = [];
  for (const [result, total] of [...logins].sort()) {
    let rate = '';
    if (previousLogins && previousLogins.values.has(result)) {
      rate = ((total - previousLogins.values.get(result)) * 1000 / (now - previousLogins.at)).toFixed(2);
    }
    rows.push([result, total, rate]);
  }
  previousLogins = { at: now, values: logins };
  fill('logins', rows);
  fill('guard', [...sumBy(metrics, 'mailproxy_guard_actions_total', 'action')].sort());
}

function showStatus(st) {
  document.getElementById('version').textContent = 'version ' + st.version;
  const ready = document.getElementById('ready');
  ready.textContent = st.ready ? 'ready' : 'not ready: ' + st.notReady;
  ready.className = 'badge ' + (st.ready ? 'ready' : 'not-ready');
  document.getElementById('config').textContent = st.config;
  document.getElementById('loaded').textContent = ago(st.configLoadedAt);
  const reload = document.getElementById('reload');
  const r = st.lastReload;
  reload.textContent = !r ? 'none since start' : (r.ok ? 'ok, ' : 'refused, ') + ago(r.at) + ': ' + r.message;
  reload.className = r && !r.ok ? 'error' : '';
  showPools(st.pools);
  fill('sessions-by', st.sessionsBy.map(s => [s.protocol, s.listener, s.count]));
  document.getElementById('session-count').textContent = '(' + st.sessionCount + ')';
  fill('sessions', st.sessions.map(s => [s.id, s.protocol, s.listener, s.client, s.user, s.backend,
    ago(s.since), s.state, s.up, s.down]));
}

// 401: the listener has a token file; ask for the token (again, if the one typed was wrong).
function askForToken(error) {
  const refused = sessionStorage.getItem(TOKEN_KEY) !== null;
  sessionStorage.removeItem(TOKEN_KEY);
  document.getElementById('token-form').hidden = false;
  error.textContent = refused ? 'the admin token was refused' : 'this proxy wants its admin token';
  error.hidden = false;
}

async function refresh() {
  const error = document.getElementById('error');
  if (!document.getElementById('token-form').hidden) return; // waiting for the token
  try {
    const [status, metrics] = await Promise.all([fetch('/status', { headers: headers() }),
      fetch('/metrics', { headers: headers() })]);
    if (status.status === 401) return askForToken(error);
    if (!status.ok) throw new Error('/status: ' + status.status + ' ' + (await status.text()).trim());
    showStatus(await status.json());
    if (metrics.ok) showCounters(await metrics.text());
    error.hidden = true;
    document.getElementById('updated').textContent = 'updated ' + new Date().toLocaleTimeString();
  } catch (e) {
    error.textContent = 'cannot reach the proxy: ' + e.message;
    error.hidden = false;
  }
}

document.getElementById('token-form').addEventListener('submit', ev => {
  ev.preventDefault();
  const input = document.getElementById('token');
  if (!input.value) return;
  sessionStorage.setItem(TOKEN_KEY, input.value.trim());
  input.value = '';
  document.getElementById('token-form').hidden = true;
  refresh();
});
document.getElementById('close-form').addEventListener('submit', ev => {
  ev.preventDefault();
  const user = document.getElementById('close-user').value;
  if (user) post('/close', { user: user });
});
refresh();
setInterval(refresh, REFRESH_MS);
