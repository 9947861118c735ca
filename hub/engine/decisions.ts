/**
 * Copy decisions: what each slave does when its master opens, adds to, reduces, closes by,
 * reverses or edits a position, and the catch-up once an open that was in flight is confirmed.
 */
import type { Account } from '../accounts';
import type { DealMsg, PositionMsg } from '../protocol';
import type { CommandOf } from './commands';
import type { Parts } from './context';
import { copyKey, isLive, keyOf, newCopy, targetStops, type Copy } from './copies';
import { dir, iso } from './journal';
import type { MasterPosition } from './masters';
import { describePlan, planCopy, type Plan } from './plan';
import { closeVolume, EPS } from './sizing';
import { copyComment } from './tag';

type Planned = Extract<Plan, { ok: true }>;

export class Decisions {
  constructor(private readonly parts: Parts) {}

  onMasterDeal(master: Account, d: DealMsg, receivedAt: number): void {
    const { masters, journal } = this.parts;
    if (!masters.firstSight(master.name, d.deal)) {
      this.parts.log.debug(`deal ${d.deal} of ${master.name} already handled`);
      return;
    }
    this.parts.sessions.noteMasterSymbol(master.name, d.symbol);
    journal.event({ kind: 'master_deal', account: master.name, master_ticket: d.position, message: `${d.entry} ${d.side} ${d.volume} ${d.symbol} @ ${d.price}`, data: { deal: d.deal, reason: d.reason } });
    if (!master.enabled) {
      journal.decision('skip', `master ${master.name} is disabled: deal ${d.deal} (${d.entry} ${d.side} ${d.volume} ${d.symbol}) not copied`, master.name, d.position);
      return;
    }
    const change = masters.applyDeal(master.name, d, receivedAt);
    const copies = () => this.parts.copies.ofMasterPosition(master.name, d.position);
    switch (change.kind) {
      case 'open':
        for (const slave of this.parts.roster.followersOf(master.name)) this.open(master, slave, change.mp, receivedAt);
        return;
      case 'add':
        // Followers without a copy yet get nothing: they refused the opening for a reason.
        for (const c of copies()) this.increase(master, change.mp, c, d, receivedAt);
        return;
      case 'reduce': {
        const { closed, remaining } = change;
        const why = d.entry === 'out_by' ? 'master closed by opposite position' : `master ${remaining > EPS ? 'partially closed' : 'closed'} (${d.reason})`;
        for (const c of copies()) {
          if (d.entry === 'out_by' && d.position_by && this.closeBy(master, c, d, receivedAt)) continue;
          this.reduce(c, closed, remaining, receivedAt, why);
        }
        return;
      }
      case 'reverse':
        for (const c of copies()) this.reverse(master, change.mp, c, receivedAt);
        return;
    }
  }

  /** SL/TP edit on the master: every live copy follows. */
  onMasterPosition(master: Account, pos: PositionMsg, receivedAt: number): void {
    const mp = this.parts.masters.applyPosition(master.name, pos);
    if (!mp) {
      this.parts.log.debug(`position change for unknown master position ${master.name}#${pos.position}`);
      return;
    }
    if (!master.enabled) return;
    for (const c of this.parts.copies.ofMasterPosition(master.name, pos.position)) {
      if (!isLive(c)) continue;
      const stops = targetStops(mp, this.parts.sessions.spec(c.slave, c.symbol));
      if (stops.sl === c.sl && stops.tp === c.tp) continue;
      if (!c.ticket) {
        // The open is still in flight: only the copy's target changes. catchUp compares the master
        // with this target, so the SL/TP the open carried stays until the next master change.
        c.sl = stops.sl;
        c.tp = stops.tp;
        continue;
      }
      const body = this.parts.commands.modify(c, stops);
      this.parts.commands.decide('modify', `${c.master}#${c.masterPosition} -> ${c.slave} ticket ${c.ticket}: SL ${stops.sl} TP ${stops.tp}`, c, body, receivedAt);
    }
  }

