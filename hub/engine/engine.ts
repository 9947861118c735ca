/**
 * The copy engine: routes every terminal message to the module that handles it. The state of
 * every terminal, master position, copy and command lives in those modules; commands and ledger
 * writes leave through callbacks. No I/O of its own, so it is driven directly in unit tests and
 * by the hub in production.
 */
import type { Account } from '../accounts';
import type { Trade } from '../ledger/types';
import { NAME_MAX, untrusted } from '../log';
import { SNAPSHOT_PARTS_TIMEOUT_MS } from '../protocol';
import type { SnapshotMsg, TerminalMessage } from '../protocol';
import { makeParts, type EngineDeps, type EngineStats, type Parts } from './context';
import { Converger } from './converge';
import { keyOf, nextSeq, restoredCopy } from './copies';
import { Decisions } from './decisions';
import type { GuardState } from './guard';
import type { GuardStatus } from './protect';
import type { Blackout } from './schedule';
import type { EngineEvent } from './events';
import { Operator, type ManualClose } from './operator';
import { PendingCopies } from './pending';
import { Reconciler } from './reconcile';
import { Results } from './results';
import { SnapshotParts } from './snapshots';
import { engineStatus, type EngineStatus } from './status';
import type { TerminalState } from './terminals';

export class Engine {
  readonly stats: EngineStats;
  private readonly parts: Parts;
  private readonly decisions: Decisions;
  private readonly results: Results;
  private readonly reconciler: Reconciler;
  private readonly converger: Converger;
  private readonly operator: Operator;
  private readonly pending: PendingCopies;
  private readonly snapshotParts = new SnapshotParts();

  constructor(deps: EngineDeps) {
    this.parts = makeParts(deps);
    this.stats = this.parts.stats;
    this.decisions = new Decisions(this.parts);
    this.pending = new PendingCopies({ ...this.parts, decisions: this.decisions });
    this.results = new Results({ ...this.parts, decisions: this.decisions, pending: this.pending });
    this.converger = new Converger({ ...this.parts, decisions: this.decisions });
    this.reconciler = new Reconciler(this.parts, this.converger);
    this.operator = new Operator(this.parts);
  }

  /**
   * The live copies an earlier hub process left in the ledger (status open or pending), before
   * any message: their ratios, and that they exist, so a replayed deal opens nothing twice. A
   * pending one is an unknown outcome the slave's snapshot resolves.
   */
  restore(trades: readonly Trade[]): number {
    let n = 0;
    for (const t of trades) {
      if (t.status !== 'open' && t.status !== 'pending' && t.status !== 'placed') continue;
      const c = restoredCopy(t);
      this.parts.copies.set(keyOf(c), c);
      n++;
    }
    if (n) this.parts.log.info(`restored ${n} live copies from the ledger`);
    return n;
  }

  /** The protection state an earlier hub process left in the ledger (see protect.ts). */
  restoreGuard(account: string, state: GuardState): void {
    this.parts.guards.restore(account, state);
  }

  /** The events of the blackout file (hub config blackoutFile). */
  setBlackouts(list: readonly Blackout[]): void {
    this.parts.guards.setBlackouts(list);
  }

  /** Each protected slave's guard: its state, the trip in force, the equity floors. */
  guards(): GuardStatus[] {
    return this.parts.guards.status(this.parts.roster.all());
  }

  setAccounts(accounts: Account[]): void {
    const { roster, sessions, guards } = this.parts;
    // A terminal learns a new role, or new protection limits, from a fresh welcome.
    const changed = new Set(roster.set(accounts));
    for (const a of accounts) if (a.type === 'SLAVE' && guards.limitsChanged(a)) changed.add(a.name);
    for (const name of changed) if (sessions.get(name)?.welcomed) sessions.welcome(name);
  }

  getAccount(name: string): Account | undefined {
    return this.parts.roster.get(name);
  }

  /** The registered accounts as the engine last loaded them. */
  accounts(): Account[] {
    return [...this.parts.roster.all()];
  }

  /** Entry point for every decoded terminal message. */
  handle(msg: TerminalMessage, receivedAt = this.parts.now()): void {
    const { roster, sessions, journal } = this.parts;
    const account = roster.get(msg.account);
    if (!account) return sessions.unknownAccount(msg.account, msg.type, msg.seq);
    if (!sessions.inOrder(msg)) {
      this.parts.log.debug(`${msg.type} ${msg.seq} of ${msg.account} was sent before (replayed): ignored`);
      return;
    }
    const t = sessions.seen(msg, receivedAt);
    switch (msg.type) {
      case 'hello':
        this.snapshotParts.forget(t.name);
        return sessions.hello(t, msg);
      case 'heartbeat':
        sessions.heartbeat(t, msg);
        // The EA enforces the limits of its welcome: a new anchor or a trip means a new welcome.
        if (account.type === 'SLAVE' && this.parts.guards.onHeartbeat(account, t, receivedAt) && t.welcomed) sessions.welcome(t.name);
        return;
      case 'symbols':
        return sessions.symbols(t, msg.symbols, msg.replace);
      case 'snapshot':
        return this.snapshot(t, account, msg, receivedAt);
      case 'deal':
        if (account.type !== 'MASTER') return this.reconciler.onSlaveDeal(t.name, msg);
        return journal.fanOut(() => {
          this.decisions.onMasterDeal(account, msg, receivedAt);
          this.pending.afterMasterDeal(account, msg, receivedAt);
        });
      case 'order':
        if (account.type !== 'MASTER') return this.pending.onSlaveOrder(t.name, msg, receivedAt);
        return journal.fanOut(() => this.pending.onMasterOrder(account, msg, receivedAt));
      case 'position':
        if (account.type !== 'MASTER') return;
        return journal.fanOut(() => this.decisions.onMasterPosition(account, msg, receivedAt));
      case 'tick':
        return sessions.quote(t, msg, receivedAt);
      case 'result':
        return this.results.onResult(t.name, msg, receivedAt);
    }
  }

