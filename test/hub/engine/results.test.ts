import type { Account } from '../../../hub/accounts';
import { copyKey } from '../../../hub/engine/copies';
import { Decisions } from '../../../hub/engine/decisions';
import { PendingCopies } from '../../../hub/engine/pending';
import { Results, succeeded } from '../../../hub/engine/results';
import type { ResultMsg } from '../../../hub/protocol';
import { connected, fx } from './harness';

const M1: Account = { name: 'M1', type: 'MASTER', enabled: true };
const S1: Account = { name: 'S1', type: 'SLAVE', enabled: true, suffix: '.c', slippage_tolerance: 20 };

function world() {
  const h = connected({ accounts: [M1, S1] });
  const decisions = new Decisions(h.parts);
  const results = new Results({ ...h.parts, decisions, pending: new PendingCopies({ ...h.parts, decisions }) });
  const deal = (fields: Parameters<typeof h.deal>[0]) => decisions.onMasterDeal(M1, h.deal(fields), h.clock.now);
  const open = (position = '500', side: 'buy' | 'sell' = 'buy', volume = 1) => deal({ position, side, entry: 'in', volume, position_volume: volume, position_side: side });
  const result = (cmd: Record<string, any>, fields: Partial<ResultMsg> & Pick<ResultMsg, 'status'>, from = 'S1') =>
    results.onResult(from, h.message(from, { type: 'result', cmd_id: cmd.cmd_id, retcode: 10009, message: 'done', ...fields }), h.clock.now);
  const copy = (position = '500') => h.parts.copies.get(copyKey('M1', position, 'S1'))!;
  const last = (type: string) => h.commands('S1', type).pop()!;
  /** An open copy with ticket 9001 and 1 lot. */
  const opened = (position = '500', side: 'buy' | 'sell' = 'buy', ticket = '9001') => {
    open(position, side);
    result(last('open'), { status: 'done', ticket, position: ticket, volume: 1, price: 1.1 });
    return copy(position);
  };
  return { h, results, deal, open, result, copy, last, opened };
}

describe('succeeded', () => {
  it('holds for done, partial and duplicate', () => {
    const all: ResultMsg['status'][] = ['done', 'partial', 'rejected', 'refused', 'duplicate', 'expired', 'placed'];
    expect(all.filter((status) => succeeded({ status }))).toEqual(['done', 'partial', 'duplicate']);
  });
});

