import type { Protection } from '../../../hub/accounts/protection';
import { activeTrip, breach, exposureRefusal, floors, observe, rulesOf, tripUntil, watchesEquity, worthSaving, type GuardState } from '../../../hub/engine/guard';

const T = (iso: string) => Date.parse(iso);
const read = (at: string, balance: number, equity = balance) => ({ at: T(at), balance, equity });
const ftmo: Protection = { preset: 'ftmo', initial_balance: 100_000 };

describe('rules', () => {
  it('fill in defaults and take a preset under the account settings', () => {
    expect(rulesOf({})).toMatchObject({ dailyLossOf: 'anchor', basis: 'balance', reset: 0, zone: 'UTC', drawdownMode: 'static', action: 'block' });
    expect(rulesOf(ftmo)).toMatchObject({ dailyLoss: { value: 5, unit: 'percent' }, dailyLossOf: 'initial', zone: 'Europe/Prague', maxDrawdown: { value: 10, unit: 'percent' }, initial: 100_000 });
    expect(rulesOf({ ...ftmo, reset_zone: 'UTC', daily_loss: { value: 3000, unit: 'money' } })).toMatchObject({ zone: 'UTC', dailyLoss: { value: 3000, unit: 'money' } });
    expect(rulesOf({ preset: 'the5ers' })).toMatchObject({ basis: 'balance_or_equity', reset: 17 * 60, zone: 'America/New_York' });
    expect(watchesEquity(rulesOf({ max_positions: 3 }))).toBe(false);
    expect(watchesEquity(rulesOf(ftmo))).toBe(true);
  });
});

describe('the daily anchor', () => {
  const r = rulesOf(ftmo);

  it('is taken from the first reading, kept through the day, and taken again after the reset (midnight Prague)', () => {
    const s1 = observe(undefined, read('2026-01-15T09:00:00Z', 100_000, 99_500), r);
    expect(s1).toEqual({ day: T('2026-01-14T23:00:00Z'), anchor: 100_000, anchorAt: T('2026-01-15T09:00:00Z'), initial: 100_000, peak: 100_000 });
    const s2 = observe(s1, read('2026-01-15T22:59:59Z', 98_000, 97_000), r);
    expect(s2.anchor).toBe(100_000);
    const s3 = observe(s2, read('2026-01-15T23:00:00Z', 98_000, 97_000), r);
    expect(s3).toMatchObject({ day: T('2026-01-15T23:00:00Z'), anchor: 98_000 });
  });

  it('is the higher of balance and equity when the firm says so (The5ers, 17:00 New York)', () => {
    const r5 = rulesOf({ preset: 'the5ers' });
    expect(observe(undefined, read('2026-01-15T23:00:00Z', 100_000, 101_200), r5)).toMatchObject({ anchor: 101_200, day: T('2026-01-15T22:00:00Z') });
    expect(observe(undefined, read('2026-01-15T23:00:00Z', 100_000, 98_000), r5)).toMatchObject({ anchor: 100_000 });
  });

  it('takes the first balance seen as the initial balance when none is set', () => {
    const s = observe(undefined, read('2026-01-15T09:00:00Z', 50_000, 49_000), rulesOf({ daily_loss: { value: 5, unit: 'percent' } }));
    expect(s.initial).toBe(50_000);
    expect(observe(s, read('2026-01-16T09:00:00Z', 60_000), rulesOf({})).initial).toBe(50_000);
  });
});

