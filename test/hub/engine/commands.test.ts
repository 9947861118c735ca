import { keyOf, newCopy, type Copy } from '../../../hub/engine/copies';
import { harness } from './harness';

const src = { master: 'M1', position: '500', symbol: 'EURUSD', side: 'buy' as const, volume: 1, price: 1.1 };

function setup() {
  const h = harness();
  const c = newCopy(src, 'S1', {
    symbol: 'EURUSD.c', status: 'open', sl: 0, tp: 0, ticket: '9001', volume: 0.7,
  });
  h.parts.copies.set(keyOf(c), c);
  const cmds = h.parts.commands;
  const pending = () => [...cmds.inFlight()].map(([id]) => id);
  return { h, c, cmds, pending };
}

const pendingOpen = (c: Copy) => ({ ...c, status: 'pending' as const, ticket: undefined, inflight: new Set<string>() });

describe('Commands', () => {
  it('gives every command a new id and an expiry, and builds closes and modifies of a copy', () => {
    const { h, c, cmds } = setup();
    const a = cmds.base(c);
    const b = cmds.base(c);
    expect(a.cmd_id).not.toBe(b.cmd_id);
    expect(a).toMatchObject({ expires_ms: h.clock.now + 5000, master: 'M1', master_position: '500' });
    expect(cmds.close(c)).toMatchObject({ type: 'close', ticket: '9001', symbol: 'EURUSD.c', volume: 0.7 });
    expect(cmds.close(c, 0.2, { ticket: '77', symbol: 'X' })).toMatchObject({ ticket: '77', symbol: 'X', volume: 0.2 });
    expect(cmds.modify(c, { sl: 1, tp: 2 })).toMatchObject({ type: 'modify', ticket: '9001', symbol: 'EURUSD.c', sl: 1, tp: 2 });
  });

  it('sends and tracks an issued command, and journals a decided one', () => {
    const { h, c, cmds, pending } = setup();
    const body = cmds.close(c);
    cmds.decide('close', 'because', c, body, h.clock.now - 3);
    expect(h.sent).toEqual([{ to: 'S1', body: { ...body, ttl_ms: 5000 } }]);
    expect(pending()).toEqual([body.cmd_id]);
    expect([...c.inflight]).toEqual([body.cmd_id]);
    expect(h.parts.stats.commandsSent).toBe(1);
    expect(h.lines(/^CLOSE because$/)).toHaveLength(1);
    expect(h.events.map((e) => e.kind)).toEqual(['close', 'command']);
    expect(cmds.lookup(body.cmd_id)).toMatchObject({ slave: 'S1', origin: h.clock.now - 3, attempts: 1 });
    cmds.settle(body.cmd_id);
    expect(pending()).toEqual([]);
  });

  it('re-sends an unanswered command with the same id until it expires, then expires it after a grace period', () => {
    const { h, c, cmds, pending } = setup();
    const open = pendingOpen(c);
    h.parts.copies.set(keyOf(open), open);
    const body = { type: 'open' as const, ...cmds.base(open), symbol: 'EURUSD.c', side: 'buy' as const, volume: 1, price: 1.1, max_deviation_points: 20, sl: 0, tp: 0, magic: 1, comment: '' };
    cmds.issue(open, body, h.clock.now);
    h.advance(499);
    cmds.tick(h.clock.now);
    expect(h.commands('S1', 'open')).toHaveLength(1);
    h.advance(1);
    cmds.tick(h.clock.now);
    expect(h.commands('S1', 'open').map((b) => b.cmd_id)).toEqual([body.cmd_id, body.cmd_id]);
    h.advance(4500); // at expires_ms: a last send
    cmds.tick(h.clock.now);
    // every send carries what is left of the command's life, never a time on the hub's clock alone
    expect(h.commands('S1', 'open').map((b) => [b.ttl_ms, b.expires_ms])).toEqual([[5000, body.expires_ms], [4500, body.expires_ms], [0, body.expires_ms]]);
    h.advance(500); // past it: no more sends, but still waiting for a result on its way
    cmds.tick(h.clock.now);
    expect(pending()).toEqual([body.cmd_id]);
    expect(h.commands('S1', 'open')).toHaveLength(3);
    h.advance(1);
    cmds.tick(h.clock.now);
    expect(pending()).toEqual([]);
    expect(open).toMatchObject({ status: 'expired' });
    expect(open.inflight.size).toBe(0);
    expect(h.lastTrade('S1')).toMatchObject({ status: 'expired', reason: 'no result from S1 within 5000 ms (offline?)' });
    expect(h.lines(/^EXPIRE open M1#500 -> S1 expired after 3 sends without result$/)).toEqual([expect.objectContaining({ level: 'warn' })]);
    expect(h.parts.stats).toMatchObject({ expired: 1, resends: 2 });
    // A late result still finds its command, once.
    expect(cmds.lookup(body.cmd_id)).toBeDefined();
    expect(cmds.lookup(body.cmd_id)).toBeUndefined();
  });

  it('leaves the copy alone when an increase or a close expires', () => {
    const { h, c, cmds } = setup();
    const open = pendingOpen(c);
    h.parts.copies.set(keyOf(open), open);
    cmds.issue(open, { type: 'open', ...cmds.base(open), symbol: 'EURUSD.c', side: 'buy', volume: 1, price: 1.1, max_deviation_points: 20, sl: 0, tp: 0, magic: 1, comment: '', increase: true }, h.clock.now);
    const closing = newCopy(src, 'S2', { symbol: 'EURUSD', status: 'open', sl: 0, tp: 0, ticket: '5' });
    h.parts.copies.set(keyOf(closing), closing);
    cmds.issue(closing, cmds.close(closing), h.clock.now);
    h.advance(6000);
    cmds.tick(h.clock.now);
    expect([open.status, closing.status]).toEqual(['pending', 'open']);
    expect(h.parts.stats.expired).toBe(2);
    expect(h.trades).toHaveLength(0);
  });

  it("re-sends at once a slave's unexpired commands, and only its own", () => {
    const { h, c, cmds } = setup();
    const other = newCopy(src, 'S2', { symbol: 'EURUSD', status: 'open', sl: 0, tp: 0, ticket: '5' });
    cmds.issue(c, cmds.close(c), h.clock.now);
    cmds.issue(other, cmds.close(other), h.clock.now);
    cmds.resendFor('S1');
    expect(h.sent.map((s) => s.to)).toEqual(['S1', 'S2', 'S1']);
    h.advance(5001);
    cmds.resendFor('S1');
    expect(h.sent).toHaveLength(3);
  });
});
