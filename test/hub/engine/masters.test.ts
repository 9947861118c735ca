import { CopyTable, keyOf, newCopy } from '../../../hub/engine/copies';
import { FORGET_AFTER_MS, MasterBook, newMasterPosition } from '../../../hub/engine/masters';
import type { DealMsg, Position } from '../../../hub/protocol';

const T0 = 1_700_000_000_000;
const deal = (fields: Partial<DealMsg> & Pick<DealMsg, 'entry' | 'side' | 'volume' | 'position_volume'>): DealMsg => ({
  v: 1, account: 'M1', seq: 1, ts: T0, type: 'deal', deal: '1', position: '500', symbol: 'EURUSD', price: 1.1, magic: 0, comment: '', reason: 'client', time_ms: T0, ...fields,
});
const snap = (position: string, volume = 1): Position => ({
  ticket: position, position, symbol: 'EURUSD', side: 'buy', volume, price_open: 1.1, sl: 1.05, tp: 1.2, magic: 0, comment: '', time_ms: T0,
});

describe('newMasterPosition', () => {
  it('takes identity from the deal or position and defaults SL/TP to none', () => {
    expect(newMasterPosition('M1', { position: '5', symbol: 'EURUSD' }, { side: 'buy', volume: 1, price: 1.1, open: true })).toEqual({
      master: 'M1', position: '5', symbol: 'EURUSD', sl: 0, tp: 0, side: 'buy', volume: 1, price: 1.1, open: true,
    });
  });
});

describe('MasterBook', () => {
  it('sees each deal once', () => {
    const b = new MasterBook();
    expect(b.firstSight('M1', '10')).toBe(true);
    expect(b.firstSight('M1', '10')).toBe(false);
    expect(b.firstSight('M2', '10')).toBe(true);
  });

  it('notes each traded symbol once per master', () => {
    const b = new MasterBook();
    expect([b.noteSymbol('M1', 'EURUSD'), b.noteSymbol('M1', 'EURUSD'), b.noteSymbol('M2', 'EURUSD')]).toEqual([true, false, true]);
    expect([...b.symbols().get('M1')!]).toEqual(['EURUSD']);
  });

  it('opens, adds to, reduces and closes a position from its deals', () => {
    const b = new MasterBook();
    const open = b.applyDeal('M1', deal({ entry: 'in', side: 'buy', volume: 1, position_volume: 1, sl: 1.05 }), T0);
    expect(open).toEqual({ kind: 'open', mp: expect.objectContaining({ side: 'buy', volume: 1, sl: 1.05, tp: 0, open: true, openedAt: T0 }) });
    const add = b.applyDeal('M1', deal({ entry: 'in', side: 'buy', volume: 0.5, price: 1.2, position_volume: 1.5 }), T0 + 1);
    expect(add).toEqual({ kind: 'add', mp: open.mp });
    expect(open.mp).toMatchObject({ volume: 1.5, price: 1.2, openedAt: T0 });
    expect(b.applyDeal('M1', deal({ entry: 'out', side: 'sell', volume: 0.5, position_volume: 1 }), T0 + 2)).toMatchObject({ kind: 'reduce', closed: 0.5, remaining: 1 });
    expect(open.mp.open).toBe(true);
    expect(b.applyDeal('M1', deal({ entry: 'out', side: 'sell', volume: 1, position_volume: 0 }), T0 + 3)).toMatchObject({ kind: 'reduce', closed: 1, remaining: 0 });
    expect(open.mp).toMatchObject({ open: false, volume: 0, closedAt: T0 + 3 });
  });

  it('records a close of a position it never saw, on the side the deal closed', () => {
    const b = new MasterBook();
    const c = b.applyDeal('M1', deal({ entry: 'out', side: 'sell', volume: 0.4, position_volume: 0.6 }), T0);
    expect(c).toMatchObject({ kind: 'reduce', closed: 0.4, remaining: 0.6, mp: { side: 'buy', volume: 0.6, open: true } });
    expect(c.mp.openedAt).toBeUndefined();
  });

  it('turns a netting reversal into the new side and volume', () => {
    const b = new MasterBook();
    b.applyDeal('M1', deal({ entry: 'in', side: 'buy', volume: 1, position_volume: 1 }), T0);
    const r = b.applyDeal('M1', deal({ entry: 'inout', side: 'sell', volume: 1.5, price: 1.3, position_volume: 0.5, position_side: 'sell' }), T0 + 5);
    expect(r).toMatchObject({ kind: 'reverse', mp: { side: 'sell', volume: 0.5, price: 1.3, open: true, openedAt: T0 + 5 } });
  });

  it('updates SL/TP of known positions only', () => {
    const b = new MasterBook();
    b.applyDeal('M1', deal({ entry: 'in', side: 'buy', volume: 1, position_volume: 1 }), T0);
    const p = { v: 1 as const, account: 'M1', seq: 2, ts: T0, type: 'position' as const, position: '500', symbol: 'EURUSD', side: 'buy' as const, volume: 1, sl: 1.01, tp: 1.3 };
    expect(b.applyPosition('M1', p)).toMatchObject({ sl: 1.01, tp: 1.3 });
    expect(b.applyPosition('M1', { ...p, position: '501' })).toBeUndefined();
  });

  it('tracks snapshot positions and closes those a snapshot no longer holds', () => {
    const b = new MasterBook();
    expect(b.track('M1', snap('1'))).toBe(true);
    expect(b.track('M1', snap('1', 0.5))).toBe(false);
    expect(b.get('M1', '1')).toMatchObject({ volume: 0.5, sl: 1.05, open: true, price: 1.1 });
    b.track('M1', snap('2'));
    b.track('M2', snap('3'));
    const missed = b.closeMissing('M1', new Map([['2', snap('2')]]), T0 + 9);
    expect(missed.map((m) => m.position)).toEqual(['1']);
    expect(b.get('M1', '1')).toMatchObject({ open: false, volume: 0, closedAt: T0 + 9 });
    expect(b.get('M2', '3')!.open).toBe(true);
  });

  it('forgets closed positions and their settled copies after a while, at most every 10 s', () => {
    const b = new MasterBook();
    const copies = new CopyTable();
    for (const position of ['1', '2']) {
      const { mp } = b.applyDeal('M1', deal({ position, entry: 'in', side: 'buy', volume: 1, position_volume: 1 }), T0);
      const c = newCopy(mp, 'S1', { symbol: 'EURUSD', status: position === '1' ? 'closed' : 'open', sl: 0, tp: 0 });
      copies.set(keyOf(c), c);
      b.applyDeal('M1', deal({ position, entry: 'out', side: 'sell', volume: 1, position_volume: 0 }), T0);
    }
    b.prune(T0 + FORGET_AFTER_MS - 1, copies);
    expect([...b.all()]).toHaveLength(2);
    b.prune(T0 + FORGET_AFTER_MS + 5_000, copies);
    expect([...b.all()]).toHaveLength(2); // pruned less than 10 s ago
    b.prune(T0 + FORGET_AFTER_MS + 20_000, copies);
    // The open copy keeps its master position.
    expect([...b.all()].map((m) => m.position)).toEqual(['2']);
    expect([...copies.values()].map((c) => c.masterPosition)).toEqual(['2']);
  });
});
