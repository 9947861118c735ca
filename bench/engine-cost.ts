/**
 * `npx ts-node --transpile-only bench/engine-cost.ts [slaves] [positions] [--log] > /dev/null`:
 * the engine alone, on a hand-driven clock, without sockets or store: CPU time of one deal's
 * fan-out, of the periodic convergence pass over every copy, and of one slave's snapshot being
 * reconciled, with `positions` open copies on each of `slaves` slaves. With --log, the hub's
 * production console logger writes every line to stdout (send it to /dev/null). The figures go
 * to stderr as one JSON line. Meant to compare before / after a change on a busy machine: CPU
 * time of this process, the least of several repeats.
 */
import type { Account } from '../hub/accounts';
import { makeConfig } from '../hub/config';
import { Engine } from '../hub/engine';
import { createLogger } from '../hub/log';
import type { Body, HubMessage, TerminalMessage } from '../hub/protocol';
import { MASTER_PRESET, SUFFIX_PRESET } from '../sim/presets';

const args = process.argv.slice(2).filter((a) => !a.startsWith('--'));
const slaves = Number(args[0] ?? 200);
const positions = Number(args[1] ?? 100);
const logging = process.argv.includes('--log');
const clock = { now: 1_800_000_000_000 };
let out: { to: string; body: Body<HubMessage> }[] = [];
const engine = new Engine({
  config: makeConfig({ store: 'memory', commandTtlMs: 60_000 }),
  send: (to, body) => out.push({ to, body }),
  ledger: { trade: () => undefined, event: () => undefined },
  log: createLogger({ console: logging }),
  now: () => clock.now,
});
const names = Array.from({ length: slaves }, (_, i) => `S${i + 1}`);
const accounts: Account[] = [{ name: 'M', type: 'MASTER', enabled: true }, ...names.map((name) => ({ name, type: 'SLAVE' as const, enabled: true, suffix: '.c', slippage_tolerance: 30 }))];
engine.setAccounts(accounts);

const seqs = new Map<string, number>();
function msg(account: string, body: Record<string, unknown>): void {
  const seq = (seqs.get(account) ?? 0) + 1;
  seqs.set(account, seq);
  engine.handle({ v: 1, account, seq, ts: clock.now, ...body } as unknown as TerminalMessage, clock.now);
}
const held = new Map<string, Record<string, unknown>[]>(names.map((n) => [n, []]));
let ticket = 1;
/** Answers every open as the EA would, and keeps the position for the slave's snapshots. */
function answer(): void {
  const batch = out;
  out = [];
  for (const { to, body } of batch) {
    if (body.type !== 'open') continue;
    const t = String(++ticket);
    const b = body as unknown as Record<string, unknown>;
    held.get(to)!.push({ ticket: t, position: t, symbol: b.symbol, side: b.side, volume: b.volume, price_open: 1.1, sl: 0, tp: 0, magic: b.magic, comment: b.comment, time_ms: clock.now, master: 'M', master_position: b.master_position });
    msg(to, { type: 'result', cmd_id: b.cmd_id, status: 'done', retcode: 10009, message: 'done', ticket: t, position: t, deal: t, price: 1.1, volume: b.volume });
  }
}

function hello(name: string, preset: typeof MASTER_PRESET): void {
  msg(name, { type: 'hello', login: 1, server: preset.server, broker: preset.company, currency: 'USD', margin_mode: 'hedging', ea_version: 'bench' });
  msg(name, { type: 'symbols', replace: true, symbols: preset.symbols });
  msg(name, { type: 'snapshot', positions: [], margin_mode: 'hedging' });
  msg(name, { type: 'heartbeat', balance: 100_000, equity: 100_000, margin: 0, free_margin: 100_000, trade_allowed: true });
}
hello('M', MASTER_PRESET);
for (const n of names) {
  hello(n, SUFFIX_PRESET);
  const q = SUFFIX_PRESET.quotes['EURUSD.c'];
  msg(n, { type: 'tick', symbol: 'EURUSD.c', bid: q.bid, ask: q.ask, time_ms: clock.now });
}
out = [];
let position = 1000;
const mq = MASTER_PRESET.quotes.EURUSD;
function deal(): void {
  const p = String(++position);
  msg('M', { type: 'deal', deal: p, order: p, position: p, entry: 'in', side: 'buy', volume: 0.1, position_volume: 0.1, symbol: 'EURUSD', price: mq.ask, magic: 0, comment: '', reason: 'client', time_ms: clock.now, sl: 0, tp: 0 });
}

const passes: number[] = [];
/** µs of CPU this process has used (other processes' load left out; wall time would count it). */
const onCpuUs = () => {
  const u = process.cpuUsage();
  return u.user + u.system;
};
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
function timed(fn: () => void, repeats: number): number {
  const xs: number[] = [];
  for (let i = 0; i < repeats; i++) {
    const t0 = onCpuUs();
    fn();
    xs.push(onCpuUs() - t0);
  }
  return Math.min(...xs);
}

const c0 = onCpuUs();
for (let i = 0; i < positions; i++) {
  deal();
  answer();
  clock.now += 5;
}
const fill = onCpuUs() - c0;
const copies = slaves * positions;
// Snapshots confirm the copies, as the slaves' periodic snapshots would.
for (const n of names) msg(n, { type: 'snapshot', positions: held.get(n), margin_mode: 'hedging' });
out = [];
const heartbeats = () => {
  for (const n of ['M', ...names]) msg(n, { type: 'heartbeat', balance: 100_000, equity: 100_000, margin: 0, free_margin: 100_000, trade_allowed: true });
};
const fanOuts: number[] = [];
const results: number[] = [];
for (let i = 0; i < 15; i++) {
  fanOuts.push(timed(deal, 1));
  results.push(timed(answer, 1));
  clock.now += 5;
}
const fanOut = median(fanOuts);
const pass = timed(() => {
  clock.now += 1_000;
  heartbeats();
  const t0 = onCpuUs();
  engine.tick(clock.now);
  passes.push(onCpuUs() - t0);
}, 9) && Math.min(...passes);
let k = 0;
const snap =
  timed(() => {
    for (let i = 0; i < 10; i++) {
      const n = names[k++ % names.length];
      msg(n, { type: 'snapshot', positions: held.get(n), margin_mode: 'hedging' });
    }
  }, 5) / 10;
const stray = out.filter((o) => o.body.type !== 'welcome' && o.body.type !== 'watch' && o.body.type !== 'ping');
process.stderr.write(
  JSON.stringify({ logging, slaves, positions, copies, fillCpuMs: fill / 1000, fanOutUs: fanOut, fanOutUsPerSlave: fanOut / slaves, resultsUsPerSlave: median(results) / slaves, convergePassUs: pass, snapshotReconcileUs: snap, commandsOutsideDeals: stray.length }) + '\n',
);
