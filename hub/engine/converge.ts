/**
 * Convergence: every copy toward what its master position implies now, decided from state (the
 * master book, the copy table, the terminals' snapshots), whatever hub process saw what first.
 * Master positions without their copies are copied late or recorded missed; copies of closed
 * master positions are closed; volume and SL/TP follow the master; unknown outcomes are resolved.
 * Runs after each snapshot (for that terminal's masters or copies) and from Engine.tick once per
 * reconcileMs over everything: O(master positions x followers + copies) comparisons, no I/O.
 * Copies with a command in flight, or held after a failed one, are left alone: a decision is
 * taken again once the outcome is known, so nothing is sent twice.
 */
import type { Account } from '../accounts';
import type { Parts } from './context';
import { copyKey, isLive, targetStops, type Copy } from './copies';
import type { Decisions } from './decisions';
import type { MasterPosition } from './masters';
import { closedToNew } from './plan';
import { stopsNote } from './results';
import { closeVolume, EPS, sizeVolume } from './sizing';
import { copySide, lossStop } from './stops';

/** Default of master_offline_grace_ms for slaves whose master_offline is "close". */
export const MASTER_OFFLINE_GRACE_MS = 60_000;

type ConvergeParts = Parts & { decisions: Decisions };

const fmt = (n: number) => Number(n.toFixed(8)).toString();

/**
 * One reconciliation pass: the open master positions and the copies it visits, taken when it
 * begins, worked through a slice at a time; each is checked again when its turn comes.
 */
interface Pass {
  only: { master?: string; slave?: string };
  positions: MasterPosition[];
  nextPosition: number;
  /** Keys of `copies`, one for one: a copy is still the table's when the table has it under its key. */
  keys: string[];
  copies: Copy[];
  nextCopy: number;
  /** Followers of each master, of this pass's slave only when it has one. */
  followers: Map<string, Account[]>;
}

export class Converger {
  private last = -Infinity;
  /** Passes not finished yet, oldest first: the periodic one and those of snapshots. */
  private passes: Pass[] = [];

  constructor(private readonly parts: ConvergeParts) {}

  /** Begins the periodic pass over everything at most once per reconcileMs; runs one slice. True while work is left. */
  tick(now: number): boolean {
    if (now - this.last >= this.parts.cfg.reconcileMs && !this.passes.some((p) => !p.only.master && !p.only.slave)) {
      this.last = now;
      this.passes.push(this.begin({}));
    }
    return this.step(now);
  }

  /**
   * The positions and copies of one master, of one slave, or all: the first slice at once, the
   * rest by step(). A new pass of a terminal replaces its unfinished one (it compares against
   * newer state).
   */
  run(now: number, only: { master?: string; slave?: string } = {}): boolean {
    this.passes = this.passes.filter((p) => p.only.master !== only.master || p.only.slave !== only.slave);
    this.passes.push(this.begin(only));
    return this.step(now);
  }

  /** Work is left for step(). */
  get busy(): boolean {
    return this.passes.length > 0;
  }

  /**
   * At most reconcileSlice comparisons (a master position counts once per follower), so that a
   * pass over 100,000 copies never holds a copy back for long: the hub calls it again from
   * setImmediate, after the messages waiting meanwhile. True while work is left.
   */
  step(now: number): boolean {
    let budget = this.parts.cfg.reconcileSlice;
    this.parts.journal.fanOut(() => {
      while (budget > 0 && this.passes.length) {
        const pass = this.passes[0];
        // The roster may change between slices: followers are read again for each.
        pass.followers.clear();
        budget = this.slice(pass, budget, now);
        if (pass.nextPosition >= pass.positions.length && pass.nextCopy >= pass.copies.length) this.passes.shift();
      }
    });
    return this.passes.length > 0;
  }

  private begin(only: { master?: string; slave?: string }): Pass {
    const { masters, copies } = this.parts;
    const positions: MasterPosition[] = [];
    for (const mp of masters.all()) if (mp.open && (!only.master || mp.master === only.master)) positions.push(mp);
    const keys: string[] = [];
    const list: Copy[] = [];
    for (const [key, c] of only.slave ? copies.ofSlave(only.slave) : copies) {
      if (only.master && c.master !== only.master) continue;
      keys.push(key);
      list.push(c);
    }
    return { only, positions, nextPosition: 0, keys, copies: list, nextCopy: 0, followers: new Map() };
  }

