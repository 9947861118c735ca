/**
 * Master operations, chosen by the seeded PRNG: opens, netting adds and reversals, partial closes,
 * SL/TP changes, close-bys and closes; and pending orders: limit and stop orders placed some
 * hundreds of points from the market, their price changed, removed, and filled by moving the
 * master's quote across them (and its followers' quotes the same distance, so the copies fill
 * too, or are converted to market copies when the hub is quicker). Volumes are multiples of 0.2
 * lots so every slave's share (x1, x0.5) is a whole number of its volume steps: a volume mismatch
 * is then a copying error, never rounding.
 */
import type { OrderType, PendingOrder, Position, Side, SymbolSpec } from '../hub/protocol';
import type { SimQuote } from '../sim/broker';
import type { SimTerminal } from '../sim/terminal';
import type { Rng } from './rng';

export const SYMBOLS = ['EURUSD', 'GBPUSD', 'XAUUSD', 'US30'] as const;
const LOT = 0.2;
/** Open positions a hedging master keeps at most (opens get rarer near it). */
const MAX_POSITIONS = 10;
/** Largest netting position, lots. */
const MAX_NETTING = 2;
const DONE = new Set([10009, 10010]);
/** Pending orders a master keeps at most. */
const MAX_ORDERS = 4;
const ORDER_TYPES: readonly OrderType[] = ['buy_limit', 'sell_limit', 'buy_stop', 'sell_stop'];
/**
 * How far past an order price a fill moves the quote, in master points: more than the followers'
 * quotes and rounded copy prices differ from the master's (US30.c's ask is 30 points above), so a
 * copy whose quote moves too fills too.
 */
const FILL_MARGIN: readonly [number, number] = [50, 120];
/**
 * A moved quote keeps this many master points away from every SL/TP and order price on its
 * symbol: the followers' quotes differ from the master's by up to 30 points, and a level between
 * them would be hit on one side only (a copy closed by its own SL while the master's is open).
 */
const LEVEL_CLEARANCE = 60;

export type OpKind = 'open' | 'add' | 'reverse' | 'partial' | 'modify' | 'close_by' | 'close' | 'place' | 'modify_order' | 'remove' | 'fill';

/** A terminal following the master, with its name for a master symbol. */
export interface Follower {
  terminal: SimTerminal;
  translate: (masterSymbol: string) => string;
}

export interface OpOutcome {
  kind: OpKind;
  ok: boolean;
  line: string;
  /** A quote move of the followers left for the caller to make a little later (the master's order filled first). */
  later?: () => void;
}

const lots = (n: number) => Number((n * LOT).toFixed(2));
const opposite = (s: Side): Side => (s === 'buy' ? 'sell' : 'buy');

/** SL/TP some hundreds of points from the price, on the right sides; sometimes none. */
function stops(rng: Rng, t: SimTerminal, symbol: string, side: Side): { sl: number; tp: number } {
  const spec = t.broker.symbol(symbol)!;
  const q = t.broker.quote(symbol)!;
  if (rng.chance(0.25)) return { sl: 0, tp: 0 };
  const away = (points: number) => points * spec.point;
  const ref = side === 'buy' ? q.bid : q.ask;
  const dir = side === 'buy' ? 1 : -1;
  const sl = rng.chance(0.85) ? Number((ref - dir * away(rng.int(200, 900))).toFixed(spec.digits)) : 0;
  const tp = rng.chance(0.85) ? Number((ref + dir * away(rng.int(200, 900))).toFixed(spec.digits)) : 0;
  return { sl, tp };
}

function describe(p: Position): string {
  return `#${p.position} ${p.side} ${p.volume} ${p.symbol}`;
}

/** An order price `points` away from the market on the order type's side (a buy limit below the ask...). */
function orderPrice(type: OrderType, q: SimQuote, spec: SymbolSpec, points: number): number {
  const buy = type.startsWith('buy');
  const above = type === 'buy_stop' || type === 'sell_limit';
  return Number(((buy ? q.ask : q.bid) + (above ? 1 : -1) * points * spec.point).toFixed(spec.digits));
}

