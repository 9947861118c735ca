/**
 * Pending orders (limit, stop, stop-limit): what a copy of a master order is on a slave, pure, and
 * the book of the masters' pending orders. A master order's ticket becomes its position
 * identifier when it fills (MetaTrader: POSITION_IDENTIFIER = the order's ticket), so a pending
 * copy is a copy record keyed by that ticket: placed while both orders wait, open once filled.
 */
import { BoundedMap } from '../bounded';
import type { OrderExpiry, OrderType, PendingOrder, Side, SymbolSpec } from '../protocol';
import { posKey } from './copies';
import { normalizePrice } from './slippage';

/** What a pending copy is asked to be on the slave: its type, price and expiry (volume, SL/TP are the copy's). */
export interface OrderTarget {
  type: OrderType;
  price: number;
  stoplimit?: number;
  expiration: OrderExpiry;
  expiration_ms?: number;
}

/** The side of the position an order of this type opens. */
export function orderSide(t: OrderType): Side {
  return t.startsWith('buy') ? 'buy' : 'sell';
}

/**
 * A reverse copy sells where the master buys at the same price: a buy limit (buy when the price
 * falls to P) becomes a sell stop at P, a buy stop a sell limit, and so on. A stop-limit has no
 * such mirror (its limit price is on the wrong side of the stop for the other direction).
 */
export function reverseType(t: OrderType): OrderType | undefined {
  switch (t) {
    case 'buy_limit':
      return 'sell_stop';
    case 'sell_limit':
      return 'buy_stop';
    case 'buy_stop':
      return 'sell_limit';
    case 'sell_stop':
      return 'buy_limit';
    default:
      return undefined;
  }
}

/**
 * The order price moved `points` of the slave's points away from the market: down for orders
 * that wait for a lower price (buy limit, sell stop, sell stop-limit), up for the others;
 * negative moves it closer. A stop-limit's limit price moves with its stop price.
 */
export function offsetPrice(t: OrderType, price: number, points: number | undefined, point: number | undefined): number {
  if (!points || !point) return price;
  const below = t === 'buy_limit' || t === 'sell_stop' || t === 'sell_stop_limit';
  return price + (below ? -1 : 1) * points * point;
}

/** On the slave's tick grid and digits, as the EA sends it. */
export function gridPrice(price: number, spec: Pick<SymbolSpec, 'digits' | 'tick_size'> | undefined): number {
  if (!price) return 0;
  const p = spec?.tick_size ? Math.round(price / spec.tick_size) * spec.tick_size : price;
  return normalizePrice(p, spec?.digits);
}

export type OrderPlan = { ok: true; target: OrderTarget } | { ok: false; reason: string };

/** The slave order for a master order under the link's reverse and offset settings. */
export function planOrder(
  o: Pick<PendingOrder, 'order_type' | 'price' | 'stoplimit' | 'expiration' | 'expiration_ms'>,
  reversed: boolean,
  offsetPoints: number | undefined,
  spec: Pick<SymbolSpec, 'digits' | 'point' | 'tick_size'> | undefined,
): OrderPlan {
  const type = reversed ? reverseType(o.order_type) : o.order_type;
  if (!type) return { ok: false, reason: `a ${o.order_type.replace(/_/g, ' ')} order has no reverse copy (its limit price lies on the wrong side of its stop for the other direction)` };
  if (offsetPoints && !spec?.point) return { ok: false, reason: 'pending_offset_points needs the slave symbol\'s point size, which has not been reported yet' };
  const move = (p: number) => gridPrice(offsetPrice(type, p, offsetPoints, spec?.point), spec);
  const target: OrderTarget = { type, price: move(o.price), expiration: o.expiration };
  if (o.stoplimit) target.stoplimit = move(o.stoplimit);
  if (o.expiration_ms !== undefined && (o.expiration === 'specified' || o.expiration === 'specified_day')) target.expiration_ms = o.expiration_ms;
  return { ok: true, target };
}

/** Two targets the slave would hold as the same order (prices compared at half a point). */
export function sameTarget(a: OrderTarget, b: OrderTarget, point = 1e-9): boolean {
  const eq = (x = 0, y = 0) => Math.abs(x - y) < point / 2;
  return a.type === b.type && eq(a.price, b.price) && eq(a.stoplimit, b.stoplimit) && a.expiration === b.expiration && (a.expiration_ms ?? 0) === (b.expiration_ms ?? 0);
}

/** The target a slave reports for its order. */
export function targetOf(o: PendingOrder): OrderTarget {
  const t: OrderTarget = { type: o.order_type, price: o.price, expiration: o.expiration };
  if (o.stoplimit) t.stoplimit = o.stoplimit;
  if (o.expiration_ms) t.expiration_ms = o.expiration_ms;
  return t;
}

export function describeTarget(t: OrderTarget): string {
  const expiry = t.expiration === 'gtc' ? '' : ` ${t.expiration}${t.expiration_ms ? ' ' + new Date(t.expiration_ms).toISOString() : ''}`;
  return `${t.type.replace(/_/g, ' ')} @ ${t.price}${t.stoplimit ? ` limit ${t.stoplimit}` : ''}${expiry}`;
}

/** The masters' pending orders: from their order reports and snapshots. */
export class OrderBook {
  private orders = new Map<string, PendingOrder & { master: string }>();
  /** Master orders that left the book (filled or removed), so a late report does not revive them. */
  private ended = new BoundedMap<string, 'filled' | 'removed'>(50_000);
  /** Per master: the engine order (nextSeq) of its latest snapshot that listed its orders. */
  private listed = new Map<string, number>();

  get(master: string, ticket: string): PendingOrder | undefined {
    return this.orders.get(posKey(master, ticket));
  }

  all(): IterableIterator<PendingOrder & { master: string }> {
    return this.orders.values();
  }

  /** A placed or modified order; false when it already ended (a report older than its fill or removal). */
  set(master: string, o: PendingOrder): boolean {
    const key = posKey(master, o.ticket);
    if (this.ended.has(key)) return false;
    this.orders.set(key, { ...o, master });
    return true;
  }

  end(master: string, ticket: string, how: 'filled' | 'removed'): void {
    const key = posKey(master, ticket);
    this.orders.delete(key);
    this.ended.set(key, how);
    // Bounded: a ticket is never reused, so only recent ones can come back in a late report.
  }

  howEnded(master: string, ticket: string): 'filled' | 'removed' | undefined {
    return this.ended.get(posKey(master, ticket));
  }

  /** A master snapshot that lists orders: the book follows it; returns the orders it no longer holds (the caller ends them, filled or removed). */
  replace(master: string, orders: readonly PendingOrder[], seq: number): string[] {
    this.listed.set(master, seq);
    const now = new Set(orders.map((o) => o.ticket));
    const gone: string[] = [];
    for (const [key, o] of [...this.orders]) {
      if (o.master !== master || now.has(o.ticket)) continue;
      this.orders.delete(key);
      gone.push(o.ticket);
    }
    for (const o of orders) this.set(master, o);
    return gone;
  }

  /** Order (nextSeq) of the master's latest snapshot that listed its orders; undefined: none yet (or an EA that does not list them). */
  listedSeq(master: string): number | undefined {
    return this.listed.get(master);
  }
}
