/**
 * The live page of `dledger ui`: the status table (FAULTS as `dledger status` words it, sent by the
 * server) with a row of buttons per member, a button that heals every fault, the result of the
 * last button, and the timeline (render.ts) that grows as the server pushes models over /ws.
 */
import {escapeHtml, htmlPage, timelineScript, timelineSection} from '../timeline/render.js'

const STYLE = `
.ui-head { display: flex; gap: 16px; align-items: baseline; }
.ui-head h1 { font-size: 18px; margin: 0 0 6px; }
#leader { font-weight: 700; color: #1b7f2a; } #leader.none { color: #b3261e; }
#conn { color: #888; } #conn.down { color: #b3261e; }
table.status { border-collapse: collapse; margin: 6px 0 4px; font: 12px ui-monospace, monospace; }
table.status th, table.status td { border-bottom: 1px solid #e4e4e4; padding: 3px 9px; text-align: left; white-space: nowrap; }
table.status th { background: #f5f5f5; }
tr.role-LEADER td { background: #e3f3e6; } tr.unreachable td { color: #b3261e; }
td.actions button, #heal { font: 11px system-ui, sans-serif; margin-right: 3px; cursor: pointer; }
td.faulted { color: #b3261e; font-weight: 600; }
#warnings { color: #8a5300; margin: 2px 0; } #result { margin: 4px 0 10px; min-height: 1.3em; }
#result.ok { color: #1b7f2a; } #result.fail { color: #b3261e; }
`

const SCRIPT = String.raw`
(function () {
  var COLUMNS = [['id', 'ID'], ['address', 'ADDRESS'], ['role', 'ROLE'], ['term', 'TERM'], ['leaderId', 'LEADER'], ['votedFor', 'VOTED-FOR'],
    ['lastHeartbeatAgoMs', 'LAST-HEARTBEAT'], ['preferred', 'PREFERRED'], ['faults', 'FAULTS'], ['error', 'STATUS']];
  var ACTIONS = [['transfer', 'transfer here', 'hand leadership to this member (transfer-leader --to)'], ['elect', 'elect', 'this member campaigns for the next term now (elect --node)'],
    ['stop', 'stop', 'stop it cleanly; a leader hands off first (down --id)'], ['kill', 'kill', 'SIGKILL, no hand-off'], ['restart', 'restart', 'start it again (or stop and start)'],
    ['isolate', 'isolate', 'cut it off from every other member, both ways (fault isolate); "heal all faults" ends it']];
  var busy = false;
  function cell(m, key, faults) {
    if (key === 'faults') return faults[m.id] || '-';
    var v = m[key];
    if (key === 'lastHeartbeatAgoMs') return v === null || v === undefined ? '-' : v + 'ms ago';
    if (key === 'error') return m.reachable ? (v || 'ok') : (v || 'unreachable');
    return v === null || v === undefined ? '-' : String(v);
  }
  function renderStatus(s, faults) {
    var leader = document.getElementById('leader');
    leader.textContent = s.leaderId ? s.leaderId + ' leads term ' + s.term : 'no leader';
    leader.className = s.leaderId ? '' : 'none';
    leader.setAttribute('data-leader', s.leaderId || '');
    var tbody = document.querySelector('table.status tbody');
    while (tbody.lastChild) tbody.removeChild(tbody.lastChild);
    s.members.forEach(function (m) {
      var tr = document.createElement('tr');
      tr.setAttribute('data-member', m.id);
      tr.className = (m.reachable ? 'role-' + m.role : 'unreachable');
      COLUMNS.forEach(function (c) {
        var td = document.createElement('td');
        td.setAttribute('data-col', c[0]);
        td.textContent = cell(m, c[0], faults || {});
        if (c[0] === 'faults' && td.textContent !== '-' && td.textContent !== 'none') td.className = 'faulted';
        tr.appendChild(td);
      });
      var td = document.createElement('td');
      td.className = 'actions';
      ACTIONS.forEach(function (a) {
        var b = document.createElement('button');
        b.textContent = a[1];
        b.title = a[2];
        b.setAttribute('data-action', a[0]);
        b.setAttribute('data-member', m.id);
        b.disabled = busy;
        b.addEventListener('click', function () { act(a[0], m.id); });
        td.appendChild(b);
      });
      tr.appendChild(td);
      tbody.appendChild(tr);
    });
    document.getElementById('warnings').textContent = s.warnings.map(function (w) { return 'warning: ' + w; }).join('\n');
  }
  function setBusy(v) {
    busy = v;
    document.querySelectorAll('td.actions button, #heal').forEach(function (b) { b.disabled = v; });
  }
  function act(action, id) {
    if (busy) return;
    if ((action === 'kill' || action === 'stop') && !window.confirm(action + ' ' + id + '?')) return;
    setBusy(true);
    var what = id === null ? action : action + ' ' + id;
    var result = document.getElementById('result');
    result.className = '';
    result.textContent = what + ' …';
    fetch('/api/action', {method: 'POST', headers: {'content-type': 'application/json'}, body: JSON.stringify(id === null ? {action: action} : {action: action, id: id}), credentials: 'same-origin'})
      .then(function (r) { return r.json(); })
      .then(function (o) { result.className = o.ok ? 'ok' : 'fail'; result.textContent = o.message; })
      .catch(function (e) { result.className = 'fail'; result.textContent = what + ': ' + e; })
      .then(function () { setBusy(false); });
  }
  document.getElementById('heal').addEventListener('click', function () { act('heal', null); });
  var attempt = 0;
  function connect() {
    var conn = document.getElementById('conn');
    var ws = new WebSocket('ws://' + location.host + '/ws');
    ws.onopen = function () { attempt = 0; conn.textContent = 'live'; conn.className = ''; };
    ws.onmessage = function (e) {
      var msg = JSON.parse(e.data);
      if (msg.type === 'model') window.dledgerTimeline.setModel(msg.model);
      else if (msg.type === 'status') renderStatus(msg.status, msg.faults);
    };
    ws.onclose = function () {
      conn.textContent = 'disconnected, retrying'; conn.className = 'down';
      setTimeout(connect, Math.min(5000, 250 * Math.pow(2, attempt++)));
    };
  }
  connect();
})();
`

/** The page; `host` is the address the browser used (the WebSocket goes back to it). */
export function renderUiPage(title: string, host: string): string {
  const head = `<div class="ui-head"><h1>${escapeHtml(title)}</h1><span id="leader" data-leader="">waiting for the status…</span><span id="conn">connecting</span><button id="heal" data-action="heal" title="end every partition, cut, loss and delay on every member (fault heal)">heal all faults</button></div>
<table class="status"><thead><tr><th>ID</th><th>ADDRESS</th><th>ROLE</th><th>TERM</th><th>LEADER</th><th>VOTED-FOR</th><th>LAST-HEARTBEAT</th><th>PREFERRED</th><th>FAULTS</th><th>STATUS</th><th></th></tr></thead><tbody></tbody></table>
<pre id="warnings"></pre><div id="result" aria-live="polite"></div>`
  const body = `${head}${timelineSection(null, 'Timeline')}${timelineScript()}<script>${SCRIPT}</script>`
  return htmlPage({title, style: STYLE, body, connectSrc: `'self' ws://${host}`})
}
