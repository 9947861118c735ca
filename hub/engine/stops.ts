/**
 * The side and SL/TP of a copy under its link's settings: reverse copies take the other side with
 * SL and TP swapped; sltp copies the master's, leaves them to the slave (none) or moves them by a
 * fixed number of points (offset). Pure.
 */
import type { CopyPolicy } from '../accounts';
import type { Side, SymbolSpec } from '../protocol';
import { targetStops } from './copies';

export type Stops = { sl: number; tp: number };
type StopsPolicy = Pick<CopyPolicy, 'sltp' | 'sltp_offset_points'>;

export function copySide(masterSide: Side, reversed: boolean | undefined): Side {
  if (!reversed) return masterSide;
  return masterSide === 'buy' ? 'sell' : 'buy';
}

/**
 * The SL/TP the hub gives a copy, or undefined when it leaves them alone: sltp none, or an offset
 * whose point size is not known yet. A stop the offset would move to 0 or below is dropped (0).
 */
export function linkStops(master: Stops & { side: Side }, reversed: boolean | undefined, p: StopsPolicy, spec: Pick<SymbolSpec, 'digits' | 'point'> | undefined): Stops | undefined {
  const mode = p.sltp ?? 'copy';
  if (mode === 'none') return undefined;
  const base = reversed ? { sl: master.tp, tp: master.sl } : { sl: master.sl, tp: master.tp };
  if (mode === 'copy' || !p.sltp_offset_points) return targetStops(base, spec);
  if (!spec?.point) return undefined;
  // Away from the open price: below for a buy's SL and a sell's TP, above for the others.
  const away = p.sltp_offset_points * spec.point;
  const down = copySide(master.side, reversed) === 'buy';
  const move = (price: number, below: boolean) => (price ? Math.max(0, price + (below ? -away : away)) : 0);
  return targetStops({ sl: move(base.sl, down), tp: move(base.tp, !down) }, spec);
}

/** The price a copy's loss is taken at, for risk sizing: its SL as sltp copy or offset sets it (also with sltp none); 0 for none. */
export function lossStop(master: Stops & { side: Side }, reversed: boolean | undefined, p: StopsPolicy, spec: Pick<SymbolSpec, 'digits' | 'point'> | undefined): number {
  return linkStops(master, reversed, p.sltp === 'none' ? { sltp: 'copy' } : p, spec)?.sl ?? 0;
}
