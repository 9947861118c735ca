/**
 * The engine alone, on a hand-driven clock, without sockets or store: one master and N slaves
 * that answer every open as the EA would and keep the positions for their snapshots. Shared by
 * bench/engine-cost.ts (CPU per operation) and bench/reconcile.ts (delay of a copy while snapshots
 * are reconciled).
 */
import type { Account } from '../hub/accounts';
import { makeConfig, type HubConfig } from '../hub/config';
import { Engine } from '../hub/engine';
import { createLogger } from '../hub/log';
import type { Body, HubMessage, TerminalMessage } from '../hub/protocol';
import { MASTER_PRESET, SUFFIX_PRESET } from '../sim/presets';

export interface EngineWorld {
  engine: Engine;
  clock: { now: number };
  names: string[];
  /** Commands the engine sent since the last answer(). */
  out: { to: string; body: Body<HubMessage> }[];
  msg: (account: string, body: Record<string, unknown>) => void;
  /** Answers every open sent since the last call (done), keeping the slave's position. */
  answer: () => void;
  /** One opening deal of a new master position (of M, or of the probe master P). */
  deal: (master?: string) => void;
  /** Every slave's open positions, as its snapshot lists them. */
  held: Map<string, Record<string, unknown>[]>;
  heartbeats: () => void;
}

/**
 * probe: a second master P whose one slave Q follows only it, beside M's slaves (which then follow
 * only M): a copy whose own cost is small, to time what else holds it back.
 */
export function engineWorld(slaves: number, opts: { logging?: boolean; config?: Partial<HubConfig>; probe?: boolean } = {}): EngineWorld {
  const clock = { now: 1_800_000_000_000 };
  const w = { out: [] as EngineWorld['out'] };
  const engine = new Engine({
    config: makeConfig({ store: 'memory', commandTtlMs: 60_000, ...opts.config }),
    send: (to, body) => w.out.push({ to, body }),
    ledger: { trade: () => undefined, event: () => undefined },
    log: createLogger({ console: !!opts.logging }),
    now: () => clock.now,
  });
  const names = Array.from({ length: slaves }, (_, i) => `S${i + 1}`);
  const follows = opts.probe ? ['M'] : undefined;
  const accounts: Account[] = [{ name: 'M', type: 'MASTER', enabled: true }, ...names.map((name) => ({ name, type: 'SLAVE' as const, enabled: true, suffix: '.c', slippage_tolerance: 30, follows }))];
  if (opts.probe) accounts.push({ name: 'P', type: 'MASTER', enabled: true }, { name: 'Q', type: 'SLAVE', enabled: true, suffix: '.c', slippage_tolerance: 30, follows: ['P'] });
  engine.setAccounts(accounts);

  const seqs = new Map<string, number>();
  const msg = (account: string, body: Record<string, unknown>): void => {
    const seq = (seqs.get(account) ?? 0) + 1;
    seqs.set(account, seq);
    engine.handle({ v: 1, account, seq, ts: clock.now, ...body } as unknown as TerminalMessage, clock.now);
  };
  const held = new Map<string, Record<string, unknown>[]>([...names, 'Q'].map((n) => [n, []]));
  let ticket = 1;
  const answer = (): void => {
    const batch = w.out;
    w.out = [];
    for (const { to, body } of batch) {
      if (body.type !== 'open') continue;
      const t = String(++ticket);
      const b = body as unknown as Record<string, unknown>;
      held.get(to)!.push({ ticket: t, position: t, symbol: b.symbol, side: b.side, volume: b.volume, price_open: 1.1, sl: 0, tp: 0, magic: b.magic, comment: b.comment, time_ms: clock.now });
      msg(to, { type: 'result', cmd_id: b.cmd_id, status: 'done', retcode: 10009, message: 'done', ticket: t, position: t, deal: t, price: 1.1, volume: b.volume });
    }
  };
  const hello = (name: string, preset: typeof MASTER_PRESET): void => {
    msg(name, { type: 'hello', login: 1, server: preset.server, broker: preset.company, currency: 'USD', margin_mode: 'hedging', ea_version: 'bench' });
    msg(name, { type: 'symbols', replace: true, symbols: preset.symbols });
    msg(name, { type: 'snapshot', positions: [], margin_mode: 'hedging' });
    msg(name, { type: 'heartbeat', balance: 100_000, equity: 100_000, margin: 0, free_margin: 100_000, trade_allowed: true });
  };
  hello('M', MASTER_PRESET);
  if (opts.probe) hello('P', MASTER_PRESET);
  for (const n of opts.probe ? [...names, 'Q'] : names) {
    hello(n, SUFFIX_PRESET);
    const q = SUFFIX_PRESET.quotes['EURUSD.c'];
    msg(n, { type: 'tick', symbol: 'EURUSD.c', bid: q.bid, ask: q.ask, time_ms: clock.now });
  }
  w.out = [];
  let position = 1000;
  const mq = MASTER_PRESET.quotes.EURUSD;
  const deal = (master = 'M'): void => {
    const p = String(++position);
    msg(master, { type: 'deal', deal: p, order: p, position: p, entry: 'in', side: 'buy', volume: 0.1, position_volume: 0.1, symbol: 'EURUSD', price: mq.ask, magic: 0, comment: '', reason: 'client', time_ms: clock.now, sl: 0, tp: 0 });
  };
  const heartbeats = (): void => {
    for (const n of ['M', ...names]) msg(n, { type: 'heartbeat', balance: 100_000, equity: 100_000, margin: 0, free_margin: 100_000, trade_allowed: true });
  };
  return Object.assign(w, { engine, clock, names, msg, answer, deal, held, heartbeats });
}