  /** A message that failed validation; answered when it names a registered account. */
  rejectInvalid(ref: { account?: string; type?: string; seq?: number }, code: string, message: string): void {
    this.parts.sessions.reject(ref, code, message);
  }

  /**
   * Re-sends unanswered commands, expires old ones, forgets settled history, marks silent
   * terminals offline, and once per reconcileMs begins reconciling every master with its copies.
   * Call often. True while a reconciliation pass has work left: call reconcileStep() soon.
   */
  tick(now = this.parts.now()): boolean {
    const { commands, masters, copies, sessions } = this.parts;
    commands.tick(now);
    masters.prune(now, copies);
    sessions.checkSilence(now);
    for (const s of this.snapshotParts.expire(now)) {
      this.parts.log.warn(`snapshot ${untrusted(s.id, NAME_MAX)} of ${s.account} is incomplete (part ${s.missing.join(', ')} missing for ${SNAPSHOT_PARTS_TIMEOUT_MS} ms): asking again`);
      this.parts.send(s.account, { type: 'snapshot_request' });
    }
    const more = this.converger.tick(now);
    this.pending.tick(now);
    return more;
  }

  /**
   * The next slice of the reconciliation passes left (reconcileSlice comparisons): the hub calls it
   * from setImmediate, so copies arriving meanwhile go first. True while work is left.
   */
  reconcileStep(now = this.parts.now()): boolean {
    return this.converger.step(now);
  }

  /** The terminal has been heard from lately (not silent for 3 heartbeat intervals). */
  isOnline(name: string): boolean {
    return !!this.parts.sessions.get(name)?.online;
  }

  /** A reconciliation pass has work left (a snapshot's, or the periodic one). */
  get reconciling(): boolean {
    return this.converger.busy;
  }

  /** A whole snapshot, or a part of one: reconciled once every part has come. */
  private snapshot(t: TerminalState, account: Account, msg: SnapshotMsg, receivedAt: number): void {
    if (!SnapshotParts.inParts(msg)) {
      const seq = nextSeq();
      this.pending.beforeSnapshot(t, account, msg, seq);
      this.reconciler.onSnapshot(t, account, msg, receivedAt, seq);
      return this.pending.onSnapshot(t, account, msg, seq, receivedAt);
    }
    const r = this.snapshotParts.add(msg, receivedAt, nextSeq);
    const id = untrusted(msg.snapshot_id!, NAME_MAX);
    if (r.superseded !== undefined) this.parts.log.debug(`snapshot ${untrusted(r.superseded, NAME_MAX)} of ${t.name} is superseded by ${id} before it was complete: dropped`);
    if (r.kind === 'ignored') return this.parts.sessions.warnAbout(t.name, 'snapshot part', `snapshot part from ${t.name} ignored: ${untrusted(r.reason)}`);
    if (r.kind === 'waiting') return;
    this.parts.log.debug(`snapshot ${id} of ${t.name} complete: ${r.snapshot.positions.length} positions in ${msg.parts} parts`);
    this.pending.beforeSnapshot(t, account, r.snapshot, r.order);
    this.reconciler.onSnapshot(t, account, r.snapshot, receivedAt, r.order);
    this.pending.onSnapshot(t, account, r.snapshot, r.order, receivedAt);
  }

  /** Terminals, master positions, copies and commands as they are now, and the counters. */
  status(): EngineStatus {
    return engineStatus(this.parts);
  }

  /** Hears every decision, terminal change and result from now on; returns the way to stop. */
  subscribe(listener: (e: EngineEvent) => void): () => void {
    return this.parts.feed.subscribe(listener);
  }

  /** An operator closes one copy by hand; `by` names who, for the decision line and the ledger. */
  closeCopy(master: string, masterPosition: string, slave: string, by: string): ManualClose {
    return this.parts.journal.fanOut(() => this.operator.closeCopy(master, masterPosition, slave, by));
  }

  /** An operator closes every live copy of a slave by hand. */
  closeCopiesOf(slave: string, by: string): ManualClose[] {
    return this.parts.journal.fanOut(() => this.operator.closeCopiesOf(slave, by));
  }

  /**
   * Two counts for a caller that polls every millisecond (the benchmark waits on them): status()
   * copies every record, several milliseconds with 20,000 copies.
   */
  load(): { terminalsOnline: number; commandsInFlight: number } {
    let terminalsOnline = 0;
    for (const t of this.parts.sessions.all()) if (t.online) terminalsOnline++;
    return { terminalsOnline, commandsInFlight: this.parts.commands.inFlightCount };
  }
}
