/**
 * Pending order copies: a master's limit, stop and stop-limit orders placed on its followers,
 * their changes and removals mirrored, and their fills linked. A copy of a master order is a copy
 * record keyed by the master order's ticket, which MetaTrader gives the position its fill opens:
 * status placed while the slave order waits, open once it filled, and from then on it follows the
 * master position like any copy (decisions.ts, converge.ts).
 *
 * When the two orders do not fill together:
 * - the slave's fills first: it is kept as the copy of the master order (the master may fill
 *   later, and the copy then follows its position); if the master's order is removed unfilled,
 *   the slave's position is closed;
 * - the master's fills first: the slave order is removed, and once removed the copy is opened at
 *   market through the usual plan and slippage gate (a remove that fails because the slave order
 *   just filled leaves the fill to be linked: never two positions for one master order).
 */
import type { Account } from '../accounts';
import type { DealMsg, OrderMsg, PendingOrder, Position, ResultMsg, SnapshotMsg } from '../protocol';
import type { CommandOf, Pending } from './commands';
import type { Parts } from './context';
import { copyKey, keyOf, newCopy, type Copy } from './copies';
import type { Decisions } from './decisions';
import { dir, iso } from './journal';
import { describeTarget, orderSide, planOrder, sameTarget, targetOf, type OrderTarget } from './orders';
import { describePlan, planCopy } from './plan';
import { succeeded } from './results';
import { linkStops, type Stops } from './stops';
import { copyComment } from './tag';
import type { TerminalState } from './terminals';

type PendingParts = Parts & { decisions: Decisions };
type OrderCommand = CommandOf<'place'> | CommandOf<'modify_order'> | CommandOf<'remove'>;

const describeOrder = (o: PendingOrder) => `${o.order_type.replace(/_/g, ' ')} ${o.volume} ${o.symbol} @ ${o.price}`;
const targetNote = (t: OrderTarget, s: Stops) => `order ${describeTarget(t)} SL ${s.sl} TP ${s.tp}`;

export class PendingCopies {
  /** Copies whose placement was refused: not decided again at every reconciliation (the master's fill is). */
  private refused = new Set<string>();
  /** Slaves whose snapshots list their pending orders (an EA that does not is never sent a late placement). */
  private listing = new Set<string>();
  private last = -Infinity;
  /** Per master: the orders its latest snapshot no longer lists, between beforeSnapshot and onSnapshot. */
  private leftBook = new Map<string, string[]>();

  constructor(private readonly parts: PendingParts) {}

  // ------------------------------------------------------------------ master

  onMasterOrder(master: Account, m: OrderMsg, receivedAt: number): void {
    const { orders, journal } = this.parts;
    const o = m.order;
    journal.event({ kind: 'master_order', account: master.name, master_ticket: o.ticket, message: `${m.state} ${describeOrder(o)}`, data: { reason: m.reason } });
    switch (m.state) {
      case 'placed':
        if (!orders.set(master.name, o)) return this.parts.log.debug(`order ${o.ticket} of ${master.name} already ended: report ignored`);
        for (const slave of this.parts.roster.followersOf(master.name)) this.place(master, slave, o, receivedAt);
        return;
      case 'modified':
        if (!orders.set(master.name, o)) return;
        for (const c of this.placed(master.name, o.ticket)) this.follow(c, o, receivedAt);
        return;
      case 'removed':
        orders.end(master.name, o.ticket, 'removed');
        for (const c of this.parts.copies.ofMasterPosition(master.name, o.ticket)) this.orphan(c, `master ${master.name} order ${o.ticket} ${m.reason ?? 'removed'} unfilled`, receivedAt);
        return;
      case 'filled': {
        orders.end(master.name, o.ticket, 'filled');
        // The fill's deal (which may come before or after this report) opens the master position.
        const mp = this.parts.masters.get(master.name, m.position ?? o.ticket);
        if (mp?.open) for (const c of this.placed(master.name, o.ticket)) this.convert(c, `master ${master.name} order ${o.ticket} filled`, receivedAt, false);
        return;
      }
    }
  }

