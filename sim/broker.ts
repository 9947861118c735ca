/**
 * SimBroker: a small MetaTrader 5 trade server for one account. Pure: no I/O and no timers, time
 * comes from the injectable now(), randomness from a seeded PRNG, so tests are deterministic.
 *
 * It models what the EA and the hub depend on: market execution at ask/bid,
 * hedging (a position per 'in' deal, closes name the position, close-by) and netting (one
 * position per symbol, add / partial close / close / reversal keeping the identifier), volume,
 * filling, trade-mode, stops and margin checks with MetaTrader's retcodes, and SL/TP hits when the
 * quote crosses them; pending orders (limit, stop, stop-limit) that fill when the quote crosses
 * their price, as a position whose identifier is the order's ticket, and expire at their time.
 * Every deal, SL/TP edit and order change is reported as a protocol deal/position/order body.
 */
import type { Body, DealMsg, OrderExpiry, OrderMsg, OrderType, PendingOrder, Position, PositionMsg, Side, SymbolSpec } from '../hub/protocol';
import { Retcode, retcodeMessage } from './retcodes';
import { mulberry32 } from './rng';

export type DealRecord = Omit<Body<DealMsg>, 'type'>;
export type PositionChangeRecord = Omit<Body<PositionMsg>, 'type'>;
export type OrderRecord = Omit<Body<OrderMsg>, 'type'>;
export type DealReason = DealRecord['reason'];
export type Filling = 'fok' | 'ioc' | 'return';
export type MarginMode = 'hedging' | 'netting';

export interface SimQuote {
  bid: number;
  ask: number;
  time_ms: number;
}

export interface SimBrokerOptions {
  symbols: readonly SymbolSpec[];
  /** default 'hedging' */
  marginMode?: MarginMode;
  /** default 100000 */
  balance?: number;
  /** default 100 */
  leverage?: number;
  quotes?: Readonly<Record<string, { bid: number; ask: number }>>;
  /** Tickets start after this number, so master and slave tickets can be told apart. Default 1000. */
  ticketBase?: number;
  /** default Date.now */
  now?: () => number;
  /** PRNG seed for jitter(); default 1 */
  seed?: number;
}

export interface SimOrderRequest {
  symbol: string;
  side: Side;
  volume: number;
  /** Close (part of) this position. Without it a hedging account opens a new position. */
  position?: string;
  sl?: number;
  tp?: number;
  magic?: number;
  comment?: string;
  /** default: the symbol's best mode (chooseFilling) */
  filling?: Filling;
  /** default 'client' */
  reason?: DealReason;
}

export interface SimCloseOptions {
  /** default: the whole position */
  volume?: number;
  magic?: number;
  comment?: string;
  filling?: Filling;
  reason?: DealReason;
}

/** MqlTradeResult, plus what the operation recorded. Empty strings / 0 where MT5 leaves fields 0. */
export interface SimTradeResult {
  retcode: number;
  message: string;
  deal: string;
  order: string;
  position: string;
  ticket: string;
  price: number;
  volume: number;
  /** volume of the position after the operation (0 when closed, or when nothing was done to a new one) */
  position_volume: number;
  deals: DealRecord[];
  change?: PositionChangeRecord;
}

export interface SimAccountState {
  balance: number;
  equity: number;
  margin: number;
  free_margin: number;
  leverage: number;
  margin_mode: MarginMode;
}

export type SimBrokerEvent =
  | { type: 'deal'; deal: DealRecord }
  | { type: 'position'; change: PositionChangeRecord }
  | { type: 'order'; change: OrderRecord }
  | { type: 'quote'; symbol: string; quote: SimQuote };

export type SimTradeAction = 'deal' | 'sltp' | 'close_by' | 'pending';

/** TRADE_ACTION_PENDING. */
export interface SimPendingRequest {
  symbol: string;
  type: OrderType;
  volume: number;
  price: number;
  /** stop-limit orders: the limit price placed when the stop price is reached */
  stoplimit?: number;
  sl?: number;
  tp?: number;
  /** default 'gtc'; 'day' is kept as long as gtc here (the simulation has no trading day) */
  expiration?: OrderExpiry;
  expiration_ms?: number;
  magic?: number;
  comment?: string;
  /** the DEAL_REASON of its fill; default 'client' */
  reason?: DealReason;
}

/** TRADE_ACTION_MODIFY of a pending order. */
export type SimOrderChange = Pick<SimPendingRequest, 'price' | 'stoplimit' | 'sl' | 'tp' | 'expiration' | 'expiration_ms'>;

interface SimPosition {
  id: string;
  symbol: string;
  side: Side;
  volume: number;
  price_open: number;
  sl: number;
  tp: number;
  magic: number;
  comment: string;
  time_ms: number;
}

