import { TypeCompiler } from '@sinclair/typebox/compiler';
import { Deal, OrderChange, PositionChange, PositionSchema } from '../../hub/protocol';
import { SimBroker, type SimBrokerEvent, type SimBrokerOptions } from '../../sim/broker';
import { MASTER_PRESET, MAPPED_PRESET, SUFFIX_PRESET, brokerFromPreset } from '../../sim/presets';
import { Retcode } from '../../sim/retcodes';

const dealCheck = TypeCompiler.Compile(Deal.schema);
const positionCheck = TypeCompiler.Compile(PositionSchema);
const changeCheck = TypeCompiler.Compile(PositionChange.schema);
const envelope = { v: 1, account: 'A', seq: 1, ts: 1 } as const;

function make(over: Partial<SimBrokerOptions> = {}) {
  let clock = 1_763_900_000_000;
  const broker = brokerFromPreset(MASTER_PRESET, { now: () => clock, ...over });
  const events: SimBrokerEvent[] = [];
  broker.onEvent((e) => events.push(e));
  return {
    broker,
    events,
    tick: (ms = 1) => (clock += ms),
    deals: () => events.flatMap((e) => (e.type === 'deal' ? [e.deal] : [])),
  };
}

describe('SimBroker hedging', () => {
  it('opens at ask for buys and bid for sells, one position per deal, increasing tickets', () => {
    const { broker } = make();
    const a = broker.buy('EURUSD', 0.5);
    const b = broker.sell('EURUSD', 0.3);
    expect(a).toMatchObject({ retcode: Retcode.DONE, message: 'done', price: 1.08412, volume: 0.5, position_volume: 0.5 });
    expect(b).toMatchObject({ retcode: Retcode.DONE, price: 1.0841, volume: 0.3 });
    expect(Number(a.position)).toBeGreaterThan(MASTER_PRESET.ticketBase);
    expect(Number(b.position)).toBeGreaterThan(Number(a.position));
    expect(a.ticket).toBe(a.position);
    expect(broker.positions().map((p) => [p.side, p.volume])).toEqual([
      ['buy', 0.5],
      ['sell', 0.3],
    ]);
    for (const p of broker.positions()) expect(positionCheck.Check(p)).toBe(true);
  });

  it('keeps ticket ranges apart per broker instance', () => {
    const master = make().broker.buy('EURUSD', 0.1);
    const slave = brokerFromPreset(SUFFIX_PRESET).buy('EURUSD.c', 0.1);
    expect(master.position).not.toBe(slave.position);
    expect(Number(slave.position)).toBeGreaterThan(SUFFIX_PRESET.ticketBase);
  });

  it('records protocol-shaped deals for open, partial close and close', () => {
    const { broker, deals, tick } = make();
    const open = broker.buy('EURUSD', 1, { sl: 1.08, tp: 1.09, magic: 7, comment: 'hello' });
    tick();
    broker.setQuote('EURUSD', 1.085, 1.08502);
    const part = broker.close(open.position, { volume: 0.4 });
    expect(part).toMatchObject({ retcode: Retcode.DONE, price: 1.085, volume: 0.4, position_volume: 0.6, position: open.position });
    expect(broker.position(open.position)?.volume).toBe(0.6);
    const full = broker.close(open.position);
    expect(full).toMatchObject({ retcode: Retcode.DONE, volume: 0.6, position_volume: 0 });
    expect(broker.positions()).toEqual([]);

    const ds = deals();
    expect(ds.map((d) => [d.entry, d.side, d.volume, d.position_volume])).toEqual([
      ['in', 'buy', 1, 1],
      ['out', 'sell', 0.4, 0.6],
      ['out', 'sell', 0.6, 0],
    ]);
    expect(ds[0]).toMatchObject({ sl: 1.08, tp: 1.09, magic: 7, comment: 'hello', reason: 'client', position_side: 'buy', order: open.order, deal: open.deal });
    for (const d of ds) {
      expect(d.position).toBe(open.position);
      expect(dealCheck.Check({ ...envelope, type: 'deal', ...d })).toBe(true);
    }
    expect(broker.history()).toHaveLength(3);
    // 0.4 + 0.6 lots closed 0.00088 above the open price: +88 USD
    expect(broker.account().balance).toBeCloseTo(100000 + 88, 2);
  });

  it('closes by an opposite position: two out_by deals, the larger one keeps the difference', () => {
    const { broker, deals } = make();
    const buy = broker.buy('EURUSD', 1);
    const sell = broker.sell('EURUSD', 0.4);
    const r = broker.closeBy(buy.position, sell.position);
    expect(r).toMatchObject({ retcode: Retcode.DONE, volume: 0.4, position: buy.position, position_volume: 0.6 });
    const outBy = deals().filter((d) => d.entry === 'out_by');
    expect(outBy).toHaveLength(2);
    expect(outBy[0]).toMatchObject({ position: buy.position, position_by: sell.position, side: 'sell', volume: 0.4, position_volume: 0.6 });
    expect(outBy[1]).toMatchObject({ position: sell.position, position_by: buy.position, side: 'buy', volume: 0.4, position_volume: 0 });
    expect(outBy[0].order).toBe(outBy[1].order);
    expect(broker.positions().map((p) => [p.position, p.volume])).toEqual([[buy.position, 0.6]]);
    for (const d of outBy) expect(dealCheck.Check({ ...envelope, type: 'deal', ...d })).toBe(true);
  });

  it('refuses close-by of same-side positions or different symbols', () => {
    const { broker } = make();
    const a = broker.buy('EURUSD', 0.1);
    const b = broker.buy('EURUSD', 0.1);
    const c = broker.sell('GBPUSD', 0.1);
    expect(broker.closeBy(a.position, b.position).retcode).toBe(Retcode.INVALID);
    expect(broker.closeBy(a.position, c.position).retcode).toBe(Retcode.INVALID);
    expect(broker.closeBy(a.position, '999999').retcode).toBe(Retcode.POSITION_CLOSED);
  });

  it('rejects closing more than the position, the wrong side, or a closed position', () => {
    const { broker } = make();
    const a = broker.buy('EURUSD', 0.2);
    expect(broker.close(a.position, { volume: 0.3 }).retcode).toBe(Retcode.INVALID_CLOSE_VOLUME);
    expect(broker.order({ symbol: 'EURUSD', side: 'buy', volume: 0.1, position: a.position }).retcode).toBe(Retcode.INVALID);
    broker.close(a.position);
    expect(broker.close(a.position)).toMatchObject({ retcode: Retcode.POSITION_CLOSED, message: 'position closed' });
  });

  it('modifies SL/TP, emits a position change and validates stops against the stops level', () => {
    const { broker, events } = make();
    broker.updateSymbol('EURUSD', { stops_level: 20 });
    const a = broker.buy('EURUSD', 0.1);
    const ok = broker.modify(a.position, 1.083, 1.086);
    expect(ok.retcode).toBe(Retcode.DONE);
    expect(ok.change).toEqual({ position: a.position, symbol: 'EURUSD', side: 'buy', volume: 0.1, sl: 1.083, tp: 1.086 });
    const ch = events.filter((e) => e.type === 'position');
    expect(ch).toHaveLength(1);
    if (ch[0].type === 'position') expect(changeCheck.Check({ ...envelope, type: 'position', ...ch[0].change })).toBe(true);
    expect(broker.position(a.position)).toMatchObject({ sl: 1.083, tp: 1.086 });

    // bid 1.08410: SL 10 points below is inside the 20-point stops level
    expect(broker.modify(a.position, 1.084, 1.086)).toMatchObject({ retcode: Retcode.INVALID_STOPS, message: 'invalid stops' });
    expect(broker.modify(a.position, 1.0845, 0).retcode).toBe(Retcode.INVALID_STOPS); // SL above bid
    expect(broker.modify(a.position, 1.083, 1.086).retcode).toBe(Retcode.NO_CHANGES);
    expect(broker.modify(a.position, 1.0830001, 0).retcode).toBe(Retcode.INVALID_STOPS); // not normalised
    // opening with bad stops
    expect(broker.sell('EURUSD', 0.1, { sl: 1.0841 }).retcode).toBe(Retcode.INVALID_STOPS);
  });

  it('refuses a modify inside the freeze level', () => {
    const { broker } = make();
    const a = broker.buy('EURUSD', 0.1, { sl: 1.084 });
    broker.updateSymbol('EURUSD', { freeze_level: 20 });
    expect(broker.modify(a.position, 1.083, 0).retcode).toBe(Retcode.FROZEN);
  });

  it('triggers SL and TP when the quote crosses them', () => {
    const { broker, deals } = make();
    const a = broker.buy('EURUSD', 0.1, { sl: 1.083, tp: 1.09 });
    const b = broker.sell('EURUSD', 0.2, { tp: 1.08 });
    broker.setQuote('EURUSD', 1.0829, 1.08292);
    expect(broker.position(a.position)).toBeUndefined();
    const sl = deals().find((d) => d.position === a.position && d.entry === 'out');
    expect(sl).toMatchObject({ reason: 'sl', price: 1.0829, comment: '[sl 1.08300]', position_volume: 0 });
    broker.setQuote('EURUSD', 1.0799, 1.07995);
    expect(deals().find((d) => d.position === b.position && d.entry === 'out')).toMatchObject({ reason: 'tp', side: 'buy', price: 1.07995 });
    expect(broker.positions()).toEqual([]);
  });

  it('truncates comments to 31 characters', () => {
    const { broker, deals } = make();
    const long = 'CB:abcd:1234567890-and-a-lot-more-text';
    const a = broker.buy('EURUSD', 0.1, { comment: long });
    expect(broker.position(a.position)?.comment).toBe(long.slice(0, 31));
    expect(deals()[0].comment).toHaveLength(31);
  });
});

