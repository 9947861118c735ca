/** Volume sizing and rounding. Pure. */
import type { Account } from '../accounts';
import type { SymbolSpec } from '../protocol';

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
  account: Pick<Account, 'volume_mode' | 'volume_multiplier' | 'volume_fixed' | 'normalize_contract_size' | 'name'>;
  slaveSpec?: VolumeSpec & { contract_size?: number };
  masterSpec?: { contract_size?: number };
  masterEquity?: number;
  slaveEquity?: number;
}

/**
 * Copy volume for one slave: by mode (same 1:1, multiplier, fixed lots, equity ratio), scaled by
 * master/slave contract size when both are known (equal exposure across brokers), rounded down
 * to the slave's volume step, clamped to its maximum; below its minimum is refused.
 */
export function sizeVolume(input: SizingInput): Sizing {
  const { masterVolume, account, slaveSpec, masterSpec } = input;
  const mode = account.volume_mode ?? 'same';
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
      raw = account.volume_fixed ?? 0;
      notes.push('fixed');
      break;
    case 'equity': {
      if (!(input.masterEquity && input.masterEquity > 0) || !(input.slaveEquity && input.slaveEquity > 0)) {
        return { ok: false, raw: 0, reason: `equity sizing needs both equities (master ${input.masterEquity ?? 'unknown'}, ${account.name} ${input.slaveEquity ?? 'unknown'}); wait for heartbeats` };
      }
      const ratio = input.slaveEquity / input.masterEquity;
      raw = masterVolume * ratio * (account.volume_multiplier ?? 1);
      notes.push(`equity ratio ${ratio.toFixed(4)}`);
      break;
    }
  }
  if (
    mode !== 'fixed' &&
    account.normalize_contract_size !== false &&
    masterSpec?.contract_size &&
    slaveSpec?.contract_size &&
    masterSpec.contract_size !== slaveSpec.contract_size
  ) {
    raw = (raw * masterSpec.contract_size) / slaveSpec.contract_size;
    notes.push(`contract ${masterSpec.contract_size}/${slaveSpec.contract_size}`);
  }
  if (!(raw > 0) || !Number.isFinite(raw)) return { ok: false, raw, reason: `computed volume ${raw} is not positive` };
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
    return {
      ok: false,
      raw,
      reason: `volume ${fmt(raw)} (${mode}${notes.length ? ', ' + notes.join(', ') : ''} of ${masterVolume}) rounds to ${volume}, below ${slaveSpec.name} minimum ${slaveSpec.volume_min} (step ${slaveSpec.volume_step})`,
    };
  }
  return { ok: true, volume, raw, note: notes.length ? notes.join(', ') : undefined };
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
