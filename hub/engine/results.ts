/** Result handling: what a slave's answer to a command does to its copy. */
import type { ResultMsg } from '../protocol';
import type { CommandOf, Pending } from './commands';
import type { Parts } from './context';
import type { Copy } from './copies';
import type { Decisions } from './decisions';
import type { PendingCopies } from './pending';
import { EPS, roundLots } from './sizing';

/** The command was carried out: in full, in part, or already before (a re-sent command). */
export function succeeded(r: Pick<ResultMsg, 'status'>): boolean {
  return r.status === 'done' || r.status === 'partial' || r.status === 'duplicate';
}

/** After a failed command, reconciliation leaves the copy alone this long before deciding again. */
export const RETRY_AFTER_MS = 10_000;

/** The SL/TP target a modify carried, as reconciliation remembers a failed one (not retried until the master's changes). */
export const stopsNote = (s: { sl: number; tp: number }) => `stops ${s.sl} ${s.tp}`;

type ResultParts = Pick<Parts, 'log' | 'stats' | 'feed' | 'journal' | 'copies' | 'masters' | 'commands' | 'sessions'> & { decisions: Decisions; pending: PendingCopies };

export class Results {
  constructor(private readonly parts: ResultParts) {}

  onResult(from: string, r: ResultMsg, receivedAt: number): void {
    const { log, commands } = this.parts;
    this.parts.stats.results++;
    const p = commands.lookup(r.cmd_id);
    this.parts.journal.event({ kind: 'result', account: from, cmd_id: r.cmd_id, message: `${r.status} ${r.retcode} ${r.message}`, data: r });
    if (!p) {
      log.debug(`result for unknown or finished command ${r.cmd_id} from ${from} (${r.status})`);
      return;
    }
    if (p.slave !== from) {
      log.warn(`result for ${r.cmd_id} came from ${from}, but it was sent to ${p.slave}; ignored`);
      return;
    }
    if (r.status === 'placed') {
      // In progress on an exchange: the command stays pending (not re-sent) until the EA's
      // second result says filled or canceled, or it expires.
      commands.placed(r.cmd_id);
      log.info(`result placed ${p.body.type} ${p.body.master}#${p.body.master_position} -> ${from}: ${r.message} (retcode ${r.retcode}); waiting for the fill`);
      return;
    }
    commands.settle(r.cmd_id);
    const c = this.parts.copies.get(p.copyKey);
    if (!c) return;
    c.inflight.delete(r.cmd_id);
    const latency = receivedAt - p.origin;
    const ok = succeeded(r);
    const line = `${r.status} ${p.body.type} ${c.master}#${c.masterPosition} -> ${c.slave}: ${r.message} (retcode ${r.retcode}${r.ticket ? ', ticket ' + r.ticket : ''}${ok ? `, ${latency} ms` : ''})`;
    if (ok) log.info(`result ${line}`);
    else {
      log.warn(`result ${line}`);
      c.holdUntil = receivedAt + RETRY_AFTER_MS;
    }
    const body = p.body;
    switch (body.type) {
      case 'open':
        this.opened(c, body, r, latency, receivedAt);
        break;
      case 'close':
        this.closed(c, p, body, r, receivedAt);
        break;
      case 'close_by':
        this.closedBy(c, p, r, receivedAt);
        break;
      case 'place':
      case 'modify_order':
      case 'remove':
        this.parts.pending.onResult(c, p, body, r);
        break;
      case 'modify':
        if (ok) {
          c.sl = body.sl;
          c.tp = body.tp;
        } else c.noted = stopsNote(body);
        break;
    }
    if (!this.parts.feed.listening) return;
    const slippagePoints = body.type === 'open' && !body.increase && ok ? c.slippagePoints : undefined;
    this.parts.feed.emit({
      type: 'result', time: receivedAt, slave: c.slave, master: c.master, masterPosition: c.masterPosition, command: body.type, status: r.status, ok,
      latencyMs: latency, slippagePoints, message: line,
    });
  }