  /** Works through a pass until it ends or the budget does; returns the budget left. */
  private slice(pass: Pass, budget: number, now: number): number {
    const { masters, roster, copies } = this.parts;
    const { only, followers } = pass;
    while (budget > 0 && pass.nextPosition < pass.positions.length) {
      const mp = pass.positions[pass.nextPosition++];
      // Closed or replaced since the pass began: nothing of it is owed any more.
      if (!mp.open || masters.get(mp.master, mp.position) !== mp) continue;
      let of = followers.get(mp.master);
      if (!of) followers.set(mp.master, (of = roster.followersOf(mp.master).filter((s) => !only.slave || s.name === only.slave)));
      budget -= Math.max(1, of.length);
      if (!of.length) continue;
      if (of.length === 1) {
        this.ensure(mp, of[0], now, copies.get(copyKey(mp.master, mp.position, of[0].name)));
        continue;
      }
      // Many followers: one index lookup per master position, not a copy key built and hashed for each.
      const held = new Map<string, Copy>();
      for (const c of copies.ofMasterPosition(mp.master, mp.position)) held.set(c.slave, c);
      for (const slave of of) this.ensure(mp, slave, now, held.get(slave.name));
    }
    while (budget > 0 && pass.nextCopy < pass.copies.length) {
      const key = pass.keys[pass.nextCopy];
      const c = pass.copies[pass.nextCopy++];
      budget--;
      // Settled and forgotten, or replaced by a newer record of the same copy, since the pass began.
      if (copies.get(key) !== c) continue;
      this.check(c, now);
    }
    return budget;
  }

  /**
   * An open master position and one follower: a copy is made late when there is none (the hub
   * restarted, the command expired while the slave was away, a pending row of a dead process the
   * slave's snapshot does not show) and the slave can take it: online, symbols known, and a
   * snapshot since its welcome, so a copy it already holds is adopted first, never opened twice.
   */
  private ensure(mp: MasterPosition, slave: Account, now: number, c: Copy | undefined): void {
    const { sessions, cfg } = this.parts;
    if (c && !this.undecided(c, now, mp)) return;
    const master = this.parts.roster.get(mp.master);
    if (!master || !this.current(mp) || !sessions.ready(slave.name)) return;
    if (c && (sessions.freshSnapshot(slave.name) ?? 0) < c.foundSeq) return;
    // Refusals of the account settings come first: one line, a refused record.
    if (closedToNew(master) || !slave.enabled || slave.close_only) return this.parts.decisions.open(master, slave, mp, now, true);
    const maxDelay = slave.max_delay_ms ?? cfg.maxDelayMs;
    const age = now - (mp.openTime ?? 0);
    if (age > maxDelay) {
      const reason = `opened ${age} ms ago, more than max_delay_ms ${maxDelay}`;
      this.parts.journal.decision('miss', `late open ${mp.master}#${mp.position} ${mp.side} ${mp.volume} ${mp.symbol} -> ${slave.name}: ${reason}`, slave.name, mp.position, 'warn');
      this.parts.decisions.record(mp, slave.name, 'missed', reason, now);
      return;
    }
    this.parts.decisions.open(master, slave, mp, now, true);
  }

  /**
   * A copy record whose open is to be decided again: expired in this process, pending in the
   * ledger of a dead one (once its commands have expired too, so the slave cannot still run one),
   * or closed on the side a netting master has since reversed (the new side is still owed).
   */
  private undecided(c: Copy, now: number, mp?: MasterPosition): boolean {
    if (c.status === 'expired' || (c.status === 'closed' && mp !== undefined && copySide(mp.side, c.reversed) !== c.side)) return true;
    return c.status === 'pending' && c.inflight.size === 0 && now >= this.parts.startedAt + this.parts.cfg.commandTtlMs;
  }

