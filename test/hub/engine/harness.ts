/** The engine's parts wired with a recording send, ledger and logger and a hand-driven clock, for the module tests. */
import type { Account } from '../../../hub/accounts';
import { makeConfig, type ConfigInput } from '../../../hub/config';
import { makeParts } from '../../../hub/engine/context';
import type { LedgerEvent, TradeUpdate } from '../../../hub/ledger/types';
import { memoryLogger } from '../../../hub/log';
import type { Body, DealMsg, HubMessage, SymbolSpec, TerminalMessage } from '../../../hub/protocol';

export const fx = (name: string, extra: Partial<SymbolSpec> = {}): SymbolSpec => ({
  name, digits: 5, point: 0.00001, volume_min: 0.01, volume_step: 0.01, volume_max: 100, contract_size: 100000, filling_modes: 1, trade_mode: 'full', ...extra,
});

export const ACCOUNTS: Account[] = [
  { name: 'M1', type: 'MASTER', enabled: true },
  { name: 'S1', type: 'SLAVE', enabled: true, suffix: '.c', slippage_tolerance: 20 },
  { name: 'S2', type: 'SLAVE', enabled: true, volume_mode: 'multiplier', volume_multiplier: 0.5 },
];

export function harness({ accounts = ACCOUNTS, config = {} }: { accounts?: Account[]; config?: ConfigInput } = {}) {
  const clock = { now: 1_700_000_000_000 };
  const sent: { to: string; body: Body<HubMessage> }[] = [];
  const trades: TradeUpdate[] = [];
  const events: LedgerEvent[] = [];
  const log = memoryLogger('debug');
  const parts = makeParts({
    config: makeConfig({ store: 'memory', commandTtlMs: 5000, resendMs: 500, heartbeatMs: 1000, ...config }),
    send: (to, body) => sent.push({ to, body }),
    ledger: { trade: (u) => trades.push(u), event: (e) => events.push(e) },
    log,
    now: () => clock.now,
  });
  parts.roster.set(accounts);
  let seq = 0;
  const envelope = (account: string) => ({ v: 1 as const, account, seq: ++seq, ts: clock.now });
  const h = {
    parts,
    clock,
    sent,
    trades,
    events,
    log,
    advance: (ms: number) => (clock.now += ms),
    /** Commands and messages sent to one terminal, optionally of one type. */
    commands: (to: string, type?: string) => sent.filter((s) => s.to === to && (!type || s.body.type === type)).map((s) => s.body as Record<string, any>),
    /** Log lines matching a pattern. */
    lines: (re: RegExp) => log.lines.filter((l) => re.test(l.message)),
    /** The last trade record written for a slave. */
    lastTrade: (slave: string) => trades.filter((u) => u.key.slave_name === slave).pop()?.set,
    /** A terminal that said hello (and reported its symbols when given). */
    connect: (name: string, { margin_mode = 'hedging', symbols }: { margin_mode?: 'hedging' | 'netting'; symbols?: SymbolSpec[] } = {}) => {
      const hello = { ...envelope(name), type: 'hello', login: 1, server: 'srv', broker: 'brk', currency: 'USD', margin_mode, ea_version: '1.2' } as const;
      const t = parts.sessions.seen(hello, clock.now);
      parts.sessions.hello(t, hello);
      if (symbols) parts.sessions.symbols(t, symbols, true);
      return t;
    },
    message: <T extends TerminalMessage['type']>(account: string, body: Omit<Extract<TerminalMessage, { type: T }>, 'v' | 'account' | 'seq' | 'ts'> & { type: T }) =>
      ({ ...envelope(account), ...body }) as Extract<TerminalMessage, { type: T }>,
    deal: (fields: Partial<DealMsg> & Pick<DealMsg, 'position' | 'entry' | 'side' | 'volume' | 'position_volume'>, account = 'M1'): DealMsg => ({
      ...envelope(account), type: 'deal', deal: String(++seq), order: '1', symbol: 'EURUSD', price: 1.1, magic: 0, comment: '', reason: 'client', time_ms: clock.now, ...fields,
    }),
  };
  return h;
}

export type Harness = ReturnType<typeof harness>;

/** The usual world: M1, S1 and S2 connected with their symbols. */
export function connected(opts?: Parameters<typeof harness>[0]) {
  const h = harness(opts);
  h.connect('M1', { symbols: [fx('EURUSD'), fx('XAUUSD', { digits: 2, point: 0.01, contract_size: 100 })] });
  h.connect('S1', { symbols: [fx('EURUSD.c'), fx('GBPUSD.c')] });
  h.connect('S2', { symbols: [fx('EURUSD', { digits: 4 })] });
  return h;
}
