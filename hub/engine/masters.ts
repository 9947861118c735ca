/** Master position tracking: what each master holds, from its deals, position changes and snapshots. */
import { BoundedSet } from '../bounded';
import type { DealMsg, Position, PositionMsg, Side } from '../protocol';
import { isLive, keyOf, nextSeq, posKey, type CopyTable } from './copies';
import { EPS } from './sizing';

export interface MasterPosition {
  master: string;
  position: string;
  symbol: string;
  side: Side;
  volume: number;
  price: number;
  sl: number;
  tp: number;
  /** Magic number and comment of the opening deal or, first seen in a snapshot, of the position: what filters read. */
  magic?: number;
  comment?: string;
  open: boolean;
  /** Time the hub received the opening deal; undefined for positions first seen in a snapshot. */
  openedAt?: number;
  /** Time the hub learnt it closed. */
  closedAt?: number;
  /** The position's open time as the terminal reports it (UTC ms): the age of a late copy. */
  openTime?: number;
  /** Time of the master's last add (deal time, UTC ms); undefined: as old as the position. */
  grewAt?: number;
  /** A deal closed it: final, whatever a snapshot queued earlier says. */
  closedByDeal?: boolean;
  /** Order (nextSeq) of the latest deal or snapshot that showed this position. */
  seenSeq?: number;
}

/** What a master deal did to its position, for the copy decisions. */
export type MasterChange =
  | { kind: 'open'; mp: MasterPosition }
  | { kind: 'add'; mp: MasterPosition }
  | { kind: 'reduce'; mp: MasterPosition; closed: number; remaining: number }
  | { kind: 'reverse'; mp: MasterPosition }
  /** Nothing the book did not know already: a deal seen before the hub restarted, or older than what a snapshot showed. */
  | { kind: 'none'; mp: MasterPosition };

/** A new master position record; SL/TP default to none (a deal may not carry them). */
export function newMasterPosition(
  master: string,
  at: { position: string; symbol: string; sl?: number; tp?: number; magic?: number; comment?: string },
  state: Pick<MasterPosition, 'side' | 'volume' | 'price' | 'open' | 'openedAt'>,
): MasterPosition {
  return { master, position: at.position, symbol: at.symbol, sl: at.sl ?? 0, tp: at.tp ?? 0, magic: at.magic, comment: at.comment, ...state };
}

const SEEN_DEALS_MAX = 50_000;
/** Closed master positions and their settled copies are forgotten this long after the last activity. */
export const FORGET_AFTER_MS = 10 * 60_000;
const PRUNE_EVERY_MS = 10_000;

const opposite = (s: Side): Side => (s === 'buy' ? 'sell' : 'buy');

export class MasterBook {
  private positions = new Map<string, MasterPosition>();
  private seenDeals = new BoundedSet<string>(SEEN_DEALS_MAX);
  private traded = new Map<string, Set<string>>();
  private lastPrune = 0;

  get(master: string, position: string): MasterPosition | undefined {
    return this.positions.get(posKey(master, position));
  }

  all(): IterableIterator<MasterPosition> {
    return this.positions.values();
  }

  /** False for a deal already handled (the EA re-sends what it is unsure the hub got). */
  firstSight(master: string, deal: string): boolean {
    const key = `${master}\u0000${deal}`;
    if (this.seenDeals.has(key)) return false;
    this.seenDeals.add(key);
    return true;
  }

  /** Records that a master trades a symbol; true the first time. */
  noteSymbol(master: string, symbol: string): boolean {
    let set = this.traded.get(master);
    if (!set) this.traded.set(master, (set = new Set()));
    if (set.has(symbol)) return false;
    set.add(symbol);
    return true;
  }

  /** Symbols each master has traded since the hub started. */
  symbols(): ReadonlyMap<string, ReadonlySet<string>> {
    return this.traded;
  }