  /** One live copy against its master position. */
  private check(c: Copy, now: number): void {
    if (!isLive(c) || c.inflight.size || c.closeBy || (c.holdUntil ?? 0) > now) return;
    const mp = this.parts.masters.get(c.master, c.masterPosition);
    if (c.status === 'pending') return this.unknownOutcome(c, mp, now);
    if (!c.ticket || !this.parts.sessions.reachable(c.slave)) return;
    const { commands } = this.parts;
    if (this.gone(c, mp)) {
      commands.decide('close', `reconcile: ${c.master}#${c.masterPosition} is closed on the master; ${c.slave} closes ticket ${c.ticket}`, c, commands.close(c), now);
      return;
    }
    const away = this.masterAway(c, now);
    if (away) {
      commands.decide('close', `${away}: ${c.slave} closes ticket ${c.ticket}`, c, commands.close(c), now);
      return;
    }
    // Side, volume and SL/TP from a master position the master reported since its welcome,
    // against a copy the slave reported since the hub learnt of it.
    if (!mp?.open || !this.current(mp)) return;
    const master = this.parts.roster.get(c.master);
    if (copySide(mp.side, c.reversed) !== c.side) {
      // A reversal the copy missed: closed, then the new side is opened (or decided late).
      if (master) this.parts.decisions.reverse(master, mp, c, now);
      return;
    }
    if ((this.parts.sessions.freshSnapshot(c.slave) ?? 0) < c.foundSeq) return;
    this.volume(c, mp, now);
    if (!c.inflight.size) this.stops(c, mp, now);
  }

  /**
   * When is a master position gone, so that its copy is closed? When a deal closed it (final),
   * or when it is missing from a master snapshot that was received
   * - after this process learnt of the copy (made, adopted, restored): an earlier snapshot may
   *   predate the position itself, and
   * - after the master answered this process's welcome: snapshots the terminal queued while the
   *   hub was down arrive first and may predate positions copied since the restart.
   * Snapshots older (by sender time) than one already applied are replays and never get here.
   */
  private gone(c: Copy, mp: MasterPosition | undefined): boolean {
    if (mp && !mp.open && mp.closedByDeal) return true;
    // A slave's pending copy that filled before the master's order: its position is yet to come.
    if (!mp && this.parts.orders.get(c.master, c.masterPosition)) return false;
    const fresh = this.parts.sessions.freshSnapshot(c.master);
    if (fresh === undefined || fresh < c.foundSeq) return false;
    return !mp?.open;
  }

  /** The master has reported this position since it was (re)welcomed by this process. */
  private current(mp: MasterPosition): boolean {
    const welcomed = this.parts.sessions.get(mp.master)?.welcomeSeq;
    return welcomed !== undefined && (mp.seenSeq ?? 0) > welcomed;
  }

  /**
   * While a master is offline its copies are kept, unless the slave's master_offline is "close":
   * then they are closed once it has been offline for master_offline_grace_ms (default 60 s;
   * a master not heard from since the hub started counts as offline since then).
   */
  private masterAway(c: Copy, now: number): string | undefined {
    const slave = this.parts.roster.get(c.slave);
    if (slave?.master_offline !== 'close') return undefined;
    const since = this.parts.sessions.offlineSince(c.master, this.parts.startedAt);
    const grace = slave.master_offline_grace_ms ?? MASTER_OFFLINE_GRACE_MS;
    if (since === undefined || now - since < grace) return undefined;
    return `master ${c.master} offline for ${now - since} ms (${c.slave} closes copies after ${grace} ms)`;
  }

  /** A pending row of a dead process the slave's snapshot did not show, whose master position is closed: missed. */
  private unknownOutcome(c: Copy, mp: MasterPosition | undefined, now: number): void {
    if (!this.undecided(c, now) || (this.parts.sessions.freshSnapshot(c.slave) ?? 0) < c.foundSeq || !this.gone(c, mp)) return;
    const reason = 'open of unknown outcome: not on the slave, and the master position is closed';
    c.status = 'missed';
    this.parts.journal.decision('miss', `${c.master}#${c.masterPosition} -> ${c.slave}: ${reason}`, c.slave, c.masterPosition);
    this.parts.journal.trade(c, { status: 'missed', reason });
  }