  /** A master deal: the fill of one of its pending orders turns the placed copies into market copies. */
  afterMasterDeal(master: Account, d: DealMsg, receivedAt: number): void {
    if (d.entry !== 'in') return;
    if (this.parts.orders.get(master.name, d.position)) this.parts.orders.end(master.name, d.position, 'filled');
    const mp = this.parts.masters.get(master.name, d.position);
    if (!mp?.open) return;
    for (const c of this.parts.copies.ofMasterPosition(master.name, d.position)) {
      if (c.status === 'placed') this.convert(c, `master ${master.name} order ${d.position} filled`, receivedAt, false);
      else if (c.status === 'open' && c.order && c.ticket && !c.inflight.size) {
        this.parts.journal.decision('link', `master ${master.name} order ${d.position} filled: ${c.slave} ticket ${c.ticket} (its copy, filled first) now follows position #${d.position}`, c.slave, c.masterPosition);
        this.parts.decisions.catchUp(c, receivedAt);
      }
    }
  }

  /**
   * A new master order on one follower: a placed copy and its place command, or a refusal line.
   * Hedging slaves only: on a netting account the fill would merge into a position other copies
   * share, so there the master's fill is copied at market instead.
   */
  place(master: Account, slave: Account, o: PendingOrder, receivedAt: number, late = false): void {
    const { copies, sessions, journal, stats } = this.parts;
    const key = copyKey(master.name, o.ticket, slave.name);
    if (copies.has(key) || this.refused.has(key)) return;
    const what = `${late ? 'late place' : 'place'} ${master.name}#${o.ticket} ${describeOrder(o)} -> ${slave.name}`;
    const t = sessions.get(slave.name);
    if (!t?.marginMode || sessions.freshSnapshot(slave.name) === undefined) {
      if (!late) journal.decision('wait', `${what}: ${slave.name} has not sent its snapshot since its welcome; placed once it has`, slave.name, o.ticket);
      return;
    }
    stats.decisions++;
    const refuse = (reason: string, kind = 'refuse') => {
      stats.refusals++;
      this.refused.add(key);
      journal.decision(kind, `${what}: ${reason}; its fill, if it comes, is decided as a market copy`, slave.name, o.ticket, kind === 'filter' ? 'info' : 'warn');
    };
    if (t.marginMode !== 'hedging') return refuse(`${slave.name} is a ${t.marginMode} account: pending copies are placed on hedging accounts only`);
    // An EA that lists no orders in its snapshot does not know the place command either.
    if (!this.listing.has(slave.name)) return refuse(`${slave.name}'s EA does not report pending orders (an older version); update it to copy them`);
    const now = this.parts.now();
    const link = this.parts.roster.link(slave.name, master.name) ?? slave;
    const plan = planCopy({
      master, slave: link, symbol: o.symbol, side: orderSide(o.order_type), volume: o.volume, price: o.price, sl: o.sl, tp: o.tp, magic: o.magic, comment: o.comment,
      pending: true, admit: (symbol, lots) => this.parts.guards.admit(slave, t, { master: o.symbol, slave: symbol }, lots, true, now),
      masterTerminal: sessions.get(master.name), slaveTerminal: t, config: this.parts.cfg, now,
    });
    if (!plan.ok) return refuse(plan.reason, plan.filtered ? 'filter' : 'refuse');
    const order = planOrder(o, plan.reversed, link.pending_offset_points, plan.spec);
    if (!order.ok) return refuse(order.reason);
    const stops = plan.stops ?? { sl: 0, tp: 0 };
    const from = { master: master.name, position: o.ticket, symbol: o.symbol, side: orderSide(o.order_type), volume: o.volume, price: o.price };
    const c = newCopy(from, slave.name, { symbol: plan.symbol, status: 'placed', side: plan.side, reversed: plan.reversed || undefined, ...stops, ratio: plan.volume / o.volume, order: order.target });
    copies.set(keyOf(c), c);
    journal.decision('place', `${what}: ${describeTarget(order.target)}, ${describePlan(plan)}`, slave.name, o.ticket);
    journal.trade(c, {
      status: 'placed', symbol: plan.symbol, master_symbol: o.symbol, direction: dir(c.side), reversed: c.reversed, master_volume: o.volume, volume: plan.volume,
      master_price: o.price, open_time: iso(receivedAt), order_type: order.target.type, order_price: order.target.price, reason: undefined,
    });
    const body: CommandOf<'place'> = {
      type: 'place', ...this.parts.commands.base(c), symbol: plan.symbol, order_type: order.target.type, volume: plan.volume, price: order.target.price,
      sl: c.sl, tp: c.tp, expiration: order.target.expiration, magic: this.parts.cfg.magic, comment: copyComment(master.name, o.ticket),
      ...(order.target.stoplimit ? { stoplimit: order.target.stoplimit } : {}), ...(order.target.expiration_ms ? { expiration_ms: order.target.expiration_ms } : {}),
    };
    this.parts.commands.issue(c, body, receivedAt);
  }