interface Injection {
  code: number;
  remaining: number;
  actions: readonly SimTradeAction[];
}

/** MT5 truncates order comments to 31 characters. */
const MAX_COMMENT = 31;

const VOL_EPS = 1e-8;

function roundVolume(v: number): number {
  return Math.round(v * 1e8) / 1e8;
}

export function normalizeDouble(price: number, digits: number): number {
  return Number(price.toFixed(digits));
}

/** Volume rounded to the nearest step (the hub already sized it; this removes float noise). */
export function normalizeVolume(volume: number, step: number): number {
  if (step <= 0) return roundVolume(volume);
  return roundVolume(Math.round(volume / step + 1e-9) * step);
}

/** The EA's choice of filling mode for a SYMBOL_FILLING_MODE mask: FOK if allowed, else IOC, else Return. */
export function chooseFilling(mask: number): Filling {
  if (mask & 1) return 'fok';
  if (mask & 2) return 'ioc';
  return 'return';
}

function isMultiple(value: number, step: number): boolean {
  if (step <= 0) return true;
  const n = value / step;
  return Math.abs(n - Math.round(n)) < 1e-6;
}

function opposite(side: Side): Side {
  return side === 'buy' ? 'sell' : 'buy';
}


export class SimBroker {
  readonly marginMode: MarginMode;
  readonly leverage: number;
  private balance: number;
  private readonly specs = new Map<string, SymbolSpec>();
  private readonly quotes = new Map<string, SimQuote>();
  private readonly open = new Map<string, SimPosition>();
  private readonly waiting = new Map<string, PendingOrder & { reason: DealReason }>();
  private readonly deals: DealRecord[] = [];
  private readonly closedMarkets = new Set<string>();
  private allMarketsClosed = false;
  private injections: Injection[] = [];
  private readonly listeners = new Set<(e: SimBrokerEvent) => void>();
  private nextTicket: number;
  private readonly now: () => number;
  private readonly random: () => number;
  /** Events of the operation in progress, dispatched when it has finished changing state. */
  private pending: SimBrokerEvent[] = [];

  constructor(opts: SimBrokerOptions) {
    this.marginMode = opts.marginMode ?? 'hedging';
    this.balance = opts.balance ?? 100000;
    this.leverage = opts.leverage ?? 100;
    this.nextTicket = (opts.ticketBase ?? 1000) + 1;
    this.now = opts.now ?? Date.now;
    this.random = mulberry32(opts.seed ?? 1);
    for (const s of opts.symbols) this.specs.set(s.name, { ...s });
    for (const [symbol, q] of Object.entries(opts.quotes ?? {})) this.setQuote(symbol, q.bid, q.ask);
  }

  // ------------------------------------------------------------------ market

  symbols(): SymbolSpec[] {
    return [...this.specs.values()].map((s) => ({ ...s }));
  }

  symbol(name: string): SymbolSpec | undefined {
    const s = this.specs.get(name);
    return s && { ...s };
  }

  /** Changes a symbol's facts (trade mode, stops level...) as a broker would mid-session. */
  updateSymbol(name: string, patch: Partial<Omit<SymbolSpec, 'name'>>): void {
    this.specs.set(name, { ...this.spec(name), ...patch });
  }

  quote(symbol: string): SimQuote | undefined {
    const q = this.quotes.get(symbol);
    return q && { ...q };
  }

  setQuote(symbol: string, bid: number, ask: number): SimQuote {
    const spec = this.spec(symbol);
    if (!(bid > 0) || !(ask >= bid)) throw new Error(`SimBroker: bad quote for ${symbol}: bid ${bid}, ask ${ask}`);
    const q: SimQuote = { bid: normalizeDouble(bid, spec.digits), ask: normalizeDouble(ask, spec.digits), time_ms: this.now() };
    this.quotes.set(symbol, q);
    this.pending.push({ type: 'quote', symbol, quote: { ...q } });
    if (this.marketOpen(symbol)) {
      this.hitStops(symbol, q);
      this.triggerOrders(symbol, q);
    }
    this.flush();
    return { ...q };
  }

  /** Moves bid and ask together by a random whole number of points in [-points, +points]. */
  jitter(symbol: string, points: number): SimQuote {
    const spec = this.spec(symbol);
    const q = this.quotes.get(symbol);
    if (!q) throw new Error(`SimBroker: no quote for ${symbol} to jitter`);
    let delta = Math.round((this.random() * 2 - 1) * points) * spec.point;
    if (q.bid + delta <= 0) delta = -delta;
    return this.setQuote(symbol, q.bid + delta, q.ask + delta);
  }