  /** A new master position on one follower: a pending copy and its open, or a refused copy. */
  open(master: Account, slave: Account, mp: MasterPosition, receivedAt: number): void {
    const what = `open ${master.name}#${mp.position} ${mp.side} ${mp.volume} ${mp.symbol} -> ${slave.name}`;
    const plan = this.plan(what, master, slave, mp, mp.volume, mp.price, (symbol) => this.nettingConflict(slave.name, symbol, mp));
    if (!plan.ok) {
      // Refusals are copies too: the ledger shows them, and later master changes skip them. The
      // record names the master's symbol and SL/TP: the slave's may be what could not be found.
      const c = newCopy(mp, slave.name, { symbol: mp.symbol, status: 'refused', sl: mp.sl, tp: mp.tp });
      this.parts.copies.set(keyOf(c), c);
      this.parts.journal.trade(c, { status: 'refused', reason: plan.reason, open_time: iso(receivedAt) });
      return;
    }
    const c = newCopy(mp, slave.name, { symbol: plan.symbol, status: 'pending', ...targetStops(mp, plan.spec) });
    this.parts.copies.set(keyOf(c), c);
    this.copied(what, plan, slave, mp);
    this.parts.journal.trade(c, {
      status: 'pending', symbol: plan.symbol, master_symbol: mp.symbol, direction: dir(mp.side), master_volume: mp.volume, volume: plan.volume,
      master_price: mp.price, open_time: iso(receivedAt), reason: undefined,
    });
    this.parts.commands.issue(c, this.openCommand(c, mp, plan, mp.price, false), receivedAt);
  }

  /** A netting master added to its position: the copy grows by the deal's share. */
  increase(master: Account, mp: MasterPosition, c: Copy, d: DealMsg, receivedAt: number): void {
    if (!isLive(c)) return;
    const slave = this.parts.roster.get(c.slave);
    if (!slave) return;
    const what = `add to ${master.name}#${mp.position} ${mp.side} ${d.volume} ${mp.symbol} -> ${slave.name}`;
    const plan = this.plan(what, master, slave, mp, d.volume, d.price);
    // A refused increase leaves the copy as it is: no record of its own.
    if (!plan.ok) return;
    this.copied(what, plan, slave, mp);
    this.parts.commands.issue(c, this.openCommand(c, mp, plan, d.price, true), receivedAt);
  }

  /** The master closed `closed` lots and kept `remaining`: the copy closes the same share. */
  reduce(c: Copy, closed: number, remaining: number, receivedAt: number, why: string): void {
    if (!isLive(c)) return;
    const { journal } = this.parts;
    if (!c.ticket) {
      // Open still in flight: catchUp compares the master's volume and closes what is due.
      journal.decision('defer', `${why}: ${c.master}#${c.masterPosition} -> ${c.slave} open still in flight; close follows its result`, c.slave, c.masterPosition);
      return;
    }
    const vol = closeVolume(c.volume, closed, remaining, this.parts.sessions.spec(c.slave, c.symbol));
    if (vol <= 0) {
      journal.decision('skip', `${why}: ${c.master}#${c.masterPosition} -> ${c.slave}: ${closed} of ${closed + remaining} lots is less than one step of the ${c.volume} lot copy; nothing to close yet`, c.slave, c.masterPosition);
      return;
    }
    const full = vol >= c.volume - EPS;
    const body = this.parts.commands.close(c, vol);
    this.parts.commands.decide('close', `${why}: ${c.master}#${c.masterPosition} -> ${c.slave} ticket ${c.ticket}: close ${full ? 'all ' : ''}${vol} of ${c.volume} lots`, c, body, receivedAt);
  }

  /** Mirrors a master close-by with one close_by of the two copies; false when it cannot. */
  closeBy(master: Account, c: Copy, d: DealMsg, receivedAt: number): boolean {
    const other = this.parts.copies.get(copyKey(master.name, d.position_by!, c.slave));
    if (c.closeBy) return true; // Already covered by the close_by sent for the first of the two deals.
    // Both copies must hold their slave positions (open, not merely live) on a hedging account.
    const t = this.parts.sessions.get(c.slave);
    if (!other || !c.ticket || !other.ticket || other.status !== 'open' || c.status !== 'open' || t?.marginMode !== 'hedging') return false;
    if (other.side === c.side) return false;
    const body: CommandOf<'close_by'> = {
      type: 'close_by', ...this.parts.commands.base(c), ticket: c.ticket, ticket_by: other.ticket, master_position_by: other.masterPosition,
    };
    c.closeBy = body.cmd_id;
    other.closeBy = body.cmd_id;
    const line = `master ${master.name} closed #${c.masterPosition} by #${other.masterPosition}: ${c.slave} close ${c.ticket} by ${other.ticket}`;
    this.parts.commands.decide('close_by', line, c, body, receivedAt, { otherKey: keyOf(other) });
    return true;
  }

