/** The chaos checker against hand-made broker states: it must see each kind of damage, once. */
import { check, type CheckInput } from '../../chaos/check';
import { MAGIC, MASTERS, SLAVES, slaveState } from '../../chaos/world';
import { copyComment } from '../../hub/engine/tag';
import type { Trade } from '../../hub/ledger/types';
import type { PendingOrder } from '../../hub/protocol';
import type { SimBroker } from '../../sim/broker';
import { MASTER_PRESET, brokerFromPreset } from '../../sim/presets';
import { SimTerminal } from '../../sim/terminal';

/** Terminals that are never started: only their brokers are used. */
function world() {
  const terminal = (account: string, broker: SimBroker) => new SimTerminal({ account, hubPush: 'tcp://127.0.0.1:1', hubPub: 'tcp://127.0.0.1:2', broker });
  const masters = new Map(MASTERS.map((m) => [m.name, brokerFromPreset(MASTER_PRESET, { marginMode: m.mode, ticketBase: m.ticketBase })]));
  const slaves = new Map(SLAVES.map((s, i) => [s.name, terminal(s.name, brokerFromPreset(s.preset, { marginMode: s.mode, ticketBase: (i + 1) * 1_000_000 }))]));
  const input = (ledger?: Trade[]): CheckInput => ({
    magic: MAGIC,
    masters: MASTERS.map((m) => ({ name: m.name, positions: masters.get(m.name)!.positions(), orders: masters.get(m.name)!.orders() })),
    slaves: SLAVES.map((s) => slaveState(s, slaves.get(s.name)!)),
    ledger,
  });
  const slave = (name: string) => slaves.get(name)!.broker;
  return { masters, slave, input };
}

/** Copies a master position onto a slave by hand, as the EA would. */
function copy(broker: SimBroker, master: string, p: { position: string; side: 'buy' | 'sell'; sl: number; tp: number }, symbol: string, volume: number) {
  return broker.order({ symbol, side: p.side, volume, sl: p.sl, tp: p.tp, magic: MAGIC, comment: copyComment(master, p.position) });
}

/** Copies a master order onto a slave by hand, as the EA would: same type and SL/TP, price `price` (default the master's). */
function placeCopy(broker: SimBroker, master: string, o: PendingOrder, symbol: string, volume: number, price = o.price) {
  const r = broker.placeOrder({ symbol, type: o.order_type, volume, price, sl: o.sl, tp: o.tp, magic: MAGIC, comment: copyComment(master, o.ticket) });
  if (r.retcode !== 10009) throw new Error(`placeCopy: retcode ${r.retcode}`);
  return r;
}

function row(over: Partial<Trade> & Pick<Trade, 'master_ticket' | 'slave_name'>): Trade {
  return { master_name: 'M1', symbol: 'EURUSD.c', master_symbol: 'EURUSD', direction: 'BUY', status: 'open', updated_at: '2026-01-01T00:00:00Z', ...over };
}

