/** A read-only snapshot of the engine for status displays and tests. */
import type { TradeStatus } from '../ledger/types';
import type { CommandMsg } from '../protocol';

type CommandType = CommandMsg['type'];
import type { Side } from '../protocol';
import type { Parts, EngineStats } from './context';
import type { Role } from './roster';
import type { Quote } from './slippage';

export interface TerminalStatus {
  readonly name: string;
  readonly role: Role;
  readonly online: boolean;
  /** Hub time of the terminal's last message, and its type. */
  readonly lastSeen: number;
  readonly lastMessage: string;
  /** Hub time it came online or went offline, whichever was last. */
  readonly since: number;
  /** From the terminal's hello; undefined until one arrived since the hub started. */
  readonly broker?: string;
  readonly login?: number;
  readonly server?: string;
  readonly eaVersion?: string;
  readonly marginMode?: 'hedging' | 'netting' | 'exchange';
  readonly balance?: number;
  readonly equity?: number;
  readonly margin?: number;
  readonly welcomed: boolean;
  /** Number of symbols the terminal reported; undefined until it has. */
  readonly symbols?: number;
  /** Symbols a slave streams ticks of. */
  readonly watch: readonly string[];
  /** Latest quote by symbol. */
  readonly quotes: Readonly<Record<string, Readonly<Quote>>>;
}

export interface MasterPositionStatus {
  readonly master: string;
  readonly position: string;
  readonly symbol: string;
  readonly side: Side;
  readonly volume: number;
  readonly open: boolean;
}

export interface CopyStatus {
  readonly master: string;
  readonly masterPosition: string;
  readonly slave: string;
  readonly symbol: string;
  readonly side: Side;
  readonly volume: number;
  readonly ticket?: string;
  readonly status: TradeStatus;
  readonly openPrice?: number;
  readonly slippagePoints?: number;
  readonly latencyMs?: number;
  readonly sl: number;
  readonly tp: number;
}

export interface CommandStatus {
  readonly cmd_id: string;
  readonly type: CommandType;
  readonly slave: string;
  readonly attempts: number;
  readonly firstSent: number;
  readonly expires: number;
}

export interface EngineStatus {
  readonly terminals: readonly TerminalStatus[];
  readonly masterPositions: readonly MasterPositionStatus[];
  /** Every copy the engine remembers, whatever its status. */
  readonly copies: readonly CopyStatus[];
  /** Commands sent and not answered yet. */
  readonly pending: readonly CommandStatus[];
  readonly counters: Readonly<EngineStats>;
}

export function engineStatus(p: Pick<Parts, 'sessions' | 'roster' | 'masters' | 'copies' | 'commands' | 'stats'>): EngineStatus {
  const terminals: TerminalStatus[] = [];
  for (const t of p.sessions.all()) {
    const h = t.hello;
    terminals.push({
      name: t.name, role: p.roster.role(t.name), online: t.online, lastSeen: t.lastSeen, lastMessage: t.lastType, since: t.since,
      broker: h?.broker, login: h?.login, server: h?.server, eaVersion: h?.ea_version, marginMode: t.marginMode,
      balance: t.balance, equity: t.equity, margin: t.margin, welcomed: t.welcomed, symbols: t.symbols?.size, watch: [...t.watch], quotes: Object.fromEntries(t.ticks),
    });
  }
  const masterPositions: MasterPositionStatus[] = [];
  for (const mp of p.masters.all()) {
    masterPositions.push({ master: mp.master, position: mp.position, symbol: mp.symbol, side: mp.side, volume: mp.volume, open: mp.open });
  }
  const copies: CopyStatus[] = [];
  for (const c of p.copies.values()) {
    copies.push({
      master: c.master, masterPosition: c.masterPosition, slave: c.slave, symbol: c.symbol, side: c.side, volume: c.volume,
      ticket: c.ticket, status: c.status, openPrice: c.openPrice, slippagePoints: c.slippagePoints, latencyMs: c.latencyMs, sl: c.sl, tp: c.tp,
    });
  }
  const pending: CommandStatus[] = [];
  for (const [id, c] of p.commands.inFlight()) {
    pending.push({ cmd_id: id, type: c.body.type, slave: c.slave, attempts: c.attempts, firstSent: c.firstSent, expires: c.body.expires_ms });
  }
  return { terminals, masterPositions, copies, pending, counters: { ...p.stats } };
}
