import { SAMPLE_ACCOUNTS, validateAccount } from '../../../hub/accounts';
import { AccountError } from '../../../hub/errors';

describe('validateAccount', () => {
  it('normalises a minimal account', () => {
    expect(validateAccount({ name: 'Apex-1', type: 'slave' })).toEqual({ name: 'Apex-1', type: 'SLAVE', enabled: true });
  });
  it('accepts the samples', () => {
    for (const a of SAMPLE_ACCOUNTS) expect(validateAccount(a)).toEqual(a);
  });
  it.each([
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
