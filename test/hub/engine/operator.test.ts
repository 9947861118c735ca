import type { Account } from '../../../hub/accounts';
import { copyKey } from '../../../hub/engine/copies';
import { Decisions } from '../../../hub/engine/decisions';
import type { EngineEvent } from '../../../hub/engine/events';
import { Operator } from '../../../hub/engine/operator';
import { PendingCopies } from '../../../hub/engine/pending';
import { Results } from '../../../hub/engine/results';
import type { ResultMsg } from '../../../hub/protocol';
import { connected } from './harness';

const M1: Account = { name: 'M1', type: 'MASTER', enabled: true };
const S1: Account = { name: 'S1', type: 'SLAVE', enabled: true, suffix: '.c', slippage_tolerance: 20 };

function world() {
  const h = connected({ accounts: [M1, S1] });
  const events: EngineEvent[] = [];
  h.parts.feed.subscribe((e) => events.push(e));
  const decisions = new Decisions(h.parts);
  const results = new Results({ ...h.parts, decisions, pending: new PendingCopies({ ...h.parts, decisions }) });
  const operator = new Operator(h.parts);
  const last = (type: string) => h.commands('S1', type).pop()!;
  const result = (cmd: Record<string, any>, fields: Partial<ResultMsg> & Pick<ResultMsg, 'status'>) =>
    results.onResult('S1', h.message('S1', { type: 'result', cmd_id: cmd.cmd_id, retcode: 10009, message: 'done', ...fields }), h.clock.now);
  const open = (position: string, volume = 1) =>
    decisions.onMasterDeal(M1, h.deal({ position, side: 'buy', entry: 'in', volume, position_volume: volume, position_side: 'buy' }), h.clock.now);
  const copy = (position: string) => h.parts.copies.get(copyKey('M1', position, 'S1'))!;
  return { h, events, operator, last, result, open, copy };
}

describe('engine events', () => {
  it('tells every decision, a terminal going offline and back, and each result with its latency and slippage', () => {
    const w = world();
    w.open('500');
    w.h.advance(12);
    w.result(w.last('open'), { status: 'done', ticket: '9001', volume: 1, price: 1.10003 });
    expect(w.events.filter((e) => e.type === 'decision')).toEqual([
      expect.objectContaining({ kind: 'copy', account: 'S1', masterTicket: '500', level: 'info', message: expect.stringMatching(/^open M1#500 buy 1 EURUSD -> S1/) }),
    ]);
    expect(w.events.filter((e) => e.type === 'result')).toEqual([
      expect.objectContaining({ slave: 'S1', master: 'M1', masterPosition: '500', command: 'open', status: 'done', ok: true, latencyMs: 12, slippagePoints: 3 }),
    ]);
    expect(w.copy('500')).toMatchObject({ slippagePoints: 3, latencyMs: 12 });
    w.h.parts.sessions.checkSilence(w.h.clock.now + 10_000);
    const offline = w.events.filter((e) => e.type === 'terminal' && !e.online).map((e) => e.type === 'terminal' && e.name);
    expect(offline).toEqual(['M1', 'S1', 'S2']);
    w.h.advance(10_001);
    w.h.parts.sessions.seen(w.h.message('S1', { type: 'heartbeat', balance: 1, equity: 1, margin: 0 }), w.h.clock.now);
    expect(w.events.at(-1)).toEqual({ type: 'terminal', time: w.h.clock.now, name: 'S1', online: true, what: 'back', message: 'back online' });
    expect(w.h.parts.sessions.get('S1')).toMatchObject({ since: w.h.clock.now, lastType: 'heartbeat' });
  });

  it('keeps the engine going when a listener throws', () => {
    const w = world();
    w.h.parts.feed.subscribe(() => {
      throw new Error('listener broke');
    });
    w.open('500');
    expect(w.last('open')).toBeDefined();
    expect(w.events.some((e) => e.type === 'decision')).toBe(true);
    expect(w.h.lines(/engine event listener failed: Error: listener broke/).length).toBeGreaterThan(0);
  });
});

describe('Operator', () => {
  it('closes one open copy by hand: one command, one decision line naming who, the reason in the ledger', () => {
    const w = world();
    w.open('500');
    w.result(w.last('open'), { status: 'done', ticket: '9001', volume: 1, price: 1.1 });
    const out = w.operator.closeCopy('M1', '500', 'S1', 'dashboard (ann)');
    expect(out).toMatchObject({ outcome: 'sent', master: 'M1', masterPosition: '500', slave: 'S1', cmdId: w.last('close').cmd_id });
    expect(w.last('close')).toMatchObject({ ticket: '9001', volume: 1, symbol: 'EURUSD.c' });
    expect(w.h.lines(/^CLOSE dashboard \(ann\) closes M1#500 -> S1 ticket 9001: 1 lots, by hand$/)).toHaveLength(1);
    expect(w.h.lastTrade('S1')).toMatchObject({ reason: 'closed by hand (dashboard (ann))' });
    // A second click while the close is in flight sends nothing more.
    expect(w.operator.closeCopy('M1', '500', 'S1', 'dashboard')).toMatchObject({ outcome: 'closing' });
    expect(w.h.commands('S1', 'close')).toHaveLength(1);
    w.result(w.last('close'), { status: 'done', volume: 1, price: 1.2 });
    expect(w.copy('500').status).toBe('closed');
    // The ledger row as the store holds it: every update applied in order.
    const row = Object.assign({}, ...w.h.trades.filter((u) => u.key.slave_name === 'S1').map((u) => u.set));
    expect(row).toMatchObject({ status: 'closed', close_price: 1.2, reason: 'closed by hand (dashboard (ann))' });
    expect(w.operator.closeCopy('M1', '500', 'S1', 'dashboard')).toMatchObject({ outcome: 'not_live' });
    expect(w.operator.closeCopy('M1', '404', 'S1', 'dashboard')).toMatchObject({ outcome: 'unknown', message: 'no copy of M1#404 on S1' });
  });

  it('closes every live copy of a slave and says which opens are still in flight', () => {
    const w = world();
    w.open('500');
    w.result(w.last('open'), { status: 'done', ticket: '9001', volume: 1, price: 1.1 });
    w.open('501', 0.5);
    w.result(w.last('open'), { status: 'done', ticket: '9002', volume: 0.5, price: 1.1 });
    w.open('502');
    const out = w.operator.closeCopiesOf('S1', 'dashboard');
    expect(out.map((o) => [o.masterPosition, o.outcome])).toEqual([['500', 'sent'], ['501', 'sent'], ['502', 'opening']]);
    expect(w.h.commands('S1', 'close').map((c) => [c.ticket, c.volume])).toEqual([['9001', 1], ['9002', 0.5]]);
    expect(w.operator.closeCopiesOf('S2', 'dashboard')).toEqual([]);
  });
});
