/**
 * Account protection rules, pure: the daily anchor and its reset, the daily-loss and drawdown
 * floors, when a reading of balance and equity trips one, and whether a new copy fits the
 * exposure limits. The state these functions carry from one reading to the next (GuardState) is
 * persisted by hub/engine/protect.ts, so a hub restart keeps the day's anchor, the peak and the trips.
 */
import { formatAmount, withPreset, type Amount, type DailyBasis, type DrawdownMode, type Protection, type TripAction } from '../accounts/protection';
import { lastReset, nextReset, parseClock } from './schedule';

/** Protection settings with their defaults filled in. */
export interface Rules {
  dailyLoss?: Amount;
  dailyLossOf: 'anchor' | 'initial';
  basis: DailyBasis;
  /** Reset time, minutes after midnight in `zone`. */
  reset: number;
  zone: string;
  maxDrawdown?: Amount;
  drawdownMode: DrawdownMode;
  initial?: number;
  maxPositions?: number;
  maxLots?: number;
  maxLotsPerSymbol?: number;
  action: TripAction;
  /** Trips before this instant are cleared. */
  clearedAt?: number;
}

export type LossRule = 'daily_loss' | 'max_drawdown';

/** A loss limit reached: the numbers at that moment. */
export interface Trip {
  rule: LossRule;
  at: number;
  /** The reset (ms) of the day it happened. */
  day: number;
  balance: number;
  equity: number;
  floor: number;
  reason: string;
}

export interface GuardState {
  /** The reset (ms) the anchor belongs to. */
  day: number;
  /** Balance (or the higher of balance and equity) at the reset, from the first reading after it. */
  anchor: number;
  /** When the anchor was read. */
  anchorAt: number;
  /** Base of percents of the initial balance: the setting, else the first balance seen. */
  initial: number;
  /** Highest anchor (trailing_eod) or equity (trailing_equity) so far, from the initial balance up. */
  peak: number;
  trip?: Trip;
}

export interface Reading {
  balance: number;
  equity: number;
  at: number;
}

export const RESET_DEFAULT = '00:00';
export const ZONE_DEFAULT = 'UTC';
/** A trailing peak is saved (and sent to the EA) once it has risen by this share of the drawdown allowed. */
export const PEAK_SAVE_SHARE = 0.01;
const EPS = 1e-9;

export function rulesOf(p: Protection): Rules {
  const e = withPreset(p);
  const cleared = e.cleared_at ? Date.parse(e.cleared_at) : undefined;
  return {
    dailyLoss: e.daily_loss, dailyLossOf: e.daily_loss_of ?? 'anchor', basis: e.daily_basis ?? 'balance',
    reset: parseClock(e.reset_time ?? RESET_DEFAULT) ?? 0, zone: e.reset_zone ?? ZONE_DEFAULT,
    maxDrawdown: e.max_drawdown, drawdownMode: e.drawdown_mode ?? 'static', initial: e.initial_balance,
    maxPositions: e.max_positions, maxLots: e.max_lots, maxLotsPerSymbol: e.max_lots_per_symbol, action: e.action ?? 'block', clearedAt: cleared,
  };
}

/** Whether the rules watch equity (loss limits), so a reading is needed before any copy. */
export const watchesEquity = (r: Rules) => r.dailyLoss !== undefined || r.maxDrawdown !== undefined;

const basisOf = (r: Rules, x: Reading) => (r.basis === 'balance' ? x.balance : Math.max(x.balance, x.equity));

/** The state after a reading: a new day takes a new anchor (and ends a daily trip), the trailing peak rises, cleared trips go. */
export function observe(prev: GuardState | undefined, x: Reading, r: Rules): GuardState {
  const day = lastReset(x.at, r.reset, r.zone);
  const initial = r.initial ?? prev?.initial ?? x.balance;
  let s: GuardState;
  if (!prev || day > prev.day) {
    const anchor = basisOf(r, x);
    s = { day, anchor, anchorAt: x.at, initial, peak: Math.max(prev?.peak ?? initial, r.drawdownMode === 'trailing_eod' ? anchor : initial) };
    if (prev?.trip && prev.trip.rule !== 'daily_loss') s.trip = prev.trip;
  } else s = { ...prev, initial };
  if (r.drawdownMode === 'trailing_equity') s.peak = Math.max(s.peak, x.equity);
  if (s.trip && r.clearedAt !== undefined && r.clearedAt > s.trip.at) delete s.trip;
  return s;
}

const money = (n: number) => n.toFixed(2);

/** The amount of a limit in money, and how it was found. */
function allowance(a: Amount, base: number, baseName: string): { value: number; text: string } {
  if (a.unit === 'money') return { value: a.value, text: money(a.value) };
  const value = (a.value / 100) * base;
  return { value, text: `${formatAmount(a)} of ${baseName} ${money(base)} = ${money(value)}` };
}

