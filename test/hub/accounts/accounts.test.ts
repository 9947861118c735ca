import { SAMPLE_ACCOUNTS, validateAccount } from '../../../hub/accounts';
import { AccountError } from '../../../hub/errors';

describe('validateAccount', () => {
  it('normalises a minimal account', () => {
    expect(validateAccount({ name: 'Apex-1', type: 'slave' })).toEqual({ name: 'Apex-1', type: 'SLAVE', enabled: true });
  });
  it('accepts the samples', () => {
    for (const a of SAMPLE_ACCOUNTS) expect(validateAccount(a)).toEqual(a);
  });
  it('takes the wind-down and delay settings, from values or from flag strings', () => {
    expect(validateAccount({ name: 'A', type: 'SLAVE', close_only: 'true', max_delay_ms: '60000', master_offline: 'close', master_offline_grace_ms: 0 })).toEqual({
      name: 'A', type: 'SLAVE', enabled: true, close_only: true, max_delay_ms: 60_000, master_offline: 'close', master_offline_grace_ms: 0,
    });
    expect(validateAccount({ name: 'A', type: 'MASTER', close_only: false })).toEqual({ name: 'A', type: 'MASTER', enabled: true, close_only: false });
  });
  it.each([
    [{ name: 'A', type: 'SLAVE', close_only: 'yes' }, /close_only must be true or false, got "yes"/],
    [{ name: 'A', type: 'SLAVE', max_delay_ms: -1 }, /max_delay_ms must be a whole number of milliseconds from 0 to 86400000, got -1/],
    [{ name: 'A', type: 'SLAVE', max_delay_ms: '1e3' }, /max_delay_ms must be a whole number/],
    [{ name: 'A', type: 'SLAVE', master_offline_grace_ms: 86_400_001 }, /master_offline_grace_ms must be a whole number/],
    [{ name: 'A', type: 'SLAVE', master_offline: 'drop' }, /master_offline must be keep or close, got "drop"/],
    [{ name: 'bad name!', type: 'SLAVE' }, /name "bad name!" is invalid/],
    [{ name: 'A', type: 'OBSERVER' }, /type must be MASTER or SLAVE/],
    [{ name: 'A', type: 'SLAVE', volume_mode: 'martingale' }, /volume_mode must be one of/],
    [{ name: 'A', type: 'SLAVE', volume_mode: 'multiplier' }, /needs volume_multiplier/],
    [{ name: 'A', type: 'SLAVE', volume_mode: 'fixed', volume_fixed: -1 }, /volume_fixed must be a number > 0/],
    [{ name: 'A', type: 'SLAVE', symbol_map: { XAUUSD: '' } }, /symbol_map entry "XAUUSD"/],
    [{ name: 'A', type: 'SLAVE', slippage_tolerance: -3 }, /slippage_tolerance/],
    [{ name: 'A', type: 'SLAVE', follows: ['ok', 'not ok'] }, /follows must be a list/],
  ])('rejects %j', (input, re) => {
    expect(() => validateAccount(input)).toThrow(AccountError);
    expect(() => validateAccount(input)).toThrow(re);
  });
});
