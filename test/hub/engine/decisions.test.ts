import type { Account } from '../../../hub/accounts';
import { copyKey, type Copy } from '../../../hub/engine/copies';
import { Decisions } from '../../../hub/engine/decisions';
import type { DealMsg } from '../../../hub/protocol';
import { connected, fx } from './harness';

const M1: Account = { name: 'M1', type: 'MASTER', enabled: true };
const S1: Account = { name: 'S1', type: 'SLAVE', enabled: true, suffix: '.c', slippage_tolerance: 20 };
const S2: Account = { name: 'S2', type: 'SLAVE', enabled: true, volume_mode: 'multiplier', volume_multiplier: 0.5 };

function world(accounts: Account[] = [M1, S1, S2]) {
  const h = connected({ accounts });
  const decisions = new Decisions(h.parts);
  const deal = (fields: Parameters<typeof h.deal>[0], master = M1) => {
    const d = h.deal(fields);
    h.parts.journal.fanOut(() => decisions.onMasterDeal(master, d, h.clock.now));
    return d;
  };
  const open = (position = '500', side: 'buy' | 'sell' = 'buy', volume = 1, extra: Partial<DealMsg> = {}) =>
    deal({ position, side, entry: 'in', volume, position_volume: volume, position_side: side, ...extra });
  const copy = (slave: string, position = '500') => h.parts.copies.get(copyKey('M1', position, slave))!;
  /** The slave's result for the copy's open, as the results module applies it. */
  const confirm = (c: Copy, ticket: string, volume = c.masterVolume) => {
    Object.assign(c, { status: 'open', ticket, position: ticket, volume });
    c.inflight.clear();
    h.parts.copies.indexTicket(c);
  };
  return { h, decisions, deal, open, copy, confirm };
}

