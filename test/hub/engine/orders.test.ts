/** The pure rules of pending order copies: reverse, offset, grid, target comparison, and the masters' order book. */
import { OrderBook, offsetPrice, orderSide, planOrder, reverseType, sameTarget } from '../../../hub/engine/orders';
import type { PendingOrder } from '../../../hub/protocol';

const order = (extra: Partial<PendingOrder> = {}): PendingOrder => ({
  ticket: '700', symbol: 'EURUSD', order_type: 'buy_limit', volume: 1, price: 1.09, sl: 0, tp: 0, expiration: 'gtc', magic: 0, comment: '', time_ms: 0, ...extra,
});

describe('pending order rules', () => {
  it('reverses limits into stops on the other side, and has no reverse for stop-limits', () => {
    expect(['buy_limit', 'sell_limit', 'buy_stop', 'sell_stop'].map((t) => reverseType(t as never))).toEqual(['sell_stop', 'buy_stop', 'sell_limit', 'buy_limit']);
    expect(reverseType('buy_stop_limit')).toBeUndefined();
    expect(orderSide('sell_stop_limit')).toBe('sell');
  });

  it('moves the price away from the market: down for buy limits and sell stops, up for the others', () => {
    expect(offsetPrice('buy_limit', 1.09, 10, 0.00001)).toBeCloseTo(1.0899, 10);
    expect(offsetPrice('sell_stop', 1.09, 10, 0.00001)).toBeCloseTo(1.0899, 10);
    expect(offsetPrice('sell_limit', 1.09, 10, 0.00001)).toBeCloseTo(1.0901, 10);
    expect(offsetPrice('buy_stop', 1.09, -10, 0.00001)).toBeCloseTo(1.0899, 10);
    expect(offsetPrice('buy_stop', 1.09, undefined, 0.00001)).toBe(1.09);
  });

  it('plans the slave order on its tick grid with its expiry, and refuses an offset without a point size', () => {
    const spec = { digits: 2, point: 0.01, tick_size: 0.25 };
    expect(planOrder(order({ price: 4000.1, expiration: 'specified', expiration_ms: 123 }), false, 0, spec)).toEqual({ ok: true, target: { type: 'buy_limit', price: 4000, expiration: 'specified', expiration_ms: 123 } });
    expect(planOrder(order({ expiration: 'gtc', expiration_ms: 123 }), false, 0, undefined)).toEqual({ ok: true, target: { type: 'buy_limit', price: 1.09, expiration: 'gtc' } });
    expect(planOrder(order(), false, 5, undefined)).toMatchObject({ ok: false, reason: expect.stringContaining('point size') });
    expect(planOrder(order({ order_type: 'sell_stop_limit', stoplimit: 1.1 }), true, 0, undefined)).toMatchObject({ ok: false });
  });

  it('compares targets at half a point', () => {
    const a = { type: 'buy_limit' as const, price: 1.09, expiration: 'gtc' as const };
    expect(sameTarget(a, { ...a, price: 1.090004 }, 0.00001)).toBe(true);
    expect(sameTarget(a, { ...a, price: 1.09001 }, 0.00001)).toBe(false);
    expect(sameTarget(a, { ...a, expiration: 'day' }, 0.00001)).toBe(false);
  });

  it('keeps the masters\' orders: a late report of an ended order does not revive it; a listing replaces them', () => {
    const book = new OrderBook();
    expect(book.set('M1', order())).toBe(true);
    book.end('M1', '700', 'filled');
    expect(book.set('M1', order())).toBe(false);
    expect(book.howEnded('M1', '700')).toBe('filled');
    book.set('M1', order({ ticket: '701' }));
    expect(book.replace('M1', [order({ ticket: '702' })], 5)).toEqual(['701']);
    expect(book.listedSeq('M1')).toBe(5);
    expect(book.get('M1', '702')).toMatchObject({ master: 'M1' });
  });
});
