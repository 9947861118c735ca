// The CopyBridge dashboard page: plain browser JavaScript, no build step. It reads the hub's
// picture from /api/events (Server-Sent Events) and sends controls to /api/control with the
// token from the link `hub dashboard-url` prints. All text goes in through textContent.
'use strict';

(function () {
  const TOKEN_KEY = 'copybridge-token';
  const OPERATOR_KEY = 'copybridge-operator';
  const DECISIONS_MAX = 500;
  const REFUSING = new Set(['refuse', 'miss']);

  // The token arrives in the fragment (never sent to a server, kept out of history).
  const m = /(?:^#|&)token=([^&]+)/.exec(location.hash);
  if (m) {
    sessionStorage.setItem(TOKEN_KEY, decodeURIComponent(m[1]));
    history.replaceState(null, '', location.pathname + location.search);
  }
  const token = sessionStorage.getItem(TOKEN_KEY) || '';

  const $ = (sel) => document.querySelector(sel);
  const el = (tag, attrs, ...children) => {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v === undefined || v === null || v === false) continue;
      if (k === 'class') e.className = v;
      else if (k.startsWith('data-')) e.setAttribute(k, v);
      else if (k === 'onclick') e.addEventListener('click', v);
      else e[k] = v;
    }
    for (const c of children) e.append(c instanceof Node ? c : document.createTextNode(c === undefined || c === null ? '' : String(c)));
    return e;
  };
  const num = (v, digits) => (v === undefined || v === null ? '–' : digits === undefined ? String(v) : Number(v).toFixed(digits));
  const clock = (ms) => new Date(ms).toLocaleTimeString([], { hour12: false });
  const ago = (ms, now) => {
    const s = Math.max(0, Math.round((now - ms) / 1000));
    return s < 60 ? `${s} s` : s < 3600 ? `${Math.floor(s / 60)} min` : s < 86400 ? `${Math.floor(s / 3600)} h ${Math.floor((s % 3600) / 60)} min` : `${Math.floor(s / 86400)} d`;
  };

  let view;
  let decisions = [];
  let lastDecisionId = 0;

  const operator = $('#operator');
  operator.value = localStorage.getItem(OPERATOR_KEY) || '';
  operator.addEventListener('change', () => localStorage.setItem(OPERATOR_KEY, operator.value.trim()));

  const access = $('#access');
  access.textContent = token ? 'controls on' : 'read-only';
  access.className = token ? 'pill on' : 'pill ro';
  access.title = token ? 'this page holds the dashboard token' : 'open the link `hub dashboard-url` prints to use the controls';

  function notice(text, isError) {
    const n = $('#notice');
    n.hidden = false;
    n.className = isError ? 'notice error' : 'notice';
    n.textContent = text;
  }

  async function control(body, question) {
    if (!token) return notice('Controls need the token: open the link `hub dashboard-url` prints.', true);
    if (!window.confirm(question)) return;
    try {
      const res = await fetch('/api/control', {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
        body: JSON.stringify({ ...body, confirm: true, by: operator.value.trim() || undefined }),
      });
      const out = await res.json().catch(() => ({}));
      if (!res.ok) notice(`Refused: ${out.error || res.status}${out.hint ? ` (${out.hint})` : ''}`, true);
      else notice(`Done at ${clock(Date.parse(out.time))} by ${out.by}: ${out.message}`);
    } catch (e) {
      notice(`The hub did not answer: ${e.message}`, true);
    }
  }

  const button = (label, action, onclick, danger) =>
    el('button', { 'data-action': action, class: danger ? 'danger' : '', disabled: !token, title: token ? '' : 'needs the token', onclick }, label);

  function accountButtons(t) {
    if (t.role === 'unregistered') return [];
    const out = [];
    const ask = (action, what) => () => control({ action, account: t.name }, `${what}\n\nAccount ${t.name} (${t.liveCopies} live copies).`);
    if (t.enabled === false) out.push(button('enable', 'enable', ask('enable', `Enable ${t.name}?`)));
    else out.push(button('disable', 'disable', ask('disable', t.role === 'master'
      ? `Disable ${t.name}? Its new positions are no longer copied; closes of the positions already copied are still mirrored.`
      : `Disable ${t.name}? It takes no new copies and executes no commands: its open copies stay open and are not closed with their masters until it is enabled again.`), true));
    if (t.closeOnly) out.push(button('copy new', 'copy-new', ask('copy-new', `Let ${t.name} take new copies again (close-only off)?`)));
    else out.push(button('close-only', 'close-only', ask('close-only', `Make ${t.name} close-only? No new copies; the open ones are managed to the end.`)));
    if (t.role !== 'master' && t.liveCopies > 0) {
      out.push(button('close all copies', 'close-slave', () => control({ action: 'close-slave', slave: t.name },
        `Close ALL ${t.liveCopies} copies on ${t.name} now, at market? Their master positions stay open.`), true));
    }
    return out;
  }

  function renderTerminals() {
    const body = $('#terminals tbody');
    body.replaceChildren(...view.terminals.map((t) => {
      const tags = [];
      if (t.enabled === false) tags.push(el('span', { class: 'tag warn' }, 'disabled'));
      if (t.closeOnly) tags.push(el('span', { class: 'tag warn' }, 'close-only'));
      return el('tr', { 'data-terminal': t.name },
        el('td', {}, el('b', {}, t.name), ...tags),
        el('td', {}, t.role),
        el('td', { class: `state ${t.online ? 'state-online' : 'state-offline'}` }, t.online ? 'online' : 'offline'),
        el('td', { title: new Date(t.since).toISOString() }, `${clock(t.since)} (${ago(t.since, view.hub.now)})`),
        el('td', {}, t.broker || '–'),
        el('td', {}, num(t.login)),
        el('td', {}, t.server || '–'),
        el('td', { class: 'num' }, num(t.balance, 2)),
        el('td', { class: 'num' }, num(t.equity, 2)),
        el('td', { class: 'num' }, num(t.margin, 2)),
        el('td', {}, t.eaVersion || '–'),
        el('td', {}, t.lastSeen ? `${t.lastMessage} ${ago(t.lastSeen, view.hub.now)} ago` : 'never'),
        el('td', {}, t.latencies.length ? t.latencies.join(', ') : '–'),
        el('td', {}, ...accountButtons(t)));
    }));
  }

  function renderCopies() {
    const rows = [];
    let n = 0;
    for (const p of view.positions) {
      const pos = `${p.master}#${p.position}`;
      rows.push(el('tr', { class: 'group', 'data-position': pos },
        el('td', {}, pos, p.open ? '' : el('span', { class: 'tag warn' }, 'closed on master')),
        el('td', {}, p.symbol || '–'), el('td', {}, p.side || '–'), el('td', { class: 'num' }, num(p.volume)),
        el('td', { colSpan: 8, class: 'muted' }, p.copies.length ? '' : 'no live copy')));
      for (const c of p.copies) {
        n++;
        rows.push(el('tr', { 'data-copy': `${p.master}|${p.position}|${c.slave}` },
          el('td', {}), el('td', {}, c.symbol), el('td', {}, c.side), el('td', {}),
          el('td', {}, c.slave), el('td', {}, c.status), el('td', {}, c.ticket || '–'),
          el('td', { class: 'num' }, num(c.volume)), el('td', { class: 'num' }, num(c.price)),
          el('td', { class: 'num' }, num(c.slippagePoints)), el('td', { class: 'num' }, num(c.latencyMs)),
          el('td', {}, c.ticket ? button('close', 'close-copy', () => control({ action: 'close-copy', master: p.master, position: p.position, slave: c.slave },
            `Close the copy of ${pos} on ${c.slave} (ticket ${c.ticket}, ${c.volume} lots) now, at market? The master position stays open.`), true) : '')));
      }
    }
    $('#copies-count').textContent = `${n} on ${view.positions.length} master positions`;
    $('#copies tbody').replaceChildren(...rows);
  }

  function renderCounters() {
    const c = view.counters;
    const items = [
      ['copies decided', c.copies], ['opens confirmed', c.opened], ['refusals', c.refusals], ['re-sends', c.resends], ['expired', c.expired],
      ['commands sent', c.commandsSent], ['in flight', c.inFlight], ['ledger queue', view.hub.ledgerQueue], ['ledger', view.hub.ledgerDown ? 'UNREACHABLE' : 'ok'],
    ];
    $('#counters').replaceChildren(...items.flatMap(([k, v]) => [el('dt', {}, k), el('dd', { 'data-counter': k }, v)]));
    const reasons = Object.entries(c.refusalsByReason).sort((a, b) => b[1] - a[1]);
    $('#reasons tbody').replaceChildren(...(reasons.length ? reasons.map(([r, k]) => el('tr', {}, el('td', { class: 'num' }, k), el('td', {}, r))) : [el('tr', {}, el('td', { class: 'muted' }, 'none'))]));
    const { bucketsMs, counts } = view.latency;
    const max = Math.max(1, ...counts);
    $('#histogram').replaceChildren(...counts.flatMap((k, i) => [
      el('span', { class: 'muted' }, i < bucketsMs.length ? `≤ ${bucketsMs[i]} ms` : `> ${bucketsMs[bucketsMs.length - 1]} ms`),
      bar((100 * k) / max),
      el('span', { class: 'num' }, k),
    ]));
  }

  // One row per protected slave: state, equity against the higher floor, the day's anchor, its settings, the trip in force and the latest trips.
  function renderGuards() {
    const when = (ms) => `${clock(ms)} (${ago(ms, view.hub.now)} ago)`;
    const floors = (g) => [g.floors.daily !== undefined ? `daily ${num(g.floors.daily, 2)}` : '', g.floors.drawdown !== undefined ? `drawdown ${num(g.floors.drawdown, 2)}` : ''].filter(Boolean).join(', ');
    $('#guards-count').textContent = `${view.guards.length} protected`;
    $('#guards tbody').replaceChildren(...(view.guards.length ? view.guards.map((g) => el('tr', { 'data-guard': g.account },
      el('td', {}, el('b', {}, g.account), g.action === 'close_all' ? el('span', { class: 'tag warn', title: 'at a loss limit every copy is closed' }, 'closes all') : ''),
      el('td', { class: `state state-${g.state}`, title: g.trip ? new Date(g.trip.at).toISOString() : '' }, g.state === 'tripped' ? `tripped ${clock(g.trip.at)}` : g.state),
      el('td', { class: 'num' }, num(g.equity, 2)),
      el('td', { class: 'num', title: floors(g) }, num(g.floor, 2)),
      el('td', { class: `num${g.headroom !== undefined && g.headroom <= 0 ? ' neg' : ''}` }, num(g.headroom, 2)),
      el('td', { class: 'num', title: g.anchorAt ? `read ${new Date(g.anchorAt).toISOString()}` : '' }, num(g.anchor, 2)),
      el('td', { class: 'limits' }, ...g.limits.map((l) => el('div', {}, l))),
      el('td', { class: 'trips' },
        g.trip ? el('div', { class: 'state-tripped', 'data-trip': g.trip.rule }, `${when(g.trip.at)}: ${g.trip.reason}`) : '',
        ...g.trips.slice().reverse().map((t) => el('div', { class: 'muted' }, `${when(t.time)}: ${t.message}`)),
        g.trip || g.trips.length ? '' : el('span', { class: 'muted' }, 'none')))) : [el('tr', {}, el('td', { colSpan: 8, class: 'muted' }, 'No protected slave (docs/protection.md: accounts protect NAME).'))]));
  }

  // Set through the CSSOM: the page's CSP allows no style attributes.
  function bar(percent) {
    const b = el('div', { class: 'bar' });
    b.style.width = `${percent}%`;
    return b;
  }

  function fillSelect(select, values) {
    const keep = select.value;
    const have = new Set([...select.options].map((o) => o.value));
    for (const v of [...values].sort()) if (!have.has(v)) select.append(el('option', { value: v }, v));
    select.value = keep;
  }

  function renderDecisions() {
    if ($('#f-pause').checked) return;
    const account = $('#f-account').value;
    const kind = $('#f-kind').value;
    const refusals = $('#f-refusals').checked;
    fillSelect($('#f-account'), new Set(decisions.map((d) => d.account).concat(view ? view.terminals.map((t) => t.name) : [])));
    fillSelect($('#f-kind'), new Set(decisions.map((d) => d.kind)));
    const shown = decisions.filter((d) => (!account || d.account === account) && (!kind || d.kind === kind) && (!refusals || REFUSING.has(d.kind)));
    $('#decisions').replaceChildren(...shown.slice(-200).reverse().map((d) =>
      el('li', { class: d.level === 'warn' ? 'warn' : '', 'data-kind': d.kind, 'data-account': d.account },
        el('span', { class: 'time' }, clock(d.time)), el('span', { class: 'kind' }, d.kind.toUpperCase()), ' ', d.message)));
  }

  function addDecisions(rows) {
    for (const r of rows) if (r.id > lastDecisionId) {
      decisions.push(r);
      lastDecisionId = r.id;
    }
    if (decisions.length > DECISIONS_MAX) decisions = decisions.slice(-DECISIONS_MAX);
    renderDecisions();
  }

  // The terminals of `hub start --launch`: hidden when the hub launches none.
  function renderLauncher() {
    const l = view.launcher;
    $('#launcher-section').hidden = !l;
    if (!l) return;
    $('#launcher-count').textContent = `${l.terminals.length} started, ${l.skipped.length} not`;
    const rows = l.terminals.map((t) => el('tr', { 'data-launched': t.name },
      el('td', {}, el('b', {}, t.name)),
      el('td', {}, t.role.toLowerCase()),
      el('td', { class: `state state-${t.state}` }, t.state),
      el('td', { class: 'num' }, num(t.pid)),
      el('td', { class: 'num' }, num(t.restarts)),
      el('td', {}, t.lastExit ? `${t.lastExit.signal || `code ${t.lastExit.code}`} at ${clock(t.lastExit.at)}` : '–'),
      el('td', {}, t.state === 'backoff' && t.nextStartAt ? `in ${Math.max(0, Math.round((t.nextStartAt - view.hub.now) / 1000))} s` : '–'),
      el('td', { class: 'muted' }, t.detail || '')));
    for (const s of l.skipped) rows.push(el('tr', { 'data-launched': s.name }, el('td', {}, s.name), el('td', { colSpan: 7, class: 'muted' }, `not started: ${s.reason}`)));
    $('#launcher tbody').replaceChildren(...rows);
  }

  function render() {
    const h = view.hub;
    $('#hub-info').textContent = `hub ${h.version} · pid ${h.pid} · up ${ago(h.startedAt, h.now)} · ${h.store} store`;
    renderTerminals();
    renderGuards();
    renderLauncher();
    renderCopies();
    renderCounters();
  }

  for (const id of ['#f-account', '#f-kind', '#f-refusals', '#f-pause']) $(id).addEventListener('change', renderDecisions);

  const live = $('#live');
  const source = new EventSource(`/api/events${token ? `?token=${encodeURIComponent(token)}` : ''}`);
  source.addEventListener('open', () => {
    live.textContent = 'live';
    live.className = 'pill on';
  });
  source.addEventListener('error', () => {
    live.textContent = 'disconnected, retrying…';
    live.className = 'pill off';
    if (!view) {
      fetch('/api/status', { headers: token ? { authorization: `Bearer ${token}` } : {} }).then(async (res) => {
        if (res.status === 401) notice(`This page needs its token here: ${(await res.json()).hint}.`, true);
      }).catch(() => undefined);
    }
  });
  source.addEventListener('view', (e) => {
    const next = JSON.parse(e.data);
    // A restarted hub or dashboard numbers its decisions afresh.
    if (view && next.stream !== view.stream) {
      decisions = [];
      lastDecisionId = 0;
    }
    view = next;
    render();
    if (view.decisions.length) addDecisions(view.decisions);
  });
  source.addEventListener('decisions', (e) => addDecisions(JSON.parse(e.data)));
})();