  /** Opens or closes the market for one symbol, or for all when symbol is omitted. */
  setMarketOpen(open: boolean, symbol?: string): void {
    if (symbol === undefined) {
      this.allMarketsClosed = !open;
      if (open) this.closedMarkets.clear();
    } else if (open) this.closedMarkets.delete(symbol);
    else this.closedMarkets.add(symbol);
  }

  /** The next `times` requests of the given kinds (after local validation) fail with `code`.
   *  10010 is special: the order is filled for half its volume. */
  injectRetcode(code: number, times = 1, actions: readonly SimTradeAction[] = ['deal', 'close_by']): void {
    if (times > 0) this.injections.push({ code, remaining: times, actions });
  }

  // ------------------------------------------------------------------ account

  positions(): Position[] {
    return [...this.open.values()].map(exportPosition);
  }

  /** A position by ticket or identifier (the same number in this simulation). */
  position(ticketOrId: string): Position | undefined {
    const p = this.open.get(ticketOrId);
    return p && exportPosition(p);
  }

  history(): readonly DealRecord[] {
    return this.deals;
  }

  account(): SimAccountState {
    let margin = 0;
    let floating = 0;
    for (const p of this.open.values()) {
      const spec = this.spec(p.symbol);
      margin += (p.volume * spec.contract_size * p.price_open) / this.leverage;
      const q = this.quotes.get(p.symbol);
      if (q) floating += this.profit(p, p.volume, p.side === 'buy' ? q.bid : q.ask);
    }
    const round2 = (x: number) => Math.round(x * 100) / 100;
    const equity = this.balance + floating;
    return {
      balance: round2(this.balance),
      equity: round2(equity),
      margin: round2(margin),
      free_margin: round2(equity - margin),
      leverage: this.leverage,
      margin_mode: this.marginMode,
    };
  }

