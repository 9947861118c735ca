/** Reconciliation that heals: restarts with ledger rows, replays, drift, late copies, netting, offline masters, close-only. */
import type { Account } from '../../../hub/accounts';
import { makeConfig } from '../../../hub/config';
import { Engine } from '../../../hub/engine';
import { copyComment } from '../../../hub/engine/tag';
import type { LedgerEvent, Trade, TradeUpdate } from '../../../hub/ledger/types';
import { memoryLogger } from '../../../hub/log';
import type { Body, HubMessage, Position, TerminalMessage } from '../../../hub/protocol';
import { fx } from './harness';

const T0 = 1_700_000_000_000;
const M1: Account = { name: 'M1', type: 'MASTER', enabled: true };
const S1: Account = { name: 'S1', type: 'SLAVE', enabled: true, suffix: '.c' };
const S2: Account = { name: 'S2', type: 'SLAVE', enabled: true, volume_mode: 'multiplier', volume_multiplier: 0.5 };

/** An engine as a hub process starts it: accounts, optionally ledger rows, no terminal yet. */
function start({ accounts = [M1, S1, S2], rows = [] as Trade[], reconcileSlice = 500 } = {}) {
  const clock = { now: T0 };
  const sent: { to: string; body: Body<HubMessage> }[] = [];
  const trades: TradeUpdate[] = [];
  const events: LedgerEvent[] = [];
  const log = memoryLogger('debug');
  const config = makeConfig({ store: 'memory', commandTtlMs: 5000, resendMs: 500, heartbeatMs: 1000, reconcileMs: 1000, reconcileSlice });
  const engine = new Engine({ config, send: (to, body) => sent.push({ to, body }), ledger: { trade: (u) => trades.push(u), event: (e) => events.push(e) }, log, now: () => clock.now });
  engine.setAccounts(accounts);
  engine.restore(rows);
  let seq = 0;
  const msg = (account: string, body: Record<string, unknown>) => engine.handle({ v: 1, account, seq: ++seq, ts: clock.now, ...body } as TerminalMessage, clock.now);
  const w = {
    engine, clock, sent, trades, log,
    advance: (ms: number) => (clock.now += ms),
    msg,
    /** hello and symbols: a terminal welcomed by this process. */
    connect(name: string, margin_mode = 'hedging') {
      msg(name, { type: 'hello', login: 1, server: 'x', broker: 'b', currency: 'USD', margin_mode, ea_version: '1' });
      const symbols = name === 'S1' ? [fx('EURUSD.c')] : [fx('EURUSD')];
      msg(name, { type: 'symbols', replace: true, symbols });
    },
    snapshot: (name: string, positions: Position[]) => msg(name, { type: 'snapshot', positions }),
    beat: (...names: string[]) => names.forEach((n) => msg(n, { type: 'heartbeat', balance: 1, equity: 1, margin: 0 })),
    deal: (fields: Record<string, unknown>) =>
      msg('M1', { type: 'deal', deal: String(++seq), order: '1', symbol: 'EURUSD', price: 1.1, magic: 0, comment: '', reason: 'client', time_ms: clock.now, sl: 0, tp: 0, ...fields }),
    result: (account: string, cmd: Record<string, any>, fields: Record<string, unknown>) =>
      msg(account, { type: 'result', cmd_id: cmd.cmd_id, retcode: 10009, message: 'done', status: 'done', ...fields }),
    commands: (to: string, type?: string) => sent.filter((s) => s.to === to && (!type || s.body.type === type)).map((s) => s.body as Record<string, any>),
    lines: (re: RegExp) => log.lines.filter((l) => re.test(l.message)),
    copy: (slave: string, position = '500') => engine.status().copies.find((c) => c.slave === slave && c.masterPosition === position),
    lastTrade: (slave: string, position = '500') => trades.filter((u) => u.key.slave_name === slave && u.key.master_ticket === position).pop()?.set,
  };
  return w;
}

