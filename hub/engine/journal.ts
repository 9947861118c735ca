/**
 * The decision journal: a log line and a ledger event per decision, ledger events of everything
 * else the engine sees, and the trade record of each copy.
 */
import type { Feed } from '../feed';
import type { LedgerEvent, TradeUpdate } from '../ledger/types';
import type { Logger } from '../log';
import type { Side } from '../protocol';
import type { Copy } from './copies';
import type { EngineEvent } from './events';

export type Level = 'info' | 'warn';

/** The fields of a decision in the structured (JSON) log. */
export type DecisionFields = {
  decision: string;
  /** The account the decision is about (the slave of a copy, the master of a skipped deal). */
  account: string;
  /** The master's position. */
  position: string;
  reason: string;
  master?: string;
  slave?: string;
  ticket?: string;
  symbol?: string;
};

export interface LedgerSink {
  trade(u: TradeUpdate): void;
  event(e: LedgerEvent): void;
}

// Several ledger fields per decision carry the same millisecond: format it once.
let isoMs = NaN;
let isoText = '';
export const iso = (ms: number) => (ms === isoMs ? isoText : ((isoMs = ms), (isoText = new Date(ms).toISOString())));

/** The ledger's spelling of a side. */
export const dir = (s: Side) => (s === 'buy' ? 'BUY' : 'SELL');

export class Journal {
  /** Decision log lines held back while a fan-out sends its commands (see fanOut). */
  private held: [level: Level, line: string, fields: DecisionFields][] | undefined;

  constructor(
    private readonly ledger: LedgerSink,
    private readonly log: Logger,
    private readonly now: () => number,
    private readonly feed?: Feed<EngineEvent>,
  ) {}

  /**
   * One decision: a log line (its fields go to the JSON log: kind, account, master position and
   * whatever the caller knows of master, slave, ticket and symbol) and a ledger event.
   */
  decision(kind: string, message: string, account: string, masterTicket: string, level: Level = 'info', more: Partial<DecisionFields> = {}): void {
    const line = `${kind.toUpperCase()} ${message}`;
    const fields: DecisionFields = { decision: kind, account, position: masterTicket, reason: message, ...more };
    if (this.held) this.held.push([level, line, fields]);
    else this.log[level](line, fields);
    this.ledger.event({ time: iso(this.now()), kind, account, master_ticket: masterTicket, message });
    if (this.feed?.listening) this.feed.emit({ type: 'decision', time: this.now(), kind, account, masterTicket, message, level });
  }

  /**
   * Runs the decisions for one master event: every slave's command is sent as it is decided and
   * the decision log lines (one per slave, same text, same order) are written once all commands
   * are out, before this returns. Writing a line costs about as much as deciding, so the last
   * of N slaves no longer waits for N - 1 log lines.
   */
  fanOut<T>(fn: () => T): T {
    if (this.held) return fn();
    const lines: [level: Level, line: string, fields: DecisionFields][] = (this.held = []);
    try {
      return fn();
    } finally {
      this.held = undefined;
      if (this.log.writeLines) this.log.writeLines(lines);
      else for (const [level, line, fields] of lines) this.log[level](line, fields);
    }
  }

  event(e: Omit<LedgerEvent, 'time'>): void {
    this.ledger.event({ time: iso(this.now()), ...e });
  }

  /** Sets fields of a copy's trade record; undefined fields are left out, an undefined reason clears it. */
  trade(c: Copy, set: TradeUpdate['set']): void {
    const clean: TradeUpdate['set'] = { updated_at: iso(this.now()) };
    // for-in, not Object.entries: no [key, value] array per field on a path taken for every copy.
    for (const k in set) {
      const v = (set as Record<string, unknown>)[k];
      if (v !== undefined) (clean as Record<string, unknown>)[k] = v;
    }
    if (set.reason === undefined && 'reason' in set) (clean as Record<string, unknown>).reason = '';
    if (!('symbol' in clean)) clean.symbol = c.symbol;
    if (!('master_symbol' in clean)) clean.master_symbol = c.masterSymbol;
    if (!('direction' in clean)) clean.direction = dir(c.side);
    this.ledger.trade({ key: { master_name: c.master, master_ticket: c.masterPosition, slave_name: c.slave }, set: clean });
  }

  /** Nothing of the copy is left on the slave: it is closed, in memory and in the ledger. */
  closed(c: Copy, at: number, set: Pick<TradeUpdate['set'], 'close_price' | 'reason'>): void {
    c.status = 'closed';
    this.trade(c, { status: 'closed', remaining_volume: 0, close_time: iso(at), ...set });
  }
}