  applyDeal(master: string, d: DealMsg, receivedAt: number): MasterChange {
    const key = posKey(master, d.position);
    let mp = this.positions.get(key);
    const remaining = d.position_volume;
    const side = d.position_side ?? (d.entry === 'in' ? d.side : opposite(d.side));
    if (mp && stale(mp, d, side)) return { kind: 'none', mp };
    if (mp) mp.seenSeq = nextSeq();
    switch (d.entry) {
      case 'in':
        if (mp) {
          // Netting add: the position grew (stale() let through only growth of an open position).
          mp.volume = remaining;
          mp.price = d.price;
          mp.grewAt = d.time_ms;
          return { kind: 'add', mp };
        }
        mp = this.add(master, d, { side: d.side, volume: remaining > 0 ? remaining : d.volume, price: d.price, open: true, openedAt: receivedAt });
        mp.openTime = d.time_ms;
        return { kind: 'open', mp };
      case 'out':
      case 'out_by': {
        mp ??= this.add(master, d, { side, volume: remaining, price: d.price, open: remaining > EPS });
        const before = mp.volume > remaining ? mp.volume : remaining + d.volume;
        settle(mp, remaining, receivedAt);
        mp.closedByDeal = !mp.open;
        return { kind: 'reduce', mp, closed: before - remaining, remaining };
      }
      case 'inout':
        // Netting reversal: same position identifier, other side, new volume.
        mp ??= this.add(master, d, { side, volume: remaining, price: d.price, open: true, openedAt: receivedAt });
        mp.side = side;
        mp.price = d.price;
        mp.openedAt = receivedAt;
        mp.openTime = d.time_ms;
        mp.grewAt = undefined;
        settle(mp, remaining, receivedAt);
        mp.closedByDeal = !mp.open;
        return { kind: 'reverse', mp };
    }
  }

  private add(master: string, d: DealMsg, state: Parameters<typeof newMasterPosition>[2]): MasterPosition {
    const mp = newMasterPosition(master, d, state);
    mp.seenSeq = nextSeq();
    this.positions.set(posKey(master, d.position), mp);
    return mp;
  }

  /** SL/TP edit of a known position; undefined for a position the hub never saw. */
  applyPosition(master: string, p: PositionMsg): MasterPosition | undefined {
    const mp = this.get(master, p.position);
    if (!mp) return undefined;
    mp.sl = p.sl;
    mp.tp = p.tp;
    return mp;
  }

  /** A position in the master's snapshot; true when the hub did not know it. */
  track(master: string, p: Position): boolean {
    let mp = this.get(master, p.position);
    const known = mp !== undefined;
    if (!mp) this.positions.set(posKey(master, p.position), (mp = newMasterPosition(master, p, { side: p.side, volume: p.volume, price: p.price_open, open: true })));
    // A deal said it closed: a snapshot saying otherwise was taken before.
    if (mp.closedByDeal) return false;
    mp.seenSeq = nextSeq();
    mp.openTime ??= p.time_ms;
    if (!known) return true;
    mp.open = true;
    mp.side = p.side;
    mp.volume = p.volume;
    mp.sl = p.sl;
    mp.tp = p.tp;
    return false;
  }

  /** Marks closed the master's positions its snapshot no longer holds; returns them. */
  closeMissing(master: string, open: ReadonlyMap<string, Position>, receivedAt: number): MasterPosition[] {
    const missed: MasterPosition[] = [];
    for (const mp of this.positions.values()) {
      if (mp.master !== master || !mp.open || open.has(mp.position)) continue;
      settle(mp, 0, receivedAt);
      missed.push(mp);
    }
    return missed;
  }

  /** Forgets closed positions whose copies are settled, so memory stays flat over months. */
  prune(now: number, copies: CopyTable): void {
    if (now - this.lastPrune <= PRUNE_EVERY_MS) return;
    this.lastPrune = now;
    for (const [key, mp] of this.positions) {
      if (mp.open || mp.closedAt === undefined || now - mp.closedAt < FORGET_AFTER_MS) continue;
      const ofPosition = copies.ofMasterPosition(mp.master, mp.position);
      if (ofPosition.some((c) => c.inflight.size || isLive(c))) continue;
      for (const c of ofPosition) copies.delete(keyOf(c));
      this.positions.delete(key);
    }
  }
}

/**
 * A deal that tells the book nothing new: the opening deal of a position already known (replayed
 * after a restart), an add or a close leaving more than the book holds (older than a snapshot or
 * deal already applied), a reversal to the side and volume already known.
 */
function stale(mp: MasterPosition, d: DealMsg, side: Side): boolean {
  const remaining = d.position_volume;
  switch (d.entry) {
    case 'in':
      return !mp.open || remaining <= mp.volume + EPS;
    case 'out':
    case 'out_by':
      return remaining > mp.volume + EPS;
    case 'inout':
      return mp.open && mp.side === side && Math.abs(mp.volume - remaining) <= EPS;
  }
}

/** The position's volume after a deal or snapshot; at zero it is closed as of now. */
function settle(mp: MasterPosition, remaining: number, at: number): void {
  mp.volume = remaining;
  mp.open = remaining > EPS;
  if (!mp.open) mp.closedAt = at;
}
