import { Decisions } from '../../../hub/engine/decisions';
import { engineStatus } from '../../../hub/engine/status';
import { connected } from './harness';

describe('engineStatus', () => {
  it('lists terminals, master positions, copies and commands in flight, with the counters', () => {
    const h = connected();
    const tick = h.message('S1', { type: 'tick', symbol: 'EURUSD.c', bid: 1.1, ask: 1.2, time_ms: 0 });
    h.parts.sessions.quote(h.parts.sessions.seen(tick, h.clock.now), tick, 5);
    h.parts.sessions.seen(h.message('S3', { type: 'heartbeat', balance: 1, equity: 1, margin: 0 }), h.clock.now);
    new Decisions(h.parts).onMasterDeal(h.parts.roster.get('M1')!, h.deal({ position: '500', side: 'sell', entry: 'in', volume: 1, position_volume: 1, sl: 1.2 }), h.clock.now);
    const s = engineStatus(h.parts);
    expect(s.terminals.find((t) => t.name === 'S1')).toEqual({
      name: 'S1', role: 'slave', online: true, lastSeen: h.clock.now, lastMessage: 'tick', since: h.clock.now, broker: 'brk', login: 1, server: 'srv', eaVersion: '1.2', marginMode: 'hedging',
      balance: undefined, equity: undefined, welcomed: true, symbols: 2, watch: ['EURUSD.c'], quotes: { 'EURUSD.c': { bid: 1.1, ask: 1.2, receivedAt: 5 } },
    });
    // S3 is no account: disabled; it said no hello and sent no symbols.
    expect(s.terminals.find((t) => t.name === 'S3')).toMatchObject({ role: 'disabled', welcomed: false, symbols: undefined, broker: undefined });
    expect(s.masterPositions).toEqual([{ master: 'M1', position: '500', symbol: 'EURUSD', side: 'sell', volume: 1, open: true }]);
    expect(s.copies).toEqual([
      { master: 'M1', masterPosition: '500', slave: 'S1', symbol: 'EURUSD.c', side: 'sell', volume: 0, ticket: undefined, status: 'pending', openPrice: undefined, sl: 1.2, tp: 0 },
      expect.objectContaining({ slave: 'S2', symbol: 'EURUSD' }),
    ]);
    const open = h.commands('S1', 'open')[0];
    expect(s.pending).toContainEqual({ cmd_id: open.cmd_id, type: 'open', slave: 'S1', attempts: 1, firstSent: h.clock.now, expires: open.expires_ms });
    expect(s.counters).toMatchObject({ decisions: 2, commandsSent: 2 });
  });

  it('is a snapshot: later changes do not show in it', () => {
    const h = connected();
    const s = engineStatus(h.parts);
    h.parts.stats.decisions = 99;
    h.parts.sessions.checkSilence(h.clock.now + 10_000);
    expect(s.counters.decisions).toBe(0);
    expect(s.terminals.every((t) => t.online)).toBe(true);
  });
});