  /** A placed copy toward the master order as it is now: price, stop-limit, SL/TP and expiry. */
  private follow(c: Copy, o: PendingOrder, now: number): void {
    // Adopted before the master order was known: the slave order's volume was all there was. Its
    // ratio and the master lots it stands for come from the order now, or once it filled the
    // copy would "catch up" with the master's volume by adding to itself.
    if (c.status === 'placed' && c.ratio === undefined && o.volume > 0) {
      c.ratio = c.volume / o.volume;
      c.masterVolume = o.volume;
    }
    if (c.status !== 'placed' || c.inflight.size || !c.ticket || !c.order) return;
    const link = this.parts.roster.link(c.slave, c.master);
    if (!link) return;
    const spec = this.parts.sessions.spec(c.slave, c.symbol);
    const order = planOrder(o, !!c.reversed, link.pending_offset_points, spec);
    if (!order.ok) return;
    const stops = linkStops({ sl: o.sl, tp: o.tp, side: orderSide(o.order_type) }, c.reversed, link, spec) ?? { sl: c.sl, tp: c.tp };
    const note = targetNote(order.target, stops);
    if ((sameTarget(order.target, c.order, spec?.point) && stops.sl === c.sl && stops.tp === c.tp) || c.noted === note) return;
    const body: CommandOf<'modify_order'> = {
      type: 'modify_order', ...this.parts.commands.base(c), ticket: c.ticket, symbol: c.symbol, price: order.target.price, sl: stops.sl, tp: stops.tp,
      expiration: order.target.expiration, ...(order.target.stoplimit ? { stoplimit: order.target.stoplimit } : {}), ...(order.target.expiration_ms ? { expiration_ms: order.target.expiration_ms } : {}),
    };
    this.parts.commands.decide('modify_order', `master ${c.master} order ${c.masterPosition} changed: ${c.slave} order ${c.ticket} -> ${describeTarget(order.target)} SL ${stops.sl} TP ${stops.tp}`, c, body, now);
  }

  /**
   * The master order is gone unfilled: a placed copy is removed; a copy whose slave order had
   * filled first is closed (the position it stood for will never exist).
   */
  private orphan(c: Copy, why: string, now: number): void {
    if (c.inflight.size || !c.ticket) return; // The result of what is in flight decides again (settle()).
    const { commands } = this.parts;
    if (c.status === 'placed') {
      commands.decide('remove', `${why}: ${c.slave} removes order ${c.ticket}`, c, this.remove(c), now);
    } else if (c.status === 'open' && c.order && !this.parts.masters.get(c.master, c.masterPosition)) {
      commands.decide('close', `${why}: ${c.slave} ticket ${c.ticket} had filled first; closes it`, c, commands.close(c), now);
    }
  }