describe('SimBroker netting', () => {
  const net = () => make({ marginMode: 'netting' });

  it('adds to, partially closes, reverses and closes the one position of a symbol', () => {
    const { broker, deals } = net();
    const open = broker.buy('EURUSD', 1);
    const id = open.position;
    broker.setQuote('EURUSD', 1.085, 1.08502);
    const add = broker.buy('EURUSD', 1);
    expect(add).toMatchObject({ position: id, position_volume: 2 });
    expect(broker.positions()).toHaveLength(1);
    expect(broker.position(id)?.price_open).toBeCloseTo((1.08412 + 1.08502) / 2, 7);

    const part = broker.sell('EURUSD', 0.5);
    expect(part).toMatchObject({ position: id, position_volume: 1.5 });

    const rev = broker.sell('EURUSD', 2);
    expect(rev).toMatchObject({ retcode: Retcode.DONE, position: id, volume: 2, position_volume: 0.5 });
    expect(broker.position(id)).toMatchObject({ side: 'sell', volume: 0.5, price_open: 1.085 });

    const close = broker.buy('EURUSD', 0.5);
    expect(close).toMatchObject({ position: id, position_volume: 0 });
    expect(broker.positions()).toEqual([]);

    expect(deals().map((d) => [d.entry, d.side, d.volume, d.position_volume, d.position_side, d.position])).toEqual([
      ['in', 'buy', 1, 1, 'buy', id],
      ['in', 'buy', 1, 2, 'buy', id],
      ['out', 'sell', 0.5, 1.5, 'buy', id],
      ['inout', 'sell', 2, 0.5, 'sell', id],
      ['out', 'buy', 0.5, 0, 'sell', id],
    ]);
    for (const d of deals()) expect(dealCheck.Check({ ...envelope, type: 'deal', ...d })).toBe(true);
  });

  it('a new position after a full close gets a new identifier', () => {
    const { broker } = net();
    const a = broker.buy('EURUSD', 0.1);
    broker.sell('EURUSD', 0.1);
    const b = broker.buy('EURUSD', 0.1);
    expect(b.position).not.toBe(a.position);
  });

  it('has no close-by', () => {
    const { broker } = net();
    const a = broker.buy('EURUSD', 0.1);
    const b = broker.buy('GBPUSD', 0.1);
    expect(broker.closeBy(a.position, b.position).retcode).toBe(Retcode.INVALID);
  });

  it('applies close-only to the opening part of a reversal', () => {
    const { broker } = net();
    broker.buy('EURUSD', 0.5);
    broker.updateSymbol('EURUSD', { trade_mode: 'closeonly' });
    expect(broker.sell('EURUSD', 1).retcode).toBe(Retcode.CLOSE_ONLY);
    expect(broker.sell('EURUSD', 0.5).retcode).toBe(Retcode.DONE);
  });
});

