/**
 * The plan of a copy on one slave, shared by an open and an increase: symbol translation, trade
 * mode, volume and the slippage gate, giving the command's symbol and lots or the refusal. Pure.
 */
import type { Account } from '../accounts';
import type { HubConfig } from '../config';
import type { Side, SymbolSpec } from '../protocol';
import { sizeVolume } from './sizing';
import { tooOld } from './schedule';
import { checkSlippage, type Quote } from './slippage';
import { translateSymbol, type Translation } from './translate';

/** What the hub knows of a terminal that a plan reads. */
export interface TerminalView {
  symbolNames?: ReadonlySet<string>;
  symbols?: ReadonlyMap<string, SymbolSpec>;
  ticks?: ReadonlyMap<string, Quote>;
  equity?: number;
}

export interface PlanInput {
  master: Account;
  slave: Account;
  /** Master symbol and side of the position. */
  symbol: string;
  side: Side;
  /** Master lots to copy and the master's fill price. */
  volume: number;
  price: number;
  masterTerminal?: TerminalView;
  slaveTerminal?: TerminalView;
  config: Pick<HubConfig, 'defaultSlippagePoints' | 'tickMaxAgeMs' | 'maxDelayMs'>;
  now: number;
  /** When the master event happened (its terminal's time, UTC ms): older than the slave's max_delay_ms, it is not copied. */
  eventAt?: number;
  /** A refusal the caller adds once the slave symbol is known (checked before sizing). */
  veto?: (symbol: string) => string | undefined;
  /** The protection and schedule gate, once the lots are known (protect.ts). */
  admit?: (symbol: string, lots: number) => string | undefined;
}

export type Plan =
  | {
      ok: true;
      symbol: string;
      via: Extract<Translation, { ok: true }>['via'];
      spec?: SymbolSpec;
      volume: number;
      /** How the volume was sized, when not 1:1. */
      note?: string;
      /** Slippage tolerance in the slave's points. */
      tolerance: number;
      /** The slippage gate's verdict in words. */
      gate: string;
    }
  /**
   * slipped: refused by the slippage gate (a late copy is then missed rather than refused);
   * stale: the master event is older than max_delay_ms (a new position is then missed).
   */
  | { ok: false; reason: string; slipped?: true; stale?: true };

export function planCopy(i: PlanInput): Plan {
  const { slave, slaveTerminal: t } = i;
  if (!slave.enabled) return { ok: false, reason: `slave ${slave.name} is disabled` };
  if (slave.close_only) return { ok: false, reason: `slave ${slave.name} is close-only: it takes no new copies` };
  const closed = closedToNew(i.master);
  if (closed) return { ok: false, reason: `master ${i.master.name} ${closed}` };
  const old = i.eventAt === undefined ? undefined : tooOld('master event', i.now - i.eventAt, slave.max_delay_ms ?? i.config.maxDelayMs);
  if (old) return { ok: false, reason: old, stale: true };
  const tr = translateSymbol(i.symbol, slave, t?.symbolNames, i.master);
  if (!tr.ok) return { ok: false, reason: `unknown symbol: ${tr.reason}` };
  const spec = t?.symbols?.get(tr.symbol);
  if (spec && spec.trade_mode !== 'full') {
    const allowed = spec.trade_mode === (i.side === 'buy' ? 'longonly' : 'shortonly');
    if (!allowed) return { ok: false, reason: `${tr.symbol} trade mode is ${spec.trade_mode} on ${slave.name}` };
  }
  const vetoed = i.veto?.(tr.symbol);
  if (vetoed) return { ok: false, reason: vetoed };
  const sized = sizeVolume({
    masterVolume: i.volume,
    account: slave,
    slaveSpec: spec,
    masterSpec: i.masterTerminal?.symbols?.get(i.symbol),
    masterEquity: i.masterTerminal?.equity,
    slaveEquity: t?.equity,
  });
  if (!sized.ok) return { ok: false, reason: `invalid volume: ${sized.reason}` };
  const refused = i.admit?.(tr.symbol, sized.volume);
  if (refused) return { ok: false, reason: refused };
  const tolerance = slave.slippage_tolerance ?? i.config.defaultSlippagePoints;
  const gate = checkSlippage({
    side: i.side,
    masterPrice: i.price,
    quote: t?.ticks?.get(tr.symbol),
    point: spec?.point,
    tolerancePoints: tolerance,
    now: i.now,
    maxAgeMs: i.config.tickMaxAgeMs,
  });
  if (gate.verdict === 'refuse') return { ok: false, reason: `slippage: ${gate.reason}`, slipped: true };
  return {
    ok: true, symbol: tr.symbol, via: tr.via, spec, volume: sized.volume, note: sized.note, tolerance,
    gate: gate.verdict === 'pass' ? `slippage ${gate.points} pts <= ${tolerance}` : gate.reason,
  };
}

/**
 * Why a master's new positions (and adds) are not copied: disabled or close-only. Its closes,
 * partial closes and SL/TP changes are still mirrored on the copies it has.
 */
export function closedToNew(master: Pick<Account, 'enabled' | 'close_only'>): string | undefined {
  if (!master.enabled) return 'is disabled';
  if (master.close_only) return 'is close-only';
  return undefined;
}

/** The plan in a decision line: symbol, lots, and how they were found. */
export function describePlan(p: Extract<Plan, { ok: true }>): string {
  return `${p.symbol} ${p.volume} lots (${p.via}${p.note ? ', ' + p.note : ''}; ${p.gate})`;
}
