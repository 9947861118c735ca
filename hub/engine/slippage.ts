/** The hub's slippage gate. Pure. */
import type { Side } from '../protocol';

export interface Quote {
  bid: number;
  ask: number;
  /** Hub receive time, ms. */
  receivedAt: number;
}

export type SlippageVerdict =
  | { verdict: 'pass'; points: number; price: number }
  | { verdict: 'refuse'; points: number; price: number; reason: string }
  /** No fresh slave quote: the EA checks against its own fresh tick before sending. */
  | { verdict: 'defer'; reason: string };

export interface SlippageInput {
  side: Side;
  masterPrice: number;
  quote?: Quote;
  point?: number;
  tolerancePoints: number;
  now: number;
  maxAgeMs: number;
}

/** |slave price - master fill| / slave point <= tolerance, with ask for buys and bid for sells. */
export function checkSlippage(i: SlippageInput): SlippageVerdict {
  if (!i.quote) return { verdict: 'defer', reason: 'no slave quote yet; the EA checks deviation itself' };
  if (!(i.point && i.point > 0)) return { verdict: 'defer', reason: 'slave point unknown; the EA checks deviation itself' };
  const age = i.now - i.quote.receivedAt;
  if (age > i.maxAgeMs) return { verdict: 'defer', reason: `slave quote is ${age} ms old; the EA checks deviation itself` };
  const price = i.side === 'buy' ? i.quote.ask : i.quote.bid;
  // Round away float noise so that exactly-at-tolerance passes.
  const points = Math.round((Math.abs(price - i.masterPrice) / i.point) * 1e6) / 1e6;
  if (points > i.tolerancePoints) {
    return {
      verdict: 'refuse',
      points,
      price,
      reason: `price moved ${points} points (slave ${i.side === 'buy' ? 'ask' : 'bid'} ${price} vs master fill ${i.masterPrice}), tolerance ${i.tolerancePoints}`,
    };
  }
  return { verdict: 'pass', points, price };
}

export function normalizePrice(price: number, digits: number | undefined): number {
  if (!price || digits === undefined) return price;
  return Number(price.toFixed(digits));
}
