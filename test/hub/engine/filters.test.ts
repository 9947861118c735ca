import { filterCopy, matchesPattern } from '../../../hub/engine/filters';

const buy = { symbol: 'XAUUSD', slaveSymbol: 'GOLD', side: 'buy' as const, magic: 7, comment: 'scalp #12' };

describe('matchesPattern', () => {
  it('matches * and ? case-insensitively, the whole name only, other characters literally', () => {
    expect(matchesPattern('XAU*', 'xauusd')).toBe(true);
    expect(matchesPattern('US30?', 'US30c')).toBe(true);
    expect(matchesPattern('US30?', 'US30')).toBe(false);
    expect(matchesPattern('EURUSD', 'EURUSD.c')).toBe(false);
    expect(matchesPattern('EURUSD.c', 'EURUSDxc')).toBe(false);
    expect(matchesPattern('*.c', 'EURUSD.c')).toBe(true);
    expect(matchesPattern('(a+)+', 'aaaa')).toBe(false);
  });
});

describe('filterCopy', () => {
  it('copies everything without filters', () => {
    expect(filterCopy(buy, {})).toBeUndefined();
    expect(filterCopy(buy, { direction: 'both' })).toBeUndefined();
  });

  it('direction: only the master side asked for', () => {
    expect(filterCopy(buy, { direction: 'buy' })).toBeUndefined();
    expect(filterCopy(buy, { direction: 'sell' })).toBe('direction: buy not copied (direction sell only)');
    expect(filterCopy({ ...buy, side: 'sell' }, { direction: 'sell' })).toBeUndefined();
  });

  it('symbols: a pattern may name the master symbol or the slave one; exclusion wins', () => {
    expect(filterCopy(buy, { symbols_include: ['GOLD'] })).toBeUndefined();
    expect(filterCopy(buy, { symbols_include: ['XAU*'] })).toBeUndefined();
    expect(filterCopy(buy, { symbols_include: ['EURUSD', 'US30*'] })).toBe('symbol XAUUSD (GOLD) is not in symbols_include EURUSD,US30*');
    expect(filterCopy(buy, { symbols_exclude: ['gold'] })).toBe('symbol XAUUSD (GOLD) is excluded by symbols_exclude gold');
    expect(filterCopy(buy, { symbols_include: ['XAU*'], symbols_exclude: ['XAUUSD'] })).toMatch(/excluded/);
    // Untranslated: the master's name alone.
    expect(filterCopy({ ...buy, slaveSymbol: undefined }, { symbols_exclude: ['XAUUSD'] })).toBe('symbol XAUUSD is excluded by symbols_exclude XAUUSD');
  });

  it('magic numbers: include and exclude lists', () => {
    expect(filterCopy(buy, { magic_include: [7, 8] })).toBeUndefined();
    expect(filterCopy(buy, { magic_include: [0] })).toBe('magic 7 is not in magic_include 0');
    expect(filterCopy({ ...buy, magic: undefined }, { magic_include: [7] })).toBe('magic unknown is not in magic_include 7');
    expect(filterCopy(buy, { magic_exclude: [7] })).toBe('magic 7 is excluded by magic_exclude');
    expect(filterCopy(buy, { magic_exclude: [0] })).toBeUndefined();
  });

  it('comment: contains (case-insensitive) and regular expression', () => {
    expect(filterCopy(buy, { comment_contains: 'SCALP' })).toBeUndefined();
    expect(filterCopy(buy, { comment_contains: 'swing' })).toBe('comment "scalp #12" does not contain "swing"');
    expect(filterCopy(buy, { comment_regex: '^scalp #\\d+$' })).toBeUndefined();
    expect(filterCopy(buy, { comment_regex: '^swing' })).toBe('comment "scalp #12" does not match comment_regex ^swing');
    expect(filterCopy({ ...buy, comment: undefined }, { comment_contains: 'x' })).toBe('comment "" does not contain "x"');
  });
});