  /** Netting reversal: close the copy, then open the new side once the close is done. */
  reverse(master: Account, mp: MasterPosition, c: Copy, receivedAt: number): void {
    if (c.status !== 'open' || !c.ticket) {
      this.parts.journal.decision('skip', `master reversed ${master.name}#${mp.position}; ${c.slave} copy is ${c.status}: no reversal`, c.slave, mp.position);
      return;
    }
    const slave = this.parts.roster.get(c.slave);
    const line = `master reversed ${master.name}#${mp.position} to ${mp.side} ${mp.volume}: ${c.slave} closes ticket ${c.ticket} (${c.volume} lots), then opens the new side`;
    this.parts.commands.decide('reverse', line, c, this.parts.commands.close(c), receivedAt, {
      then: () => {
        if (!slave || !mp.open) return;
        this.parts.copies.delete(keyOf(c));
        this.open(master, slave, mp, receivedAt);
      },
    });
  }

  /** The master may have moved on while the open was in flight: catch up. */
  catchUp(c: Copy, receivedAt: number): void {
    const mp = this.parts.masters.get(c.master, c.masterPosition);
    if (!mp || !c.ticket) return;
    const { commands } = this.parts;
    if (!mp.open) {
      const body = commands.close(c);
      commands.decide('close', `master ${c.master}#${c.masterPosition} closed while the copy was opening: ${c.slave} closes ticket ${c.ticket}`, c, body, receivedAt);
      return;
    }
    if (mp.volume < c.masterVolume - EPS && mp.side === c.side) {
      const closed = c.masterVolume - mp.volume;
      c.masterVolume = mp.volume;
      this.reduce(c, closed, mp.volume, receivedAt, 'master reduced while the copy was opening');
    }
    const stops = targetStops(mp, this.parts.sessions.spec(c.slave, c.symbol));
    if (stops.sl !== c.sl || stops.tp !== c.tp) {
      const body = commands.modify(c, stops);
      commands.decide('modify', `${c.master}#${c.masterPosition} SL/TP changed while opening -> ${c.slave} ticket ${c.ticket}: SL ${stops.sl} TP ${stops.tp}`, c, body, receivedAt);
    }
  }

  /** Counts the decision, plans it and journals a refusal. */
  private plan(what: string, master: Account, slave: Account, mp: MasterPosition, volume: number, price: number, veto?: (symbol: string) => string | undefined): Plan {
    const { stats, sessions } = this.parts;
    stats.decisions++;
    const plan = planCopy({
      master, slave, symbol: mp.symbol, side: mp.side, volume, price, veto,
      masterTerminal: sessions.get(master.name), slaveTerminal: sessions.get(slave.name), config: this.parts.cfg, now: this.parts.now(),
    });
    if (!plan.ok) {
      stats.refusals++;
      this.parts.journal.decision('refuse', `${what}: ${plan.reason}`, slave.name, mp.position, 'warn');
    }
    return plan;
  }

  /** On a netting or exchange account an opposite copy on the same symbol would net another copy away. */
  private nettingConflict(slave: string, symbol: string, mp: MasterPosition): string | undefined {
    const mode = this.parts.sessions.get(slave)?.marginMode;
    if (!mode || mode === 'hedging') return undefined;
    const other = this.parts.copies.ofSlave(slave).find(([, c]) => c.symbol === symbol && c.side !== mp.side && isLive(c))?.[1];
    if (!other) return undefined;
    return `${slave} is a ${mode} account and already holds a ${other.side} copy of ${other.master}#${other.masterPosition} on ${symbol}; an opposite copy would net it away`;
  }

  private copied(what: string, plan: Planned, slave: Account, mp: MasterPosition): void {
    const t = this.parts.sessions.get(slave.name);
    const online = t?.online && t.welcomed;
    const queued = online ? '' : `; ${slave.name} offline, queued until ${this.parts.cfg.commandTtlMs} ms expiry`;
    this.parts.journal.decision('copy', `${what} ${describePlan(plan)}${queued}`, slave.name, mp.position);
  }

  private openCommand(c: Copy, mp: MasterPosition, plan: Planned, price: number, increase: boolean): CommandOf<'open'> {
    return {
      type: 'open', ...this.parts.commands.base(c), symbol: plan.symbol, side: mp.side, volume: plan.volume, price, max_deviation_points: plan.tolerance,
      sl: c.sl, tp: c.tp, magic: this.parts.cfg.magic, comment: copyComment(mp.master, mp.position), ...(increase ? { increase: true } : {}),
    };
  }
}
