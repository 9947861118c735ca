import { newCopy } from '../../../hub/engine/copies';
import { Journal, dir, iso } from '../../../hub/engine/journal';
import type { LedgerEvent, TradeUpdate } from '../../../hub/ledger/types';
import { memoryLogger } from '../../../hub/log';

function setup() {
  const now = 1_700_000_000_000;
  const trades: TradeUpdate[] = [];
  const events: LedgerEvent[] = [];
  const log = memoryLogger('debug');
  const journal = new Journal({ trade: (u) => trades.push(u), event: (e) => events.push(e) }, log, () => now);
  return { journal, trades, events, log, now };
}

const copy = () =>
  newCopy({ master: 'M1', position: '500', symbol: 'EURUSD', side: 'sell', volume: 1, price: 1.1 }, 'S1', { symbol: 'EURUSD.c', status: 'open', sl: 0, tp: 0 });

describe('Journal', () => {
  it('writes one log line and one ledger event per decision', () => {
    const t = setup();
    t.journal.decision('refuse', 'open M1#500 -> S1: no', 'S1', '500', 'warn');
    expect(t.log.lines).toEqual([expect.objectContaining({ level: 'warn', message: 'REFUSE open M1#500 -> S1: no' })]);
    expect(t.events).toEqual([{ time: iso(t.now), kind: 'refuse', account: 'S1', master_ticket: '500', message: 'open M1#500 -> S1: no' }]);
  });

  it('holds decision lines during a fan-out and writes them, in order, when it ends', () => {
    const t = setup();
    let linesDuring = -1;
    t.journal.fanOut(() => {
      t.journal.decision('copy', 'a', 'S1', '500');
      t.journal.fanOut(() => t.journal.decision('copy', 'b', 'S2', '500'));
      linesDuring = t.log.lines.length;
      expect(t.events).toHaveLength(2);
    });
    expect(linesDuring).toBe(0);
    expect(t.log.lines.map((l) => l.message)).toEqual(['COPY a', 'COPY b']);
  });

  it('still writes the held lines when a fan-out throws', () => {
    const t = setup();
    expect(() =>
      t.journal.fanOut(() => {
        t.journal.decision('copy', 'a', 'S1', '500');
        throw new Error('boom');
      }),
    ).toThrow('boom');
    expect(t.log.lines.map((l) => l.message)).toEqual(['COPY a']);
    t.journal.decision('copy', 'after', 'S1', '500');
    expect(t.log.lines).toHaveLength(2);
  });

  it('writes trade records keyed by copy, without undefined fields, an undefined reason clearing it', () => {
    const t = setup();
    t.journal.trade(copy(), { status: 'open', open_price: undefined, reason: undefined });
    expect(t.trades[0]).toEqual({
      key: { master_name: 'M1', master_ticket: '500', slave_name: 'S1' },
      set: { updated_at: iso(t.now), status: 'open', reason: '', symbol: 'EURUSD.c', master_symbol: 'EURUSD', direction: 'SELL' },
    });
    t.journal.trade(copy(), { symbol: 'OTHER', remaining_volume: 0.5 });
    expect(t.trades[1].set).toMatchObject({ symbol: 'OTHER', remaining_volume: 0.5 });
    expect(t.trades[1].set).not.toHaveProperty('reason');
  });

  it('closes a copy in memory and in the ledger at once', () => {
    const t = setup();
    const c = copy();
    t.journal.closed(c, t.now - 1000, { close_price: 1.2 });
    expect(c.status).toBe('closed');
    expect(t.trades[0].set).toMatchObject({ status: 'closed', remaining_volume: 0, close_time: iso(t.now - 1000), close_price: 1.2 });
  });

  it('spells sides the ledger way and formats times as ISO', () => {
    expect([dir('buy'), dir('sell')]).toEqual(['BUY', 'SELL']);
    expect(iso(0)).toBe('1970-01-01T00:00:00.000Z');
    expect(iso(1)).toBe('1970-01-01T00:00:00.001Z');
  });
});