describe('SimBroker retcodes', () => {
  it('10014 invalid volume: below min, above max, off step', () => {
    const { broker } = make();
    expect(broker.buy('EURUSD', 0.001)).toMatchObject({ retcode: Retcode.INVALID_VOLUME, message: 'invalid volume' });
    expect(broker.buy('EURUSD', 101).retcode).toBe(Retcode.INVALID_VOLUME);
    expect(broker.buy('EURUSD', 0.015).retcode).toBe(Retcode.INVALID_VOLUME);
    expect(broker.buy('EURUSD', 0).retcode).toBe(Retcode.INVALID_VOLUME);
    expect(broker.buy('EURUSD', 0.07).retcode).toBe(Retcode.DONE); // float noise is not off-step
  });

  it('10017 trade disabled, 10044 close only, 10042/10043 long/short only', () => {
    const { broker } = make();
    const a = broker.buy('EURUSD', 0.2);
    broker.updateSymbol('EURUSD', { trade_mode: 'disabled' });
    expect(broker.buy('EURUSD', 0.1)).toMatchObject({ retcode: Retcode.TRADE_DISABLED, message: 'trade disabled' });
    expect(broker.close(a.position).retcode).toBe(Retcode.TRADE_DISABLED);
    expect(broker.modify(a.position, 1.08, 0).retcode).toBe(Retcode.TRADE_DISABLED);
    broker.updateSymbol('EURUSD', { trade_mode: 'closeonly' });
    expect(broker.buy('EURUSD', 0.1)).toMatchObject({ retcode: Retcode.CLOSE_ONLY, message: 'only close allowed' });
    expect(broker.close(a.position, { volume: 0.1 }).retcode).toBe(Retcode.DONE);
    broker.updateSymbol('EURUSD', { trade_mode: 'longonly' });
    expect(broker.sell('EURUSD', 0.1).retcode).toBe(Retcode.LONG_ONLY);
    expect(broker.buy('EURUSD', 0.1).retcode).toBe(Retcode.DONE);
    broker.updateSymbol('EURUSD', { trade_mode: 'shortonly' });
    expect(broker.buy('EURUSD', 0.1).retcode).toBe(Retcode.SHORT_ONLY);
  });

  it('10018 market closed, per symbol and for all', () => {
    const { broker } = make();
    broker.setMarketOpen(false, 'US30');
    expect(broker.buy('US30', 1)).toMatchObject({ retcode: Retcode.MARKET_CLOSED, message: 'market closed' });
    expect(broker.buy('EURUSD', 0.1).retcode).toBe(Retcode.DONE);
    broker.setMarketOpen(false);
    expect(broker.buy('EURUSD', 0.1).retcode).toBe(Retcode.MARKET_CLOSED);
    broker.setMarketOpen(true);
    expect(broker.buy('US30', 1).retcode).toBe(Retcode.DONE);
  });

  it('10019 no money when the margin exceeds free margin', () => {
    const { broker } = make({ balance: 1000, leverage: 100 });
    // 1 lot EURUSD needs ~1084 USD at 1:100
    expect(broker.buy('EURUSD', 1)).toMatchObject({ retcode: Retcode.NO_MONEY, message: 'no money' });
    expect(broker.buy('EURUSD', 0.5).retcode).toBe(Retcode.DONE);
    expect(broker.account().margin).toBeCloseTo(542.06, 1);
    expect(broker.buy('EURUSD', 0.5).retcode).toBe(Retcode.NO_MONEY);
  });

  it('10030 invalid fill when the mode is not in the mask; Return only without FOK/IOC', () => {
    const broker = brokerFromPreset(SUFFIX_PRESET); // IOC only
    expect(broker.buy('EURUSD.c', 0.1, { filling: 'fok' })).toMatchObject({ retcode: Retcode.INVALID_FILL, message: 'invalid fill' });
    expect(broker.buy('EURUSD.c', 0.1, { filling: 'return' }).retcode).toBe(Retcode.INVALID_FILL);
    expect(broker.buy('EURUSD.c', 0.1, { filling: 'ioc' }).retcode).toBe(Retcode.DONE);
    expect(broker.buy('EURUSD.c', 0.1).retcode).toBe(Retcode.DONE); // default picks an allowed one
    broker.updateSymbol('EURUSD.c', { filling_modes: 0 });
    expect(broker.buy('EURUSD.c', 0.1, { filling: 'return' }).retcode).toBe(Retcode.DONE);
  });

  it('10021 off quotes without a quote; 10013 for an unknown symbol', () => {
    const broker = new SimBroker({ symbols: MASTER_PRESET.symbols });
    expect(broker.buy('EURUSD', 0.1)).toMatchObject({ retcode: Retcode.PRICE_OFF, message: 'off quotes' });
    expect(broker.buy('NOPE', 0.1).retcode).toBe(Retcode.INVALID);
  });

  it('10034 volume limit per direction', () => {
    const { broker } = make();
    broker.updateSymbol('EURUSD', { volume_limit: 1 });
    expect(broker.buy('EURUSD', 0.6).retcode).toBe(Retcode.DONE);
    expect(broker.buy('EURUSD', 0.6).retcode).toBe(Retcode.LIMIT_VOLUME);
    expect(broker.sell('EURUSD', 0.6).retcode).toBe(Retcode.DONE);
  });

  it('injected retcodes fail the next N orders, then orders go through', () => {
    const { broker } = make();
    broker.injectRetcode(Retcode.REQUOTE, 2);
    expect(broker.buy('EURUSD', 0.1)).toMatchObject({ retcode: Retcode.REQUOTE, message: 'requote', deal: '', volume: 0 });
    expect(broker.buy('EURUSD', 0.1).retcode).toBe(Retcode.REQUOTE);
    const ok = broker.buy('EURUSD', 0.1);
    expect(ok.retcode).toBe(Retcode.DONE);
    broker.injectRetcode(Retcode.REJECT);
    expect(broker.close(ok.position)).toMatchObject({ retcode: Retcode.REJECT, message: 'rejected' });
    // modifies are not hit by default, only when asked
    broker.injectRetcode(Retcode.REJECT, 1, ['sltp']);
    expect(broker.buy('EURUSD', 0.1).retcode).toBe(Retcode.DONE);
    expect(broker.modify(ok.position, 1.08, 0).retcode).toBe(Retcode.REJECT);
    expect(broker.modify(ok.position, 1.08, 0).retcode).toBe(Retcode.DONE);
    // validation comes first: an invalid request does not consume the injection
    broker.injectRetcode(Retcode.PRICE_CHANGED);
    expect(broker.buy('EURUSD', 0.001).retcode).toBe(Retcode.INVALID_VOLUME);
    expect(broker.buy('EURUSD', 0.1)).toMatchObject({ retcode: Retcode.PRICE_CHANGED, message: 'price changed' });
  });

  it('an injected 10010 fills half the volume', () => {
    const { broker } = make();
    broker.injectRetcode(Retcode.DONE_PARTIAL);
    const r = broker.buy('EURUSD', 0.5);
    expect(r).toMatchObject({ retcode: Retcode.DONE_PARTIAL, message: 'done partially', volume: 0.25, position_volume: 0.25 });
  });
});