  /** The master's order filled while the slave's waits: remove it, then open at market. */
  private convert(c: Copy, why: string, now: number, late: boolean): void {
    if (c.inflight.size || !c.ticket) return;
    const { copies, roster, decisions, masters } = this.parts;
    const line = `${why}, ${c.slave} order ${c.ticket} still pending: removes it, then opens at market`;
    this.parts.commands.decide('convert', line, c, this.remove(c), now, {
      then: () => {
        const master = roster.get(c.master);
        const slave = roster.get(c.slave);
        const mp = masters.get(c.master, c.masterPosition);
        this.canceled(c, `removed: ${why}, copied at market instead`);
        if (!master || !slave || !mp?.open) return;
        copies.delete(keyOf(c));
        decisions.open(master, slave, mp, this.parts.now(), late);
      },
    });
  }

  /** Why a placed copy may no longer wait on its slave: protection tripped, outside the schedule, an exposure limit (protect.ts). */
  private inadmissible(c: Copy, now: number): string | undefined {
    const slave = this.parts.roster.get(c.slave);
    return slave && this.parts.guards.admit(slave, this.parts.sessions.get(c.slave), { master: c.masterSymbol, slave: c.symbol }, c.volume, true, now);
  }

  /** A placed copy that may not wait any longer is removed; the master's fill, if it comes, is decided at market (and gated again). */
  private withdraw(c: Copy, reason: string, now: number): void {
    const line = `${reason}: ${c.slave} removes order ${c.ticket} (copy of ${c.master} order ${c.masterPosition}); the master's fill, if it comes, is decided at market`;
    this.parts.commands.decide('remove', line, c, this.remove(c), now, {
      then: () => {
        this.canceled(c, `removed: ${reason}`);
        this.parts.copies.delete(keyOf(c));
        this.refused.add(keyOf(c));
      },
    });
  }

  private remove(c: Copy): CommandOf<'remove'> {
    return { type: 'remove', ...this.parts.commands.base(c), ticket: c.ticket!, symbol: c.symbol };
  }

  private canceled(c: Copy, reason: string): void {
    c.status = 'canceled';
    c.volume = 0;
    this.parts.journal.trade(c, { status: 'canceled', remaining_volume: 0, close_time: iso(this.parts.now()), reason });
  }

  private placed(master: string, ticket: string): Copy[] {
    return this.parts.copies.ofMasterPosition(master, ticket).filter((c) => c.status === 'placed');
  }

  // ------------------------------------------------------------------ slave

  /** A slave's order report: a copy's fill links it; a removal the hub did not order is final. */
  onSlaveOrder(slave: string, m: OrderMsg, receivedAt: number): void {
    const c = this.parts.copies.bySlaveTicket(slave, m.order.ticket);
    if (!c || c.status !== 'placed') return;
    switch (m.state) {
      case 'filled':
        return this.link(c, m.order, m.position ?? m.order.ticket, receivedAt);
      case 'modified':
        if (c.inflight.size) return;
        c.order = targetOf(m.order);
        c.sl = m.order.sl;
        c.tp = m.order.tp;
        return;
      case 'removed':
        if (c.inflight.size) return; // Our own remove: its result decides.
        this.parts.journal.decision('cancel', `${slave} order ${c.ticket} (copy of ${c.master} order ${c.masterPosition}) ${m.reason ?? 'removed'} on the slave; not placed again`, slave, c.masterPosition, 'warn');
        return this.canceled(c, `${m.reason ?? 'removed'} on the slave`);
      case 'placed':
        return;
    }
  }

  /** The slave order filled: the copy holds a position now, whatever the master's order does. */
  private link(c: Copy, o: PendingOrder, position: string, now: number): void {
    const { masters, orders, journal } = this.parts;
    c.status = 'open';
    c.ticket = position;
    c.position = position;
    this.parts.copies.indexTicket(c);
    c.volume = o.volume;
    c.openPrice = o.price;
    journal.trade(c, { status: 'open', slave_ticket: position, volume: o.volume, remaining_volume: o.volume, open_price: o.price, reason: undefined });
    const mp = masters.get(c.master, c.masterPosition);
    const head = `${c.slave} order ${o.ticket} (copy of ${c.master} order ${c.masterPosition}) filled`;
    // A copy whose master order was never known stands for the master position as it is: without
    // a ratio its size is decided afresh by reconciliation (converge.ts), never by catchUp adding.
    if (mp?.open && c.ratio === undefined) c.masterVolume = mp.volume;
    if (mp?.open) {
      journal.decision('link', `${head}: follows master position #${mp.position}`, c.slave, c.masterPosition);
      this.parts.decisions.catchUp(c, now);
    } else if (orders.get(c.master, c.masterPosition)) {
      journal.decision('link', `${head} before the master's: kept as its copy, follows the master position once it fills`, c.slave, c.masterPosition);
    } else if (orders.howEnded(c.master, c.masterPosition) === 'removed') {
      this.orphan(c, `${head}, but the master's order was removed unfilled`, now);
    } else {
      journal.decision('link', `${head}; the master order's state is not known yet: reconciliation decides`, c.slave, c.masterPosition);
    }
  }

