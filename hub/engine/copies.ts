/** The copy table: one record per master position and slave, with its keys and indexes. */
import type { Trade, TradeStatus } from '../ledger/types';
import type { Side, SymbolSpec } from '../protocol';
import type { MasterPosition } from './masters';
import type { OrderTarget } from './orders';
import { normalizePrice } from './slippage';

export interface Copy {
  master: string;
  masterPosition: string;
  slave: string;
  masterSymbol: string;
  symbol: string;
  /** The copy's side: the master's, or the other one for a reverse copy. */
  side: Side;
  /** A reverse copy (fixed when it opened, kept in the ledger row): its side and SL/TP are the master's swapped. */
  reversed?: boolean;
  /** Lots open on the slave as last confirmed. */
  volume: number;
  /**
   * Master volume the copy's lots stand for: the master's volume when it was sized, then the
   * master's remaining volume after each reduction decided for it. A master deal that leaves the
   * master at or above it changes nothing (a replay).
   */
  masterVolume: number;
  /**
   * Slave lots per master lot, fixed when the copy was opened (sized volume / master volume) and
   * kept in the ledger row as volume / master_volume; undefined until known (a copy adopted
   * without its ledger row is sized afresh from the master's current volume).
   */
  ratio?: number;
  /** The master's volume when the slave itself reduced the copy: it is not grown back until the master grows past it. */
  slaveCut?: number;
  /**
   * Order of the hub's latest news of this copy (created, adopted, restored, open expired) on the
   * engine's sequence (nextSeq): only snapshots received after it can say the copy is missing.
   */
  foundSeq: number;
  /** The copy is left alone until then after a failed command (ms). */
  holdUntil?: number;
  /** The last target (volume or SL/TP) a decision line was written for without a command, so it is written once. */
  noted?: string;
  ticket?: string;
  position?: string;
  status: TradeStatus;
  masterPrice: number;
  openPrice?: number;
  /** Of the first open: |fill - master price| in the slave symbol's points, and master event to result. */
  slippagePoints?: number;
  latencyMs?: number;
  sl: number;
  tp: number;
  /** In-flight command ids of this copy. */
  inflight: Set<string>;
  /** cmd_id of a close_by that covers this copy. */
  closeBy?: string;
  /**
   * A copy of a master pending order (masterPosition is the master order's ticket): the slave
   * order it is to be (status placed: ticket is the slave order's, its position's identifier once
   * filled). Kept after the fill, for the decision lines.
   */
  order?: OrderTarget;
}

/** What a copy takes from the master position it copies. */
export type CopySource = Pick<MasterPosition, 'master' | 'position' | 'symbol' | 'side' | 'volume' | 'price'>;

export function copyKey(master: string, position: string, slave: string): string {
  return `${master}\u0000${position}\u0000${slave}`;
}

export function posKey(master: string, position: string): string {
  return `${master}\u0000${position}`;
}

let seq = 0;
/**
 * The engine's order of events that reconciliation compares (copy found, terminal welcomed,
 * snapshot received): strictly increasing, unlike clock readings that repeat within a millisecond.
 */
export function nextSeq(): number {
  return ++seq;
}

export function keyOf(c: Copy): string {
  return copyKey(c.master, c.masterPosition, c.slave);
}

/** A copy that holds or is about to hold a slave position: master changes still apply to it. */
export function isLive(c: Copy): boolean {
  return c.status === 'open' || c.status === 'pending';
}

/** A new copy record of `from` on `slave`: nothing open yet unless `init` says otherwise. */
export function newCopy(from: CopySource, slave: string, init: Pick<Copy, 'symbol' | 'status' | 'sl' | 'tp'> & Partial<Copy>): Copy {
  return {
    master: from.master, masterPosition: from.position, slave, masterSymbol: from.symbol, side: from.side,
    volume: 0, masterVolume: from.volume, masterPrice: from.price, inflight: new Set(), foundSeq: nextSeq(), ...init,
  };
}

/**
 * A live copy as an earlier hub process left it in the ledger (open or pending). Its SL/TP are
 * unknown until the slave's snapshot; a pending row is an unknown outcome the snapshot resolves.
 */
