/**
 * The guard of each protected slave and the schedule gate: applies the rules of guard.ts to every
 * heartbeat (anchor, peak, trips, closing every copy when the account says so), answers whether a
 * new copy may be made now (trips, exposure, trading windows, blackouts), and keeps the state in
 * the ledger as `guard_state` events, so a restarted hub reads the day's anchor, the peak and the
 * trips back (Engine.restoreGuard). Closes are never held back: a copier that refused to close a
 * copy whose master closed would leave it orphaned, open without anything to end it.
 */
import type { Account } from '../accounts';
import type { Position, WelcomeMsg } from '../protocol';
import type { Parts } from './context';
import { isLive } from './copies';
import { activeTrip, breach, exposureRefusal, floors, observe, rulesOf, tripUntil, watchesEquity, worthSaving, type Exposure, type GuardState, type Trip } from './guard';
import { blackoutAt, describeBlackout, inWindows, parseWindow, type Blackout, type TradingWindow } from './schedule';

type GuardParts = Pick<Parts, 'cfg' | 'log' | 'now' | 'journal' | 'copies' | 'commands'>;

/** What the hub knows of the slave's terminal that a guard reads. */
export interface GuardView {
  balance?: number;
  equity?: number;
  positions?: ReadonlyMap<string, Position>;
}

export type WelcomeLimits = NonNullable<WelcomeMsg['limits']>;

export interface GuardStatus {
  account: string;
  state?: GuardState;
  trip?: Trip;
  floors: { daily?: number; drawdown?: number };
}

/** The ledger event kind that carries a guard's state. */
export const GUARD_STATE_EVENT = 'guard_state';

export class Guards {
  private states = new Map<string, GuardState>();
  /** The state as last written to the ledger (and sent to the EA in its welcome). */
  private saved = new Map<string, GuardState>();
  private blackouts: readonly Blackout[] = [];
  private windows = new Map<string, TradingWindow[]>();
  /** The limits each slave was last welcomed with (JSON), to know when it needs a new welcome. */
  private sent = new Map<string, string>();

  constructor(private readonly parts: GuardParts) {}

  /** A state an earlier hub process left in the ledger. */
  restore(account: string, state: GuardState): void {
    this.states.set(account, state);
    this.saved.set(account, state);
  }

  setBlackouts(list: readonly Blackout[]): void {
    this.blackouts = list;
  }

  /**
   * A heartbeat of a slave: the guard's state follows it; a loss limit reached trips (one line,
   * one ledger event with the numbers) and, with action close_all, every copy on the account is
   * closed while it lasts. True when the limits the EA was welcomed with changed.
   */
  onHeartbeat(slave: Account, t: GuardView, now: number): boolean {
    if (!slave.protection || t.balance === undefined || t.equity === undefined) return false;
    const rules = rulesOf(slave.protection);
    const reading = { balance: t.balance, equity: t.equity, at: now };
    const prev = this.states.get(slave.name);
    const s = observe(prev, reading, rules);
    const before = activeTrip(prev);
    if (before && !activeTrip(s)) {
      // A decision like the trip itself: the log line, the ledger event, and a notification of the guard kind.
      const why = rules.clearedAt && rules.clearedAt > before.at ? 'cleared' : 'new day';
      this.parts.journal.decision('resume', `protection ${slave.name}: the ${before.rule.replace('_', ' ')} trip of ${new Date(before.at).toISOString()} is over (${why}); new copies allowed again`, slave.name, '');
    }
    if (!activeTrip(s)) {
      const trip = breach(s, reading, rules);
      if (trip) {
        s.trip = trip;
        const then = rules.action === 'close_all' ? 'new copies blocked and every copy closed' : 'new copies blocked';
        this.parts.journal.decision('trip', `protection ${slave.name}: ${trip.reason}; ${then} ${tripUntil(trip, rules, slave.name)}`, slave.name, '', 'warn');
      }
    }
    this.states.set(slave.name, s);
    const trip = activeTrip(s);
    if (trip && rules.action === 'close_all') this.closeAll(slave.name, trip, now);
    if (!worthSaving(this.saved.get(slave.name), s, rules)) return false;
    this.saved.set(slave.name, s);
    this.parts.journal.event({ kind: GUARD_STATE_EVENT, account: slave.name, message: `anchor ${s.anchor} initial ${s.initial} peak ${s.peak}${s.trip ? ' trip ' + s.trip.rule : ''}`, data: { ...s } });
    return this.limitsChanged(slave);
  }

  /** The limits for a slave's welcome, remembered as sent. */
  welcomeLimits(slave: Account): WelcomeLimits | undefined {
    const limits = this.limitsFor(slave);
    this.sent.set(slave.name, JSON.stringify(limits ?? null));
    return limits;
  }

  /** The slave's limits differ from those of its last welcome (a new day, a trip, its settings changed). */
  limitsChanged(slave: Account): boolean {
    return this.sent.has(slave.name) && this.sent.get(slave.name) !== JSON.stringify(this.limitsFor(slave) ?? null);
  }