describe('Results', () => {
  it('opens the copy on a done open: ticket, volume, price, slippage and latency', () => {
    const w = world();
    w.open();
    w.h.advance(7);
    w.result(w.last('open'), { status: 'done', ticket: '9001', position: '9002', volume: 1, price: 1.10005 });
    expect(w.copy()).toMatchObject({ status: 'open', ticket: '9001', position: '9002', volume: 1, openPrice: 1.10005 });
    expect(w.copy().inflight.size).toBe(0);
    expect(w.h.parts.copies.bySlaveTicket('S1', '9002')).toBe(w.copy());
    expect(w.h.lastTrade('S1')).toMatchObject({ status: 'open', slave_ticket: '9001', volume: 1, remaining_volume: 1, open_price: 1.10005, slippage_points: 5, latency_ms: 7, reason: '' });
    expect(w.h.parts.stats).toMatchObject({ results: 1, lastLatencyMs: 7 });
    expect(w.h.lines(/^result done open M1#500 -> S1: done \(retcode 10009, ticket 9001, 7 ms\)$/)).toHaveLength(1);
  });

  it('keeps a placed open pending, without re-sending it, until its final result', () => {
    const w = world();
    w.open();
    const cmd = w.last('open');
    w.result(cmd, { status: 'placed', retcode: 10008, message: 'order #77 placed: in progress' });
    expect(w.copy()).toMatchObject({ status: 'pending' });
    expect(w.copy().inflight.has(cmd.cmd_id)).toBe(true);
    expect(w.h.lines(/^result placed open M1#500 -> S1: order #77 placed: in progress \(retcode 10008\); waiting for the fill$/)).toHaveLength(1);
    const sent = w.h.commands('S1', 'open').length;
    w.h.advance(2000);
    w.h.parts.commands.tick(w.h.clock.now);
    expect(w.h.commands('S1', 'open')).toHaveLength(sent);
    w.result(cmd, { status: 'done', ticket: '9001', position: '9001', volume: 1, price: 1.1 });
    expect(w.copy()).toMatchObject({ status: 'open', ticket: '9001', volume: 1 });
    expect(w.copy().inflight.size).toBe(0);
  });

  it('marks a refused open and counts it; a duplicate is an open copy', () => {
    const w = world();
    w.open('500');
    w.result(w.last('open'), { status: 'refused', retcode: 0, message: 'algo trading off' });
    expect(w.copy('500').status).toBe('refused');
    expect(w.h.lastTrade('S1')).toMatchObject({ status: 'refused', reason: 'algo trading off (retcode 0)' });
    expect(w.h.parts.stats.refusals).toBe(1);
    expect(w.h.lines(/^result refused open M1#500 -> S1: algo trading off \(retcode 0\)$/)).toEqual([expect.objectContaining({ level: 'warn' })]);
    w.open('501');
    w.result(w.last('open'), { status: 'duplicate', ticket: '9003' });
    expect(w.copy('501')).toMatchObject({ status: 'open', ticket: '9003', volume: 1 });
    expect(w.h.lastTrade('S1')).toMatchObject({ reason: 'already copied (duplicate)' });
  });

  it('adds a done increase to the copy and ignores a failed one', () => {
    const w = world();
    const c = w.opened();
    w.deal({ position: '500', side: 'buy', entry: 'in', volume: 0.3, position_volume: 1.3, position_side: 'buy' });
    const add = w.last('open');
    w.result(add, { status: 'rejected', retcode: 10006, message: 'no' });
    expect(c).toMatchObject({ status: 'open', volume: 1 });
    w.deal({ position: '500', side: 'buy', entry: 'in', volume: 0.1, position_volume: 1.4, position_side: 'buy' });
    w.result(w.last('open'), { status: 'done', volume: 0.1, price: 1.3 });
    expect(c).toMatchObject({ status: 'open', volume: 1.1, openPrice: 1.1 });
    expect(w.h.lastTrade('S1')).not.toHaveProperty('open_price');
  });

  it('closes a netting copy down to its target when the master added and partially closed while the open was in flight (chaos seed 775483)', () => {
    const w = world();
    w.h.connect('S1', { margin_mode: 'netting', symbols: [fx('EURUSD.c')] });
    w.open('500', 'sell', 0.4);
    w.deal({ position: '500', side: 'sell', entry: 'in', volume: 0.6, position_volume: 1, position_side: 'sell' });
    w.deal({ position: '500', side: 'buy', entry: 'out', volume: 0.8, position_volume: 0.2, position_side: 'sell' });
    // The add and the close wait for the open's result; then only what is due goes.
    const [open, ...more] = w.h.commands('S1', 'open');
    expect(more).toEqual([]);
    w.result(open, { status: 'done', ticket: '9001', position: '9001', volume: 0.4, price: 1.1 });
    const closes = w.h.commands('S1', 'close');
    expect(closes.map((c) => c.volume)).toEqual([0.2]);
    for (const c of closes) w.result(c, { status: 'done', volume: c.volume });
    expect(w.copy()).toMatchObject({ status: 'open', volume: 0.2, masterVolume: 0.2 });
    expect(w.h.commands('S1', 'open')).toHaveLength(1);
  });

  it('sends an add only once the open is confirmed, so a re-sent open answered with the whole position is not counted twice (chaos seed 7701)', () => {
    const w = world();
    w.h.connect('S1', { margin_mode: 'netting', symbols: [fx('EURUSD.c')] });
    w.open('500', 'sell', 0.6);
    w.deal({ position: '500', side: 'sell', entry: 'in', volume: 0.6, position_volume: 1.2, position_side: 'sell' });
    expect(w.h.commands('S1', 'open')).toHaveLength(1);
    expect(w.h.lines(/^DEFER add to M1#500 sell 0.6 EURUSD -> S1: open still in flight; the add follows its result$/)).toHaveLength(1);
    // The open's result was lost; its re-send is answered with the copy as it stands.
    w.result(w.h.commands('S1', 'open')[0], { status: 'duplicate', ticket: '9001', position: '9001', volume: 0.6, price: 1.1 });
    const add = w.h.commands('S1', 'open')[1];
    expect(add).toMatchObject({ volume: 0.6, increase: true });
    expect(w.h.lines(/^COPY master added while the copy was opening: M1#500 sell 1.2 EURUSD -> S1/)).toHaveLength(1);
    w.result(add, { status: 'done', ticket: '9001', position: '9001', volume: 0.6, price: 1.1 });
    expect(w.copy()).toMatchObject({ status: 'open', volume: 1.2, masterVolume: 1.2 });
  });

  it('reverses a netting copy only once nothing is in flight: the whole buy side closes, then the sell opens (EA live seed 23)', () => {
    const w = world();
    w.h.connect('S1', { margin_mode: 'netting', symbols: [fx('EURUSD.c')] });
    w.open('500', 'buy', 1);
    w.deal({ position: '500', side: 'buy', entry: 'in', volume: 0.5, position_volume: 1.5, position_side: 'buy' });
    w.result(w.last('open'), { status: 'done', ticket: '9001', position: '9001', volume: 1, price: 1.1 });
    const add = w.last('open');
    expect(add).toMatchObject({ volume: 0.5, increase: true });
    // The master partly closes and reverses while the add is on its way: nothing goes yet.
    w.deal({ position: '500', side: 'sell', entry: 'out', volume: 0.4, position_volume: 1.1, position_side: 'buy' });
    w.deal({ position: '500', side: 'sell', entry: 'inout', volume: 2, position_volume: 0.9, position_side: 'sell' });
    expect(w.h.lines(/^DEFER master reversed M1#500 to sell 0.9: S1 has a command in flight; the reversal follows its result$/)).toHaveLength(1);
    const closes = w.h.commands('S1', 'close');
    for (const c of closes) w.result(c, { status: 'done', volume: c.volume });
    w.result(add, { status: 'done', ticket: '9001', position: '9001', volume: 0.5, price: 1.1 });
    // Now the reversal: all that is left of the buy copy closes, then the sell side opens.
    const reversal = w.last('close');
    expect(reversal.volume).toBeCloseTo(1.5 - closes.reduce((n, c) => n + c.volume, 0), 8);
    w.result(reversal, { status: 'done', volume: reversal.volume, remaining_volume: 0 });
    expect(w.last('open')).toMatchObject({ side: 'sell', volume: 0.9 });
    expect(w.h.commands('S1', 'open').filter((o) => o.side === 'sell')).toHaveLength(1);
  });

  it('applies a close: what remains, or closed; and then sends what waited for it', () => {
    const w = world();
    const c = w.opened();
    w.deal({ position: '500', side: 'sell', entry: 'out', volume: 0.3, position_volume: 0.7, position_side: 'buy' });
    w.result(w.last('close'), { status: 'partial', volume: 0.3 });
    expect(c.volume).toBe(0.7);
    expect(w.h.lastTrade('S1')).toMatchObject({ remaining_volume: 0.7 });
    w.deal({ position: '500', side: 'sell', entry: 'inout', volume: 1.2, position_volume: 0.5, position_side: 'sell' });
    w.result(w.last('close'), { status: 'done', remaining_volume: 0, price: 1.2 });
    expect(w.h.trades.filter((u) => u.set.status === 'closed').pop()!.set).toMatchObject({ remaining_volume: 0, close_price: 1.2 });
    // The reversal's open followed the close.
    expect(w.last('open')).toMatchObject({ side: 'sell', volume: 0.5 });
  });

  it('keeps the copy when a close fails, noting why', () => {
    const w = world();
    const c = w.opened();
    w.deal({ position: '500', side: 'sell', entry: 'out', volume: 1, position_volume: 0, position_side: 'buy' });
    w.result(w.last('close'), { status: 'rejected', retcode: 10018, message: 'market closed' });
    expect(c).toMatchObject({ status: 'open', volume: 1 });
    expect(w.h.lastTrade('S1')).toMatchObject({ reason: 'close failed: market closed (retcode 10018); the next snapshot reconciles it' });
  });

  const closeBy = () => {
    const w = world();
    const a = w.opened('500', 'buy', '9001');
    const b = w.opened('501', 'sell', '9002');
    for (const [position, by, side] of [['500', '501', 'buy'], ['501', '500', 'sell']] as const) {
      w.deal({ position, position_by: by, side: side === 'buy' ? 'sell' : 'buy', entry: 'out_by', volume: 1, position_volume: 0, position_side: side });
    }
    return { w, a, b, cmd: w.last('close_by') };
  };

  it('closes both copies on a done close_by', () => {
    const { w, a, b, cmd } = closeBy();
    w.result(cmd, { status: 'done' });
    expect([a.status, b.status, a.volume, b.volume, a.closeBy, b.closeBy]).toEqual(['closed', 'closed', 0, 0, undefined, undefined]);
    expect(w.h.trades.filter((u) => u.set.reason === 'closed by opposite copy')).toHaveLength(2);
  });

  it('closes each copy on its own after a failed or partial close_by', () => {
    for (const status of ['rejected', 'partial'] as const) {
      const { w, a, cmd } = closeBy();
      w.result(cmd, { status });
      expect(w.h.commands('S1', 'close').map((c) => c.ticket)).toEqual(['9001', '9002']);
      expect(a.status).toBe('open');
      expect(w.h.lines(/close_by failed on S1; closing each copy on its own/)).toHaveLength(1);
    }
  });

  it('sets SL/TP from a done modify only', () => {
    const w = world();
    const c = w.opened();
    const m = { v: 1 as const, account: 'M1', seq: 0, ts: 0, type: 'position' as const, position: '500', symbol: 'EURUSD', side: 'buy' as const, volume: 1 };
    new Decisions(w.h.parts).onMasterPosition(M1, { ...m, sl: 1.05, tp: 0 }, w.h.clock.now);
    w.result(w.last('modify'), { status: 'rejected', retcode: 10016, message: 'invalid stops' });
    expect([c.sl, c.tp]).toEqual([0, 0]);
    new Decisions(w.h.parts).onMasterPosition(M1, { ...m, sl: 1.06, tp: 0 }, w.h.clock.now);
    w.result(w.last('modify'), { status: 'done' });
    expect([c.sl, c.tp]).toEqual([1.06, 0]);
  });

  it('ignores a result from another terminal than the one the command went to, and one for no known command', () => {
    const w = world();
    w.h.connect('S2', { symbols: [fx('EURUSD')] });
    w.open();
    const cmd = w.last('open');
    w.result(cmd, { status: 'done', ticket: '1' }, 'S2');
    expect(w.copy().status).toBe('pending');
    expect(w.h.lines(/came from S2, but it was sent to S1; ignored/)).toHaveLength(1);
    w.result({ cmd_id: 'nope' }, { status: 'done' });
    expect(w.h.lines(/result for unknown or finished command nope from S1 \(done\)/)).toHaveLength(1);
    expect(w.h.events.filter((e) => e.kind === 'result')).toHaveLength(2);
    // The command is still in flight for S1's own answer.
    w.result(cmd, { status: 'done', ticket: '9001' });
    expect(w.copy().status).toBe('open');
  });

  it("writes the slave's symbol when an add's result reaches a record a refusal replaced (the record named the master's)", () => {
    const w = world();
    const c = w.opened();
    w.deal({ position: '500', side: 'buy', entry: 'in', volume: 0.5, position_volume: 1.5, position_side: 'buy' });
    const add = w.last('open');
    expect(add).toMatchObject({ symbol: 'EURUSD.c', increase: true });
    // As a refusal of a reversal's new side does: the record names the master's symbol.
    c.symbol = 'EURUSD';
    w.result(add, { status: 'done', ticket: '9001', position: '9001', volume: 0.5, price: 1.1 });
    expect(c.symbol).toBe('EURUSD.c');
    expect(w.h.lastTrade('S1')).toMatchObject({ status: 'open', symbol: 'EURUSD.c' });
  });
});