export function restoredCopy(t: Trade): Copy {
  const ratio = t.volume && t.master_volume ? t.volume / t.master_volume : undefined;
  const lots = t.status === 'open' ? (t.remaining_volume ?? t.volume ?? 0) : t.status === 'placed' ? (t.volume ?? 0) : 0;
  return {
    master: t.master_name, masterPosition: t.master_ticket, slave: t.slave_name, masterSymbol: t.master_symbol, symbol: t.symbol,
    side: t.direction === 'BUY' ? 'buy' : 'sell', volume: lots, masterVolume: ratio && lots ? lots / ratio : (t.master_volume ?? 0), ratio,
    ticket: t.slave_ticket, position: t.slave_ticket, status: t.status, masterPrice: t.master_price ?? 0, openPrice: t.open_price, reversed: t.reversed || undefined,
    slippagePoints: t.slippage_points, latencyMs: t.latency_ms, sl: 0, tp: 0, inflight: new Set(), foundSeq: nextSeq(),
    // Its price and expiry come back with the slave's snapshot (the row keeps only type and price).
    order: t.status === 'placed' && t.order_type ? { type: t.order_type as OrderTarget['type'], price: t.order_price ?? 0, expiration: 'gtc' } : undefined,
  };
}

/** The SL/TP a copy should carry: the master's, at the slave symbol's precision. */
export function targetStops(master: { sl: number; tp: number }, spec: Pick<SymbolSpec, 'digits' | 'tick_size'> | undefined): { sl: number; tp: number } {
  // On the slave's tick grid, as the EA sends them: a master quoting finer would otherwise ask again and again.
  const grid = (p: number) => (p && spec?.tick_size ? Math.round(p / spec.tick_size) * spec.tick_size : p);
  return { sl: normalizePrice(grid(master.sl), spec?.digits), tp: normalizePrice(grid(master.tp), spec?.digits) };
}

/** Copies by key, indexed by master position and by slave ticket (hot paths must not scan). */
export class CopyTable extends Map<string, Copy> {
  private byMaster = new Map<string, Set<string>>();
  private bySlave = new Map<string, Set<string>>();
  private byTicket = new Map<string, string>();
  /** Copies of pending orders (created with their order): the once-a-second order pass visits only these. */
  private ordered = new Set<string>();

  override set(key: string, c: Copy): this {
    const old = super.get(key);
    if (old && old !== c) this.unindex(key, old);
    super.set(key, c);
    addTo(this.byMaster, posKey(c.master, c.masterPosition), key);
    addTo(this.bySlave, c.slave, key);
    if (c.order) this.ordered.add(key);
    this.indexTicket(c);
    return this;
  }

  override delete(key: string): boolean {
    const c = super.get(key);
    if (c) this.unindex(key, c);
    return super.delete(key);
  }

  /** Call after a copy's ticket or position changed. */
  indexTicket(c: Copy): void {
    const key = keyOf(c);
    if (c.ticket) this.byTicket.set(`${c.slave}\u0000${c.ticket}`, key);
    if (c.position) this.byTicket.set(`${c.slave}\u0000${c.position}`, key);
  }

  ofMasterPosition(master: string, position: string): Copy[] {
    const keys = this.byMaster.get(posKey(master, position));
    return keys ? [...keys].map((k) => super.get(k)!).filter(Boolean) : [];
  }

  /** [key, copy] of every copy on one slave. */
  ofSlave(slave: string): [string, Copy][] {
    const keys = this.bySlave.get(slave);
    return keys ? [...keys].map((k): [string, Copy] => [k, super.get(k)!]) : [];
  }

  /** [key, copy] of every copy of a pending order, whatever became of it since. */
  withOrder(): [string, Copy][] {
    return [...this.ordered].map((k): [string, Copy] => [k, super.get(k)!]);
  }

  bySlaveTicket(slave: string, ticket: string): Copy | undefined {
    const key = this.byTicket.get(`${slave}\u0000${ticket}`);
    return key === undefined ? undefined : super.get(key);
  }

  private unindex(key: string, c: Copy): void {
    removeFrom(this.byMaster, posKey(c.master, c.masterPosition), key);
    removeFrom(this.bySlave, c.slave, key);
    this.ordered.delete(key);
    for (const t of [c.ticket, c.position]) {
      if (t && this.byTicket.get(`${c.slave}\u0000${t}`) === key) this.byTicket.delete(`${c.slave}\u0000${t}`);
    }
  }
}

function addTo(index: Map<string, Set<string>>, at: string, key: string): void {
  let set = index.get(at);
  if (!set) index.set(at, (set = new Set()));
  set.add(key);
}

function removeFrom(index: Map<string, Set<string>>, at: string, key: string): void {
  const set = index.get(at);
  set?.delete(key);
  if (set && !set.size) index.delete(at);
}
