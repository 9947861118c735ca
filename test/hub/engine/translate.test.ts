import { translateSymbol, baseSymbol } from '../../../hub/engine';

const names = (...n: string[]) => new Set(n);

describe('translateSymbol', () => {
  const slave = { name: 'S1' };

  it('uses symbol_map first, even over prefix/suffix', () => {
    const r = translateSymbol('XAUUSD', { ...slave, symbol_map: { XAUUSD: 'GOLD' }, suffix: '.c' }, names('GOLD', 'XAUUSD.c'));
    expect(r).toEqual({ ok: true, symbol: 'GOLD', via: 'map' });
  });

  it('refuses a mapped symbol the broker does not offer, naming candidates', () => {
    const r = translateSymbol('XAUUSD', { ...slave, symbol_map: { XAUUSD: 'GOLDX' } }, names('GOLD', 'XAUUSDm'));
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.reason).toMatch(/GOLDX.*does not offer/);
      expect(r.candidates).toEqual(['XAUUSDm']);
    }
  });

  it('applies prefix and suffix', () => {
    expect(translateSymbol('EURUSD', { ...slave, suffix: '.c' }, names('EURUSD.c'))).toEqual({ ok: true, symbol: 'EURUSD.c', via: 'affix' });
    expect(translateSymbol('EURUSD', { ...slave, prefix: '#', suffix: '_i' }, names('#EURUSD_i'))).toEqual({ ok: true, symbol: '#EURUSD_i', via: 'affix' });
  });

  it('strips the master own suffix before translating', () => {
    expect(baseSymbol('EURUSD.r', { suffix: '.r' })).toBe('EURUSD');
    expect(translateSymbol('EURUSD.r', { ...slave, suffix: 'm' }, names('EURUSDm'), { suffix: '.r' })).toMatchObject({ ok: true, symbol: 'EURUSDm' });
  });

  it('prefers the exact name, then matches decorated names automatically', () => {
    expect(translateSymbol('EURUSD', slave, names('EURUSD', 'EURUSD.c'))).toEqual({ ok: true, symbol: 'EURUSD', via: 'exact' });
    expect(translateSymbol('EURUSD', slave, names('EURUSD.c', 'GBPUSD.c'))).toEqual({ ok: true, symbol: 'EURUSD.c', via: 'auto' });
    expect(translateSymbol('EURUSD', slave, names('EURUSDm', 'GBPUSDm'))).toEqual({ ok: true, symbol: 'EURUSDm', via: 'auto' });
  });

  it('does not take another instrument for a decoration', () => {
    const r = translateSymbol('EURUSD', slave, names('EURUSDT', 'EURUSDX'));
    expect(r.ok).toBe(false);
  });

  it('refuses an ambiguous match and names the candidates', () => {
    const r = translateSymbol('EURUSD', slave, names('EURUSD.c', 'EURUSD.pro', 'GBPUSD'));
    expect(r).toMatchObject({ ok: false, candidates: ['EURUSD.c', 'EURUSD.pro'] });
    if (!r.ok) expect(r.reason).toMatch(/ambiguous.*--map EURUSD=EURUSD\.c/);
  });

  it('refuses a missing symbol with the command that fixes it', () => {
    const r = translateSymbol('US30', slave, names('DJ30', 'EURUSD'));
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.reason).toMatch(/no symbol like US30.*--map US30=NAME/);
  });

  it('refuses prefix/suffix results the broker lacks', () => {
    const r = translateSymbol('US30', { ...slave, suffix: '.c' }, names('US30.cash'));
    expect(r.ok).toBe(false);
  });

  it('passes names unverified while the slave symbol list is unknown', () => {
    expect(translateSymbol('EURUSD', slave, undefined)).toEqual({ ok: true, symbol: 'EURUSD', via: 'unverified' });
  });
});
