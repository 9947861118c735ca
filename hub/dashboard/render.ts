/** The dashboard's picture as terminal text, for `hub status`. Pure. */
import { CLI } from '../hints';
import type { DashboardView } from './view';
import type { LauncherStatus } from '../launcher';

const n = (v: number | undefined, digits?: number) => (v === undefined ? '-' : digits === undefined ? String(v) : v.toFixed(digits));

function ago(ms: number, now: number): string {
  const s = Math.max(0, Math.round((now - ms) / 1000));
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m`;
  if (s < 86_400) return `${Math.floor(s / 3600)}h${Math.floor((s % 3600) / 60)}m`;
  return `${Math.floor(s / 86_400)}d`;
}

/** Rows as aligned columns (two spaces apart), the first row the header. */
export function table(rows: string[][]): string[] {
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  return rows.map((r) => r.map((c, i) => c.padEnd(widths[i])).join('  ').trimEnd());
}

export function renderView(v: DashboardView, decisions = 10): string[] {
  const { hub, counters } = v;
  const out: string[] = [
    `hub ${hub.version} pid ${hub.pid}, up ${ago(hub.startedAt, hub.now)}; ${hub.store} store (${hub.dataDir}); ledger ${hub.ledgerDown ? 'UNREACHABLE' : 'ok'}, queue ${hub.ledgerQueue}`,
    '',
    'terminals:',
  ];
  if (!v.terminals.length) out.push('  none registered or seen');
  else {
    const rows = [['account', 'role', 'state', 'since', 'broker', 'login', 'server', 'balance', 'equity', 'margin', 'EA', 'last message', 'latency ms']];
    for (const t of v.terminals) {
      const flags = [t.enabled === false ? 'disabled' : '', t.closeOnly ? 'close-only' : ''].filter(Boolean).join(',');
      rows.push([
        t.name + (flags ? ` (${flags})` : ''), t.role, t.online ? 'online' : 'OFFLINE', ago(t.since, hub.now), t.broker ?? '-', n(t.login), t.server ?? '-',
        n(t.balance, 2), n(t.equity, 2), n(t.margin, 2), t.eaVersion ?? '-', t.lastSeen ? `${t.lastMessage} ${ago(t.lastSeen, hub.now)} ago` : 'never',
        t.latencies.join(',') || '-',
      ]);
    }
    out.push(...table(rows).map((l) => `  ${l}`));
  }
  out.push('', `open copies (${v.positions.reduce((s, p) => s + p.copies.length, 0)} on ${v.positions.length} master positions):`);
  if (!v.positions.length) out.push('  none');
  else {
    const rows = [['master position', 'symbol', 'side', 'volume', 'slave', 'status', 'ticket', 'volume', 'price', 'slip pts', 'latency ms']];
    for (const p of v.positions) {
      rows.push([`${p.master}#${p.position}${p.open ? '' : ' (closed)'}`, p.symbol ?? '-', p.side ?? '-', n(p.volume), '', '', '', '', '', '', '']);
      for (const c of p.copies) rows.push(['', c.symbol, c.side, '', c.slave, c.status, c.ticket ?? '-', n(c.volume), n(c.price), n(c.slippagePoints), n(c.latencyMs)]);
    }
    out.push(...table(rows).map((l) => `  ${l}`));
  }
  out.push(
    '',
    `counters: ${counters.copies} copies decided, ${counters.opened} opens confirmed, ${counters.refusals} refusals, ${counters.resends} re-sends, ${counters.expired} expired, ${counters.inFlight} commands in flight`,
  );
  for (const [reason, k] of Object.entries(counters.refusalsByReason).sort((a, b) => b[1] - a[1])) out.push(`  ${String(k).padStart(5)}  ${reason}`);
  const { bucketsMs, counts } = v.latency;
  out.push(`latency: ${counts.map((k, i) => `${i < bucketsMs.length ? `<=${bucketsMs[i]}` : `>${bucketsMs[bucketsMs.length - 1]}`}ms ${k}`).join('  ')}`);
  out.push('', ...renderGuards(v));
  if (v.launcher) out.push('', ...renderLauncher(v.launcher, v.hub.now));
  const last = v.decisions.slice(-decisions);
  out.push('', `last ${last.length} decisions:`);
  for (const d of last) out.push(`  ${new Date(d.time).toISOString().slice(11, 23)} ${d.kind.toUpperCase()} ${d.message}`);
  return out;
}

/** The terminals the hub starts: state, restarts, last exit, and why one waits or failed. */
function renderLauncher(l: LauncherStatus, now: number): string[] {
  const rows = [['terminal', 'role', 'state', 'pid', 'restarts', 'last exit', 'next start', 'detail']];
  for (const t of l.terminals) {
    const exit = t.lastExit ? `${t.lastExit.signal ?? `code ${t.lastExit.code}`} ${new Date(t.lastExit.at).toISOString().slice(11, 19)}` : '-';
    const next = t.nextStartAt !== undefined && t.state === 'backoff' ? `in ${Math.max(0, Math.round((t.nextStartAt - now) / 100) / 10)} s` : '-';
    rows.push([t.name, t.role.toLowerCase(), t.state, t.pid === undefined ? '-' : String(t.pid), String(t.restarts), exit, next, t.detail ?? '']);
  }
  const out = [`terminals started by the hub (${l.terminals.length}):`, ...table(rows).map((x) => `  ${x}`)];
  for (const s of l.skipped) out.push(`  not started: ${s.name}: ${s.reason}`);
  return out;
}

/** One line per protected slave (state, equity against the floor, anchor), then its settings, trip and latest trips. */
function renderGuards(v: DashboardView): string[] {
  const out = [`guards (${v.guards.length} protected slaves):`];
  if (!v.guards.length) return [...out, `  none: protect a slave with \`${CLI} accounts protect NAME ...\``];
  const rows = [['account', 'state', 'equity', 'floor', 'headroom', 'daily floor', 'drawdown floor', 'anchor', 'anchor read', 'at a limit']];
  for (const g of v.guards) {
    rows.push([
      g.account, g.state === 'tripped' ? 'TRIPPED' : g.state, n(g.equity, 2), n(g.floor, 2), n(g.headroom, 2), n(g.floors.daily, 2), n(g.floors.drawdown, 2),
      n(g.anchor, 2), g.anchorAt === undefined ? '-' : new Date(g.anchorAt).toISOString(), g.action === 'close_all' ? 'block, close all' : 'block',
    ]);
  }
  out.push(...table(rows).map((l) => `  ${l}`));
  for (const g of v.guards) {
    out.push(`  ${g.account}: ${g.limits.join('; ')}`);
    if (g.trip) out.push(`    TRIPPED ${new Date(g.trip.at).toISOString()}: ${g.trip.reason}`);
    for (const t of g.trips) out.push(`    trip ${new Date(t.time).toISOString()}: ${t.message}`);
  }
  return out;
}