  private opened(c: Copy, body: CommandOf<'open'>, r: ResultMsg, latency: number, receivedAt: number): void {
    const { journal } = this.parts;
    if (succeeded(r)) {
      const wasOpen = c.status === 'open';
      c.status = 'open';
      // The command named the slave's symbol; a record that a refusal replaced meanwhile (an add
      // racing a reversal) names the master's, and the ledger row must say what the slave holds.
      c.symbol = body.symbol;
      // An add on a hedging slave is a second position: the copy keeps the ticket it has.
      if (!(body.increase && c.ticket)) {
        if (r.ticket) c.ticket = r.ticket;
        c.position = r.position ?? r.ticket ?? c.position;
      }
      this.parts.copies.indexTicket(c);
      if (body.increase) {
        c.volume = roundLots(c.volume + (r.volume ?? body.volume));
        // Lots that closes in flight take stand for master lots a reduction has already given up
        // (reduce lowered masterVolume when it sent them): counted, the next reduction closes too little.
        const kept = roundLots(c.volume - this.parts.commands.inflightVolume(c, 'close') - this.parts.commands.closingBy(c));
        if (c.ratio) c.masterVolume = Math.max(c.masterVolume, kept / c.ratio);
      }
      else if (r.volume !== undefined) c.volume = r.volume;
      else if (!wasOpen) c.volume = body.volume;
      if (!body.increase && r.price) c.openPrice = r.price;
      this.parts.stats.lastLatencyMs = latency;
      const spec = this.parts.sessions.spec(c.slave, c.symbol);
      const slip = r.price && spec?.point ? Math.round((Math.abs(r.price - body.price) / spec.point) * 10) / 10 : undefined;
      if (!body.increase) {
        c.slippagePoints = slip;
        c.latencyMs = latency;
      }
      // volume / master_volume is the copy's ratio, which a restarted hub reads back.
      const masterVolume = body.increase && c.ratio ? roundLots(c.volume / c.ratio) : undefined;
      journal.trade(c, {
        status: 'open', slave_ticket: c.ticket, volume: c.volume, remaining_volume: c.volume, master_volume: masterVolume,
        ...(body.increase ? {} : { open_price: r.price, slippage_points: slip, latency_ms: latency }),
        reason: r.status === 'duplicate' ? 'already copied (duplicate)' : undefined,
      });
      this.parts.decisions.catchUp(c, receivedAt);
      return;
    }
    if (body.increase) return; // The existing copy stays as it was.
    c.status = r.status === 'expired' ? 'expired' : r.status === 'refused' ? 'refused' : 'failed';
    this.parts.stats.refusals++;
    journal.trade(c, { status: c.status, reason: `${r.message} (retcode ${r.retcode})` });
  }

  private closed(c: Copy, p: Pending, body: CommandOf<'close'>, r: ResultMsg, receivedAt: number): void {
    if (succeeded(r)) {
      // The copy's lots less what was closed, and never more than the position kept: on a netting
      // slave the position holds other copies too, on a hedging one an add made a second position.
      const left = Math.min(r.remaining_volume ?? Infinity, Math.max(0, roundLots(c.volume - (r.volume ?? body.volume))));
      c.volume = left;
      if (left <= EPS) this.parts.journal.closed(c, receivedAt, { close_price: r.price });
      else this.parts.journal.trade(c, { remaining_volume: left });
      p.then?.();
      return;
    }
    this.parts.journal.trade(c, { reason: `close failed: ${r.message} (retcode ${r.retcode}); the next snapshot reconciles it` });
  }

  private closedBy(c: Copy, p: Pending, r: ResultMsg, receivedAt: number): void {
    const { copies, commands } = this.parts;
    const other = p.otherKey ? copies.get(p.otherKey) : undefined;
    c.closeBy = undefined;
    if (other) other.closeBy = undefined;
    // Not succeeded(): a partial close_by reports neither position's remaining volume, so it is
    // handled as a failure: each copy whose master is closed is closed on its own.
    if (!(r.status === 'done' || r.status === 'duplicate')) {
      this.parts.log.warn(`close_by failed on ${c.slave}; closing each copy on its own`);
      for (const x of [c, other]) {
        if (!x || x.status !== 'open') continue;
        const m = this.parts.masters.get(x.master, x.masterPosition);
        if (m && !m.open) commands.issue(x, commands.close(x), receivedAt);
      }
      return;
    }
    // What the slave closed (the smaller of its two positions), not what the hub believed they held.
    const closed = r.volume && r.volume > 0 ? r.volume : Math.min(c.volume, other?.volume ?? c.volume);
    for (const x of [c, other]) {
      if (!x) continue;
      x.volume = Math.max(0, roundLots(x.volume - closed));
      if (x.volume <= EPS) {
        x.volume = 0;
        this.parts.journal.closed(x, receivedAt, { reason: 'closed by opposite copy' });
      } else this.parts.journal.trade(x, { remaining_volume: x.volume });
    }
  }
}
