import type { Account } from '../../../hub/accounts';
import { describePlan, planCopy, type PlanInput } from '../../../hub/engine/plan';
import { fx } from './harness';

const NOW = 1_700_000_000_000;
const master: Account = { name: 'M1', type: 'MASTER', enabled: true };
const slave: Account = { name: 'S1', type: 'SLAVE', enabled: true, suffix: '.c', slippage_tolerance: 20 };

const input = (extra: Partial<PlanInput> = {}): PlanInput => ({
  master, slave, symbol: 'EURUSD', side: 'buy', volume: 1, price: 1.1, sl: 0, tp: 0,
  slaveTerminal: { symbolNames: new Set(['EURUSD.c', 'GBPUSD.c']), symbols: new Map([['EURUSD.c', fx('EURUSD.c')], ['GBPUSD.c', fx('GBPUSD.c', { trade_mode: 'longonly' })]]) },
  config: { defaultSlippagePoints: 30, tickMaxAgeMs: 2000 }, now: NOW, ...extra,
});
const reason = (i: PlanInput) => {
  const p = planCopy(i);
  return p.ok ? undefined : p.reason;
};

describe('planCopy', () => {
  it('translates, sizes and gates a copy', () => {
    expect(planCopy(input())).toEqual({
      ok: true, symbol: 'EURUSD.c', via: 'affix', side: 'buy', reversed: false, stops: { sl: 0, tp: 0 }, spec: fx('EURUSD.c'), volume: 1, note: undefined, tolerance: 20,
      gate: 'no slave quote yet; the EA checks deviation itself',
    });
  });

  it('refuses a disabled slave, an unknown symbol and a side the trade mode forbids', () => {
    expect(reason(input({ slave: { ...slave, enabled: false } }))).toBe('slave S1 is disabled');
    expect(reason(input({ symbol: 'XAUUSD' }))).toMatch(/^unknown symbol: XAUUSD.c \(prefix\/suffix applied to XAUUSD\) is not offered/);
    expect(reason(input({ symbol: 'GBPUSD', side: 'sell' }))).toBe('GBPUSD.c trade mode is longonly on S1');
    expect(reason(input({ symbol: 'GBPUSD', side: 'buy' }))).toBeUndefined();
  });

  it("asks the caller's veto with the slave symbol, before sizing", () => {
    const asked: string[] = [];
    const veto = (s: string) => (asked.push(s), 'netting conflict');
    expect(reason(input({ veto, volume: 0.001 }))).toBe('netting conflict');
    expect(asked).toEqual(['EURUSD.c']);
    expect(reason(input({ veto: () => undefined, volume: 0.001 }))).toMatch(/^invalid volume: volume 0.001 .* below EURUSD.c minimum 0.01/);
  });

  it('sizes from the master volume with both terminals known, noting how', () => {
    const p = planCopy(input({
      slave: { ...slave, volume_mode: 'equity' }, volume: 2,
      masterTerminal: { equity: 10_000 }, slaveTerminal: { ...input().slaveTerminal, equity: 5_000 },
    }));
    expect(p).toMatchObject({ ok: true, volume: 1, note: 'equity ratio 0.5000' });
  });

  it('refuses when a fresh slave quote moved past the tolerance, and says how far it is otherwise', () => {
    const quote = (ask: number, receivedAt = NOW) => ({ ...input().slaveTerminal, ticks: new Map([['EURUSD.c', { bid: ask - 0.0001, ask, receivedAt }]]) });
    expect(reason(input({ slaveTerminal: quote(1.1005) }))).toBe('slippage: price moved 50 points (slave ask 1.1005 vs master fill 1.1), tolerance 20');
    expect(planCopy(input({ slaveTerminal: quote(1.1001) }))).toMatchObject({ ok: true, gate: 'slippage 10 pts <= 20' });
    expect(planCopy(input({ slaveTerminal: quote(1.2, NOW - 5000) }))).toMatchObject({ ok: true, gate: 'slave quote is 5000 ms old; the EA checks deviation itself' });
    expect(planCopy(input({ slave: { ...slave, slippage_tolerance: undefined }, slaveTerminal: quote(1.1001) }))).toMatchObject({ tolerance: 30 });
  });
});

describe('describePlan', () => {
  it('names symbol, lots, translation, sizing and gate', () => {
    const p = planCopy(input({ slave: { ...slave, volume_mode: 'multiplier', volume_multiplier: 0.5 } }));
    if (!p.ok) throw new Error(p.reason);
    expect(describePlan(p)).toBe('EURUSD.c 0.5 lots (affix, x0.5; no slave quote yet; the EA checks deviation itself)');
  });
});