const master = (position: string, extra: Partial<Position> = {}): Position => ({
  ticket: position, position, symbol: 'EURUSD', side: 'buy', volume: 1, price_open: 1.1, sl: 0, tp: 0, magic: 0, comment: '', time_ms: T0, ...extra,
});
const copyOf = (ticket: string, masterPosition: string, extra: Partial<Position> = {}): Position =>
  master(ticket, { symbol: 'EURUSD.c', magic: 20250, comment: copyComment('M1', masterPosition), ...extra });
const row = (extra: Partial<Trade> = {}): Trade => ({
  master_name: 'M1', master_ticket: '500', slave_name: 'S1', slave_ticket: '9001', symbol: 'EURUSD.c', master_symbol: 'EURUSD', direction: 'BUY',
  status: 'open', master_volume: 1, volume: 1, remaining_volume: 1, master_price: 1.1, updated_at: '2023-11-14T22:13:20.000Z', ...extra,
});

/** A copy of M1#500 on S1, open with ticket 9001 and 1 lot, and the slave's snapshot showing it. */
function copied(w: ReturnType<typeof start>, extra: Record<string, unknown> = {}) {
  w.deal({ position: '500', side: 'buy', entry: 'in', volume: 1, position_volume: 1, position_side: 'buy', ...extra });
  w.result('S1', w.commands('S1', 'open')[0], { ticket: '9001', position: '9001', volume: 1, price: 1.1 });
  w.snapshot('S1', [copyOf('9001', '500', { sl: Number(extra.sl ?? 0) })]);
}

