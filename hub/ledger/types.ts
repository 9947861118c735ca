/** Ledger records and the store contract every adapter (memory, embedded, MongoDB) implements. */
import type { Account } from '../accounts';

/** missed: the master position was found open too late (max_delay_ms) or out of price to be copied. */
/** placed: a pending order copy waiting on the slave (it becomes open when it fills); canceled: a pending order copy removed unfilled. */
export type TradeStatus = 'pending' | 'placed' | 'open' | 'closed' | 'canceled' | 'refused' | 'failed' | 'expired' | 'missed';

/** One copy of one master position on one slave: a document of the `trades` collection. */
export interface Trade {
  /** Master position identifier (POSITION_IDENTIFIER; the field keeps its historical name). */
  master_ticket: string;
  master_name: string;
  slave_name: string;
  slave_ticket?: string;
  /** Slave symbol. */
  symbol: string;
  master_symbol: string;
  /** The slave's side. */
  direction: 'BUY' | 'SELL';
  /** A reverse copy: direction is the master's other side. */
  reversed?: boolean;
  status: TradeStatus;
  open_time?: string;
  close_time?: string;
  master_volume?: number;
  /** Lots opened on the slave (including netting adds). */
  volume?: number;
  /** Lots still open on the slave; 0 once closed. */
  remaining_volume?: number;
  master_price?: number;
  open_price?: number;
  close_price?: number;
  slippage_points?: number;
  latency_ms?: number;
  reason?: string;
  /** A pending order copy: the slave order's type (buy_limit, sell_stop...) and price as placed. */
  order_type?: string;
  order_price?: number;
  updated_at: string;
}

export interface TradeKey {
  master_name: string;
  master_ticket: string;
  slave_name: string;
}

/** Fields to set on the trade with this key, creating it when missing. */
export interface TradeUpdate {
  key: TradeKey;
  set: Partial<Omit<Trade, keyof TradeKey>>;
}

export interface LedgerEvent {
  /** Unique per event; the LedgerWriter assigns one so a replayed batch (retry after a partial
   *  write, spill replay after a restart) cannot store an event twice. Stores index it unique. */
  id?: string;
  time: string;
  /** decision, refusal, command, result, reconcile, error, ... */
  kind: string;
  account?: string;
  cmd_id?: string;
  master_ticket?: string;
  message: string;
  data?: Record<string, unknown>;
}

export interface TradeQuery {
  account?: string;
  /** true: only pending/open copies. */
  open?: boolean;
  status?: TradeStatus;
  skip?: number;
  limit?: number;
}

export interface EventQuery {
  account?: string;
  kind?: string;
  limit?: number;
}

export interface Store {
  readonly kind: 'memory' | 'embedded' | 'mongodb';
  /** Human-readable location, for logs. */
  readonly location: string;
  /**
   * False while this store may not write trades and events: opened read-only, or (embedded) another
   * process holds the ledger. The hub refuses to start on such a store, after ensureIndexes().
   */
  readonly ledgerOwner: boolean;
  open(): Promise<void>;
  close(): Promise<void>;
  ensureIndexes(): Promise<void>;

  listAccounts(): Promise<Account[]>;
  getAccount(name: string): Promise<Account | undefined>;
  upsertAccount(account: Account): Promise<void>;
  removeAccount(name: string): Promise<boolean>;

  /** Applies updates in order; each creates its trade if missing (unique key: master + position + slave). */
  upsertTrades(updates: TradeUpdate[]): Promise<void>;
  /** Newest first (by open_time, then updated_at). */
  findTrades(query: TradeQuery): Promise<Trade[]>;
  countTrades(query: TradeQuery): Promise<number>;

  appendEvents(events: LedgerEvent[]): Promise<void>;
  /** Newest first. */
  findEvents(query: EventQuery): Promise<LedgerEvent[]>;
}

export function tradeKeyString(k: TradeKey): string {
  return `${k.master_name}\u0000${k.master_ticket}\u0000${k.slave_name}`;
}

export function matchesTradeQuery(t: Trade, q: TradeQuery): boolean {
  if (q.account && t.slave_name !== q.account && t.master_name !== q.account) return false;
  if (q.open && t.status !== 'open' && t.status !== 'pending' && t.status !== 'placed') return false;
  if (q.status && t.status !== q.status) return false;
  return true;
}

export function matchesEventQuery(e: LedgerEvent, q: EventQuery): boolean {
  if (q.account && e.account !== q.account) return false;
  if (q.kind && e.kind !== q.kind) return false;
  return true;
}

export function compareTradesNewestFirst(a: Trade, b: Trade): number {
  const ka = a.open_time ?? a.updated_at;
  const kb = b.open_time ?? b.updated_at;
  if (ka !== kb) return ka < kb ? 1 : -1;
  return a.updated_at < b.updated_at ? 1 : a.updated_at > b.updated_at ? -1 : 0;
}