  // ------------------------------------------------------------------ results

  /** The result of a place, modify_order or remove. */
  onResult(c: Copy, p: Pending, body: OrderCommand, r: ResultMsg): void {
    const ok = succeeded(r);
    switch (body.type) {
      case 'place':
        if (ok && r.ticket) {
          if (c.status !== 'placed') return; // filled (linked from its report) before this result came
          c.ticket = r.ticket;
          c.position = r.ticket;
          c.volume = r.volume ?? body.volume;
          this.parts.copies.indexTicket(c);
          this.parts.journal.trade(c, { status: 'placed', slave_ticket: r.ticket, volume: c.volume, reason: r.status === 'duplicate' ? 'already placed (duplicate)' : undefined });
          return this.settle(c);
        }
        // An expired placement is decided again (a late place); a refused or rejected one is not,
        // and the master's fill, if it comes, is copied at market.
        if (r.status !== 'expired') this.refused.add(keyOf(c));
        c.status = r.status === 'expired' ? 'expired' : r.status === 'refused' ? 'refused' : 'failed';
        this.parts.journal.trade(c, { status: c.status, reason: `${r.message} (retcode ${r.retcode})` });
        this.parts.copies.delete(keyOf(c));
        return;
      case 'modify_order':
        if (ok) {
          c.order = { type: c.order?.type ?? 'buy_limit', price: body.price, stoplimit: body.stoplimit, expiration: body.expiration, expiration_ms: body.expiration_ms };
          c.sl = body.sl;
          c.tp = body.tp;
          this.parts.journal.trade(c, { order_price: body.price });
          return this.settle(c);
        }
        c.noted = targetNote({ ...c.order!, price: body.price, stoplimit: body.stoplimit, expiration: body.expiration, expiration_ms: body.expiration_ms }, body);
        return;
      case 'remove':
        if (ok) {
          if (p.then) return p.then();
          return this.canceled(c, 'master order removed unfilled');
        }
        // Not found: it may just have filled; its report or the next snapshot links it.
        return;
    }
  }

  /** After a result: what the master's order did meanwhile. */
  private settle(c: Copy): void {
    if (c.inflight.size || c.status !== 'placed') return;
    const now = this.parts.now();
    const mp = this.parts.masters.get(c.master, c.masterPosition);
    if (mp?.open) return this.convert(c, `master ${c.master} order ${c.masterPosition} filled while its copy was placed`, now, false);
    const o = this.parts.orders.get(c.master, c.masterPosition);
    if (o) return this.follow(c, o, now);
    if (this.parts.orders.howEnded(c.master, c.masterPosition) === 'removed') this.orphan(c, `master ${c.master} order ${c.masterPosition} removed while its copy was placed`, now);
  }

  // ------------------------------------------------------------------ snapshots and reconciliation

  /**
   * A master snapshot's orders go into the book before reconcile.ts and converge.ts read it (a
   * copy that filled before its master order must not look orphaned); what left it is decided
   * after, once the snapshot's positions are known (onSnapshot).
   */
  beforeSnapshot(t: TerminalState, account: Account, s: SnapshotMsg, seq: number): void {
    // Older than the snapshot applied last (a replay): reconcile.ts ignores it, and so does this.
    if (t.snapshotTs !== undefined && s.ts < t.snapshotTs) return;
    if (account.type === 'MASTER' && s.orders) this.leftBook.set(account.name, this.parts.orders.replace(account.name, s.orders, seq));
  }