describe('after a hub restart', () => {
  it('knows the copies of the ledger before any message: a replayed opening deal sends nothing twice', () => {
    const w = start({ rows: [row()] });
    w.connect('M1');
    w.connect('S1');
    w.connect('S2');
    w.deal({ position: '500', side: 'buy', entry: 'in', volume: 1, position_volume: 1, position_side: 'buy', time_ms: T0 - 5000 });
    expect(w.commands('S1', 'open')).toHaveLength(0);
    // S2 has no row: the position is older than this process, so S2's snapshot decides.
    expect(w.commands('S2', 'open')).toHaveLength(0);
    expect(w.lines(/^WAIT open M1#500 -> S2: opened before the hub started, may already be copied; decided on S2's next snapshot$/)).toHaveLength(1);
    w.snapshot('S2', []);
    expect(w.commands('S2', 'open')).toEqual([expect.objectContaining({ volume: 0.5, master_position: '500' })]);
    expect(w.lines(/^COPY late open M1#500 buy 1 EURUSD -> S2 EURUSD 0.5 lots/)).toHaveLength(1);
  });

  it('adopts instead of opening when the slave already holds the copy', () => {
    const w = start();
    w.connect('M1');
    w.connect('S1');
    w.deal({ position: '500', side: 'buy', entry: 'in', volume: 1, position_volume: 1, position_side: 'buy', time_ms: T0 - 5000 });
    w.snapshot('S1', [copyOf('9001', '500')]);
    expect(w.commands('S1', 'open')).toHaveLength(0);
    expect(w.copy('S1')).toMatchObject({ status: 'open', ticket: '9001' });
  });

  it('closes a copy whose master position closed while the hub was down, but not on a snapshot queued before the restart', () => {
    const w = start({ rows: [row()] });
    // The master's EA kept running: its queued snapshot arrives before it answers the welcome.
    w.snapshot('M1', []);
    w.connect('S1');
    expect(w.commands('S1', 'close')).toHaveLength(0);
    w.msg('M1', { type: 'symbols', replace: true, symbols: [fx('EURUSD')] });
    w.snapshot('M1', []);
    expect(w.commands('S1', 'close')).toEqual([expect.objectContaining({ ticket: '9001', volume: 1, symbol: 'EURUSD.c' })]);
    expect(w.lines(/^CLOSE reconcile: M1#500 is closed on the master; S1 closes ticket 9001$/)).toHaveLength(1);
    w.result('S1', w.commands('S1', 'close')[0], { remaining_volume: 0 });
    expect(w.lastTrade('S1')).toMatchObject({ status: 'closed', remaining_volume: 0 });
  });

  it('closes a copy the slave shows after the master closed it, even when the close deal came first', () => {
    const w = start();
    w.connect('M1');
    w.connect('S1');
    w.deal({ position: '500', side: 'sell', entry: 'out', volume: 1, position_volume: 0, position_side: 'buy', time_ms: T0 - 5000 });
    w.snapshot('S1', [copyOf('9001', '500')]);
    expect(w.commands('S1', 'close')).toEqual([expect.objectContaining({ ticket: '9001', volume: 1 })]);
  });

  it('changes nothing on a replayed partial close, known to the book or not', () => {
    for (const masterSnapshot of [true, false]) {
      const w = start({ rows: [row({ remaining_volume: 0.5 })] });
      w.connect('M1');
      w.connect('S1');
      if (masterSnapshot) w.snapshot('M1', [master('500', { volume: 0.5 })]);
      w.snapshot('S1', [copyOf('9001', '500', { volume: 0.5 })]);
      w.deal({ position: '500', side: 'sell', entry: 'out', volume: 0.5, position_volume: 0.5, position_side: 'buy', time_ms: T0 - 5000 });
      w.advance(1000);
      w.engine.tick();
      expect(w.commands('S1', 'close')).toHaveLength(0);
      expect(w.commands('S1', 'open')).toHaveLength(0);
    }
  });

  it('resolves a pending row of the dead process: found on the slave it is open, not found it is copied late', () => {
    const w = start({ rows: [row({ status: 'pending', slave_ticket: undefined, remaining_volume: undefined }), row({ master_ticket: '501', status: 'pending', slave_ticket: undefined })] });
    w.connect('M1');
    w.connect('S1');
    w.snapshot('M1', [master('500', { time_ms: T0 - 1000 }), master('501', { time_ms: T0 - 1000 })]);
    w.snapshot('S1', [copyOf('9001', '500')]);
    expect(w.copy('S1')).toMatchObject({ status: 'open', ticket: '9001', volume: 1 });
    expect(w.lastTrade('S1')).toMatchObject({ status: 'open', slave_ticket: '9001' });
    // The dead process's open of 501 may still run until it expires: nothing before then.
    expect(w.commands('S1', 'open')).toHaveLength(0);
    w.advance(5000);
    w.beat('M1', 'S1');
    w.snapshot('S1', [copyOf('9001', '500')]);
    expect(w.commands('S1', 'open')).toEqual([expect.objectContaining({ master_position: '501', volume: 1 })]);
    expect(w.lastTrade('S1', '501')).toMatchObject({ status: 'pending' });
  });

  it('records missed a pending row the slave does not hold once the master position is closed', () => {
    const w = start({ rows: [row({ status: 'pending', slave_ticket: undefined })] });
    w.advance(5000);
    w.connect('M1');
    w.connect('S1');
    w.snapshot('M1', []);
    w.snapshot('S1', []);
    expect(w.copy('S1')).toMatchObject({ status: 'missed' });
    expect(w.lastTrade('S1')).toMatchObject({ status: 'missed', reason: 'open of unknown outcome: not on the slave, and the master position is closed' });
  });
});

describe('drift', () => {
  it('reduces a copy to the target of its ratio, and increases it when the master grew, while young', () => {
    const w = start({ accounts: [M1, S1] });
    w.connect('M1');
    w.connect('S1');
    copied(w);
    w.snapshot('M1', [master('500', { volume: 0.6 })]);
    expect(w.commands('S1', 'close')).toEqual([expect.objectContaining({ ticket: '9001', volume: 0.4 })]);
    expect(w.lines(/^CLOSE reconcile: M1#500 holds 0.6 lots; S1 ticket 9001 holds 1, target 0.6: close 0.4 lots$/)).toHaveLength(1);
    w.result('S1', w.commands('S1', 'close')[0], { remaining_volume: 0.6 });
    w.snapshot('M1', [master('500', { volume: 1.5 })]);
    expect(w.commands('S1', 'open')[1]).toMatchObject({ increase: true, volume: 0.9 });
    w.result('S1', w.commands('S1', 'open')[1], { volume: 0.9 });
    expect(w.copy('S1')!.volume).toBe(1.5);
    expect(w.lastTrade('S1')).toMatchObject({ volume: 1.5, master_volume: 1.5 });
    // Nothing more once at target, however often it runs.
    w.advance(1000);
    w.engine.tick();
    w.snapshot('M1', [master('500', { volume: 1.5 })]);
    expect(w.sent.filter((s) => s.body.type === 'open' || s.body.type === 'close')).toHaveLength(3);
  });

  it('counts every position of a copy that grew on a hedging slave (an add is a second position)', () => {
    const w = start({ accounts: [M1, S1] });
    w.connect('M1');
    w.connect('S1');
    copied(w);
    w.snapshot('M1', [master('500', { volume: 1.3 })]);
    w.result('S1', w.commands('S1', 'open')[1], { ticket: '9002', position: '9002', volume: 0.3 });
    w.snapshot('S1', [copyOf('9001', '500'), copyOf('9002', '500', { volume: 0.3 })]);
    w.advance(1000);
    w.engine.tick();
    expect(w.copy('S1')).toMatchObject({ volume: 1.3, status: 'open' });
    expect(w.commands('S1', 'open')).toHaveLength(2);
  });

  it('sizes afresh a copy found without its ledger row and grows it to target, but not one reduced on the slave', () => {
    const w = start({ accounts: [M1, S1] });
    w.connect('M1');
    w.connect('S1');
    w.snapshot('M1', [master('500', { volume: 1.2, time_ms: T0 - 2000 })]);
    w.snapshot('S1', [copyOf('9001', '500', { volume: 1 })]);
    expect(w.lines(/^reconcile: S1 copy of M1#500 sized afresh: 1.2 lots for 1.2 master lots$/)).toHaveLength(1);
    expect(w.commands('S1', 'open')).toEqual([expect.objectContaining({ increase: true, volume: 0.2 })]);
    w.result('S1', w.commands('S1', 'open')[0], { ticket: '9002', volume: 0.2 });
    // Someone closes part of it on the slave: it stays so.
    w.snapshot('S1', [copyOf('9001', '500', { volume: 0.5 }), copyOf('9002', '500', { volume: 0.2 })]);
    w.advance(1000);
    w.engine.tick();
    expect(w.copy('S1')!.volume).toBe(0.7);
    expect(w.commands('S1', 'open')).toHaveLength(1);
  });

  it('records a missed increase once when the master grew too long ago', () => {
    const w = start({ accounts: [M1, S1] });
    w.connect('M1');
    w.connect('S1');
    copied(w);
    w.advance(61_000);
    w.beat('M1', 'S1');
    w.snapshot('S1', [copyOf('9001', '500')]);
    w.snapshot('M1', [master('500', { volume: 2 })]);
    w.snapshot('M1', [master('500', { volume: 2 })]);
    expect(w.commands('S1', 'open')).toHaveLength(1);
    expect(w.lines(/^MISS reconcile: M1#500 holds 2 lots; S1 ticket 9001 holds 1, target 2: 1 lots not added, the master's volume is \d+ ms old, more than max_delay_ms 60000$/)).toHaveLength(1);
  });

  it("sets SL/TP to the master's, and does not repeat a target the slave refused", () => {
    const w = start({ accounts: [M1, S1] });
    w.connect('M1');
    w.connect('S1');
    copied(w);
    w.snapshot('M1', [master('500', { sl: 1.05, tp: 1.2 })]);
    expect(w.commands('S1', 'modify')).toEqual([expect.objectContaining({ ticket: '9001', sl: 1.05, tp: 1.2 })]);
    expect(w.lines(/^MODIFY reconcile: M1#500 SL 1.05 TP 1.2 -> S1 ticket 9001 \(was SL 0 TP 0\)$/)).toHaveLength(1);
    w.result('S1', w.commands('S1', 'modify')[0], { status: 'rejected', retcode: 10016, message: 'invalid stops' });
    w.advance(11_000);
    w.beat('M1', 'S1');
    w.snapshot('S1', [copyOf('9001', '500')]);
    w.snapshot('M1', [master('500', { sl: 1.05, tp: 1.2, time_ms: w.clock.now })]);
    expect(w.commands('S1', 'modify')).toHaveLength(1);
    w.snapshot('M1', [master('500', { sl: 1.06, tp: 1.2 })]);
    expect(w.commands('S1', 'modify')).toHaveLength(2);
  });
});

describe('bursts', () => {
  it('sizes a partial close against what closes in flight leave, so the copy ends at target', () => {
    const w = start({ accounts: [M1, S1] });
    w.connect('M1');
    w.connect('S1');
    w.deal({ position: '500', side: 'buy', entry: 'in', volume: 0.6, position_volume: 0.6, position_side: 'buy' });
    w.result('S1', w.commands('S1', 'open')[0], { ticket: '9001', position: '9001', volume: 0.6 });
    w.deal({ position: '500', side: 'sell', entry: 'out', volume: 0.2, position_volume: 0.4, position_side: 'buy' });
    w.deal({ position: '500', side: 'sell', entry: 'out', volume: 0.2, position_volume: 0.2, position_side: 'buy' });
    expect(w.commands('S1', 'close').map((c) => c.volume)).toEqual([0.2, 0.2]);
  });
});

describe('late copies', () => {
  const expiredWhileAway = (away: number) => {
    const w = start({ accounts: [M1, S1] });
    w.connect('M1');
    w.connect('S1');
    w.deal({ position: '500', side: 'buy', entry: 'in', volume: 1, position_volume: 1, position_side: 'buy' });
    w.advance(away);
    w.engine.tick();
    expect(w.copy('S1')).toMatchObject({ status: 'expired' });
    w.connect('M1');
    w.snapshot('M1', [master('500', { time_ms: T0 })]);
    w.connect('S1');
    w.snapshot('S1', []);
    return w;
  };

  it('copies a master position when its slave is back after the command expired, while it is young', () => {
    const w = expiredWhileAway(6000);
    const [first, late] = w.commands('S1', 'open');
    expect(late).toMatchObject({ master_position: '500', volume: 1 });
    expect(late.cmd_id).not.toBe(first.cmd_id);
    expect(w.lines(/^COPY late open M1#500 buy 1 EURUSD -> S1 EURUSD.c 1 lots/)).toHaveLength(1);
  });

  it('records it missed when it is older than max_delay_ms, with one line', () => {
    const w = expiredWhileAway(70_000);
    w.advance(1000);
    w.engine.tick();
    expect(w.commands('S1', 'open')).toHaveLength(1);
    expect(w.lines(/^MISS late open M1#500 buy 1 EURUSD -> S1: opened 70000 ms ago, more than max_delay_ms 60000$/)).toHaveLength(1);
    expect(w.lastTrade('S1')).toMatchObject({ status: 'missed', reason: 'opened 70000 ms ago, more than max_delay_ms 60000' });
  });

  it('is missed when the price ran away, and honours the slave max_delay_ms', () => {
    const w = start({ accounts: [M1, { ...S1, max_delay_ms: 500, slippage_tolerance: 10 }], rows: [] });
    w.connect('M1');
    w.connect('S1');
    w.msg('S1', { type: 'tick', symbol: 'EURUSD.c', bid: 1.2, ask: 1.2001, time_ms: T0 });
    w.snapshot('M1', [master('500', { time_ms: T0 - 100 }), master('501', { time_ms: T0 - 1000 })]);
    w.snapshot('S1', []);
    expect(w.lines(/^MISS late open M1#500 .* -> S1: slippage: price moved/)).toHaveLength(1);
    expect(w.lines(/^MISS late open M1#501 .* -> S1: opened 1000 ms ago, more than max_delay_ms 500$/)).toHaveLength(1);
    expect([w.copy('S1')!.status, w.copy('S1', '501')!.status]).toEqual(['missed', 'missed']);
  });

  it('closes that never reached the slave are decided again when it is back', () => {
    const w = start({ accounts: [M1, S1] });
    w.connect('M1');
    w.connect('S1');
    copied(w);
    w.deal({ position: '500', side: 'sell', entry: 'out', volume: 1, position_volume: 0, position_side: 'buy' });
    w.advance(6000);
    w.engine.tick();
    expect(w.lines(/^EXPIRE close M1#500 -> S1/)).toHaveLength(1);
    w.connect('S1');
    w.snapshot('S1', [copyOf('9001', '500')]);
    expect(w.commands('S1', 'close')).toHaveLength(2);
    expect(w.commands('S1', 'close')[1]).toMatchObject({ ticket: '9001', volume: 1 });
  });
});

describe('reversals', () => {
  it('closes a copy on the side the master reversed away from, then opens the new side', () => {
    const w = start({ accounts: [M1, S1] });
    w.connect('M1');
    w.connect('S1');
    copied(w);
    w.snapshot('M1', [master('500', { side: 'sell', volume: 0.5, time_ms: w.clock.now })]);
    expect(w.commands('S1', 'close')).toEqual([expect.objectContaining({ ticket: '9001', volume: 1 })]);
    expect(w.lines(/^REVERSE master reversed M1#500 to sell 0.5: S1 closes ticket 9001/)).toHaveLength(1);
    w.result('S1', w.commands('S1', 'close')[0], { remaining_volume: 0 });
    expect(w.commands('S1', 'open')[1]).toMatchObject({ side: 'sell', volume: 0.5 });
  });
});

describe('netting slaves', () => {
  it('gives an adopted netting position only the lots the other copies on its symbol do not hold', () => {
    const w = start({ accounts: [M1, S1], rows: [row({ master_ticket: '501', volume: 0.5, master_volume: 0.5, remaining_volume: 0.5 })] });
    w.connect('M1');
    w.connect('S1', 'netting');
    w.snapshot('S1', [copyOf('9001', '500', { volume: 1.5 })]);
    expect([w.copy('S1')!.volume, w.copy('S1', '501')!.volume]).toEqual([1, 0.5]);
    w.snapshot('M1', [master('501', { volume: 0.5 })]);
    expect(w.commands('S1', 'close')).toEqual([expect.objectContaining({ ticket: '9001', volume: 1, master_position: '500' })]);
  });


  it('reconciles per symbol: one position holds the copies on it, and no opposite copy is sent, also after a restart', () => {
    const w = start({ accounts: [M1, S1] });
    w.connect('M1');
    w.connect('S1', 'netting');
    w.deal({ position: '500', side: 'buy', entry: 'in', volume: 1, position_volume: 1, position_side: 'buy' });
    w.deal({ position: '501', side: 'buy', entry: 'in', volume: 0.5, position_volume: 0.5, position_side: 'buy' });
    const [a, b] = w.commands('S1', 'open');
    w.result('S1', a, { ticket: '9001', position: '9001', volume: 1 });
    w.result('S1', b, { ticket: '9001', position: '9001', volume: 0.5 });
    w.snapshot('S1', [copyOf('9001', '500', { volume: 1.5 })]);
    expect([w.copy('S1')!.volume, w.copy('S1', '501')!.status, w.copy('S1', '501')!.volume]).toEqual([1, 'open', 0.5]);

    // A new hub, no ledger: the slave's netting position is a buy copy, the master now sells.
    const w2 = start({ accounts: [M1, S1] });
    w2.connect('M1');
    w2.connect('S1', 'netting');
    w2.snapshot('M1', [master('500'), master('502', { side: 'sell', time_ms: T0 - 1000 })]);
    w2.snapshot('S1', [copyOf('9001', '500', { volume: 1.5 })]);
    expect(w2.commands('S1', 'open')).toHaveLength(0);
    expect(w2.lines(/^REFUSE late open M1#502 sell 1 EURUSD -> S1: S1 is a netting account and already holds a buy copy of M1#500 on EURUSD.c/)).toHaveLength(1);
  });
  it('does not count a copy whose netting position is gone into the position now on its symbol (chaos seed 7203)', () => {
    // Killed before it recorded the close of M1#500's copy (ticket 9001): on restart that copy is
    // open in the ledger; the slave's one EURUSD.c position now is 9002, M1#501's copy.
    const w = start({ accounts: [M1, S1], rows: [row(), row({ master_ticket: '501', slave_ticket: '9002' })] });
    w.connect('M1');
    w.connect('S1', 'netting');
    w.snapshot('S1', [copyOf('9002', '501')]);
    w.snapshot('M1', [master('501')]);
    expect(w.copy('S1', '501')).toMatchObject({ status: 'open', volume: 1 });
    expect(w.copy('S1', '500')).toMatchObject({ status: 'closed' });
    w.advance(1000);
    w.engine.tick(w.clock.now);
    expect(w.commands('S1', 'close')).toHaveLength(0);
    expect(w.commands('S1', 'open')).toHaveLength(0);
  });
});

describe('netting SL/TP', () => {
  it('takes the SL/TP of the position a closed copy names for the one live copy in it, and corrects them (chaos seed 8801)', () => {
    // Restarted with the ledger: M1#501's copy is open with ticket 9001; the slave's one EURUSD.c
    // position carries the comment of an earlier copy (M1#500, closed).
    const w = start({ accounts: [M1, S1], rows: [row({ master_ticket: '501', slave_ticket: '9001' })] });
    w.connect('M1');
    w.connect('S1', 'netting');
    w.snapshot('M1', [master('501', { sl: 1.05 })]);
    w.snapshot('S1', [copyOf('9001', '500', { sl: 1.05 })]);
    for (const m of w.commands('S1', 'modify')) w.result('S1', m, {});
    const before = new Set(w.commands('S1', 'modify').map((m) => m.cmd_id)).size;
    // An add executed after that modify set the position's SL back.
    w.advance(1000);
    w.snapshot('S1', [copyOf('9001', '500', { sl: 1.04 })]);
    w.engine.tick(w.clock.now);
    const modifies = w.commands('S1', 'modify');
    expect(new Set(modifies.map((m) => m.cmd_id)).size).toBe(before + 1);
    expect(modifies.pop()).toMatchObject({ ticket: '9001', sl: 1.05 });
  });
});

describe('passes in slices', () => {
  it('works through a pass reconcileSlice comparisons at a time, each master position and copy checked again when its turn comes', () => {
    const w = start({ accounts: [M1, S1], reconcileSlice: 10 });
    w.connect('M1');
    w.connect('S1');
    w.snapshot('S1', []);
    const positions = Array.from({ length: 25 }, (_, i) => master(String(600 + i)));
    w.snapshot('M1', positions);
    // The first slice at once: 10 late copies; the rest waits for reconcileStep.
    expect(w.commands('S1', 'open')).toHaveLength(10);
    expect(w.engine.reconciling).toBe(true);
    // Between two slices the master closes a position the pass has not reached: it is not copied.
    w.deal({ position: '620', side: 'sell', entry: 'out', volume: 1, position_volume: 0 });
    expect(w.engine.reconcileStep()).toBe(true);
    expect(w.engine.reconcileStep()).toBe(false);
    const opened = w.commands('S1', 'open').map((c) => c.master_position);
    expect(opened).toHaveLength(24);
    expect(new Set(opened).size).toBe(24);
    expect(opened).not.toContain('620');
    expect(w.lines(/^COPY late open M1#6\d\d /)).toHaveLength(24);
    // The periodic pass decides nothing twice: every copy has its open in flight (re-sends keep their cmd_id).
    w.advance(1000);
    let slices = 1;
    for (let more = w.engine.tick(w.clock.now); more; more = w.engine.reconcileStep()) slices++;
    expect(slices).toBeGreaterThan(2);
    expect(new Set(w.commands('S1', 'open').map((c) => c.cmd_id)).size).toBe(24);
  });
});

describe('master offline', () => {
  it("keeps its copies by default, and closes them after the grace for a slave whose master_offline is 'close'", () => {
    const w = start({ accounts: [M1, { ...S1, master_offline: 'close', master_offline_grace_ms: 5000 }, S2] });
    w.connect('M1');
    w.connect('S1');
    w.connect('S2');
    w.deal({ position: '500', side: 'buy', entry: 'in', volume: 1, position_volume: 1, position_side: 'buy' });
    w.result('S1', w.commands('S1', 'open')[0], { ticket: '9001', volume: 1 });
    w.result('S2', w.commands('S2', 'open')[0], { ticket: '7001', volume: 0.5 });
    for (let i = 0; i < 7; i++) {
      w.advance(1000);
      w.beat('S1', 'S2');
      w.engine.tick();
    }
    // One close (re-sent with its id until answered).
    expect(new Set(w.commands('S1', 'close').map((c) => c.cmd_id)).size).toBe(1);
    expect(w.commands('S1', 'close')[0]).toMatchObject({ ticket: '9001', volume: 1 });
    expect(w.lines(/^CLOSE master M1 offline for 5000 ms \(S1 closes copies after 5000 ms\): S1 closes ticket 9001$/)).toHaveLength(1);
    expect(w.commands('S2', 'close')).toHaveLength(0);
  });
});

describe('close-only accounts', () => {
  it("a close-only master's new positions are not copied, its closes and SL/TP are", () => {
    const w = start({ accounts: [M1, S1] });
    w.connect('M1');
    w.connect('S1');
    copied(w);
    w.engine.setAccounts([{ ...M1, close_only: true }, S1]);
    w.deal({ position: '600', side: 'buy', entry: 'in', volume: 1, position_volume: 1, position_side: 'buy' });
    expect(w.commands('S1', 'open')).toHaveLength(1);
    expect(w.lines(/^SKIP master M1 is close-only: deal \d+ \(in buy 1 EURUSD\) not copied$/)).toHaveLength(1);
    expect(w.lastTrade('S1', '600')).toMatchObject({ status: 'refused', reason: 'master M1 is close-only' });
    w.msg('M1', { type: 'position', position: '500', symbol: 'EURUSD', side: 'buy', volume: 1, sl: 1.05, tp: 0 });
    expect(w.commands('S1', 'modify')).toHaveLength(1);
    w.deal({ position: '500', side: 'sell', entry: 'out', volume: 0.5, position_volume: 0.5, position_side: 'buy' });
    expect(w.commands('S1', 'close')).toEqual([expect.objectContaining({ ticket: '9001', volume: 0.5 })]);
  });

  it('a close-only slave takes no new copy, and its copies are closed to the end', () => {
    const w = start({ accounts: [M1, S1] });
    w.connect('M1');
    w.connect('S1');
    copied(w);
    w.engine.setAccounts([M1, { ...S1, close_only: true }]);
    w.deal({ position: '600', side: 'buy', entry: 'in', volume: 1, position_volume: 1, position_side: 'buy' });
    expect(w.lines(/^REFUSE open M1#600 buy 1 EURUSD -> S1: slave S1 is close-only: it takes no new copies$/)).toHaveLength(1);
    w.deal({ position: '500', side: 'sell', entry: 'out', volume: 1, position_volume: 0, position_side: 'buy' });
    expect(w.commands('S1', 'close')).toEqual([expect.objectContaining({ ticket: '9001', volume: 1 })]);
    expect(w.commands('S1', 'open')).toHaveLength(1);
  });
});
