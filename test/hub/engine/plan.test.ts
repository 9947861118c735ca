import type { Account } from '../../../hub/accounts';
import { describePlan, planCopy, type PlanInput } from '../../../hub/engine/plan';
import { fx } from './harness';

const NOW = 1_700_000_000_000;
const master: Account = { name: 'M1', type: 'MASTER', enabled: true };
const slave: Account = { name: 'S1', type: 'SLAVE', enabled: true, suffix: '.c', slippage_tolerance: 20 };

const input = (extra: Partial<PlanInput> = {}): PlanInput => ({
  master, slave, symbol: 'EURUSD', side: 'buy', volume: 1, price: 1.1, sl: 0, tp: 0,
  slaveTerminal: { symbolNames: new Set(['EURUSD.c', 'GBPUSD.c']), symbols: new Map([['EURUSD.c', fx('EURUSD.c')], ['GBPUSD.c', fx('GBPUSD.c', { trade_mode: 'longonly' })]]) },
  config: { defaultSlippagePoints: 30, tickMaxAgeMs: 2000, maxDelayMs: 60_000 }, now: NOW, ...extra,
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

  it("refuses a master event older than the slave's max_delay_ms, with its age, as stale (boundary: equal passes)", () => {
    expect(planCopy(input({ eventAt: NOW - 60_000 }))).toMatchObject({ ok: true });
    expect(planCopy(input({ eventAt: NOW - 60_001 }))).toEqual({ ok: false, reason: 'master event 60001 ms ago, more than max_delay_ms 60000', stale: true });
    expect(reason(input({ eventAt: NOW - 600, slave: { ...slave, max_delay_ms: 500 } }))).toBe('master event 600 ms ago, more than max_delay_ms 500');
    expect(reason(input({ eventAt: NOW - 600, slave: { ...slave, max_delay_ms: 0 } }))).toBe('master event 600 ms ago, more than max_delay_ms 0');
  });

  it('asks the protection gate with the slave symbol and the sized lots, after sizing and before the price gate', () => {
    const asked: [string, number][] = [];
    const admit = (s: string, lots: number) => (asked.push([s, lots]), 'protection: max lots');
    expect(reason(input({ admit, slave: { ...slave, volume_mode: 'multiplier', volume_multiplier: 0.5 } }))).toBe('protection: max lots');
    expect(asked).toEqual([['EURUSD.c', 0.5]]);
    expect(reason(input({ admit, volume: 0.001 }))).toMatch(/^invalid volume/);
    expect(planCopy(input({ admit: () => undefined }))).toMatchObject({ ok: true });
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

describe('planCopy: copy policy', () => {
  it('reverses side and stops, and checks the trade mode against the copy side', () => {
    expect(planCopy(input({ slave: { ...slave, reverse: true }, sl: 1.09, tp: 1.12 }))).toMatchObject({ ok: true, side: 'sell', reversed: true, stops: { sl: 1.12, tp: 1.09 } });
    // GBPUSD.c is long only: a master sell reversed is a buy there.
    expect(reason(input({ slave: { ...slave, reverse: true }, symbol: 'GBPUSD', side: 'sell' }))).toBeUndefined();
    expect(reason(input({ slave: { ...slave, reverse: true }, symbol: 'GBPUSD', side: 'buy' }))).toBe('GBPUSD.c trade mode is longonly on S1');
    // An add follows its copy, not the setting.
    expect(planCopy(input({ slave: { ...slave, reverse: true }, increase: { reversed: false } }))).toMatchObject({ ok: true, side: 'buy', reversed: false });
  });

  it('refuses reverse copies between two prop-firm accounts unless allowed, and not otherwise', () => {
    const ftmo = { ...master, firm: 'FTMO' };
    expect(reason(input({ master: ftmo, slave: { ...slave, firm: 'The5ers', reverse: true } }))).toMatch(/^reverse copy between two prop-firm accounts \(M1 at FTMO, S1 at The5ers\)/);
    expect(reason(input({ master: ftmo, slave: { ...slave, firm: 'FTMO', reverse: true, allow_prop_reverse: true } }))).toBeUndefined();
    expect(reason(input({ master: ftmo, slave: { ...slave, reverse: true } }))).toBeUndefined();
    expect(reason(input({ master: ftmo, slave: { ...slave, firm: 'FTMO' } }))).toBeUndefined();
    expect(reason(input({ master: ftmo, slave: { ...slave, firm: 'FTMO', reverse: true }, increase: { reversed: true } }))).toBeUndefined();
  });

  it('filters before translation errors, marks the refusal filtered, and skips filters for an add', () => {
    expect(planCopy(input({ symbol: 'XAUUSD', slave: { ...slave, symbols_exclude: ['XAU*'] } }))).toEqual({ ok: false, reason: 'filtered: symbol XAUUSD is excluded by symbols_exclude XAU*', filtered: true });
    expect(planCopy(input({ slave: { ...slave, direction: 'sell' }, increase: {} }))).toMatchObject({ ok: true });
  });

  it('leaves SL/TP to the slave with sltp none, and needs the point for an offset', () => {
    const p = planCopy(input({ slave: { ...slave, sltp: 'none' }, sl: 1.09 }));
    expect(p).toMatchObject({ ok: true, stops: undefined });
    if (p.ok) expect(describePlan(p)).toMatch(/; SL\/TP left to the slave$/);
    const noSpecs = { symbolNames: new Set(['EURUSD.c']) };
    expect(reason(input({ slave: { ...slave, sltp: 'offset', sltp_offset_points: 10 }, slaveTerminal: noSpecs }))).toBe('sltp offset needs the point size of EURUSD.c on S1, which has not reported its symbols yet');
  });

  it('sizes by risk from the copy stop: the master TP for a reverse copy', () => {
    const t = { ...input().slaveTerminal, equity: 10_000, symbols: new Map([['EURUSD.c', fx('EURUSD.c', { tick_size: 0.00001, tick_value: 1 })]]) };
    const risky = { ...slave, volume_mode: 'risk' as const, risk_percent: 1 };
    expect(planCopy(input({ slave: risky, slaveTerminal: t, sl: 1.095, tp: 1.11 }))).toMatchObject({ ok: true, volume: 0.2 });
    expect(planCopy(input({ slave: { ...risky, reverse: true }, slaveTerminal: t, sl: 1.095, tp: 1.11 }))).toMatchObject({ ok: true, volume: 0.1 });
  });
});

describe('describePlan', () => {
  it('names symbol, lots, translation, sizing and gate', () => {
    const p = planCopy(input({ slave: { ...slave, volume_mode: 'multiplier', volume_multiplier: 0.5 } }));
    if (!p.ok) throw new Error(p.reason);
    expect(describePlan(p)).toBe('EURUSD.c 0.5 lots (affix, x0.5; no slave quote yet; the EA checks deviation itself)');
  });
});
