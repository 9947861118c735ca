/**
 * The plan of a copy on one slave, shared by an open and an increase: the prop-firm reverse rule,
 * symbol translation, filters, trade mode, SL/TP, volume and the slippage gate, giving the
 * command's symbol, side, stops and lots or the refusal. Pure.
 */
import type { Account } from '../accounts';
import type { HubConfig } from '../config';
import { hints } from '../hints';
import type { Side, SymbolSpec } from '../protocol';
import { filterCopy } from './filters';
import type { MasterPosition } from './masters';
import { sizeVolume } from './sizing';
import { tooOld } from './schedule';
import { checkSlippage, type Quote } from './slippage';
import { copySide, linkStops, lossStop, type Stops } from './stops';
import { translateSymbol, type Translation } from './translate';

/** What the hub knows of a terminal that a plan reads. */
export interface TerminalView {
  symbolNames?: ReadonlySet<string>;
  symbols?: ReadonlyMap<string, SymbolSpec>;
  ticks?: ReadonlyMap<string, Quote>;
  equity?: number;
  balance?: number;
}

/** The master position's symbol, side, SL/TP, magic number and comment, with: */
export interface PlanInput extends Pick<MasterPosition, 'symbol' | 'side' | 'sl' | 'tp' | 'magic' | 'comment'> {
  master: Account;
  /** The slave's settings in force for this master (Roster.link). */
  slave: Account;
  /** Master lots to copy and the master's fill price. */
  volume: number;
  price: number;
  /** An add to an existing copy: its side is the copy's (reversed or not); filters were passed at its open. */
  increase?: { reversed?: boolean };
  masterTerminal?: TerminalView;
  slaveTerminal?: TerminalView;
  config: Pick<HubConfig, 'defaultSlippagePoints' | 'tickMaxAgeMs' | 'maxDelayMs'>;
  now: number;
  /** When the master event happened (its terminal's time, UTC ms): older than the slave's max_delay_ms, it is not copied. */
  eventAt?: number;
  /** A refusal the caller adds once the slave symbol is known (checked before sizing). */
  veto?: (symbol: string, side: Side) => string | undefined;
  /** A pending order copy: it fills at its own price, so there is no slippage gate. */
  pending?: boolean;
  /** The protection and schedule gate, once the lots are known (protect.ts). */
  admit?: (symbol: string, lots: number) => string | undefined;
}