describe('chaos check', () => {
  it('finds nothing wrong when every follower holds a right copy', () => {
    const w = world();
    const m = w.masters.get('M1')!.buy('EURUSD', 0.4, { sl: 1.08, tp: 1.09 });
    const pos = w.masters.get('M1')!.position(m.position)!;
    copy(w.slave('S1'), 'M1', pos, 'EURUSD.c', 0.4);
    copy(w.slave('Acc'), 'M1', pos, 'EURUSDm', 0.2);
    const n = w.masters.get('M1-N')!.sell('XAUUSD', 0.6, { sl: 2400, tp: 2300 });
    const np = w.masters.get('M1-N')!.position(n.position)!;
    copy(w.slave('S10'), 'M1-N', np, 'XAUUSD.c', 0.6);
    copy(w.slave('Acc-2'), 'M1-N', np, 'GOLD', 0.3);
    const r = check(w.input());
    expect(r).toMatchObject({ matched: 4, duplicates: 0, orphans: 0, missing: 0, volume: 0, sltp: 0, ledger: 0 });
    expect(r.problems).toEqual([]);
    expect([...r.items.values()].every(Boolean)).toBe(true);
  });

  it('counts a slave position with the copy comment of a closed master position as one orphan', () => {
    const w = world();
    const m = w.masters.get('M1')!.buy('EURUSD', 0.2);
    const pos = w.masters.get('M1')!.position(m.position)!;
    w.masters.get('M1')!.close(m.position);
    copy(w.slave('S1'), 'M1', pos, 'EURUSD.c', 0.2);
    const r = check(w.input());
    expect(r.orphans).toBe(1);
    expect(r.problems).toEqual([expect.stringMatching(/^orphan: S1 #\d+ buy 0.2 EURUSD.c "CB:[0-9a-f]{4}:\d+" copies M1#\d+, which is not open$/)]);
    expect(r.items.get(`S1|M1#${m.position}`)).toBe(false);
  });

  it('counts a second copy of one master position as a duplicate, and the trader\'s own positions as nothing', () => {
    const w = world();
    const m = w.masters.get('M1')!.sell('GBPUSD', 0.2);
    const pos = w.masters.get('M1')!.position(m.position)!;
    copy(w.slave('S1'), 'M1', pos, 'GBPUSD.c', 0.2);
    copy(w.slave('S1'), 'M1', pos, 'GBPUSD.c', 0.2);
    w.slave('S1').buy('EURUSD.c', 1); // manual, magic 0
    copy(w.slave('Acc'), 'M1', pos, 'GBPUSDm', 0.1);
    const r = check(w.input());
    expect(r).toMatchObject({ duplicates: 1, orphans: 0, missing: 0, matched: 1 });
  });

  it('counts a missing copy unless the ledger row says why', () => {
    const w = world();
    const m = w.masters.get('M1')!.buy('US30', 0.2);
    copy(w.slave('S1'), 'M1', w.masters.get('M1')!.position(m.position)!, 'US30.c', 0.2);
    expect(check(w.input())).toMatchObject({ missing: 1, skipped: 0 });
    const refused = row({ master_ticket: m.position, slave_name: 'Acc', symbol: 'US30', status: 'refused', reason: 'volume 0.1 below DJ30 minimum' });
    expect(check(w.input([refused, row({ master_ticket: m.position, slave_name: 'S1', symbol: 'US30.c' })]))).toMatchObject({ missing: 0, skipped: 1, ledger: 0 });
    const silent = { ...refused, reason: undefined };
    expect(check(w.input([silent, row({ master_ticket: m.position, slave_name: 'S1', symbol: 'US30.c' })])).problems).toEqual([
      expect.stringMatching(/^missing: Acc has no copy of M1#\d+ \(buy 0.2 US30\) and its ledger row is "refused" without a reason$/),
    ]);
  });

  it('allows one volume step, counts more as a volume mismatch, and compares SL/TP at the slave digits', () => {
    const w = world();
    const m = w.masters.get('M1')!.buy('EURUSD', 1, { sl: 1.08, tp: 1.09 });
    const pos = w.masters.get('M1')!.position(m.position)!;
    copy(w.slave('S1'), 'M1', pos, 'EURUSD.c', 0.99);
    copy(w.slave('Acc'), 'M1', { ...pos, tp: 1.095 }, 'EURUSDm', 0.4);
    const r = check(w.input());
    expect(r).toMatchObject({ matched: 1, volume: 1, sltp: 1 });
    expect(r.problems.join('\n')).toMatch(/volume: Acc copy of M1#\d+ is 0.4 signed lots, master buy 1 x 0.5 = 0.5/);
  });

  it('compares a netting slave per symbol: wrong net volume, and a position no open master position explains', () => {
    const w = world();
    const n = w.masters.get('M1-N')!.buy('EURUSD', 0.4);
    const np = w.masters.get('M1-N')!.position(n.position)!;
    copy(w.slave('S10'), 'M1-N', np, 'EURUSD.c', 0.4);
    copy(w.slave('S10'), 'M1-N', np, 'EURUSD.c', 0.2); // netting: adds to the same position
    copy(w.slave('Acc-2'), 'M1-N', np, 'EURUSDm', 0.2);
    copy(w.slave('Acc-2'), 'M1-N', { ...np, side: 'sell', position: '999' }, 'GOLD', 0.1);
    const r = check(w.input());
    expect(r).toMatchObject({ volume: 1, orphans: 1, duplicates: 0, matched: 1 });
    expect(r.problems.join('\n')).toMatch(/volume: S10 holds 0.6 signed lots of EURUSD.c, masters ask for 0.4/);
    expect(r.problems.join('\n')).toMatch(/orphan: Acc-2 holds sell 0.1 GOLD/);
  });

  it('counts ledger rows that disagree with the terminals', () => {
    const w = world();
    const a = w.masters.get('M1')!.buy('EURUSD', 0.2);
    const b = w.masters.get('M1')!.buy('GBPUSD', 0.2);
    const pa = w.masters.get('M1')!.position(a.position)!;
    copy(w.slave('S1'), 'M1', pa, 'EURUSD.c', 0.2);
    copy(w.slave('Acc'), 'M1', pa, 'EURUSDm', 0.1);
    const rows = [
      row({ master_ticket: a.position, slave_name: 'S1', status: 'closed' }), // copy held, row says closed
      row({ master_ticket: a.position, slave_name: 'Acc', remaining_volume: 0.5 }), // wrong volume
      row({ master_ticket: b.position, slave_name: 'S1', status: 'open' }), // open row, no copy
      row({ master_ticket: b.position, slave_name: 'Acc', status: 'refused', reason: 'test' }),
    ];
    const r = check(w.input(rows));
    expect(r.ledger).toBe(3);
    expect(r.missing).toBe(1); // S1 has no copy of b and its row says "open"
  });

  it('compares a netting slave\'s ledger per symbol: the position holds every live row on it, whatever its comment', () => {
    const w = world();
    const n = w.masters.get('M1-N')!;
    const first = n.sell('XAUUSD', 0.2);
    const p1 = n.position(first.position)!;
    // The slave's position still carries the first master position's comment after it was reused.
    copy(w.slave('S10'), 'M1-N', p1, 'XAUUSD.c', 0.2);
    const xau = (over: Partial<Trade> & Pick<Trade, 'master_ticket' | 'slave_name'>) => row({ master_name: 'M1-N', symbol: 'XAUUSD.c', master_symbol: 'XAUUSD', direction: 'SELL', ...over });
    const agree = check(w.input([xau({ master_ticket: first.position, slave_name: 'S10', status: 'closed' }), xau({ master_ticket: '999', slave_name: 'S10', remaining_volume: 0.2 })]));
    expect(agree.ledger).toBe(0);
    const wrongLots = check(w.input([xau({ master_ticket: '999', slave_name: 'S10', remaining_volume: 0.6 })]));
    expect(wrongLots.ledger).toBe(1);
    expect(wrongLots.problems).toContainEqual(expect.stringMatching(/^ledger: S10 holds -0.2 signed lots of XAUUSD.c, its live rows \(M1-N#999\) say -0.6$/));
    const noLiveRow = check(w.input([xau({ master_ticket: first.position, slave_name: 'S10', status: 'closed' })]));
    expect(noLiveRow.problems).toContainEqual('ledger: S10 holds sell 0.2 XAUUSD.c but no ledger row on it is live');
    const nothingHeld = check(w.input([xau({ master_ticket: '999', slave_name: 'S10', symbol: 'EURUSD.c', remaining_volume: 0.2 }), xau({ master_ticket: first.position, slave_name: 'S10', remaining_volume: 0.2 })]));
    expect(nothingHeld.problems).toContainEqual('ledger: rows M1-N#999 of S10 on EURUSD.c are live but S10 holds nothing on it');
    expect(nothingHeld.ledger).toBe(1);
  });

  describe('pending orders', () => {
    /** A buy limit on M1 (EURUSD) and its right copies on S1 (x1) and Acc (x0.5). */
    function withOrder() {
      const w = world();
      const m1 = w.masters.get('M1')!;
      const placed = m1.placeOrder({ symbol: 'EURUSD', type: 'buy_limit', volume: 0.4, price: 1.08, sl: 1.075, tp: 1.09 });
      const o = m1.pendingOrder(placed.ticket)!;
      return { w, m1, o };
    }

    it('matches a copy order per hedging follower, and a copy that filled before the master\'s order', () => {
      const { w, o } = withOrder();
      placeCopy(w.slave('S1'), 'M1', o, 'EURUSD.c', 0.4);
      // Acc's copy filled first: a position carrying the order's comment.
      copy(w.slave('Acc'), 'M1', { position: o.ticket, side: 'buy', sl: o.sl, tp: o.tp }, 'EURUSDm', 0.2);
      const rows = [row({ master_ticket: o.ticket, slave_name: 'S1', status: 'placed' }), row({ master_ticket: o.ticket, slave_name: 'Acc', symbol: 'EURUSDm', remaining_volume: 0.2 })];
      const r = check(w.input(rows));
      expect(r.problems).toEqual([]);
      expect(r).toMatchObject({ matched: 2, duplicates: 0, orphans: 0, missing: 0, volume: 0, sltp: 0, price: 0, ledger: 0 });
      expect(r.items.get(`S1|M1#${o.ticket}`)).toBe(true);
      expect(r.items.get(`Acc|M1#${o.ticket}`)).toBe(true);
    });

    it('counts a copy order whose master order was removed as an orphan, and any copy order on a netting slave', () => {
      const { w, m1, o } = withOrder();
      placeCopy(w.slave('S1'), 'M1', o, 'EURUSD.c', 0.4);
      placeCopy(w.slave('Acc'), 'M1', o, 'EURUSDm', 0.2);
      m1.removeOrder(o.ticket);
      const n = w.masters.get('M1-N')!;
      const no = n.pendingOrder(n.placeOrder({ symbol: 'XAUUSD', type: 'sell_stop', volume: 0.2, price: 2380 }).ticket)!;
      placeCopy(w.slave('S10'), 'M1-N', no, 'XAUUSD.c', 0.2);
      const r = check(w.input());
      expect(r.orphans).toBe(3);
      expect(r.problems).toContainEqual(expect.stringMatching(new RegExp(`^orphan: S1 order #\\d+ buy limit 0.4 EURUSD.c @ 1.08 "CB:[0-9a-f]{4}:${o.ticket}" copies M1#${o.ticket}, which is not a pending master order$`)));
      expect(r.problems).toContainEqual(expect.stringMatching(/^orphan: S10 order .* S10 is a netting account, which gets no pending copies$/));
    });

    it('counts a second copy of one master order as a duplicate, whether an order or a position filled first', () => {
      const { w, o } = withOrder();
      placeCopy(w.slave('S1'), 'M1', o, 'EURUSD.c', 0.4);
      placeCopy(w.slave('S1'), 'M1', o, 'EURUSD.c', 0.4);
      placeCopy(w.slave('Acc'), 'M1', o, 'EURUSDm', 0.2);
      copy(w.slave('Acc'), 'M1', { position: o.ticket, side: 'buy', sl: o.sl, tp: o.tp }, 'EURUSDm', 0.2);
      const r = check(w.input());
      expect(r).toMatchObject({ duplicates: 2, orphans: 0, missing: 0, matched: 0 });
      expect(r.problems).toContainEqual(expect.stringMatching(/^duplicate: Acc holds 2 copies of order M1#\d+: #\d+ buy limit 0.2 EURUSDm @ 1.08 "CB:[0-9a-f]{4}:\d+", position #\d+ 0.2$/));
    });

    it('counts a missing copy order unless its ledger row says why (canceled with a reason counts)', () => {
      const { w, o } = withOrder();
      placeCopy(w.slave('S1'), 'M1', o, 'EURUSD.c', 0.4);
      const s1Row = row({ master_ticket: o.ticket, slave_name: 'S1', status: 'placed' });
      expect(check(w.input([s1Row]))).toMatchObject({ missing: 1, skipped: 0 });
      const canceled = row({ master_ticket: o.ticket, slave_name: 'Acc', symbol: 'EURUSDm', status: 'canceled', reason: 'canceled on the slave' });
      const explained = check(w.input([s1Row, canceled]));
      expect(explained).toMatchObject({ missing: 0, skipped: 1, ledger: 0 });
      expect(explained.skips).toEqual([`skipped: Acc has no copy of order M1#${o.ticket}: its ledger row is "canceled" (canceled on the slave)`]);
      const silent = check(w.input([s1Row, { ...canceled, reason: undefined }]));
      expect(silent.missing).toBe(1);
      expect(silent.problems).toEqual([`missing: Acc has no copy of order M1#${o.ticket} (buy limit 0.4 EURUSD @ 1.08) and its ledger row is "canceled" without a reason`]);
    });

    it('compares a copy order\'s volume, SL/TP and price with the master order\'s', () => {
      const { w, m1, o } = withOrder();
      placeCopy(w.slave('S1'), 'M1', o, 'EURUSD.c', 0.4, 1.079); // the master's price change not followed
      placeCopy(w.slave('Acc'), 'M1', { ...o, tp: 0 }, 'EURUSDm', 0.4); // x1 instead of x0.5, no TP
      let r = check(w.input());
      expect(r).toMatchObject({ matched: 0, price: 1, volume: 1, sltp: 1 });
      expect(r.problems).toContainEqual(`price: S1 copy of order M1#${o.ticket} is a buy limit @ 1.079, master buy limit @ 1.08`);
      // The master's order moves to S1's price: S1's copy is right now, Acc's (still @ 1.08) is not.
      m1.modifyOrder(o.ticket, { price: 1.079, sl: o.sl, tp: o.tp });
      r = check(w.input());
      expect(r).toMatchObject({ matched: 1, price: 1, volume: 1, sltp: 1 });
      expect(r.items.get(`S1|M1#${o.ticket}`)).toBe(true);
      expect(r.problems).toContainEqual(`price: Acc copy of order M1#${o.ticket} is a buy limit @ 1.08, master buy limit @ 1.079`);
    });

    it('counts ledger rows that disagree with the slave\'s orders', () => {
      const { w, o } = withOrder();
      placeCopy(w.slave('S1'), 'M1', o, 'EURUSD.c', 0.4);
      const r = check(w.input([
        row({ master_ticket: o.ticket, slave_name: 'S1', status: 'open' }), // holds an order, row says open
        row({ master_ticket: o.ticket, slave_name: 'Acc', symbol: 'EURUSDm', status: 'placed' }), // placed, no order
      ]));
      // The third: S1's "open" row has no position either.
      expect(r.ledger).toBe(3);
      expect(r.problems).toContainEqual(`ledger: row S1 <- M1#${o.ticket} is "open" but S1 holds no copy of it`);
      expect(r.problems).toContainEqual(expect.stringMatching(/^ledger: S1 holds order #\d+ copying M1#\d+ but its ledger row is "open"$/));
      expect(r.problems).toContainEqual(`ledger: row Acc <- M1#${o.ticket} is "placed" but Acc holds no copy order of it`);
    });

    it('leaves pending orders alone when the states do not list them (the EA runs)', () => {
      const { w } = withOrder();
      const input = w.input();
      const r = check({ ...input, masters: input.masters.map((m) => ({ ...m, orders: undefined })) });
      expect(r).toMatchObject({ missing: 0, matched: 0 });
      expect(check(input).missing).toBe(2);
    });
  });
});