  /** A snapshot that lists pending orders (after reconcile.ts handled its positions). */
  onSnapshot(t: TerminalState, account: Account, s: SnapshotMsg, seq: number, receivedAt: number): void {
    if (t.snapshotSeq !== seq) return; // a replay, ignored by reconcile.ts
    if (!s.orders) {
      this.listing.delete(t.name);
      return;
    }
    this.parts.journal.fanOut(() => {
      if (account.type === 'MASTER') this.masterOrders(account, receivedAt);
      else this.slaveOrders(t.name, s.orders!, seq);
      this.run(receivedAt, account.type === 'MASTER' ? { master: t.name } : { slave: t.name });
    });
  }

  private masterOrders(master: Account, now: number): void {
    const { orders, masters } = this.parts;
    const left = this.leftBook.get(master.name) ?? [];
    this.leftBook.delete(master.name);
    for (const ticket of left) {
      // Gone from the list: filled when the snapshot holds its position, else removed.
      const filled = masters.get(master.name, ticket) !== undefined;
      orders.end(master.name, ticket, filled ? 'filled' : 'removed');
      this.parts.log.info(`reconcile: master ${master.name} order ${ticket} is no longer pending (${filled ? 'filled' : 'removed'}; missed report)`);
      if (!filled) for (const c of this.parts.copies.ofMasterPosition(master.name, ticket)) this.orphan(c, `reconcile: master ${master.name} order ${ticket} is gone unfilled`, now);
    }
  }

  private slaveOrders(slave: string, list: readonly PendingOrder[], seq: number): void {
    const { copies, roster, cfg, journal } = this.parts;
    this.listing.add(slave);
    const seen = new Set<string>();
    for (const o of list) {
      const id = roster.masterOf(o as unknown as Position, cfg.magic);
      if (!id) continue;
      const key = copyKey(id.master, id.masterPosition, slave);
      seen.add(key);
      const c = copies.get(key);
      if (c?.inflight.size || c?.status === 'open') continue;
      if (c?.status === 'placed' && c.ticket === o.ticket) {
        c.order = targetOf(o);
        c.sl = o.sl;
        c.tp = o.tp;
        c.volume = o.volume;
        continue;
      }
      // Unknown to the hub (it restarted without the ledger row), or a placement the hub gave up
      // on that the slave carried out after all: it is the copy of that master order.
      const mo = this.parts.orders.get(id.master, id.masterPosition);
      const from = { master: id.master, position: id.masterPosition, symbol: mo?.symbol ?? o.symbol, side: orderSide(mo?.order_type ?? o.order_type), volume: mo?.volume ?? o.volume, price: mo?.price ?? o.price };
      const found = newCopy(from, slave, {
        symbol: o.symbol, status: 'placed', side: orderSide(o.order_type), volume: o.volume, ticket: o.ticket, position: o.ticket, sl: o.sl, tp: o.tp, order: targetOf(o),
        ratio: mo ? o.volume / mo.volume : undefined, reversed: roster.link(slave, id.master)?.reverse || undefined,
      });
      found.foundSeq = seq;
      copies.set(key, found);
      this.refused.delete(key);
      journal.decision('adopt', `reconcile: found ${slave} order ${o.ticket} (${describeOrder(o)}) copying ${id.master} order ${id.masterPosition}; tracking it`, slave, id.masterPosition);
      journal.trade(found, { status: 'placed', slave_ticket: o.ticket, symbol: o.symbol, master_symbol: from.symbol, direction: dir(found.side), volume: o.volume, order_type: o.order_type, order_price: o.price, open_time: iso(o.time_ms) });
    }
    // Placed copies the slave lists neither as an order nor (reconcile.ts linked those) as a position.
    // One without a ticket is a placement whose result a dead hub process never had: once that
    // process's commands have expired (the slave cannot still run one), the slave's list says it
    // was never placed.
    const deadExpired = this.parts.now() >= this.parts.startedAt + cfg.commandTtlMs;
    for (const [key, c] of copies.ofSlave(slave)) {
      if (c.status !== 'placed' || seen.has(key) || c.inflight.size || c.foundSeq > seq) continue;
      if (!c.ticket) {
        if (!deadExpired) continue;
        // Recorded, then forgotten: the master order (or the position it filled into) is decided
        // afresh, as if this process had never seen the copy: placed late, or copied at market.
        journal.decision('cancel', `reconcile: ${slave} holds no order copying ${c.master} order ${c.masterPosition}: its placement was lost with an earlier hub process; decided afresh`, slave, c.masterPosition, 'warn');
        this.canceled(c, 'never placed on the slave (its place command was lost with a hub restart)');
        copies.delete(key);
        continue;
      }
      journal.decision('cancel', `reconcile: ${slave} no longer has order ${c.ticket} (copy of ${c.master} order ${c.masterPosition}) nor its position; not placed again`, slave, c.masterPosition, 'warn');
      this.canceled(c, 'not in the slave snapshot (removed on the slave)');
    }
  }

