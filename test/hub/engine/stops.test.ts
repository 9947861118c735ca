import { copySide, linkStops, lossStop } from '../../../hub/engine/stops';

const fx = { digits: 5, point: 0.00001 };
const buy = { side: 'buy' as const, sl: 1.095, tp: 1.11 };

describe('copySide', () => {
  it('is the master side, or the other one reversed', () => {
    expect(copySide('buy', false)).toBe('buy');
    expect(copySide('buy', true)).toBe('sell');
    expect(copySide('sell', true)).toBe('buy');
  });
});

describe('linkStops', () => {
  it('copies the master SL/TP by default, at the slave precision', () => {
    expect(linkStops(buy, false, {}, fx)).toEqual({ sl: 1.095, tp: 1.11 });
    expect(linkStops({ ...buy, sl: 1.0950049 }, false, {}, fx)).toEqual({ sl: 1.095, tp: 1.11 });
  });

  it('swaps SL and TP for a reverse copy', () => {
    // Master buys with SL below and TP above; the reversed copy sells: its SL is above (the master TP).
    expect(linkStops(buy, true, {}, fx)).toEqual({ sl: 1.11, tp: 1.095 });
  });

  it('leaves them to the slave with sltp none', () => {
    expect(linkStops(buy, false, { sltp: 'none' }, fx)).toBeUndefined();
  });

  it('moves them away from the open price by the offset (closer when negative), per copy side', () => {
    expect(linkStops(buy, false, { sltp: 'offset', sltp_offset_points: 50 }, fx)).toEqual({ sl: 1.0945, tp: 1.1105 });
    expect(linkStops(buy, false, { sltp: 'offset', sltp_offset_points: -50 }, fx)).toEqual({ sl: 1.0955, tp: 1.1095 });
    const sell = { side: 'sell' as const, sl: 1.11, tp: 1.095 };
    expect(linkStops(sell, false, { sltp: 'offset', sltp_offset_points: 50 }, fx)).toEqual({ sl: 1.1105, tp: 1.0945 });
    // Reversed and offset: swapped first, then moved for the copy's side (a sell).
    expect(linkStops(buy, true, { sltp: 'offset', sltp_offset_points: 50 }, fx)).toEqual({ sl: 1.1105, tp: 1.0945 });
  });

  it('keeps "none" (0) as none, drops a stop pushed to zero, and needs the point for an offset', () => {
    expect(linkStops({ side: 'buy', sl: 0, tp: 1.11 }, false, { sltp: 'offset', sltp_offset_points: 50 }, fx)).toEqual({ sl: 0, tp: 1.1105 });
    expect(linkStops({ side: 'buy', sl: 0.0002, tp: 0 }, false, { sltp: 'offset', sltp_offset_points: 50 }, fx)).toEqual({ sl: 0, tp: 0 });
    expect(linkStops(buy, false, { sltp: 'offset', sltp_offset_points: 50 }, undefined)).toBeUndefined();
    expect(linkStops(buy, false, { sltp: 'offset', sltp_offset_points: 0 }, undefined)).toEqual({ sl: 1.095, tp: 1.11 });
  });
});

describe('lossStop', () => {
  it('is the copy SL, also when the slave manages its own (sltp none), the master TP when reversed', () => {
    expect(lossStop(buy, false, {}, fx)).toBe(1.095);
    expect(lossStop(buy, false, { sltp: 'none' }, fx)).toBe(1.095);
    expect(lossStop(buy, true, {}, fx)).toBe(1.11);
    expect(lossStop(buy, false, { sltp: 'offset', sltp_offset_points: 50 }, fx)).toBe(1.0945);
    expect(lossStop({ ...buy, sl: 0 }, false, {}, fx)).toBe(0);
  });
});
