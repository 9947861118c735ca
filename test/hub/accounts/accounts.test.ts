import { checkAmong, SAMPLE_ACCOUNTS, validateAccount } from '../../../hub/accounts';
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

describe('settings that do not apply are refused (strict: what an operator gives)', () => {
  const strict = (a: Record<string, unknown>) => () => validateAccount(a, { strict: true });
  const refusal = (a: Record<string, unknown>) => {
    try {
      validateAccount(a, { strict: true });
    } catch (e) {
      if (e instanceof AccountError) return `${e.message} | ${e.hint}`;
      throw e;
    }
    return 'accepted';
  };

  it("refuses a master with a slave's settings, naming them and how to remove them", () => {
    expect(refusal({ name: 'M', type: 'MASTER', follows: ['X'], volume_mode: 'fixed', volume_fixed: 0.1, protection: { max_positions: 1 } })).toBe(
      'account M: volume_mode, volume_fixed, follows, protection apply to slaves only, and M is a master (its positions are copied as they are; each slave\'s settings say how) | ' +
        'remove them with --unset volume_mode volume_fixed follows; npm run hub -- accounts protect M --off; or keep the account a slave (--type SLAVE)',
    );
    // What a master may have: its own symbol decoration, firm, path, the wind-down flags.
    expect(strict({ name: 'M', type: 'MASTER', suffix: '.r', prefix: 'x', firm: 'FTMO', path: 'C:\\mt5', close_only: true, enabled: false })()).toMatchObject({ name: 'M' });
    // Without strict (a record already stored), it still loads as before.
    expect(validateAccount({ name: 'M', type: 'MASTER', follows: ['X'], volume_mode: 'same' })).toEqual({ name: 'M', type: 'MASTER', enabled: true, volume_mode: 'same' });
  });

  it('refuses sizing and SL/TP values their mode does not use, with the mode that would', () => {
    expect(refusal({ name: 'S', type: 'SLAVE', volume_fixed: 0.1 })).toBe('account S: volume_fixed 0.1 does not apply: volume_mode is same | set --volume-mode fixed, or remove it with --unset volume_fixed');
    expect(refusal({ name: 'S', type: 'SLAVE', volume_mode: 'fixed', volume_fixed: 0.1, volume_multiplier: 2 })).toBe(
      'account S: volume_multiplier 2 does not apply: volume_mode is fixed | set --volume-mode multiplier (or equity, balance), or remove it with --unset volume_multiplier',
    );
    expect(refusal({ name: 'S', type: 'SLAVE', risk_percent: 1 })).toBe('account S: risk_percent 1 does not apply: volume_mode is same | set --volume-mode risk, or remove it with --unset risk_percent');
    expect(refusal({ name: 'S', type: 'SLAVE', risk_without_sl: 'same' })).toMatch(/^account S: risk_without_sl "same" does not apply: volume_mode is same \| set --volume-mode risk/);
    expect(refusal({ name: 'S', type: 'SLAVE', sltp_offset_points: 20 })).toBe('account S: sltp_offset_points 20 does not apply: sltp is copy | set --sltp offset, or remove it with --unset sltp_offset_points');
    expect(refusal({ name: 'S', type: 'SLAVE', volume_mode: 'risk', risk_percent: 1, volume_fixed: 0.1 })).toMatch(/volume_fixed 0\.1 does not apply: volume_mode is risk with risk_without_sl refuse/);
    expect(refusal({ name: 'S', type: 'SLAVE', master_offline_grace_ms: 1000 })).toBe(
      'account S: master_offline_grace_ms 1000 does not apply: master_offline is keep | set --master-offline close, or remove it with --unset master_offline_grace_ms',
    );
    // Used: the mode's own values, the risk fallback's, the multiplier of equity sizing.
    for (const ok of [
      { volume_mode: 'risk', risk_percent: 1, risk_without_sl: 'fixed', volume_fixed: 0.1 },
      { volume_mode: 'equity', volume_multiplier: 0.5 },
      { sltp: 'offset', sltp_offset_points: -5 },
      { master_offline: 'close', master_offline_grace_ms: 0 },
    ]) expect(strict({ name: 'S', type: 'SLAVE', ...ok })()).toMatchObject(ok);
  });

  it('judges a value against the overrides per master that use it', () => {
    // The slave's own volume_fixed is used by the override that sets fixed mode for M1.
    expect(strict({ name: 'S', type: 'SLAVE', volume_fixed: 0.2, masters: { M1: { volume_mode: 'fixed' } } })()).toMatchObject({ volume_fixed: 0.2 });
    expect(refusal({ name: 'S', type: 'SLAVE', masters: { M1: { volume_fixed: 0.2 } } })).toBe(
      'account S, settings for master M1: volume_fixed 0.2 does not apply: volume_mode is same | set --for-master M1 --volume-mode fixed, or remove it with --for-master M1 --unset volume_fixed',
    );
  });
});

describe('checkAmong: an account against the others', () => {
  const all = [
    validateAccount({ name: 'FTMO-1', type: 'MASTER' }),
    validateAccount({ name: 'FTMO-2', type: 'MASTER' }),
    validateAccount({ name: 'Apex-2', type: 'SLAVE' }),
  ];
  const refusal = (a: Record<string, unknown>, only?: string[]) => {
    try {
      checkAmong(validateAccount(a), all, only);
    } catch (e) {
      if (e instanceof AccountError) return `${e.message} | ${e.hint}`;
      throw e;
    }
    return 'accepted';
  };

  it('refuses following a name that is not a master, with the masters there are', () => {
    expect(refusal({ name: 'S', type: 'SLAVE', follows: ['FTMO-3'] })).toBe('account S follows FTMO-3, which is not a registered account | did you mean FTMO-1? the masters: FTMO-1, FTMO-2');
    expect(refusal({ name: 'S', type: 'SLAVE', follows: ['ftmo-1'] })).toBe('account S follows ftmo-1, which is not a registered account | did you mean FTMO-1? the masters: FTMO-1, FTMO-2');
    expect(refusal({ name: 'S', type: 'SLAVE', follows: ['FTMO-1', 'Apex-2'] })).toBe('account S follows Apex-2, which is a slave, not a master | the masters: FTMO-1, FTMO-2');
    expect(refusal({ name: 'S', type: 'SLAVE', masters: { Nope: { reverse: true } } })).toBe('account S has settings for master Nope, which is not a registered account | the masters: FTMO-1, FTMO-2');
    expect(refusal({ name: 'S', type: 'SLAVE', follows: ['FTMO-1', 'FTMO-2'] })).toBe('accepted');
    // `only`: an edit checks the names it gives, not one followed before and since removed.
    expect(refusal({ name: 'S', type: 'SLAVE', follows: ['Gone', 'FTMO-1'] }, ['FTMO-1'])).toBe('accepted');
  });

  it('refuses a name equal to another but for case', () => {
    expect(refusal({ name: 'apex-2', type: 'SLAVE' })).toBe('account apex-2: the name differs from the existing account Apex-2 only in case | use Apex-2 (npm run hub -- accounts set Apex-2 ...), or a name that differs in more than case');
    expect(refusal({ name: 'Apex-2', type: 'SLAVE' })).toBe('accepted');
  });
});
