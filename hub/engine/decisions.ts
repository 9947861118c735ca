/**
 * Copy decisions: what each slave does when its master opens, adds to, reduces, closes by,
 * reverses or edits a position, and the catch-up once an open that was in flight is confirmed.
 * A deal the hub handled before it restarted changes nothing: opens need no copy record, adds and
 * reductions go toward the target the copy's ratio gives, not by the deal's lots.
 */
import type { Account } from '../accounts';
import type { TradeStatus } from '../ledger/types';
import type { DealMsg, PositionMsg, Side, SymbolSpec } from '../protocol';
import type { CommandOf } from './commands';
import type { Parts } from './context';
import { copyKey, isLive, keyOf, newCopy, type Copy } from './copies';
import { dir, iso } from './journal';
import type { MasterPosition } from './masters';
import { closedToNew, describePlan, planCopy, type Plan } from './plan';
import { closeVolume, EPS, floorToStep, roundLots } from './sizing';
import { copySide, linkStops, type Stops } from './stops';
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
    // Every deal updates the book, also of a disabled or close-only master: its copies follow its closes.
    const change = masters.applyDeal(master.name, d, receivedAt);
    const closed = closedToNew(master);
    if (closed && (change.kind === 'open' || change.kind === 'add')) {
      journal.decision('skip', `master ${master.name} ${closed}: deal ${d.deal} (${d.entry} ${d.side} ${d.volume} ${d.symbol}) not copied`, master.name, d.position);
      if (change.kind === 'open') for (const slave of this.undecided(change.mp)) this.record(change.mp, slave.name, 'refused', `master ${master.name} ${closed}`, receivedAt);
      return;
    }
    const copies = () => this.parts.copies.ofMasterPosition(master.name, d.position);
    switch (change.kind) {
      case 'none':
        this.parts.log.debug(`deal ${d.deal} of ${master.name} tells nothing new of #${d.position} (handled before a restart, or older than a snapshot)`);
        return;
      case 'open':
        for (const slave of this.undecided(change.mp)) {
          // A position opened before this process started may already be copied there, and a
          // slave not heard from since may be a netting account holding an opposite copy: its
          // snapshot decides (reconciliation), not the EA's guard.
          const ready = this.parts.sessions.ready(slave.name);
          if (!ready && (d.time_ms < this.parts.startedAt || !this.parts.sessions.get(slave.name)?.marginMode)) {
            const why = d.time_ms < this.parts.startedAt ? 'opened before the hub started, may already be copied' : 'its account (netting or hedging) is not known yet';
            journal.decision('wait', `open ${master.name}#${d.position} -> ${slave.name}: ${why}; decided on ${slave.name}'s next snapshot`, slave.name, d.position);
          } else this.open(master, slave, change.mp, receivedAt);
        }
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
    for (const c of this.parts.copies.ofMasterPosition(master.name, pos.position)) {
      if (!isLive(c)) continue;
      const stops = this.stopsOf(c, mp);
      if (!stops || (stops.sl === c.sl && stops.tp === c.tp)) continue;
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

  /**
   * A new master position on one follower: a pending copy and its open, or a refused copy. Late:
   * reconciliation found the position without its copy (hub restarted, slave back after the
   * command expired); a copy the price gate refuses is then missed, and the record replaced.
   */
  open(master: Account, slave: Account, mp: MasterPosition, receivedAt: number, late = false): void {
    if (!late && this.parts.copies.has(copyKey(mp.master, mp.position, slave.name))) {
      this.parts.log.debug(`open ${master.name}#${mp.position} -> ${slave.name} already decided`);
      return;
    }
    const what = `${late ? 'late open' : 'open'} ${master.name}#${mp.position} ${mp.side} ${mp.volume} ${mp.symbol} -> ${slave.name}`;
    const plan = this.plan(what, master, slave, mp, mp.volume, mp.price, (symbol, side) => this.nettingConflict(slave.name, symbol, side), late, undefined, mp.openTime);
    if (!plan.ok) {
      this.record(mp, slave.name, (late && plan.slipped) || plan.stale ? 'missed' : 'refused', plan.reason, receivedAt);
      return;
    }
    const stops = plan.stops ?? { sl: 0, tp: 0 };
    const c = newCopy(mp, slave.name, { symbol: plan.symbol, status: 'pending', side: plan.side, reversed: plan.reversed || undefined, ...stops, ratio: plan.volume / mp.volume });
    this.parts.copies.set(keyOf(c), c);
    this.copied(what, plan, slave, mp);
    this.parts.journal.trade(c, {
      status: 'pending', symbol: plan.symbol, master_symbol: mp.symbol, direction: dir(c.side), reversed: c.reversed, master_volume: mp.volume, volume: plan.volume,
      master_price: mp.price, open_time: iso(receivedAt), reason: undefined,
    });
    this.parts.commands.issue(c, this.openCommand(c, mp, plan, mp.price, false), receivedAt);
  }

  /** A netting master added to its position: the copy grows by the deal's share. */
  increase(master: Account, mp: MasterPosition, c: Copy, d: DealMsg, receivedAt: number): void {
    this.grow(master, mp, c, d.volume, d.price, receivedAt, `add to ${master.name}#${mp.position} ${mp.side} ${d.volume} ${mp.symbol} -> ${c.slave}`, false, d.time_ms);
  }

  /**
   * Adds to a live copy what it lacks of its target (the master's volume times its ratio, less
   * what is open and being opened); without a ratio, the master's `lots` sized afresh. The plan
   * gives the symbol and the price gate. False when the copy lacks nothing or the plan refused.
   */
  grow(master: Account, mp: MasterPosition, c: Copy, lots: number, price: number, receivedAt: number, what: string, late = false, eventAt?: number): boolean {
    if (!isLive(c)) return false;
    const slave = this.parts.roster.get(c.slave);
    if (!slave) return false;
    if (!c.ticket && c.inflight.size) {
      // The open's outcome is not known yet. Sent now, the add could reach the slave first (the
      // open's first send lost while it was away) and open the copy; the open, re-sent, is then
      // answered with the position, add included, and the add's own result would count it twice.
      // catchUp adds what is due once the open is confirmed.
      this.parts.journal.decision('defer', `${what}: open still in flight; the add follows its result`, c.slave, c.masterPosition);
      return false;
    }
    const plan = this.plan(what, master, slave, mp, lots, price, undefined, late, c, eventAt);
    // A refused increase leaves the copy as it is: no record of its own.
    if (!plan.ok) return false;
    const short = this.shortfall(c, mp, plan.spec);
    if (short !== undefined && short <= 0) {
      this.parts.log.debug(`${what}: the copy already holds its target`);
      return false;
    }
    const sized = { ...plan, volume: short ?? plan.volume };
    this.copied(what, sized, slave, mp);
    this.parts.commands.issue(c, this.openCommand(c, mp, sized, price, true), receivedAt);
    return true;
  }

  /** Lots a copy lacks of its target, down to the volume step (0 below the minimum); undefined without a ratio. */
  shortfall(c: Copy, mp: MasterPosition, spec: SymbolSpec | undefined): number | undefined {
    if (c.ratio === undefined) return undefined;
    const lack = mp.volume * c.ratio - c.volume - this.parts.commands.inflightVolume(c, 'open');
    if (!spec) return lack > EPS ? roundLots(lack) : 0;
    const lots = floorToStep(lack, spec.volume_step);
    return lots < spec.volume_min - EPS ? 0 : lots;
  }

  /**
   * The master closed `closed` lots and kept `remaining`: the copy closes the same share. A copy
   * already sized for `remaining` or less (the deal was handled before a restart) is left alone.
   */
  reduce(c: Copy, closed: number, remaining: number, receivedAt: number, why: string): void {
    if (!isLive(c)) return;
    const { journal } = this.parts;
    if (!c.ticket) {
      // Open still in flight: catchUp compares the master's volume and closes what is due.
      journal.decision('defer', `${why}: ${c.master}#${c.masterPosition} -> ${c.slave} open still in flight; close follows its result`, c.slave, c.masterPosition);
      return;
    }
    if (remaining >= c.masterVolume - EPS) {
      this.parts.log.debug(`${why}: ${c.master}#${c.masterPosition} -> ${c.slave} already sized for ${c.masterVolume} master lots`);
      return;
    }
    closed = Math.min(closed, c.masterVolume - remaining);
    c.masterVolume = remaining;
    // What closes already in flight (a close-by included) leave of the copy is what this one
    // takes its share of.
    const held = roundLots(c.volume - this.parts.commands.inflightVolume(c, 'close') - this.parts.commands.closingBy(c));
    if (held <= EPS) return;
    const vol = closeVolume(held, closed, remaining, this.parts.sessions.spec(c.slave, c.symbol));
    if (vol <= 0) {
      journal.decision('skip', `${why}: ${c.master}#${c.masterPosition} -> ${c.slave}: ${closed} of ${closed + remaining} lots is less than one step of the ${held} lot copy; nothing to close yet`, c.slave, c.masterPosition);
      return;
    }
    const full = vol >= held - EPS;
    const body = this.parts.commands.close(c, vol);
    this.parts.commands.decide('close', `${why}: ${c.master}#${c.masterPosition} -> ${c.slave} ticket ${c.ticket}: close ${full ? 'all ' : ''}${vol} of ${held} lots`, c, body, receivedAt);
  }

  /** Mirrors a master close-by with one close_by of the two copies; false when it cannot. */
  closeBy(master: Account, c: Copy, d: DealMsg, receivedAt: number): boolean {
    const other = this.parts.copies.get(copyKey(master.name, d.position_by!, c.slave));
    if (c.closeBy) return true; // Already covered by the close_by sent for the first of the two deals.
    // Both copies must hold their slave positions (open, not merely live) on a hedging account.
    const t = this.parts.sessions.get(c.slave);
    if (!other || !c.ticket || !other.ticket || other.status !== 'open' || c.status !== 'open' || t?.marginMode !== 'hedging') return false;
    if (other.side === c.side) return false;
    // The slave's close_by closes the smaller of the two positions: only when that is each copy's
    // share of the master's close-by (nothing in flight, volumes at their ratio) does it mirror it.
    const lots = Math.min(c.volume, other.volume);
    if (c.inflight.size || other.inflight.size || !this.share(c, d.volume, lots) || !this.share(other, d.volume, lots)) {
      this.parts.log.debug(`close-by ${master.name}#${c.masterPosition} by #${other.masterPosition} -> ${c.slave}: ${lots} lots is not both copies' share of ${d.volume}; each closes on its own`);
      return false;
    }
    c.masterVolume = d.position_volume;
    const by = this.parts.masters.get(master.name, other.masterPosition);
    other.masterVolume = Math.max(0, roundLots(Math.min(other.masterVolume, by?.volume ?? Infinity) - d.volume));
    const body: CommandOf<'close_by'> = {
      type: 'close_by', ...this.parts.commands.base(c), ticket: c.ticket, ticket_by: other.ticket, master_position_by: other.masterPosition,
    };
    c.closeBy = body.cmd_id;
    other.closeBy = body.cmd_id;
    const line = `master ${master.name} closed #${c.masterPosition} by #${other.masterPosition}: ${c.slave} close ${c.ticket} by ${other.ticket}`;
    this.parts.commands.decide('close_by', line, c, body, receivedAt, { otherKey: keyOf(other) });
    return true;
  }

  /** `lots` of the copy are its share of `masterLots` at its ratio, to half a volume step. */
  private share(c: Copy, masterLots: number, lots: number): boolean {
    const step = this.parts.sessions.spec(c.slave, c.symbol)?.volume_step ?? 0.01;
    return c.ratio !== undefined && Math.abs(masterLots * c.ratio - lots) < step / 2 + EPS;
  }

  /** Netting reversal: close the copy, then open the new side once the close is done. */
  reverse(master: Account, mp: MasterPosition, c: Copy, receivedAt: number): void {
    if (c.side === copySide(mp.side, c.reversed)) {
      this.parts.log.debug(`master reversed ${master.name}#${mp.position}; ${c.slave} copy is already ${c.side}`);
      return;
    }
    if (c.status !== 'open' || !c.ticket) {
      this.parts.journal.decision('skip', `master reversed ${master.name}#${mp.position}; ${c.slave} copy is ${c.status}: no reversal`, c.slave, mp.position);
      return;
    }
    if (c.inflight.size) {
      // An add or a close still on its way changes what the copy holds: the close would leave its
      // lots behind, and the new side's open would find the old position still there. Decided
      // again when the results are in (catchUp, or convergence).
      this.parts.journal.decision('defer', `master reversed ${master.name}#${mp.position} to ${mp.side} ${mp.volume}: ${c.slave} has a command in flight; the reversal follows its result`, c.slave, mp.position);
      return;
    }
    const slave = this.parts.roster.get(c.slave);
    const line = `master reversed ${master.name}#${mp.position} to ${mp.side} ${mp.volume}: ${c.slave} closes ticket ${c.ticket} (${c.volume} lots), then opens the new side`;
    this.parts.commands.decide('reverse', line, c, this.parts.commands.close(c), receivedAt, {
      then: () => {
        if (!slave || !mp.open || closedToNew(master)) return;
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
      // Closes already on their way (the master's close deal came while an add was in flight)
      // cover part of the copy: close only the rest, or a netting position shared with a newer
      // copy would be over-closed.
      const rest = roundLots(c.volume - commands.inflightVolume(c, 'close'));
      if (rest <= EPS) return;
      const body = commands.close(c, rest);
      commands.decide('close', `master ${c.master}#${c.masterPosition} closed while the copy was opening: ${c.slave} closes ticket ${c.ticket}${rest < c.volume - EPS ? ` (${rest} of ${c.volume} lots; the rest is closing already)` : ''}`, c, body, receivedAt);
      return;
    }
    const master = this.parts.roster.get(c.master);
    if (copySide(mp.side, c.reversed) !== c.side) {
      // The master reversed while the copy was opening: the reversal, once nothing is in flight.
      if (master && !c.inflight.size) this.reverse(master, mp, c, receivedAt);
      return;
    }
    if (mp.volume < c.masterVolume - EPS) {
      this.reduce(c, c.masterVolume - mp.volume, mp.volume, receivedAt, 'master reduced while the copy was opening');
    }
    // Only a copy with a ratio: one without (adopted, its ledger row lost) is sized afresh by
    // reconciliation, and an add would not change the master lots it stands for (added again and again).
    if (master && c.ratio !== undefined && mp.volume > c.masterVolume + EPS) {
      this.grow(master, mp, c, mp.volume - c.masterVolume, mp.price, receivedAt, `master added while the copy was opening: ${c.master}#${c.masterPosition} ${mp.side} ${mp.volume} ${mp.symbol} -> ${c.slave}`, true);
    }
    const stops = this.stopsOf(c, mp);
    if (stops && (stops.sl !== c.sl || stops.tp !== c.tp)) {
      const body = commands.modify(c, stops);
      commands.decide('modify', `${c.master}#${c.masterPosition} SL/TP changed while opening -> ${c.slave} ticket ${c.ticket}: SL ${stops.sl} TP ${stops.tp}`, c, body, receivedAt);
    }
  }

  /** Followers with no copy record of a master position (one restored from the ledger counts). */
  private undecided(mp: MasterPosition): Account[] {
    return this.parts.roster.followersOf(mp.master).filter((s) => !this.parts.copies.has(copyKey(mp.master, mp.position, s.name)));
  }

  /**
   * A copy that will not be made, as a record: the ledger shows it, and later master changes skip
   * it. It names the master's symbol and SL/TP: the slave's may be what could not be found.
   */
  record(mp: MasterPosition, slave: string, status: Extract<TradeStatus, 'refused' | 'missed'>, reason: string, at: number): void {
    const c = newCopy(mp, slave, { symbol: mp.symbol, status, sl: mp.sl, tp: mp.tp });
    this.parts.copies.set(keyOf(c), c);
    this.parts.journal.trade(c, { status, reason, open_time: iso(at) });
  }

  /**
   * Counts the decision, plans it under the slave's settings for this master and journals a
   * refusal (late: a miss when the price gate refused; a miss for a new position older than
   * max_delay_ms; a filtered position is an info line). A veto marks a new position; `copy`: an
   * add to this copy.
   */
  private plan(what: string, master: Account, slave: Account, mp: MasterPosition, volume: number, price: number, veto?: (symbol: string, side: Side) => string | undefined, late = false, copy?: Copy, eventAt?: number): Plan {
    const { stats, sessions, guards } = this.parts;
    stats.decisions++;
    const now = this.parts.now();
    const slaveTerminal = sessions.get(slave.name);
    const plan = planCopy({
      master, slave: this.parts.roster.link(slave.name, master.name) ?? slave, symbol: mp.symbol, side: mp.side, volume, price, sl: mp.sl, tp: mp.tp, magic: mp.magic, comment: mp.comment,
      increase: copy && { reversed: copy.reversed }, veto, eventAt,
      admit: (symbol, lots) => guards.admit(slave, slaveTerminal, { master: mp.symbol, slave: symbol }, lots, veto !== undefined, now),
      masterTerminal: sessions.get(master.name), slaveTerminal, config: this.parts.cfg, now,
    });
    if (!plan.ok) {
      stats.refusals++;
      const kind = (late && plan.slipped) || (plan.stale && veto) ? 'miss' : plan.filtered ? 'filter' : 'refuse';
      this.parts.journal.decision(kind, `${what}: ${plan.reason}`, slave.name, mp.position, plan.filtered ? 'info' : 'warn');
    }
    return plan;
  }

  /** The SL/TP a copy should carry now under its slave's settings for its master; undefined: left to the slave. */
  stopsOf(c: Copy, mp: MasterPosition): Stops | undefined {
    const link = this.parts.roster.link(c.slave, c.master);
    return linkStops(mp, c.reversed, link ?? {}, this.parts.sessions.spec(c.slave, c.symbol));
  }

  /**
   * On a netting or exchange account an opposite copy on the same symbol would net another copy
   * away: one the hub tracks, or a copy in the slave's last snapshot the copy table does not
   * account for (its comment names no copy the hub knows; those the table has, it decides).
   */
  private nettingConflict(slave: string, symbol: string, side: Side): string | undefined {
    const t = this.parts.sessions.get(slave);
    const mode = t?.marginMode;
    if (!mode || mode === 'hedging') return undefined;
    const other = this.parts.copies.ofSlave(slave).find(([, c]) => c.symbol === symbol && c.side !== side && isLive(c))?.[1];
    const held = `${slave} is a ${mode} account and already holds a`;
    if (other) return `${held} ${other.side} copy of ${other.master}#${other.masterPosition} on ${symbol}; an opposite copy would net it away`;
    for (const p of t.positions?.values() ?? []) {
      if (p.symbol !== symbol || p.side === side || p.magic !== this.parts.cfg.magic) continue;
      const id = this.parts.roster.masterOf(p, this.parts.cfg.magic);
      if (!id || !this.parts.copies.has(copyKey(id.master, id.masterPosition, slave))) return `${held} ${p.side} copy (ticket ${p.ticket}) on ${symbol}; an opposite copy would net it away`;
    }
    return undefined;
  }

  private copied(what: string, plan: Planned, slave: Account, mp: MasterPosition): void {
    const t = this.parts.sessions.get(slave.name);
    const online = t?.online && t.welcomed;
    const queued = online ? '' : `; ${slave.name} offline, queued until ${this.parts.cfg.commandTtlMs} ms expiry`;
    this.parts.journal.decision('copy', `${what} ${describePlan(plan)}${queued}`, slave.name, mp.position);
  }

  private openCommand(c: Copy, mp: MasterPosition, plan: Planned, price: number, increase: boolean): CommandOf<'open'> {
    // An add sets the (netting) position's SL/TP: the ones the copy should have now, not the ones
    // it had when a modify still on its way was sent.
    const stops = increase ? (this.stopsOf(c, mp) ?? c) : c;
    return {
      type: 'open', ...this.parts.commands.base(c), symbol: plan.symbol, side: c.side, volume: plan.volume, price, max_deviation_points: plan.tolerance,
      sl: stops.sl, tp: stops.tp, magic: this.parts.cfg.magic, comment: copyComment(mp.master, mp.position), ...(increase ? { increase: true } : {}),
    };
  }
}