describe('SimBroker quotes', () => {
  it('normalises quotes to digits and stamps them with now()', () => {
    const { broker, events } = make();
    const q = broker.setQuote('EURUSD', 1.0841234, 1.0841456);
    expect(q).toEqual({ bid: 1.08412, ask: 1.08415, time_ms: 1_763_900_000_000 });
    expect(events.at(-1)).toEqual({ type: 'quote', symbol: 'EURUSD', quote: q });
    expect(() => broker.setQuote('EURUSD', 1.1, 1.0)).toThrow(/bad quote/);
    expect(() => broker.setQuote('NOPE', 1, 1)).toThrow(/unknown symbol/);
  });

  it('jitters deterministically with a seed, keeping the spread and whole points', () => {
    const walk = (seed: number) => {
      const b = brokerFromPreset(MAPPED_PRESET, { seed, now: () => 0 });
      return Array.from({ length: 20 }, () => b.jitter('GOLD', 50));
    };
    const a = walk(42);
    expect(walk(42)).toEqual(a);
    expect(walk(43)).not.toEqual(a);
    for (const q of a) {
      expect(q.ask - q.bid).toBeCloseTo(0.4, 6);
      expect(Math.abs(q.bid * 100 - Math.round(q.bid * 100))).toBeLessThan(1e-6);
    }
    expect(new Set(a.map((q) => q.bid)).size).toBeGreaterThan(5);
  });

  it('reports account equity with floating profit', () => {
    const { broker } = make();
    broker.buy('XAUUSD', 1); // at 2385.60
    broker.setQuote('XAUUSD', 2390.6, 2390.8);
    const acc = broker.account();
    expect(acc.equity).toBeCloseTo(100000 + 500, 2);
    expect(acc.margin).toBeCloseTo(2385.6, 2);
    expect(acc.free_margin).toBeCloseTo(acc.equity - acc.margin, 2);
  });
});

