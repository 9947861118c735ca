/** A copy's volume against its master position: rapid partial closes, close-by accounting, copies split over several slave positions. */
import type { Account } from '../../../hub/accounts';
import { makeConfig } from '../../../hub/config';
import { Engine } from '../../../hub/engine';
import { copyComment } from '../../../hub/engine/tag';
import { memoryLogger } from '../../../hub/log';
import type { Body, HubMessage, Position, TerminalMessage } from '../../../hub/protocol';
import { fx } from './harness';

const T0 = 1_700_000_000_000;
const M1: Account = { name: 'M1', type: 'MASTER', enabled: true };
const S1: Account = { name: 'S1', type: 'SLAVE', enabled: true, suffix: '.c' };
const S2: Account = { name: 'S2', type: 'SLAVE', enabled: true, volume_mode: 'multiplier', volume_multiplier: 0.5 };

/** An engine with M1, S1 (1:1) and S2 (x0.5) connected, all hedging, and a hand-driven clock. */
function world() {
  const clock = { now: T0 };
  const sent: { to: string; body: Body<HubMessage> }[] = [];
  const log = memoryLogger('debug');
  const config = makeConfig({ store: 'memory', commandTtlMs: 5000, resendMs: 500, heartbeatMs: 1000, reconcileMs: 1000 });
  const engine = new Engine({ config, send: (to, body) => sent.push({ to, body }), ledger: { trade: () => undefined, event: () => undefined }, log, now: () => clock.now });
  engine.setAccounts([M1, S1, S2]);
  let seq = 0;
  const msg = (account: string, body: Record<string, unknown>) => engine.handle({ v: 1, account, seq: ++seq, ts: clock.now, ...body } as TerminalMessage, clock.now);
  for (const name of ['M1', 'S1', 'S2']) {
    msg(name, { type: 'hello', login: 1, server: 'x', broker: 'b', currency: 'USD', margin_mode: 'hedging', ea_version: '1' });
    msg(name, { type: 'symbols', replace: true, symbols: [fx(name === 'S1' ? 'EURUSD.c' : 'EURUSD')] });
  }
  const w = {
    engine, clock, log, msg,
    deal: (fields: Record<string, unknown>) =>
      msg('M1', { type: 'deal', deal: String(++seq), order: '1', symbol: 'EURUSD', price: 1.1, magic: 0, comment: '', reason: 'client', time_ms: clock.now, sl: 0, tp: 0, ...fields }),
    result: (account: string, cmd: Record<string, any>, fields: Record<string, unknown> = {}) =>
      msg(account, { type: 'result', cmd_id: cmd.cmd_id, retcode: 10009, message: 'done', status: 'done', ...fields }),
    snapshot: (name: string, positions: Position[]) => msg(name, { type: 'snapshot', positions }),
    commands: (to: string, type?: string) => sent.filter((s) => s.to === to && (!type || s.body.type === type)).map((s) => s.body as Record<string, any>),
    /** Lets convergence run over everything (reconcileMs later). */
    tick: () => {
      clock.now += 1500;
      engine.tick(clock.now);
    },
  };
  return w;
}

const master = (position: string, extra: Partial<Position> = {}): Position => ({
  ticket: position, position, symbol: 'EURUSD', side: 'buy', volume: 1, price_open: 1.1, sl: 0, tp: 0, magic: 0, comment: '', time_ms: T0, ...extra,
});
const copyOf = (ticket: string, masterPosition: string, extra: Partial<Position> = {}): Position =>
  master(ticket, { symbol: 'EURUSD.c', magic: 20250, comment: copyComment('M1', masterPosition), ...extra });
const sum = (xs: Record<string, any>[]) => Number(xs.reduce((s, x) => s + (x.volume as number), 0).toFixed(8));


/** M1 buys 0.2 (#500) and sells 0.6 (#501), both copied 1:1 to S1 (9001, 9002), then closes #500 by #501. */
function closeByPair(w: ReturnType<typeof world>): void {
    w.deal({ position: '500', side: 'buy', entry: 'in', volume: 0.2, position_volume: 0.2, position_side: 'buy' });
    w.deal({ position: '501', side: 'sell', entry: 'in', volume: 0.6, position_volume: 0.6, position_side: 'sell' });
    const [a, b] = w.commands('S1', 'open');
    w.result('S1', a, { ticket: '9001', position: '9001', volume: 0.2, price: 1.1 });
    w.result('S1', b, { ticket: '9002', position: '9002', volume: 0.6, price: 1.1 });
    w.deal({ position: '500', position_by: '501', side: 'sell', entry: 'out_by', volume: 0.2, position_volume: 0, position_side: 'buy' });
    w.deal({ position: '501', position_by: '500', side: 'buy', entry: 'out_by', volume: 0.2, position_volume: 0.4, position_side: 'sell' });
}

