import { closeVolume, floorToStep, sizeVolume } from '../../../hub/engine';

const fx = { name: 'EURUSD.c', volume_min: 0.01, volume_step: 0.01, volume_max: 50, contract_size: 100000 };

describe('sizeVolume', () => {
  it('copies 1:1 by default', () => {
    expect(sizeVolume({ masterVolume: 0.5, account: { name: 'S' }, slaveSpec: fx })).toMatchObject({ ok: true, volume: 0.5 });
  });

  it('applies a multiplier and rounds down to the step', () => {
    expect(sizeVolume({ masterVolume: 0.35, account: { name: 'S', volume_mode: 'multiplier', volume_multiplier: 0.5 }, slaveSpec: fx })).toMatchObject({ ok: true, volume: 0.17 });
  });

  it('uses fixed lots regardless of the master volume', () => {
    expect(sizeVolume({ masterVolume: 3, account: { name: 'S', volume_mode: 'fixed', volume_fixed: 0.2 }, slaveSpec: fx })).toMatchObject({ ok: true, volume: 0.2 });
  });

  it('sizes by equity ratio, and refuses without equities', () => {
    expect(sizeVolume({ masterVolume: 1, account: { name: 'S', volume_mode: 'equity' }, slaveSpec: fx, masterEquity: 200000, slaveEquity: 50000 })).toMatchObject({ ok: true, volume: 0.25 });
    expect(sizeVolume({ masterVolume: 1, account: { name: 'S', volume_mode: 'equity' }, slaveSpec: fx })).toMatchObject({ ok: false });
  });

  it('normalises by contract size when both are known', () => {
    const gold100 = { contract_size: 100 };
    const gold10 = { name: 'GOLD', volume_min: 0.01, volume_step: 0.01, volume_max: 100, contract_size: 10 };
    expect(sizeVolume({ masterVolume: 0.3, account: { name: 'S' }, slaveSpec: gold10, masterSpec: gold100 })).toMatchObject({ ok: true, volume: 3 });
    expect(sizeVolume({ masterVolume: 0.3, account: { name: 'S', normalize_contract_size: false }, slaveSpec: gold10, masterSpec: gold100 })).toMatchObject({ ok: true, volume: 0.3 });
  });

  it('clamps to the maximum', () => {
    expect(sizeVolume({ masterVolume: 80, account: { name: 'S' }, slaveSpec: fx })).toMatchObject({ ok: true, volume: 50 });
  });

  it('refuses below the minimum with the numbers', () => {
    const r = sizeVolume({ masterVolume: 0.01, account: { name: 'S', volume_mode: 'multiplier', volume_multiplier: 0.4 }, slaveSpec: fx });
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.reason).toBe('volume 0.004 (multiplier, x0.4 of 0.01) rounds to 0, below EURUSD.c minimum 0.01 (step 0.01); to copy the minimum instead: --force-min-lot true');
  });

  it('does not suffer float noise at step boundaries', () => {
    expect(floorToStep(0.3, 0.1)).toBe(0.3);
    expect(floorToStep(0.29999999999, 0.01)).toBe(0.3);
    expect(floorToStep(1.005, 0.01)).toBe(1);
    expect(floorToStep(7, 0.5)).toBe(7);
  });
});