export type Plan =
  | {
      ok: true;
      symbol: string;
      via: Extract<Translation, { ok: true }>['via'];
      /** The copy's side, and whether it is the master's reversed. */
      side: Side;
      reversed: boolean;
      /** The copy's SL/TP; undefined: the hub leaves them to the slave (sltp none). */
      stops?: Stops;
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
   * stale: the master event is older than max_delay_ms (a new position is then missed);
   * filtered: not what the slave copies.
   */
  | { ok: false; reason: string; slipped?: true; stale?: true; filtered?: true };

export function planCopy(i: PlanInput): Plan {
  const { slave, slaveTerminal: t } = i;
  if (!slave.enabled) return { ok: false, reason: `slave ${slave.name} is disabled` };
  if (slave.close_only) return { ok: false, reason: `slave ${slave.name} is close-only: it takes no new copies` };
  const closed = closedToNew(i.master);
  if (closed) return { ok: false, reason: `master ${i.master.name} ${closed}` };
  const old = i.eventAt === undefined ? undefined : tooOld('master event', i.now - i.eventAt, slave.max_delay_ms ?? i.config.maxDelayMs);
  if (old) return { ok: false, reason: old, stale: true };
  const reversed = i.increase ? !!i.increase.reversed : !!slave.reverse;
  const hedging = !i.increase && reversed ? propHedging(i.master, slave) : undefined;
  if (hedging) return { ok: false, reason: hedging };
  const tr = translateSymbol(i.symbol, slave, t?.symbolNames, i.master);
  if (!i.increase) {
    const filtered = filterCopy({ symbol: i.symbol, slaveSymbol: tr.ok ? tr.symbol : undefined, side: i.side, magic: i.magic, comment: i.comment }, slave);
    if (filtered) return { ok: false, reason: `filtered: ${filtered}`, filtered: true };
  }
  if (!tr.ok) return { ok: false, reason: `unknown symbol: ${tr.reason}` };
  const side = copySide(i.side, reversed);
  const spec = t?.symbols?.get(tr.symbol);
  if (spec && spec.trade_mode !== 'full') {
    const allowed = spec.trade_mode === (side === 'buy' ? 'longonly' : 'shortonly');
    if (!allowed) return { ok: false, reason: `${tr.symbol} trade mode is ${spec.trade_mode} on ${slave.name}` };
  }
  const vetoed = i.veto?.(tr.symbol, side);
  if (vetoed) return { ok: false, reason: vetoed };
  const master = { sl: i.sl, tp: i.tp, side: i.side };
  const stops = linkStops(master, reversed, slave, spec);
  if (!stops && slave.sltp === 'offset') return { ok: false, reason: `sltp offset needs the point size of ${tr.symbol} on ${slave.name}, which has not reported its symbols yet` };
  const sized = sizeVolume({
    masterVolume: i.volume,
    account: slave,
    masterSymbol: i.symbol,
    slaveSpec: spec,
    masterSpec: i.masterTerminal?.symbols?.get(i.symbol),
    masterEquity: i.masterTerminal?.equity,
    slaveEquity: t?.equity,
    masterBalance: i.masterTerminal?.balance,
    slaveBalance: t?.balance,
    risk: { price: i.price, stop: lossStop(master, reversed, slave, spec) },
  });
  if (!sized.ok) return { ok: false, reason: `invalid volume: ${sized.reason}` };
  const refused = i.admit?.(tr.symbol, sized.volume);
  if (refused) return { ok: false, reason: refused };
  const tolerance = slave.slippage_tolerance ?? i.config.defaultSlippagePoints;
  if (i.pending) return { ok: true, symbol: tr.symbol, via: tr.via, side, reversed, stops, spec, volume: sized.volume, note: sized.note, tolerance, gate: 'pending order: fills at its own price' };
  const gate = checkSlippage({
    side,
    masterPrice: i.price,
    quote: t?.ticks?.get(tr.symbol),
    point: spec?.point,
    tolerancePoints: tolerance,
    now: i.now,
    maxAgeMs: i.config.tickMaxAgeMs,
  });
  if (gate.verdict === 'refuse') return { ok: false, reason: `slippage: ${gate.reason}`, slipped: true };
  return {
    ok: true, symbol: tr.symbol, via: tr.via, side, reversed, stops, spec, volume: sized.volume, note: sized.note, tolerance,
    gate: gate.verdict === 'pass' ? `slippage ${gate.points} pts <= ${tolerance}` : gate.reason,
  };
}

/**
 * Reverse copying between two prop-firm accounts holds opposite positions across one trader's
 * accounts, which firms forbid (FTMO: forbidden trading practices); refused unless allowed.
 */
export function propHedging(master: Pick<Account, 'name' | 'firm'>, slave: Pick<Account, 'name' | 'firm' | 'allow_prop_reverse'>): string | undefined {
  if (!master.firm || !slave.firm || slave.allow_prop_reverse) return undefined;
  return (
    `reverse copy between two prop-firm accounts (${master.name} at ${master.firm}, ${slave.name} at ${slave.firm}) holds opposite positions ` +
    `across one trader's accounts, which prop firms forbid (FTMO: forbidden trading practices); if your firms allow it: ${hints.allowPropReverse(slave.name, master.name)}`
  );
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
  return `${p.reversed ? `${p.side} (reversed) ` : ''}${p.symbol} ${p.volume} lots (${p.via}${p.note ? ', ' + p.note : ''}; ${p.gate})${p.stops ? '' : '; SL/TP left to the slave'}`;
}
