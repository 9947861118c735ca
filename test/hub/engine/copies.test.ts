import { CopyTable, copyKey, isLive, keyOf, newCopy, posKey, targetStops, type Copy } from '../../../hub/engine/copies';
import type { TradeStatus } from '../../../hub/ledger/types';

const mp = { master: 'M1', position: '500', symbol: 'EURUSD', side: 'buy' as const, volume: 1, price: 1.1 };
const copy = (slave: string, extra: Partial<Copy> = {}) => newCopy(mp, slave, { symbol: 'EURUSD.c', status: 'open', sl: 0, tp: 0, ...extra });

describe('copy keys', () => {
  it('keep master, position and slave apart, whatever characters the names hold', () => {
    expect(copyKey('M1', '12', '3')).not.toBe(copyKey('M1', '1', '23'));
    expect(posKey('M1', '12')).not.toBe(posKey('M11', '2'));
    expect(keyOf(copy('S1'))).toBe(copyKey('M1', '500', 'S1'));
  });
});

describe('isLive', () => {
  it('holds for open and pending copies only', () => {
    const live = (['pending', 'open', 'closed', 'refused', 'failed', 'expired'] as TradeStatus[]).filter((status) => isLive(copy('S1', { status })));
    expect(live).toEqual(['pending', 'open']);
  });
});

describe('newCopy', () => {
  it('takes the master position, starts empty, and lets init override', () => {
    const c = newCopy(mp, 'S1', { symbol: 'EURUSD.c', status: 'pending', sl: 1.09, tp: 1.2 });
    expect(c).toMatchObject({ master: 'M1', masterPosition: '500', slave: 'S1', masterSymbol: 'EURUSD', symbol: 'EURUSD.c', side: 'buy', volume: 0, masterVolume: 1, masterPrice: 1.1, status: 'pending', sl: 1.09, tp: 1.2 });
    expect(c.inflight.size).toBe(0);
    expect(c.ticket).toBeUndefined();
    expect(newCopy(mp, 'S1', { symbol: 'X', status: 'open', sl: 0, tp: 0, side: 'sell', volume: 0.3, ticket: '7' })).toMatchObject({ side: 'sell', volume: 0.3, ticket: '7' });
    expect(newCopy(mp, 'S1', { symbol: 'X', status: 'open', sl: 0, tp: 0 }).inflight).not.toBe(c.inflight);
  });
});

describe('targetStops', () => {
  it("rounds the master's SL/TP to the slave symbol's digits, keeping 0 as none", () => {
    expect(targetStops({ sl: 1.0912345, tp: 0 }, { digits: 4 })).toEqual({ sl: 1.0912, tp: 0 });
    expect(targetStops({ sl: 1.0912345, tp: 1.2 }, undefined)).toEqual({ sl: 1.0912345, tp: 1.2 });
  });
});

describe('CopyTable', () => {
  it('finds copies by master position, by slave and by slave ticket or position', () => {
    const t = new CopyTable();
    const a = copy('S1', { ticket: '9001', position: '9002' });
    const b = copy('S2');
    t.set(keyOf(a), a).set(keyOf(b), b);
    expect(t.ofMasterPosition('M1', '500')).toEqual([a, b]);
    expect(t.ofMasterPosition('M1', '501')).toEqual([]);
    expect(t.ofSlave('S1')).toEqual([[keyOf(a), a]]);
    expect(t.bySlaveTicket('S1', '9001')).toBe(a);
    expect(t.bySlaveTicket('S1', '9002')).toBe(a);
    expect(t.bySlaveTicket('S2', '9001')).toBeUndefined();
  });

  it('indexes a ticket learnt later, and forgets every index of a deleted copy', () => {
    const t = new CopyTable();
    const a = copy('S1');
    t.set(keyOf(a), a);
    a.ticket = '9001';
    expect(t.bySlaveTicket('S1', '9001')).toBeUndefined();
    t.indexTicket(a);
    expect(t.bySlaveTicket('S1', '9001')).toBe(a);
    expect(t.delete(keyOf(a))).toBe(true);
    expect(t.bySlaveTicket('S1', '9001')).toBeUndefined();
    expect(t.ofMasterPosition('M1', '500')).toEqual([]);
    expect(t.ofSlave('S1')).toEqual([]);
  });

  it('replacing a copy under the same key drops the old one from the ticket index', () => {
    const t = new CopyTable();
    const old = copy('S1', { ticket: '9001' });
    t.set(keyOf(old), old);
    const fresh = copy('S1', { ticket: '9005' });
    t.set(keyOf(fresh), fresh);
    expect(t.bySlaveTicket('S1', '9001')).toBeUndefined();
    expect(t.bySlaveTicket('S1', '9005')).toBe(fresh);
    expect(t.ofMasterPosition('M1', '500')).toEqual([fresh]);
  });
});
