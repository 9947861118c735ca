/** Volume sizing and rounding. Pure. */
import type { Account, VolumeMode } from '../accounts';
import type { SymbolSpec } from '../protocol';
import { matchesPattern } from './filters';

export type Sizing = { ok: true; volume: number; raw: number; note?: string } | { ok: false; reason: string; raw: number };

/** Lots closer than this are the same volume. */
export const EPS = 1e-9;

/** Lots after arithmetic, rid of float noise (0.1 + 0.2), well below any volume step. */
export function roundLots(lots: number): number {
  return Number(lots.toFixed(8));
}

type VolumeSpec = Pick<SymbolSpec, 'volume_min' | 'volume_step' | 'volume_max' | 'name'> & { volume_limit?: number };

/** Number of decimals of a step like 0.01 -> 2, so results print and compare exactly. */
export function stepDecimals(step: number): number {
  const s = step.toString();
  if (s.includes('e-')) return Number(s.split('e-')[1]);
  const dot = s.indexOf('.');
  return dot < 0 ? 0 : s.length - dot - 1;
}

/** Rounds down to a multiple of step (never sizes up a risk), tolerating float noise (0.3/0.1). */
export function floorToStep(volume: number, step: number): number {
  if (!(step > 0)) return volume;
  const n = Math.floor(volume / step + 1e-9);
  return Number((n * step).toFixed(stepDecimals(step)));
}

export function roundToStep(volume: number, step: number): number {
  if (!(step > 0)) return volume;
  const n = Math.round(volume / step);
  return Number((n * step).toFixed(stepDecimals(step)));
}

export interface SizingInput {
  masterVolume: number;
  /** The slave's settings in force for this master (see linkPolicy). */
  account: Pick<
    Account,
    'name' | 'volume_mode' | 'volume_multiplier' | 'volume_fixed' | 'normalize_contract_size' | 'risk_percent' | 'risk_without_sl' | 'symbol_multipliers' | 'force_min_lot' | 'max_lot'
  >;
  /** The master's symbol: the key of symbol_multipliers. */
  masterSymbol?: string;
  slaveSpec?: VolumeSpec & Pick<SymbolSpec, 'contract_size' | 'tick_value' | 'tick_size'>;
  masterSpec?: { contract_size?: number };
  masterEquity?: number;
  slaveEquity?: number;
  masterBalance?: number;
  slaveBalance?: number;
  /** Risk mode: the copy's entry price and the price its loss is taken at (0: no stop loss). */
  risk?: { price: number; stop: number };
}

type Raw = { ok: true; raw: number; notes: string[]; mode: VolumeMode } | { ok: false; reason: string };

/**
 * Copy volume for one slave: by mode (same 1:1, multiplier, fixed lots, equity or balance ratio,
 * risk percent), scaled by master/slave contract size when both are known (equal exposure across
 * brokers), times the symbol's multiplier, rounded down to the slave's volume step, clamped to
 * max_lot and the symbol's maximum; below the minimum is refused unless force_min_lot.
 */
export function sizeVolume(input: SizingInput): Sizing {
  const { masterVolume, account, slaveSpec } = input;
  const base = rawVolume(input, account.volume_mode ?? 'same');
  if (!base.ok) return { ok: false, raw: 0, reason: base.reason };
  let raw = base.raw;
  const notes = base.notes;
  const factor = symbolMultiplier(account.symbol_multipliers, input.masterSymbol);
  if (factor) {
    raw *= factor.value;
    notes.push(`${factor.key} x${factor.value}`);
  }
  if (!(raw > 0) || !Number.isFinite(raw)) return { ok: false, raw, reason: `computed volume ${raw} is not positive` };
  if (account.max_lot !== undefined && raw > account.max_lot) {
    raw = account.max_lot;
    notes.push(`clamped to max_lot ${account.max_lot}`);
  }
  if (!slaveSpec) return { ok: true, volume: roundLots(raw), raw, note: [...notes, 'slave volume limits unknown'].join(', ') };
  let volume = floorToStep(raw, slaveSpec.volume_step);
  const max = slaveSpec.volume_max > 0 ? slaveSpec.volume_max : Infinity;
  if (volume > max) {
    volume = floorToStep(max, slaveSpec.volume_step);
    notes.push(`clamped to max ${max}`);
  }
  if (slaveSpec.volume_limit && slaveSpec.volume_limit > 0 && volume > slaveSpec.volume_limit) {
    volume = floorToStep(slaveSpec.volume_limit, slaveSpec.volume_step);
    notes.push(`clamped to limit ${slaveSpec.volume_limit}`);
  }
  if (volume < slaveSpec.volume_min - 1e-12) {
    const why = `volume ${fmt(raw)} (${base.mode}${notes.length ? ', ' + notes.join(', ') : ''} of ${masterVolume}) rounds to ${volume}, below ${slaveSpec.name} minimum ${slaveSpec.volume_min} (step ${slaveSpec.volume_step})`;
    if (!account.force_min_lot) return { ok: false, raw, reason: `${why}; to copy the minimum instead: --force-min-lot true` };
    if (account.max_lot !== undefined && account.max_lot < slaveSpec.volume_min - 1e-12) {
      return { ok: false, raw, reason: `${why}, and max_lot ${account.max_lot} is below the minimum too` };
    }
    volume = slaveSpec.volume_min;
    notes.push(`raised to minimum ${slaveSpec.volume_min} (force_min_lot)`);
  }
  return { ok: true, volume, raw, note: notes.length ? notes.join(', ') : undefined };
}