  /** Deals, SL/TP changes and quotes, in the order they happen. Returns an unsubscribe function. */
  onEvent(listener: (e: SimBrokerEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  // ------------------------------------------------------------------ trading

  buy(symbol: string, volume: number, opts: Omit<SimOrderRequest, 'symbol' | 'side' | 'volume'> = {}): SimTradeResult {
    return this.order({ ...opts, symbol, side: 'buy', volume });
  }

  sell(symbol: string, volume: number, opts: Omit<SimOrderRequest, 'symbol' | 'side' | 'volume'> = {}): SimTradeResult {
    return this.order({ ...opts, symbol, side: 'sell', volume });
  }

  /** Closes a position in full or in part with an opposite deal naming it. */
  close(ticketOrId: string, opts: SimCloseOptions = {}): SimTradeResult {
    const p = this.open.get(ticketOrId);
    if (!p) return fail(Retcode.POSITION_CLOSED, { position: ticketOrId });
    return this.order({
      symbol: p.symbol,
      side: opposite(p.side),
      volume: opts.volume ?? p.volume,
      position: p.id,
      magic: opts.magic,
      comment: opts.comment,
      filling: opts.filling,
      reason: opts.reason,
    });
  }

  /** TRADE_ACTION_DEAL: a market order. */
  order(req: SimOrderRequest): SimTradeResult {
    return this.execute(req);
  }

  /** A market deal; `fromOrder`: the pending order it fills, whose ticket names the deal's order and a new position. */
  private execute(req: SimOrderRequest, fromOrder?: string): SimTradeResult {
    const spec = this.specs.get(req.symbol);
    if (!spec) return fail(Retcode.INVALID);
    if (!(req.volume > 0)) return fail(Retcode.INVALID_VOLUME);

    // What the deal does to the account decides which checks apply.
    let target: SimPosition | undefined;
    let kind: 'open' | 'add' | 'close' | 'reverse';
    if (req.position !== undefined) {
      target = this.open.get(req.position);
      if (!target) return fail(Retcode.POSITION_CLOSED, { position: req.position });
      if (target.symbol !== req.symbol || target.side === req.side) return fail(Retcode.INVALID, { position: target.id });
      if (req.volume > target.volume + VOL_EPS) return fail(Retcode.INVALID_CLOSE_VOLUME, { position: target.id, position_volume: target.volume });
      kind = 'close';
    } else if (this.marginMode === 'netting' && (target = this.bySymbol(req.symbol))) {
      if (target.side === req.side) kind = 'add';
      else kind = req.volume > target.volume + VOL_EPS ? 'reverse' : 'close';
    } else {
      kind = 'open';
    }
    const posRef = { position: target?.id ?? '', position_volume: target?.volume ?? 0 };

    if (req.volume < spec.volume_min - VOL_EPS || req.volume > spec.volume_max + VOL_EPS || !isMultiple(req.volume, spec.volume_step)) {
      return fail(Retcode.INVALID_VOLUME, posRef);
    }
    // Side of the exposure this deal opens (none for a pure close).
    const opening = kind !== 'close';
    if (spec.trade_mode === 'disabled') return fail(Retcode.TRADE_DISABLED, posRef);
    if (opening && spec.trade_mode === 'closeonly') return fail(Retcode.CLOSE_ONLY, posRef);
    if (opening && spec.trade_mode === 'longonly' && req.side === 'sell') return fail(Retcode.LONG_ONLY, posRef);
    if (opening && spec.trade_mode === 'shortonly' && req.side === 'buy') return fail(Retcode.SHORT_ONLY, posRef);
    if (!this.marketOpen(req.symbol)) return fail(Retcode.MARKET_CLOSED, posRef);
    const filling = req.filling ?? chooseFilling(spec.filling_modes);
    if (!fillingAllowed(filling, spec.filling_modes)) return fail(Retcode.INVALID_FILL, posRef);
    const q = this.quotes.get(req.symbol);
    if (!q) return fail(Retcode.PRICE_OFF, posRef);

    const sl = req.sl ?? 0;
    const tp = req.tp ?? 0;
    const newSide = kind === 'reverse' || kind === 'open' ? req.side : target?.side ?? req.side;
    if (opening && (sl !== 0 || tp !== 0)) {
      if (!this.stopsValid(spec, newSide, sl, tp, q)) return fail(Retcode.INVALID_STOPS, posRef);
    }
    const openingVolume = kind === 'reverse' ? req.volume - (target?.volume ?? 0) : opening ? req.volume : 0;
    const price = req.side === 'buy' ? q.ask : q.bid;
    if (openingVolume > 0) {
      const required = (openingVolume * spec.contract_size * price) / this.leverage;
      if (required > this.account().free_margin) return fail(Retcode.NO_MONEY, posRef);
      const limit = spec.volume_limit ?? 0;
      if (limit > 0) {
        let same = 0;
        for (const p of this.open.values()) if (p.symbol === req.symbol && p.side === newSide) same += p.volume;
        if (kind === 'reverse') same = 0;
        if (same + openingVolume > limit + VOL_EPS) return fail(Retcode.LIMIT_VOLUME, posRef);
      }
    }

    const injected = this.takeInjection('deal');
    let volume = req.volume;
    let retcode: number = Retcode.DONE;
    if (injected === Retcode.DONE_PARTIAL) {
      const half = Math.max(spec.volume_min, Math.floor(req.volume / 2 / spec.volume_step + 1e-9) * spec.volume_step);
      volume = roundVolume(Math.min(half, req.volume));
      if (volume < req.volume - VOL_EPS) retcode = Retcode.DONE_PARTIAL;
      // A partial fill can turn a reversal into a plain close.
      if (kind === 'reverse' && target && volume <= target.volume + VOL_EPS) kind = 'close';
    } else if (injected !== undefined) {
      return fail(injected, posRef);
    }

    const order = fromOrder ?? this.ticket();
    const deal = this.ticket();
    const now = this.now();
    const magic = req.magic ?? 0;
    const comment = truncateComment(req.comment ?? '');
    let pos: SimPosition;
    let entry: DealRecord['entry'];
    switch (kind) {
      case 'open':
        pos = { id: order, symbol: req.symbol, side: req.side, volume, price_open: price, sl, tp, magic, comment, time_ms: now };
        this.open.set(pos.id, pos);
        entry = 'in';
        break;
      case 'add': {
        pos = target as SimPosition;
        const total = roundVolume(pos.volume + volume);
        pos.price_open = normalizeDouble((pos.price_open * pos.volume + price * volume) / total, spec.digits + 2);
        pos.volume = total;
        if (req.sl !== undefined) pos.sl = sl;
        if (req.tp !== undefined) pos.tp = tp;
        entry = 'in';
        break;
      }
      case 'close':
        pos = target as SimPosition;
        this.balance += this.profit(pos, volume, price);
        pos.volume = roundVolume(pos.volume - volume);
        entry = 'out';
        break;
      case 'reverse':
        pos = target as SimPosition;
        this.balance += this.profit(pos, pos.volume, price);
        // POSITION_IDENTIFIER survives a reversal; everything else is the new exposure.
        Object.assign(pos, { side: req.side, volume: roundVolume(volume - pos.volume), price_open: price, sl, tp, magic, comment, time_ms: now });
        entry = 'inout';
        break;
    }
    const rec = this.recordDeal({
      deal,
      order,
      position: pos.id,
      symbol: req.symbol,
      side: req.side,
      entry,
      volume,
      price,
      sl: pos.sl,
      tp: pos.tp,
      magic,
      comment,
      reason: req.reason ?? 'client',
      time_ms: now,
      position_volume: pos.volume,
      position_side: pos.side,
    });
    if (pos.volume <= VOL_EPS) this.open.delete(pos.id);
    this.flush();
    return {
      retcode,
      message: retcodeMessage(retcode),
      deal,
      order,
      position: pos.id,
      ticket: pos.id,
      price,
      volume,
      position_volume: rec.position_volume,
      deals: [rec],
    };
  }

  /** TRADE_ACTION_CLOSE_BY: closes two opposite positions of one symbol against each other
   *  (hedging only). The larger one stays open with the difference. */
  closeBy(ticketOrId: string, byTicketOrId: string, opts: { magic?: number; comment?: string; reason?: DealReason } = {}): SimTradeResult {
    const a = this.open.get(ticketOrId);
    const b = this.open.get(byTicketOrId);
    if (!a || !b) return fail(Retcode.POSITION_CLOSED, { position: ticketOrId });
    const posRef = { position: a.id, position_volume: a.volume };
    if (this.marginMode !== 'hedging' || a.id === b.id || a.symbol !== b.symbol || a.side === b.side) return fail(Retcode.INVALID, posRef);
    const spec = this.spec(a.symbol);
    if (spec.trade_mode === 'disabled') return fail(Retcode.TRADE_DISABLED, posRef);
    if (!this.marketOpen(a.symbol)) return fail(Retcode.MARKET_CLOSED, posRef);
    const injected = this.takeInjection('close_by');
    if (injected !== undefined && injected !== Retcode.DONE_PARTIAL) return fail(injected, posRef);

    const volume = Math.min(a.volume, b.volume);
    // Both legs at the opposite position's open price: the pair's profit is realised once, on a.
    const price = b.price_open;
    const order = this.ticket();
    const now = this.now();
    const magic = opts.magic ?? 0;
    const comment = truncateComment(opts.comment ?? '');
    const reason = opts.reason ?? 'client';
    const recs: DealRecord[] = [];
    this.balance += this.profit(a, volume, price);
    for (const [p, by] of [
      [a, b],
      [b, a],
    ] as const) {
      p.volume = roundVolume(p.volume - volume);
      recs.push(
        this.recordDeal({
          deal: this.ticket(),
          order,
          position: p.id,
          position_by: by.id,
          symbol: p.symbol,
          side: opposite(p.side),
          entry: 'out_by',
          volume,
          price,
          sl: p.sl,
          tp: p.tp,
          magic,
          comment,
          reason,
          time_ms: now,
          position_volume: p.volume,
          position_side: p.side,
        }),
      );
    }
    for (const p of [a, b]) if (p.volume <= VOL_EPS) this.open.delete(p.id);
    this.flush();
    return {
      retcode: Retcode.DONE,
      message: retcodeMessage(Retcode.DONE),
      deal: recs[0].deal,
      order,
      position: a.id,
      ticket: a.id,
      price,
      volume,
      position_volume: a.volume,
      deals: recs,
    };
  }

  /** TRADE_ACTION_SLTP. Prices must already be normalised to the symbol's digits. */
  modify(ticketOrId: string, sl: number, tp: number): SimTradeResult {
    const p = this.open.get(ticketOrId);
    if (!p) return fail(Retcode.POSITION_CLOSED, { position: ticketOrId });
    const posRef = { position: p.id, position_volume: p.volume };
    const spec = this.spec(p.symbol);
    if (spec.trade_mode === 'disabled') return fail(Retcode.TRADE_DISABLED, posRef);
    if (!this.marketOpen(p.symbol)) return fail(Retcode.MARKET_CLOSED, posRef);
    if (!isMultiple(sl, spec.point) || !isMultiple(tp, spec.point) || sl < 0 || tp < 0) return fail(Retcode.INVALID_STOPS, posRef);
    const eps = spec.point / 10;
    if (Math.abs(sl - p.sl) < eps && Math.abs(tp - p.tp) < eps) return fail(Retcode.NO_CHANGES, posRef);
    const q = this.quotes.get(p.symbol);
    if (!q) return fail(Retcode.PRICE_OFF, posRef);
    if (!this.stopsValid(spec, p.side, sl, tp, q)) return fail(Retcode.INVALID_STOPS, posRef);
    if (this.frozen(spec, p, q)) return fail(Retcode.FROZEN, posRef);
    const injected = this.takeInjection('sltp');
    if (injected !== undefined) return fail(injected, posRef);

    p.sl = sl;
    p.tp = tp;
    const change: PositionChangeRecord = { position: p.id, symbol: p.symbol, side: p.side, volume: p.volume, sl, tp };
    this.pending.push({ type: 'position', change: { ...change } });
    this.flush();
    return { retcode: Retcode.DONE, message: retcodeMessage(Retcode.DONE), deal: '', order: '', position: p.id, ticket: p.id, price: 0, volume: 0, position_volume: p.volume, deals: [], change };
  }

  // ------------------------------------------------------------------ pending orders

  orders(): PendingOrder[] {
    return [...this.waiting.values()].map(exportOrder);
  }

  pendingOrder(ticket: string): PendingOrder | undefined {
    const o = this.waiting.get(ticket);
    return o && exportOrder(o);
  }

  /** TRADE_ACTION_PENDING: the price must be on the order's side of the market, its stops on the right sides of it. */
  placeOrder(req: SimPendingRequest): SimTradeResult {
    const spec = this.specs.get(req.symbol);
    if (!spec) return fail(Retcode.INVALID);
    if (!(req.volume > 0) || req.volume < spec.volume_min - VOL_EPS || req.volume > spec.volume_max + VOL_EPS || !isMultiple(req.volume, spec.volume_step)) return fail(Retcode.INVALID_VOLUME);
    const side: Side = req.type.startsWith('buy') ? 'buy' : 'sell';
    if (spec.trade_mode === 'disabled') return fail(Retcode.TRADE_DISABLED);
    if (spec.trade_mode === 'closeonly') return fail(Retcode.CLOSE_ONLY);
    if (spec.trade_mode === (side === 'buy' ? 'shortonly' : 'longonly')) return fail(side === 'buy' ? Retcode.SHORT_ONLY : Retcode.LONG_ONLY);
    if (!this.marketOpen(req.symbol)) return fail(Retcode.MARKET_CLOSED);
    const o = { ticket: '', symbol: req.symbol, order_type: req.type, volume: req.volume, price: req.price, stoplimit: req.stoplimit, sl: req.sl ?? 0, tp: req.tp ?? 0, expiration: req.expiration ?? 'gtc', expiration_ms: req.expiration_ms, magic: req.magic ?? 0, comment: truncateComment(req.comment ?? ''), time_ms: this.now(), reason: req.reason ?? 'client' };
    const invalid = this.orderInvalid(spec, o);
    if (invalid !== undefined) return fail(invalid);
    const injected = this.takeInjection('pending');
    if (injected !== undefined) return fail(injected);
    o.ticket = this.ticket();
    this.waiting.set(o.ticket, o);
    this.orderEvent('placed', o);
    this.flush();
    return { ...done(o.ticket), price: o.price, volume: o.volume };
  }

  /** TRADE_ACTION_MODIFY of a pending order (price, stop-limit, SL/TP, expiry; not its volume). */
  modifyOrder(ticket: string, change: SimOrderChange): SimTradeResult {
    const o = this.waiting.get(ticket);
    if (!o) return fail(Retcode.INVALID);
    const spec = this.spec(o.symbol);
    if (!this.marketOpen(o.symbol)) return fail(Retcode.MARKET_CLOSED);
    const next = { ...o, price: change.price, stoplimit: change.stoplimit ?? o.stoplimit, sl: change.sl ?? 0, tp: change.tp ?? 0, expiration: change.expiration ?? o.expiration, expiration_ms: change.expiration_ms };
    const eps = spec.point / 10;
    const same = (a = 0, b = 0) => Math.abs(a - b) < eps;
    if (same(next.price, o.price) && same(next.stoplimit, o.stoplimit) && same(next.sl, o.sl) && same(next.tp, o.tp) && next.expiration === o.expiration && next.expiration_ms === o.expiration_ms) return fail(Retcode.NO_CHANGES);
    const invalid = this.orderInvalid(spec, next);
    if (invalid !== undefined) return fail(invalid);
    const injected = this.takeInjection('pending');
    if (injected !== undefined) return fail(injected);
    this.waiting.set(ticket, next);
    this.orderEvent('modified', next);
    this.flush();
    return { ...done(ticket), price: next.price, volume: next.volume };
  }

  /** TRADE_ACTION_REMOVE (reason 'canceled'), or the broker removing it. */
  removeOrder(ticket: string, reason: 'canceled' | 'expired' | 'rejected' = 'canceled'): SimTradeResult {
    const o = this.waiting.get(ticket);
    if (!o) return fail(Retcode.INVALID);
    if (reason === 'canceled') {
      const injected = this.takeInjection('pending');
      if (injected !== undefined) return fail(injected);
    }
    this.waiting.delete(ticket);
    this.orderEvent('removed', o, { reason });
    this.flush();
    return done(ticket);
  }

  // ------------------------------------------------------------------ internals

  /** Why a pending order cannot stand at its price now (retcode), or undefined. */
  private orderInvalid(spec: SymbolSpec, o: PendingOrder): number | undefined {
    const q = this.quotes.get(o.symbol);
    if (!q) return Retcode.PRICE_OFF;
    if (!(o.price > 0) || !isMultiple(o.price, spec.tick_size ?? spec.point)) return Retcode.INVALID_PRICE;
    const level = Math.max(spec.stops_level ?? 0, 0) * spec.point;
    const eps = spec.point / 10;
    const above = (p: number, ref: number) => p - ref > eps && p - ref >= level - eps;
    switch (o.order_type) {
      case 'buy_limit':
        if (!above(q.ask, o.price)) return Retcode.INVALID_PRICE;
        break;
      case 'sell_limit':
        if (!above(o.price, q.bid)) return Retcode.INVALID_PRICE;
        break;
      case 'buy_stop':
      case 'buy_stop_limit':
        if (!above(o.price, q.ask) || (o.order_type === 'buy_stop_limit' && !(o.stoplimit && o.stoplimit < o.price + eps))) return Retcode.INVALID_PRICE;
        break;
      case 'sell_stop':
      case 'sell_stop_limit':
        if (!above(q.bid, o.price) || (o.order_type === 'sell_stop_limit' && !(o.stoplimit && o.stoplimit > o.price - eps))) return Retcode.INVALID_PRICE;
        break;
    }
    // Stops around the price the position will open at.
    const entry = o.stoplimit ?? o.price;
    const buy = o.order_type.startsWith('buy');
    if ((o.sl && (buy ? o.sl >= entry : o.sl <= entry)) || (o.tp && (buy ? o.tp <= entry : o.tp >= entry))) return Retcode.INVALID_STOPS;
    if ((o.expiration === 'specified' || o.expiration === 'specified_day') && !(o.expiration_ms && o.expiration_ms > this.now())) return Retcode.INVALID_EXPIRATION;
    return undefined;
  }

  /** Expiry, then fills: a limit when the price comes to it, a stop when the price passes it (a stop-limit then becomes a limit). */
  private triggerOrders(symbol: string, q: SimQuote): void {
    for (const o of [...this.waiting.values()]) {
      if (o.symbol !== symbol) continue;
      if ((o.expiration === 'specified' || o.expiration === 'specified_day') && o.expiration_ms !== undefined && q.time_ms >= o.expiration_ms) {
        this.waiting.delete(o.ticket);
        this.orderEvent('removed', o, { reason: 'expired' });
        continue;
      }
      if ((o.order_type === 'buy_stop_limit' && q.ask >= o.price) || (o.order_type === 'sell_stop_limit' && q.bid <= o.price)) {
        Object.assign(o, { order_type: o.order_type === 'buy_stop_limit' ? 'buy_limit' : 'sell_limit', price: o.stoplimit, stoplimit: undefined });
        this.orderEvent('modified', o);
      }
      const crossed =
        (o.order_type === 'buy_limit' && q.ask <= o.price) || (o.order_type === 'sell_limit' && q.bid >= o.price) ||
        (o.order_type === 'buy_stop' && q.ask >= o.price) || (o.order_type === 'sell_stop' && q.bid <= o.price);
      if (crossed) this.fill(o);
    }
  }

  private fill(o: PendingOrder & { reason: DealReason }): void {
    this.waiting.delete(o.ticket);
    const side: Side = o.order_type.startsWith('buy') ? 'buy' : 'sell';
    const r = this.execute({ symbol: o.symbol, side, volume: o.volume, sl: o.sl, tp: o.tp, magic: o.magic, comment: o.comment, reason: o.reason }, o.ticket);
    if (r.retcode === Retcode.DONE || r.retcode === Retcode.DONE_PARTIAL) this.orderEvent('filled', { ...o, volume: r.volume, price: r.price }, { position: r.position });
    else this.orderEvent('removed', o, { reason: 'rejected' });
  }

  private orderEvent(state: OrderRecord['state'], o: PendingOrder, extra: Pick<OrderRecord, 'position' | 'reason'> = {}): void {
    this.pending.push({ type: 'order', change: { state, order: exportOrder(o), ...extra } });
  }


  private spec(name: string): SymbolSpec {
    const s = this.specs.get(name);
    if (!s) throw new Error(`SimBroker: unknown symbol ${name}`);
    return s;
  }

  private bySymbol(symbol: string): SimPosition | undefined {
    for (const p of this.open.values()) if (p.symbol === symbol) return p;
    return undefined;
  }

  private marketOpen(symbol: string): boolean {
    return !this.allMarketsClosed && !this.closedMarkets.has(symbol);
  }

  private ticket(): string {
    return String(this.nextTicket++);
  }

  private takeInjection(action: SimTradeAction): number | undefined {
    const inj = this.injections.find((i) => i.actions.includes(action));
    if (!inj) return undefined;
    if (--inj.remaining <= 0) this.injections = this.injections.filter((i) => i !== inj);
    return inj.code;
  }

  private profit(p: SimPosition, volume: number, price: number): number {
    const diff = p.side === 'buy' ? price - p.price_open : p.price_open - price;
    return diff * volume * this.spec(p.symbol).contract_size;
  }

  /** Buy stops are checked against bid, sell stops against ask, at least stops_level points away. */
  private stopsValid(spec: SymbolSpec, side: Side, sl: number, tp: number, q: SimQuote): boolean {
    const level = Math.max(spec.stops_level ?? 0, 0) * spec.point;
    const eps = spec.point / 10;
    const ok = (distance: number) => distance > eps && distance >= level - eps;
    if (side === 'buy') return (sl === 0 || ok(q.bid - sl)) && (tp === 0 || ok(tp - q.bid));
    return (sl === 0 || ok(sl - q.ask)) && (tp === 0 || ok(q.ask - tp));
  }

  private frozen(spec: SymbolSpec, p: SimPosition, q: SimQuote): boolean {
    const level = (spec.freeze_level ?? 0) * spec.point;
    if (level <= 0) return false;
    const ref = p.side === 'buy' ? q.bid : q.ask;
    return (p.sl !== 0 && Math.abs(ref - p.sl) <= level) || (p.tp !== 0 && Math.abs(p.tp - ref) <= level);
  }

  private hitStops(symbol: string, q: SimQuote): void {
    const spec = this.spec(symbol);
    for (const p of [...this.open.values()]) {
      if (p.symbol !== symbol) continue;
      const price = p.side === 'buy' ? q.bid : q.ask;
      const up = p.side === 'buy';
      let reason: 'sl' | 'tp' | undefined;
      if (p.sl !== 0 && (up ? price <= p.sl : price >= p.sl)) reason = 'sl';
      else if (p.tp !== 0 && (up ? price >= p.tp : price <= p.tp)) reason = 'tp';
      if (!reason) continue;
      const level = reason === 'sl' ? p.sl : p.tp;
      const order = this.ticket();
      this.balance += this.profit(p, p.volume, price);
      const volume = p.volume;
      p.volume = 0;
      this.open.delete(p.id);
      this.recordDeal({
        deal: this.ticket(),
        order,
        position: p.id,
        symbol,
        side: opposite(p.side),
        entry: 'out',
        volume,
        price,
        sl: p.sl,
        tp: p.tp,
        magic: p.magic,
        comment: `[${reason} ${level.toFixed(spec.digits)}]`,
        reason,
        time_ms: q.time_ms,
        position_volume: 0,
        position_side: p.side,
      });
    }
  }

  private recordDeal(rec: DealRecord): DealRecord {
    this.deals.push(rec);
    this.pending.push({ type: 'deal', deal: { ...rec } });
    return rec;
  }

  private flush(): void {
    const events = this.pending;
    this.pending = [];
    for (const e of events) for (const l of [...this.listeners]) l(e);
  }
}

function fillingAllowed(filling: Filling, mask: number): boolean {
  if (filling === 'fok') return (mask & 1) !== 0;
  if (filling === 'ioc') return (mask & 2) !== 0;
  // Return is the exchange-execution mode: only where neither FOK nor IOC is offered.
  return (mask & 3) === 0;
}

export function truncateComment(comment: string): string {
  return comment.length > MAX_COMMENT ? comment.slice(0, MAX_COMMENT) : comment;
}

function fail(retcode: number, ref: { position?: string; position_volume?: number } = {}): SimTradeResult {
  return {
    retcode,
    message: retcodeMessage(retcode),
    deal: '',
    order: '',
    position: ref.position ?? '',
    ticket: ref.position ?? '',
    price: 0,
    volume: 0,
    position_volume: ref.position_volume ?? 0,
    deals: [],
  };
}

function done(ticket: string): SimTradeResult {
  return { retcode: Retcode.DONE, message: retcodeMessage(Retcode.DONE), deal: '', order: ticket, position: '', ticket, price: 0, volume: 0, position_volume: 0, deals: [] };
}

function exportOrder(o: PendingOrder): PendingOrder {
  const out: PendingOrder = {
    ticket: o.ticket, symbol: o.symbol, order_type: o.order_type, volume: o.volume, price: o.price, sl: o.sl, tp: o.tp, expiration: o.expiration, magic: o.magic, comment: o.comment, time_ms: o.time_ms,
  };
  if (o.stoplimit) out.stoplimit = o.stoplimit;
  if (o.expiration_ms !== undefined) out.expiration_ms = o.expiration_ms;
  return out;
}

function exportPosition(p: SimPosition): Position {
  return {
    ticket: p.id,
    position: p.id,
    symbol: p.symbol,
    side: p.side,
    volume: p.volume,
    price_open: p.price_open,
    sl: p.sl,
    tp: p.tp,
    magic: p.magic,
    comment: p.comment,
    time_ms: p.time_ms,
  };
}