describe('SimBroker pending orders', () => {
  const orderCheck = TypeCompiler.Compile(OrderChange.schema);
  const orderEvents = (events: SimBrokerEvent[]) => events.flatMap((e) => (e.type === 'order' ? [e.change] : []));

  it('places limit and stop orders only on their side of the market, with stops around their price and an expiry in the future', () => {
    const { broker } = make();
    expect(broker.placeOrder({ symbol: 'EURUSD', type: 'buy_limit', volume: 1, price: 1.0845 }).retcode).toBe(Retcode.INVALID_PRICE);
    expect(broker.placeOrder({ symbol: 'EURUSD', type: 'sell_stop', volume: 1, price: 1.0845 }).retcode).toBe(Retcode.INVALID_PRICE);
    expect(broker.placeOrder({ symbol: 'EURUSD', type: 'buy_limit', volume: 1, price: 1.082, sl: 1.083 }).retcode).toBe(Retcode.INVALID_STOPS);
    expect(broker.placeOrder({ symbol: 'EURUSD', type: 'buy_stop_limit', volume: 1, price: 1.086, stoplimit: 1.087 }).retcode).toBe(Retcode.INVALID_PRICE);
    expect(broker.placeOrder({ symbol: 'EURUSD', type: 'buy_limit', volume: 1, price: 1.082, expiration: 'specified', expiration_ms: 1 }).retcode).toBe(Retcode.INVALID_EXPIRATION);
    const r = broker.placeOrder({ symbol: 'EURUSD', type: 'buy_limit', volume: 1, price: 1.082, sl: 1.08 });
    expect(r).toMatchObject({ retcode: Retcode.DONE, order: r.ticket, volume: 1, price: 1.082 });
    expect(broker.orders()).toEqual([expect.objectContaining({ ticket: r.ticket, order_type: 'buy_limit', price: 1.082, sl: 1.08, expiration: 'gtc' })]);
    expect(broker.positions()).toHaveLength(0);
  });

  it('fills a limit when the price comes to it, as a position whose identifier is the order ticket, and reports placed, then the deal and filled', () => {
    const { broker, events } = make();
    const r = broker.placeOrder({ symbol: 'EURUSD', type: 'buy_limit', volume: 1, price: 1.082, tp: 1.09, magic: 7, comment: 'CB:abcd:1' });
    broker.setQuote('EURUSD', 1.0822, 1.08222);
    expect(broker.positions()).toHaveLength(0);
    broker.setQuote('EURUSD', 1.0818, 1.0819);
    expect(broker.orders()).toHaveLength(0);
    expect(broker.positions()).toEqual([expect.objectContaining({ position: r.ticket, side: 'buy', volume: 1, price_open: 1.0819, tp: 1.09, magic: 7, comment: 'CB:abcd:1' })]);
    const orders = orderEvents(events);
    expect(orders.map((o) => o.state)).toEqual(['placed', 'filled']);
    expect(orders[1]).toMatchObject({ position: r.ticket, order: { ticket: r.ticket, volume: 1 } });
    for (const o of orders) expect(orderCheck.Check({ ...envelope, type: 'order', ...o })).toBe(true);
    const deal = events.find((e) => e.type === 'deal');
    expect(deal).toMatchObject({ deal: { order: r.ticket, position: r.ticket, entry: 'in' } });
  });

  it('fills stops when the price passes them, turns a stop-limit into a limit, and removes an expired order', () => {
    const { broker, events, tick } = make();
    const stop = broker.placeOrder({ symbol: 'EURUSD', type: 'sell_stop', volume: 0.5, price: 1.083 });
    const sl = broker.placeOrder({ symbol: 'EURUSD', type: 'buy_stop_limit', volume: 0.2, price: 1.086, stoplimit: 1.0855 });
    const exp = broker.placeOrder({ symbol: 'EURUSD', type: 'sell_limit', volume: 0.1, price: 1.09, expiration: 'specified', expiration_ms: 1_763_900_000_500 });
    broker.setQuote('EURUSD', 1.0829, 1.08292);
    expect(broker.position(stop.ticket)).toMatchObject({ side: 'sell', volume: 0.5 });
    broker.setQuote('EURUSD', 1.0861, 1.08612);
    expect(broker.pendingOrder(sl.ticket)).toMatchObject({ order_type: 'buy_limit', price: 1.0855 });
    broker.setQuote('EURUSD', 1.0853, 1.08532);
    expect(broker.position(sl.ticket)).toMatchObject({ side: 'buy', volume: 0.2 });
    tick(1000);
    broker.setQuote('EURUSD', 1.0853, 1.08533);
    expect(broker.pendingOrder(exp.ticket)).toBeUndefined();
    expect(orderEvents(events).filter((o) => o.order.ticket === exp.ticket).map((o) => [o.state, o.reason])).toEqual([['placed', undefined], ['removed', 'expired']]);
  });

  it('modifies and removes an order; an unchanged modification answers no changes', () => {
    const { broker, events } = make();
    const r = broker.placeOrder({ symbol: 'EURUSD', type: 'buy_limit', volume: 1, price: 1.082 });
    expect(broker.modifyOrder(r.ticket, { price: 1.082 }).retcode).toBe(Retcode.NO_CHANGES);
    expect(broker.modifyOrder(r.ticket, { price: 1.085 }).retcode).toBe(Retcode.INVALID_PRICE);
    expect(broker.modifyOrder(r.ticket, { price: 1.081, sl: 1.08 }).retcode).toBe(Retcode.DONE);
    expect(broker.pendingOrder(r.ticket)).toMatchObject({ price: 1.081, sl: 1.08 });
    expect(broker.removeOrder(r.ticket).retcode).toBe(Retcode.DONE);
    expect(broker.removeOrder(r.ticket).retcode).toBe(Retcode.INVALID);
    expect(orderEvents(events).map((o) => o.state)).toEqual(['placed', 'modified', 'removed']);
  });
});
