/** Protection and schedule in the engine, driven directly: trips, the gate for new copies, closes always mirrored, state restored. */
import type { Account } from '../../../hub/accounts';
import { makeConfig } from '../../../hub/config';
import { Engine } from '../../../hub/engine';
import { guardStateFrom } from '../../../hub/engine/protect';
import { parseBlackouts } from '../../../hub/engine/schedule';
import type { LedgerEvent, TradeUpdate } from '../../../hub/ledger/types';
import { memoryLogger } from '../../../hub/log';
import type { Body, HubMessage, TerminalMessage } from '../../../hub/protocol';
import { fx } from './harness';

const START = Date.parse('2026-01-15T09:00:00Z');
const M1: Account = { name: 'M1', type: 'MASTER', enabled: true };
const slave = (extra: Partial<Account> = {}): Account => ({ name: 'S1', type: 'SLAVE', enabled: true, ...extra });

function world(s1: Account, { now = START } = {}) {
  const clock = { now };
  const sent: { to: string; body: Body<HubMessage> }[] = [];
  const trades: TradeUpdate[] = [];
  const events: LedgerEvent[] = [];
  const log = memoryLogger('debug');
  const engine = new Engine({
    config: makeConfig({ store: 'memory', commandTtlMs: 5000, resendMs: 500, heartbeatMs: 1000 }),
    send: (to, body) => sent.push({ to, body }), ledger: { trade: (u) => trades.push(u), event: (e) => events.push(e) }, log, now: () => clock.now,
  });
  engine.setAccounts([M1, s1]);
  let seq = 0;
  let deal = 0;
  const msg = (account: string, body: Record<string, unknown>) => engine.handle({ v: 1, account, seq: ++seq, ts: clock.now, ...body } as TerminalMessage, clock.now);
  const w = {
    engine, sent, trades, events, log, clock,
    msg,
    connect() {
      for (const a of ['M1', 'S1']) msg(a, { type: 'hello', login: 1, server: 'x', broker: 'b', currency: 'USD', margin_mode: 'hedging', ea_version: '1' });
      msg('M1', { type: 'symbols', replace: true, symbols: [fx('EURUSD'), fx('GBPUSD')] });
      msg('S1', { type: 'symbols', replace: true, symbols: [fx('EURUSD'), fx('GBPUSD')] });
    },
    heartbeat: (balance: number, equity = balance) => msg('S1', { type: 'heartbeat', balance, equity, margin: 0 }),
    open: (position: string, extra: Record<string, unknown> = {}) =>
      msg('M1', { type: 'deal', deal: String(++deal), order: '1', position, symbol: 'EURUSD', side: 'buy', entry: 'in', volume: 1, price: 1.1, magic: 0, comment: '', reason: 'client', time_ms: clock.now, position_volume: 1, position_side: 'buy', ...extra }),
    close: (position: string) =>
      msg('M1', { type: 'deal', deal: String(++deal), order: '1', position, symbol: 'EURUSD', side: 'sell', entry: 'out', volume: 1, price: 1.1, magic: 0, comment: '', reason: 'client', time_ms: clock.now, position_volume: 0, position_side: 'buy' }),
    commands: (type: string) => sent.filter((s) => s.to === 'S1' && s.body.type === type).map((s) => s.body as Record<string, any>),
    fill(cmd: Record<string, any>, ticket: string) {
      msg('S1', { type: 'result', cmd_id: cmd.cmd_id, status: 'done', retcode: 10009, message: 'done', ticket, position: ticket, price: 1.1, volume: cmd.volume });
    },
    lines: (re: RegExp) => log.lines.filter((l) => re.test(l.message)).map((l) => l.message),
    lastTrade: (position: string) => trades.filter((u) => u.key.master_ticket === position).pop()?.set,
  };
  return w;
}