/** The equity floors in force: daily (anchor less the daily allowance) and overall drawdown. */
export function floors(s: GuardState, r: Rules): { daily?: { floor: number; how: string }; drawdown?: { floor: number; how: string } } {
  const out: ReturnType<typeof floors> = {};
  if (r.dailyLoss) {
    const a = allowance(r.dailyLoss, r.dailyLossOf === 'initial' ? s.initial : s.anchor, r.dailyLossOf === 'initial' ? 'initial' : 'anchor');
    const basis = r.basis === 'balance' ? 'balance' : 'higher of balance and equity';
    out.daily = { floor: s.anchor - a.value, how: `anchor ${money(s.anchor)} (${basis} at the reset ${new Date(s.day).toISOString()}) less ${a.text}` };
  }
  if (r.maxDrawdown) {
    const a = allowance(r.maxDrawdown, s.initial, 'initial');
    const from = r.drawdownMode === 'static' ? `initial ${money(s.initial)}` : `peak ${money(s.peak)} (${r.drawdownMode})`;
    out.drawdown = { floor: (r.drawdownMode === 'static' ? s.initial : s.peak) - a.value, how: `${from} less ${a.text}` };
  }
  return out;
}

/** The trip in force, if any: a daily one lasts until the next reset, a drawdown one until cleared. */
export function activeTrip(s: GuardState | undefined): Trip | undefined {
  if (!s?.trip) return undefined;
  return s.trip.rule === 'daily_loss' && s.trip.day !== s.day ? undefined : s.trip;
}

/** A loss limit this reading reaches (equity at or below a floor), or undefined. */
export function breach(s: GuardState, x: Reading, r: Rules): Trip | undefined {
  const f = floors(s, r);
  for (const [rule, lim] of [['max_drawdown', f.drawdown], ['daily_loss', f.daily]] as const) {
    if (!lim || x.equity > lim.floor + EPS) continue;
    const name = rule === 'daily_loss' ? 'daily loss' : 'max drawdown';
    const reason = `${name} limit: equity ${money(x.equity)} (balance ${money(x.balance)}) at or below the floor ${money(lim.floor)} = ${lim.how}`;
    return { rule, at: x.at, day: s.day, balance: x.balance, equity: x.equity, floor: lim.floor, reason };
  }
  return undefined;
}

/** Until when a trip blocks, in words. */
export function tripUntil(t: Trip, r: Rules, account: string): string {
  return t.rule === 'daily_loss'
    ? `until the next reset at ${new Date(nextReset(t.at, r.reset, r.zone)).toISOString()} (${String(Math.floor(r.reset / 60)).padStart(2, '0')}:${String(r.reset % 60).padStart(2, '0')} ${r.zone})`
    : `until cleared with: hub accounts protect ${account} --clear`;
}

/** What a slave holds: positions and lots, per symbol (slave names). */
export interface Exposure {
  positions: number;
  lots: number;
  bySymbol: ReadonlyMap<string, number>;
}

/** Whether a new copy (or an add: newPosition false) of `lots` on `symbol` fits the exposure limits; the refusal otherwise. */
export function exposureRefusal(e: Exposure, r: Rules, symbol: string, lots: number, newPosition: boolean): string | undefined {
  const fmt = (n: number) => Number(n.toFixed(8)).toString();
  if (newPosition && r.maxPositions !== undefined && e.positions + 1 > r.maxPositions) {
    return `max positions: ${e.positions} open, the limit is ${r.maxPositions}`;
  }
  if (r.maxLots !== undefined && e.lots + lots > r.maxLots + EPS) {
    return `max lots: ${fmt(e.lots)} lots open + ${fmt(lots)} would be ${fmt(e.lots + lots)}, more than ${fmt(r.maxLots)}`;
  }
  const held = e.bySymbol.get(symbol) ?? 0;
  if (r.maxLotsPerSymbol !== undefined && held + lots > r.maxLotsPerSymbol + EPS) {
    return `max lots per symbol: ${fmt(held)} lots of ${symbol} open + ${fmt(lots)} would be ${fmt(held + lots)}, more than ${fmt(r.maxLotsPerSymbol)}`;
  }
  return undefined;
}

/** Whether a changed state must be saved: anything but a trailing peak that rose by less than PEAK_SAVE_SHARE of the drawdown allowed. */
export function worthSaving(saved: GuardState | undefined, next: GuardState, r: Rules): boolean {
  if (!saved) return true;
  if (saved.day !== next.day || saved.anchor !== next.anchor || saved.initial !== next.initial || saved.trip?.at !== next.trip?.at) return true;
  if (next.peak <= saved.peak) return false;
  const allowed = r.maxDrawdown ? allowance(r.maxDrawdown, next.initial, '').value : 0;
  return next.peak - saved.peak >= allowed * PEAK_SAVE_SHARE;
}