describe('rapid partial closes', () => {
  it('close the proportional share in total when the deals come before the closes results', () => {
    const w = world();
    w.deal({ position: '500', side: 'buy', entry: 'in', volume: 1, position_volume: 1, position_side: 'buy' });
    w.result('S1', w.commands('S1', 'open')[0], { ticket: '9001', position: '9001', volume: 1, price: 1.1 });
    w.result('S2', w.commands('S2', 'open')[0], { ticket: '9101', position: '9101', volume: 0.5, price: 1.1 });
    for (const left of [0.8, 0.6, 0.4]) {
      w.clock.now += 5;
      w.deal({ position: '500', side: 'sell', entry: 'out', volume: 0.2, position_volume: left, position_side: 'buy' });
    }
    // Convergence and snapshots taken meanwhile (the slave has executed nothing yet) change nothing.
    w.snapshot('S1', [copyOf('9001', '500')]);
    w.snapshot('S2', [copyOf('9101', '500', { symbol: 'EURUSD', volume: 0.5 })]);
    w.engine.tick(w.clock.now + 100);
    expect(w.commands('S1', 'close').map((c) => c.volume)).toEqual([0.2, 0.2, 0.2]);
    expect(w.commands('S2', 'close').map((c) => c.volume)).toEqual([0.1, 0.1, 0.1]);
    expect(w.commands('S1', 'open')).toHaveLength(1);
    // The results, then convergence: nothing more is closed or opened.
    let left = 1;
    for (const c of w.commands('S1', 'close')) w.result('S1', c, { volume: 0.2, remaining_volume: (left = Number((left - 0.2).toFixed(2))) });
    left = 0.5;
    for (const c of w.commands('S2', 'close')) w.result('S2', c, { volume: 0.1, remaining_volume: (left = Number((left - 0.1).toFixed(2))) });
    w.snapshot('M1', [master('500', { volume: 0.4 })]);
    w.snapshot('S1', [copyOf('9001', '500', { volume: 0.4 })]);
    w.snapshot('S2', [copyOf('9101', '500', { symbol: 'EURUSD', volume: 0.2 })]);
    w.tick();
    expect(sum(w.commands('S1', 'close'))).toBe(0.6);
    expect(sum(w.commands('S2', 'close'))).toBe(0.3);
    expect(w.commands('S1', 'open')).toHaveLength(1);
    expect(w.commands('S2', 'open')).toHaveLength(1);
  });
  it('close the proportional share when results and snapshots come between the deals, or the open was still in flight', () => {
    const w = world();
    w.deal({ position: '500', side: 'buy', entry: 'in', volume: 1, position_volume: 1, position_side: 'buy' });
    w.result('S2', w.commands('S2', 'open')[0], { ticket: '9101', position: '9101', volume: 0.5, price: 1.1 });
    w.deal({ position: '500', side: 'sell', entry: 'out', volume: 0.2, position_volume: 0.8, position_side: 'buy' });
    w.deal({ position: '500', side: 'sell', entry: 'out', volume: 0.2, position_volume: 0.6, position_side: 'buy' });
    w.result('S2', w.commands('S2', 'close')[0], { volume: 0.1, remaining_volume: 0.4 });
    w.snapshot('S2', [copyOf('9101', '500', { symbol: 'EURUSD', volume: 0.4 })]);
    w.deal({ position: '500', side: 'sell', entry: 'out', volume: 0.2, position_volume: 0.4, position_side: 'buy' });
    // S1's open comes back only now: it closes what the master closed meanwhile, once.
    w.result('S1', w.commands('S1', 'open')[0], { ticket: '9001', position: '9001', volume: 1, price: 1.1 });
    w.engine.tick(w.clock.now + 100);
    expect(w.commands('S1', 'close').map((c) => c.volume)).toEqual([0.6]);
    expect(w.commands('S2', 'close').map((c) => c.volume)).toEqual([0.1, 0.1, 0.1]);
  });
});

