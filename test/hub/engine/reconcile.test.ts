import type { Account } from '../../../hub/accounts';
import { copyKey, keyOf, newCopy } from '../../../hub/engine/copies';
import { Converger } from '../../../hub/engine/converge';
import { Decisions } from '../../../hub/engine/decisions';
import { Reconciler } from '../../../hub/engine/reconcile';
import { copyComment } from '../../../hub/engine/tag';
import type { Position } from '../../../hub/protocol';
import { connected } from './harness';

const M1: Account = { name: 'M1', type: 'MASTER', enabled: true };
const S1: Account = { name: 'S1', type: 'SLAVE', enabled: true, suffix: '.c' };

const pos = (position: string, extra: Partial<Position> = {}): Position => ({
  ticket: position, position, symbol: 'EURUSD', side: 'buy', volume: 1, price_open: 1.1, sl: 0, tp: 0, magic: 0, comment: '', time_ms: 1_600_000_000_000, ...extra,
});
const slavePos = (ticket: string, masterPosition: string, extra: Partial<Position> = {}) =>
  pos(ticket, { symbol: 'EURUSD.c', magic: 20250, comment: copyComment('M1', masterPosition), ...extra });

function world(accounts: Account[] = [M1, S1]) {
  const h = connected({ accounts });
  const reconciler = new Reconciler(h.parts, new Converger({ ...h.parts, decisions: new Decisions(h.parts) }));
  const snapshot = (account: string, positions: Position[]) => {
    const msg = h.message(account, { type: 'snapshot', positions });
    reconciler.onSnapshot(h.parts.sessions.seen(msg, h.clock.now), h.parts.roster.get(account)!, msg, h.clock.now);
  };
  const copy = (position = '500') => h.parts.copies.get(copyKey('M1', position, 'S1'));
  /** An open copy of M1#500 on S1, ticket 9001, and the master position it copies. */
  const tracked = (masterOpen = true) => {
    h.parts.masters.applyDeal('M1', h.deal({ position: '500', side: 'buy', entry: 'in', volume: 1, position_volume: 1 }), h.clock.now);
    if (!masterOpen) h.parts.masters.applyDeal('M1', h.deal({ position: '500', side: 'sell', entry: 'out', volume: 1, position_volume: 0 }), h.clock.now);
    const mp = h.parts.masters.get('M1', '500')!;
    const c = newCopy(mp, 'S1', { symbol: 'EURUSD.c', status: 'open', sl: 0, tp: 0, ticket: '9001', position: '9001', volume: 1 });
    h.parts.copies.set(keyOf(c), c);
    return c;
  };
  return { h, reconciler, snapshot, copy, tracked };
}

