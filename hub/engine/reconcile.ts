/**
 * Reconciliation: the hub's belief against what terminals report, from slave deals the hub did
 * not order and from snapshots of open positions; then convergence (converge.ts) decides what
 * the copies of that master, or on that slave, need.
 */
import type { Account } from '../accounts';
import type { DealMsg, Position, SnapshotMsg } from '../protocol';
import type { Parts } from './context';
import type { Converger } from './converge';
import { copyKey, isLive, newCopy, type Copy } from './copies';
import { dir, iso } from './journal';
import type { MasterPosition } from './masters';
import { EPS, roundLots } from './sizing';
import type { TerminalState } from './terminals';

type ReconcileParts = Pick<Parts, 'cfg' | 'log' | 'journal' | 'roster' | 'copies' | 'masters' | 'commands' | 'sessions'>;

/**
 * A copy that shares a netting slave's position on its symbol: same side, and the position's
 * ticket or identifier (a copy whose ticket is another, older position's is not in this one: that
 * position was closed, and the copy with it, whatever a hub killed meanwhile recorded).
 */
function inPosition(c: Copy, p: Position): boolean {
  return c.symbol === p.symbol && c.side === p.side && (!c.ticket || c.ticket === p.ticket || c.position === p.position);
}

export class Reconciler {
  constructor(
    private readonly parts: ReconcileParts,
    private readonly converger: Pick<Converger, 'run'>,
  ) {}

  /** A deal on a slave: a copy closed or changed there (by hand, SL/TP, stop-out) while nothing was in flight. */
  onSlaveDeal(slave: string, d: DealMsg): void {
    if (d.entry === 'in') return;
    const mode = this.parts.sessions.get(slave)?.marginMode;
    if (mode === 'netting' || mode === 'exchange') {
      // One position holds every copy on its symbol: its full close is theirs; what a partial
      // close took from whom is left to the next snapshot.
      const held = this.parts.copies.ofSlave(slave).filter(([, c]) => c.ticket === d.position || c.position === d.position);
      if (held.length > 1 && d.position_volume > EPS) return;
      for (const [, c] of held) this.slaveDeal(c, d);
      return;
    }
    const c = this.parts.copies.bySlaveTicket(slave, d.position);
    if (c) this.slaveDeal(c, d);
  }

  private slaveDeal(c: Copy, d: DealMsg): void {
    // A close_by in flight: its result says what it took from both copies.
    if (c.status !== 'open' || c.closeBy) return;
    if (d.position_volume <= EPS && c.inflight.size === 0) {
      c.volume = 0;
      this.parts.journal.decision('closed', `${c.slave} ticket ${c.ticket} (copy of ${c.master}#${c.masterPosition}) closed on the slave (${d.reason})`, c.slave, c.masterPosition);
      this.parts.journal.closed(c, d.time_ms, { close_price: d.price, reason: `closed on slave (${d.reason})` });
    } else if (c.inflight.size === 0) {
      this.cut(c, d.position_volume);
      c.volume = d.position_volume;
      this.parts.journal.trade(c, { remaining_volume: c.volume });
    }
  }

  /** The slave holds less of an open copy than the hub ordered: noted, so it is not grown back (converge.ts). */
  private cut(c: Copy, volume: number): void {
    if (c.status === 'open' && volume < c.volume - EPS) c.slaveCut = this.parts.masters.get(c.master, c.masterPosition)?.volume ?? 0;
  }

  onSnapshot(t: TerminalState, account: Account, s: SnapshotMsg, receivedAt: number, order?: number): void {
    const open = this.parts.sessions.snapshot(t, s, receivedAt, order);
    if (!open) {
      this.parts.log.debug(`snapshot ${s.seq} of ${t.name} is older than one already applied: ignored`);
      return;
    }
    this.parts.journal.fanOut(() => {
      if (account.type === 'MASTER') this.master(account, open, receivedAt);
      else this.slave(t, open, receivedAt);
      this.converger.run(receivedAt, account.type === 'MASTER' ? { master: t.name } : { slave: t.name });
    });
  }

