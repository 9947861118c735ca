import { checkSlippage } from '../../../hub/engine';

const now = 1_000_000;
const quote = { bid: 1.1, ask: 1.1002, receivedAt: now - 100 };

describe('checkSlippage', () => {
  it('uses the ask for buys and the bid for sells', () => {
    expect(checkSlippage({ side: 'buy', masterPrice: 1.1, quote, point: 0.00001, tolerancePoints: 20, now, maxAgeMs: 5000 })).toMatchObject({ verdict: 'pass', points: 20, price: 1.1002 });
    expect(checkSlippage({ side: 'sell', masterPrice: 1.1, quote, point: 0.00001, tolerancePoints: 0, now, maxAgeMs: 5000 })).toMatchObject({ verdict: 'pass', points: 0, price: 1.1 });
  });

  it('refuses beyond the tolerance and says by how much', () => {
    const r = checkSlippage({ side: 'buy', masterPrice: 1.1, quote, point: 0.00001, tolerancePoints: 19, now, maxAgeMs: 5000 });
    expect(r).toMatchObject({ verdict: 'refuse', points: 20 });
    if (r.verdict === 'refuse') expect(r.reason).toBe('price moved 20 points (slave ask 1.1002 vs master fill 1.1), tolerance 19');
  });

  it('leaves the check to the EA without a fresh quote', () => {
    expect(checkSlippage({ side: 'buy', masterPrice: 1.1, point: 0.00001, tolerancePoints: 5, now, maxAgeMs: 5000 }).verdict).toBe('defer');
    expect(checkSlippage({ side: 'buy', masterPrice: 1.1, quote: { ...quote, receivedAt: now - 6000 }, point: 0.00001, tolerancePoints: 5, now, maxAgeMs: 5000 }).verdict).toBe('defer');
    expect(checkSlippage({ side: 'buy', masterPrice: 1.1, quote, tolerancePoints: 5, now, maxAgeMs: 5000 }).verdict).toBe('defer');
  });
});
