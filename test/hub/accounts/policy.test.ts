import { loadAccounts, validateAccount, type Account } from '../../../hub/accounts';
import { effective, linkPolicy } from '../../../hub/accounts/policy';
import { AccountError } from '../../../hub/errors';

const slave = (extra: Record<string, unknown>) => ({ name: 'S', type: 'SLAVE', ...extra });
const error = (input: unknown): AccountError => {
  try {
    validateAccount(input);
  } catch (e) {
    return e as AccountError;
  }
  throw new Error('no error');
};

describe('copy policy validation', () => {
  it('takes every setting, from values or from CLI strings', () => {
    expect(
      validateAccount(slave({
        volume_mode: 'risk', risk_percent: '1.5', risk_without_sl: 'fixed', volume_fixed: '0.1', symbol_multipliers: { XAUUSD: '0.5', 'US30*': 0.1 },
        force_min_lot: 'true', max_lot: '5', symbols_include: 'XAUUSD, US30*', symbols_exclude: ['EURUSD,GBPUSD'], magic_include: '0,20250', magic_exclude: [7],
        comment_contains: 'scalp', comment_regex: '^s\\d+', direction: 'buy', sltp: 'offset', sltp_offset_points: '-20', reverse: 'false', allow_prop_reverse: true, firm: ' FTMO ',
      })),
    ).toEqual({
      name: 'S', type: 'SLAVE', enabled: true, volume_mode: 'risk', risk_percent: 1.5, risk_without_sl: 'fixed', volume_fixed: 0.1, symbol_multipliers: { XAUUSD: 0.5, 'US30*': 0.1 },
      force_min_lot: true, max_lot: 5, symbols_include: ['XAUUSD', 'US30*'], symbols_exclude: ['EURUSD', 'GBPUSD'], magic_include: [0, 20250], magic_exclude: [7],
      comment_contains: 'scalp', comment_regex: '^s\\d+', direction: 'buy', sltp: 'offset', sltp_offset_points: -20, reverse: false, allow_prop_reverse: true, firm: 'FTMO',
    });
  });

  it.each([
    [{ volume_mode: 'lots' }, /volume_mode must be one of same, multiplier, fixed, equity, balance, risk, got "lots"/, /--volume-mode/],
    [{ volume_mode: 'risk' }, /volume_mode risk needs risk_percent/, /--risk-percent 1/],
    [{ volume_mode: 'risk', risk_percent: 0 }, /risk_percent must be a percent above 0 and at most 100, got 0/, /--risk-percent/],
    [{ volume_mode: 'risk', risk_percent: 100.01 }, /risk_percent must be a percent above 0 and at most 100/, /--risk-percent/],
    [{ volume_mode: 'risk', risk_percent: 1, risk_without_sl: 'multiplier' }, /risk_without_sl multiplier needs volume_multiplier/, /--volume-multiplier/],
    [{ risk_without_sl: 'skip' }, /risk_without_sl must be one of refuse, same, multiplier, fixed, equity, balance/, /--risk-without-sl refuse/],
    [{ max_lot: 0 }, /max_lot must be a number > 0, got 0/, /--max-lot 5/],
    [{ max_lot: true }, /max_lot must be a number > 0, got true/, /--max-lot/],
    [{ force_min_lot: 'yes' }, /force_min_lot must be true or false, got "yes"/, /--force-min-lot true/],
    [{ symbol_multipliers: { XAUUSD: -1 } }, /symbol_multipliers entry "XAUUSD": -1 must be a symbol \(or pattern\) and a number > 0/, /--symbol-multiplier XAUUSD=0.5/],
    [{ symbol_multipliers: ['x'] }, /symbol_multipliers must be an object/, /--symbol-multiplier/],
    [{ symbols_include: ['EUR USD'] }, /symbols_include must be a list of at most 200 symbols or patterns/, /--symbols-include XAUUSD,US30\*/],
    [{ magic_exclude: '1,x' }, /magic_exclude must be a list of at most 200 whole numbers/, /--magic-exclude 0,20250/],
    [{ comment_regex: '(' }, /comment_regex "\(" is not a regular expression/, /--comment-regex/],
    [{ direction: 'long' }, /direction must be one of both, buy, sell, got "long"/, /--direction buy/],
    [{ sltp: 'keep' }, /sltp must be one of copy, none, offset/, /--sltp offset/],
    [{ sltp: 'offset' }, /sltp offset needs sltp_offset_points/, /--sltp-offset-points 50/],
    [{ sltp_offset_points: 2e6 }, /sltp_offset_points must be a number of points from -1000000 to 1000000/, /--sltp-offset-points/],
    [{ firm: 7 }, /firm must be a name of at most 64 characters/, /--firm FTMO/],
    [{ volume_multipler: 2 }, /unknown field "volume_multipler"/, /did you mean volume_multiplier\?/],
  ])('refuses %j saying what to fix', (extra, message, hint) => {
    const e = error(slave(extra));
    expect(e).toBeInstanceOf(AccountError);
    expect(e.message).toMatch(message);
    expect(e.hint).toMatch(hint);
  });

  it('validates overrides per master, each merged with the slave settings', () => {
    const a = validateAccount(slave({ volume_mode: 'multiplier', volume_multiplier: 2, masters: { M1: { volume_mode: 'fixed', volume_fixed: '0.1' }, M2: { reverse: true } } }));
    expect(a.masters).toEqual({ M1: { volume_mode: 'fixed', volume_fixed: 0.1 }, M2: { reverse: true } });
    expect(linkPolicy(a, 'M1')).toMatchObject({ volume_mode: 'fixed', volume_fixed: 0.1, volume_multiplier: 2 });
    expect(linkPolicy(a, 'M2')).toMatchObject({ volume_mode: 'multiplier', reverse: true });
    expect(linkPolicy(a, 'M3')).toBe(a);
    // The override alone is incomplete, merged it is fine (multiplier from the slave).
    expect(() => validateAccount(slave({ volume_multiplier: 2, masters: { M1: { volume_mode: 'multiplier' } } }))).not.toThrow();
    expect(error(slave({ masters: { M1: { volume_mode: 'fixed' } } })).message).toBe('account S, settings for master M1: volume_mode fixed needs volume_fixed (lots)');
    expect(error(slave({ masters: { M1: { suffix: '.c' } } })).message).toBe('account S, settings for master M1: suffix cannot be set per master');
    expect(error(slave({ masters: { 'bad name': {} } })).message).toMatch(/masters key "bad name" is not an account name/);
    expect(error(slave({ masters: { M1: 3 } })).hint).toMatch(/--for-master M1/);
  });

  it('marks defaults', () => {
    const a = validateAccount(slave({ max_lot: 2 }));
    expect(effective(a, 'max_lot')).toEqual({ value: 2, isDefault: false });
    expect(effective(a, 'sltp')).toEqual({ value: 'copy', isDefault: true });
    expect(effective(a, 'force_min_lot')).toEqual({ value: false, isDefault: true });
  });
});

describe('loadAccounts', () => {
  it('skips an invalid record read from the store, or keeps its last valid version, and says why', () => {
    const good: Account = { name: 'A', type: 'SLAVE', enabled: true, max_lot: 1 };
    const first = loadAccounts([good, { name: 'B', type: 'SLAVE', max_lot: -1 }]);
    expect(first.accounts.map((a) => a.name)).toEqual(['A']);
    expect(first.errors).toEqual([{ name: 'B', error: expect.any(AccountError), kept: false }]);
    expect(first.errors[0].error.message).toMatch(/max_lot must be a number > 0, got -1/);
    const second = loadAccounts([{ ...good, volume_mode: 'banana' }], first.accounts);
    expect(second.accounts).toEqual([good]);
    expect(second.errors[0]).toMatchObject({ name: 'A', kept: true });
  });
});