  /** The book follows the snapshot; positions without copies are copied late or missed by convergence. */
  private master(master: Account, open: ReadonlyMap<string, Position>, receivedAt: number): void {
    const { masters } = this.parts;
    for (const p of open.values()) {
      this.parts.sessions.noteMasterSymbol(master.name, p.symbol);
      masters.track(master.name, p);
    }
    for (const mp of masters.closeMissing(master.name, open, receivedAt)) {
      this.parts.log.info(`reconcile: master ${master.name}#${mp.position} is no longer open (missed close)`);
    }
  }

  private slave(t: TerminalState, open: ReadonlyMap<string, Position>, receivedAt: number): void {
    const { copies, journal } = this.parts;
    const slave = t.name;
    const seen = new Set<string>();
    // A netting account holds one position per symbol, under the comment of one copy: every
    // live copy on that symbol and side is in it, and its volume is theirs together.
    const netted = new Map<string, Position>();
    const netting = t.marginMode === 'netting' || t.marginMode === 'exchange';
    for (const [key, { id, ps }] of this.byCopy(slave, open)) {
      seen.add(key);
      const c = copies.get(key);
      // A copy a netting master added to is several positions on a hedging slave: the copy
      // holds them all, and keeps the ticket it knows.
      const p = ps.length === 1 ? ps[0] : (ps.find((x) => x.ticket === c?.ticket) ?? ps.reduce((a, b) => (b.volume > a.volume ? b : a)));
      const volume = roundLots(ps.length === 1 ? p.volume : ps.reduce((sum, x) => sum + x.volume, 0));
      if (netting) {
        netted.set(p.symbol, p);
        if (this.shared(slave, p, c, id)) continue;
      }
      if (!c) this.adopt(slave, p, id, this.parts.masters.get(id.master, id.masterPosition), volume);
      else if (c.inflight.size === 0 && !c.closeBy) this.correct(c, p, volume);
    }
    for (const [key, c] of copies.ofSlave(slave)) {
      if (c.status !== 'open' || seen.has(key) || c.inflight.size || c.closeBy) continue;
      const held = netted.get(c.symbol);
      if (held && inPosition(c, held)) {
        // Its lots are in the position another copy names. When it is the only live copy there,
        // the position's one SL/TP is its own (an add executed after a modify sets them back), so
        // convergence sees the truth. Several copies of different master positions share one SL/TP
        // however they are set: left alone, or each would correct it in turn for ever.
        if (!copies.ofSlave(slave).some(([, o]) => o !== c && isLive(o) && inPosition(o, held))) {
          c.sl = held.sl;
          c.tp = held.tp;
        }
        continue;
      }
      c.volume = 0;
      journal.decision('closed', `reconcile: ${slave} no longer has ticket ${c.ticket} (copy of ${c.master}#${c.masterPosition}); marked closed`, slave, c.masterPosition);
      journal.closed(c, receivedAt, { reason: 'not in slave snapshot (closed on the slave)' });
    }
  }

  /** The slave's copy positions by the copy they belong to. */
  private byCopy(slave: string, open: ReadonlyMap<string, Position>): Map<string, { id: { master: string; masterPosition: string }; ps: Position[] }> {
    const out = new Map<string, { id: { master: string; masterPosition: string }; ps: Position[] }>();
    for (const p of open.values()) {
      const id = this.parts.roster.masterOf(p, this.parts.cfg.magic);
      if (!id) continue;
      const key = copyKey(id.master, id.masterPosition, slave);
      const group = out.get(key);
      if (group) group.ps.push(p);
      else out.set(key, { id, ps: [p] });
    }
    return out;
  }