describe('close-by on a hedging slave', () => {
  /** S1 holds a stale 0.4 lot copy of M1#500 (found after a restart; the master has 0.2), and 0.6 of M1#501. */
  function stale() {
    const w = world();
    w.snapshot('S1', [copyOf('9001', '500', { volume: 0.4 })]);
    w.deal({ position: '501', side: 'sell', entry: 'in', volume: 0.6, position_volume: 0.6, position_side: 'sell' });
    w.result('S1', w.commands('S1', 'open')[0], { ticket: '9002', position: '9002', volume: 0.6, price: 1.1 });
    w.result('S2', w.commands('S2', 'open')[0], { ticket: '9102', position: '9102', volume: 0.3, price: 1.1 });
    w.deal({ position: '500', position_by: '501', side: 'sell', entry: 'out_by', volume: 0.2, position_volume: 0, position_side: 'buy' });
    w.deal({ position: '501', position_by: '500', side: 'buy', entry: 'out_by', volume: 0.2, position_volume: 0.4, position_side: 'sell' });
    return w;
  }

  it('closes each copy its own share when a close_by would close more than the master did', () => {
    const w = stale();
    expect(w.commands('S1', 'close_by')).toHaveLength(0);
    expect(w.commands('S1', 'close').map((c) => [c.ticket, c.volume])).toEqual([['9001', 0.4], ['9002', 0.2]]);
  });

  it('never adds a second position to a copy whose hedging master did not grow, and does not oscillate', () => {
    const w = world();
    closeByPair(w);
    // The slave's 9001 held more than the hub knew: its close_by took 0.4 lots from 9002.
    w.result('S1', w.commands('S1', 'close_by')[0], { volume: 0.4, remaining_volume: 0 });
    w.snapshot('M1', [master('501', { side: 'sell', volume: 0.4 })]);
    for (let i = 0; i < 5; i++) {
      w.snapshot('S1', [copyOf('9002', '501', { side: 'sell', volume: 0.2 })]);
      w.tick();
    }
    expect(w.commands('S1', 'open')).toHaveLength(2);
    expect(w.commands('S1', 'close')).toHaveLength(0);
    expect(w.log.lines.filter((l) => /^SKIP reconcile: M1#501 holds 0.4 lots; S1 ticket 9002 holds 0.2, target 0.4: 0.2 lots not added, the master did not grow past the 0.4 lots the copy stands for$/.test(l.message))).toHaveLength(1);
  });

  it('takes what the slave closed from both copies, and a snapshot taken meanwhile changes nothing', () => {
    const w = world();
    closeByPair(w);
    const [cb] = w.commands('S1', 'close_by');
    expect(cb).toMatchObject({ ticket: '9001', ticket_by: '9002' });
    // The slave's deals and snapshot come before the result.
    w.msg('S1', { type: 'deal', deal: 'd1', order: '1', position: '9002', position_by: '9001', symbol: 'EURUSD.c', side: 'buy', entry: 'out_by', volume: 0.2, price: 1.1, magic: 20250, comment: copyComment('M1', '501'), reason: 'expert', time_ms: w.clock.now, position_volume: 0.4, position_side: 'sell' });
    w.snapshot('S1', [copyOf('9002', '501', { side: 'sell', volume: 0.4 })]);
    w.result('S1', cb, { volume: 0.2, remaining_volume: 0 });
    expect(w.engine.status().copies.find((c) => c.slave === 'S1' && c.masterPosition === '501')).toMatchObject({ volume: 0.4 });
    w.snapshot('M1', [master('501', { side: 'sell', volume: 0.4 })]);
    w.snapshot('S1', [copyOf('9002', '501', { side: 'sell', volume: 0.4 })]);
    w.tick();
    expect(w.engine.status().copies.filter((c) => c.slave === 'S1').map((c) => [c.masterPosition, c.status, c.volume])).toEqual([['500', 'closed', 0], ['501', 'open', 0.4]]);
    expect(w.commands('S1', 'open')).toHaveLength(2);
    expect(w.commands('S1', 'close')).toHaveLength(0);
  });
});

describe('a copy split over several positions on a hedging slave', () => {
  it('keeps its first ticket after an add, and counts every position', () => {
    const w = world();
    w.deal({ position: '500', side: 'buy', entry: 'in', volume: 0.4, position_volume: 0.4, position_side: 'buy' });
    w.result('S1', w.commands('S1', 'open')[0], { ticket: '9001', position: '9001', volume: 0.4, price: 1.1 });
    // A netting master's add: a second slave position with the same comment.
    w.deal({ position: '500', side: 'buy', entry: 'in', volume: 0.2, position_volume: 0.6, position_side: 'buy' });
    w.result('S1', w.commands('S1', 'open')[1], { ticket: '9005', position: '9005', volume: 0.2, price: 1.1 });
    w.deal({ position: '500', side: 'sell', entry: 'out', volume: 0.3, position_volume: 0.3, position_side: 'buy' });
    const close = w.commands('S1', 'close');
    expect(close.map((c) => [c.ticket, c.volume])).toEqual([['9001', 0.3]]);
    w.result('S1', close[0], { volume: 0.3, remaining_volume: 0.1 });
    w.snapshot('M1', [master('500', { volume: 0.3 })]);
    for (let i = 0; i < 3; i++) {
      w.snapshot('S1', [copyOf('9001', '500', { volume: 0.1 }), copyOf('9005', '500', { volume: 0.2 })]);
      w.tick();
    }
    expect(w.engine.status().copies.find((c) => c.slave === 'S1')).toMatchObject({ volume: 0.3 });
    expect(w.commands('S1', 'open')).toHaveLength(2);
    expect(w.commands('S1', 'close')).toHaveLength(1);
  });
});