describe('Decisions: open', () => {
  it('sends each follower an open with its symbol, lots and SL/TP at its digits, and records a pending copy', () => {
    const w = world();
    w.open('500', 'buy', 1, { sl: 1.0912345, tp: 1.2 });
    expect(w.h.commands('S1', 'open')).toEqual([
      expect.objectContaining({ symbol: 'EURUSD.c', side: 'buy', volume: 1, price: 1.1, sl: 1.09123, tp: 1.2, max_deviation_points: 20, magic: 20250, master: 'M1', master_position: '500' }),
    ]);
    expect(w.h.commands('S2', 'open')).toEqual([expect.objectContaining({ symbol: 'EURUSD', volume: 0.5, sl: 1.0912, max_deviation_points: 30 })]);
    expect(w.copy('S1')).toMatchObject({ status: 'pending', symbol: 'EURUSD.c', masterSymbol: 'EURUSD', volume: 0, sl: 1.09123 });
    expect(w.h.lastTrade('S1')).toMatchObject({ status: 'pending', symbol: 'EURUSD.c', master_volume: 1, volume: 1, master_price: 1.1, reason: '' });
    expect(w.h.lines(/^COPY open M1#500 buy 1 EURUSD -> S2 EURUSD 0.5 lots \(exact, x0.5; no slave quote yet/)).toHaveLength(1);
    expect(w.h.parts.stats.decisions).toBe(2);
  });

  it('records a refusal as a refused copy, with no command', () => {
    const w = world([M1, S1, { ...S2, enabled: false }]);
    w.open();
    expect(w.h.commands('S2', 'open')).toHaveLength(0);
    expect(w.copy('S2')).toMatchObject({ status: 'refused', symbol: 'EURUSD', volume: 0 });
    expect(w.h.lastTrade('S2')).toMatchObject({ status: 'refused', reason: 'slave S2 is disabled' });
    expect(w.h.lines(/^REFUSE open M1#500 buy 1 EURUSD -> S2: slave S2 is disabled$/)).toEqual([expect.objectContaining({ level: 'warn' })]);
    expect(w.h.parts.stats.refusals).toBe(1);
  });

  it('queues the open of an offline slave, and says so', () => {
    const w = world();
    w.h.advance(3500);
    w.h.parts.sessions.checkSilence(w.h.clock.now);
    w.open();
    expect(w.h.commands('S1', 'open')).toHaveLength(1);
    expect(w.h.lines(/-> S1 EURUSD.c 1 lots .*; S1 offline, queued until 5000 ms expiry$/)).toHaveLength(1);
  });

  it('refuses an opposite copy on a netting slave, but lets a hedging one take both', () => {
    const w = world();
    w.h.connect('S1', { margin_mode: 'netting' });
    w.open('500', 'buy');
    w.open('501', 'sell', 0.4);
    expect(w.h.commands('S1', 'open')).toHaveLength(1);
    expect(w.h.lastTrade('S1')).toMatchObject({ status: 'refused', reason: 'S1 is a netting account and already holds a buy copy of M1#500 on EURUSD.c; an opposite copy would net it away' });
    expect(w.h.commands('S2', 'open')).toHaveLength(2);
  });

  it('ignores a deal it has seen, and copies no new position of a disabled master (but tracks it)', () => {
    const w = world();
    const d = w.open();
    w.h.parts.journal.fanOut(() => w.decisions.onMasterDeal(M1, d, w.h.clock.now));
    expect(w.h.commands('S1', 'open')).toHaveLength(1);
    expect(w.h.lines(/already handled/)).toHaveLength(1);
    w.deal({ position: '600', side: 'buy', entry: 'in', volume: 1, position_volume: 1 }, { ...M1, enabled: false });
    expect(w.h.commands('S1', 'open')).toHaveLength(1);
    expect(w.h.parts.masters.get('M1', '600')!.open).toBe(true);
    expect(w.copy('S1', '600')).toMatchObject({ status: 'refused' });
    expect(w.h.lastTrade('S2')).toMatchObject({ status: 'refused', reason: 'master M1 is disabled' });
    expect(w.h.lines(/^SKIP master M1 is disabled: deal \d+ \(in buy 1 EURUSD\) not copied$/)).toHaveLength(1);
  });
});

describe('Decisions: increase', () => {
  it("adds the deal's lots to live copies, at the deal's price", () => {
    const w = world();
    w.open();
    w.confirm(w.copy('S1'), '9001');
    w.confirm(w.copy('S2'), '7001', 0.5);
    w.deal({ position: '500', side: 'buy', entry: 'in', volume: 0.4, price: 1.2, position_volume: 1.4, position_side: 'buy' });
    expect(w.h.commands('S1', 'open')[1]).toMatchObject({ volume: 0.4, price: 1.2, increase: true, master_position: '500' });
    expect(w.h.commands('S2', 'open')[1]).toMatchObject({ volume: 0.2, increase: true });
    expect(w.h.lines(/^COPY add to M1#500 buy 0.4 EURUSD -> S1 EURUSD.c 0.4 lots/)).toHaveLength(1);
  });

  it('leaves the copy as it was when refused, and skips settled copies', () => {
    const w = world();
    w.open();
    const s1 = w.copy('S1');
    w.confirm(s1, '9001');
    w.copy('S2').status = 'closed';
    const trades = w.h.trades.length;
    w.h.parts.roster.set([M1, { ...S1, enabled: false }, S2]);
    w.deal({ position: '500', side: 'buy', entry: 'in', volume: 0.4, position_volume: 1.4, position_side: 'buy' });
    expect(w.h.sent.filter((s) => s.body.type === 'open')).toHaveLength(2);
    expect(w.h.lines(/^REFUSE add to M1#500 buy 0.4 EURUSD -> S1: slave S1 is disabled$/)).toHaveLength(1);
    expect(w.h.trades).toHaveLength(trades);
    expect(s1).toMatchObject({ status: 'open', volume: 1 });
  });
});

describe('Decisions: reduce', () => {
  it('closes the same share of each copy, all of it on a full close', () => {
    const w = world();
    w.open();
    w.confirm(w.copy('S1'), '9001');
    w.confirm(w.copy('S2'), '7001', 0.5);
    w.deal({ position: '500', side: 'sell', entry: 'out', volume: 0.4, position_volume: 0.6, position_side: 'buy' });
    expect(w.h.commands('S1', 'close')).toEqual([expect.objectContaining({ ticket: '9001', symbol: 'EURUSD.c', volume: 0.4 })]);
    expect(w.h.commands('S2', 'close')).toEqual([expect.objectContaining({ ticket: '7001', volume: 0.2 })]);
    expect(w.h.lines(/^CLOSE master partially closed \(client\): M1#500 -> S1 ticket 9001: close 0.4 of 1 lots$/)).toHaveLength(1);
    // The first close is done (its result applied): 0.6 left, nothing in flight.
    w.copy('S1').volume = 0.6;
    w.copy('S1').inflight.clear();
    w.deal({ position: '500', side: 'sell', entry: 'out', volume: 0.6, position_volume: 0, position_side: 'buy' });
    expect(w.h.lines(/-> S1 ticket 9001: close all 0.6 of 0.6 lots$/)).toHaveLength(1);
  });

  it('defers while the open is in flight, and skips a share below one volume step', () => {
    const w = world([M1, S1]);
    w.open();
    w.deal({ position: '500', side: 'sell', entry: 'out', volume: 0.5, position_volume: 0.5, position_side: 'buy' });
    expect(w.h.lines(/^DEFER master partially closed \(client\): M1#500 -> S1 open still in flight; close follows its result$/)).toHaveLength(1);
    w.confirm(w.copy('S1'), '9001', 0.01);
    w.deal({ position: '500', side: 'sell', entry: 'out', volume: 0.125, position_volume: 0.375, position_side: 'buy' });
    expect(w.h.commands('S1', 'close')).toHaveLength(0);
    expect(w.h.lines(/^SKIP .* 0.125 of 0.5 lots is less than one step of the 0.01 lot copy; nothing to close yet$/)).toHaveLength(1);
  });
});

describe('Decisions: close-by', () => {
  const pair = (margin_mode: 'hedging' | 'netting') => {
    const w = world([M1, S1]);
    w.h.connect('S1', { margin_mode, symbols: [fx('EURUSD.c')] });
    w.open('500', 'buy');
    w.open('501', 'sell');
    w.confirm(w.copy('S1', '500'), '9001');
    w.confirm(w.copy('S1', '501'), '9002');
    for (const [position, by, side] of [['500', '501', 'buy'], ['501', '500', 'sell']] as const) {
      w.deal({ position, position_by: by, side: side === 'buy' ? 'sell' : 'buy', entry: 'out_by', volume: 1, position_volume: 0, position_side: side });
    }
    return w;
  };

  it('mirrors the pair with one close_by on a hedging slave', () => {
    const w = pair('hedging');
    const [cb] = w.h.commands('S1', 'close_by');
    expect(w.h.commands('S1', 'close_by')).toEqual([expect.objectContaining({ ticket: '9001', ticket_by: '9002', master_position_by: '501' })]);
    expect([w.copy('S1', '500').closeBy, w.copy('S1', '501').closeBy]).toEqual([cb.cmd_id, cb.cmd_id]);
    expect(w.h.commands('S1', 'close')).toHaveLength(0);
    expect(w.h.parts.commands.lookup(cb.cmd_id)!.otherKey).toBe(copyKey('M1', '501', 'S1'));
  });

  it('declines copies on the same side, which close_by cannot pair', () => {
    const w = world([M1, S1]);
    w.open('500', 'buy');
    w.open('501', 'buy');
    w.confirm(w.copy('S1', '500'), '9001');
    w.confirm(w.copy('S1', '501'), '9002');
    const d = w.h.deal({ position: '500', position_by: '501', side: 'sell', entry: 'out_by', volume: 1, position_volume: 0, position_side: 'buy' });
    expect(w.decisions.closeBy(M1, w.copy('S1', '500'), d, w.h.clock.now)).toBe(false);
    expect(w.h.commands('S1', 'close_by')).toHaveLength(0);
  });

  it('closes each copy on its own where close_by cannot work', () => {
    const w = pair('netting');
    expect(w.h.commands('S1', 'close_by')).toHaveLength(0);
    expect(w.h.commands('S1', 'close').map((c) => c.ticket)).toEqual(['9001', '9002']);
    expect(w.h.lines(/^CLOSE master closed by opposite position: M1#500 -> S1 ticket 9001/)).toHaveLength(1);
  });
});

describe('Decisions: reversal', () => {
  it('closes the copy, then opens the new side once the close is done', () => {
    const w = world([M1, S1]);
    w.open();
    w.confirm(w.copy('S1'), '9001');
    w.deal({ position: '500', side: 'sell', entry: 'inout', volume: 1.5, position_volume: 0.5, position_side: 'sell' });
    const [close] = w.h.commands('S1', 'close');
    expect(close).toMatchObject({ ticket: '9001', volume: 1 });
    expect(w.h.lines(/^REVERSE master reversed M1#500 to sell 0.5: S1 closes ticket 9001 \(1 lots\), then opens the new side$/)).toHaveLength(1);
    expect(w.h.commands('S1', 'open')).toHaveLength(1);
    w.h.parts.commands.lookup(close.cmd_id)!.then!();
    expect(w.h.commands('S1', 'open')[1]).toMatchObject({ side: 'sell', volume: 0.5, master_position: '500' });
    expect(w.copy('S1')).toMatchObject({ status: 'pending', side: 'sell' });
  });

  it('skips a copy that holds nothing yet', () => {
    const w = world([M1, S1]);
    w.open();
    w.deal({ position: '500', side: 'sell', entry: 'inout', volume: 1.5, position_volume: 0.5, position_side: 'sell' });
    expect(w.h.commands('S1', 'close')).toHaveLength(0);
    expect(w.h.lines(/^SKIP master reversed M1#500; S1 copy is pending: no reversal$/)).toHaveLength(1);
  });
});

describe('Decisions: SL/TP and catching up', () => {
  const position = (sl: number, tp: number) => ({ v: 1 as const, account: 'M1', seq: 0, ts: 0, type: 'position' as const, position: '500', symbol: 'EURUSD', side: 'buy' as const, volume: 1, sl, tp });

  it('modifies open copies, and only retargets a copy whose open is in flight', () => {
    const w = world();
    w.open();
    w.confirm(w.copy('S1'), '9001');
    w.decisions.onMasterPosition(M1, position(1.0912345, 1.3), w.h.clock.now);
    expect(w.h.commands('S1', 'modify')).toEqual([expect.objectContaining({ ticket: '9001', sl: 1.09123, tp: 1.3 })]);
    expect(w.h.commands('S2', 'modify')).toHaveLength(0);
    expect(w.copy('S2')).toMatchObject({ sl: 1.0912, tp: 1.3 });
    w.decisions.onMasterPosition(M1, { ...position(0, 0), position: '999' }, w.h.clock.now);
    expect(w.h.lines(/position change for unknown master position M1#999/)).toHaveLength(1);
    // A disabled master's SL/TP changes are still mirrored on its copies.
    w.decisions.onMasterPosition({ ...M1, enabled: false }, position(1.05, 1.3), w.h.clock.now);
    expect(w.h.commands('S1', 'modify')).toHaveLength(2);
    expect(w.h.parts.masters.get('M1', '500')!.sl).toBe(1.05);
  });

  it('after an open is confirmed: closes it if the master closed, reduces it if the master reduced, and fixes SL/TP', () => {
    const w = world([M1, S1]);
    w.open('500');
    w.deal({ position: '500', side: 'sell', entry: 'out', volume: 1, position_volume: 0, position_side: 'buy' });
    w.confirm(w.copy('S1', '500'), '9001');
    w.decisions.catchUp(w.copy('S1', '500'), w.h.clock.now);
    expect(w.h.commands('S1', 'close')).toEqual([expect.objectContaining({ ticket: '9001', volume: 1 })]);
    expect(w.h.lines(/^CLOSE master M1#500 closed while the copy was opening: S1 closes ticket 9001$/)).toHaveLength(1);

    w.open('501');
    w.deal({ position: '501', side: 'sell', entry: 'out', volume: 0.5, position_volume: 0.5, position_side: 'buy' });
    w.h.parts.masters.applyPosition('M1', { ...position(1.05, 0), position: '501' });
    const c = w.copy('S1', '501');
    w.confirm(c, '9002', 1);
    w.decisions.catchUp(c, w.h.clock.now);
    expect(w.h.commands('S1', 'close')[1]).toMatchObject({ ticket: '9002', volume: 0.5 });
    expect(c.masterVolume).toBe(0.5);
    expect(w.h.commands('S1', 'modify')).toEqual([expect.objectContaining({ ticket: '9002', sl: 1.05, tp: 0 })]);
    expect(w.h.lines(/^MODIFY M1#501 SL\/TP changed while opening -> S1 ticket 9002: SL 1.05 TP 0$/)).toHaveLength(1);
  });

  it('closes only what no close in flight covers when the master closed while an add was in flight', () => {
    const w = world([M1, S1]);
    w.open('600', 'buy', 1);
    const c = w.copy('S1', '600');
    w.confirm(c, '9100', 1);
    w.deal({ position: '600', side: 'buy', entry: 'in', volume: 0.2, position_volume: 1.2, position_side: 'buy' });
    const add = w.h.commands('S1', 'open').pop()!;
    expect(add).toMatchObject({ volume: 0.2, increase: true });
    w.deal({ position: '600', side: 'sell', entry: 'out', volume: 1.2, position_volume: 0, position_side: 'buy' });
    expect(w.h.commands('S1', 'close')).toEqual([expect.objectContaining({ ticket: '9100', volume: 1 })]);
    // The add's result: the copy holds 1.2 lots, 1 of them already closing.
    c.volume = 1.2;
    c.inflight.delete(add.cmd_id as string);
    w.decisions.catchUp(c, w.h.clock.now);
    expect(w.h.commands('S1', 'close')).toEqual([expect.objectContaining({ volume: 1 }), expect.objectContaining({ ticket: '9100', volume: 0.2 })]);
    expect(w.h.lines(/^CLOSE master M1#600 closed while the copy was opening: S1 closes ticket 9100 \(0.2 of 1.2 lots; the rest is closing already\)$/)).toHaveLength(1);
  });
});