describe('sizeVolume: balance ratio, symbol multipliers, minimum and maximum lots', () => {
  it('sizes by balance ratio (with the multiplier), and refuses without balances', () => {
    expect(sizeVolume({ masterVolume: 1, account: { name: 'S', volume_mode: 'balance' }, slaveSpec: fx, masterBalance: 100_000, slaveBalance: 25_000 })).toMatchObject({ ok: true, volume: 0.25, note: 'balance ratio 0.2500' });
    expect(sizeVolume({ masterVolume: 1, account: { name: 'S', volume_mode: 'balance', volume_multiplier: 2 }, slaveSpec: fx, masterBalance: 100_000, slaveBalance: 25_000 })).toMatchObject({ ok: true, volume: 0.5 });
    // Equity is not balance: a balance mode ignores the equities.
    const r = sizeVolume({ masterVolume: 1, account: { name: 'S', volume_mode: 'balance' }, slaveSpec: fx, masterEquity: 1, slaveEquity: 1 });
    expect(r).toMatchObject({ ok: false, reason: 'balance sizing needs both balances (master unknown, S unknown); wait for heartbeats' });
  });

  it('applies the multiplier of the master symbol: an exact entry, else the longest matching pattern', () => {
    const account = { name: 'S', symbol_multipliers: { XAUUSD: 0.5, 'XAU*': 0.2, '*': 3, 'US30?': 0.1 } };
    expect(sizeVolume({ masterVolume: 1, account, masterSymbol: 'XAUUSD', slaveSpec: fx })).toMatchObject({ ok: true, volume: 0.5, note: 'XAUUSD x0.5' });
    expect(sizeVolume({ masterVolume: 1, account, masterSymbol: 'xaueur', slaveSpec: fx })).toMatchObject({ ok: true, volume: 0.2, note: 'XAU* x0.2' });
    expect(sizeVolume({ masterVolume: 1, account, masterSymbol: 'US30c', slaveSpec: fx })).toMatchObject({ ok: true, volume: 0.1 });
    expect(sizeVolume({ masterVolume: 1, account, masterSymbol: 'EURUSD', slaveSpec: fx })).toMatchObject({ ok: true, volume: 3 });
    expect(sizeVolume({ masterVolume: 1, account: { name: 'S', symbol_multipliers: { GBPUSD: 2 } }, masterSymbol: 'EURUSD', slaveSpec: fx })).toMatchObject({ ok: true, volume: 1, note: undefined });
    // With fixed lots too: the factor scales what the mode gives.
    expect(sizeVolume({ masterVolume: 9, account: { name: 'S', volume_mode: 'fixed', volume_fixed: 0.4, symbol_multipliers: { EURUSD: 0.5 } }, masterSymbol: 'EURUSD', slaveSpec: fx })).toMatchObject({ ok: true, volume: 0.2 });
  });

  it('clamps to max_lot, at and around the boundary', () => {
    const account = { name: 'S', max_lot: 0.3 };
    expect(sizeVolume({ masterVolume: 0.3, account, slaveSpec: fx })).toMatchObject({ ok: true, volume: 0.3, note: undefined });
    expect(sizeVolume({ masterVolume: 0.31, account, slaveSpec: fx })).toMatchObject({ ok: true, volume: 0.3, note: 'clamped to max_lot 0.3' });
    expect(sizeVolume({ masterVolume: 0.29, account, slaveSpec: fx })).toMatchObject({ ok: true, volume: 0.29 });
    // The symbol's own maximum still applies under a larger max_lot.
    expect(sizeVolume({ masterVolume: 80, account: { name: 'S', max_lot: 60 }, slaveSpec: fx })).toMatchObject({ ok: true, volume: 50 });
  });

  it('refuses below the minimum unless force_min_lot, which copies the minimum', () => {
    const at = (masterVolume: number, extra = {}) => sizeVolume({ masterVolume, account: { name: 'S', volume_mode: 'multiplier', volume_multiplier: 0.1, ...extra }, slaveSpec: fx });
    expect(at(0.1)).toMatchObject({ ok: true, volume: 0.01 });
    expect(at(0.09)).toMatchObject({ ok: false });
    expect(at(0.09, { force_min_lot: false })).toMatchObject({ ok: false });
    expect(at(0.09, { force_min_lot: true })).toMatchObject({ ok: true, volume: 0.01, note: 'x0.1, raised to minimum 0.01 (force_min_lot)' });
    expect(at(0.001, { force_min_lot: true, max_lot: 0.005 })).toMatchObject({ ok: false, reason: expect.stringMatching(/max_lot 0.005 is below the minimum too$/) });
  });
});