  /**
   * Why a new copy (or an add) of `lots` on `symbol` may not be made on this slave now: the
   * schedule (outside its windows, a blackout), a tripped loss limit, no reading yet, or an
   * exposure limit. Undefined: it may.
   */
  admit(slave: Account, t: GuardView | undefined, symbols: { master: string; slave: string }, lots: number, newPosition: boolean, now: number): string | undefined {
    const sched = this.scheduleRefusal(slave, symbols, now);
    if (sched) return sched;
    if (!slave.protection) return undefined;
    const rules = rulesOf(slave.protection);
    const s = this.states.get(slave.name);
    if (watchesEquity(rules)) {
      if (!s || t?.equity === undefined) return `protection: no balance and equity from ${slave.name} yet (heartbeat); new copies wait for them`;
      const trip = activeTrip(s);
      if (trip) return `protection: ${trip.reason}; new copies blocked ${tripUntil(trip, rules, slave.name)}`;
    }
    const over = exposureRefusal(this.exposure(slave.name, t), rules, symbols.slave, lots, newPosition);
    return over && `protection: ${over}`;
  }

  /** The limits a slave's EA enforces itself (defence in depth); undefined without protection. */
  private limitsFor(slave: Account): WelcomeLimits | undefined {
    if (!slave.protection) return undefined;
    const rules = rulesOf(slave.protection);
    const out: WelcomeLimits = {};
    const s = this.saved.get(slave.name);
    if (s) {
      const f = floors(s, rules);
      const floor = Math.max(f.daily?.floor ?? -Infinity, f.drawdown?.floor ?? -Infinity);
      if (Number.isFinite(floor)) out.equity_floor = Number(floor.toFixed(2));
      const trip = activeTrip(s);
      if (trip) out.blocked = trip.reason;
    }
    if (rules.maxPositions !== undefined) out.max_positions = rules.maxPositions;
    if (rules.maxLots !== undefined) out.max_lots = rules.maxLots;
    if (rules.maxLotsPerSymbol !== undefined) out.max_lots_per_symbol = rules.maxLotsPerSymbol;
    return out;
  }

  status(accounts: Iterable<Account>): GuardStatus[] {
    const out: GuardStatus[] = [];
    for (const a of accounts) {
      if (!a.protection) continue;
      const s = this.states.get(a.name);
      const f = s ? floors(s, rulesOf(a.protection)) : {};
      out.push({ account: a.name, state: s && { ...s }, trip: activeTrip(s), floors: { daily: f.daily?.floor, drawdown: f.drawdown?.floor } });
    }
    return out;
  }

  private scheduleRefusal(slave: Account, symbols: { master: string; slave: string }, now: number): string | undefined {
    const sched = slave.schedule;
    if (sched?.windows?.length) {
      const zone = sched.zone ?? 'UTC';
      const key = `${zone}\u0000${sched.windows.join('\u0000')}`;
      let list = this.windows.get(key);
      if (!list) this.windows.set(key, (list = sched.windows.map(parseWindow)));
      if (!inWindows(now, list, zone)) return `schedule: outside the trading windows of ${slave.name} (${sched.windows.join(', ')} ${zone})`;
    }
    if (sched?.blackouts === false) return undefined;
    const b = blackoutAt(this.blackouts, now, [symbols.master, symbols.slave]);
    return b && `schedule: ${describeBlackout(b)}`;
  }

  /** Live copies (with the lots of opens in flight) and the slave's positions that are not copies. */
  private exposure(slave: string, t: GuardView | undefined): Exposure {
    const bySymbol = new Map<string, number>();
    let positions = 0;
    let lots = 0;
    const add = (symbol: string, v: number) => {
      positions++;
      lots += v;
      bySymbol.set(symbol, (bySymbol.get(symbol) ?? 0) + v);
    };
    for (const [, c] of this.parts.copies.ofSlave(slave)) if (isLive(c)) add(c.symbol, c.volume + this.parts.commands.inflightVolume(c, 'open'));
    for (const p of t?.positions?.values() ?? []) if (p.magic !== this.parts.cfg.magic) add(p.symbol, p.volume);
    return { positions, lots, bySymbol };
  }

  /** Every copy on the account with a ticket and nothing in flight is closed (again each heartbeat, for opens that were in flight). */
  private closeAll(slave: string, trip: Trip, now: number): void {
    const { commands } = this.parts;
    for (const [, c] of this.parts.copies.ofSlave(slave)) {
      if (!isLive(c) || !c.ticket || c.inflight.size || c.closeBy) continue;
      commands.decide('close', `protection ${slave}: ${trip.rule.replace('_', ' ')} limit tripped, closes ${c.master}#${c.masterPosition} ticket ${c.ticket} (${c.volume} lots)`, c, commands.close(c), now);
    }
  }
}

/** A guard state read back from a ledger event's data; undefined when it is not one. */
export function guardStateFrom(data: unknown): GuardState | undefined {
  if (!data || typeof data !== 'object') return undefined;
  const d = data as Record<string, unknown>;
  const nums = ['day', 'anchor', 'anchorAt', 'initial', 'peak'] as const;
  if (!nums.every((k) => typeof d[k] === 'number' && Number.isFinite(d[k]))) return undefined;
  const s = Object.fromEntries(nums.map((k) => [k, d[k]])) as unknown as GuardState;
  const trip = d.trip as Trip | undefined;
  if (trip && typeof trip === 'object' && (trip.rule === 'daily_loss' || trip.rule === 'max_drawdown') && typeof trip.at === 'number') s.trip = trip;
  return s;
}
