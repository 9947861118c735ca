/**
 * Master operations, chosen by the seeded PRNG: opens, netting adds and reversals, partial closes,
 * SL/TP changes, close-bys and closes. Volumes are multiples of 0.2 lots so every slave's share
 * (x1, x0.5) is a whole number of its volume steps: a volume mismatch is then a copying error,
 * never rounding.
 */
import type { Position, Side } from '../hub/protocol';
import type { SimTerminal } from '../sim/terminal';
import type { Rng } from './rng';

export const SYMBOLS = ['EURUSD', 'GBPUSD', 'XAUUSD', 'US30'] as const;
const LOT = 0.2;
/** Open positions a hedging master keeps at most (opens get rarer near it). */
const MAX_POSITIONS = 10;
/** Largest netting position, lots. */
const MAX_NETTING = 2;
const DONE = new Set([10009, 10010]);

export type OpKind = 'open' | 'add' | 'reverse' | 'partial' | 'modify' | 'close_by' | 'close';

export interface OpOutcome {
  kind: OpKind;
  ok: boolean;
  line: string;
}

const lots = (n: number) => Number((n * LOT).toFixed(2));
const opposite = (s: Side): Side => (s === 'buy' ? 'sell' : 'buy');

/** SL/TP some hundreds of points from the price, on the right sides; sometimes none. */
function stops(rng: Rng, t: SimTerminal, symbol: string, side: Side): { sl: number; tp: number } {
  const spec = t.broker.symbol(symbol)!;
  const q = t.broker.quote(symbol)!;
  if (rng.chance(0.25)) return { sl: 0, tp: 0 };
  const away = (points: number) => points * spec.point;
  const ref = side === 'buy' ? q.bid : q.ask;
  const dir = side === 'buy' ? 1 : -1;
  const sl = rng.chance(0.85) ? Number((ref - dir * away(rng.int(200, 900))).toFixed(spec.digits)) : 0;
  const tp = rng.chance(0.85) ? Number((ref + dir * away(rng.int(200, 900))).toFixed(spec.digits)) : 0;
  return { sl, tp };
}

function describe(p: Position): string {
  return `#${p.position} ${p.side} ${p.volume} ${p.symbol}`;
}

/** One operation on a master; the kind is drawn by weight from what the account allows now. */
export function masterOp(rng: Rng, t: SimTerminal): OpOutcome {
  const positions = t.broker.positions();
  const netting = t.broker.marginMode === 'netting';
  const pairs = netting ? [] : closeByPairs(positions);
  const kind = rng.weighted<OpKind>({
    open: positions.length >= MAX_POSITIONS ? 2 : 30,
    add: netting && positions.length ? 12 : 0,
    reverse: netting && positions.length ? 4 : 0,
    partial: positions.some((p) => p.volume >= 2 * LOT - 1e-9) ? 15 : 0,
    modify: positions.length ? 15 : 0,
    close_by: pairs.length ? 8 : 0,
    close: positions.length ? (positions.length >= MAX_POSITIONS ? 40 : 18) : 0,
  });
  const who = t.account;
  const result = (ok: boolean, line: string): OpOutcome => ({ kind, ok, line: `${who} ${kind} ${line}${ok ? '' : ' (failed)'}` });
  switch (kind) {
    case 'open': {
      const free = netting ? SYMBOLS.filter((s) => !positions.some((p) => p.symbol === s)) : [...SYMBOLS];
      if (!free.length) return result(false, 'no free symbol');
      const symbol = rng.pick(free);
      const side: Side = rng.chance(0.5) ? 'buy' : 'sell';
      const volume = lots(rng.int(1, 5));
      const st = stops(rng, t, symbol, side);
      const r = side === 'buy' ? t.buy(symbol, volume, st) : t.sell(symbol, volume, st);
      return result(DONE.has(r.retcode), `${side} ${volume} ${symbol} SL ${st.sl} TP ${st.tp} -> #${r.position}`);
    }
    case 'add': {
      const p = rng.pick(positions);
      const volume = lots(rng.int(1, 3));
      if (p.volume + volume > MAX_NETTING + 1e-9) return result(false, `${describe(p)}: would exceed ${MAX_NETTING} lots`);
      const r = p.side === 'buy' ? t.buy(p.symbol, volume) : t.sell(p.symbol, volume);
      return result(DONE.has(r.retcode), `${volume} to ${describe(p)}`);
    }
    case 'reverse': {
      const p = rng.pick(positions);
      const volume = Number((p.volume + lots(rng.int(1, 3))).toFixed(2));
      const r = p.side === 'buy' ? t.sell(p.symbol, volume) : t.buy(p.symbol, volume);
      return result(DONE.has(r.retcode), `${describe(p)} with ${opposite(p.side)} ${volume}`);
    }
    case 'partial': {
      const p = rng.pick(positions.filter((x) => x.volume >= 2 * LOT - 1e-9));
      const volume = lots(rng.int(1, Math.round(p.volume / LOT) - 1));
      const r = t.close(p.position, volume);
      return result(DONE.has(r.retcode), `${volume} of ${describe(p)}`);
    }
    case 'modify': {
      const p = rng.pick(positions);
      const st = stops(rng, t, p.symbol, p.side);
      const r = t.modify(p.position, st.sl, st.tp);
      // "No changes" is not an operation the hub sees; it still counts as tried.
      return result(r.retcode === 10009 || r.retcode === 10025, `${describe(p)} SL ${st.sl} TP ${st.tp}`);
    }
    case 'close_by': {
      const [a, b] = rng.pick(pairs);
      const r = t.closeBy(a.position, b.position);
      return result(DONE.has(r.retcode), `${describe(a)} by ${describe(b)}`);
    }
    case 'close': {
      const p = rng.pick(positions);
      const r = t.close(p.position);
      return result(DONE.has(r.retcode), describe(p));
    }
  }
}

function closeByPairs(positions: readonly Position[]): [Position, Position][] {
  const out: [Position, Position][] = [];
  for (const a of positions) for (const b of positions) if (a.side === 'buy' && b.side === 'sell' && a.symbol === b.symbol) out.push([a, b]);
  return out;
}