/** Lots before the symbol multiplier, limits and rounding. */
function rawVolume(input: SizingInput, mode: VolumeMode): Raw {
  const { masterVolume, account, slaveSpec, masterSpec } = input;
  const notes: string[] = [];
  let raw: number;
  switch (mode) {
    case 'same':
      raw = masterVolume;
      break;
    case 'multiplier':
      raw = masterVolume * (account.volume_multiplier ?? 1);
      notes.push(`x${account.volume_multiplier}`);
      break;
    case 'fixed':
      return { ok: true, raw: account.volume_fixed ?? 0, notes: ['fixed'], mode };
    case 'equity':
    case 'balance': {
      const [m, s] = mode === 'equity' ? [input.masterEquity, input.slaveEquity] : [input.masterBalance, input.slaveBalance];
      if (!(m && m > 0) || !(s && s > 0)) {
        return { ok: false, reason: `${mode} sizing needs both ${mode === 'equity' ? 'equities' : 'balances'} (master ${m ?? 'unknown'}, ${account.name} ${s ?? 'unknown'}); wait for heartbeats` };
      }
      const ratio = s / m;
      raw = masterVolume * ratio * (account.volume_multiplier ?? 1);
      notes.push(`${mode} ratio ${ratio.toFixed(4)}`);
      break;
    }
    case 'risk':
      return riskVolume(input);
  }
  if (account.normalize_contract_size !== false && masterSpec?.contract_size && slaveSpec?.contract_size && masterSpec.contract_size !== slaveSpec.contract_size) {
    raw = (raw * masterSpec.contract_size) / slaveSpec.contract_size;
    notes.push(`contract ${masterSpec.contract_size}/${slaveSpec.contract_size}`);
  }
  return { ok: true, raw, notes, mode };
}

/**
 * Risk sizing: lots whose loss at the stop is risk_percent of the slave's equity. One lot loses
 * tick_value per tick_size of price between entry and stop (the slave symbol's values, in the
 * slave's account currency). Without a stop: refused, or sized by the risk_without_sl mode.
 */
function riskVolume(input: SizingInput): Raw {
  const { account, slaveSpec, risk } = input;
  const pct = account.risk_percent ?? 0;
  if (!risk || !(risk.stop > 0)) {
    const fallback = account.risk_without_sl ?? 'refuse';
    if (fallback === 'refuse') return { ok: false, reason: `risk sizing needs a stop loss and the master position has none; to copy it anyway size it by another mode: --risk-without-sl same (or multiplier, fixed, equity, balance)` };
    const r = rawVolume(input, fallback);
    return r.ok ? { ...r, notes: [`no stop loss: ${fallback}`, ...r.notes] } : r;
  }
  const tickValue = slaveSpec?.tick_value;
  const tickSize = slaveSpec?.tick_size;
  if (!(tickValue && tickValue > 0) || !(tickSize && tickSize > 0)) {
    return { ok: false, reason: `risk sizing needs the tick value and tick size of ${slaveSpec?.name ?? 'the slave symbol'} on ${account.name} (got ${tickValue ?? 'none'} / ${tickSize ?? 'none'}); update the EA on ${account.name}, whose symbol report carries them` };
  }
  if (!(input.slaveEquity && input.slaveEquity > 0)) return { ok: false, reason: `risk sizing needs the equity of ${account.name} (unknown); wait for its heartbeat` };
  const distance = Math.abs(risk.price - risk.stop);
  if (!(distance > 0)) return { ok: false, reason: `risk sizing: the stop loss ${risk.stop} is at the entry price ${risk.price}` };
  const lossPerLot = (distance / tickSize) * tickValue;
  const money = (input.slaveEquity * pct) / 100;
  return { ok: true, raw: money / lossPerLot, notes: [`risk ${pct}% of ${fmt(input.slaveEquity)} = ${fmt(money)}, ${fmt(lossPerLot)} per lot to the stop`], mode: 'risk' };
}

/** The factor for a master symbol: its exact entry, else the longest pattern (* and ?) that matches. */
export function symbolMultiplier(map: Record<string, number> | undefined, symbol: string | undefined): { key: string; value: number } | undefined {
  if (!map || symbol === undefined) return undefined;
  if (map[symbol] !== undefined) return { key: symbol, value: map[symbol] };
  let best: { key: string; value: number } | undefined;
  for (const [key, value] of Object.entries(map)) {
    if (/[*?]/.test(key) && matchesPattern(key, symbol) && (!best || key.length > best.key.length)) best = { key, value };
  }
  return best;
}

/**
 * Slave volume to close when the master closed `closed` lots and kept `remaining`: the same
 * fraction of the copy, rounded to the step. Returns the whole copy when what would remain is
 * below the minimum, and 0 when the fraction rounds to nothing (nothing to send now; the rest
 * goes with the master's final close).
 */
export function closeVolume(copyVolume: number, closed: number, remaining: number, spec?: VolumeSpec): number {
  if (remaining <= 1e-12) return copyVolume;
  const fraction = closed / (closed + remaining);
  if (!spec) return roundLots(copyVolume * fraction);
  const v = roundToStep(copyVolume * fraction, spec.volume_step);
  if (v <= 0) return 0;
  const left = Number((copyVolume - v).toFixed(stepDecimals(spec.volume_step)));
  if (left < spec.volume_min - 1e-12) return copyVolume;
  return v;
}

function fmt(n: number): string {
  return Number(n.toFixed(6)).toString();
}