describe('loss limits', () => {
  it('FTMO: trips at equity at or below the anchor less 5% of the initial balance, not a cent above', () => {
    const r = rulesOf(ftmo);
    const s = observe(undefined, read('2026-01-15T09:00:00Z', 102_000), r);
    expect(floors(s, r).daily?.floor).toBe(97_000);
    expect(breach(s, read('2026-01-15T10:00:00Z', 102_000, 97_000.01), r)).toBeUndefined();
    const trip = breach(s, read('2026-01-15T10:00:00Z', 102_000, 97_000), r)!;
    expect(trip).toMatchObject({ rule: 'daily_loss', equity: 97_000, balance: 102_000, floor: 97_000, day: s.day });
    expect(trip.reason).toBe(
      'daily loss limit: equity 97000.00 (balance 102000.00) at or below the floor 97000.00 = anchor 102000.00 (balance at the reset 2026-01-14T23:00:00.000Z) less 5% of initial 100000.00 = 5000.00',
    );
    expect(tripUntil(trip, r, 'S1')).toBe('until the next reset at 2026-01-15T23:00:00.000Z (00:00 Europe/Prague)');
  });

  it('percent of the anchor and money', () => {
    const pct = rulesOf({ daily_loss: { value: 4, unit: 'percent' } });
    expect(floors(observe(undefined, read('2026-01-15T09:00:00Z', 50_000), pct), pct).daily?.floor).toBe(48_000);
    const cash = rulesOf({ daily_loss: { value: 1500, unit: 'money' } });
    const s = observe(undefined, read('2026-01-15T09:00:00Z', 50_000), cash);
    expect(floors(s, cash).daily?.how).toBe('anchor 50000.00 (balance at the reset 2026-01-15T00:00:00.000Z) less 1500.00');
    expect(breach(s, read('2026-01-15T10:00:00Z', 50_000, 48_500), cash)?.rule).toBe('daily_loss');
  });

  it('a daily trip ends at the next reset; a drawdown trip lasts until cleared', () => {
    const r = rulesOf({ daily_loss: { value: 1000, unit: 'money' }, max_drawdown: { value: 5000, unit: 'money' }, initial_balance: 100_000 });
    let s = observe(undefined, read('2026-01-15T09:00:00Z', 100_000), r);
    s.trip = breach(s, read('2026-01-15T09:30:00Z', 100_000, 98_900), r);
    expect(activeTrip(s)?.rule).toBe('daily_loss');
    s = observe(s, read('2026-01-16T00:00:01Z', 99_000, 99_000), r);
    expect(activeTrip(s)).toBeUndefined();
    s.trip = breach(s, read('2026-01-16T01:00:00Z', 99_000, 95_000), r);
    expect(s.trip?.rule).toBe('max_drawdown');
    s = observe(s, read('2026-01-17T00:00:01Z', 95_000), r);
    expect(activeTrip(s)?.rule).toBe('max_drawdown');
    expect(tripUntil(s.trip!, r, 'S1')).toBe('until cleared with: hub accounts protect S1 --clear');
    const cleared = rulesOf({ ...{ max_drawdown: { value: 5000, unit: 'money' as const } }, cleared_at: '2026-01-17T08:00:00Z' });
    expect(activeTrip(observe(s, read('2026-01-17T09:00:00Z', 95_000), cleared))).toBeUndefined();
  });

  it('trailing_eod follows the highest anchor; trailing_equity the highest equity; static the initial balance', () => {
    const dd = { max_drawdown: { value: 10, unit: 'percent' as const }, initial_balance: 100_000 };
    const eod = rulesOf({ ...dd, drawdown_mode: 'trailing_eod' });
    let s = observe(undefined, read('2026-01-15T09:00:00Z', 100_000, 104_000), eod);
    expect(s.peak).toBe(100_000);
    s = observe(s, read('2026-01-16T00:00:05Z', 106_000, 103_000), eod);
    expect(floors(s, eod).drawdown).toEqual({ floor: 96_000, how: 'peak 106000.00 (trailing_eod) less 10% of initial 100000.00 = 10000.00' });
    s = observe(s, read('2026-01-17T00:00:05Z', 101_000), eod);
    expect(s.peak).toBe(106_000);
    const eq = rulesOf({ ...dd, drawdown_mode: 'trailing_equity' });
    let e = observe(undefined, read('2026-01-15T09:00:00Z', 100_000, 104_000), eq);
    e = observe(e, read('2026-01-15T09:01:00Z', 100_000, 102_000), eq);
    expect(floors(e, eq).drawdown?.floor).toBe(94_000);
    const st = rulesOf(dd);
    expect(floors(observe(undefined, read('2026-01-15T09:00:00Z', 120_000), st), st).drawdown?.floor).toBe(90_000);
  });
});

describe('exposure', () => {
  const r = rulesOf({ max_positions: 3, max_lots: 2, max_lots_per_symbol: 1 });
  const e = (positions: number, lots: number, eur = 0) => ({ positions, lots, bySymbol: new Map([['EURUSD', eur]]) });

  it('refuses what would pass a limit; reaching it exactly is allowed', () => {
    expect(exposureRefusal(e(2, 0.5), r, 'EURUSD', 0.5, true)).toBeUndefined();
    expect(exposureRefusal(e(3, 0.5), r, 'EURUSD', 0.5, true)).toBe('max positions: 3 open, the limit is 3');
    expect(exposureRefusal(e(3, 0.5, 0.5), r, 'EURUSD', 0.1, false)).toBeUndefined();
    expect(exposureRefusal(e(1, 1.5), r, 'GBPUSD', 0.5, true)).toBeUndefined();
    expect(exposureRefusal(e(1, 1.5), r, 'GBPUSD', 0.51, true)).toBe('max lots: 1.5 lots open + 0.51 would be 2.01, more than 2');
    expect(exposureRefusal(e(1, 0.7, 0.7), r, 'EURUSD', 0.3, true)).toBeUndefined();
    expect(exposureRefusal(e(1, 0.7, 0.7), r, 'EURUSD', 0.31, true)).toBe('max lots per symbol: 0.7 lots of EURUSD open + 0.31 would be 1.01, more than 1');
  });
});

describe('saving', () => {
  it('saves news of the day, anchor and trips, and a trailing peak only once it rose by 1% of the drawdown allowed', () => {
    const r = rulesOf({ max_drawdown: { value: 10_000, unit: 'money' }, drawdown_mode: 'trailing_equity', initial_balance: 100_000 });
    const s: GuardState = { day: 1, anchor: 100_000, anchorAt: 1, initial: 100_000, peak: 100_000 };
    expect(worthSaving(undefined, s, r)).toBe(true);
    expect(worthSaving(s, { ...s, peak: 100_099 }, r)).toBe(false);
    expect(worthSaving(s, { ...s, peak: 100_100 }, r)).toBe(true);
    expect(worthSaving(s, { ...s, day: 2 }, r)).toBe(true);
    expect(worthSaving(s, { ...s, trip: { rule: 'daily_loss', at: 5, day: 1, balance: 0, equity: 0, floor: 0, reason: '' } }, r)).toBe(true);
    expect(worthSaving(s, { ...s }, r)).toBe(false);
  });
});
