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
    if (!r.ok) expect(r.reason).toBe('volume 0.004 (multiplier, x0.4 of 0.01) rounds to 0, below EURUSD.c minimum 0.01 (step 0.01)');
  });

  it('does not suffer float noise at step boundaries', () => {
    expect(floorToStep(0.3, 0.1)).toBe(0.3);
    expect(floorToStep(0.29999999999, 0.01)).toBe(0.3);
    expect(floorToStep(1.005, 0.01)).toBe(1);
    expect(floorToStep(7, 0.5)).toBe(7);
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