/** SL/TP some hundreds of points from an order's price; sometimes none. */
function orderStops(rng: Rng, spec: SymbolSpec, type: OrderType, price: number): { sl: number; tp: number } {
  if (rng.chance(0.3)) return { sl: 0, tp: 0 };
  const dir = type.startsWith('buy') ? 1 : -1;
  const at = (points: number) => Number((price + points * spec.point).toFixed(spec.digits));
  return { sl: rng.chance(0.8) ? at(-dir * rng.int(200, 900)) : 0, tp: rng.chance(0.8) ? at(dir * rng.int(200, 900)) : 0 };
}

function describeOrder(o: PendingOrder): string {
  return `#${o.ticket} ${o.order_type.replace('_', ' ')} ${o.volume} ${o.symbol} @ ${o.price}`;
}

/**
 * The quote move (a price difference) that fills order `o` on the master by a margin, pushed on
 * until the moved bid and ask are clear of every SL/TP and order price on the symbol.
 */
function fillMove(rng: Rng, t: SimTerminal, o: PendingOrder): number {
  const spec = t.broker.symbol(o.symbol)!;
  const q = t.broker.quote(o.symbol)!;
  const up = o.order_type === 'buy_stop' || o.order_type === 'sell_limit';
  const sign = up ? 1 : -1;
  const ref = o.order_type.startsWith('buy') ? q.ask : q.bid;
  let delta = o.price - ref + sign * rng.int(...FILL_MARGIN) * spec.point;
  const levels = [
    ...t.broker.positions().filter((p) => p.symbol === o.symbol).flatMap((p) => [p.sl, p.tp]),
    ...t.broker.orders().filter((x) => x.symbol === o.symbol && x.ticket !== o.ticket).flatMap((x) => [x.price, x.sl, x.tp]),
  ].filter((l) => l > 0);
  const clear = LEVEL_CLEARANCE * spec.point;
  for (let k = 0; k < 50 && levels.some((l) => Math.abs(l - (q.bid + delta)) < clear || Math.abs(l - (q.ask + delta)) < clear); k++) delta += sign * clear;
  // Never to a price at or below zero (the walk of many fills could drift far).
  if (q.bid + delta <= 0) return 0;
  return delta;
}

function moveQuote(t: SimTerminal, symbol: string, delta: number): void {
  const q = t.broker.quote(symbol);
  if (q) t.setQuote(symbol, q.bid + delta, q.ask + delta);
}

