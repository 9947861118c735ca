/** Copy policy in the engine's decisions: per-master overrides, reverse copies kept as they opened, SL/TP left to the slave, filtered lines. */
import type { Account } from '../../../hub/accounts';
import { copyKey, restoredCopy } from '../../../hub/engine/copies';
import { Decisions } from '../../../hub/engine/decisions';
import type { DealMsg } from '../../../hub/protocol';
import { connected } from './harness';

const M1: Account = { name: 'M1', type: 'MASTER', enabled: true };

function world(s1: Partial<Account>) {
  const accounts: Account[] = [M1, { name: 'M2', type: 'MASTER', enabled: true }, { name: 'S1', type: 'SLAVE', enabled: true, suffix: '.c', ...s1 }];
  const h = connected({ accounts });
  h.connect('M2', { symbols: [] });
  const decisions = new Decisions(h.parts);
  const open = (master: Account, position: string, side: 'buy' | 'sell', extra: Partial<DealMsg> = {}) => {
    const d = h.deal({ position, side, entry: 'in', volume: 1, position_volume: 1, position_side: side, sl: 1.09, tp: 1.12, ...extra }, master.name);
    h.parts.journal.fanOut(() => decisions.onMasterDeal(master, d, h.clock.now));
  };
  return { h, decisions, open, accounts };
}

describe('copy policy in the decisions', () => {
  it('uses the override of the master a position comes from', () => {
    const w = world({ volume_mode: 'multiplier', volume_multiplier: 0.5, masters: { M2: { volume_mode: 'fixed', volume_fixed: 0.2, reverse: true } } });
    w.open(M1, '1', 'buy');
    w.open({ name: 'M2', type: 'MASTER', enabled: true }, '2', 'buy');
    expect(w.h.commands('S1', 'open').map((c) => [c.master, c.side, c.volume, c.sl, c.tp])).toEqual([
      ['M1', 'buy', 0.5, 1.09, 1.12],
      ['M2', 'sell', 0.2, 1.12, 1.09],
    ]);
    expect(w.h.lines(/^COPY open M2#2 buy 1 EURUSD -> S1 sell \(reversed\) EURUSD.c 0.2 lots \(affix, fixed;/)).toHaveLength(1);
    expect(w.h.trades.find((t) => t.key.master_name === 'M2')?.set).toMatchObject({ direction: 'SELL', reversed: true });
  });

  it('keeps a reverse copy reversed after the setting changes, for its SL/TP changes and catch-up', () => {
    const w = world({ reverse: true });
    w.open(M1, '1', 'buy');
    const c = w.h.parts.copies.get(copyKey('M1', '1', 'S1'))!;
    expect(c).toMatchObject({ side: 'sell', reversed: true, sl: 1.12, tp: 1.09 });
    Object.assign(c, { status: 'open', ticket: '70', position: '70', volume: 1 });
    c.inflight.clear();
    w.h.parts.roster.set(w.accounts.map((a) => (a.name === 'S1' ? { ...a, reverse: false } : a)));
    const pos = w.h.message('M1', { type: 'position', position: '1', symbol: 'EURUSD', side: 'buy', volume: 1, sl: 1.085, tp: 1.13 });
    w.h.parts.journal.fanOut(() => w.decisions.onMasterPosition(M1, pos, w.h.clock.now));
    expect(w.h.commands('S1', 'modify')).toEqual([expect.objectContaining({ ticket: '70', sl: 1.13, tp: 1.085 })]);
    // The copy is on the side it should be: no reversal.
    w.decisions.catchUp(c, w.h.clock.now);
    expect(w.h.commands('S1', 'close')).toHaveLength(0);
  });

  it('opens without SL/TP and sends no modify when the slave keeps its own (sltp none)', () => {
    const w = world({ sltp: 'none' });
    w.open(M1, '1', 'buy');
    expect(w.h.commands('S1', 'open')).toEqual([expect.objectContaining({ sl: 0, tp: 0 })]);
    const c = w.h.parts.copies.get(copyKey('M1', '1', 'S1'))!;
    Object.assign(c, { status: 'open', ticket: '70', position: '70', volume: 1 });
    c.inflight.clear();
    const pos = w.h.message('M1', { type: 'position', position: '1', symbol: 'EURUSD', side: 'buy', volume: 1, sl: 1.085, tp: 1.13 });
    w.h.parts.journal.fanOut(() => w.decisions.onMasterPosition(M1, pos, w.h.clock.now));
    w.decisions.catchUp(c, w.h.clock.now);
    expect(w.h.commands('S1', 'modify')).toHaveLength(0);
  });

  it('writes a filtered position as an info FILTER line and a refused record; an add to a copy is not filtered again', () => {
    const w = world({ magic_exclude: [9] });
    w.open(M1, '1', 'buy', { magic: 9 });
    expect(w.h.lines(/^FILTER open M1#1 buy 1 EURUSD -> S1: filtered: magic 9 is excluded by magic_exclude$/)).toEqual([expect.objectContaining({ level: 'info' })]);
    expect(w.h.lastTrade('S1')).toMatchObject({ status: 'refused', reason: 'filtered: magic 9 is excluded by magic_exclude' });
    w.open(M1, '2', 'buy', { magic: 1 });
    w.h.parts.roster.set(w.accounts.map((a) => (a.name === 'S1' ? { ...a, magic_exclude: [1] } : a)));
    const c = w.h.parts.copies.get(copyKey('M1', '2', 'S1'))!;
    Object.assign(c, { status: 'open', ticket: '71', position: '71', volume: 1 });
    c.inflight.clear();
    const add = w.h.deal({ position: '2', side: 'buy', entry: 'in', volume: 1, position_volume: 2, position_side: 'buy', magic: 1 });
    w.h.parts.journal.fanOut(() => w.decisions.onMasterDeal(M1, add, w.h.clock.now));
    expect(w.h.commands('S1', 'open').filter((o) => o.increase)).toEqual([expect.objectContaining({ volume: 1 })]);
  });

  it('a reverse copy restored from the ledger stays reversed', () => {
    const c = restoredCopy({ master_ticket: '1', master_name: 'M1', slave_name: 'S1', symbol: 'EURUSD.c', master_symbol: 'EURUSD', direction: 'SELL', reversed: true, status: 'open', volume: 1, master_volume: 1, updated_at: '' });
    expect(c).toMatchObject({ side: 'sell', reversed: true });
    expect(restoredCopy({ master_ticket: '1', master_name: 'M1', slave_name: 'S1', symbol: 'EURUSD.c', master_symbol: 'EURUSD', direction: 'SELL', status: 'open', updated_at: '' }).reversed).toBeUndefined();
  });
});