describe('Reconciler: slave deals', () => {
  it('closes a copy closed on the slave, follows a partial close, and waits while a command is in flight', () => {
    const w = world();
    const c = w.tracked();
    const slaveDeal = (position_volume: number) =>
      w.reconciler.onSlaveDeal('S1', w.h.deal({ position: '9001', symbol: 'EURUSD.c', side: 'sell', entry: 'out', volume: 1 - position_volume, position_volume, price: 1.2, reason: 'sl' }, 'S1'));
    slaveDeal(0.6);
    expect(c.volume).toBe(0.6);
    c.inflight.add('x');
    slaveDeal(0);
    expect(c).toMatchObject({ status: 'open', volume: 0.6 });
    c.inflight.clear();
    slaveDeal(0);
    expect(c).toMatchObject({ status: 'closed', volume: 0 });
    expect(w.h.lastTrade('S1')).toMatchObject({ status: 'closed', close_price: 1.2, reason: 'closed on slave (sl)' });
    expect(w.h.lines(/^CLOSED S1 ticket 9001 \(copy of M1#500\) closed on the slave \(sl\)$/)).toHaveLength(1);
  });
});

describe('Reconciler: master snapshots', () => {
  it('tracks positions it did not see open, copying them only late, and closes what the snapshot lacks', () => {
    const w = world();
    const c = w.tracked();
    w.snapshot('M1', [pos('777', { volume: 0.3 })]);
    // Not skipped any more: a late copy once S1 has reported its positions (here too old: missed).
    expect(w.h.lines(/not watching/)).toHaveLength(0);
    expect(w.h.parts.masters.get('M1', '777')!.open).toBe(true);
    expect(w.h.lines(/^reconcile: master M1#500 is no longer open \(missed close\)$/)).toHaveLength(1);
    expect(w.h.commands('S1', 'close')).toEqual([expect.objectContaining({ ticket: '9001', volume: 1 })]);
    expect(w.h.lines(/^CLOSE reconcile: M1#500 is closed on the master; S1 closes ticket 9001$/)).toHaveLength(1);
    // Nothing more to do while the close is in flight.
    w.snapshot('M1', [pos('777', { volume: 0.3 })]);
    expect(w.h.commands('S1', 'close')).toHaveLength(1);
    expect(c.inflight.size).toBe(1);
    w.snapshot('S1', []);
    expect(w.h.lines(/^MISS late open M1#777 buy 0.3 EURUSD -> S1: opened \d+ ms ago, more than max_delay_ms 60000$/)).toHaveLength(1);
    expect(w.h.commands('S1', 'open')).toHaveLength(0);
    expect(w.h.lastTrade('S1')).toMatchObject({ status: 'missed' });
  });

  it('closes the copies of a disabled master too: they are managed to the end', () => {
    const w = world([{ ...M1, enabled: false }, S1]);
    w.tracked();
    w.snapshot('M1', []);
    expect(w.h.parts.masters.get('M1', '500')!.open).toBe(false);
    expect(w.h.commands('S1', 'close')).toHaveLength(1);
  });
});

describe('Reconciler: slave snapshots', () => {
  it('adopts a copy it did not know from the slave position, by comment or by the EA', () => {
    const w = world();
    w.snapshot('S1', [slavePos('9100', '777', { volume: 0.3 }), slavePos('9101', '1', { comment: '', master: 'M1', master_position: '778' }), pos('5', { symbol: 'EURUSD.c' })]);
    expect(w.copy('777')).toMatchObject({ status: 'open', ticket: '9100', volume: 0.3, masterVolume: 0.3, symbol: 'EURUSD.c', masterSymbol: 'EURUSD.c' });
    expect(w.copy('778')).toMatchObject({ ticket: '9101' });
    expect(w.h.lines(/^ADOPT reconcile: found S1 ticket 9100 \(buy 0.3 EURUSD.c\) copying M1#777; tracking it$/)).toHaveLength(1);
    expect(w.h.trades[0].set).toMatchObject({ status: 'open', slave_ticket: '9100', volume: 0.3, open_time: '2020-09-13T12:26:40.000Z', direction: 'BUY' });
    expect(w.h.parts.copies.size).toBe(2);
  });

  it('takes the master side of an adopted copy from the master position when known', () => {
    const w = world();
    w.h.parts.masters.applyDeal('M1', w.h.deal({ position: '500', symbol: 'EURUSD', side: 'buy', entry: 'in', volume: 2, price: 1.05, position_volume: 2 }), w.h.clock.now);
    w.snapshot('S1', [slavePos('9100', '500')]);
    expect(w.copy('500')).toMatchObject({ masterSymbol: 'EURUSD', masterVolume: 2, masterPrice: 1.05, volume: 1 });
  });

  it("corrects a copy to the slave's position, and marks closed a copy the slave no longer has", () => {
    const w = world();
    const c = w.tracked();
    w.snapshot('S1', [slavePos('9005', '500', { volume: 0.5 })]);
    expect(c).toMatchObject({ status: 'open', ticket: '9005', volume: 0.5 });
    expect(w.h.parts.copies.bySlaveTicket('S1', '9005')).toBe(c);
    expect(w.h.lines(/^reconcile: S1 ticket 9005 copy of M1#500: open 1 -> open 0.5$/)).toHaveLength(1);
    w.snapshot('S1', []);
    expect(c).toMatchObject({ status: 'closed', volume: 0 });
    expect(w.h.lastTrade('S1')).toMatchObject({ status: 'closed', reason: 'not in slave snapshot (closed on the slave)' });
  });

  it('closes a copy of a master position a deal closed, at once, and again after a new snapshot', () => {
    const w = world();
    w.tracked(false);
    w.snapshot('S1', [slavePos('9001', '500', { volume: 0.8 })]);
    // A close deal is final: no need to wait for the master's snapshot.
    expect(w.h.commands('S1', 'close')).toEqual([expect.objectContaining({ ticket: '9001', volume: 0.8 })]);
    w.snapshot('M1', []);
    w.h.sent.length = 0;
    w.copy('500')!.inflight.clear();
    w.snapshot('S1', [slavePos('9001', '500', { volume: 0.8 })]);
    expect(w.h.commands('S1', 'close')).toEqual([expect.objectContaining({ ticket: '9001', symbol: 'EURUSD.c', volume: 0.8 })]);
    expect(w.h.lines(/^CLOSE reconcile: M1#500 is closed on the master; S1 closes ticket 9001$/)).toHaveLength(2);
  });
});