describe('sizeVolume: risk percent from the slave symbol tick value and tick size', () => {
  const risk = (spec: Record<string, unknown>, equity: number, pct: number, price: number, stop: number, extra = {}) =>
    sizeVolume({
      masterVolume: 1, account: { name: 'S', volume_mode: 'risk', risk_percent: pct, ...extra },
      slaveSpec: { name: 'X', volume_min: 0.01, volume_step: 0.01, volume_max: 100, contract_size: 1, ...spec }, slaveEquity: equity, risk: { price, stop },
    });

  it('FX: 1% of 10000 with a 50 pip stop on EURUSD (tick 0.00001 worth 1 USD) is 0.2 lots', () => {
    expect(risk({ tick_size: 0.00001, tick_value: 1, contract_size: 100000 }, 10_000, 1, 1.1, 1.095)).toMatchObject({ ok: true, volume: 0.2 });
    // The stop on the other side (a sell) is the same distance.
    expect(risk({ tick_size: 0.00001, tick_value: 1, contract_size: 100000 }, 10_000, 1, 1.1, 1.105)).toMatchObject({ ok: true, volume: 0.2 });
  });

  it('FX with a quote currency other than the account: USDJPY tick 0.001 worth 0.6667 USD', () => {
    // 500 ticks x 0.6667 = 333.35 per lot; 100 / 333.35 = 0.29998 -> 0.29 (rounded down, never sized up)
    expect(risk({ tick_size: 0.001, tick_value: 0.6667 }, 10_000, 1, 150, 149.5)).toMatchObject({ ok: true, volume: 0.29 });
  });

  it('gold: 0.5% of 50000 with a 10 dollar stop on XAUUSD (tick 0.01 worth 1) is 0.25 lots', () => {
    expect(risk({ tick_size: 0.01, tick_value: 1, contract_size: 100 }, 50_000, 0.5, 2385.5, 2375.5)).toMatchObject({ ok: true, volume: 0.25 });
  });

  it('index: 2% of 20000 with a 100 point stop on US30 (tick 0.01 worth 0.01) is 4 lots; DE40 with tick size 0.5 above its point', () => {
    expect(risk({ tick_size: 0.01, tick_value: 0.01 }, 20_000, 2, 39120.5, 39020.5)).toMatchObject({ ok: true, volume: 4 });
    expect(risk({ tick_size: 0.5, tick_value: 0.5, volume_step: 0.1, volume_min: 0.1 }, 10_000, 1, 18000, 17950)).toMatchObject({ ok: true, volume: 2 });
  });

  it('rounds down to the step and refuses below the minimum (boundaries)', () => {
    // Exactly the minimum: 1% of 1000 = 10; 1000 ticks x 1 = 1000 per lot -> 0.01.
    expect(risk({ tick_size: 0.00001, tick_value: 1 }, 1000, 1, 1.1, 1.09)).toMatchObject({ ok: true, volume: 0.01 });
    expect(risk({ tick_size: 0.00001, tick_value: 1 }, 999, 1, 1.1, 1.09)).toMatchObject({ ok: false });
    expect(risk({ tick_size: 0.00001, tick_value: 1 }, 999, 1, 1.1, 1.09, { force_min_lot: true })).toMatchObject({ ok: true, volume: 0.01 });
    expect(risk({ tick_size: 0.00001, tick_value: 1 }, 10_000, 100, 1.1, 1.09)).toMatchObject({ ok: true, volume: 10 });
  });

  it('refuses what it cannot compute, saying what to do', () => {
    expect(risk({}, 10_000, 1, 1.1, 1.09)).toMatchObject({ ok: false, reason: expect.stringMatching(/tick value and tick size of X on S \(got none \/ none\); update the EA on S/) });
    expect(risk({ tick_size: 0.00001, tick_value: 1 }, 0, 1, 1.1, 1.09)).toMatchObject({ ok: false, reason: expect.stringMatching(/equity of S \(unknown\)/) });
    expect(risk({ tick_size: 0.00001, tick_value: 1 }, 10_000, 1, 1.1, 1.1)).toMatchObject({ ok: false, reason: expect.stringMatching(/stop loss 1.1 is at the entry price/) });
  });

  it('without a stop loss: refuses by default, or sizes by the fallback mode', () => {
    const spec = { tick_size: 0.00001, tick_value: 1 };
    expect(risk(spec, 10_000, 1, 1.1, 0)).toMatchObject({ ok: false, reason: expect.stringMatching(/needs a stop loss and the master position has none; .*--risk-without-sl same/) });
    expect(risk(spec, 10_000, 1, 1.1, 0, { risk_without_sl: 'refuse' })).toMatchObject({ ok: false });
    expect(risk(spec, 10_000, 1, 1.1, 0, { risk_without_sl: 'same' })).toMatchObject({ ok: true, volume: 1, note: 'no stop loss: same' });
    expect(risk(spec, 10_000, 1, 1.1, 0, { risk_without_sl: 'fixed', volume_fixed: 0.05 })).toMatchObject({ ok: true, volume: 0.05 });
    expect(risk(spec, 10_000, 1, 1.1, 0, { risk_without_sl: 'multiplier', volume_multiplier: 0.3 })).toMatchObject({ ok: true, volume: 0.3 });
  });
});

describe('closeVolume', () => {
  it('closes the same fraction of the copy', () => {
    expect(closeVolume(1, 0.5, 1.5, fx)).toBe(0.25);
  });
  it('closes everything when the master closed everything', () => {
    expect(closeVolume(0.37, 2, 0, fx)).toBe(0.37);
  });
  it('closes everything when the rest would be below the minimum', () => {
    expect(closeVolume(0.02, 0.9, 0.1, fx)).toBe(0.02);
  });
  it('returns 0 when the fraction is below one step', () => {
    expect(closeVolume(0.01, 0.1, 0.9, fx)).toBe(0);
  });
});