  /**
   * Target = master volume x the copy's ratio. Above it, the copy closes the share the master
   * closed (closeVolume: nearest step, all of it below the minimum, nothing below one step);
   * below it by a step or more, it grows under the age and price rules of a late open.
   */
  private volume(c: Copy, mp: MasterPosition, now: number): void {
    const { sessions, commands, journal } = this.parts;
    const spec = sessions.spec(c.slave, c.symbol);
    const sizedNow = c.ratio === undefined;
    if (sizedNow && !this.resize(c, mp)) return;
    const ratio = c.ratio!;
    const target = mp.volume * ratio;
    // Built only for a decision: the pass runs over every copy every reconcileMs, and almost all are on target.
    const line = () => `reconcile: ${c.master}#${c.masterPosition} holds ${mp.volume} lots; ${c.slave} ticket ${c.ticket} holds ${c.volume}, target ${fmt(target)}`;
    if (c.volume > target + EPS) {
      const vol = closeVolume(c.volume, c.volume / ratio - mp.volume, mp.volume, spec);
      if (vol <= 0) return;
      c.masterVolume = mp.volume;
      commands.decide('close', `${line()}: close ${vol >= c.volume - EPS ? 'all ' : ''}${vol} lots`, c, commands.close(c, vol), now);
      return;
    }
    // A copy reduced on the slave itself (by hand, a partial stop-out) stays so until the master grows.
    if (c.slaveCut !== undefined && mp.volume <= c.slaveCut + EPS) return;
    const short = this.parts.decisions.shortfall(c, mp, spec);
    if (!short) return;
    const note = `grow ${fmt(target)}`;
    if (c.noted === note) return;
    // Only a master that grew past what the copy stands for (a netting add) is followed by an add:
    // below target for any other reason (rounding, a close_by that took more, stale accounting),
    // an add would be one more slave position for the same master position on a hedging slave.
    // A copy sized afresh (found without its ledger row) is grown to its target once.
    if (!sizedNow && mp.volume <= c.masterVolume + EPS) {
      c.noted = note;
      journal.decision('skip', `${line()}: ${short} lots not added, the master did not grow past the ${fmt(c.masterVolume)} lots the copy stands for`, c.slave, c.masterPosition, 'warn');
      return;
    }
    const slave = this.parts.roster.get(c.slave);
    const maxDelay = slave?.max_delay_ms ?? this.parts.cfg.maxDelayMs;
    const age = now - (mp.grewAt ?? mp.openTime ?? 0);
    if (age > maxDelay) {
      c.noted = note;
      journal.decision('miss', `${line()}: ${short} lots not added, the master's volume is ${age} ms old, more than max_delay_ms ${maxDelay}`, c.slave, c.masterPosition, 'warn');
      return;
    }
    const master = this.parts.roster.get(c.master);
    // A refusal is written once for this target; an expired or failed add is tried again.
    if (master && !this.parts.decisions.grow(master, mp, c, short / ratio, mp.price, now, `${line()}: add`, true)) c.noted = note;
  }

  /** A copy without a known ratio (adopted without its ledger row) is sized afresh from the master's current volume. */
  private resize(c: Copy, mp: MasterPosition): boolean {
    const { sessions, roster } = this.parts;
    const slave = roster.link(c.slave, c.master);
    if (!slave || !(mp.volume > 0)) return false;
    const spec = sessions.spec(c.slave, c.symbol);
    const [m, s] = [sessions.get(c.master), sessions.get(c.slave)];
    const sized = sizeVolume({
      masterVolume: mp.volume, account: slave, masterSymbol: mp.symbol, slaveSpec: spec, masterSpec: sessions.spec(c.master, mp.symbol),
      masterEquity: m?.equity, slaveEquity: s?.equity, masterBalance: m?.balance, slaveBalance: s?.balance,
      risk: { price: mp.price, stop: lossStop(mp, c.reversed, slave, spec) },
    });
    if (!sized.ok) return false;
    c.ratio = sized.volume / mp.volume;
    this.parts.log.info(`reconcile: ${c.slave} copy of ${c.master}#${c.masterPosition} sized afresh: ${sized.volume} lots for ${mp.volume} master lots`);
    this.parts.journal.trade(c, { volume: sized.volume, master_volume: mp.volume });
    return true;
  }

  /** SL/TP as the master's; a target the slave refused is not sent again until the master changes it. */
  private stops(c: Copy, mp: MasterPosition, now: number): void {
    const want = this.parts.decisions.stopsOf(c, mp);
    if (!want) return;
    const have = targetStops(c, this.parts.sessions.spec(c.slave, c.symbol));
    if ((want.sl === have.sl && want.tp === have.tp) || c.noted === stopsNote(want)) return;
    const line = `reconcile: ${c.master}#${c.masterPosition} SL ${want.sl} TP ${want.tp} -> ${c.slave} ticket ${c.ticket} (was SL ${have.sl} TP ${have.tp})`;
    this.parts.commands.decide('modify', line, c, this.parts.commands.modify(c, want), now);
  }
}