/** One operation on a master; the kind is drawn by weight from what the account allows now. */
export function masterOp(rng: Rng, t: SimTerminal, followers: readonly Follower[] = []): OpOutcome {
  const positions = t.broker.positions();
  const orders = t.broker.orders();
  const netting = t.broker.marginMode === 'netting';
  const pairs = netting ? [] : closeByPairs(positions);
  const kind = rng.weighted<OpKind>({
    open: positions.length >= MAX_POSITIONS ? 2 : 30,
    add: netting && positions.length ? 12 : 0,
    reverse: netting && positions.length ? 4 : 0,
    partial: positions.some((p) => p.volume >= 2 * LOT - 1e-9) ? 15 : 0,
    modify: positions.length ? 15 : 0,
    close_by: pairs.length ? 8 : 0,
    close: positions.length ? (positions.length >= MAX_POSITIONS ? 40 : 18) : 0,
    // Pending orders: about a tenth of the operations, so the position mix stays.
    place: orders.length < MAX_ORDERS ? 6 : 0,
    modify_order: orders.length ? 3 : 0,
    remove: orders.length ? 2 : 0,
    fill: orders.length ? 6 : 0,
  });
  const who = t.account;
  const result = (ok: boolean, line: string): OpOutcome => ({ kind, ok, line: `${who} ${kind} ${line}${ok ? '' : ' (failed)'}` });
  switch (kind) {
    case 'open': {
      const free = netting ? SYMBOLS.filter((s) => !positions.some((p) => p.symbol === s)) : [...SYMBOLS];
      if (!free.length) return result(false, 'no free symbol');
      const symbol = rng.pick(free);
      const side: Side = rng.chance(0.5) ? 'buy' : 'sell';
      const volume = lots(rng.int(1, 5));
      const st = stops(rng, t, symbol, side);
      const r = side === 'buy' ? t.buy(symbol, volume, st) : t.sell(symbol, volume, st);
      return result(DONE.has(r.retcode), `${side} ${volume} ${symbol} SL ${st.sl} TP ${st.tp} -> #${r.position}`);
    }
    case 'add': {
      const p = rng.pick(positions);
      const volume = lots(rng.int(1, 3));
      if (p.volume + volume > MAX_NETTING + 1e-9) return result(false, `${describe(p)}: would exceed ${MAX_NETTING} lots`);
      const r = p.side === 'buy' ? t.buy(p.symbol, volume) : t.sell(p.symbol, volume);
      return result(DONE.has(r.retcode), `${volume} to ${describe(p)}`);
    }
    case 'reverse': {
      const p = rng.pick(positions);
      const volume = Number((p.volume + lots(rng.int(1, 3))).toFixed(2));
      const r = p.side === 'buy' ? t.sell(p.symbol, volume) : t.buy(p.symbol, volume);
      return result(DONE.has(r.retcode), `${describe(p)} with ${opposite(p.side)} ${volume}`);
    }
    case 'partial': {
      const p = rng.pick(positions.filter((x) => x.volume >= 2 * LOT - 1e-9));
      const volume = lots(rng.int(1, Math.round(p.volume / LOT) - 1));
      const r = t.close(p.position, volume);
      return result(DONE.has(r.retcode), `${volume} of ${describe(p)}`);
    }
    case 'modify': {
      const p = rng.pick(positions);
      const st = stops(rng, t, p.symbol, p.side);
      const r = t.modify(p.position, st.sl, st.tp);
      // "No changes" is not an operation the hub sees; it still counts as tried.
      return result(r.retcode === 10009 || r.retcode === 10025, `${describe(p)} SL ${st.sl} TP ${st.tp}`);
    }
    case 'close_by': {
      const [a, b] = rng.pick(pairs);
      const r = t.closeBy(a.position, b.position);
      return result(DONE.has(r.retcode), `${describe(a)} by ${describe(b)}`);
    }
    case 'close': {
      const p = rng.pick(positions);
      const r = t.close(p.position);
      return result(DONE.has(r.retcode), describe(p));
    }
    case 'place': {
      const symbol = rng.pick(SYMBOLS);
      const spec = t.broker.symbol(symbol)!;
      const type = rng.pick(ORDER_TYPES);
      const price = orderPrice(type, t.broker.quote(symbol)!, spec, rng.int(200, 900));
      const volume = lots(rng.int(1, 5));
      const st = orderStops(rng, spec, type, price);
      const r = t.placeOrder(symbol, type, volume, price, st);
      return result(r.retcode === 10009, `${type.replace('_', ' ')} ${volume} ${symbol} @ ${price} SL ${st.sl} TP ${st.tp} -> #${r.order}`);
    }
    case 'modify_order': {
      const o = rng.pick(orders);
      const spec = t.broker.symbol(o.symbol)!;
      const price = orderPrice(o.order_type, t.broker.quote(o.symbol)!, spec, rng.int(200, 900));
      const st = orderStops(rng, spec, o.order_type, price);
      const r = t.modifyOrder(o.ticket, { price, ...st });
      return result(r.retcode === 10009, `${describeOrder(o)} to @ ${price} SL ${st.sl} TP ${st.tp}`);
    }
    case 'remove': {
      const o = rng.pick(orders);
      return result(t.removeOrder(o.ticket).retcode === 10009, describeOrder(o));
    }
    case 'fill': {
      const o = rng.pick(orders);
      const delta = fillMove(rng, t, o);
      if (!delta) return result(false, `${describeOrder(o)}: no room to move the quote`);
      const moveFollowers = () => {
        for (const f of followers) moveQuote(f.terminal, f.translate(o.symbol), delta);
      };
      // The followers' quotes move the same distance: before the master's (their copies fill
      // first), with it, or a little later (the hub may convert the copies to market first).
      const when = rng.weighted({ before: 2, with: 4, later: 3 });
      if (when === 'before') moveFollowers();
      moveQuote(t, o.symbol, delta);
      if (when === 'with') moveFollowers();
      const filled = !t.broker.pendingOrder(o.ticket);
      return { ...result(filled, `${describeOrder(o)}: quote moved ${Number(delta.toFixed(8))}, followers ${when}`), later: when === 'later' ? moveFollowers : undefined };
    }
  }
}

function closeByPairs(positions: readonly Position[]): [Position, Position][] {
  const out: [Position, Position][] = [];
  for (const a of positions) for (const b of positions) if (a.side === 'buy' && b.side === 'sell' && a.symbol === b.symbol) out.push([a, b]);
  return out;
}