describe('daily loss guard', () => {
  const protection = { daily_loss: { value: 1000, unit: 'money' as const } };

  it('trips as equity falls to the floor, refuses new copies with the numbers, mirrors closes, and lifts at the reset', () => {
    const w = world(slave({ protection }));
    w.connect();
    w.heartbeat(100_000);
    w.open('500');
    const open = w.commands('open')[0];
    expect(open).toMatchObject({ master_position: '500' });
    w.fill(open, '9001');

    w.heartbeat(100_000, 99_000.01);
    expect(w.lines(/^TRIP/)).toHaveLength(0);
    w.heartbeat(100_000, 99_000);
    expect(w.lines(/^TRIP/)).toEqual([
      'TRIP protection S1: daily loss limit: equity 99000.00 (balance 100000.00) at or below the floor 99000.00 = anchor 100000.00 (balance at the reset 2026-01-15T00:00:00.000Z) less 1000.00; new copies blocked until the next reset at 2026-01-16T00:00:00.000Z (00:00 UTC)',
    ]);
    expect(w.events.filter((e) => e.kind === 'trip')).toHaveLength(1);
    // The EA learns the trip through a new welcome.
    expect(w.commands('welcome').pop()).toMatchObject({ role: 'slave', limits: { equity_floor: 99_000, blocked: expect.stringMatching(/^daily loss limit/) } });

    w.open('501');
    expect(w.commands('open')).toHaveLength(1);
    expect(w.lines(/^REFUSE open M1#501 .* -> S1: protection: daily loss limit: equity 99000.00 .* new copies blocked until the next reset at 2026-01-16T00:00:00.000Z/)).toHaveLength(1);
    expect(w.lastTrade('501')).toMatchObject({ status: 'refused', reason: expect.stringMatching(/^protection: daily loss limit/) });

    w.close('500');
    expect(w.commands('close')[0]).toMatchObject({ ticket: '9001' });

    w.clock.now = Date.parse('2026-01-16T00:00:00Z');
    w.heartbeat(99_000);
    expect(w.lines(/^RESUME protection S1: the .* trip of 2026-01-15T.* is over \(new day\); new copies allowed again$/)).toHaveLength(1);
    w.open('502');
    expect(w.commands('open')).toHaveLength(2);
    expect(w.commands('welcome').pop()).toMatchObject({ limits: { equity_floor: 98_000 } });
  });

  it('with close_all, closes every copy on the account that holds a ticket, once per copy', () => {
    const w = world(slave({ protection: { ...protection, action: 'close_all' } }));
    w.connect();
    w.heartbeat(100_000);
    w.open('500');
    w.open('501', { symbol: 'GBPUSD' });
    w.fill(w.commands('open')[0], '9001');
    w.heartbeat(100_000, 98_500);
    expect(w.commands('close')).toEqual([expect.objectContaining({ ticket: '9001', master_position: '500' })]);
    expect(w.lines(/^CLOSE protection S1: daily loss limit tripped, closes M1#500 ticket 9001 \(1 lots\)$/)).toHaveLength(1);
    w.heartbeat(100_000, 98_400);
    expect(w.commands('close')).toHaveLength(1);
    // The open that was in flight is closed once it is filled.
    w.fill(w.commands('open')[1], '9002');
    w.heartbeat(100_000, 98_400);
    expect(w.commands('close').map((c) => c.ticket)).toEqual(['9001', '9002']);
  });

  it('waits for a heartbeat before the first copy', () => {
    const w = world(slave({ protection }));
    w.connect();
    w.open('500');
    expect(w.commands('open')).toHaveLength(0);
    expect(w.lines(/^REFUSE .* -> S1: protection: no balance and equity from S1 yet \(heartbeat\); new copies wait for them$/)).toHaveLength(1);
  });

  it('keeps its state through a restart: the state event read back gives the same anchor and trip', () => {
    const w = world(slave({ protection }));
    w.connect();
    w.heartbeat(100_000);
    w.heartbeat(100_000, 98_000);
    const saved = w.events.filter((e) => e.kind === 'guard_state').pop()!;
    const state = guardStateFrom(JSON.parse(JSON.stringify(saved.data)));
    expect(state).toMatchObject({ anchor: 100_000, trip: { rule: 'daily_loss', equity: 98_000 } });

    const w2 = world(slave({ protection }), { now: w.clock.now + 60_000 });
    w2.engine.restoreGuard('S1', state!);
    w2.connect();
    expect(w2.commands('welcome')[0]).toMatchObject({ limits: { equity_floor: 99_000, blocked: expect.stringMatching(/daily loss/) } });
    w2.heartbeat(101_000, 101_000);
    w2.open('600');
    expect(w2.commands('open')).toHaveLength(0);
    expect(w2.lines(/^REFUSE open M1#600 .* protection: daily loss limit/)).toHaveLength(1);
    expect(w2.engine.guards()[0]).toMatchObject({ account: 'S1', trip: { rule: 'daily_loss' }, floors: { daily: 99_000 } });
  });
});

describe('welcome limits', () => {
  it('a connected slave gets a new welcome when its protection is set, changed or removed, and none otherwise', () => {
    const w = world(slave());
    w.connect();
    const welcomes = () => w.commands('welcome');
    expect(welcomes()).toHaveLength(1);
    expect(welcomes()[0].limits).toBeUndefined();
    w.engine.setAccounts([M1, slave({ schedule: { blackouts: false } })]);
    expect(welcomes()).toHaveLength(1);
    w.engine.setAccounts([M1, slave({ protection: { max_lots: 2 } })]);
    expect(welcomes()).toHaveLength(2);
    expect(welcomes()[1].limits).toEqual({ max_lots: 2 });
    w.engine.setAccounts([M1, slave({ protection: { max_lots: 2 } })]);
    expect(welcomes()).toHaveLength(2);
    w.engine.setAccounts([M1, slave()]);
    expect(welcomes()).toHaveLength(3);
    expect(welcomes()[2].limits).toBeUndefined();
  });
});

describe('exposure limits', () => {
  it('refuse the copy that would pass max positions or max lots, counting opens in flight and positions that are not copies', () => {
    const w = world(slave({ protection: { max_positions: 2, max_lots: 1.5 } }));
    w.connect();
    w.msg('S1', { type: 'snapshot', positions: [{ ticket: '1', position: '1', symbol: 'GBPUSD', side: 'buy', volume: 0.5, price_open: 1.3, sl: 0, tp: 0, magic: 0, comment: 'manual', time_ms: START }] });
    w.open('500');
    expect(w.commands('open')).toHaveLength(1);
    w.open('501', { volume: 0.1, position_volume: 0.1 });
    expect(w.commands('open')).toHaveLength(1);
    expect(w.lines(/^REFUSE open M1#501 .* -> S1: protection: max positions: 2 open, the limit is 2$/)).toHaveLength(1);
  });
});

describe('schedule', () => {
  it('refuses new copies outside the trading windows (wall clock of the zone) and copies inside', () => {
    const w = world(slave({ schedule: { zone: 'Europe/London', windows: ['mon-fri 10:00-17:00'] } }));
    w.connect();
    w.open('500');
    expect(w.lines(/^REFUSE open M1#500 .* -> S1: schedule: outside the trading windows of S1 \(mon-fri 10:00-17:00 Europe\/London\)$/)).toHaveLength(1);
    w.clock.now = Date.parse('2026-01-15T10:00:00Z');
    w.open('501');
    expect(w.commands('open')).toHaveLength(1);
  });

  it('refuses new copies of the symbols a blackout names, mirrors closes, and lets an account ignore the file', () => {
    const news = parseBlackouts('2026-01-15T09:03:00Z,USD,2,2,CPI', 'news.csv');
    const w = world(slave());
    w.engine.setBlackouts(news);
    w.connect();
    w.open('500');
    w.fill(w.commands('open')[0], '9001');
    w.clock.now += 60_000;
    w.open('501');
    expect(w.lines(/^REFUSE open M1#501 .* -> S1: schedule: CPI \(USD\) blackout 2026-01-15T09:01:00.000Z to 2026-01-15T09:05:00.000Z \(news.csv line 1\)$/)).toHaveLength(1);
    w.close('500');
    expect(w.commands('close')).toHaveLength(1);

    const free = world(slave({ schedule: { blackouts: false } }), { now: START + 60_000 });
    free.engine.setBlackouts(news);
    free.connect();
    free.open('500');
    expect(free.commands('open')).toHaveLength(1);
  });
});

describe('max delay of live master events', () => {
  it('records a new position older than max_delay_ms as missed, with its age, and refuses an old add', () => {
    // A hub running since before the deals: older ones wait for the slave's snapshot instead.
    const w = world(slave({ max_delay_ms: 5000 }), { now: START - 60_000 });
    w.clock.now = START;
    w.connect();
    w.open('500', { time_ms: START - 5001 });
    expect(w.commands('open')).toHaveLength(0);
    expect(w.lines(/^MISS open M1#500 .* -> S1: master event 5001 ms ago, more than max_delay_ms 5000$/)).toHaveLength(1);
    expect(w.lastTrade('500')).toMatchObject({ status: 'missed', reason: 'master event 5001 ms ago, more than max_delay_ms 5000' });

    w.open('501', { time_ms: START - 5000 });
    w.fill(w.commands('open')[0], '9001');
    w.msg('M1', { type: 'deal', deal: 'add', order: '1', position: '501', symbol: 'EURUSD', side: 'buy', entry: 'in', volume: 1, price: 1.1, magic: 0, comment: '', reason: 'client', time_ms: START - 9000, position_volume: 2, position_side: 'buy' });
    expect(w.commands('open')).toHaveLength(1);
    expect(w.lines(/^REFUSE add to M1#501 .* -> S1: master event 9000 ms ago, more than max_delay_ms 5000$/)).toHaveLength(1);
  });
});