  /** At most once per reconcileMs: every master order and placed copy. */
  tick(now: number): void {
    if (now - this.last < this.parts.cfg.reconcileMs) return;
    this.last = now;
    this.parts.journal.fanOut(() => this.run(now));
    this.prune();
  }

  /**
   * Forgets settled pending copies (canceled, refused, failed, expired) and refusals once their
   * master order has ended without a position to follow, so memory stays flat; a position's
   * copies are forgotten with it (MasterBook.prune).
   */
  private prune(): void {
    const { copies, orders, masters } = this.parts;
    const settled = (master: string, ticket: string) => orders.howEnded(master, ticket) !== undefined && !masters.get(master, ticket);
    for (const [key, c] of copies.withOrder()) {
      if (!c.order || c.inflight.size || c.status === 'placed' || c.status === 'open' || c.status === 'pending') continue;
      if (settled(c.master, c.masterPosition)) copies.delete(key);
    }
    for (const key of [...this.refused]) {
      const [master, ticket] = key.split('\u0000');
      if (settled(master, ticket)) this.refused.delete(key);
    }
  }

  /**
   * Master orders without their copies are placed late (on slaves that list their orders, so one
   * they hold is adopted first); placed copies follow their master order, are converted when it
   * filled, removed when it is gone.
   */
  private run(now: number, only: { master?: string; slave?: string } = {}): void {
    const { orders, roster, copies, sessions } = this.parts;
    for (const o of orders.all()) {
      if (only.master && o.master !== only.master) continue;
      const master = roster.get(o.master);
      if (!master) continue;
      for (const slave of roster.followersOf(o.master)) {
        if ((only.slave && slave.name !== only.slave) || !this.listing.has(slave.name) || !sessions.ready(slave.name)) continue;
        this.place(master, slave, o, now, true);
      }
    }
    const list = only.slave ? copies.ofSlave(only.slave) : copies.withOrder();
    for (const [, c] of list) {
      if (c.status !== 'placed' || (only.master && c.master !== only.master)) continue;
      if (c.inflight.size || (c.holdUntil ?? 0) > now || !sessions.reachable(c.slave) || (sessions.freshSnapshot(c.slave) ?? 0) < c.foundSeq) continue;
      const mp = this.parts.masters.get(c.master, c.masterPosition);
      const o = orders.get(c.master, c.masterPosition);
      const refusal = mp?.open ? undefined : this.inadmissible(c, now);
      if (refusal) this.withdraw(c, refusal, now);
      else if (mp?.open) this.convert(c, `reconcile: master ${c.master} order ${c.masterPosition} filled`, now, true);
      else if (o) this.follow(c, o, now);
      else if (orders.howEnded(c.master, c.masterPosition) === 'removed' || (orders.listedSeq(c.master) ?? -1) >= c.foundSeq) {
        this.orphan(c, `reconcile: master ${c.master} order ${c.masterPosition} is not pending`, now);
      }
    }
  }
}
