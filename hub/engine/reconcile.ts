/**
 * Reconciliation: the hub's belief against what terminals report, from slave deals the hub did
 * not order and from periodic snapshots of open positions.
 */
import type { Account } from '../accounts';
import type { DealMsg, Position, SnapshotMsg } from '../protocol';
import type { Parts } from './context';
import { copyKey, newCopy, type Copy } from './copies';
import { dir, iso } from './journal';
import type { MasterPosition } from './masters';
import { EPS } from './sizing';
import type { TerminalState } from './terminals';

type ReconcileParts = Pick<Parts, 'cfg' | 'log' | 'journal' | 'roster' | 'copies' | 'masters' | 'commands' | 'sessions'>;

export class Reconciler {
  constructor(private readonly parts: ReconcileParts) {}

  /** A deal on a slave: a copy closed or changed there (by hand, SL/TP, stop-out) while nothing was in flight. */
  onSlaveDeal(slave: string, d: DealMsg): void {
    if (d.entry === 'in') return;
    const c = this.parts.copies.bySlaveTicket(slave, d.position);
    if (!c || c.status !== 'open') return;
    if (d.position_volume <= EPS && c.inflight.size === 0) {
      c.volume = 0;
      this.parts.journal.decision('closed', `${c.slave} ticket ${c.ticket} (copy of ${c.master}#${c.masterPosition}) closed on the slave (${d.reason})`, c.slave, c.masterPosition);
      this.parts.journal.closed(c, d.time_ms, { close_price: d.price, reason: `closed on slave (${d.reason})` });
    } else if (c.inflight.size === 0) {
      c.volume = d.position_volume;
      this.parts.journal.trade(c, { remaining_volume: c.volume });
    }
  }

  onSnapshot(t: TerminalState, account: Account, s: SnapshotMsg, receivedAt: number): void {
    const open = this.parts.sessions.snapshot(t, s, receivedAt);
    if (account.type === 'MASTER') this.master(account, open, receivedAt);
    else this.slave(t.name, open, receivedAt);
  }

  private master(master: Account, open: ReadonlyMap<string, Position>, receivedAt: number): void {
    const { masters, journal } = this.parts;
    for (const p of open.values()) {
      this.parts.sessions.noteMasterSymbol(master.name, p.symbol);
      if (masters.track(master.name, p) && !this.parts.copies.ofMasterPosition(master.name, p.position).length) {
        journal.decision('skip', `master ${master.name}#${p.position} (${p.side} ${p.volume} ${p.symbol}) was opened while the hub was not watching: not copied`, master.name, p.position);
      }
    }
    for (const mp of masters.closeMissing(master.name, open, receivedAt)) {
      this.parts.log.info(`reconcile: master ${master.name}#${mp.position} is no longer open (missed close)`);
    }
    if (!master.enabled) return;
    // Copies whose master position is gone: close them (each one logged).
    for (const c of this.parts.copies.values()) {
      if (c.master !== master.name || c.status !== 'open' || !c.ticket || c.inflight.size) continue;
      const mp = masters.get(c.master, c.masterPosition);
      if (mp && !mp.open) {
        const body = this.parts.commands.close(c);
        this.parts.commands.decide('close', `reconcile: ${c.master}#${c.masterPosition} is closed on the master; ${c.slave} closes ticket ${c.ticket}`, c, body, receivedAt);
      }
    }
  }

  private slave(slave: string, open: ReadonlyMap<string, Position>, receivedAt: number): void {
    const { copies, commands, journal } = this.parts;
    const seen = new Set<string>();
    for (const p of open.values()) {
      const id = this.parts.roster.masterOf(p, this.parts.cfg.magic);
      if (!id) continue;
      const key = copyKey(id.master, id.masterPosition, slave);
      seen.add(key);
      const mp = this.parts.masters.get(id.master, id.masterPosition);
      let c = copies.get(key);
      if (!c) c = this.adopt(slave, p, id, mp);
      else if (c.inflight.size === 0) this.correct(c, p);
      // A copy whose master position is known to be closed: close it.
      if (mp && !mp.open && this.parts.sessions.get(id.master)?.snapshotAt && c.inflight.size === 0 && c.status === 'open') {
        // Ticket, symbol and lots as the slave reports them, not as the copy remembers them.
        const body = commands.close(c, p.volume, p);
        commands.decide('close', `reconcile: ${id.master}#${id.masterPosition} is closed on the master; ${slave} closes ticket ${p.ticket}`, c, body, receivedAt);
      }
    }
    for (const [key, c] of copies.ofSlave(slave)) {
      if (c.status !== 'open' || seen.has(key) || c.inflight.size) continue;
      c.volume = 0;
      journal.decision('closed', `reconcile: ${slave} no longer has ticket ${c.ticket} (copy of ${c.master}#${c.masterPosition}); marked closed`, slave, c.masterPosition);
      journal.closed(c, receivedAt, { reason: 'not in slave snapshot (closed on the slave)' });
    }
  }

  /** A copy the hub did not know (it restarted): tracked from the slave's position. */
  private adopt(slave: string, p: Position, id: { master: string; masterPosition: string }, mp: MasterPosition | undefined): Copy {
    const from = mp ?? { master: id.master, position: id.masterPosition, symbol: p.symbol, side: p.side, volume: p.volume, price: p.price_open };
    const c = newCopy(from, slave, {
      symbol: p.symbol, side: p.side, volume: p.volume, ticket: p.ticket, position: p.position, status: 'open', openPrice: p.price_open, sl: p.sl, tp: p.tp,
    });
    this.parts.copies.set(copyKey(id.master, id.masterPosition, slave), c);
    this.parts.journal.decision('adopt', `reconcile: found ${slave} ticket ${p.ticket} (${p.side} ${p.volume} ${p.symbol}) copying ${id.master}#${id.masterPosition}; tracking it`, slave, id.masterPosition);
    this.parts.journal.trade(c, {
      status: 'open', slave_ticket: p.ticket, symbol: p.symbol, master_symbol: c.masterSymbol, direction: dir(p.side), volume: p.volume, remaining_volume: p.volume,
      open_price: p.price_open, open_time: iso(p.time_ms),
    });
    return c;
  }

  /** The slave's position wins over what the hub believed of a copy with nothing in flight. */
  private correct(c: Copy, p: Position): void {
    if (!(c.status !== 'open' || c.ticket !== p.ticket || Math.abs(c.volume - p.volume) > EPS)) return;
    this.parts.log.info(`reconcile: ${c.slave} ticket ${p.ticket} copy of ${c.master}#${c.masterPosition}: ${c.status} ${c.volume} -> open ${p.volume}`);
    c.status = 'open';
    c.ticket = p.ticket;
    c.position = p.position;
    this.parts.copies.indexTicket(c);
    c.volume = p.volume;
    this.parts.journal.trade(c, { status: 'open', slave_ticket: p.ticket, remaining_volume: p.volume });
  }
}
