/** The command tracker: command ids, commands in flight, re-sends and expiry. */
import { BoundedMap } from '../bounded';
import type { Body, CommandMsg } from '../protocol';
import type { Parts } from './context';
import { keyOf, nextSeq, type Copy } from './copies';

export type Command = Body<CommandMsg>;
export type CommandOf<T extends Command['type']> = Extract<Command, { type: T }>;

export interface Pending {
  body: Command;
  slave: string;
  copyKey: string;
  firstSent: number;
  lastSent: number;
  attempts: number;
  /** Hub receive time of the master event that caused this command (latency). */
  origin: number;
  /** Command to send once this one is done (netting reversal: close, then open). */
  then?: () => void;
  /** For close_by: the other copy. */
  otherKey?: string;
  /** The slave answered placed (an exchange holds the order): its final result follows unasked. */
  placed?: boolean;
}

export type Followup = Partial<Pick<Pending, 'then' | 'otherKey'>>;

/** Expired commands kept for a late result, at most. */
const EXPIRED_MAX = 10_000;

/**
 * The command as sent now: with what is left of its life, which the terminal counts from its
 * receipt on its own clock (the hub's and the terminal's clocks are never compared).
 */
function withTtl(body: Command, now: number): Command {
  return { ...body, ttl_ms: Math.max(0, body.expires_ms - now) };
}

type CommandParts = Pick<Parts, 'cfg' | 'send' | 'now' | 'stats' | 'journal' | 'copies'>;

export class Commands {
  private pending = new Map<string, Pending>();
  /** Expired commands, so that a result arriving late is still applied (bounded). */
  private expired = new BoundedMap<string, Pending>(EXPIRED_MAX);
  private counter = 0;

  constructor(private readonly parts: CommandParts) {}

  /** What every command of a copy carries: a new id, its expiry, the master position. */
  base(c: Copy) {
    const now = this.parts.now();
    return {
      cmd_id: `c${now.toString(36)}-${(++this.counter).toString(36)}`,
      expires_ms: now + this.parts.cfg.commandTtlMs,
      master: c.master,
      master_position: c.masterPosition,
    };
  }

  /** Closes `volume` lots of the copy's slave position, all of it unless told. */
  close(c: Copy, volume = c.volume, at: { ticket: string; symbol: string } = { ticket: c.ticket!, symbol: c.symbol }): CommandOf<'close'> {
    return { type: 'close', ...this.base(c), ticket: at.ticket, symbol: at.symbol, volume };
  }

  modify(c: Copy, stops: { sl: number; tp: number }): CommandOf<'modify'> {
    return { type: 'modify', ...this.base(c), ticket: c.ticket!, symbol: c.symbol, sl: stops.sl, tp: stops.tp };
  }

  /** Sends a command for a copy and tracks it until its result (or expiry). */
  issue(c: Copy, body: Command, origin: number, followup: Followup = {}): void {
    const now = this.parts.now();
    const p: Pending = { body, slave: c.slave, copyKey: keyOf(c), firstSent: now, lastSent: now, attempts: 1, origin, ...followup };
    this.pending.set(body.cmd_id, p);
    c.inflight.add(body.cmd_id);
    this.parts.stats.commandsSent++;
    this.parts.send(c.slave, withTtl(body, now));
    this.parts.journal.event({ kind: 'command', account: c.slave, cmd_id: body.cmd_id, master_ticket: c.masterPosition, message: body.type, data: body });
  }

  /** Journals a decision and issues the command that carries it out. */
  decide(kind: string, message: string, c: Copy, body: Command, origin: number, followup?: Followup): void {
    this.parts.journal.decision(kind, message, c.slave, c.masterPosition, 'info', { master: c.master, slave: c.slave, ticket: c.ticket, symbol: c.symbol });
    this.issue(c, body, origin, followup);
  }

  /** Sends a slave's unexpired commands again at once (it is back, or it said hello). */
  resendFor(slave: string): void {
    const now = this.parts.now();
    for (const p of this.pending.values()) {
      if (p.slave !== slave || now > p.body.expires_ms) continue;
      this.resend(p, now);
    }
  }

  /** The command a result answers: in flight, or expired not long ago. */
  lookup(cmdId: string): Pending | undefined {
    const p = this.pending.get(cmdId) ?? this.expired.get(cmdId);
    this.expired.delete(cmdId);
    return p;
  }

  /** The order is placed on an exchange: no more re-sends, the final result follows. */
  placed(cmdId: string): void {
    const p = this.pending.get(cmdId);
    if (p) p.placed = true;
  }

  /** The command has its result. */
  settle(cmdId: string): void {
    this.pending.delete(cmdId);
  }

  /** Re-sends unanswered commands and expires old ones. */
  tick(now: number): void {
    const { resendMs } = this.parts.cfg;
    for (const [id, p] of this.pending) {
      // Grace of one resend period for a result already on its way.
      if (now > p.body.expires_ms + resendMs) this.expire(id, p);
      else if (now - p.lastSent >= resendMs && now <= p.body.expires_ms && !p.placed) this.resend(p, now);
    }
  }

  /** Lots that opens (or closes) of this copy still in flight will add (or take). */
  inflightVolume(c: Copy, type: 'open' | 'close'): number {
    let lots = 0;
    for (const id of c.inflight) {
      const body = this.pending.get(id)?.body;
      if (body?.type === type) lots += body.volume;
    }
    return lots;
  }

  /**
   * Lots a close_by in flight takes off the copy: the smaller of its two positions (the slave's
   * close-by closes that much of each). 0 when none is in flight.
   */
  closingBy(c: Copy): number {
    const p = c.closeBy === undefined ? undefined : this.pending.get(c.closeBy);
    if (!p || p.otherKey === undefined) return 0;
    const first = this.parts.copies.get(p.copyKey);
    const other = this.parts.copies.get(p.otherKey);
    return first && other ? Math.min(first.volume, other.volume) : 0;
  }

  get inFlightCount(): number {
    return this.pending.size;
  }

  /** [cmd_id, command] of every command in flight. */
  inFlight(): IterableIterator<[string, Readonly<Pending>]> {
    return this.pending.entries();
  }

  /**
   * Gives up on a command; a copy whose first open it was is expired with it, to be decided again
   * from the slave's next snapshot (it may yet show the copy). Closes, reductions and SL/TP
   * changes are not lost: reconciliation decides them again from state while the copy is live.
   */
  private expire(id: string, p: Pending): void {
    const { cfg, stats, journal } = this.parts;
    this.pending.delete(id);
    this.expired.set(id, p);
    stats.expired++;
    const c = this.parts.copies.get(p.copyKey);
    c?.inflight.delete(id);
    const { body } = p;
    journal.decision('expire', `${body.type} ${body.master}#${body.master_position} -> ${p.slave} expired after ${p.attempts} sends without result`, p.slave, body.master_position, 'warn');
    if (c && body.type === 'open' && !body.increase && c.status === 'pending') {
      c.status = 'expired';
      c.foundSeq = nextSeq();
      journal.trade(c, { status: 'expired', reason: `no result from ${p.slave} within ${cfg.commandTtlMs} ms (offline?)` });
    }
  }

  private resend(p: Pending, now: number): void {
    p.lastSent = now;
    p.attempts++;
    this.parts.stats.resends++;
    this.parts.send(p.slave, withTtl(p.body, now));
  }
}
