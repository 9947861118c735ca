import { makeConfig } from '../../../hub/config';
import { makeParts } from '../../../hub/engine/context';
import { newCopy } from '../../../hub/engine/copies';
import { memoryLogger } from '../../../hub/log';
import type { Body, HubMessage } from '../../../hub/protocol';

describe('makeParts', () => {
  it('wires every part to the same send, ledger, clock and counters', () => {
    const sent: { to: string; body: Body<HubMessage> }[] = [];
    const deps = {
      config: makeConfig({ store: 'memory' }),
      // A method that needs its object, as a caller may pass.
      send(this: { sent: typeof sent }, to: string, body: Body<HubMessage>) {
        this.sent.push({ to, body });
      },
      sent,
      ledger: { trade: () => undefined, event: jest.fn() },
      log: memoryLogger('debug'),
      now: () => 42,
    };
    const p = makeParts(deps);
    expect(p.stats).toEqual({ decisions: 0, commandsSent: 0, resends: 0, results: 0, refusals: 0, expired: 0 });
    p.roster.set([{ name: 'S1', type: 'SLAVE', enabled: true }]);
    const c = newCopy({ master: 'M1', position: '1', symbol: 'X', side: 'buy', volume: 1, price: 1 }, 'S1', { symbol: 'X', status: 'open', sl: 0, tp: 0, ticket: '7' });
    p.commands.issue(c, p.commands.close(c), 42);
    // The sessions re-send through the same command tracker.
    p.sessions.hello(p.sessions.seen({ v: 1, account: 'S1', seq: 1, ts: 0, type: 'heartbeat', balance: 0, equity: 0, margin: 0 }, 42), {
      v: 1, account: 'S1', seq: 2, ts: 0, type: 'hello', login: 1, server: 's', broker: 'b', currency: 'USD', margin_mode: 'hedging', ea_version: '1',
    });
    expect(sent.map((s) => s.body.type)).toEqual(['close', 'welcome', 'watch', 'welcome', 'watch', 'close']);
    expect(p.stats).toMatchObject({ commandsSent: 1, resends: 1 });
    expect(deps.ledger.event).toHaveBeenCalledWith(expect.objectContaining({ time: new Date(42).toISOString(), kind: 'command' }));
  });

  it('defaults the clock to Date.now', () => {
    const p = makeParts({ config: makeConfig({ store: 'memory' }), send: () => undefined, ledger: { trade: () => undefined, event: () => undefined }, log: memoryLogger('debug') });
    expect(p.now).toBe(Date.now);
  });
});
