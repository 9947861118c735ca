import { validateAccount } from '../../../hub/accounts';
import { parseAmount, PRESETS, presetNamed, validateProtection, validateSchedule } from '../../../hub/accounts/protection';
import { isZone } from '../../../hub/engine/schedule';

const slave = { name: 'S1', type: 'SLAVE' };

describe('protection settings', () => {
  it('are validated and normalised on the account', () => {
    const a = validateAccount({
      ...slave,
      protection: { preset: 'FTMO', daily_loss: '4%', max_drawdown: 8000, reset_time: '7:05', max_positions: '5', max_lots: 2.5, action: 'close_all', initial_balance: '100000' },
      schedule: { zone: 'Europe/London', windows: ['mon-fri 08:00-17:00'], blackouts: 'false' },
    });
    expect(a.protection).toEqual({
      preset: 'ftmo', daily_loss: { value: 4, unit: 'percent' }, max_drawdown: { value: 8000, unit: 'money' }, reset_time: '07:05', max_positions: 5, max_lots: 2.5, action: 'close_all', initial_balance: 100_000,
    });
    expect(a.schedule).toEqual({ zone: 'Europe/London', windows: ['mon-fri 08:00-17:00'], blackouts: false });
    expect(validateAccount({ ...slave, protection: {}, schedule: { windows: [] } })).toEqual({ name: 'S1', type: 'SLAVE', enabled: true });
  });

  it.each([
    [{ daily_loss: '5 percent' }, 'account S1: protection daily_loss must be money (2500) or a percent (5%), got "5 percent"', 'e.g. --daily-loss 5% or --daily-loss 2500'],
    [{ daily_loss: '100%' }, 'account S1: protection daily_loss must be more than 0 and less than 100%, got "100%"', 'e.g. --daily-loss 5% or --daily-loss 2500'],
    [{ daily_loss: 0 }, 'account S1: protection daily_loss must be more than 0, got 0', undefined],
    [{ reset_zone: 'CET+1' }, 'account S1: protection reset_zone "CET+1" is not an IANA time zone', 'e.g. --reset-zone Europe/Prague, --reset-zone America/New_York or --reset-zone UTC'],
    [{ reset_time: '24:00' }, 'account S1: protection reset_time must be HH:MM from 00:00 to 23:59, got "24:00"', 'e.g. --reset-time 17:00 --reset-zone America/New_York'],
    [{ drawdown_mode: 'trailing' }, 'account S1: protection drawdown_mode must be one of static, trailing_eod, trailing_equity, got "trailing"', 'e.g. --drawdown-mode trailing_eod'],
    [{ max_positions: 2.5 }, 'account S1: protection max_positions must be a whole number > 0, got 2.5', 'e.g. --max-positions 10'],
    [{ action: 'close' }, 'account S1: protection action must be one of block, close_all, got "close"', 'e.g. --on-limit close_all'],
    [{ preset: 'apex' }, 'no protection preset named "apex"', 'use one of: ftmo, ftmo-1step, the5ers, fundednext'],
  ])('refuses %j saying how to fix it', (protection, message, hint) => {
    try {
      validateAccount({ ...slave, protection });
      throw new Error('accepted');
    } catch (e) {
      expect((e as Error).message).toBe(message);
      if (hint) expect((e as { hint?: string }).hint).toBe(hint);
    }
  });

  it('refuses bad schedules saying how to fix them', () => {
    expect(() => validateSchedule({ windows: ['weekdays'] }, 'account S1')).toThrow('account S1: schedule window "weekdays" is not DAYS HH:MM-HH:MM');
    expect(() => validateSchedule({ zone: 'Europe/Praha' }, 'account S1')).toThrow('account S1: schedule zone "Europe/Praha" is not an IANA time zone');
    expect(() => validateSchedule({ blackouts: 'maybe' }, 'account S1')).toThrow('schedule blackouts must be true or false, got "maybe"');
    expect(() => validateProtection('5%', 'account S1')).toThrow('account S1: protection must be an object');
  });

  it('reads amounts as money or percent', () => {
    expect(parseAmount('5%', 'x', '')).toEqual({ value: 5, unit: 'percent' });
    expect(parseAmount(' 2.5 % ', 'x', '')).toEqual({ value: 2.5, unit: 'percent' });
    expect(parseAmount('2500', 'x', '')).toEqual({ value: 2500, unit: 'money' });
    expect(parseAmount({ value: 3, unit: 'percent' }, 'x', '')).toEqual({ value: 3, unit: 'percent' });
  });
});

describe('presets', () => {
  it('carry a source, the date they were checked and a note, in zones the runtime knows', () => {
    for (const p of PRESETS) {
      expect(p.source).toMatch(/prop-firms\.md/);
      expect(p.checked).toBe('2026-12');
      expect(p.note.length).toBeGreaterThan(20);
      expect(isZone(p.protection.reset_zone!)).toBe(true);
      expect(validateProtection(p.protection, p.name)).toEqual(p.protection);
    }
    expect(presetNamed('FTMO').protection).toMatchObject({ reset_zone: 'Europe/Prague', daily_basis: 'balance', daily_loss: { value: 5, unit: 'percent' } });
    expect(presetNamed('the5ers').protection).toMatchObject({ reset_time: '17:00', reset_zone: 'America/New_York', daily_basis: 'balance_or_equity' });
  });
});