  /**
   * A netting position that other live copies on its symbol share: the copy it names holds what
   * they do not (an adopted one too); named by a settled copy, the rest is that copy's again, so
   * convergence closes it when its master position is gone. Nothing is decided while one of them
   * has a command in flight. False when the position is the named copy's alone.
   */
  private shared(slave: string, p: Position, c: Copy | undefined, id: { master: string; masterPosition: string }): boolean {
    const others = this.parts.copies.ofSlave(slave).filter(([, o]) => o !== c && isLive(o) && (o.inflight.size > 0 || inPosition(o, p)));
    if (!others.length) return false;
    if (c?.inflight.size || others.some(([, o]) => o.inflight.size)) return true;
    const rest = roundLots(p.volume - others.reduce((sum, [, o]) => sum + o.volume, 0));
    if (!c) {
      if (rest > EPS) this.adopt(slave, p, id, this.parts.masters.get(id.master, id.masterPosition), rest);
    } else if (isLive(c) || rest > EPS) this.correct(c, p, Math.max(0, rest));
    return true;
  }

  /** A copy the hub did not know (it restarted): tracked from the slave's position (`volume` of it). */
  private adopt(slave: string, p: Position, id: { master: string; masterPosition: string }, mp: MasterPosition | undefined, volume: number): Copy {
    const from = mp ?? { master: id.master, position: id.masterPosition, symbol: p.symbol, side: p.side, volume, price: p.price_open };
    // Without its ledger row, a copy is taken to be what the slave's settings make now.
    const reversed = this.parts.roster.link(slave, id.master)?.reverse || undefined;
    const c = newCopy(from, slave, {
      symbol: p.symbol, side: p.side, reversed, volume, ticket: p.ticket, position: p.position, status: 'open', openPrice: p.price_open, sl: p.sl, tp: p.tp,
    });
    // Found by this snapshot: what it says of the copy is current.
    c.foundSeq = this.parts.sessions.get(slave)?.snapshotSeq ?? c.foundSeq;
    this.parts.copies.set(copyKey(id.master, id.masterPosition, slave), c);
    this.parts.journal.decision('adopt', `reconcile: found ${slave} ticket ${p.ticket} (${p.side} ${volume} ${p.symbol}) copying ${id.master}#${id.masterPosition}; tracking it`, slave, id.masterPosition);
    this.parts.journal.trade(c, {
      status: 'open', slave_ticket: p.ticket, symbol: p.symbol, master_symbol: c.masterSymbol, direction: dir(p.side), reversed, volume, remaining_volume: volume,
      open_price: p.price_open, open_time: iso(p.time_ms),
    });
    return c;
  }

  /** The slave's position (`volume` of it) wins over what the hub believed of a copy with nothing in flight. */
  private correct(c: Copy, p: Position, volume: number): void {
    c.sl = p.sl;
    c.tp = p.tp;
    if (!(c.status !== 'open' || c.ticket !== p.ticket || c.side !== p.side || Math.abs(c.volume - volume) > EPS)) return;
    const turned = c.side === p.side ? '' : ` (${c.side} -> ${p.side})`;
    this.parts.log.info(`reconcile: ${c.slave} ticket ${p.ticket} copy of ${c.master}#${c.masterPosition}: ${c.status} ${c.volume} -> open ${volume}${turned}`);
    // A side the copy does not have (a reversal's new open taken for a duplicate of the old
    // side's leftover): the slave's wins, and convergence reverses it again.
    c.side = p.side;
    c.status = 'open';
    c.ticket = p.ticket;
    c.position = p.position;
    this.parts.copies.indexTicket(c);
    this.cut(c, volume);
    c.volume = volume;
    // Never lowered: a copy found holding less is not grown back unless the master grows (converge.ts).
    if (c.ratio) c.masterVolume = Math.max(c.masterVolume, volume / c.ratio);
    this.parts.journal.trade(c, { status: 'open', slave_ticket: p.ticket, remaining_volume: volume, reason: undefined });
  }
}
